"""Clients of external services: etcd, Redis, agents, storage proxies."""
