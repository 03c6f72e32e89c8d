"""Retention (CNIL délibération 2021-131): who is past the three-year limit, and the purge.

A prospect is kept three years from its collection or its last contact with the network, a
client three years after the end of the relationship (its last stay). ``grc purge --before
DATE`` anonymises, in the network base, every network contact whose retention limit falls
before DATE; ``--dry-run`` says what would go (counts per centre, no personal data). What is
anonymised or deleted, table by table, is declared in the catalogue (``grc.store.catalogue``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from grc import rules
from grc.config import NetworkConfig
from grc.store import base as db
from grc.store import catalogue as cat


def retention_limits(qualified: pd.DataFrame, stays: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """Per network contact: last activity (stay, creation or update) and retention limit."""
    q = qualified.merge(links[["centre", "local_id", "contact_id"]], on=["centre", "local_id"])
    act = pd.concat([pd.to_datetime(q["created_at"], errors="coerce"),
                     pd.to_datetime(q["updated_at"], errors="coerce")], axis=1).max(axis=1)
    last = pd.DataFrame({"contact_id": q["contact_id"], "last": act}).groupby("contact_id")["last"].max()
    if len(stays):
        ls = stays.assign(arrival=pd.to_datetime(stays["arrival"])).groupby("contact_id")["arrival"].max()
        last = pd.concat([last, ls], axis=1).max(axis=1)
        client = last.index.isin(ls.index)
    else:
        client = [False] * len(last)
    out = pd.DataFrame({"contact_id": last.index, "last_activity": last.to_numpy(), "client": client})
    out["limit"] = out["last_activity"] + pd.DateOffset(years=rules.RETENTION_YEARS)
    return out


@dataclass
class PurgeResult:
    before: dt.date
    dry_run: bool
    contacts: int = 0
    records: int = 0
    per_centre: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        verb = "seraient anonymisés" if self.dry_run else "ont été anonymisés"
        lines = [f"Durée de conservation dépassée avant le {self.before:%d/%m/%Y} : {self.contacts} "
                 f"contacts réseau ({self.records} fiches sources) {verb}."]
        for c, n in sorted(self.per_centre.items()):
            lines.append(f"  - {c} : {n} fiches")
        if self.dry_run:
            lines.append("Simulation (--dry-run) : rien n'a été modifié.")
        return "\n".join(lines)


def purge(cfg: NetworkConfig, before: str | dt.date, dry_run: bool = False) -> PurgeResult:
    """Anonymise the contacts whose retention limit is before ``before``."""
    before_d = before if isinstance(before, dt.date) else dt.date.fromisoformat(str(before))
    res = PurgeResult(before_d, dry_run)
    if not cfg.db_path.exists():
        raise db.BaseError(f"Base réseau absente : {cfg.db_path}. Lancez d'abord « grc run ».")
    ctx = db.connect(cfg.db_path, read_only=True) if dry_run else None
    if dry_run:
        try:
            _purge(ctx, res, dry_run=True)
        finally:
            ctx.close()
        return res
    with db.transaction(cfg.db_path) as con:
        _purge(con, res, dry_run=False)
    return res


def _purge(con, res: PurgeResult, dry_run: bool) -> None:
    q = db.read_table(con, "qualified")
    links = db.read_table(con, "record_links")
    stays = db.read_table(con, "stays_linked")
    if q.empty:
        return
    lim = retention_limits(q, stays, links)
    gone = lim.loc[lim["limit"] < pd.Timestamp(res.before), "contact_id"]
    keys = links[links["contact_id"].isin(gone)][["centre", "local_id"]]
    res.contacts, res.records = int(gone.nunique()), len(keys)
    res.per_centre = {str(k): int(v) for k, v in keys.groupby("centre").size().items()}
    if dry_run or keys.empty:
        return
    purge_persons(con, keys, set(gone))
    db.append(con, "purges", pd.DataFrame([{
        "date": dt.date.today().isoformat(), "before": res.before.isoformat(),
        "contacts": res.contacts, "records": res.records}]))


def purge_persons(con, keys: pd.DataFrame, contact_ids: set[str]) -> dict[str, int]:
    """In every table of the catalogue holding personal data, anonymise or delete (as declared)
    the rows about these records (``keys``: centre, local_id) and network contacts; tables
    without personal data keep their rows (statistics). Return the rows touched per table."""
    done: dict[str, int] = {}
    with cat.persons(con, keys, contact_ids):
        for t in cat.person_tables():
            if t.purge == "keep" or not cat.present(con, t):
                continue
            cols = {r[0] for r in con.execute(f'DESCRIBE "{t.name}"').fetchall()}
            sets = ", ".join(f'"{c}" = {t.anonymised_as.get(c, "NULL")}' for c in t.personal if c in cols)
            extra = f" AND ({t.purge_where})" if t.purge_where else ""
            for src, cond in cat.person_matches(t):
                if t.purge == "delete":
                    sql = f'DELETE FROM "{t.name}" t USING {src} WHERE {cond}{extra}'
                elif sets:
                    sql = f'UPDATE "{t.name}" t SET {sets} FROM {src} WHERE {cond}{extra}'
                else:
                    continue
                done[t.name] = done.get(t.name, 0) + int(con.execute(sql).fetchall()[0][0])
    return done
