"""Prometheus metrics: definitions, the registry and the :18080 endpoint."""
