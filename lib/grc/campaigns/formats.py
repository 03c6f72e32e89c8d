"""Writing an extraction: for Excel (csv, xlsx) or as a campaign tool's import file.

Every file goes through :mod:`grc.safefiles` (formula-like cells neutralised). Beside the file,
``<name>.exclusions.csv`` lists each excluded contact with the rule that applied and its
source, and ``<name>.resume.csv`` the counts, the rules that kept contacts and, for a phone
extraction, the calling days and hours (an xlsx file holds them as sheets instead).

Campaign tools, as their import documentation describes the file (checked December 2026):

- **Brevo** (help.brevo.com, « Create a file to import your contacts » / « Format your contact
  import file »): .csv, .txt or .xlsx with one sheet; separator ``;``, ``,`` or tab; UTF-8 or
  Windows-1252; headers named after the contact attributes: ``EMAIL``, ``FIRSTNAME``,
  ``LASTNAME`` (default attributes; accounts created in French may call them ``PRENOM`` and
  ``NOM``), ``SMS`` for the mobile number with ``+`` and the country code and no separator,
  ``EXT_ID`` for our identifier; other columns become attributes at the mapping step.
- **Mailchimp** (mailchimp.com/help, « Format Guidelines for Your Import File »): UTF-8 CSV with a
  header row matched to the audience's fields; ``Email Address`` is the only required one, one
  address per contact; ``First Name``, ``Last Name``, ``Phone Number`` are default fields; text
  fields hold at most 255 bytes (company, segment…).

Neither tool takes consent from a column: the import wizard asks to confirm the contacts'
status (Brevo: opted-in contacts; Mailchimp: "Subscribed"). The files therefore carry the
legal basis of each contact in a text attribute (``BASE_LEGALE`` / ``Base legale``): consent,
soft opt-in of the sending centre, professional or generic address. The SMS/phone column is
filled only for professionals (B2B) who did not object to the phone: SMS prospecting of a
private person needs their consent to SMS, which the common schema does not record.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from grc import rules, safefiles
from grc.config import ConfigError

FORMATS = ("csv", "xlsx", "brevo", "mailchimp")
TOOLS = ("brevo", "mailchimp")

#: French headers of the csv/xlsx file.
HEADERS: dict[str, str] = {
    "contact_id": "Identifiant", "civility": "Civilité", "first_name": "Prénom",
    "last_name": "Nom", "organisation": "Organisation", "rnvp1": "Ligne 1", "rnvp2": "Ligne 2",
    "rnvp3": "Ligne 3", "rnvp4": "Ligne 4", "rnvp5": "Ligne 5", "rnvp6": "Ligne 6",
    "postcode": "Code postal", "city": "Ville", "segment": "Segment",
    "segment_label": "Libellé segment", "kind": "Type", "email": "E-mail",
    "phone_e164": "Téléphone (E.164)", "phone_national": "Téléphone", "next_arrival":
    "Prochain séjour", "rule": "Règle appliquée",
}
EXCLUSION_HEADERS = {
    "contact_id": "Identifiant", "segment": "Segment", "kind": "Type", "reason": "Code motif",
    "motif": "Motif", "rule": "Règle", "rule_text": "Texte de la règle", "source": "Source",
}

#: Brevo import columns (header -> our column), documented names first.
BREVO_COLUMNS: dict[str, str] = {
    "EMAIL": "email", "FIRSTNAME": "first_name", "LASTNAME": "last_name", "SMS": "sms",
    "EXT_ID": "contact_id", "CIVILITE": "civility", "ORGANISATION": "organisation",
    "SEGMENT": "segment", "TYPE_CONTACT": "kind", "BASE_LEGALE": "basis",
}
BREVO_DOCUMENTED = ("EMAIL", "FIRSTNAME", "LASTNAME", "SMS", "EXT_ID")
#: Mailchimp import columns (header -> our column), default audience fields first.
MAILCHIMP_COLUMNS: dict[str, str] = {
    "Email Address": "email", "First Name": "first_name", "Last Name": "last_name",
    "Phone Number": "sms", "Company": "organisation", "Segment": "segment",
    "Contact Type": "kind", "Base legale": "basis",
}
MAILCHIMP_DOCUMENTED = ("Email Address", "First Name", "Last Name", "Phone Number")
TOOL_SPECS = {  # separator, encoding
    "brevo": (";", "utf-8"), "mailchimp": (",", "utf-8"),
}
#: The legal basis written in the tools' files, by rule name.
BASIS = {
    "email_b2c_consent": "consentement", "email_soft_optin": "soft opt-in du centre",
    "email_b2b": "professionnel (droit d'opposition)",
    "email_generic": "adresse générique d'organisme",
}


def extension(fmt: str) -> str:
    return ".xlsx" if fmt == "xlsx" else ".csv"


def _format_of(path: Path, fmt: str | None) -> str:
    suffix = path.suffix.lower()
    if fmt is None:
        if suffix not in (".csv", ".xlsx"):
            raise ConfigError(f"{path} : extension .csv ou .xlsx attendue (ou précisez --format).")
        return suffix[1:]
    if fmt not in FORMATS:
        raise ConfigError(f"Format inconnu « {fmt} » : {', '.join(FORMATS)}.")
    if suffix != extension(fmt):
        raise ConfigError(f"{path} : le format {fmt} s'écrit dans un fichier {extension(fmt)}.")
    return fmt


def sidecar(path: str | Path, kind: str) -> Path:
    """``<name>.exclusions.csv`` or ``<name>.resume.csv`` beside ``path``."""
    p = Path(path)
    return p.with_name(f"{p.stem}.{kind}.csv")


def exclusions_path(path: str | Path) -> Path:
    """The per-contact exclusion file of an extraction: ``<name>.exclusions.csv``."""
    return sidecar(path, "exclusions")


def _excel_frame(result) -> pd.DataFrame:
    out = result.frame.copy()
    if "next_arrival" in out:
        out["next_arrival"] = pd.to_datetime(out["next_arrival"]).dt.strftime("%d/%m/%Y")
    return out.rename(columns=HEADERS)


def _summary(result) -> pd.DataFrame:
    applied = result.rules_applied()
    notes = pd.DataFrame({
        "Motif": [f"Règle « {rules.RULES_BY_NAME[r].label} » ({r}) : {n} retenus, {x} écartés — "
                  f"{t} ({s})" for r, n, x, t, s in zip(
            applied["Règle"], applied["Retenus"], applied["Écartés"], applied["Texte"],
            applied["Source"], strict=True)],
        "Contacts": [None] * len(applied)})
    return pd.concat([result.summary(), notes], ignore_index=True)


def tool_frame(result, tool: str) -> pd.DataFrame:
    """The rows of a campaign tool's import file (headers of the tool)."""
    if result.selection.channel != "email":
        raise ConfigError(f"Le format {tool} est un fichier d'import e-mail : utilisez "
                          "--channel email (ou --format csv/xlsx pour le courrier et le téléphone).")
    src = result.frame.copy()
    extra = result.extra if result.extra is not None else pd.DataFrame(index=src.index)
    b2b = src["kind"].eq("B2B")
    mobile = extra.get("mobile_e164", pd.Series(None, index=src.index, dtype=object))
    src["sms"] = mobile.where(b2b, None)
    src["basis"] = src["rule"].map(BASIS)
    columns = BREVO_COLUMNS if tool == "brevo" else MAILCHIMP_COLUMNS
    out = pd.DataFrame({head: src[col] for head, col in columns.items()})
    for head in out.columns:  # Mailchimp's text fields hold 255 bytes
        out[head] = out[head].map(lambda v: v[:255] if isinstance(v, str) else v)
    return out


_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
PHONE_HEADERS = ("SMS", "Phone Number")


def _write_tool_csv(frame: pd.DataFrame, path: Path, sep: str, encoding: str) -> None:
    """A tool's CSV, every cell neutralised by :mod:`grc.safefiles` except the phone numbers
    that are strictly E.164 (``+`` then digits only, as the tools require: no formula)."""
    safe = safefiles.csv_safe(frame)
    for head in PHONE_HEADERS:
        if head in frame:
            ok = frame[head].astype("string").str.fullmatch(_E164).fillna(False).astype(bool)
            safe[head] = safe[head].where(~ok, frame[head])
    safe.to_csv(path, sep=sep, encoding=encoding, index=False)


def _write_xlsx(path: Path, sheets: dict[str, pd.DataFrame]) -> None:
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        for name, frame in sheets.items():
            safefiles.xlsx_safe_frame(frame).to_excel(xl, sheet_name=name, index=False)
            safefiles.text_cells_as_text(xl.sheets[name])


def write_extract(result, path: str | Path, fmt: str | None = None) -> list[Path]:
    """Write the extraction in ``fmt`` (by default from the extension) and its exclusions.

    Returns the files written, the extraction first.
    """
    path = Path(path)
    fmt = _format_of(path, fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    exclusions = result.exclusions().rename(columns=EXCLUSION_HEADERS)
    if fmt == "xlsx":
        _write_xlsx(path, {"Extraction": _excel_frame(result), "Exclusions": exclusions,
                           "Résumé": _summary(result)})
        return [path]
    if fmt == "csv":
        safefiles.write_csv(_excel_frame(result), path, sep=";", encoding="utf-8-sig")
    else:
        sep, enc = TOOL_SPECS[fmt]
        _write_tool_csv(tool_frame(result, fmt), path, sep, enc)
    excl, summ = sidecar(path, "exclusions"), sidecar(path, "resume")
    safefiles.write_csv(exclusions, excl, sep=";", encoding="utf-8-sig")
    safefiles.write_csv(_summary(result), summ, sep=";", encoding="utf-8-sig")
    return [path, excl, summ]
