"""Tests of the org feature (wellbeing/org and api/org)."""
