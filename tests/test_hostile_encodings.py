"""Hostile exports, encodings family: mixed, wrong or unusual encodings and line endings.

A file whose bytes say another encoding than its table is refused with the encoding to
declare; a cp1252 file holding a few UTF-8 lines (text pasted from elsewhere) is read line by
line in the right encoding and each such line flagged; CR-only line endings are read.
"""

from __future__ import annotations

from tests.hostile import (  # noqa: F401
    assert_refused,
    by_software,
    check,
    export_file,
    hostile_base_fixture,
    net_fixture,
    query,
    record_counts,
    run,
)


def test_utf8_lines_in_a_cp1252_export_are_read_right_and_flagged(net, capsys):
    code = by_software(net)["hestia"]
    path = export_file(net, code)
    lines = path.read_bytes().split(b"\r\n")
    assert lines[0].startswith(b"NUM_CLI;CIV;NOM;PRENOM")
    cells = lines[3].decode("cp1252").split(";")
    local_id = cells[0]
    cells[2], cells[3] = "Lefèvre-Bérard", "Zoé"
    lines[3] = ";".join(cells).encode("utf-8")  # one line pasted in UTF-8
    path.write_bytes(b"\r\n".join(lines))

    rc, out, _ = check(net, capsys, code)
    assert rc == 2
    assert "ligne 4" in out and "ligne en UTF-8 dans un fichier déclaré cp1252" in out

    rc, _, err = run(net, capsys)
    assert "Traceback" not in err
    rec = query(net, "SELECT last_name, first_name FROM records WHERE centre = ? AND local_id = ? "
                "AND year = 2025", [code, local_id])
    assert rec.iloc[0].tolist() == ["Lefèvre-Bérard", "Zoé"]
    assert not query(net, "SELECT * FROM records WHERE year = 2025 AND (last_name LIKE '%Ã%' "
                     "OR first_name LIKE '%Ã%')").shape[0]
    iss = query(net, "SELECT code FROM quality_issues WHERE centre = ? AND local_id = ? AND year = 2025",
                [code, local_id])
    assert "mixed_encoding" in set(iss["code"])


def test_wrong_encodings_are_refused_with_the_encoding_to_declare(net, capsys):
    soft = by_software(net)
    hestia, sejourne, groupbook = soft["hestia"], soft["sejourne"], soft["groupbook"]
    before = record_counts(net)
    # UTF-16 file, declared cp1252
    path = export_file(net, hestia)
    path.write_bytes(path.read_bytes().decode("cp1252").encode("utf-16"))
    # a cp1252 byte inside a UTF-8 file with a BOM: the right byte and the right line
    path2 = export_file(net, sejourne)
    raw = path2.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.split(b"\r\n")
    lines[5] = lines[5] + "é".encode("cp1252")
    path2.write_bytes(b"\r\n".join(lines))
    # a whole UTF-8 file (with BOM) declared cp1252
    path3 = export_file(net, groupbook)
    path3.write_bytes(b"\xef\xbb\xbf" + path3.read_bytes())
    t = net / "centres" / f"{groupbook}.yaml"
    t.write_text(t.read_text(encoding="utf-8").replace("encoding: utf-8", "encoding: cp1252"),
                 encoding="utf-8")

    rc, _, err = check(net, capsys, hestia)
    assert rc == 1 and "UTF-16" in err and "sans doute en cp1252" not in err
    rc, _, err = check(net, capsys, sejourne)
    assert rc == 1 and "octet b'\\xe9'" in err and "ligne 6" in err
    rc, _, err = check(net, capsys, groupbook)
    assert rc == 1 and "encodé en UTF-8" in err and "encoding: utf-8" in err

    rc, _, err = run(net, capsys)
    assert rc == 1 and "UTF-16" in err and "Traceback" not in err
    assert_refused(net, {hestia, sejourne, groupbook}, before)


def test_cr_only_line_endings_are_read(net, capsys):
    code = by_software(net)["hestia"]
    for kind in ("contacts", "stays"):
        path = export_file(net, code, kind)
        path.write_bytes(path.read_bytes().replace(b"\r\n", b"\r"))
    from grc.config import load_config
    from grc.readers.exports import read_centre

    cfg = load_config(net / "network.yaml")
    ex = read_centre(cfg.centre(code), cfg.export_dir(code), 2025)
    n_lines = export_file(net, code).read_bytes().count(b"\r")
    assert len(ex.raw_contacts) == n_lines - 1 and len(ex.contacts) > 10

    rc, _, err = run(net, capsys)
    assert "Traceback" not in err
    assert (code, 2025) in record_counts(net)


def test_utf16_and_bom_messages_at_reader_level():
    import pytest
    from grc.readers.exports import ExportError, _decode

    text = "NUM;NOM\r\n1;Élodie\r\n"
    with pytest.raises(ExportError) as err:
        _decode(text.encode("utf-16"), "utf-8", "ABC", "ABC/c.csv")
    assert "UTF-16" in str(err.value) and "sans doute" not in str(err.value)
    with pytest.raises(ExportError) as err:  # UTF-16 without BOM (little-endian)
        _decode(text.encode("utf-16-le"), "cp1252", "ABC", "ABC/c.csv")
    assert "UTF-16" in str(err.value)
    assert _decode(text.encode("utf-16"), "utf-16", "ABC", "ABC/c.csv")[0] == text
    assert _decode(b"\xef\xbb\xbf" + text.encode("utf-8"), "utf-8", "ABC", "ABC/c.csv")[0] == text
