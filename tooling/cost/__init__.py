"""A monthly cost model of what an environment really deploys, before and after."""
