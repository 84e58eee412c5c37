"""The reward policy, kept importable here: it lives in :mod:`planning.rewards.policy`."""

from __future__ import annotations

from planning.rewards import policy as _policy
from planning.rewards.policy import *  # noqa: F403

__all__ = _policy.__all__
