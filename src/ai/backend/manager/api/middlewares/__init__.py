"""Middlewares, outermost first: request id, metrics, errors to problem documents, auth."""
