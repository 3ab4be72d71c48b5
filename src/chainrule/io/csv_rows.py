"""Rows of numbers from a CSV file, for ``chainrule predict``: checked row by row, by number.

Every row must hold exactly ``n_values`` finite numbers; a first row that is not numbers is a
header and is skipped. A row that is wrong (too few or many values, a word, NaN, inf) is
refused, naming its row number (the file's line number, counting from 1) — or, with
``skip_bad=True``, left out and reported. Lines are read with a length limit that follows from
``n_values``, so a file of one endless line cannot fill memory.
"""

import math

import numpy as np

from .errors import CorruptFileError

_SHOWN = 5  # bad rows quoted in an error; the rest are counted


def read_rows(path, n_values, skip_bad=False):
    """``(X, skipped)``: float32 rows of the file's good rows, and the row numbers left out."""
    limit = 64 * n_values + 1024  # ample for any float's text, with spaces
    rows, bad = [], []
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        number = 0
        while True:
            line = f.readline(limit)
            if not line:
                break
            number += 1
            if len(line) >= limit and not line.endswith(("\n", "\r")):
                raise CorruptFileError(path, f"row {number} is longer than {limit} characters, "
                                             f"too long for {n_values} values", kind="CSV")
            text = line.strip()
            if not text:
                continue  # blank lines (a trailing newline) are not rows
            values, problem = _parse(text, n_values)
            if problem is None:
                rows.append(values)
            elif number == 1 and problem.endswith("is not a number"):
                continue  # a header row
            else:
                bad.append((number, problem))
    if bad and not skip_bad:
        shown = "; ".join(f"row {n}: {p}" for n, p in bad[:_SHOWN])
        more = f" (and {len(bad) - _SHOWN} more)" if len(bad) > _SHOWN else ""
        raise CorruptFileError(path, f"{len(bad)} bad row(s), refused — {shown}{more}; fix "
                                     "them or pass --skip-bad-rows", kind="CSV")
    if not rows:
        raise CorruptFileError(path, "no samples to predict" + (
            f" ({len(bad)} bad row(s) skipped)" if bad else ""), kind="CSV")
    return np.stack(rows), [n for n, _ in bad]


def _parse(text, n_values):
    fields = text.split(",")
    values = []
    for i, field in enumerate(fields, 1):
        try:
            value = float(field)
        except ValueError:
            return None, f"value {i} ({field.strip()[:20]!r}) is not a number"
        if not math.isfinite(value):
            return None, f"value {i} is {field.strip()} (not finite)"
        values.append(value)
    if len(values) != n_values:
        return None, f"{len(values)} values, the model takes {n_values}"
    with np.errstate(over="ignore"):
        row = np.asarray(values, np.float32)
    if not np.isfinite(row).all():  # 1e39 is finite, but not in float32, the model's type
        return None, f"value {int(np.argmin(np.isfinite(row))) + 1} is beyond float32's range"
    return row, None
