"""Hostile configuration: paths stay in their folder, YAML is loaded safely and bounded.

A correspondence table naming a file outside its export folder, a ``--centre`` outside the
tables' folder, a YAML alias bomb, a Python tag, a syntax error or an oversized table fail
that centre alone, with a French message that never shows the content of another file.
"""

from __future__ import annotations

import os
import time

from tests.hostile import (  # noqa: F401
    assert_refused,
    by_software,
    check,
    db_path,
    export_file,
    hostile_base_fixture,
    net_fixture,
    query,
    record_counts,
    run,
    sha,
    table_path,
)

BOMB = "\n".join(["lol0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
                 + [f"lol{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]) + "\n"


def _set_file(net, code: str, kind: str, value: str) -> None:
    t = table_path(net, code)
    text = t.read_text(encoding="utf-8")
    old = [ln for ln in text.splitlines() if ln.strip().startswith("file:")][0 if kind == "contacts" else 1]
    t.write_text(text.replace(old, f"    file: '{value}'", 1), encoding="utf-8")


def test_paths_outside_the_export_folder_are_refused_without_reading_them(net, capsys, tmp_path):
    soft = by_software(net)
    hestia, groupbook, sejourne = soft["hestia"], soft["groupbook"], soft["sejourne"]
    before = record_counts(net)
    secret = tmp_path / "secret.csv"
    secret.write_text("client_id;SECRET-CONTENT\n1;2\n", encoding="utf-8")
    _set_file(net, hestia, "contacts", "../../../../../../../../etc/passwd")
    _set_file(net, groupbook, "contacts", str(secret))
    link = export_file(net, sejourne).parent / "lien.csv"
    os.symlink(secret, link)
    _set_file(net, sejourne, "contacts", "lien.csv")

    for code, shown in ((hestia, "../"), (groupbook, str(secret)), (sejourne, "lien.csv")):
        rc, out, err = check(net, capsys, code)
        assert rc == 1, code
        assert "hors du dossier" in err and shown in err and "exports.contacts.file" in err
        assert "root:" not in out + err and "SECRET-CONTENT" not in out + err

    rc, out, err = run(net, capsys)
    assert rc == 1 and "hors du dossier" in err
    assert "root:" not in out + err and "SECRET-CONTENT" not in out + err
    assert_refused(net, {hestia, groupbook, sejourne}, before)
    stored = query(net, "SELECT message FROM centre_status")["message"].str.cat(sep=" ")
    assert "root:" not in stored and "SECRET-CONTENT" not in stored


def test_centre_option_stays_in_the_tables_folder(net, capsys):
    outside = net / "x.yaml"
    outside.write_text(table_path(net, by_software(net)["hestia"]).read_text(encoding="utf-8"),
                       encoding="utf-8")
    for code in ("../x", "/etc/passwd", "..", "a/b"):
        rc, _, err = check(net, capsys, code)
        assert rc == 1 and f"Code centre « {code} » refusé" in err
    base = sha(db_path(net))
    rc, _, err = run(net, capsys, "--centre", "../x")
    assert rc == 1 and "inconnu(s) : ../x" in err
    assert sha(db_path(net)) == base


def test_hostile_yaml_tables_fail_their_centre_alone(net, capsys):
    soft = by_software(net)
    hestia, groupbook, resaxl = soft["hestia"], soft["groupbook"], soft["resaxl"]
    before = record_counts(net)
    pwned = net / "pwned"
    t = table_path(net, hestia)  # an alias bomb (10^9 elements once expanded)
    t.write_text(t.read_text(encoding="utf-8") + BOMB, encoding="utf-8")
    t = table_path(net, groupbook)  # a Python tag: never executed
    t.write_text(t.read_text(encoding="utf-8")
                 + f"evil: !!python/object/apply:os.system ['touch {pwned}']\n", encoding="utf-8")
    t = table_path(net, resaxl)  # a syntax error
    text = t.read_text(encoding="utf-8")
    t.write_text(text.replace("columns:\n", "columns:\n  [oops\n", 1), encoding="utf-8")

    start = time.monotonic()
    rc, out, err = check(net, capsys, hestia)
    assert rc == 1 and "trop d'alias YAML" in err and "billion laughs" in err
    assert len(out + err) < 2000 and time.monotonic() - start < 10
    rc, _, err = check(net, capsys, groupbook)
    assert rc == 1 and "pas de balise « !! »" in err and not pwned.exists()
    rc, _, err = check(net, capsys, resaxl)
    assert rc == 1 and "YAML invalide" in err and "ligne" in err

    rc, _, err = run(net, capsys)
    assert rc == 1 and not pwned.exists() and len(err) < 20_000
    assert_refused(net, {hestia, groupbook, resaxl}, before)


def test_oversized_yaml_is_refused(net, capsys):
    code = by_software(net)["hestia"]
    t = table_path(net, code)
    t.write_text(t.read_text(encoding="utf-8") + "# " + "x" * 2_100_000 + "\n", encoding="utf-8")
    rc, _, err = check(net, capsys, code)
    assert rc == 1 and "trop gros" in err and "xxxx" not in err
