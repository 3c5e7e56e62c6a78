"""Operator actions on a deployed environment (docs/operations.md)."""
