"""The child process of the exact site-selection model: one ``scipy.optimize.milp`` (HiGHS) solve.

Run as a script (``python planning/_milp.py``), not imported as part of the
package, so it starts with numpy and scipy only. It reads a pickled dict from
stdin (``c, A, lb_con, ub_con, integrality, time_limit_s``; minimise ``c @ x``
subject to ``lb_con <= A @ x <= ub_con``, ``0 <= x <= 1``) and writes a pickled
dict to stdout: ``status`` (HiGHS code through scipy: 0 optimal, 1 time or
iteration limit, 2 infeasible, 3 unbounded, 4 other), ``message``, ``x`` (None
when no feasible point was found), ``fun`` and ``bound`` (the best dual
bound on ``c @ x``, None when unknown). A crash of the solver kills only this
process; the caller sees it and keeps its heuristic answer.
"""

from __future__ import annotations

import pickle
import sys
from typing import Any

__all__ = ["solve"]


def solve(payload: dict[str, Any]) -> dict[str, Any]:
    """Solve one MILP described by ``payload`` (see the module docstring)."""
    import numpy as np
    from scipy.optimize import Bounds, LinearConstraint, milp

    n = int(payload["c"].size)
    res = milp(
        payload["c"],
        constraints=LinearConstraint(payload["A"], payload["lb_con"], payload["ub_con"]),
        integrality=payload["integrality"],
        bounds=Bounds(np.zeros(n), np.ones(n)),
        options={
            "time_limit": float(payload["time_limit_s"]),
            "disp": False,
            "presolve": True,
        },  # fmt: skip
    )
    bound = getattr(res, "mip_dual_bound", None)
    return {
        "status": int(res.status),
        "message": str(res.message),
        "x": None if res.x is None else np.asarray(res.x, dtype=np.float64),
        "fun": None if res.fun is None else float(res.fun),
        "bound": None if bound is None or not np.isfinite(bound) else float(bound),
    }


if __name__ == "__main__":
    out = solve(pickle.load(sys.stdin.buffer))
    sys.stdout.buffer.write(pickle.dumps(out))
    sys.stdout.buffer.flush()
