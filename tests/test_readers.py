"""Reading exports through correspondence tables: every dialect and every bad input."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from grc.cli import main
from grc.config import load_config
from grc.readers.exports import ExportError, read_centre


def _centres_by_dialect(cfg) -> dict[str, str]:
    out: dict[str, str] = {}
    for code in cfg.centre_codes():
        out.setdefault(cfg.centre(code).extra["software"], code)
    return out


def test_every_dialect_reads_to_common_schema(demo_dir):
    cfg = load_config(demo_dir / "network.yaml")
    dialects = _centres_by_dialect(cfg)
    assert set(dialects) == {"hestia", "groupbook", "sejourne", "resaxl"}
    for software, code in dialects.items():
        ex = read_centre(cfg.centre(code), cfg.export_dir(code), 2025)
        c, s = ex.contacts, ex.stays
        assert len(c) > 10, software
        assert c["local_id"].notna().all() and c["local_id"].is_unique
        assert (c["centre"] == code).all()
        assert pd.api.types.is_datetime64_any_dtype(c["created_at"])
        assert c["created_at"].notna().mean() > 0.95, software
        assert c["segment"].notna().mean() > 0.95, software
        assert c["last_name"].fillna(c["organisation"]).notna().mean() > 0.95
        # accents survive every encoding (cp1252, utf-8, utf-8 with BOM, xlsx)
        names = " ".join(c["first_name"].dropna())
        assert any(ch in names for ch in "éèëïÉ"), software
        assert not any("Ã" in str(v) for v in c["last_name"].dropna()), software
        assert pd.api.types.is_datetime64_any_dtype(s["arrival"])
        assert s["arrival"].dt.year.eq(2025).all(), software
        assert s["amount"].dtype == float and s["amount"].gt(0).all(), software
        assert s["nights"].dtype == "Int64"
        # raw rows as received are kept beside the mapped ones
        assert len(ex.raw_contacts) >= len(c)
        assert {f["kind"] for f in ex.files} == {"contacts", "stays"}


def _hestia(demo_copy: Path):
    cfg = load_config(demo_copy / "network.yaml")
    code = _centres_by_dialect(cfg)["hestia"]
    return cfg, code, cfg.export_dir(code) / "contacts.csv"


def _read(cfg, code):
    return read_centre(cfg.centre(code), cfg.export_dir(code), 2025)


def test_unreadable_encoding(demo_copy):
    cfg, code, path = _hestia(demo_copy)
    text = path.read_bytes().decode("cp1252")
    path.write_bytes(text.encode("utf-8"))  # now utf-8 while the table says cp1252
    with pytest.raises(ExportError) as err:
        _read(cfg, code)
    msg = str(err.value)
    assert code in msg and "contacts.csv" in msg and "UTF-8" in msg and "encoding" in msg
    # and the reverse: a table saying utf-8 for a cp1252 file
    path.write_bytes(text.encode("cp1252"))
    table = yaml.safe_load(cfg.centre(code).path.read_text(encoding="utf-8"))
    table["exports"]["contacts"]["encoding"] = "utf-8"
    cfg.centre(code).path.write_text(yaml.safe_dump(table, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ExportError) as err:
        _read(cfg, code)
    assert "illisible en utf-8" in str(err.value) and "ligne" in str(err.value)


def test_empty_file(demo_copy):
    cfg, code, path = _hestia(demo_copy)
    path.write_bytes(b"")
    with pytest.raises(ExportError, match="fichier vide"):
        _read(cfg, code)


def test_missing_required_column(demo_copy):
    cfg, code, path = _hestia(demo_copy)
    df = pd.read_csv(path, sep=";", encoding="cp1252", dtype=str, keep_default_na=False)
    df.drop(columns=["NOM"]).to_csv(path, sep=";", encoding="cp1252", index=False)
    with pytest.raises(ExportError) as err:
        _read(cfg, code)
    assert "« NOM »" in str(err.value) and "colonne attendue absente" in str(err.value)


def test_unmapped_column(demo_copy):
    cfg, code, path = _hestia(demo_copy)
    df = pd.read_csv(path, sep=";", encoding="cp1252", dtype=str, keep_default_na=False)
    df["FAX"] = ""
    df.to_csv(path, sep=";", encoding="cp1252", index=False)
    with pytest.raises(ExportError) as err:
        _read(cfg, code)
    assert "« FAX »" in str(err.value) and "non prévue" in str(err.value)


def test_wrong_separator(demo_copy):
    cfg, code, path = _hestia(demo_copy)
    df = pd.read_csv(path, sep=";", encoding="cp1252", dtype=str, keep_default_na=False)
    df.to_csv(path, sep=",", encoding="cp1252", index=False)
    with pytest.raises(ExportError) as err:
        _read(cfg, code)
    assert "séparateur" in str(err.value) and "« , »" in str(err.value) and "ligne 1" in str(err.value)


def test_unparseable_dates(demo_copy):
    cfg, code, path = _hestia(demo_copy)
    df = pd.read_csv(path, sep=";", encoding="cp1252", dtype=str, keep_default_na=False)
    # one bad date: a row-level warning naming the row and column, the file is still used
    df.loc[3, "DATE_CREA"] = "31/02/2024"
    df.to_csv(path, sep=";", encoding="cp1252", index=False)
    ex = _read(cfg, code)
    bad = [p for p in ex.problems if p.code == "invalid_date"]
    assert len(bad) == 1 and bad[0].row == 5 and bad[0].column == "DATE_CREA"
    assert "31/02/2024" in bad[0].message
    # every date in another format: the declared format is wrong, the file is refused
    df["DATE_CREA"] = "2024-03-01"
    df.to_csv(path, sep=";", encoding="cp1252", index=False)
    with pytest.raises(ExportError) as err:
        _read(cfg, code)
    assert "date_format" in str(err.value) and "DATE_CREA" in str(err.value)


def test_unknown_code_and_duplicate_local_id(demo_copy):
    cfg, code, path = _hestia(demo_copy)
    df = pd.read_csv(path, sep=";", encoding="cp1252", dtype=str, keep_default_na=False)
    df.loc[0, "CATEGORIE"] = "CODE INCONNU"
    df = pd.concat([df, df.iloc[[1]]], ignore_index=True)
    df.to_csv(path, sep=";", encoding="cp1252", index=False)
    ex = _read(cfg, code)
    unk = [p for p in ex.problems if p.code == "unknown_code" and p.local_id == df.loc[0, "NUM_CLI"]]
    assert unk and "CODE INCONNU" in unk[0].message and "codes.segment" in unk[0].message
    dup = [p for p in ex.problems if p.code == "duplicate_local_id" and p.local_id == df.loc[1, "NUM_CLI"]]
    assert dup and "exporté 2 fois" in dup[0].message
    assert ex.contacts["local_id"].is_unique
    assert ex.contacts.loc[ex.contacts["local_id"] == df.loc[0, "NUM_CLI"], "segment"].isna().all()


def test_ragged_row_names_the_line(demo_copy):
    cfg, code, path = _hestia(demo_copy)
    lines = path.read_bytes().decode("cp1252").split("\r\n")
    lines[4] = lines[4] + ";en trop"
    path.write_bytes("\r\n".join(lines).encode("cp1252"))
    with pytest.raises(ExportError) as err:
        _read(cfg, code)
    assert "ligne 5" in str(err.value)


def test_xlsx_missing_column(demo_copy):
    cfg = load_config(demo_copy / "network.yaml")
    code = _centres_by_dialect(cfg)["resaxl"]
    path = cfg.export_dir(code) / "clients.xlsx"
    df = pd.read_excel(path, dtype=str)
    with pd.ExcelWriter(path) as xw:
        df.drop(columns=["ID"]).to_excel(xw, sheet_name="Clients", index=False)
    with pytest.raises(ExportError) as err:
        _read(cfg, code)
    assert "« ID »" in str(err.value) and "clients.xlsx" in str(err.value)


def test_grc_check_prints_and_exits(demo_copy, capsys):
    cfg, code, path = _hestia(demo_copy)
    # this centre has a warning (an unknown local code): exit 2, "warnings only"
    assert main(["check", "--config", str(demo_copy / "network.yaml"), "--centre", code]) == 2
    out = capsys.readouterr().out
    assert "contacts" in out and code in out and "AVERTISSEMENT" in out
    path.write_bytes(b"")
    assert main(["check", "--config", str(demo_copy / "network.yaml"), "--centre", code]) == 1
    err = capsys.readouterr().err
    assert "fichier vide" in err and code in err
    assert main(["check", "--config", str(demo_copy / "network.yaml"), "--centre", "ZZZ"]) == 1
    assert "Centre inconnu" in capsys.readouterr().err


def test_raw_as_json_is_json_dumps_of_each_row():
    import json

    import numpy as np
    from grc.store.base import raw_as_json

    raw = pd.DataFrame({"row": [2, 3, 4], 'Nom "client"': ["Élise\\n", None, "a\tb"],
                        "n": [1.5, np.nan, 3.0], "d": ["01/02/2024", "01/02/2024", ""]})
    got = raw_as_json(raw, "AES", 2025, "run", "sha")
    want = [json.dumps({'Nom "client"': a, "n": None if b != b else str(b), "d": c}, ensure_ascii=False)
            for a, b, c in zip(raw['Nom "client"'], raw["n"], raw["d"], strict=True)]
    assert got["data"].tolist() == want
    assert got["row"].tolist() == [2, 3, 4] and set(got["centre"]) == {"AES"}
