"""Partner onboarding: the application lifecycle, decided inside the store's transactions.

Statuses (``STATUSES``):

- ``pending``: allowed at submission; holds a reservation until ``reserved_until`` and
  waits for review;
- ``refused``: blocked at submission; kept for the record, holds nothing, never reviewed;
- ``approved`` (it became an active point), ``rejected`` (by the expansion team),
  ``withdrawn`` (by its partner or an admin);
- ``expired``: its reservation ran out before a decision.

The status is current whenever it is read (:func:`current_status`): a pending application
whose reservation has passed reads ``expired`` at once; :meth:`Onboarding.expire_due`
records those in the store and the audit log (run before each submission). Every
transition writes an audit entry (``application.submitted``, ``.refused``, ``.approved``,
``.rejected``, ``.withdrawn``, ``.expired``). The protection rule itself is
:func:`planning.protection.decide`, run through
:meth:`api.services.network.ProtectionWrites.decide_in`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np

from api.services.network import ProtectionWrites
from data.errors import ConflictError, NotFoundError
from data.store import Application, Point, Store, Transaction
from data.store.base import now_utc, to_iso
from geo.geodesic import distance_m

__all__ = [
    "REAPPLY_M",
    "STATUSES",
    "Onboarding",
    "Submission",
    "current",
    "current_status",
    "not_approvable",
]

#: every status an application can read
STATUSES = ("pending", "refused", "approved", "rejected", "withdrawn", "expired")
#: a partner applying again within this many metres of its own pending application gets it
REAPPLY_M = 1.0


def current_status(app: Application, at: datetime) -> str:
    """The status of ``app`` at time ``at`` (UTC): a pending one whose reservation has
    passed is ``expired``; a pending one blocked at submission (stored before statuses
    were split) is ``refused``."""
    if app.status == "pending":
        if not app.allowed:
            return "refused"
        if app.reserved_until is None or app.reserved_until <= to_iso(at):
            return "expired"
    return app.status


def current(app: Application, at: datetime) -> Application:
    """``app`` with its :func:`current_status`."""
    status = current_status(app, at)
    return app if status == app.status else replace(app, status=status)


def not_approvable(app: Application, at: datetime, *, what: str = "approve",
                   language: str = "ru") -> str | None:  # fmt: skip
    """Why ``app`` cannot be approved (rejected, withdrawn: ``what``) at ``at``, in
    ``language``; None when it is pending."""
    status = current_status(app, at)
    if status == "pending":
        return None
    en = language == "en"
    verb = {"approve": ("одобрить", "approved"), "reject": ("отклонить", "rejected"),
            "withdraw": ("отозвать", "withdrawn")}[what]  # fmt: skip
    if status == "refused":
        return (f"application {app.id} was refused at submission (the spot was taken), so it "
                f"holds no spot and cannot be {verb[1]}" if en else
                f"заявка {app.id} отклонена при подаче (место было занято): она не держит "
                f"место, {verb[0]} её нельзя")  # fmt: skip
    if status == "expired":
        return (f"application {app.id} expired at {app.reserved_until}: its reservation ran "
                f"out before a decision; the partner must apply again" if en else
                f"срок резерва заявки {app.id} истёк {app.reserved_until}: решение не было "
                f"принято вовремя; партнёру нужно подать заявку заново")  # fmt: skip
    if status == "withdrawn":
        return (f"application {app.id} was withdrawn at {app.decided_at}" if en else
                f"заявка {app.id} отозвана {app.decided_at}")  # fmt: skip
    ru = {"approved": "одобрена", "rejected": "отклонена"}.get(status, status)
    return (f"application {app.id} is {status} already ({app.decided_at})" if en else
            f"заявка {app.id} уже {ru} ({app.decided_at})")  # fmt: skip


class Submission:
    """What a submission did: the application, and whether it is new (False: the partner's
    own pending application at the same spot, returned as it is)."""

    __slots__ = ("app", "created")

    def __init__(self, app: Application, created: bool) -> None:
        self.app = app
        self.created = created


class Onboarding:
    """The lifecycle of applications, each transition atomic with its checks.

    Parameters
    ----------
    store : the store
    writes : the protection-rule writes (their ``decide_in`` decides the rule)
    reservation : how long an allowed application holds its spot
    max_pending : most pending applications one partner may hold at once
    """

    def __init__(self, store: Store, writes: ProtectionWrites, *, reservation: timedelta,
                 max_pending: int = 10) -> None:  # fmt: skip
        self.store = store
        self.writes = writes
        self.reservation = reservation
        self.max_pending = max_pending

    # ------------------------------------------------------------ submission
    def submit(self, app: Application, *, actor: str, language: str = "ru") -> Submission:
        """Store ``app`` with its protection decision: ``pending`` with a reservation when
        allowed, ``refused`` (no reservation) when blocked; blockers that are reservations
        say until when. The partner's own pending application within :data:`REAPPLY_M`
        is returned instead (``created`` False). :class:`ConflictError` when the partner
        holds ``max_pending`` pending applications already."""
        self.expire_due()

        def admit(tx: Transaction) -> Application | None:
            tx.lock_name(f"partner:{app.partner_id}")
            own = tx.find_applications(partner_id=app.partner_id, status="pending",
                                       reserved_until_after=tx.stamp)  # fmt: skip
            own = [a for a in own if a.allowed]
            if own:
                d = distance_m(app.lat, app.lon, np.array([a.lat for a in own]),
                               np.array([a.lon for a in own]))  # fmt: skip
                i = int(np.argmin(d))
                if float(d[i]) <= REAPPLY_M:
                    return own[i]
            if len(own) >= self.max_pending:
                raise ConflictError(
                    f"partner {app.partner_id} holds {len(own)} pending applications, the "
                    f"most allowed at once is {self.max_pending}: wait for decisions or "
                    "withdraw one" if language == "en" else
                    f"у партнёра {app.partner_id} уже {len(own)} заявок на рассмотрении, а "
                    f"одновременно можно не больше {self.max_pending}: дождитесь решений "
                    "или отзовите одну из заявок"
                )  # fmt: skip
            return None

        got = self.writes.submit_application(app, actor=actor, reservation=self.reservation,
                                             admit=admit)  # fmt: skip
        return Submission(got, got.id == app.id)

    # ------------------------------------------------------------ decisions
    def approve(self, app_id: str, *, actor: str, reason: str | None = None,
                language: str = "ru") -> tuple[Application, Point]:  # fmt: skip
        """Turn a pending application into an active point in one transaction with the
        protection check. :class:`ConflictError` saying why when it is not pending
        (refused, expired, withdrawn, decided); :class:`ProtectionConflict` when the rule
        forbids it now (an admin override next door)."""
        self.expire_due()

        def admit(tx: Transaction, app: Application) -> None:
            _require_pending(tx, app, "approve", language)

        return self.writes.approve_application(app_id, actor=actor, reason=reason, admit=admit)

    def reject(self, app_id: str, *, actor: str, reason: str, language: str = "ru") -> Application:
        """Reject a pending application (its reservation ends); :class:`ConflictError`
        saying why when it is not pending."""
        return self._end(app_id, "rejected", actor=actor, reason=reason, language=language)

    def withdraw(self, app_id: str, *, actor: str, partner_id: str | None = None,
                 reason: str | None = None, language: str = "ru") -> Application:  # fmt: skip
        """End a pending application at its partner's wish; its spot is free at once.
        ``partner_id`` given: only that partner's application (another's: NotFoundError).
        :class:`ConflictError` saying why when it is not pending."""
        if partner_id is not None and self.store.get_application(app_id).partner_id != partner_id:
            raise NotFoundError(f"no application with id {app_id!r}")
        return self._end(app_id, "withdrawn", actor=actor, reason=reason, language=language)

    def _end(self, app_id: str, status: str, *, actor: str, reason: str | None,
             language: str) -> Application:  # fmt: skip
        first = self.store.get_application(app_id)
        self.expire_due()
        what = {"rejected": "reject", "withdrawn": "withdraw"}[status]
        with self.store.transaction([(first.lat, first.lon, first.radius_m)]) as tx:
            app = tx.get_application(app_id)
            _require_pending(tx, app, what, language)
            tx.decide_application(app_id, status=status, actor=actor, reason=reason,
                                  expect_status="pending")  # fmt: skip
            tx.audit(actor=actor, action=f"application.{status}", entity="application",
                     entity_id=app_id, reason=reason,
                     detail={"from": "pending", "reserved_until": app.reserved_until})  # fmt: skip
        return replace(app, status=status, decided_at=tx.stamp, decided_by=actor,
                       decision_reason=reason)  # fmt: skip

    def expire_due(self, *, limit: int = 1000) -> int:
        """Record as ``expired`` (with an ``application.expired`` audit entry each) the
        pending applications whose reservation has passed; how many. Reads say
        ``expired`` without it."""
        due = self.store.list_applications(status="pending", limit=1,
                                           reserved_until_before=to_iso(now_utc()))  # fmt: skip
        if not due:
            return 0
        n = 0
        why = "reservation ran out before a decision"
        with self.store.transaction() as tx:
            for app in tx.find_applications(status="pending", reserved_until_before=tx.stamp,
                                            limit=limit):  # fmt: skip
                if app.allowed and tx.decide_application(app.id, status="expired",
                                                         actor="system", reason=why,
                                                         expect_status="pending"):  # fmt: skip
                    tx.audit(actor="system", action="application.expired",
                             entity="application", entity_id=app.id, reason=why,
                             detail={"from": "pending",
                                     "reserved_until": app.reserved_until})  # fmt: skip
                    n += 1
        return n


def _require_pending(tx: Transaction, app: Application, what: str, language: str) -> None:
    why = not_approvable(app, tx.at, what=what, language=language)
    if why is not None:
        raise ConflictError(why)
