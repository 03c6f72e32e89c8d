"""`grc course release`, then nbgrader: student version without answers, three submissions graded."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from grc.config import project_root
from openpyxl import load_workbook
from openpyxl.styles import PatternFill

pytest.importorskip("nbgrader")
ASSIGNMENT = "marielle_nature"
AUTO_POINTS = 35
SOLUTION_TEXTS = ["BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "marielle_nature_corrige",
                  "Corrigé", "Barème", "Pour le formateur", "_tres_bons", '"A B D"', "choice_points",
                  "number_points", "share_points"]


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(project_root() / "lib") + os.pathsep + env.get("PYTHONPATH", "")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")  # alembic
    res = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return res


def _nbgrader(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("nbgrader")
    return _run([str(exe), *args], cwd)


def _set_answer(nb, grade_id: str, source: str) -> None:
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    cell.source = source


def _partial_workbook(src: Path, dst: Path) -> None:
    """The corrected workbook with mistakes a student makes: reds forgotten, points swapped."""
    wb = load_workbook(src)
    base = wb["Base"]
    for row in range(2, 8):  # no red in the first rows
        for cell in base[row]:
            cell.fill = PatternFill(fill_type=None)
    for row in range(2, 12):  # the 5 and 0 points of recency swapped
        base[f"U{row}"] = f"=IF(T{row}<3,10,IF(T{row}<=12,0,5))"
    wb["Réponses"]["C8"] = "1; 4; 7"
    wb.save(dst)


def _submit(course: Path, student: str, notebook, files: dict[str, Path]) -> None:
    folder = course / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(notebook, folder / f"{ASSIGNMENT}.ipynb")
    for name, path in files.items():
        shutil.copyfile(path, folder / name)


def _scores(course: Path) -> dict[str, dict[str, float]]:
    """Automatic points per student and per graded cell."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        out = {}
        for student in ("formateur", "intact", "partiel"):
            sub = gb.find_submission(ASSIGNMENT, student)
            out[student] = {g.name: g.auto_score for nb in sub.notebooks for g in nb.grades
                            if g.auto_score is not None}
        return out


@pytest.mark.slow  # about 1.5 min: nbgrader autogrades three notebooks
def test_release_student_version_and_autograde(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    course = tmp_path / "cours"
    res = _run([sys.executable, "-m", "grc", "course", "release", "--out", str(course)], tmp_path)
    assert "nbgrader generate_assignment" in res.stdout
    source = course / "source" / ASSIGNMENT
    assert (course / "nbgrader_config.py").is_file() and (source / "marielle_nature.xlsx").is_file()
    assert (course / "formateur" / "marielle_nature_corrige.xlsx").is_file()
    assert not list(source.glob("*corrige*"))
    src_nb = nbformat.read(source / f"{ASSIGNMENT}.ipynb", as_version=4)
    assert all("formateur" not in c.metadata.get("tags", []) for c in src_nb.cells)
    assert all(c.metadata["nbgrader"]["schema_version"] == 3 for c in src_nb.cells)

    _nbgrader("generate_assignment", ASSIGNMENT, "--force", cwd=course)
    release = course / "release" / ASSIGNMENT
    student_text = (release / f"{ASSIGNMENT}.ipynb").read_text(encoding="utf-8")
    for text in SOLUTION_TEXTS:
        assert text not in student_text, text
    assert sorted(p.name for p in release.iterdir()) == [f"{ASSIGNMENT}.ipynb", "marielle_nature.xlsx"]

    student_nb = nbformat.read(release / f"{ASSIGNMENT}.ipynb", as_version=4)
    corrected = course / "formateur" / "marielle_nature_corrige.xlsx"
    _submit(course, "formateur", src_nb, {corrected.name: corrected})
    _submit(course, "intact", student_nb, {"marielle_nature.xlsx": release / "marielle_nature.xlsx"})
    partial = nbformat.read(release / f"{ASSIGNMENT}.ipynb", as_version=4)
    _set_answer(partial, "reponse_q02_offre", 'prestations = "A B D"')  # right: 2
    _set_answer(partial, "reponse_q04_canaux", 'canaux = "A B G"')  # 1 wrong letter: 1/6 of 2
    _set_answer(partial, "reponse_q20_cible", 'cible_vente_privee = "A"')
    _partial_workbook(corrected, tmp_path / "partiel.xlsx")
    _submit(course, "partiel", partial, {"marielle_nature.xlsx": tmp_path / "partiel.xlsx"})

    _nbgrader("autograde", ASSIGNMENT, "--create", "--force", cwd=course)
    cells = _scores(course)
    scores = {student: sum(points.values()) for student, points in cells.items()}
    assert scores["formateur"] == pytest.approx(AUTO_POINTS), cells["formateur"]
    assert scores["intact"] == 0, cells["intact"]
    partial = cells["partiel"]
    assert partial["note_q02_offre"] == 2 and partial["note_q04_canaux"] == pytest.approx(0.33)
    assert partial["note_q13_structure"] == 4 and partial["note_q15_doublon"] == 2  # untouched parts
    assert 0 < partial["note_q14_rouge"] < 3 and 0 < partial["note_q18_rfm"] < 4  # reds, bounds
    assert partial["note_q20_cible"] == pytest.approx(1.3)  # right category, 3 of 10 N°
    assert partial["note_q11_campagne"] == 0 and partial["note_q09_bloctel"] == 1  # R8 only
    assert 5 < scores["partiel"] < AUTO_POINTS - 5, partial
