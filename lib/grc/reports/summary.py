"""Summary pages (``synthese.html``), the first page a director opens: the key measures
against last year and the network, plain-language alerts, the return file's corrections by
problem and the three most useful actions. Read from the measures only (no recomputation)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from markupsafe import Markup, escape

from grc.measures.alerts import (
    SUMMARY,
    THRESHOLDS_TEXT,
    Alert,
    actions,
    alerts,
    points,
    points_text,
    return_counts,
)
from grc.measures.catalogue import SCORE, SHARE, measure
from grc.measures.read import figure_html, measure_value, site_prefix
from grc.reports.glossary import STYLE
from grc.reports.runner import atomic_write_text
from grc.reports.site import SUMMARY_PAGE
from grc.schema import NETWORK

PAGE = SUMMARY_PAGE
_EXTRA_STYLE = """
table { border-collapse:collapse; margin:.6rem 0 1rem; font-size:.95rem; }
th, td { padding:.35rem .6rem; border-bottom:1px solid #d9e2ec; vertical-align:top; }
thead th, th[scope=row] { background:#f5f7fa; text-align:left; }
td.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
.wrap { overflow-x:auto; }
ul.alerts li { margin:.3rem 0; }
.bad { color:#9b1c1c; } .good { color:#1e6b3a; }
.arrow { font-weight:700; }
"""


def _evolution(name: str, cur: float | None, prev: float | None) -> Markup:
    if cur is None or prev is None:
        return Markup("–")
    delta = cur - prev
    arrow, word = ("▲", "hausse") if delta > 0 else ("▼", "baisse") if delta < 0 else ("=", "stable")
    if measure(name).unit == SHARE:
        delta = points(cur, prev)
        arrow, word = ("▲", "hausse") if delta > 0 else ("▼", "baisse") if delta < 0 else ("=", "stable")
        text = points_text(delta)
    elif measure(name).unit == SCORE:
        text = f"{'+' if delta > 0 else ''}{round(delta, 1):g}".replace(".", ",")
    elif prev:
        pct = round(delta / prev * 100)
        if pct == 0:
            return Markup('<span class="arrow" aria-hidden="true">=</span> '
                          '<span class="visually-hidden">stable</span> 0 %')
        text = f"{'+' if pct > 0 else ''}{pct} %"
    else:
        text = ""
    return Markup(f'<span class="arrow" aria-hidden="true">{arrow}</span> '
                  f'<span class="visually-hidden">{word}</span> {escape(text)}')


def _figures_table(measures: pd.DataFrame, scope: str, year: int, glossary: str) -> str:
    net = scope != NETWORK
    head = (f"<th>Indicateur</th><th>{year}</th><th>{year - 1}</th><th>Évolution</th>"
            + (f"<th>Réseau {year}</th>" if net else ""))
    rows = []
    for name, _, _ in SUMMARY:
        m = measure(name)
        cur, prev = (measure_value(measures, name, scope, y) for y in (year, year - 1))
        cells = [figure_html(name, scope, year, cur), figure_html(name, scope, year - 1, prev),
                 _evolution(name, cur, prev)]
        if net:
            cells.append(figure_html(name, NETWORK, year, measure_value(measures, name, NETWORK, year)))
        tds = "".join(f'<td class="num">{c}</td>' for c in cells)
        rows.append(f'<tr><th scope="row"><a href="{escape(glossary)}#{m.anchor}">'
                    f"{escape(m.label)}</a></th>{tds}</tr>")
    note = ""
    if measure_value(measures, "satisfaction_mean", scope, year) is None:
        note = ('<p class="source">Satisfaction : aucune réponse à une enquête de satisfaction '
                "dans les exports de l'année (le champ est facultatif).</p>")
    return (f'<div class="wrap"><table><caption>Chiffres clés</caption><thead><tr>{head}</tr>'
            f'</thead><tbody>{"".join(rows)}</tbody></table></div>{note}')


def _alerts_html(found: list[Alert]) -> str:
    if not found:
        return ("<p>Aucune évolution significative depuis l'an dernier ni écart marqué avec le "
                "réseau.</p>")
    items = "".join(f'<li class="{a.tone}">{"⚠ " if a.tone == "bad" else "✓ "}{escape(a.text)}</li>'
                    for a in sorted(found, key=lambda a: a.tone != "bad"))
    return f'<ul class="alerts">{items}</ul>'


def _returns_html(measures: pd.DataFrame, scope: str, year: int) -> str:
    rows = return_counts(measures, scope, year)
    if not rows:
        return "<p>Aucune fiche à corriger cette année.</p>"
    body = "".join(f"<tr><td>{escape(label)}</td><td class=\"num\">"
                   f"{figure_html(f'issue:{code}', scope, year, n)}</td></tr>"
                   for code, label, n in rows)
    who = ("Le siège envoie au centre son fichier retour, qui liste ces fiches une à une "
           "(onglet « À corriger ») : le centre les corrige dans son logiciel de réservation "
           "et l'export suivant le montre." if scope != NETWORK else
           "Chaque centre reçoit du siège son fichier retour, qui liste ses fiches une à une.")
    return (f'<div class="wrap"><table><caption>Fiches à corriger par problème</caption>'
            f'<thead><tr><th>Problème</th><th>Fiches</th></tr></thead><tbody>{body}</tbody>'
            f'</table></div>\n<p class="source">{escape(who)}</p>')


CORRECTION_STATUSES = ["appliquée", "en attente", "contredite", "maintenue", "retirée"]


def _legend(statuses: list[str]) -> str:
    """What each status shown means (the return file's own wording)."""
    from grc.schema import CORRECTION_STATUS_LABELS

    return " ".join(f"{st[0].upper()}{st[1:]} : {CORRECTION_STATUS_LABELS[st]}." for st in statuses)


def _corrections_html(measures: pd.DataFrame, scope: str, year: int) -> str:
    rows = [(st, measure_value(measures, f"correction:{st}", scope, year))
            for st in CORRECTION_STATUSES]
    rows = [(st, n) for st, n in rows if n]
    if not rows:
        return ("<p>Aucune correction renvoyée par le centre dans son fichier retour n'est à "
                "suivre cette année.</p>")
    body = "".join(f"<tr><td>{escape(st)}</td><td class=\"num\">"
                   f"{figure_html(f'correction:{st}', scope, year, n)}</td></tr>" for st, n in rows)
    return (f'<div class="wrap"><table><caption>Corrections renvoyées par le centre</caption>'
            f"<thead><tr><th>Statut dans l'export {year}</th><th>Corrections</th></tr></thead>"
            f"<tbody>{body}</tbody></table></div>\n"
            f'<p class="source">{escape(_legend([st for st, _ in rows]))}</p>')


def summary_body(measures: pd.DataFrame, scope: str, scope_name: str, year: int,
                 pages: list[tuple[str, str]] | None = None) -> str:
    """The summary's content (escaped; aggregates only)."""
    glossary = site_prefix(scope) + "glossaire.html"
    found = alerts(measures, scope, year)
    todo = "".join(f"<li>{escape(a)}</li>" for a in actions(measures, scope, year, found))
    links = ""
    if pages:
        links = "<p>Les autres pages : " + " · ".join(
            f'<a href="{escape(href)}">{escape(label)}</a>' for label, href in pages) + "</p>\n"
    return (
        f"{links}"
        f'<h2 id="chiffres">Chiffres clés</h2>\n{_figures_table(measures, scope, year, glossary)}\n'
        f'<h2 id="alertes">Alertes</h2>\n{_alerts_html(found)}\n'
        f'<p class="source">{escape(THRESHOLDS_TEXT)}</p>\n'
        f'<h2 id="corrections">Fichier retour : fiches à corriger</h2>\n'
        f"{_returns_html(measures, scope, year)}\n"
        f'<h2 id="retours">Corrections renvoyées l\'an dernier</h2>\n'
        f"{_corrections_html(measures, scope, year)}\n"
        f'<h2 id="actions">Les actions les plus utiles</h2>\n<ol>{todo}</ol>\n'
        "<p class=\"source\">Agrégats uniquement : aucune donnée personnelle.</p>\n")


def summary_html(measures: pd.DataFrame, scope: str, scope_name: str, network: str,
                 year: int, pages: list[tuple[str, str]], site: dict | None = None) -> str:
    """The summary page of ``scope``: with the site's header when ``site`` is given."""
    if site is not None:
        from grc.reports.site import render_page

        return render_page(site, summary_body(measures, scope, scope_name, year))
    root = site_prefix(scope)
    return (
        '<!DOCTYPE html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">\n'
        f"<title>Synthèse — {escape(scope_name)}</title>\n"
        f"<style>{STYLE}{_EXTRA_STYLE}</style>\n</head>\n<body>\n"
        f'<header><p><a href="{root}index.html">{escape(network)}</a> › '
        f"{escape(scope_name)} › Synthèse</p></header>\n<main>\n"
        f"<h1>Synthèse {year} — {escape(scope_name)}</h1>\n"
        f"{summary_body(measures, scope, scope_name, year, pages)}</main>\n</body>\n</html>\n")


def write_summaries(cfg, measures: pd.DataFrame, pages: dict[str, list[tuple[str, str]]],
                    site=None) -> list[Path]:
    """``network/synthese.html`` and ``centres/<CODE>/synthese.html`` for every centre.

    ``pages``: per scope, (label, href relative to the site root) of its other pages;
    ``site``: the :class:`grc.reports.site.SiteMap` whose header every page carries.
    """
    from grc.reports.site import scope_page_path

    out = []
    scopes = [(NETWORK, cfg.network, cfg.reports_dir / "network")]
    scopes += [(c, f"{cfg.centre_name(c)} ({c})", cfg.reports_dir / "centres" / c)
               for c in cfg.centre_codes()]
    for scope, name, folder in scopes:
        rel = [(label, site_prefix(scope) + href) for label, href in pages.get(scope, [])]
        header = None if site is None else site.header(
            scope_page_path(scope, PAGE.removesuffix(".html")), "Synthèse", scope=scope,
            page=PAGE.removesuffix(".html"))
        path = folder / PAGE
        atomic_write_text(path, summary_html(measures, scope, name, cfg.network, cfg.year, rel,
                                             header))
        out.append(path)
    return out
