"""Tests of the prompts feature (wellbeing/prompts and api/prompts)."""
