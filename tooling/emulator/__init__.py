"""The local environment's AWS: moto as a server, with small named shims for what it lacks."""
