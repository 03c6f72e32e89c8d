"""Detect how an export file is written: encoding, separator, sheet, decimal mark, dates.

Used by ``grc map`` (:mod:`grc.readers.mapping`) to draft the ``exports`` part of a
correspondence table. Every cell is read as text, as :func:`grc.readers.exports.read_raw`
reads it once the table exists.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

SEPARATORS = [";", ",", "\t", "|"]
# French-first: a day-first format wins a tie with a month-first one
DATE_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%Y/%m/%d", "%d/%m/%y",
                "%m/%d/%Y", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S"]
_EXCEL_DATE_FORMATS = {"dd/mm/yyyy": "%d/%m/%Y", "dd/mm/yy": "%d/%m/%y", "yyyy-mm-dd": "%Y-%m-%d",
                       "dd-mm-yyyy": "%d-%m-%Y", "dd.mm.yyyy": "%d.%m.%Y", "mm/dd/yyyy": "%m/%d/%Y",
                       "m/d/yy": "%m/%d/%y", "d/m/yyyy": "%d/%m/%Y"}
_DEC_COMMA = re.compile(r"^-?\d{1,3}(?:[ .\u00a0]?\d{3})*,\d+$")
_DEC_POINT = re.compile(r"^-?\d{1,3}(?:[ ,\u00a0]?\d{3})*\.\d+$")


@dataclass
class ExportFile:
    """One export as detected: its ``exports`` entry, the cells as text, and doubts."""

    path: Path
    spec: dict[str, str]
    frame: pd.DataFrame
    doubts: list[str] = field(default_factory=list)
    sheets: list[str] = field(default_factory=list)
    excel_dates: dict[str, str] = field(default_factory=dict)  # column -> display format


def detect_encoding(data: bytes) -> tuple[str, str | None]:
    """(encoding, doubt): utf-8-sig with a BOM, utf-8 when it decodes, else cp1252 (or
    iso-8859-15 when its œ/Œ/Ÿ/€ show), latin-1 as a last resort."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", None
    try:
        data.decode("utf-8")
        return "utf-8", None
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        # ISO-8859-15 writes œ, Œ, Ÿ, € where Windows-1252 has ½, ¼, ¾, ¤: inside a word
        # ("C½ur") they tell the file is Latin-9
        if re.search(r"[A-Za-zÀ-ÿ][¼½¾¤]|[¼½¾][a-zà-ÿ]", text):
            return "iso-8859-15", None
        return "cp1252", None
    return "latin-1", ("encodage incertain (ni UTF-8 ni Windows-1252) : latin-1 proposé, "
                       "vérifier les accents")


def detect_separator(text: str) -> tuple[str, str | None]:
    """The separator giving the same number (> 1) of fields on the most lines."""
    lines = [ln for ln in text.splitlines()[:200] if ln.strip()]
    best, best_score = ";", -1.0
    for sep in SEPARATORS:
        rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=sep, quotechar='"'))
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        score = sum(len(r) == width for r in rows) / len(rows) + width / 1000
        if score > best_score:
            best, best_score = sep, score
    if best_score < 0:
        return ";", "séparateur introuvable (une seule colonne ?) : « ; » proposé, à vérifier"
    return best, None


def detect_date_format(values: pd.Series) -> tuple[str | None, float, bool]:
    """(format, share of values it parses, ambiguous day/month) for a text column."""
    v = values.dropna().astype(str).str.strip()
    v = v[v != ""].head(400)
    if v.empty or not v.str.contains(r"\d").all():
        return None, 0.0, False
    shares = {}
    for fmt in DATE_FORMATS:
        shares[fmt] = pd.to_datetime(v, format=fmt, errors="coerce").notna().mean()
    fmt = max(DATE_FORMATS, key=lambda f: shares[f])  # first listed wins ties
    if shares[fmt] < 0.8:
        return None, shares[fmt], False
    swapped = fmt.replace("%d", "%X").replace("%m", "%d").replace("%X", "%m")
    ambiguous = swapped != fmt and shares.get(swapped, 0.0) >= shares[fmt]
    return fmt, float(shares[fmt]), ambiguous


def detect_decimal(values: pd.Series) -> str | None:
    """"," or "." when the column holds decimal numbers written that way, else None."""
    v = values.dropna().astype(str).str.strip()
    v = v[v != ""].head(400)
    if v.empty:
        return None
    comma, point = v.str.match(_DEC_COMMA).mean(), v.str.match(_DEC_POINT).mean()
    if max(comma, point) < 0.3:
        return None
    return "," if comma > point else "."


def _read_csv_text(path: Path) -> ExportFile:
    data = path.read_bytes()
    enc, doubt = detect_encoding(data)
    text = data.decode(enc)
    sep, sdoubt = detect_separator(text)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=sep, quotechar='"'))
    head = [c.strip() for c in rows[0]] if rows else []
    body = [r for r in rows[1:] if any(c.strip() for c in r) and len(r) == len(head)]
    frame = pd.DataFrame(body, columns=head, dtype=object)
    spec = {"file": path.name, "sep": sep, "encoding": enc}
    return ExportFile(path, spec, frame, [d for d in (doubt, sdoubt) if d])


def _excel_date_format(path: Path, sheet: str, columns: list[str]) -> dict[str, str]:
    """Display format of the first date cell of each column (real Excel dates)."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        ws = wb[sheet]
        out: dict[str, str] = {}
        for row in ws.iter_rows(min_row=2, max_row=60):
            for name, cell in zip(columns, row, strict=False):
                if name not in out and getattr(cell, "is_date", False):
                    fmt = str(cell.number_format).lower().replace("\\", "")
                    out[name] = _EXCEL_DATE_FORMATS.get(fmt, "%d/%m/%Y")
        return out
    finally:
        wb.close()


def _read_excel(path: Path, kind_words: tuple[str, ...]) -> ExportFile:
    sheets = pd.read_excel(path, sheet_name=None, dtype=str, keep_default_na=False,
                           engine="calamine")
    names = list(sheets)
    doubts = []

    def fit(name: str) -> tuple[int, int]:
        low = name.lower()
        return (int(any(w in low for w in kind_words)), len(sheets[name]))

    sheet = max(names, key=fit)
    if len(names) > 1:
        doubts.append(f"classeur à {len(names)} feuilles ({', '.join(names)}) : feuille "
                      f"« {sheet} » proposée, vérifier")
    frame = sheets[sheet]
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.replace("", None).astype(object)
    return ExportFile(path, {"file": path.name, "sheet": sheet}, frame, doubts, names,
                      _excel_date_format(path, sheet, list(frame.columns)))


def read_export(path: str | Path, kind: str) -> ExportFile:
    """Read and describe one export (``kind``: contacts or stays)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} : fichier introuvable.")
    words = ("client", "contact", "fichier") if kind == "contacts" else (
        "sejour", "séjour", "resa", "réserv", "booking", "stay")
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        ef = _read_excel(path, words)
    else:
        ef = _read_csv_text(path)
    ef.frame = ef.frame.apply(lambda s: s.map(
        lambda v: (v.strip() or None) if isinstance(v, str) else v))
    return ef
