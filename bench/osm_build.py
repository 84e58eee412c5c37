"""Throughput of ``pvz settlements build`` on a synthetic OSM extract, extrapolated to Russia.

Writes a PBF with the make-up of a real extract (untagged nodes, buildings as
small closed ways, roads as open ways, settlements as place areas and as
administrative boundary relations with a label node; a few across 180 degrees),
times :func:`data.osm_boundaries.build_boundaries` on it, and extrapolates to
Geofabrik's ``russia-latest.osm.pbf`` by object counts. The Russian counts are
themselves an estimate (the planet's counts scaled by file size), so the result
is an estimate, not a measurement.

Run: ``.venv/bin/python bench/osm_build.py [--ways 1000000] [--out DIR]``
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# estimated contents of russia-latest.osm.pbf (about 3.5 GB): the planet (about 80 GB,
# 9.5 billion nodes, 1.05 billion ways, 12 million relations) scaled by file size
RUSSIA_GB = 3.5
RUSSIA_NODES = 9.5e9 * RUSSIA_GB / 80
RUSSIA_WAYS = 1.05e9 * RUSSIA_GB / 80


def write_synthetic(path: Path, *, n_ways: int, seed: int = 1) -> dict[str, int]:
    """A synthetic extract: 70 % buildings (4-node closed ways), 30 % roads (10-node ways),
    one settlement per 500 ways (half place areas, half boundary relations)."""
    import osmium
    from osmium.osm.mutable import Node, Relation, Way

    rng = np.random.default_rng(seed)
    n_settle = max(n_ways // 500, 4)
    n_build = int(0.7 * n_ways)
    n_road = n_ways - n_build
    nid = wid = rid = 0
    counts = {"nodes": 0, "ways": 0, "relations": 0, "settlements": n_settle}
    lat0 = rng.uniform(45.0, 68.0, n_settle)
    lon0 = rng.uniform(30.0, 178.0, n_settle)
    lon0[: max(n_settle // 100, 1)] = 179.99  # a few across the antimeridian
    writer = osmium.SimpleWriter(str(path), overwrite=True)
    try:
        node_batches: list[tuple[int, float, float, dict[str, str]]] = []
        # settlement rings (4 corners) and label nodes
        rings = []
        for s in range(n_settle):
            d = 0.02
            corners = [(lat0[s] - d, lon0[s] - d), (lat0[s] - d, lon0[s] + d),
                       (lat0[s] + d, lon0[s] + d), (lat0[s] + d, lon0[s] - d)]  # fmt: skip
            ids = []
            for la, lo in corners:
                nid += 1
                lo = lo - 360.0 if lo > 180.0 else lo
                node_batches.append((nid, la, lo, {}))
                ids.append(nid)
            nid += 1
            node_batches.append(
                (
                    nid,
                    lat0[s],
                    lon0[s],
                    {"place": "town", "name": f"Town {s}", "population": f"{1000 + s:,}"},
                )
            )
            rings.append((ids, nid))
        for i, la, lo, tags in node_batches:
            writer.add_node(Node(id=i, location=(lo, la), tags=tags))
        counts["nodes"] += len(node_batches)
        # buildings and roads: nodes first (ids ascending), ways after
        b_lat = rng.uniform(45.0, 68.0, n_build)
        b_lon = rng.uniform(30.0, 178.0, n_build)
        first_b = nid + 1
        off = np.array([[0.0, 0.0], [0.0, 1e-4], [1e-4, 1e-4], [1e-4, 0.0]])
        for k in range(n_build):
            for dl, dn in off:
                nid += 1
                writer.add_node(Node(id=nid, location=(b_lon[k] + dn, b_lat[k] + dl)))
        first_r = nid + 1
        r_lat = rng.uniform(45.0, 68.0, n_road)
        r_lon = rng.uniform(30.0, 178.0, n_road)
        for k in range(n_road):
            for j in range(10):
                nid += 1
                writer.add_node(Node(id=nid, location=(r_lon[k] + 1e-4 * j, r_lat[k])))
        counts["nodes"] = nid
        for s, (ids, _) in enumerate(rings):
            wid += 1
            tags = ({"place": "town", "name": f"Town {s}", "population": f"{1000 + s}"}
                    if s % 2 else {})  # fmt: skip
            writer.add_way(Way(id=wid, nodes=[*ids, ids[0]], tags=tags))
        for k in range(n_build):
            wid += 1
            a = first_b + 4 * k
            writer.add_way(Way(id=wid, nodes=[a, a + 1, a + 2, a + 3, a],
                               tags={"building": "yes"}))  # fmt: skip
        for k in range(n_road):
            wid += 1
            a = first_r + 10 * k
            writer.add_way(Way(id=wid, nodes=list(range(a, a + 10)),
                               tags={"highway": "residential"}))  # fmt: skip
        counts["ways"] = wid
        for s, (_, label) in enumerate(rings):
            if s % 2 == 0:
                rid += 1
                writer.add_relation(
                    Relation(
                        id=rid,
                        members=[("w", s + 1, "outer"), ("n", label, "label")],
                        tags={
                            "type": "boundary",
                            "admin_level": "8",
                            "boundary": "administrative",
                            "name": f"городское поселение Town {s}",
                        },
                    )
                )
        counts["relations"] = rid
    finally:
        writer.close()
    return counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ways", type=int, default=1_000_000, help="ways in the synthetic file")
    ap.add_argument("--out", type=Path, default=None, help="folder for the PBF (default: tmp)")
    args = ap.parse_args()
    from data.osm_boundaries import build_boundaries

    folder = args.out or Path(tempfile.mkdtemp(prefix="pvz-osm-"))
    pbf = folder / "synthetic.osm.pbf"
    t = time.perf_counter()
    counts = write_synthetic(pbf, n_ways=args.ways)
    mb = pbf.stat().st_size / 1e6
    print(f"wrote {pbf}: {mb:.1f} MB, {counts['nodes']:,} nodes, {counts['ways']:,} ways, "
          f"{counts['relations']:,} relations ({time.perf_counter() - t:.0f} s)")  # fmt: skip
    gdf, stats = build_boundaries(pbf)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    s = stats.seconds
    objs = counts["nodes"] + counts["ways"]
    est_s = s * (RUSSIA_NODES + RUSSIA_WAYS) / objs
    print(stats.summary())
    print(
        "| file MB | nodes | ways | build s | MB/s | M objects/s | peak RSS MiB | Russia estimate |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---|")
    print(f"| {mb:.0f} | {counts['nodes']:,} | {counts['ways']:,} | {s:.1f} | {mb / s:.1f} | "
          f"{objs / s / 1e6:.2f} | {rss:.0f} | about {est_s / 60:.0f} min for "
          f"~{RUSSIA_NODES / 1e6:.0f} M nodes + ~{RUSSIA_WAYS / 1e6:.0f} M ways |")  # fmt: skip
    assert len(gdf) == stats.settlements


if __name__ == "__main__":
    main()
