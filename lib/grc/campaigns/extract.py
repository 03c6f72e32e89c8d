"""Qualified extractions for campaigns (issue 5, SPEC §5).

A :class:`Selection` says whom to target (segments, families, regions, departments,
lifecycle, RFM categories, centres, kinds, clusters) and on which channel (``courrier``,
``email``, ``telephone``). :func:`extract` keeps only the contacts usable on that channel and
counts every exclusion by reason; :func:`write_extract` writes a file ready for a mailing or
e-mailing tool (CSV for French Excel, or .xlsx) with the exclusion counts beside it.

Channel rules (each excluded contact is counted once, under the first rule it fails, in the
order of ``REASONS``):

- every channel: never a contact whose retention period has expired;
- ``courrier``: not NPAI, and a usable postal address (``mailable``);
- ``email``: a valid e-mail and the e-mail consent (``optin_email``), and ``emailable``;
- ``telephone``: a valid phone number; for private persons (B2C, and any contact whose kind
  is unknown, to be safe) the law in force at the reference date: until 10 August 2026 no
  number on the Bloctel opposition list; from 11 August 2026 (loi n° 2025-594 du 30 juin
  2025, art. 13) only with prior consent (``optin_phone``). Professionals (B2B) are never
  concerned. Exception: with ``purpose: sejour_en_cours`` the selection is restricted to
  contacts with a booked stay to come, and private persons may be called about it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import pandas as pd
import phonenumbers
from unidecode import unidecode

from grc import rules
from grc.config import ConfigError, NetworkConfig, load_config, read_yaml
from grc.safefiles import restore_csv, text_cells_as_text, write_csv, xlsx_safe_frame
from grc.schema import NETWORK

CHANNELS = ("courrier", "email", "telephone")
PURPOSES = ("sejour_en_cours",)
KINDS = ("B2B", "B2C")

#: Last day of the Bloctel regime; prior consent is required from the next day on.

#: Exclusion reasons (key -> French label), in the order rules are applied.
REASONS: dict[str, str] = {
    "retention_expired": "Durée de conservation dépassée (RGPD)",
    "npai": "NPAI : n'habite plus à l'adresse indiquée",
    "no_address": "Adresse postale incomplète ou invalide",
    "no_email": "E-mail absent ou invalide",
    "no_email_consent": "Pas de consentement à la prospection par e-mail",
    "email_unusable": "E-mail signalé inutilisable",
    "no_phone": "Téléphone absent ou invalide",
    "bloctel": "Particulier inscrit sur Bloctel (démarchage interdit jusqu'au 10 août 2026)",
    "no_phone_consent": ("Particulier sans consentement préalable au démarchage téléphonique "
                         "(loi du 30 juin 2025, depuis le 11 août 2026)"),
}

OUTPUT_COLUMNS: dict[str, list[str]] = {
    "courrier": ["contact_id", "civility", "first_name", "last_name", "organisation",
                 "rnvp1", "rnvp2", "rnvp3", "rnvp4", "rnvp5", "rnvp6", "postcode", "city",
                 "segment", "segment_label", "kind"],
    "email": ["contact_id", "email", "civility", "first_name", "last_name", "organisation",
              "segment", "segment_label", "kind"],
    "telephone": ["contact_id", "civility", "first_name", "last_name", "organisation",
                  "phone_e164", "phone_national", "segment", "segment_label", "kind",
                  "next_arrival"],
}

#: French headers of the written file.
HEADERS: dict[str, str] = {
    "contact_id": "Identifiant", "civility": "Civilité", "first_name": "Prénom",
    "last_name": "Nom", "organisation": "Organisation", "rnvp1": "Ligne 1", "rnvp2": "Ligne 2",
    "rnvp3": "Ligne 3", "rnvp4": "Ligne 4", "rnvp5": "Ligne 5", "rnvp6": "Ligne 6",
    "postcode": "Code postal", "city": "Ville", "segment": "Segment",
    "segment_label": "Libellé segment", "kind": "Type", "email": "E-mail",
    "phone_e164": "Téléphone (E.164)", "phone_national": "Téléphone", "next_arrival":
    "Prochain séjour",
}

CIVILITY_OUT = {"M": "M.", "MME": "Mme"}
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# --- Selection ----------------------------------------------------------------------------


@dataclass
class Selection:
    """Whom to target and on which channel; empty lists mean "no filter"."""

    channel: str = "courrier"
    segments: list[str] = field(default_factory=list)
    families: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)
    lifecycle: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    centres: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    clusters: list[int] = field(default_factory=list)
    purpose: str | None = None
    rfm_scope: str | None = None
    name: str | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if f.type.startswith("list") and not isinstance(v, list):
                setattr(self, f.name, [] if v in (None, "") else _as_list(v))
        self.channel = str(self.channel).strip().lower().replace("é", "e")
        if self.channel not in CHANNELS:
            raise ConfigError(f"Canal inconnu « {self.channel} » : choisir parmi {', '.join(CHANNELS)}.")
        if self.purpose not in (None, "", *PURPOSES):
            raise ConfigError(f"Objet d'appel inconnu « {self.purpose} » (seul « sejour_en_cours » existe).")
        self.purpose = self.purpose or None
        self.kinds = [str(k).upper() for k in self.kinds]
        bad = [k for k in self.kinds if k not in KINDS]
        if bad:
            raise ConfigError(f"Type inconnu {bad} : B2B ou B2C.")
        from grc.segment.segmentation import LIFECYCLES

        bad = [v for v in self.lifecycle if v not in LIFECYCLES]
        if bad:
            raise ConfigError(f"Cycle de vie inconnu {bad} : choisir parmi {', '.join(LIFECYCLES)}.")
        self.clusters = [int(c) for c in self.clusters]
        self.departments = [str(d).strip().zfill(2) for d in self.departments]

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "sélection") -> Selection:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"{where} : clé(s) inconnue(s) {unknown} ; clés possibles : {sorted(known)}.")
        return cls(**data)

    def describe(self) -> str:
        """One French line describing the selection."""
        parts = []
        for label, values in [("segments", self.segments), ("familles", self.families),
                              ("régions", self.regions), ("départements", self.departments),
                              ("cycle de vie", self.lifecycle), ("catégories RFM", self.categories),
                              ("centres", self.centres), ("types", self.kinds),
                              ("groupes", self.clusters)]:
            if values:
                parts.append(f"{label} : {', '.join(map(str, values))}")
        if self.purpose:
            parts.append("objet : séjour réservé à venir")
        return f"canal {self.channel}" + (" ; " + " ; ".join(parts) if parts else " ; toute la base")


def _as_list(v: Any) -> list:
    if isinstance(v, (list, tuple, set)):
        return list(v)
    return [x.strip() for x in str(v).split(",") if x.strip()]


def load_selection(path: str | Path) -> Selection:
    """A selection from a YAML file (keys: the :class:`Selection` fields)."""
    data = read_yaml(Path(path))
    if not isinstance(data, dict):
        raise ConfigError(f"{path} : sélection vide ou mal formée (un dictionnaire YAML est attendu).")
    return Selection.from_dict(data, str(path))


# --- Extraction ---------------------------------------------------------------------------


@dataclass
class ExtractResult:
    """Extracted contacts and the count of exclusions by reason."""

    frame: pd.DataFrame
    excluded: pd.DataFrame          # reason, motif, contacts
    selected: int                   # contacts matching the selection, before channel rules
    selection: Selection
    reference_date: dt.date
    law: str                        # French sentence on the phone rule applied (or "")

    @property
    def kept(self) -> int:
        return len(self.frame)

    def summary(self) -> pd.DataFrame:
        """Sidecar table: selected, each reason, kept (``Motif``, ``Contacts``)."""
        rows = [("Contacts correspondant à la sélection", self.selected)]
        rows += list(zip(self.excluded["motif"], self.excluded["contacts"], strict=True))
        rows.append(("Contacts retenus dans le fichier", self.kept))
        out = pd.DataFrame(rows, columns=["Motif", "Contacts"])
        notes = [f"Sélection : {self.selection.describe()}",
                 f"Date de référence : {self.reference_date.isoformat()}"]
        if self.law:
            notes.append(self.law)
        return pd.concat([out, pd.DataFrame({"Motif": notes, "Contacts": [None] * len(notes)})],
                         ignore_index=True)


def phone_law(reference_date: dt.date) -> str:
    """The phone canvassing rule in force for private persons at ``reference_date``."""
    rule = rules.phone_rule(reference_date)
    return f"{rule.text} {rules.CALLING_HOURS.text} (Sources : {rule.source} ; {rules.CALLING_HOURS.source}.)"


def _bool(s: pd.Series | None, index: pd.Index, default: bool = False) -> pd.Series:
    if s is None:
        return pd.Series(default, index=index)
    if s.dtype == bool:
        return s
    txt = s.astype("string").str.strip().str.lower()
    return txt.isin(["true", "1", "1.0", "oui", "vrai", "yes", "o", "y", "t"]).fillna(False).astype(bool)


def _norm(v: Any) -> str:
    return unidecode(str(v)).casefold().strip()


def _isin_norm(s: pd.Series, values: list) -> pd.Series:
    wanted = {_norm(v) for v in values}
    return s.map(lambda x: x is not None and not pd.isna(x) and _norm(x) in wanted)


_FR_E164 = re.compile(r"^\+33[1-9]\d{8}$")


def phone_formats(number: Any) -> tuple[str, str] | None:
    """(E.164, national writing) of a valid number, else None.

    A French number already in E.164 (as qualification writes it after checking it with
    phonenumbers) is taken as is; any other writing is parsed and checked with phonenumbers.
    """
    if number is None or (not isinstance(number, str) and pd.isna(number)):
        return None
    txt = str(number).strip()
    if not txt:
        return None
    if _FR_E164.match(txt):
        d = "0" + txt[3:]
        return txt, " ".join(d[i:i + 2] for i in range(0, 10, 2))
    try:
        p = phonenumbers.parse(txt, "FR")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(p):
        return None
    fmt = (phonenumbers.PhoneNumberFormat.NATIONAL if p.country_code == 33
           else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return (phonenumbers.format_number(p, phonenumbers.PhoneNumberFormat.E164),
            phonenumbers.format_number(p, fmt))


def _to_date(d: dt.date | pd.Timestamp | str) -> dt.date:
    if isinstance(d, str):
        return dt.date.fromisoformat(d)
    if isinstance(d, pd.Timestamp | dt.datetime):
        return d.date()
    return d


def _targets(base: pd.DataFrame, sel: Selection, ref: pd.Timestamp) -> pd.Series:
    keep = pd.Series(True, index=base.index)
    if sel.segments:
        keep &= _isin_norm(base["segment"], sel.segments)
    if sel.families:
        keep &= _isin_norm(base.get("family", pd.Series(None, index=base.index)), sel.families)
    if sel.regions:
        keep &= _isin_norm(base.get("region", pd.Series(None, index=base.index)), sel.regions)
    if sel.departments:
        dep = base.get("department", pd.Series(None, index=base.index)).astype("string").str.strip()
        keep &= dep.str.zfill(2).isin(sel.departments).fillna(False).astype(bool)
    if sel.lifecycle:
        keep &= base.get("lifecycle", pd.Series(None, index=base.index)).isin(sel.lifecycle)
    if sel.categories:
        keep &= _isin_norm(base.get("category", pd.Series(None, index=base.index)), sel.categories)
    if sel.centres:
        wanted = set(sel.centres)
        cent = base.get("centres", pd.Series(None, index=base.index))
        keep &= cent.map(lambda x: isinstance(x, str) and bool(wanted & {c.strip() for c in x.split(";")}))
    if sel.kinds:
        keep &= base["kind"].isin(sel.kinds)
    if sel.clusters:
        cl = pd.to_numeric(base.get("cluster", pd.Series(None, index=base.index)), errors="coerce")
        keep &= cl.isin(sel.clusters)
    if sel.purpose == "sejour_en_cours":
        keep &= base["next_arrival"].notna() & (base["next_arrival"] > ref)
    return keep.astype(bool)


def extract(contacts: pd.DataFrame, criteria: pd.DataFrame | None, scores: pd.DataFrame | None,
            selection: Selection, reference_date: dt.date | pd.Timestamp | str) -> ExtractResult:
    """Contacts of ``selection`` usable on its channel at ``reference_date``, with exclusions.

    ``contacts``: golden records (SPEC §6 ``contacts.csv``); ``criteria``: the segments frame
    (``segment.derive_criteria`` / ``segments.csv``) adding family, lifecycle, cluster,
    next_arrival…; ``scores``: ``rfm.csv`` (``scope, contact_id, category``). RFM categories
    are read in ``selection.rfm_scope``, else the single selected centre, else ``NETWORK``.
    """
    ref_date = _to_date(reference_date)
    ref = pd.Timestamp(ref_date)
    sel = selection
    base = contacts.drop_duplicates("contact_id").reset_index(drop=True)
    if criteria is not None and len(criteria.columns):
        extra = [c for c in criteria.columns if c == "contact_id" or c not in base.columns]
        base = base.merge(criteria[extra].drop_duplicates("contact_id"), on="contact_id", how="left")
        if "kind" in criteria.columns and "kind" in base.columns:
            k = base["contact_id"].map(criteria.drop_duplicates("contact_id").set_index("contact_id")["kind"])
            base["kind"] = base["kind"].where(base["kind"].isin(KINDS), k)
    if scores is not None and len(scores):
        scope = sel.rfm_scope or (sel.centres[0] if len(sel.centres) == 1 else NETWORK)
        sc = scores[scores["scope"].astype(str) == str(scope)].drop_duplicates("contact_id")
        base = base.merge(sc[["contact_id", "category"]], on="contact_id", how="left",
                          suffixes=("_old", ""))
    for col in ("kind", "segment", "next_arrival"):
        if col not in base:
            base[col] = None
    base["next_arrival"] = pd.to_datetime(base["next_arrival"], errors="coerce")

    base = base[_targets(base, sel, ref)].reset_index(drop=True)
    idx = base.index
    reason = pd.Series(None, index=idx, dtype=object)

    def fail(key: str, mask: pd.Series) -> None:
        reason[mask & reason.isna()] = key

    fail("retention_expired", _bool(base.get("retention_expired"), idx))
    if sel.channel == "courrier":
        fail("npai", _bool(base.get("npai"), idx))
        no_lines = base["rnvp6"].isna() if "rnvp6" in base else pd.Series(False, index=idx)
        fail("no_address", ~_bool(base.get("mailable"), idx, default=True) | no_lines)
    elif sel.channel == "email":
        email = base.get("email", pd.Series(None, index=idx)).astype("string").str.strip()
        fail("no_email", ~email.str.match(_EMAIL_RE).fillna(False).astype(bool))
        fail("no_email_consent", ~_bool(base.get("optin_email"), idx))
        fail("email_unusable", ~_bool(base.get("emailable"), idx, default=True))
    else:
        numbers = []
        for ph, mob in zip(base.get("phone", pd.Series(None, index=idx)),
                           base.get("mobile", pd.Series(None, index=idx)), strict=True):
            numbers.append(phone_formats(ph) or phone_formats(mob))
        num = pd.Series(numbers, index=idx, dtype=object)
        fail("no_phone", num.isna())
        private = ~base["kind"].eq("B2B")  # B2C or unknown: treated as a private person
        exempt = pd.Series(False, index=idx)
        if sel.purpose == "sejour_en_cours":
            exempt = base["next_arrival"].notna() & (base["next_arrival"] > ref)
        if rules.bloctel_regime(ref_date):
            fail("bloctel", private & _bool(base.get("bloctel"), idx) & ~exempt)
        else:
            fail("no_phone_consent", private & ~_bool(base.get("optin_phone"), idx) & ~exempt)
        base["phone_e164"] = [None if p is None else p[0] for p in numbers]
        base["phone_national"] = [None if p is None else p[1] for p in numbers]

    counts = reason.value_counts()
    excluded = pd.DataFrame({"reason": [k for k in REASONS if k in counts.index]})
    excluded["motif"] = excluded["reason"].map(REASONS)
    excluded["contacts"] = excluded["reason"].map(counts).astype(int)

    kept = base[reason.isna()].copy()
    if "civility" in kept:
        kept["civility"] = kept["civility"].map(lambda c: CIVILITY_OUT.get(c, c) if isinstance(c, str) else None)
    cols = OUTPUT_COLUMNS[sel.channel]
    for c in cols:
        if c not in kept:
            kept[c] = None
    frame = kept[cols].sort_values("contact_id", kind="stable").reset_index(drop=True)
    return ExtractResult(frame, excluded, len(base), sel, ref_date,
                         phone_law(ref_date) if sel.channel == "telephone" else "")


def exclusions_path(path: str | Path) -> Path:
    """The sidecar of a CSV extraction: ``<name>.exclusions.csv``."""
    p = Path(path)
    return p.with_name(f"{p.stem}.exclusions.csv")


def write_extract(result: ExtractResult, path: str | Path) -> Path:
    """Write the extraction (``.csv``: UTF-8 with BOM, ``;``; or ``.xlsx``) and its exclusions."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ConfigError(f"{path} : extension .csv ou .xlsx attendue.")
    path.parent.mkdir(parents=True, exist_ok=True)
    out = result.frame.copy()
    if "next_arrival" in out:
        out["next_arrival"] = pd.to_datetime(out["next_arrival"]).dt.strftime("%d/%m/%Y")
    out = out.rename(columns=HEADERS)
    summary = result.summary()
    if suffix == ".csv":
        write_csv(out, path, sep=";", encoding="utf-8-sig")
        write_csv(summary, exclusions_path(path), sep=";", encoding="utf-8-sig")
    else:
        with pd.ExcelWriter(path, engine="openpyxl") as xl:
            xlsx_safe_frame(out).to_excel(xl, sheet_name="Extraction", index=False)
            xlsx_safe_frame(summary).to_excel(xl, sheet_name="Exclusions", index=False)
            for ws in xl.book.worksheets:
                text_cells_as_text(ws)  # a name such as =HYPERLINK(…) stays text
    return path


# --- Command line -------------------------------------------------------------------------

_BOOL_COLUMNS = ["mailable", "emailable", "phoneable", "npai", "bloctel", "optin_email",
                 "optin_phone", "retention_expired"]


def _read_export(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise ConfigError(f"Fichier introuvable : {path}. Lancez d'abord « grc run --config … ».")
    with open(path, encoding="utf-8-sig") as fh:
        head = fh.readline()
    sep = ";" if head.count(";") > head.count(",") else ","
    return restore_csv(pd.read_csv(path, sep=sep, dtype=str, encoding="utf-8-sig", keep_default_na=False,
                                   na_values=[""]))


def load_frames(config: NetworkConfig) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Read ``contacts.csv``, ``segments.csv`` and ``rfm.csv`` from ``processed_dir/exports``.

    Returns (contacts, criteria, scores) with booleans, dates and numbers parsed.
    """
    d = config.exports_dir
    contacts = _read_export(d / "contacts.csv")
    for c in _BOOL_COLUMNS:
        if c in contacts:
            contacts[c] = _bool(contacts[c], contacts.index)
    seg_path = d / "segments.csv"
    criteria = _read_export(seg_path) if seg_path.exists() else pd.DataFrame(columns=["contact_id"])
    for c in ("first_arrival", "last_arrival", "next_arrival"):
        if c in criteria:
            criteria[c] = pd.to_datetime(criteria[c], errors="coerce")
    if "cluster" in criteria:
        criteria["cluster"] = pd.to_numeric(criteria["cluster"], errors="coerce").astype("Int64")
    rfm_path = d / "rfm.csv"
    scores = _read_export(rfm_path) if rfm_path.exists() else pd.DataFrame(columns=["scope", "contact_id", "category"])
    return contacts, criteria, scores


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="grc extract",
        description="Extraire un fichier qualifié pour une campagne (courrier, e-mail, téléphone).")
    p.add_argument("--config", default="params/network.yaml", help="configuration réseau (YAML)")
    p.add_argument("--selection", help="fichier YAML de sélection (les options ci-dessous le complètent)")
    multi = {
        "--segment": ("segments", "code de segment commun (répétable ou séparé par des virgules)"),
        "--family": ("families", "famille de segments"),
        "--region": ("regions", "région"),
        "--department": ("departments", "département"),
        "--lifecycle": ("lifecycle", "cycle de vie : nouveau, actif, en sommeil, perdu, prospect"),
        "--category": ("categories", "catégorie RFM"),
        "--centre": ("centres", "code centre"),
        "--kind": ("kinds", "B2B ou B2C"),
        "--cluster": ("clusters", "numéro de groupe comportemental"),
    }
    for flag, (dest, help_) in multi.items():
        p.add_argument(flag, dest=dest, action="append", help=help_)
    p.add_argument("--channel", choices=CHANNELS, help="canal de la campagne (courrier par défaut)")
    p.add_argument("--purpose", choices=PURPOSES,
                   help="appel au sujet d'un séjour réservé à venir (exception légale)")
    p.add_argument("--rfm-scope", dest="rfm_scope", help="périmètre des catégories RFM (centre ou NETWORK)")
    p.add_argument("--reference-date", dest="reference_date",
                   help="date de référence AAAA-MM-JJ (par défaut celle de la configuration)")
    p.add_argument("--out", help="fichier de sortie .csv ou .xlsx")
    return p


def selection_from_args(args: argparse.Namespace) -> Selection:
    """A selection from parsed CLI arguments, over the YAML file when one is given."""
    data: dict[str, Any] = {}
    if args.selection:
        sel = load_selection(args.selection)
        data = {f.name: getattr(sel, f.name) for f in fields(Selection)}
    for f in fields(Selection):
        v = getattr(args, f.name, None)
        if v is None:
            continue
        if isinstance(v, list):
            v = [x for item in v for x in _as_list(item)]
        data[f.name] = v
    return Selection.from_dict(data)


def cli_extract(argv: list[str] | None = None) -> int:
    """``grc extract``: write a qualified extraction; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        config = load_config(args.config)
        sel = selection_from_args(args)
        ref = _to_date(args.reference_date) if args.reference_date else config.reference_date
        contacts, criteria, scores = load_frames(config)
        result = extract(contacts, criteria, scores, sel, ref)
        out = Path(args.out) if args.out else (
            config.exports_dir / "extractions" / f"extraction_{sel.channel}_{ref.isoformat()}.csv")
        write_extract(result, out)
    except (ConfigError, ValueError) as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
    n_out = int(result.excluded["contacts"].sum())
    print(f"Extraction {sel.channel} ({sel.describe()}) : {result.kept} contacts retenus "
          f"sur {result.selected} sélectionnés, {n_out} écartés.")
    for motif, n in zip(result.excluded["motif"], result.excluded["contacts"], strict=True):
        print(f"  - {motif} : {n}")
    if result.law:
        print(result.law)
    print(f"Fichier écrit : {out}")
    if out.suffix.lower() == ".csv":
        print(f"Exclusions : {exclusions_path(out)}")
    return 0
