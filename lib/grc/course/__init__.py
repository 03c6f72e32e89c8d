"""The Marielle Nature course exercise."""
