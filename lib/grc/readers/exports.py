"""Reading a centre's yearly export through its correspondence table (SPEC §4).

Every problem is described in French with the centre, the file, the row and the column, and
what to do. Fatal problems (the file cannot be used) raise :class:`ExportError`; row-level
problems (an unknown code, a date that does not parse, a local id exported twice) become
issues and the rest of the file is used.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from grc.config import Centre, ConfigError, inside
from grc.schema import CONTACT_DATE_FIELDS, CONTACT_FIELDS, STAY_FIELDS

SEPARATORS = [";", ",", "\t", "|"]
# share of unparseable dates in a column above which the declared format is deemed wrong
DATE_FORMAT_FAILURE = 0.2
# dates outside [DATE_MIN, 31 December of the export year + DATE_MAX_YEARS_AHEAD] are flagged
DATE_MIN = "1950-01-01"
DATE_MAX_YEARS_AHEAD = 2
# numbers read as Excel serial dates in a date column (1927-05-18 .. 2173-10-14)
SERIAL_MIN, SERIAL_MAX = 10_000, 99_999
# what surrounds a number in a French export: spaces of every kind, currency
_NUMBER_NOISE = re.compile(r"[\s\u00a0\u202f\u2007\u2009]|€|EUR", re.IGNORECASE)


@dataclass
class Problem:
    """One problem found in an export."""

    centre: str
    file: str
    message: str
    row: int | None = None
    column: str | None = None
    severity: str = "erreur"  # "erreur" (fatal) or "avertissement"
    code: str = "format"
    local_id: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = [f"centre {self.centre}", self.file]
        if self.row is not None:
            where.append(f"ligne {self.row}")
        if self.column:
            where.append(f"colonne « {self.column} »")
        return f"[{self.severity}] {', '.join(where)} : {self.message}"


class ExportError(Exception):
    """A centre's export cannot be used; ``problems`` say why and how to fix it."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class CentreExport:
    """One centre's export for one year, in the common schema."""

    centre: str
    year: int
    contacts: pd.DataFrame
    stays: pd.DataFrame
    raw_contacts: pd.DataFrame
    raw_stays: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    files: list[dict] = field(default_factory=list)

    def issues(self) -> pd.DataFrame:
        """Row-level problems as quality issues (SPEC §6 columns + row)."""
        rows = [
            {
                "centre": p.centre,
                "local_id": p.local_id,
                "field": p.field or p.column,
                "code": p.code,
                "message": p.message,
                "row": p.row,
            }
            for p in self.problems
            if p.local_id is not None
        ]
        return pd.DataFrame(rows, columns=["centre", "local_id", "field", "code", "message", "row"])


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _line_of_offset(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


_SINGLE_BYTE = ("cp1252", "windows-1252", "latin-1", "latin1", "iso-8859-1", "iso-8859-15")
# a multi-byte UTF-8 sequence: in a cp1252 file it would be read as mojibake ("Ã©")
_UTF8_SEQ = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
# control characters that no export should hold (tab, line feed and carriage return excepted)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CSV_FIELD_LIMIT = csv.field_size_limit()
_FORMULA_TAG = re.compile(rb"<f[ >/]")


def _looks_utf16(data: bytes) -> bool:
    head = data[:400]
    return head.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(head) >= 8 and head.count(b"\x00") * 3 > len(head))


def _decode(data: bytes, encoding: str, centre: str, fname: str) -> tuple[str, list[Problem]]:
    """The file's text, and a warning per line whose encoding differs from the declared one."""
    enc = encoding.lower().replace("_", "-")
    if enc in ("utf-8", "utf8") and data.startswith(b"\xef\xbb\xbf"):
        enc = "utf-8-sig"
    if _looks_utf16(data) and not enc.startswith("utf-16"):
        raise ExportError([Problem(centre, fname,
                                   f"fichier en UTF-16 (deux octets par caractère), déclaré en {encoding} : "
                                   "réexportez-le en UTF-8 (ou indiquez encoding: utf-16 dans la "
                                   "table de correspondance).", row=1)])
    try:
        text = data.decode(enc)
    except LookupError as exc:
        raise ExportError(
            [Problem(centre, fname, f"encodage « {encoding} » inconnu : indiquez utf-8, "
                     "utf-8-sig ou cp1252 dans exports de la table de correspondance.")]
        ) from exc
    except UnicodeDecodeError as exc:
        # the utf-8-sig decoder counts from after the BOM
        start = exc.start + (3 if enc == "utf-8-sig" else 0)
        line = _line_of_offset(data, start)
        guess = "cp1252 (Windows)" if enc.startswith("utf") else "utf-8"
        raise ExportError(
            [Problem(centre, fname,
                     f"illisible en {encoding} (octet {data[start:start + 1]!r}) ; "
                     f"le fichier est sans doute en {guess} : corrigez « encoding » dans la "
                     "table de correspondance ou réexportez le fichier.", row=line)]
        ) from exc
    if enc not in _SINGLE_BYTE or not _UTF8_SEQ.search(data):
        return text, []
    # UTF-8 bytes read as cp1252 give mojibake such as "Ã©"
    try:
        data.decode("utf-8")
        whole_utf8 = True
    except UnicodeDecodeError:
        whole_utf8 = False
    if whole_utf8:
        pos = next(i for i, b in enumerate(data) if b > 127)
        raise ExportError(
            [Problem(centre, fname,
                     f"déclaré en {encoding} mais encodé en UTF-8 (les accents "
                     "deviendraient « Ã© ») : indiquez encoding: utf-8 dans la table de "
                     "correspondance.", row=_line_of_offset(data, pos))]
        )
    return _decode_mixed(data, enc, encoding, centre, fname)


def _decode_mixed(data: bytes, enc: str, encoding: str, centre: str,
                  fname: str) -> tuple[str, list[Problem]]:
    """A single-byte file holding some UTF-8 lines (pasted text): each line in its encoding."""
    parts: list[str] = []
    problems: list[Problem] = []
    for no, line in enumerate(data.split(b"\n"), start=1):
        if _UTF8_SEQ.search(line):
            try:
                parts.append(line.decode("utf-8"))
            except UnicodeDecodeError:
                pass
            else:
                problems.append(Problem(centre, fname,
                                        f"ligne en UTF-8 dans un fichier déclaré {encoding} : lue en "
                                        "UTF-8 pour que les accents ne deviennent pas « Ã© » ; "
                                        "vérifiez-la et réenregistrez le fichier dans un seul encodage.",
                                        row=no, severity="avertissement", code="mixed_encoding"))
                continue
        parts.append(line.decode(enc))
    return "\n".join(parts), problems


def _export_path(centre: Centre, kind: str, base_dir: Path) -> tuple[dict, Path, str]:
    spec = centre.exports.get(kind)
    if not isinstance(spec, dict) or not spec.get("file"):
        raise ExportError([Problem(centre.code, str(centre.path.name),
                                   f"aucun fichier « {kind} » déclaré dans exports (exports.{kind}.file).")])
    try:
        path = inside(base_dir, spec["file"], f"exports.{kind}.file", centre.path.name)
    except ConfigError as exc:
        raise ExportError([Problem(centre.code, str(centre.path.name), str(exc))]) from exc
    return spec, path, f"{base_dir.name}/{spec['file']}"


def read_raw(centre: Centre, kind: str, base_dir: Path) -> tuple[pd.DataFrame, Path, list[Problem]]:
    """Read one export file as received: every cell as text, plus its line number ``row``.

    Also returns the warnings found while reading (mixed encodings, control characters,
    formulas without a value). A file without any data row is refused: integrating it would
    erase the centre's records of the year.
    """
    spec, path, fname = _export_path(centre, kind, base_dir)
    if not path.is_file():
        present = ", ".join(sorted(p.name for p in base_dir.glob("*"))) if base_dir.exists() else "dossier absent"
        raise ExportError([Problem(centre.code, fname,
                                   f"fichier introuvable dans {base_dir} (présents : {present}).")])
    if path.stat().st_size == 0:
        raise ExportError([Problem(centre.code, fname, "fichier vide (0 octet) : réexportez-le ; le "
                                   "centre garde ses données de l'an dernier en attendant.")])
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        frame, problems = _read_xlsx(centre, spec, path, fname)
    else:
        frame, problems = _read_csv(centre, spec, path, fname)
    if frame.empty:
        raise ExportError([Problem(centre.code, fname,
                                   "aucune ligne de données (en-tête seul) : l'export est refusé en "
                                   "entier, le centre garde ses données de l'an dernier ; réexportez "
                                   "le fichier avec ses lignes.", row=2)])
    if frame.attrs.get("control_characters", True):
        problems += _control_characters(centre.code, fname, frame)
    return frame, path, problems


def _read_xlsx(centre: Centre, spec: dict, path: Path, fname: str) -> tuple[pd.DataFrame, list[Problem]]:
    from python_calamine import CalamineWorkbook

    sheet = spec.get("sheet", 0)
    try:
        names = CalamineWorkbook.from_path(str(path)).sheet_names
    except Exception as exc:  # noqa: BLE001 - calamine raises many kinds
        raise ExportError([Problem(centre.code, fname, "classeur Excel illisible ou abîmé : ouvrez-le "
                                   "dans Excel et réenregistrez-le au format .xlsx.")]) from exc
    if isinstance(sheet, str) and sheet not in names:
        raise ExportError([Problem(centre.code, fname,
                                   f"onglet « {sheet} » absent du classeur (onglets : "
                                   f"{', '.join(names) or 'aucun'}) : renommez l'onglet dans le fichier "
                                   "ou corrigez « sheet » dans la table de correspondance.")])
    if isinstance(sheet, int) and not 0 <= sheet < len(names):
        raise ExportError([Problem(centre.code, fname, f"le classeur n'a que {len(names)} onglet(s) : "
                                   "corrigez « sheet » dans la table de correspondance.")])
    try:
        frame = pd.read_excel(path, sheet_name=sheet, dtype=str, keep_default_na=False, engine="calamine")
    except Exception as exc:  # noqa: BLE001
        raise ExportError([Problem(centre.code, fname, "classeur Excel illisible : ouvrez-le dans Excel "
                                   "et réenregistrez-le au format .xlsx.")]) from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    if len(frame.columns) == 0:
        raise ExportError([Problem(centre.code, fname, "onglet vide : réexportez le fichier.")])
    if len(frame):
        frame = frame[frame.ne("").any(axis=1)]
    frame.insert(0, "row", [int(i) + 2 for i in frame.index])
    frame = frame.reset_index(drop=True)
    return frame, _formulas_without_value(centre.code, fname, path, sheet if isinstance(sheet, str)
                                          else names[sheet])


def _formulas_without_value(centre: str, fname: str, path: Path, sheet: str) -> list[Problem]:
    """Formula cells saved without their computed value (they read as empty)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            has_formula = any(_FORMULA_TAG.search(z.read(n)) for n in z.namelist()
                              if n.startswith("xl/worksheets/") and n.endswith(".xml"))
    except (zipfile.BadZipFile, OSError, KeyError):
        return []
    if not has_formula:
        return []
    from openpyxl import load_workbook

    formulas = load_workbook(path, read_only=True, data_only=False)[sheet]
    values = load_workbook(path, read_only=True, data_only=True)[sheet]
    out: list[Problem] = []
    head: list[str] = []
    for r, (frow, vrow) in enumerate(zip(formulas.iter_rows(), values.iter_rows(), strict=False), start=1):
        if r == 1:
            head = [str(c.value or "").strip() for c in vrow]
        for j, (fc, vc) in enumerate(zip(frow, vrow, strict=False)):
            if fc.data_type == "f" and vc.value is None:
                out.append(Problem(centre, fname,
                                   "formule sans valeur calculée (le fichier a été enregistré sans "
                                   "recalcul) : la cellule est lue vide ; ouvrez le fichier dans Excel "
                                   "ou LibreOffice, recalculez et réenregistrez-le.", row=r,
                                   column=head[j] if r > 1 and j < len(head) else None,
                                   severity="avertissement", code="formula_without_value"))
    return out


def _read_csv(centre: Centre, spec: dict, path: Path, fname: str) -> tuple[pd.DataFrame, list[Problem]]:
    data = path.read_bytes()
    text, problems = _decode(data, spec.get("encoding", "utf-8"), centre.code, fname)
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise ExportError([Problem(centre.code, fname, "fichier vide : réexportez-le ; le centre garde "
                                   "ses données de l'an dernier en attendant.")])
    sep = str(spec.get("sep", ";"))
    header = text.splitlines()[0]
    if sep not in header:
        others = [s for s in SEPARATORS if s != sep and s in header]
        if others:
            shown = "tabulation" if others[0] == "\t" else f"« {others[0]} »"
            raise ExportError([Problem(centre.code, fname,
                                       f"séparateur « {sep} » absent de l'en-tête, qui utilise {shown} : "
                                       f"corrigez « sep » dans la table de correspondance.", row=1)])
    # lines end with LF or CRLF; a file with CR only (old Mac exports) is read with CR
    stream = io.StringIO(text, newline="\n" if "\n" in text else "")
    reader = csv.reader(stream, delimiter=sep, quotechar='"')
    head: list[str] = []
    body: list[list[str]] = []
    lines: list[int] = []
    start = 1
    try:
        for r in reader:
            row_start, start = start, reader.line_num + 1
            if not head:
                head = [c.strip() for c in r]
                continue
            if not any(c.strip() for c in r):
                continue
            if len(r) != len(head):
                raise ExportError([Problem(centre.code, fname,
                                           f"{len(r)} champs au lieu de {len(head)} : un « {sep} » ou un "
                                           "guillemet en trop dans une valeur ? Corrigez la ligne ou "
                                           "réexportez avec des guillemets autour des textes.",
                                           row=row_start)])
            body.append(r)
            lines.append(row_start)
    except csv.Error as exc:
        raise ExportError([Problem(centre.code, fname, _csv_error_message(str(exc)),
                                   row=start if "field larger" in str(exc) else reader.line_num)]
                          ) from exc
    frame = pd.DataFrame(body, columns=head, dtype=object)
    frame.insert(0, "row", lines)
    frame.attrs["control_characters"] = _CONTROL.search(text) is not None  # else no cell to scan
    return frame, problems


def _csv_error_message(err: str) -> str:
    if "field larger" in err:
        return (f"cellule de plus de {CSV_FIELD_LIMIT:,} caractères".replace(",", "\u202f")
                + " : sans doute un guillemet jamais refermé ou un fichier abîmé ; corrigez la "
                "ligne ou réexportez le fichier.")
    if "new-line" in err:
        return ("retour chariot isolé (CR) au milieu d'une valeur : la ligne serait coupée en deux ; "
                "supprimez ce saut de ligne dans le logiciel ou réexportez avec des guillemets "
                "autour des textes.")
    return (f"ligne illisible au format CSV ({err}) : corrigez la ligne ou réexportez le fichier.")


def _control_characters(centre: str, fname: str, frame: pd.DataFrame) -> list[Problem]:
    """A warning per cell holding a control character (kept, shown as [U+XXXX] in Excel files)."""
    out: list[Problem] = []
    for col in frame.columns:
        if col == "row":
            continue
        col_s = frame[col]
        if col_s.dtype != object or not _CONTROL.search("\n".join(v for v in col_s if isinstance(v, str))):
            continue  # one search over the whole column; cell by cell only when it holds one
        hits = col_s.str.contains(_CONTROL.pattern, regex=True, na=False)
        for i in hits.to_numpy().nonzero()[0]:
            v = col_s.iat[i]
            if isinstance(v, str) and (m := _CONTROL.search(v)):
                out.append(Problem(centre, fname,
                                   f"caractère de contrôle invisible (U+{ord(m.group(0)):04X}) dans la "
                                   "valeur : elle est gardée telle quelle, ce caractère apparaît "
                                   f"« [U+{ord(m.group(0)):04X}] » dans les fichiers Excel ; "
                                   "supprimez-le dans le logiciel.", row=int(frame["row"].iat[i]),
                                   column=str(col), severity="avertissement", code="control_character"))
    return out


def _clean_text(s: pd.Series) -> pd.Series:
    """Trimmed text, ``None`` for empty or missing cells."""
    vals = [(v.strip() or None) if isinstance(v, str) else (None if v is None or v != v else str(v))
            for v in s.to_numpy(dtype=object)]
    return pd.Series(vals, index=s.index, dtype=object)


def _parse_dates(s: pd.Series, fmt: str | None, excel: bool = False) -> pd.Series:
    if fmt:
        out = pd.to_datetime(s, format=fmt, errors="coerce")
        if excel:
            # real Excel date cells come back as ISO timestamps whatever the display format
            iso = pd.to_datetime(s.where(out.isna()), format="ISO8601", errors="coerce")
            out = out.fillna(iso)
        return out
    return pd.to_datetime(s, dayfirst=True, errors="coerce")


def _parse_number(s: pd.Series, decimal: str) -> pd.Series:
    """French-style numbers too: "1 234,56 €" (spaces, no-break and narrow no-break spaces, €)."""
    t = s.map(lambda v: _NUMBER_NOISE.sub("", v) if isinstance(v, str) else v)
    if decimal == ",":
        t = t.map(lambda v: v.replace(".", "").replace(",", ".") if isinstance(v, str) else v)
    return pd.to_numeric(t, errors="coerce")


def _mapped_twice(mapping: dict[str, str]) -> dict[str, list[str]]:
    by_target: dict[str, list[str]] = {}
    for local, target in mapping.items():
        by_target.setdefault(target, []).append(local)
    return {t: c for t, c in by_target.items() if len(c) > 1}


def _problem_rows(out: pd.DataFrame, mask: pd.Series, f: str, id_col: str):
    """``(value, row, local_id)`` of the rows of ``mask``."""
    if not mask.any():
        return ()
    sub = out.loc[mask, [f, "row", id_col]]
    return zip(sub[f], sub["row"].astype(int), sub[id_col], strict=True)


def _excel_serial(s: pd.Series) -> pd.Series:
    """Excel serial day numbers (45658 = 01/01/2025) as dates; anything else NaT."""
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    cand = s.notna()
    if not cand.any():
        return out
    num = pd.to_numeric(s[cand], errors="coerce")
    num = num[num.between(SERIAL_MIN, SERIAL_MAX)]
    if len(num):
        out[num.index] = pd.Timestamp("1899-12-30") + pd.to_timedelta(num.astype(float), unit="D")
    return out


def _date_beyond_range(value: object, fmt: str | None) -> bool:
    """A date the format reads but pandas cannot hold (year 2999)."""
    import datetime as dt

    if not fmt or not isinstance(value, str):
        return False
    try:
        dt.datetime.strptime(value.strip(), fmt)
    except ValueError:
        return False
    return True


def _map_dates(code: str, kind: str, spec: dict, out: pd.DataFrame, local_of: dict[str, str],
               id_col: str, fname: str, year: int) -> list[Problem]:
    """Parse the date columns in place (declared format, Excel dates, serial numbers)."""
    problems: list[Problem] = []
    fmt = spec.get("date_format")
    excel = str(spec.get("file", "")).lower().endswith((".xlsx", ".xlsm"))
    lo, hi = pd.Timestamp(DATE_MIN), pd.Timestamp(year + DATE_MAX_YEARS_AHEAD, 12, 31)
    span = f"du {lo:%d/%m/%Y} au {hi:%d/%m/%Y}"
    for f in CONTACT_DATE_FIELDS if kind == "contacts" else ["arrival"]:
        if f not in local_of:
            out[f] = pd.NaT
            continue
        parsed = _parse_dates(out[f], fmt, excel=excel)
        bad = out[f].notna() & parsed.isna()
        if bad.any():
            parsed = parsed.fillna(_excel_serial(out[f].where(bad)))
            bad = out[f].notna() & parsed.isna()
        beyond = pd.Series(False, index=out.index)
        if bad.any():
            beyond[bad] = np.array([_date_beyond_range(v, fmt) for v in out.loc[bad, f]], dtype=bool)
        unreadable = bad & ~beyond
        if unreadable.sum() and unreadable.sum() > DATE_FORMAT_FAILURE * max(out[f].notna().sum(), 1):
            ex = out.loc[unreadable, f].iloc[0]
            raise ExportError([Problem(code, fname,
                                       f"dates illisibles avec le format « {fmt} » (ex. « {ex} », "
                                       f"{int(unreadable.sum())} lignes) : corrigez « date_format » dans la "
                                       "table de correspondance.", row=int(out.loc[unreadable, "row"].iloc[0]),
                                       column=local_of[f])])
        for v, row, lid in _problem_rows(out, unreadable, f, id_col):
            problems.append(Problem(code, fname, f"date « {v} » illisible (format attendu {fmt}) : "
                                    "corrigez-la dans le logiciel.", row=row, column=local_of[f],
                                    severity="avertissement", code="invalid_date", local_id=lid, field=f))
        far = beyond | (parsed < lo) | (parsed > hi)  # NaT compares False
        dropped = " ; ce séjour est écarté des calculs" if f == "arrival" else ""
        for v, row, lid in _problem_rows(out, far, f, id_col):
            problems.append(Problem(code, fname, f"date « {v} » hors de la période plausible ({span}) : "
                                    f"ignorée dans les calculs{dropped}, la valeur reçue reste dans la "
                                    "base ; corrigez-la dans le logiciel.", row=row, column=local_of[f],
                                    severity="avertissement", code="date_out_of_range", local_id=lid,
                                    field=f))
        out[f] = parsed.where(~far) if far.any() else parsed
    return problems


def _map_numbers(code: str, spec: dict, out: pd.DataFrame, local_of: dict[str, str], id_col: str,
                 fname: str) -> list[Problem]:
    """Parse nights, persons and amount in place; negative values are flagged and left out."""
    problems: list[Problem] = []
    dec = spec.get("decimal", ".")
    for f, dtype, label in (("nights", "Int64", "nombre de nuits"), ("persons", "Int64", "nombre de personnes"),
                            ("amount", "float64", "montant"), ("satisfaction", "float64", "note")):
        if f not in local_of:
            out[f] = pd.Series(pd.NA if dtype == "Int64" else np.nan, index=out.index, dtype=dtype)
            continue
        num = _parse_number(out[f], dec)
        bad = out[f].notna() & num.isna()
        for v, row, lid in _problem_rows(out, bad, f, id_col):
            problems.append(Problem(code, fname, f"nombre « {v} » illisible (séparateur décimal « {dec} ») : "
                                    "corrigez la valeur.", row=row, column=local_of[f], severity="avertissement",
                                    code="invalid_number", local_id=lid, field=f))
        neg = num.lt(0).fillna(False).astype(bool)
        for v, row, lid in _problem_rows(out, neg, f, id_col):
            problems.append(Problem(code, fname, f"{label} négatif « {v} » : valeur écartée des calculs "
                                    "(RFM, mesures), la valeur reçue reste dans la base ; corrigez-la dans "
                                    "le logiciel (un avoir se saisit à part).", row=row, column=local_of[f],
                                    severity="avertissement", code="negative_value", local_id=lid, field=f))
        num = num.where(~neg)
        if dtype == "Int64":
            frac = (num.notna() & (num != num.round())).astype(bool)
            for v, row, lid in _problem_rows(out, frac, f, id_col):
                problems.append(Problem(code, fname, f"{label} non entier « {v} » : arrondi à l'entier le "
                                        "plus proche ; corrigez la valeur.", row=row, column=local_of[f],
                                        severity="avertissement", code="rounded_value", local_id=lid,
                                        field=f))
            out[f] = num.round().astype("Int64")
        else:
            out[f] = num.astype(float)
    return problems


def _check_mapping(centre: Centre, kind: str, mapping: dict[str, str], cols: list[str],
                   ignore: set[str], fname: str) -> None:
    """Refuse a table that does not map the file's columns one to one onto the schema."""
    fields = CONTACT_FIELDS if kind == "contacts" else STAY_FIELDS
    missing = [loc for loc in mapping if loc not in cols]
    if missing:
        near = ", ".join(cols[:12])
        raise ExportError([Problem(centre.code, fname,
                                   f"colonne attendue absente ; colonnes du fichier : {near}. "
                                   "Corrigez « columns » dans la table de correspondance ou "
                                   "réexportez avec cette colonne.", row=1, column=m) for m in missing])
    unmapped = [c for c in cols if c not in mapping and c not in ignore]
    if unmapped:
        raise ExportError([Problem(centre.code, fname,
                                   "colonne non prévue par la table de correspondance : ajoutez-la "
                                   f"sous « columns.{kind} » (nom commun) ou sous « ignore.{kind} ».",
                                   row=1, column=c) for c in unmapped])
    bad_targets = [v for v in mapping.values() if v not in fields and v != "segment_local"]
    if bad_targets:
        raise ExportError([Problem(centre.code, str(centre.path.name),
                                   f"« {v} » n'est pas un champ du schéma commun ({kind}) : "
                                   f"champs possibles : {', '.join(fields)}.") for v in bad_targets])
    twice = _mapped_twice(mapping)
    if twice:
        raise ExportError([Problem(centre.code, str(centre.path.name),
                                   f"les colonnes {' et '.join(f'« {c} »' for c in cols_)} sont toutes "
                                   f"associées au champ « {target} » dans « columns.{kind} » : l'une "
                                   "écraserait l'autre. Associez chaque champ à une seule colonne "
                                   f"(mettez l'autre sous « ignore.{kind} »).")
                           for target, cols_ in twice.items()])
    required = ["local_id"] if kind == "contacts" else ["contact_local_id", "arrival"]
    absent = [r for r in required if r not in mapping.values()]
    if absent:
        raise ExportError([Problem(centre.code, str(centre.path.name),
                                   f"champ obligatoire « {r} » non associé à une colonne dans "
                                   f"« columns.{kind} ».") for r in absent])
    if kind == "contacts" and not {"last_name", "organisation"} & set(mapping.values()):
        raise ExportError([Problem(centre.code, str(centre.path.name),
                                   "associez au moins « last_name » ou « organisation » "
                                   "dans « columns.contacts ».")])


def map_frame(centre: Centre, kind: str, raw: pd.DataFrame, year: int,
              fname: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Rename local columns to the common schema, map codes, parse dates and numbers."""
    spec = centre.exports.get(kind, {})
    mapping: dict[str, str] = {str(k).strip(): str(v) for k, v in (centre.columns.get(kind) or {}).items()}
    ignore = {str(c).strip() for c in (centre.extra.get("ignore", {}) or {}).get(kind, [])}
    fields = CONTACT_FIELDS if kind == "contacts" else STAY_FIELDS
    problems: list[Problem] = []
    cols = [c for c in raw.columns if c != "row"]
    _check_mapping(centre, kind, mapping, cols, ignore, fname)
    local_of = {v: k for k, v in mapping.items()}
    none = np.full(len(raw), None, dtype=object)
    data: dict[str, object] = {"centre": centre.code, "year": year, "row": raw["row"].to_numpy()}
    for f in fields:
        data[f] = _clean_text(raw[local_of[f]]).to_numpy() if f in local_of else none
    out = pd.DataFrame(data, index=raw.index)
    id_col = "local_id" if kind == "contacts" else "contact_local_id"
    no_id = out[id_col].isna()
    for idx in out.index[no_id]:
        problems.append(Problem(centre.code, fname, "identifiant vide : ligne ignorée, "
                                "complétez l'identifiant dans le logiciel.", row=int(out.at[idx, "row"]),
                                column=local_of[id_col], severity="avertissement", code="missing_id"))
    out = out[~no_id].copy()
    problems += _map_dates(centre.code, kind, spec, out, local_of, id_col, fname, year)
    if kind == "stays":
        problems += _map_numbers(centre.code, spec, out, local_of, id_col, fname)
        out = out[out["arrival"].notna()].copy()
    else:
        out["segment_local"] = out["segment"]
        seg_codes = {str(k).strip().upper(): str(v) for k, v in (centre.codes.get("segment") or {}).items()}
        local = out["segment_local"].map(lambda v: v.strip().upper() if isinstance(v, str) else None)
        out["segment"] = local.map(seg_codes)
        unknown = local.notna() & out["segment"].isna()
        for idx in out.index[unknown]:
            problems.append(Problem(centre.code, fname,
                                    f"code segment local « {out.at[idx, 'segment_local']} » absent de "
                                    "« codes.segment » : ajoutez-le à la table de correspondance avec son "
                                    "code commun.", row=int(out.at[idx, "row"]),
                                    column=local_of.get("segment"), severity="avertissement",
                                    code="unknown_code", local_id=out.at[idx, "local_id"], field="segment"))
        dup = out["local_id"].duplicated(keep=False)
        if dup.any():
            for lid, grp in out[dup].groupby("local_id", sort=True):
                rows = ", ".join(str(int(r)) for r in grp["row"])
                problems.append(Problem(centre.code, fname,
                                        f"identifiant « {lid} » exporté {len(grp)} fois (lignes {rows}) : "
                                        "seule la première est retenue ; fusionnez les fiches dans le "
                                        "logiciel.", row=int(grp["row"].iloc[0]), column=local_of["local_id"],
                                        severity="avertissement", code="duplicate_local_id",
                                        local_id=lid, field="local_id"))
            out = out[~out["local_id"].duplicated(keep="first")].copy()
    return out.reset_index(drop=True), problems


def _attach_ids(centre: Centre, kind: str, problems: list[Problem], raw: pd.DataFrame) -> list[Problem]:
    """Tie reading warnings to the record of their row, so that they reach the return file."""
    mapping = {str(k).strip(): str(v) for k, v in (centre.columns.get(kind) or {}).items()}
    id_field = "local_id" if kind == "contacts" else "contact_local_id"
    id_col = next((k for k, v in mapping.items() if v == id_field), None)
    ids = {}
    if id_col in raw.columns:
        ids = {int(r): (v.strip() if isinstance(v, str) else None)
               for r, v in zip(raw["row"], raw[id_col], strict=True)}
    for p in problems:
        if p.row is not None and p.local_id is None and ids.get(p.row):
            p.local_id = ids[p.row]
            p.field = mapping.get(p.column or "", p.column)
    return problems


def read_centre(centre: Centre, export_dir: Path, year: int) -> CentreExport:
    """Read a centre's contacts and stays for one year (raises ExportError if unusable)."""
    problems: list[Problem] = []
    files: list[dict] = []
    frames: dict[str, pd.DataFrame] = {}
    raws: dict[str, pd.DataFrame] = {}
    fatal: list[Problem] = []
    if not export_dir.is_dir():
        raise ExportError([Problem(centre.code, str(export_dir),
                                   f"aucun export pour {year} : dossier {export_dir} absent.")])
    for kind in ("contacts", "stays"):
        if kind not in centre.exports:
            continue
        try:
            raw, path, read_probs = read_raw(centre, kind, export_dir)
            fname = f"{export_dir.name}/{path.name}"
            mapped, probs = map_frame(centre, kind, raw, year, fname)
        except ExportError as exc:
            fatal.extend(exc.problems)
            continue
        problems.extend(_attach_ids(centre, kind, read_probs, raw))
        problems.extend(probs)
        frames[kind] = mapped
        raws[kind] = raw
        files.append({"kind": kind, "file": str(path), "sha256": sha256_file(path), "rows": len(raw)})
    if fatal:
        raise ExportError(fatal)
    contacts = frames["contacts"]
    stays = frames.get("stays", pd.DataFrame(columns=["centre", "year", "row", *STAY_FIELDS]))
    known = set(contacts["local_id"])
    orphan = ~stays["contact_local_id"].isin(known)
    for idx in stays.index[orphan]:
        problems.append(Problem(centre.code, "séjours",
                                f"séjour rattaché à un client absent de l'export des contacts "
                                f"(« {stays.at[idx, 'contact_local_id']} ») : exportez ce client.",
                                row=int(stays.at[idx, "row"]), severity="avertissement",
                                code="unknown_contact", local_id=stays.at[idx, "contact_local_id"],
                                field="contact_local_id"))
    return CentreExport(centre.code, year, contacts, stays.reset_index(drop=True),
                        raws["contacts"], raws.get("stays", pd.DataFrame()), problems, files)
