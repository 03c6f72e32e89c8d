"""A small evaluator for the spreadsheet formulas of the course workbook.

A workbook saved by Excel or LibreOffice stores the last computed value of every formula and
:mod:`grc.course.workbook` reads that value. A workbook written by a program (openpyxl, the
tests) or saved without recalculation has formulas but no values: those formulas are computed
here when they only use what the course needs (IF, AND, OR, NOT, comparisons, arithmetic,
``&``, SUM, COUNTIF, COUNTA, COUNTBLANK, ISBLANK, LEN, LEFT, RIGHT, MID, FIND, SEARCH, TRIM,
UPPER, LOWER, PROPER, SUBSTITUTE, VALUE, ROUND, INT, DATE, YEAR, MONTH, DAY, DATEDIF,
YEARFRAC). Anything else raises :class:`Unsupported`, and the student is asked to open and
save the workbook in Excel or LibreOffice. The file stores formulas with English function
names and commas whatever the language of the spreadsheet (SI → IF, NB.SI → COUNTIF).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

from openpyxl.formula import Tokenizer
from openpyxl.utils import column_index_from_string, range_boundaries

Getter = Callable[[str, int, int], Any]  # (sheet, row, column) -> value


class Unsupported(Exception):
    """A formula uses a function or syntax this evaluator does not compute."""


class _Range:
    def __init__(self, sheet: str, bounds: tuple[int | None, ...], get: Getter,
                 max_row: int | Callable[[str], int]):
        self.sheet, self.bounds, self.get, self.max_row = sheet, bounds, get, max_row

    def values(self) -> list[Any]:
        c0, r0, c1, r1 = self.bounds
        last = self.max_row(self.sheet) if callable(self.max_row) else self.max_row
        r0, r1 = r0 or 1, r1 or last
        return [self.get(self.sheet, r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)]

    def single(self) -> Any:
        c0, r0, c1, r1 = self.bounds
        if (c0, r0) != (c1, r1) or r0 is None:
            raise Unsupported("plage utilisée comme une seule cellule")
        return self.get(self.sheet, r0, c0)


def _num(v: Any) -> float:
    if isinstance(v, _Range):
        v = v.single()
    if v is None or v == "":
        return 0.0
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, dt.datetime | dt.date):
        return float(_serial(v))
    try:
        return float(str(v).replace(",", ".").replace("\u00a0", "").replace(" ", ""))
    except ValueError as exc:
        raise ValueError(f"« {v} » n'est pas un nombre") from exc


def _serial(d: dt.date) -> int:
    day = d.date() if isinstance(d, dt.datetime) else d
    return (day - dt.date(1899, 12, 30)).days


def _date(v: Any) -> dt.date:
    if isinstance(v, _Range):
        v = v.single()
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, int | float) and not isinstance(v, bool):
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(v))
    if isinstance(v, str):
        for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
            try:
                return dt.datetime.strptime(v.strip(), fmt).date()
            except ValueError:
                pass
    raise ValueError(f"« {v} » n'est pas une date")


def _text(v: Any) -> str:
    if isinstance(v, _Range):
        v = v.single()
    if v is None:
        return ""
    if isinstance(v, bool):
        return "VRAI" if v else "FAUX"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _bool(v: Any) -> bool:
    if isinstance(v, _Range):
        v = v.single()
    if isinstance(v, str):
        up = v.strip().upper()
        if up in ("TRUE", "VRAI"):
            return True
        if up in ("FALSE", "FAUX", ""):
            return False
        raise ValueError(f"« {v} » n'est pas VRAI ou FAUX")
    return bool(_num(v))


def _scalar(v: Any) -> Any:
    return v.single() if isinstance(v, _Range) else v


def _compare(op: str, a: Any, b: Any) -> bool:
    a, b = _scalar(a), _scalar(b)
    a = "" if a is None else a
    b = "" if b is None else b
    if isinstance(a, str) and isinstance(b, str):
        x: Any = a.casefold()
        y: Any = b.casefold()
    elif isinstance(a, str) or isinstance(b, str):  # a number and a text: never equal,
        if op in ("=", "<>"):  # and numbers sort before texts
            return op == "<>"
        x, y = int(isinstance(a, str)), int(isinstance(b, str))
    else:
        x, y = _num(a), _num(b)
    return {"=": x == y, "<>": x != y, "<": x < y, ">": x > y, "<=": x <= y, ">=": x >= y}[op]


def _criterion(crit: Any) -> Callable[[Any], bool]:
    crit = _scalar(crit)
    if isinstance(crit, str):
        for op in ("<=", ">=", "<>", "<", ">", "="):
            if crit.startswith(op):
                rest = crit[len(op):]
                try:
                    target: Any = float(rest.replace(",", "."))
                except ValueError:
                    target = rest
                return lambda v, op=op, t=target: v not in (None, "") and _safe_cmp(op, v, t)
        return lambda v: isinstance(v, str) and v.casefold() == crit.casefold()
    return lambda v: v not in (None, "") and _safe_cmp("=", v, crit)


def _countifs(args: list[Any]) -> int:
    if len(args) % 2 or not args:
        raise Unsupported("NB.SI.ENS attend des paires plage ; critère")
    columns = [_flat([rng]) for rng in args[::2]]
    tests = [_criterion(c) for c in args[1::2]]
    return sum(1 for values in zip(*columns, strict=True) if all(t(v) for t, v in zip(tests, values, strict=True)))


def _safe_cmp(op: str, a: Any, b: Any) -> bool:
    try:
        return _compare(op, a, b)
    except ValueError:
        return False


def _datedif(start: Any, end: Any, unit: Any) -> int:
    a, b, u = _date(start), _date(end), _text(unit).upper()
    if a > b:
        raise ValueError("DATEDIF : la date de début est après la date de fin")
    months = (b.year - a.year) * 12 + b.month - a.month - (b.day < a.day)
    if u == "M":
        return months
    if u == "Y":
        return months // 12
    if u == "D":
        return (b - a).days
    raise Unsupported(f"DATEDIF avec l'unité « {u} »")


def _yearfrac(start: Any, end: Any, basis: Any = 0) -> float:
    a, b = sorted((_date(start), _date(end)))
    if _num(basis) not in (0, 1):
        raise Unsupported("YEARFRAC avec cette base")
    if _num(basis) == 1:
        return (b - a).days / 365.25
    d1, d2 = min(a.day, 30), b.day  # US 30/360
    if d1 == 30 and d2 == 31:
        d2 = 30
    return ((b.year - a.year) * 360 + (b.month - a.month) * 30 + (d2 - d1)) / 360


def _find(needle: Any, hay: Any, start: Any = 1, fold: bool = False) -> int:
    n, h = _text(needle), _text(hay)
    if fold:
        n, h = n.casefold(), h.casefold()
    pos = h.find(n, int(_num(start)) - 1)
    if pos < 0:
        raise ValueError(f"« {_text(needle)} » introuvable")
    return pos + 1


def _flat(args: list[Any]) -> list[Any]:
    out: list[Any] = []
    for a in args:
        out.extend(a.values() if isinstance(a, _Range) else [a])
    return out


def _round(x: Any, n: Any = 0) -> float:
    q = 10 ** int(_num(n))
    v = _num(x) * q
    return math.floor(abs(v) + 0.5) * (1 if v >= 0 else -1) / q


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "AND": lambda *a: all(_bool(v) for v in _flat(list(a)) if v not in (None, "")),
    "OR": lambda *a: any(_bool(v) for v in _flat(list(a)) if v not in (None, "")),
    "NOT": lambda a: not _bool(a),
    "SUM": lambda *a: sum(_num(v) for v in _flat(list(a)) if isinstance(v, int | float) and not isinstance(v, bool)),
    "COUNTIF": lambda rng, crit: sum(1 for v in _flat([rng]) if _criterion(crit)(v)),
    "COUNTIFS": lambda *a: _countifs(list(a)),
    "COUNTA": lambda *a: sum(1 for v in _flat(list(a)) if v not in (None, "")),
    "COUNTBLANK": lambda *a: sum(1 for v in _flat(list(a)) if v in (None, "")),
    "ISBLANK": lambda a: _scalar(a) is None,
    "LEN": lambda a: len(_text(a)),
    "LEFT": lambda a, n=1: _text(a)[: int(_num(n))],
    "RIGHT": lambda a, n=1: _text(a)[-int(_num(n)):] if int(_num(n)) else "",
    "MID": lambda a, s, n: _text(a)[int(_num(s)) - 1: int(_num(s)) - 1 + int(_num(n))],
    "FIND": lambda n, h, s=1: _find(n, h, s),
    "SEARCH": lambda n, h, s=1: _find(n, h, s, fold=True),
    "TRIM": lambda a: " ".join(_text(a).split()),
    "UPPER": lambda a: _text(a).upper(),
    "LOWER": lambda a: _text(a).lower(),
    "PROPER": lambda a: _text(a).title(),
    "SUBSTITUTE": lambda a, old, new: _text(a).replace(_text(old), _text(new)),
    "VALUE": lambda a: _num(a),
    "ROUND": _round,
    "INT": lambda a: math.floor(_num(a)),
    "DATE": lambda y, m, d: dt.date(int(_num(y)), 1, 1).replace(month=int(_num(m))) + dt.timedelta(days=int(_num(d)) - 1),
    "YEAR": lambda a: _date(a).year,
    "MONTH": lambda a: _date(a).month,
    "DAY": lambda a: _date(a).day,
    "DATEDIF": _datedif,
    "YEARFRAC": _yearfrac,
    "CONCATENATE": lambda *a: "".join(_text(v) for v in a),
    "CONCAT": lambda *a: "".join(_text(v) for v in _flat(list(a))),
}

_PRECEDENCE = {"=": 1, "<>": 1, "<": 1, ">": 1, "<=": 1, ">=": 1, "&": 2, "+": 3, "-": 3,
               "*": 4, "/": 4, "^": 5}


def _binary(op: str, a: Any, b: Any) -> Any:
    if op in ("=", "<>", "<", ">", "<=", ">="):
        return _compare(op, a, b)
    if op == "&":
        return _text(a) + _text(b)
    x, y = _num(a), _num(b)
    if op == "+":
        return x + y
    if op == "-":
        return x - y
    if op == "*":
        return x * y
    if op == "/":
        if y == 0:
            raise ValueError("division par zéro")
        return x / y
    return x**y


class _Parser:
    """Recursive descent over openpyxl's tokens; evaluates while parsing (IF is eager)."""

    def __init__(self, formula: str, sheet: str, get: Getter, max_row: int | Callable[[str], int]):
        self.tokens = [t for t in Tokenizer(formula).items if t.type != "WHITE-SPACE"]
        self.i, self.sheet, self.get, self.max_row = 0, sheet, get, max_row

    def peek(self) -> Any:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> Any:
        tok = self.peek()
        if tok is None:
            raise Unsupported("formule incomplète")
        self.i += 1
        return tok

    def run(self) -> Any:
        value = self.expr()
        if self.peek() is not None:
            raise Unsupported(f"élément inattendu « {self.peek().value} »")
        return _scalar(value)

    def expr(self, min_prec: int = 1) -> Any:
        left = self.unary()
        while (tok := self.peek()) is not None and tok.type == "OPERATOR-INFIX":
            prec = _PRECEDENCE.get(tok.value)
            if prec is None:
                raise Unsupported(f"l'opérateur « {tok.value} »")
            if prec < min_prec:
                break
            self.take()
            right = self.expr(prec if tok.value == "^" else prec + 1)
            left = _binary(tok.value, left, right)
        return left

    def unary(self) -> Any:
        tok = self.peek()
        if tok is not None and tok.type == "OPERATOR-PREFIX":
            self.take()
            value = self.unary()
            return -_num(value) if tok.value == "-" else _num(value)
        value = self.primary()
        while (tok := self.peek()) is not None and tok.type == "OPERATOR-POSTFIX":
            self.take()
            value = _num(value) / 100
        return value

    def primary(self) -> Any:
        tok = self.take()
        if tok.type == "OPERAND":
            return self.operand(tok)
        if tok.type == "PAREN" and tok.subtype == "OPEN":
            value = self.expr()
            self.take()
            return value
        if tok.type == "FUNC" and tok.subtype == "OPEN":
            name = tok.value[:-1].upper().removeprefix("_XLFN.")
            args = []
            if not (self.peek().type == "FUNC" and self.peek().subtype == "CLOSE"):
                args.append(self.expr())
                while self.peek().type == "SEP":
                    self.take()
                    args.append(self.expr())
            self.take()
            if name == "IF":
                if len(args) not in (2, 3):
                    raise Unsupported("SI attend 2 ou 3 arguments")
                return args[1] if _bool(args[0]) else (args[2] if len(args) == 3 else False)
            if name not in FUNCTIONS:
                raise Unsupported(f"la fonction {name}")
            return FUNCTIONS[name](*args)
        raise Unsupported(f"élément « {tok.value} »")

    def operand(self, tok: Any) -> Any:
        if tok.subtype == "NUMBER":
            return float(tok.value)
        if tok.subtype == "TEXT":
            return tok.value[1:-1].replace('""', '"')
        if tok.subtype == "LOGICAL":
            return tok.value.upper() == "TRUE"
        if tok.subtype == "RANGE":
            return self.reference(tok.value)
        raise Unsupported(f"valeur « {tok.value} »")

    def reference(self, ref: str) -> _Range:
        sheet = self.sheet
        if "!" in ref:
            sheet, ref = ref.rsplit("!", 1)
            sheet = sheet.strip("'").replace("''", "'")
        ref = ref.replace("$", "")
        if ref.replace(":", "").isalpha():  # whole columns: A:A
            a, _, b = ref.partition(":")
            c0, c1 = column_index_from_string(a), column_index_from_string(b or a)
            return _Range(sheet, (c0, None, c1, None), self.get, self.max_row)
        try:
            bounds = range_boundaries(ref)
        except ValueError as exc:
            raise Unsupported(f"la référence « {ref} »") from exc
        return _Range(sheet, bounds, self.get, self.max_row)


def evaluate(formula: str, sheet: str, get: Getter, max_row: int | Callable[[str], int] = 1000) -> Any:
    """Value of ``formula`` (with its leading ``=``) in ``sheet``; cells are read with ``get``.

    ``max_row`` (a number, or a function of the sheet name) bounds whole columns such as A:A.

    Raises :class:`Unsupported` for what is not computed here, ``ValueError`` for an error the
    spreadsheet would show too (#VALEUR!, #DIV/0!).
    """
    value = _Parser(formula, sheet, get, max_row).run()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def truthy(value: Any) -> bool:
    """A formula result read as a condition (VRAI, a non-zero number)."""
    try:
        return _bool(value)
    except ValueError:
        return False


def compare(op: str, a: Any, b: Any) -> bool:
    """Compare two cell values as the spreadsheet does (``=``, ``<>``, ``<``, ``<=``…)."""
    return _compare(op, a, b)
