"""Finalize: prove a run's chunk cuts, remove duplicates across chunks, record the file's outcome."""
