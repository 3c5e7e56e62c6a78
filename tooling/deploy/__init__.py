"""Deploying an environment's stacks with Terraform: in order, only what changed."""
