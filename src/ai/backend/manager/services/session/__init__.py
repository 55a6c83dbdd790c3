"""Compute sessions: creation rules, lookups and lifecycle requests."""
