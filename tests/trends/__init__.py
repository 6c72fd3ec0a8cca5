"""Tests of the trends feature (wellbeing/trends and api/trends)."""
