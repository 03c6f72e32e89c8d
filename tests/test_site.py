"""The report site without a browser: page list, navigation of each page, page finishing."""

from __future__ import annotations

import re

import pytest
from grc.reports import page_html
from grc.reports.site import NETWORK, SiteMap, load_pages, relative_href

PAGES = load_pages()
SITE = SiteMap("Réseau Démo", 2025, (("LAT", "Centre de Lathus"), ("AUR", "Village d'Auray & co")), PAGES)


def test_page_list_is_declared_once_and_read_by_the_runner():
    from grc.pipeline import run

    assert [p.page for p in PAGES.scope_pages] == ["synthese", "qualification", "dedoublonnage",
                                                   "segmentation", "rfm"]
    assert run.SCOPE_NOTEBOOKS == PAGES.scope_notebooks()
    assert ("01_qualification.ipynb", "Qualification", "qualification") in run.SCOPE_NOTEBOOKS
    assert run.EDITIONS == [("eleve", "édition élève"), ("formateur", "édition formateur")]
    assert {p.page for p in PAGES.root_pages} >= {"glossaire", "registre_traitements"}


def test_bad_page_list_is_explained(tmp_path):
    bad = tmp_path / "pages.yaml"
    bad.write_text("scope_pages:\n  - label: Sans nom\n", encoding="utf-8")
    with pytest.raises(ValueError, match="« page » et « label »"):
        load_pages(bad)


def test_centre_page_header():
    h = SITE.header("centres/LAT/qualification.html", "Qualification", scope="LAT", page="qualification")
    assert h["tab_title"] == "Qualification — Centre de Lathus (LAT)"
    assert (h["network"], h["scope"], h["year"]) == ("Réseau Démo", "Centre de Lathus (LAT)", 2025)
    assert h["index"]["href"] == "../../index.html"
    assert [link["href"] for link in h["scope_links"]] == [
        "synthese.html", "qualification.html", "dedoublonnage.html", "segmentation.html", "rfm.html"]
    assert [link["current"] for link in h["scope_links"]] == [False, True, False, False, False]
    assert h["network_links"][0]["href"] == "../../network/synthese.html"
    # the picker goes to the same page of the other centres
    assert [link["href"] for link in h["centres"]] == ["qualification.html", "../AUR/qualification.html"]
    assert h["glossary"]["href"] == "../../glossaire.html"
    assert [c["label"] for c in h["breadcrumb"]] == ["Réseau Démo", "Centre de Lathus (LAT)", "Qualification"]
    assert h["breadcrumb"][-1]["href"] is None
    assert h["prev"] == {"label": "Synthèse — Centre de Lathus (LAT)", "href": "synthese.html"}
    assert h["next"]["href"] == "dedoublonnage.html"


def test_chain_of_pages_and_other_scopes():
    last_network = SITE.header("network/rfm.html", "RFM", scope=NETWORK, page="rfm")
    assert last_network["scope"] == "Ensemble du réseau" and last_network["network_links"] == []
    assert last_network["next"]["href"] == "../centres/LAT/synthese.html"
    index = SITE.header("index.html", "Sommaire des rapports")
    assert index["prev"] is None and index["next"]["href"] == "network/synthese.html"
    assert index["breadcrumb"] == [{"label": "Réseau Démo", "href": None}]
    assert [link["href"] for link in index["centres"]] == ["centres/LAT/synthese.html", "centres/AUR/synthese.html"]
    course = SITE.header("cours/exercice_eleve.html", "Exercice", scope_label="Cours BTS NDRC")
    assert course["tab_title"] == "Exercice — Cours BTS NDRC"
    assert "../registre_traitements.html" in [d["href"] for d in course["documents"]]
    assert relative_href("index.html", "centres/LAT/rfm.html") == "../../index.html"


def test_tables_are_boxed_numbers_right_aligned():
    page = (
        "<header><h1>T</h1></header><main>" + page_html.TOC_MARK + "<h2 id=\"a\">Première partie"
        '<a class="anchor-link" href="#a">¶</a></h2><table><thead><tr><th>Action</th><th>Clients</th>'
        "</tr></thead><tbody><tr><td>Relancer l'école</td><td>1 234</td></tr>"
        "<tr><td>Écrire</td><td>–</td></tr></tbody></table>"
        "<h2>Seconde</h2><table><caption>Parts \"x\"</caption><thead><tr><th class=\"blank\">&nbsp;</th>"
        "<th>Part</th></tr></thead><tbody><tr><th>A</th><td class=\"data\">12,5 %</td>"
        "</tr></tbody></table>" + "<table><tbody><tr><td>x</td></tr></tbody></table>" * 2 + "</main>"
    )
    out = page_html.finish_page(page)
    assert out.count('class="grc-table-box" role="region" tabindex="0"') == 4
    assert 'aria-label="Seconde"' in out and 'aria-label="Seconde (tableau 2)"' in out  # unique names
    assert 'aria-label="Première partie"' in out and "aria-label=\"Parts 'x'\"" in out
    assert '<th class="num">Clients</th>' in out and "<th>Action</th>" in out
    assert '<td class="num">1 234</td>' in out and "<td>Relancer l'école</td>" in out
    assert '<td class="data num">12,5 %</td>' in out
    assert '<td class="blank">&nbsp;</td><th class="num">Part</th>' in out  # empty corner: not a header
    toc = re.search(r'<nav aria-label="Sommaire de la page" class="grc-toc".*?</nav>', out).group(0)
    assert '<a href="#a">Première partie</a>' in toc and '<a href="#section-2">Seconde</a>' in toc
    assert '<h2 id="section-2">Seconde</h2>' in out
    assert page_html.finish_page(page) == out  # deterministic


def test_heatmap_text_colours_made_readable():
    css = "#T_a { background-color: #1a9850; color: #f1f1f1; }\n#T_b { background-color: #006837; color: #f1f1f1; }"
    out = page_html.readable_colours(css)
    assert "#T_a { background-color: #1a9850; color: #000000; }" in out
    assert "#T_b { background-color: #006837; color: #f1f1f1; }" in out  # already readable
    for bg, fg in re.findall(r"background-color: #(\w+); color: #(\w+)", out):
        assert page_html.contrast(bg, fg) >= 4.5
