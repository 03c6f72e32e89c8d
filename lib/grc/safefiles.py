"""Files people open in Excel or LibreOffice: formula-like text neutralised, text kept as text.

OWASP's CSV-injection guidance: a cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return is read as a formula by spreadsheets. In CSV files such text gets a
leading apostrophe; in xlsx files it is stored as a text cell (never a formula). Characters
that XML forbids (control characters) cannot be stored in xlsx: they are written as a visible
``[U+000B]`` mark instead of crashing the writer or being dropped silently.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _mark(m: re.Match) -> str:
    return f"[U+{ord(m.group(0)):04X}]"


def visible_controls(text: str) -> str:
    """Control characters that xlsx cannot hold, written as ``[U+XXXX]``."""
    return _ILLEGAL_XML.sub(_mark, text)


def csv_cell(value: Any) -> Any:
    """A CSV cell value that no spreadsheet runs as a formula (text only; numbers untouched)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _map_text(frame: pd.DataFrame, fn) -> pd.DataFrame:
    """A copy of ``frame`` with ``fn`` applied to every text cell and header."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(fn)
    out.columns = [fn(str(c)) for c in out.columns]
    return out


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells are neutralised for spreadsheets (headers too)."""
    return _map_text(frame, csv_cell)


def restore_cell(value: Any) -> Any:
    """The value :func:`csv_cell` was given (for our own programs reading back our CSV files)."""
    if isinstance(value, str) and value.startswith("'") and value[1:2] and value[1] in "=+-@\t\r":
        return value[1:]
    return value


def restore_csv(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame read from a file written by :func:`write_csv`, with the original text values."""
    return _map_text(frame, restore_cell)


def write_csv(frame: pd.DataFrame, path: str | Path, **kwargs: Any) -> None:
    """``frame.to_csv`` with every text cell neutralised (see module docstring)."""
    kwargs.setdefault("index", False)
    csv_safe(frame).to_csv(path, **kwargs)


def set_text(cell: Any, value: Any) -> None:
    """Give an openpyxl cell ``value``; text is stored as text, never as a formula."""
    if isinstance(value, str):
        cell.value = visible_controls(value)
        cell.data_type = "s"
    else:
        cell.value = value


def xlsx_safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy for ``DataFrame.to_excel``: control characters made visible in text cells.

    pandas writes strings starting with ``=`` as formulas through openpyxl; call
    :func:`text_cells_as_text` on the written worksheet, or write rows with :func:`set_text`.
    """
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: visible_controls(v) if isinstance(v, str) else v)
    return out


def text_cells_as_text(worksheet: Any) -> None:
    """Turn every formula cell of an openpyxl worksheet we wrote back into a text cell."""
    for row in worksheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"
