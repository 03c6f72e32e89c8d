"""Warm kernels keep one DuckDB instance of the base from page to page, never a stale one."""

from __future__ import annotations

import os
import sys
import types

import duckdb
import pytest
from grc.store import base as db


def _make(path, value: int) -> None:
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t AS SELECT ? AS v", [value])
    con.close()


@pytest.fixture
def warm(monkeypatch):
    module = types.ModuleType("_grc_warm")
    monkeypatch.setitem(sys.modules, "_grc_warm", module)
    yield module
    for _, con in module.__dict__.get("duckdb_keep", {}).values():
        con.close()


def test_no_connection_kept_outside_warm_kernels(tmp_path):
    path = tmp_path / "base.duckdb"
    _make(path, 1)
    assert "_grc_warm" not in sys.modules
    con = db.connect(path, read_only=True)
    con.close()
    os.replace(path, tmp_path / "moved.duckdb")  # nothing holds the file


def test_instance_kept_between_pages_and_renewed_when_the_base_is_replaced(tmp_path, warm):
    path = tmp_path / "base.duckdb"
    _make(path, 1)
    con = db.connect(path, read_only=True)
    assert con.execute("SELECT v FROM t").fetchone() == (1,)
    con.close()  # a page ends: the kept connection stays open
    (ident, kept) = warm.duckdb_keep[str(path)]
    assert kept.execute("SELECT v FROM t").fetchone() == (1,)
    con = db.connect(path, read_only=True)  # next page: same instance, nothing reopened
    assert warm.duckdb_keep[str(path)][1] is kept
    con.close()
    # a new run swaps a new base in: the next page reads it, not the old instance
    new = tmp_path / "new.duckdb"
    _make(new, 2)
    os.replace(new, path)
    con = db.connect(path, read_only=True)
    assert con.execute("SELECT v FROM t").fetchone() == (2,)
    con.close()
    assert warm.duckdb_keep[str(path)][0] != ident
