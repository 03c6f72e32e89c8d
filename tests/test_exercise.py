"""Course walkthrough helpers (grc.course.exercise) and the Marielle Nature data script."""

from __future__ import annotations

import datetime as dt
import importlib.util

import pandas as pd
import pytest
from grc.config import project_root
from grc.course import exercise as ex
from grc.rfm import scores as rfm

SCRIPT = project_root() / "data" / "course" / "make_marielle_nature.py"


def _script():
    spec = importlib.util.spec_from_file_location("make_marielle_nature", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _hints(verdict: ex.Verdict) -> str:
    return " ".join(verdict.hints)


# ------------------------------------------------------------------------------ data script


def test_data_script_is_deterministic_and_matches_committed_file(tmp_path):
    mod = _script()
    a = mod.write(tmp_path / "a.xlsx")
    b = mod.write(tmp_path / "b.xlsx")
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() == ex.data_path().read_bytes(), "régénérez data/course/marielle_nature.xlsx"
    assert mod.REFERENCE_DATE == ex.REFERENCE_DATE


def test_data_script_seed_changes_generated_values(tmp_path):
    mod = _script()
    rows1, _ = mod.build_rows(seed=1)
    rows2, _ = mod.build_rows(seed=2)
    assert [r[3] for r in rows1] == [r[3] for r in rows2]  # identities are written out
    assert [r[7] for r in rows1] != [r[7] for r in rows2]  # phones come from the seed


def test_raw_base_is_messy_as_the_issue_says():
    raw = ex.load_base()
    assert 30 <= len(raw) <= 60
    assert raw["N°"].is_unique
    assert set(raw["Type de client"]) == {ex.PARTICULIER, ex.PROFESSIONNEL}
    assert {"Madame", "Mme", "M.", "Monsieur", "Mr"} <= set(raw["Civilité"].dropna())
    assert any(isinstance(v, int) for v in raw["Téléphone"])  # typed as a number
    assert any(isinstance(v, str) and "+33" in v for v in raw["Téléphone"])
    assert any(isinstance(v, str) and "€" in v for v in raw["Panier moyen"])
    assert raw["E-mail"].isna().any() and raw["Adresse"].isna().any()
    names = set(raw["Nom Prénom"])
    assert {"DURAND Élise", "Durand É."} <= names
    assert {"Salon bio Paris", "Carte de fidélité", "Site Internet"} <= set(raw["Source"])
    assert len(ex.load_bloctel()) >= 5


# ------------------------------------------------------------------------------ helpers


@pytest.mark.parametrize(
    "cell, expected",
    [
        ("DURAND Élise", ("DURAND", "Élise")),
        ("LE GOFF Yann", ("LE GOFF", "Yann")),
        ("MARTIN Jean-Pierre", ("MARTIN", "Jean-Pierre")),
        ("Durand É.", ("DURAND", "É.")),
        (None, (None, None)),
    ],
)
def test_split_name(cell, expected):
    assert ex.split_name(cell) == expected


@pytest.mark.parametrize(
    "cell, expected",
    [
        ("14 rue de Rivoli 75004 Paris", ("14 rue de Rivoli", "75004", "Paris")),
        ("8, boulevard Voltaire - 75011 PARIS", ("8, boulevard Voltaire", "75011", "Paris")),
        ("5 rue de la Barre 44800 SAINT-HERBLAIN", ("5 rue de la Barre", "44800", "Saint-Herblain")),
        ("25 rue Crébillon, Nantes", ("25 rue Crébillon", None, "Nantes")),
        ("44300 Nantes", (None, "44300", "Nantes")),
        ("", (None, None, None)),
    ],
)
def test_split_address(cell, expected):
    assert ex.split_address(cell) == expected


def test_small_parsers():
    ref = dt.date(2026, 3, 31)
    assert ex.age_on("42 ans", ref) == 42 and ex.age_on(29, ref) == 29
    assert ex.age_on("12/03/1978", ref) == 48
    assert ex.age_on(dt.datetime(1988, 5, 14), ref) == 37
    assert ex.age_on(None, ref) is None
    assert ex.to_number("45,50 €") == 45.5 and ex.to_number(12) == 12.0 and ex.to_number("") is None
    assert ex.normalize_phone("+33 6 12 34 56 78") == "06 12 34 56 78"
    assert ex.normalize_phone(612345678) == "06 12 34 56 78"
    assert ex.normalize_phone("06.12.34.56") is None
    assert [ex.normalize_civility(v) for v in ["M", "Mr", "Monsieur", "Mlle", "Madame", ""]] == [
        "M.", "M.", "M.", "Mme", "Mme", None]
    assert ex.months_since(dt.date(2025, 12, 31), ref) == 3
    assert ex.months_since(dt.date(2026, 1, 15), ref) == 2
    assert ex.months_since(pd.Timestamp("2025-03-31"), ref) == 12


def test_incomplete_cells_and_red_styler():
    df = pd.DataFrame({
        "N°": [1, 2],
        "Type de client": [ex.PARTICULIER, ex.PROFESSIONNEL],
        "Civilité": ["Mme", None],
        "Prénom": ["É.", "Luc"],
        "Entreprise": [None, None],
        "Code postal": ["7500", "44000"],
        "Téléphone": [612345678, "02 40 00 00"],
        "E-mail": ["a@b", "contact@salon.fr"],
        "Âge": [None, None],
    })
    mask = ex.incomplete_cells(df)
    assert mask.loc[0].to_dict() == {
        "N°": False, "Type de client": False, "Civilité": False, "Prénom": True,
        "Entreprise": False, "Code postal": True, "Téléphone": False, "E-mail": True, "Âge": True}
    assert mask.loc[1, ["Civilité", "Entreprise", "Téléphone"]].all()
    assert not mask.loc[1, ["Prénom", "E-mail", "Âge", "Code postal"]].any()
    html = ex.style_incomplete(df).to_html()
    assert html.count("#f4cccc") >= 1 and "background-color" in html


def test_on_bloctel_matches_any_writing():
    got = ex.on_bloctel(["06 12 34 56 78", 712345678, None, "01 00 00 00 00"],
                        ["+33 6 12 34 56 78", "07.12.34.56.78"])
    assert got.tolist() == [True, True, False, False]


# ------------------------------------------------------------------------------ canvassing rules


def test_peut_demarcher_course_rule_and_rule_since_august_2026():
    before, after = dt.date(2026, 8, 10), "2026-08-11"
    for date in (before, after):
        assert ex.peut_demarcher("Professionnel", True, "Non", date)
        assert ex.peut_demarcher("B2B", False, None, date)
    assert not ex.peut_demarcher("Particulier", True, "Non", before)
    assert ex.peut_demarcher("Particulier", False, None, before)
    assert ex.peut_demarcher("Particulier", True, "Oui", before)  # number given to be called
    assert ex.peut_demarcher("B2C", True, False, before, contract_in_progress=True)
    assert not ex.peut_demarcher("Particulier", False, None, after)
    assert not ex.peut_demarcher("Particulier", False, "Non", after)
    assert ex.peut_demarcher("Particulier", True, True, after)
    assert ex.peut_demarcher("Particulier", False, "Non", after, contract_in_progress=True)
    with pytest.raises(ValueError, match="Type de client inconnu"):
        ex.peut_demarcher("Martien", False, None, before)


# ------------------------------------------------------------------------------ known answers


def test_known_answers_of_the_base():
    scores = ex.reference("scores")
    assert ex.category_counts(scores).to_dict() == {
        "Très bons clients": 10, "Bons clients": 16, "Clients tièdes": 6, "Clients inactifs": 7}
    assert ex.find_duplicates(ex.reference("restructured")).values.tolist() == [[34, 1]]
    assert len(ex.reference("qualified")) == 39
    # a score right on the category bound (40) stays a "bon client"
    row = scores.set_index("N°").loc[35]
    assert (row.rfm_score, row.category) == (40, "Bons clients")


def test_worked_example_scores_15():
    grid = rfm.load_grid(ex.grid_path("dosettes"))
    out = rfm.score(pd.DataFrame({"recency_months": [2], "frequency": [3], "monetary": [75.0]}), grid)
    assert out.loc[0, "rfm_score"] == 15


# ------------------------------------------------------------------------------ self-checks


@pytest.mark.parametrize("answer", [ex.A_COMPLETER, None, "  À compléter "])
def test_pending_answers(answer):
    for check in (ex.verifier_informations, ex.verifier_restructuration, ex.verifier_qualification,
                  ex.verifier_doublons, ex.verifier_rgpd, ex.verifier_bloctel,
                  ex.verifier_segmentation, ex.verifier_rfm, ex.verifier_cibles):
        v = check(answer)
        assert v.pending and not v.ok and "compléter" in str(v).lower()


def test_verifier_informations():
    assert ex.verifier_informations(dict(ex.INFO_COLUMNS)).ok
    wrong = dict(ex.INFO_COLUMNS, **{"Panier moyen": "identité"})
    v = ex.verifier_informations(wrong)
    assert not v.ok and v.wrong["Colonnes mal classées"] == ["Panier moyen"]
    assert "COMMENT il achète" in _hints(v)
    v = ex.verifier_informations({"Civilité": "couleur"})
    assert "Colonnes non classées" in v.wrong and "identité" in _hints(v)


def test_verifier_restructuration():
    good = ex.restructure(ex.load_base())
    assert ex.verifier_restructuration(good).ok
    v = ex.verifier_restructuration(good.drop(columns=["Ville"]))
    assert v.wrong == {"Colonnes manquantes": ["Ville"]}
    bad = good.copy()
    bad.loc[bad["N°"] == 7, ["Nom", "Prénom"]] = ["LE", "GOFF Yann"]
    bad["Panier moyen"] = ex.load_base()["Panier moyen"]
    bad.loc[bad["N°"] == 2, "Âge"] = None
    v = ex.verifier_restructuration(bad)
    assert v.wrong["« Nom » (N°)"] == [7] and v.wrong["« Prénom » (N°)"] == [7]
    assert v.wrong["« Panier moyen » (N°)"] == [2, 11, 27]
    assert v.wrong["« Âge » (N°)"] == [2]
    assert "MAJUSCULES" in _hints(v) and "texte" in _hints(v) and "31/03/2026" in _hints(v)
    assert "LE GOFF" not in str(v)  # the hint does not give the answer
    v = ex.verifier_restructuration(good[good["N°"] != 34])
    assert v.wrong["Lignes disparues (N°)"] == [34] and "qualification" in _hints(v)
    assert not ex.verifier_restructuration([1, 2]).ok


def _expected_cells() -> list[tuple[int, str]]:
    base = ex.reference("restructured")
    mask = ex.incomplete_cells(base)
    return [(n, c) for n, row in zip(base["N°"], mask.to_dict("records"), strict=True)
            for c, flag in row.items() if flag]


def test_verifier_qualification():
    cells = _expected_cells()
    assert len(cells) == 21
    assert ex.verifier_qualification(cells).ok
    assert ex.verifier_qualification([(n, c.upper()) for n, c in cells]).ok
    tolerant = ex.verifier_qualification(cells + [(6, "Téléphone")])  # 0 dropped by Excel
    assert tolerant.ok and "0 perdu" in tolerant.message
    missing_email = [c for c in cells if c[1] != "E-mail"]
    v = ex.verifier_qualification(missing_email + [(2, "Entreprise"), (1, "Téléphone")])
    assert not v.ok
    assert v.wrong["Cases incomplètes oubliées, par colonne"] == ["E-mail : 7"]
    assert v.wrong["Cases complètes signalées à tort"] == ["(N° 1, Téléphone)", "(N° 2, Entreprise)"]
    assert "domaine" in _hints(v) and "particulier n'a pas d'entreprise" in _hints(v)
    v = ex.verifier_qualification([(3, "Couleur")])
    assert "Réponses illisibles" in v.wrong
    assert not ex.verifier_qualification(42).ok


def test_verifier_doublons():
    assert ex.verifier_doublons([34]).ok and ex.verifier_doublons(34).ok
    v = ex.verifier_doublons([1])
    assert v.wrong["Fiches à garder"] == [1] and "plus complète" in _hints(v)
    v = ex.verifier_doublons([34, 5])
    assert v.wrong == {"Fiches sans doublon": [5]}
    v = ex.verifier_doublons([])
    assert "Doublons oubliés" in v.wrong


def test_verifier_rgpd():
    assert ex.verifier_rgpd(["base_legale", "destinataires", "duree", "droits", "consentement"]).ok
    assert ex.verifier_rgpd(["Base légale", "Destinataires", "Durée de conservation",
                             "Droit d'accès et CNIL", "Case pré-cochée"]).ok
    v = ex.verifier_rgpd(["responsable", "duree"])
    assert v.wrong["Mentions pourtant présentes sur le formulaire"] == ["responsable"]
    assert v.wrong["Mentions manquantes oubliées"] == [4]
    assert "en-tête" in _hints(v) and "combien de temps" in _hints(v)
    v = ex.verifier_rgpd(["la couleur du papier"])
    assert "Mentions non reconnues" in v.wrong


def _bloctel_key(date) -> dict[int, bool]:
    ref = ex.bloctel_answers(ex.reference("qualified"), ex.reference("bloctel"), date)
    return dict(zip(ref["N°"], ref["Appel autorisé"], strict=True))


def test_verifier_bloctel_course_rule():
    key = _bloctel_key(ex.COURSE_CAMPAIGN_DATE)
    assert ex.verifier_bloctel(key).ok
    assert ex.verifier_bloctel({n: ("oui" if b else "non") for n, b in key.items()}).ok
    # everyone allowed: the consumers on Bloctel without consent are wrong
    v = ex.verifier_bloctel(dict.fromkeys(key, True))
    assert v.wrong["Réponses fausses (N°)"] == [2, 6, 17]
    assert "extrait Bloctel" in _hints(v)
    # the professional on the list and the consumers who gave their number
    flipped = {**key, 15: False, 7: False, 1: False}
    v = ex.verifier_bloctel(flipped)
    assert v.wrong["Réponses fausses (N°)"] == [1, 7, 15]
    assert "ne protège que les consommateurs" in _hints(v)
    assert "Annexe 3" in _hints(v) and "absent de la liste" in _hints(v)
    v = ex.verifier_bloctel({**{k: key[k] for k in list(key)[1:]}, 13: True, "x": True, 2: "peut-être"})
    assert v.wrong["N° sans réponse"] == [1]
    assert v.wrong["N° sans numéro utilisable ou supprimés"] == [13]
    assert set(v.wrong["Réponses illisibles (N°)"]) == {"x", 2}
    assert not ex.verifier_bloctel([1, 2]).ok


def test_verifier_bloctel_rule_since_august_2026():
    course = _bloctel_key(ex.COURSE_CAMPAIGN_DATE)
    today = _bloctel_key(ex.TODAY_CAMPAIGN_DATE)
    assert sum(today.values()) < sum(course.values())
    assert ex.verifier_bloctel(today, date=ex.TODAY_CAMPAIGN_DATE).ok
    v = ex.verifier_bloctel(course, date=ex.TODAY_CAMPAIGN_DATE)
    assert not v.ok and "11 août 2026" in _hints(v) and "11 août 2026" in v.message
    flipped = {**today, 7: False}  # on the old list but consented
    v = ex.verifier_bloctel(flipped, date=ex.TODAY_CAMPAIGN_DATE)
    assert v.wrong["Réponses fausses (N°)"] == [7] and "accord préalable" in _hints(v)


def test_verifier_segmentation():
    base = ex.reference("qualified")
    good = ex.segment_men(base)
    assert ex.verifier_segmentation(good).ok
    assert ex.verifier_segmentation(list(good["N°"])).ok
    v = ex.verifier_segmentation(good.sort_values("N°"))
    assert not v.ok and "triez" in _hints(v)
    men_all = base[base["Civilité"] == "M."]
    v = ex.verifier_segmentation(men_all)
    assert v.wrong == {"Professionnels sélectionnés": [8, 15, 29]} and "type de client" in _hints(v)
    raw = ex.reference("restructured")
    only_dot = raw[(raw["Civilité"] == "M.") & (raw["Type de client"] == ex.PARTICULIER)]
    v = ex.verifier_segmentation(only_dot)
    assert "Clients oubliés" in v.wrong and "plusieurs façons" in _hints(v)
    v = ex.verifier_segmentation(list(good["N°"]) + [1, 34])
    assert v.wrong["Clients hors segment"] == [1] and v.wrong["N° absents de la base qualifiée"] == [34]
    assert not ex.verifier_segmentation("les hommes").ok


def test_verifier_rfm():
    scores = ex.reference("scores")
    assert ex.verifier_rfm(scores).ok
    inputs = ex.rfm_inputs(ex.reference("qualified"))
    assert ex.verifier_rfm(inputs).ok
    # recency in days / 30.4375 is accepted too
    days = ex.reference("qualified")["Date du dernier achat"].map(
        lambda d: (pd.Timestamp(ex.REFERENCE_DATE) - d).days / rfm.DAYS_PER_MONTH)
    assert ex.verifier_rfm(inputs.assign(recency_months=days.to_numpy())).ok
    bad = scores.copy()
    bad.loc[bad["N°"] == 2, "recency_months"] = 30
    bad.loc[bad["N°"] == 11, "m_score"] = 20  # 100 € is in the middle band
    bad.loc[bad["N°"] == 35, "category"] = "Très bons clients"  # 40 is not > 40
    v = ex.verifier_rfm(bad)
    assert v.wrong["« recency_months » (N°)"] == [2]
    assert v.wrong["« m_score » (N°)"] == [11]
    assert v.wrong["« category » (N°)"] == [35]
    assert "31/03/2026" in _hints(v) and "compris" in _hints(v) and "> 40" in _hints(v)
    v = ex.verifier_rfm(ex.rfm_inputs(ex.reference("restructured")))
    assert v.wrong == {"N° en trop": [34]}
    v = ex.verifier_rfm(inputs.drop(columns=["monetary"]))
    assert v.wrong == {"Colonnes manquantes": ["monetary"]}
    assert not ex.verifier_rfm(inputs.drop(columns=["N°"])).ok


def test_verifier_cibles():
    scores = ex.reference("scores")
    assert ex.verifier_cibles(ex.private_sale_targets(scores)).ok
    both = ex.verifier_cibles(scores[scores["rfm_score"] >= 25])
    assert both.ok and "acceptable" in both.message
    v = ex.verifier_cibles(scores[scores["rfm_score"] >= 15])
    assert not v.ok and "Clients « Clients tièdes » invités" in v.wrong
    assert "fidèles" in _hints(v)
    top = list(ex.private_sale_targets(scores)["N°"])
    v = ex.verifier_cibles(top[1:])
    assert v.wrong == {"Très bons clients oubliés": [1]}


def test_verdict_display_and_corriges(capsys):
    v = ex.verifier_doublons([1])
    assert "❌" in str(v) and "<div" in v._repr_html_() and not bool(v)
    for step in ex.SOLUTIONS:
        ex.corrige(step)
    with pytest.raises(KeyError):
        ex.corrige("inconnue")
