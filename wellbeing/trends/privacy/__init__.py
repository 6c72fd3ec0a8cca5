"""Differentially private team trends: bounding, OpenDP mechanisms, cell plans, releases, budget arithmetic."""

from wellbeing.trends.privacy.budget import CellBudget, can_spend, epsilon_to_micro, ledger_months, micro_to_epsilon
from wellbeing.trends.privacy.cells import CellPlan, CellSpec, assign_cells, plan_cells, weekly_release_allowed
from wellbeing.trends.privacy.mechanisms import NoiseScales, NoisyAnswers, person_score
from wellbeing.trends.privacy.release import (
    POOLED_FIGURES,
    CellRelease,
    Figures,
    combine_cells,
    combine_monthly,
    high_risk_band,
    publish,
    release_cell,
    round_to_five,
)

__all__ = [
    "POOLED_FIGURES",
    "CellBudget",
    "CellPlan",
    "CellRelease",
    "CellSpec",
    "Figures",
    "NoiseScales",
    "NoisyAnswers",
    "assign_cells",
    "can_spend",
    "combine_cells",
    "combine_monthly",
    "epsilon_to_micro",
    "high_risk_band",
    "ledger_months",
    "micro_to_epsilon",
    "person_score",
    "plan_cells",
    "publish",
    "release_cell",
    "round_to_five",
    "weekly_release_allowed",
]
