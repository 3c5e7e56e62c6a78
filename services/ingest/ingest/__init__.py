"""Ingest: check a new raw object, register it once, and plan its chunks."""
