"""Constants shared across the manager: wire versions, Redis database numbers, fixed names."""

from typing import Final

# The API version we speak; the official client 26.9.6 compiles in the same one.
API_VERSION: Final = "v9.20250722"
# The reference manager release whose interface we match; reported as "manager" by `GET /`.
COMPATIBLE_MANAGER_VERSION: Final = "26.9.6"

# Redis logical databases, fixed across the ecosystem (agents use the same numbers).
REDIS_STATISTICS_DB: Final = 0
REDIS_RATE_LIMIT_DB: Final = 1
REDIS_LIVE_DB: Final = 2
REDIS_IMAGE_DB: Final = 3
REDIS_STREAM_DB: Final = 4
REDIS_STREAM_LOCK_DB: Final = 5

# Every logical etcd key lives under this root, followed by the configured namespace.
ETCD_KEY_ROOT: Final = "/sorna"

# Signed requests may be at most this far from the server clock.
MAX_CLOCK_SKEW_SECONDS: Final = 15 * 60
