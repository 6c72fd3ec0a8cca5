"""Every model, imported here so the metadata (and Alembic) sees them all."""
from wellbeing.models.assessments import Assessment, OrgInstrument, RiskSnapshot
from wellbeing.models.auth import ApiKey, AuthSession, LoginFailure, RateLimitCounter
from wellbeing.models.org import Organization, Team, TeamMembership, TeamSupervisor
from wellbeing.models.users import ROLES, User

__all__ = [
    "ROLES",
    "ApiKey",
    "Assessment",
    "AuthSession",
    "LoginFailure",
    "OrgInstrument",
    "Organization",
    "RateLimitCounter",
    "RiskSnapshot",
    "Team",
    "TeamMembership",
    "TeamSupervisor",
    "User",
]
