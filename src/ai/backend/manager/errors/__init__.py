"""Typed errors: each maps to one HTTP status and one problem type, rendered by the middleware."""
