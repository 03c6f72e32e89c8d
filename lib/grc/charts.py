"""Shared presentation helpers for the workbooks: French number formats, tables, plot style."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

NBSP = "\u202f"  # narrow no-break space, the French thousands separator


def fr_num(x: Any, digits: int = 0) -> str:
    """12345.6 -> "12 345,6" (French formatting); missing -> "–"."""
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA:
        return "–"
    s = f"{float(x):,.{digits}f}"
    return s.replace(",", NBSP).replace(".", ",")


def fr_pct(x: Any, digits: int = 1) -> str:
    """0.875 -> "87,5 %"."""
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA:
        return "–"
    return f"{fr_num(100 * float(x), digits)}\u00a0%"


def fr_eur(x: Any, digits: int = 0) -> str:
    """1234.5 -> "1 235 €"."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{fr_num(x, digits)}\u00a0€"


def fr_date(x: Any) -> str:
    """A date as "31/12/2025"."""
    if x is None or x is pd.NaT or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return pd.Timestamp(x).strftime("%d/%m/%Y")


def _num_formatter(d: int):
    return lambda v: fr_num(v, d)


def table(df: pd.DataFrame, pct: list[str] | None = None, eur: list[str] | None = None,
          digits: dict[str, int] | None = None, caption: str | None = None):
    """A readable Styler: French numbers, percentages and euros, no index."""
    pct, eur, digits = pct or [], eur or [], digits or {}
    fmt: dict[str, Any] = {}
    for c in df.columns:
        if c in pct:
            fmt[c] = fr_pct
        elif c in eur:
            fmt[c] = fr_eur
        elif pd.api.types.is_float_dtype(df[c]):
            fmt[c] = _num_formatter(digits.get(c, 1))
        elif pd.api.types.is_integer_dtype(df[c]):
            fmt[c] = fr_num
        elif pd.api.types.is_datetime64_any_dtype(df[c]):
            fmt[c] = fr_date
    sty = df.style.format(fmt, na_rep="–").hide(axis="index")
    if caption:
        sty = sty.set_caption(caption)
    return sty


def setup_plots() -> None:
    """Consistent plot style for every workbook (seaborn, readable sizes, French decimals)."""
    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook")
    mpl.rcParams.update({"figure.figsize": (9, 4.5), "figure.dpi": 90, "axes.titleweight": "bold",
                         "axes.formatter.use_locale": False, "svg.hashsalt": "grc",
                         "savefig.bbox": "tight"})


def fr_axis(ax, axis: str = "y", pct: bool = False) -> None:
    """French tick labels (thousands separator, decimal comma, or percentages)."""
    from matplotlib.ticker import FuncFormatter

    f = FuncFormatter(lambda v, _: fr_pct(v, 0) if pct else fr_num(v, 0 if abs(v) >= 10 or v == int(v) else 1))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(f)
