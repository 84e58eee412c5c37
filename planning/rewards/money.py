"""Money in integer kopecks: parsing rouble text, exact half-up division, labels.

Every amount of the reward engine is an integer number of kopecks (int64 arrays, or exact
Python integers where int64 could overflow); decimals of the policy become exact integer
ratios. The one formatter, :func:`format_rub`, lives in :mod:`data.vocabulary` so that the
store and the table writers below ``planning`` use it too.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from data.errors import Message
from data.vocabulary import format_rub

__all__ = [
    "INT64_SAFE",
    "GROUP_SEPARATORS",
    "PRICE_PATTERN",
    "IntArray",
    "fits_int64",
    "format_kop",
    "format_rub",
    "half_up_div",
    "kop",
    "parse_rub",
    "percent_label",
    "plain_price",
    "price_problem",
    "ratio",
]

#: products below this magnitude cannot overflow int64 (with room for the rounding terms)
INT64_SAFE = 2**62
#: the thousands separators a price may be grouped with: space, no-break space (U+00A0),
#: thin space (U+2009), narrow no-break space (U+202F), as Russian Excel and 1C write them
GROUP_SEPARATORS = " \u00a0\u2009\u202f"
_GROUP = f"[{GROUP_SEPARATORS}]"
#: a price in roubles: ASCII digits (Python's \d matches any script), optionally grouped
#: by threes with a space, then at most two decimals after a point or a comma:
#: ``1234.50``, ``1234,5``, ``1 234,50``
PRICE_PATTERN = rf"(?:[0-9]{{1,13}}|[0-9]{{1,3}}(?:{_GROUP}[0-9]{{3}}){{1,3}})(?:[.,][0-9]{{1,2}})?"
_PRICE_RE = re.compile(PRICE_PATTERN)
_GROUP_RE = re.compile(_GROUP)

IntArray = npt.NDArray[np.int64]
"""Kopecks (or days, counts) per point or per line."""

format_kop = format_rub
"""The rewards engine's name for :func:`data.vocabulary.format_rub` (kopecks -> ``"1234.56"``)."""


def plain_price(text: str) -> str:
    """A price matching :data:`PRICE_PATTERN` written plainly: ``"1 234,5" -> "1234.5"``."""
    return _GROUP_RE.sub("", text).replace(",", ".")


def parse_rub(text: str) -> int:
    """Parse a non-negative rouble amount with at most two decimals into kopecks, exactly.

    Accepts a decimal point or comma and digits grouped by threes with a space
    (:data:`PRICE_PATTERN`): ``"1 234,50"``, ``"1234.50"`` and ``"1234,5"`` are all
    123450 kopecks.

    Raises
    ------
    ValueError
        for anything else (negative, non-numeric, sub-kopeck, exponent notation, both a
        point and a comma, a comma or point before exactly three digits), with
        :func:`price_problem`'s words.
    """
    text = text.strip()
    if not _PRICE_RE.fullmatch(text):
        raise ValueError(price_problem(text))
    whole, _, frac = plain_price(text).partition(".")
    return int(whole) * 100 + int(frac.ljust(2, "0"))


def price_problem(text: str) -> Message:
    """What is wrong with a price that is not :data:`PRICE_PATTERN`, in words."""
    if text.startswith("-"):
        return Message("negative price {price!r}", price=text)
    bare = _GROUP_RE.sub("", text)
    if re.fullmatch(r"[0-9]+[.,][0-9]+[.,][0-9]+", bare):
        return Message("price {price!r} is ambiguous (both a thousands and a decimal "
                       "separator?): write it as 1234.50 or 1234,50", price=text)  # fmt: skip
    if re.fullmatch(r"[0-9]{1,3}[.,][0-9]{3}", bare):
        return Message("price {price!r} is ambiguous: more than two decimals (kopecks), or a "
                       "thousands separator? Write roubles and at most two decimals, e.g. "
                       "1234 or 1234,50", price=text)  # fmt: skip
    if re.fullmatch(r"[0-9]+[.,][0-9]{3,}", bare):
        return Message("price {price!r} has more than two decimals (kopecks)", price=text)
    if re.fullmatch(r"[0-9]{14,}(?:[.,][0-9]*)?", bare):
        return Message("price {price!r} is too large", price=text)
    return Message("price {price!r} is not a decimal number like 1234.50 or 1 234,50",
                   price=text)  # fmt: skip


def kop(amount_rub: Decimal) -> int:
    """A policy amount in roubles (whole kopecks, validated by the policy) as kopecks."""
    return int(amount_rub * 100)


def percent_label(value: Decimal) -> str:
    """``Decimal("5.0") -> "5%"``: the rate label of a statement line."""
    return f"{value.normalize():f}%"


def half_up_div(num: Any, den: Any) -> Any:
    """Round ``num / den`` half-up for ``num >= 0, den > 0`` (int64 or Python-int arrays)."""
    return (2 * num + den) // (2 * den)


def ratio(value: Decimal) -> tuple[int, int]:
    """A decimal as an exact integer ratio ``(numerator, denominator)``."""
    num, den = value.as_integer_ratio()
    return int(num), int(den)


def fits_int64(*bounds: int) -> bool:
    """Whether every bound is safely inside int64 (see :data:`INT64_SAFE`)."""
    return all(abs(b) < INT64_SAFE for b in bounds)
