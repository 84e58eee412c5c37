"""What the input-edge policy (``api/validation.py``) costs: the JSON depth check against
``json.loads`` on the largest allowed batch, and the middleware's per-request overhead
against the bare ASGI app (in process, no sockets: the middleware alone).

Run: ``.venv/bin/python bench/input_edges.py [--n 20000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._env import require_project_venv, versions  # noqa: E402


def _batch(n: int) -> bytes:
    items = ",".join(f'{{"id": "c{i}", "lat": 55.7{i % 97}, "lon": 37.6{i % 89}}}'
                     for i in range(n))  # fmt: skip
    return ('{"candidates": [' + items + "]}").encode()


def _best(fn: Any, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


async def _per_request(app: Any, scope: dict[str, Any], body: bytes, n: int) -> float:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        pass

    runs = []
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(n):
            await app(scope, receive, send)
        runs.append((time.perf_counter() - t) / n * 1e6)
    return statistics.median(runs)


def main() -> None:
    require_project_venv()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=20_000, help="requests per timing")
    args = parser.parse_args()
    from api.validation import InputEdges, json_depth

    print(versions("numpy", "starlette"))
    body = _batch(100_000)
    t_depth = _best(lambda: json_depth(body))
    t_loads = _best(lambda: json.loads(body))
    print(f"\n100,000-candidate batch ({len(body) / 1e6:.1f} MB), best of 5")
    print("| step | ms | ratio to json.loads |\n|---|---|---|")
    print(f"| json_depth (before parsing) | {t_depth * 1e3:.1f} | {t_depth / t_loads:.2f} |")
    print(f"| json.loads (the parse itself) | {t_loads * 1e3:.1f} | 1.00 |")

    async def bare(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})

    check = "/v1/protection/check"
    edges = InputEdges(bare, own_body_paths=(check,))
    small = json.dumps({"lat": 55.75, "lon": 37.61}).encode()
    json_h = [(b"content-type", b"application/json"), (b"x-api-key", b"k")]
    cases = [
        ("POST /v1/protection/check (body left to the fast lane)",
         {"path": check, "method": "POST", "query_string": b""}, small),
        ("POST /v1/applications (small JSON body read and replayed)",
         {"path": "/v1/applications", "method": "POST", "query_string": b""}, small),
        ("GET /v1/points?status=active&limit=100 (query checked)",
         {"path": "/v1/points", "method": "GET",
          "query_string": b"status=active&limit=100"}, b""),
    ]  # fmt: skip
    print(f"\nper request, median of 5 x {args.n:,} (us)")
    print("| request | bare app | with InputEdges | overhead |\n|---|---|---|---|")

    class _State:
        pass

    class _App:  # what the middleware reads from scope["app"]: the OpenAPI paths
        state = _State()

        @staticmethod
        def openapi() -> dict[str, Any]:
            return {
                "paths": {
                    "/v1/points": {
                        "get": {
                            "parameters": [
                                {"in": "query", "name": "limit", "schema": {"type": "integer"}}
                            ]
                        }
                    }
                }
            }

    for name, extra, payload in cases:
        scope = {"type": "http", "headers": json_h, "root_path": "", "app": _App, **extra}
        a = asyncio.run(_per_request(bare, scope, payload, args.n))
        b = asyncio.run(_per_request(edges, scope, payload, args.n))
        print(f"| {name} | {a:.2f} | {b:.2f} | {b - a:.2f} |")


if __name__ == "__main__":
    main()
