"""The service behind the HTTP API: the store, the in-memory protection index and their sync.

The in-memory :class:`~planning.protection.ProtectionNetwork` (live points
and live reservations) answers checks fast; it is a pre-check only. Every
write is decided by the store inside its transaction, then the index is
brought in step by replaying the audit log, which also carries writes made
by other workers: :attr:`Service.changes` (:mod:`api.services.changes`) reads it once
for every cache of the service (this index, the network and density models, the key
cache) and hands each the same entries.
"""

from __future__ import annotations

import heapq
import logging
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from api.limits import RateLimits
from api.loaders import load_policy, load_reward_policy, load_settlements
from api.services import answers
from api.services.changes import ChangeFeed
from api.services.network import ProtectionWrites
from api.services.onboarding import Onboarding, Submission, current
from api.settings import Settings
from data.errors import Conflict, InputError
from data.store import ApiKey, Application, AuditEntry, Point, Store, open_store
from data.store.base import new_id, now_utc, to_iso
from data.territory import Territory, load_territory
from geo.geodesic import validate_latlon
from geo.settlements import SettlementLookup
from planning.protection import BatchCheck, CheckResult, ProtectionNetwork, ProtectionPolicy
from planning.reward_policy import RewardPolicy

__all__ = ["ApplicationScore", "Service"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ApplicationScore:
    """What a scorer says about an application (see :attr:`Service.scorer`).

    Attributes
    ----------
    score : the candidate score (None: not available)
    expected_turnover_rub, expected_reward_rub : expected monthly turnover and
        reward, RUB (None: not available)
    ranges : the 80 % ranges, whole RUB: ``expected_turnover_low_rub``,
        ``expected_turnover_high_rub``, ``expected_reward_low_rub``,
        ``expected_reward_high_rub`` (values None when the model is not calibrated)
    forecast : what the forecast rests on (``calibrated``, months, points, error,
        coverage, a note): :meth:`api.services.forecast.Forecaster.summary`
    """

    score: float | None
    expected_turnover_rub: Decimal | None = None
    expected_reward_rub: Decimal | None = None
    ranges: dict[str, int | None] | None = None
    forecast: dict[str, Any] | None = None


class Service:
    """The store plus an in-memory index of live points and reservations kept in step.

    Parameters
    ----------
    settings : the service settings
    store : an open store (default: opened from ``settings.database_url``)
    policy, settlements : default from the settings
    """

    def __init__(
        self,
        settings: Settings,
        *,
        store: Store | None = None,
        policy: ProtectionPolicy | None = None,
        settlements: SettlementLookup | None = None,
    ) -> None:
        self.settings = settings
        self.policy = policy or load_policy(settings.policy_path)
        self.settlements = settlements or load_settlements(
            settings.boundaries_path, crimea=settings.settlements_crimea
        )
        self.store = store or open_store(settings.database_url, self.policy)
        #: the protection-rule writes (each decided inside its transaction)
        self.writes = ProtectionWrites(self.store, self.policy)
        #: the application lifecycle (pending, refused, approved, ... see its module)
        self.onboarding = Onboarding(
            self.store, self.writes, reservation=timedelta(days=settings.reservation_days),
            max_pending=settings.max_pending_per_partner,
        )  # fmt: skip
        #: per-key rate limits (checks, applications)
        self.limits = RateLimits(
            partner_checks=settings.partner_checks_per_minute,
            partner_applications=settings.partner_applications_per_minute,
            staff_checks=settings.staff_checks_per_minute,
            staff_applications=settings.staff_applications_per_minute,
        )  # fmt: skip
        self._territory: Territory | None = None
        #: optional candidate scorer (set by :mod:`api.services.planning`): application -> a
        #: score, or an :class:`ApplicationScore` with the expected turnover and reward
        self.scorer: Callable[[Application], float | ApplicationScore | None] | None = None
        self._lock = threading.RLock()
        #: the audit log, read once for every cache of this service (:mod:`api.services.changes`)
        self.changes = ChangeFeed(self.store, interval_s=settings.sync_interval_s)
        self._changes = self.changes.subscribe(("point", "application"))
        self._frozen = False
        self.reload()

    @property
    def reward_policy(self) -> RewardPolicy:
        """The reward policy (``settings.reward_policy_path``, else the defaults): statements,
        and the expected reward of scoring and onboarding, use this one."""
        return load_reward_policy(self.settings.reward_policy_path)

    # ------------------------------------------------------------ the index
    def reload(self) -> None:
        """Rebuild the index from the store: every live point and live reservation."""
        with self._lock:
            self._changes.take()  # handed on before this read: the read has them
            net = ProtectionNetwork(self.policy, self.settlements)
            ids, lat, lon, rad, kind = self.store.live_points()
            if ids:
                net.add_points(ids, lat, lon, radius_m=rad, kind=kind, status="active")
            self.network = net
            self._res_heap: list[tuple[str, str]] = []
            self._reserved: dict[str, str] = {}
            for app in self.store.reservations():
                self._index_application(app)
            log.info("index loaded: %d live points, %d reservations", len(ids),
                     len(self._reserved))  # fmt: skip

    def _index_point(self, p: Point) -> None:
        live = bool(self.policy.protects(p.kind, p.status))
        if live and p.id not in self.network.index:
            self.network.add_points([p.id], [p.lat], [p.lon], radius_m=[p.radius_m],
                                    kind=[p.kind], status=["active"])  # fmt: skip
        elif not live and p.id in self.network.index:
            self.network.remove_point(p.id)

    def _index_application(self, app: Application) -> None:
        if app.reserves(now_utc()) and app.kind in self.policy.protecting_kinds:
            if app.id not in self.network.index:
                self.network.add_points([app.id], [app.lat], [app.lon], radius_m=[app.radius_m],
                                        kind=[app.kind], status=["active"])  # fmt: skip
                assert app.reserved_until is not None
                self._reserved[app.id] = app.reserved_until
                heapq.heappush(self._res_heap, (app.reserved_until, app.id))
        elif app.id in self._reserved:
            del self._reserved[app.id]
            if app.id in self.network.index:
                self.network.remove_point(app.id)

    def _expire(self) -> None:
        if not self._res_heap:
            return
        now = to_iso(now_utc())
        while self._res_heap and self._res_heap[0][0] <= now:
            _, app_id = heapq.heappop(self._res_heap)
            if self._reserved.pop(app_id, None) is not None and app_id in self.network.index:
                self.network.remove_point(app_id)

    def sync(self, *, force: bool = False) -> None:
        """Apply the audit-log entries not applied yet (this and other workers' writes) to
        the index: the change feed reads the log at most once per ``sync_interval_s``
        (``force``: now) for every cache of the service.

        Unforced, it never waits: while another thread reads the log or holds the index lock
        (syncing, or forking a worker process) the index answers as it is."""
        if self._frozen:
            self._expire()
            return
        self.changes.poll(max_age_s=0.0 if force else None, wait=force)
        if not force and not self._changes.pending:
            self._expire()
            return
        if not self._lock.acquire(blocking=force):  # forced: wait for a replay under way
            return
        try:
            got = self._changes.take()
            if got is None:  # the inbox overflowed: entries were dropped
                self.reload()
            else:
                for _, entity, entity_id in got:
                    self._apply(entity, entity_id)
            self._expire()
        finally:
            self._lock.release()

    def freeze(self) -> None:
        """Stop replaying the audit log: the index stays as it is now (the snapshot a worker
        process of :mod:`api.services.jobs` works on)."""
        self._frozen = True
        self.changes.freeze()

    def _apply(self, entity: str, entity_id: str) -> None:
        if entity == "point" and entity_id == "*":
            self.reload()
        elif entity == "point":
            self._index_point(self.store.get_point(entity_id))
        elif entity == "application":
            self._index_application(self.store.get_application(entity_id))

    @property
    def index_lock(self) -> threading.RLock:
        """Held while the index changes: hold it for a consistent view of the live index."""
        return self._lock

    @property
    def backend(self) -> str:
        """The store's backend name (``sqlite``, ``postgis``)."""
        return self.store.backend

    # ------------------------------------------------------------ reads (what routes show)
    def get_point(self, point_id: str) -> Point:
        """One stored point; :class:`NotFoundError` if unknown."""
        return self.store.get_point(point_id)

    def list_points(self, **query: Any) -> list[Point]:
        """Stored points (see :meth:`data.store.Store.list_points` for the query)."""
        return self.store.list_points(**query)

    def statement_orders(self, point_id: str, *, first: str, last: str) -> list[Any]:
        """The order lines of one point whose issue or event day falls in ``first..last``
        (ISO days): the input of a month's statement."""
        return self.store.list_statement_orders(point_id, first=first, last=last)

    def ingest_orders(self, lines: list[Any], *, actor: str, source: str) -> Any:
        """Upsert issued orders, idempotent by order id (the store logs status changes)."""
        return self.store.upsert_orders(lines, actor=actor, source=source)

    def count_points(self) -> int:
        """How many points are stored (any kind and status)."""
        return self.store.count_points()

    def get_application(self, app_id: str) -> Application:
        """One application, its status as of now; :class:`NotFoundError` if unknown."""
        return current(self.store.get_application(app_id), now_utc())

    def list_applications(self, *, status: str | None = None, **query: Any) -> list[Application]:
        """Applications, their status as of now (see :meth:`data.store.Store.list_applications`
        for the query); ``status`` is the current one: ``pending`` holds a live
        reservation, ``expired`` the ones whose reservation has passed."""
        now = to_iso(now_utc())
        if status == "pending":
            query.update(status="pending", reserved_until_after=now)
        elif status == "expired":
            query.update(status=("pending", "expired"), reserved_until_before=now)
        elif status is not None:
            query.update(status=status)
        at = now_utc()
        return [current(a, at) for a in self.store.list_applications(**query)]

    @property
    def territory(self) -> Territory:
        """Where partners may apply (``settings.territory_path``, default Russia); loaded on
        first use."""
        if self._territory is None:
            self._territory = load_territory(self.settings.territory_path,
                                             buffer_m=self.settings.territory_buffer_m)  # fmt: skip
        return self._territory

    def with_kinds(self, conflicts: list[Conflict]) -> list[Conflict]:
        """``conflicts`` of the in-memory pre-check, reservations marked as such."""
        out = []
        for c in conflicts:
            until = self._reserved.get(str(c.point_id))
            out.append(c if until is None else Conflict(c.point_id, c.distance_m, c.radius_m,
                                                        "reservation", until))  # fmt: skip
        return out

    def suggest(self, lat: float, lon: float, *, kind: str | None = None,
                language: str = "ru") -> list[dict[str, Any]]:  # fmt: skip
        """Up to 3 nearest spots within 3 km where a point of ``kind`` could open now (the
        pre-check allows it, inside the territory), nearest first
        (:func:`api.services.answers.suggestions`)."""

        k = kind or self.policy.default_kind

        def allowed_at(la: np.ndarray, lo: np.ndarray) -> np.ndarray:
            # one by one: the batch kernel pays a fixed cost (~10 ms) a few hundred spots
            # do not repay; the single check is ~20 us
            inside = self.territory.contains_many(la, lo)
            check = self.network.check
            return np.array(
                [
                    bool(ins) and check(float(a), float(b), kind=k).allowed
                    for a, b, ins in zip(la, lo, inside, strict=True)
                ],
                dtype=bool,
            )

        self.sync()
        here = self.network.check(lat, lon, kind=k)
        start = max([max(c.radius_m, here.radius_m) - c.distance_m for c in here.conflicts],
                    default=0.0)  # fmt: skip
        return answers.suggestions(lat, lon, allowed_at, language=language, start_m=start)

    def add_key(self, key: ApiKey, *, actor: str) -> bool:
        """Store a key (hash only; logged); False, and nothing changes, if its hash is stored
        already."""
        return self.store.add_key(key, actor=actor)

    def get_key(self, key_hash: str) -> ApiKey | None:
        """The key with this SHA-256 hex digest (revoked ones too), or None."""
        return self.store.get_key(key_hash)

    def touch_key(self, key_hash: str, at: str) -> None:
        """Record that the key was used at ``at`` (ISO UTC); not logged."""
        self.store.touch_key(key_hash, at)

    def list_keys(self) -> list[ApiKey]:
        """Every API key (hashes only), revoked ones too, oldest first."""
        return self.store.list_keys()

    def revoke_key(self, key_id: str, *, actor: str) -> ApiKey:
        """Revoke a key by its short id (logged); :class:`NotFoundError` if unknown. Every
        worker refuses it within ``settings.key_cache_s``."""
        return self.store.revoke_key(key_id, actor=actor)

    def audit_entries(self, *, after_id: int = 0, limit: int = 1000) -> list[AuditEntry]:
        """Audit log entries with ids above ``after_id``, oldest first."""
        return self.store.audit_entries(after_id=after_id, limit=limit)

    @property
    def reservation_count(self) -> int:
        """Live reservations in the in-memory index."""
        return len(self._reserved)

    def serving_points(self) -> tuple[np.ndarray, np.ndarray]:
        """WGS84 ``(lat, lon)`` arrays of the live points in the in-memory index, the spots
        reserved by applications under review left out (they block, but serve nobody yet)."""
        with self._lock:
            index = self.network.index
            slots = index.live_slots()
            if self._reserved:
                ids = index.ids_of(slots)
                keep = np.fromiter((i not in self._reserved for i in ids), dtype=bool,
                                   count=ids.size)  # fmt: skip
                slots = slots[keep]
            lat, lon, _ = index.coords(slots)
        return lat, lon

    @property
    def indexed_points(self) -> int:
        """Live points in the in-memory index (reservations excluded)."""
        return len(self.network.index) - len(self._reserved)

    def audit_pairs(self) -> list[dict[str, object]]:
        """Every pair of live points closer than ``max(r_a, r_b)``, nearest first, as
        ``a_id, b_id, distance_m, radius_m`` (reservations are not points: left out)."""
        self.sync(force=True)
        with self._lock:
            res = self.network.audit()
            reserved = set(self._reserved)
        return [{"a_id": str(a), "b_id": str(b), "distance_m": round(float(d), 3),
                 "radius_m": float(r)}
                for a, b, d, r in zip(res.a_id, res.b_id, res.distance_m, res.radius_m,
                                      strict=True)
                if a not in reserved and b not in reserved]  # fmt: skip

    # ------------------------------------------------------------ checks
    def check(self, lat: float, lon: float, *, kind: str | None = None) -> CheckResult:
        """The fast pre-check of one candidate against live points and reservations."""
        self._check_kind(kind)
        if not (isinstance(lat, float) and isinstance(lon, float)
                and -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):  # fmt: skip
            _valid_latlon(lat, lon)  # NaN and the rest: the general check and its message
        self.sync()
        return self.network.check(lat, lon, kind=kind)

    def check_batch(
        self, lat: np.ndarray, lon: np.ndarray, kind: list[str] | None = None
    ) -> BatchCheck:
        """The fast pre-check of many candidates."""
        for k in set(kind or []):
            self._check_kind(k)
        _valid_latlon(lat, lon)
        self.sync()
        return self.network.check_batch(lat, lon, kind=kind)

    def _check_kind(self, kind: str | None) -> None:
        if kind is not None and kind not in self.policy.kinds:
            raise InputError(f"unknown kind {kind!r}; known: {self.policy.kinds}", column="kind")

    def _check_status(self, status: str | None) -> None:
        if status is not None and status not in self.policy.statuses:
            raise InputError(f"unknown status {status!r}; known: {self.policy.statuses}",
                             column="status")  # fmt: skip

    def _locate(self, lat: float, lon: float) -> tuple[float, str | None]:
        _valid_latlon(lat, lon)
        loc = self.settlements.locate([lat], [lon])
        radius = float(self.policy.radius_for_population(loc.population)[0])
        name = loc.name[0]
        return radius, (None if name is None or pd.isna(name) else str(name))

    # ------------------------------------------------------------ writes
    def create_point(
        self, fields: dict[str, Any], *, actor: str, override_reason: str | None = None
    ) -> Point:
        """Create a point; its radius and settlement come from its location unless given."""
        kind = fields.get("kind") or self.policy.default_kind
        status = fields.get("status") or self.policy.default_status
        self._check_kind(kind)
        self._check_status(status)
        radius, settlement = self._locate(fields["lat"], fields["lon"])
        given = fields.get("radius_m")
        point = Point(
            id=fields.get("id") or new_id("P"),
            lat=float(fields["lat"]), lon=float(fields["lon"]),
            radius_m=float(given) if given is not None else radius,
            kind=kind, status=status, partner_id=fields.get("partner_id"),
            settlement=settlement, address=fields.get("address"),
            opened_on=_iso_date(fields.get("opened_on")), area_m2=fields.get("area_m2"),
            waiting_zone=fields.get("waiting_zone"), fitting_rooms=fields.get("fitting_rooms"),
            rating=fields.get("rating"), complaint_rate_pct=fields.get("complaint_rate_pct"),
            **closed_days(fields.get("closed_days_2020")),
        )  # fmt: skip
        try:
            return self.writes.create_point(point, actor=actor, override_reason=override_reason)
        finally:
            self.sync(force=True)

    def update_point(
        self,
        point_id: str,
        changes: dict[str, Any],
        *,
        actor: str,
        override_reason: str | None = None,
    ) -> Point:
        """Change a point's status or features (the rule is enforced when it becomes live)."""
        self._check_status(changes.get("status"))
        if "opened_on" in changes:
            changes["opened_on"] = _iso_date(changes["opened_on"])
        if "closed_days_2020" in changes:
            changes.update(closed_days(changes.pop("closed_days_2020")))
        try:
            return self.writes.update_point(point_id, changes, actor=actor,
                                           override_reason=override_reason)  # fmt: skip
        finally:
            self.sync(force=True)

    def submit_application(self, fields: dict[str, Any], *, partner_id: str,
                           actor: str) -> Application:  # fmt: skip
        """Submit a partner's application: decided at once; an allowed one reserves its spot
        (see :meth:`submit` for what else may happen)."""
        return self.submit(fields, partner_id=partner_id, actor=actor).app

    def submit(self, fields: dict[str, Any], *, partner_id: str, actor: str,
               language: str = "ru", check_territory: bool = False) -> Submission:  # fmt: skip
        """Submit a partner's application (:meth:`api.services.onboarding.Onboarding.submit`):
        ``pending`` with a reservation, or ``refused``; the partner's own pending
        application at the same spot comes back instead (``created`` False). The score,
        expected turnover and reward are computed first and stored with it (``forecast``).
        ``check_territory``: a location outside the service territory is an
        :class:`InputError`."""
        if check_territory:
            _valid_latlon(fields["lat"], fields["lon"])
            self.territory.require(float(fields["lat"]), float(fields["lon"]), language=language)
        kind = fields.get("kind") or self.policy.default_kind
        self._check_kind(kind)
        radius, settlement = self._locate(fields["lat"], fields["lon"])
        app = Application(
            id=new_id("A"), partner_id=partner_id,
            lat=float(fields["lat"]), lon=float(fields["lon"]), radius_m=radius, kind=kind,
            settlement=settlement, address=fields.get("address"),
            area_m2=fields.get("area_m2"), waiting_zone=fields.get("waiting_zone"),
            fitting_rooms=fields.get("fitting_rooms"),
            planned_opening=_iso_date(fields.get("planned_opening")),
        )  # fmt: skip
        card = self.score_application(app)
        if card is not None:
            app = replace(app, forecast=forecast_of(card))
        try:
            sub = self.onboarding.submit(app, actor=actor, language=language)
            return Submission(current(sub.app, now_utc()), sub.created)
        finally:
            self.sync(force=True)

    def score_application(self, app: Application) -> ApplicationScore | None:
        """The score of an application, or None while no scorer is configured or it fails.

        A non-finite score becomes None (the expected turnover and reward are kept).
        """
        if self.scorer is None:
            return None
        try:
            got = self.scorer(app)
        except Exception:  # a scoring failure must not fail the onboarding answer
            log.exception("scoring application %s failed", app.id)
            return None
        if got is None:
            return None
        card = got if isinstance(got, ApplicationScore) else ApplicationScore(float(got))
        if card.score is not None and not np.isfinite(card.score):
            card = replace(card, score=None)
        return card

    def approve_application(
        self, app_id: str, *, actor: str, reason: str | None = None, language: str = "ru"
    ) -> tuple[Application, Point]:
        """Approve: atomically checked, turns the application into an active point; a 409
        (:class:`ConflictError`) saying why for a refused, expired, withdrawn or decided one."""
        try:
            return self.onboarding.approve(app_id, actor=actor, reason=reason, language=language)
        finally:
            self.sync(force=True)

    def reject_application(self, app_id: str, *, actor: str, reason: str,
                           language: str = "ru") -> Application:  # fmt: skip
        """Reject a pending application; its reservation ends."""
        try:
            return self.onboarding.reject(app_id, actor=actor, reason=reason, language=language)
        finally:
            self.sync(force=True)

    def withdraw_application(
        self,
        app_id: str,
        *,
        actor: str,
        partner_id: str | None = None,
        reason: str | None = None,
        language: str = "ru",
    ) -> Application:
        """Withdraw a pending application (its partner's, or any for ``partner_id`` None);
        its spot is free at once."""
        try:
            return self.onboarding.withdraw(app_id, actor=actor, partner_id=partner_id,
                                            reason=reason, language=language)  # fmt: skip
        finally:
            self.sync(force=True)

    def seed_demo(self, n: int, *, seed: int = 42, actor: str = "system") -> int:
        """Seed a demo network of ``n`` points if the store holds no point; returns how many."""
        from planning.demo import demo_network

        if n <= 0 or self.store.count_points() > 0:
            return 0
        df = demo_network(n, seed=seed, policy=self.policy, settlements=self.settlements)
        stamp = to_iso(now_utc())
        rows: list[dict[str, Any]] = df.to_dict("records")  # type: ignore[assignment]
        points = [
            Point(
                id=str(r["id"]), lat=float(r["lat"]), lon=float(r["lon"]),
                radius_m=float(r["radius_m"]), kind=str(r["kind"]), status=str(r["status"]),
                partner_id=None,
                settlement=None if pd.isna(r["settlement"]) else str(r["settlement"]),
                opened_on=str(r["opened_on"]), area_m2=float(r["area_m2"]),
                waiting_zone=bool(r["waiting_zone"]), fitting_rooms=int(r["fitting_rooms"]),
                rating=float(r["rating"]), created_at=stamp, updated_at=stamp,
            )
            for r in rows
        ]  # fmt: skip
        done = self.store.seed_points(points, actor=actor, reason=f"demo network n={n} seed={seed}")
        self.sync(force=True)
        return done

    # ------------------------------------------------------------ the scoring model
    def calibrate_model(self, *, actor: str, months: list[str] | None = None) -> Any:
        """Calibrate the scoring model on the stored orders and store the calibration
        (:meth:`api.services.planning.NetworkModel.calibrate`); returns the stored
        :class:`~data.store.ModelCalibration`. ``ConflictError`` with too little data."""
        from api.services.planning import network_model

        return network_model(self).calibrate(
            actor=actor,
            months=months,
            n_months=self.settings.model_calibration_months,
            min_points=self.settings.model_min_points,
        )

    def latest_calibration(self) -> Any:
        """The newest stored calibration of the scoring model, or None."""
        return self.store.latest_calibration()

    def close(self) -> None:
        """Close the store's connections."""
        self.store.close()


def closed_days(value: Any) -> dict[str, Any]:
    """A point's pandemic closure as stored: ``closed_days_2020`` (the count) and
    ``closed_dates_2020`` (the listed days, ISO, sorted, ``;``-joined; None for a count)."""
    if value is None:
        return {"closed_days_2020": None, "closed_dates_2020": None}
    if isinstance(value, int):
        return {"closed_days_2020": value, "closed_dates_2020": None}
    days = sorted({_iso_date(d) or "" for d in value})
    return {"closed_days_2020": len(days), "closed_dates_2020": ";".join(days)}


def forecast_of(card: ApplicationScore) -> dict[str, Any]:
    """A score card as stored with an application: every field of the card (money as
    decimal strings), so fields a forecast gains later are kept too."""
    out: dict[str, Any] = {}
    fields = asdict(card)
    fields.update(fields.pop("ranges", None) or {})  # the 80 % ranges, flat as answered
    for k, v in fields.items():
        if isinstance(v, Decimal):
            out[k] = str(v)
        elif isinstance(v, float | np.floating):
            out[k] = float(v) if np.isfinite(v) else None
        else:
            out[k] = v
    return out


def _valid_latlon(lat: Any, lon: Any) -> None:
    """:func:`geo.geodesic.validate_latlon`, raising :class:`InputError`."""
    try:
        validate_latlon(lat, lon)
    except ValueError as exc:
        raise InputError(str(exc)) from None


def _iso_date(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value.isoformat() if hasattr(value, "isoformat") else value)
