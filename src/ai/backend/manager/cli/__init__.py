"""The `backend.ai mgr` command line."""
