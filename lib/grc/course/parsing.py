"""Reading the cells of the course base: names, addresses, phones, ages, amounts, dates.

Used by the checks to compare what a student typed with what the raw sheet says, whatever
the writing (« 45,50 € », +33, a phone typed as a number, « 42 ans » or a birth date).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import numpy as np
import pandas as pd
from unidecode import unidecode

from grc.course.workbook import REFERENCE_DATE

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


def blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    if value is pd.NaT or (not isinstance(value, str | int | float | dt.date) and pd.isna(value)):
        return True
    return isinstance(value, str) and not value.strip()


def text_or_none(value: Any) -> str | None:
    return None if blank(value) else str(value).strip()


def split_name(cell: Any) -> tuple[str | None, str | None]:
    """Split a "NOM Prénom" cell: words in capitals are the last name, the rest the first name.

    A cell without any word in capitals is read as "Nom Prénom" (first word = last name).
    The last name comes back in capitals: ``"Durand É."`` → ``("DURAND", "É.")``.
    """
    text = text_or_none(cell)
    if text is None:
        return None, None
    words = text.split()
    upper = [w for w in words if w.isupper() and sum(c.isalpha() for c in w) > 1]
    if upper:
        last = " ".join(upper)
        first = " ".join(w for w in words if w not in upper)
    else:
        last, first = words[0], " ".join(words[1:])
    return last.upper(), (first or None)


def split_address(cell: Any) -> tuple[str | None, str | None, str | None]:
    """Split a whole address into (street, postcode, city); a missing part is None.

    ``"8, boulevard Voltaire - 75011 PARIS"`` → ``("8, boulevard Voltaire", "75011", "Paris")``;
    without postcode, a comma separates the city: ``"25 rue Crébillon, Nantes"``.
    """
    text = text_or_none(cell)
    if text is None:
        return None, None, None
    m = re.search(r"(?<!\d)(\d{5})(?!\d)\s*(.*)$", text)
    if m:
        street = text[: m.start()].strip(" ,-–") or None
        city = m.group(2).strip(" ,-–") or None
        return street, m.group(1), _city(city)
    if "," in text:
        street, city = text.rsplit(",", 1)
        return street.strip() or None, None, _city(city.strip() or None)
    return text, None, None


def _city(city: str | None) -> str | None:
    if city and city.isupper():
        return "-".join(w.capitalize() for w in city.title().split("-"))
    return city


def age_on(value: Any, ref: dt.date = REFERENCE_DATE) -> int | None:
    """Age in years at ``ref`` from "42 ans", 42, a birth date or "12/03/1978"; None if empty."""
    if blank(value):
        return None
    if isinstance(value, dt.date):
        born = value.date() if isinstance(value, dt.datetime) else value
    else:
        text = str(value).strip()
        m = re.fullmatch(r"(\d{1,3})(?:[.,]0+)?\s*(?:ans?)?", text)
        if m:
            return int(m.group(1))
        try:
            born = dt.datetime.strptime(text, "%d/%m/%Y").date()
        except ValueError:
            return None
    return ref.year - born.year - ((ref.month, ref.day) < (born.month, born.day))


def to_number(value: Any) -> float | None:
    """A number from 45.5, "45,50 €" or "45.50"; None if empty or unreadable."""
    if blank(value):
        return None
    if isinstance(value, int | float):
        return float(value)
    text = re.sub(r"[€\s\u00a0]", "", str(value)).replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return None


def phone_digits(value: Any) -> str | None:
    """The 10 digits of a French number in any writing (+33, dots, typed as a number)."""
    if blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    digits = re.sub(r"\D", "", str(value))
    if digits.startswith("33") and len(digits) == 11:
        digits = "0" + digits[2:]
    if len(digits) == 9 and digits[0] in "123456789":  # Excel dropped the leading 0
        digits = "0" + digits
    return digits if len(digits) == 10 and digits.startswith("0") else None


def normalize_civility(value: Any) -> str | None:
    """``"M."`` or ``"Mme"`` from M, Mr, Monsieur, Madame, Mlle…; None if empty or unknown."""
    text = text_or_none(value)
    if text is None:
        return None
    key = unidecode(text).lower().strip(". ")
    if key in {"m", "mr", "monsieur", "mons"}:
        return "M."
    if key in {"mme", "madame", "mlle", "mademoiselle", "melle"}:
        return "Mme"
    return None


def months_since(last: Any, ref: dt.date = REFERENCE_DATE) -> int | None:
    """Whole months from ``last`` to ``ref`` (like Excel's DATEDIF(…; "m")); None if empty."""
    if blank(last):
        return None
    d = pd.Timestamp(last).date()
    m = (ref.year - d.year) * 12 + (ref.month - d.month)
    return m - 1 if ref.day < d.day else m




def norm(value: Any) -> str:
    """Text for comparisons: no accents, no case, punctuation as spaces; "" when empty."""
    if blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return re.sub(r"[^\w']+", " ", unidecode(str(value)).casefold()).strip()


def as_date(value: Any) -> dt.date | None:
    """A date from a date cell, an Excel serial number or "31/03/2026"; None otherwise."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 20000 < value < 80000:
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(value))
    if isinstance(value, str):
        try:
            return dt.datetime.strptime(value.strip(), "%d/%m/%Y").date()
        except ValueError:
            return None
    return None
