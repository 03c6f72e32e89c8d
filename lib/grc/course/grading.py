"""Scoring helpers for the nbgrader hidden tests: the expected answers are given by the caller.

The trainer's source notebook holds the reference answers inside ``### BEGIN HIDDEN TESTS``;
these functions only compare and turn the result into points. A hidden test ends with a
:class:`Points` value: nbgrader reads its plain-text form as the partial credit of the cell,
and the pages show « Points : 2 sur 3 ».
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from unidecode import unidecode

from grc.course import parsing as p


class Points(float):
    """Points earned by a cell (``float``), shown in French in the notebook."""

    def __new__(cls, value: float, out_of: float) -> Points:
        obj = super().__new__(cls, round(min(max(float(value), 0.0), float(out_of)), 2))
        obj.out_of = float(out_of)
        return obj

    def __repr__(self) -> str:  # what nbgrader reads: a bare number
        return f"{float(self):g}"

    def _repr_html_(self) -> str:
        got = f"{float(self):g}".replace(".", ",")
        total = f"{self.out_of:g}".replace(".", ",")
        return f"<div class='grc-points'><b>Points : {got} sur {total}</b></div>"


def letters(answer: Any) -> set[str]:
    """The letters of a choice answer: « A, c et D », « ACD » → {"A", "C", "D"}."""
    if p.blank(answer):
        return set()
    out: set[str] = set()
    for token in re.split(r"[^A-Z]+", unidecode(str(answer)).upper()):
        if token and token not in ("ET", "OU"):
            out.update(token)
    return out


def choice_points(answer: Any, expected: Iterable[str], points: float,
                  accepted: Iterable[str] = ()) -> Points:
    """Right letters minus wrong ones, over the expected letters; ``accepted`` are neutral."""
    given, want, neutral = letters(answer), set(expected), set(accepted)
    if not want:
        raise ValueError("expected letters are needed")
    good = len(given & want)
    bad = len(given - want - neutral)
    return Points(points * max(good - bad, 0) / len(want), points)


def number_points(answer: Any, expected: float, points: float) -> Points:
    """All the points for the right number, none otherwise."""
    value = p.to_number(answer)
    return Points(points if value is not None and abs(value - expected) < 1e-6 else 0, points)


def share_points(part: float, points: float) -> Points:
    """``points`` times a share of right items (a check's ``Verdict.part``)."""
    return Points(points * part, points)


def set_points(given: Iterable[int] | None, expected: Iterable[int], points: float) -> Points:
    """Found items minus extra ones, over the expected items."""
    got, want = set(given or ()), set(expected)
    return Points(points * max(len(got & want) - len(got - want), 0) / len(want), points)


def word_points(answer: Any, accepted: Iterable[str], points: float) -> Points:
    """All the points when the answer is one of the accepted words (« oui », « non »…)."""
    return Points(points if p.norm(answer) in {p.norm(a) for a in accepted} else 0, points)


def workbook_answer(classeur: Any, key: str) -> Any:
    """The student's answer ``key`` (R1…R8) in the sheet « Réponses »; None when unreadable.

    A missing sheet or file costs the points of that answer only, never the whole cell.
    """
    from grc.course.workbook import StudentWorkbook, WorkbookError

    try:
        return StudentWorkbook(classeur).answers().get(key)
    except (WorkbookError, OSError):
        return None
