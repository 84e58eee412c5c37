"""Reward bonuses: one class each, in a registry the engine, statements and tables read.

A bonus is paid per point and month on top of the item lines and shows as a statement line
of its own. Adding one is one class here, decorated with :func:`register_bonus`, its
settings in a nested :class:`~planning.rewards.policy.BonusSettings` (the policy's
``[bonuses.volume_bonus]`` table, validated when the policy is loaded):

.. code-block:: python

    @register_bonus
    class VolumeBonus(Bonus):
        kind = "volume_bonus"            # the statement line's kind
        column = "volume_bonus_kop"      # its per-point totals column (kopecks)
        policy_fields = ("amount_rub",)  # all empty: the bonus is off

        class Settings(BonusSettings):
            amount_rub: Decimal = Decimal("0")

        settings_model = Settings

        def compute(self, inputs, policy):
            amount = kop(self.settings(policy).amount_rub)
            return BonusAmounts(np.where(inputs.issued_count >= 1000, amount, 0).astype(np.int64))

        def line(self, totals, policy):
            if totals[self.column] == 0:
                return None
            return self.bonus_line(totals, rate=">= 1000 items")

The engine runs the bonuses in registry order; each sees the month's per-point sums and
``earned_kop`` (the items plus the bonuses before it). A bonus whose policy fields are all
empty (no tiers, switched off) is skipped: zero, and no line. Bonuses are part of the new
scheme's reward unless ``top_up`` is set (the transition floor: paid on top of the new
scheme, so the comparison with the old scheme sees the new scheme without it).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import numpy as np
import pandas as pd

from planning.rewards.money import IntArray, fits_int64, half_up_div, kop, percent_label, ratio
from planning.rewards.policy import BonusSettings, RewardPolicy
from planning.rewards.statements import StatementLine

__all__ = [
    "LINE_KINDS",
    "Bonus",
    "BonusAmounts",
    "BonusInputs",
    "QualityBonus",
    "RetroBonus",
    "TransitionFloor",
    "register_bonus",
    "registered_bonuses",
    "unregister_bonus",
]


@dataclass(frozen=True)
class BonusInputs:
    """What a bonus may read, one array element per point (rows of the points frame).

    Parameters
    ----------
    points : the engine's points frame (``rating``, ``complaint_rate_pct``, ...)
    turnover_kop : the month's turnover: prices of the items issued and kept in the month
    item_reward_kop : the sum of the month's item lines
    issued_count : items issued and kept in the month
    old_scheme_kop : what the old per-parcel fee would pay for the month
    earned_kop : the item reward plus the bonuses computed before this one
    """

    points: pd.DataFrame
    turnover_kop: IntArray
    item_reward_kop: IntArray
    issued_count: IntArray
    old_scheme_kop: IntArray
    earned_kop: IntArray


@dataclass(frozen=True)
class BonusAmounts:
    """A bonus per point: ``amount_kop`` (int64 kopecks) and, for tiered bonuses, the
    index of the policy tier that applied (``-1`` for none)."""

    amount_kop: IntArray
    tier: IntArray | None = None


class Bonus(ABC):
    """One reward bonus. Subclass, set the class attributes, register with
    :func:`register_bonus`.

    Attributes
    ----------
    kind : the kind of its statement line (``retro_bonus``)
    column : the per-point totals column of its amount in kopecks (``retro_bonus_kop``)
    tier_column : the totals column of the applied tier index (``retro_tier``), for bonuses
        whose :meth:`compute` returns tiers; ``None`` otherwise
    policy_fields : the policy fields it reads (of its ``settings_model`` when it has one);
        all empty means the bonus is off
    settings_model : its own policy table, a :class:`BonusSettings` subclass read from
        ``[bonuses.<kind>]`` (validated when the policy is loaded; absent: the model's
        defaults); None: it reads fields of :class:`RewardPolicy` (the built-in bonuses)
    top_up : paid on top of the new scheme rather than as part of it
    """

    kind: ClassVar[str]
    column: ClassVar[str]
    tier_column: ClassVar[str | None] = None
    policy_fields: ClassVar[tuple[str, ...]]
    settings_model: ClassVar[type[BonusSettings] | None] = None
    top_up: ClassVar[bool] = False

    def settings(self, policy: RewardPolicy) -> Any:
        """What it reads its settings from: its table in ``policy`` (the defaults of its
        ``settings_model`` when the policy has none), or the policy itself."""
        if self.settings_model is None:
            return policy
        return policy.bonus_settings(self.kind) or self.settings_model()

    def active(self, policy: RewardPolicy) -> bool:
        """Whether any of its policy fields is set (tiers given, switch on)."""
        src = self.settings(policy)
        return any(bool(getattr(src, name)) for name in self.policy_fields)

    @abstractmethod
    def compute(self, inputs: BonusInputs, policy: RewardPolicy) -> BonusAmounts:
        """The bonus of every point for the month (called only when :meth:`active`)."""

    @abstractmethod
    def line(self, totals: Mapping[str, Any], policy: RewardPolicy) -> StatementLine | None:
        """The statement line of one point's totals row, or ``None`` for no line."""

    def bonus_line(
        self, totals: Mapping[str, Any], *, rate: str, basis: str | None = None
    ) -> StatementLine:
        """Its statement line for a totals row: its amount, the label ``rate`` and, as
        ``basis_kop``, the totals column ``basis`` (what it was computed on)."""
        return StatementLine(
            kind=self.kind,
            reward_kop=int(totals[self.column]),
            rate=rate,
            basis_kop=None if basis is None else int(totals[basis]),
        )


_REGISTRY: list[Bonus] = []

_B = TypeVar("_B", bound=type[Bonus])


def register_bonus(cls: _B) -> _B:
    """Class decorator: add a bonus to the registry (its kind and column must be new)."""
    bonus = cls()
    for other in _REGISTRY:
        if {other.kind, other.column} & {bonus.kind, bonus.column}:
            raise ValueError(f"bonus {cls.__name__}: kind or column already registered")
    _REGISTRY.append(bonus)
    return cls


def unregister_bonus(cls: type[Bonus]) -> None:
    """Take the bonus of class ``cls`` out of the registry (a plug-in unloaded, a test)."""
    _REGISTRY[:] = [b for b in _REGISTRY if type(b) is not cls]


def registered_bonuses() -> tuple[Bonus, ...]:
    """The registered bonuses, in the order the engine runs them."""
    return tuple(_REGISTRY)


def _tier_share(base: IntArray, num: int, den: int) -> IntArray:
    """``base * num / den`` rounded half-up (int64 when it fits, exact Python ints else)."""
    if fits_int64(2 * int(base.max()) * num + den):
        return np.asarray(half_up_div(base * num, den), dtype=np.int64)
    return np.asarray(half_up_div(base.astype(object) * num, den), np.int64)


@register_bonus
class RetroBonus(Bonus):
    """Loyalty / retro-bonus: the highest reached turnover tier's percent of the exact
    month's turnover, rounded once half-up."""

    kind = "retro_bonus"
    column = "retro_bonus_kop"
    tier_column = "retro_tier"
    policy_fields = ("retro_bonus_tiers",)

    def compute(self, inputs: BonusInputs, policy: RewardPolicy) -> BonusAmounts:
        turnover = inputs.turnover_kop
        tiers = sorted(policy.retro_bonus_tiers, key=lambda t: t.min_turnover_rub)
        bonus = np.zeros(turnover.shape, dtype=np.int64)
        which = np.full(turnover.shape, -1, dtype=np.int64)
        thresholds = np.array([kop(t.min_turnover_rub) for t in tiers], dtype=np.int64)
        pos = np.searchsorted(thresholds, turnover, side="right") - 1
        original = [policy.retro_bonus_tiers.index(t) for t in tiers]
        for k, tier in enumerate(tiers):
            sel = pos == k
            if not sel.any():
                continue
            p, q = ratio(tier.extra_percent)
            bonus[sel] = _tier_share(turnover[sel], p, 100 * q)
            which[sel] = original[k]
        return BonusAmounts(bonus, which)

    def line(self, totals: Mapping[str, Any], policy: RewardPolicy) -> StatementLine | None:
        if totals["retro_tier"] < 0:
            return None
        tier = policy.retro_bonus_tiers[int(totals["retro_tier"])]
        return self.bonus_line(totals, rate=percent_label(tier.extra_percent), basis="turnover_kop")


@register_bonus
class QualityBonus(Bonus):
    """Service quality (the Allo seed): ``(multiplier - 1) x`` the item reward of the first
    tier the point's rating and complaint rate qualify for, rounded half-up."""

    kind = "quality_bonus"
    column = "quality_bonus_kop"
    tier_column = "quality_tier"
    policy_fields = ("quality_tiers",)

    def compute(self, inputs: BonusInputs, policy: RewardPolicy) -> BonusAmounts:
        item_reward = inputs.item_reward_kop
        points = inputs.points
        bonus = np.zeros(item_reward.shape, dtype=np.int64)
        which = np.full(item_reward.shape, -1, dtype=np.int64)
        n = len(points)
        rating = (
            points["rating"].to_numpy(dtype=float)
            if "rating" in points.columns
            else np.full(n, np.nan)
        )
        complaints = (
            points["complaint_rate_pct"].to_numpy(dtype=float)
            if "complaint_rate_pct" in points.columns
            else np.full(n, np.nan)
        )
        # ratings are not money: comparing the nearest doubles of two decimal strings is
        # exact enough (monotone, equal strings compare equal)
        for k, tier in enumerate(policy.quality_tiers):
            sel = (
                (which < 0)
                & (rating >= float(tier.min_rating))
                & (complaints <= float(tier.max_complaint_rate_pct))
            )
            if not sel.any():
                continue
            p, q = ratio(tier.multiplier)
            bonus[sel] = _tier_share(item_reward[sel], p - q, q)
            which[sel] = k
        return BonusAmounts(bonus, which)

    def line(self, totals: Mapping[str, Any], policy: RewardPolicy) -> StatementLine | None:
        if totals["quality_tier"] < 0:
            return None
        tier = policy.quality_tiers[int(totals["quality_tier"])]
        rate = f"x{tier.multiplier.normalize():f}"
        return self.bonus_line(totals, rate=rate, basis="item_reward_kop")


@register_bonus
class TransitionFloor(Bonus):
    """The transition floor: tops the new scheme up to the old per-parcel fee,
    ``max(new, old)`` (the programme's promise that no one earns less)."""

    kind = "transition_floor"
    column = "floor_kop"
    policy_fields = ("transition_floor",)
    top_up = True

    def compute(self, inputs: BonusInputs, policy: RewardPolicy) -> BonusAmounts:
        return BonusAmounts(np.maximum(inputs.old_scheme_kop - inputs.earned_kop, 0))

    def line(self, totals: Mapping[str, Any], policy: RewardPolicy) -> StatementLine | None:
        if totals[self.column] <= 0:
            return None
        return self.bonus_line(totals, rate="max(new, old)", basis="old_scheme_kop")


LINE_KINDS: tuple[str, ...] = (
    "item",
    *(bonus.kind for bonus in registered_bonuses()),
    "adjustment",
)
"""The kinds of statement lines: items, the registered bonuses, adjustments."""
