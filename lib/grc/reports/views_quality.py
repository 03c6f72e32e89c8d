"""Computations behind the data-quality workbooks (01 qualification, 02 deduplication).

Every function returns a tidy frame of aggregates (counts, rates) or masked examples, ready
for :func:`grc.reports.charts.table`, or draws one plot. Nothing here writes to the base; the
notebooks only call these functions and show the results.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from grc.measures.breakdowns import CHANNELS, PAIR_BIN_WIDTH, QUALITY_FIELDS, _filled
from grc.measures.read import MEASURE_COLUMNS, cells_frame, measure_value, members
from grc.reports.charts import cell_keys, measured
from grc.schema import ISSUE_CODES, NETWORK

# --------------------------------------------------------------------------- labels

FIELD_LABELS = {
    "civility": "Civilité", "first_name": "Prénom", "last_name": "Nom", "organisation": "Organisation",
    "position": "Fonction", "address1": "Adresse (ligne 1)", "address2": "Adresse (ligne 2)",
    "address3": "Adresse (ligne 3)", "postcode": "Code postal", "city": "Ville", "country": "Pays",
    "phone": "Téléphone fixe", "mobile": "Mobile", "email": "E-mail", "segment": "Segment",
    "optin_email": "Consentement e-mail", "optin_phone": "Consentement téléphone",
    "contact_id": "Contact réseau",
}

EVENTS = {
    "nouveau": "Nouvelles fiches",
    "modification": "Fiches modifiées",
    "plus_exporte": "Fiches plus exportées",
    "reexporte": "Fiches de retour dans l'export",
    "fusion": "Fiches rattachées à un autre contact",
}

DECISIONS = {"match": "Même client (fusionné)", "review": "À vérifier", "non-match": "Clients distincts"}
DECISION_COLORS = {"match": "#2a9d8f", "review": "#e9c46a", "non-match": "#bfc5cc"}

TREND_METRICS = {
    "records": ("Fiches exportées", "num"),
    "contacts": ("Contacts réseau", "num"),
    "qualified_share": ("Fiches joignables (au moins un canal)", "pct"),
    "mailable_rate": ("Joignables par courrier", "pct"),
    "emailable_rate": ("Joignables par e-mail", "pct"),
    "phoneable_rate": ("Joignables par téléphone", "pct"),
    "issue_rate": ("Fiches avec au moins un problème", "pct"),
    "duplicates": ("Doublons", "num"),
}

# status of last year's issues (table ``issue_followup``) -> column of the follow-up table
FOLLOWUP_STATUS = {"corrigé": "corrigées", "toujours": "toujours_à_corriger", "retiré": "plus_exportées"}


def issue_label(code: str) -> str:
    """French label of an issue code (the code itself if unknown)."""
    return ISSUE_CODES.get(code, code)


def exported(records: pd.DataFrame) -> pd.DataFrame:
    """The records exported in the run year (all of them if there is no ``exported`` column)."""
    if "exported" not in records or records.empty:
        return records
    return records[records["exported"].astype(bool)]


def current_issues(issues: pd.DataFrame, year: int) -> pd.DataFrame:
    """The issues of the run year (the base may keep every year's issues)."""
    if issues.empty or "year" not in issues:
        return issues
    return issues[issues["year"] == year]


# --------------------------------------------------------------------------- 01 qualification

def field_quality_table(measures: pd.DataFrame, scope: str, year: int) -> pd.DataFrame:
    """Per field of the scope, from the measures (``filled:``, ``valid:``,
    ``valid_if_filled:``): ``champ, renseigné, valide, valide_si_renseigné``."""
    have = members(measures, "filled", scope, year)
    rows = [{"champ": label, "renseigné": ("filled:" + f, scope, year),
             "valide": ("valid:" + f, scope, year),
             "valide_si_renseigné": ("valid_if_filled:" + f, scope, year)}
            for f, (label, *_rest) in QUALITY_FIELDS.items() if f in have.index]
    out = cells_frame(measures, rows)
    return out if len(out) else pd.DataFrame(columns=["champ", "renseigné", "valide",
                                                      "valide_si_renseigné"])


def centre_field_table(measures: pd.DataFrame, year: int) -> pd.DataFrame:
    """Centres × fields from the measures (the network's heatmap), share of valid
    values (``valid:<field>`` of each centre)."""
    if measures.empty:
        return pd.DataFrame()
    sel = measures[(measures["year"] == year) & (measures["scope"] != NETWORK)
                   & measures["measure"].str.startswith("valid:")]
    centres = sorted(sel["scope"].unique())
    fields = [f for f in QUALITY_FIELDS if f"valid:{f}" in set(sel["measure"])]
    rows = [{QUALITY_FIELDS[f][0]: (f"valid:{f}", c, year) for f in fields} for c in centres]
    out = cells_frame(measures, rows)
    keys = cell_keys(out)
    out.index = keys.index = pd.Index(centres, name="centre")
    return out


def _heatmap(ax, data: pd.DataFrame, *, cmap: str, vmin: float | None = None, vmax: float | None = None,
             annot: np.ndarray | None = None, annot_size: float = 10, mask: np.ndarray | None = None,
             linewidths: float = 0.0, linecolor: str = "white", cbar_label: str = "",
             square: bool = False, xrotation: float = 0):
    """A seaborn-style annotated heatmap drawn with plain matplotlib (one mesh, one text per
    annotated cell; no extra draw of the figure to place the tick labels)."""
    import matplotlib.pyplot as plt
    from seaborn.utils import relative_luminance

    vals = np.ma.masked_invalid(data.to_numpy(dtype=float))
    if mask is not None:
        vals = np.ma.masked_where(np.asarray(mask, dtype=bool), vals)
    nr, nc = vals.shape
    mesh = ax.pcolormesh(vals, cmap=plt.get_cmap(cmap), vmin=vmin, vmax=vmax, edgecolors=linecolor,
                         linewidth=linewidths)
    ax.set(xlim=(0, nc), ylim=(0, nr))
    ax.invert_yaxis()
    ax.set_xticks(np.arange(nc) + 0.5, [str(c) for c in data.columns], rotation=xrotation)
    ax.set_yticks(np.arange(nr) + 0.5, [str(i) for i in data.index], rotation=0, va="center")
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if square:
        ax.set_aspect("equal")
    cbar = ax.figure.colorbar(mesh, ax=ax)
    cbar.set_label(cbar_label)
    cbar.outline.set_linewidth(0)
    if annot is not None:
        rgba = mesh.cmap(mesh.norm(vals.filled(np.nan)))
        for i, j in zip(*np.nonzero(~np.ma.getmaskarray(vals)), strict=False):
            if annot[i, j]:
                color = ".15" if relative_luminance(rgba[i, j]) > .408 else "w"
                ax.text(j + 0.5, i + 0.5, annot[i, j], ha="center", va="center", color=color,
                        fontsize=annot_size, in_layout=False)  # inside the axes: no layout pass
    return mesh, cbar


def plot_field_heatmap(frame: pd.DataFrame, *, network: bool = False, ax=None):
    """Heatmap of field quality: fields × {renseigné, valide}, or centres × fields."""
    import matplotlib.pyplot as plt

    if network:
        data = frame
        h = max(3.5, 0.22 * len(data) + 1.5)
        xlabel, ylabel = "", "Centre"
    else:
        data = frame.set_index("champ")[["renseigné", "valide"]]
        h = max(3.0, 0.45 * len(data) + 1.0)
        xlabel, ylabel = "", ""
    if ax is None:
        _, ax = plt.subplots(figsize=(9 if network else 6, h))
    v = data.to_numpy(dtype=float)
    annot = np.where(np.isnan(v), "", np.char.mod("%.0f", np.nan_to_num(100 * v)))
    _, cbar = _heatmap(ax, data, cmap="RdYlGn", vmin=0, vmax=1, annot=annot, annot_size=7 if network else 10,
                       linewidths=0.5, cbar_label="part des fiches")
    cbar.set_ticks([0, 0.25, 0.5, 0.75, 1])
    cbar.set_ticklabels(["0 %", "25 %", "50 %", "75 %", "100 %"])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if network:
        ax.set_xticks(ax.get_xticks(), ax.get_xticklabels(), rotation=30, ha="right")
    return ax


CHANNEL_RATES = {"mailable": "mailable_rate", "emailable": "emailable_rate",
                 "phoneable": "phoneable_rate", "any": "qualified_share", "none": "no_channel_share"}
CHANNEL_LABELS = {**CHANNELS, "any": "Au moins un canal", "none": "Aucun canal"}


def channel_table(measures: pd.DataFrame, scope: str, year: int) -> pd.DataFrame:
    """Usable-channel figures of the scope from the measures: ``canal, fiches, part`` (and
    ``réseau`` for a centre); empty when no channel was measured."""
    if measure_value(measures, "channel:any", scope, year) is None:
        return pd.DataFrame(columns=["canal", "fiches", "part"])
    rows = []
    for key, rate in CHANNEL_RATES.items():
        row = {"canal": CHANNEL_LABELS[key], "fiches": (f"channel:{key}", scope, year),
               "part": (rate, scope, year)}
        if scope != NETWORK:
            row["réseau"] = (rate, NETWORK, year)
        rows.append(row)
    out = cells_frame(measures, rows)
    out["fiches"] = out["fiches"].astype("int64")
    return out


def plot_channels(rates: pd.DataFrame, comparison: pd.DataFrame | None = None, ax=None):
    """Horizontal bars of channel rates, with the network value as a marker when given."""
    import matplotlib.pyplot as plt

    from grc.reports.charts import fr_axis, fr_pct

    data = rates[rates["canal"] != "Aucun canal"]
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.55 * len(data) + 1.2))
    y = np.arange(len(data))
    ax.barh(y, data["part"], color="#457b9d", label="Périmètre")
    for yi, v in zip(y, data["part"], strict=False):
        ax.text(min(v, 1) + 0.01, yi, fr_pct(v, 0), va="center", fontsize=9)
    if comparison is not None and len(comparison):
        net = comparison.set_index("canal")["réseau"].reindex(data["canal"])
        ax.scatter(net.to_numpy(), y, marker="|", s=400, color="#e63946", zorder=3,
                   label="Moyenne du réseau")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28), ncol=2, fontsize=8, frameon=False)
    ax.set_yticks(y, data["canal"])
    ax.invert_yaxis()
    ax.set_xlim(0, 1.12)
    fr_axis(ax, "x", pct=True)
    ax.set_xlabel("part des fiches exportées")
    return ax


def top_issues_table(measures: pd.DataFrame, scope: str, year: int, n: int = 10) -> pd.DataFrame:
    """The scope's most frequent issues from the measures (``issue:<code>``, ``issue_share:``):
    ``problème, fiches, part``, most frequent first."""
    cnt = members(measures, "issue", scope, year)
    cnt = cnt.sort_values(ascending=False, kind="stable").head(n)
    rows = [{"problème": issue_label(c), "fiches": (f"issue:{c}", scope, year),
             "part": (f"issue_share:{c}", scope, year)} for c in cnt.index]
    out = cells_frame(measures, rows)
    if out.empty:
        return pd.DataFrame(columns=["problème", "fiches", "part"])
    out["fiches"] = out["fiches"].astype("int64")
    return out


def issue_comparison_measured(measures: pd.DataFrame, centre: str, year: int) -> pd.DataFrame:
    """Share of records per issue: the centre beside the network (``issue_share:<code>``);
    ``problème, centre, réseau, écart``, the centre's most frequent first (0 when the centre
    has none of an issue the network has)."""
    cols = ["problème", "centre", "réseau", "écart"]
    own = members(measures, "issue_share", centre, year)
    net = members(measures, "issue_share", NETWORK, year)
    codes = net.index.union(own.index)
    if not len(codes) or measure_value(measures, "records", centre, year) is None:
        return pd.DataFrame(columns=cols)
    rows = [{"problème": issue_label(c),
             "centre": (f"issue_share:{c}", centre, year) if c in own.index else 0.0,
             "réseau": (f"issue_share:{c}", NETWORK, year) if c in net.index else 0.0}
            for c in codes]
    out = cells_frame(measures, rows)
    out["écart"] = out["centre"] - out["réseau"]
    order = out["centre"].sort_values(ascending=False, kind="stable").index
    return out.loc[order, cols]


def issue_comparison_table(comp: pd.DataFrame):
    """The centre-vs-network issue shares as a table: in-cell bars on one scale, gap in points."""
    from grc.reports.charts import table

    shown = comp.rename(columns={"écart": "écart (points)"})
    shown["écart (points)"] = 100 * shown["écart (points)"].astype(float)
    return table(shown, pct=["centre", "réseau"], bars=["centre", "réseau"], same_scale=True,
                 digits={"écart (points)": 1},
                 caption="Part des fiches concernées : le centre et le réseau")


def plot_issue_comparison(comp: pd.DataFrame, ax=None):
    """Grouped horizontal bars: issue shares of the centre and of the network."""
    import matplotlib.pyplot as plt

    from grc.reports.charts import fr_axis

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 0.5 * len(comp) + 1.2))
    y = np.arange(len(comp))
    ax.barh(y - 0.2, comp["centre"], height=0.4, color="#457b9d", label="Centre")
    ax.barh(y + 0.2, comp["réseau"], height=0.4, color="#bfc5cc", label="Réseau")
    ax.set_yticks(y, comp["problème"])
    ax.invert_yaxis()
    fr_axis(ax, "x", pct=True)
    ax.set_xlabel("part des fiches exportées")
    ax.legend(loc="lower right", fontsize=8)
    return ax


def _metric_table(measures: pd.DataFrame, centre: str, year: int) -> pd.Series:
    m = measures[(measures["scope"] == centre) & (measures["year"] == year)]
    return m.set_index("measure")["value"]


def trend(metrics: pd.DataFrame, centre: str, year: int) -> pd.DataFrame:
    """Key figures of ``year - 1`` and ``year``: ``indicateur``, ``n_1``, ``n``, ``évolution``, ``format``.

    ``évolution`` is the difference (in points for rates); rows missing in both years dropped.
    """
    cols = ["indicateur", "n_1", "n", "évolution", "format"]
    if metrics.empty:
        return pd.DataFrame(columns=cols)
    cur, prev = _metric_table(metrics, centre, year), _metric_table(metrics, centre, year - 1)
    rows, keys = [], []
    for k, (label, kind) in TREND_METRICS.items():
        a, b = prev.get(k, np.nan), cur.get(k, np.nan)
        if pd.isna(a) and pd.isna(b):
            continue
        rows.append({"indicateur": label, "n_1": a, "n": b, "évolution": b - a, "format": kind})
        keys.append({"n_1": None if pd.isna(a) else (k, centre, year - 1),
                     "n": None if pd.isna(b) else (k, centre, year)})
    out = pd.DataFrame(rows, columns=cols)
    return measured(out, pd.DataFrame(keys, index=out.index, columns=cols, dtype=object))


def format_trend(tr: pd.DataFrame) -> pd.DataFrame:
    """The trend table as French text (numbers, percentages, points)."""
    from grc.reports.charts import fr_num

    def val(v, kind):
        if pd.isna(v):
            return "–"
        return fr_num(100 * v, 1) + "\u00a0%" if kind == "pct" else fr_num(v)

    def delta(v, kind):
        if pd.isna(v):
            return "–"
        sign = "+" if v > 0 else ""
        return sign + (fr_num(100 * v, 1) + "\u00a0pt" if kind == "pct" else fr_num(v))

    out = pd.DataFrame({
        "Indicateur": tr["indicateur"],
        "Année N-1": [val(v, k) for v, k in zip(tr["n_1"], tr["format"], strict=False)],
        "Année N": [val(v, k) for v, k in zip(tr["n"], tr["format"], strict=False)],
        "Évolution": [delta(v, k) for v, k in zip(tr["évolution"], tr["format"], strict=False)],
    })
    keys = cell_keys(tr)
    if keys is None:
        return out
    # the texts stay measure elements: each key carries its raw value (4th item)
    keys = keys.reindex(index=tr.index)
    with_value = pd.DataFrame({
        "Année N-1": [(*k, v) if isinstance(k, tuple) else None
                      for k, v in zip(keys["n_1"], tr["n_1"], strict=True)],
        "Année N": [(*k, v) if isinstance(k, tuple) else None
                    for k, v in zip(keys["n"], tr["n"], strict=True)]},
        index=out.index, dtype=object)
    return measured(out, with_value)


def issue_trend(metrics: pd.DataFrame, centre: str, year: int) -> pd.DataFrame:
    """Records with each issue code in ``year - 1`` and ``year``, counts and shares read from
    the measures (``issue:<code>``, ``issue_share:<code>``; 0 when a year has none of it)."""
    cols = ["problème", "fiches_n_1", "part_n_1", "fiches_n", "part_n"]
    if metrics.empty:
        return pd.DataFrame(columns=cols)
    cur, prev = members(metrics, "issue", centre, year), members(metrics, "issue", centre, year - 1)
    had_prev = measure_value(metrics, "records", centre, year - 1) is not None
    rows = []
    for c in sorted(set(cur.index) | set(prev.index)):
        row = {"problème": issue_label(c)}
        for suffix, y, have, known in (("n_1", year - 1, prev, had_prev), ("n", year, cur, True)):
            if c in have.index:
                row[f"fiches_{suffix}"] = (f"issue:{c}", centre, y)
                row[f"part_{suffix}"] = (f"issue_share:{c}", centre, y)
            else:
                row[f"fiches_{suffix}"] = row[f"part_{suffix}"] = 0.0 if known else np.nan
        rows.append(row)
    out = cells_frame(metrics, rows)
    if out.empty:
        return pd.DataFrame(columns=cols)
    order = out["fiches_n"].sort_values(ascending=False, kind="stable").index
    return out.loc[order, cols]

# --------------------------------------------------------------------------- what changed

def changes_summary(measures: pd.DataFrame, scope: str, year: int) -> pd.DataFrame:
    """Records per history event of ``year`` from the measures (``changes:<event>``):
    ``évènement``, ``fiches`` (0 when nothing is stored)."""
    out = cells_frame(measures, [{"évènement": label, "fiches": (f"changes:{ev}", scope, year)}
                                 for ev, label in EVENTS.items()])
    out["fiches"] = out["fiches"].fillna(0).astype("int64")
    return out


def field_changes(measures: pd.DataFrame, scope: str, year: int) -> pd.DataFrame:
    """Modified fields in ``year`` from the measures (``field_changes:``, ``field_completed:``,
    ``field_emptied:``): ``champ``, ``modifications``, ``complétés`` (empty before),
    ``effacés`` (empty now), most modified first."""
    cols = ["champ", "modifications", "complétés", "effacés"]
    n = members(measures, "field_changes", scope, year)
    if n.empty:
        return pd.DataFrame(columns=cols)
    order = n.sort_values(ascending=False, kind="stable").index
    out = cells_frame(measures, [{"champ": FIELD_LABELS.get(f, f),
                                  "modifications": (f"field_changes:{f}", scope, year),
                                  "complétés": (f"field_completed:{f}", scope, year),
                                  "effacés": (f"field_emptied:{f}", scope, year)} for f in order])
    return out.astype({c: "int64" for c in cols[1:]})


def return_followup(measures: pd.DataFrame, scope: str, year: int) -> pd.DataFrame:
    """What became of last year's problems, per issue code, from the measures
    (``followup_code:<code>:<status>``, ``followup_fix_rate:<code>``): records
    ``signalées_n_1``, ``corrigées``, ``toujours_à_corriger``, ``plus_exportées`` and the
    ``taux_correction``, most reported first. Only codes a centre can fix are followed."""
    cols = ["problème", "signalées_n_1", "corrigées", "toujours_à_corriger", "plus_exportées",
            "taux_correction"]
    stored = members(measures, "followup_code", scope, year)
    reported = pd.Series({k.rpartition(":")[0]: v for k, v in stored.items()
                          if k.endswith(":signalé")}, dtype=float)
    if reported.empty:
        return pd.DataFrame(columns=cols)
    order = reported.sort_values(ascending=False, kind="stable").index
    rows = [{"problème": issue_label(c),
             "signalées_n_1": (f"followup_code:{c}:signalé", scope, year),
             **{col: (f"followup_code:{c}:{st}", scope, year) for st, col in FOLLOWUP_STATUS.items()},
             "taux_correction": (f"followup_fix_rate:{c}", scope, year)} for c in order]
    out = cells_frame(measures, rows)
    return out[cols].astype({c: "int64" for c in cols[1:5]})


def return_file(cfg, centre: str) -> dict[str, Any]:
    """Where the return file(s) of the scope are: ``path``, ``display`` (relative to the project
    when inside it), ``exists``, ``files`` (network: how many)."""
    folder = Path(cfg.processed_dir) / "retours"
    try:
        shown = folder.resolve().relative_to(Path(cfg.root).resolve())
    except ValueError:
        shown = folder
    if centre == NETWORK:
        files = sorted(folder.glob("*.xlsx")) if folder.is_dir() else []
        return {"path": folder, "display": str(shown), "exists": bool(files), "files": len(files)}
    p = folder / f"{centre}.xlsx"
    return {"path": p, "display": str(shown / p.name), "exists": p.exists(), "files": int(p.exists())}


# --------------------------------------------------------------------------- 02 deduplication

def duplicates_summary(measures: pd.DataFrame, centre: str, year: int) -> pd.DataFrame:
    """Duplicates of the year's records from the measures: ``indicateur``, ``valeur``.

    The network shows the split inside / between centres and the clients shared between
    centres (``shared_contacts``, the figure of the key figures); a centre its own duplicates
    and its clients also present in another centre.
    """
    cols = ["indicateur", "valeur"]
    if measure_value(measures, "records", centre, year) is None:
        return pd.DataFrame(columns=cols)
    names = [("Fiches exportées", "records"), ("Contacts distincts", "contacts")]
    if centre == NETWORK:
        names += [("Doublons à l'intérieur des centres", "duplicates_within"),
                  ("Doublons entre centres", "duplicates_between"),
                  ("Clients présents dans plusieurs centres", "shared_contacts")]
    else:
        names += [("Doublons dans le centre", "duplicates"),
                  ("Clients aussi présents dans un autre centre", "shared_contacts")]
    out = cells_frame(measures, [{"indicateur": label, "valeur": (name, centre, year)}
                                 for label, name in names])
    keep = out["valeur"].notna()
    out = out[keep]
    out["valeur"] = out["valeur"].astype("int64")
    return out


def duplicates_per_centre(measures: pd.DataFrame, year: int) -> pd.DataFrame:
    """Per centre, from the measures: ``centre``, ``fiches``, ``contacts``, ``doublons``,
    ``taux_doublons``, ``partagés`` (``shared_contacts``), most duplicates first."""
    cols = ["centre", "fiches", "contacts", "doublons", "taux_doublons", "partagés"]
    if measures.empty:
        return pd.DataFrame(columns=cols)
    sel = measures[(measures["year"] == year) & (measures["measure"] == "records")
                   & (measures["scope"] != NETWORK)]
    names = {"fiches": "records", "contacts": "contacts", "doublons": "duplicates",
             "taux_doublons": "duplicate_rate", "partagés": "shared_contacts"}
    out = cells_frame(measures, [{"centre": c, **{col: (n, c, year) for col, n in names.items()}}
                                 for c in sorted(sel["scope"].unique())])
    if out.empty:
        return pd.DataFrame(columns=cols)
    out = out.astype({c: "int64" for c in ("fiches", "contacts", "doublons", "partagés")})
    order = out["doublons"].sort_values(ascending=False, kind="stable").index
    return out.loc[order, cols]


def pair_decisions(measures: pd.DataFrame, scope: str, year: int) -> pd.DataFrame:
    """Candidate pairs per decision from the measures (``pairs:``, ``pair_share:``,
    ``pair_score:``): ``décision``, ``paires``, ``part``, ``score_médian``."""
    cols = ["décision", "paires", "part", "score_médian"]
    have = members(measures, "pairs", scope, year)
    rows = [{"décision": label, "paires": (f"pairs:{d}", scope, year),
             "part": (f"pair_share:{d}", scope, year),
             "score_médian": (f"pair_score:{d}", scope, year)}
            for d, label in DECISIONS.items() if d in have.index]
    if not rows:
        return pd.DataFrame(columns=cols)
    return cells_frame(measures, rows).astype({"paires": "int64"})[cols]


def score_histogram(measures: pd.DataFrame, scope: str, year: int) -> pd.DataFrame:
    """Candidate pairs per fixed score bin (rows: the bins' lower edges, every bin from the
    lowest to the highest, zeros included) and decision (columns, in :data:`DECISIONS` order),
    from the measures ``pair_bin:<decision>:<bin>``."""
    have = members(measures, "pair_bin", scope, year)
    if have.empty:
        return pd.DataFrame(columns=[d for d in DECISIONS], dtype="int64")
    parts = have.index.str.rpartition(":")
    frame = pd.DataFrame({"decision": parts.get_level_values(0),
                          "bin": parts.get_level_values(2).astype(float),
                          "pairs": have.to_numpy()})
    wide = frame.pivot_table(index="bin", columns="decision", values="pairs", aggfunc="sum")
    edges = np.arange(wide.index.min(), wide.index.max() + PAIR_BIN_WIDTH / 2, PAIR_BIN_WIDTH)
    cols = [d for d in DECISIONS if d in wide.columns]
    return wide.reindex(index=edges, columns=cols).fillna(0).astype("int64").rename_axis(
        index="score", columns="décision")


def plot_score_distribution(measures: pd.DataFrame, scope: str, year: int, ax=None):
    """Stacked histogram of the scope's pair scores (log2-odds of a match) coloured by
    decision, drawn from the measures (``pair_bin:``, fixed bins of
    :data:`grc.measures.breakdowns.PAIR_BIN_WIDTH` points); the alt text gives the pairs per
    decision (``pairs:``)."""
    import matplotlib.pyplot as plt

    from grc.reports.charts import fr_num

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4))
    hist = score_histogram(measures, scope, year)
    if len(hist):
        edges = np.append(hist.index.to_numpy(dtype=float),
                          float(hist.index[-1]) + PAIR_BIN_WIDTH)
        bottom = np.zeros(len(hist))
        for d in hist.columns:
            # filled steps stacked on the decisions below: one polygon per decision
            top = bottom + hist[d].to_numpy(dtype=float)
            ax.stairs(top, edges, baseline=bottom, fill=True, color=DECISION_COLORS[d],
                      label=DECISIONS[d])
            bottom = top
        handles, labels = ax.get_legend_handles_labels()
        ax.legend(handles[::-1], labels[::-1], fontsize=8)  # top of the stack first
    ax.set_xlabel("score de ressemblance de la paire (plus il est haut, plus c'est le même client)")
    ax.set_ylabel("paires candidates")
    counts = members(measures, "pairs", scope, year)
    ax.figure.grc_alt = (
        "Histogramme des scores de ressemblance des paires de fiches comparées : "
        + ", ".join(f"{lab.lower()} : {fr_num(counts.get(d, 0))} paires"
                    for d, lab in DECISIONS.items()) + ".")
    return ax


def _mask_postcode(v: Any) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)) or not str(v).strip():
        return ""
    s = str(v).strip()
    return s[:2] + "•" * max(0, len(s) - 2)


REVIEW_FIELDS = [("civility", "Civilité", "plain"), ("first_name", "Prénom", "mask"),
                 ("last_name", "Nom", "mask"), ("organisation", "Organisation", "mask"),
                 ("address1", "Adresse", "mask"), ("postcode", "Code postal", "postcode"),
                 ("city", "Ville", "plain"), ("email", "E-mail", "mask"),
                 ("phone", "Téléphone", "mask"), ("mobile", "Mobile", "mask")]

SIMILARITIES = {"first_sim": "prénom", "last_sim": "nom", "org_sim": "organisation",
                "addr_sim": "adresse", "pc_eq": "code postal", "city_sim": "ville",
                "email_eq": "e-mail", "phone_lvl": "téléphone"}


def review_pairs(review: pd.DataFrame, centre: str) -> pd.DataFrame:
    """Pairs of the review band inside the scope (for a centre: both records its own)."""
    if review.empty:
        return review
    if centre == NETWORK:
        return review
    return review[(review["centre_a"] == centre) & (review["centre_b"] == centre)]


def masked_examples(review: pd.DataFrame, n: int = 3) -> list[pd.DataFrame]:
    """Up to ``n`` review pairs side by side, personal values masked (``champ``, ``fiche A``,
    ``fiche B``, ``identique``), then the comparison values of the pair."""
    from grc.reports.workbook import mask

    out = []
    rv = review.sort_values("score", ascending=False, kind="stable").head(n)
    for _, r in rv.iterrows():
        rows = [("Centre", r["centre_a"], r["centre_b"], r["centre_a"] == r["centre_b"])]
        for f, label, how in REVIEW_FIELDS:
            a, b = r.get(f"{f}_a"), r.get(f"{f}_b")
            if not (_filled(pd.Series([a, b]))).any():
                continue
            same = (str(a).strip().lower() == str(b).strip().lower()) if _filled(pd.Series([a, b])).all() else None
            fn = {"mask": mask, "postcode": _mask_postcode, "plain": lambda v: "" if v is None or (
                isinstance(v, float) and pd.isna(v)) else str(v)}[how]
            rows.append((label, fn(a), fn(b), same))
        frame = pd.DataFrame(rows, columns=["champ", "fiche A", "fiche B", "identique"])
        frame["identique"] = frame["identique"].map({True: "oui", False: "non"}).fillna("–")
        sims = {lab: r.get(k) for k, lab in SIMILARITIES.items() if k in r and pd.notna(r.get(k))}
        frame.attrs["score"] = float(r["score"]) if pd.notna(r["score"]) else np.nan
        frame.attrs["similarities"] = sims
        out.append(frame)
    return out


def _pairs_of(measures: pd.DataFrame, year: int) -> pd.DataFrame:
    """``centre_a, centre_b, contacts, key`` of the stored ``shared_pair:`` measures."""
    stored = members(measures, "shared_pair", NETWORK, year)
    ab = [k.split(":", 1) for k in stored.index]
    return pd.DataFrame({"centre_a": [a for a, _ in ab], "centre_b": [b for _, b in ab],
                         "contacts": stored.to_numpy(), "key": list(stored.index)})


def shared_clients(measures: pd.DataFrame, centre: str, year: int) -> pd.DataFrame:
    """For a centre: partner centres and the clients shared with each (``shared_pair:``
    measures), most shared first."""
    cols = ["centre", "clients_partagés"]
    cp = _pairs_of(measures, year)
    cp = cp[(cp["centre_a"] == centre) | (cp["centre_b"] == centre)]
    if cp.empty:
        return pd.DataFrame(columns=cols)
    other = cp["centre_b"].where(cp["centre_a"] == centre, cp["centre_a"])
    cp = cp.assign(other=other).sort_values(["contacts", "other"], ascending=[False, True],
                                            kind="stable")
    out = cells_frame(measures, [{"centre": o, "clients_partagés": (f"shared_pair:{k}", NETWORK, year)}
                                 for o, k in zip(cp["other"], cp["key"], strict=True)])
    return out.astype({"clients_partagés": "int64"})


def top_shared_pairs(measures: pd.DataFrame, year: int, names: dict[str, str] | None = None,
                     top: int = 15) -> pd.DataFrame:
    """The pairs of centres sharing the most clients (``shared_pair:``, all years): ``centres,
    clients partagés``, largest first (a readable list instead of a centres × centres matrix)."""
    cols = ["centres", "clients partagés"]
    cp = _pairs_of(measures, year)
    if cp.empty:
        return pd.DataFrame(columns=cols)
    names = names or {}
    cp = cp.sort_values(["contacts", "centre_a", "centre_b"], ascending=[False, True, True],
                        kind="stable").head(top)
    out = cells_frame(measures, [{"centres": f"{names.get(a, a)} et {names.get(b, b)}",
                                  "clients partagés": (f"shared_pair:{k}", NETWORK, year)}
                                 for a, b, k in zip(cp["centre_a"], cp["centre_b"], cp["key"],
                                                    strict=True)])
    return out.astype({"clients partagés": "int64"})[cols]


def plot_shared_bars(shared: pd.DataFrame, ax=None, top: int = 15):
    """Bars of the clients a centre shares with each partner centre."""
    import matplotlib.pyplot as plt

    data = shared.head(top)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.35 * len(data) + 1.2))
    ax.barh(data["centre"], data["clients_partagés"], color="#457b9d")
    ax.invert_yaxis()
    ax.set_xlabel("clients partagés")
    ax.xaxis.get_major_locator().set_params(integer=True)
    return ax


def _parse_stats(runs: pd.DataFrame) -> dict[str, Any]:
    if runs.empty or "dedup_stats" not in runs:
        return {}
    raw = runs.sort_values("started_at")["dedup_stats"].iloc[-1]
    try:
        return json.loads(raw) if raw else {}
    except (TypeError, ValueError):
        return {}


def dedup_stats(cfg, year: int | None = None) -> dict[str, Any]:
    """Statistics of the last deduplication run of ``year`` (table ``runs``, column ``dedup_stats``)."""
    data = QualityData(cfg, NETWORK)
    try:
        return data.dedup_stats(year)
    finally:
        data.close()


def dedup_stats_table(stats: dict[str, Any]) -> pd.DataFrame:
    """The run statistics as ``indicateur``, ``valeur`` (French text)."""
    from grc.reports.charts import fr_num, fr_pct

    if not stats:
        return pd.DataFrame(columns=["indicateur", "valeur"])
    n = stats.get("records")
    rows = []
    labels = [("records", "Fiches comparées (réseau)", "num"),
              ("candidate_pairs", "Paires candidates (après indexation)", "num"),
              ("all_pairs", "Paires possibles sans indexation", "num"),
              ("reduction_ratio", "Taux de réduction", "pct4"),
              ("pairs_per_record", "Paires candidates par fiche", "dec"),
              ("linked_pairs", "Paires liées", "num"),
              ("review_pairs", "Paires à vérifier", "num"),
              ("contacts", "Contacts de la base (toutes années)", "num"),
              ("duplicates", "Fiches rattachées à un contact déjà présent (toutes années)", "num")]
    if n:
        stats = dict(stats)
        stats["all_pairs"] = n * (n - 1) / 2
        if stats.get("candidate_pairs") is not None:
            stats["pairs_per_record"] = stats["candidate_pairs"] / n
    for k, lab, kind in labels:
        v = stats.get(k)
        if v is None:
            continue
        txt = {"num": lambda x: fr_num(x), "pct": lambda x: fr_pct(x, 1), "pct4": lambda x: fr_pct(x, 3),
               "dec": lambda x: fr_num(x, 2)}[kind](v)
        rows.append({"indicateur": lab, "valeur": txt})
    t = stats.get("timings", {}).get("total") if isinstance(stats.get("timings"), dict) else None
    if t is not None:
        rows.append({"indicateur": "Durée du dédoublonnage", "valeur": f"{fr_num(t, 1)}\u00a0s"})
    return pd.DataFrame(rows, columns=["indicateur", "valeur"])


def centre_ranking(metrics: pd.DataFrame, year: int) -> pd.DataFrame:
    """Per centre (network page): records, channel rates, share of records with a problem and
    its change since last year, worst first (aggregates from ``metrics``)."""
    cols = ["centre", "fiches", "courrier", "e_mail", "téléphone", "avec_problème", "évolution_problème"]
    if metrics.empty:
        return pd.DataFrame(columns=cols)
    m = metrics[metrics["scope"] != NETWORK]

    def piv(y: int) -> pd.DataFrame:
        p = m[m["year"] == y].pivot_table(index="scope", columns="measure", values="value", aggfunc="first")
        if len(p) and "issue_rate" not in p:
            p["issue_rate"] = np.nan
        return p

    cur, prev = piv(year), piv(year - 1)
    if cur.empty:
        return pd.DataFrame(columns=cols)
    out = pd.DataFrame({
        "centre": cur.index, "fiches": cur["records"].fillna(0).astype(int).to_numpy(),
        "courrier": cur.get("mailable_rate"), "e_mail": cur.get("emailable_rate"),
        "téléphone": cur.get("phoneable_rate"), "avec_problème": cur["issue_rate"],
    }).reset_index(drop=True)
    before = prev["issue_rate"].reindex(out["centre"]).to_numpy() if len(prev) else np.nan
    out["évolution_problème"] = out["avec_problème"].to_numpy() - before
    out = out.sort_values("avec_problème", ascending=False, kind="stable").reset_index(drop=True)
    names = {"fiches": "records", "courrier": "mailable_rate", "e_mail": "emailable_rate",
             "téléphone": "phoneable_rate", "avec_problème": "issue_rate"}
    keys = pd.DataFrame({col: [(name, c, year) if pd.notna(v) else None
                               for c, v in zip(out["centre"], out[col], strict=True)]
                         for col, name in names.items()}, index=out.index, dtype=object)
    return measured(out[cols], keys)


# --------------------------------------------------------------------------- cheap reads

class QualityData:
    """What the quality pages read from the base, through one read-only connection.

    The pages' figures are measures (:attr:`metrics`, the score histogram included); besides
    them, only the scope's review band and shared-client counts are read. Each frame is read once, on first use; :meth:`close` ends the
    connection (also closed when the object is collected).
    """

    def __init__(self, cfg, centre: str = NETWORK, year: int | None = None):
        self.cfg, self.centre = cfg, centre
        self.year = int(year or cfg.year)
        self._con = None
        self._columns: dict[str, list[str]] | None = None
        self._cache: dict[str, Any] = {}

    @classmethod
    def of(cls, wb) -> QualityData:
        """The reader of a workbook's scope (``wb = open_workbook(config, centre)``)."""
        return cls(wb.cfg, wb.centre, wb.year)

    @property
    def is_network(self) -> bool:
        return self.centre == NETWORK

    # --- plumbing --------------------------------------------------------------------------
    @property
    def con(self):
        if self._con is None:
            from grc.store import base as db

            self._con = db.connect(self.cfg.db_path, read_only=True)
        return self._con

    def close(self) -> None:
        """Close the connection (the frames already read stay available)."""
        if self._con is not None:
            self._con.close()
            self._con = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def columns(self, table: str) -> list[str]:
        """Columns of ``table`` in the base (empty list if the table does not exist)."""
        if self._columns is None:
            rows = self.con.execute("SELECT table_name, column_name FROM information_schema.columns "
                                    "ORDER BY table_name, ordinal_position").fetchall()
            self._columns = {}
            for t, c in rows:
                self._columns.setdefault(t, []).append(c)
        return self._columns.get(table, [])

    def query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        return self.con.execute(sql, params or []).df()

    def read(self, table: str, columns: list[str] | None = None, where: str = "",
             params: list | None = None) -> pd.DataFrame:
        """Rows of ``table`` (only ``columns`` that exist); empty frame if there is no table."""
        have = self.columns(table)
        if not have:
            return pd.DataFrame(columns=columns or [])
        cols = [c for c in (columns or have) if c in have]
        sel = ", ".join(f'"{c}"' for c in cols)
        return self.query(f'SELECT {sel} FROM "{table}" {where}', params)

    def _cached(self, key: str, make):
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    # --- 01 qualification --------------------------------------------------------------------
    @property
    def metrics(self) -> pd.DataFrame:
        """Measures of the run year and the year before (the scope and the network, or every
        centre on the network page): ``scope, year, measure, value``."""
        def make():
            if not self.columns("measures"):
                return pd.DataFrame(columns=MEASURE_COLUMNS)
            if self.is_network:
                return self.read("measures", None, "WHERE year IN (?, ?)", [self.year - 1, self.year])
            return self.read("measures", None, "WHERE year IN (?, ?) AND scope IN (?, ?)",
                             [self.year - 1, self.year, self.centre, NETWORK])
        return self._cached("metrics", make)

    def metric(self, name: str, centre: str | None = None) -> float | None:
        """One measure of the run year (the scope's unless ``centre`` is given)."""
        return measure_value(self.metrics, name, centre or self.centre, self.year)

    # --- 02 deduplication --------------------------------------------------------------------
    @property
    def review(self) -> pd.DataFrame:
        """Pairs of the review band of the last run inside the scope (side by side)."""
        def make():
            where, args = ("", []) if self.is_network else \
                ("WHERE centre_a = ? AND centre_b = ?", [self.centre, self.centre])
            return self.read("dedup_review", None, where, args)
        return self._cached("review", make)

    def dedup_stats(self, year: int | None = None) -> dict[str, Any]:
        """Statistics of the last deduplication run of ``year`` (the run year by default)."""
        if "dedup_stats" not in self.columns("runs"):
            return {}
        return _parse_stats(self.read("runs", ["started_at", "dedup_stats"], "WHERE year = ?",
                                      [int(year or self.year)]))


def lineage_example(cfg, centre: str) -> tuple[bool, pd.DataFrame, pd.DataFrame]:
    """The scope's example lineage for a reviewer: (found, records, events) with numbered
    records instead of identifiers, French field labels and years as text (values masked)."""
    from grc.schema import FIELD_LABELS
    from grc.store.history import lineage_tables

    cid, recs, ev = lineage_tables(cfg, None, None if centre == NETWORK else centre)
    if not cid:
        return False, pd.DataFrame(), pd.DataFrame()
    number = {k: f"fiche {i}" for i, k in enumerate(dict.fromkeys(
        zip(recs.get("centre", []), recs.get("local_id", []), strict=True)), 1)}
    out_recs = pd.DataFrame({
        "fiche": [number[k] for k in zip(recs["centre"], recs["local_id"], strict=True)],
        "centre": recs["centre"],
        "années d'export": recs["years"].astype(str) if "years" in recs else ""})
    if len(ev):
        keys = list(zip(ev["centre"], ev["local_id"], strict=True))
        ev = pd.DataFrame({
            "année": ev["year"].astype(str), "centre": ev["centre"],
            "fiche": [number.get(k, "autre fiche") for k in keys], "événement": ev["event"],
            "champ": [FIELD_LABELS.get(f, f) if isinstance(f, str) else "" for f in ev["field"]],
            "avant": ev["old_value"], "après": ev["new_value"]})
        contact = ev["champ"] == FIELD_LABELS["contact_id"]
        ev.loc[contact, ["avant", "après"]] = "(identifiant masqué)"
    return True, out_recs, ev
