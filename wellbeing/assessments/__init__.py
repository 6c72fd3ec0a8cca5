"""Questionnaires: the instrument files, the organization's catalog, exact scoring, results, alerts and support."""
