"""The reward policy, kept importable here: it lives in :mod:`planning.rewards.policy`."""

from __future__ import annotations

from planning.rewards.policy import (
    DEFAULT_COHORTS,
    DoubleRateCohort,
    QualityTier,
    RetroBonusTier,
    RewardPolicy,
    default_policy,
    policy_from_mapping,
    policy_from_toml,
)

__all__ = [
    "DEFAULT_COHORTS",
    "DoubleRateCohort",
    "QualityTier",
    "RetroBonusTier",
    "RewardPolicy",
    "default_policy",
    "policy_from_mapping",
    "policy_from_toml",
]
