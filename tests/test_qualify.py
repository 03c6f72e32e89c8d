"""Tests for grc.qualify.records and grc.returns.write (French examples, small frames)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from grc.config import load_segmentation, project_root
from grc.qualify import records as Q
from grc.returns.write import write_return_file
from openpyxl import load_workbook

SEG = load_segmentation(project_root() / "params" / "segmentation.yaml")
COLUMNS = ["centre", "year", "row", "local_id", "civility", "first_name", "last_name",
           "organisation", "position", "address1", "address2", "address3", "postcode", "city",
           "country", "phone", "mobile", "email", "segment", "segment_local", "optin_email",
           "optin_phone", "created_at", "updated_at", "employees"]
BASE = dict(centre="LAT", year=2025, civility="M.", first_name="Jean", last_name="Dupont",
            address1="12 rue des Lilas", postcode="86000", city="Poitiers",
            email="jean.dupont@gmail.com", optin_email="1", segment="IND-FAM",
            created_at=pd.Timestamp("2025-03-01"))


def frame(*rows: dict, base: bool = True) -> pd.DataFrame:
    recs = []
    for i, r in enumerate(rows):
        rec = {**(BASE if base else {"centre": "LAT"}), "local_id": str(i + 1), "row": i + 2,
               **r}
        recs.append({c: rec.get(c) for c in COLUMNS})
    df = pd.DataFrame(recs, columns=COLUMNS)
    for c in COLUMNS:
        if c not in ("created_at", "updated_at", "year", "row"):
            df[c] = df[c].astype(object).where(df[c].notna(), None)
    df["created_at"] = pd.to_datetime(df["created_at"])
    df["updated_at"] = pd.to_datetime(df["updated_at"])
    return df


def run(*rows: dict, ref: dt.date = dt.date(2025, 12, 31), **kw) -> tuple[pd.DataFrame,
                                                                           pd.DataFrame]:
    return Q.qualify(frame(*rows), Q.QualifyContext(ref, SEG, **kw))


def codes(iss: pd.DataFrame, local_id: str = "1") -> set[str]:
    return set(iss.loc[iss["local_id"] == local_id, "code"])


def test_clean_record_not_flagged():
    q, iss = run({})
    assert iss.empty
    r = q.iloc[0]
    assert r.mailable and r.emailable and r.phoneable is np.False_ or not r.phoneable
    assert r.email == "jean.dupont@gmail.com" and r.department == "86"
    assert r.region == "Nouvelle-Aquitaine" and r.kind == "B2C"
    assert list(q.index) == [0]
    for c in Q.RAW_FIELDS:
        assert c + "_raw" in q.columns
    from grc.schema import QUALIFIED_EXTRA
    assert set(QUALIFIED_EXTRA) <= set(q.columns)


@pytest.mark.parametrize("raw,expected", [
    ("M", "M"), ("M.", "M"), ("Mr", "M"), ("MR.", "M"), ("Monsieur", "M"),
    ("Mme", "MME"), ("MME", "MME"), ("Madame", "MME"), ("Mlle", "MME"), ("Melle", "MME"),
    ("Mademoiselle", "MME"), ("Me", None), ("Maître", None), ("", None), (None, None),
])
def test_civility(raw, expected):
    assert Q.normalise_civility(raw) == expected


def test_names_display_and_keys():
    q, _ = run({"first_name": " élise ", "last_name": "de la Fontaine"},
               {"first_name": "jean-pierre", "last_name": "Cœur", "organisation": "mairie de l'isle"},
               {"first_name": "Élise", "last_name": "DE LA FONTAINE"})
    assert q["first_name"].tolist() == ["Élise", "Jean-Pierre", "Élise"]
    assert q["last_name"].tolist() == ["DE LA FONTAINE", "CŒUR", "DE LA FONTAINE"]
    assert q["first_key"].tolist() == ["elise", "jean pierre", "elise"]
    assert q["last_key"].tolist() == ["fontaine", "coeur", "fontaine"]
    assert q["org_key"].iloc[1] == "mairie isle"
    assert q["organisation"].iloc[1] == "MAIRIE DE L'ISLE"
    assert Q.name_key("Le") == "le"  # a name made of a particle only is kept


def test_missing_name():
    _, iss = run({"last_name": None}, {"last_name": None, "organisation": "Club de foot"})
    assert "missing_name" in codes(iss, "1") and "missing_name" not in codes(iss, "2")
    assert "saisir le nom" in iss.loc[iss.code == "missing_name", "message"].iloc[0]


@pytest.mark.parametrize("raw", ["06 12 34 56 78", "06.12.34.56.78", "06-12-34-56-78",
                                 "0612345678", "+33 6 12 34 56 78", "0033612345678",
                                 "+33 (0)6 12 34 56 78", "612345678", "+33612345678"])
def test_phone_writings(raw):
    q, iss = run({"phone": raw})
    assert q["phone"].iloc[0] == "+33612345678"
    assert q["phone_type"].iloc[0] == "mobile"
    assert "invalid_phone" not in codes(iss)


def test_phone_fixed_overseas_split_and_text():
    q, iss = run({"phone": "01 23 45 67 89"},
                 {"phone": "0262 12 34 56", "postcode": "97400", "city": "Saint-Denis"},
                 {"phone": "01 23 45 67 89 / 06 11 22 33 44"},
                 {"phone": "voir secrétariat"},
                 {"phone": "06 12 34"},
                 {"phone": "0692 12 34 56", "postcode": "75011", "city": "Paris"})
    assert q["phone"].tolist()[:3] == ["+33123456789", "+262262123456", "+33123456789"]
    assert q["phone_type"].tolist()[:3] == ["fixed", "fixed", "fixed"]
    assert q["mobile"].iloc[2] == "+33611223344" and q["mobile_type"].iloc[2] == "mobile"
    assert q["phone"].iloc[3] is None and q["phone_raw"].iloc[3] == "voir secrétariat"
    assert codes(iss, "4") == {"invalid_phone"}
    msg = iss.loc[iss.local_id == "4", "message"].iloc[0]
    assert "« voir secrétariat »" in msg and "texte sans numéro" in msg
    assert "invalid_phone" in codes(iss, "5")
    assert "incomplet" in iss.loc[iss.local_id == "5", "message"].iloc[0]
    assert q["phone"].iloc[5] == "+262692123456"  # a Réunion mobile written nationally
    assert not codes(iss, "1") and not codes(iss, "2") and not codes(iss, "3")


def _phone_sample() -> list[str]:
    rng = np.random.default_rng(7)
    out = ["", "   ", "voir secrétariat", "06", "+33 6 12", "0800 123 456", "0899 12 34 56",
           "09 70 12 34 56", "07 00 12 34 56", "+32 2 555 12 12", "+330612345678",
           "(0)6 12 34 56 78", "06/12/34/56/78", "06 12 34 56 78 / 01 23 45 67 89",
           "0262 12 34 56", "0590 12 34 56", "0696 12 34 56", "+262 692 12 34 56",
           "06 12 34 56 78 poste 12", "tel 06 12 34 56 78", "6 12 34 56 78", "00 33 6 12 34 56 78",
           "06 - 12 34 56 78", "06 12 34 56 78 - 01 23 45 67 89", "-06 12 34 56 78",
           ".0612345678", " 06 12 34 56 78", "\u00a006 12 34 56 78", "06-12-34-56-78",
           "06..12.34.56.78", "06 12 34 56 78.", "٠٦١٢٣٤٥٦٧٨", "06 12 34 56 7٨",
           "+33 (0)6 12 34 56 78", "+33(0)262 21 12 34", "0033 262 21 12 34", "262 21 12 34",
           "0639 01 12 34", "0269 61 12 34", "0694 20 12 34", "0594 30 12 34", "0596 70 12 34",
           "0690 12 12 34", "0590 99 12 34", "0590 27 12 34", "0508 41 12 34"]
    # random national numbers, metropolitan and overseas blocks, in every common writing
    heads = [str(d) for d in range(1, 10)] + ["262", "269", "590", "594", "596", "639", "690",
                                               "692", "693", "694", "696", "508", "700", "710"]
    for _ in range(3000):
        h = heads[rng.integers(0, len(heads))]
        nsn = h + "".join(str(d) for d in rng.integers(0, 10, 9 - len(h)))
        form = rng.integers(0, 8)
        pairs = " ".join(nsn[i:i + 2] for i in range(1, 9, 2))
        out.append(["0" + nsn, "0" + nsn[0] + " " + pairs, "+33 " + nsn[0] + " " + pairs,
                    "0033" + nsn, "+33(0)" + nsn, nsn, "0" + nsn[0] + "." + pairs.replace(" ", "."),
                    "0" + nsn[0] + "-" + pairs.replace(" ", "-")][form])
    return out


def test_phone_fast_path_equals_full_parser():
    assert Q._fr_fast_path_ok()
    assert Q._fast_path_regions() == {"FR", "RE", "YT", "GP", "MQ", "GF"}
    full = _phone_sample()
    for reg in ("FR", "RE", "YT", "GP", "MQ", "GF", "PM", "BE"):
        sample = full if reg in ("FR", "RE", "GP") else full[:500]
        s = pd.Series(sample, dtype=object)
        e, t, x = Q.parse_phones(s, pd.Series([reg] * len(s), dtype=object))
        fast_hits = 0
        for raw, a, b, c in zip(sample, e, t, x, strict=True):
            assert (a, b, c) == Q.parse_phone_full(raw, reg), (raw, reg)
            fast = Q.phone_fast(raw, reg) if raw else False
            fast_hits += fast is not False
            if fast is not False:
                assert fast == ((a, b) if a else None), (raw, reg)
        if reg in Q._fast_path_regions():
            assert fast_hits > 0.6 * len(sample), reg  # the fast path is actually used
        else:
            assert fast_hits == 0, reg


def _email_sample() -> list[str]:
    rng = np.random.default_rng(3)
    names = ["jean.dupont", "Marie-Claire", "o'neil", "j..d", ".jean", "jean.", "é.lise", "a+b",
             "x_y", "tres" * 20, "ab cd", "jean"]
    doms = ["gmail.com", "orange.fr", "gmial.com", "exemple.test", "x.local", "free", "-a.fr",
            "a-.fr", "ab--cd.fr", "123.456", "sub.domaine.fr", "Free.FR", "xn--bcher-kva.fr",
            "a.b", "mairie-lathus.fr", "a" * 64 + ".fr", "laposte.net."]
    out = ["", "jean.dupont.gmail.com", "a@@b.fr", "@free.fr", "jean@", " jean@free.fr ",
           "JEAN@FREE.FR", "jean@free.fr;paul@free.fr", "jean@[127.0.0.1]", '"j d"@free.fr']
    for _ in range(2000):
        out.append(f"{rng.choice(names)}{rng.integers(0, 99)}@{rng.choice(doms)}")
    return out


def test_email_fast_path_equals_full_parser():
    sample = _email_sample()
    got = Q.parse_emails(pd.Series(sample, dtype=object))
    fast_hits = 0
    for raw, g in zip(sample, got, strict=True):
        assert g == Q.validate_email_full(raw)[0], raw
        fast_hits += Q.email_fast(raw) is not False
    assert fast_hits > 300


def test_email_typos_flagged_not_changed():
    q, iss = run({"email": "jean.dupont@gmial.com"}, {"email": "Marie@Orange.fe"},
                 {"email": "paul@hotmial.com"}, {"email": "paul.durand@gmail.com"},
                 {"email": "jean.dupont.gmail.com"}, {"email": "paul martin@free.fr"})
    assert q["email"].tolist()[:4] == ["jean.dupont@gmial.com", "marie@orange.fe",
                                       "paul@hotmial.com", "paul.durand@gmail.com"]
    assert q["email_suggestion"].tolist()[:4] == ["jean.dupont@gmail.com", "marie@orange.fr",
                                                  "paul@hotmail.com", None]
    m = iss.loc[(iss.local_id == "1") & (iss.code == "invalid_email"), "message"].iloc[0]
    assert m == ("E-mail invalide « jean.dupont@gmial.com » : domaine mal orthographié, "
                 "corriger en « jean.dupont@gmail.com »")
    assert not q["emailable"].iloc[0] and q["emailable"].iloc[3]
    assert "invalid_email" not in codes(iss, "4")
    assert q["email"].iloc[4] is None
    assert q["email_suggestion"].iloc[4] == "jean.dupont@gmail.com"
    assert "arobase" in iss.loc[iss.local_id == "5", "message"].iloc[0]
    assert "espace" in iss.loc[iss.local_id == "6", "message"].iloc[0]
    for legit in ("free.fr", "gmail.fr", "sfr.fr", "ac-poitiers.fr", "live.fr", "mairie.fr"):
        assert Q.suggest_domain(legit) is None


def test_postcodes():
    q, iss = run({"postcode": "1000", "city": "Bourg-en-Bresse"},
                 {"postcode": "20000", "city": "Ajaccio"},
                 {"postcode": "20200", "city": "Bastia"},
                 {"postcode": "97400", "city": "Saint-Denis"},
                 {"postcode": "7500", "city": "Inconnueville"},
                 {"postcode": "13001", "city": "Lyon"},
                 {"postcode": "860OO", "city": "Poitiers"},
                 {"postcode": "75 011", "city": "PARIS"},
                 {"postcode": "42000", "city": "St Etienne"})
    assert q["postcode"].tolist() == ["01000", "20000", "20200", "97400", None, "13001", None,
                                      "75011", "42000"]
    assert q["department"].tolist() == ["01", "2A", "2B", "974", None, "13", None, "75", "42"]
    assert q["region"].iloc[1] == "Corse" and q["region"].iloc[3] == "La Réunion"
    for i in ("1", "2", "3", "4", "8", "9"):
        assert "invalid_postcode" not in codes(iss, i), i
    for i in ("5", "6", "7"):
        assert "invalid_postcode" in codes(iss, i), i
    m5 = iss.loc[(iss.local_id == "5") & (iss.code == "invalid_postcode"), "message"].iloc[0]
    assert "« 07500 »" in m5
    m6 = iss.loc[(iss.local_id == "6") & (iss.code == "invalid_postcode"), "message"].iloc[0]
    assert "Marseille" in m6 and "69001" in m6
    assert q["city"].iloc[8] == "SAINT ETIENNE" and q["rnvp6"].iloc[0] == "01000 BOURG EN BRESSE"
    assert not q["mailable"].iloc[4]


def test_rnvp_lines():
    q, iss = run(
        {"address1": "12, avenue du Général de Gaulle", "address2": "Bâtiment B, appt 12"},
        {"organisation": "Mairie de Châtellerault", "civility": "Madame", "first_name": "Anne",
         "last_name": "Leroy", "address1": "Service des sports", "address2": "BP 123",
         "address3": "78 boulevard Blossac", "postcode": "86100", "city": "Châtellerault",
         "segment": "PRO-INST"},
        {"address1": "3 boulevard du Maréchal de Lattre de Tassigny prolongé",
         "civility": "Mlle", "first_name": "Marie-Thérèse"})
    r = q.iloc[0]
    assert r.rnvp1 == "M JEAN DUPONT"
    assert r.rnvp3 == "BAT B APPT 12"
    assert r.rnvp4 == "12 AV DU GENERAL DE GAULLE"
    assert r.rnvp6 == "86000 POITIERS"
    r = q.iloc[1]
    assert r.rnvp1 == "MAIRIE DE CHATELLERAULT" and r.rnvp2 == "MME ANNE LEROY"
    assert r.rnvp4 == "78 BD BLOSSAC" and r.rnvp5 == "BP 123"
    assert r.rnvp3 == "SERVICE DES SPORTS"
    assert r.kind == "B2B"
    r = q.iloc[2]
    assert r.rnvp1 == "MME MARIE THERESE DUPONT"
    assert r.rnvp4.startswith("3 BD DU MAL DE LATTRE") and len(r.rnvp4) <= 38
    for k in range(1, 7):
        vals = q[f"rnvp{k}"].dropna()
        assert (vals.str.len() <= 38).all()
        assert vals.str.fullmatch(r"[A-Z0-9 ]+").all()
    assert not iss["code"].isin(["incomplete_address"]).any()


def test_incomplete_address():
    q, iss = run({"address1": None}, {"city": None}, {"postcode": None},
                 {"address1": None, "postcode": None, "city": None})
    assert "incomplete_address" in codes(iss, "1") and not q["mailable"].iloc[0]
    assert "incomplete_address" in codes(iss, "2")
    sug = iss.loc[(iss.local_id == "2") & (iss.code == "incomplete_address"), "suggestion"]
    assert sug.iloc[0] == "Poitiers"
    assert "incomplete_address" in codes(iss, "3")
    assert "incomplete_address" not in codes(iss, "4") and not q["mailable"].iloc[3]


@pytest.mark.parametrize("raw,expected", [
    ("1", True), ("0", False), ("oui", True), ("Non", False), ("O", True), ("N", False),
    ("true", True), ("FALSE", False), ("x", True), ("X", True), ("", False), (None, False),
    (1, True), (0, False), (True, True),
])
def test_consent_values(raw, expected):
    assert Q.parse_consent(raw) is expected


def test_no_email_consent():
    q, iss = run({"optin_email": "non"}, {"optin_email": None}, {"optin_email": "x"})
    assert "no_email_consent" in codes(iss, "1") and "no_email_consent" in codes(iss, "2")
    assert "no_email_consent" not in codes(iss, "3")
    assert q["emailable"].tolist() == [False, False, True]


def test_bloctel_before_and_after_august_2026():
    rows = ({"phone": "06 12 34 56 78"},  # B2C on Bloctel
            {"phone": "06 12 34 56 78", "segment": "SCO-PRIM", "organisation": "École"},  # B2B
            {"phone": "06 99 88 77 66"},  # B2C not on the list, no consent
            {"phone": "06 99 88 77 66", "optin_phone": "oui"})
    bl = Q.load_bloctel_lines(["06.12.34.56.78"])
    q, iss = run(*rows, ref=dt.date(2026, 8, 10), bloctel=bl)
    assert q["bloctel"].tolist() == [True, False, False, False]
    assert q["phoneable"].tolist() == [False, True, True, True]
    assert "bloctel" in codes(iss, "1") and "no_phone_consent" not in set(iss.code)
    q, iss = run(*rows, ref=dt.date(2026, 8, 11), bloctel=bl)
    assert q["bloctel"].tolist() == [False] * 4
    assert q["phoneable"].tolist() == [False, True, False, True]
    assert "no_phone_consent" in codes(iss, "1") and "no_phone_consent" in codes(iss, "3")
    assert "bloctel" not in set(iss.code)
    assert "11 août 2026" in iss.loc[iss.code == "no_phone_consent", "message"].iloc[0]
    # a client with a stay to come may be called about it
    ls = pd.Series([pd.Timestamp("2026-09-01")],
                   index=pd.MultiIndex.from_tuples([("LAT", "3")]))
    q, _ = run(*rows, ref=dt.date(2026, 8, 11), last_stay=ls)
    assert q["phoneable"].iloc[2]


def test_npai(tmp_path):
    p = tmp_path / "npai.csv"
    p.write_text("centre,local_id\nLAT,2\nCAP,1\n", encoding="utf-8")
    npai = Q.load_npai(p)
    assert npai == {("LAT", "2"), ("CAP", "1")}
    q, iss = run({}, {}, npai=npai)
    assert q["npai"].tolist() == [False, True]
    assert q["mailable"].tolist() == [True, False]
    assert codes(iss, "2") == {"npai"}
    assert "mettre à jour l'adresse" in iss.loc[iss.code == "npai", "message"].iloc[0]


def test_load_bloctel(tmp_path):
    p = tmp_path / "bloctel.txt"
    p.write_text("06 12 34 56 78\n+33 1 23 45 67 89\n0033 6.11.22.33.44\n\nvoir\n",
                 encoding="utf-8")
    assert Q.load_bloctel(p) == {"+33612345678", "+33123456789", "+33611223344"}


def test_retention():
    ref = dt.date(2025, 12, 31)
    ls = pd.Series([pd.Timestamp("2022-06-01"), pd.Timestamp("2023-06-01")],
                   index=pd.MultiIndex.from_tuples([("LAT", "1"), ("LAT", "2")]))
    lc = pd.Series([pd.Timestamp("2024-01-10")], index=pd.MultiIndex.from_tuples([("LAT", "4")]))
    q, iss = run({"created_at": pd.Timestamp("2015-01-01")},  # client, stay > 3 years ago
                 {"created_at": pd.Timestamp("2015-01-01")},  # client, recent stay
                 {"created_at": pd.Timestamp("2022-01-01")},  # prospect collected > 3 years
                 {"created_at": pd.Timestamp("2021-01-01")},  # prospect, recent contact
                 {"created_at": pd.Timestamp("2021-01-01"),
                  "updated_at": pd.Timestamp("2024-05-01")},
                 ref=ref, last_stay=ls, last_contact=lc)
    assert q["retention_expired"].tolist() == [True, False, True, False, False]
    m = iss.loc[(iss.local_id == "1") & (iss.code == "retention_expired"), "message"].iloc[0]
    assert "client" in m and "01/06/2022" in m and "supprimer" in m


def test_no_channel():
    q, iss = run({"address1": None, "postcode": None, "city": None, "email": None},
                 {"address1": None, "postcode": None, "city": None, "optin_email": "0"},
                 {"address1": None, "postcode": None, "city": None, "email": None,
                  "phone": "06 12 34 56 78", "optin_phone": "1"})
    assert "no_channel" in codes(iss, "1") and "no_channel" in codes(iss, "2")
    assert "no_channel" not in codes(iss, "3")


def test_reader_codes_not_duplicated():
    _, iss = run({"segment": None, "segment_local": "XXX"})
    assert not iss["code"].isin(["unknown_code", "duplicate_local_id"]).any()


def test_empty_frame():
    q, iss = Q.qualify(frame()[0:0], Q.QualifyContext(dt.date(2025, 12, 31), SEG))
    assert len(q) == 0 and list(iss.columns) == Q.ISSUE_FRAME_COLUMNS


def test_return_file_only_that_centre(tmp_path):
    df = frame({"email": "a@gmial.com"}, {"centre": "CAP", "email": "b@gmial.com"},
               {"phone": "voir secrétariat"})
    q, iss = Q.qualify(df, Q.QualifyContext(dt.date(2025, 12, 31), SEG,
                                            npai={("LAT", "3"), ("CAP", "2")}))
    dups = pd.DataFrame({"centre": ["LAT", "CAP"], "local_id_a": ["1", "2"],
                         "local_id_b": ["3", "9"], "score": [0.9, 0.8]})
    p = write_return_file(tmp_path / "retours", "LAT", q, iss, dups)
    assert p == tmp_path / "retours" / "LAT.xlsx" and p.exists()
    wb = load_workbook(p)
    assert wb.sheetnames == ["Mode d'emploi", "À corriger", "NPAI", "Doublons probables",
                             "Synthèse", "_grc"]
    fix = list(wb["À corriger"].values)
    assert fix[0][:6] == ("Identifiant", "Nom", "Champ", "Valeur reçue", "Motif",
                          "Correction proposée")
    ids = {r[0] for r in fix[1:]}
    assert ids == {"1", "3"}
    assert any(r[5] == "a@gmail.com" and r[2] == "E-mail" for r in fix[1:])
    npai = list(wb["NPAI"].values)
    assert [r[0] for r in npai[1:]] == ["3"]
    dup = list(wb["Doublons probables"].values)
    assert len(dup) == 2 and "CAP" not in str(dup)
    summ = {r[0]: r[2] for r in wb["Synthèse"].values}
    assert summ["Contacts exportés"] == 2
    assert wb["À corriger"]["A1"].font.bold and wb["À corriger"].freeze_panes == "A2"
    text = " ".join(str(c) for ws in wb for row in ws.values for c in row)
    assert "b@gmial.com" not in text


def test_overseas_address_with_metropolitan_mobile():
    q, iss = run({"phone": "06 12 34 56 78", "postcode": "97400", "city": "Saint-Denis"},
                 {"phone": "0269 61 23 45", "postcode": "97600", "city": "Mamoudzou"})
    assert q["phone"].tolist() == ["+33612345678", "+262269612345"]
    assert "invalid_phone" not in set(iss.code)


def test_parallel_path_equals_single_process():
    import sys
    sys.path.insert(0, str(project_root() / "bench"))
    from bench_qualify import generate

    df = generate(3000, seed=5)
    odd = [" Jean@Free.FR ", "a@@b.fr", "jean.dupont@gmial.com", "é@free.fr"]
    df.loc[df.index[::97][:28], "email"] = odd * 7
    df.loc[df.index[5::89][:12], "phone"] = ["0262 21 12 34", "06 12 34 56 78 / 01 23 45 67 89",
                                             "+33 (0)1 23 45 67 89", "voir accueil"] * 3
    one = Q.qualify(df, Q.QualifyContext(dt.date(2025, 12, 31), SEG, workers=1))
    two = Q.qualify(df, Q.QualifyContext(dt.date(2025, 12, 31), SEG, workers=2,
                                          parallel_min_rows=0))
    pd.testing.assert_frame_equal(one[0], two[0])
    pd.testing.assert_frame_equal(one[1], two[1])
    assert len(one[1]) > 1000


def test_international_writings_share_the_french_row_verdicts():
    """"+33..." / "0033..." in an overseas row: the French row's verdict, by the full parser."""
    rng = np.random.default_rng(5)
    prefixes = np.unique(rng.integers(10_000, 100_000, 250))
    for reg in ("RE", "YT", "GP", "MQ", "GF"):
        assert reg in Q._same_idd_as_fr()
        for k, form in enumerate(Q._FORMS):
            if form not in ("+33", "0033", "+33(0)"):
                continue
            ids = Q._verdict_ids(reg, k, prefixes)
            for p, v in zip(prefixes.tolist(), ids.tolist(), strict=True):
                full = Q.parse_phone_full(f"{form}{p:05d}1234", reg)
                r = Q._VERDICTS[v]
                if r is None:
                    assert full[0] is None, (reg, form, p)
                elif r is not Q._SLOW:
                    assert full == (r[0] + f"{p:05d}1234", r[1], None), (reg, form, p)
