"""Qualified extractions for campaigns (issues 5, 18 and 20; SPEC §3 and §5).

A :class:`Selection` says whom to target, on which channel (``courrier``, ``email``,
``telephone``) and for which sender (``NETWORK`` or a centre code). :func:`extract` asks the rule
book (:func:`grc.rules.decide`) for each selected contact whether it may be prospected on that
channel by that sender at the reference date, and keeps the rule that decided, with its legal
source, for kept and excluded contacts alike; :mod:`grc.campaigns.formats` writes the file for
Excel or for a campaign tool (Brevo, Mailchimp) and the exclusion file (one row per contact).

The rules, in the order they apply (first match decides), are those of :mod:`grc.rules`:
retention, data quality (address, NPAI, e-mail, phone), a recorded objection on the channel,
then the law for the contact's kind and the sender: e-mail to a professional or to an
organisation's generic address without prior consent; to a private person with consent, or
as a centre's own client told of the soft opt-in at collection (never for another centre nor
the network); telephone by date (Bloctel until 10 August 2026, prior consent since), the
professionals never concerned, a booked stay to come allowing the call with ``purpose:
sejour_en_cours``; post unless an objection.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import pandas as pd
import phonenumbers

from grc import rules
from grc.campaigns import facts as cfacts
from grc.campaigns.selection import (  # noqa: F401 - re-exported: the module's public API
    CHANNELS,
    KINDS,
    PURPOSES,
    Selection,
    _as_list,
    load_selection,
    targets,
)
from grc.config import ConfigError, NetworkConfig, load_config
from grc.safefiles import restore_csv
from grc.schema import NETWORK

#: Exclusion reasons (key -> French label), in the order rules are applied.
REASONS: dict[str, str] = {k: label for k, (label, _rule) in rules.REASONS.items()}

OUTPUT_COLUMNS: dict[str, list[str]] = {
    "courrier": ["contact_id", "civility", "first_name", "last_name", "organisation",
                 "rnvp1", "rnvp2", "rnvp3", "rnvp4", "rnvp5", "rnvp6", "postcode", "city",
                 "segment", "segment_label", "kind", "rule"],
    "email": ["contact_id", "email", "civility", "first_name", "last_name", "organisation",
              "segment", "segment_label", "kind", "rule"],
    "telephone": ["contact_id", "civility", "first_name", "last_name", "organisation",
                  "phone_e164", "phone_national", "segment", "segment_label", "kind",
                  "next_arrival", "rule"],
}
#: Columns of the written file besides the channel's (used by the campaign-tool formats).
TOOL_EXTRA = ["mobile_e164", "generic_email"]

CIVILITY_OUT = {"M": "M.", "MME": "Mme"}
_FR_E164 = re.compile(r"^\+33[1-9]\d{8}$")


@dataclass
class ExtractResult:
    """Extracted contacts, every decision and the count of exclusions by reason."""

    frame: pd.DataFrame
    excluded: pd.DataFrame          # reason, motif, rule, source, contacts
    selected: int                   # contacts matching the selection, before channel rules
    selection: Selection
    reference_date: dt.date
    law: str                        # the phone rule and calling hours (telephone), else ""
    decisions: pd.DataFrame | None = None  # contact_id, segment, kind, allowed, reason, rule
    extra: pd.DataFrame | None = None      # TOOL_EXTRA columns, rows in the order of ``frame``

    @property
    def kept(self) -> int:
        return len(self.frame)

    @property
    def sender(self) -> str:
        return self.selection.sender

    def summary(self) -> pd.DataFrame:
        """Counts table: selected, each reason, kept (``Motif``, ``Contacts``), then notes."""
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

    def exclusions(self) -> pd.DataFrame:
        """One row per excluded contact: the reason, the rule that applied and its source."""
        cols = ["contact_id", "segment", "kind", "reason", "motif", "rule", "rule_text", "source"]
        if self.decisions is None:
            return pd.DataFrame(columns=cols)
        out = self.decisions[~self.decisions["allowed"]].copy()
        out["motif"] = out["reason"].map(REASONS)
        out["rule_text"] = out["rule"].map(lambda r: rules.RULES_BY_NAME[r].text)
        out["source"] = out["rule"].map(lambda r: rules.RULES_BY_NAME[r].source)
        return out[cols].sort_values("contact_id", kind="stable").reset_index(drop=True)

    def rules_applied(self) -> pd.DataFrame:
        """Each rule that decided (kept or excluded), with its text, source and count."""
        if self.decisions is None or self.decisions.empty:
            return pd.DataFrame(columns=["Règle", "Retenus", "Écartés", "Texte", "Source"])
        d = self.decisions
        t = pd.crosstab(d["rule"], d["allowed"]).reindex(columns=[True, False], fill_value=0)
        order = [r.name for r in rules.RULES if r.name in t.index]
        return pd.DataFrame({
            "Règle": order, "Retenus": t.loc[order, True].to_numpy(),
            "Écartés": t.loc[order, False].to_numpy(),
            "Texte": [rules.RULES_BY_NAME[r].text for r in order],
            "Source": [rules.RULES_BY_NAME[r].source for r in order]})


def phone_law(reference_date: dt.date) -> str:
    """The phone canvassing rule in force for private persons at ``reference_date``, and the
    calling days and hours (printed with every phone extraction)."""
    return rules.calling_hours_notice(reference_date)


def _bool(s: pd.Series | None, index: pd.Index, default: bool = False) -> pd.Series:
    if s is None:
        return pd.Series(default, index=index)
    return rules.flag(s, index)


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


def _phone_pair(numbers: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(E.164, national) of each number, each distinct writing parsed once."""
    uniq = numbers.dropna().unique()
    parsed = {u: phone_formats(u) for u in uniq}
    e164 = numbers.map(lambda v: None if v is None or v not in parsed or parsed[v] is None
                       else parsed[v][0])
    nat = numbers.map(lambda v: None if v is None or v not in parsed or parsed[v] is None
                      else parsed[v][1])
    return e164.astype(object), nat.astype(object)


def _to_date(d: dt.date | pd.Timestamp | str) -> dt.date:
    if isinstance(d, str):
        return dt.date.fromisoformat(d)
    if isinstance(d, pd.Timestamp | dt.datetime):
        return d.date()
    return d


def _assemble(contacts: pd.DataFrame, criteria: pd.DataFrame | None,
              scores: pd.DataFrame | None, sel: Selection) -> pd.DataFrame:
    """One row per contact: golden record, criteria and the RFM category of the scope."""
    base = contacts.drop_duplicates("contact_id").reset_index(drop=True)
    if criteria is not None and len(criteria.columns):
        crit = criteria.drop_duplicates("contact_id")
        extra = [c for c in crit.columns if c == "contact_id" or c not in base.columns]
        base = base.merge(crit[extra], on="contact_id", how="left")
        if "kind" in crit.columns and "kind" in base.columns:
            k = base["contact_id"].map(crit.set_index("contact_id")["kind"])
            base["kind"] = base["kind"].where(base["kind"].isin(KINDS), k)
    if scores is not None and len(scores):
        scope = sel.rfm_scope or (sel.centres[0] if len(sel.centres) == 1 else
                                  (sel.sender if sel.for_centre else NETWORK))
        sc = scores[scores["scope"].astype(str) == str(scope)].drop_duplicates("contact_id")
        base = base.merge(sc[["contact_id", "category"]], on="contact_id", how="left",
                          suffixes=("_old", ""))
    for col in ("kind", "segment", "next_arrival"):
        if col not in base:
            base[col] = None
    base["next_arrival"] = pd.to_datetime(base["next_arrival"], errors="coerce")
    return base


def _channel_facts(base: pd.DataFrame, channel: str, ref: pd.Timestamp) -> pd.DataFrame:
    """The facts :func:`grc.rules.decide` reads for ``channel`` (adds phone columns to base)."""
    idx = base.index
    f = pd.DataFrame({"kind": base["kind"].where(base["kind"].isin(KINDS), None),
                      "retention_expired": _bool(base.get("retention_expired"), idx)}, index=idx)
    if channel == "email":
        f = f.join(cfacts.email_facts(base))
        f["optin_email"] = _bool(base.get("optin_email"), idx)
        for c in ("objection_email", "sender_client", "sender_told"):
            f[c] = base[c].astype(bool)
    elif channel == "telephone":
        e_ph, n_ph = _phone_pair(base.get("phone", pd.Series(None, index=idx, dtype=object)))
        e_mo, n_mo = _phone_pair(base.get("mobile", pd.Series(None, index=idx, dtype=object)))
        base["phone_e164"] = e_ph.where(e_ph.notna(), e_mo)
        base["phone_national"] = n_ph.where(e_ph.notna(), n_mo)
        f["phone_valid"] = base["phone_e164"].notna()
        f["objection_phone"] = base["objection_phone"].astype(bool)
        f["booked"] = (base["next_arrival"].notna() & (base["next_arrival"] > ref)).astype(bool)
        f["bloctel"] = _bool(base.get("bloctel"), idx)
        f["optin_phone"] = _bool(base.get("optin_phone"), idx)
    else:
        f["npai"] = _bool(base.get("npai"), idx)
        no_line6 = base["rnvp6"].isna() if "rnvp6" in base else pd.Series(False, index=idx)
        f["address_valid"] = _bool(base.get("mailable"), idx, default=True) & ~no_line6
        f["objection_post"] = base["objection_post"].astype(bool)
    return f


def extract(contacts: pd.DataFrame, criteria: pd.DataFrame | None, scores: pd.DataFrame | None,
            selection: Selection, reference_date: dt.date | pd.Timestamp | str,
            records: pd.DataFrame | None = None) -> ExtractResult:
    """Contacts of ``selection`` usable on its channel by its sender at ``reference_date``.

    ``contacts``: golden records (SPEC §6 ``contacts.csv``); ``criteria``: the segments frame
    (family, lifecycle, cluster, next_arrival…); ``scores``: ``rfm.csv`` (categories read in
    ``selection.rfm_scope``, else the single selected centre, else the sender's scope);
    ``records``: the source records' facts (:func:`grc.campaigns.facts.records_from_base`) for
    objections, the soft opt-in and a centre's own addresses; without them a centre's contacts
    come from the ``centres`` column and the soft opt-in is never assumed.
    """
    ref_date = _to_date(reference_date)
    ref = pd.Timestamp(ref_date)
    sel = selection
    base = cfacts.attach(_assemble(contacts, criteria, scores, sel), records, sel.sender)
    base = base[targets(base, sel, ref) & base["in_sender"]].reset_index(drop=True)
    facts = _channel_facts(base, sel.channel, ref)
    dec = rules.decide(facts, sel.channel, sel.sender, ref_date, sel.purpose)
    base["rule"] = dec["rule"]
    if sel.channel == "email":
        base["generic_email"] = facts["generic_email"]
        base["mobile_e164"] = _phone_pair(base.get("mobile", pd.Series(None, index=base.index,
                                                                       dtype=object)))[0]
    decisions = pd.DataFrame({"contact_id": base["contact_id"], "segment": base["segment"],
                              "kind": facts["kind"], "allowed": dec["allowed"],
                              "reason": dec["reason"], "rule": dec["rule"]})
    excluded = _count_exclusions(dec)
    kept = base[dec["allowed"].to_numpy()].copy()
    if "civility" in kept:
        kept["civility"] = kept["civility"].map(
            lambda c: CIVILITY_OUT.get(c, c) if isinstance(c, str) else None)
    cols = OUTPUT_COLUMNS[sel.channel]
    for c in cols + TOOL_EXTRA:
        if c not in kept:
            kept[c] = None
    kept = kept.sort_values("contact_id", kind="stable").reset_index(drop=True)
    return ExtractResult(kept[cols], excluded, len(base), sel, ref_date,
                         phone_law(ref_date) if sel.channel == "telephone" else "", decisions,
                         kept[TOOL_EXTRA])


def _count_exclusions(dec: pd.DataFrame) -> pd.DataFrame:
    out = dec[~dec["allowed"]]
    counts = out["reason"].value_counts()
    frame = pd.DataFrame({"reason": [k for k in REASONS if k in counts.index]})
    frame["motif"] = frame["reason"].map(REASONS)
    frame["rule"] = frame["reason"].map(lambda k: rules.REASONS[k][1].name)
    frame["source"] = frame["reason"].map(lambda k: rules.REASONS[k][1].source)
    frame["contacts"] = frame["reason"].map(counts).astype(int)
    return frame


# --- reading the run's outputs ------------------------------------------------------------

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
    scores = (_read_export(rfm_path) if rfm_path.exists()
              else pd.DataFrame(columns=["scope", "contact_id", "category"]))
    return contacts, criteria, scores


def load_records(config: NetworkConfig) -> pd.DataFrame | None:
    """The source records' facts from the network base (None when there is no base)."""
    return cfacts.records_from_base(config)


# --- command line -------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    from grc.campaigns.formats import FORMATS

    p = argparse.ArgumentParser(
        prog="grc extract",
        description="Extraire un fichier qualifié pour une campagne (courrier, e-mail, téléphone) "
                    "envoyée par le réseau ou par un centre.")
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
    p.add_argument("--for", dest="sender", metavar="CODE|NETWORK",
                   help="expéditeur de la campagne : un code centre (ses seuls contacts, son "
                        "soft opt-in) ou NETWORK, la tête de réseau (par défaut)")
    p.add_argument("--purpose", choices=PURPOSES,
                   help="appel au sujet d'un séjour réservé à venir (exception légale)")
    p.add_argument("--rfm-scope", dest="rfm_scope", help="périmètre des catégories RFM (centre ou NETWORK)")
    p.add_argument("--reference-date", dest="reference_date",
                   help="date de référence AAAA-MM-JJ (par défaut celle de la configuration)")
    p.add_argument("--format", dest="fmt", choices=FORMATS,
                   help="csv (Excel français), xlsx, brevo ou mailchimp (fichier d'import de "
                        "l'outil) ; par défaut selon l'extension de --out")
    p.add_argument("--out", help="fichier de sortie")
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


def _check_sender(config: NetworkConfig, sel: Selection) -> None:
    if not sel.for_centre:
        return
    try:
        codes = config.centre_codes()
    except ConfigError:
        return
    if codes and sel.sender not in codes:
        raise ConfigError(f"--for {sel.sender} : centre inconnu ; indiquez NETWORK ou l'un des "
                          f"codes {', '.join(codes[:12])}{'…' if len(codes) > 12 else ''}.")


def _default_out(config: NetworkConfig, sel: Selection, ref: dt.date, fmt: str | None) -> Path:
    from grc.campaigns.formats import extension

    who = f"_{sel.sender}" if sel.for_centre else ""
    tool = f"_{fmt}" if fmt in ("brevo", "mailchimp") else ""
    name = f"extraction_{sel.channel}{who}{tool}_{ref.isoformat()}{extension(fmt or 'csv')}"
    return config.exports_dir / "extractions" / name


def cli_extract(argv: list[str] | None = None) -> int:
    """``grc extract``: write a qualified extraction; returns the exit status."""
    from grc.campaigns.formats import write_extract

    args = build_parser().parse_args(argv)
    try:
        config = load_config(args.config)
        sel = selection_from_args(args)
        _check_sender(config, sel)
        if args.fmt in ("brevo", "mailchimp") and sel.channel != "email":
            raise ConfigError(f"Le format {args.fmt} est un fichier d'import e-mail : utilisez "
                              "--channel email (ou --format csv/xlsx).")
        ref = _to_date(args.reference_date) if args.reference_date else config.reference_date
        contacts, criteria, scores = load_frames(config)
        result = extract(contacts, criteria, scores, sel, ref, records=load_records(config))
        out = Path(args.out) if args.out else _default_out(config, sel, ref, args.fmt)
        written = write_extract(result, out, args.fmt)
    except (ConfigError, ValueError) as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
    _print_result(result, written)
    return 0


def _print_result(result: ExtractResult, written: list[Path]) -> None:
    sel = result.selection
    n_out = int(result.excluded["contacts"].sum())
    print(f"Extraction {sel.channel} ({sel.describe()}) : {result.kept} contacts retenus "
          f"sur {result.selected} sélectionnés, {n_out} écartés.")
    for motif, n, src in zip(result.excluded["motif"], result.excluded["contacts"],
                             result.excluded["source"], strict=True):
        print(f"  - {motif} : {n} ({src})")
    applied = result.rules_applied()
    kept = applied[applied["Retenus"] > 0]
    if len(kept):
        print("Retenus au titre de : " + " ; ".join(
            f"{rules.RULES_BY_NAME[r].label} ({n})"
            for r, n in zip(kept["Règle"], kept["Retenus"], strict=True)))
    if result.law:
        print(result.law)
    print(f"Fichier écrit : {written[0]}")
    for extra in written[1:]:
        print(f"  et : {extra}")


def write_extract(result: ExtractResult, path: str | Path, fmt: str | None = None) -> Path:
    """Write the extraction and its exclusion files (see :mod:`grc.campaigns.formats`)."""
    from grc.campaigns.formats import write_extract as _write

    return _write(result, path, fmt)[0]
