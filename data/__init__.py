"""Bundled datasets, readers and writers, errors, the demo network."""
