"""Small utilities both services use (priority work queue, backoff, process helpers)."""
