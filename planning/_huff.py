"""Compiled Huff turnover of a network over its (point, cell) pairs (numba): the inner loop
of calibration, evaluated hundreds of times per fit."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from numba import njit

__all__ = ["huff_turnover"]


@njit(cache=True)
def _turnover(
    pj: npt.NDArray[np.int64],
    pi: npt.NDArray[np.int64],
    base: npt.NDArray[np.float64],
    a: npt.NDArray[np.float64],
    w_cell: npt.NDArray[np.float64],
    n_points: int,
    dec: float,
    power: bool,
    outside: float,
) -> npt.NDArray[np.float64]:  # pragma: no cover - compiled
    n_cells = w_cell.size
    big_d = np.full(n_cells, outside)
    af = np.empty(pj.size)
    for k in range(pj.size):
        f = math.exp(-dec * base[k]) if power else math.exp(base[k] / dec)
        v = a[pj[k]] * f
        af[k] = v
        big_d[pi[k]] += v
    out = np.zeros(n_points)
    for k in range(pj.size):
        d = big_d[pi[k]]
        if d > 0.0:
            out[pj[k]] += w_cell[pi[k]] * af[k] / d
    return out


def huff_turnover(
    pj: npt.NDArray[np.int64],
    pi: npt.NDArray[np.int64],
    base: npt.NDArray[np.float64],
    a: npt.NDArray[np.float64],
    w_cell: npt.NDArray[np.float64],
    *,
    n_points: int,
    dec: float,
    power: bool,
    outside: float,
) -> npt.NDArray[np.float64]:
    """Captured demand of each point, ``sum_i w_i P_ij`` (times spend: turnover).

    Parameters
    ----------
    pj, pi : point and cell of each pair within reach
    base : per pair, ``log(1 + d / d0)`` (power decay: ``f = exp(-dec * base)``) or
        ``-d`` (exponential: ``f = exp(base / dec)``), ``d`` in metres
    a : attractiveness of each point
    w_cell : weight of each demand cell
    n_points : number of points
    dec : the decay's exponent (power) or length in metres (exponential)
    power : which decay
    outside : the outside option's attraction
    """
    return np.asarray(_turnover(pj, pi, base, a, w_cell, int(n_points), float(dec), bool(power),
                                float(outside)))  # fmt: skip
