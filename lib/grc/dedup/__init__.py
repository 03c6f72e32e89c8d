"""Deduplication within each centre and across the network."""
