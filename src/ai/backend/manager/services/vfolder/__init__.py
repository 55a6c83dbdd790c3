"""Virtual folders."""
