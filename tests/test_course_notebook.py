"""The trainer's notebook as an nbgrader source, and the student version made from it (fast)."""

from __future__ import annotations

import pytest

pytest.importorskip("nbgrader")

from grc.course.release import TRAINER_TAG, source_notebook, student_notebook  # noqa: E402


def _grades(nb) -> dict[str, dict]:
    return {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"] for c in nb.cells
            if "nbgrader" in c.metadata}


def test_source_metadata_points_and_cells():
    nb = source_notebook()
    grades = _grades(nb)
    assert len(grades) == sum("nbgrader" in c.metadata for c in nb.cells)  # grade ids unique
    assert all(m["schema_version"] == 3 for m in grades.values())
    auto = sum(m["points"] for m in grades.values() if m["grade"] and not m["solution"])
    manual = sum(m["points"] for m in grades.values() if m["grade"] and m["solution"])
    assert (auto, manual) == (35, 15)
    for cell in nb.cells:
        meta = cell.metadata["nbgrader"]
        if meta["grade"] and not meta["solution"]:  # autograded: locked code with hidden tests
            assert cell.cell_type == "code" and meta["locked"] and "### BEGIN HIDDEN TESTS" in cell.source
        if meta["grade"] and meta["solution"]:  # manually graded text with its rubric
            assert cell.cell_type == "markdown" and "Barème" in cell.source
        if meta["solution"] and cell.cell_type == "code":
            assert "### BEGIN SOLUTION" in cell.source and "=" in cell.source.splitlines()[0]
    assert all(TRAINER_TAG not in c.metadata.get("tags", []) for c in nb.cells)


def test_student_version_has_no_answer_and_no_python_to_write():
    nb = student_notebook()
    text = "\n".join(c.source for c in nb.cells)
    for leak in ("SOLUTION", "HIDDEN", "Corrigé", "Barème", "grading.", "_corrige", "1; 4; 7"):
        assert leak not in text, leak
    for cell in nb.cells:
        meta = cell.metadata["nbgrader"]
        if meta["solution"] and cell.cell_type == "code":  # what the student edits: one literal
            lines = [line for line in cell.source.splitlines() if line.strip()]
            assert all(line.split(" = ")[1].startswith('"') for line in lines), cell.source
        if meta["solution"] and cell.cell_type == "markdown":
            assert cell.source == "VOTRE RÉPONSE ICI"
