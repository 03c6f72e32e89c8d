"""The store's catalogue: every table declared once; erasure, purge and the per-centre cut walk it."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from grc.cli import main
from grc.config import load_config
from grc.pipeline.integrate import run_pipeline
from grc.schema import NETWORK
from grc.store import base as db
from grc.store import catalogue as cat
from grc.store.catalogue import (
    ByContact,
    ByRecord,
    ByRow,
    OwnedBy,
    OwnedByPair,
    OwnedThroughContact,
    Table,
)
from grc.store.retention import purge

pytestmark = pytest.mark.xdist_group("pipeline")

# two tables another stage could add: one per source record, one log per network contact
ORGANISATION_CONTACTS = Table(
    "organisation_contacts", "replaced", "centre, local_id, organisation, contact_name, contact_email",
    key=("centre", "local_id"), personal=("contact_name", "contact_email"), person=(ByRecord(),),
    purge="anonymise", owner=OwnedBy())
RETURN_DECISIONS = Table(
    "return_decisions", "log", "centre, contact_id, decision, note", personal=("note",),
    person=(ByContact(),), purge="delete", owner=OwnedBy())


def _victim(d: Path) -> pd.Series:
    """A client exported in 2024 and in 2025."""
    rec = pd.read_csv(d / "truth" / "records.csv", dtype=str)
    years = rec.groupby("entity_id")["year"].agg(set)
    both = years[years.map(lambda s: {"2024", "2025"} <= s)].index
    return rec[rec["entity_id"] == both[0]].sort_values("year").iloc[0]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    """4 centres, 300 clients, ``grc run --no-reports`` (2024 caught up, then 2025) with one
    erasure request for a client who comes back in 2025 (read-only)."""
    from grc.demo.generator import generate

    d = tmp_path_factory.mktemp("catalogue") / "demo"
    generate(d, centres=4, contacts=300, years="2024-2025", seed=3)
    v = _victim(d)
    (d / "erasure_requests.csv").write_text(f"centre,local_id,email\n{v['centre']},{v['local_id']},\n",
                                            encoding="utf-8")
    assert main(["run", "--config", str(d / "network.yaml"), "--no-reports", "--quiet"]) == 0
    return d


@pytest.fixture()
def run_copy(run_dir, tmp_path) -> Path:
    dst = tmp_path / "demo"
    shutil.copytree(run_dir, dst)
    return dst


def _con(d: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(d / "processed" / "network.duckdb"), read_only=True)


# --- declarations --------------------------------------------------------------------------
def test_catalogue_is_valid_and_declares_every_gdpr_table():
    cat.validate()
    for t in cat.TABLES.values():
        assert t.doc, t.name
        if t.personal:
            assert t.person and t.purge != "keep" and t.owner is not None, t.name
    assert cat.export_tables() == ["raw_contacts", "raw_stays", "files", "records", "stays", "export_problems"]


@pytest.mark.parametrize(("table", "why"), [
    (Table("t", "log", "centre, local_id, name", personal=("name",), purge="delete", owner=OwnedBy()),
     "effacement RGPD ne peut pas"),
    (Table("t", "log", "centre, local_id, name", personal=("name",), person=(ByRecord(),), owner=OwnedBy()),
     "purge de conservation ne touche pas"),
    (Table("t", "log", "centre, local_id, name", personal=("name",), person=(ByRecord(),), purge="delete"),
     "sans règle « owner »"),
    (Table("t", "log", "centre, name", personal=("name",), person=(ByRecord(),), purge="delete",
           owner=OwnedBy()), "non déclarées"),
    (Table("t", "yearly", "centre, year BIGINT, row BIGINT, data", personal=("data",),
           person=(ByRow("nowhere"),), purge="anonymise", owner=OwnedBy()), "« nowhere »"),
    (Table("t", "weekly", "centre"), "nature"),
])
def test_unsafe_declaration_is_refused(table, why):
    with pytest.raises(cat.CatalogueError, match=why), cat.extended(table):
        pass
    assert "t" not in cat.TABLES


def test_undeclared_table_column_or_kind_is_refused(tmp_path):
    path = tmp_path / "b.duckdb"
    with db.transaction(path) as con:
        db.append(con, "runs", pd.DataFrame([{"run_id": "r1", "year": 2025}]))
    before = path.read_bytes()
    for write in (lambda con: db.replace_table(con, "notes", pd.DataFrame({"x": [1]})),
                  lambda con: db.append(con, "runs", pd.DataFrame([{"run_id": "r2", "nickname": "x"}])),
                  lambda con: db.append(con, "records", pd.DataFrame([{"centre": "A", "year": 2025}])),
                  lambda con: con.execute("CREATE TABLE notes AS SELECT 'Dupont' AS name"),
                  lambda con: con.execute('ALTER TABLE runs ADD COLUMN "nickname" VARCHAR')):
        with pytest.raises(db.BaseError, match="catalogue"), db.transaction(path) as con:
            write(con)
        assert path.read_bytes() == before  # the base is left as it was
    con = db.connect(path, read_only=True)
    assert con.execute("SELECT run_id, year FROM runs").fetchall() == [("r1", 2025)]
    con.close()


def test_tables_created_from_their_declaration(tmp_path):
    """Column order and types come from the catalogue, not from the frame."""
    path = tmp_path / "b.duckdb"
    with db.transaction(path) as con:
        db.replace_slice(con, "measures", pd.DataFrame({"value": [1], "measure": ["n"], "scope": ["A"],
                                                        "year": ["2025"]}), {"year": 2025})
    con = db.connect(path, read_only=True)
    assert [(r[0], r[1]) for r in con.execute("DESCRIBE measures").fetchall()] == list(
        cat.table("measures").types.items())
    assert con.execute("SELECT scope, year, measure, value FROM measures").fetchall() == [("A", 2025, "n", 1.0)]
    con.close()


# --- the base after a full run --------------------------------------------------------------
def test_every_table_of_a_full_run_is_declared(run_copy):
    cfg = load_config(run_copy / "network.yaml")
    assert purge(cfg, "2040-01-01").records > 0
    con = _con(run_copy)
    cat.check_base(con)
    found = {r[0]: r[1] for r in con.execute("SELECT table_name, count(*) FROM information_schema.columns "
                                             "GROUP BY 1").fetchall()}
    for name in found:
        declared = list(cat.table(name).types.items())
        assert [(r[0], r[1]) for r in con.execute(f'DESCRIBE "{name}"').fetchall()] == declared, name
    returns = con.execute("SELECT count(*) FROM erasure_returns").fetchall()[0][0]
    con.close()
    # the run wrote the erasure and purge logs as well as the yearly tables
    assert {"erasures", "erasure_hashes", "erasure_returns", "purges", *cat.export_tables()} <= set(found)
    assert returns >= 1


# --- a new table with personal data is erased and purged ---------------------------------------
def _write_new_tables(cfg) -> None:
    with db.transaction(cfg.db_path) as con:
        q = con.execute("SELECT q.centre, q.local_id, q.organisation, q.last_name, q.email, l.contact_id "
                        "FROM qualified q JOIN record_links l USING (centre, local_id)").df()
        db.replace_table(con, "organisation_contacts", pd.DataFrame({
            "centre": q["centre"], "local_id": q["local_id"], "organisation": q["organisation"],
            "contact_name": q["last_name"].fillna("x"), "contact_email": q["email"]}))
        db.append(con, "return_decisions", pd.DataFrame({
            "centre": q["centre"], "contact_id": q["contact_id"], "decision": "garder",
            "note": "rappeler " + q["last_name"].fillna("x")}))


def test_new_table_with_personal_data_is_erased_and_purged(run_copy):
    cfg = load_config(run_copy / "network.yaml")
    with cat.extended(ORGANISATION_CONTACTS, RETURN_DECISIONS):
        _write_new_tables(cfg)
        con = _con(run_copy)
        links = con.execute("SELECT centre, local_id, contact_id FROM record_links").df()
        n_org = con.execute("SELECT count(*) FROM organisation_contacts").fetchall()[0][0]
        con.close()
        # erase a client with records in several centres, requested through one of them
        multi = links.groupby("contact_id")["centre"].nunique()
        cid = multi[multi > 1].index[0]
        person = links[links["contact_id"] == cid]
        first = person.iloc[0]
        (run_copy / "erasure_requests.csv").write_text(
            f"centre,local_id,email\n{first['centre']},{first['local_id']},\n", encoding="utf-8")
        run_pipeline(cfg, progress=False)
        con = _con(run_copy)
        org = con.execute("SELECT centre, local_id FROM organisation_contacts").df()
        dec = con.execute("SELECT contact_id FROM return_decisions").df()
        con.close()
        erased = set(zip(person["centre"], person["local_id"], strict=True))
        left = set(zip(org["centre"], org["local_id"], strict=True))
        assert not erased & left  # every record of the person, in every centre
        assert len(org) == n_org - len(person)
        assert cid not in set(dec["contact_id"]) and len(dec)

        # the purge (everyone past the limit) anonymises one table and empties the other
        res = purge(cfg, "2040-01-01")
        assert res.records > 0
        con = _con(run_copy)
        named = con.execute("SELECT count(contact_name) + count(contact_email) FROM organisation_contacts"
                            ).fetchall()[0][0]
        orgs_kept = con.execute("SELECT count(organisation) FROM organisation_contacts").fetchall()[0][0]
        decisions = con.execute("SELECT count(*) FROM return_decisions").fetchall()[0][0]
        con.close()
        assert named == 0 and decisions == 0
        assert orgs_kept > 0  # organisations are not personal data: kept for statistics
    # once the declarations are gone, the base holding those tables is refused
    before = cfg.db_path.read_bytes()
    with pytest.raises(db.BaseError, match="organisation_contacts"):
        purge(cfg, "2040-01-01")
    assert cfg.db_path.read_bytes() == before


# --- the per-centre cut -------------------------------------------------------------------------
def test_centre_rows_follow_the_owner_rule(run_dir):
    cfg = load_config(run_dir / "network.yaml")
    codes = cfg.centre_codes()
    con = _con(run_dir)
    try:
        links = con.execute("SELECT centre, local_id, contact_id FROM record_links").df()
        records = con.execute("SELECT DISTINCT centre, local_id FROM records").df().groupby("centre")[
            "local_id"].agg(set).to_dict()
        present = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
        shared: set[str] = set()
        for t in (cat.TABLES[n] for n in sorted(present)):
            total = con.execute(f'SELECT count(*) FROM "{t.name}"').fetchall()[0][0]
            seen = 0
            for c in codes:
                rows = cat.centre_rows(con, t.name, c)
                seen += len(rows)
                own = links[links["centre"] == c]
                if t.owner is None:
                    assert rows.empty, t.name
                elif isinstance(t.owner, OwnedBy):
                    assert (rows[t.owner.column] == c).all(), t.name
                elif isinstance(t.owner, OwnedByPair):
                    assert ((rows[t.owner.a] == c) | (rows[t.owner.b] == c)).all(), t.name
                elif isinstance(t.owner, OwnedThroughContact):
                    assert set(rows[t.owner.contact_id]) == set(own["contact_id"]) & set(
                        con.execute(f'SELECT contact_id FROM "{t.name}"').df()["contact_id"]), t.name
                # a record-keyed row of a centre's cut is about one of the records it exported
                for p in t.person:
                    if isinstance(p, ByRecord) and p.local_id == "local_id" and isinstance(t.owner, OwnedBy):
                        assert set(rows[p.local_id].dropna()) <= set(records.get(c, ())), t.name
                # another centre's record appears only in the pairs joining two centres
                if cat.foreign_rows(con, t.name, c):
                    assert isinstance(t.owner, OwnedByPair), t.name
                    shared.add(t.name)
            if isinstance(t.owner, OwnedBy):
                # every row is a centre's or the network's own (scores, measures)
                network = con.execute(f'SELECT count(*) FROM "{t.name}" WHERE "{t.owner.column}" = ?',
                                      [NETWORK]).fetchall()[0][0]
                assert seen + network == total, t.name
        assert "dedup_pairs" in shared  # the check sees the cross-centre duplicates of the demo
    finally:
        con.close()


def test_table_of_a_former_version_is_dropped_at_the_next_write(tmp_path):
    path = tmp_path / "b.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE metrics AS SELECT 'A' AS centre, 2024 AS year, 'n' AS metric, 1.0 AS value")
    con.close()
    with db.transaction(path) as con:
        db.append(con, "runs", pd.DataFrame([{"run_id": "r1", "year": 2025}]))
    con = db.connect(path, read_only=True)
    assert [r[0] for r in con.execute("SHOW TABLES").fetchall()] == ["runs"]
    con.close()
