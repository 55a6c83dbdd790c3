"""Sharing folders (invitations, direct shares, ownership) and cloning them."""
