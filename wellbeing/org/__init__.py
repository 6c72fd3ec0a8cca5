"""The organization and its people: teams, users, sign-in, passwords, consents and the access log."""
