"""``pvz check`` end to end (process start, imports, CSV in, check, CSV out) against a
scipy cKDTree + pyproj reference script (``bench/_check_reference.py``) on the same files.

Usage: ``.venv/bin/python bench/check_e2e.py [--points 100000] [--candidates 300000]
[--repeat 3]``. Prints a markdown table (best of ``--repeat`` wall-clock runs of each, run
alternately) and the load average; checks that both agree on every decision.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from bench._env import require_project_venv, versions  # noqa: E402

PVZ = [sys.executable, "-c", "from api.cli import main; main()"]


def _run(argv: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=100_000)
    ap.add_argument("--candidates", type=int, default=300_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    require_project_venv()
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
        help_t = min(_run([*PVZ, "--help"]) for _ in range(3))
        pandas_t = min(_run([sys.executable, "-c", "import pandas"]) for _ in range(3))
        n_live = int(pd.read_csv(pts, usecols=["status", "kind"]).eval(
            "status in ['active', 'paused'] and kind in ['partner', 'own']").sum())  # fmt: skip
    print(f"{args.points:,} points ({n_live:,} live) x {args.candidates:,} candidates, "
          f"best of {args.repeat}; load average {load0:.2f} -> {os.getloadavg()[0]:.2f} "
          f"on {os.cpu_count()} shared cores")  # fmt: skip
    print(versions("numpy", "numba", "pandas", "pyarrow", "scipy", "pyproj"))
    print()
    print("| run | wall clock, s (best) | all runs, s | vs reference |")
    print("|---|---:|---:|---:|")
    print(
        f"| `pvz check` | {min(ours):.2f} | {', '.join(f'{t:.2f}' for t in ours)} | "
        f"{min(ours) / min(ref):.2f} |"
    )
    print(
        f"| reference (cKDTree + pyproj + pandas) | {min(ref):.2f} | "
        f"{', '.join(f'{t:.2f}' for t in ref)} | 1.00 |"
    )
    print(
        f"| `pvz --help` | {help_t:.2f} | | {help_t / pandas_t:.2f} x `import pandas` "
        f"({pandas_t:.2f} s) |"
    )
    print()
    print(f"same decisions and nearest conflicts: {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
