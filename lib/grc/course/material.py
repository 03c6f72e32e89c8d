"""Course material drawn from the rule book: the law as the 2021 course taught it and as in force."""

from __future__ import annotations

import datetime as dt
import html

from grc import rules

MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre"]


def french_date(day: dt.date) -> str:
    """« 15 septembre 2026 » (« 1er » for the first day of a month)."""
    first = "1er" if day.day == 1 else str(day.day)
    return f"{first} {MONTHS[day.month - 1]} {day.year}"


class RulesTable:
    """The phone-canvassing rules in force on a day, shown as a French table in the notebook."""

    def __init__(self, day: dt.date, title: str):
        self.day, self.title = day, title
        self.rules = rules.phone_rules_in_force(day)

    def __str__(self) -> str:
        lines = [f"{self.title} ({french_date(self.day)})"]
        lines += [f"- {r.text} (Source : {r.source})" for r in self.rules]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        items = "".join(f"<li>{html.escape(r.text)}<br><i>Source : {html.escape(r.source)}</i></li>"
                        for r in self.rules)
        return (f"<p><b>{html.escape(self.title)}</b> ({html.escape(french_date(self.day))})</p>"
                f"<ul class='grc-rules'>{items}</ul>")


def regles_demarchage(day: dt.date, title: str = "Démarchage téléphonique des particuliers") -> RulesTable:
    """The rules on phone canvassing of private persons in force on ``day`` (for display)."""
    return RulesTable(day, title)
