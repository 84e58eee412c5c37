"""``pvz check`` end to end (process start, imports, CSV in, check, CSV out) against a
scipy cKDTree + pyproj reference script (``bench/_check_reference.py``) on the same files;
where its time goes, phase by phase; ``pvz audit``, ``score`` and ``map`` end to end on a
large network; ``pvz --help`` against ``python -c "import pandas"``.

Usage: ``.venv/bin/python bench/check_e2e.py [--points 100000] [--candidates 300000]
[--repeat 3] [--large 250000] [--large-candidates 10000]`` (``--large 0`` skips the
audit/score/map runs). Prints markdown tables: best of ``--repeat`` runs of each, run
alternately, as wall clock and as CPU time (user + sys of the child process: on a machine
shared with other jobs the CPU time varies less than the wall clock; ours runs numba on
2 threads, so its CPU time can exceed its wall clock on an idle machine). Checks that
both agree on every decision and every nearest conflict.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._env import require_project_venv, versions  # noqa: E402

PVZ = [sys.executable, "-c", "from api.cli import main; main()"]


def _run(argv: list[str]) -> tuple[float, float]:
    """Wall clock and CPU time (user + sys of the child), seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def phases(points: str, candidates: str, out: str) -> None:
    """``pvz check``'s steps one by one in this (fresh) process; prints one table row each.

    The same calls as ``api.commands.protection.check``, timed apart.
    """
    marks = [("start", time.perf_counter(), time.process_time())]

    def mark(name: str) -> None:
        marks.append((name, time.perf_counter(), time.process_time()))

    import numpy  # noqa: F401
    import pandas  # noqa: F401

    mark("import numpy, pandas")
    from api.commands import protection  # noqa: F401

    mark("import the command (numba, pyproj, pyarrow, typer, the project)")
    from api.loaders import load_policy, load_settlements
    from data.io import read_points, write_table
    from planning.protection import ProtectionNetwork

    pol = load_policy(None)
    settlements = load_settlements(None)
    mark("bundled settlements: table and disc index (numba's first call: its cache loads)")
    pts = read_points(points, kinds=pol.kinds, statuses=pol.statuses)
    mark("read and validate the points CSV")
    net = ProtectionNetwork(pol, settlements)
    net.add_points(
        pts["id"].tolist(), pts["lat"], pts["lon"], radius_m=pts["radius_m"],
        kind=pts["kind"].fillna(pol.default_kind), status=pts["status"].fillna(pol.default_status),
    )  # fmt: skip
    mark("index the live points (their settlement lookup included)")
    cand = read_points(candidates, kinds=pol.kinds, allow_status=False)
    mark("read and validate the candidates CSV")
    loc = settlements.locate(cand["lat"], cand["lon"])
    mark("(settlement lookup of the candidates; check_batch does it again below)")
    del loc
    res = net.check_batch(cand["lat"], cand["lon"], kind=cand["kind"].fillna(pol.default_kind),
                          radius_m=cand["radius_m"], all_distances=False)  # fmt: skip
    mark("check_batch: settlement lookup, index query, nearest geodesic, ids")
    table = res.to_frame(cand["id"].tolist())
    mark("the output table (conflict ids joined)")
    write_table(table, Path(out))
    mark("write the CSV")
    for (_, w0, c0), (name, w1, c1) in zip(marks, marks[1:], strict=False):
        print(f"| {name} | {w1 - w0:.2f} | {c1 - c0:.2f} |")
    total_w, total_c = marks[-1][1] - marks[0][1], marks[-1][2] - marks[0][2]
    print(f"| **total** (without the interpreter's own start) | {total_w:.2f} | {total_c:.2f} |")


def _best(runs: list[tuple[float, float]]) -> tuple[float, float]:
    return min(r[0] for r in runs), min(r[1] for r in runs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=100_000)
    ap.add_argument("--candidates", type=int, default=300_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--large", type=int, default=250_000)
    ap.add_argument("--large-candidates", type=int, default=10_000)
    ap.add_argument("--phases-of", nargs=3, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.phases_of:
        phases(*args.phases_of)
        return 0
    require_project_venv()
    import pandas as pd  # not at the top: the phases child times its own import

    with tempfile.TemporaryDirectory(prefix="pvz-e2e-") as tmp:
        d = Path(tmp)
        pts, cands = d / "points.csv", d / "cands.csv"
        subprocess.run([*PVZ, "demo", "-o", str(pts), "--n", str(args.points)], check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        subprocess.run([*PVZ, "demo-candidates", str(pts), "-o", str(cands), "--n",
                        str(args.candidates)], check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        # give the candidates the radius pvz would give them, so the reference needs no
        # settlement lookup (pvz still does its own lookup: it reports the settlement)
        subprocess.run([*PVZ, "check", str(pts), str(cands), "-o", str(d / "r.csv")],
                       check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        c = pd.read_csv(cands, dtype=str)
        c["radius_m"] = pd.read_csv(d / "r.csv", dtype=str)["radius_m"]
        c.to_csv(cands, index=False)
        load0 = os.getloadavg()[0]
        ours, ref = [], []
        for _ in range(args.repeat):
            ours.append(_run([*PVZ, "check", str(pts), str(cands), "-o", str(d / "ours.csv")]))
            ref.append(_run([sys.executable, str(ROOT / "bench" / "_check_reference.py"),
                             str(pts), str(cands), str(d / "ref.csv")]))  # fmt: skip
        a, b = pd.read_csv(d / "ours.csv", dtype=str), pd.read_csv(d / "ref.csv", dtype=str)
        same = (a["allowed"] == b["allowed"]).all() and (
            a["nearest_id"].fillna("") == b["nearest_id"].fillna("")
        ).all()
        helps, pandas_runs = [], []
        for _ in range(5):
            helps.append(_run([*PVZ, "--help"]))
            pandas_runs.append(_run([sys.executable, "-c", "import pandas"]))
        n_live = int(pd.read_csv(pts, usecols=["status", "kind"]).eval(
            "status in ['active', 'paused'] and kind in ['partner', 'own']").sum())  # fmt: skip
        phase_rows = subprocess.run(
            [sys.executable, __file__, "--phases-of", str(pts), str(cands), str(d / "ph.csv")],
            check=True, capture_output=True, text=True, cwd=ROOT,
        ).stdout  # fmt: skip
        large_rows: list[str] = []
        if args.large:
            big, big_c = d / "big.csv", d / "big_cands.csv"
            subprocess.run([*PVZ, "demo", "-o", str(big), "--n", str(args.large)], check=True,
                           stdout=subprocess.DEVNULL)  # fmt: skip
            subprocess.run([*PVZ, "demo-candidates", str(big), "-o", str(big_c), "--n",
                            str(args.large_candidates)], check=True,
                           stdout=subprocess.DEVNULL)  # fmt: skip
            runs = {
                f"`pvz audit` ({args.large:,} points)": ["audit", str(big), "-o",
                                                          str(d / "a.csv")],
                f"`pvz score` ({args.large:,} points x {args.large_candidates:,} candidates, "
                "bundled settlement demand)": ["score", str(big), str(big_c), "-o",
                                               str(d / "s.csv")],
                f"`pvz map` ({args.large:,} points)": ["map", str(big), "-o", str(d / "m.html")],
                f"`pvz check` ({args.large:,} points x {args.large_candidates:,} candidates)": [
                    "check", str(big), str(big_c), "-o", str(d / "c.csv")],
            }  # fmt: skip
            for name, cmd in runs.items():
                w, cpu = _run([*PVZ, *cmd])
                large_rows.append(f"| {name} | {w:.2f} | {cpu:.2f} |")
    load1 = os.getloadavg()[0]
    (ow, oc), (rw, rc) = _best(ours), _best(ref)
    (hw, hc), (pw, pc) = _best(helps), _best(pandas_runs)
    print(f"{args.points:,} points ({n_live:,} live) x {args.candidates:,} candidates, "
          f"best of {args.repeat}; load average {load0:.2f} -> {load1:.2f} "
          f"on {os.cpu_count()} shared cores")  # fmt: skip
    print(versions("numpy", "numba", "pandas", "pyarrow", "scipy", "pyproj"))
    print()
    print("| run | wall s (best) | all runs, wall s | vs reference (wall) | CPU s (best) "
          "| vs reference (CPU) |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|")
    print(f"| `pvz check` | {ow:.2f} | {', '.join(f'{t:.2f}' for t, _ in ours)} | "
          f"{ow / rw:.2f} | {oc:.2f} | {oc / rc:.2f} |")  # fmt: skip
    print(f"| reference (cKDTree + pyproj + pandas) | {rw:.2f} | "
          f"{', '.join(f'{t:.2f}' for t, _ in ref)} | 1.00 | {rc:.2f} | 1.00 |")  # fmt: skip
    print(f"| `pvz --help` | {hw:.2f} | | {hw / pw:.2f} x `import pandas` ({pw:.2f} s) | "
          f"{hc:.2f} | {hc / pc:.2f} x `import pandas` ({pc:.2f} s) |")  # fmt: skip
    print()
    print(f"same decisions and nearest conflicts: {'yes' if same else 'NO'}")
    print()
    print("Phases of `pvz check` in one process (`--phases-of`):")
    print()
    print("| phase | wall s | CPU s |")
    print("|---|---:|---:|")
    print(phase_rows.rstrip())
    if large_rows:
        print()
        print("| command, end to end | wall s | CPU s |")
        print("|---|---:|---:|")
        print("\n".join(large_rows))
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
