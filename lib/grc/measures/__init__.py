"""Measures: every figure the pages show, defined once and computed once per run."""
