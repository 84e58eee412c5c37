"""What a partner is told: plain-words messages, private blockers, nearby allowed spots.

A partner never learns another partner's ids, exact distances or features: a blocker is
shown as its ``kind`` (``point`` or ``reservation``), its protection radius, for a
reservation the day ``reserved_until`` ends (no time: the time would tell when the other
application was submitted), and the distance rounded to :data:`ROUND_M` metres. A blocker
the partner owns itself (its own point or pending application) is shown with its id and
named as its own (:func:`owned`).
Messages are Russian by default (``language="en"``: English). Suggestions are the
nearest spots (up to :data:`N_SUGGESTIONS`, within :data:`SUGGEST_WITHIN_M`) where the
same partner could open now, each allowed by the in-memory pre-check at the time of the
answer and inside the service territory.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from data.errors import Conflict
from geo.geodesic import WGS84

__all__ = [
    "N_SUGGESTIONS",
    "ROUND_M",
    "SUGGEST_WITHIN_M",
    "blocker",
    "direction",
    "language_of",
    "message",
    "owned",
    "rounded",
    "suggestions",
]

#: a partner sees distances rounded to this many metres
ROUND_M = 50.0
#: at most this many suggestions
N_SUGGESTIONS = 3
#: suggestions lie within this distance of the asked spot, metres
SUGGEST_WITHIN_M = 3000.0
#: the rings searched for suggestions: every 50 m out to 3 km, 24 bearings each
_RING_STEP_M = 50.0
_BEARINGS = 24
#: rings decided per step of the outward search
_RINGS_AT_ONCE = 1
#: suggestions are at least this far apart from each other, metres
_APART_M = 150.0

_DIRS = {
    "ru": ["север", "северо-восток", "восток", "юго-восток", "юг", "юго-запад", "запад",
           "северо-запад"],
    "en": ["north", "north-east", "east", "south-east", "south", "south-west", "west",
           "north-west"],
}  # fmt: skip


def language_of(accept_language: str | None, default: str = "ru") -> str:
    """``ru`` or ``en`` from an ``Accept-Language`` header (the first of the two named,
    by quality); ``default`` when it names neither."""
    if not accept_language:
        return default
    best: tuple[float, int, str] | None = None
    for i, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        lang = tag.strip().lower()[:2]
        if lang not in ("ru", "en"):
            continue
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        if q > 0 and (best is None or (q, -i) > (best[0], -best[1])):
            best = (q, i, lang)
    return best[2] if best else default


def rounded(distance_m: float) -> float:
    """A distance as a partner sees it: to the nearest :data:`ROUND_M` metres."""
    return float(ROUND_M * round(distance_m / ROUND_M))


def direction(azimuth_deg: float, language: str = "ru") -> str:
    """The compass direction (8 points) of a bearing in degrees from north, clockwise."""
    return _DIRS["en" if language == "en" else "ru"][int(((azimuth_deg % 360) + 22.5) // 45) % 8]


def blocker(c: Conflict, *, partner: bool, own: bool = False) -> dict[str, Any]:
    """A blocking point or reservation as the caller may see it: the full detail for
    expansion and admin (``partner`` False); for a partner a rounded distance, and no id
    and only the day of ``reserved_until`` unless the blocker is its own (``own``)."""
    hidden = partner and not own
    return {
        "point_id": None if hidden else str(c.point_id),
        "kind": c.kind,
        "distance_m": rounded(c.distance_m) if partner else round(c.distance_m, 3),
        "radius_m": c.radius_m,
        "reserved_until": (_day(c.reserved_until) or None) if hidden else c.reserved_until,
    }


def owned(
    conflicts: Sequence[Conflict],
    partner_id: str | None,
    owner: Callable[[Conflict], str | None],
) -> frozenset[str]:
    """The ids of the blockers ``partner_id`` owns itself; ``owner(c)`` names a blocker's
    partner (None: none, or gone)."""
    if not partner_id:
        return frozenset()
    return frozenset(str(c.point_id) for c in conflicts if owner(c) == partner_id)


def _day(iso: str | None) -> str:
    return "" if not iso else iso[:10]


def message(
    *,
    allowed: bool,
    conflicts: Sequence[Conflict],
    language: str = "ru",
    status: str | None = None,
    reserved_until: str | None = None,
    suggestions: Sequence[dict[str, Any]] = (),
    radius_m: float | None = None,
    own: frozenset[str] = frozenset(),
    suggested: bool = True,
) -> str:
    """A sentence for the partner: allowed or why not, and where it could open instead.

    ``status`` is the application's (None: a check); ``conflicts`` nearest first; ``own``:
    the ids of the blockers the partner owns (named as its own, with their id);
    ``suggested`` False: suggestions were not looked for (a listing), so nothing is said
    about them.
    """
    en = language == "en"
    if status in ("approved", "rejected", "withdrawn", "expired"):
        return {
            "approved": ("Заявка одобрена: пункт открыт в сети.",
                         "The application is approved: the point is in the network."),
            "rejected": ("Заявка отклонена командой развития.",
                         "The application was rejected by the expansion team."),
            "withdrawn": ("Заявка отозвана, место освобождено.",
                          "The application was withdrawn and its spot freed."),
            "expired": ("Срок резерва истёк до решения: подайте заявку заново.",
                        "The reservation ran out before a decision: please apply again."),
        }[status][1 if en else 0]  # fmt: skip
    if allowed:
        if status == "pending":
            return (f"The spot is free: the application is under review and the spot is held "
                    f"for you until {_day(reserved_until)}." if en else
                    f"Место свободно: заявка на рассмотрении, место закреплено за вами до "
                    f"{_day(reserved_until)}.")  # fmt: skip
        return ("A pickup point can open here." if en
                else "Здесь можно открыть пункт выдачи.")  # fmt: skip
    c = conflicts[0]
    d = rounded(c.distance_m)
    # rounded to nothing (under 25 m): "less than 50 m", never "about 0 m"
    near = f"less than {ROUND_M:.0f} m" if en else f"на расстоянии менее {ROUND_M:.0f} м"
    about_en = f"about {d:.0f} m" if d else near
    about_ru = f"примерно в {d:.0f} м" if d else near
    mine = str(c.point_id) in own
    if c.kind == "reservation" and mine:
        what = (f"a spot reserved by your own application {c.point_id} until "
                f"{_day(c.reserved_until)} is {about_en} away" if en else
                f"{about_ru} место, закреплённое за вашей же заявкой {c.point_id} до "
                f"{_day(c.reserved_until)}")  # fmt: skip
    elif mine:
        what = (f"your own pickup point {c.point_id} is {about_en} away" if en else
                f"{about_ru} работает ваш же пункт выдачи {c.point_id}")  # fmt: skip
    elif c.kind == "reservation":
        what = (f"a spot reserved by another application until {_day(c.reserved_until)} is "
                f"{f'about {d:.0f} m' if d else near} away" if en else
                f"{f'примерно в {d:.0f} м' if d else near} место, закреплённое за другой "
                f"заявкой до {_day(c.reserved_until)}")  # fmt: skip
    else:
        what = (f"a pickup point of the network is {f'about {d:.0f} m' if d else near} away"
                if en else
                f"{f'примерно в {d:.0f} м' if d else near} работает пункт выдачи сети")  # fmt: skip
    r = max(c.radius_m, radius_m or 0.0)
    text = (f"A pickup point cannot open here: {what} (protected radius {r:.0f} m)." if en
            else f"Здесь открыть пункт нельзя: {what} (радиус защиты {r:.0f} м).")  # fmt: skip
    if len(conflicts) > 1:
        text += (f" {len(conflicts) - 1} more block it." if en
                 else f" Мешают ещё: {len(conflicts) - 1}.")  # fmt: skip
    if suggestions:
        s = suggestions[0]
        text += (f" The nearest spot where you can open now: about {s['distance_m']:.0f} m "
                 f"{s['direction']}." if en else
                 f" Ближайшее место, где можно открыть пункт сейчас: примерно "
                 f"{s['distance_m']:.0f} м на {s['direction']}.")  # fmt: skip
    elif suggested:
        text += (f" No free spot within {SUGGEST_WITHIN_M / 1000:.0f} km." if en
                 else f" Свободного места в пределах {SUGGEST_WITHIN_M / 1000:.0f} км "
                 "нет.")  # fmt: skip
    return text


def suggestions(
    lat: float,
    lon: float,
    allowed_at: Callable[[npt.NDArray[np.float64], npt.NDArray[np.float64]], npt.NDArray[np.bool_]],
    *,
    language: str = "ru",
    n: int = N_SUGGESTIONS,
    within_m: float = SUGGEST_WITHIN_M,
    start_m: float = 0.0,
) -> list[dict[str, Any]]:
    """Up to ``n`` nearest allowed spots around ``(lat, lon)`` within ``within_m`` metres,
    nearest first, at least 150 m apart: ``lat, lon`` (as checked), ``distance_m``
    (rounded to 50 m), ``direction`` (``северо-восток`` / ``north-east``).

    ``allowed_at(lat, lon)`` decides many spots at once (the pre-check, the territory).
    ``start_m``: no spot nearer than this can be allowed (a blocker at ``d`` with radius
    ``r`` rules out every spot nearer than ``r - d``); the search starts there.
    """
    steps = np.arange(_RING_STEP_M, within_m + 1e-9, _RING_STEP_M)
    steps = steps[steps >= start_m - _RING_STEP_M]
    az = np.arange(_BEARINGS) * (360.0 / _BEARINGS)
    found: list[tuple[float, float, float, float]] = []  # lat, lon, distance, bearing
    for first in range(0, len(steps), _RINGS_AT_ONCE):  # outward; stop once n are found
        dist = np.repeat(steps[first : first + _RINGS_AT_ONCE], _BEARINGS)
        bearing = np.tile(az, len(dist) // _BEARINGS)
        lon2, lat2, _ = WGS84.fwd(np.full(dist.shape, lon), np.full(dist.shape, lat), bearing,
                                  dist)  # fmt: skip
        lon2 = (np.asarray(lon2) + 180.0) % 360.0 - 180.0
        lat2 = np.asarray(lat2)
        ok = np.asarray(allowed_at(lat2, lon2), dtype=bool) & np.isfinite(lat2)
        for i in np.flatnonzero(ok):  # ordered by distance (rings outward)
            if found:
                _, _, d = WGS84.inv(np.full(len(found), lon2[i]), np.full(len(found), lat2[i]),
                                    [f[1] for f in found], [f[0] for f in found])  # fmt: skip
                if float(np.min(d)) < _APART_M:
                    continue
            found.append((float(lat2[i]), float(lon2[i]), float(dist[i]), float(bearing[i])))
            if len(found) >= n:
                break
        if len(found) >= n:
            break
    return [{"lat": la, "lon": lo, "distance_m": rounded(d), "direction": direction(b, language)}
            for la, lo, d, b in found]  # fmt: skip
