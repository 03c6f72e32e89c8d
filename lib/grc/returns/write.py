"""Return file for one centre (``retours/<CODE>.xlsx``): what the centre must fix."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from grc.safefiles import set_text
from grc.schema import ISSUE_CODES

_FIX_HEAD = ["Identifiant", "Champ", "Valeur reçue", "Motif", "Correction proposée", "Code"]
_NPAI_HEAD = ["Identifiant", "Nom", "Organisation", "Adresse 1", "Code postal", "Ville"]
_DUP_SKIP = {"centre"}


def _rows(df: pd.DataFrame, cols: list[str]) -> list[list]:
    out = []
    for rec in df.reindex(columns=cols).itertuples(index=False):
        out.append([None if v is None or (isinstance(v, float) and v != v) else
                    (v if isinstance(v, int | float | str) else str(v)) for v in rec])
    return out


def _sheet(wb: Workbook, title: str, head: list[str], rows: list[list]) -> None:
    ws = wb.create_sheet(title)
    for i, r in enumerate([head, *rows], start=1):
        for j, v in enumerate(r, start=1):
            set_text(ws.cell(row=i, column=j), v)  # text stays text: never a formula
    for c in ws[1]:
        c.font = Font(bold=True)
    ws.freeze_panes = "A2"
    for j, h in enumerate(head, start=1):
        width = max([len(str(h))] + [len(str(r[j - 1])) for r in rows[:2000] if r[j - 1]
                                     is not None])
        ws.column_dimensions[get_column_letter(j)].width = min(max(width + 2, 10), 80)


def write_return_file(path: str | Path, centre: str, qualified: pd.DataFrame,
                      issues: pd.DataFrame, duplicates: pd.DataFrame | None = None) -> Path:
    """Write the centre's return workbook at ``path`` (a folder -> ``<path>/<CODE>.xlsx``).

    Sheets: "À corriger", "NPAI", "Doublons probables" (when given), "Synthèse". Only rows of
    ``centre`` are written, whatever the frames hold. Written atomically.
    """
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        path = path / f"{centre}.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)

    q = qualified[qualified["centre"].astype(str) == centre] if len(qualified) else qualified
    i = issues[issues["centre"].astype(str) == centre] if len(issues) else issues

    wb = Workbook()
    wb.remove(wb.active)
    fix = i[i["code"] != "npai"] if len(i) else i
    fix_rows = _rows(fix, ["local_id", "field", "value", "message", "suggestion", "code"])
    _sheet(wb, "À corriger", _FIX_HEAD, fix_rows)

    npai = q[q["npai"].astype(bool)] if len(q) and "npai" in q else q.iloc[0:0]
    name_col = "last_name_raw" if "last_name_raw" in q else "last_name"
    org_col = "organisation_raw" if "organisation_raw" in q else "organisation"
    npai_rows = _rows(npai, ["local_id", name_col, org_col, "address1", "postcode", "city"])
    _sheet(wb, "NPAI", _NPAI_HEAD, npai_rows)

    if duplicates is not None:
        d = duplicates
        if "centre" in d.columns:
            d = d[d["centre"].astype(str) == centre]
        for c in ("centre_a", "centre_b"):
            if c in d.columns:
                d = d[d[c].astype(str) == centre]
        cols = [c for c in d.columns if c not in _DUP_SKIP]
        _sheet(wb, "Doublons probables", cols, _rows(d, cols))

    counts = i["code"].value_counts() if len(i) else pd.Series(dtype=int)
    summary = [["Contacts", int(len(q)), ""]]
    for flag, label in (("mailable", "Contacts joignables par courrier"),
                        ("emailable", "Contacts joignables par e-mail"),
                        ("phoneable", "Contacts joignables par téléphone")):
        if flag in q:
            summary.append([label, int(q[flag].astype(bool).sum()), ""])
    for code, label in ISSUE_CODES.items():
        if code in counts.index:
            summary.append([label, int(counts[code]), code])
    for code in counts.index:
        if code not in ISSUE_CODES:
            summary.append([code, int(counts[code]), code])
    _sheet(wb, "Synthèse", ["Indicateur", "Nombre", "Code"], summary)

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
    return path
