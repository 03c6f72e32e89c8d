"""Reading measures from the base and showing them: one value per (measure, scope, year).

Every number a page draws from a measure is written by :func:`figure_html`, an element with
``data-measure``, ``data-scope``, ``data-year`` and ``data-value`` attributes, so that a test
can check that a measure has one value on every page.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
from markupsafe import Markup, escape

from grc.measures.catalogue import COUNT, EUROS, MONTHS, SCORE, SHARE, SIMILARITY, measure
from grc.reports.charts import fr_num, fr_pct
from grc.schema import NETWORK

MEASURE_COLUMNS = ["scope", "year", "measure", "value"]


def read_measures(db_path: Path, year: int | None = None, since: int | None = None) -> pd.DataFrame:
    """The ``measures`` table (of one ``year``, or of the years from ``since``, when given),
    empty if the base has none yet."""
    from grc.store import base as db

    con = db.connect(db_path, read_only=True)
    try:
        tables = set(con.execute("SELECT table_name FROM information_schema.tables").df()
                     ["table_name"])
        if "measures" not in tables:
            return pd.DataFrame(columns=MEASURE_COLUMNS)
        where, args = ("WHERE year = ?", [year]) if year is not None else ("", None)
        if since is not None and year is None:
            where, args = "WHERE year >= ?", [since]
        return db.read_table(con, "measures", where, args)
    finally:
        con.close()


#: Lookups of the last few measures frames read (a page reads two or three: the workbook's, its
#: views'), each kept with its frame so that the id is not reused; emptied before each page.
_SLICES: dict[int, tuple[pd.DataFrame, dict]] = {}
_KEPT_FRAMES = 4


def reset_page_state() -> None:
    """Forget the previous page's frames (called by the report runner before each notebook)."""
    _SLICES.clear()


def _remember(cache: dict, measures: pd.DataFrame, lookup: dict) -> dict:
    if len(cache) >= _KEPT_FRAMES:
        cache.pop(next(iter(cache)))
    cache[id(measures)] = (measures, lookup)
    return lookup


def measure_value(measures: pd.DataFrame, name: str, scope: str, year: int) -> float | None:
    """The stored value of ``name`` for ``scope`` and ``year`` (None when not stored)."""
    if measures.empty:
        return None
    value = _slices(measures).get((scope, int(year)), {}).get(name)
    if value is None or math.isnan(float(value)):
        return None
    return float(value)


def format_value(name: str, value: Any) -> str:
    """French text of a measure's value, by its unit (12 345 ; 87,5 % ; 12 345 €)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    unit = measure(name).unit
    if unit == SHARE:
        return fr_pct(value)
    if unit == EUROS:
        return f"{fr_num(value)}\u00a0€"
    if unit == SCORE:
        return f"{fr_num(value, 1)}\u00a0/\u00a010"
    if unit == SIMILARITY:
        return fr_num(value, 1)
    if unit == MONTHS:
        return f"{fr_num(value, 1)}\u00a0mois"
    assert unit == COUNT
    return fr_num(value)


def figure_html(name: str, scope: str, year: int, value: Any, glossary: str | None = None,
                text: str | None = None, describe: bool = True) -> Markup:
    """One figure as ``<span data-measure … data-value …>text</span>`` (escaped).

    ``glossary``: relative href of the glossary page; the figure then links to it.
    ``describe``: the measure's definition as a tooltip (a table's cells leave it to the
    glossary: hundreds of repeated definitions would weigh on the page).
    """
    m = measure(name)
    raw = "" if value is None or (isinstance(value, float) and math.isnan(value)) \
        else repr(float(value))
    shown = format_value(name, value) if text is None else text
    attrs = (f'class="measure" data-measure="{escape(name)}" data-scope="{escape(scope)}" '
             f'data-year="{int(year)}" data-value="{raw}"')
    if describe:
        attrs += f' title="{escape(m.definition)}"'
    inner = escape(shown)
    if glossary:
        inner = Markup(f'<a href="{escape(glossary)}#{m.anchor}">{inner}</a>')
    return Markup(f"<span {attrs}>{inner}</span>")


def site_prefix(scope: str) -> str:
    """Relative path from a scope's pages to the site root (network/…, centres/<CODE>/…)."""
    return "../" if scope == NETWORK else "../../"


def key_figures_html(measures: pd.DataFrame, scope: str, year: int, names: list[str],
                     caption: str = "Chiffres clés") -> str:
    """A table of measures for ``scope``: this year, last year and, for a centre, the network.

    Every number is a measure element (:func:`figure_html`) linked to the glossary.
    """
    glossary = site_prefix(scope) + "glossaire.html"
    cols = [(scope, year, f"Année {year}"), (scope, year - 1, f"Année {year - 1}")]
    if scope != NETWORK:
        cols.append((NETWORK, year, f"Réseau {year}"))
    head = "".join(f'<th scope="col">{escape(label)}</th>' for _, _, label in cols)
    rows = []
    for name in names:
        m = measure(name)
        cells = "".join(
            f"<td>{figure_html(name, s, y, measure_value(measures, name, s, y))}</td>"
            for s, y, _ in cols)
        label = f'<a href="{escape(glossary)}#{m.anchor}">{escape(m.label)}</a>'
        rows.append(f'<tr><th scope="row">{label}</th>{cells}</tr>')
    return (f'<table class="key-figures"><caption>{escape(caption)}</caption>'
            f'<thead><tr><th scope="col">Indicateur</th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def history_html(measures: pd.DataFrame, scope: str, names: list[str], caption: str,
                 years: list[int] | None = None) -> str:
    """A table of ``names`` (columns) for each year (rows) where the first one is stored."""
    sel = measures[(measures["scope"] == scope) & (measures["measure"] == names[0])
                   & measures["value"].notna()]
    years = sorted(int(y) for y in sel["year"].unique()) if years is None else years
    if not years:
        return ""
    # plain headers: the page's script puts a sort button in each (no link nested in it);
    # the figures carry their definition, the glossary has the rest
    head = "".join(f'<th scope="col" title="{escape(measure(n).definition)}">'
                   f"{escape(measure(n).label)}</th>" for n in names)
    rows = "".join(
        f'<tr><th scope="row">{y}</th>'
        + "".join(f"<td>{figure_html(n, scope, y, measure_value(measures, n, scope, y))}</td>"
                  for n in names) + "</tr>" for y in years)
    return (f'<table class="key-figures"><caption>{escape(caption)}</caption><thead><tr>'
            f'<th scope="col">Année</th>{head}</tr></thead><tbody>{rows}</tbody></table>')


def _slices(measures: pd.DataFrame) -> dict:
    """(scope, year) → {measure: value} of a measures frame (the first row of a measure wins),
    built once per frame."""
    hit = _SLICES.get(id(measures))
    if hit is not None and hit[0] is measures:
        return hit[1]
    out: dict = {}
    for name, scope, year, value in zip(measures["measure"].tolist(), measures["scope"].tolist(),
                                        measures["year"].astype(int).tolist(),
                                        measures["value"].tolist(), strict=True):
        out.setdefault((scope, year), {}).setdefault(name, value)
    return _remember(_SLICES, measures, out)


def members(measures: pd.DataFrame, family: str, scope: str, year: int) -> pd.Series:
    """The stored members of ``family`` (``<family>:<key>``) for ``scope`` and ``year``:
    values indexed by key, in key order."""
    if measures.empty:
        return pd.Series(dtype=float)
    prefix = family + ":"
    found = {name[len(prefix):]: float(value)
             for name, value in _slices(measures).get((scope, int(year)), {}).items()
             if name.startswith(prefix)}
    return pd.Series(found, dtype=float).sort_index()


def cell(measures: pd.DataFrame, name: str, scope: str, year: int) -> tuple[float, tuple | None]:
    """A table cell drawn from a measure: (value, its key) or (NaN, None) when not stored."""
    value = measure_value(measures, name, scope, year)
    if value is None:
        return math.nan, None
    return value, (name, scope, int(year))


def cells_frame(measures: pd.DataFrame, rows: list[dict]) -> pd.DataFrame:
    """A table whose cells are measures: each row maps a column to a plain value or to
    ``(name, scope, year)``; measure cells take the stored value and carry their key
    (:func:`grc.reports.charts.measured`), missing ones show ``missing`` (default NaN)."""
    from grc.reports.charts import measured

    values, keys = [], []
    for row in rows:
        vals, ks = {}, {}
        for col, spec in row.items():
            if isinstance(spec, tuple):
                vals[col], ks[col] = cell(measures, *spec)
            else:
                vals[col], ks[col] = spec, None
        values.append(vals)
        keys.append(ks)
    frame = pd.DataFrame(values)
    return measured(frame, pd.DataFrame(keys, index=frame.index, columns=frame.columns, dtype=object))
