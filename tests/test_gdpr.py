"""GDPR: erasure leaves no trace, returning persons are flagged, purge, register."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from grc.config import load_config
from grc.pipeline.integrate import run_pipeline
from grc.store.retention import purge
from openpyxl import load_workbook

from .conftest import integrate

pytestmark = pytest.mark.xdist_group("pipeline")


def _digits(s: str) -> str:
    return re.sub(r"\D", "", s)


def _all_text(d: Path) -> str:
    """Every text of the base and of every output file, for searching."""
    parts = []
    con = duckdb.connect(str(d / "processed" / "network.duckdb"), read_only=True)
    for (t,) in con.execute("SHOW TABLES").fetchall():
        parts.append(con.execute(f'SELECT * FROM "{t}"').df().to_csv(index=False))
    con.close()
    for p in (d / "processed").rglob("*"):
        if p.suffix == ".csv":
            parts.append(p.read_text(encoding="utf-8-sig"))
        elif p.suffix == ".xlsx":
            wb = load_workbook(p, read_only=True)
            for ws in wb.worksheets:
                for row in ws.iter_rows(values_only=True):
                    parts.append(" ".join(str(v) for v in row if v is not None))
    return "\n".join(parts)


def _victim(d: Path) -> tuple[pd.Series, pd.DataFrame]:
    """A client with an e-mail and a phone, present in 2024 and 2025."""
    ent = pd.read_csv(d / "truth" / "entities.csv", dtype=str)
    rec = pd.read_csv(d / "truth" / "records.csv", dtype=str)
    ent = ent[ent["email"].notna() & ent["mobile"].notna()]
    both = rec.groupby("entity_id")["year"].agg(set)
    ok = both[both.map(lambda s: {"2024", "2025"} <= s)].index
    e = ent[ent["entity_id"].isin(ok)].iloc[0]
    return e, rec[rec["entity_id"] == e["entity_id"]]


def test_erasure_leaves_no_trace_and_returning_person_is_flagged(demo_copy):
    e, recs = _victim(demo_copy)
    first = recs.iloc[0]
    (demo_copy / "erasure_requests.csv").write_text(
        f"centre,local_id,email\n{first['centre']},{first['local_id']},\n", encoding="utf-8")
    integrate(demo_copy / "network.yaml", years=(2024,))
    text = _all_text(demo_copy)
    assert e["email"].lower() not in text.lower()
    national = e["mobile"]
    assert national not in _digits(text) and national[1:] not in _digits(text)
    con = duckdb.connect(str(demo_copy / "processed" / "network.duckdb"), read_only=True)
    log = con.execute("SELECT * FROM erasures").df()
    left = con.execute("SELECT count(*) FROM records WHERE centre = ? AND local_id = ?",
                       [first["centre"], first["local_id"]]).fetchall()[0][0]
    con.close()
    assert left == 0
    assert log["records_erased"].iloc[0] >= 1
    assert e["email"].lower() not in log.to_csv().lower()  # the log holds no personal data
    # 2025's export brings the person back: not re-imported, flagged
    integrate(demo_copy / "network.yaml", years=(2025,))
    text = _all_text(demo_copy)
    assert e["email"].lower() not in text.lower()
    con = duckdb.connect(str(demo_copy / "processed" / "network.duckdb"), read_only=True)
    returns = con.execute("SELECT * FROM erasure_returns").df()
    con.close()
    assert len(returns) >= 1 and (returns["centre"] == first["centre"]).any()


def test_purge_dry_run_then_real(integrated_copy):
    cfg = load_config(integrated_copy / "network.yaml")
    dry = purge(cfg, "2026-01-01", dry_run=True)
    db_file = integrated_copy / "processed" / "network.duckdb"
    before = db_file.read_bytes()
    dry2 = purge(cfg, "2026-01-01", dry_run=True)
    assert db_file.read_bytes() == before and dry.contacts == dry2.contacts
    assert "seraient anonymisés" in dry.summary()
    # far in the future everyone is past the limit; in the past nobody is
    assert purge(cfg, "2000-01-01", dry_run=True).contacts == 0
    everyone = purge(cfg, "2040-01-01", dry_run=True)
    assert everyone.contacts > dry.contacts
    res = purge(cfg, "2026-01-01")
    assert res.contacts == dry.contacts
    if res.contacts:
        con = duckdb.connect(str(db_file), read_only=True)
        n = con.execute("SELECT count(*) FROM contacts WHERE last_name IS NULL AND email IS NULL "
                        "AND phone IS NULL").fetchall()[0][0]
        con.close()
        assert n >= res.contacts


def test_register_written(integrated_dir, tmp_path):
    from grc.store.gdpr import write_register

    cfg = load_config(integrated_dir / "network.yaml")
    p = write_register(cfg, tmp_path / "registre.html")
    html = p.read_text(encoding="utf-8")
    for word in ("Finalités", "Base légale", "Destinataires", "Durée de conservation", "Sécurité",
                 "2021-131", "Bloctel"):
        assert word in html
    assert "http" not in html


def test_rerun_applies_erasure_to_exports(integrated_copy):
    e, recs = _victim(integrated_copy)
    (integrated_copy / "erasure_requests.csv").write_text(
        f"centre,local_id,email\n,,{e['email']}\n", encoding="utf-8")
    run_pipeline(load_config(integrated_copy / "network.yaml"), progress=False)
    text = _all_text(integrated_copy)
    assert e["email"].lower() not in text.lower()
