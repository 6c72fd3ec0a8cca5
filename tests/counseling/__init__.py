"""Tests of the counseling feature (wellbeing/counseling and api/counseling)."""
