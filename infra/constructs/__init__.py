"""Reusable, typed CDKTF constructs: one per module, composed by the stacks."""
