"""Shared helpers for the hostile-input tests (tests/test_hostile_*.py).

A small generated network (5 centres, 2024 already integrated); each test breaks some of the
2025 exports or tables, runs ``grc check`` / ``grc run`` and looks at the message, the exit
status, the centres integrated and what the base holds. Test modules import the fixtures
``hostile_base_fixture`` and ``net_fixture`` (fixtures ``hostile_base`` and ``net``).
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

HOSTILE = {"centres": 5, "contacts": 250, "years": "2024-2025", "seed": 16}


@pytest.fixture(scope="session", name="hostile_base")
def hostile_base_fixture(tmp_path_factory) -> Path:
    """The network with 2024 integrated (read-only: tests work on :func:`net`)."""
    from grc.config import load_config
    from grc.demo.generator import generate
    from grc.pipeline.integrate import run_pipeline

    out = tmp_path_factory.mktemp("hostile") / "net"
    generate(out, **HOSTILE)
    cfg = load_config(out / "network.yaml")
    run_pipeline(cfg.with_year(2024), progress=False)
    return out


@pytest.fixture(name="net")
def net_fixture(hostile_base, tmp_path) -> Path:
    """A private copy of ``hostile_base`` that the test may break."""
    dst = tmp_path / "net"
    shutil.copytree(hostile_base, dst)
    return dst


def cfg_of(net: Path):
    from grc.config import load_config

    return load_config(net / "network.yaml")


def by_software(net: Path) -> dict[str, str]:
    """``{software: first centre code using it}`` (hestia, groupbook, sejourne, resaxl)."""
    cfg = cfg_of(net)
    out: dict[str, str] = {}
    for code in cfg.centre_codes():
        out.setdefault(cfg.centre(code).extra["software"], code)
    return out


def export_file(net: Path, code: str, kind: str = "contacts", year: int = 2025) -> Path:
    cfg = cfg_of(net)
    return cfg.export_dir(code, year) / cfg.centre(code).exports[kind]["file"]


def table_path(net: Path, code: str) -> Path:
    return net / "centres" / f"{code}.yaml"


def db_path(net: Path) -> Path:
    return net / "processed" / "network.duckdb"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def query(net: Path, sql: str, params: list | None = None) -> pd.DataFrame:
    con = duckdb.connect(str(db_path(net)), read_only=True)
    try:
        return con.execute(sql, params or []).df()
    finally:
        con.close()


def record_counts(net: Path) -> dict[tuple[str, int], int]:
    df = query(net, "SELECT centre, year, count(*) AS n FROM records GROUP BY ALL")
    return {(r.centre, int(r.year)): int(r.n) for r in df.itertuples()}


def centre_rows(net: Path, code: str) -> pd.DataFrame:
    """The centre's stored records (every year), in a stable order."""
    return query(net, "SELECT * FROM records WHERE centre = ? ORDER BY year, local_id", [code])


def run(net: Path, capsys, *extra: str) -> tuple[int, str, str]:
    """``grc run --no-reports --quiet`` in this process: (exit status, stdout, stderr)."""
    from grc.cli import main

    capsys.readouterr()
    rc = main(["run", "--config", str(net / "network.yaml"), "--no-reports", "--quiet", *extra])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def check(net: Path, capsys, code: str, *extra: str) -> tuple[int, str, str]:
    """``grc check --centre code`` in this process: (exit status, stdout, stderr)."""
    from grc.cli import main

    capsys.readouterr()
    rc = main(["check", "--config", str(net / "network.yaml"), "--centre", code, *extra])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def assert_refused(net: Path, codes: set[str] | str, before: dict[tuple[str, int], int],
                   rows_before: dict[str, pd.DataFrame] | None = None) -> None:
    """``codes`` kept their 2024 records (unchanged) and got none for 2025; every other centre
    was integrated for 2025."""
    codes = {codes} if isinstance(codes, str) else set(codes)
    after = record_counts(net)
    for code in codes:
        assert (code, 2025) not in after, code
        assert after[(code, 2024)] == before[(code, 2024)], code
        if rows_before is not None:
            pd.testing.assert_frame_equal(centre_rows(net, code), rows_before[code])
    others = {c for c, _ in before} - codes
    assert others and all((c, 2025) in after for c in others), after
    status = query(net, "SELECT centre, status FROM centre_status WHERE year = 2025")
    st = dict(zip(status["centre"], status["status"], strict=True))
    assert all(st[c] == "échec" for c in codes) and all(st[c] == "ok" for c in others), st


def rewrite_csv(path: Path, encoding: str, edit) -> None:
    """Apply ``edit(list of lines) -> list of lines`` to a CSV export, keeping its encoding."""
    raw = path.read_bytes()
    bom = raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig" if bom else encoding)
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = edit(text.split(newline))
    data = newline.join(lines).encode("utf-8" if bom else encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)


def set_cell(path: Path, encoding: str, sep: str, line: int, column: str, value: str) -> None:
    """Put ``value`` in ``column`` of data line ``line`` (2 = first row after the header)."""
    import csv
    import io

    raw = path.read_bytes()
    bom = raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig" if bom else encoding)
    newline = "\r\n" if "\r\n" in text else "\n"
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    rows[line - 1][rows[0].index(column)] = value
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=sep, lineterminator=newline).writerows(rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8" if bom else encoding))
