"""Tests of the assessments feature (wellbeing/assessments and api/assessments)."""
