"""Data the tests and benchmarks generate or read: a realistic town catalogue."""
