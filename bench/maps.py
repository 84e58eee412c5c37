"""Planner map benchmark: HTML size and time to interactive in headless Chromium.

Ours (``maps.planner.build_map``: one compact blob, canvas layers) against a naive
folium map with one ``folium.Marker`` per point, for 10,000 / 100,000 / 250,000
points of the demo network. Time to interactive: from navigation start to the
first animation frame after the ``load`` event (the page has run all its
scripts and the main thread is free), network blocked but for files. The naive
map is skipped past ``NAIVE_MAX`` markers (it is already slow and huge there).

Usage: python bench/maps.py [--sizes 10000,100000,250000] [--naive-max 100000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import folium  # noqa: E402

from bench._env import require_project_venv, versions  # noqa: E402
from maps.planner import build_map, save_map  # noqa: E402
from planning.demo import demo_network  # noqa: E402

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
TTI_JS = ("new Promise(r => requestAnimationFrame(() => setTimeout(() => "
          "r(performance.now()), 0)))")  # fmt: skip


def naive_map(df) -> folium.Map:  # type: ignore[no-untyped-def]
    m = folium.Map(location=[61.5, 100.0], zoom_start=3, tiles=None)
    for r in df.itertuples():
        folium.Marker([r.lat, r.lon], popup=f"{r.id} {r.kind} {r.status}").add_to(m)
    return m


def tti_s(browser, path: Path, timeout_s: float = 120.0) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    blocked: list[str] = []

    def route(r):  # type: ignore[no-untyped-def]
        if r.request.url.startswith(("file:", "data:", "blob:", "about:")):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.set_default_timeout(timeout_s * 1000)
    page.goto(path.as_uri(), wait_until="load")
    ms = float(page.evaluate(TTI_JS))
    page.close()
    return ms / 1000.0, len(blocked)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000,250000")
    ap.add_argument("--naive-max", type=int, default=100_000)
    args = ap.parse_args()
    require_project_venv()
    print(f"versions: {versions('folium', 'playwright')}", flush=True)
    from playwright.sync_api import sync_playwright

    rows = []
    base = demo_network(max(int(s) for s in args.sizes.split(",")), seed=1)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for n in (int(s) for s in args.sizes.split(",")):
            df = base.head(n)
            t = time.perf_counter()
            ours = Path(tmp) / f"ours-{n}.html"
            size = save_map(build_map(df, demand=True), ours)
            build_s = time.perf_counter() - t
            tti, blocked = tti_s(browser, ours)
            rows.append(("pvz (canvas blob)", n, size, build_s, tti, blocked))
            if n <= args.naive_max:
                t = time.perf_counter()
                naive = Path(tmp) / f"naive-{n}.html"
                naive_map(df).save(str(naive))
                build_s = time.perf_counter() - t
                try:
                    tti, blocked = tti_s(browser, naive)
                except Exception:  # timed out
                    tti, blocked = float("inf"), -1
                rows.append(("folium, 1 Marker per point", n, naive.stat().st_size, build_s, tti,
                             blocked))  # fmt: skip
            else:
                rows.append(("folium, 1 Marker per point", n, None, None, None, None))
            print(f"n={n} done", file=sys.stderr)
        browser.close()
    print("| map | points | HTML size | build (Python) | time to interactive | blocked requests |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, n, size, build_s, tti, blocked in rows:
        if size is None:
            print(f"| {name} | {n:,} | not run (> {args.naive_max:,} markers) | | | |")
            continue
        print(f"| {name} | {n:,} | {size / 1e6:.1f} MB | {build_s:.1f} s | {tti:.2f} s | "
              f"{blocked} |")  # fmt: skip


if __name__ == "__main__":
    main()
