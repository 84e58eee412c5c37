"""Outputs that are safe to open: spreadsheet formula cells neutralised, file modes as the
umask gives.

**Formula cells** (CSV injection, OWASP): a spreadsheet runs a cell that begins with ``=``,
``+``, ``-``, ``@``, tab or carriage return as a formula (``=HYPERLINK(...)``, ``+1+2``,
``@SUM(...)``). :func:`neutralise_frame` prefixes such *text* cells with ``'``, which the
spreadsheet shows as the text itself; numbers (numeric columns, and text that is a plain
decimal number such as ``-12.50``) are left as they are. The CLI's ``--raw-csv`` turns it
off for a machine reader that wants the bytes unchanged.

**Encoding**: every CSV output is UTF-8 with a byte-order mark (:data:`CSV_ENCODING`): Excel
(Russian locale included) reads UTF-8 only with it, and shows Cyrillic text as mojibake
without; pandas, Python's ``utf-8-sig`` and :func:`data.io.read_table` read it back
unchanged. ``--raw-csv`` keeps it (it only turns off the formula neutralisation).

**Modes**: :func:`final_mode` is the mode a written file gets: an existing file's own
mode (rewriting keeps it), else what ``open`` would give under the process umask (0644
under umask 022), not the 0600 of a :func:`tempfile.mkstemp` temporary.
"""

from __future__ import annotations

import os
import re
import stat
import threading
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "CSV_ENCODING",
    "FORMULA_START",
    "final_mode",
    "neutralise_cell",
    "neutralise_frame",
    "umask",
]

#: the encoding of every CSV output: UTF-8 with a byte-order mark
CSV_ENCODING = "utf-8-sig"
#: the first characters that make a spreadsheet read a cell as a formula
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_RISKY = r"^[=+\-@\t\r]"
_umask_lock = threading.Lock()


def neutralise_cell(value: Any) -> Any:
    """``value`` with ``'`` in front when it is text that a spreadsheet would run as a
    formula; anything else (numbers, None, safe text, plain decimal numbers) unchanged."""
    risky = isinstance(value, str) and value.startswith(FORMULA_START)
    if risky and _PLAIN_NUMBER.fullmatch(value) is None:
        return "'" + value
    return value


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every risky text cell neutralised (:func:`neutralise_cell`), and risky
    column names too; the same frame when nothing needs it (numeric columns never do)."""
    out = df
    for i in range(len(df.columns)):
        s = df.iloc[:, i]
        if s.dtype.kind in "biufcmM":
            continue
        text = s.astype("string")
        risky = text.str.match(_RISKY, na=False) & ~text.str.fullmatch(
            _PLAIN_NUMBER.pattern, na=False
        )
        if not bool(risky.any()):
            continue
        if out is df:
            out = df.copy()
        fixed = s.astype(object).copy()
        fixed[risky.to_numpy()] = "'" + text[risky].astype(str)
        out.isetitem(i, fixed.to_numpy())
    names = [neutralise_cell(c) if isinstance(c, str) else c for c in out.columns]
    if names != list(out.columns):
        out = out.copy() if out is df else out
        out.columns = names
    return out


def umask() -> int:
    """The process umask (read from ``/proc`` where it can be, else set and restored under
    a lock)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    with _umask_lock:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def final_mode(path: Path) -> int:
    """The permission bits a file written to ``path`` should get: the existing file's,
    else ``0o666`` less the umask."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return 0o666 & ~umask()
