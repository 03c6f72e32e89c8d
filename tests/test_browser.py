"""Reports in a real browser: headless Chromium opens the index and the pages offline."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import unquote

import nbformat
import pandas as pd
import pytest
from grc.reports.browser_check import (
    RESERVED_PAGES,
    WIDTHS,
    check_pages_in_browser,
    check_reports_in_browser,
    find_axe,
    find_chromium,
)
from grc.reports.index_page import write_index
from grc.reports.runner import NotebookJob, run_notebooks
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

CELLS = [
    "import matplotlib.pyplot as plt\nimport pandas as pd",
    "df = pd.DataFrame({'segment': ['Scolaires', 'Sportifs'], 'contacts': [1200, 340]})\ndf",
    "fig, ax = plt.subplots(figsize=(4, 3))\nax.bar(df['segment'], df['contacts'])\n"
    "ax.set_title(f'Contacts par segment : {centre}')\nplt.show()",
]


def _require_chromium() -> None:
    missing = find_chromium() is None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing = True
    if missing:
        _missing("Chromium (/usr/bin/chromium) ou playwright absent : `make chromium`")


def _missing(msg: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(msg)
    pytest.skip(msg)


def _notebook(path: Path) -> Path:
    params = new_code_cell('config = "params/network.yaml"\ncentre = "NETWORK"')
    params.metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=[new_markdown_cell("# Segments\nRépartition des contacts."), params])
    nb.cells += [new_code_cell(c) for c in CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def test_reports_render_in_chromium(tmp_path):
    _require_chromium()
    notebook = _notebook(tmp_path / "notebooks" / "03_segments.ipynb")
    reports = tmp_path / "reports"
    header = {"network": "Réseau Démo", "year": 2025, "run_date": "2025-11-22", "data_version": "v1"}
    jobs = [
        NotebookJob(
            notebook,
            {"centre": code},
            reports / ("network" if code == "NETWORK" else f"centres/{code}") / "03_segments.html",
            {**header, "centre": label, "title": "Segments", "index_href": index_href},
            "h",
        )
        for code, label, index_href in [
            ("NETWORK", "Réseau", "../index.html"),
            ("C01", "C01 : Le Chalet", "../../index.html"),
        ]
    ]
    results = run_notebooks(jobs, n_jobs=2, force=False, with_code=False,
                            manifest_path=reports / ".manifest.json", progress=False,
                            preload=("pandas", "matplotlib.pyplot"))
    assert [r.status for r in results] == ["ok", "ok"], [r.error for r in results]

    centres = pd.DataFrame({"code": ["C01"], "name": ["Le Chalet"], "contacts": [1540],
                            "qualified_share": [0.91], "duplicates": [12], "status": ["ok"],
                            "message": [""]})
    network = {"name": "Réseau Démo", "year": 2025, "contacts": 1540, "qualified_share": 0.91,
               "segment_mix": {"SCO": 1200, "SPO": 340}, "rfm_categories": {"Fidèles": 40}}
    pages = {"NETWORK": [("Segments", "network/03_segments.html")],
             "C01": [("Segments", "centres/C01/03_segments.html")]}
    write_index(reports / "index.html", network, centres, pages)

    report = check_reports_in_browser(reports)
    assert report["pages"] == ["index.html", "network/03_segments.html", "centres/C01/03_segments.html"]
    assert report["images"] == 2  # one plot per page, all decoded
    assert report["broken_images"] == []
    assert report["console_errors"] == []
    assert report["external_requests"] == []
    assert report["broken_links"] == [] and report["external_links"] == []
    assert report["links"] >= 4  # index → pages, pages → index
    assert report["ok"]
    shots = sorted(Path(p).name for p in report["screenshots"])
    assert shots == ["centres__C01__03_segments.png", "index.png", "network__03_segments.png"]
    for shot in report["screenshots"]:
        assert Path(shot).parent == reports / "screenshots"
        assert Path(shot).stat().st_size > 5_000


def test_broken_things_are_reported(tmp_path):
    _require_chromium()
    page = tmp_path / "index.html"
    page.write_text(
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>x</title></head><body>'
        '<a href="absent.html">absent</a><img src="absent.png" alt="">'
        '<img src="http://example.invalid/x.png" alt=""><script>console.error("boum")</script>'
        "</body></html>",
        encoding="utf-8",
    )
    report = check_reports_in_browser(tmp_path)
    assert not report["ok"]
    assert [href for _, href in report["broken_links"]] == ["absent.html"]
    assert len(report["broken_images"]) == 2
    assert [url for _, url in report["external_requests"]] == ["http://example.invalid/x.png"]
    assert any("boum" in text for _, text in report["console_errors"])


# --------------------------------------------------------------------------- the demo site

pytestmark = pytest.mark.xdist_group("pipeline")


@pytest.fixture(scope="module")
def demo_site(small_base, tmp_path_factory) -> Path:
    """The small demo network (4 centres) with every page made by `grc run`."""
    from grc.cli import main

    d = tmp_path_factory.mktemp("site") / "net"
    shutil.copytree(small_base, d)
    assert main(["run", "--config", str(d / "network.yaml"), "--jobs", "2", "--quiet"]) == 0
    return d


def _page_types(reports: Path, codes: list[str]) -> dict[Path, str]:
    """Each page type to open (index, network, two centres, course, documents) → text of its title."""
    from grc.config import load_config
    from grc.reports.site import load_pages, scope_page_path

    cfg = load_config(reports.parent / "network.yaml")
    pages = load_pages()
    wanted = {reports / "index.html": cfg.network}
    for scope, name in [("NETWORK", "Ensemble du réseau"),
                        *((c, f"{cfg.centre(c).name} ({c})") for c in codes[:2])]:
        for p in pages.scope_pages:
            wanted[reports / scope_page_path(scope, p.page)] = name
    for edition, _ in pages.course.editions:
        wanted[reports / pages.course.path(edition)] = pages.course.network
    for p in pages.root_pages:
        wanted[reports / f"{p.page}.html"] = cfg.network
    return wanted


def test_demo_site_in_chromium_at_two_widths(demo_site):
    """Every page type at 1 366 and 390 px: navigation whose links resolve, the scope in the tab
    title, nothing wider than the screen outside a table's box, no serious or critical axe-core
    violation, no console error, no request out of the folder; screenshots kept."""
    _require_chromium()
    axe = find_axe()
    if axe is None:
        _missing("axe-core absent (.cache/axe) : `make axe`")
    reports = demo_site / "reports"
    codes = sorted(p.stem for p in (demo_site / "centres").glob("*.yaml"))
    wanted = _page_types(reports, codes)
    absent = sorted(p.relative_to(reports).as_posix() for p in wanted if not p.exists())
    # every page type exists: summaries and glossary included
    assert absent == [], absent
    pages = [p for p in wanted if p.exists()]
    centre = next(p for p in (reports / f"centres/{codes[0]}/{n}" for n in ("synthese.html", "qualification.html"))
                  if p.exists())
    shots = demo_site / "reports" / "screenshots"
    report = check_pages_in_browser(pages, root=reports, widths=WIDTHS, site=True, axe=axe,
                                    titles={p: wanted[p] for p in pages}, screenshot_dir=shots,
                                    screenshot_pages=[reports / "index.html", centre])
    print(f"\nCaptures d'écran : {shots}")
    if absent:
        print("Pages absentes (faites par une autre étape), liens non vérifiés : " + ", ".join(absent))
    assert report["widths"] == [1366, 390] and len(report["pages"]) == len(pages) >= 14
    assert report["missing_nav"] == []
    assert report["bad_titles"] == []
    assert report["broken_links"] == [] and report["external_links"] == []
    assert all(Path(href).name in RESERVED_PAGES and not (reports / page).parent.joinpath(href).exists()
               for page, href in report["reserved_missing"])
    assert report["overflow"] == []
    assert report["axe_pages"] == len(pages) and report["axe_violations"] == []
    assert report["console_errors"] == [] and report["external_requests"] == []
    assert report["broken_images"] == [] and report["images"] > 0
    assert report["ok"]
    assert sorted(Path(s).name for s in report["screenshots"]) == sorted(
        f"{stem}-{w}.png" for stem in ("index", f"centres__{codes[0]}__{centre.stem}") for w in WIDTHS)
    for shot in report["screenshots"]:
        assert Path(shot).stat().st_size > 20_000
    if os.environ.get("GRC_SCREENSHOTS_COPY"):  # e.g. a review folder
        out = Path(os.environ["GRC_SCREENSHOTS_COPY"])
        out.mkdir(parents=True, exist_ok=True)
        for shot in report["screenshots"]:
            shutil.copy2(shot, out / Path(shot).name)


def test_demo_site_tables_sort_and_download(demo_site):
    """Sorting by keyboard (a button in the header cell) and the CSV download work offline."""
    _require_chromium()
    from grc.reports.browser_check import CHROMIUM_ARGS
    from playwright.sync_api import sync_playwright

    page_path = demo_site / "reports" / "index.html"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(accept_downloads=True, viewport={"width": 1366, "height": 900})
            page = context.new_page()
            page.goto(page_path.as_uri())
            table = page.locator("#centres-table")
            codes = table.locator("tbody tr td:first-child").all_inner_texts()
            button = table.locator("thead th button.grc-sort").first
            button.focus()
            page.keyboard.press("Enter")
            assert table.locator("thead th").first.get_attribute("aria-sort") == "ascending"
            assert table.locator("tbody tr td:first-child").all_inner_texts() == sorted(codes)
            page.keyboard.press("Enter")
            assert table.locator("tbody tr td:first-child").all_inner_texts() == sorted(codes, reverse=True)
            box = page.locator(".grc-table-box", has=page.locator("#centres-table"))
            assert box.get_attribute("role") == "region" and box.get_attribute("tabindex") == "0"
            with page.expect_download() as info:
                page.locator(".grc-table-tools button", has_text="CSV").last.click()
            csv = Path(info.value.path()).read_text(encoding="utf-8-sig")
            assert info.value.suggested_filename == "centres-du-reseau.csv"
            head = csv.splitlines()[0].split(";")
            assert head[0] == "Code" and len(csv.splitlines()) == len(codes) + 1

            # a centre page: menus close with Escape, the table of contents leads to its section,
            # printing hides the navigation and lets wide tables run over the page
            codes_dir = sorted((demo_site / "reports" / "centres").iterdir())[0]
            page.goto((codes_dir / "qualification.html").as_uri())
            menu = page.locator("details.grc-picker")
            menu.locator("summary").click()
            assert menu.evaluate("d => d.open")
            page.keyboard.press("Escape")
            assert not menu.evaluate("d => d.open")
            toc = page.locator("nav.grc-toc a").nth(3)  # after « Chiffres clés », 1. and 2.
            target = toc.get_attribute("href")
            toc.click()
            reached = page.evaluate("() => document.querySelector(':target') && document.querySelector(':target').id")
            assert reached in (target[1:], unquote(target[1:])) and reached.startswith("3.")
            # a number column of a notebook table sorts by value (French formats: "1 234", "12,5 %")
            button = page.locator(".grc-table-box thead th.num button.grc-sort").first
            button.click()
            values = button.evaluate("""b => {
                const th = b.closest('th'), table = b.closest('table');
                return Array.from(table.tBodies[0].rows, r => r.cells[th.cellIndex].textContent.trim());
            }""")
            numbers = [float(v.replace("\u202f", "").replace("\xa0", "").replace(" ", "").rstrip("%")
                             .replace(",", ".")) for v in values if v not in ("", "–")]
            assert len(numbers) >= 2 and numbers == sorted(numbers), values
            page.emulate_media(media="print")
            assert page.locator("nav.grc-nav").evaluate("e => getComputedStyle(e).display") == "none"
            assert page.locator(".grc-table-box").first.evaluate("e => getComputedStyle(e).overflowX") == "visible"
            context.close()
        finally:
            browser.close()


def test_student_edition_comes_with_its_workbook_not_the_answer_key(demo_site):
    """The exercise's static page says where the exercise is done and links to the student's
    workbook, copied beside it; the answer key never enters the site."""
    reports = demo_site / "reports"
    page = (reports / "cours" / "exercice_eleve.html").read_text(encoding="utf-8")
    assert 'href="marielle_nature.xlsx" download' in page and "dans Excel" in page
    copied = reports / "cours" / "marielle_nature.xlsx"
    assert copied.read_bytes() == (Path(__file__).parents[1] / "data" / "course" /
                                   "marielle_nature.xlsx").read_bytes()
    assert not list(reports.rglob("*corrige*"))
    assert "marielle_nature.xlsx" not in (reports / "cours" / "exercice_formateur.html").read_text(
        encoding="utf-8").split("<main")[0]
