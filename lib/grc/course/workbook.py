"""The student's workbook ``marielle_nature.xlsx``, read as the spreadsheet shows it.

The student works in Excel or LibreOffice and saves the file; the notebook reads it here with
openpyxl. For a formula cell the value the spreadsheet computed and saved is used; when the
file holds a formula without a saved value (written by a program, or saved without
recalculation) the formula is computed by :mod:`grc.course.formulas` if it only uses the
functions of the course, else the student is asked to open and save the file in the
spreadsheet. Red cells are read from the fill colour (Accueil > Couleur de remplissage) and
from simple conditional formats (cell empty or not, a formula, a comparison) with a red fill.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.formula.translate import Translator
from openpyxl.styles.colors import COLOR_INDEX
from openpyxl.utils import get_column_letter

from grc.config import project_root
from grc.course import formulas

WORKBOOK_NAME = "marielle_nature.xlsx"
REFERENCE_DATE = dt.date(2026, 3, 31)  # extraction date of the base (sheet "Lisez-moi", B2)

SHEET_README = "Lisez-moi"
SHEET_RAW = "Clients"
SHEET_BASE = "Base"
SHEET_BLOCTEL = "Bloctel (extrait)"
SHEET_GRID = "Grille RFM"
SHEET_ANSWERS = "Réponses"

ID = "N°"
PARTICULIER, PROFESSIONNEL = "Particulier", "Professionnel"
RAW_COLUMNS = [
    ID, "Type de client", "Civilité", "Nom Prénom", "Entreprise", "Activité", "Adresse",
    "Téléphone", "E-mail", "Source", "Âge ou date de naissance", "Date du dernier achat",
    "Achats par an", "Panier moyen", "Accepte les appels",
]
BASE_COLUMNS = [
    ID, "Type de client", "Civilité", "Nom", "Prénom", "Entreprise", "Activité", "Adresse",
    "Code postal", "Ville", "Téléphone", "E-mail", "Source", "Âge", "Date du dernier achat",
    "Achats par an", "Panier moyen", "Accepte les appels", "Doublon", "Récence (mois)",
    "Points R", "Points F", "Points M", "Score RFM", "Catégorie",
]
ANSWER_ROWS = [
    ("R1", "Nombre de cases mises en rouge (incomplètes) dans la feuille Base"),
    ("R2", "Nombre de clients du segment retenu pour la campagne de soins pour homme"),
    ("R3", "Nombre de très bons clients (score RFM supérieur à 40)"),
    ("R4", "Nombre de bons clients (score RFM de 25 à 40)"),
    ("R5", "Nombre de clients tièdes (score RFM de 1 à 24)"),
    ("R6", "Nombre de clients inactifs (score RFM égal à 0)"),
    ("R7", "N° des clients invités en priorité à la vente privée, séparés par des points-virgules"),
    ("R8", "Campagne d'appels du 15/04/2026 (règle Bloctel) : nombre de particuliers de la base "
           "inscrits sur l'extrait Bloctel qu'on ne peut pas appeler"),
]
ANSWER_HEADER = ["Repère", "Question", "Votre réponse"]


class WorkbookError(Exception):
    """The workbook cannot be read as the exercise expects (French message for the student)."""


def find_workbook(name: str | Path = WORKBOOK_NAME) -> Path:
    """The student's file: as given, else beside the notebook, else the course's data folder."""
    path = Path(name)
    candidates = [path, Path.cwd() / path.name, project_root() / "data" / "course" / path.name]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise WorkbookError(
        f"Classeur introuvable : « {name} ». Enregistrez votre classeur au format .xlsx dans le "
        f"même dossier que ce carnet, puis écrivez son nom exact dans la cellule du début."
    )


def _red_color(color: Any) -> bool:
    rgb = None
    if color is not None and color.type == "rgb" and isinstance(color.rgb, str):
        rgb = color.rgb[-6:] if color.rgb[-6:] != "000000" or color.rgb[:2] == "FF" else None
    elif color is not None and color.type == "indexed" and color.indexed is not None \
            and color.indexed < len(COLOR_INDEX):
        rgb = COLOR_INDEX[color.indexed][-6:]
    if not rgb or len(rgb) != 6:
        return False
    r, g, b = (int(rgb[i:i + 2], 16) for i in (0, 2, 4))
    return r >= 0xC0 and r - max(g, b) >= 0x30


def is_red(cell: Any) -> bool:
    """True when the cell's fill is a red (from light red #FFC7CE to dark red)."""
    fill = cell.fill
    if fill is None or fill.fill_type in (None, "none"):
        return False
    return _red_color(fill.fgColor) or (fill.fill_type != "solid" and _red_color(fill.bgColor))


def _red_dxf(dxf: Any) -> bool:
    """A conditional format's style fills in red (Excel writes its colour as the background)."""
    fill = getattr(dxf, "fill", None)
    return fill is not None and (_red_color(fill.bgColor) or _red_color(fill.fgColor))


CF_OPERATORS = {"equal": "=", "notEqual": "<>", "lessThan": "<", "lessThanOrEqual": "<=",
                "greaterThan": ">", "greaterThanOrEqual": ">="}


@dataclass
class Table:
    """One sheet as rows of ``{column: value}``, with the Excel row number and red cells."""

    sheet: str
    columns: list[str]
    rows: list[dict[str, Any]]
    excel_rows: list[int]
    red: list[set[str]] = field(default_factory=list)

    def where(self, i: int) -> str:
        """« ligne 5 (N° 4) » for the i-th row, as the student sees it in the spreadsheet."""
        n = self.rows[i].get(ID)
        label = f"ligne {self.excel_rows[i]}"
        return f"{label} (N° {_show(n)})" if n not in (None, "") else label


def _show(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class StudentWorkbook:
    """A saved workbook: cell values as the spreadsheet shows them, red fills, missing values."""

    def __init__(self, name: str | Path = WORKBOOK_NAME):
        self.path = find_workbook(name)
        try:
            self._formulas = load_workbook(self.path, data_only=False)
            self._values = load_workbook(self.path, data_only=True)
        except Exception as exc:  # not a zip, not an xlsx, open in Excel (lock file)...
            raise WorkbookError(
                f"Impossible de lire « {self.path.name} » ({type(exc).__name__}) : enregistrez le "
                f"classeur au format Excel (.xlsx) et fermez-le avant de relancer la cellule."
            ) from exc
        self._memo: dict[tuple[str, int, int], Any] = {}
        self.not_computed: list[str] = []

    @property
    def sheetnames(self) -> list[str]:
        return list(self._formulas.sheetnames)

    def has_sheet(self, name: str) -> bool:
        return name in self._formulas.sheetnames

    def value(self, sheet: str, row: int, col: int) -> Any:
        """The value the spreadsheet shows in a cell (formulas computed when not saved)."""
        key = (sheet, row, col)
        if key in self._memo:
            return self._memo[key]
        if sheet not in self._formulas.sheetnames:
            raise formulas.Unsupported(f"la feuille « {sheet} » n'existe pas")
        self._memo[key] = None  # a circular reference reads as empty
        raw = self._formulas[sheet].cell(row=row, column=col).value
        value = raw
        if isinstance(raw, str) and raw.startswith("="):
            saved = self._values[sheet].cell(row=row, column=col).value
            value = saved if saved is not None else self._compute(sheet, row, col, raw)
        elif isinstance(raw, str):
            value = raw if raw.strip() else None
        self._memo[key] = value
        return value

    def _max_row(self, sheet: str) -> int:
        return self._formulas[sheet].max_row if sheet in self._formulas.sheetnames else 1

    def _compute(self, sheet: str, row: int, col: int, formula: str) -> Any:
        where = f"{sheet}!{get_column_letter(col)}{row}"
        try:
            return formulas.evaluate(formula, sheet, self.value, self._max_row)
        except formulas.Unsupported as exc:
            self.not_computed.append(f"{where} ({exc})")
        except (ValueError, TypeError, ArithmeticError) as exc:
            self.not_computed.append(f"{where} (erreur : {exc})")
        return None

    def conditional_red(self, sheet: str) -> set[tuple[int, int]]:
        """Cells (row, column) that a conditional format of the sheet shows in red."""
        ws = self._formulas[sheet]
        styles = getattr(self._formulas, "_differential_styles", None)
        out: set[tuple[int, int]] = set()
        for cf in ws.conditional_formatting:
            for rule in cf.rules:
                dxf = rule.dxf
                if dxf is None and rule.dxfId is not None and styles is not None \
                        and rule.dxfId < len(styles.styles):
                    dxf = styles.styles[rule.dxfId]
                if not _red_dxf(dxf):
                    continue
                for rng in cf.sqref.ranges:
                    c0, r0, c1, r1 = rng.bounds
                    for r in range(r0, min(r1, ws.max_row) + 1):
                        for c in range(c0, c1 + 1):
                            if self._rule_applies(sheet, rule, r, c, (r0, c0)):
                                out.add((r, c))
        return out

    def _rule_applies(self, sheet: str, rule: Any, row: int, col: int, origin: tuple[int, int]) -> bool:
        value = self.value(sheet, row, col)
        blank = value is None or (isinstance(value, str) and not value.strip())
        if rule.type == "containsBlanks":
            return blank
        if rule.type == "notContainsBlanks":
            return not blank
        where = f"{sheet}!{get_column_letter(col)}{row}"
        here = f"{get_column_letter(col)}{row}"
        start = f"{get_column_letter(origin[1])}{origin[0]}"
        try:
            args = [formulas.evaluate(Translator("=" + f, origin=start).translate_formula(here), sheet,
                                      self.value, self._max_row) for f in rule.formula]
            if rule.type == "expression":
                return bool(args) and formulas.truthy(args[0])
            if rule.type == "cellIs" and rule.operator in CF_OPERATORS:
                return formulas.compare(CF_OPERATORS[rule.operator], value, args[0])
            if rule.type == "cellIs" and rule.operator in ("between", "notBetween"):
                inside = formulas.compare(">=", value, args[0]) and formulas.compare("<=", value, args[1])
                return inside == (rule.operator == "between")
        except formulas.Unsupported as exc:
            self.not_computed.append(f"mise en forme conditionnelle de {where} ({exc})")
            return False
        except (ValueError, TypeError, ArithmeticError, IndexError):
            return False  # the spreadsheet shows no colour when the rule's formula errs
        self.not_computed.append(f"mise en forme conditionnelle « {rule.type} » de {where} (non lue)")
        return False

    def table(self, sheet: str, columns: list[str]) -> Table:
        """The sheet's rows under its header row; raises when a column of ``columns`` is absent."""
        if not self.has_sheet(sheet):
            raise WorkbookError(f"La feuille « {sheet} » est absente du classeur « {self.path.name} » : "
                                f"ne la renommez pas et ne la supprimez pas.")
        ws = self._formulas[sheet]
        header = {}
        for col in range(1, ws.max_column + 1):
            name = ws.cell(row=1, column=col).value
            if isinstance(name, str) and name.strip():
                header.setdefault(" ".join(name.split()), col)
        missing = [c for c in columns if c not in header]
        if missing:
            raise WorkbookError(
                f"Feuille « {sheet} » : colonne(s) introuvable(s) en ligne 1 : "
                f"{', '.join('« ' + c + ' »' for c in missing)}. Gardez les titres de colonnes donnés."
            )
        out = Table(sheet, list(columns), [], [], [])
        conditional = self.conditional_red(sheet)
        for r in range(2, ws.max_row + 1):
            values = {c: self.value(sheet, r, header[c]) for c in columns}
            if all(v is None for v in values.values()):
                continue
            out.rows.append(values)
            out.excel_rows.append(r)
            out.red.append({c for c in columns if is_red(ws.cell(row=r, column=header[c]))
                            or (r, header[c]) in conditional})
        return out

    def answers(self) -> dict[str, Any]:
        """The answers sheet: ``{"R1": value, ...}`` (None when empty)."""
        table = self.table(SHEET_ANSWERS, ANSWER_HEADER)
        return {str(row["Repère"]).strip(): row["Votre réponse"] for row in table.rows
                if row["Repère"] is not None}

    def reference_date(self) -> dt.date:
        """The extraction date (sheet "Lisez-moi", B2), the course's 31/03/2026 by default."""
        try:
            value = self.value(SHEET_README, 2, 2)
        except formulas.Unsupported:
            return REFERENCE_DATE
        if isinstance(value, dt.datetime):
            return value.date()
        return value if isinstance(value, dt.date) else REFERENCE_DATE
