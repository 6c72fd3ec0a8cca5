"""The wellbeing domain, one package per feature (org, diary, assessments, risk, prompts, counseling, trends) over
core plumbing and the models; docs/architecture.md draws the layers. Knows nothing of HTTP."""
