"""The data-quality workbooks (01 qualification, 02 deduplication) run on a small base for a
centre and for the network, and their outputs hold no raw personal data."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.xdist_group("notebooks")

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
BOOKS = ["01_qualification", "02_deduplication"]


def _output_text(nb: dict) -> str:
    parts: list[str] = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                parts.append("".join(out.get("text", "")))
            for mime in ("text/plain", "text/html", "text/markdown"):
                val = out.get("data", {}).get(mime)
                if val:
                    parts.append("".join(val) if isinstance(val, list) else val)
    return "\n".join(parts)


def _phone_pattern(raw: str) -> re.Pattern | None:
    digits = re.sub(r"\D", "", raw)
    if len(digits) < 9:
        return None
    core = digits[-9:]
    return re.compile(r"(?<!\d)" + r"[\s.\-]?".join(core) + r"(?!\d)")


def test_quality_notebooks_run_without_personal_data(small_base, tmp_path):
    from grc.config import load_config

    cfg = load_config(small_base / "network.yaml")
    centre = cfg.centre_codes()[0]
    jobs = []
    for book in BOOKS:
        for scope in (centre, "NETWORK"):
            out = tmp_path / f"{book}_{scope}.ipynb"
            cmd = [sys.executable, "-m", "papermill", "-k", "python3", "--cwd", str(NOTEBOOKS),
                   str(NOTEBOOKS / f"{book}.ipynb"), str(out),
                   "-p", "config", str(small_base / "network.yaml"), "-p", "centre", scope]
            jobs.append((book, scope, out, subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                                            stderr=subprocess.STDOUT, text=True)))
    texts = {}
    for book, scope, out, proc in jobs:
        log, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0, f"{book} ({scope}) a échoué :\n{log[-3000:]}"
        nb = json.loads(out.read_text(encoding="utf-8"))
        errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
        assert not errors, errors
        text = _output_text(nb)
        assert "Traceback" not in text
        texts[(book, scope)] = text

    # real content was shown (French text, figures)
    q_centre = texts[("01_qualification", centre)]
    # the centre's return file is named, without a path (reviewers' pages)
    assert "fiches exportées" in q_centre and f"« {centre}.xlsx »" in q_centre
    assert "processed/" not in q_centre
    assert "Courrier" in q_centre and "E-mail" in q_centre
    assert "fichiers retour" in texts[("01_qualification", "NETWORK")]
    assert "Paires candidates" in texts[("02_deduplication", "NETWORK")]

    # no raw e-mail, phone or last name of anyone
    truth = pd.read_csv(small_base / "truth" / "entities.csv", dtype=str, keep_default_na=False)
    names = {n.strip() for n in truth["last_name"] if len(n.strip()) >= 3}
    centre_words = {w.lower() for c in cfg.centre_codes() for w in re.findall(r"\w+", cfg.centre(c).name)}
    centre_words |= {w.lower() for w in re.findall(r"\w+", cfg.network)}
    names = {n for n in names if n.lower() not in centre_words}
    emails = {e.strip().lower() for e in truth["email"] if "@" in e}
    phones = [p for p in (_phone_pattern(x) for x in pd.concat([truth["phone"], truth["mobile"]]) if x)
              if p is not None]
    name_re = re.compile(r"\b(" + "|".join(re.escape(n) for n in sorted(names)) + r")\b", re.IGNORECASE)
    for key, text in texts.items():
        low = text.lower()
        leaked = [e for e in emails if e in low]
        assert not leaked, (key, leaked[:3])
        hit = name_re.search(text)
        assert hit is None, (key, hit.group(0) if hit else None, text[max(0, hit.start() - 80):hit.end() + 80]
                             if hit else "")
        found = [p.pattern for p in phones if p.search(text)]
        assert not found, (key, found[:3])


def test_quality_data_reads_match_the_workbook(small_base):
    """The scoped, aggregated reads give the same figures as the workbook's full tables."""
    from grc.config import load_config
    from grc.reports import views_quality as vq
    from grc.reports.workbook import open_workbook

    cfg = load_config(small_base / "network.yaml")
    code = cfg.centre_codes()[0]
    net_wb = open_workbook(cfg.path, "NETWORK")
    for scope in (code, "NETWORK"):
        wb = open_workbook(cfg.path, scope)
        q = vq.QualityData.of(wb)
        for table in (vq.field_quality_table, vq.channel_table, vq.top_issues_table):
            pd.testing.assert_frame_equal(table(q.metrics, scope, wb.year),
                                          table(wb.metrics, scope, wb.year))
        assert len(vq.field_quality_table(q.metrics, scope, wb.year)) == len(vq.QUALITY_FIELDS)
        m = wb.metrics[wb.metrics["year"].isin([wb.year - 1, wb.year])]
        pd.testing.assert_frame_equal(vq.trend(q.metrics, scope, wb.year), vq.trend(m, scope, wb.year))
        pd.testing.assert_frame_equal(vq.changes_summary(q.metrics, scope, wb.year),
                                      vq.changes_summary(wb.metrics, scope, wb.year))
        assert q.metric("shared_contacts") == wb.metric("shared_contacts")
        dup = vq.duplicates_summary(q.metrics, scope, wb.year)
        pd.testing.assert_frame_equal(dup, vq.duplicates_summary(wb.metrics, scope, wb.year))
        # the table and the key figures say the same: one figure, one definition
        assert dup["valeur"].iloc[-1] == wb.metric("shared_contacts")
        assert dup["valeur"].iloc[0] - dup["valeur"].iloc[1] == wb.metric("duplicates")
        # the score histogram (measures) counts the scope's pairs with a score, per decision
        scored = wb.pairs[wb.pairs["score"].notna()]
        assert vq.score_histogram(q.metrics, scope, wb.year).sum().to_dict() == \
            scored["decision"].value_counts().to_dict()
        assert q.dedup_stats() == vq.dedup_stats(cfg) and q.dedup_stats()
        if scope != "NETWORK":
            assert set(q.metrics["scope"]) <= {code, "NETWORK"}
            pd.testing.assert_frame_equal(vq.issue_comparison_measured(q.metrics, code, wb.year),
                                          vq.issue_comparison_measured(wb.metrics, code, wb.year))
            pd.testing.assert_frame_equal(vq.shared_clients(q.metrics, code, wb.year),
                                          vq.shared_clients(wb.metrics, code, wb.year))
        # last year's return file: followed from the base (no recomputation), same totals as metrics
        fu = vq.return_followup(q.metrics, scope, wb.year)
        assert len(fu)
        assert (fu["signalées_n_1"] == fu["corrigées"] + fu["toujours_à_corriger"] + fu["plus_exportées"]).all()
        mm = net_wb.metrics
        mm = mm[(mm["scope"] == scope) & (mm["year"] == wb.year) & mm["measure"].str.startswith("followup:")]
        want = {"followup:corrigé": fu["corrigées"].sum(), "followup:toujours": fu["toujours_à_corriger"].sum(),
                "followup:retiré": fu["plus_exportées"].sum()}
        assert {k: v for k, v in want.items() if v} == {k: int(v) for k, v in zip(mm["measure"], mm["value"],
                                                                                  strict=False)}
        q.close()
    first = vq.QualityData(cfg.with_year(cfg.year - 1), "NETWORK")
    # no year before the first: nothing to follow
    assert vq.return_followup(first.metrics, "NETWORK", cfg.year - 1).empty
    first.close()
