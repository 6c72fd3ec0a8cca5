"""The wellbeing domain: models, services, scoring, risk, anonymity, scheduling, delivery, charts. Knows nothing of HTTP."""
