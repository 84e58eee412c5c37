"""Planner map benchmark: HTML size and time to interactive in headless Chromium.

Ours (``maps.planner.build_map``: one compact blob, canvas layers) against a naive
folium map with one ``folium.Marker`` per point, for 10,000 / 100,000 / 250,000
points of the demo network. Time to interactive: from navigation start to the
first animation frame after the ``load`` event (the page has run all its
scripts and the main thread is free), network blocked but for files. The naive
map is skipped past ``NAIVE_MAX`` markers (it is already slow and huge there).

``--ui N``: the map UI (``/map``) instead, against a live API whose SQLite store holds an
N-point demo network (default 250,000): the time from navigation (key given) to the first
national view drawn (every point counted per H3 cell, ``GET /v1/points/density``), cold
(first request: the service reads its snapshot and computes the cells) and warm, then a
city view (Moscow at zoom 10: more points than the UI draws one by one, so cells again) and
a street view (zoom 14: points and circles).

Usage: python bench/maps.py [--sizes 10000,100000,250000] [--naive-max 100000]
       python bench/maps.py --ui 250000 [--ui-db /tmp/pvz250k.db] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
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
DRAWN_JS = "window.pvzUi && window.pvzUi.loads > 0 && window.pvzUi.done === window.pvzUi.loads"
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


def ui_bench(n: int, db: str | None = None, repeat: int = 5) -> None:
    """The map UI at national scale: time to the national view, cold and warm (the warm
    page load ``repeat`` times: median, fastest and slowest, as the machine is shared)."""
    import socket
    import threading

    import uvicorn
    from playwright.sync_api import sync_playwright
    from pydantic import SecretStr

    from api.app import create_app
    from api.service import Service
    from api.settings import Settings

    key = "bench-admin-key"
    views = [("national, page opened right after the server started", 62.0, 95.0, 3),
             ("national, page opened (server warmed up)", 62.0, 95.0, 3),
             ("national, panned back to", 62.0, 95.0, 3),
             ("Moscow, zoom 10", 55.75, 37.62, 10),
             ("Moscow street, zoom 14", 55.75, 37.62, 14)]  # fmt: skip
    rows = []
    print(f"load average at the start: {os.getloadavg()[0]:.1f} (2 cores)", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite:///{db or tmp + '/pvz.db'}", tile_url="",
                            bootstrap_admin_key=SecretStr(key), sync_interval_s=0)  # fmt: skip
        service = Service(settings)
        if service.count_points() == 0:
            t = time.perf_counter()
            service.seed_demo(n, seed=1)
            print(f"seeded {n:,} points in {time.perf_counter() - t:.0f} s", file=sys.stderr)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(settings, service=service),
                host="127.0.0.1",
                port=port,
                log_level="warning",
            )
        )
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
        url = f"http://127.0.0.1:{port}"
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
                (url, "data:", "blob:", "about:")) else r.abort())  # fmt: skip
            page.set_default_timeout(180_000)
            page.goto(f"{url}/map")
            page.evaluate(f"sessionStorage.setItem('pvzApiKey', {key!r})")
            for i, (name, lat, lon, zoom) in enumerate(views):
                if i == 1:  # the warm page load, several times
                    from api.routes.density import warm_up

                    warm_up(service).join()
                    times = []
                    for _ in range(repeat):
                        page.evaluate("window.pvzUi.done = -1")
                        t = time.perf_counter()
                        page.goto(f"{url}/map#map={zoom}/{lat}/{lon}")
                        page.reload()
                        page.wait_for_function(DRAWN_JS)
                        page.evaluate(TTI_JS)
                        times.append(time.perf_counter() - t)
                    times.sort()
                    drawn = page.evaluate("[window.pvzUi.density, window.pvzUi.densityTotal, 0]")
                    rows.append((f"{name}: median of {repeat} (fastest {times[0]:.2f} s, "
                                 f"slowest {times[-1]:.2f} s)", times[len(times) // 2],
                                 *drawn))  # fmt: skip
                    continue
                t = time.perf_counter()
                if i == 0:  # first: navigation with the key, the page opens on the view
                    page.goto(f"{url}/map#map={zoom}/{lat}/{lon}")
                    page.reload()
                elif i == 2:
                    n0 = page.evaluate("window.pvzUi.loads")
                    page.evaluate("void window.pvzUi.map.setView([55.75, 37.62], 6, "
                                  "{animate: false})")  # fmt: skip
                    # that view drawn (not only asked for: it would be drawn while timing)
                    page.wait_for_function(f"window.pvzUi.loads > {n0} && "
                                           "window.pvzUi.done === window.pvzUi.loads")  # fmt: skip
                    t = time.perf_counter()
                    page.evaluate("window.pvzUi.done = -1")
                    page.evaluate(f"void window.pvzUi.map.setView([{lat}, {lon}], {zoom}, "
                                  "{animate: false})")  # fmt: skip
                else:
                    page.evaluate("window.pvzUi.done = -1")
                    page.evaluate(f"void window.pvzUi.map.setView([{lat}, {lon}], {zoom}, "
                                  "{animate: false})")  # fmt: skip
                page.wait_for_function("window.pvzUi && window.pvzUi.loads > 0 && "
                                       "window.pvzUi.done === window.pvzUi.loads")  # fmt: skip
                page.evaluate(TTI_JS)
                secs = time.perf_counter() - t
                drawn = page.evaluate("window.pvzUi.density ? [window.pvzUi.density, "
                                      "window.pvzUi.densityTotal, 0] : [0, 0, "
                                      "window.pvzUi.loaded]")  # fmt: skip
                rows.append((name, secs, *drawn))
            browser.close()
        server.should_exit = True
        service.close()
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (2 cores)", file=sys.stderr)
    print(
        f"| /map view ({n:,} points) | time to drawn | H3 cells | points counted | points drawn |"
    )
    print("|---|---:|---:|---:|---:|")
    for name, secs, cells, total, loaded in rows:
        print(f"| {name} | {secs:.2f} s | {cells:,} | {total:,} | {loaded:,} |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000,250000")
    ap.add_argument("--naive-max", type=int, default=100_000)
    ap.add_argument("--ui", type=int, default=0, help="bench the map UI at this many points")
    ap.add_argument(
        "--ui-db",
        default=None,
        help="a SQLite file to keep the seeded network in "
        "(seeded when empty; reused by later runs)",
    )
    ap.add_argument("--repeat", type=int, default=5, help="warm national page loads to time")
    args = ap.parse_args()
    require_project_venv()
    print(f"versions: {versions('folium', 'playwright')}", flush=True)
    if args.ui:
        ui_bench(args.ui, args.ui_db, args.repeat)
        return
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
