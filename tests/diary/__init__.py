"""Tests of the diary feature (wellbeing/diary and api/diary)."""
