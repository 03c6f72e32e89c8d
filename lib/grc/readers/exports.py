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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from grc.config import Centre
from grc.schema import CONTACT_DATE_FIELDS, CONTACT_FIELDS, STAY_FIELDS

SEPARATORS = [";", ",", "\t", "|"]
# share of unparseable dates in a column above which the declared format is deemed wrong
DATE_FORMAT_FAILURE = 0.2


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


def _decode(data: bytes, encoding: str, centre: str, fname: str) -> str:
    enc = encoding.lower().replace("_", "-")
    if enc in ("utf-8", "utf8") and data.startswith(b"\xef\xbb\xbf"):
        enc = "utf-8-sig"
    try:
        text = data.decode(enc)
    except LookupError as exc:
        raise ExportError(
            [Problem(centre, fname, f"encodage « {encoding} » inconnu : indiquez utf-8, "
                     "utf-8-sig ou cp1252 dans exports de la table de correspondance.")]
        ) from exc
    except UnicodeDecodeError as exc:
        line = _line_of_offset(data, exc.start)
        guess = "cp1252 (Windows)" if enc.startswith("utf") else "utf-8"
        raise ExportError(
            [Problem(centre, fname,
                     f"illisible en {encoding} (octet {data[exc.start:exc.start + 1]!r}) ; "
                     f"le fichier est sans doute en {guess} : corrigez « encoding » dans la "
                     "table de correspondance ou réexportez le fichier.", row=line)]
        ) from exc
    if enc in ("cp1252", "latin-1", "latin1", "iso-8859-1", "iso-8859-15"):
        # UTF-8 bytes read as cp1252 give mojibake such as "Ã©": refuse rather than corrupt.
        try:
            data.decode("utf-8")
            utf8_ok = any(b > 127 for b in data)
        except UnicodeDecodeError:
            utf8_ok = False
        if utf8_ok:
            pos = next(i for i, b in enumerate(data) if b > 127)
            raise ExportError(
                [Problem(centre, fname,
                         f"déclaré en {encoding} mais encodé en UTF-8 (les accents "
                         "deviendraient « Ã© ») : indiquez encoding: utf-8 dans la table de "
                         "correspondance.", row=_line_of_offset(data, pos))]
            )
    return text


def read_raw(centre: Centre, kind: str, base_dir: Path) -> tuple[pd.DataFrame, Path]:
    """Read one export file as received: every cell as text, plus its line number ``row``."""
    spec = centre.exports.get(kind)
    if spec is None:
        raise ExportError([Problem(centre.code, str(centre.path.name),
                                   f"aucun fichier « {kind} » déclaré dans exports.")])
    path = base_dir / spec["file"]
    fname = f"{base_dir.name}/{spec['file']}"
    if not path.exists():
        present = ", ".join(sorted(p.name for p in base_dir.glob("*"))) if base_dir.exists() else "dossier absent"
        raise ExportError([Problem(centre.code, fname,
                                   f"fichier introuvable dans {base_dir} (présents : {present}).")])
    if path.stat().st_size == 0:
        raise ExportError([Problem(centre.code, fname, "fichier vide : réexportez-le.")])
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        try:
            frame = pd.read_excel(path, sheet_name=spec.get("sheet", 0), dtype=str,
                                  keep_default_na=False, engine="calamine")
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds
            raise ExportError([Problem(centre.code, fname,
                                       f"classeur Excel illisible ({exc}) : réenregistrez-le en .xlsx.")]) from exc
        frame.columns = [str(c).strip() for c in frame.columns]
        if frame.empty and len(frame.columns) == 0:
            raise ExportError([Problem(centre.code, fname, "feuille vide : réexportez le fichier.")])
        frame.insert(0, "row", range(2, len(frame) + 2))
        return frame, path
    data = path.read_bytes()
    text = _decode(data, spec.get("encoding", "utf-8"), centre.code, fname)
    if not text.strip():
        raise ExportError([Problem(centre.code, fname, "fichier vide : réexportez-le.")])
    sep = spec.get("sep", ";")
    header = text.lstrip("\ufeff").splitlines()[0]
    if sep not in header:
        others = [s for s in SEPARATORS if s != sep and s in header]
        if others:
            shown = "tabulation" if others[0] == "\t" else f"« {others[0]} »"
            raise ExportError([Problem(centre.code, fname,
                                       f"séparateur « {sep} » absent de l'en-tête, qui utilise {shown} : "
                                       f"corrigez « sep » dans la table de correspondance.", row=1)])
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=sep, quotechar='"')
    rows = list(reader)
    head = [c.strip() for c in rows[0]]
    width = len(head)
    body: list[list[str]] = []
    lines: list[int] = []
    line_no = 1
    for r in rows[1:]:
        line_no += 1
        if not any(c.strip() for c in r):
            continue
        if len(r) != width:
            raise ExportError([Problem(centre.code, fname,
                                       f"{len(r)} champs au lieu de {width} : un « {sep} » ou un "
                                       "guillemet en trop dans une valeur ? Corrigez la ligne ou "
                                       "réexportez avec des guillemets autour des textes.",
                                       row=line_no)])
        body.append(r)
        lines.append(line_no)
    frame = pd.DataFrame(body, columns=head, dtype=object)
    frame.insert(0, "row", lines)
    return frame, path


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
    t = s.map(lambda v: v.replace("\u00a0", "").replace(" ", "") if isinstance(v, str) else v)
    if decimal == ",":
        t = t.map(lambda v: v.replace(".", "").replace(",", ".") if isinstance(v, str) else v)
    return pd.to_numeric(t, errors="coerce")


def map_frame(centre: Centre, kind: str, raw: pd.DataFrame, year: int,
              fname: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Rename local columns to the common schema, map codes, parse dates and numbers."""
    spec = centre.exports.get(kind, {})
    mapping: dict[str, str] = {str(k).strip(): str(v) for k, v in (centre.columns.get(kind) or {}).items()}
    ignore = {str(c).strip() for c in (centre.extra.get("ignore", {}) or {}).get(kind, [])}
    fields = CONTACT_FIELDS if kind == "contacts" else STAY_FIELDS
    problems: list[Problem] = []
    cols = [c for c in raw.columns if c != "row"]
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
    date_cols = CONTACT_DATE_FIELDS if kind == "contacts" else ["arrival"]
    fmt = spec.get("date_format")
    for f in date_cols:
        if f not in local_of:
            out[f] = pd.NaT
            continue
        parsed = _parse_dates(out[f], fmt, excel=str(spec.get("file", "")).lower().endswith((".xlsx", ".xlsm")))
        bad = out[f].notna() & parsed.isna()
        if bad.sum() and bad.sum() > DATE_FORMAT_FAILURE * max(out[f].notna().sum(), 1):
            ex = out.loc[bad, f].iloc[0]
            raise ExportError([Problem(centre.code, fname,
                                       f"dates illisibles avec le format « {fmt} » (ex. « {ex} », "
                                       f"{int(bad.sum())} lignes) : corrigez « date_format » dans la "
                                       "table de correspondance.", row=int(out.loc[bad, "row"].iloc[0]),
                                       column=local_of[f])])
        for idx in out.index[bad]:
            problems.append(Problem(centre.code, fname,
                                    f"date « {out.at[idx, f]} » illisible (format attendu {fmt}) : "
                                    "corrigez-la dans le logiciel.", row=int(out.at[idx, "row"]),
                                    column=local_of[f], severity="avertissement", code="invalid_date",
                                    local_id=out.at[idx, id_col], field=f))
        out[f] = parsed
    if kind == "stays":
        dec = spec.get("decimal", ".")
        for f, dtype in (("nights", "Int64"), ("persons", "Int64"), ("amount", "float64")):
            if f not in local_of:
                out[f] = pd.Series(pd.NA, index=out.index, dtype=dtype)
                continue
            num = _parse_number(out[f], dec)
            bad = out[f].notna() & num.isna()
            for idx in out.index[bad]:
                problems.append(Problem(centre.code, fname,
                                        f"nombre « {out.at[idx, f]} » illisible (séparateur décimal "
                                        f"« {dec} ») : corrigez la valeur.", row=int(out.at[idx, "row"]),
                                        column=local_of[f], severity="avertissement",
                                        code="invalid_number", local_id=out.at[idx, id_col], field=f))
            out[f] = num.round().astype("Int64") if dtype == "Int64" else num.astype(float)
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
            raw, path = read_raw(centre, kind, export_dir)
            fname = f"{export_dir.name}/{path.name}"
            mapped, probs = map_frame(centre, kind, raw, year, fname)
        except ExportError as exc:
            fatal.extend(exc.problems)
            continue
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
