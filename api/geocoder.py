"""Address search for the map through a Nominatim-compatible geocoder (``PVZ_GEOCODER_URL``).

Off by default (the service runs offline). When a base URL is set, :func:`geocode` asks its
``/search`` endpoint (``format=jsonv2``; Nominatim's API, also served by Photon-style and
self-hosted Nominatim instances) and returns at most ``limit`` places. The map page asks
through the server (``GET /map/geocode.json``), so the browser only ever talks to this
server. Standard library HTTP (``urllib``): no extra dependency.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

__all__ = ["GeocoderError", "Place", "geocode"]

_USER_AGENT = "pvz-planner map address search"


class GeocoderError(Exception):
    """The geocoder could not be reached or answered something that is not a place list."""


@dataclass(frozen=True)
class Place:
    """A found place: its display name and WGS84 position (degrees)."""

    name: str
    lat: float
    lon: float


def geocode(base_url: str, query: str, *, limit: int = 5, language: str = "ru",
            timeout_s: float = 5.0) -> list[Place]:  # fmt: skip
    """Places matching ``query`` (an address, free text), best first.

    Parameters
    ----------
    base_url : the geocoder's base URL; ``/search`` is appended
    query : the address text
    limit : at most this many places
    language : ``accept-language`` of the names (ru or en)
    timeout_s : network timeout, seconds

    Raises :class:`GeocoderError` when the URL is not http(s), the geocoder is unreachable,
    times out, answers an HTTP error or a body that is not a JSON list; rows without a valid
    position are skipped.
    """
    if urllib.parse.urlsplit(base_url).scheme not in ("http", "https"):
        raise GeocoderError(f"the geocoder URL must be http(s), got {base_url!r}")
    params = urllib.parse.urlencode({"q": query, "format": "jsonv2", "limit": int(limit),
                                     "accept-language": language})  # fmt: skip
    url = f"{base_url.rstrip('/')}/search?{params}"
    req = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT,
                                               "Accept": "application/json"})  # fmt: skip
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:  # noqa: S310 (configured URL)
            body = resp.read(2_000_000)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise GeocoderError(f"the geocoder did not answer: {exc}") from None
    try:
        rows = json.loads(body)
    except ValueError:
        raise GeocoderError("the geocoder's answer is not JSON") from None
    if not isinstance(rows, list):
        raise GeocoderError("the geocoder's answer is not a list of places")
    out: list[Place] = []
    for r in rows:
        if not isinstance(r, dict):
            continue
        try:
            lat, lon = float(r["lat"]), float(r["lon"])
        except (KeyError, TypeError, ValueError):
            continue
        if not (math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180):
            continue
        out.append(Place(str(r.get("display_name") or r.get("name") or query), lat, lon))
        if len(out) >= limit:
            break
    return out
