"""The measures layer: every figure defined once, one value per (measure, scope, year) on
every page of the demo network, summaries and glossary built from the same table."""

from __future__ import annotations

import html
import re
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest
from grc.measures.alerts import MIN_BASE, alerts
from grc.measures.catalogue import MEASURES, measure
from grc.measures.read import figure_html, read_measures

FIGURE = re.compile(r'data-measure="([^"]+)" data-scope="([^"]+)" data-year="(\d+)" '
                    r'data-value="([^"]*)"')


def test_every_fixed_measure_has_a_french_definition():
    for m in MEASURES.values():
        assert m.label and m.definition.endswith(".") and m.unit in {"nombre", "part", "euros", "note sur 10"}
    assert "anomalie" in measure("issue:npai").definition
    with pytest.raises(KeyError):
        measure("not_a_measure")


def test_figure_element_carries_raw_value_and_escapes():
    html = str(figure_html("retention", "<b>X</b>", 2025, 0.4567))
    assert 'data-measure="retention"' in html and 'data-value="0.4567"' in html
    assert "<b>" not in html and "45,7" in html


@pytest.mark.xdist_group("pipeline")
def test_one_value_per_measure_scope_and_year_on_every_page(reported):
    """Index, summaries and the four pages of every scope: one data-value per figure key."""
    values: dict[tuple, set[str]] = defaultdict(set)
    pages: dict[tuple, set[str]] = defaultdict(set)
    files = sorted((reported / "reports").rglob("*.html"))
    for f in files:
        for m in FIGURE.finditer(f.read_text(encoding="utf-8")):
            key = (html.unescape(m.group(1)), m.group(2), m.group(3))  # names may hold « ' »
            values[key].add(m.group(4))
            pages[key].add(str(f.relative_to(reported / "reports")))
    assert values, "no measure element on any page"
    conflicts = {k: v for k, v in values.items() if len(v) > 1}
    assert not conflicts
    # the pages' breakdown tables are drawn from measures too, cell by cell
    shown = {name.partition(":")[0] for name, _, _ in values}
    assert {"valid", "channel", "issue_share", "segment", "criterion", "family_clients",
            "product_stays", "department", "season", "rf", "rfm_amount",
            "family_retention", "rank_profile", "rank_recency"} <= shown, shown
    # the same figure really is shown on several pages (index, summary, workbook pages)
    key = ("contacts", "NETWORK", str(_year(reported)))
    assert {"index.html", "network/synthese.html", "network/dedoublonnage.html"} <= pages[key]
    # and every shown value is the stored one
    stored = read_measures(reported / "processed" / "network.duckdb")
    for (name, scope, year), vals in values.items():
        sel = stored[(stored["measure"] == name) & (stored["scope"] == scope)
                     & (stored["year"] == int(year))]
        want = "" if sel.empty or pd.isna(sel["value"].iloc[0]) else repr(float(sel["value"].iloc[0]))
        assert vals == {want}, (name, scope, year)


def _year(d: Path) -> int:
    import yaml

    return int(yaml.safe_load((d / "network.yaml").read_text(encoding="utf-8"))["year"])


@pytest.mark.xdist_group("pipeline")
def test_summaries_and_glossary(reported):
    rep = reported / "reports"
    codes = sorted(p.stem for p in (reported / "centres").glob("*.yaml"))
    for c in codes:
        html = (rep / "centres" / c / "synthese.html").read_text(encoding="utf-8")
        assert f"({c})" in html and "Les actions les plus utiles" in html
        for href in re.findall(r'href="([^"#]+)', html):
            assert (rep / "centres" / c / href).resolve().exists(), (c, href)
    glossary = (rep / "glossaire.html").read_text(encoding="utf-8")
    for m in MEASURES.values():
        assert f'id="{m.anchor}"' in glossary
    # a family's members (histogram bins, every figure of the quantile variant) land on its entry
    for name in ("pair_bin:match:3", "rank_profile:Champions", "rank_monetary:Champions"):
        assert f'id="{measure(name).anchor}"' in glossary, name
    assert "Bloctel" in glossary and "Source" in glossary
    assert 'href="glossaire.html"' in (rep / "index.html").read_text(encoding="utf-8")


def _frame(rows):
    return pd.DataFrame(rows, columns=["scope", "year", "measure", "value"])


def test_alerts_ignore_noise_and_flag_real_falls():
    base = [("A", 2024, "records", 200.0), ("A", 2025, "records", 200.0),
            ("A", 2024, "clients_year", 100.0), ("A", 2025, "clients_year", 90.0),
            ("NETWORK", 2025, "records", 2000.0)]
    fall = _frame(base + [("A", 2024, "retention", 0.44), ("A", 2025, "retention", 0.19)])
    found = alerts(fall, "A", 2025)
    assert [a.measure for a in found] == ["retention"] and found[0].tone == "bad"
    assert "baisse de 25,0\u00a0points" in found[0].text
    noise = _frame(base + [("A", 2024, "retention", 0.44), ("A", 2025, "retention", 0.40)])
    assert alerts(noise, "A", 2025) == []
    # a large fall on a tiny base (fewer than MIN_BASE clients last year) is not an alert
    tiny = _frame([("A", 2024, "clients_year", MIN_BASE - 1), ("A", 2024, "retention", 0.5),
                   ("A", 2025, "retention", 0.1)])
    assert alerts(tiny, "A", 2025) == []
    # a count falling from 6 to 3 is noise; from 200 to 120 is not
    small = _frame([("A", 2024, "clients_year", 6.0), ("A", 2025, "clients_year", 3.0)])
    assert alerts(small, "A", 2025) == []
    big = _frame([("A", 2024, "clients_year", 200.0), ("A", 2025, "clients_year", 120.0)])
    assert [a.tone for a in alerts(big, "A", 2025)] == ["bad"]


def test_a_rise_of_problems_names_the_check_behind_it_and_adds_up_as_shown():
    """The change is the difference of the two shares as printed (51,5 % → 45,7 % is 5,8
    points, not the 5,7 of the raw values) and a rise of problems says which problem makes it."""
    from grc.measures.alerts import points, points_text

    assert points(0.45724, 0.51546) == -5.8 and points_text(points(0.45724, 0.51546)) == "-5,8\u00a0pt"
    assert points_text(points(0.2, 0.2)) == "0,0\u00a0pt"
    rows = [("A", 2024, "records", 200.0), ("A", 2025, "records", 200.0),
            ("A", 2024, "issue_rate", 0.20), ("A", 2025, "issue_rate", 0.28),
            ("A", 2024, "issue:invalid_email", 30.0), ("A", 2025, "issue:invalid_email", 31.0),
            ("A", 2024, "issue:retention_expired", 0.0), ("A", 2025, "issue:retention_expired", 18.0)]
    (alert,) = alerts(_frame(rows), "A", 2025)
    assert alert.measure == "issue_rate" and alert.tone == "bad"
    assert "hausse de 8,0\u00a0points" in alert.text
    assert "Surtout « Durée de conservation dépassée" in alert.text
    assert "0 fiche l'an dernier, 18 fiches cette année (+9,0\u00a0pt)" in alert.text
    # spread over several problems: no single one is named
    spread = [r for r in rows if "retention_expired" not in r[2] and "invalid_email" not in r[2]] + [
        ("A", 2024, "issue:invalid_email", 30.0), ("A", 2025, "issue:invalid_email", 35.0),
        ("A", 2025, "issue:invalid_phone", 6.0), ("A", 2025, "issue:npai", 5.0)]
    (alert,) = alerts(_frame(spread), "A", 2025)
    assert "Surtout" not in alert.text


def test_every_issue_a_centre_fixes_has_an_action():
    from grc.measures.alerts import FIXES
    from grc.schema import CENTRE_FIXES, ISSUE_CODES

    assert CENTRE_FIXES <= set(FIXES) and set(FIXES) <= set(ISSUE_CODES)


def test_organisation_retention_follows_the_school_not_the_teacher():
    """A school that comes back with another teacher: per person one lost and one new client,
    per organisation a returning client (B2B loyalty where it lives)."""
    from grc.measures.metrics import _loyalty_measures

    stays = pd.DataFrame({
        "centre": ["C1", "C1", "C1"], "contact_id": ["teacher_a", "teacher_b", "family"],
        "arrival": pd.to_datetime(["2024-05-01", "2025-05-01", "2024-07-01"]),
        "organisation_id": ["SCHOOL", "SCHOOL", None]})
    m = _loyalty_measures(stays, ["C1"], 2025).pivot_table(
        index="centre", columns="metric", values="value", dropna=False)
    assert m.at["C1", "retention"] == 0.0  # nobody came back in person
    assert m.at["C1", "org_retention"] == 1.0 and m.at["C1", "org_returning"] == 1
    assert m.at["NETWORK", "org_clients_prev_year"] == 1  # the family is no organisation


JARGON = {
    "chemin de fichier": r"\b(?:params|data|processed|retours|cibles|exports)/|\.(?:csv|ya?ml|duckdb|py)\b",
    "commande": r"\bgrc (?:run|extract|check|history|map|returns|pdf|generate|purge)\b|--config",
    "module ou bibliothèque": r"\bgrc\.\w|\bgrc-workbooks\b|\b(?:phonenumbers|nbgrader|papermill|duckdb)\b"
                              r"|\b\w+_file\b",
    "empreinte": r"\b[0-9a-f]{12,}\b",
    "identifiant de contact": r"\bC[0-9a-f]{10}\b",
    "nom de champ": r"\b(?:contact_id|local_id|address1|postcode|optin_email|optin_phone|"
                    r"created_at|segment_local)\b",
    "jargon statistique": r"k-means|k-moyennes|silhouette|\bARI\b|log2|centrées-réduites",
    "année avec séparateur": r"(?:[Aa]nnée|[Ee]xercice|depuis|en|au)\s+2[\s\u00a0\u202f]0\d\d\b",
    "borne infinie": r"∞",
    "valeur brute": r"\b(?:None|NaN|NaT|True|False)\b|<NA>",
}


@pytest.mark.xdist_group("pipeline")
def test_reviewer_pages_speak_plain_french(reported):
    """No path, command, hash, id, field name, statistical jargon, raw value or badly written
    year on a reviewer's page (index, summaries, the scope pages, glossary, register)."""
    import html as html_lib

    rep = reported / "reports"
    pages = [rep / "index.html", rep / "glossaire.html", rep / "registre_traitements.html",
             *sorted((rep / "network").glob("*.html")),
             *sorted((rep / "centres").rglob("*.html"))]
    assert len(pages) > 10
    found = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
        text = re.sub(r"<img\b[^>]*>", " ", text)
        visible = html_lib.unescape(re.sub(r"<[^>]+>", " ", text))
        for what, pattern in JARGON.items():
            m = re.search(pattern, visible)
            if m:
                found.append((page.relative_to(rep).as_posix(), what,
                              visible[max(0, m.start() - 40):m.end() + 40]))
    assert found == []


@pytest.mark.xdist_group("pipeline")
def test_organisation_rfm_is_a_measure_shown_on_the_rfm_page(reported):
    import duckdb

    con = duckdb.connect(str(reported / "processed" / "network.duckdb"), read_only=True)
    orgs = con.execute("SELECT category, count(*) FROM scores_organisation WHERE scope = 'NETWORK' "
                       "GROUP BY 1").fetchall()
    stored = con.execute("SELECT measure, value FROM measures WHERE scope = 'NETWORK' AND "
                         "measure LIKE 'org_rfm:%' AND year = (SELECT max(year) FROM measures)"
                         ).fetchall()
    con.close()
    assert orgs and {f"org_rfm:{c}": float(n) for c, n in orgs} == dict(stored)
    html = (reported / "reports" / "network" / "rfm.html").read_text(encoding="utf-8")
    assert 'data-measure="org_rfm:' in html and "Organisations clientes par catégorie RFM" in html


def test_satisfaction_measures_with_and_without_survey():
    """The "Contrôler" step: surveys sent, answers, response rate, mean score and the score of
    the clients who came back; a scope whose exports carry no survey gets no row."""
    from grc.measures.metrics import _satisfaction_measures

    stays = pd.DataFrame({
        "centre": ["A"] * 5 + ["B"] * 2,
        "contact_id": ["k1", "k2", "k1", "k3", "k4", "k5", "k5"],
        "arrival": pd.to_datetime(["2024-05-01", "2024-06-01", "2025-05-01", "2025-06-01",
                                   "2025-07-01", "2024-05-01", "2025-05-01"]),
        "satisfaction": [9.0, 4.0, 8.0, None, 6.0, None, None],
        "surveyed": ["oui", "oui", "oui", "oui", "non", None, None]})
    segments = pd.DataFrame({"contact_id": ["k1", "k2", "k3", "k4", "k5"],
                             "segment": ["SCO-PRIM", "IND-FAM", "SCO-PRIM", "IND-FAM", "SPO-CLUB"]})
    m = _satisfaction_measures(stays, ["A", "B"], 2025, segments)
    a = m[m["centre"] == "A"].set_index("metric")["value"]
    # 2025 at A: k1 answered 8, k3 surveyed without answer, k4 not surveyed but answered 6
    assert a["surveys_sent"] == 3 and a["survey_answers"] == 2
    assert a["survey_response_rate"] == pytest.approx(2 / 3)
    assert a["satisfaction_mean"] == pytest.approx(7.0) and a["satisfaction:SCO-PRIM"] == 8.0
    # 2024 scores of the clients who came back (k1: 9) and of those who did not (k2: 4)
    assert a["satisfaction_returning"] == 9.0 and a["satisfaction_not_returning"] == 4.0
    assert "B" not in set(m["centre"])  # no survey in B's exports: no figure, pages say so
    assert _satisfaction_measures(stays.drop(columns=["satisfaction", "surveyed"]), ["A"], 2025,
                                  segments).empty


@pytest.mark.xdist_group("pipeline")
def test_every_link_to_the_glossary_lands_on_an_entry(reported):
    """A figure's link goes to its definition: the glossary has an entry for every anchor the
    pages link to (a family's member, e.g. one RFM category, links to its family's entry)."""
    rep = reported / "reports"
    ids = set(re.findall(r'\bid="([^"]+)"', (rep / "glossaire.html").read_text(encoding="utf-8")))
    missing = set()
    for page in rep.rglob("*.html"):
        for anchor in re.findall(r'glossaire\.html#([^"]+)"', page.read_text(encoding="utf-8")):
            if anchor not in ids:
                missing.add((page.relative_to(rep).as_posix(), anchor))
    assert len(ids) > 30 and sorted(missing)[:10] == []
