"""Every model, imported here so the metadata (and Alembic) sees them all."""
from wellbeing.models.assessments import Assessment, OrgInstrument, RiskSnapshot
from wellbeing.models.audit import AccessLogEntry, ErasureReceipt
from wellbeing.models.auth import AccountToken, ApiKey, AuthSession, LoginFailure, OutgoingMail, RateLimitCounter
from wellbeing.models.contact_centre import (
    PlatformContact,
    PlatformEvent,
    PlatformRule,
    RecoveryBreak,
    RecoveryOptIn,
    RecoverySettings,
)
from wellbeing.models.consents import CONSENTS, Consent, ConsentChange
from wellbeing.models.counseling import (
    CounselingAppointment,
    CounselingCase,
    CounselingCaseEvent,
    CounselingReminder,
)
from wellbeing.models.diary import DiaryEntry, DiaryRollup, DiaryTag, DiaryTombstone
from wellbeing.models.org import Organization, Team, TeamMembership, TeamSupervisor
from wellbeing.models.prompts import CallEvent, Device, Prompt, PromptDelivery, PromptSettings
from wellbeing.models.shifts import Shift, ShiftCoverage, ShiftFeed
from wellbeing.models.trends import (
    POOLED_CELL,
    PrivacyLedger,
    PrivacyPersonLedger,
    TrendCell,
    TrendPeriod,
    TrendPoolMember,
    TrendRelease,
)
from wellbeing.models.sso import OidcConfig, ScimGroup, ScimToken, ScimUser, SsoAttempt
from wellbeing.models.users import ROLES, User

__all__ = [
    "CONSENTS",
    "ROLES",
    "AccessLogEntry",
    "AccountToken",
    "ApiKey",
    "Assessment",
    "AuthSession",
    "CallEvent",
    "Consent",
    "ConsentChange",
    "CounselingAppointment",
    "CounselingCase",
    "CounselingCaseEvent",
    "CounselingReminder",
    "DiaryEntry",
    "DiaryRollup",
    "DiaryTag",
    "DiaryTombstone",
    "Device",
    "ErasureReceipt",
    "LoginFailure",
    "OidcConfig",
    "OrgInstrument",
    "OutgoingMail",
    "Organization",
    "Prompt",
    "PromptDelivery",
    "PromptSettings",
    "POOLED_CELL",
    "PrivacyLedger",
    "PrivacyPersonLedger",
    "RateLimitCounter",
    "RiskSnapshot",
    "ScimGroup",
    "ScimToken",
    "ScimUser",
    "SsoAttempt",
    "Team",
    "TeamMembership",
    "TeamSupervisor",
    "TrendCell",
    "TrendPeriod",
    "TrendPoolMember",
    "TrendRelease",
    "PlatformContact",
    "PlatformEvent",
    "PlatformRule",
    "RecoveryBreak",
    "RecoveryOptIn",
    "RecoverySettings",
    "Shift",
    "ShiftCoverage",
    "ShiftFeed",
    "User",
]
