"""Demo network generator (raw exports, correspondence tables, ground truth)."""
