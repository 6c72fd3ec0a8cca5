"""The burnout-risk indicator: the versioned screening model and the snapshots it leaves per agent."""
