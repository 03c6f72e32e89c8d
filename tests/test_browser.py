"""Reports in a real browser: headless Chromium opens the index and the pages offline."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from grc.reports.browser_check import check_reports_in_browser, find_chromium
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
        msg = "Chromium (/usr/bin/chromium) ou playwright absent : `make chromium`"
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
