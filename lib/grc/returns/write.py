"""Return file for one centre (``retours/<CODE>.xlsx``), written for the centre's reception.

Sheets: "Mode d'emploi" (what to do), "À corriger" (field in French, value received, reason,
proposed correction, the centre's answer), "NPAI", "Doublons probables" (the two records side
by side, differences highlighted, a "Décision" drop-down) and "Synthèse" (this year against
last year). A hidden sheet ``_grc`` and hidden key columns let ``grc returns import`` read the
answers back whatever the centre did to the rows (sorted, filtered, deleted, re-saved by
LibreOffice). Every cell is written through :func:`grc.safefiles.set_text`.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from copy import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from grc.safefiles import set_text
from grc.schema import CENTRE_FIXES, ISSUE_CODES, field_label

FORMAT_VERSION = "retour-v2"
META_SHEET = "_grc"
KEY_HEADER = "Clé (ne pas modifier)"
ANSWER_HEADER = "Votre réponse"
DECISION_HEADER = "Décision"
COMMENT_HEADER = "Commentaire"

SHEET_GUIDE = "Mode d'emploi"
SHEET_FIX = "À corriger"
SHEET_NPAI = "NPAI"
SHEET_DUP = "Doublons probables"
SHEET_SUMMARY = "Synthèse"

SAME, DIFFERENT, UNSURE = "même client", "clients différents", "je ne sais pas"
DECISIONS = [SAME, DIFFERENT, UNSURE]
FIXED, RIGHT, ERASE = ("corrigé dans le logiciel", "la valeur est exacte",
                       "le client demande l'effacement")
FIX_ANSWERS = [FIXED, RIGHT, ERASE, UNSURE]
NPAI_FIXED, NPAI_RIGHT, NPAI_GONE = ("adresse corrigée", "adresse vérifiée, exacte",
                                     "client parti, fiche à retirer")
NPAI_ANSWERS = [NPAI_FIXED, NPAI_RIGHT, NPAI_GONE, ERASE, UNSURE]

# what a centre can fix in its booking software (the other codes are counted in "Synthèse")
TO_FIX = CENTRE_FIXES

_BOLD = Font(bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
_DIFF_FILL = PatternFill("solid", fgColor="FCE4D6")
_ANSWER_FILL = PatternFill("solid", fgColor="FFF2CC")
_WRAP = Alignment(wrap_text=True, vertical="top")
_TOP = Alignment(vertical="top")


@dataclass
class Column:
    """One column of a sheet: header, width, and whether the centre answers in it."""

    head: str
    width: float = 14
    hidden: bool = False
    answer: bool = False
    wrap: bool = False
    date: bool = False


@dataclass
class Table:
    """A sheet's columns, rows and answer choices."""

    title: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    choices: list[str] | None = None
    highlight: list[list[int]] = field(default_factory=list)  # per row: columns that differ


def pair_key(centre_a: str, local_a: str, centre_b: str, local_b: str) -> str:
    """A stable key of a record pair (order-free): ``LAT:12|LAT:40``."""
    a, b = sorted([f"{centre_a}:{local_a}", f"{centre_b}:{local_b}"])
    return f"{a}|{b}"


def _clean(v: Any) -> Any:
    if v is None or (isinstance(v, float) and v != v) or v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime().date()
    if isinstance(v, int | float | str | dt.date):
        return v
    return str(v)


def _as_sent(r: pd.Series, f: str) -> Any:
    """A field as the centre's software wrote it (``<f>_raw``), else its normalised form."""
    for c in (f + "_raw", f):
        v = _clean(r.get(c))
        if v not in (None, ""):
            return v
    return None


def _name(r: pd.Series) -> str:
    parts = [_as_sent(r, f) for f in ("civility", "first_name", "last_name")]
    return " ".join(str(p) for p in parts if p is not None)


def _address(r: pd.Series) -> str:
    street = ", ".join(str(_as_sent(r, c)) for c in ("address1", "address2", "address3")
                       if _as_sent(r, c) is not None)
    town = " ".join(str(_as_sent(r, c)) for c in ("postcode", "city") if _as_sent(r, c) is not None)
    return " — ".join(p for p in (street, town) if p)


# ----------------------------------------------------------------------------- sheets
def _fix_table(centre: str, q: pd.DataFrame, issues: pd.DataFrame) -> Table:
    cols = [Column("Identifiant", 12), Column("Nom", 22, wrap=True), Column("Champ", 18),
            Column("Valeur reçue", 26, wrap=True), Column("Motif", 48, wrap=True),
            Column("Correction proposée", 26, wrap=True), Column(ANSWER_HEADER, 24, answer=True),
            Column(COMMENT_HEADER, 28, answer=True), Column(KEY_HEADER, 8, hidden=True)]
    t = Table(SHEET_FIX, cols, choices=FIX_ANSWERS)
    fix = issues[issues["code"].isin(TO_FIX)] if len(issues) else issues
    if len(fix) and len(q):  # records of this year's export only
        fix = fix[fix["local_id"].astype(str).isin(set(q["local_id"].astype(str)))]
    if fix.empty:
        return t
    who = q[q["local_id"].isin(set(fix["local_id"]))].drop_duplicates("local_id")
    names = dict(zip(who["local_id"].astype(str), who.apply(_name, axis=1), strict=True)) \
        if len(who) else {}
    fix = fix.sort_values(["local_id", "field", "code"], kind="stable")
    for r in fix.itertuples(index=False):
        lid = str(r.local_id)
        t.rows.append([lid, names.get(lid), field_label(r.field) or "Fiche entière",
                       _clean(getattr(r, "value", None)), _clean(r.message),
                       _clean(getattr(r, "suggestion", None)), None, None,
                       f"{centre}:{lid}|{r.field}|{r.code}"])
    return t


def _npai_table(centre: str, q: pd.DataFrame) -> Table:
    cols = [Column("Identifiant", 12), Column("Nom", 24), Column("Organisation", 26),
            Column("Adresse", 44, wrap=True), Column(ANSWER_HEADER, 26, answer=True),
            Column(COMMENT_HEADER, 28, answer=True), Column(KEY_HEADER, 8, hidden=True)]
    t = Table(SHEET_NPAI, cols, choices=NPAI_ANSWERS)
    if "npai" not in q or q.empty:
        return t
    for _, r in q[q["npai"].astype(bool)].sort_values("local_id").iterrows():
        t.rows.append([str(r["local_id"]), _name(r), _as_sent(r, "organisation"), _address(r),
                       None, None, f"{centre}:{r['local_id']}"])
    return t


_SIDE = [("Identifiant", 11), ("Nom", 18), ("Organisation", 20), ("Adresse", 26),
         ("Téléphone", 15), ("E-mail", 24), ("Dernier séjour", 11)]


def _side_values(r: pd.Series | None, lid: str, last_stay: Any) -> list[Any]:
    if r is None:
        return [lid] + [None] * 6
    tel = " / ".join(str(_as_sent(r, c)) for c in ("phone", "mobile") if _as_sent(r, c) is not None)
    return [lid, _name(r) or None, _as_sent(r, "organisation"), _address(r) or None,
            tel or None, _as_sent(r, "email"), _clean(last_stay)]


def _norm(v: Any) -> str:
    return " ".join(str(v).lower().split()) if _clean(v) not in (None, "") else ""


def _side_keys(r: pd.Series | None, last_stay: Any) -> list[Any]:
    """What is compared to highlight a difference (normalised forms: "M." and "Monsieur",
    "01 23 45 67 89" and "+33123456789" are the same), one per column after the identifier."""
    if r is None:
        return [""] * 6

    def pick(*cols: str) -> str:
        return " ".join(_norm(r.get(c)) for c in cols if _norm(r.get(c)))

    name = pick("civility", "first_key", "last_key") or _norm(_name(r))
    org = pick("org_key") or _norm(r.get("organisation"))
    addr = pick("rnvp3", "rnvp4", "rnvp5", "rnvp6") or _norm(_address(r))
    tel = " ".join(sorted({_norm(r.get(c)) for c in ("phone", "mobile")} - {""}))
    return [name, org, addr, tel, _norm(r.get("email")), _norm(_clean(last_stay))]


def _dup_table(centre: str, q: pd.DataFrame, dups: pd.DataFrame,
               last_stay: pd.Series | None) -> Table:
    cols = [Column(DECISION_HEADER, 20, answer=True)]
    for head, width in _SIDE:
        wrap = head not in ("Identifiant", "Dernier séjour")
        cols += [Column(f"{head} (fiche {n})", width, wrap=wrap, date=head == "Dernier séjour")
                 for n in (1, 2)]
    cols += [Column("Avis du siège", 14, wrap=True), Column(COMMENT_HEADER, 24, answer=True),
             Column(KEY_HEADER, 8, hidden=True)]
    t = Table(SHEET_DUP, cols, choices=DECISIONS)
    if dups is None or dups.empty:
        return t
    recs = q.drop_duplicates("local_id").set_index("local_id")
    stay = {}
    if last_stay is not None and len(last_stay):
        ls = last_stay.reset_index()
        ls.columns = ["centre", "local_id", "arrival"]
        ls = ls[ls["centre"].astype(str) == centre]
        stay = dict(zip(ls["local_id"].astype(str), ls["arrival"], strict=True))
    d = dups.sort_values("score", ascending=False, kind="stable") if "score" in dups else dups
    for r in d.itertuples(index=False):
        a, b = sorted([str(r.local_id_a), str(r.local_id_b)])
        ra, rb = (recs.loc[x] if x in recs.index else None for x in (a, b))
        va, vb = _side_values(ra, a, stay.get(a)), _side_values(rb, b, stay.get(b))
        row: list[Any] = [None]
        for x, y in zip(va, vb, strict=True):
            row += [x, y]
        opinion = "fusionnés (même client)" if getattr(r, "decision", "") == "match" else "à vérifier"
        t.rows.append(row + [opinion, None, pair_key(centre, a, centre, b)])
        ka, kb = _side_keys(ra, stay.get(a)), _side_keys(rb, stay.get(b))
        t.highlight.append([c for i, (x, y) in enumerate(zip(ka, kb, strict=True))
                            if x and y and x != y for c in (3 + 2 * i, 4 + 2 * i)])
    return t


def summary_counts(q: pd.DataFrame, issues: pd.DataFrame, n_pairs: int | None = None) -> dict[str, int]:
    """The figures of "Synthèse" for one centre and one year (French label -> count); issues
    of records absent from ``q`` (not in this year's export) are not counted."""
    if len(issues) and len(q):
        issues = issues[issues["local_id"].astype(str).isin(set(q["local_id"].astype(str)))]
    out: dict[str, int] = {"Contacts exportés": int(len(q))}
    for flag, label in (("mailable", "Contacts joignables par courrier"),
                        ("emailable", "Contacts joignables par e-mail"),
                        ("phoneable", "Contacts joignables par téléphone")):
        if flag in q:
            out[label] = int(q[flag].fillna(False).astype(bool).sum())
    fix = issues[issues["code"].isin(TO_FIX)] if len(issues) else issues
    out["Fiches à corriger"] = int(fix["local_id"].nunique()) if len(fix) else 0
    if "npai" in q:
        out["Fiches NPAI (retour courrier)"] = int(q["npai"].fillna(False).astype(bool).sum())
    if n_pairs is not None:
        out["Doublons probables à examiner"] = int(n_pairs)
    counts = issues["code"].value_counts() if len(issues) else pd.Series(dtype=int)
    for code, label in ISSUE_CODES.items():
        out[label] = int(counts.get(code, 0))
    for code in counts.index:
        if code not in ISSUE_CODES:
            out[str(code)] = int(counts[code])
    return out


# what became of last year's corrections (grc.returns.imports.correction_followup statuses)
CORRECTION_ROWS = {"appliquée": "Corrections demandées l'an dernier : faites",
                   "en attente": "Corrections demandées l'an dernier : toujours à faire",
                   "contredite": "Corrections annoncées faites, mais toujours fausses dans l'export",
                   "maintenue": "Valeurs que vous avez confirmées exactes",
                   "retirée": "Fiches à corriger absentes du nouvel export"}


def _summary_table(now: dict[str, int], before: dict[str, int] | None, year: int | None,
                   corrections: dict[str, int] | None = None) -> Table:
    y = year or dt.date.today().year
    cols = [Column("Indicateur", 60, wrap=True), Column(f"Export {y - 1}", 14),
            Column(f"Export {y}", 14), Column("Évolution", 12)]
    t = Table(SHEET_SUMMARY, cols)
    for label, n in now.items():
        old = before.get(label) if before else None
        t.rows.append([label, old, n, None if old is None else n - old])
    if corrections:
        for status, label in CORRECTION_ROWS.items():
            t.rows.append([label, None, int(corrections.get(status, 0)), None])
    if not before:
        t.rows.append([f"Pas de fichier retour pour l'export {y - 1} : l'évolution apparaîtra "
                       "l'an prochain.", None, None, None])
    return t


def _guide_lines(centre: str, name: str, year: int | None, reply_by: str | None,
                 counts: dict[str, int]) -> list[tuple[str, bool]]:
    when = reply_by or "avant votre prochain export annuel"
    return [
        (f"Fichier retour du centre {name} ({centre}) — export {year or ''}".strip(), True),
        ("Ce fichier liste ce que le siège a relevé dans votre export. Il ne contient que les "
         "fiches de votre centre.", False),
        ("", False),
        ("Ce qu'il contient", True),
        (f"• « {SHEET_FIX} » ({counts.get(SHEET_FIX, 0)} lignes) : une ligne par champ à "
         "corriger. « Valeur reçue » est ce que votre logiciel a exporté, « Motif » dit pourquoi "
         "elle pose problème, « Correction proposée » donne la bonne valeur quand le siège la "
         "connaît (faute de frappe dans un e-mail, code postal confirmé par la ville).", False),
        (f"• « {SHEET_NPAI} » ({counts.get(SHEET_NPAI, 0)} lignes) : courriers revenus avec la "
         "mention « N'habite pas à l'adresse indiquée ». Vérifiez l'adresse avec le client.",
         False),
        (f"• « {SHEET_DUP} » ({counts.get(SHEET_DUP, 0)} lignes) : deux fiches de votre logiciel "
         "qui semblent être le même client, côte à côte ; les cases en orange diffèrent.", False),
        (f"• « {SHEET_SUMMARY} » : vos chiffres de cette année face à ceux de l'an dernier.",
         False),
        ("", False),
        ("Ce que vous faites", True),
        ("1. Corrigez chaque fiche dans votre logiciel de réservation (recherche par "
         "« Identifiant »). Le fichier ne modifie rien par lui-même.", False),
        (f"2. Dans la colonne « {ANSWER_HEADER} », choisissez dans la liste ce que vous avez "
         f"fait : « {FIXED} », « {RIGHT} », « {ERASE} » (le siège traite alors la demande "
         f"dans toute la base du réseau) ou « {UNSURE} ».", False),
        (f"3. Dans « {SHEET_DUP} », choisissez la « {DECISION_HEADER} » : « {SAME} » (les deux "
         f"fiches seront réunies), « {DIFFERENT} » (elles ne seront plus jamais rapprochées) ou "
         f"« {UNSURE} ».", False),
        ("Vous pouvez trier, filtrer ou supprimer des lignes et enregistrer avec Excel ou "
         "LibreOffice ; ne modifiez pas la colonne « Clé » (masquée) ni le nom des feuilles.",
         False),
        ("", False),
        ("Ce que vous renvoyez, et quand", True),
        (f"Renvoyez ce fichier complété au siège du réseau {when}, sous son nom d'origine "
         f"({centre}.xlsx). Vos décisions seront appliquées au traitement suivant ; le fichier "
         "retour de l'an prochain dira ce qui a été corrigé.", False),
    ]


def _write_table(wb: Workbook, t: Table) -> None:
    ws = wb.create_sheet(t.title)
    for j, col in enumerate(t.columns, start=1):
        cell = ws.cell(row=1, column=j)
        set_text(cell, col.head)
        cell.font, cell.fill, cell.alignment = _BOLD, _HEAD_FILL, _WRAP
        letter = get_column_letter(j)
        ws.column_dimensions[letter].width = col.width
        ws.column_dimensions[letter].hidden = col.hidden
    ws.row_dimensions[1].height = 15 * max(_lines(c.head, c.width) for c in t.columns
                                           if not c.hidden)
    styles: dict[int, Any] = {}  # each column's cell style, set once then copied (fast)
    for i, row in enumerate(t.rows, start=2):
        for j, (v, col) in enumerate(zip(row, t.columns, strict=True), start=1):
            cell = ws.cell(row=i, column=j)
            set_text(cell, v)
            if j in styles:
                cell._style = copy(styles[j])
            else:
                if col.answer:
                    cell.fill = _ANSWER_FILL
                cell.alignment = _WRAP if col.wrap else _TOP
                styles[j] = copy(cell._style)
            if col.date and v is not None:
                cell.number_format = "DD/MM/YYYY"
        lines = max([_lines(v, col.width) for v, col in zip(row, t.columns, strict=True)
                     if col.wrap] or [1])
        if lines > 1:
            ws.row_dimensions[i].height = 15 * lines
        for j in (t.highlight[i - 2] if t.highlight else []):
            ws.cell(row=i, column=j + 1).fill = _DIFF_FILL
    ws.freeze_panes = "B2" if t.title == SHEET_DUP else "A2"
    _print_setup(ws)
    last = get_column_letter(len(t.columns))
    ws.auto_filter.ref = f"A1:{last}{max(len(t.rows) + 1, 2)}"
    if t.choices:
        _answer_list(ws, t)


def _lines(value: Any, width: float) -> int:
    """Lines a wrapped text takes in a column ``width`` characters wide (row heights are set
    explicitly: LibreOffice does not grow them when it opens the file)."""
    if not isinstance(value, str) or not value:
        return 1
    per_line = max(int(width) - 2, 10)
    return sum(max(1, -(-len(part) // per_line)) for part in value.split("\n"))


def _print_setup(ws: Any) -> None:
    """Printed (or exported to PDF) in landscape, one page wide, the header on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if ws.max_row > 1:
        ws.print_title_rows = "1:1"


def _answer_list(ws: Any, t: Table) -> None:
    """A drop-down list on the answer column (the first answer column of the table)."""
    j = next(j for j, c in enumerate(t.columns, start=1) if c.answer)
    letter = get_column_letter(j)
    dv = DataValidation(type="list", formula1='"' + ",".join(t.choices or []) + '"',
                        allow_blank=True, showErrorMessage=True, showInputMessage=True)
    dv.error = "Choisissez une valeur dans la liste : " + ", ".join(t.choices or []) + "."
    dv.errorTitle = "Réponse non prévue"
    dv.prompt = "Choisissez dans la liste."
    dv.promptTitle = t.columns[j - 1].head
    ws.add_data_validation(dv)
    dv.add(f"{letter}2:{letter}{max(len(t.rows) + 1, 2) + 200}")


def _write_guide(wb: Workbook, lines: list[tuple[str, bool]]) -> None:
    ws = wb.create_sheet(SHEET_GUIDE, 0)
    ws.column_dimensions["A"].width = 110
    _print_setup(ws)
    ws.page_setup.fitToHeight = 1  # the guide on one page
    for i, (text, bold) in enumerate(lines, start=1):
        cell = ws.cell(row=i, column=1)
        set_text(cell, text or None)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[i].height = 22 if i == 1 else 15 * _lines(text, 125)
        if bold:
            cell.font = Font(bold=True, size=14 if i == 1 else 12)


def _write_meta(wb: Workbook, meta: dict[str, Any]) -> None:
    ws = wb.create_sheet(META_SHEET)
    for i, (k, v) in enumerate(meta.items(), start=1):
        set_text(ws.cell(row=i, column=1), k)
        set_text(ws.cell(row=i, column=2), None if v is None else str(v))
    ws.sheet_state = "hidden"


def _only(frame: pd.DataFrame | None, centre: str) -> pd.DataFrame | None:
    """Rows of ``centre`` only (``centre``, or both ``centre_a`` and ``centre_b``)."""
    if frame is None or frame.empty:
        return frame
    f = frame
    for c in ("centre", "centre_a", "centre_b"):
        if c in f.columns:
            f = f[f[c].astype(str) == centre]
    return f


def write_return_file(path: str | Path, centre: str, qualified: pd.DataFrame,
                      issues: pd.DataFrame, duplicates: pd.DataFrame | None = None, *,
                      last_stay: pd.Series | None = None,
                      previous: dict[str, int] | None = None, year: int | None = None,
                      centre_name: str | None = None, reply_by: str | None = None,
                      corrections: dict[str, int] | None = None) -> Path:
    """Write the centre's return workbook at ``path`` (a folder -> ``<path>/<CODE>.xlsx``).

    Only rows of ``centre`` are written, whatever the frames hold. ``last_stay``: last arrival
    per ``(centre, local_id)``; ``previous``: last year's :func:`summary_counts`;
    ``corrections``: what became of last year's corrections (status -> count). Written
    atomically.
    """
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        path = path / f"{centre}.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    q = _only(qualified, centre)
    i = _only(issues, centre)
    d = _only(duplicates, centre)
    if year is None and "year" in q and len(q):
        year = int(q["year"].max())
    tables = [_fix_table(centre, q, i), _npai_table(centre, q)]
    tables.append(_dup_table(centre, q, d, last_stay))
    counts = summary_counts(q, i, len(tables[2].rows))
    tables.append(_summary_table(counts, previous, year, corrections))

    wb = Workbook()
    wb.remove(wb.active)
    _write_guide(wb, _guide_lines(centre, centre_name or centre, year, reply_by,
                                  {t.title: len(t.rows) for t in tables}))
    for t in tables:
        _write_table(wb, t)
    _write_meta(wb, {"format": FORMAT_VERSION, "centre": centre, "year": year,
                     "written_at": dt.datetime.now().isoformat(timespec="seconds")})
    _save(wb, path)
    return path


def _save(wb: Workbook, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(suffix=".xlsx", dir=path.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600 files: usual permissions instead
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def centre_pairs(pairs: pd.DataFrame | None, code: str) -> pd.DataFrame | None:
    """Likely duplicates inside one centre still to be decided (both records of ``code``)."""
    if pairs is None or pairs.empty:
        return None
    p = pairs
    inside = (p["centre_a"] == code) & (p["centre_b"] == code) & p["decision"].isin(["match", "review"])
    if "override" in p:
        inside &= p["override"].isna()  # a pair the centre already decided is not asked again
    return p[inside].reset_index(drop=True)


def summary_frame(qualified: pd.DataFrame, issues: pd.DataFrame, pairs: pd.DataFrame | None,
                  year: int) -> pd.DataFrame:
    """Every centre's "Synthèse" figures of ``year``: ``centre, year, indicator, value``."""
    q = qualified[qualified["exported"].astype(bool)] if "exported" in qualified else qualified
    rows = []
    for code, qc in q.groupby("centre", sort=True):
        ic = issues[issues["centre"] == code] if len(issues) else issues
        cp = centre_pairs(pairs, str(code))
        for label, n in summary_counts(qc, ic, 0 if cp is None else len(cp)).items():
            rows.append({"centre": str(code), "year": int(year), "indicator": label, "value": int(n)})
    return pd.DataFrame(rows, columns=["centre", "year", "indicator", "value"])


def previous_counts(summary: pd.DataFrame) -> dict[str, dict[str, int]]:
    """``summary_frame`` rows as ``{centre: {indicator: value}}`` (empty when none)."""
    if summary is None or summary.empty:
        return {}
    return {str(c): dict(zip(g["indicator"], g["value"].astype(int), strict=True))
            for c, g in summary.groupby("centre")}
