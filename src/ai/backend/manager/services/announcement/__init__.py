"""The announcement banner every CLI command shows."""
