"""Gateway I/O: the HTTP client (the one place that speaks HTTP), the executor, secret sinks."""
