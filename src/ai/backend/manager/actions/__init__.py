"""One dataclass per operation and the processor that runs it."""
