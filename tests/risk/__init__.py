"""Tests of the risk feature (wellbeing/risk and api/risk)."""
