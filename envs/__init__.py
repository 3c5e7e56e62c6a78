"""Per-environment entrypoints: configuration and the commands that synthesize and deploy it."""
