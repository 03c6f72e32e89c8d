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


@pytest.fixture(scope="module")
def small_base(tmp_path_factory) -> Path:
    """4 centres, 300 clients, 2024 then 2025 integrated."""
    from grc.config import load_config
    from grc.demo import generate
    from grc.pipeline import run_pipeline

    tmp = tmp_path_factory.mktemp("quality_nb")
    generate(tmp, centres=4, contacts=300, years="2024-2025", seed=3)
    cfg = load_config(tmp / "network.yaml")
    run_pipeline(cfg.with_year(2024), progress=False)
    run_pipeline(cfg, progress=False)
    return tmp


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
    assert "fiches exportées" in q_centre and f"retours/{centre}.xlsx" in q_centre
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


def test_previous_issues_rebuild_last_years_return_file(small_base):
    """Last year's issues, recomputed read-only, match the counts stored by last year's run."""
    from grc import views_quality as vq
    from grc.config import load_config
    from grc.workbook import open_workbook

    cfg = load_config(small_base / "network.yaml")
    wb = open_workbook(cfg.path, "NETWORK")
    prev = vq.previous_issues(cfg, "NETWORK")
    assert len(prev)
    got = prev.drop_duplicates(["centre", "local_id", "code"]).groupby(["centre", "code"]).size()
    m = wb.metrics
    m = m[(m["year"] == cfg.year - 1) & m["metric"].str.startswith("issue:") & (m["centre"] != "NETWORK")]
    want = m.set_index(["centre", m["metric"].str[6:].rename("code")])["value"].astype(int)
    pd.testing.assert_series_equal(got.sort_index(), want.sort_index(), check_names=False)
    code = cfg.centre_codes()[0]
    one = vq.previous_issues(cfg, code)
    assert set(one["centre"]) == {code}
    fu = vq.return_followup(one, wb.issues[wb.issues["centre"] == code], wb.qualified[wb.qualified["centre"] == code])
    assert (fu["signalées_n_1"] == fu["corrigées"] + fu["toujours_à_corriger"] + fu["plus_exportées"]).all()
    assert vq.previous_issues(cfg.with_year(cfg.year - 1), "NETWORK").empty  # no year before the first
