"""A network contact's lineage: its source records, every change, every merge (``grc history``)."""

from __future__ import annotations

import json

import pandas as pd

from grc.config import NetworkConfig
from grc.store import base as db


def contact_history(cfg: NetworkConfig, contact_id: str, full: bool = True) -> dict[str, pd.DataFrame]:
    """Frames describing one contact: ``records`` (source records linked to it, with the years
    each was exported), ``events`` (history rows: new, changes, merges, no longer exported),
    ``raw`` (rows as received, per year) and ``golden`` (its golden record); without ``full``,
    ``raw`` and ``golden`` are left empty (not read)."""
    con = db.connect(cfg.db_path, read_only=True)
    try:
        links = db.read_table(con, "record_links", "WHERE contact_id = ?", [contact_id])
        # records that belonged to this contact earlier (merges, unmerges)
        events = db.read_table(con, "history", "WHERE contact_id = ? OR new_value = ? OR old_value = ?",
                               [contact_id, contact_id, contact_id])
        keys = pd.concat([links[["centre", "local_id"]] if len(links) else pd.DataFrame(columns=["centre", "local_id"]),
                          events[["centre", "local_id"]] if len(events) else pd.DataFrame(columns=["centre", "local_id"])]
                         ).drop_duplicates()
        if len(keys):
            con.register("_keys", keys)
            more = con.execute('SELECT h.* FROM history h JOIN _keys k ON h.centre = k.centre '
                               'AND h.local_id = k.local_id').df()
            recs = con.execute('SELECT r.centre, r.local_id, r.year, r.row FROM records r JOIN _keys k '
                               'ON r.centre = k.centre AND r.local_id = k.local_id ORDER BY 1, 2, 3').df()
            raw = con.execute('SELECT w.centre, w.year, w.row, w.sha256, w.run_id, w.data FROM raw_contacts w '
                              'JOIN (SELECT r.centre, r.year, r.row FROM records r JOIN _keys k '
                              'ON r.centre = k.centre AND r.local_id = k.local_id) x '
                              'ON w.centre = x.centre AND w.year = x.year AND w.row = x.row '
                              'ORDER BY 1, 2').df() if full else pd.DataFrame()
            con.unregister("_keys")
            events = pd.concat([events, more]).drop_duplicates()
        else:
            recs = raw = pd.DataFrame()
        golden = db.read_table(con, "contacts", "WHERE contact_id = ?", [contact_id]) if full \
            else pd.DataFrame()
    finally:
        con.close()
    if len(events):
        events = events.sort_values(["year", "centre", "local_id", "event", "field"], na_position="first")
    if len(recs):
        years = recs.groupby(["centre", "local_id"])["year"].agg(lambda s: ", ".join(map(str, sorted(s))))
        records = links.merge(years.rename("years").reset_index(), on=["centre", "local_id"], how="outer") \
            if len(links) else years.rename("years").reset_index()
    else:
        records = links
    return {"records": records, "events": events, "raw": raw, "golden": golden}


EVENT_LABELS = {
    "nouveau": "nouvelle fiche", "modification": "modification", "plus_exporte": "plus exportée",
    "reexporte": "de nouveau exportée", "fusion": "rattachement (fusion/séparation)",
}


def format_history(contact_id: str, frames: dict[str, pd.DataFrame]) -> str:
    """A readable French lineage for the terminal."""
    lines = [f"Contact réseau {contact_id}"]
    g = frames["golden"]
    if len(g):
        row = g.iloc[0]
        name = " ".join(str(row[c]) for c in ("civility", "first_name", "last_name") if c in row and pd.notna(row[c]))
        org = row.get("organisation")
        lines.append(f"  Fiche de référence : {name}" + (f" — {org}" if isinstance(org, str) else ""))
        if "centres" in row:
            lines.append(f"  Centres : {row['centres']}")
    lines.append("Fiches sources :")
    for r in frames["records"].itertuples(index=False):
        cur = getattr(r, "contact_id", None)
        tag = "" if cur == contact_id else f" (aujourd'hui rattachée à {cur})"
        lines.append(f"  - {r.centre}:{r.local_id} exportée en {getattr(r, 'years', '?')}{tag}")
    lines.append("Événements :")
    ev = frames["events"]
    if ev.empty:
        lines.append("  (aucun)")
    for e in ev.itertuples(index=False):
        label = EVENT_LABELS.get(e.event, e.event)
        detail = ""
        if isinstance(e.field, str) and e.field:
            detail = f" {e.field} : « {e.old_value} » → « {e.new_value} »"
        lines.append(f"  - {e.year} {e.centre}:{e.local_id} {label}{detail}")
    raw = frames["raw"]
    if len(raw):
        lines.append("Lignes reçues (telles quelles) :")
        for r in raw.itertuples(index=False):
            data = json.loads(r.data)
            short = ", ".join(f"{k}={v}" for k, v in list(data.items())[:6] if v)
            lines.append(f"  - {r.centre} {r.year} ligne {r.row} : {short} …")
    return "\n".join(lines)


def lineage_tables(cfg: NetworkConfig, contact_id: str | None = None,
                   centre: str | None = None) -> tuple[str, pd.DataFrame, pd.DataFrame]:
    """Masked lineage of one contact for a report cell: (contact_id, records, events).

    Without ``contact_id`` the example is the contact of the scope with the most events
    (merges first). Values are masked (``grc.reports.workbook.mask``): reports show no personal data.
    With ``centre``, only that centre's records and events are shown.
    """
    from grc.reports.workbook import mask

    if contact_id is None:
        con = db.connect(cfg.db_path, read_only=True)
        try:
            where = "WHERE centre = ?" if centre else ""
            params = [centre] if centre else []
            row = con.execute(
                f"SELECT contact_id, sum(CASE WHEN event = 'fusion' THEN 10 ELSE 1 END) AS w "
                f"FROM history {where} GROUP BY 1 ORDER BY w DESC, contact_id LIMIT 1", params).fetchall()
        finally:
            con.close()
        if not row:
            return "", pd.DataFrame(), pd.DataFrame()
        contact_id = row[0][0]
    frames = contact_history(cfg, contact_id, full=False)  # no raw rows, no golden record
    recs, ev = frames["records"].copy(), frames["events"].copy()
    if centre:
        recs = recs[recs["centre"] == centre] if len(recs) else recs
        ev = ev[ev["centre"] == centre] if len(ev) else ev
    if len(ev):
        ev["event"] = ev["event"].map(lambda e: EVENT_LABELS.get(e, e))
        for c in ("old_value", "new_value"):
            ev[c] = [v if f == "contact_id" else mask(v) for v, f in zip(ev[c], ev["field"], strict=True)]
        ev = ev[["year", "centre", "local_id", "event", "field", "old_value", "new_value"]]
    return contact_id, recs.reset_index(drop=True), ev.reset_index(drop=True)
