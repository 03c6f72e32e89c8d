"""End to end: `grc run` on a small network writes every page, privately, incrementally,
and the pages work in a real browser."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pandas as pd
import pytest
from grc.cli import main

pytestmark = pytest.mark.xdist_group("pipeline")

PAGES = ["qualification", "dedoublonnage", "segmentation", "rfm"]


def _pages(d: Path) -> list[Path]:
    return sorted((d / "reports").rglob("*.html"))


def test_every_page_and_index(reported):
    codes = sorted(p.stem for p in (reported / "centres").glob("*.yaml"))
    for page in PAGES:
        assert (reported / "reports" / "network" / f"{page}.html").exists()
        for c in codes:
            assert (reported / "reports" / "centres" / c / f"{page}.html").exists(), (c, page)
    # every workbook shows its charts (figures left open at the end of a cell included); the
    # qualification pages draw theirs as in-cell bars of their tables (no figure)
    for page in PAGES:
        html = (reported / "reports" / "network" / f"{page}.html").read_text(encoding="utf-8")
        if page == "qualification":
            assert "linear-gradient" in html and "Fiches joignables par canal" in html, page
        else:
            assert "<img" in html, page
    index = (reported / "reports" / "index.html").read_text(encoding="utf-8")
    for c in codes:  # the index leads to each centre's summary, which leads to its pages
        assert f"centres/{c}/synthese.html" in index
        summary = (reported / "reports" / "centres" / c / "synthese.html").read_text(encoding="utf-8")
        assert 'href="qualification.html"' in summary
    assert (reported / "reports" / "registre_traitements.html").exists()
    assert (reported / "reports" / "cours" / "exercice_eleve.html").exists()
    assert (reported / "reports" / "cours" / "exercice_formateur.html").exists()


def _truth(d: Path) -> pd.DataFrame:
    return pd.read_csv(d / "truth" / "entities.csv", dtype=str)


def test_no_personal_data_in_any_page(reported):
    ent = _truth(reported)
    emails = {e.lower() for e in ent["email"].dropna()}
    phones = {p for p in pd.concat([ent["phone"], ent["mobile"]]).dropna()}
    names = {f"{f} {n}" for f, n in zip(ent["first_name"], ent["last_name"], strict=True)}
    for page in _pages(reported):
        html = page.read_text(encoding="utf-8")
        low = html.lower()
        digits = re.sub(r"\D", "", html)
        for e in emails:
            assert e not in low, (page, "e-mail")
        for p in phones:
            assert p not in digits and ("33" + p[1:]) not in digits, (page, "téléphone")
        for n in names:
            assert n not in html, (page, "nom")


def test_centre_pages_hold_no_other_centre_client(reported):
    """A centre page never shows a client identifier of another centre's records."""
    links = pd.read_csv(reported / "processed" / "exports" / "record_links.csv", dtype=str)
    by_centre = links.groupby("centre")["contact_id"].agg(set)
    for code, own in by_centre.items():
        others = set().union(*(v for c, v in by_centre.items() if c != code)) - own
        for page in (reported / "reports" / "centres" / code).glob("*.html"):
            html = page.read_text(encoding="utf-8")
            leaked = [cid for cid in others if cid in html]
            assert not leaked, (page, leaked[:3])


def test_pages_self_contained(reported):
    for page in _pages(reported):
        html = page.read_text(encoding="utf-8")
        assert not re.search(r"<script[^>]+src=", html), page
        assert not re.search(r"""(?:src|href)=["']https?://""", html), page


def test_unchanged_rerun_skips_and_one_centre_recomputes_only_itself(reported):
    manifest = reported / "processed" / "reports_manifest.json"
    before = json.loads(manifest.read_text())["outputs"]
    assert main(["run", "--config", str(reported / "network.yaml"), "--quiet"]) == 0
    after = json.loads(manifest.read_text())["outputs"]
    assert {k: v["finished"] for k, v in before.items()} == {k: v["finished"] for k, v in after.items()}
    # fix one centre's export (a phone written another way) and re-run that centre only
    from grc.config import load_config

    cfg = load_config(reported / "network.yaml")
    code = next(c for c in cfg.centre_codes()
                if not cfg.centre(c).exports["contacts"]["file"].endswith(".xlsx"))
    spec = cfg.centre(code).exports["contacts"]
    f = cfg.export_dir(code) / spec["file"]
    df = pd.read_csv(f, sep=spec["sep"], encoding=spec["encoding"], dtype=str, keep_default_na=False)
    phone_col = next(k for k, v in cfg.centre(code).columns["contacts"].items() if v == "phone")
    i = df.index[df[phone_col].str.count(r"\d") == 10][0]
    df.loc[i, phone_col] = re.sub(r"\D", "", df.loc[i, phone_col])
    df.loc[i, phone_col] = ".".join(df.loc[i, phone_col][j:j + 2] for j in range(0, 10, 2))
    df.to_csv(f, sep=spec["sep"], encoding=spec["encoding"], index=False, lineterminator="\r\n")
    assert main(["run", "--config", str(reported / "network.yaml"), "--centre", code, "--quiet"]) == 0
    final = json.loads(manifest.read_text())["outputs"]
    changed = {k for k in final if final[k]["finished"] != after.get(k, {}).get("finished")}
    assert any(code in k for k in changed)
    assert all(f"centres/{code}/" in k or k.startswith("network") or "/network/" in k
               for k in changed), changed


def test_reports_in_real_browser(reported):
    from grc.reports.browser_check import check_reports_in_browser, find_chromium

    if find_chromium() is None and os.environ.get("CI") != "true":
        pytest.skip("chromium absent (installé par make test)")
    res = check_reports_in_browser(reported / "reports", max_pages=12)
    assert res["ok"], {k: v for k, v in res.items() if k != "ok"}
    assert list((reported / "reports" / "screenshots").glob("*.png"))


def test_warm_kernel_pages_equal_fresh_kernel_pages(reported, tmp_path):
    """Speed must not cost reproducibility: real pages made in a warm kernel (after other
    notebooks ran in it) are byte-identical to pages made by papermill in a fresh kernel."""
    import dataclasses

    from grc.config import load_config
    from grc.pipeline.run import _scope_hashes, build_jobs
    from grc.reports.runner import run_notebooks

    cfg = load_config(reported / "network.yaml")
    jobs = build_jobs(cfg, _scope_hashes(cfg))
    code = cfg.centre_codes()[-1]
    chosen = [j for j in jobs if f"centres/{code}/" in str(j.html_out)
              and j.html_out.stem in ("qualification", "segmentation")]
    assert len(chosen) == 2
    fresh = [dataclasses.replace(j, html_out=tmp_path / j.html_out.name) for j in chosen]
    res = run_notebooks(fresh, n_jobs=1, kernel="fresh", manifest_path=tmp_path / "m.json",
                        progress=False)
    assert all(r.status == "ok" for r in res), [r.error for r in res]
    for warm, new in zip(chosen, fresh, strict=True):
        if warm.html_out.read_bytes() != new.html_out.read_bytes():  # say where they differ
            import difflib

            diff = difflib.unified_diff(warm.html_out.read_text(encoding="utf-8").splitlines(),
                                        new.html_out.read_text(encoding="utf-8").splitlines(),
                                        lineterm="", n=0)
            raise AssertionError(warm.html_out.name + "\n" + "\n".join(list(diff)[:12]))


def test_one_pdf_per_centre(reported):
    """``grc pdf`` prints a centre's summary and four pages into one PDF (headless Chromium)."""
    from grc.reports.browser_check import find_chromium

    if find_chromium() is None:
        pytest.skip("Chromium absent (make test l'installe)")
    from pypdf import PdfReader

    code = sorted(p.stem for p in (reported / "centres").glob("*.yaml"))[0]
    assert main(["pdf", "--config", str(reported / "network.yaml"), "--centre", code,
                 "--quiet"]) == 0
    pdf = PdfReader(reported / "reports" / "pdf" / f"{code}.pdf")
    assert len(pdf.pages) >= 5
    text = " ".join(p.extract_text() for p in pdf.pages[:2])
    assert "Synthèse" in text and code in text
    assert main(["pdf", "--config", str(reported / "network.yaml"), "--centre", "ZZZ"]) == 1
