"""Anonymized team trends: the release job that publishes frozen differentially private cells, and their reads."""
