"""Qualification: cleaning, normalising and checking contacts against reference data."""
