"""Authentication of API requests: HMAC request signing with keypairs."""
