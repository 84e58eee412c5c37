"""The bonus registry: the built-in bonuses, and a new bonus as one class plus its policy field."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from bonus_example import FixedVolume

from data.errors import InputError
from planning.rewards import (
    LINE_KINDS,
    Bonus,
    BonusAmounts,
    BonusInputs,
    OrderRecord,
    PointRecord,
    StatementLine,
    compute_rewards,
    orders_frame_from_records,
    points_frame_from_records,
    register_bonus,
    registered_bonuses,
    statement_to_dict,
    statements_frame_from_table,
    statements_from_table,
    unregister_bonus,
)
from planning.rewards.money import kop
from planning.rewards.policy import RewardPolicy, policy_from_toml


def test_the_registry_holds_the_three_bonuses_in_line_order() -> None:
    kinds = [b.kind for b in registered_bonuses()]
    assert kinds == ["retro_bonus", "quality_bonus", "transition_floor"]
    assert ("item", *kinds, "adjustment") == LINE_KINDS
    for bonus in registered_bonuses():
        assert all(name in RewardPolicy.model_fields for name in bonus.policy_fields)
        assert not bonus.active(RewardPolicy())  # the 2020 programme has no bonus


class VolumePolicy(RewardPolicy):
    """The policy field of the example bonus."""

    volume_bonus_rub: Decimal = Decimal("0")


class VolumeBonus(Bonus):
    """A fixed amount for points that issued at least three items in the month."""

    kind = "volume_bonus"
    column = "volume_bonus_kop"
    policy_fields = ("volume_bonus_rub",)

    def compute(self, inputs: BonusInputs, policy: RewardPolicy) -> BonusAmounts:
        assert isinstance(policy, VolumePolicy)
        amount = kop(policy.volume_bonus_rub)
        return BonusAmounts(np.where(inputs.issued_count >= 3, amount, 0).astype(np.int64))

    def line(self, totals: Mapping[str, Any], policy: RewardPolicy) -> StatementLine | None:
        if totals[self.column] == 0:
            return None
        return self.bonus_line(totals, rate=">= 3")


def _table(policy: RewardPolicy) -> Any:
    points = [PointRecord("A", dt.date(2019, 1, 1)), PointRecord("B", dt.date(2019, 1, 1))]
    orders = [
        OrderRecord(f"{p}{i}", p, dt.date(2020, 10, 1 + i), 100_000, "issued")
        for p, n in (("A", 3), ("B", 2))
        for i in range(n)
    ]
    return compute_rewards(
        points_frame_from_records(points, policy=policy),
        orders_frame_from_records(orders),
        "2020-10",
        policy=policy,
        bonuses=(*registered_bonuses(), VolumeBonus()),
    )


def test_a_new_bonus_is_one_class_and_its_policy_field() -> None:
    table = _table(VolumePolicy(volume_bonus_rub=Decimal("500")))
    a, b = statements_from_table(table)
    # A: 3 items x 50.00 + 500.00; B: 2 items, below the threshold
    assert [line.kind for line in a.lines] == ["item"] * 3 + ["volume_bonus"]
    assert (a.reward_kop, a.new_scheme_kop, a.bonus_kop) == (65_000, 65_000, 50_000)
    assert (b.reward_kop, [line.kind for line in b.lines]) == (10_000, ["item"] * 2)
    assert statement_to_dict(a)["lines"][-1]["reward_rub"] == "500.00"
    frame = statements_frame_from_table(table)
    assert frame["bonuses_kop"].tolist() == [50_000, 0]
    assert frame["total_kop"].tolist() == [65_000, 10_000]


def test_a_bonus_whose_policy_fields_are_empty_is_off() -> None:
    table = _table(VolumePolicy())
    assert table.totals["volume_bonus_kop"].tolist() == [0, 0]
    assert all(line.kind == "item" for s in statements_from_table(table) for line in s.lines)


@pytest.fixture
def fixed_volume() -> Iterator[None]:
    register_bonus(FixedVolume)
    try:
        yield
    finally:
        unregister_bonus(FixedVolume)


def _month(policy: RewardPolicy) -> Any:
    points = [PointRecord("A", dt.date(2019, 1, 1)), PointRecord("B", dt.date(2019, 1, 1))]
    orders = [OrderRecord(f"{p}{i}", p, dt.date(2020, 10, 1 + i), 100_000, "issued")
              for p, n in (("A", 3), ("B", 2)) for i in range(n)]  # fmt: skip
    return compute_rewards(points_frame_from_records(points, policy=policy),
                           orders_frame_from_records(orders), "2020-10", policy=policy)  # fmt: skip


def test_a_new_bonus_is_one_class_with_its_own_policy_table(fixed_volume: None) -> None:
    policy = policy_from_toml("[bonuses.fixed_volume]\namount_rub = 500.00\n")
    assert policy.bonus_settings("fixed_volume") == FixedVolume.Settings(amount_rub=Decimal("500"))
    table = _month(policy)  # the engine's default: the registry
    a, b = statements_from_table(table)
    assert [line.kind for line in a.lines] == ["item"] * 3 + ["fixed_volume"]
    assert (a.reward_kop, a.bonus_kop) == (65_000, 50_000)
    assert statement_to_dict(a)["lines"][-1] == {**statement_to_dict(a)["lines"][-1],
                                                 "kind": "fixed_volume", "reward_rub": "500.00",
                                                 "rate": ">= 3"}  # fmt: skip
    assert [line.kind for line in b.lines] == ["item"] * 2
    assert statements_frame_from_table(table)["bonuses_kop"].tolist() == [50_000, 0]
    # no table, or a table with the amount empty: the bonus is off
    for off in (RewardPolicy(), policy_from_toml("[bonuses.fixed_volume]\nmin_items = 2\n")):
        assert _month(off).totals["fixed_volume_kop"].tolist() == [0, 0]


@pytest.mark.parametrize(
    ("toml", "column", "words"),
    [
        ("[bonuses.fixed_volume]\namount_rub = -1\n", "bonuses", "fixed_volume.amount_rub"),
        ("[bonuses.fixed_volume]\nstray = 1\n", "bonuses", "fixed_volume.stray"),
        ("[bonuses.no_such]\namount_rub = 1\n", "bonuses", "unknown bonus 'no_such'"),
    ],
)
def test_a_bonus_table_is_checked_when_the_policy_is_loaded(
    fixed_volume: None, toml: str, column: str, words: str
) -> None:
    with pytest.raises(InputError) as err:
        policy_from_toml(toml, source="policy.toml")
    assert err.value.column == column and words in str(err.value)


def test_a_table_of_a_bonus_not_registered_is_refused() -> None:
    with pytest.raises(InputError, match="unknown bonus 'fixed_volume'"):
        policy_from_toml("[bonuses.fixed_volume]\namount_rub = 500\n")
