"""Transform: validate and normalize one chunk of a transaction file into Parquet."""
