"""The service's planning models: a Huff model of the live network, white space and site selection.

One :class:`NetworkModel` per :class:`~api.service.Service` (:func:`network_model`).
Demand is the bundled settlements' population spread over H3 cells
(:func:`planning.demand.settlement_demand`), built once on first use. The Huff
model is built lazily from the stored points that serve customers (any kind,
status not closed, with their features), with the parameters of the latest stored
calibration (:meth:`NetworkModel.calibrate`, on the stored orders) or, before the
first one, the default :class:`~planning.scoring.HuffParams`; its
:attr:`NetworkModel.forecaster` says which and gives the 80 % ranges.

Refresh policy: the model is rebuilt when a point changed since it was built
or a calibration was stored (an ``entity == "point"`` or ``"model"`` entry handed on by
the service's change feed, :mod:`api.services.changes`, after it was built) *and* it is at
least ``refresh_s`` seconds old (default 30 s). Expected turnover may thus lag the network
by up to ``refresh_s`` (plus the feed's ``sync_interval_s`` for another worker's write); a
burst of writes causes one rebuild, not one per write. Application entries do not rebuild it
(reservations are not open points). The protection decision is never cached:
it always comes from the service's live index (points and reservations).
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal
from weakref import WeakKeyDictionary

import numpy as np
import numpy.typing as npt
import pandas as pd

from api.loaders import reward_rate
from api.service import ApplicationScore, Service
from api.services.forecast import Forecaster, calibrate_network
from data.bbox import in_bbox
from data.errors import InputError
from data.places import load_places
from data.store import Application, ModelCalibration
from planning.demand import Demand, settlement_demand
from planning.protection import BatchCheck
from planning.scoring import (
    FEATURE_DEFAULTS,
    FEATURES,
    CandidateScores,
    HuffModel,
    HuffParams,
    reach_pairs,
    served_points,
)
from planning.selection import CoverageProblem, SitePlan, select_sites
from planning.whitespace import find_whitespace

__all__ = [
    "DEFAULT_REFRESH_S",
    "NetworkModel",
    "ScoredBatch",
    "attach",
    "network_model",
    "rub",
]

log = logging.getLogger(__name__)

#: the Huff model is rebuilt at most this often after points change, seconds
DEFAULT_REFRESH_S = 30.0
_PAGE = 10_000
_CENT = Decimal("0.01")

_models: WeakKeyDictionary[Service, NetworkModel] = WeakKeyDictionary()
_models_lock = threading.Lock()


def rub(value: float) -> Decimal:
    """A RUB amount (float) as a Decimal rounded half-up to the kopeck."""
    if not math.isfinite(value):
        raise ValueError(f"not a finite amount: {value}")
    return Decimal(repr(float(value))).quantize(_CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class ScoredBatch:
    """A scored batch: the model's scores plus the full protection check.

    Attributes
    ----------
    scores : expected turnover, reward, cannibalization, net gain (RUB per month)
    check : the protection decision of each candidate with every blocker
    model : the Huff model that scored them
    forecaster : the calibration the model rests on and the 80 % ranges it gives
        (``forecaster.calibrated`` False: default parameters, no ranges)
    """

    scores: CandidateScores
    check: BatchCheck
    model: HuffModel
    forecaster: Forecaster = Forecaster(None, None)


class NetworkModel:
    """A lazily built, cached Huff model of a service's network, plus its demand surface.

    Parameters
    ----------
    service : the service (store, live protection index, policy)
    refresh_s : a model older than this is rebuilt when points changed, seconds
    params : Huff model parameters (default :class:`HuffParams`)
    demand : the demand surface (default: the bundled settlements, built on first use)
    """

    def __init__(
        self,
        service: Service,
        *,
        refresh_s: float = DEFAULT_REFRESH_S,
        params: HuffParams | None = None,
        demand: Demand | None = None,
    ) -> None:
        self.service = service
        self.refresh_s = refresh_s
        self.params = params or HuffParams()
        self._demand = demand
        self._model: HuffModel | None = None
        self._median_turnover = math.nan
        self._built_at = 0.0
        #: point and calibration entries of the service's change feed
        self._changes = service.changes.subscribe(("point", "model"))
        self._model_stale = False
        self._points_stale = False
        #: how many times the model was built (for tests and logs)
        self.builds = 0
        self._lock = threading.RLock()
        self._points: pd.DataFrame | None = None
        self._points_at = 0.0
        #: the latest stored calibration the model rests on (read at each build)
        self.forecaster = Forecaster(None, None)

    # ------------------------------------------------------------ the model
    @property
    def lock(self) -> threading.RLock:
        """Held while the model or the demand surface is built (hold it for a consistent
        copy, as :mod:`api.services.jobs` does across a fork)."""
        return self._lock

    @property
    def demand(self) -> Demand:
        """The demand surface (bundled settlements on H3 cells unless given)."""
        with self._lock:
            if self._demand is None:
                crimea = self.service.settings.settlements_crimea
                self._demand = settlement_demand(load_places(crimea=crimea))
            return self._demand

    def points_frame(self) -> pd.DataFrame:
        """Every stored point (id, lat, lon, kind, status and features), paged by id."""
        rows: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            page = self.service.store.list_points(limit=_PAGE, after=after)
            rows += [{"id": p.id, "lat": p.lat, "lon": p.lon, "kind": p.kind,
                      "status": p.status, "area_m2": p.area_m2,
                      "waiting_zone": p.waiting_zone, "fitting_rooms": p.fitting_rooms,
                      "rating": p.rating, "opened_on": p.opened_on} for p in page]  # fmt: skip
            if len(page) < _PAGE:
                break
            after = page[-1].id
        cols = ["id", "lat", "lon", "kind", "status", *FEATURES, "opened_on"]
        frame = pd.DataFrame(rows, columns=cols)
        for name in FEATURES:  # None -> NaN -> the feature's default
            frame[name] = pd.to_numeric(frame[name].astype(object).where(frame[name].notna()),
                                        errors="coerce")  # fmt: skip
        # stored data may predate today's validation (a 0 m2 area, a 0 rating): such a value
        # is unknown, not a reason to refuse to score anything
        for name in ("area_m2", "rating"):
            frame.loc[frame[name] <= 0, name] = np.nan
        frame.loc[frame["fitting_rooms"] < 0, "fitting_rooms"] = np.nan
        return frame

    def _build(self) -> HuffModel:
        self._take_changes()  # before reading: what was handed on so far, the read has
        self._model_stale = False
        serving = served_points(self.points_frame(), self.service.policy)
        forecaster = Forecaster.of(self.service.store.latest_calibration())
        params = forecaster.fit.params if forecaster.fit is not None else self.params
        model = HuffModel.from_frame(self.demand, serving, params=params)
        self.forecaster = forecaster
        turnover = model.turnover()
        self._median_turnover = float(np.median(turnover)) if turnover.size else math.nan
        self._model = model
        self._built_at = time.monotonic()
        self.builds += 1
        log.info("network model built: %d points, %d demand cells", turnover.size,
                 len(self.demand))  # fmt: skip
        return model

    def _take_changes(self) -> None:
        """Mark the model and the points stale if the feed handed on a point or calibration
        entry (the feed reads the log at most once per ``sync_interval_s``)."""
        self.service.changes.poll()
        if self._changes.pending:
            self._changes.take()
            self._model_stale = self._points_stale = True

    def points(self) -> pd.DataFrame:
        """:meth:`points_frame`, cached with the model's rule: re-read when a point changed
        and the copy is at least ``refresh_s`` old. Treat it as read-only."""
        with self._lock:
            if self._points is not None and time.monotonic() - self._points_at < self.refresh_s:
                return self._points
            self._take_changes()
            if self._points is not None and not self._points_stale:
                return self._points
            self._points_stale = False  # before reading: later writes count
            self._points = self.points_frame()
            self._points_at = time.monotonic()
            return self._points

    def model(self) -> HuffModel:
        """The Huff model of the network, built or refreshed as the module docstring says."""
        with self._lock:
            if self._model is None:
                return self._build()
            if time.monotonic() - self._built_at >= self.refresh_s:
                self._take_changes()
                if self._model_stale:
                    return self._build()
            return self._model

    def invalidate(self) -> None:
        """Drop the model; the next use rebuilds it."""
        with self._lock:
            self._model = None

    # ------------------------------------------------------------ scoring
    def score(
        self,
        lat: npt.ArrayLike,
        lon: npt.ArrayLike,
        *,
        features: npt.ArrayLike | None = None,
        kind: list[str] | None = None,
        detail: bool = True,
    ) -> ScoredBatch:
        """Score candidates against the live network.

        Parameters
        ----------
        lat, lon : WGS84 degrees
        features : ``(n, 4)`` feature matrix (:data:`planning.scoring.FEATURES`)
        kind : the candidates' kinds (default: the policy's default kind)
        detail : compute the per-point cannibalization table
        """
        la = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        lo = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        kinds = kind or [self.service.policy.default_kind] * la.size
        check = self.service.check_batch(la, lo, kind=kinds)  # validates and syncs
        with self._lock:  # the model and the calibration it rests on, together
            model, fc = self.model(), self.forecaster
        scores = model.score(la, lo, features=features, network=self.service.network,
                             kind=kinds, detail=detail,
                             reward_rate=reward_rate(self.service.reward_policy))  # fmt: skip
        return ScoredBatch(scores, check, model, fc)

    def score_application(self, app: Application) -> ApplicationScore:
        """The onboarding score of an application: expected turnover and reward, and the ratio
        of the turnover to the median point's (None when the network has no open point)."""
        feats = [[FEATURE_DEFAULTS[f] if v is None else float(v) for f, v in
                  zip(FEATURES, (app.area_m2, app.waiting_zone, app.fitting_rooms, None),
                      strict=True)]]  # fmt: skip
        with self._lock:
            model, fc = self.model(), self.forecaster
        res = model.score(
            [app.lat],
            [app.lon],
            features=feats,
            detail=False,
            reward_rate=reward_rate(self.service.reward_policy),
        )
        turnover = float(res.turnover_rub[0])
        med = self._median_turnover
        ratio = round(turnover / med, 4) if math.isfinite(med) and med > 0 else None
        return ApplicationScore(ratio, rub(turnover), rub(float(res.reward_rub[0])),
                                ranges=fc.ranges(turnover, res.reward_rate),
                                forecast=fc.summary())  # fmt: skip

    # ------------------------------------------------------------ calibration
    def calibrate(
        self,
        *,
        actor: str,
        months: Sequence[str] | None = None,
        n_months: int = 3,
        min_points: int = 30,
    ) -> ModelCalibration:
        """Calibrate on the stored orders (:func:`api.services.forecast.calibrate_network`)
        from the default parameters, store it, and rebuild the model on it."""
        serving = served_points(self.points_frame(), self.service.policy)
        base = HuffModel.from_frame(self.demand, serving, params=self.params)
        cal = calibrate_network(self.service.store, base, serving["opened_on"].tolist(),
                                actor=actor, months=months, n_months=n_months,
                                min_points=min_points)  # fmt: skip
        self.invalidate()
        return cal

    # ------------------------------------------------------------ white space
    def whitespace(
        self,
        bbox: tuple[float, float, float, float] | None,
        *,
        limit: int,
        reach_m: float = 1500.0,
    ) -> dict[str, Any]:
        """White-space zones inside ``bbox`` (``minlon, minlat, maxlon, maxlat`` degrees),
        best first, as a GeoJSON FeatureCollection (dict); at most ``limit`` zones.

        Demand cells outside ``bbox`` are left out, so a zone at the edge of the box is cut
        there; ``reach_m``: a point serves demand closer than this, metres.
        """
        dem = self.demand
        if bbox is not None:
            dem = dem.subset(in_bbox(dem.lat, dem.lon, bbox))
        self.service.sync()
        with self.service.index_lock:  # a consistent view of the live index
            zones = find_whitespace(dem, self.service.network, reach_m=reach_m)
        zones = zones.head(limit).drop(columns=["cells"])
        doc: dict[str, Any] = json.loads(zones.to_json(drop_id=True))
        doc.pop("crs", None)
        doc["total_demand"] = round(dem.total, 3)
        return doc

    # ------------------------------------------------------------ site selection
    def plan(
        self,
        lat: npt.ArrayLike,
        lon: npt.ArrayLike,
        *,
        k: int,
        service_radius_m: float,
        ids: Sequence[str],
        kind: list[str],
        radius_m: npt.ArrayLike,
        demand: Demand | None = None,
        time_limit_s: float = 10.0,
        include_reservations: bool = False,
    ) -> tuple[SitePlan, CoverageProblem]:
        """Choose up to ``k`` candidates covering the most demand under the protection rule.

        Parameters
        ----------
        lat, lon : WGS84 degrees of the candidates
        k : most sites to choose
        service_radius_m : a site covers demand closer than this, metres (WGS84 geodesic)
        ids, kind : the candidates' identifiers and kinds
        radius_m : the candidates' own protection radii, metres (NaN: from the tiers)
        demand : demand points; default: the settlement cells within ``service_radius_m``
            of some candidate (so the share is of the demand the candidates can reach)
        time_limit_s : time limit of the exact model, seconds (it runs on small instances)
        include_reservations : whether a spot reserved by an application under review
            serves demand as a live point does (default: only live points serve; a
            reservation blocks candidates near it either way)
        """
        la = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        lo = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        for kd in set(kind):
            if kd not in self.service.policy.kinds:
                raise InputError(f"unknown kind {kd!r}; known: {self.service.policy.kinds}",
                                 column="kind")  # fmt: skip
        self.service.check_batch(la, lo, kind=kind)  # validates coordinates and syncs
        if demand is None:
            _, cells, _ = reach_pairs(self.demand, la, lo, service_radius_m)
            mask = np.zeros(len(self.demand), dtype=bool)
            mask[cells] = True
            demand = self.demand.subset(mask)
        with self.service.index_lock:
            existing: tuple[npt.ArrayLike, npt.ArrayLike] | Literal["network"] = (
                "network" if include_reservations else self.service.serving_points())  # fmt: skip
            problem = CoverageProblem.from_points(
                demand, la, lo, service_radius_m=service_radius_m, radius_m=radius_m,
                network=self.service.network, kind=kind, ids=list(ids), existing=existing,
            )  # fmt: skip
        return select_sites(problem, k, time_limit_s=time_limit_s), problem


def network_model(service: Service) -> NetworkModel:
    """The service's :class:`NetworkModel` (created on first use)."""
    with _models_lock:
        model = _models.get(service)
        if model is None:
            model = _models[service] = NetworkModel(service)
        return model


def attach(service: Service) -> NetworkModel:
    """Give ``service`` its network model and, unless one is set, its application scorer."""
    model = network_model(service)
    if service.scorer is None:
        service.scorer = model.score_application
    return model
