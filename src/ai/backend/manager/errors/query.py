"""Errors about the `filter` and `order` arguments of paged lists."""

from __future__ import annotations

from ai.backend.manager.errors.base import InvalidAPIParameters


class InvalidQueryExpression(InvalidAPIParameters):
    """A `filter` or `order` text that does not parse, or names what the list cannot use."""

    error_type = "invalid-api-params"
    error_title = "Invalid filter or order expression."
    error_domain = "query"
