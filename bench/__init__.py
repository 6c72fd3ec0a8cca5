"""Benchmarks: each module has run(database_url, size) -> rows, and prints a table when run as a script."""
