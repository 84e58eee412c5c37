"""Candidate scoring: a Huff gravity model of demand, calibrated to observed turnover.

The model (Huff 1963, with an outside option):

* demand cell ``i`` (weight ``w_i``, people or orders) uses pickup point ``j``
  with probability ``P_ij = A_j f(d_ij) / (alpha + sum_k A_k f(d_ik))``;
  ``alpha`` (``outside``) is the pull of everything outside the network
  (competitors, home delivery), so a new point both wins new demand and takes
  share from its neighbours;
* ``d_ij`` is the WGS84 geodesic distance, metres, found exactly by
  :class:`geo.index.PointIndex`; ``f(d) = 0`` at and beyond ``reach_m``;
* decay ``f``: ``power``: ``(1 + d / d0_m) ** -beta``; ``exponential``:
  ``exp(-d / scale_m)`` (both 1 at ``d = 0``);
* attractiveness from what the partner programme says drives turnover (area,
  waiting zone, fitting rooms, service quality), multiplicative power form::

      A = (area_m2 / 40) ** w_area * 2 ** (w_waiting * waiting_zone)
          * (1 + fitting_rooms) ** w_fitting * (rating / 5) ** w_rating

  Missing features take :data:`FEATURE_DEFAULTS` (A = 0.9 ** w_rating);
* expected monthly turnover of point ``j``: ``spend_rub * sum_i w_i P_ij``,
  ``spend_rub`` being the monthly turnover per demand unit that uses the network.

:func:`calibrate` fits the decay parameter, the four attractiveness weights and
``spend_rub`` to observed monthly turnover (``scipy.optimize.least_squares``)
and reports R^2. :meth:`HuffModel.score` scores many candidates at once, each
against the existing network alone: expected turnover, expected reward, new
demand won, cannibalization of every existing point within reach, the net gain
for the network, and the protection decision (blocked candidates are kept and
reported with their nearest blocker).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.index import PointIndex
from planning.demand import Demand
from planning.protection import ProtectionNetwork, ProtectionPolicy

__all__ = [
    "FEATURES",
    "FEATURE_DEFAULTS",
    "AttractivenessWeights",
    "Calibration",
    "CandidateScores",
    "HuffModel",
    "HuffParams",
    "attractiveness",
    "calibrate",
    "decay",
    "default_reward_rate",
    "features_from_frame",
    "reach_pairs",
    "served_points",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _sum_by(index: npt.ArrayLike, *, weights: npt.ArrayLike, minlength: int) -> FloatArray:
    """``numpy.bincount`` with weights, typed as float64."""
    return np.asarray(np.bincount(index, weights=weights, minlength=minlength), dtype=np.float64)


#: feature columns, in the order of the feature matrix
FEATURES = ("area_m2", "waiting_zone", "fitting_rooms", "rating")
#: value used where a feature is missing
FEATURE_DEFAULTS = {"area_m2": 40.0, "waiting_zone": 0.0, "fitting_rooms": 0.0, "rating": 4.5}


def default_reward_rate() -> float:
    """The reward as a share of turnover: the rewards engine's default rate, else 5 %.

    The per-item cap (250 RUB for items priced 5,000 RUB and above) and the
    double rate of the first three months are not applied: this is the
    steady-state rate on turnover.
    """
    try:
        from planning.rewards.policy import default_policy
    except ImportError:  # the rewards engine has not landed
        return 0.05
    return float(default_policy().rate_percent) / 100.0


@dataclass(frozen=True)
class AttractivenessWeights:
    """Exponents of the attractiveness factors (see the module docstring)."""

    area: float = 0.5
    waiting_zone: float = 0.3
    fitting_rooms: float = 0.15
    rating: float = 2.0

    def as_array(self) -> FloatArray:
        """The weights as ``[area, waiting_zone, fitting_rooms, rating]``."""
        return np.array([self.area, self.waiting_zone, self.fitting_rooms, self.rating])


@dataclass(frozen=True)
class HuffParams:
    """Parameters of the Huff model.

    Attributes
    ----------
    decay : ``"power"`` or ``"exponential"``
    beta : power-decay exponent (dimensionless)
    d0_m : power-decay distance offset, metres
    scale_m : exponential-decay length, metres
    reach_m : distance cutoff, metres; ``f(d) = 0`` for ``d >= reach_m``
    outside : attraction of the outside option (same units as ``A f``)
    spend_rub : monthly turnover per demand unit using the network, RUB
    weights : attractiveness exponents
    """

    decay: Literal["power", "exponential"] = "power"
    beta: float = 2.0
    d0_m: float = 300.0
    scale_m: float = 600.0
    reach_m: float = 3000.0
    outside: float = 0.5
    spend_rub: float = 250.0
    weights: AttractivenessWeights = field(default_factory=AttractivenessWeights)

    def __post_init__(self) -> None:
        if self.decay not in ("power", "exponential"):
            raise ValueError(f"decay must be 'power' or 'exponential', got {self.decay!r}")
        for name in ("beta", "d0_m", "scale_m", "reach_m", "spend_rub"):
            v = getattr(self, name)
            if not (np.isfinite(v) and v > 0):
                raise ValueError(f"{name} must be a positive number, got {v}")
        if not (np.isfinite(self.outside) and self.outside >= 0):
            raise ValueError(f"outside must be >= 0, got {self.outside}")
        if self.reach_m > 50_000:
            raise ValueError(f"reach_m must be at most 50,000 m, got {self.reach_m}")


def decay(distance_m: npt.ArrayLike, params: HuffParams) -> FloatArray:
    """Distance decay ``f(d)`` (1 at 0, 0 at and beyond ``reach_m``); ``d`` in metres."""
    d = np.asarray(distance_m, dtype=np.float64)
    if params.decay == "power":
        f = (1.0 + d / params.d0_m) ** -params.beta
    else:
        f = np.exp(-d / params.scale_m)
    return np.where(d < params.reach_m, f, 0.0)


def _log_features(features: FloatArray) -> FloatArray:
    x = np.asarray(features, dtype=np.float64).reshape(-1, 4)
    return np.column_stack(
        [
            # log(x) - log(ref), not log(x / ref): a tiny positive area (5e-324 m2)
            # must not underflow to log(0)
            np.log(x[:, 0]) - np.log(40.0),
            np.log(2.0) * x[:, 1],
            np.log1p(x[:, 2]),
            np.log(x[:, 3]) - np.log(5.0),
        ]
    )


def attractiveness(features: npt.ArrayLike, weights: AttractivenessWeights) -> FloatArray:
    """Attractiveness ``A`` of each row of an ``(n, 4)`` feature matrix (see :data:`FEATURES`)."""
    return np.asarray(np.exp(_log_features(np.asarray(features)) @ weights.as_array()))


def features_from_frame(df: pd.DataFrame) -> FloatArray:
    """The ``(n, 4)`` feature matrix of a table; missing columns or values take the defaults.

    ``waiting_zone`` accepts booleans, 0/1 and ``true``/``false``/``yes``/``no``.
    Raises ``ValueError`` on a non-positive area or rating or a negative room count.
    """
    out = np.empty((len(df), 4))
    for k, name in enumerate(FEATURES):
        if name not in df.columns:
            out[:, k] = FEATURE_DEFAULTS[name]
            continue
        col = df[name]
        if name == "waiting_zone" and not pd.api.types.is_numeric_dtype(col):
            low = col.astype(str).str.strip().str.lower()
            col = low.map({"true": 1.0, "yes": 1.0, "1": 1.0, "false": 0.0, "no": 0.0, "0": 0.0,
                           "": np.nan, "none": np.nan, "nan": np.nan})  # fmt: skip
        vals = pd.to_numeric(col, errors="coerce").to_numpy(dtype=np.float64)
        vals = np.where(np.isfinite(vals), vals, FEATURE_DEFAULTS[name])
        out[:, k] = vals
    if (out[:, 0] <= 0).any() or (out[:, 3] <= 0).any() or (out[:, 2] < 0).any():
        raise ValueError("area_m2 and rating must be positive and fitting_rooms >= 0")
    return out


def reach_pairs(
    demand: Demand,
    lat: npt.ArrayLike,
    lon: npt.ArrayLike,
    reach_m: float,
    *,
    distances: bool | Literal["chord"] = "chord",
) -> tuple[IntArray, IntArray, FloatArray]:
    """All (site, demand) pairs with geodesic distance below ``reach_m``.

    Returns ``site, cell, distance_m`` arrays sorted by site then distance. Which
    pairs is decided exactly on WGS84 (:class:`geo.index.PointIndex`); the distance
    of each pair is, by ``distances``, the straight chord (the default: within
    3e-5 m of the geodesic at 3 km, plenty for a decay model, and several times
    faster), the geodesic (True), or not computed (False: NaN where the chord
    decided).
    """
    la = np.atleast_1d(np.asarray(lat, dtype=np.float64))
    if len(demand) == 0 or la.size == 0:
        e = np.empty(0, dtype=np.int64)
        return e, e.copy(), np.empty(0)
    index = PointIndex.from_points(
        range(len(demand)), demand.lat, demand.lon, 0.0,
        cell_m=max(reach_m, 10.0), max_radius_m=max(reach_m, 50_000.0),
    )  # fmt: skip
    pairs = index.query(la, lon, reach_m, distances=distances)
    return pairs.query, pairs.slot, pairs.distance_m


@dataclass(frozen=True)
class CandidateScores:
    """Scores of a batch of candidates (arrays of the batch length), monthly, RUB.

    Attributes
    ----------
    attractiveness : ``A`` of each candidate
    demand_in_reach : demand units within ``reach_m``
    captured_demand : demand units expected to use the candidate, ``sum_i w_i P_ic``
    turnover_rub : expected monthly turnover of the candidate
    new_demand_rub : part of it won from outside the network
    cannibalized_rub : part of it taken from existing points (sum of the losses)
    net_gain_rub : change in the network's turnover (= ``new_demand_rub``)
    reward_rub : expected monthly reward, ``reward_rate * turnover_rub``
    reward_rate : share of turnover paid as reward
    allowed : protection decision (True when no network was given)
    radius_m : the candidate's protection radius, metres (NaN without a network)
    blocker_id, blocker_distance_m : nearest blocking point and its geodesic
        distance, metres (None / NaN when allowed)
    cannibalization : frame ``candidate, point_id, loss_rub, loss_share`` (one
        row per candidate and existing point within reach that loses turnover;
        ``candidate`` is the position in the batch)
    """

    attractiveness: FloatArray
    demand_in_reach: FloatArray
    captured_demand: FloatArray
    turnover_rub: FloatArray
    new_demand_rub: FloatArray
    cannibalized_rub: FloatArray
    net_gain_rub: FloatArray
    reward_rub: FloatArray
    reward_rate: float
    allowed: npt.NDArray[np.bool_]
    radius_m: FloatArray
    blocker_id: npt.NDArray[np.object_]
    blocker_distance_m: FloatArray
    cannibalization: pd.DataFrame

    def __len__(self) -> int:
        return int(self.turnover_rub.size)

    def to_frame(self, ids: Sequence[Hashable], *, top_losers: int = 5) -> pd.DataFrame:
        """One row per candidate; ``cannibalized_points``: ``id:loss_rub`` of the largest losers."""
        can = self.cannibalization
        text = np.full(len(self), "", dtype=object)
        if len(can):
            top = can.sort_values(["candidate", "loss_rub"], ascending=[True, False])
            top = top.groupby("candidate", sort=False).head(top_losers)
            joined = (top["point_id"].astype(str) + ":" + top["loss_rub"].round(0).astype(int)
                      .astype(str)).groupby(top["candidate"]).agg(";".join)  # fmt: skip
            text[joined.index.to_numpy()] = joined.to_numpy()
        return pd.DataFrame(
            {
                "id": list(ids),
                "allowed": self.allowed,
                "radius_m": self.radius_m,
                "blocker_id": self.blocker_id,
                "blocker_distance_m": np.round(self.blocker_distance_m, 2),
                "attractiveness": np.round(self.attractiveness, 4),
                "demand_in_reach": np.round(self.demand_in_reach, 2),
                "captured_demand": np.round(self.captured_demand, 2),
                "turnover_rub": np.round(self.turnover_rub, 2),
                "new_demand_rub": np.round(self.new_demand_rub, 2),
                "cannibalized_rub": np.round(self.cannibalized_rub, 2),
                "net_gain_rub": np.round(self.net_gain_rub, 2),
                "reward_rub": np.round(self.reward_rub, 2),
                "cannibalized_points": text,
            }
        )

    def explain(self, i: int, *, point_ids: Sequence[Hashable] | None = None) -> str:
        """The score of candidate ``i``, term by term, as text."""
        lines = [
            f"attractiveness A = {self.attractiveness[i]:.3f}",
            f"demand within reach: {self.demand_in_reach[i]:,.1f}",
            f"captured demand (sum w_i P_ic): {self.captured_demand[i]:,.1f}",
            f"expected monthly turnover: {self.turnover_rub[i]:,.0f} RUB",
            f"  won from outside the network: {self.new_demand_rub[i]:,.0f} RUB",
            f"  taken from existing points: {self.cannibalized_rub[i]:,.0f} RUB",
        ]
        can = self.cannibalization[self.cannibalization["candidate"] == i]
        for row in can.sort_values("loss_rub", ascending=False).itertuples():
            lines.append(f"    {row.point_id}: -{row.loss_rub:,.0f} RUB ({row.loss_share:.1%})")
        lines += [
            f"net gain for the network: {self.net_gain_rub[i]:,.0f} RUB",
            f"expected monthly reward ({self.reward_rate:.1%}): {self.reward_rub[i]:,.0f} RUB",
        ]
        if self.allowed[i]:
            lines.append("protection: allowed")
        else:
            lines.append(
                f"protection: blocked by {self.blocker_id[i]} at "
                f"{self.blocker_distance_m[i]:.1f} m (radius {self.radius_m[i]:g} m)"
            )
        return "\n".join(lines)


class HuffModel:
    """A Huff model of an existing network over a demand surface.

    Parameters
    ----------
    demand : the demand cells or points
    lat, lon : WGS84 degrees of the existing points
    features : ``(n, 4)`` feature matrix (:data:`FEATURES`), or None for defaults
    point_ids : identifiers of the existing points (default: positions)
    params : model parameters
    """

    def __init__(
        self,
        demand: Demand,
        lat: npt.ArrayLike,
        lon: npt.ArrayLike,
        *,
        features: npt.ArrayLike | None = None,
        point_ids: Sequence[Hashable] | None = None,
        params: HuffParams | None = None,
    ) -> None:
        self.demand = demand
        self.params = params or HuffParams()
        self.lat = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        self.lon = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        n = self.lat.size
        if features is None:
            feats = np.tile([FEATURE_DEFAULTS[f] for f in FEATURES], (n, 1))
        else:
            feats = np.asarray(features, dtype=np.float64).reshape(n, 4)
        self.features = feats
        self.point_ids = np.asarray(list(point_ids) if point_ids is not None else range(n),
                                    dtype=object)  # fmt: skip
        self.pj, self.pi, self.pd = reach_pairs(demand, self.lat, self.lon, self.params.reach_m)
        self._refresh()

    @classmethod
    def from_frame(
        cls, demand: Demand, points: pd.DataFrame, *, params: HuffParams | None = None
    ) -> HuffModel:
        """Build from a points table (``id, lat, lon`` and optional feature columns)."""
        return cls(
            demand, points["lat"].to_numpy(float), points["lon"].to_numpy(float),
            features=features_from_frame(points), point_ids=points["id"].tolist(), params=params,
        )  # fmt: skip

    def with_params(self, params: HuffParams) -> HuffModel:
        """The same network with other parameters (pairs reused when the reach is unchanged)."""
        new = object.__new__(HuffModel)
        new.__dict__.update(self.__dict__)
        new.params = params
        if params.reach_m != self.params.reach_m:
            new.pj, new.pi, new.pd = reach_pairs(self.demand, self.lat, self.lon, params.reach_m)
        new._refresh()
        return new

    def without(self, drop: npt.ArrayLike) -> HuffModel:
        """The same demand and parameters with the points where ``drop`` is True removed.

        ``drop``: boolean array over the points. The network pairs are filtered, not
        recomputed, so this is cheap (cross-validation removes a fold of points at a time).
        """
        gone = np.asarray(drop, dtype=bool).reshape(self.lat.size)
        keep = ~gone
        new_pos = np.cumsum(keep) - 1
        on = keep[self.pj]
        new = object.__new__(HuffModel)
        new.__dict__.update(self.__dict__)
        new.lat, new.lon = self.lat[keep], self.lon[keep]
        new.features, new.point_ids = self.features[keep], self.point_ids[keep]
        new.pj, new.pi, new.pd = new_pos[self.pj[on]], self.pi[on], self.pd[on]
        new._refresh()
        return new

    def _refresh(self) -> None:
        p = self.params
        self.A = attractiveness(self.features, p.weights)
        self.pf = decay(self.pd, p)
        self.D = p.outside + _sum_by(self.pi, weights=self.A[self.pj] * self.pf,
                                         minlength=len(self.demand))  # fmt: skip

    # ------------------------------------------------------------------ the network
    def probabilities(self) -> tuple[IntArray, IntArray, FloatArray]:
        """Sparse ``P_ij``: arrays ``point, cell, probability`` (pairs within reach)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            prob = self.A[self.pj] * self.pf / self.D[self.pi]
        return self.pj, self.pi, np.nan_to_num(prob)

    def turnover(self) -> FloatArray:
        """Expected monthly turnover of every existing point, RUB."""
        j, i, prob = self.probabilities()
        return self.params.spend_rub * _sum_by(
            j, weights=self.demand.weight[i] * prob, minlength=self.lat.size
        )

    # ------------------------------------------------------------------ candidates
    def score(
        self,
        lat: npt.ArrayLike,
        lon: npt.ArrayLike,
        *,
        features: npt.ArrayLike | None = None,
        network: ProtectionNetwork | None = None,
        kind: npt.ArrayLike | None = None,
        radius_m: npt.ArrayLike | None = None,
        reward_rate: float | None = None,
        detail: bool = True,
        chunk_size: int = 50_000,
    ) -> CandidateScores:
        """Score candidates, each against the existing network alone.

        Parameters
        ----------
        lat, lon : WGS84 degrees of the candidates
        features : ``(n, 4)`` feature matrix, or None for the defaults
        network : the protection network; when given, each candidate gets the
            protection decision (blocked ones are scored and reported, not dropped)
        kind, radius_m : the candidates' kinds and own radii, metres (for the check)
        reward_rate : share of turnover paid as reward (default :func:`default_reward_rate`)
        detail : compute the per-point cannibalization table (False: totals only,
            for national batches)
        chunk_size : candidates scored at a time (bounds the memory of the pairs)
        """
        p = self.params
        la = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        lo = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        n = la.size
        if features is None:
            feats = np.tile([FEATURE_DEFAULTS[f] for f in FEATURES], (n, 1))
        else:
            feats = np.asarray(features, dtype=np.float64).reshape(n, 4)
        a = attractiveness(feats, p.weights)
        reach = np.zeros(n)
        captured = np.zeros(n)
        new_units = np.zeros(n)
        parts: list[pd.DataFrame] = []
        step = max(int(chunk_size), 1)
        for lo_i in range(0, n, step):
            sl = slice(lo_i, min(lo_i + step, n))
            r_, c_, nu_, can_ = self._score_chunk(la[sl], lo[sl], a[sl], detail=detail)
            reach[sl], captured[sl], new_units[sl] = r_, c_, nu_
            if detail and len(can_):
                can_["candidate"] += lo_i
                parts.append(can_)
        turnover = p.spend_rub * captured
        new_rub = p.spend_rub * new_units
        can = pd.concat(parts, ignore_index=True) if parts else _empty_cannibalization()
        rate = default_reward_rate() if reward_rate is None else float(reward_rate)
        allowed = np.ones(n, dtype=bool)
        radius = np.full(n, np.nan)
        blocker = np.full(n, None, dtype=object)
        blocker_d = np.full(n, np.nan)
        if network is not None:
            chk = network.check_batch(la, lo, kind=kind, radius_m=radius_m)
            allowed, radius = chk.allowed, chk.radius_m
            q = chk.pairs.query
            if q.size:
                first = np.r_[True, q[1:] != q[:-1]]  # pairs sorted by query, then distance
                blocker[q[first]] = chk.point_ids[first]
                blocker_d[q[first]] = chk.pairs.distance_m[first]
        return CandidateScores(
            attractiveness=a,
            demand_in_reach=reach,
            captured_demand=captured,
            turnover_rub=turnover,
            new_demand_rub=new_rub,
            cannibalized_rub=turnover - new_rub,
            net_gain_rub=new_rub,
            reward_rub=rate * turnover,
            reward_rate=rate,
            allowed=allowed,
            radius_m=radius,
            blocker_id=blocker,
            blocker_distance_m=blocker_d,
            cannibalization=can,
        )

    def _score_chunk(
        self, la: FloatArray, lo: FloatArray, a: FloatArray, *, detail: bool
    ) -> tuple[FloatArray, FloatArray, FloatArray, pd.DataFrame]:
        """Demand in reach, captured demand, demand won from outside, cannibalization table."""
        p = self.params
        n = la.size
        c, i, d = reach_pairs(self.demand, la, lo, p.reach_m)
        w = self.demand.weight[i]
        g = a[c] * decay(d, p)
        big_d = self.D[i]
        inside = big_d - p.outside  # sum of A_k f_ik over the existing points
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(g > 0, g / (big_d + g), 0.0)
            # share of cell i taken from existing points, per unit of A_j f_ij
            factor = np.where((g > 0) & (inside > 0), g / (big_d * (big_d + g)), 0.0)
        from_outside = share - factor * inside
        reach = _sum_by(c, weights=w, minlength=n)
        captured = _sum_by(c, weights=w * share, minlength=n)
        new_units = _sum_by(c, weights=w * from_outside, minlength=n)
        can = self._cannibalization(c, i, w * factor) if detail else _empty_cannibalization()
        return reach, captured, new_units, can

    def _cannibalization(self, c: IntArray, i: IntArray, wfac: FloatArray) -> pd.DataFrame:
        """Loss of each existing point: ``spend * sum_i w_i A_j f_ij g_ic / (D_i (D_i + g_ic))``.

        One sparse product, (candidate x cell) weights times (cell x point) ``A_j f_ij``:
        scipy accumulates each candidate's row in C without expanding every
        (candidate, cell, point) triple (which took 30 s and gigabytes at 250,000 points).
        """
        from scipy import sparse

        keep = wfac > 0
        c, i, wfac = c[keep], i[keep], wfac[keep]
        if not c.size or not self.pj.size:
            return _empty_cannibalization()
        n_cand, n_cells, n_points = int(c.max()) + 1, len(self.demand), self.A.size
        by_cand = sparse.csr_array((wfac, (c, i)), shape=(n_cand, n_cells))
        af = sparse.csr_array((self.A[self.pj] * self.pf, (self.pi, self.pj)),
                              shape=(n_cells, n_points))  # fmt: skip
        csr = sparse.csr_array(by_cand @ af)
        csr.sum_duplicates()  # canonical: sorted by candidate, then point
        cand = np.repeat(np.arange(n_cand, dtype=np.int64), np.diff(csr.indptr))
        jj = csr.indices.astype(np.int64)
        lost = self.params.spend_rub * csr.data
        pos_loss = lost > 0
        cand, jj, lost = cand[pos_loss], jj[pos_loss], lost[pos_loss]
        if not cand.size:
            return _empty_cannibalization()
        base = self.turnover()
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(base[jj] > 0, lost / base[jj], 0.0)
        return pd.DataFrame(
            {
                "candidate": cand,
                "point_id": self.point_ids[jj],
                "loss_rub": lost,
                "loss_share": share,
            }
        )


def _empty_cannibalization() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "candidate": np.empty(0, np.int64),
            "point_id": np.empty(0, dtype=object),
            "loss_rub": np.empty(0),
            "loss_share": np.empty(0),
        }
    )


# ---------------------------------------------------------------------- calibration
@dataclass(frozen=True)
class Calibration:
    """Result of :func:`calibrate`.

    Attributes
    ----------
    params : the fitted parameters
    r2 : coefficient of determination of predicted vs observed turnover
    rmse_rub : root-mean-square error, RUB per month
    n_points : points used in the fit
    success : the optimizer's convergence flag
    message : the optimizer's message
    """

    params: HuffParams
    r2: float
    rmse_rub: float
    n_points: int
    success: bool
    message: str


def calibrate(
    model: HuffModel,
    turnover_rub: npt.ArrayLike,
    *,
    fit_decay: bool = True,
    fit_weights: bool = True,
    fit_spend: bool = True,
    loss: Literal["linear", "log"] = "linear",
    offset_rub: float = 0.0,
    ftol: float = 1e-8,
) -> Calibration:
    """Fit the decay, attractiveness weights and spend to observed monthly turnover.

    Least squares on the relative residuals ``(T_hat - T) / mean(T)`` over the
    points with a finite observed turnover (``scipy.optimize.least_squares``,
    trust-region reflective, decay and spend fitted in log space).

    Parameters
    ----------
    model : the network and demand (its parameters are the starting point)
    turnover_rub : observed monthly turnover of each existing point, RUB (NaN: unknown)
    loss : ``"linear"``: residuals ``(T_hat - T) / mean(T)`` (large points weigh most);
        ``"log"``: ``log((T_hat + c) / (T + c))`` with ``c = offset_rub`` (every point
        weighs the same in relative terms: what a forecast's percentage error measures)
    offset_rub : ``c`` of the log loss, RUB (> 0 when some observed turnover is 0)
    ftol : relative tolerance of the cost and the parameters (the optimizer stops below it)

    Returns
    -------
    Calibration with the fitted parameters and R^2 on the points used.
    """
    from scipy.optimize import least_squares

    obs = np.asarray(turnover_rub, dtype=np.float64)
    if obs.shape != model.lat.shape:
        raise ValueError(f"{obs.size} turnovers for {model.lat.size} points")
    known = np.isfinite(obs)
    if known.sum() < 3:
        raise ValueError("calibration needs observed turnover for at least 3 points")
    p0 = model.params
    lf = _log_features(model.features)
    scale = float(np.mean(np.abs(obs[known]))) or 1.0
    dec0 = p0.beta if p0.decay == "power" else p0.scale_m
    x0 = np.r_[np.log(dec0), p0.weights.as_array(), np.log(p0.spend_rub)]
    free = np.r_[fit_decay, [fit_weights] * 4, fit_spend]

    def unpack(xf: FloatArray) -> FloatArray:
        x = x0.copy()
        x[free] = xf
        return x

    from planning._huff import huff_turnover

    # the pairs within reach, and per pair, computed once: f = exp(-dec * base) for the power
    # decay (base = log(1 + d/d0): the same as (1 + d/d0) ** -dec), exp(base / dec) for the
    # exponential (base = -d); the compiled loop sums the Huff shares (planning/_huff.py)
    inside = model.pd < p0.reach_m
    pj = np.ascontiguousarray(model.pj[inside], dtype=np.int64)
    pi = np.ascontiguousarray(model.pi[inside], dtype=np.int64)
    pd_in = model.pd[inside]
    base = np.log1p(pd_in / p0.d0_m) if p0.decay == "power" else -pd_in
    w_cell = np.ascontiguousarray(model.demand.weight, dtype=np.float64)

    def predict(x: FloatArray) -> FloatArray:
        a = np.exp(lf @ x[1:5])
        return np.exp(x[5]) * huff_turnover(pj, pi, base, a, w_cell, n_points=model.lat.size,
                                            dec=float(np.exp(x[0])),
                                            power=p0.decay == "power",
                                            outside=p0.outside)  # fmt: skip

    if loss == "log":
        if not (offset_rub > 0 or (obs[known] > 0).all()):
            raise ValueError("the log loss needs offset_rub > 0 when a turnover is 0")
        log_obs = np.log(obs[known] + offset_rub)

        def residuals(xf: FloatArray) -> FloatArray:
            return np.asarray(np.log(predict(unpack(xf))[known] + offset_rub) - log_obs)
    else:

        def residuals(xf: FloatArray) -> FloatArray:
            return np.asarray((predict(unpack(xf))[known] - obs[known]) / scale)

    if free.any():
        res = least_squares(residuals, x0[free], method="trf", x_scale=1.0, max_nfev=500,
                            ftol=ftol, xtol=ftol)  # fmt: skip
        x, ok, msg = unpack(res.x), bool(res.success), str(res.message)
    else:
        x, ok, msg = x0, True, "nothing to fit"
    pred = predict(x)[known]
    ss_res = float(np.sum((pred - obs[known]) ** 2))
    ss_tot = float(np.sum((obs[known] - obs[known].mean()) ** 2))
    weights = AttractivenessWeights(*(float(v) for v in x[1:5]))
    if p0.decay == "power":
        params = dataclasses.replace(p0, beta=float(np.exp(x[0])), weights=weights,
                                     spend_rub=float(np.exp(x[5])))  # fmt: skip
    else:
        params = dataclasses.replace(p0, scale_m=float(np.exp(x[0])), weights=weights,
                                     spend_rub=float(np.exp(x[5])))  # fmt: skip
    return Calibration(
        params=params,
        r2=1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan"),
        rmse_rub=float(np.sqrt(ss_res / known.sum())),
        n_points=int(known.sum()),
        success=ok,
        message=msg,
    )


def served_points(points: pd.DataFrame, policy: ProtectionPolicy) -> pd.DataFrame:
    """The points that serve customers: any kind, status not closed.

    A point serves when its status is one of the policy's protecting statuses
    (a missing status counts as the policy's default); without a ``status``
    column every point serves. The index is reset.
    """
    if "status" not in points:
        return points.reset_index(drop=True)
    status = points["status"].fillna(policy.default_status)
    return points[status.isin(policy.protecting_statuses)].reset_index(drop=True)
