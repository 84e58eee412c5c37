"""The reward policy: every number of the partner reward programme, loaded from TOML.

The defaults follow the 2020 partner programme (see ``planning/rewards/``): 5 % of the
price of every issued item, a fixed 250 RUB for items priced 5,000 RUB and above, double
rate for the first three months after opening, a pandemic extension for points opened in
April-May 2020, 35 RUB per parcel under the old scheme, no bonus tiers and no transition
floor. Amounts are :class:`~decimal.Decimal` roubles here and whole kopecks in the engine;
floats are rejected so that no binary rounding can enter the money path.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from data.errors import InputError

__all__ = [
    "DEFAULT_COHORTS",
    "BonusSettings",
    "DoubleRateCohort",
    "QualityTier",
    "RetroBonusTier",
    "RewardPolicy",
    "default_policy",
    "policy_from_mapping",
    "policy_from_toml",
]

NonNegDecimal = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]


def _whole_kopecks(value: Decimal, name: str) -> Decimal:
    if value != value.quantize(Decimal("0.01")):
        raise ValueError(f"{name} must be whole kopecks (at most two decimals), got {value}")
    return value


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_float(cls, value: Any) -> Any:
        # TOML is parsed with parse_float=Decimal; a float here comes from Python callers
        if isinstance(value, float):
            raise ValueError("use Decimal or a string for fractional numbers, not float")
        return value


class DoubleRateCohort(_Model):
    """Points opened in ``[opened_from, opened_to]`` (inclusive) earn the double rate.

    Parameters
    ----------
    name : label for reports
    opened_from : first opening day of the cohort
    opened_to : last opening day of the cohort, ``None`` for open-ended
    pandemic_extension : whether the double period is extended by the days the point was
        closed inside the policy's pandemic window
    """

    name: str = ""
    opened_from: dt.date
    opened_to: dt.date | None = None
    pandemic_extension: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> DoubleRateCohort:
        if self.opened_to is not None and self.opened_to < self.opened_from:
            raise ValueError("opened_to is before opened_from")
        return self


DEFAULT_COHORTS: tuple[DoubleRateCohort, ...] = (
    DoubleRateCohort(
        name="opened April-May 2020 (pandemic extension)",
        opened_from=dt.date(2020, 4, 1),
        opened_to=dt.date(2020, 5, 31),
        pandemic_extension=True,
    ),
    # June 2020 is not named by the programme text; included by default because the
    # April-May cohort shows the double period already existed. Drop it in a policy file.
    DoubleRateCohort(
        name="opened June 2020 (not named by the programme)",
        opened_from=dt.date(2020, 6, 1),
        opened_to=dt.date(2020, 6, 30),
    ),
    DoubleRateCohort(name="opened July 2020 or later", opened_from=dt.date(2020, 7, 1)),
)


class RetroBonusTier(_Model):
    """Loyalty / retro-bonus: ``extra_percent`` of the whole month's turnover.

    Parameters
    ----------
    min_turnover_rub : the tier applies when the month's turnover is at or above this,
        in roubles (whole kopecks)
    extra_percent : percent of the whole month's turnover paid as a bonus
    """

    min_turnover_rub: NonNegDecimal
    extra_percent: NonNegDecimal

    @field_validator("min_turnover_rub")
    @classmethod
    def _kop(cls, value: Decimal) -> Decimal:
        return _whole_kopecks(value, "min_turnover_rub")


class QualityTier(_Model):
    """Service-quality multiplier on the month's item reward (the Allo seed).

    A point qualifies when its rating is at or above ``min_rating`` and its complaint
    rate is at or below ``max_complaint_rate_pct``; the first qualifying tier in policy
    order applies. The bonus is ``(multiplier - 1) x`` the sum of the item lines.

    Parameters
    ----------
    min_rating : lowest customer rating (same scale as the points' ``rating`` column)
    max_complaint_rate_pct : highest complaint rate, percent of issued items
    multiplier : at least 1
    """

    min_rating: NonNegDecimal
    max_complaint_rate_pct: NonNegDecimal
    multiplier: Annotated[Decimal, Field(ge=1, allow_inf_nan=False)]


class BonusSettings(_Model):
    """The base of a bonus's own policy table, ``[bonuses.<kind>]`` in the TOML (see
    :attr:`planning.rewards.bonuses.Bonus.settings_model`): frozen, unknown keys and floats
    refused, like every part of the policy."""


class RewardPolicy(_Model):
    """Every number of the reward programme; the defaults are the 2020 programme.

    Parameters
    ----------
    rate_percent : reward per issued item, percent of its price
    cap_threshold_rub : items priced at or above this earn ``cap_amount_rub`` instead
    cap_amount_rub : the fixed reward of a capped item (before doubling)
    double_multiplier : factor on every item line during the double-rate period
    double_months : length of the double-rate period in calendar months
    cohorts : which opening dates get a double-rate period
    pandemic_from, pandemic_to : the closure window (inclusive) whose closed days extend
        the double period of cohorts with ``pandemic_extension``
    old_fee_per_parcel_rub : old scheme, fixed fee per issued item
    transition_floor : pay ``max(new, old)`` (a top-up line) instead of ``new``
    retro_bonus_tiers : turnover tiers; the highest reached tier applies
    quality_tiers : service-quality multipliers; the first qualifying tier applies
    bonuses : the tables of bonuses that bring their own settings, by bonus kind (TOML
        ``[bonuses.<kind>]``; each validated by its bonus's ``settings_model``), stored as
        ``(kind, settings)`` pairs; :meth:`bonus_settings` reads one
    """

    rate_percent: NonNegDecimal = Decimal("5")
    cap_threshold_rub: NonNegDecimal = Decimal("5000")
    cap_amount_rub: NonNegDecimal = Decimal("250")
    double_multiplier: Annotated[Decimal, Field(ge=1, allow_inf_nan=False)] = Decimal("2")
    double_months: Annotated[int, Field(ge=0, le=1200)] = 3
    cohorts: tuple[DoubleRateCohort, ...] = DEFAULT_COHORTS
    pandemic_from: dt.date = dt.date(2020, 4, 1)
    pandemic_to: dt.date = dt.date(2020, 5, 31)
    old_fee_per_parcel_rub: NonNegDecimal = Decimal("35")
    transition_floor: bool = False
    retro_bonus_tiers: tuple[RetroBonusTier, ...] = ()
    quality_tiers: tuple[QualityTier, ...] = ()
    bonuses: tuple[tuple[str, BonusSettings], ...] = ()

    @field_validator("bonuses", mode="before")
    @classmethod
    def _bonus_tables(cls, value: Any) -> tuple[tuple[str, BonusSettings], ...]:
        from planning.rewards.bonuses import registered_bonuses  # the registry imports us

        models = {b.kind: b.settings_model for b in registered_bonuses()
                  if b.settings_model is not None}  # fmt: skip
        pairs = list(value.items()) if isinstance(value, dict) else list(value)
        out: list[tuple[str, BonusSettings]] = []
        for kind, table in pairs:
            model = models.get(kind)
            if model is None:
                known = ", ".join(sorted(models)) or "none"
                raise ValueError(f"unknown bonus {kind!r} (bonuses with a table: {known})")
            if isinstance(table, model):
                out.append((kind, table))
                continue
            try:
                out.append((kind, model.model_validate(table)))
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(part) for part in (kind, *first["loc"]))
                raise ValueError(f"{where}: {first['msg']}") from None
        return tuple(sorted(out, key=lambda pair: pair[0]))

    def bonus_settings(self, kind: str) -> BonusSettings | None:
        """The validated table of bonus ``kind``, or None when the policy has none."""
        return next((s for k, s in self.bonuses if k == kind), None)

    @field_validator("cap_threshold_rub", "cap_amount_rub", "old_fee_per_parcel_rub")
    @classmethod
    def _kop(cls, value: Decimal, info: Any) -> Decimal:
        return _whole_kopecks(value, info.field_name)

    @model_validator(mode="after")
    def _consistent(self) -> RewardPolicy:
        if self.pandemic_to < self.pandemic_from:
            raise ValueError("pandemic_to is before pandemic_from")
        thresholds = [t.min_turnover_rub for t in self.retro_bonus_tiers]
        if len(set(thresholds)) != len(thresholds):
            raise ValueError("retro_bonus_tiers: two tiers share min_turnover_rub")
        return self


def default_policy() -> RewardPolicy:
    """Return the 2020 programme defaults."""
    return RewardPolicy()


def policy_from_mapping(data: dict[str, Any], *, source: str | None = None) -> RewardPolicy:
    """Validate a mapping (for example parsed TOML or a JSON body) into a policy.

    Raises
    ------
    InputError
        naming the first offending field (``column`` is its dotted path).
    """
    try:
        return RewardPolicy.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        raise InputError(first["msg"], source=source, column=field) from None


def policy_from_toml(text: str, *, source: str | None = None) -> RewardPolicy:
    """Parse a TOML policy document; fractional numbers are read as exact Decimal.

    Parameters
    ----------
    text : the TOML document; missing keys take the defaults
    source : file name for error messages
    """
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise InputError("not valid TOML: {why}", why=exc, source=source) from None
    return policy_from_mapping(data, source=source)
