"""Tidy frames and plots for the marketing workbooks (03 segmentation, 04 RFM and loyalty).

The notebooks only read the base (``grc.reports.workbook``) and call these functions: every frame
returned here holds aggregates (counts, shares, amounts) and never a name, e-mail or phone.
Every function accepts empty frames (a centre with very few clients) and returns an empty
frame with the documented columns; the notebooks then print a French sentence instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from grc.measures.breakdowns import (
    CATEGORY_FAMILIES,
    DERIVED,
    NOT_SEGMENTED,
    RANK_FAMILIES,
    category_summary,
    points_key,
    rank_profiles,
)
from grc.measures.read import cells_frame, measure_value, members
from grc.reports.charts import (
    cell_keys,
    fr_axis,
    fr_num,
    fr_pct,
    heat_table,
    measured,
    side_by_side,
    table,
)
from grc.rfm import loyalty
from grc.rfm import scores as rfm
from grc.schema import NETWORK
from grc.segment import segmentation as segment

MONTHS_FR = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
             "nov.", "déc."]
UNIT_FR = {
    "months": "mois depuis la dernière arrivée",
    "per_year": "séjours par an",
    "per_month": "séjours par mois",
    "total": "total sur la fenêtre",
    "average": "montant moyen d'un séjour (€)",
    "last": "montant du dernier séjour (€)",
}
CRITERION_FR = {"recency": "Récence", "frequency": "Fréquence", "monetary": "Montant"}
# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _has(frame: pd.DataFrame | None, *cols: str) -> bool:
    return frame is not None and len(frame) > 0 and all(c in frame.columns for c in cols)


def _past(stays: pd.DataFrame, reference_date: dt.date | pd.Timestamp) -> pd.DataFrame:
    """Stays that arrived up to the reference date (booked stays to come are left out)."""
    if not _has(stays, "arrival", "contact_id"):
        return pd.DataFrame(columns=["contact_id", "centre", "arrival", "nights", "persons",
                                     "amount", "product"])
    s = stays.copy()
    s["arrival"] = pd.to_datetime(s["arrival"])
    return s[s["arrival"].le(pd.Timestamp(reference_date)) & s["contact_id"].notna()]


def note(text: str):
    """A French sentence rendered as Markdown in the notebook (raw HTML shown as text)."""
    import html

    from IPython.display import Markdown

    return Markdown(html.escape(text, quote=False))


def scope_label(centre: str) -> str:
    """``"Réseau"`` or ``"Centre <CODE>"`` (legend labels)."""
    return "Réseau" if centre == NETWORK else f"Centre {centre}"


def _empty_ax(ax, text: str = "Pas de données"):
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()
    return ax


def _stacked_bars(ax, piv: pd.DataFrame, cmap: str, width: float = 0.7) -> None:
    """Stacked bars of ``piv`` (index on x, one colour per column, sampled from ``cmap`` as
    pandas does), drawn with matplotlib directly: pandas' plotting layer costs more than the bars."""
    import matplotlib as mpl

    x = np.arange(len(piv))
    colours = mpl.colormaps[cmap](np.linspace(0, 1, num=max(len(piv.columns), 1)))
    bottom = np.zeros(len(piv))
    for colour, col in zip(colours, piv.columns, strict=False):
        values = piv[col].to_numpy(dtype=float)
        ax.bar(x, values, width, bottom=bottom, color=colour, label=str(col))
        bottom += values
    ax.set_xticks(x, [str(i) for i in piv.index])
    ax.set_xlim(-0.5, len(piv) - 0.5)
    top = float(bottom.max()) if len(bottom) else 0.0
    ax.set_ylim(0, top * 1.05 if top > 0 else 1)


def _new_ax(figsize: tuple[float, float] | None = None):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=figsize)
    return ax


# --------------------------------------------------------------------------------------------
# Reading the base: one connection per page, the scope's rows, network aggregates only
# --------------------------------------------------------------------------------------------

#: What :func:`load_scope` can read; each page asks only for what it shows.
PARTS = ("stays", "segments", "scores", "clusters", "cluster_quality",
         "n_centres", "extraction")


@dataclass
class ScopeData:
    """Frames of one scope (a centre code or ``NETWORK``) for the marketing workbooks.

    Record-level frames hold only the scope's contacts (a centre's page never sees another
    centre's clients); ``clusters``, ``cluster_quality`` and ``n_centres``
    are network aggregates (counts, shares, figures). ``contacts``, ``criteria`` and
    ``extract_scores`` are the golden contacts, segments and scores ``grc extract`` reads,
    restricted to the contacts its ``--centre`` filter can select; pages show only counts.
    """

    centre: str
    stays: pd.DataFrame = field(default_factory=pd.DataFrame)
    segments: pd.DataFrame = field(default_factory=pd.DataFrame)
    scores: pd.DataFrame = field(default_factory=pd.DataFrame)
    clusters: pd.DataFrame = field(default_factory=pd.DataFrame)
    cluster_quality: dict | None = None
    n_centres: pd.Series = field(default_factory=lambda: pd.Series(dtype="int64"))
    contacts: pd.DataFrame = field(default_factory=pd.DataFrame)
    criteria: pd.DataFrame = field(default_factory=pd.DataFrame)
    extract_scores: pd.DataFrame = field(default_factory=pd.DataFrame)


def _tables(con) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}


def load_scope(cfg, centre: str, parts: Sequence[str] = PARTS) -> ScopeData:
    """Read what the marketing pages of ``centre`` need, through one read-only connection.

    Filters and aggregates run in DuckDB, so a centre's page reads only its own rows and a
    few aggregates, never whole network tables.
    """
    from grc.store import base as db

    unknown = set(parts) - set(PARTS)
    if unknown:
        raise ValueError(f"Parties inconnues : {sorted(unknown)}")
    net = centre == NETWORK
    out = ScopeData(centre)
    ref = pd.Timestamp(cfg.reference_date)
    con = db.connect(cfg.db_path, read_only=True)
    try:
        have = _tables(con)

        def q(sql: str, params: list | None = None, *need: str) -> pd.DataFrame | None:
            if not all(t in have for t in need):
                return None
            return con.execute(sql, params or []).df()

        # the scope's contacts: linked to one of the centre's records (as grc.reports.workbook does)
        scope_ids = "" if net else \
            'WHERE contact_id IN (SELECT contact_id FROM record_links WHERE centre = $c)'
        par = [] if net else [centre]
        pc = {} if net else {"c": centre}
        if "stays" in parts:
            st = q('SELECT * FROM stays_linked' + ("" if net else " WHERE centre = ?"), par,
                   "stays_linked")
            if st is not None:
                st["arrival"] = pd.to_datetime(st["arrival"])
                out.stays = st
        if "segments" in parts:
            seg = q(f"SELECT * FROM segments {scope_ids} ORDER BY contact_id", pc,
                    "segments", *(() if net else ("record_links",)))
            out.segments = seg if seg is not None else out.segments
        if "scores" in parts:
            sc = q("SELECT * FROM scores WHERE scope = ?", [centre], "scores")
            out.scores = sc if sc is not None else out.scores
        if "clusters" in parts or "cluster_quality" in parts:
            prof = q("SELECT * FROM clusters ORDER BY cluster", None, "clusters")
            out.clusters = prof if prof is not None else out.clusters
        if "cluster_quality" in parts:
            row = q("SELECT * FROM cluster_quality", None, "cluster_quality")
            if row is not None and len(row):
                clients = int(out.clusters["size"].sum()) if _has(out.clusters, "size") else None
                out.cluster_quality = quality_from_row(row.iloc[0].to_dict(), clients)
        if "n_centres" in parts:
            within = "" if net else \
                " AND contact_id IN (SELECT contact_id FROM stays_linked WHERE centre = $c)"
            nc = q("SELECT contact_id, count(DISTINCT centre) AS n FROM stays_linked "
                   f"WHERE contact_id IS NOT NULL AND arrival <= $ref{within} "
                   "GROUP BY contact_id ORDER BY contact_id", {"ref": ref, **pc}, "stays_linked")
            if nc is not None:
                out.n_centres = nc.set_index("contact_id")["n"].astype("int64")
        if "extraction" in parts:
            mine = "" if net else \
                "WHERE list_contains(string_split(replace(centres, ' ', ''), ';'), $c)"
            ct = q(f"SELECT * FROM contacts {mine} ORDER BY contact_id", pc, "contacts")
            if ct is not None:
                out.contacts = ct
                ids = "" if net else f"WHERE contact_id IN (SELECT contact_id FROM contacts {mine})"
                crit = q(f"SELECT * FROM segments {ids} ORDER BY contact_id", pc, "segments")
                out.criteria = crit if crit is not None else out.criteria
                sc = q("SELECT scope, contact_id, category FROM scores WHERE scope = ?", [centre],
                       "scores")
                out.extract_scores = sc if sc is not None else out.extract_scores
    finally:
        con.close()
    return out


def grid_path(cfg, grid: str | Path | None = None) -> Path:
    """The RFM grid file of a page: the config's ``rfm_grid`` when ``grid`` is empty, else
    ``grid`` resolved like the config's paths (absolute, from the network's root, then from
    the project's root: ``"params/rfm/omnicom.yaml"`` works from any network folder)."""
    from grc.config import ConfigError, project_root

    if grid is None or not str(grid).strip():
        return Path(cfg.rfm_grid)
    p = Path(str(grid).strip()).expanduser()
    if p.is_absolute():
        cands = [p]
    else:
        cands = [Path(cfg.root) / p, project_root() / p]
    for c in cands:
        if c.exists():
            return c
    raise ConfigError(f"Grille RFM introuvable : {grid} (cherchée dans "
                      + ", ".join(str(c.parent) for c in cands) + ").")


#: Seaborn's default colours (the pages keep their look without seaborn's slower plots).
PALETTE = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860"]


def _heatmap(ax, values: np.ndarray, annot: np.ndarray, cmap: str, vmin: float, vmax: float,
             xlabels: Sequence[str], ylabels: Sequence[str], annot_size: float | None = None,
             cbar_label: str | None = None) -> None:
    """A seaborn-like annotated heatmap in plain matplotlib (cells, counts, row 0 on top).

    The counts are left out of the tight-bbox layout pass (they lie inside the axes).
    """
    import matplotlib.pyplot as plt

    cm = plt.get_cmap(cmap)
    if not vmax > vmin:
        vmax = vmin + 1
    mesh = ax.pcolormesh(values, cmap=cm, vmin=vmin, vmax=vmax)
    n_rows, n_cols = values.shape
    ax.set_xlim(0, n_cols)
    ax.set_ylim(n_rows, 0)
    ax.set_xticks(np.arange(n_cols) + 0.5, list(xlabels))
    ax.set_yticks(np.arange(n_rows) + 0.5, list(ylabels))
    ax.tick_params(length=0)
    ax.grid(False)
    for side in ax.spines.values():
        side.set_visible(False)
    rgba = cm(np.clip((values - vmin) / (vmax - vmin), 0, 1))
    lum = 0.2126 * rgba[..., 0] + 0.7152 * rgba[..., 1] + 0.0722 * rgba[..., 2]
    size = annot_size or plt.rcParams["font.size"]
    for i in range(n_rows):
        for j in range(n_cols):
            ax.text(j + 0.5, i + 0.5, f"{int(annot[i, j])}", ha="center", va="center",
                    fontsize=size, color="#262626" if lum[i, j] > 0.408 else "white",
                    in_layout=False)
    if cbar_label is not None:
        cb = ax.figure.colorbar(mesh, ax=ax)
        cb.set_label(cbar_label)
        cb.outline.set_visible(False)


# --------------------------------------------------------------------------------------------
# 03 Segmentation: segment mix, trends, products, geography, seasonality, criteria, clusters
# --------------------------------------------------------------------------------------------


def segment_labels(segmentation: Mapping[str, Mapping[str, str]]) -> pd.DataFrame:
    """``segment, segment_label, family, kind`` in the order of the segmentation file."""
    rows = [{"segment": code, "segment_label": v.get("label", code), "family": v.get("family"),
             "kind": v.get("kind")} for code, v in segmentation.items()]
    return pd.DataFrame(rows, columns=["segment", "segment_label", "family", "kind"])


def trend_table(by_year: pd.DataFrame, key: str = "family") -> pd.DataFrame:
    """Last year against the year before, per ``key``: clients, shares and variation.

    Columns: ``<key>, clients_prev, clients_last, variation`` (relative change, NaN when the
    previous year had no client), ``share_prev, share_last``; sorted by last-year clients.
    """
    cols = [key, "clients_prev", "clients_last", "variation", "share_prev", "share_last"]
    if by_year.empty or by_year["year"].nunique() < 2:
        return pd.DataFrame(columns=cols)
    years = sorted(by_year["year"].unique())
    last, prev = years[-1], years[-2]
    piv = by_year.pivot_table(index=key, columns="year", values="clients", aggfunc="sum",
                              fill_value=0)
    shr = by_year.pivot_table(index=key, columns="year", values="share", aggfunc="sum",
                              fill_value=0.0)
    out = pd.DataFrame({
        "clients_prev": piv[prev].astype("int64"),
        "clients_last": piv[last].astype("int64"),
        "share_prev": shr[prev],
        "share_last": shr[last],
    })
    out["variation"] = (out["clients_last"] - out["clients_prev"]) / out["clients_prev"].where(
        out["clients_prev"] > 0)
    out = out.reset_index().sort_values(["clients_last", key], ascending=[False, True])
    return out[cols].reset_index(drop=True)


def plot_family_trend(by_year: pd.DataFrame, title: str = "Clients par famille de segments"):
    """Stacked bars of clients per year, one colour per family."""
    ax = _new_ax((9, 4.5))
    if by_year.empty:
        return _empty_ax(ax)
    piv = by_year.pivot_table(index="year", columns="family", values="clients", aggfunc="sum",
                              fill_value=0)
    piv = piv[piv.sum().sort_values(ascending=False).index]
    return _stacked_chart(ax, piv, "tab20", title, "Année d'arrivée", "en")


def _stacked_chart(ax, piv: pd.DataFrame, cmap: str, title: str, xlabel: str, at: str):
    """Clients per period (rows of ``piv``) stacked by group: French axes, legend, alt text."""
    _stacked_bars(ax, piv, cmap)
    ax.set(title=title, xlabel=xlabel, ylabel="Clients")
    ax.tick_params(axis="x", rotation=0)
    fr_axis(ax)
    ax.legend(title="", bbox_to_anchor=(1.01, 1), loc="upper left", fontsize="small")
    ax.figure.grc_alt = _stacked_alt(title, piv, at)
    return ax


def _stacked_alt(title: str, piv: pd.DataFrame, at: str) -> str:
    """Alternative text of a stacked bar chart: its title and the last bar's main figures."""
    last = piv.iloc[-1].sort_values(ascending=False)
    top = ", ".join(f"{k} {fr_num(v)}" for k, v in last.head(4).items() if v)
    return (f"Graphique en barres empilées « {title} » de {piv.index[0]} à {piv.index[-1]} ; "
            f"{at} {piv.index[-1]} : {fr_num(last.sum())} clients au total, dont {top}.")


NOT_A_GROUP_LABELS = {"Non segmenté", "(non renseigné)"}


def _label(segmentation: Mapping[str, Mapping[str, str]], code: str) -> str:
    """French label of a segment code of the measures (``NON SEGMENTÉ``: "Non segmenté")."""
    if code == NOT_SEGMENTED:
        return "Non segmenté"
    return segmentation.get(code, {}).get("label", code)


def segment_mix_table(measures: pd.DataFrame, segmentation: Mapping[str, Mapping[str, str]],
                      centre: str, year: int) -> pd.DataFrame:
    """One row per segment from the measures (``segment:``, ``segment_share:``): ``Segment,
    Famille, Contacts, Part`` and, for a centre, ``Part réseau, Écart (points)``; segments
    with no contact in the scope nor the network left out, largest first."""
    own = members(measures, "segment", centre, year)
    net = members(measures, "segment_share", NETWORK, year) if centre != NETWORK else pd.Series(dtype=float)
    codes = [c for c in [*segmentation, *sorted(set(own.index) | set(net.index))]
             if c in own.index or c in net.index]
    rows = []
    for code in dict.fromkeys(codes):
        row = {"Segment": _label(segmentation, code),
               "Famille": _label(segmentation, code) if code == NOT_SEGMENTED
               else segmentation.get(code, {}).get("family", "(autre)"),
               "Contacts": (f"segment:{code}", centre, year) if code in own.index else 0,
               "Part": (f"segment_share:{code}", centre, year) if code in own.index else 0.0}
        if centre != NETWORK:
            row["Part réseau"] = (f"segment_share:{code}", NETWORK, year) if code in net.index else 0.0
        rows.append(row)
    out = cells_frame(measures, rows)
    if out.empty:
        return pd.DataFrame(columns=["Segment", "Famille", "Contacts", "Part"])
    out["Contacts"] = out["Contacts"].astype("int64")
    if centre != NETWORK:
        out["Écart (points)"] = 100 * (out["Part"] - out["Part réseau"])
    order = out.sort_values(["Contacts", "Segment"], ascending=[False, True]).index
    return out.loc[order]


def family_by_year(measures: pd.DataFrame, centre: str) -> pd.DataFrame:
    """Clients per year and segment family from the measures of every integrated year
    (``family_clients:``, ``family_share:``): tidy ``year, family, clients, share``."""
    cols = ["year", "family", "clients", "share"]
    if measures.empty:
        return pd.DataFrame(columns=cols)
    sel = measures[(measures["scope"] == centre)
                   & measures["measure"].str.startswith(("family_clients:", "family_share:"))]
    if sel.empty:
        return pd.DataFrame(columns=cols)
    fam, _, key = sel["measure"].str.partition(":").T.to_numpy()
    wide = pd.DataFrame({"year": sel["year"].astype(int).to_numpy(), "family": key, "what": fam,
                         "value": sel["value"].to_numpy()}).pivot_table(
        index=["year", "family"], columns="what", values="value", aggfunc="first").reset_index()
    out = wide.rename(columns={"family_clients": "clients", "family_share": "share"})
    out["clients"] = out["clients"].fillna(0).astype("int64")
    return out[cols].sort_values(["year", "family"]).reset_index(drop=True)


def trend_table_measured(by_year: pd.DataFrame, centre: str) -> pd.DataFrame:
    """:func:`trend_table` of :func:`family_by_year` whose clients and shares carry their
    measures (a family absent one year shows 0, not a measure)."""
    out = trend_table(by_year)
    if out.empty:
        return out
    last, prev = sorted(by_year["year"].unique())[-2:][::-1]
    have = set(zip(by_year["year"], by_year["family"], strict=True))
    keys = pd.DataFrame(None, index=out.index, columns=out.columns, dtype=object)
    for i, fam in out["family"].items():
        for col, year, family in (("clients_prev", prev, "family_clients:"),
                                  ("clients_last", last, "family_clients:"),
                                  ("share_prev", prev, "family_share:"),
                                  ("share_last", last, "family_share:")):
            if (year, fam) in have:
                keys.at[i, col] = (family + fam, centre, int(year))
    return measured(out, keys)


def flagship_measured(measures: pd.DataFrame, segmentation: Mapping[str, Mapping[str, str]],
                      centre: str, year: int, top: int = 3,
                      min_stays: int | None = None) -> pd.DataFrame:
    """Top products per segment from the measures (``product_stays:``, ``product_share:``,
    ``product_amount:``): ``segment_label, rank, product, stays, share, amount``; ranked like
    ``segment.flagship_products`` (stays, then product name); a product needs ``min_stays``
    stays (default the alerts' MIN_PRODUCT_STAYS); unsegmented clients are no group."""
    from grc.measures.alerts import MIN_PRODUCT_STAYS

    cols = ["segment_label", "rank", "product", "stays", "share", "amount"]
    st = members(measures, "product_stays", centre, year)
    if st.empty:
        return pd.DataFrame(columns=cols)
    code, _, product = pd.Series(st.index).str.partition(":").T.to_numpy()
    t = pd.DataFrame({"key": st.index, "code": code, "product": product, "stays": st.to_numpy()})
    t["segment_label"] = [_label(segmentation, c) for c in t["code"]]
    t = t.sort_values(["segment_label", "stays", "product"], ascending=[True, False, True])
    t["rank"] = t.groupby("segment_label").cumcount() + 1
    min_stays = MIN_PRODUCT_STAYS if min_stays is None else min_stays
    t = t[(t["rank"] <= top) & (t["stays"] >= min_stays) & (t["code"] != NOT_SEGMENTED)]
    rows = [{"segment_label": r.segment_label, "rank": int(r.rank), "product": r.product,
             "stays": (f"product_stays:{r.key}", centre, year),
             "share": (f"product_share:{r.key}", centre, year),
             "amount": (f"product_amount:{r.key}", centre, year)} for r in t.itertuples()]
    out = cells_frame(measures, rows)
    if out.empty:
        return pd.DataFrame(columns=cols)
    out["stays"] = out["stays"].astype("int64")
    return out[cols]


def areas_measured(measures: pd.DataFrame, centre: str, year: int,
                   communes: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Clients per region and per department from the measures (``region:``,
    ``department:`` and their shares), largest first: (``region, clients, share``,
    ``department, region, clients, share``); the department's region from ``communes``."""
    regions = dict(zip(communes["department"].astype(str), communes["region"], strict=False))
    out = []
    for fam in ("region", "department"):
        n = members(measures, fam, centre, year)
        order = sorted(n.index, key=lambda k, n=n: (-n[k], k))
        rows = [{fam: k, **({"region": regions.get(k, segment.UNKNOWN)} if fam == "department" else {}),
                 "clients": (f"{fam}:{k}", centre, year),
                 "share": (f"{fam}_share:{k}", centre, year)} for k in order]
        frame = cells_frame(measures, rows)
        if frame.empty:
            frame = pd.DataFrame(columns=[fam, "clients", "share"])
        else:
            frame["clients"] = frame["clients"].astype("int64")
        out.append(frame)
    return out[0], out[1]


def plot_regions(by_region: pd.DataFrame, title: str = "Clients par région"):
    """Horizontal bars of clients per region."""
    ax = _new_ax((8, 5))
    if by_region.empty:
        return _empty_ax(ax)
    y = np.arange(len(by_region))
    ax.barh(y, by_region["clients"].to_numpy(), color=PALETTE[0], height=0.8)
    ax.set_yticks(y, by_region["region"].astype(str).tolist())
    ax.set_ylim(len(by_region) - 0.5, -0.5)
    fr_axis(ax, "x")
    ax.set(title=title, xlabel="Clients", ylabel="")
    return ax


def seasonality_measured(measures: pd.DataFrame, segmentation: Mapping[str, Mapping[str, str]],
                         centre: str, year: int) -> pd.DataFrame:
    """Segment (label) × month (1..12) matrix of past stays from the measures
    (``season:<segment>:<month>``), the busiest segments first; cells carry their measures."""
    st = members(measures, "season", centre, year)
    if st.empty:
        return pd.DataFrame(columns=list(range(1, 13)))
    code, _, month = pd.Series(st.index).str.partition(":").T.to_numpy()
    t = pd.DataFrame({"key": st.index, "code": code, "month": month.astype(int), "v": st.to_numpy()})
    t["label"] = [_label(segmentation, c) for c in t["code"]]
    piv = t.pivot_table(index="label", columns="month", values="v", aggfunc="sum", fill_value=0)
    piv = piv.reindex(columns=range(1, 13), fill_value=0).astype("int64")
    piv = piv.loc[piv.sum(axis=1).sort_values(ascending=False, kind="stable").index]
    keys = pd.DataFrame(None, index=piv.index, columns=piv.columns, dtype=object)
    for r in t.itertuples():
        keys.at[r.label, r.month] = (f"season:{r.key}", centre, year)
    return measured(piv, keys)


def plot_seasonality(matrix: pd.DataFrame, title: str = "Saisonnalité des séjours par famille"):
    """Heatmap month × segment: share of each row's stays in each month, counts written."""
    ax = _new_ax((10, 0.45 * max(len(matrix), 4) + 1.5))
    if matrix.empty or matrix.to_numpy().sum() == 0:
        return _empty_ax(ax)
    share = matrix.div(matrix.sum(axis=1).replace(0, np.nan), axis=0).fillna(0)
    vals = share.to_numpy(dtype=float)
    vmin, vmax = np.nanpercentile(vals, 2), np.nanpercentile(vals, 98)  # robust, like seaborn
    _heatmap(ax, vals, matrix.to_numpy(), "YlOrRd", vmin, vmax, annot_size=7,
             xlabels=MONTHS_FR, ylabels=[str(v) for v in share.index],
             cbar_label="Part des séjours du segment")
    ax.set(title=title, xlabel="Mois d'arrivée", ylabel="")
    return ax


def seasonality_table(matrix: pd.DataFrame, caption: str = "Saisonnalité des séjours par segment"):
    """:func:`plot_seasonality` as a table: stays per row and month, each cell coloured by
    the share of the row's stays in that month (one scale for the table, robust like seaborn)."""
    if matrix.empty or matrix.to_numpy().sum() == 0:
        return None
    share = matrix.div(matrix.sum(axis=1).replace(0, np.nan), axis=0).fillna(0)
    vals = share.to_numpy(dtype=float)
    vmin, vmax = np.nanpercentile(vals, 2), np.nanpercentile(vals, 98)
    counts = matrix.copy()
    counts.columns = [MONTHS_FR[int(m) - 1] for m in matrix.columns]
    counts.index = [str(v) for v in matrix.index]
    counts.index.name = None
    keys = cell_keys(matrix)
    if keys is not None:  # the same cells, under the table's labels
        keys = keys.reindex(index=matrix.index, columns=matrix.columns)
        keys.index, keys.columns = counts.index, counts.columns
        counts = measured(counts, keys)
    return heat_table(counts, share, cmap="YlOrRd", vmin=float(vmin),
                      vmax=float(vmax) if vmax > vmin else float(vmin) + 1,
                      caption=f"{caption} : séjours par mois d'arrivée ; couleur = part des "
                              "séjours du segment dans le mois")


def criteria_measured(measures: pd.DataFrame, centre: str, year: int,
                      criteria: Sequence[str] | None = None) -> pd.DataFrame:
    """Contacts per value of each derived criterion, from the measures
    (``criterion:<criterion>:<value>`` and ``criterion_share:``): ``criterion, title, value, contacts, share`` in the documented
    order, each count and share carrying its measure."""
    cols = ["criterion", "title", "value", "contacts", "share"]
    stored = members(measures, "criterion", centre, year)
    rows = []
    for crit in criteria or DERIVED:
        title, order = DERIVED.get(crit, (crit, []))
        found = [k.partition(":")[2] for k in stored.index if k.partition(":")[0] == crit]
        for v in [v for v in order if v in found] + sorted(v for v in found if v not in order):
            rows.append({"criterion": crit, "title": title, "value": v,
                         "contacts": (f"criterion:{crit}:{v}", centre, year),
                         "share": (f"criterion_share:{crit}:{v}", centre, year)})
    out = cells_frame(measures, rows)
    if out.empty:
        return pd.DataFrame(columns=cols)
    out["contacts"] = out["contacts"].astype("int64")
    return out


def plot_criteria(counts: pd.DataFrame, criteria: Sequence[str] = ("lifecycle", "distance_band",
                                                                   "size_band"), ncols: int = 3):
    """One bar panel per derived criterion (share of contacts), ``ncols`` panels a row."""
    import matplotlib.pyplot as plt

    crits = [c for c in criteria if c in set(counts["criterion"])] if len(counts) else []
    n = max(len(crits), 1)
    cols = min(n, ncols)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 4 * rows), squeeze=False)
    flat = axes.ravel()
    if not crits:
        return _empty_ax(flat[0])
    for ax, crit in zip(flat, crits, strict=False):
        sub = counts[counts["criterion"] == crit]
        y = np.arange(len(sub))
        ax.barh(y, sub["share"].to_numpy(), color=PALETTE[0])
        ax.set_yticks(y, sub["value"].astype(str).tolist())
        ax.set_ylim(len(sub) - 0.5, -0.5)
        ax.set_title(sub["title"].iloc[0], fontsize=11)
        fr_axis(ax, "x", pct=True)
        ax.tick_params(axis="y", labelsize=8)
    for ax in flat[len(crits):]:
        ax.set_axis_off()
    fig.tight_layout()
    return flat[:len(crits)]


def criteria_tables(counts: pd.DataFrame, criteria: Sequence[str] = ("lifecycle", "distance_band",
                                                                      "size_band")):
    """:func:`plot_criteria` as small tables side by side: per criterion, its values with the
    contacts and their share (in-cell bars); None when there is nothing to show."""
    crits = [c for c in criteria if c in set(counts["criterion"])] if len(counts) else []
    if not crits:
        return None
    parts = []
    keys = cell_keys(counts)
    for crit in crits:
        sub = counts[counts["criterion"] == crit]
        title = sub["title"].iloc[0]
        frame = pd.DataFrame({title: sub["value"].astype(str).to_numpy(),
                              "Contacts": sub["contacts"].astype("int64").to_numpy(),
                              "Part": sub["share"].astype(float).to_numpy()})
        if keys is not None:
            k = keys.reindex(index=sub.index)
            frame = measured(frame, pd.DataFrame({title: None, "Contacts": k["contacts"].to_numpy(),
                                                  "Part": k["share"].to_numpy()}, dtype=object))
        parts.append(table(frame, pct=["Part"], bars=["Part"]))
    return side_by_side(parts)


def cluster_table(measures: pd.DataFrame, profiles: pd.DataFrame, centre: str,
                  year: int) -> pd.DataFrame:
    """Behavioural groups: ``cluster, description, contacts, share`` of the scope and, for a
    centre, ``share_network``, from the measures (``cluster:``, ``cluster_share:``).

    ``profiles``: the base's ``clusters`` table (the groups and their descriptions).
    """
    cols = ["cluster", "description", "contacts", "share", "share_network"]
    if not _has(profiles, "cluster"):
        return pd.DataFrame(columns=cols)
    prof = profiles.dropna(subset=["cluster"]).sort_values("cluster")
    if prof.empty:
        return pd.DataFrame(columns=cols)
    desc = prof["description"] if "description" in prof else pd.Series("", index=prof.index)
    own = members(measures, "cluster", centre, year)
    net = members(measures, "cluster_share", NETWORK, year)
    rows = []
    for k, d in zip(prof["cluster"].astype("int64"), desc.fillna(""), strict=True):
        row = {"cluster": int(k), "description": d,
               "contacts": (f"cluster:{k}", centre, year) if str(k) in own.index else 0,
               "share": (f"cluster_share:{k}", centre, year) if str(k) in own.index else 0.0}
        if centre != NETWORK:
            row["share_network"] = (f"cluster_share:{k}", NETWORK, year) if str(k) in net.index else 0.0
        rows.append(row)
    return cells_frame(measures, rows).astype({"contacts": "int64"})


def quality_from_row(row: Mapping | None, clients: int | None = None) -> dict | None:
    """The stored ``cluster_quality`` row as the dict :func:`quality_table` shows.

    Keys: ``k, method, silhouette`` (at the chosen k), ``silhouette_by_k`` ({k: value}),
    ``ari_mean, ari_min, caveat, clients``; None when no typology was stored.
    """
    import json

    if not row or row.get("k") is None or pd.isna(row.get("k")) or int(row["k"]) < 2:
        return None
    try:
        by_k = {int(k): float(v) for k, v in json.loads(row.get("silhouette") or "{}").items()}
    except (TypeError, ValueError):
        by_k = {}
    k = int(row["k"])
    sil = row.get("silhouette_chosen")
    sil = by_k.get(k, float("nan")) if sil is None or pd.isna(sil) else float(sil)

    def num(v):
        return None if v is None or pd.isna(v) else float(v)

    return {"k": k, "method": row.get("method"), "silhouette": sil, "silhouette_by_k": by_k,
            "ari_mean": num(row.get("ari_mean")), "ari_min": num(row.get("ari_min")),
            "caveat": row.get("caveat") or "", "clients": clients}


def quality_table(quality: dict | None) -> pd.DataFrame:
    """``Indicateur, Valeur, Lecture`` of the stored typology quality (French)."""
    if not quality:
        return pd.DataFrame(columns=["Indicateur", "Valeur", "Lecture"])
    sil, ari = quality["silhouette"], quality.get("ari_mean")
    by_k = quality.get("silhouette_by_k") or {}
    k_range = f"k de {min(by_k)} à {max(by_k)}" if len(by_k) > 1 else "k"
    rows = [
        ("Nombre de groupes retenu (k)", fr_num(quality["k"]),
         f"{k_range} qui maximise la silhouette"),
        ("Silhouette moyenne", fr_num(sil, 2),
         "> 0,50 groupes nets ; 0,25 à 0,50 structure faible ; < 0,25 pas de structure nette"),
    ]
    if len(by_k) > 1:
        rows.append(("Silhouette selon k", " · ".join(f"{k} : {fr_num(v, 2)}" for k, v in sorted(by_k.items())),
                     "un maximum peu marqué signale un choix de k fragile"))
    rows.append(("Stabilité (ARI moyen entre 5 tirages)", fr_num(ari, 2) if ari is not None else "–",
                 "1 = même partition à chaque tirage ; < 0,75 frontières fragiles"))
    if quality.get("clients") is not None:
        rows.append(("Clients classés (réseau)", fr_num(quality["clients"]),
                     "clients avec au moins un séjour"))
    return pd.DataFrame(rows, columns=["Indicateur", "Valeur", "Lecture"])


def example_selection(centre: str, channel: str = "email",
                      families: Sequence[str] = ("Scolaires",)):
    """The selection of ``grc extract --family … --channel … [--centre CODE]`` for the scope."""
    from grc.campaigns.extract import Selection

    return Selection(channel=channel, families=list(families),
                     centres=[] if centre == NETWORK else [centre], name="exemple")


def extraction_example(contacts: pd.DataFrame, criteria: pd.DataFrame | None,
                       scores: pd.DataFrame | None, reference_date: dt.date, centre: str,
                       channel: str = "email", families: Sequence[str] = ("Scolaires",)):
    """The extraction ``grc extract`` makes for the scope; None when there is no contact.

    ``contacts``, ``criteria``, ``scores``: the golden ``contacts``, ``segments`` and
    ``scores`` (the frames of :func:`grc.campaigns.extract.load_frames`, possibly restricted to the
    scope's contacts: the selection filters on the centre anyway). Returns the
    :class:`grc.campaigns.extract.ExtractResult`; the notebook shows only its counts.
    """
    from grc.campaigns.extract import extract

    if not _has(contacts, "contact_id"):
        return None
    crit = criteria if _has(criteria, "contact_id") else None
    sc = scores if _has(scores, "scope", "contact_id", "category") else None
    return extract(contacts, crit, sc, example_selection(centre, channel, families), reference_date)


def extraction_counts(result) -> pd.DataFrame:
    """``Étape, Contacts`` of an extraction: selected, each exclusion reason, kept."""
    if result is None:
        return pd.DataFrame(columns=["Étape", "Contacts"])
    rows = [("Contacts de la sélection", result.selected)]
    rows += [(f"Écartés : {m}", int(n)) for m, n in zip(result.excluded["motif"],
                                                        result.excluded["contacts"], strict=True)]
    rows.append(("Contacts retenus dans le fichier", result.kept))
    return pd.DataFrame(rows, columns=["Étape", "Contacts"])


# --------------------------------------------------------------------------------------------
# 04 RFM scoring and loyalty
# --------------------------------------------------------------------------------------------


def grid_table(grid: rfm.Grid) -> pd.DataFrame:
    """The bins of a grid: ``Critère, Mesure, Tranche, Points`` (best points first)."""
    rows = []
    for name, crit in grid.criteria.items():
        for b in sorted(crit.bins, key=lambda b: -b.points):
            rows.append({"Critère": CRITERION_FR[name],
                         "Mesure": crit.label or UNIT_FR.get(crit.unit, crit.unit),
                         "Tranche": b.words(), "Points": b.points})
        if crit.missing_points:
            rows.append({"Critère": CRITERION_FR[name], "Mesure": "valeur absente",
                         "Tranche": "–", "Points": crit.missing_points})
    out = pd.DataFrame(rows, columns=["Critère", "Mesure", "Tranche", "Points"])
    if len(out) and (out["Points"] == out["Points"].round()).all():
        out["Points"] = out["Points"].astype("int64")
    return out


def categories_table(grid: rfm.Grid) -> pd.DataFrame:
    """``Catégorie, Score total`` from best to worst."""
    by_label = {c.label: c for c in grid.categories}
    return pd.DataFrame([{"Catégorie": lab, "Score total": by_label[lab].words()}
                         for lab in grid.category_order()], columns=["Catégorie", "Score total"])


def rf_matrix(scores: pd.DataFrame, grid: rfm.Grid | None = None) -> pd.DataFrame:
    """Clients per recency points (rows, best on top) × frequency points (columns)."""
    if not _has(scores, "r_score", "f_score"):
        return pd.DataFrame()
    piv = pd.crosstab(scores["r_score"], scores["f_score"])
    if grid is not None:
        r = sorted({b.points for b in grid.criteria["recency"].bins}
                   | {grid.criteria["recency"].missing_points})
        f = sorted({b.points for b in grid.criteria["frequency"].bins}
                   | {grid.criteria["frequency"].missing_points})
        piv = piv.reindex(index=r, columns=f, fill_value=0)
    piv = piv.sort_index(ascending=False)
    piv.index.name, piv.columns.name = "Points récence", "Points fréquence"
    return piv


def rf_matrix_measured(measures: pd.DataFrame, grid: rfm.Grid, centre: str,
                       year: int) -> pd.DataFrame:
    """:func:`rf_matrix` read from the measures (``rf:<r>:<f>``, the network's grid)."""
    stored = members(measures, "rf", centre, year)
    if stored.empty:
        return pd.DataFrame()
    r = sorted({b.points for b in grid.criteria["recency"].bins}
               | {grid.criteria["recency"].missing_points}, reverse=True)
    f = sorted({b.points for b in grid.criteria["frequency"].bins}
               | {grid.criteria["frequency"].missing_points})
    rows = [{fp: (f"rf:{points_key(rp)}:{points_key(fp)}", centre, year) for fp in f} for rp in r]
    out = cells_frame(measures, rows).fillna(0).astype("int64")
    keys = cell_keys(out)
    out.index = keys.index = pd.Index(r, name="Points récence")
    out.columns = keys.columns = pd.Index(f, name="Points fréquence")
    return measured(out, keys)


def plot_rf_heatmap(matrix: pd.DataFrame, title: str = "Clients par note de récence et de fréquence"):
    """Heatmap of :func:`rf_matrix` with the counts written in each cell."""
    ax = _new_ax((7, 4.5))
    if matrix.empty or matrix.to_numpy().sum() == 0:
        return _empty_ax(ax)
    vals = matrix.to_numpy()
    _heatmap(ax, vals.astype(float), vals, "Blues", float(vals.min()), float(vals.max()),
             xlabels=[fr_num(v, 0 if float(v).is_integer() else 1) for v in matrix.columns],
             ylabels=[fr_num(v, 0 if float(v).is_integer() else 1) for v in matrix.index])
    ax.set(title=title, ylabel=matrix.index.name, xlabel=matrix.columns.name)
    return ax


def rf_table(matrix: pd.DataFrame, caption: str = "Clients par note de récence et de fréquence"):
    """:func:`plot_rf_heatmap` as a table: clients per recency (rows) × frequency points."""
    if matrix.empty or matrix.to_numpy().sum() == 0:
        return None
    label = lambda v: fr_num(v, 0 if float(v).is_integer() else 1)  # noqa: E731
    out = matrix.copy()
    out.index = pd.Index([label(v) for v in matrix.index], name=matrix.index.name)
    out.columns = pd.Index([label(v) for v in matrix.columns], name=matrix.columns.name)
    keys = cell_keys(matrix)
    if keys is not None:
        keys = keys.reindex(index=matrix.index, columns=matrix.columns)
        keys.index, keys.columns = out.index, out.columns
        out = measured(out, keys)
    return heat_table(out, cmap="Blues", caption=f"{caption} (lignes : {matrix.index.name.lower()} ; "
                                                  f"colonnes : {matrix.columns.name.lower()})")


def scope_scores(stored: pd.DataFrame, stays: pd.DataFrame, reference_date: dt.date,
                 grid: rfm.Grid, grid_file: str | Path, config_grid: str | Path,
                 centre: str) -> pd.DataFrame:
    """RFM rows of the scope with ``grid``: the base's ``scores`` when ``grid_file`` is the
    config's grid, else scored again from the scope's stays (as ``grc.rfm.scores.rfm_table`` does
    for that scope: a centre's own stays, or every stay of the network contact)."""
    if Path(grid_file).resolve() == Path(config_grid).resolve():
        return stored
    if not _has(stays, "contact_id", "arrival"):
        return stored.iloc[:0]
    out = rfm.score(rfm.compute_rfm(stays, reference_date, grid), grid).reset_index(drop=True)
    out.insert(0, "scope", centre)
    return out[[c for c in rfm.RFM_COLUMNS if c in out.columns]]


def rfm_amounts(stays: pd.DataFrame, reference_date: dt.date | pd.Timestamp,
                grid: rfm.Grid) -> pd.DataFrame:
    """Per client of the scope: ``contact_id, n_stays, total_amount`` over the grid's window."""
    s = _past(stays, reference_date)
    if s.empty:
        return pd.DataFrame(columns=["contact_id", "n_stays", "total_amount"])
    r = rfm.compute_rfm(s, reference_date, grid)
    return r[["contact_id", "n_stays", "total_amount"]].reset_index(drop=True)


def category_summary_measured(measures: pd.DataFrame, grid: rfm.Grid, centre: str,
                              year: int) -> pd.DataFrame:
    """:func:`category_summary` of the network's grid read from the measures (``rfm:``,
    ``rfm_share:``, ``rfm_stays:``, ``rfm_amount:``, ``rfm_amount_share:``,
    ``rfm_amount_per_client:``), best category first."""
    cols = ["category", "clients", "share", "stays", "amount", "amount_share", "amount_per_client"]
    have = members(measures, "rfm_share", centre, year)
    if have.empty:
        return pd.DataFrame(columns=cols)
    order = grid.category_order()
    rows = [{"category": c, "clients": (f"rfm:{c}", centre, year),
             **{col: (prefix + c, centre, year) for col, prefix in CATEGORY_FAMILIES.items()}}
            for c in order + sorted(k for k in have.index if k not in order)]
    out = cells_frame(measures, rows)
    out["clients"] = out["clients"].fillna(0).astype("int64")  # no client: no rfm:<category>
    out["stays"] = out["stays"].fillna(0).astype("int64")
    return out[cols]


def plot_categories(summary: pd.DataFrame, title: str = "Catégories RFM : clients et chiffre d'affaires"):
    """Two bar panels: share of clients and share of the amount per category."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)
    if summary.empty or summary["clients"].sum() == 0:
        return _empty_ax(axes[0])
    y = summary["category"]
    axes[0].barh(y, summary["share"], color="tab:blue")
    axes[0].set_title("Part des clients", fontsize=11)
    axes[1].barh(y, summary["amount_share"], color="tab:green")
    axes[1].set_title("Part du chiffre d'affaires (fenêtre)", fontsize=11)
    axes[0].invert_yaxis()
    for ax in axes:
        fr_axis(ax, "x", pct=True)
    fig.suptitle(title, fontweight="bold")
    fig.tight_layout()
    return axes


def evaluation_dates(stays: pd.DataFrame, reference_date: dt.date) -> list[dt.date]:
    """31 December of each year with stays before the reference date, then the reference date."""
    s = _past(stays, reference_date)
    if s.empty:
        return []
    ref = pd.Timestamp(reference_date).date()
    years = sorted(s["arrival"].dt.year.unique())
    dates = [dt.date(int(y), 12, 31) for y in years if dt.date(int(y), 12, 31) < ref]
    return [*dates, ref]


def category_evolution(stays: pd.DataFrame, grid: rfm.Grid,
                       reference_date: dt.date) -> pd.DataFrame:
    """RFM categories of another grid than the network's at each past 31 December (stays
    known up to that date), each date scored by ``grc.rfm.scores`` itself.

    Tidy: ``date, year, category, clients, share`` (every category of the grid at every date).
    With the network's grid, the pages read the stored figures instead
    (:func:`category_evolution_measured`).
    """
    dates = evaluation_dates(stays, reference_date)
    if not dates:
        return pd.DataFrame(columns=["date", "year", "category", "clients", "share"])
    s = _past(stays, reference_date)
    counts = {d: rfm.score(rfm.compute_rfm(s, d, grid), grid)["category"].value_counts()
              for d in dates}
    return _evolution_frame(counts, grid.category_order())


def _evolution_frame(counts: Mapping[dt.date, pd.Series], order: list[str]) -> pd.DataFrame:
    """``date, year, category, clients, share`` from clients per category at each date."""
    parts = []
    for d, cnt in counts.items():
        part = pd.DataFrame({"category": order,
                             "clients": cnt.reindex(order, fill_value=0).to_numpy().astype("int64")})
        part.insert(0, "year", d.year)
        part.insert(0, "date", pd.Timestamp(d))
        total = part["clients"].sum()
        part["share"] = part["clients"] / total if total else 0.0
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def category_evolution_measured(measures: pd.DataFrame, grid: rfm.Grid, centre: str,
                                reference_date: dt.date) -> pd.DataFrame:
    """Clients per RFM category as published each year (``rfm:<category>`` of every integrated
    year, scored at that year's reference date: 31 December, or the config's reference date
    for its year): ``date, year, category, clients, share``."""
    cols = ["date", "year", "category", "clients", "share"]
    if measures.empty:
        return pd.DataFrame(columns=cols)
    sel = measures[(measures["scope"] == centre) & measures["measure"].str.startswith("rfm:")]
    if sel.empty:
        return pd.DataFrame(columns=cols)
    ref = pd.Timestamp(reference_date).date()
    counts = {}
    for year, part in sel.groupby(sel["year"].astype(int)):
        d = ref if year == ref.year else dt.date(year, 12, 31)
        counts[d] = pd.Series(part["value"].to_numpy(), index=part["measure"].str.slice(4).to_numpy())
    return _evolution_frame(dict(sorted(counts.items())), grid.category_order())


def plot_category_evolution(evo: pd.DataFrame, order: Sequence[str],
                            title: str = "Évolution des catégories RFM (au 31 décembre)"):
    """Stacked bars: clients per category at each evaluation date."""
    ax = _new_ax((9, 4.5))
    if evo.empty or evo["clients"].sum() == 0:
        return _empty_ax(ax)
    piv = evo.pivot_table(index="date", columns="category", values="clients", aggfunc="sum",
                          fill_value=0)
    piv = piv[[c for c in order if c in piv.columns]]
    piv.index = [pd.Timestamp(d).strftime("%d/%m/%Y") for d in piv.index]
    return _stacked_chart(ax, piv, "RdYlGn_r", title, "Date d'évaluation", "au")


QUANTILE_COLUMNS = ["segment_label", "clients", "share", "recency_months", "frequency", "monetary"]


def _profile_order(labels) -> list[str]:
    """Rank profiles in the order of the R x F map, others (alphabetical) after."""
    order = [lab for _, lab in rfm.SEGMENT_MAP]
    rank = {lab: i for i, lab in enumerate(order)}
    return sorted(labels, key=lambda lab: (rank.get(lab, len(order)), lab))


def quantile_segments(scores: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    """Named segments of the quantile variant (``grc.rfm.scores.quantile_score``), aggregated,
    computed from ``scores`` (a grid other than the network's: no published figure).

    Columns: ``segment_label, clients, share, recency_months, frequency, monetary`` (medians).
    """
    out = rank_profiles(scores, n)
    if out.empty:
        return pd.DataFrame(columns=QUANTILE_COLUMNS)
    out = out.set_index("segment_label").loc[_profile_order(out["segment_label"])]
    return out.reset_index()[QUANTILE_COLUMNS]


def quantile_segments_measured(measures: pd.DataFrame, centre: str, year: int) -> pd.DataFrame:
    """:func:`quantile_segments` of the stored scores read from the measures
    (``rank_profile:``, ``rank_share:``, ``rank_recency:``, ``rank_frequency:``,
    ``rank_monetary:``), in the order of the R x F map."""
    have = members(measures, "rank_profile", centre, year)
    if have.empty:
        return pd.DataFrame(columns=QUANTILE_COLUMNS)
    rows = [{"segment_label": lab, **{col: (prefix + lab, centre, year)
                                      for col, prefix in RANK_FAMILIES.items()}}
            for lab in _profile_order(have.index)]
    return cells_frame(measures, rows).astype({"clients": "int64"})[QUANTILE_COLUMNS]


def quantile_segments_for(measures: pd.DataFrame, scores: pd.DataFrame, centre: str, year: int,
                          network_grid: bool) -> pd.DataFrame:
    """The rank variant's table: the stored measures with the network's grid (its scores),
    else computed from the scope's scores with the page's grid."""
    if network_grid:
        return quantile_segments_measured(measures, centre, year)
    return quantile_segments(scores)


def retention_years(measures: pd.DataFrame, scope: str) -> pd.DataFrame:
    """The stored retention of each year for the scope: ``year, retention`` (from the measures)."""
    m = measures[(measures["scope"] == scope) & (measures["measure"] == "retention")
                 & measures["value"].notna()]
    return (m.rename(columns={"value": "retention"})[["year", "retention"]]
            .sort_values("year").reset_index(drop=True))


def retention_by_family_measured(measures: pd.DataFrame, centre: str, year: int) -> pd.DataFrame:
    """Retention into ``year`` per segment family from the measures (``family_clients_prev:``,
    ``family_returning:``, ``family_retention:``): ``family, clients_prev, retained,
    retention`` sorted by clients of N-1."""
    cols = ["family", "clients_prev", "retained", "retention"]
    prev = members(measures, "family_clients_prev", centre, year)
    if prev.empty:
        return pd.DataFrame(columns=cols)
    order = sorted(prev.index, key=lambda k: (-prev[k], k))
    out = cells_frame(measures, [{"family": f,
                                  "clients_prev": (f"family_clients_prev:{f}", centre, year),
                                  "retained": (f"family_returning:{f}", centre, year),
                                  "retention": (f"family_retention:{f}", centre, year)}
                                 for f in order])
    return out.astype({"clients_prev": "int64", "retained": "int64"})[cols]


def is_network_grid(cfg, grid_file: str | Path) -> bool:
    """True when ``grid_file`` is the config's RFM grid (the one the measures use)."""
    return Path(grid_file).resolve() == Path(cfg.rfm_grid).resolve()


def rf_matrix_for(measures: pd.DataFrame, scores: pd.DataFrame, grid: rfm.Grid, centre: str,
                  year: int, network_grid: bool) -> pd.DataFrame:
    """The recency × frequency table: the stored measures with the network's grid, else
    counted from the scope's scores with ``grid`` (another grid is no published figure)."""
    return rf_matrix_measured(measures, grid, centre, year) if network_grid else rf_matrix(scores, grid)


def category_summary_for(measures: pd.DataFrame, scores: pd.DataFrame, stays: pd.DataFrame,
                         grid: rfm.Grid, centre: str, year: int, reference_date: dt.date,
                         network_grid: bool) -> pd.DataFrame:
    """Clients and amounts per RFM category: stored measures with the network's grid, else
    computed from the scope's scores and stays with ``grid``."""
    if network_grid:
        return category_summary_measured(measures, grid, centre, year)
    return category_summary(scores, rfm_amounts(stays, reference_date, grid), grid)


def category_evolution_for(measures: pd.DataFrame, stays: pd.DataFrame, grid: rfm.Grid,
                           centre: str, reference_date: dt.date,
                           network_grid: bool) -> pd.DataFrame:
    """Categories year after year: as published with the network's grid, else each date
    scored with ``grid``."""
    if network_grid:
        return category_evolution_measured(measures, grid, centre, reference_date)
    return category_evolution(stays, grid, reference_date)


def win_back_targets(scores: pd.DataFrame, stays: pd.DataFrame, reference_date: dt.date,
                     grid: rfm.Grid) -> pd.DataFrame:
    """High-value clients who lapsed (``grc.rfm.loyalty.lapsed_high_value``): win-back targets.

    Returns ``contact_id`` and figures only (no identity); write it with
    :func:`write_targets`, show only its length in the notebook.
    """
    cols = ["contact_id", "category", "rfm_score", "last_stay", "months_since_last",
            "lifetime_stays", "lifetime_amount", "lifetime_average"]
    s = _past(stays, reference_date)
    if s.empty or not _has(scores, "contact_id"):
        return pd.DataFrame(columns=cols)
    sc = scores.drop_duplicates("contact_id")
    return loyalty.lapsed_high_value(sc, s, reference_date, grid=grid)


def win_back_summary(measures: pd.DataFrame, targets: pd.DataFrame, centre: str, year: int,
                     network_grid: bool) -> tuple[int, float]:
    """Clients to win back and their past revenue: the stored measures with the network's
    grid (``win_back_clients``, ``win_back_amount``), else counted from ``targets``."""
    if network_grid:
        n = measure_value(measures, "win_back_clients", centre, year)
        amount = measure_value(measures, "win_back_amount", centre, year)
        return int(n or 0), float(amount or 0.0)
    if targets.empty:
        return 0, 0.0
    return len(targets), float(targets["lifetime_amount"].sum())


def write_targets(targets: pd.DataFrame, folder: Path, centre: str, name: str = "reconquete") -> Path:
    """Write a target list (``contact_id`` and figures) to ``<folder>/<name>_<centre>.csv``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}_{centre}.csv"
    targets.to_csv(path, index=False, sep=";", encoding="utf-8-sig", decimal=",")
    return path


def lehu_actions(fig: Mapping[str, object]) -> pd.DataFrame:
    """One concrete action per step of the Lehu loop, derived from the scope's figures.

    ``fig`` keys (missing ones are tolerated): ``clients``, ``best_label``, ``best_clients``,
    ``best_amount_share``, ``weak_family``, ``weak_retention``, ``repeat_rate``,
    ``retention_last``, ``retention_prev``, ``multi_share``, ``win_back``, ``trend_label``,
    ``trend_change`` (change of the best category's clients over the last year).
    Columns: ``Étape, Constat, Action``.
    """
    def g(k, default=None):
        v = fig.get(k, default)
        return default if v is None or (isinstance(v, float) and np.isnan(v)) else v

    rows = []
    n, best, best_n = g("clients", 0), g("best_label", "meilleure catégorie"), g("best_clients", 0)
    if n:
        constat = (f"{fr_num(n)} clients scorés ; {fr_num(best_n)} en « {best} »"
                   + (f", qui pèsent {fr_pct(g('best_amount_share'), 0)} du chiffre d'affaires"
                      if g("best_amount_share") is not None else "") + ".")
        action = (f"Vérifier et compléter les fiches des {fr_num(best_n)} clients « {best} » "
                  "(contact décideur, e-mail avec consentement) avant toute campagne.")
    else:
        constat, action = "Aucun client scoré sur ce périmètre.", "Faire remonter les séjours du centre."
    rows.append(("Identifier", constat, action))
    wf = g("weak_family")
    if wf:
        constat = (f"La famille « {wf} » revient le moins d'une année sur l'autre "
                   f"(rétention {fr_pct(g('weak_retention'), 0)}).")
        action = (f"Adapter l'offre à « {wf} » : produit et période de séjour alignés sur ses "
                  "mois d'arrivée habituels, relance au moment où se décide le séjour suivant.")
    else:
        constat = "Pas assez d'historique pour comparer la rétention des familles de segments."
        action = "Adapter les offres par segment à partir des produits phares et de la saisonnalité."
    rows.append(("Adapter", constat, action))
    rows.append(("Privilégier",
                 f"{fr_num(best_n)} clients « {best} » et un taux de retour (au moins 2 séjours) "
                 f"de {fr_pct(g('repeat_rate'), 0)}.",
                 f"Réserver aux {fr_num(best_n)} clients « {best} » une priorité de réservation "
                 "sur les dates de l'an prochain, avant l'ouverture générale."))
    rl, rp = g("retention_last"), g("retention_prev")
    if rl is not None:
        comp = (f" contre {fr_pct(rp, 0)} l'année précédente" if rp is not None else "")
        constat = f"Rétention de l'année : {fr_pct(rl, 0)}{comp}."
        target = min(1.0, round(rl + 0.05, 2))
        action = (f"Suivre la rétention chaque année avec cet indicateur ; objectif "
                  f"{fr_pct(target, 0)} l'an prochain, questionnaire de satisfaction après séjour.")
    else:
        constat = "Rétention non mesurable (une seule année de séjours)."
        action = "Mesurer la rétention dès la prochaine intégration annuelle."
    rows.append(("Contrôler", constat, action))
    wb_n = int(g("win_back", 0))
    tl, tc = g("trend_label"), g("trend_change")
    trend = (f" ; « {tl} » : {'+' if tc >= 0 else ''}{fr_num(tc)} clients sur un an"
             if tl is not None and tc is not None else "")
    rows.append(("Faire évoluer",
                 f"{fr_num(wb_n)} clients à forte valeur sans séjour depuis plus d'un an{trend}"
                 f" ; {fr_pct(g('multi_share'), 0)} des clients ont séjourné dans plusieurs centres.",
                 (f"Lancer une campagne de reconquête vers les {fr_num(wb_n)} clients de la liste "
                  "(fichier de cibles), puis revoir la grille et les actions l'an prochain."
                  if wb_n else "Pas de reconquête à mener : revoir la grille RFM l'an prochain.")))
    return pd.DataFrame(rows, columns=["Étape", "Constat", "Action"])



# --------------------------------------------------------------------------------------------
# Tables and sentences for the narrative
# --------------------------------------------------------------------------------------------


def trend_sentence(trend: pd.DataFrame, key: str = "family") -> str:
    """French sentence naming the strongest significant rise and fall between the last two
    years (thresholds of :mod:`grc.measures.alerts`; unsegmented contacts never named)."""
    from grc.measures.alerts import NOT_A_GROUP, significant_change

    t = trend.dropna(subset=["variation"]) if len(trend) else trend
    if len(t):
        t = t[~t[key].isin(NOT_A_GROUP)]
        t = t[[significant_change(a, b) for a, b in zip(t["clients_prev"], t["clients_last"],
                                                         strict=True)]]
    tot_prev, tot_last = int(trend["clients_prev"].sum()), int(trend["clients_last"].sum())
    parts = [f"Clients de l'année : {fr_num(tot_last)} contre {fr_num(tot_prev)} l'année précédente."]
    ups, downs = t[t["variation"] > 0], t[t["variation"] < 0]
    if len(ups):
        up = ups.sort_values(["variation", key], ascending=[False, True]).iloc[0]
        parts.append(f"Plus forte hausse : « {up[key]} » (+{fr_pct(up['variation'], 0)}, "
                     f"{fr_num(up['clients_prev'])} → {fr_num(up['clients_last'])} clients).")
    if len(downs):
        down = downs.sort_values(["variation", key], ascending=[True, True]).iloc[0]
        parts.append(f"Plus forte baisse : « {down[key]} » ({fr_pct(down['variation'], 0)}, "
                     f"{fr_num(down['clients_prev'])} → {fr_num(down['clients_last'])} clients).")
    if len(parts) == 1:
        parts.append("Aucune famille ne varie nettement (au moins 20 clients d'écart et 20 %).")
    return " ".join(parts)




def lehu_figures(summary: pd.DataFrame, family_retention: pd.DataFrame, retention_years: pd.DataFrame,
                 figures: Mapping[str, float], win_back: int, evolution: pd.DataFrame,
                 min_clients: int | None = None) -> dict[str, object]:
    """The figures :func:`lehu_actions` needs, from the workbook's frames (a family is named
    only with at least ``min_clients`` clients last year, default the alerts' MIN_COUNT)."""
    from grc.measures.alerts import MIN_COUNT, NOT_A_GROUP

    min_clients = MIN_COUNT if min_clients is None else min_clients
    out: dict[str, object] = {"clients": int(summary["clients"].sum()) if len(summary) else 0,
                              "repeat_rate": figures.get("repeat_rate"),
                              "multi_share": figures.get("multi_centre_share"), "win_back": int(win_back)}
    # "best clients": the two best categories of the grid (summary is ordered best first)
    best = summary.head(2)
    best = best[best["clients"] > 0] if len(best) else best
    if len(best):
        out.update(best_label=" » et « ".join(best["category"]),
                   best_clients=int(best["clients"].sum()),
                   best_amount_share=float(best["amount_share"].sum()),
                   best_categories=list(best["category"]))
    fr = family_retention[(family_retention["clients_prev"] >= min_clients)
                          & ~family_retention["family"].isin(NOT_A_GROUP)] \
        if len(family_retention) else family_retention
    if len(fr):
        w = fr.sort_values(["retention", "family"]).iloc[0]
        out.update(weak_family=w["family"], weak_retention=float(w["retention"]))
    if len(retention_years):
        r = retention_years.sort_values("year")
        out["retention_last"] = float(r["retention"].iloc[-1])
        if len(r) > 1:
            out["retention_prev"] = float(r["retention"].iloc[-2])
    if len(evolution) and evolution["date"].nunique() > 1 and "best_label" in out:
        e = (evolution[evolution["category"].isin(out["best_categories"])]
             .groupby("date")["clients"].sum().sort_index())
        out.update(trend_label=out["best_label"], trend_change=int(e.iloc[-1] - e.iloc[-2]))
    return out
