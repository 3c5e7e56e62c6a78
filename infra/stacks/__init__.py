"""The environment's stacks, split by how often they change: data, network and retention
rarely, pipeline with every code change, observability on its own. Deployed in
``app.STACK_ORDER``."""
