"""The planner map's words in Russian (the default) and English, and Russian number formats.

``pvz map`` (:func:`maps.planner.build_map`) writes its layer names, legend, popup labels
and conflict popups in one language: ``ru`` (Russian, the default) or ``en`` (``--lang``,
``PVZ_LANGUAGE``). Numbers read the Russian way in Russian, ``1 234 567,5`` (a no-break
space groups the thousands, a comma marks the decimals), and money ``219 000 ₽``; in
English ``1,234,567.5`` and ``RUB 219,000``. Popup values are formatted in the browser
(``Intl.NumberFormat`` with :func:`locale`), so the encoded blob stays the same size.
"""

from __future__ import annotations

import math

import numpy as np

from data.vocabulary import LANGUAGES, Lang

__all__ = [
    "LANGUAGES",
    "Lang",
    "bool_label",
    "column_label",
    "fmt_money",
    "fmt_num",
    "locale",
    "text",
    "value_label",
]


_NBSP = "\u00a0"

_TEXT: dict[str, dict[str, str]] = {
    "ru": {
        "tiles": "Подложка (тайлы)", "outline": "Контур (офлайн)",
        "demand": "Спрос (тепловая карта)", "points": "Точки", "candidates": "Кандидаты",
        "audit": "Нарушения (аудит)", "whitespace_n": "Белые пятна ({n})",
        "point_title": "Пункт выдачи", "candidate_title": "Кандидат",
        "zone_title": "Белое пятно", "lg_points": "Точки (тип · статус)",
        "lg_audit": "Аудит", "lg_audit_pair": "пара точек ближе радиуса защиты",
        "lg_whitespace": "Белые пятна", "lg_zone": "зона неохваченного спроса",
        "lg_candidates": "Кандидаты", "allowed": "разрешено", "blocked": "запрещено",
        "conflict": "Нарушение", "distance": "расстояние", "radius": "радиус", "m": "м", "km": "км",
        "note_circles": "Зоны защиты геодезические (WGS84) и видны с масштаба 12: у каждой "
                        "точки вида «{kinds}» в статусе «{statuses}», своим радиусом (заданным "
                        "или по численности населённого пункта); точки других видов и "
                        "статусов ничего не защищают и зон не имеют.",
        "note_paused": "Приостановленные точки — полые кружки цвета своего типа; закрытые — "
                       "серые с обводкой цвета своего типа.",
        "yes": "да", "no": "нет", "rub": "₽",
    },
    "en": {
        "tiles": "Tiles (online)", "outline": "Outline (offline)", "demand": "Demand heat",
        "points": "Points", "candidates": "Candidates", "audit": "Audit conflicts",
        "whitespace_n": "White space ({n} zones)", "point_title": "Pickup point",
        "candidate_title": "Candidate", "zone_title": "White-space zone",
        "lg_points": "Points (kind · status)", "lg_audit": "Audit",
        "lg_audit_pair": "pair closer than its radius", "lg_whitespace": "White space",
        "lg_zone": "zone with unserved demand", "lg_candidates": "Candidates",
        "allowed": "allowed", "blocked": "blocked", "conflict": "Conflict",
        "distance": "distance", "radius": "radius", "m": "m", "km": "km",
        "note_circles": "Protection circles are geodesic (WGS84) and appear from zoom 12: "
                        "every {kinds} point that is {statuses}, at its radius (given, or from "
                        "its settlement's tier); other kinds and statuses protect nothing and "
                        "have none.",
        "note_paused": "Paused points are hollow rings in their kind's colour; closed points "
                       "are grey, outlined in their kind's colour.",
        "yes": "yes", "no": "no", "rub": "RUB",
    },
}  # fmt: skip

#: popup and legend labels of data columns
_COLUMNS: dict[str, dict[str, str]] = {
    "ru": {
        "id": "код", "kind": "тип", "status": "статус", "radius_m": "радиус, м",
        "settlement": "населённый пункт", "opened_on": "открыт", "area_m2": "площадь, м²",
        "waiting_zone": "зона ожидания", "fitting_rooms": "примерочные", "rating": "рейтинг",
        "turnover_rub": "оборот, ₽/мес.", "monthly_turnover_rub": "оборот, ₽/мес.",
        "reward_rub": "вознаграждение, ₽/мес.", "partner_id": "партнёр",
        "score": "оценка", "net_gain_rub": "чистый прирост, ₽/мес.",
        "captured_demand": "охваченный спрос", "cannibalized_rub": "отток у сети, ₽/мес.",
        "blocker_id": "мешает точка", "blocker_distance_m": "на расстоянии, м",
        "decision": "решение", "rank": "ранг", "demand": "спрос", "n_cells": "ячеек",
        "area_km2": "площадь, км²", "best_lat": "лучшее место, широта",
        "best_lon": "лучшее место, долгота", "best_site_demand": "спрос лучшего места",
    },
    "en": {
        "id": "id", "kind": "kind", "status": "status", "radius_m": "radius, m",
        "settlement": "settlement", "opened_on": "opened", "area_m2": "area, m²",
        "waiting_zone": "waiting zone", "fitting_rooms": "fitting rooms", "rating": "rating",
        "turnover_rub": "turnover, RUB/month", "monthly_turnover_rub": "turnover, RUB/month",
        "reward_rub": "reward, RUB/month", "partner_id": "partner", "score": "score",
        "net_gain_rub": "net gain, RUB/month", "captured_demand": "captured demand",
        "cannibalized_rub": "cannibalized, RUB/month", "blocker_id": "blocked by",
        "blocker_distance_m": "at, m", "decision": "decision", "rank": "rank",
        "demand": "demand", "n_cells": "cells", "area_km2": "area, km²",
        "best_lat": "best site lat", "best_lon": "best site lon",
        "best_site_demand": "best site demand",
    },
}  # fmt: skip

#: candidate columns whose expected values are the candidate's, not the network's
_EXPECTED = {"turnover_rub": ("ожидаемый оборот, ₽/мес.", "expected turnover, RUB/month"),
             "reward_rub": ("ожидаемое вознаграждение, ₽/мес.",
                            "expected reward, RUB/month")}  # fmt: skip

#: values of categorical columns (kind, status)
_VALUES: dict[str, dict[str, str]] = {
    "ru": {"partner": "партнёрский ПВЗ", "own": "собственный ПВЗ", "postamat": "постамат",
           "active": "работает", "paused": "приостановлен", "closed": "закрыт"},
    "en": {},
}  # fmt: skip


def _lang(lang: str) -> Lang:
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    return lang


def text(key: str, lang: str = "ru", **params: object) -> str:
    """The map's word ``key`` in ``lang`` with ``{name}`` slots filled.

    Raises ``ValueError`` for an unknown language and ``KeyError`` for an unknown key.
    """
    return _TEXT[_lang(lang)][key].format(**params) if params else _TEXT[_lang(lang)][key]


def column_label(name: str, lang: str = "ru", *, candidate: bool = False) -> str:
    """The label of data column ``name`` (the name itself when it is not a known column)."""
    if candidate and name in _EXPECTED:
        return _EXPECTED[name][LANGUAGES.index(_lang(lang))]
    return _COLUMNS[_lang(lang)].get(name, name.replace("_", " "))


def value_label(value: str, lang: str = "ru") -> str:
    """A kind or status (``partner``, ``paused``) in ``lang``; other values unchanged."""
    return _VALUES[_lang(lang)].get(value, value)


_TRUE = frozenset({"true", "1", "1.0", "yes", "y", "да", "t"})
_FALSE = frozenset({"false", "0", "0.0", "no", "n", "нет", "f"})


def bool_label(value: object, lang: str = "ru") -> str | None:
    """A yes/no value as people read it: ``да``/``нет`` (ru) or ``yes``/``no`` (en).

    ``value`` is a bool (Python or NumPy) or a text ``true``/``false``/``1``/``0``/
    ``yes``/``no``/``да``/``нет`` (any case); anything else (a number, NaN, other text)
    gives None: not a yes/no value.
    """
    if isinstance(value, (bool, np.bool_)):
        return text("yes" if value else "no", lang)
    if isinstance(value, str):
        v = value.strip().lower()
        if v in _TRUE:
            return text("yes", lang)
        if v in _FALSE:
            return text("no", lang)
    return None


def locale(lang: str = "ru") -> str:
    """The BCP 47 locale of ``lang`` for the browser's ``Intl`` formats."""
    return {"ru": "ru-RU", "en": "en-GB"}[_lang(lang)]


def fmt_num(x: float, lang: str = "ru", digits: int = 0) -> str:
    """``x`` rounded to ``digits`` decimals, grouped: ``1 234 567,5`` (ru, no-break
    spaces) or ``1,234,567.5`` (en); trailing zero decimals dropped; '' for NaN."""
    if not math.isfinite(x):
        return ""
    s = f"{x:,.{digits}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    if _lang(lang) == "ru":
        s = s.replace(",", _NBSP).replace(".", ",")
    return "0" if s in ("-0", "") else s


def fmt_money(x: float, lang: str = "ru", digits: int = 0) -> str:
    """A RUB amount: ``219 000 ₽`` (ru) or ``RUB 219,000`` (en)."""
    n = fmt_num(x, lang, digits)
    return f"{n}{_NBSP}₽" if _lang(lang) == "ru" else f"RUB {n}"
