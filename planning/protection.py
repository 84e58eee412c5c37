"""The competition-protection rule: radius tiers, checks of candidates, audit of a network.

A candidate c conflicts with a live point p when the WGS84 geodesic distance
``d(c, p) < max(r_p, r_c)``; ``d == r`` is allowed. Each point's radius comes
from its settlement's population (see :class:`ProtectionPolicy`) unless given.
Only points of a protecting kind and status are live; only candidates of a
blocked kind can be refused.

Where the rule lives: here, in one comparison, :func:`decide_pairs` (``d < max(r_p, r_c)``,
elementwise on arrays or on plain floats). Everything that decides goes through it:

- :func:`decide`, the rule for one candidate (kinds, exclusions, the order of the
  conflicts), used by the in-memory pre-check (:meth:`ProtectionNetwork.check`) and by the
  binding check inside the store's write transaction (``api/services/network.py``, on the
  rows read under the transaction's lock and measured by :func:`measure`);
- :meth:`ProtectionNetwork.check_batch` (``pvz check``, ``POST /v1/protection/check-batch``,
  scoring, planning, white space) and :meth:`ProtectionNetwork.audit`, on the pairs within
  reach that the index returns (:meth:`geo.index.PointIndex.query_reach`: a superset, the
  pairs near the edge with their exact geodesic).

Only how the neighbours are found differs. The index's grid uses ``max(r_q, r_p)`` as its
reach, to look no farther than it must; for the batch it decides nothing. (The single
check's index path, :meth:`geo.index.PointIndex.query_point_rows`, leaves out the pairs of
its 1 m band at or beyond that reach as it scans, to stay fast; :func:`decide` then applies
the comparison to what is left, so the two cannot disagree.) Which points are live (kinds,
statuses, reservations) is :class:`ProtectionPolicy`'s, and the caller's selection.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, overload

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from data.errors import Conflict
from geo.geodesic import distance_m
from geo.index import Pairs, PointIndex
from geo.settlements import SettlementLookup

__all__ = [
    "AuditResult",
    "BatchCheck",
    "CheckResult",
    "Conflict",
    "Decision",
    "Neighbour",
    "ProtectionNetwork",
    "ProtectionPolicy",
    "RadiusTier",
    "decide",
    "decide_pairs",
    "measure",
]

FloatArray = npt.NDArray[np.float64]


class RadiusTier(BaseModel):
    """Settlements with at least ``min_population`` people get ``radius_m`` metres."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    min_population: int = Field(ge=0)
    radius_m: float = Field(gt=0, le=50_000)


class ProtectionPolicy(BaseModel):
    """Who protects whom, and how far. Defaults as in DESIGN.md.

    Radius tiers (population of the point's settlement -> protection radius):
    >= 1,000,000 -> 500 m; >= 100,000 -> 700 m; otherwise, and in open country,
    1,000 m. ``partner`` and ``own`` pickup points protect and are blocked;
    ``postamat`` neither. ``active`` and ``paused`` points protect; ``closed``
    do not.
    """

    model_config = ConfigDict(extra="forbid")
    tiers: list[RadiusTier] = Field(
        default_factory=lambda: [
            RadiusTier(min_population=1_000_000, radius_m=500),
            RadiusTier(min_population=100_000, radius_m=700),
            RadiusTier(min_population=0, radius_m=1000),
        ]
    )
    kinds: list[str] = Field(default_factory=lambda: ["partner", "own", "postamat"])
    protecting_kinds: list[str] = Field(default_factory=lambda: ["partner", "own"])
    blocked_kinds: list[str] = Field(default_factory=lambda: ["partner", "own"])
    statuses: list[str] = Field(default_factory=lambda: ["active", "paused", "closed"])
    protecting_statuses: list[str] = Field(default_factory=lambda: ["active", "paused"])
    default_kind: str = "partner"
    default_status: str = "active"

    @field_validator("tiers")
    @classmethod
    def _tiers_cover_everyone(cls, tiers: list[RadiusTier]) -> list[RadiusTier]:
        if not tiers or min(t.min_population for t in tiers) != 0:
            raise ValueError("the tiers must include one with min_population = 0")
        return sorted(tiers, key=lambda t: -t.min_population)

    @classmethod
    def from_toml(cls, path: str | Path) -> ProtectionPolicy:
        """Read a policy from a TOML file (keys as the fields; ``[[tiers]]`` tables)."""
        with open(path, "rb") as fh:
            return cls.model_validate(tomllib.load(fh))

    @property
    def max_radius_m(self) -> float:
        """The largest radius of any tier, metres."""
        return max(t.radius_m for t in self.tiers)

    def radius_for_population(self, population: npt.ArrayLike) -> FloatArray:
        """Protection radius, metres, for settlement populations (0: open country)."""
        pop = np.asarray(population, dtype=np.int64)
        out = np.full(pop.shape, np.nan)
        for tier in reversed(self.tiers):  # ascending thresholds: the last match wins
            out[pop >= tier.min_population] = tier.radius_m
        return out

    def radius_for(self, population: int) -> float:
        """Protection radius, metres, for one settlement population (0: open country)."""
        for tier in self.tiers:  # descending thresholds: the first match wins
            if population >= tier.min_population:
                return tier.radius_m
        raise AssertionError("the tiers always include min_population = 0")

    def protects(self, kind: npt.ArrayLike, status: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Whether points of these kinds and statuses are live, i.e. protect their area."""
        return np.isin(np.asarray(kind), self.protecting_kinds) & np.isin(
            np.asarray(status), self.protecting_statuses
        )

    def blocked(self, kind: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Whether candidates of these kinds can be refused by the rule."""
        return np.isin(np.asarray(kind), self.blocked_kinds)


class Neighbour(NamedTuple):
    """A live point or reservation near a candidate: id, exact geodesic distance on WGS84
    from the candidate (m), its own protection radius (m)."""

    point_id: Hashable
    distance_m: float
    radius_m: float


class Decision(NamedTuple):
    """What :func:`decide` says: allowed or not, and the conflicts, nearest first."""

    allowed: bool
    conflicts: list[Conflict]


@overload
def decide_pairs(distance_m: float, radius_m: float, point_radius_m: float) -> bool: ...
@overload
def decide_pairs(
    distance_m: FloatArray, radius_m: FloatArray | float, point_radius_m: FloatArray | float
) -> npt.NDArray[np.bool_]: ...
def decide_pairs(distance_m: Any, radius_m: Any, point_radius_m: Any) -> Any:
    """The competition-protection rule's comparison: the one place it is written.

    A candidate of radius ``r_c`` conflicts with a live point at geodesic distance ``d``
    with radius ``r_p`` when ``d < max(r_p, r_c)``; ``d == r`` is allowed (a NaN distance
    never conflicts). Elementwise on arrays of pairs (returns a bool array) and on plain
    floats (returns a bool) alike.

    Parameters
    ----------
    distance_m : exact WGS84 geodesic distance between candidate and point, metres
    radius_m : the candidate's own protection radius ``r_c``, metres
    point_radius_m : the point's protection radius ``r_p``, metres
    """
    return (distance_m < point_radius_m) | (distance_m < radius_m)


def decide(
    kind: str | None,
    radius_m: float,
    neighbours: Iterable[Neighbour | tuple[Hashable, float, float]],
    policy: ProtectionPolicy,
    *,
    exclude: Collection[Hashable] = (),
) -> Decision:
    """The competition-protection rule for one candidate: the one place it is decided.

    A candidate of radius ``r_c`` conflicts with a neighbour at geodesic distance ``d``
    with radius ``r_p`` when ``d < max(r_p, r_c)`` (``d == r`` is allowed). Candidates of
    a kind the policy does not block are always allowed. Which neighbours are live (kinds,
    statuses, reservations) is the caller's selection: the index holds only live points and
    live reservations; the store reads only those.

    Parameters
    ----------
    kind : the candidate's kind (None: the policy's default kind, which is blocked)
    radius_m : float, the candidate's own protection radius, metres
    neighbours : ``(point_id, distance_m, radius_m)`` of live points near it, distances
        exact on WGS84 (a superset of the conflicts is fine)
    policy : the protection policy
    exclude : ids to ignore (the candidate itself when it is stored already)

    Returns
    -------
    Decision : ``allowed`` and the conflicts, nearest first (ties in the given order)
    """
    if kind is not None and kind not in policy.blocked_kinds:
        return Decision(True, [])
    conflicts = [Conflict(pid, d, r) for pid, d, r in neighbours
                 if decide_pairs(d, radius_m, r)]  # fmt: skip
    if exclude:
        conflicts = [c for c in conflicts if c.point_id not in exclude]
    if len(conflicts) > 1:
        conflicts.sort(key=lambda c: c.distance_m)
    return Decision(not conflicts, conflicts)


def measure(
    lat: float, lon: float, rows: Sequence[tuple[Hashable, float, float, float]]
) -> list[Neighbour]:
    """Neighbours of ``(lat, lon)`` from ``(id, lat, lon, radius_m)`` rows: the exact WGS84
    geodesic distance of each (metres), in the order given."""
    if not rows:
        return []
    d = distance_m(lat, lon, np.array([r[1] for r in rows], dtype=np.float64),
                   np.array([r[2] for r in rows], dtype=np.float64)).tolist()  # fmt: skip
    return [Neighbour(r[0], dk, float(r[3])) for r, dk in zip(rows, d, strict=True)]


@dataclass(frozen=True)
class CheckResult:
    """The decision for one candidate; ``conflicts`` nearest first."""

    allowed: bool
    radius_m: float
    settlement: str | None
    settlement_population: int
    conflicts: list[Conflict]


def _join_segments(ids: npt.NDArray[np.object_], offsets: npt.NDArray[np.int64]) -> list[str]:
    """``";".join(ids[offsets[i]:offsets[i + 1]])`` for every ``i`` (pyarrow's list join
    where it can: 10x the Python loop on 300,000 candidates)."""
    str_ids = [x if isinstance(x, str) else str(x) for x in ids]
    try:
        import pyarrow as pa
        import pyarrow.compute as pc

        lists = pa.ListArray.from_arrays(pa.array(offsets, type=pa.int32()),
                                         pa.array(str_ids, type=pa.string()))  # fmt: skip
        return list(pc.binary_join(lists, ";").to_pylist())
    except (ImportError, OverflowError, ValueError):  # pragma: no cover - pyarrow is a dependency
        return [";".join(str_ids[offsets[i] : offsets[i + 1]]) for i in range(len(offsets) - 1)]


@dataclass(frozen=True)
class BatchCheck:
    """Decisions for many candidates, as arrays of the candidate count.

    ``pairs`` holds the conflicts (query = candidate position), nearest first;
    ``point_ids`` the id of each pair's point.
    """

    allowed: npt.NDArray[np.bool_]
    radius_m: FloatArray
    settlement: npt.NDArray[np.object_]
    settlement_population: npt.NDArray[np.int64]
    pairs: Pairs
    point_ids: npt.NDArray[np.object_]

    def __len__(self) -> int:
        return int(self.allowed.size)

    def result(self, i: int) -> CheckResult:
        """The :class:`CheckResult` of candidate ``i``."""
        lo, hi = np.searchsorted(self.pairs.query, [i, i + 1])
        return CheckResult(
            allowed=bool(self.allowed[i]),
            radius_m=float(self.radius_m[i]),
            settlement=self.settlement[i],
            settlement_population=int(self.settlement_population[i]),
            conflicts=[
                Conflict(
                    self.point_ids[k],
                    float(self.pairs.distance_m[k]),
                    float(self.pairs.point_radius_m[k]),
                )
                for k in range(lo, hi)
            ],  # fmt: skip
        )

    def to_frame(self, ids: Sequence[Hashable]) -> pd.DataFrame:
        """One row per candidate: ``id, allowed, radius_m, settlement,
        settlement_population, n_conflicts, nearest_id, nearest_distance_m,
        conflict_ids`` (ids joined by ``;``, nearest first; ``settlement`` is the
        name the settlement lookup gives, None in open country, where the
        population is 0)."""
        m = len(self)
        off = self.pairs.offsets(m)
        n = np.diff(off)
        has = n > 0
        nearest_id = np.full(m, None, dtype=object)
        nearest_d = np.full(m, np.nan)
        nearest_id[has] = self.point_ids[off[:-1][has]]
        nearest_d[has] = self.pairs.distance_m[off[:-1][has]]
        joined = _join_segments(self.point_ids, off)
        return pd.DataFrame(
            {
                "id": list(ids),
                "allowed": self.allowed,
                "radius_m": self.radius_m,
                "settlement": self.settlement,
                "settlement_population": self.settlement_population,
                "n_conflicts": n,
                "nearest_id": nearest_id,
                "nearest_distance_m": np.round(nearest_d, 3),
                "conflict_ids": joined,
            }
        )


@dataclass(frozen=True)
class AuditResult:
    """Violating pairs of live points: ids, geodesic distance and ``max(r_a, r_b)``."""

    a_id: npt.NDArray[np.object_]
    b_id: npt.NDArray[np.object_]
    distance_m: FloatArray
    radius_m: FloatArray

    def __len__(self) -> int:
        return int(self.a_id.size)

    def to_frame(self) -> pd.DataFrame:
        """``a_id, b_id, distance_m, radius_m``, nearest pairs first."""
        return pd.DataFrame(
            {
                "a_id": self.a_id,
                "b_id": self.b_id,
                "distance_m": np.round(self.distance_m, 3),
                "radius_m": self.radius_m,
            }
        )


class ProtectionNetwork:
    """The live points of a network in an exact index, and the rule applied to them.

    Parameters
    ----------
    policy : the protection policy
    settlements : settlement lookup deciding radii that are not given
    """

    def __init__(self, policy: ProtectionPolicy, settlements: SettlementLookup) -> None:
        self.policy = policy
        self.settlements = settlements
        self.index = PointIndex(cell_m=policy.max_radius_m)

    # ------------------------------------------------------------ radii
    def radius_for(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> FloatArray:
        """Tier radius, metres, at each location (from its settlement)."""
        loc = self.settlements.locate(lat, lon)
        return self.policy.radius_for_population(loc.population)

    def fill_radius(
        self, lat: npt.ArrayLike, lon: npt.ArrayLike, radius_m: npt.ArrayLike | None
    ) -> FloatArray:
        """Given radii where present (finite), tier radii where missing (NaN or None)."""
        la = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        if radius_m is None:
            return self.radius_for(lat, lon)
        r = np.broadcast_to(np.asarray(radius_m, dtype=np.float64), la.shape).copy()
        miss = np.isnan(r)
        if miss.any():
            r[miss] = self.radius_for(la[miss], np.atleast_1d(np.asarray(lon, float))[miss])
        return r

    def live_radii(
        self,
        lat: npt.ArrayLike,
        lon: npt.ArrayLike,
        *,
        radius_m: npt.ArrayLike | None = None,
        kind: npt.ArrayLike | None = None,
        status: npt.ArrayLike | None = None,
    ) -> FloatArray:
        """The protection radius, metres, of each point that protects; NaN for the others.

        A point protects when its kind and status do (:meth:`ProtectionPolicy.protects`;
        missing: the policy's defaults). Its radius is the given one where finite,
        otherwise its settlement's tier, as in :meth:`add_points`.
        """
        la = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        lo = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        k = np.broadcast_to(np.asarray(kind if kind is not None else self.policy.default_kind),
                            la.shape)  # fmt: skip
        s = np.broadcast_to(
            np.asarray(status if status is not None else self.policy.default_status), la.shape
        )
        live = self.policy.protects(k, s)
        out = np.full(la.shape, np.nan)
        if live.any():
            given = None
            if radius_m is not None:
                given = np.broadcast_to(np.asarray(radius_m, dtype=np.float64), la.shape)[live]
            out[live] = self.fill_radius(la[live], lo[live], given)
        return out

    # ------------------------------------------------------------ the network
    def add_points(
        self,
        ids: Sequence[Hashable],
        lat: npt.ArrayLike,
        lon: npt.ArrayLike,
        *,
        radius_m: npt.ArrayLike | None = None,
        kind: npt.ArrayLike | None = None,
        status: npt.ArrayLike | None = None,
    ) -> FloatArray:
        """Add points; the live ones (protecting kind and status) enter the index.

        Returns the radius of every point, metres (given, or from its settlement).
        """
        la = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        lo = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        r = self.fill_radius(la, lo, radius_m)
        k = np.broadcast_to(np.asarray(kind if kind is not None else self.policy.default_kind),
                            la.shape)  # fmt: skip
        s = np.broadcast_to(
            np.asarray(status if status is not None else self.policy.default_status), la.shape
        )
        live = self.policy.protects(k, s)
        idx = np.flatnonzero(live)
        # a bulk load rebuilds the grid at once; single inserts wait in the pending buffer
        self.index.insert_many(
            [ids[i] for i in idx.tolist()], la[idx], lo[idx], r[idx], merge=idx.size > 1000
        )
        return r

    def remove_point(self, point_id: Hashable) -> None:
        """Remove a live point from the index (closed, deleted); ``KeyError`` if not live."""
        self.index.delete(point_id)

    # ------------------------------------------------------------ checks
    def check_batch(
        self,
        lat: npt.ArrayLike,
        lon: npt.ArrayLike,
        *,
        kind: npt.ArrayLike | None = None,
        radius_m: npt.ArrayLike | None = None,
        exclude: Hashable | None = None,
        all_distances: bool = True,
    ) -> BatchCheck:
        """Decide many candidates at once.

        Parameters
        ----------
        lat, lon : WGS84 degrees
        kind : kind of each candidate (default: the policy's default kind)
        radius_m : the candidates' own radii, metres; NaN or None: from the tiers
        exclude : a point id to ignore (a point checked against the others)
        all_distances : True: the geodesic of every conflict. False: only each
            candidate's nearest conflict carries the geodesic, the others the 3-D chord
            (shorter by less than ``s**3 / (24 rho**2)``, 3e-5 m at 3 km); decisions
            and the order of the conflicts are the same (for outputs that report only
            the nearest conflict's distance, such as ``pvz check``)
        """
        loc = self.settlements.locate(lat, lon)
        la = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        lo = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        r = self.policy.radius_for_population(loc.population)
        if radius_m is not None:
            given = np.broadcast_to(np.asarray(radius_m, dtype=np.float64), la.shape)
            r = np.where(np.isnan(given), r, given)
        k = np.broadcast_to(np.asarray(kind if kind is not None else self.policy.default_kind),
                            la.shape)  # fmt: skip
        blocked = np.flatnonzero(self.policy.blocked(k))
        rb = r[blocked]
        sub = self.index.query_reach(la[blocked], lo[blocked], rb,
                                     distances=True if all_distances else "chord")  # fmt: skip
        ids = self.index.ids_of(sub.slot)
        hit = decide_pairs(sub.distance_m, rb[sub.query], sub.point_radius_m)
        if exclude is not None:
            hit &= ids != exclude
        if not hit.all():
            sub = Pairs(sub.query[hit], sub.slot[hit], sub.distance_m[hit], sub.radius_m[hit],
                        sub.point_radius_m[hit])  # fmt: skip
            ids = ids[hit]
        if not all_distances and sub.query.size:  # the nearest conflict's geodesic
            first = np.flatnonzero(np.r_[True, sub.query[1:] != sub.query[:-1]])
            plat, plon, _ = self.index.coords(sub.slot[first])
            q = blocked[sub.query[first]]
            sub.distance_m[first] = distance_m(la[q], lo[q], plat, plon)
        pairs = Pairs(blocked[sub.query], sub.slot, sub.distance_m, sub.radius_m,
                      sub.point_radius_m)  # fmt: skip
        allowed = np.ones(la.size, dtype=bool)
        allowed[pairs.query] = False
        return BatchCheck(allowed, r, loc.name, loc.population, pairs, ids)

    def check(
        self,
        lat: float,
        lon: float,
        *,
        kind: str | None = None,
        radius_m: float | None = None,
        exclude: Hashable | None = None,
    ) -> CheckResult:
        """Decide one candidate: allowed or not, its radius, settlement and conflicts.

        Same answer as ``check_batch`` on one candidate, with less overhead.
        """
        _, population, settlement = self.settlements.locate_point(lat, lon)
        if radius_m is None or math.isnan(radius_m):
            radius_m = self.policy.radius_for(population)
        near: Iterable[tuple[Hashable, float, float]] = ()
        if kind is None or kind in self.policy.blocked_kinds:  # else no need to look
            id_of = self.index.id_of
            rows = self.index.query_point_rows(lat, lon, radius_m)
            near = [(id_of(slot), d, prad) for d, slot, _, prad in rows] if rows else ()
        allowed, conflicts = decide(kind, radius_m, near, self.policy,
                                    exclude=() if exclude is None else (exclude,))  # fmt: skip
        return CheckResult(
            allowed=allowed,
            radius_m=float(radius_m),
            settlement=settlement,
            settlement_population=population,
            conflicts=conflicts,
        )

    def audit(self) -> AuditResult:
        """Every pair of live points closer than ``max(r_a, r_b)``, nearest first."""
        p = self.index.self_pairs(reach=True)
        _, _, r_a = self.index.coords(p.query)
        hit = decide_pairs(p.distance_m, r_a, p.point_radius_m)
        order = np.lexsort((p.slot[hit], p.query[hit], p.distance_m[hit]))
        p = Pairs(p.query[hit], p.slot[hit], p.distance_m[hit], p.radius_m[hit],
                  p.point_radius_m[hit])  # fmt: skip
        return AuditResult(
            self.index.ids_of(p.query[order]),
            self.index.ids_of(p.slot[order]),
            p.distance_m[order],
            p.radius_m[order],
        )
