"""Hostile exports, structure family: an export that would lose data is refused as a whole.

Each case is built on a generated network (2024 integrated), checked with ``grc check`` and
integrated with ``grc run``: French message, exit status, the other centres integrated, the
refused centre's records of last year untouched.
"""

from __future__ import annotations

import pandas as pd

from tests.hostile import (  # noqa: F401
    assert_refused,
    by_software,
    centre_rows,
    check,
    export_file,
    hostile_base_fixture,
    net_fixture,
    record_counts,
    run,
    table_path,
)


def test_header_only_and_empty_exports_are_refused_and_keep_last_year(net, capsys):
    soft = by_software(net)
    hestia, groupbook, resaxl = soft["hestia"], soft["groupbook"], soft["resaxl"]
    before = record_counts(net)
    rows = {c: centre_rows(net, c) for c in (hestia, groupbook, resaxl)}
    # a contacts export with its header and no row (CSV), a stays export of 0 byte, an xlsx
    # contacts sheet with its header only
    path = export_file(net, hestia)
    path.write_bytes(path.read_bytes().splitlines(keepends=True)[0])
    export_file(net, groupbook, "stays").write_bytes(b"")
    xlsx = export_file(net, resaxl)
    head = pd.read_excel(xlsx, sheet_name="Clients", nrows=0)
    with pd.ExcelWriter(xlsx) as xw:
        head.to_excel(xw, sheet_name="Clients", index=False)

    rc, out, err = check(net, capsys, hestia)
    assert rc == 1
    assert "BLOQUANT" in err and "en-tête seul" in err and "contacts.csv" in err and hestia in err
    assert "garde ses données de l'an dernier" in err
    rc, _, err = check(net, capsys, resaxl)
    assert rc == 1 and "en-tête seul" in err and "clients.xlsx" in err

    rc, _, err = run(net, capsys)
    assert rc == 1
    assert "en-tête seul" in err and "fichier vide" in err and hestia in err and groupbook in err
    assert "Traceback" not in err
    assert_refused(net, {hestia, groupbook, resaxl}, before, rows)


def test_column_mapped_twice_is_refused(net, capsys):
    code = by_software(net)["sejourne"]
    before = record_counts(net)
    t = table_path(net, code)
    text = t.read_text(encoding="utf-8")
    assert "    Prénom: first_name\n" in text
    t.write_text(text.replace("    Prénom: first_name\n", "    Prénom: last_name\n"), encoding="utf-8")

    rc, _, err = check(net, capsys, code)
    assert rc == 1
    assert "« Nom » et « Prénom »" in err and "« last_name »" in err and "une seule colonne" in err

    rc, _, err = run(net, capsys)
    assert rc == 1 and "« last_name »" in err
    assert_refused(net, code, before)


def test_duplicate_key_in_correspondence_table_is_refused(net, capsys):
    code = by_software(net)["hestia"]
    before = record_counts(net)
    t = table_path(net, code)
    text = t.read_text(encoding="utf-8")
    assert "    NOM: last_name\n" in text
    t.write_text(text.replace("    NOM: last_name\n", "    NOM: last_name\n    NOM: organisation\n"),
                 encoding="utf-8")
    line = text.splitlines().index("    NOM: last_name") + 1

    rc, _, err = check(net, capsys, code)
    assert rc == 1
    assert f"clé « NOM » écrite deux fois (lignes {line} et {line + 1})" in err

    rc, _, err = run(net, capsys)
    assert rc == 1 and "écrite deux fois" in err and code in err
    assert_refused(net, code, before)


def test_missing_xlsx_sheet_names_the_sheets_and_the_fix(net, capsys):
    code = by_software(net)["resaxl"]
    before = record_counts(net)
    t = table_path(net, code)
    t.write_text(t.read_text(encoding="utf-8").replace("sheet: Clients", "sheet: Contacts"),
                 encoding="utf-8")

    rc, _, err = check(net, capsys, code)
    assert rc == 1
    assert "onglet « Contacts » absent du classeur (onglets : Clients)" in err
    assert "corrigez « sheet »" in err and "not found" not in err

    rc, _, err = run(net, capsys)
    assert rc == 1 and "onglet « Contacts »" in err
    assert_refused(net, code, before)


def test_check_exit_status_says_blocking_or_warnings(net, capsys):
    from grc.config import load_config
    from grc.readers.exports import read_centre

    cfg = load_config(net / "network.yaml")
    seen = set()
    for code in cfg.centre_codes():
        problems = read_centre(cfg.centre(code), cfg.export_dir(code), 2025).problems
        rc, out, _ = check(net, capsys, code)
        if problems:
            assert rc == 2, code
            assert "AVERTISSEMENT" in out and "Aucun problème bloquant" in out
            assert f"{len(problems)} avertissement(s)" in out
        else:
            assert rc == 0 and "Aucun problème" in out
        seen.add(rc)
    # a local segment code unknown to the table: a warning (row kept), exit 2
    code = by_software(net)["groupbook"]
    t = table_path(net, code)
    text = t.read_text(encoding="utf-8")
    t.write_text(text.replace("    '10': SCO-MAT\n", ""), encoding="utf-8")
    rc, out, _ = check(net, capsys, code)
    assert rc == 2 and "AVERTISSEMENT" in out and "« 10 »" in out and "BLOQUANT" not in out
