"""What the rule book needs to know of each contact, for one channel and one sender.

Per source record (one centre's fiche): whether the person stayed at that centre, whether
they were told of the soft opt-in when the centre collected their address, the objections
recorded there (optional schema fields ``objection``, ``objection_email``, ``objection_phone``,
``objection_post``, ``soft_optin_told``), and the centre's own e-mail and consent. A centre may
also say in its correspondence table since when its booking forms tell clients of the soft
opt-in (``soft_optin_told_since: AAAA-MM-JJ``): its records created since that day count as told.

Per network contact, for a sender: an objection on any record excludes the channels it names
for every sender; a centre's campaign uses the address and consent that centre collected, and
the soft opt-in of that centre only.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from grc import rules
from grc.config import NetworkConfig

OBJECTION_FIELDS = {"email": "objection_email", "telephone": "objection_phone",
                    "courrier": "objection_post"}
OPTIONAL_FIELDS = ["objection", *OBJECTION_FIELDS.values(), "soft_optin_told"]
#: A centre's own values of its contact (its record), used for that centre's campaigns so that
#: its files hold nothing another centre collected.
OWN_TEXT = ["civility", "first_name", "last_name", "organisation", "phone", "mobile", "rnvp1",
            "rnvp2", "rnvp3", "rnvp4", "rnvp5", "rnvp6", "postcode", "city"]
OWN_FLAGS = ["optin_phone", "npai", "mailable", "bloctel"]
RECORD_COLUMNS = ["centre", "local_id", "contact_id", "email", "optin_email", "created_at",
                  "stayed", *OPTIONAL_FIELDS]
TOLD_SINCE_KEY = "soft_optin_told_since"

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def records_from_base(config: NetworkConfig) -> pd.DataFrame | None:
    """Current records of the base with their contact and the facts above (None: no base)."""
    from grc.store import base as db

    path = config.db_path
    if not path.exists():
        return None
    con = db.connect(path, read_only=True)
    try:
        if not (db.has_table(con, "qualified") and db.has_table(con, "record_links")):
            return None
        have = {r[0] for r in con.execute('DESCRIBE "qualified"').fetchall()}
        opt = ", ".join(f'q."{c}"' if c in have else f'NULL AS "{c}"' for c in OPTIONAL_FIELDS)
        opt += "".join(f', q."{c}"' for c in OWN_TEXT + OWN_FLAGS if c in have)
        stays = db.has_table(con, "stays")
        stayed = ("s.contact_local_id IS NOT NULL" if stays else "FALSE")
        join = ("LEFT JOIN (SELECT DISTINCT centre, contact_local_id FROM stays) s "
                "ON s.centre = q.centre AND s.contact_local_id = q.local_id" if stays else "")
        frame = con.execute(
            f'SELECT q.centre, q.local_id, l.contact_id, q.email, q.optin_email, q.created_at, '
            f'{stayed} AS stayed, {opt} FROM qualified q JOIN record_links l '
            f'ON l.centre = q.centre AND l.local_id = q.local_id {join}').df()
        past = _past_objections(con)
    finally:
        con.close()
    return with_centre_notice(with_past_objections(frame, past), _told_since(config))


def _past_objections(con) -> pd.DataFrame | None:
    """Objections written in any year's export (``records`` keeps every year's rows)."""
    from grc.store import base as db

    if not db.has_table(con, "records"):
        return None
    have = {r[0] for r in con.execute('DESCRIBE "records"').fetchall()}
    cols = [c for c in ("objection", *OBJECTION_FIELDS.values()) if c in have]
    if not cols:
        return None
    any_set = " OR ".join(f'"{c}" IS NOT NULL' for c in cols)
    selected = ", ".join(f'"{c}"' for c in cols)
    return con.execute(f"SELECT centre, local_id, {selected} FROM records WHERE {any_set}").df()


def with_past_objections(records: pd.DataFrame, past: pd.DataFrame | None) -> pd.DataFrame:
    """Objection columns as booleans, true when any year's export of the record had one: an
    objection is never forgotten because a later export left the column empty."""
    out = records.copy()
    cols = ["objection", *OBJECTION_FIELDS.values()]
    for c in cols:
        out[c] = rules.recorded(out.get(c), out.index)
    if past is None or past.empty:
        return out
    flags = pd.DataFrame({c: rules.recorded(past.get(c), past.index) for c in cols})
    flags[["centre", "local_id"]] = past[["centre", "local_id"]]
    hit = flags.groupby(["centre", "local_id"])[cols].any()
    key = pd.MultiIndex.from_frame(out[["centre", "local_id"]])
    for c in cols:
        out[c] |= key.isin(hit.index[hit[c].to_numpy()])
    return out


def _told_since(config: NetworkConfig) -> dict[str, dt.date]:
    out: dict[str, dt.date] = {}
    try:
        codes = config.centre_codes()
    except Exception:  # noqa: BLE001 - no correspondence tables: no centre notice
        return out
    for code in codes:
        value = config.centre(code).extra.get(TOLD_SINCE_KEY)
        if value:
            out[code] = pd.Timestamp(value).date()
    return out


def with_centre_notice(records: pd.DataFrame, told_since: dict[str, dt.date]) -> pd.DataFrame:
    """Records with ``soft_optin_told`` also true where the centre's forms told the client.

    ``told_since``: centre -> first day its forms gave the soft opt-in notice; a record created
    on or after that day counts as told (a record's own ``soft_optin_told`` counts anyway).
    """
    out = records.copy()
    told = rules.recorded(out.get("soft_optin_told"), out.index)
    if told_since:
        created = pd.to_datetime(out["created_at"], errors="coerce")
        since = pd.to_datetime(out["centre"].map(told_since), errors="coerce")
        told |= (created >= since).fillna(False).astype(bool)
    out["soft_optin_told"] = told
    return out


def objections(records: pd.DataFrame) -> pd.DataFrame:
    """Per contact: ``objection_email``, ``objection_phone``, ``objection_post`` (any record)."""
    idx = records.index
    every = rules.recorded(records.get("objection"), idx)
    cols = {col: every | rules.recorded(records.get(col), idx) for col in OBJECTION_FIELDS.values()}
    frame = pd.DataFrame({"contact_id": records["contact_id"], **cols})
    return frame.groupby("contact_id").any()


def sender_view(records: pd.DataFrame, sender: str) -> pd.DataFrame:
    """Per contact of centre ``sender``: that centre's e-mail and consent, client, told."""
    mine = records[records["centre"].astype(str) == str(sender)].copy()
    mine["optin_email"] = rules.flag(mine["optin_email"], mine.index)
    mine["stayed"] = rules.flag(mine.get("stayed"), mine.index)
    mine["_has_email"] = mine["email"].notna()
    mine["_told"] = rules.recorded(mine.get("soft_optin_told"), mine.index)
    mine["_created"] = pd.to_datetime(mine.get("created_at"), errors="coerce")
    mine = mine.sort_values(["contact_id", "_has_email", "_created"], na_position="first")
    g = mine.groupby("contact_id")
    last = g.tail(1).set_index("contact_id")
    view = pd.DataFrame({
        "in_sender": True,
        "sender_email": last["email"],
        "sender_optin_email": g["optin_email"].any(),
        "sender_client": g["stayed"].any(),
        "sender_told": (mine["_told"] & mine["stayed"]).groupby(mine["contact_id"]).any(),
    })
    latest = mine.sort_values(["contact_id", "_created"], na_position="first").groupby(
        "contact_id").tail(1).set_index("contact_id")
    for c in OWN_TEXT + OWN_FLAGS:
        if c in latest:
            view[f"own_{c}"] = (rules.flag(latest[c], latest.index) if c in OWN_FLAGS
                                else latest[c])
    return view


def _true_for(ids: pd.Series, flags: pd.Series) -> pd.Series:
    """For each id, its flag in ``flags`` (indexed by id); False for an unknown id."""
    return ids.isin(flags.index[flags.to_numpy(dtype=bool)])


def attach(base: pd.DataFrame, records: pd.DataFrame | None, sender: str) -> pd.DataFrame:
    """``base`` (one row per contact) with objection and sender columns, defaults when absent.

    Without records, objections are read from the contacts' own columns (if any) and a centre's
    contacts from the ``centres`` column; the soft opt-in is then never assumed.
    """
    out = base.copy()
    idx = out.index
    if records is not None and len(records):
        obj = objections(records)
        for col in OBJECTION_FIELDS.values():
            out[col] = _true_for(out["contact_id"], obj[col])
    else:
        every = rules.recorded(out.get("objection"), idx)
        for col in OBJECTION_FIELDS.values():
            out[col] = every | rules.recorded(out.get(col), idx)
    out["in_sender"] = True
    out["sender_client"] = False
    out["sender_told"] = False
    if sender == rules.NETWORK_SENDER:
        return out
    from grc.campaigns.selection import in_centres

    if records is not None and len(records):
        view = sender_view(records, sender)
        cid = out["contact_id"]
        out["in_sender"] = cid.isin(view.index)
        for col, src in (("sender_client", "sender_client"), ("sender_told", "sender_told"),
                         ("optin_email", "sender_optin_email")):
            out[col] = _true_for(cid, view[src])
        # a centre e-mails the address it collected, under the consent given to it, and writes
        # to or calls its contact with what it collected itself
        out["email"] = cid.map(view["sender_email"]).where(out["in_sender"], None)
        for c in OWN_TEXT:
            if f"own_{c}" in view:
                out[c] = cid.map(view[f"own_{c}"]).where(out["in_sender"], None)
        for c in OWN_FLAGS:
            if f"own_{c}" in view:
                out[c] = _true_for(cid, view[f"own_{c}"])
    else:
        cent = out["centres"] if "centres" in out else pd.Series(None, index=idx, dtype=object)
        out["in_sender"] = in_centres(cent, {sender})
    return out


def email_facts(base: pd.DataFrame) -> pd.DataFrame:
    """``email_valid``, ``email_typo`` and ``generic_email`` of each contact (vectorised)."""
    email = base["email"].astype("string").str.strip() if "email" in base else \
        pd.Series(pd.NA, index=base.index, dtype="string")
    valid = email.str.match(_EMAIL_RE).fillna(False).astype(bool)
    domain = email.where(valid).str.rpartition("@")[2].str.lower()
    typo = pd.Series(False, index=base.index)
    uniq = domain.dropna().unique()
    if len(uniq):
        from grc.qualify.records import suggest_domain

        bad = {d for d in uniq if suggest_domain(d)}
        typo = domain.isin(bad).fillna(False).astype(bool)
    return pd.DataFrame({"email_valid": valid, "email_typo": typo,
                         "generic_email": rules.generic_email(email) & valid}, index=base.index)
