"""What a partner's private answer costs next to the staff's plain check (issue 12).

Seeds a 10,000-point demo network into SQLite, then answers the same 1,000 random
candidates in central Moscow as ``POST /v1/protection/check`` does
(:func:`api.routes.protection.check_answer`) for an expansion key (full detail) and a
partner key (territory check, rounded blockers, a message, and up to 3 suggestions when
blocked), and times the parts. Prints per-answer times and their ratios to the staff
check (this machine is shared: compare the ratios, not the times).

Run: ``.venv/bin/python bench/onboarding.py [--n 1000]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# the project first: bench/api.py must not shadow the api package
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

import numpy as np  # noqa: E402

from api.auth import Caller  # noqa: E402
from api.routes.protection import check_answer  # noqa: E402
from api.service import Service  # noqa: E402
from api.settings import Settings  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        svc = Service(Settings(database_url=f"sqlite:///{d}/bench.db", sync_interval_s=60.0,
                               partner_checks_per_minute=0, staff_checks_per_minute=0))  # fmt: skip
        svc.seed_demo(10_000, seed=42)
        _ = svc.territory  # loaded once at first use
        rng = np.random.default_rng(1)
        lat = 55.75 + rng.uniform(-0.1, 0.1, args.n)
        lon = 37.62 + rng.uniform(-0.15, 0.15, args.n)
        staff, partner = Caller("k1", "expansion"), Caller("k2", "partner", "acme")

        def per_answer(caller: Caller, idx: np.ndarray) -> float:
            t = time.perf_counter()
            for i in idx:
                check_answer(svc, caller, float(lat[i]), float(lon[i]), None, "ru")
            return (time.perf_counter() - t) / max(len(idx), 1) * 1e6

        allowed = np.array(
            [svc.check(float(a), float(b)).allowed for a, b in zip(lat, lon, strict=True)]
        )
        every = np.arange(args.n)
        base = per_answer(staff, every)
        rows = [
            ("staff check (full detail)", base),
            ("partner check, allowed", per_answer(partner, np.flatnonzero(allowed))),
            (
                "partner check, blocked (+ suggestions)",
                per_answer(partner, np.flatnonzero(~allowed)),
            ),
        ]
        t = time.perf_counter()
        for a, b in zip(lat, lon, strict=True):
            svc.territory.contains(float(a), float(b))
        rows.append(("territory check alone", (time.perf_counter() - t) / args.n * 1e6))
        print(f"{args.n} candidates, {int((~allowed).sum())} blocked, 10,000 points\n")
        print("| answer | us each | x staff check |\n|---|---:|---:|")
        for name, us in rows:
            print(f"| {name} | {us:,.0f} | {us / base:.1f} |")
        svc.close()


if __name__ == "__main__":
    main()
