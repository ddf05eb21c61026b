"""Observability every function shares, shipped once as the stack's ObservabilityLayer."""
