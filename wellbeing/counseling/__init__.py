"""Counseling follow-ups: cases, appointments, reminders, and what HR and the agent each may see."""
