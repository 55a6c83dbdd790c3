"""Redis connections, one client per logical database."""
