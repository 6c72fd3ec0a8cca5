"""Shifts from workforce management: imports (API, CSV), the agent's own view, and the planner's inputs."""
