"""Compiled iterated local search for maximal covering with separation (numba).

One kernel, :func:`perturb_search`: from a feasible set of sites, drop a
chosen site and up to ``mates`` chosen neighbours (sites that share demand with
it), refill greedily inside their neighbourhood (the candidates that share
demand with a dropped site), then swap each chosen site of that neighbourhood
for the best feasible candidate of the neighbourhood; keep the move while the
covered weight stays within ``deviation`` of the best found (record-to-record
travel), else undo it; after ``restart`` iterations without a new best, walk
on from the best set found. Returns the best set found. Every step is confined to
one neighbourhood, so an iteration costs little on any instance size.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["perturb_search"]

Arr = np.ndarray


@njit(cache=True)
def _add(  # noqa: PLR0913
    j: int, c_ptr: Arr, c_idx: Arr, f_ptr: Arr, f_idx: Arr, w: Arr, cnt: Arr, blocked_by: Arr,
    in_set: Arr, chosen: Arr, pos_of: Arr, state: Arr,
) -> None:  # fmt: skip
    for t in range(c_ptr[j], c_ptr[j + 1]):
        i = c_idx[t]
        if cnt[i] == 0:
            state[0] += w[i]
        cnt[i] += 1
    for t in range(f_ptr[j], f_ptr[j + 1]):
        blocked_by[f_idx[t]] += 1
    in_set[j] = True
    n = int(state[1])
    chosen[n] = j
    pos_of[j] = n
    state[1] = n + 1


@njit(cache=True)
def _drop(  # noqa: PLR0913
    j: int, c_ptr: Arr, c_idx: Arr, f_ptr: Arr, f_idx: Arr, w: Arr, cnt: Arr, blocked_by: Arr,
    in_set: Arr, chosen: Arr, pos_of: Arr, state: Arr,
) -> None:  # fmt: skip
    for t in range(c_ptr[j], c_ptr[j + 1]):
        i = c_idx[t]
        cnt[i] -= 1
        if cnt[i] == 0:
            state[0] -= w[i]
    for t in range(f_ptr[j], f_ptr[j + 1]):
        blocked_by[f_idx[t]] -= 1
    in_set[j] = False
    n = int(state[1]) - 1
    p = pos_of[j]
    last = chosen[n]
    chosen[p] = last
    pos_of[last] = p
    pos_of[j] = -1
    state[1] = n


@njit(cache=True)
def perturb_search(  # noqa: PLR0913, PLR0912, PLR0915, C901
    c_ptr: Arr, c_idx: Arr, a_ptr: Arr, a_idx: Arr, f_ptr: Arr, f_idx: Arr, w: Arr,
    allowed: Arr, start: Arr, iterations: int, seed: int, mates: int, deviation: float,
    tol: float, restart: int,
) -> Arr:  # fmt: skip
    """Iterated local search from ``start``; returns the best chosen positions (int64).

    ``c_ptr, c_idx``: the cover (candidate -> cells) as CSR; ``a_ptr, a_idx``:
    candidates sharing demand; ``f_ptr, f_idx``: conflicts; ``w``: the weight a
    site can add per cell; ``allowed``: not blocked; ``tol``: an improvement
    smaller than this is none.
    """
    n = allowed.size
    m = w.size
    np.random.seed(seed)
    cnt = np.zeros(m, dtype=np.int64)
    blocked_by = np.zeros(n, dtype=np.int64)
    in_set = np.zeros(n, dtype=np.bool_)
    chosen = np.empty(n, dtype=np.int64)
    pos_of = np.full(n, -1, dtype=np.int64)
    state = np.zeros(2)  # covered weight, number chosen
    for j in start:
        _add(j, c_ptr, c_idx, f_ptr, f_idx, w, cnt, blocked_by, in_set, chosen, pos_of, state)
    best = chosen[: int(state[1])].copy()
    best_w = state[0]
    mark = np.zeros(n, dtype=np.int64)  # stamp: candidate in the region
    solo = np.zeros(m, dtype=np.int64)  # stamp: cell covered only by the site swapped out
    conf = np.zeros(n, dtype=np.int64)  # stamp: candidate in conflict with that site
    ban = np.zeros(n, dtype=np.int64)  # stamp: the dropped seed site
    region = np.empty(n, dtype=np.int64)
    j_op = np.empty(64 + 8 * n, dtype=np.int64)  # journal of moves: +1 + j add, -(1 + j) drop
    stamp = 0
    if state[1] == 0:
        return best
    since = 0  # iterations since the best improved
    for _ in range(iterations):
        since += 1
        if since > restart:  # back to the best set found (a new walk from there)
            since = 0
            while state[1] > 0:
                _drop(chosen[int(state[1]) - 1], c_ptr, c_idx, f_ptr, f_idx, w, cnt, blocked_by,
                      in_set, chosen, pos_of, state)  # fmt: skip
            for j in best:
                _add(j, c_ptr, c_idx, f_ptr, f_idx, w, cnt, blocked_by, in_set, chosen, pos_of,
                     state)  # fmt: skip
        stamp += 1
        n_ops = 0
        k_before = int(state[1])
        s = chosen[np.random.randint(k_before)]
        # the dropped sites: s and up to `mates` chosen neighbours, at random
        rm = [s]
        cand_mates = [a_idx[t] for t in range(a_ptr[s], a_ptr[s + 1])
                      if in_set[a_idx[t]] and a_idx[t] != s]  # fmt: skip
        for q in range(min(mates, len(cand_mates))):
            r = q + np.random.randint(len(cand_mates) - q)
            cand_mates[q], cand_mates[r] = cand_mates[r], cand_mates[q]
            rm.append(cand_mates[q])
        nr = 0
        for j in rm:
            for t in range(a_ptr[j], a_ptr[j + 1]):
                c = a_idx[t]
                if mark[c] != stamp:
                    mark[c] = stamp
                    region[nr] = c
                    nr += 1
        ban[s] = stamp
        for j in rm:
            _drop(j, c_ptr, c_idx, f_ptr, f_idx, w, cnt, blocked_by, in_set, chosen, pos_of,
                  state)  # fmt: skip
            j_op[n_ops] = -(1 + j)
            n_ops += 1
        # greedy refill inside the region
        for _step in range(len(rm)):
            bg = 0.0
            bc = -1
            for q in range(nr):
                c = region[q]
                if not allowed[c] or in_set[c] or blocked_by[c] != 0 or ban[c] == stamp:
                    continue
                g = 0.0
                for t in range(c_ptr[c], c_ptr[c + 1]):
                    if cnt[c_idx[t]] == 0:
                        g += w[c_idx[t]]
                if g > bg:
                    bg = g
                    bc = c
            if bc < 0:
                break
            _add(bc, c_ptr, c_idx, f_ptr, f_idx, w, cnt, blocked_by, in_set, chosen, pos_of,
                 state)  # fmt: skip
            j_op[n_ops] = 1 + bc
            n_ops += 1
        # swap each chosen site of the region for the best candidate of the region
        sites = [region[q] for q in range(nr) if in_set[region[q]]]
        for o in sites:
            if not in_set[o] or n_ops > j_op.size - 4:
                continue
            stamp += 1
            loss = 0.0
            for t in range(c_ptr[o], c_ptr[o + 1]):
                i = c_idx[t]
                if cnt[i] == 1:
                    solo[i] = stamp
                    loss += w[i]
            for t in range(f_ptr[o], f_ptr[o + 1]):
                conf[f_idx[t]] = stamp
            bd = tol
            bc = -1
            for q in range(nr):
                c = region[q]
                if not allowed[c] or in_set[c]:
                    continue
                if blocked_by[c] - (1 if conf[c] == stamp else 0) != 0:
                    continue
                g = -loss
                for t in range(c_ptr[c], c_ptr[c + 1]):
                    i = c_idx[t]
                    if cnt[i] == 0 or (cnt[i] == 1 and solo[i] == stamp):
                        g += w[i]
                if g > bd:
                    bd = g
                    bc = c
            if bc >= 0:
                _drop(o, c_ptr, c_idx, f_ptr, f_idx, w, cnt, blocked_by, in_set, chosen, pos_of,
                      state)  # fmt: skip
                _add(bc, c_ptr, c_idx, f_ptr, f_idx, w, cnt, blocked_by, in_set, chosen,
                     pos_of, state)  # fmt: skip
                j_op[n_ops] = -(1 + o)
                j_op[n_ops + 1] = 1 + bc
                n_ops += 2
        k_now = int(state[1])
        if state[0] > best_w + tol or (state[0] >= best_w - tol and k_now > best.size):
            if state[0] > best_w + tol:
                since = 0
            best = chosen[:k_now].copy()
            best_w = state[0]
        if state[0] < best_w * (1 - deviation) - tol or k_now < k_before:
            for q in range(n_ops - 1, -1, -1):  # undo, last move first
                op = j_op[q]
                if op > 0:
                    _drop(op - 1, c_ptr, c_idx, f_ptr, f_idx, w, cnt, blocked_by, in_set,
                          chosen, pos_of, state)  # fmt: skip
                else:
                    _add(-op - 1, c_ptr, c_idx, f_ptr, f_idx, w, cnt, blocked_by, in_set,
                         chosen, pos_of, state)  # fmt: skip
    return best
