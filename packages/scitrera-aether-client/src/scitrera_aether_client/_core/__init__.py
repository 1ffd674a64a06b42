"""Hand-written protocol core: I/O-free policy (validation, backoff) and the async connection."""
