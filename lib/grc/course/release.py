"""``grc course release``: the course as an nbgrader course folder, and the student edition.

The trainer's notebook (``notebooks/05_exercise_walkthrough.ipynb``) carries nbgrader cell
metadata (schema 3), the solutions between ``### BEGIN SOLUTION`` / ``### END SOLUTION`` and the
graded checks' reference answers between ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS``.
Its cells tagged ``formateur`` (the trainer's guide: objectives, timing, common errors) are
dropped from the nbgrader source, so that ``nbgrader generate_assignment`` makes a student
version without any answer. The corrected workbook goes to ``formateur/``, outside the
``source`` folder that nbgrader releases.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import nbformat

from grc.config import project_root

ASSIGNMENT = "marielle_nature"
TRAINER_TAG = "formateur"
CODE_STUB = ""
TEXT_STUB = "VOTRE RÉPONSE ICI"
NBGRADER_CONFIG = f'''# nbgrader configuration of the Marielle Nature course (written by `grc course release`).
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "bts_ndrc_marielle_nature"
# an answer cell keeps its first line (for example `prestations = ""`), the solution is removed
c.ClearSolutions.code_stub = {{"python": {CODE_STUB!r}}}
c.ClearSolutions.text_stub = {TEXT_STUB!r}
# the corrected workbook is written to formateur/, outside source/: never released
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]
# the student's workbook is their work: autograde must not replace it with the blank one
c.Autograde.exclude_overwriting = {{"{ASSIGNMENT}": ["marielle_nature.xlsx"]}}
c.ExecutePreprocessor.timeout = 300
'''


class ReleaseError(Exception):
    """The course cannot be released (French message)."""


def course_notebook() -> Path:
    return project_root() / "notebooks" / "05_exercise_walkthrough.ipynb"


def course_data() -> Path:
    return project_root() / "data" / "course"


def source_notebook(path: Path | None = None) -> nbformat.NotebookNode:
    """The nbgrader source: the trainer's notebook without its guide cells and outputs."""
    nb = nbformat.read(path or course_notebook(), as_version=4)
    nb.cells = [c for c in nb.cells if TRAINER_TAG not in c.get("metadata", {}).get("tags", [])]
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb


def student_notebook(path: Path | None = None) -> nbformat.NotebookNode:
    """The student version, made by nbgrader's own preprocessors (as ``generate_assignment``)."""
    try:
        from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions
    except ImportError as exc:  # pragma: no cover - nbgrader is a pinned dev dependency
        raise ReleaseError("nbgrader n'est pas installé : pip install -e '.[dev]'.") from exc
    nb = copy.deepcopy(source_notebook(path))
    resources: dict = {}
    nb, resources = ClearSolutions(code_stub={"python": CODE_STUB}, text_stub=TEXT_STUB).preprocess(nb, resources)
    nb, resources = ClearHiddenTests().preprocess(nb, resources)
    return nb


def write_student_notebook(out: Path, path: Path | None = None) -> Path:
    """Write the student version to ``out`` (only when its content changed)."""
    text = nbformat.writes(student_notebook(path))
    out.parent.mkdir(parents=True, exist_ok=True)
    if not out.exists() or out.read_text(encoding="utf-8") != text:
        out.write_text(text, encoding="utf-8")
    return out


def release(out: Path) -> dict[str, Path]:
    """Write the nbgrader course folder ``out`` and return the paths written."""
    nb_path, data = course_notebook(), course_data()
    workbook, corrected = data / "marielle_nature.xlsx", data / "marielle_nature_corrige.xlsx"
    for needed in (nb_path, workbook, corrected):
        if not needed.is_file():
            raise ReleaseError(f"Fichier du cours introuvable : {needed}")
    out = Path(out)
    src = out / "source" / ASSIGNMENT
    src.mkdir(parents=True, exist_ok=True)
    trainer = out / "formateur"
    trainer.mkdir(parents=True, exist_ok=True)
    paths = {
        "config": out / "nbgrader_config.py",
        "notebook": src / f"{ASSIGNMENT}.ipynb",
        "workbook": src / workbook.name,
        "corrected": trainer / corrected.name,
    }
    paths["config"].write_text(NBGRADER_CONFIG, encoding="utf-8")
    nbformat.write(source_notebook(nb_path), paths["notebook"])
    shutil.copyfile(workbook, paths["workbook"])
    shutil.copyfile(corrected, paths["corrected"])
    guide = project_root() / "docs" / "guide_formateur_marielle_nature.md"
    if guide.is_file():
        paths["guide"] = trainer / guide.name
        shutil.copyfile(guide, paths["guide"])
    return paths
