"""Reading the centres' exports through their correspondence tables."""
