"""Calibration of the scoring model from the stored orders, and what a forecast says about it.

:func:`calibrate_network` is a plain function (a job runner can call it as is): it reads
the orders issued in the chosen months, turns them into each open point's observed
monthly turnover with the statements' own rules
(:func:`planning.rewards.turnover.monthly_turnover`), fits the Huff model with
cross-validated intervals (:func:`planning.forecast.fit_forecast`) and stores the result
(:meth:`data.store.Store.save_calibration`). :class:`Forecaster` turns the latest stored
calibration into what scores and onboarding answers carry: the 80 % ranges of turnover
and reward and a note, in Russian and English, of what they rest on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from data.errors import ConflictError, InputError
from data.store import ModelCalibration, OrderLine, Store
from data.store.base import new_id, now_utc, to_iso
from planning.forecast import (
    DEFAULT_FOLDS,
    MIN_POINTS,
    ForecastFit,
    NotEnoughData,
    fit_forecast,
    params_to_dict,
    round_range,
)
from planning.rewards import month_bounds, month_range
from planning.rewards.orders import STATUSES
from planning.rewards.turnover import monthly_turnover, observed_turnover
from planning.scoring import HuffModel

__all__ = [
    "CalibrationSchedule",
    "Forecaster",
    "calibrate_network",
    "calibration_months",
    "orders_frame",
]

log = logging.getLogger(__name__)


def calibration_months(last_issue_day: str | None, n_months: int, *, today: str) -> list[str]:
    """The ``n_months`` whole months the default calibration rests on, oldest first.

    The last of them is the month of the latest issued order, or the month before
    ``today``'s when that one is not over yet. Empty when there is no order.
    """
    if last_issue_day is None or n_months < 1:
        return []
    last = last_issue_day[:7]
    if last >= today[:7]:
        last = (np.datetime64(today[:7], "M") - 1).astype(str)
    first = (np.datetime64(last, "M") - (n_months - 1)).astype(str)
    return month_range(first, last)


def orders_frame(lines: Sequence[OrderLine]) -> pd.DataFrame:
    """The reward engine's typed orders frame of stored order lines (column-wise, fast)."""

    def days(values: list[str | None]) -> npt.NDArray[np.datetime64]:
        return np.array([v or "NaT" for v in values], dtype="datetime64[D]").astype("datetime64[s]")

    return pd.DataFrame({
        "order_id": pd.Series([o.order_id for o in lines], dtype=object),
        "point_id": pd.Series([o.point_id for o in lines], dtype=object),
        "issued_on": days([o.issued_on for o in lines]),
        "price_kop": np.array([o.price_kop for o in lines], dtype=np.int64),
        "status": pd.Categorical([o.status for o in lines], categories=list(STATUSES)),
        "returned_on": days([o.returned_on for o in lines]),
        "cancelled_on": days([o.cancelled_on for o in lines]),
    })  # fmt: skip


def calibrate_network(
    store: Store,
    model: HuffModel,
    opened_on: Sequence[str | None],
    *,
    actor: str,
    months: Sequence[str] | None = None,
    n_months: int = 3,
    min_points: int = MIN_POINTS,
    folds: int = DEFAULT_FOLDS,
    seed: int = 0,
) -> ModelCalibration:
    """Calibrate the model of the network on the stored orders and store the calibration.

    Parameters
    ----------
    store : where the orders are read and the calibration is written
    model : the network's Huff model (every open point; its parameters are the start)
    opened_on : each model point's opening day (ISO text; None or NaN when unknown)
    actor : who calibrates (audit log)
    months : ``YYYY-MM`` months to rest on (default: :func:`calibration_months`)
    n_months : how many months by default
    min_points, folds, seed : see :func:`planning.forecast.fit_forecast`

    Returns
    -------
    The stored :class:`~data.store.ModelCalibration`.

    Raises
    ------
    InputError
        for a bad month.
    ConflictError
        when the data are too few to calibrate, or stored orders the statements refuse
        (nothing is stored then).
    """
    t0 = time.perf_counter()
    if months is None:
        months = calibration_months(store.last_issue_day(), n_months,
                                    today=to_iso(now_utc())[:10])  # fmt: skip
        if not months:
            raise ConflictError("not calibrated: no stored orders to calibrate on")
    months = sorted({str(m).strip() for m in months})
    if not months:
        raise InputError("months: give at least one YYYY-MM month", column="months")
    for m in months:
        try:
            month_bounds(m)
        except ValueError as exc:
            raise InputError(f"not a month (YYYY-MM): {m!r}", column="months") from exc
    first, last = month_bounds(months[0])[0], month_bounds(months[-1])[1]
    ids = [str(p) for p in model.point_ids]
    lines = store.orders_issued_between(first.isoformat(), last.isoformat())
    on = set(ids)
    frame = orders_frame([o for o in lines if o.point_id in on])  # closed points: not modelled
    opened = np.array(
        [v if isinstance(v, str) and v else "NaT" for v in opened_on], dtype="datetime64[D]"
    )  # None or NaN: no opening day
    try:
        monthly = monthly_turnover(ids, frame, months, opened_on=opened)
    except InputError as exc:  # stored data the statements refuse (an opening day moved)
        raise ConflictError(f"the stored orders cannot be computed: {exc.message}") from None
    obs = observed_turnover(monthly, opened)
    # the store takes orders only for points with an opening day: without one, unknown
    obs[np.isnat(opened)] = np.nan
    try:
        fit = fit_forecast(model, obs, folds=folds, seed=seed, min_points=min_points)
    except NotEnoughData as exc:
        raise ConflictError(f"not calibrated: {exc} (months {months[0]}..{months[-1]}, "
                            f"{len(lines)} order lines)") from None  # fmt: skip
    stamp = to_iso(now_utc())
    cal = ModelCalibration(
        id=new_id("M"), created_at=stamp, created_by=actor, first_month=months[0],
        last_month=months[-1], n_points=fit.n_points, params=params_to_dict(fit.params),
        fit=fit.fit_dict(),
        basis={"months": list(months), "network_points": len(ids),
               "points_with_turnover": fit.n_points, "order_lines": len(lines),
               "seconds": round(time.perf_counter() - t0, 3)},
    )  # fmt: skip
    store.save_calibration(cal, actor=actor)
    log.info("model calibrated on %d points, %s..%s: MdAPE %.1f%%, coverage %.1f%%",
             fit.n_points, months[0], months[-1], 100 * fit.mdape, 100 * fit.coverage)  # fmt: skip
    return cal


@dataclass(frozen=True)
class Forecaster:
    """What forecasts carry, from the latest calibration (``None``: not calibrated).

    Attributes
    ----------
    calibration : the stored calibration, or None
    fit : its fit (None when not calibrated)
    """

    calibration: ModelCalibration | None
    fit: ForecastFit | None

    @classmethod
    def of(cls, cal: ModelCalibration | None) -> Forecaster:
        """From a stored calibration; one that cannot be read counts as none (logged)."""
        if cal is None:
            return cls(None, None)
        try:
            return cls(cal, ForecastFit.from_dicts(cal.params, cal.fit))
        except (KeyError, TypeError, ValueError):
            log.exception("stored calibration %s cannot be read; scoring uncalibrated", cal.id)
            return cls(None, None)

    @property
    def calibrated(self) -> bool:
        """Whether forecasts rest on a calibration."""
        return self.fit is not None

    def ranges(self, turnover_rub: float, reward_rate: float) -> dict[str, int | None]:
        """``expected_turnover_low_rub``, ``..._high_rub``, ``expected_reward_low_rub``,
        ``..._high_rub``: the 80 % ranges in whole roubles (None when not calibrated)."""
        keys = ("expected_turnover_low_rub", "expected_turnover_high_rub",
                "expected_reward_low_rub", "expected_reward_high_rub")  # fmt: skip
        if self.fit is None or not np.isfinite(turnover_rub):
            return dict.fromkeys(keys, None)
        lo, hi = (float(v[0]) for v in self.fit.interval([turnover_rub]))
        t_lo, t_hi = round_range(lo, hi)
        r_lo, r_hi = round_range(lo * reward_rate, hi * reward_rate)
        return dict(zip(keys, (t_lo, t_hi, r_lo, r_hi), strict=True))

    def summary(self) -> dict[str, Any]:
        """What the forecasts rest on (safe to show a partner: network-wide figures only)."""
        cal, fit = self.calibration, self.fit
        if cal is None or fit is None:
            return {"calibrated": False, "note": self.note("ru"), "note_en": self.note("en")}
        return {
            "calibrated": True, "calibration_id": cal.id, "calibrated_at": cal.created_at,
            "months": [cal.first_month, cal.last_month], "n_points": cal.n_points,
            "mdape": round(fit.mdape, 4), "coverage": round(fit.coverage, 4),
            "level": fit.level, "decay": fit.params.decay,
            "note": self.note("ru"), "note_en": self.note("en"),
        }  # fmt: skip

    def note(self, lang: str = "ru") -> str:
        """One sentence on what a forecast rests on, in Russian (``ru``) or English."""
        cal, fit = self.calibration, self.fit
        if cal is None or fit is None:
            if lang == "ru":
                return ("Модель не откалибрована: данных о заказах сети пока мало, прогноз "
                        "опирается на параметры по умолчанию и диапазона не имеет.")  # fmt: skip
            return ("Not calibrated: too little order data yet; the forecast rests on default "
                    "parameters and has no range.")  # fmt: skip
        span = (cal.first_month if cal.first_month == cal.last_month
                else f"{cal.first_month}…{cal.last_month}")  # fmt: skip
        if lang == "ru":
            return (f"Прогноз по модели, откалиброванной на обороте {cal.n_points} пунктов "
                    f"сети за {span}. На пунктах, не участвовавших в подгонке, медианная "
                    f"ошибка {fit.mdape:.0%}; в диапазон 80 % попали {fit.coverage:.0%} "
                    "из них.")  # fmt: skip
        return (
            f"Forecast by a model calibrated on the turnover of {cal.n_points} points of "
            f"the network in {span}. On points held out of the fit the median error is "
            f"{fit.mdape:.0%}; {fit.coverage:.0%} of them fell inside the 80 % range."
        )


class CalibrationSchedule:
    """Calibrate on a schedule (``PVZ_MODEL_CALIBRATION_INTERVAL_H``), in a daemon thread.

    Every ``check_s`` seconds the thread looks at the latest stored calibration; when it is
    older than ``interval_s`` (or there is none) it calls ``calibrate``. Several workers
    share the store, so the one that calibrates first makes the others' check come out
    "not due". A calibration refused for too little data is logged, not raised.

    Parameters
    ----------
    calibrate : calibrates and stores (``Service.calibrate_model`` with the actor bound)
    latest : the latest stored calibration (``Service.latest_calibration``)
    interval_s : how often, seconds
    check_s : how often to look, seconds
    """

    def __init__(
        self,
        calibrate: Callable[[], object],
        latest: Callable[[], ModelCalibration | None],
        interval_s: float,
        *,
        check_s: float = 60.0,
    ) -> None:
        self.calibrate, self.latest = calibrate, latest
        self.interval_s, self.check_s = float(interval_s), float(check_s)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pvz-calibration", daemon=True)

    @classmethod
    def for_service(cls, service: Any) -> CalibrationSchedule | None:
        """Started for a service whose settings ask for it; None when the interval is 0."""
        hours = float(service.settings.model_calibration_interval_h)
        if hours <= 0:
            return None
        sched = cls(lambda: service.calibrate_model(actor="schedule"),
                    service.latest_calibration, hours * 3600.0,
                    check_s=min(60.0, hours * 3600.0))  # fmt: skip
        sched._thread.start()
        return sched

    def due(self) -> bool:
        """Whether the latest calibration is older than the interval (or missing)."""
        cal = self.latest()
        if cal is None:
            return True
        made = datetime.fromisoformat(cal.created_at.replace("Z", "+00:00"))
        return (now_utc() - made).total_seconds() >= self.interval_s

    def run_once(self) -> bool:
        """Calibrate if due; True when a calibration was stored."""
        if not self.due():
            return False
        try:
            self.calibrate()
        except ConflictError as exc:
            log.info("scheduled calibration skipped: %s", exc)
            return False
        return True

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # the schedule must outlive a failed run
                log.exception("scheduled calibration failed")
            self._stop.wait(self.check_s)

    def stop(self) -> None:
        """Stop the thread (waits for a running calibration to end)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
