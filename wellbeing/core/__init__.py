"""Plumbing every feature shares: the database, the clock, errors, encryption, idempotency, paging, time zones."""
