"""Per-key rate limits of the HTTP API (the ``limits`` library's moving window, in memory).

Two buckets per API key: ``check`` (``POST /v1/protection/check`` and ``check-batch``)
and ``apply`` (``POST /v1/applications``). Partner keys get the partner limits
(default 60 checks and 20 applications a minute), expansion and admin keys the staff
limits (default 600 and 200). Over the limit: :class:`RateLimited` (HTTP 429 with
``Retry-After``, whole seconds). Counts are kept per worker process: with ``pvz serve
--workers N`` a key may make up to N times the limit across the workers.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from data.errors import PvzError

__all__ = ["BUCKETS", "COUNTED", "RateLimited", "RateLimits"]

#: what is limited
BUCKETS = ("check", "apply")

#: the ASGI scope key set (True) once a request's ``check`` has been counted: the fast lane
#: of :mod:`api.fast_check` counts a check before answering it, and when it leaves the
#: request to the app after all (an error to word), the route does not count it again
COUNTED = "pvz.check_counted"


class RateLimited(PvzError):
    """Too many requests from one key; ``retry_after_s`` whole seconds until the next is
    allowed."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class RateLimits:
    """The per-key limits: ``per_minute[(role class, bucket)]`` requests in any 60 s.

    Parameters
    ----------
    partner_checks, partner_applications : per minute, for partner keys
    staff_checks, staff_applications : per minute, for expansion and admin keys
        (0: unlimited)
    """

    def __init__(
        self,
        *,
        partner_checks: int = 60,
        partner_applications: int = 20,
        staff_checks: int = 600,
        staff_applications: int = 200,
    ) -> None:
        self._items = {
            ("partner", "check"): partner_checks,
            ("partner", "apply"): partner_applications,
            ("staff", "check"): staff_checks,
            ("staff", "apply"): staff_applications,
        }
        self._rates = {k: RateLimitItemPerMinute(v) for k, v in self._items.items() if v > 0}
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def hit(self, key_id: str, role: str, bucket: str, *, language: str = "ru") -> None:
        """Count one request of ``bucket`` by key ``key_id``; :class:`RateLimited` (and not
        counted) when the key has used its limit in the last minute."""
        cls = "partner" if role == "partner" else "staff"
        rate = self._rates.get((cls, bucket))
        if rate is None:
            return
        if self._limiter.hit(rate, bucket, key_id):
            return
        stats = self._limiter.get_window_stats(rate, bucket, key_id)
        wait = max(1, math.ceil(stats.reset_time - time.time()))
        n = self._items[(cls, bucket)]
        what = {"check": ("проверок", "checks"), "apply": ("заявок", "applications")}[bucket]
        if language == "en":
            msg = f"too many {what[1]}: at most {n} a minute per key; retry in {wait} s"
        else:
            msg = (f"слишком много {what[0]}: не больше {n} в минуту на ключ; "
                   f"повторите через {wait} с")  # fmt: skip
        raise RateLimited(msg, wait)

    def allows(self, key_id: str, role: str, bucket: str) -> bool:
        """Count one request like :meth:`hit` (one call to the limiter); False (not
        counted) when over the limit."""
        rate = self._rates.get(("partner" if role == "partner" else "staff", bucket))
        return rate is None or bool(self._limiter.hit(rate, bucket, key_id))
