"""grc map: correspondence tables drafted from raw exports (issue 18, part 2).

On every dialect of the demo generator the draft must map the columns exactly as the
generated table does (and describe the files the same way). Three held-back dialects, written
here and never used to build the mapper (other software's column names, other separators,
encodings, date formats and code lists), measure how well it generalises: the shares of
columns and of segment codes mapped right are printed and held to a floor.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from grc.cli import main
from grc.demo import generator as gen
from grc.readers import mapping as M
from grc.readers.dialect import detect_date_format, detect_encoding, detect_separator, read_export

_S = ["SCO-MAT", "SCO-PRIM", "SCO-COL", "SCO-LYC", "SCO-SUP", "JEU-ACM", "SPO-CLUB", "SPO-FED",
      "CUL-ASSO", "SOC-ASSO", "PRO-SEM", "PRO-INST", "INT-GRP", "IND-FAM", "IND-JEU", "IND-ADU"]

HELD_BACK: dict[str, dict] = {
    # an English-language property-management system: tab separated, ISO dates
    "campus": {
        "contacts": {"file": "guests.tsv", "sep": "\t", "encoding": "utf-8",
                     "date_format": "%Y-%m-%d"},
        "stays": {"file": "reservations.tsv", "sep": "\t", "encoding": "utf-8", "decimal": ".",
                  "date_format": "%Y-%m-%d"},
        "columns": {
            "contacts": {"Guest ID": "local_id", "Salutation": "civility",
                         "First Name": "first_name", "Last Name": "last_name",
                         "Company": "organisation", "Job Title": "position",
                         "Address Line 1": "address1", "Address Line 2": "address2",
                         "Postal Code": "postcode", "City": "city", "Country": "country",
                         "Phone": "phone", "Mobile Phone": "mobile", "Email Address": "email",
                         "Customer Type": "segment", "Marketing Email": "optin_email",
                         "Marketing Phone": "optin_phone", "Created On": "created_at",
                         "Last Modified": "updated_at"},
            "stays": {"Guest ID": "contact_local_id", "Arrival Date": "arrival",
                      "Nights": "nights", "Guests": "persons", "Total Price": "amount",
                      "Rate Plan": "product"},
        },
        "ignore": {"contacts": [], "stays": ["Reservation Number"]},
        "codes": dict(zip(_S, ["Scolaire maternelle", "Scolaire élémentaire", "Scolaire collège",
                               "Scolaire lycée", "Étudiants", "ALSH", "Association sportive",
                               "Ligue ou comité", "Association culturelle", "Action sociale",
                               "Séminaire entreprise", "Collectivité ou CE", "Groupe étranger",
                               "Famille", "Jeune individuel", "Individuel adulte"], strict=True)),
        "unknown": ["Other", "Misc"],
        "optin": ("Y", "N"),
    },
    # a French gîte software: pipe separated, Latin-9, dotted dates, codes that say nothing
    "gitesoft": {
        "contacts": {"file": "fichier_clients.txt", "sep": "|", "encoding": "iso-8859-15",
                     "date_format": "%d.%m.%Y"},
        "stays": {"file": "fichier_resas.txt", "sep": "|", "encoding": "iso-8859-15",
                  "decimal": ",", "date_format": "%d.%m.%Y"},
        "columns": {
            "contacts": {"Réf.": "local_id", "Titre": "civility", "Nom de famille": "last_name",
                         "Prénom": "first_name", "Société": "organisation", "Poste": "position",
                         "Rue": "address1", "Complément d'adresse": "address2",
                         "Code Postal": "postcode", "Localité": "city", "Pays": "country",
                         "Téléphone": "phone", "GSM": "mobile", "Adresse e-mail": "email",
                         "Typologie": "segment", "Accepte e-mailing": "optin_email",
                         "Accepte appels": "optin_phone", "Date de création": "created_at",
                         "Dernière modification": "updated_at"},
            "stays": {"Réf. client": "contact_local_id", "Début": "arrival",
                      "Nb nuits": "nights", "Nb personnes": "persons", "Total TTC": "amount",
                      "Offre": "product"},
        },
        "ignore": {"contacts": [], "stays": []},
        "codes": {c: f"T{i:02d}" for i, c in enumerate(_S, start=1)},
        "unknown": ["T99"],
        "optin": ("1", "0"),
    },
    # a spreadsheet kept by hand: one sheet per file, abbreviated codes
    "tableur": {
        "contacts": {"file": "base_clients.xlsx", "sheet": "Export", "date_format": "%d/%m/%Y"},
        "stays": {"file": "base_sejours.xlsx", "sheet": "Export", "date_format": "%d/%m/%Y"},
        "columns": {
            "contacts": {"N° client": "local_id", "Civ": "civility", "NOM": "last_name",
                         "Prénom": "first_name", "Etablissement": "organisation",
                         "Qualité": "position", "Adresse": "address1",
                         "Adresse (suite)": "address2", "CP": "postcode", "Ville": "city",
                         "Pays": "country", "Tel fixe": "phone", "Tel portable": "mobile",
                         "Mail": "email", "Type client": "segment", "Opt-in email": "optin_email",
                         "Opt-in tél": "optin_phone", "Date création": "created_at",
                         "Date maj": "updated_at"},
            "stays": {"N° client": "contact_local_id", "Date début séjour": "arrival",
                      "Durée (nuits)": "nights", "Effectif": "persons", "CA TTC": "amount",
                      "Produit": "product"},
        },
        "ignore": {"contacts": [], "stays": []},
        "codes": dict(zip(_S, ["SCOL-M", "SCOL-E", "SCOL-C", "SCOL-L", "ETUD", "LOISIRS", "SPORT",
                               "FED", "CULTURE", "SOCIAL", "ENTR", "ADMIN", "ETRANGER", "FAMILLE",
                               "JEUNE", "ADULTE"], strict=True)),
        "unknown": ["?"],
        "optin": ("Oui", "Non"),
    },
    # written after the first three were measured and the mapper last changed: a blind one.
    # Comma separated Windows-1252, month-first dates, English-language codes
    "resaweb": {
        "contacts": {"file": "customers.csv", "sep": ",", "encoding": "cp1252",
                     "date_format": "%m/%d/%Y"},
        "stays": {"file": "invoices.csv", "sep": ",", "encoding": "cp1252", "decimal": ".",
                  "date_format": "%m/%d/%Y"},
        "columns": {
            "contacts": {"CustomerNo": "local_id", "Gender": "civility",
                         "Firstname": "first_name", "Name": "last_name",
                         "Organization": "organisation", "Function": "position",
                         "Address": "address1", "Address2": "address2", "ZIP": "postcode",
                         "Place": "city", "Country": "country", "Telephone": "phone",
                         "Cellular": "mobile", "E-Mail": "email", "Group": "segment",
                         "Newsletter OK": "optin_email", "Calls OK": "optin_phone",
                         "Created": "created_at", "Changed": "updated_at"},
            "stays": {"CustomerNo": "contact_local_id", "From": "arrival", "Nights": "nights",
                      "Persons": "persons", "Revenue": "amount", "Article": "product"},
        },
        "ignore": {"contacts": [], "stays": ["Invoice"]},
        "codes": dict(zip(_S, ["School (nursery)", "Primary school", "Secondary school",
                               "High school", "University", "Holiday camp", "Sports club",
                               "Sports federation", "Cultural association",
                               "Social association", "Company", "Public body", "Foreign group",
                               "Family", "Young traveller", "Adult"], strict=True)),
        "unknown": ["Other"],
        "optin": ("yes", "no"),
    },
    # written after the mapper's last change, run once as a blind check: semicolons, UTF-8
    # with BOM, two-digit years, a French vocabulary of its own
    "gestgroupe": {
        "contacts": {"file": "contacts_export.csv", "sep": ";", "encoding": "utf-8-sig",
                     "date_format": "%d/%m/%y"},
        "stays": {"file": "reservations_export.csv", "sep": ";", "encoding": "utf-8-sig",
                  "decimal": ",", "date_format": "%d/%m/%y"},
        "columns": {
            "contacts": {"Numéro": "local_id", "Politesse": "civility", "Nom usuel": "last_name",
                         "Prénom usuel": "first_name", "Organisme payeur": "organisation",
                         "Rôle": "position", "Voie": "address1", "Bâtiment": "address2",
                         "Code postal": "postcode", "Ville de résidence": "city",
                         "Pays de résidence": "country", "Fixe": "phone",
                         "Portable perso": "mobile", "Adresse électronique": "email",
                         "Clientèle": "segment", "Infolettre": "optin_email",
                         "Prospection téléphonique": "optin_phone",
                         "Ouverture du compte": "created_at",
                         "Dernière mise à jour": "updated_at"},
            "stays": {"Numéro client": "contact_local_id", "Date d'entrée": "arrival",
                      "Nombre de nuits": "nights", "Nombre de participants": "persons",
                      "Prix TTC": "amount", "Type d'hébergement": "product"},
        },
        "ignore": {"contacts": [], "stays": ["N° dossier"]},
        "codes": dict(zip(_S, ["Scolaire - maternelle", "Scolaire - élémentaire",
                               "Scolaire - collège", "Scolaire - lycée",
                               "Enseignement supérieur", "Accueil collectif de mineurs",
                               "Club sportif amateur", "Comité / ligue sportive",
                               "Association culturelle", "Association à vocation sociale",
                               "Entreprise", "Administration / collectivité",
                               "Groupe de l'étranger", "Famille", "Jeune (moins de 26 ans)",
                               "Adulte / senior"], strict=True)),
        "unknown": ["Non renseigné", "Partenaire"],
        "optin": ("Oui", "Non"),
    },
}


def _network(tmp: Path, dialects: dict[str, dict] | None, centres: int, seed: int) -> Path:
    with pytest.MonkeyPatch.context() as mp:
        if dialects:
            mp.setattr(gen, "DIALECTS", {**gen.DIALECTS, **dialects})
            mp.setattr(gen, "DIALECT_ORDER", list(dialects))
        gen.generate(tmp, centres=centres, contacts=250 * centres, years="2025-2025", seed=seed)
    return tmp


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    return _network(tmp_path_factory.mktemp("map_demo"), None, 4, 5)


@pytest.fixture(scope="module")
def held_back(tmp_path_factory) -> Path:
    return _network(tmp_path_factory.mktemp("map_held"), HELD_BACK, 5, 8)


def _compare(root: Path) -> dict[str, dict]:
    """Per centre: the generated table, the draft's table, and the scores."""
    out = {}
    for t in sorted((root / "centres").glob("*.yaml")):
        want = yaml.safe_load(t.read_text(encoding="utf-8"))
        folder = root / "raw" / "2025" / want["code"]
        draft = M.draft_table(folder / want["exports"]["contacts"]["file"],
                              folder / want["exports"]["stays"]["file"], want["code"])
        got = draft.table()
        cols = ok_cols = 0
        for kind in ("contacts", "stays"):
            local = set(want["columns"][kind]) | set(want.get("ignore", {}).get(kind, []))
            for c in local:
                cols += 1
                ok_cols += want["columns"][kind].get(c) == got["columns"][kind].get(c)
        seg_col = next(k for k, v in want["columns"]["contacts"].items() if v == "segment")
        present = set(read_export(folder / want["exports"]["contacts"]["file"], "contacts")
                      .frame[seg_col].dropna().astype(str))
        wanted = {c: want["codes"]["segment"].get(c) for c in present}
        ok_codes = sum(got["codes"]["segment"].get(c) == v for c, v in wanted.items())
        out[want["code"]] = {"want": want, "got": got, "draft": draft, "cols": cols,
                             "ok_cols": ok_cols, "codes": len(wanted), "ok_codes": ok_codes,
                             "wanted": wanted}
    return out


def test_every_generator_dialect_is_mapped_exactly(demo):
    res = _compare(demo)
    softwares = {r["want"]["software"] for r in res.values()}
    assert softwares == set(gen.DIALECT_ORDER)
    for code, r in res.items():
        want, got = r["want"], r["got"]
        assert got["columns"] == want["columns"], code
        assert {k: sorted(v) for k, v in got["ignore"].items()} == \
            {k: sorted(v) for k, v in want["ignore"].items()}, code
        assert got["exports"] == want["exports"], code
    codes = sum(r["codes"] for r in res.values())
    ok = sum(r["ok_codes"] for r in res.values())
    print(f"\ngenerator dialects: codes {ok}/{codes} mapped as the generated tables")
    assert ok / codes >= 0.9


def test_known_codes_are_mapped_and_unknown_ones_left_to_decide(demo):
    for r in _compare(demo).values():
        for p in r["draft"].codes:
            want = r["wanted"][p.local]
            if p.common is not None and p.note is None:
                # a line with no comment is a sure one: it must be right, except the
                # generator's planted "CLASSE VERTE", which really names a primary-school trip
                assert p.common == want or p.local == "CLASSE VERTE", (p, want)
            if p.common is None:
                assert p.note and "à décider" in p.note


def test_held_back_dialects_share_mapped_right(held_back):
    res = _compare(held_back)
    assert {r["want"]["software"] for r in res.values()} == set(HELD_BACK)
    cols = sum(r["cols"] for r in res.values())
    ok_cols = sum(r["ok_cols"] for r in res.values())
    codes = sum(r["codes"] for r in res.values())
    ok_codes = sum(r["ok_codes"] for r in res.values())
    for code, r in res.items():
        print(f"\n{code} ({r['want']['software']}): columns {r['ok_cols']}/{r['cols']}, "
              f"codes {r['ok_codes']}/{r['codes']}")
    print(f"held-back dialects: columns {ok_cols}/{cols} = {ok_cols / cols:.0%}, "
          f"codes {ok_codes}/{codes} = {ok_codes / codes:.0%}")
    assert ok_cols / cols >= 0.9
    assert ok_codes / codes >= 0.7
    for r in res.values():  # files are read as written
        for kind in ("contacts", "stays"):
            spec, want = r["got"]["exports"][kind], r["want"]["exports"][kind]
            assert spec.get("sep") == want.get("sep")
            if "encoding" in want:  # read as written (cp1252 and Latin-9 agree without œ/€)
                raw = (r["draft"].exports[kind]["file"], want["encoding"], spec["encoding"])
                data = (held_back / "raw" / "2025" / r["want"]["code"] / raw[0]).read_bytes()
                assert data.decode(raw[1]) == data.decode(raw[2])
            assert spec.get("sheet") == want.get("sheet")
            assert spec.get("date_format") == want.get("date_format")
            assert spec.get("decimal") == want.get("decimal")


def test_draft_is_checked_by_grc_check(held_back, tmp_path, capsys):
    """The analyst's path: grc map writes the draft, grc check reads the export with it."""
    net = yaml.safe_load((held_back / "network.yaml").read_text(encoding="utf-8"))
    centres = tmp_path / "centres"
    centres.mkdir()
    net["centres_dir"] = str(centres)
    net["raw_dir"] = str(held_back / "raw")
    for k in ("processed_dir", "reports_dir"):
        net[k] = str(tmp_path / k)
    for k in ("bloctel_file", "npai_file", "erasure_file"):
        net.pop(k, None)
    cfg = tmp_path / "network.yaml"
    cfg.write_text(yaml.safe_dump(net, allow_unicode=True), encoding="utf-8")
    for t in sorted((held_back / "centres").glob("*.yaml")):
        want = yaml.safe_load(t.read_text(encoding="utf-8"))
        folder = held_back / "raw" / "2025" / want["code"]
        out = centres / f"{want['code']}.yaml"
        assert main(["map", "--contacts", str(folder / want["exports"]["contacts"]["file"]),
                     "--stays", str(folder / want["exports"]["stays"]["file"]),
                     "--code", want["code"], "--out", str(out)]) == 0
        text = out.read_text(encoding="utf-8")
        assert text.startswith("# Table de correspondance") and "grc check" in text
        # nothing blocking: 0, or 2 when the export only has warnings (grc check's statuses)
        assert main(["check", "--config", str(cfg), "--centre", want["code"]]) in (0, 2)
        # an existing table is never overwritten by accident
        assert main(["map", "--contacts", str(folder / want["exports"]["contacts"]["file"]),
                     "--code", want["code"], "--out", str(out)]) == 1
    assert "Brouillon de table de correspondance" in capsys.readouterr().out


def test_uncertain_lines_carry_a_french_comment(tmp_path):
    contacts = tmp_path / "c.csv"
    contacts.write_text(
        "Identifiant;Nom;Zone libre;Infos;Cat\n"
        + "".join(f"{i};Dupont{i};{'a' if i % 2 else 'b'};x{i};{'VIP' if i == 1 else 'ECOLE'}\n"
                  for i in range(1, 30)), encoding="utf-8")
    d = M.draft_table(contacts, None, "ZZ")
    text = M.render_yaml(d)
    assert "Identifiant: local_id" in text and "Nom: last_name" in text
    assert "# « VIP »" not in text
    vip = next(p for p in d.codes if p.local == "VIP")
    assert vip.common is None and "à décider" in vip.note
    assert '# VIP: ' in text and "unknown_code" in text
    parsed = yaml.safe_load(text)
    assert parsed["code"] == "ZZ" and "VIP" not in parsed["codes"]["segment"]


def test_dialect_detectors():
    assert detect_encoding("é".encode("cp1252"))[0] == "cp1252"
    assert detect_encoding("é".encode())[0] == "utf-8"
    assert detect_encoding(b"\xef\xbb\xbfa;b")[0] == "utf-8-sig"
    assert detect_encoding("Le Cœur;Noël".encode("iso-8859-15"))[0] == "iso-8859-15"
    assert detect_encoding("Noël;½ pension".encode("cp1252"))[0] == "cp1252"
    assert detect_separator("a;b;c\n1;2,5;3\n")[0] == ";"
    assert detect_separator("a\tb\n1\t2\n")[0] == "\t"
    assert detect_separator('a,b\n"x, y",2\n')[0] == ","
    fmt, share, amb = detect_date_format(pd.Series(["31/12/2024", "01/02/2025"]))
    assert (fmt, share, amb) == ("%d/%m/%Y", 1.0, False)
    fmt, _, amb = detect_date_format(pd.Series(["01/02/2025", "03/04/2025"]))
    assert fmt == "%d/%m/%Y" and amb  # day-first proposed, flagged
    assert detect_date_format(pd.Series(["2025-02-01"]))[0] == "%Y-%m-%d"
    assert detect_date_format(pd.Series(["06 12 34 56 78"]))[0] is None


def test_map_reports_a_missing_file_in_french(tmp_path, capsys):
    assert main(["map", "--contacts", str(tmp_path / "absent.csv"), "--code", "ZZ",
                 "--out", str(tmp_path / "ZZ.yaml")]) == 1
    assert "introuvable" in capsys.readouterr().err
    assert not (tmp_path / "ZZ.yaml").exists()
