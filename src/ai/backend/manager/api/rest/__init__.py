"""aiohttp handlers: parse and validate, build an action, run it, serialise the result."""
