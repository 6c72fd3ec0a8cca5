"""Breathing and break prompts: settings, planning, the ledger, devices, tough calls and delivery."""
