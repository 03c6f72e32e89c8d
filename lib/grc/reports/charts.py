"""Shared presentation helpers for the workbooks: French number formats, tables, plot style."""

from __future__ import annotations

import html
import itertools
import math
import re
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


_TABLE_SEQ = itertools.count(1)


def reset_page_state() -> None:
    """A new page starts: its tables are numbered from 1 again (called by the warm kernel)."""
    global _TABLE_SEQ
    _TABLE_SEQ = itertools.count(1)
BAR_COLOUR = "#a9c0e0"  # a light shade of the plots' blue: the figures stay readable on it


def md_text(text: str) -> str:
    """``text`` (a name from an export or the configuration) shown literally inside Markdown:
    no HTML, no link, no emphasis."""
    return re.sub(r"([\\`*_{}\[\]()#+!|~-])", r"\\\1", html.escape(str(text), quote=False))


def _styler(df: pd.DataFrame):
    """``df.style`` with a page-stable id (pandas draws a random one: pages must be reproducible)."""
    from grc.reports.table_html import ReportStyler

    # every label comes from the data or the configuration: escaped (a centre named <script>…)
    sty = ReportStyler(df, uuid=f"grc{next(_TABLE_SEQ)}")
    return sty.format_index(escape="html", axis=0).format_index(escape="html", axis=1)


# French headers of the views' columns, written once (a page passes ``labels`` to override one)
COLUMN_LABELS: dict[str, str] = {
    "family": "Famille", "clients_prev": "Clients N-1", "clients_last": "Clients N",
    "variation": "Variation", "share_prev": "Part N-1", "share_last": "Part N",
    "segment_label": "Segment", "rank": "Rang", "product": "Produit", "stays": "Séjours",
    "share": "Part", "amount": "Chiffre d'affaires", "region": "Région", "clients": "Clients",
    "department": "Département", "cluster": "Groupe", "description": "Description",
    "contacts": "Contacts", "share_network": "Part réseau", "category": "Catégorie",
    "amount_share": "Part du CA", "amount_per_client": "CA par client",
    "recency_months": "Récence (mois)", "frequency": "Fréquence", "monetary": "Montant",
    "retained": "Revenus en N", "retention": "Rétention", "fiches_n_1": "fiches N-1",
    "part_n_1": "part N-1", "fiches_n": "fiches N", "part_n": "part N",
    "signalées_n_1": "signalées N-1", "toujours_à_corriger": "toujours à corriger",
    "plus_exportées": "plus exportées", "taux_correction": "taux de correction",
    "e_mail": "e-mail", "avec_problème": "avec problème", "évolution_problème": "évolution",
    "taux_doublons": "taux de doublons", "score_médian": "score médian",
    "clients_partagés": "clients partagés", "valide_si_renseigné": "valide si renseigné",
}


def table(df: pd.DataFrame, pct: list[str] | None = None, eur: list[str] | None = None,
          digits: dict[str, int] | None = None, caption: str | None = None,
          bars: list[str] | None = None, same_scale: bool = False,
          labels: dict[str, str] | None = None):
    """A readable Styler: French headers (:data:`COLUMN_LABELS`, ``labels`` first), French
    numbers, percentages and euros, no index. Columns may be named either way in ``pct``,
    ``eur``, ``digits`` and ``bars``.

    ``bars``: numeric columns drawn as in-cell bars (from 0 to the column's maximum, or to the
    maximum of all of them with ``same_scale``, to compare e.g. a centre with the network), a
    chart at the cost of a table (no figure to draw and encode).
    """
    lab = {**COLUMN_LABELS, **(labels or {})}
    df, keys = _with_keys(df)
    df = df.rename(columns={c: lab[c] for c in df.columns if c in lab})
    pct = [lab.get(c, c) for c in pct or []]
    eur = [lab.get(c, c) for c in eur or []]
    bars = [lab.get(c, c) for c in bars or []]
    digits = {lab.get(c, c): d for c, d in (digits or {}).items()}
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
    sty = _styler(df).format(fmt, na_rep="–", escape="html").hide(axis="index")
    if keys is not None:
        keys.columns = df.columns
        sty = measure_cells(sty, keys, fmt)
    bar_cols = [c for c in bars or [] if c in df.columns]
    shared_top = (pd.concat([pd.to_numeric(df[c], errors="coerce") for c in bar_cols]).max()
                  if bar_cols else None)
    for c in bar_cols:
        top = shared_top if same_scale else pd.to_numeric(df[c], errors="coerce").max()
        if len(df) and top == top and top > 0:
            sty = sty.bar(subset=[c], color=BAR_COLOUR, vmin=0, vmax=float(top), height=70,
                          width=100)
    if caption:
        sty = sty.set_caption(html.escape(caption))
    return sty


def measured(frame: pd.DataFrame, keys: pd.DataFrame) -> pd.DataFrame:
    """``frame`` whose cells are measures: ``keys`` (same index and columns) holds, per cell,
    ``(measure, scope, year)`` (plus the raw value when the cell holds a text) or None. :func:`table` and :func:`heat_table` then write each
    such cell as a measure element (data-measure, data-scope, data-year, data-value) showing
    the column's usual text, so that the cross-page test checks table cells too."""
    frame = frame.copy()
    frame.attrs["measures"] = CellKeys(keys)
    return frame


class CellKeys:
    """The measure keys of a frame's cells, kept in ``frame.attrs`` (compared by identity:
    pandas compares attrs when it combines frames)."""

    def __init__(self, keys: pd.DataFrame):
        self.keys = keys


def cell_keys(frame: pd.DataFrame) -> pd.DataFrame | None:
    """The measure keys :func:`measured` attached to ``frame`` (None if it has none)."""
    held = frame.attrs.get("measures")
    return held.keys if isinstance(held, CellKeys) else None


def _with_keys(df: pd.DataFrame, reset: bool = True) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """``df`` without its measure keys, and the keys aligned on it (None if there are none)."""
    keys = cell_keys(df)
    if keys is None:
        return df, None
    keys = keys.reindex(index=df.index, columns=df.columns)
    df = df.copy()
    df.attrs = {}
    if reset:
        df, keys = df.reset_index(drop=True), keys.reset_index(drop=True)
    return df, keys


def measure_cells(sty, keys: pd.DataFrame, fmt: dict[str, Any]):
    """Write each cell of ``sty`` that ``keys`` names as a measure element (its column's text)."""
    from grc.measures.read import figure_html

    def cell(key: tuple, text):
        # (measure, scope, year[, raw value when the cell holds a text])
        return lambda v: figure_html(*key[:3], key[3] if len(key) > 3 else v, text=text(v),
                                     describe=False)

    funcs = getattr(sty, "_display_funcs", None)  # pandas' per-cell formatters: one set per cell
    for j, col in enumerate(keys.columns):
        text = fmt.get(col) or str
        for i, key in enumerate(keys[col].to_numpy()):
            if not isinstance(key, tuple):
                continue
            if funcs is not None:
                funcs[(i, j)] = cell(key, text)
            else:  # a pandas without it: the public, slower way
                sty = sty.format(cell(key, text), escape=None, na_rep=None,
                                 subset=pd.IndexSlice[[sty.data.index[i]], [col]])
    return sty


def heat_table(counts: pd.DataFrame, colour: pd.DataFrame | None = None, cmap: str = "YlOrRd",
               vmin: float | None = None, vmax: float | None = None, caption: str | None = None,
               fmt=None):
    """A heatmap as a table: ``counts`` written in cells coloured by ``colour`` (same shape,
    default the counts) on one scale for the whole table; the index is kept (row labels)."""
    values = counts if colour is None else colour
    counts, keys = _with_keys(counts, reset=False)
    sty = _styler(counts).format(fmt or fr_num, na_rep="–", escape="html")
    if keys is not None:
        sty = measure_cells(sty, keys, {c: fmt or fr_num for c in counts.columns})
    if counts.size:
        sty = sty.background_gradient(cmap=cmap, axis=None, gmap=values.to_numpy(dtype=float),
                                      vmin=vmin, vmax=vmax)
    if caption:
        sty = sty.set_caption(html.escape(caption))
    return sty


def side_by_side(stylers) -> Any:
    """Several small tables on one row (wrapping on narrow screens), as panels of a figure."""
    from IPython.display import HTML

    cells = "".join(f'<div style="flex:0 1 auto">{s.to_html()}</div>' for s in stylers)
    return HTML(f'<div style="display:flex;flex-wrap:wrap;gap:0.5em 2em;align-items:flex-start">'
                f"{cells}</div>")


def setup_plots() -> None:
    """Consistent plot style for every workbook (seaborn, readable sizes, French decimals).

    80 dpi and simplified paths: a page's figures cost less to draw, encode and embed. In a
    notebook, figures are then laid out once with ``tight_layout`` and drawn once (see
    :func:`figure_png`) instead of being drawn a second time to crop them.
    """
    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook")
    mpl.rcParams.update({"figure.figsize": (8, 4), "figure.dpi": 80, "axes.titleweight": "bold",
                         "axes.formatter.use_locale": False, "svg.hashsalt": "grc",
                         "savefig.bbox": "tight", "path.simplify": True})
    _install_png_formatter()


def _install_png_formatter() -> None:
    """Show matplotlib figures through :func:`figure_png` (inline backend with its defaults only)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is always there with Jupyter
        return
    ip = get_ipython()
    if ip is None:
        return
    try:
        from matplotlib_inline.backend_inline import InlineBackend
    except ImportError:  # pragma: no cover
        return
    cfg = InlineBackend.instance()
    # a user who chose other formats (retina, svg) or other options keeps them
    if set(cfg.figure_formats) != {"png"} or dict(cfg.print_figure_kwargs) != {"bbox_inches": "tight"}:
        return
    from matplotlib.figure import Figure

    ip.display_formatter.formatters["image/png"].for_type(Figure, figure_png)


def figure_alt(fig) -> str:
    """A French alternative text that says what a figure shows: its title, axes and series
    (``fig.grc_alt``, set by a view with the chart's main figures, comes first)."""
    own = getattr(fig, "grc_alt", None)
    if own:
        return str(own)
    parts = []
    for ax in fig.axes:
        title = ax.get_title() or (fig._suptitle.get_text() if fig._suptitle else "")
        bits = [f"« {title} »"] if title else []
        if ax.get_xlabel():
            bits.append(f"axe horizontal : {ax.get_xlabel()}")
        if ax.get_ylabel():
            bits.append(f"axe vertical : {ax.get_ylabel()}")
        legend = ax.get_legend()
        if legend is not None:
            labels = [tx.get_text() for tx in legend.get_texts()][:8]
            if labels:
                bits.append("séries : " + ", ".join(labels))
        if bits:
            parts.append(" ; ".join(bits))
    body = " | ".join(parts) if parts else "sans titre"
    return f"Graphique {body}. Les chiffres correspondants figurent dans les tableaux de la page."


def figure_png(fig) -> tuple[str, dict] | None:
    """A figure as base64 PNG with its alternative text, laid out by ``tight_layout`` and
    drawn once.

    IPython's default crops each figure to its content (``bbox_inches="tight"``), which draws
    the figure twice; laying it out with ``tight_layout`` first gives the same framing for one
    draw. A figure that ``tight_layout`` cannot handle (or that has its own layout engine) is
    printed the default way.
    """
    import warnings

    from IPython.core.pylabtools import print_figure

    if not fig.axes and not fig.lines:
        return None
    bbox = "tight"
    if fig.get_layout_engine() is None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig.tight_layout()
        # tight_layout leaves a placeholder engine, which would make printing draw twice
        fig.set_layout_engine(None)
        if not caught and fig.get_layout_engine() is None:
            bbox = fig.bbox_inches  # the whole, laid-out figure: no second draw to crop it
    return print_figure(fig, "png", bbox_inches=bbox, base64=True), {"alt": figure_alt(fig)}


def fr_axis(ax, axis: str = "y", pct: bool = False) -> None:
    """French tick labels (thousands separator, decimal comma, or percentages)."""
    from matplotlib.ticker import FuncFormatter

    f = FuncFormatter(lambda v, _: fr_pct(v, 0) if pct else fr_num(v, 0 if abs(v) >= 10 or v == int(v) else 1))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(f)
