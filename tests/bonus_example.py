"""An example bonus for the tests: a new bonus is one class with its own policy table
(``[bonuses.fixed_volume]``), registered with :func:`planning.rewards.register_bonus`."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any

import numpy as np
from pydantic import Field

from planning.rewards import (
    Bonus,
    BonusAmounts,
    BonusInputs,
    BonusSettings,
    RewardPolicy,
    StatementLine,
)
from planning.rewards.money import kop

__all__ = ["FixedVolume"]


class FixedVolume(Bonus):
    """A bonus with its own policy table: the class is the whole change."""

    kind = "fixed_volume"
    column = "fixed_volume_kop"
    policy_fields = ("amount_rub",)

    class Settings(BonusSettings):
        amount_rub: Annotated[Decimal, Field(ge=0)] = Decimal("0")
        min_items: Annotated[int, Field(ge=1)] = 3

    settings_model = Settings

    def compute(self, inputs: BonusInputs, policy: RewardPolicy) -> BonusAmounts:
        s = self.settings(policy)
        amount = np.where(inputs.issued_count >= s.min_items, kop(s.amount_rub), 0)
        return BonusAmounts(amount.astype(np.int64))

    def line(self, totals: Mapping[str, Any], policy: RewardPolicy) -> StatementLine | None:
        if totals[self.column] == 0:
            return None
        return self.bonus_line(totals, rate=f">= {self.settings(policy).min_items}")
