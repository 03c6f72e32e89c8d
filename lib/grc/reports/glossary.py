"""The glossary page (``reports/glossaire.html``), generated from the measures' definitions
and the rule book: every figure's label on a page links to its entry here."""

from __future__ import annotations

from pathlib import Path

from markupsafe import escape

from grc import rules
from grc.measures.catalogue import FAMILY_DEFINITIONS, MEASURES, Measure
from grc.reports.runner import atomic_write_text

UNITS = {"nombre": "nombre", "part": "pourcentage", "euros": "euros TTC", "note sur 10": "note sur 10",
         "score de ressemblance": "score de ressemblance (logarithme du rapport de vraisemblance)",
         "mois": "mois"}

STYLE = """
body { margin:0; color:#1f2933; line-height:1.5;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header { background:#1f5f8b; color:#fff; padding:1rem 1.5rem; }
header h1 { margin:0; font-size:1.5rem; }
header a { color:#fff; }
main { max-width:960px; margin:0 auto; padding:1rem 1.5rem 3rem; }
dt { font-weight:600; margin-top:1rem; }
dd { margin:.2rem 0 0 0; }
.unit { color:#52606d; font-size:.9rem; }
.source { color:#52606d; font-size:.9rem; }
a { color:#1f5f8b; }
.visually-hidden { position:absolute; width:1px; height:1px; overflow:hidden; clip:rect(0 0 0 0); }
"""


def _entry(m: Measure) -> str:
    unit = UNITS.get(m.unit, m.unit)
    return (f'<dt id="{m.anchor}">{escape(m.label)}</dt>'
            f'<dd>{escape(m.definition)} <span class="unit">(unité : {escape(unit)})</span></dd>')


def glossary_body() -> str:
    """The glossary's content (escaped; definitions only, no personal data)."""
    from grc.measures.alerts import THRESHOLDS_TEXT

    measures = sorted(MEASURES.values(), key=lambda m: m.label.lower())
    families = "".join(_entry(m) for m in FAMILY_DEFINITIONS)
    law = "".join(f'<dt id="r-{escape(r.name)}">{escape(r.label[0].upper() + r.label[1:])}'
                  f'</dt><dd>{escape(r.text)} <span class="source">Source : '
                  f'{escape(r.source)}.</span></dd>' for r in rules.RULES)
    return (
        "<p>Chaque chiffre des rapports est un indicateur défini une seule fois ci-dessous et "
        "calculé une seule fois par exécution : il a la même valeur sur toutes les pages.</p>\n"
        f'<h2 id="indicateurs">Indicateurs</h2>\n<dl>{"".join(_entry(m) for m in measures)}</dl>\n'
        f'<h2 id="familles">Indicateurs par catégorie</h2>\n<dl>{families}</dl>\n'
        f'<h2 id="alertes">Alertes et phrases automatiques</h2>\n<p>{escape(THRESHOLDS_TEXT)}</p>\n'
        f'<h2 id="regles">Règles légales appliquées</h2>\n<dl>{law}</dl>\n')


def glossary_html(network: str, site: dict | None = None) -> str:
    """The glossary page: with the site's header when ``site`` is given, standalone otherwise."""
    if site is not None:
        from grc.reports.site import render_page

        return render_page(site, glossary_body())
    return (
        '<!DOCTYPE html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">\n'
        f"<title>Glossaire — {escape(network)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f'<header><p><a href="index.html">{escape(network)}</a></p></header>\n<main>\n'
        f"<h1>Glossaire des indicateurs</h1>\n{glossary_body()}</main>\n</body>\n</html>\n")


def write_glossary(reports_dir: Path, network: str, site: dict | None = None) -> Path:
    """Write ``glossaire.html`` at the root of the reports."""
    path = Path(reports_dir) / "glossaire.html"
    atomic_write_text(path, glossary_html(network, site))
    return path
