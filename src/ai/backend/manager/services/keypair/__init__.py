"""Keypair rules: who may read or change which keypair."""
