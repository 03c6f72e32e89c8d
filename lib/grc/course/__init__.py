"""The Marielle Nature course (BTS NDRC): the student works in Excel, the notebook checks.

- :mod:`grc.course.workbook` reads the student's saved workbook (values, formulas, red fills);
- :mod:`grc.course.checks` gives feedback on it (row, column, rule), never the answer;
- :mod:`grc.course.grading` turns the trainer's hidden tests into nbgrader points;
- :mod:`grc.course.material` shows the rule book's texts (law as taught and as in force);
- :mod:`grc.course.release` writes the nbgrader course folder (``grc course release``).

The reference answers live only in the trainer's source notebook
(``notebooks/05_exercise_walkthrough.ipynb``, solution regions and hidden tests).
"""
