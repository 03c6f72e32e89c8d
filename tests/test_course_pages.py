"""Both editions of the course page, rendered through the report path: clean, no leak."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from grc.config import project_root
from grc.pipeline.run import COURSE_FOOTER, COURSE_NOTEBOOK, EDITIONS, course_notebooks
from grc.reports.runner import NotebookJob, run_notebooks

ARTEFACTS = [r"\bNone\b", r"\bNaN\b", r"&lt;NA&gt;", r"<NA>", r"\bTrue\b", r"\bFalse\b",
             r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}", r"Traceback", r"Error\b", r"Exception",
             r"Édition relecteurs", r"aucune donnée personnelle", r'class="dataframe"',
             r"ipykernel", r"NotImplemented", r"\bnan\b"]
STUDENT_LEAKS = ["Corrigé", "Barème", "Pour le formateur", "BEGIN SOLUTION", "HIDDEN TESTS",
                 "Points :", "marielle_nature_corrige", "1; 4; 7"]


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cours")
    cfg = SimpleNamespace(processed_dir=tmp / "processed")
    notebooks = course_notebooks(cfg, project_root() / "notebooks" / COURSE_NOTEBOOK[0])
    jobs = [NotebookJob(notebooks[ed], {"edition": ed}, tmp / f"{ed}.html",
                        {"title": COURSE_NOTEBOOK[1], "edition": label.capitalize(),
                         "footer": COURSE_FOOTER}) for ed, label in EDITIONS]
    results = run_notebooks(jobs, n_jobs=1, kernel="fresh", manifest_path=tmp / "m.json", progress=False)
    assert [r.status for r in results] == ["ok", "ok"], [r.error for r in results]
    return {ed: (tmp / f"{ed}.html").read_text(encoding="utf-8") for ed, _ in EDITIONS}


def _text(page: str) -> str:
    body = re.sub(r"<style.*?</style>|<script.*?</script>", "", page, flags=re.S)
    return re.sub(r"data:image/[^\"']+", "", body)


@pytest.mark.parametrize("edition", ["eleve", "formateur"])
def test_pages_have_no_program_artefacts(pages, edition):
    text = _text(pages[edition])
    for pattern in ARTEFACTS:
        assert not re.search(pattern, text), (edition, pattern, re.search(pattern, text))
    assert "fictifs" in text and "example.com" in text


def test_student_page_has_no_answer(pages):
    text = _text(pages["eleve"])
    for leak in STUDENT_LEAKS:
        assert leak not in text, leak
    assert "Édition élève" in text and "VOTRE RÉPONSE ICI" in text
    assert "loi n° 2025-594" in text.lower() or "Loi n° 2025-594" in text  # the law in force


def test_trainer_page_has_answers_points_and_guide(pages):
    text = _text(pages["formateur"])
    assert "Édition formateur" in text
    assert "Corrigé" in text and "Barème" in text and "Pour le formateur" in text
    assert "Points : 4 sur 4" in text and "Points : 0" not in text
    assert "décret n° 2022-1313" in text.lower() or "Décret n° 2022-1313" in text
