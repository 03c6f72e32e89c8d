"""Hostile exports, injection family: nothing from an export runs in Excel or in a page.

A contact named ``=HYPERLINK(…)`` (or starting with ``+``, ``-``, ``@``) stays text in the
return files, ``exports/*.csv`` and ``grc extract`` files (CSV: a leading apostrophe; xlsx: a
text cell); names from exports or configuration are escaped in the pages.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import nbformat
import pandas as pd
from openpyxl import load_workbook

from tests.hostile import (  # noqa: F401
    by_software,
    export_file,
    hostile_base_fixture,
    net_fixture,
    run,
    set_cell,
)

EVIL = '=HYPERLINK("http://evil.example","x")'
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cells(path: Path, sep: str = ",") -> list[str]:
    text = path.read_text(encoding="utf-8-sig")
    return [c for row in csv.reader(io.StringIO(text, newline=""), delimiter=sep) for c in row]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _assert_csv_safe(path: Path, sep: str = ",") -> list[str]:
    cells = _csv_cells(path, sep)
    bad = [c for c in cells if c.startswith(FORMULA_START) and not _is_number(c)]
    assert not bad, (path.name, bad[:5])
    return cells


def _xlsx_values(path: Path) -> list:
    wb = load_workbook(path)
    out = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (path.name, ws.title, cell.coordinate, cell.value)
                out.append(cell.value)
    return out


def test_formula_like_values_stay_text_in_every_file_written(net, capsys):
    code = by_software(net)["hestia"]
    contacts = export_file(net, code)
    set_cell(contacts, "cp1252", ";", 2, "NOM", EVIL)
    set_cell(contacts, "cp1252", ";", 2, "ORGANISME", "+cmd|' /C calc'!A0")
    set_cell(contacts, "cp1252", ";", 2, "FONCTION", "@SUM(1+1)")
    set_cell(contacts, "cp1252", ";", 3, "EMAIL", EVIL)  # invalid e-mail: shown in the return file

    rc, _, err = run(net, capsys)
    assert rc == 0, err
    # return file: the value received is there, as a text cell
    ret = net / "processed" / "retours" / f"{code}.xlsx"
    assert EVIL in _xlsx_values(ret)
    # exports/*.csv: neutralised with a leading apostrophe
    exports = net / "processed" / "exports"
    files = sorted(exports.glob("*.csv"))
    assert {"contacts.csv", "quality_issues.csv", "record_links.csv"} <= {p.name for p in files}
    cells = [c for p in files for c in _assert_csv_safe(p)]
    hyper = [c for c in cells if "hyperlink" in c.lower()]
    assert any(c.startswith("'=") for c in hyper), hyper[:5]
    # grc extract, CSV and xlsx: the same contacts, nothing live
    from grc.cli import main

    for name in ("x.csv", "x.xlsx"):
        out = net / name
        assert main(["extract", "--config", str(net / "network.yaml"), "--centre", code,
                     "--out", str(out)]) == 0
        if name.endswith(".csv"):
            cells = _assert_csv_safe(out, ";")
            _assert_csv_safe(out.with_name("x_exclusions.csv") if out.with_name("x_exclusions.csv").exists()
                             else out, ";")
            assert not any(c.startswith("''") for c in cells)  # read back from exports: no double mark
        else:
            values = _xlsx_values(out)
            assert not any(isinstance(v, str) and v.startswith("'=") for v in values)


def test_write_extract_keeps_text_as_text():
    from grc.campaigns.extract import ExtractResult, write_extract

    class Sel:
        def describe(self) -> str:
            return "test"

    frame = pd.DataFrame({"contact_id": ["C1", "C2"], "last_name": [EVIL, "-1+2"],
                          "organisation": ["@x", "Normal"], "phone_e164": ["+33612345678", None]})
    res = ExtractResult(frame, pd.DataFrame(columns=["reason", "motif", "contacts"]), 2, Sel(),
                        dt.date(2025, 12, 31), "")
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        x = write_extract(res, Path(tmp) / "e.xlsx")
        values = _xlsx_values(x)
        assert EVIL in values and "-1+2" in values and "+33612345678" in values
        c = write_extract(res, Path(tmp) / "e.csv")
        cells = _assert_csv_safe(c, ";")
        assert "'" + EVIL in cells and "'+33612345678" in cells


def test_exports_read_back_by_our_programs_get_their_values():
    import tempfile

    from grc.safefiles import restore_csv, write_csv

    frame = pd.DataFrame({"a": [EVIL, "+33612345678", "plain", None], "n": [-1.5, 2, 3, 4]})
    with tempfile.TemporaryDirectory() as tmp:
        write_csv(frame, Path(tmp) / "f.csv")
        back = restore_csv(pd.read_csv(Path(tmp) / "f.csv", dtype={"a": str}))
    assert back["a"].tolist()[:3] == [EVIL, "+33612345678", "plain"] and back["n"].tolist()[0] == -1.5


def test_names_are_escaped_in_pages(tmp_path):
    from grc.reports import views_marketing as vm
    from grc.reports.charts import heat_table, md_text, table
    from grc.reports.runner import NotebookJob, render_html

    script = "<script>alert(1)</script>"
    img = "<img src=x onerror=alert(2)>"
    frame = pd.DataFrame({"Centre": [script], "Produit": [img], "Séjours": [3]})
    heat = pd.DataFrame({"janv.": [1]}, index=pd.Index([script], name="segment"))
    outputs = [
        nbformat.v4.new_output("display_data", data={"text/html": table(frame, caption=img)._repr_html_(),
                                                     "text/plain": "table"}),
        nbformat.v4.new_output("display_data", data={"text/html": heat_table(heat)._repr_html_(),
                                                     "text/plain": "heat"}),
        nbformat.v4.new_output("display_data", data={
            "text/markdown": vm.note(f"**{md_text(script)}** : {img}")._repr_markdown_(),
            "text/plain": "note"}),
    ]
    cell = nbformat.v4.new_code_cell("display(x)", outputs=outputs)
    nb = nbformat.v4.new_notebook(cells=[cell])
    job = NotebookJob(tmp_path / "01_qualification.ipynb", {"centre": "X"}, tmp_path / "p.html",
                      {"network": img, "centre": f"{script} (X)", "year": 2025, "title": f"Q {script}",
                       "run_date": "2026-01-01", "data_version": "abc"})
    html = render_html(nb, job, with_code=False)
    assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
