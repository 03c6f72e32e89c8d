"""The rule book's canvassing rules by date, as the course shows them (taught in 2021, in force)."""

from __future__ import annotations

import datetime as dt

from grc import rules
from grc.course import material


def test_rules_in_force_by_date():
    taught = [r.name for r in rules.phone_rules_in_force(dt.date(2021, 9, 1))]
    assert taught == ["bloctel_principles", "phone_law_2020"]  # before décret n° 2022-1313
    spring = [r.name for r in rules.phone_rules_in_force(dt.date(2026, 4, 15))]
    assert spring == ["bloctel_principles", "phone_law_2020", "calling_hours"]
    assert rules.phone_rules_in_force(rules.BLOCTEL_LAST_DAY)[0] is rules.BLOCTEL_PRINCIPLES
    after = rules.phone_rules_in_force(rules.PHONE_CONSENT_FIRST_DAY)
    assert [r.name for r in after] == ["phone_consent", "phone_consent_duties", "calling_hours",
                                       "phone_penalties"]
    assert "2025-594" in rules.PHONE_CONSENT_DUTIES.source
    assert "10 h à 13 h et de 14 h à 20 h" in rules.CALLING_HOURS.text
    assert "375 000 €" in rules.PHONE_PENALTIES.text
    assert all(r in rules.RULES for r in after)


def test_course_rules_table_is_french_and_dated():
    table = material.regles_demarchage(dt.date(2026, 9, 15), "À la date de la campagne")
    page = table._repr_html_()
    assert "15 septembre 2026" in page and "Loi n° 2025-594" in page and "<li>" in page
    assert "1er mars 2023" in str(table)
    assert material.french_date(dt.date(2026, 8, 1)) == "1er août 2026"
