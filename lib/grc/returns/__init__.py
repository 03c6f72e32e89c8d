"""Return files sent to each centre."""
