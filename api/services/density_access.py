"""What a partner key may see of the network's density: whole coarse cells, live points
only, no cell that would single out fewer than ``k`` points of other partners.

Staff keys (admin, expansion) get the exact counts inside any bbox at any resolution.
A partner planning its expansion needs to know where the network is dense and where it is
thin, not where a competitor's point stands or whether it is paused, closed or new. So a
partner key gets (:func:`partner_counts`):

* cells no finer than ``density_partner_resolution`` (default 5: H3 cells of about 250 km²,
  edges of about 8.5 km); a finer request is answered at that resolution;
* whole cells: the bbox is snapped outward to every cell that touches it (a cell whose
  centre lies within a cell's reach of the bbox), and each such cell is counted whole.
  Which cells are counted depends on the bbox alone, never on where points are, so
  shrinking the bbox around a point (bisection) learns nothing finer than its cell;
* live points only (a protecting kind and status: the points customers can see and that
  protect their area): ``count`` equals ``live``, so comparing them reveals no point's
  status;
* k-anonymity: a cell is listed only if it holds at least ``density_partner_min_points``
  (default 5) live points not owned by the caller; a thinner cell is left out as if empty.

What a partner can still learn: that some live point appeared in or left a listed cell
between two requests (coarse, and of the public network).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import h3
import numpy as np

from api.service import Service

__all__ = ["PartnerCell", "grow", "partner_counts", "touching"]

BBox = tuple[float, float, float, float]

_KM_PER_DEG_LAT = 110.5  # the least on WGS84 (110.57 km at the equator)
_PAGE = 10_000


class Counts(Protocol):
    """The per-cell counts the density model answers (:class:`api.density_model.CellCounts`)."""

    @property
    def cell(self) -> list[str]: ...

    @property
    def lat(self) -> list[float]: ...

    @property
    def lon(self) -> list[float]: ...

    @property
    def live(self) -> list[int]: ...


@dataclass(frozen=True)
class PartnerCell:
    """One cell a partner may see: H3 id, centre (WGS84 degrees), live points in it."""

    cell: str
    lat: float
    lon: float
    live: int


def reach_km(res: int) -> float:
    """More than the farthest a point of an H3 cell of ``res`` lies from the cell's centre:
    twice the average edge (a hexagon's circumradius is its edge; edges vary less than 1.5x
    over the globe), km."""
    return 2.0 * float(h3.average_hexagon_edge_length(res, unit="km"))


def _wrap(lon: float) -> float:
    return (lon + 180.0) % 360.0 - 180.0


def grow(box: BBox, km: float) -> BBox:
    """``box`` (``minlon, minlat, maxlon, maxlat``; ``minlon > maxlon`` crosses 180) grown by
    at least ``km`` on every side; latitudes clipped to +-90, the whole circle of longitude
    when it would wrap around (or near a pole)."""
    minlon, minlat, maxlon, maxlat = box
    dlat = km / _KM_PER_DEG_LAT
    lo, hi = max(-90.0, minlat - dlat), min(90.0, maxlat + dlat)
    widest = max(abs(lo), abs(hi))
    span = maxlon - minlon if minlon <= maxlon else maxlon - minlon + 360.0
    if widest >= 89.0:
        return -180.0, lo, 180.0, hi
    dlon = dlat / math.cos(math.radians(widest))
    if span + 2 * dlon >= 360.0:
        return -180.0, lo, 180.0, hi
    return _wrap(minlon - dlon), lo, _wrap(maxlon + dlon), hi


def touching(lat: float, lon: float, box: BBox) -> bool:
    """Whether (lat, lon) lies in ``box`` (edges included; ``minlon > maxlon`` crosses 180)."""
    minlon, minlat, maxlon, maxlat = box
    if not minlat <= lat <= maxlat:
        return False
    if minlon <= maxlon:
        return minlon <= lon <= maxlon
    return lon >= minlon or lon <= maxlon


def _own_live(service: Service, partner_id: str, res: int) -> Counter[str]:
    """The caller's own live points per H3 cell of ``res``."""
    own: Counter[str] = Counter()
    after: str | None = None
    while True:
        page = service.list_points(partner_id=partner_id, limit=_PAGE, after=after)
        if page:
            kinds = np.asarray([p.kind for p in page], dtype=object)
            live = service.policy.protects(
                kinds, np.asarray([p.status for p in page], dtype=object)
            )
            for p, is_live in zip(page, live.tolist(), strict=True):
                if is_live:
                    own[h3.latlng_to_cell(p.lat, p.lon, res)] += 1
        if len(page) < _PAGE:
            return own
        after = page[-1].id


def partner_counts(
    count: Callable[[BBox, int], Counts],
    service: Service,
    partner_id: str,
    box: BBox,
    res: int,
    *,
    min_points: int,
) -> Sequence[PartnerCell]:
    """The cells a partner sees for ``box`` at ``res`` (already capped at the partner's
    coarsest allowed resolution): whole cells touching ``box`` with live points only, each
    holding at least ``min_points`` live points of other owners (module docstring).

    ``count(bbox, res)`` counts the points inside a bbox per cell (the density model);
    it is asked for a bbox large enough to hold every point of every touching cell, so the
    counts kept are whole-cell counts. Cells in ascending id order."""
    reach = reach_km(res)
    near = grow(box, reach)  # a cell touches ``box`` if its centre lies within this
    whole = grow(box, 2 * reach)  # every point of such a cell lies within this
    c = count(whole, res)
    own = _own_live(service, partner_id, res)
    out = []
    for cell, la, lo, live in zip(c.cell, c.lat, c.lon, c.live, strict=True):
        if live - own[cell] < min_points:
            continue
        if touching(la, lo, near):  # the model gives cell centres
            out.append(PartnerCell(cell, la, lo, live))
    return out
