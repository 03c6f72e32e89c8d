"""Hostile exports, values family: a bad value is flagged, its row kept, nothing silently changed.

Negative nights, persons or amounts, dates out of any plausible range, control characters and
formulas saved without their value are flagged (``grc check`` warnings, quality issues in the
base and the return file); French amounts ("1 234,56 €", narrow no-break spaces) and Excel
serial dates are read as what they are.
"""

from __future__ import annotations

import pandas as pd
from openpyxl import load_workbook

from tests.hostile import (  # noqa: F401
    by_software,
    check,
    export_file,
    hostile_base_fixture,
    net_fixture,
    query,
    record_counts,
    run,
    set_cell,
)


def _issues(net, code: str, local_id: str) -> dict[str, str]:
    df = query(net, "SELECT code, field, message FROM quality_issues WHERE centre = ? AND local_id = ? "
               "AND year = 2025", [code, local_id])
    return {r.code: r.message for r in df.itertuples()}


def _stays_by_row(net, code: str) -> pd.DataFrame:
    return query(net, 'SELECT * FROM stays WHERE centre = ? AND year = 2025', [code]).set_index("row")


def _ids(path, encoding: str, sep: str, column: str) -> list[str]:
    import csv
    import io

    raw = path.read_bytes()
    text = raw.decode("utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else encoding)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    return [r[rows[0].index(column)] for r in rows]


def test_negative_and_french_numbers_and_out_of_range_dates(net, capsys):
    soft = by_software(net)
    hestia, sejourne = soft["hestia"], soft["sejourne"]
    stays = export_file(net, hestia, "stays")
    ids = _ids(stays, "cp1252", ";", "NUM_CLI")
    set_cell(stays, "cp1252", ";", 2, "NUITS", "-3")
    set_cell(stays, "cp1252", ";", 3, "NB_PERS", "-12")
    set_cell(stays, "cp1252", ";", 4, "MONTANT_TTC", "-250,00")
    set_cell(stays, "cp1252", ";", 5, "MONTANT_TTC", "1\u00a0234,56 €")
    st2 = export_file(net, sejourne, "stays")
    set_cell(st2, "utf-8", ";", 2, "Montant TTC", "2\u202f345,50\u00a0€")
    set_cell(st2, "utf-8", ";", 3, "Montant TTC", "12 000 EUR")
    contacts = export_file(net, hestia)
    cids = _ids(contacts, "cp1252", ";", "NUM_CLI")
    set_cell(contacts, "cp1252", ";", 2, "DATE_CREA", "31/12/2999")
    set_cell(contacts, "cp1252", ";", 3, "DATE_MODIF", "01/01/1900")

    rc, out, _ = check(net, capsys, hestia, "--max", "200")
    assert rc == 2
    assert "nombre de nuits négatif « -3 »" in out and "nombre de personnes négatif « -12 »" in out
    assert "montant négatif « -250,00 »" in out and "valeur écartée des calculs" in out
    assert "date « 31/12/2999 » hors de la période plausible" in out and "illisible" not in out
    assert "date « 01/01/1900 » hors de la période plausible" in out
    assert "1\u00a0234,56" not in out  # read, not flagged
    rc, out, _ = check(net, capsys, sejourne)
    assert "2\u202f345" not in out and "12 000" not in out

    rc, _, err = run(net, capsys)
    assert rc == 0, err
    st = _stays_by_row(net, hestia)
    assert pd.isna(st.at[2, "nights"]) and pd.isna(st.at[3, "persons"])  # rows kept, value left out
    assert st.at[2, "persons"] > 0 and pd.isna(st.at[4, "amount"]) and st.at[4, "nights"] > 0
    assert st.at[5, "amount"] == 1234.56
    st2 = _stays_by_row(net, sejourne)
    assert st2.at[2, "amount"] == 2345.5 and st2.at[3, "amount"] == 12000
    assert "negative_value" in _issues(net, hestia, ids[1])
    assert "negative_value" in _issues(net, hestia, ids[3])
    assert "date_out_of_range" in _issues(net, hestia, cids[1])
    assert "date_out_of_range" in _issues(net, hestia, cids[2])
    # the value as received stays in the base (raw rows)
    raw = query(net, "SELECT data FROM raw_stays WHERE centre = ? AND year = 2025", [hestia])
    assert raw["data"].str.contains('"-3"').any()
    # RFM never sees the negative amount
    assert (query(net, "SELECT monetary FROM scores")["monetary"].dropna() >= 0).all()


def test_control_characters_are_flagged_and_never_crash(net, capsys):
    code = by_software(net)["hestia"]
    contacts = export_file(net, code)
    cids = _ids(contacts, "cp1252", ";", "NUM_CLI")
    set_cell(contacts, "cp1252", ";", 2, "NOM", "Dup\x0bont")
    set_cell(contacts, "cp1252", ";", 3, "ADR1", "12 rue\x00 des Lilas")
    set_cell(contacts, "cp1252", ";", 4, "VILLE", "Thiers\x1f")

    rc, out, _ = check(net, capsys, code)
    assert rc == 2 and "caractère de contrôle invisible (U+000B)" in out and "(U+0000)" in out
    assert "colonne « NOM »" in out

    rc, _, err = run(net, capsys)
    assert rc == 0 and "Traceback" not in err
    assert (code, 2025) in record_counts(net)
    assert "control_character" in _issues(net, code, cids[1])
    wb = load_workbook(net / "processed" / "retours" / f"{code}.xlsx")
    fix = [[c for c in r] for r in wb["À corriger"].iter_rows(values_only=True)]
    # « À corriger »: Identifiant, Nom, Champ, Valeur reçue, Motif, … (the centre's language)
    assert any(r[0] == cids[1] and "contrôle" in str(r[4]) for r in fix)

    # the return file writes such a value visibly
    from grc.returns.write import write_return_file

    q = pd.DataFrame({"centre": [code], "local_id": ["X1"], "npai": [True], "last_name": ["Dup\x0bont"],
                      "organisation": [None], "address1": ["1 rue\x00"], "postcode": ["63300"],
                      "city": ["THIERS"], "exported": [True]})
    iss = pd.DataFrame({"centre": [code], "local_id": ["X1"], "field": ["last_name"],
                        "value": ["Dup\x0bont"], "message": ["m"], "suggestion": [None],
                        "code": ["control_character"]})
    path = write_return_file(net / "r.xlsx", code, q, iss)
    wb = load_workbook(path)
    assert wb["À corriger"]["D2"].value == "Dup[U+000B]ont"  # « Valeur reçue »
    assert wb["NPAI"]["B2"].value == "Dup[U+000B]ont"
    assert wb["NPAI"]["D2"].value.startswith("1 rue[U+0000]")  # « Adresse », town after it


def test_xlsx_serial_dates_and_formulas_without_value(net, capsys):
    code = by_software(net)["resaxl"]
    path = export_file(net, code, "stays")
    wb = load_workbook(path)
    ws = wb.active
    head = [c.value for c in ws[1]]
    arr, amount, cid = head.index("Date d'arrivée") + 1, head.index("Montant") + 1, head.index("ID client") + 1
    ws.cell(row=2, column=arr).value = 45700  # a serial number: 12/02/2025
    ws.cell(row=2, column=arr).number_format = "General"
    ws.cell(row=3, column=amount).value = "=E2*2"  # saved without its computed value
    id2, id3 = ws.cell(row=2, column=cid).value, ws.cell(row=3, column=cid).value
    wb.save(path)

    rc, out, _ = check(net, capsys, code)
    assert rc == 2
    assert "formule sans valeur calculée" in out and "ligne 3" in out and "colonne « Montant »" in out
    assert "date_format" not in out and "illisible" not in out

    rc, _, err = run(net, capsys)
    assert rc == 0, err
    st = _stays_by_row(net, code)
    assert pd.Timestamp(st.at[2, "arrival"]) == pd.Timestamp("2025-02-12")
    assert pd.isna(st.at[3, "amount"]) and st.at[3, "contact_local_id"] == id3
    assert st.at[2, "contact_local_id"] == id2
    assert "formula_without_value" in _issues(net, code, id3)


def test_formula_with_its_cached_value_is_read_and_not_flagged(net, capsys):
    import re
    import zipfile

    code = by_software(net)["resaxl"]
    path = export_file(net, code, "stays")
    wb = load_workbook(path)
    ws = wb.active
    head = [c.value for c in ws[1]]
    amount = head.index("Montant") + 1
    ws.cell(row=4, column=amount).value = "=100+23.5"
    wb.save(path)
    # as Excel saves it: the formula and its computed value
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = next(n for n in parts if n.startswith("xl/worksheets/") and b"<f>" in parts[n])
    parts[sheet] = re.sub(rb"(<f>100\+23\.5</f>)<v ?/>", rb"\1<v>123.5</v>", parts[sheet])
    with zipfile.ZipFile(path, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)

    rc, out, _ = check(net, capsys, code)
    assert "formule" not in out
    rc, _, err = run(net, capsys)
    assert rc == 0, err
    assert _stays_by_row(net, code).at[4, "amount"] == 123.5
