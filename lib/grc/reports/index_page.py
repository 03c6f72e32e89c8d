"""The reports' home page: the network at a glance and a sortable table of centres.

Self-contained HTML (inline CSS and a few lines of inline JavaScript, no external resource),
aggregates only: the centres frame must not carry personal columns.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import pandas as pd
from markupsafe import Markup, escape

from grc.measures.catalogue import measure
from grc.measures.read import figure_html
from grc.reports.page_html import finish_page
from grc.reports.runner import atomic_write_text
from grc.reports.site import template_env

NETWORK_KEY = "NETWORK"

KPI_LABELS = {
    "centres": "Centres",
    "records": "Fiches reçues",
    "contacts": "Contacts réseau",
    "qualified": "Contacts qualifiés",
    "qualified_share": "Part qualifiée",
    "duplicates": "Doublons fusionnés",
    "duplicate_share": "Part de doublons",
    "stays": "Séjours",
    "revenue": "Chiffre d'affaires (€)",
    "retention": "Fidélisation (rétention)",
    "repeat_share": "Clients revenus",
    "multi_centre_share": "Clients multi-centres",
    "multi_centre": "Clients multi-centres",
}
COLUMN_LABELS = {
    "code": "Code",
    "centre": "Centre",
    "name": "Centre",
    "region": "Région",
    "records": "Fiches",
    "contacts": "Contacts",
    "qualified": "Qualifiés",
    "qualified_share": "Part qualifiée",
    "duplicates": "Doublons",
    "issues": "Anomalies",
    "stays": "Séjours",
    "retention": "Rétention",
    "status": "Statut",
    "message": "Message",
    "last_run": "Dernière exécution",
}
STATUS_LABELS = {
    "ok": ("OK", "ok"),
    "skipped": ("Inchangé", "ok"),
    "warning": ("Avertissement", "warn"),
    "warn": ("Avertissement", "warn"),
    "failed": ("Échec", "failed"),
    "error": ("Erreur", "failed"),
    "missing": ("Absent", "warn"),
    "absent": ("absent", "warn"),
    "à jour": ("à jour", "ok"),
    "inchangé": ("inchangé", "ok"),
    "échec": ("échec", "failed"),
}
STATUS_COLUMNS = {"status", "statut"}
SECTION_TITLES = {"cours": "Cours : exercice guidé", "documents": "Documents", "course": "Cours"}
SCALAR_SKIP = {
    "name", "year", "reference_date", "segment_mix", "rfm_categories", "title", "last_run",
    "data_version",
}
PERSONAL_COLUMNS = {
    "email", "e_mail", "mail", "phone", "telephone", "mobile", "first_name", "last_name",
    "full_name", "firstname", "lastname", "prenom", "nom", "address", "address1", "street",
}


GLOSSARY = "glossaire.html"


def _is_measure(name: str) -> bool:
    try:
        measure(name)
    except KeyError:
        return False
    return True


def _kpi_label(key: str) -> str:
    return measure(key).label if _is_measure(key) else _label(key, KPI_LABELS)


def _kpi_value(key: str, value: Any, year: int | None) -> Any:
    """A headline figure: a measure element when ``key`` is a measure, plain text otherwise."""
    if year is not None and _is_measure(key):
        return figure_html(key, NETWORK_KEY, year, value, glossary=GLOSSARY)
    return _format(key, value)


def is_share_key(key: str) -> bool:
    """Keys holding a ratio in [0, 1] shown as a percentage."""
    key = key.lower()
    return key.endswith(("_share", "_rate", "_ratio")) or key in {"retention", "share", "rate"}


def fr_number(value: Any, decimals: int | None = None) -> str:
    """French number format: thousands separated by a space, decimal comma ("12 345", "3,5")."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and decimals is None):
        return f"{int(value):,}".replace(",", " ")
    if decimals is None:
        decimals = 1
    text = f"{float(value):,.{decimals}f}"
    return text.replace(",", " ").replace(".", ",")


def fr_percent(value: Any, decimals: int = 1) -> str:
    """A ratio as a French percentage: 0.875 → "87,5 %" (values above 1 are taken as percents)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    pct = float(value) * 100 if abs(float(value)) <= 1 else float(value)
    return f"{fr_number(pct, decimals)} %"


def fr_date(value: Any) -> str:
    """A date as dd/mm/yyyy (ISO strings accepted)."""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, dt.datetime | dt.date | pd.Timestamp):
        return value.strftime("%d/%m/%Y")
    return str(value)


def _format(key: str, value: Any) -> str:
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        value = value.item()
    if isinstance(value, dt.date | pd.Timestamp):
        return fr_date(value)
    if isinstance(value, int | float) and not isinstance(value, bool) and is_share_key(key):
        return fr_percent(value)
    if isinstance(value, int | float):
        return fr_number(value)
    return str(value)


def _label(key: str, labels: dict[str, str]) -> str:
    if key in labels:
        return labels[key]
    text = key.replace("_", " ")
    return text[:1].upper() + text[1:]


def _fr_datetime(value: Any) -> str:
    try:
        parsed = pd.Timestamp(value)
    except (ValueError, TypeError):
        return str(value)
    if parsed is pd.NaT:
        return ""
    if parsed.hour or parsed.minute:
        return parsed.strftime("%d/%m/%Y à %H:%M")
    return parsed.strftime("%d/%m/%Y")


def _bars(title: str, counts: dict[str, Any], ordered: bool = False) -> dict[str, Any]:
    """Bars of ``counts``, largest first (``ordered``: in the given order, e.g. a grid's
    categories from the best one)."""
    items = [(str(k), float(v)) for k, v in counts.items() if v is not None]
    total = sum(v for _, v in items) or 1.0
    top = max((v for _, v in items), default=1.0) or 1.0
    if not ordered:
        items.sort(key=lambda kv: (-kv[1], kv[0]))
    return {
        "title": title,
        "bars": [
            {
                "label": label,
                "width": f"{100 * v / top:.1f}",
                "count": fr_number(int(v) if float(v).is_integer() else v),
                "share": fr_percent(v / total),
            }
            for label, v in items
        ],
    }


def _looks_like_fractions(series: pd.Series) -> bool:
    """Non-integer values, all within [0, 1]: a share, not a count."""
    values = pd.to_numeric(series, errors="coerce").dropna()
    if values.empty:
        return False
    return bool(values.between(0, 1).all() and (values != values.round()).any())


def _status_html(value: Any) -> Markup:
    text = "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
    low = text.strip().lower()
    if low in STATUS_LABELS:
        label, kind = STATUS_LABELS[low]
    else:
        label = text
        if any(w in low for w in ("échec", "erreur", "failed", "error")):
            kind = "failed"
        elif any(w in low for w in ("absent", "avertissement", "warning", "à corriger")):
            kind = "warn"
        elif any(w in low for w in ("à jour", "inchangé", "ok")):
            kind = "ok"
        else:
            kind = "other"
    return Markup('<span class="status status-{}">{}</span>').format(kind, label)


def _subtitle(network: dict) -> str:
    sub = []
    if network.get("year") is not None:
        sub.append(f"Année {network['year']}")
    if network.get("reference_date") is not None:
        sub.append(f"date de référence {fr_date(network['reference_date'])}")
    if network.get("last_run"):
        sub.append(f"dernière exécution le {_fr_datetime(network['last_run'])}")
    sub.append(f"page générée le {dt.date.today().strftime('%d/%m/%Y')}")
    return " · ".join(sub)


def _columns(centres: pd.DataFrame, percent_columns: set[str] | None) -> list[dict]:
    """How each column of the centre table is shown: label, number or text, percentage."""
    columns = []
    for col in centres.columns:
        series = centres[col]
        if series.dtype == object:  # e.g. a pivot with None for missing centres
            converted = pd.to_numeric(series, errors="coerce")
            if converted.notna().sum() == series.notna().sum() and series.notna().any():
                series = converted
        numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
        percent = numeric and (
            str(col) in (percent_columns or set())
            or is_share_key(str(col))
            or _looks_like_fractions(series)
        )
        columns.append({"name": col, "label": _label(str(col), COLUMN_LABELS),
                        "type": "num" if numeric else "text", "percent": percent})
    return columns


def _cell(col: dict, value: Any, code: str | None, year: int | None,
          link: str | None = None) -> dict:
    """One cell of the centre table: escaped HTML (a measure element for a measure), sort key;
    the centre's name links to ``link`` (its summary)."""
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    missing = value is None or (isinstance(value, float) and math.isnan(value))
    name = str(col["name"])
    if name.lower() in STATUS_COLUMNS:
        html = _status_html(value)
    elif year is not None and code is not None and _is_measure(name):
        html = figure_html(name, code, year, None if missing else value, glossary=GLOSSARY)
    elif col["percent"] and not missing:
        html = escape(fr_percent(float(value)))
    else:
        html = escape("–" if missing else _format(name, value))
    if name == "name" and link and not missing:
        html = Markup('<a href="{}">{}</a>').format(link, html)
    sort = "" if missing else str(value)
    if not missing and col["type"] == "num":
        try:
            sort = repr(float(value))
        except (TypeError, ValueError):
            sort = ""
    return {"html": html, "sort": sort, "num": col["type"] == "num"}


def write_index(
    path: Path,
    network: dict,
    centres: pd.DataFrame,
    pages: dict[str, list[tuple[str, str]]],
    percent_columns: set[str] | None = None,
    site: dict | None = None,
) -> Path:
    """Write the reports' ``index.html`` and return its path.

    ``network``: aggregate figures (name, year, reference_date, contacts, qualified_share, …,
    segment_mix and rfm_categories as label → count); keys ending in ``_share``/``_rate`` and
    ``retention`` are ratios in [0, 1]. ``centres``: one row per centre, its columns shown as
    given (``code`` links the row to ``pages[code]``); a column is shown as a percentage when
    listed in ``percent_columns``, named like a share (``*_share``, ``*_rate``, ``retention``) or
    when its values are fractions within [0, 1]. ``pages``: label and relative href of each
    page, per centre code and under ``"NETWORK"`` for the network pages. ``site``: the page's
    site header (:meth:`grc.reports.site.SiteMap.header`), else a plain header.
    """
    personal = [c for c in centres.columns if str(c).lower() in PERSONAL_COLUMNS]
    if personal:
        raise ValueError(f"Colonnes personnelles interdites dans l'index : {personal}")
    name = network.get("name") or "Réseau"
    title = f"{name} : rapports"
    year = network.get("year")
    kpis = [(_kpi_label(k), _kpi_value(k, v, year)) for k, v in network.items()
            if k not in SCALAR_SKIP and not isinstance(v, dict | list | tuple) and v is not None]
    charts = [_bars(label, network[key], ordered=key == "rfm_categories") for key, label in
              (("segment_mix", "Répartition par segment"), ("rfm_categories", "Catégories RFM"))
              if isinstance(network.get(key), dict) and network[key]]
    code_col = "code" if "code" in centres.columns else (centres.columns[0] if len(centres.columns) else None)
    columns = _columns(centres, percent_columns)
    rows = []
    for rec in centres.to_dict("records"):
        code = str(rec[code_col]) if code_col is not None else None
        links = pages.get(code or "", [])
        first = links[0][1] if links else None
        rows.append({"cells": [_cell(col, rec[col["name"]], code, year, first) for col in columns],
                     "pages": links})
    centre_codes = set(centres[code_col].astype(str)) if code_col is not None else set()
    html = template_env().get_template("index.html.j2").render(
        site=site or {"network": name, "scope": name, "year": year, "title": title,
                      "tab_title": title},
        title=title, subtitle=_subtitle(network), kpis=kpis, charts=charts,
        network_pages=pages.get(NETWORK_KEY, []),
        sections=[(SECTION_TITLES.get(key, _label(key, {})), links) for key, links in pages.items()
                  if key != NETWORK_KEY and key not in centre_codes and links],
        columns=columns, rows=rows,
        footer="Agrégats uniquement : aucun nom, e-mail ni téléphone de client. "
        "Page autonome, consultable hors ligne.",
    )
    atomic_write_text(Path(path), finish_page(html))
    return Path(path)
