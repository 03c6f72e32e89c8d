"""The Marielle Nature workbook: data script, and the checks' feedback on a student's workbook.

The right workbook is filled with openpyxl the way a student does it in the spreadsheet (values
split by hand or by Convertir, formulas for ages and RFM points, red fills, the duplicate
flag, the answers sheet): ``make_marielle_nature.write_solution``. The wrong one starts from it
and makes the mistakes students make.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest
from grc.config import project_root
from grc.course import checks, formulas, grading
from grc.course.workbook import StudentWorkbook
from openpyxl import load_workbook
from openpyxl.styles import PatternFill

DATA = project_root() / "data" / "course"
SCRIPT = DATA / "make_marielle_nature.py"


def _script():
    spec = importlib.util.spec_from_file_location("make_marielle_nature", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def right(tmp_path_factory):
    return _script().write_solution(tmp_path_factory.mktemp("wb") / "juste.xlsx")


@pytest.fixture(scope="module")
def wrong(right, tmp_path_factory):
    wb = load_workbook(right)
    base = wb["Base"]
    base["J4"] = "Nantes 44000"  # N° 3: postcode left in the city
    base["Q3"] = "54,79 €"  # N° 2: basket still text
    base["I4"].fill = PatternFill("solid", fgColor="FFC7CE")  # N° 3 postcode, fine: empty -> red
    base["F2"].fill = PatternFill("solid", fgColor="FF0000")  # N° 1 company of a private client
    base["L6"].fill = PatternFill(fill_type=None)  # N° 5 e-mail missing, red forgotten
    base["S35"] = None  # duplicate not flagged...
    base["S2"] = "Oui"  # ...the complete record flagged instead
    base["U9"] = "=IF(T9<3,10,IF(T9<=12,0,5))"  # N° 8: points swapped
    path = right.with_name("faux.xlsx")
    wb.save(path)
    return path


def test_data_script_is_deterministic_and_matches_committed_files(tmp_path):
    mod = _script()
    a, b = mod.write(tmp_path / "a.xlsx"), mod.write(tmp_path / "b.xlsx")
    assert a.read_bytes() == b.read_bytes() == (DATA / "marielle_nature.xlsx").read_bytes(), \
        "régénérez data/course (make course)"
    assert mod.write_solution(tmp_path / "c.xlsx").read_bytes() == \
        (DATA / "marielle_nature_corrige.xlsx").read_bytes()


def test_identities_are_fictitious():
    """Phones in the ARCEP fiction blocks, e-mails on documentation domains (or left broken)."""
    wb = StudentWorkbook(DATA / "marielle_nature.xlsx")
    raw = wb.table("Clients", ["Téléphone", "E-mail"])
    blocks = {"019900", "026191", "035301", "063998"}
    for row in raw.rows:
        digits = checks.p.phone_digits(row["Téléphone"])
        if digits:
            assert digits[:6] in blocks, row
        domain = str(row["E-mail"] or "").rpartition("@")[2]
        assert domain in ("", "example") or domain.endswith(("example.com", "example.org", "example.net")), row
    for number in (wb.value("Bloctel (extrait)", r, 1) for r in range(2, 10)):
        assert checks.p.phone_digits(number)[:6] in blocks
    assert "fictives" in str(wb.value("Lisez-moi", 3, 1))


def test_grid_copy_matches_params():
    assert checks.GRID_FILE.read_text(encoding="utf-8") == \
        (project_root() / "params" / "rfm" / "omnicom.yaml").read_text(encoding="utf-8")


def test_right_workbook_gets_full_marks(right):
    for check in (checks.verifier_structure, checks.verifier_rouge, checks.verifier_doublon,
                  checks.verifier_rfm, checks.verifier_reponses):
        verdict = check(right)
        assert verdict.ok and verdict.part == 1, (check.__name__, str(verdict))
    answers = StudentWorkbook(right).answers()
    assert answers["R1"] == 21 and answers["R2"] == 13
    assert [answers[k] for k in ("R3", "R4", "R5", "R6")] == [10, 16, 6, 7]


def test_blank_workbook_is_pending():
    for check in (checks.verifier_structure, checks.verifier_rouge, checks.verifier_doublon,
                  checks.verifier_rfm, checks.verifier_reponses):
        verdict = check(DATA / "marielle_nature.xlsx")
        assert verdict.pending and verdict.part == 0 and "À faire" in str(verdict)


def test_wrong_workbook_feedback_names_row_column_and_rule(wrong):
    s = checks.verifier_structure(wrong)
    assert not s.ok and 0.9 < s.part < 1
    assert s.wrong["Colonne « Ville »"] == ["ligne 4 (N° 3)"]
    assert s.wrong["Colonne « Panier moyen »"] == ["ligne 3 (N° 2)"]
    text = str(s)
    assert "Rechercher et remplacer" in text and "Nantes" not in text and "54,79" not in text

    r = checks.verifier_rouge(wrong)
    assert not r.ok and 0 < r.part < 1
    assert r.wrong["Case rouge mais complète ou sans objet, colonne « Entreprise »"] == ["ligne 2 (N° 1)"]
    assert "« E-mail » : 1" in r.wrong["Cases incomplètes pas encore en rouge, par colonne"]
    assert any("particulier n'a pas d'entreprise" in h for h in r.hints)

    d = checks.verifier_doublon(wrong)
    assert not d.ok and d.wrong["Fiches à garder"] == ["ligne 2 (N° 1)"]

    m = checks.verifier_rfm(wrong)
    assert "ligne 9 (N° 8)" in m.wrong["Colonne « Points R »"]
    assert any("[3 ; 12] mois → 5" in h for h in m.hints)
    assert "Points : " not in str(m)


def test_unreadable_workbook_gives_a_french_message(tmp_path):
    bad = tmp_path / "x.xlsx"
    bad.write_text("pas un classeur", encoding="utf-8")
    assert "Impossible de lire" in str(checks.verifier_structure(bad))
    assert "Classeur introuvable" in str(checks.verifier_rfm(tmp_path / "absent.xlsx"))


def test_formulas_without_saved_values_are_computed_or_reported():
    cells = {("S", 1, 1): 5, ("S", 2, 1): "Très bons clients"}
    get = lambda s, r, c: cells.get((s, r, c))  # noqa: E731
    assert formulas.evaluate("=IF(A1<3,10,IF(A1<=12,5,0))", "S", get) == 5
    assert formulas.evaluate('=COUNTIF(A:A,"très bons clients")', "S", get, 5) == 1
    assert formulas.evaluate('=DATEDIF(DATE(1988,5,14),DATE(2026,3,31),"y")', "S", get) == 37
    with pytest.raises(formulas.Unsupported):
        formulas.evaluate("=VLOOKUP(A1,B:C,2,0)", "S", get)


def test_grading_helpers():
    assert grading.choice_points("A, b et D", "ABD", 2) == 2
    assert grading.choice_points("A B G", "ABCDEF", 2) == pytest.approx(0.33)
    assert grading.choice_points("C D E F G H", "CDEFG", 3, accepted="H") == 3
    assert repr(grading.Points(1.5, 2)) == "1.5" and "1,5 sur 2" in grading.Points(1.5, 2)._repr_html_()
    assert grading.set_points([1, 4, 99], [1, 4, 7, 12], 1) == 0.25


def test_package_holds_no_answer():
    lib = project_root() / "lib" / "grc"
    text = "\n".join(p.read_text(encoding="utf-8") for p in lib.rglob("*.py"))
    for leak in ("corrige(", "SOLUTIONS", "segment_men", "private_sale_targets", "INFO_COLUMNS",
                 'reference("scores")', "edition ==", "1, 4, 7, 12, 17"):
        assert leak not in text, leak


def test_cli_course_release(tmp_path):
    res = subprocess.run([sys.executable, "-m", "grc", "course", "release", "--out", str(tmp_path / "c")],
                         capture_output=True, text=True, check=True)
    assert (tmp_path / "c" / "source" / "marielle_nature" / "marielle_nature.ipynb").is_file()
    assert "generate_assignment" in res.stdout


def test_red_by_conditional_formatting_is_read(right, tmp_path):
    from openpyxl.formatting.rule import FormulaRule, Rule
    from openpyxl.styles.differential import DifferentialStyle

    wb = load_workbook(right)
    base = wb["Base"]
    for row in range(2, 42):  # the e-mail column coloured by rules instead of by hand
        base[f"L{row}"].fill = PatternFill(fill_type=None)
    red = PatternFill(bgColor="FFC7CE")
    base.conditional_formatting.add("L2:L41", Rule(type="containsBlanks", dxf=DifferentialStyle(fill=red),
                                                  formula=["LEN(TRIM(L2))=0"]))
    base.conditional_formatting.add("L2:L41", FormulaRule(
        formula=['OR(RIGHT(L2,1)="@",RIGHT(L2,8)="@example")'], fill=red))
    wb.save(tmp_path / "cf.xlsx")
    assert checks.verifier_rouge(tmp_path / "cf.xlsx").ok
    wb = load_workbook(tmp_path / "cf.xlsx")
    wb["Base"].conditional_formatting.add("K2:K41", FormulaRule(formula=["VLOOKUP(K2,A:B,2,0)=1"], fill=red))
    wb.save(tmp_path / "cf2.xlsx")
    verdict = checks.verifier_rouge(tmp_path / "cf2.xlsx")
    assert "enregistrez-le" in str(verdict) and "VLOOKUP" in str(verdict)


def test_typed_answers_are_recorded_not_judged():
    recorded = checks.lettres_lues("a, d", "ABCDE")
    assert recorded.recorded and str(recorded).startswith("Réponse enregistrée : A, D.")
    assert "Bonne réponse" not in str(recorded) and "Bonne réponse" not in recorded._repr_html_()
    assert checks.lettres_lues("", "ABCDE").pending
    assert "inconnue" in str(checks.lettres_lues("Z", "ABCDE"))
    assert checks.mot_lu("Oui", ("oui", "non")).recorded and not checks.mot_lu("peut-être", ("oui", "non")).ok


@pytest.mark.parametrize(("cell", "expected"), [
    ("LE GOFF Yann", ("LE GOFF", "Yann")), ("Durand É.", ("DURAND", "É.")),
    ("MARTIN Jean-Pierre", ("MARTIN", "Jean-Pierre")), (None, (None, None)),
])
def test_split_name(cell, expected):
    assert checks.p.split_name(cell) == expected


def test_cell_parsers():
    p = checks.p
    assert p.split_address("8, boulevard Voltaire - 75011 PARIS") == ("8, boulevard Voltaire", "75011", "Paris")
    assert p.split_address("25 rue Crébillon, Nantes") == ("25 rue Crébillon", None, "Nantes")
    assert p.phone_digits(639981234) == "0639981234" and p.phone_digits("+33 6 39 98 12 34") == "0639981234"
    assert p.phone_digits("06 39 98 12") is None
    assert p.age_on("42 ans") == 42 and p.to_number("45,50 €") == 45.5
    assert p.normalize_civility("Monsieur") == "M." and p.normalize_civility("Mlle") == "Mme"
    import datetime as dt

    assert p.months_since(dt.date(2025, 12, 31)) == 3 and p.months_since(dt.date(2026, 1, 1)) == 2
    assert checks.incomplete("Entreprise", None, "Particulier") is False
    assert checks.incomplete("Code postal", 44000, "Particulier") is False
    assert checks.incomplete("E-mail", "a@example", "Particulier") is True
