"""Errors raised while loading configuration."""


class ConfigurationError(Exception):
    """A missing or invalid configuration value; the message is one line, naming the key."""
