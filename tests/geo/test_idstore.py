"""Point ids in compact arrays: the id <-> slot maps behave as a list and a dict would."""

from __future__ import annotations

import numpy as np
import pytest

from geo._idstore import IdStore, int_hashes
from geo.index import PointIndex


class SameHash:
    """Distinct ids that all share one hash (the lookup must compare the ids)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __hash__(self) -> int:
        return 7

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SameHash) and other.name == self.name

    def __repr__(self) -> str:
        return f"SameHash({self.name!r})"


@pytest.mark.parametrize(
    "ids",
    [
        list(range(300)),
        [f"pvz-{i:05d}" for i in range(300)],
        [f"a long text id that is not stored inline, number {i}" for i in range(300)],
        [2**70 + i for i in range(300)],  # past int64: kept as Python ints
        [(i, "x") for i in range(300)],
        [SameHash(str(i)) for i in range(300)],
    ],
    ids=["int", "str", "long-str", "bigint", "tuple", "same-hash"],
)
def test_slots_and_ids_round_trip(ids: list[object]) -> None:
    store = IdStore()
    store.add(ids[:200])  # one bulk add (sorted hashes)
    for pid in ids[200:]:  # then single adds (recent dict)
        store.add([pid])
    assert len(store) == 300
    for slot, pid in enumerate(ids):
        assert store.slot_of(pid) == slot and pid in store
        assert store.id_of(slot) == pid and type(store.id_of(slot)) is type(pid)
    got = store.ids_of(np.array([299, 0, 150]))
    assert got.dtype == object and got.tolist() == [ids[299], ids[0], ids[150]]
    for victim in (ids[3], ids[250]):
        slot = store.delete(victim)
        assert victim not in store and slot not in store.live_slots().tolist()
        with pytest.raises(KeyError):
            store.slot_of(victim)
    store.add([ids[3]])  # deleted ids may come back, in a new slot
    assert store.slot_of(ids[3]) == 300 and len(store) == 299
    store.rebuild()
    assert store.slot_of(ids[3]) == 300 and ids[250] not in store
    assert store.slot_of(ids[299]) == 299


def test_duplicates_refused_within_a_batch_and_against_live_ids() -> None:
    store = IdStore()
    store.add([f"p{i}" for i in range(100)])
    store.add(["recent"])
    with pytest.raises(ValueError, match="duplicate point id 'q'"):
        store.add(["q", "r", "q"])
    with pytest.raises(ValueError, match="duplicate point id 'p42'"):
        store.add(["new", "p42"])
    with pytest.raises(ValueError, match="duplicate point id 'recent'"):
        store.add([f"n{i}" for i in range(500)] + ["recent"])
    with pytest.raises(ValueError, match="duplicate point id 7"):
        store.add(np.array([5, 6, 7, 7]))
    assert "new" not in store and "n1" not in store and len(store) == 101  # nothing stored
    store.add([f"n{i}" for i in range(500)])
    assert store.slot_of("n499") == 600


def test_int_hashes_are_pythons() -> None:
    rng = np.random.default_rng(1)
    v = np.concatenate([
        rng.integers(-(2**63), 2**63 - 1, 10_000, dtype=np.int64, endpoint=True),
        np.array([0, 1, -1, -2, 2**61 - 1, 2**61, -(2**61) + 1, -(2**61), 2**63 - 1, -(2**63)]),
    ])  # fmt: skip
    assert int_hashes(v).tolist() == [hash(x) for x in v.tolist()]


def test_mixed_types_become_objects() -> None:
    store = IdStore()
    store.add([1, 2, 3])
    store.add(["3", "x"])
    assert store.ids_of(np.arange(5)).tolist() == [1, 2, 3, "3", "x"]
    assert store.slot_of(3) == 2 and store.slot_of("3") == 3
    assert type(store.id_of(0)) is int


def test_numpy_integer_ids_read_back_as_python_ints() -> None:
    store = IdStore()
    store.add(list(np.arange(10, 20)))
    store.add(np.arange(20, 100, dtype=np.uint32))  # an integer array: stored as it is
    assert store.slot_of(99) == 89
    assert store.slot_of(15) == 5 and store.slot_of(np.int64(15)) == 5
    assert type(store.id_of(5)) is int


def test_many_single_inserts_past_the_recent_limit() -> None:
    store = IdStore()
    for i in range(5000):
        store.add([f"id{i}"])
    assert all(store.slot_of(f"id{i}") == i for i in range(0, 5000, 37))
    assert len(store._recent) < 5000


def test_index_memory_per_point_is_compact() -> None:
    """Ids, coordinates, radii and the grid: under 150 bytes per point (was about 560)."""
    rng = np.random.default_rng(3)
    n = 50_000
    lat, lon = rng.uniform(55.5, 56.0, n), rng.uniform(37.3, 37.9, n)
    for ids in ([f"{i:08d}" for i in range(n)], list(range(n)), np.arange(n)):
        idx = PointIndex.from_points(ids, lat, lon, 500.0)
        arrays = sum(v.nbytes for v in vars(idx).values() if isinstance(v, np.ndarray))
        per_point = (arrays + idx._ids.nbytes()) / n
        assert per_point < 150, per_point
        assert idx.ids_of(np.array([0, n - 1])).tolist() == [ids[0], ids[n - 1]]
