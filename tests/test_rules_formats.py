"""Campaign files (issue 18 part 3, issue 20): csv, xlsx, Brevo and Mailchimp import files read
back and checked against the tools' documented columns; calling hours printed with every phone
extraction; ``--for`` on a generated network (planted objections and soft opt-in notice)."""

from __future__ import annotations

import csv
import datetime as dt
import re

import openpyxl
import pandas as pd
import pytest
from grc import rules
from grc.campaigns import extract as ex
from grc.campaigns import formats

REF = dt.date(2025, 12, 31)


def _result(channel="email", ref=REF):
    rows = [
        {"contact_id": "C1", "civility": "MME", "first_name": "=HYPERLINK(\"http://x\")",
         "last_name": "Martin", "organisation": None, "email": "anne.martin@example.fr",
         "mobile": "06 12 34 56 78", "phone": None, "segment": "IND-FAM", "kind": "B2C",
         "optin_email": True, "optin_phone": True, "rnvp6": "86390 LATHUS", "centres": "LAT"},
        {"contact_id": "C2", "civility": "M", "first_name": "Paul", "last_name": "Durand",
         "organisation": "École Jules Ferry", "email": "p.durand@ecole-ferry.fr",
         "mobile": "+33698765432", "phone": "05 49 00 00 00", "segment": "SCO-PRIM",
         "kind": "B2B", "optin_email": False, "optin_phone": False, "rnvp6": "86000 POITIERS",
         "centres": "LAT"},
        {"contact_id": "C3", "civility": None, "first_name": "Léa", "last_name": "Roux",
         "organisation": None, "email": "lea.roux@example.fr", "mobile": None, "phone": None,
         "segment": "IND-ADU", "kind": "B2C", "optin_email": False, "optin_phone": False,
         "rnvp6": None, "centres": "LAT"},
    ]
    return ex.extract(pd.DataFrame(rows), None, None, ex.Selection(channel=channel), ref)


def test_brevo_file_as_documented(tmp_path):
    res = _result()
    paths = formats.write_extract(res, tmp_path / "brevo.csv", "brevo")
    raw = paths[0].read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")           # UTF-8 without BOM
    raw.decode("utf-8")
    head = raw.decode("utf-8").splitlines()[0]
    assert head.split(";")[:5] == list(formats.BREVO_DOCUMENTED)   # ";" separator
    back = pd.read_csv(paths[0], sep=";", dtype=str, encoding="utf-8", keep_default_na=False)
    assert list(back.columns) == list(formats.BREVO_COLUMNS)
    assert set(back["EXT_ID"]) == {"C1", "C2"}            # C3: no consent, private person
    row = back.set_index("EXT_ID")
    # SMS: "+" and the country code, no separator; only for professionals
    assert row.loc["C2", "SMS"] == "+33698765432" and row.loc["C1", "SMS"] == ""
    assert all(re.fullmatch(r"\+\d{8,15}", v) for v in back["SMS"] if v)
    assert row.loc["C1", "BASE_LEGALE"] == "consentement"
    assert row.loc["C2", "BASE_LEGALE"].startswith("professionnel")
    assert row.loc["C1", "FIRSTNAME"].startswith("'=")   # formula neutralised
    assert row.loc["C1", "EMAIL"] == "anne.martin@example.fr"


def test_mailchimp_file_as_documented(tmp_path):
    res = _result()
    path = formats.write_extract(res, tmp_path / "mc.csv", "mailchimp")[0]
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=","))
    assert rows[0][:4] == list(formats.MAILCHIMP_DOCUMENTED)
    assert rows[0] == list(formats.MAILCHIMP_COLUMNS)
    back = pd.DataFrame(rows[1:], columns=rows[0])
    assert back["Email Address"].str.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+").all()
    assert not back["Email Address"].duplicated().any()   # one address per contact
    assert back.map(lambda v: len(v.encode()) <= 255).all().all()
    assert set(back["Phone Number"]) == {"", "+33698765432"}
    assert back.set_index("Email Address").loc["anne.martin@example.fr",
                                               "First Name"].startswith("'=")


@pytest.mark.parametrize("tool", formats.TOOLS)
def test_tool_formats_are_for_email_only(tmp_path, tool):
    from grc.config import ConfigError

    with pytest.raises(ConfigError, match="--channel email"):
        formats.write_extract(_result("courrier"), tmp_path / "x.csv", tool)
    with pytest.raises(ConfigError, match=".csv"):
        formats.write_extract(_result(), tmp_path / "x.xlsx", tool)


def test_csv_and_xlsx_are_spreadsheet_safe(tmp_path):
    res = _result()
    paths = formats.write_extract(res, tmp_path / "e.csv", "csv")
    assert [p.name for p in paths] == ["e.csv", "e.exclusions.csv", "e.resume.csv"]
    back = pd.read_csv(paths[0], sep=";", dtype=str, encoding="utf-8-sig")
    assert back.set_index("Identifiant").loc["C1", "Prénom"].startswith("'=")
    assert set(back["Règle appliquée"]) == {"email_b2c_consent", "email_b2b"}
    excl = pd.read_csv(paths[1], sep=";", dtype=str, encoding="utf-8-sig")
    assert excl.to_dict("records") == [{
        "Identifiant": "C3", "Segment": "IND-ADU", "Type": "B2C", "Code motif": "no_email_consent",
        "Motif": ex.REASONS["no_email_consent"], "Règle": "email_b2c_consent",
        "Texte de la règle": rules.EMAIL_B2C_CONSENT.text,
        "Source": rules.EMAIL_B2C_CONSENT.source}]
    xl = formats.write_extract(res, tmp_path / "e.xlsx")[0]
    ws = openpyxl.load_workbook(xl)["Extraction"]
    cells = [c for r in ws.iter_rows() for c in r if isinstance(c.value, str)
             and c.value.startswith("=")]
    assert cells and all(c.data_type == "s" for c in cells)


@pytest.mark.parametrize("ref", [dt.date(2026, 8, 10), dt.date(2026, 8, 11)])
def test_calling_hours_printed_with_every_phone_extraction(tmp_path, ref):
    res = _result("telephone", ref)
    hours = "du lundi au vendredi, de 10 h à 13 h et de 14 h à 20 h"
    assert hours in res.law and rules.CALLING_HOURS.source in res.law
    paths = formats.write_extract(res, tmp_path / "t.csv")
    assert hours in paths[2].read_text(encoding="utf-8-sig")
    wb = openpyxl.load_workbook(formats.write_extract(res, tmp_path / "t.xlsx")[0])
    assert any(hours in str(r[0].value) for r in wb["Résumé"].iter_rows())
    assert "10 h" not in _result("email", ref).law   # only phone extractions carry it


# --- on a generated network (objections and notices planted by the demo generator) -----------

@pytest.fixture(scope="module")
def planted_base(tmp_path_factory):
    """4 centres, 400 clients, 2024–2025 integrated; seed 5 plants objections at one centre."""
    from grc.config import load_config
    from grc.demo.generator import generate
    from grc.pipeline.integrate import run_pipeline

    tmp = tmp_path_factory.mktemp("planted")
    generate(tmp, centres=4, contacts=400, years="2024-2025", seed=5)
    cfg = load_config(tmp / "network.yaml")
    run_pipeline(cfg.with_year(2024), progress=False)
    run_pipeline(cfg, progress=False)
    return tmp


def test_cli_for_centre_and_network(planted_base, tmp_path, capsys):
    from grc.config import load_config

    cfg_path = planted_base / "network.yaml"
    cfg = load_config(cfg_path)
    records = ex.load_records(cfg)
    assert records is not None and {"objection", "soft_optin_told"} <= set(records.columns)
    assert records["objection"].dtype == bool and records["objection"].sum() > 0  # planted
    told = {c for c in cfg.centre_codes() if cfg.centre(c).extra.get("soft_optin_told_since")}
    assert told and records.loc[records["centre"].isin(told), "soft_optin_told"].any()
    assert not records.loc[~records["centre"].isin(told), "soft_optin_told"].any()

    centre = sorted(told)[0]
    out = tmp_path / "c.csv"
    assert ex.cli_extract(["--config", str(cfg_path), "--channel", "email", "--for", centre,
                           "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"campagne du centre {centre}" in printed
    back = pd.read_csv(out, sep=";", dtype=str, encoding="utf-8-sig")
    mine = set(records.loc[records["centre"] == centre, "contact_id"])
    assert set(back["Identifiant"]) <= mine                  # only the centre's contacts
    objected = set(records.loc[records["objection"], "contact_id"])
    assert not set(back["Identifiant"]) & objected

    net = tmp_path / "n.csv"
    assert ex.cli_extract(["--config", str(cfg_path), "--channel", "email", "--out", str(net),
                           "--format", "brevo"]) == 0
    nb = pd.read_csv(net, sep=";", dtype=str)
    assert "soft opt-in du centre" not in set(nb["BASE_LEGALE"])
    assert not set(nb["EXT_ID"]) & objected
    assert ex.cli_extract(["--config", str(cfg_path), "--for", "XXX"]) == 2
    assert "centre inconnu" in capsys.readouterr().err
    bad = tmp_path / "tel_brevo.csv"
    assert ex.cli_extract(["--config", str(cfg_path), "--channel", "telephone", "--format",
                           "brevo", "--out", str(bad)]) == 2
    assert "--channel email" in capsys.readouterr().err and not bad.exists()

    tel = tmp_path / "t.xlsx"
    assert ex.cli_extract(["--config", str(cfg_path), "--channel", "telephone",
                           "--out", str(tel)]) == 0
    assert "de 10 h à 13 h et de 14 h à 20 h" in capsys.readouterr().out
