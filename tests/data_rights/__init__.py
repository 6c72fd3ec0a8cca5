"""Tests of the data_rights feature (wellbeing/data_rights and api/data_rights)."""
