"""Load the policies (protection, reward) and the settlement lookup from optional files.

One loader per policy, for the CLI and the service alike.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from data.errors import InputError
from data.places import load_places
from geo.settlements import SettlementLookup
from planning.protection import ProtectionPolicy
from planning.reward_policy import RewardPolicy, policy_from_toml

__all__ = ["load_policy", "load_reward_policy", "load_settlements", "reward_rate"]


def load_policy(path: str | Path | None) -> ProtectionPolicy:
    """The protection policy from a TOML file, or the default one when ``path`` is None.

    Raises :class:`InputError` naming the file when it is missing or invalid.
    """
    if path is None:
        return ProtectionPolicy()
    try:
        return ProtectionPolicy.from_toml(path)
    except FileNotFoundError:
        raise InputError("file not found", source=str(path)) from None
    except Exception as exc:  # tomllib.TOMLDecodeError, pydantic.ValidationError
        raise InputError("not a valid protection policy: {why}", why=exc,
                         source=str(path)) from None  # fmt: skip


@lru_cache(maxsize=8)
def load_reward_policy(path: Path | None) -> RewardPolicy:
    """The reward policy in ``path`` (TOML), or the programme's defaults; cached per path.

    Raises :class:`InputError` naming the file when it cannot be read or is invalid.
    """
    if path is None:
        return RewardPolicy()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError("cannot read the reward policy: {why}", why=exc,
                         source=str(path)) from None  # fmt: skip
    return policy_from_toml(text, source=str(path))


def reward_rate(policy: RewardPolicy) -> float:
    """The steady-state reward as a share of turnover (``rate_percent / 100``), the rate the
    expected reward of scoring and onboarding uses."""
    return float(policy.rate_percent) / 100.0


def load_settlements(path: str | Path | None, *, crimea: bool | None = None) -> SettlementLookup:
    """The bundled GeoNames settlements, plus boundary polygons from ``path`` if given.

    ``crimea``: keep the Crimean places (None: ``PVZ_SETTLEMENTS_CRIMEA``, see
    :func:`data.places.load_places`; the service passes its setting).
    The polygons are read and validated completely here, at load (CLI) or start
    (server), by :func:`data.boundaries.load_boundaries`: a bad file raises
    :class:`InputError` naming the file, the feature and the column.
    """
    places = load_places(crimea=crimea)
    if path is None:
        return SettlementLookup(places)
    from data.boundaries import settlements_from_polygon_file  # geopandas only when needed

    return settlements_from_polygon_file(places, path)
