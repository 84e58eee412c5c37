"""Protection-rule writes: points and applications, decided inside the store's transaction.

Each use case runs the same steps: open a write transaction locked around the spot
(:meth:`data.store.Store.transaction`), read the live points and reservations near
it, measure them (:func:`planning.protection.measure`), decide with
:func:`planning.protection.decide` (the function the in-memory pre-check calls too),
then write, or raise :class:`~data.errors.ProtectionConflict`. Nothing can be
committed near the spot between the read and the write, on either backend.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import timedelta
from typing import Any

from data.errors import Conflict, ConflictError, InputError, ProtectionConflict
from data.store import Application, Point, Store, Transaction
from data.store.base import new_id, to_iso
from planning.protection import Decision, ProtectionPolicy, decide, measure

__all__ = [
    "PATCHABLE_FIELDS",
    "ProtectionWrites",
]

#: the point fields a PATCH may change (location, radius and kind are part of the contract)
PATCHABLE_FIELDS = frozenset(
    {"status", "address", "opened_on", "area_m2", "waiting_zone", "fitting_rooms", "rating",
     "partner_id", "closed_days_2020", "closed_dates_2020", "complaint_rate_pct"}
)  # fmt: skip


def _tuples(conflicts: list[Conflict]) -> list[tuple[object, float, float]]:
    return [(c.point_id, c.distance_m, c.radius_m) for c in conflicts]


class ProtectionWrites:
    """The writes that can break the competition-protection rule, each atomic with its check.

    Parameters
    ----------
    store : the store (its transactions, locks and rows)
    policy : the protection policy deciding the rule
    """

    def __init__(self, store: Store, policy: ProtectionPolicy) -> None:
        self.store = store
        self.policy = policy

    def decide_in(
        self, tx: Transaction, lat: float, lon: float, radius_m: float, kind: str, *, own_id: str
    ) -> Decision:
        """The binding decision for a candidate, from the rows read inside ``tx``."""
        rows = tx.neighbours(lat, lon, radius_m, exclude={own_id})
        return decide(kind, radius_m, measure(lat, lon, rows), self.policy)

    def create_point(
        self, point: Point, *, actor: str, override_reason: str | None = None
    ) -> Point:
        """Insert a point, enforcing the rule atomically unless overridden with a reason."""
        with self.store.transaction([(point.lat, point.lon, point.radius_m)]) as tx:
            point = replace(point, created_at=tx.stamp, updated_at=tx.stamp)
            if tx.has_point(point.id):
                raise ConflictError(f"a point with id {point.id!r} exists already")
            conflicts: list[Conflict] = []
            if self.policy.protects(point.kind, point.status):
                conflicts = self.decide_in(tx, point.lat, point.lon, point.radius_m, point.kind,
                                           own_id=point.id).conflicts  # fmt: skip
            if conflicts and not override_reason:
                raise ProtectionConflict.of(point.lat, point.lon, conflicts)
            tx.insert_point(point)
            tx.audit(actor=actor,
                     action="point.created.override" if conflicts else "point.created",
                     entity="point", entity_id=point.id, reason=override_reason,
                     detail={"point": asdict(point), "conflicts": _tuples(conflicts)})  # fmt: skip
        return point

    def update_point(
        self,
        point_id: str,
        changes: dict[str, Any],
        *,
        actor: str,
        override_reason: str | None = None,
    ) -> Point:
        """Change a point's status and features; making it live re-checks the rule."""
        unknown = set(changes) - PATCHABLE_FIELDS
        if unknown:
            raise InputError(
                f"cannot change {sorted(unknown)}; changeable: {sorted(PATCHABLE_FIELDS)}"
            )
        old = self.store.get_point(point_id)  # NotFoundError before locking
        with self.store.transaction([(old.lat, old.lon, old.radius_m)]) as tx:
            old = tx.get_point(point_id)
            new = replace(old, **changes, updated_at=tx.stamp)
            conflicts: list[Conflict] = []
            was_live = bool(self.policy.protects(old.kind, old.status))
            if not was_live and self.policy.protects(new.kind, new.status):
                conflicts = self.decide_in(tx, new.lat, new.lon, new.radius_m, new.kind,
                                           own_id=new.id).conflicts  # fmt: skip
            if conflicts and not override_reason:
                raise ProtectionConflict.of(new.lat, new.lon, conflicts)
            tx.update_point(point_id, changes)
            tx.audit(actor=actor,
                     action="point.changed.override" if conflicts else "point.changed",
                     entity="point", entity_id=point_id, reason=override_reason,
                     detail={"before": {c: getattr(old, c) for c in changes}, "after": changes,
                             "conflicts": _tuples(conflicts)})  # fmt: skip
        return new

    def submit_application(
        self,
        app: Application,
        *,
        actor: str,
        reservation: timedelta,
        admit: Callable[[Transaction], Application | None] | None = None,
    ) -> Application:
        """Store an application with its protection decision, taken atomically: allowed,
        it is ``pending`` and reserves its spot for ``reservation``; blocked, it is
        ``refused`` (no reservation). Blockers that are reservations carry ``kind``
        ``reservation`` and their ``reserved_until``.

        ``admit`` (the lifecycle's own checks, run first inside the transaction) may raise,
        or return a stored application to answer instead (nothing is written then).
        """
        with self.store.transaction([(app.lat, app.lon, app.radius_m)]) as tx:
            if admit is not None:
                existing = admit(tx)
                if existing is not None:
                    return existing
            allowed, conflicts = self.decide_in(tx, app.lat, app.lon, app.radius_m, app.kind,
                                                own_id=app.id)  # fmt: skip
            ends = tx.reservation_ends([str(c.point_id) for c in conflicts])
            conflicts = [replace(c, kind="reservation", reserved_until=ends[str(c.point_id)])
                         if str(c.point_id) in ends else c for c in conflicts]  # fmt: skip
            app = replace(
                app, status="pending" if allowed else "refused", allowed=allowed,
                conflicts=conflicts, created_at=tx.stamp,
                reserved_until=to_iso(tx.at + reservation) if allowed else None,
            )  # fmt: skip
            tx.insert_application(app)
            tx.audit(actor=actor,
                     action="application.submitted" if allowed else "application.refused",
                     entity="application", entity_id=app.id,
                     detail={"allowed": allowed, "status": app.status,
                             "conflicts": [[*t, c.kind] for t, c in
                                           zip(_tuples(conflicts), conflicts, strict=True)],
                             "reserved_until": app.reserved_until})  # fmt: skip
        return app

    def approve_application(
        self,
        app_id: str,
        *,
        actor: str,
        reason: str | None = None,
        admit: Callable[[Transaction, Application], None] | None = None,
    ) -> tuple[Application, Point]:
        """Turn a pending application into an active point in one transaction with the
        protection check; :class:`ProtectionConflict` if the rule forbids it.

        ``admit(tx, app)`` (the lifecycle's checks: not refused, expired, withdrawn) runs
        first inside the transaction and raises to refuse; without it any stored
        ``pending`` application is taken.
        """
        first = self.store.get_application(app_id)  # NotFoundError before locking
        with self.store.transaction([(first.lat, first.lon, first.radius_m)]) as tx:
            app = tx.get_application(app_id)
            if admit is not None:
                admit(tx, app)
            elif app.status != "pending":
                raise ConflictError(f"application {app_id!r} is {app.status} already")
            decision = self.decide_in(tx, app.lat, app.lon, app.radius_m, app.kind,
                                      own_id=app.id)  # fmt: skip
            if not decision.allowed:
                raise ProtectionConflict.of(app.lat, app.lon, decision.conflicts)
            stamp = tx.stamp
            point = Point(
                id=new_id("P"), lat=app.lat, lon=app.lon, radius_m=app.radius_m, kind=app.kind,
                status="active", partner_id=app.partner_id, settlement=app.settlement,
                address=app.address, opened_on=app.planned_opening, area_m2=app.area_m2,
                waiting_zone=app.waiting_zone, fitting_rooms=app.fitting_rooms,
                created_at=stamp, updated_at=stamp,
            )  # fmt: skip
            tx.insert_point(point)
            tx.decide_application(app_id, status="approved", point_id=point.id, actor=actor,
                                  reason=reason)  # fmt: skip
            tx.audit(
                actor=actor,
                action="application.approved",
                entity="application",
                entity_id=app_id,
                reason=reason,
                detail={"point_id": point.id, "from": "pending"},
            )
            tx.audit(actor=actor, action="point.created", entity="point", entity_id=point.id,
                     reason=f"approved application {app_id}",
                     detail={"point": asdict(point)})  # fmt: skip
        return replace(app, status="approved", point_id=point.id, decided_at=stamp,
                       decided_by=actor, decision_reason=reason), point  # fmt: skip
