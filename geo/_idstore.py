"""Point ids of :class:`geo.index.PointIndex` kept in compact arrays.

One id per slot (insertion order), in the narrowest array that holds them all: int64
when every id is an integer in the int64 range, numpy's variable-width ``StringDType``
when every id is text (16 bytes per id, short ids inline), an object array otherwise
(tuples, mixed types). The id -> slot lookup is a sorted array of the ids' Python
hashes with their slots (binary search, then ``==`` on the candidates), so an id is
found as a ``dict`` key would be; recent inserts wait in a small dict until the next
rebuild. About 33 bytes per point for integer ids and 41 for short text ids, against
about 450 for a ``list`` plus a ``dict`` of Python objects.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt
from numpy.dtypes import StringDType

__all__ = ["IdStore"]

Kind = Literal["int", "str", "obj"]

#: recent inserts looked up through a dict until the sorted hash arrays are rebuilt
_RECENT_LIMIT = 4096

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _kind_of(ids: Sequence[Hashable] | np.ndarray) -> Kind:
    if isinstance(ids, np.ndarray) and ids.dtype.kind in "iu":
        if ids.dtype.kind == "u" and ids.size and int(ids.max()) > _INT64_MAX:
            return "obj"
        return "int"
    if all(isinstance(x, str) for x in ids):
        return "str"
    integers = all(
        isinstance(x, int | np.integer) and not isinstance(x, bool | np.bool_) for x in ids
    )
    if integers and all(_INT64_MIN <= int(x) <= _INT64_MAX for x in ids):  # type: ignore[arg-type]
        return "int"
    return "obj"


def _empty(kind: Kind, n: int) -> np.ndarray:
    if kind == "int":
        return np.zeros(n, dtype=np.int64)
    if kind == "str":
        return np.empty(n, dtype=StringDType())
    return np.empty(n, dtype=object)


#: Python hashes integers modulo the Mersenne prime 2**61 - 1 (sign kept, -1 becomes -2)
_HASH_MODULUS = np.uint64(2**61 - 1)


def int_hashes(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """``hash(int(v))`` of every int64, computed without Python objects."""
    v = np.asarray(values, dtype=np.int64)
    neg = v < 0
    mag = v.view(np.uint64).copy()
    mag[neg] = (~mag[neg]) + np.uint64(1)  # |v| (also for -2**63) as uint64
    h = (mag % _HASH_MODULUS).astype(np.int64)
    h[neg] = -h[neg]
    h[h == -1] = -2
    return h


def _hashes(ids: Sequence[Hashable]) -> npt.NDArray[np.int64]:
    return np.fromiter(map(hash, ids), dtype=np.int64, count=len(ids))


class IdStore:
    """Ids by slot, and slots by id, for slots ``0 .. n_slots - 1``.

    Not thread-safe on its own: :class:`geo.index.PointIndex` calls it under its lock.
    """

    def __init__(self) -> None:
        self._kind: Kind | None = None
        self._arr: np.ndarray = _empty("int", 0)
        self._alive = np.zeros(0, dtype=np.bool_)
        self._n_slots = 0
        self._n_live = 0
        # sorted Python hashes of the ids and their slots (dead slots dropped at rebuilds)
        # one tuple, swapped whole: a reader without the index's lock sees a matching pair
        self._hashed = (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))
        self._recent: dict[Hashable, int] = {}

    # ---------------------------------------------------------------- reading
    def __len__(self) -> int:
        return self._n_live

    def __contains__(self, pid: object) -> bool:
        return self.find(pid) >= 0

    def nbytes(self) -> int:
        """Bytes held by the arrays (the inline part of text ids, the object pointers)."""
        arrays = (self._arr, self._alive, *self._hashed)
        return sum(a.nbytes for a in arrays)

    def find(self, pid: Hashable) -> int:
        """Slot of a live id, or -1."""
        slot = self._recent.get(pid)
        if slot is not None:
            return slot
        h = hash(pid)
        keys, slots = self._hashed
        i = int(np.searchsorted(keys, h))
        while i < keys.size and keys[i] == h:
            s = int(slots[i])
            if self._alive[s] and self.id_of(s) == pid:
                return s
            i += 1
        return -1

    def slot_of(self, pid: Hashable) -> int:
        """Slot of a live id; raises ``KeyError`` if unknown."""
        s = self.find(pid)
        if s < 0:
            raise KeyError(pid)
        return s

    def id_of(self, slot: int) -> Hashable:
        """The id of one slot, as a Python object (int, str, or what was given)."""
        v = self._arr[slot]
        return v.item() if self._kind == "int" else v

    def ids_of(self, slots: npt.NDArray[np.int64]) -> npt.NDArray[np.object_]:
        """Ids of the slots as an object array of Python ints, strs or the given objects."""
        picked = self._arr[slots]
        return picked if picked.dtype == object else picked.astype(object)

    def live_slots(self) -> npt.NDArray[np.int64]:
        """Slots of the live ids, ascending."""
        return np.flatnonzero(self._alive[: self._n_slots]).astype(np.int64)

    # ---------------------------------------------------------------- writing
    def add(self, ids: Sequence[Hashable] | np.ndarray) -> None:
        """Give the next ``len(ids)`` slots to ``ids``: a sequence of hashable ids, or an
        integer numpy array (stored without Python objects).

        Raises ``ValueError`` naming the first id repeated in ``ids`` or already live;
        nothing is stored then.
        """
        n = len(ids)
        if not n:
            return
        kind = _kind_of(ids)
        arr = isinstance(ids, np.ndarray) and kind == "int"
        if arr:
            values = np.asarray(ids).astype(np.int64)
            keys = int_hashes(values)
        else:
            keys = _hashes(ids)  # type: ignore[arg-type]
        self._check_new(ids, keys)
        if self._kind is None:
            self._kind = kind
            self._arr = _empty(kind, 0)
        elif kind != self._kind:  # mixed types: every id becomes an object
            self._kind = "obj"
            self._arr = self._arr.astype(object)
        first = self._n_slots
        self._grow(first + n)
        sl = slice(first, first + n)
        if arr:
            self._arr[sl] = values if self._kind == "int" else values.astype(object)
        elif self._kind == "int":
            ints = (int(x) for x in ids)  # type: ignore[arg-type]
            self._arr[sl] = np.fromiter(ints, dtype=np.int64, count=n)
        elif self._kind == "str":
            self._arr[sl] = np.asarray(ids, dtype=StringDType())
        else:
            vals = np.empty(n, dtype=object)
            vals[:] = list(ids)
            self._arr[sl] = vals
        self._alive[sl] = True
        self._n_slots = first + n
        self._n_live += n
        slots = np.arange(first, first + n, dtype=np.int64)
        if n > 64 or len(self._recent) + n > _RECENT_LIMIT:
            self._rebuild(keys, slots)
        else:
            self._recent.update(zip(self.ids_of(slots).tolist(), slots.tolist(), strict=True))

    def _check_new(self, ids: Sequence[Hashable] | np.ndarray, keys: npt.NDArray[np.int64]) -> None:
        """Raise ``ValueError`` naming the first id that is repeated or already live."""
        if keys.size <= 64:  # a few inserts (the service): direct lookups, no sorting
            self._refuse_duplicates(ids, range(keys.size))
            return
        suspects = np.zeros(keys.size, dtype=np.bool_)
        if keys.size > 1:
            order = np.argsort(keys, kind="stable")
            same = keys[order][1:] == keys[order][:-1]
            suspects[order[1:][same]] = True
            suspects[order[:-1][same]] = True
        if self._hashed[0].size:
            suspects |= np.isin(keys, self._hashed[0])
        if self._recent:
            suspects |= np.fromiter((p in self._recent for p in ids), dtype=np.bool_,
                                    count=keys.size)  # fmt: skip
        if suspects.any():
            self._refuse_duplicates(ids, np.flatnonzero(suspects).tolist())

    def _refuse_duplicates(
        self, ids: Sequence[Hashable] | np.ndarray, which: Iterable[int]
    ) -> None:
        seen: set[Hashable] = set()
        for i in which:
            pid = ids[i]
            pid = pid.item() if isinstance(pid, np.generic) else pid
            if pid in seen or self.find(pid) >= 0:
                raise ValueError(f"duplicate point id {pid!r}")
            seen.add(pid)

    def delete(self, pid: Hashable) -> int:
        """Forget a live id; returns its slot, raises ``KeyError`` if unknown."""
        s = self.slot_of(pid)
        self._recent.pop(pid, None)
        self._alive[s] = False
        self._n_live -= 1
        return s

    def rebuild(self) -> None:
        """Sort the hashes of every live id into the lookup arrays (the recent ones too)."""
        self._rebuild(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))

    def _rebuild(self, keys: npt.NDArray[np.int64], slots: npt.NDArray[np.int64]) -> None:
        old_k, old_s = self._hashed
        keep = self._alive[old_s]
        recent_s = np.fromiter(self._recent.values(), dtype=np.int64, count=len(self._recent))
        recent_k = _hashes(list(self._recent))
        all_k = np.concatenate([old_k[keep], recent_k, keys])
        all_s = np.concatenate([old_s[keep], recent_s, slots])
        order = np.argsort(all_k, kind="stable")
        self._hashed = (all_k[order], all_s[order])
        self._recent.clear()

    def _grow(self, need: int) -> None:
        cap = self._arr.size
        if need <= cap:
            return
        new = max(need, 2 * cap, 1024) if cap else need
        arr = _empty(self._kind or "int", new)
        arr[:cap] = self._arr
        self._arr = arr
        alive = np.zeros(new, dtype=np.bool_)
        alive[:cap] = self._alive
        self._alive = alive
