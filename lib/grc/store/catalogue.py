"""The catalogue of the network base: every table declared once.

A declaration says what a table is (its columns and their DuckDB types, its key), how it is
written (``yearly``: one slice per year, replaced when the year is integrated again; ``log``:
append-only; ``replaced``: rewritten whole by every run), which columns hold personal data,
whose person a row is about (so that the GDPR erasure and the retention purge find it) and
which centre owns a row (so that a centre's outputs are cut to its own rows).

Everything that touches the base walks this catalogue: creation and appends
(``grc.store.base``), the erasure (``grc.store.gdpr.apply_erasures``), the purge
(``grc.store.retention``) and the per-centre cut (``centre_rows``). A table or a column the
catalogue does not declare is refused, and a declaration with personal data that neither the
erasure nor the purge can reach is refused when the catalogue is validated: adding a table
means adding one ``Table(...)`` to ``TABLES`` below, and forgetting the GDPR part is impossible.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from grc.schema import CONTACT_DATE_FIELDS, CONTACT_FIELDS, STAY_FIELDS

if TYPE_CHECKING:
    import pandas as pd

KINDS = ("yearly", "log", "replaced")
PURGES = ("anonymise", "delete", "keep")


class CatalogueError(Exception):
    """A table declaration is inconsistent or unsafe (message in French)."""


# --- who a row is about (erasure, purge) ---------------------------------------------------
@dataclass(frozen=True)
class ByRecord:
    """Rows about the source record ``(centre, local_id)`` held in these two columns."""

    centre: str = "centre"
    local_id: str = "local_id"

    def columns(self) -> tuple[str, ...]:
        return (self.centre, self.local_id)


@dataclass(frozen=True)
class ByContact:
    """Rows about the network contact held in this column."""

    contact_id: str = "contact_id"

    def columns(self) -> tuple[str, ...]:
        return (self.contact_id,)


@dataclass(frozen=True)
class ByRow:
    """Rows matching, on the ``on`` columns, the rows of ``table`` that are about the person
    (e.g. a raw row as received is the record mapped from the same centre, year and line)."""

    table: str
    on: tuple[str, ...] = ("centre", "year", "row")

    def columns(self) -> tuple[str, ...]:
        return self.on


Person = ByRecord | ByContact | ByRow


# --- which centre owns a row (per-centre cut) ------------------------------------------------
@dataclass(frozen=True)
class OwnedBy:
    """The owning centre is in one column (``NETWORK`` rows there belong to no centre)."""

    column: str = "centre"

    def columns(self) -> tuple[str, ...]:
        return (self.column,)


@dataclass(frozen=True)
class OwnedByPair:
    """A row joins two records: it belongs to the centre of each side."""

    a: str = "centre_a"
    b: str = "centre_b"

    def columns(self) -> tuple[str, ...]:
        return (self.a, self.b)


@dataclass(frozen=True)
class OwnedThroughContact:
    """A row about a network contact belongs to every centre with a record linked to it
    (``record_links``)."""

    contact_id: str = "contact_id"

    def columns(self) -> tuple[str, ...]:
        return (self.contact_id,)


Owner = OwnedBy | OwnedByPair | OwnedThroughContact | None


@dataclass(frozen=True)
class Table:
    """One table of the network base.

    ``columns``: ``"name TYPE, name, ..."`` (DuckDB types, ``VARCHAR`` when omitted), in the
    order the table is created. ``personal``: the columns holding personal data (identity,
    contact details, values as received). ``person``: how a row about a person is found (the
    erasure deletes those rows). ``purge``: what the retention purge does to a person's rows
    (``anonymise`` its personal columns, ``delete`` them, ``keep`` them: only without personal
    data); ``purge_where`` narrows it (SQL on the table's columns), ``anonymised_as`` gives an
    SQL value other than NULL for a column. ``owner``: which centre owns a row (None: the row
    is network-level, no centre's). ``from_export``: a yearly table filled from the centres'
    exports, one slice per (centre, year).
    """

    name: str
    kind: str
    columns: str
    key: tuple[str, ...] = ()
    personal: tuple[str, ...] = ()
    person: tuple[Person, ...] = ()
    purge: str = "keep"
    purge_where: str = ""
    anonymised_as: dict[str, str] = field(default_factory=dict)
    owner: Owner = None
    from_export: bool = False
    doc: str = ""

    @cached_property
    def types(self) -> dict[str, str]:
        """Column name → DuckDB type, in declaration order."""
        out: dict[str, str] = {}
        for part in self.columns.split(","):
            words = part.split()
            if words:
                out[words[0]] = " ".join(words[1:]).upper() or "VARCHAR"
        return out

    def ddl(self) -> str:
        """The column list of ``CREATE TABLE``."""
        return ", ".join(f'"{c}" {t}' for c, t in self.types.items())


def _record_columns(optin: str) -> str:
    """The columns of a source record: the common schema's fields (``grc.schema``, declared
    there once), with the optins as written (``VARCHAR``) or parsed (``BOOLEAN``)."""
    types = {**{f: "TIMESTAMP_NS" for f in CONTACT_DATE_FIELDS}, "optin_email": optin, "optin_phone": optin}
    return ", ".join(["centre", "year BIGINT", "row BIGINT",
                      *(f"{f} {types.get(f, 'VARCHAR')}" for f in CONTACT_FIELDS), "segment_local"])


def _stay_columns(extra: str = "") -> str:
    """The columns of a stay (``grc.schema.STAY_FIELDS``)."""
    types = {"arrival": "TIMESTAMP_NS", "nights": "BIGINT", "persons": "BIGINT", "amount": "DOUBLE",
             "satisfaction": "DOUBLE"}
    return ", ".join(["centre", "year BIGINT", "row BIGINT",
                      *(f"{f} {types.get(f, 'VARCHAR')}" for f in STAY_FIELDS)]) + extra


_IDENTITY = ("civility", "first_name", "last_name", "position", "address1", "address2", "address3",
             "phone", "mobile", "email")
_RNVP = ("rnvp1", "rnvp2", "rnvp3", "rnvp4", "rnvp5", "rnvp6")
_RAW = "centre, year BIGINT, row BIGINT, run_id, sha256, data"
_PAIR = "centre_a, local_id_a, centre_b, local_id_b, score DOUBLE"
_FEATURES = ("first_sim DOUBLE, last_sim DOUBLE, swapped BOOLEAN, initial BOOLEAN, org_sim DOUBLE, "
             "addr_sim DOUBLE, pc_eq DOUBLE, city_sim DOUBLE, email_eq DOUBLE, generic_eq BOOLEAN, "
             "phone_lvl DOUBLE")
_BOTH_SIDES = (ByRecord("centre_a", "local_id_a"), ByRecord("centre_b", "local_id_b"))

TABLES: dict[str, Table] = {t.name: t for t in [
    # --- filled from the centres' exports, one slice per (centre, year) ----------------------
    Table("raw_contacts", "yearly", _RAW, key=("centre", "year", "row"), personal=("data",),
          person=(ByRow("records"),), purge="anonymise", anonymised_as={"data": """'{"anonymise": true}'"""},
          owner=OwnedBy(), from_export=True, doc="contact rows as received (JSON of the file's columns)"),
    Table("raw_stays", "yearly", _RAW, key=("centre", "year", "row"), person=(ByRow("stays"),),
          owner=OwnedBy(), from_export=True, doc="stay rows as received (no identity in them)"),
    Table("files", "yearly", "run_id, centre, year BIGINT, kind, file, sha256, rows BIGINT",
          key=("centre", "year", "kind"), owner=OwnedBy(), from_export=True, doc="files read"),
    Table("records", "yearly", _record_columns("VARCHAR"),
          key=("centre", "year", "local_id"), personal=_IDENTITY, person=(ByRecord(),),
          purge="anonymise", owner=OwnedBy(), from_export=True, doc="contacts in the common schema"),
    Table("stays", "yearly", _stay_columns(), key=("centre", "year", "row"),
          person=(ByRecord(local_id="contact_local_id"),), owner=OwnedBy(), from_export=True,
          doc="stays in the common schema"),
    Table("export_problems", "yearly", "centre, year BIGINT, local_id, field, code, message, row BIGINT, "
          "severity", person=(ByRecord(),), owner=OwnedBy(), from_export=True,
          doc="reader warnings (codes, dates, numbers, identifiers: no identity)"),
    # --- derived, one slice per year --------------------------------------------------------
    Table("quality_issues", "yearly", "centre, local_id, field, code, message, value, suggestion, "
          "year BIGINT", personal=("value", "suggestion"), person=(ByRecord(),), purge="delete",
          owner=OwnedBy(), doc="quality issues of the year's records (with the value found)"),
    Table("issue_followup", "yearly", "centre, local_id, code, year, status",
          key=("centre", "local_id", "code", "year"), person=(ByRecord(),), owner=OwnedBy(),
          doc="last year's issues: fixed or not"),
    Table("measures", "yearly", "scope, year BIGINT, measure, value DOUBLE",
          key=("scope", "year", "measure"), owner=OwnedBy("scope"),
          doc="every measure per scope (a centre or NETWORK) and year (grc.measures)"),
    Table("centre_status", "yearly", "centre, year BIGINT, run_id, status, message",
          key=("centre", "year"), owner=OwnedBy(), doc="each centre's read status per year"),
    Table("return_summary", "yearly", "centre, year BIGINT, indicator, value BIGINT",
          key=("centre", "year", "indicator"), owner=OwnedBy(),
          doc="counts of each centre's return file (Synthèse sheet)"),
    Table("correction_followup", "yearly", "centre, year BIGINT, status, label, count BIGINT",
          key=("centre", "year", "status"), owner=OwnedBy(),
          doc="what became of the corrections centres sent back (counts only)"),
    # --- rewritten by every run -------------------------------------------------------------
    Table("qualified", "replaced", _record_columns("BOOLEAN") + ", exported BOOLEAN, first_year BIGINT, "
          "civility_raw, first_name_raw, last_name_raw, organisation_raw, phone_raw, mobile_raw, "
          "email_raw, postcode_raw, city_raw, first_key, last_key, org_key, kind, department, region, "
          "phone_type, mobile_type, email_suggestion, npai BOOLEAN, rnvp1, rnvp2, rnvp3, rnvp4, rnvp5, "
          "rnvp6, mailable BOOLEAN, emailable BOOLEAN, bloctel BOOLEAN, phoneable BOOLEAN, "
          "retention_expired BOOLEAN", key=("centre", "local_id"),
          personal=(*_IDENTITY, "civility_raw", "first_name_raw", "last_name_raw", "phone_raw",
                    "mobile_raw", "email_raw", "email_suggestion", "first_key", "last_key", *_RNVP,
                    "postcode_raw", "city_raw"),
          person=(ByRecord(),), purge="anonymise", owner=OwnedBy(), doc="qualified records, latest version"),
    Table("record_links", "replaced", "centre, local_id, contact_id, exported BOOLEAN, first_year BIGINT, "
          "last_year BIGINT, organisation_id", key=("centre", "local_id"), person=(ByRecord(), ByContact()),
          owner=OwnedBy(), doc="source record → network contact"),
    Table("contacts", "replaced",
          "contact_id, civility, first_name, last_name, first_key, last_key, organisation, org_key, "
          "position, address1, address2, address3, rnvp1, rnvp2, rnvp3, rnvp4, rnvp5, rnvp6, postcode, "
          "city, country, department, region, email, phone, phone_type, mobile, mobile_type, kind, "
          "segment, created_at TIMESTAMP_NS, updated_at TIMESTAMP_NS, centres, n_records BIGINT, "
          "optin_email BOOLEAN, optin_phone BOOLEAN, bloctel BOOLEAN, phoneable BOOLEAN, "
          "retention_expired BOOLEAN, employees DOUBLE, npai BOOLEAN, mailable BOOLEAN, emailable BOOLEAN, "
          "organisation_id",
          key=("contact_id",), personal=(*_IDENTITY, "first_key", "last_key", *_RNVP),
          person=(ByContact(),), purge="anonymise", owner=OwnedThroughContact(),
          doc="golden record of each network contact"),
    Table("dedup_pairs", "replaced", f"{_PAIR}, decision, reason, linked BOOLEAN, same_contact BOOLEAN, override, "
          f"{_FEATURES}, lvl_last TINYINT, lvl_first TINYINT, lvl_org TINYINT, lvl_place TINYINT, "
          "lvl_addr TINYINT, lvl_email TINYINT, lvl_phone TINYINT",
          key=("centre_a", "local_id_a", "centre_b", "local_id_b"), person=_BOTH_SIDES, purge="delete",
          owner=OwnedByPair(), doc="candidate pairs with their similarity (no identity)"),
    Table("dedup_review", "replaced", f"{_PAIR}, " + ", ".join(
          f"{c}_{s}" for c in ("civility", "first_name", "last_name", "organisation", "address1",
                               "postcode", "city", "email", "phone", "mobile") for s in "ab")
          + f", updated_at_a TIMESTAMP_NS, updated_at_b TIMESTAMP_NS, {_FEATURES}, reason",
          key=("centre_a", "local_id_a", "centre_b", "local_id_b"),
          personal=tuple(f"{c}_{s}" for c in ("civility", "first_name", "last_name", "address1", "email",
                                                "phone", "mobile") for s in "ab"),
          person=_BOTH_SIDES, purge="delete", owner=OwnedByPair(), doc="pairs for a human decision"),
    Table("organisations", "replaced", "organisation_id, name, type, postcode, city, segment, centres, "
          "n_records BIGINT, n_contacts BIGINT", key=("organisation_id",),
          doc="organisations (schools, clubs, works councils…) deduplicated across centres: no "
              "person's data"),
    Table("scores_organisation", "replaced", "scope, contact_id, recency_months DOUBLE, "
          "frequency DOUBLE, monetary DOUBLE, r_score BIGINT, f_score BIGINT, m_score BIGINT, "
          "rfm_score BIGINT, category, level, organisation_id", key=("scope", "organisation_id"),
          owner=OwnedBy("scope"), doc="RFM of each organisation (B2B loyalty), per scope"),
    Table("dedup_decisions", "replaced", "centre_a, local_id_a, centre_b, local_id_b, decision, "
          "decided_by, decided_at, source, export_year, pair_key, in_force BOOLEAN, applied BOOLEAN",
          key=("pair_key", "decided_at"), person=_BOTH_SIDES, purge="delete", owner=OwnedByPair(),
          doc="review decisions on pairs (who decided, when, whether the run applied them)"),
    Table("segments", "replaced",
          "contact_id, segment, segment_label, family, kind, civility, position, department, region, "
          "ref_centre, distance_km DOUBLE, distance_band, employees DOUBLE, size_band, n_stays BIGINT, "
          "first_arrival TIMESTAMP_NS, last_arrival TIMESTAMP_NS, next_arrival TIMESTAMP_NS, main_season, "
          "weekend_share DOUBLE, day_band, mean_nights DOUBLE, mean_persons DOUBLE, group_band, "
          "main_product, lifecycle, cluster BIGINT, cluster_label", key=("contact_id",),
          personal=("civility", "position"), person=(ByContact(),), purge="anonymise",
          owner=OwnedThroughContact(), doc="segmentation criteria per network contact"),
    Table("scores", "replaced", "scope, contact_id, recency_months DOUBLE, frequency DOUBLE, "
          "monetary DOUBLE, r_score BIGINT, f_score BIGINT, m_score BIGINT, rfm_score BIGINT, category",
          key=("scope", "contact_id"), person=(ByContact(),), owner=OwnedBy("scope"),
          doc="RFM scores per scope (a centre or NETWORK)"),
    Table("stays_linked", "replaced", _stay_columns(", contact_id, organisation_id"),
          key=("centre", "year", "row"), person=(ByRecord(local_id="contact_local_id"), ByContact()),
          owner=OwnedBy(), doc="stays with their network contact"),
    Table("clusters", "replaced", "cluster BIGINT, size BIGINT, share DOUBLE, n_stays DOUBLE, "
          "mean_nights DOUBLE, mean_persons DOUBLE, weekend_share DOUBLE, share_printemps DOUBLE, "
          "share_ete DOUBLE, share_automne DOUBLE, share_hiver DOUBLE, description", key=("cluster",),
          doc="behaviour clusters (profiles)"),
    Table("cluster_quality", "replaced", "k BIGINT, method, ari_mean DOUBLE, ari_min DOUBLE, caveat, "
          "features, silhouette, silhouette_chosen DOUBLE", doc="how stable the clusters are"),
    Table("scope_hashes", "replaced", "scope, hash", key=("scope",), owner=OwnedBy("scope"),
          doc="fingerprint of each scope's data (reports redone only when it changes)"),
    # --- append-only logs -------------------------------------------------------------------
    Table("runs", "log", "run_id, year BIGINT, reference_date, started_at, status, centres, failed, "
          "data_version, code_version, dedup_stats", key=("run_id",), doc="one row per run"),
    Table("history", "log", "contact_id, centre, local_id, year BIGINT, event, field, old_value, "
          "new_value, run_id", personal=("old_value", "new_value"), person=(ByRecord(), ByContact()),
          purge="anonymise", purge_where="event = 'modification'", owner=OwnedBy(),
          doc="every change of a record (values before and after)"),
    Table("erasures", "log", "run_id, date, records_erased BIGINT, returned BIGINT, centres",
          doc="erasures applied (counts only)"),
    Table("erasure_hashes", "log", "kind, hash", key=("hash",),
          doc="salted hashes of erased identifiers (to detect a person coming back)"),
    Table("erasure_returns", "log", "run_id, centre, key_hash", owner=OwnedBy(),
          doc="erased persons found again in a new export (hashes only)"),
    Table("return_answers", "log", "centre, year BIGINT, file, sheet, row BIGINT, kind, key, "
          "local_id, field, code, centre_a, local_id_a, centre_b, local_id_b, answer, comment, "
          "decided_by, decided_at, imported_at, status, message, file_sha256",
          personal=("comment",), person=(ByRecord(), *_BOTH_SIDES), purge="delete", owner=OwnedBy(),
          doc="every answer of the return files centres sent back (free comments included)"),
    Table("purges", "log", "date, before, contacts BIGINT, records BIGINT", doc="purges (counts only)"),
]}


# tables of former versions: dropped from a base at its next write (a migration, not a leak)
RETIRED: dict[str, str] = {
    "metrics": "remplacée par « measures » (issue 14)",
}


# --- validation ------------------------------------------------------------------------------
def problems(tables: dict[str, Table]) -> list[str]:
    """What is wrong with a set of declarations (French), empty when it is sound."""
    out: list[str] = []
    for name, t in tables.items():
        out += [f"table « {name} » : {p}" for p in _table_problems(t, tables)]
        if name != t.name:
            out.append(f"table « {t.name} » déclarée sous le nom « {name} ».")
        if name in RETIRED:
            out.append(f"table « {name} » déclarée mais retirée : {RETIRED[name]}.")
    return out


def _table_problems(t: Table, tables: dict[str, Table]) -> list[str]:
    cols = t.types
    out = []
    names = [p.split()[0] for p in t.columns.split(",") if p.split()]
    if len(names) != len(set(names)):
        out.append("colonne déclarée deux fois.")
    if t.kind not in KINDS:
        out.append(f"nature « {t.kind} » inconnue (attendu : {', '.join(KINDS)}).")
    if t.purge not in PURGES:
        out.append(f"purge « {t.purge} » inconnue (attendu : {', '.join(PURGES)}).")
    used = [*t.key, *t.personal, *t.anonymised_as]
    used += [c for p in t.person for c in p.columns()] + list(t.owner.columns() if t.owner else ())
    missing = sorted({c for c in used if c not in cols})
    if missing:
        out.append(f"colonnes {missing} utilisées mais non déclarées.")
    if (t.kind == "yearly" or t.from_export) and "year" not in cols:
        out.append("une table annuelle doit avoir une colonne « year ».")
    if t.from_export and not isinstance(t.owner, OwnedBy):
        out.append("une table lue des exports appartient au centre de sa colonne « centre ».")
    for p in t.person:
        if isinstance(p, ByRow):
            target = tables.get(p.table)
            if target is None or not any(isinstance(q, ByRecord | ByContact) for q in target.person):
                out.append(f"ses lignes sont retrouvées par « {p.table} », qui ne dit pas de qui "
                           "ses propres lignes parlent.")
            elif any(c not in target.types for c in p.on):
                out.append(f"colonnes {list(p.on)} absentes de « {p.table} ».")
    if t.personal and not t.person:
        out.append(f"données personnelles {list(t.personal)} que l'effacement RGPD ne peut pas "
                   "atteindre : indiquez « person » (par fiche, par contact réseau ou par ligne).")
    if t.personal and t.purge == "keep":
        out.append(f"données personnelles {list(t.personal)} que la purge de conservation ne "
                   "touche pas : indiquez purge=« anonymise » ou « delete ».")
    if t.person and t.owner is None:
        out.append("lignes sur des personnes sans règle « owner » : le cloisonnement par centre "
                   "ne saurait pas à quel centre elles appartiennent.")
    if t.purge != "keep" and not t.person:
        out.append("purge demandée mais aucune règle « person » pour trouver les lignes.")
    if (t.purge_where or t.anonymised_as) and t.purge != "anonymise":
        out.append("« purge_where » et « anonymised_as » ne valent que pour purge=« anonymise ».")
    return out


def validate(tables: dict[str, Table] | None = None) -> None:
    """Raise ``CatalogueError`` if a declaration is inconsistent or unsafe."""
    found = problems(TABLES if tables is None else tables)
    if found:
        raise CatalogueError("Catalogue de la base invalide (grc/store/catalogue.py) :\n- "
                             + "\n- ".join(found))


def table(name: str) -> Table:
    """The declaration of ``name`` (``CatalogueError`` if the catalogue does not have it)."""
    t = TABLES.get(name)
    if t is None:
        raise CatalogueError(
            f"Table « {name} » absente du catalogue de la base (grc/store/catalogue.py) : "
            "déclarez-la (colonnes, données personnelles, propriétaire) avant de l'écrire.")
    return t


@contextlib.contextmanager
def extended(*tables: Table) -> Iterator[dict[str, Table]]:
    """The catalogue with more tables for the duration of the block (validated first)."""
    new = {**TABLES, **{t.name: t for t in tables}}
    validate(new)
    added = {t.name: TABLES.get(t.name) for t in tables}
    TABLES.update({t.name: t for t in tables})
    try:
        yield TABLES
    finally:
        for name, old in added.items():
            if old is None:
                TABLES.pop(name, None)
            else:
                TABLES[name] = old


def export_tables() -> list[str]:
    """The tables filled from the centres' exports (one slice per centre and year)."""
    return [t.name for t in TABLES.values() if t.from_export]


def drop_retired(con) -> list[str]:
    """Drop the tables of former versions (``RETIRED``) still in the base; return their names."""
    found = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                       "WHERE table_schema = 'main'").fetchall()]
    gone = [t for t in found if t in RETIRED and t not in TABLES]
    for t in gone:
        con.execute(f'DROP TABLE "{t}"')
    return gone


def check_base(con) -> None:
    """Refuse a base holding a table or a column the catalogue does not declare."""
    rows = con.execute("SELECT table_name, column_name FROM information_schema.columns "
                       "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position").fetchall()
    found: dict[str, list[str]] = {}
    for t, c in rows:
        found.setdefault(t, []).append(c)
    bad = [f"table « {t} » absente du catalogue" for t in found if t not in TABLES]
    for t, cols in found.items():
        extra = [c for c in cols if t in TABLES and c not in TABLES[t].types]
        if extra:
            bad.append(f"table « {t} » : colonnes {extra} absentes du catalogue")
    if bad:
        raise CatalogueError("La base contient ce que son catalogue (grc/store/catalogue.py) ne "
                             "déclare pas : " + " ; ".join(bad) + ". Déclarez-le ou retirez-le.")


# --- rows about persons (erasure, purge) -------------------------------------------------------
def person_tables() -> list[Table]:
    """Tables holding rows about persons, those found through another table's rows first (so
    that deleting the other table's rows cannot hide them)."""
    tables = [t for t in TABLES.values() if t.person]
    return sorted(tables, key=lambda t: not any(isinstance(p, ByRow) for p in t.person))


def _record_match(p: ByRecord | ByContact, alias: str) -> tuple[str, str]:
    if isinstance(p, ByRecord):
        return "_keys k", f'{alias}."{p.centre}" = k.centre AND {alias}."{p.local_id}" = k.local_id'
    return "_ids i", f'{alias}."{p.contact_id}" = i.contact_id'


def person_matches(t: Table, alias: str = "t") -> list[tuple[str, str]]:
    """``(FROM source, WHERE condition)`` pairs, one per person rule of ``t``, that select the
    rows of ``t`` (as ``alias``) about the persons registered in ``persons()``."""
    out = []
    for p in t.person:
        if isinstance(p, ByRow):
            target = TABLES[p.table]
            on = ", ".join(f'm."{c}"' for c in p.on)
            for src, cond in person_matches(target, "m"):
                if src.startswith("("):
                    continue  # one hop only
                sub = f'(SELECT DISTINCT {on} FROM "{target.name}" m, {src} WHERE {cond}) x'
                out.append((sub, " AND ".join(f'{alias}."{c}" = x."{c}"' for c in p.on)))
        else:
            out.append(_record_match(p, alias))
    return out


@contextlib.contextmanager
def persons(con, keys: pd.DataFrame, contact_ids: Iterable[str]) -> Iterator[None]:
    """Register the persons acted upon: ``_keys`` (centre, local_id) and ``_ids`` (contact_id)."""
    import pandas as pd

    con.register("_keys", keys[["centre", "local_id"]].astype(object))
    con.register("_ids", pd.DataFrame({"contact_id": sorted(set(contact_ids))}, dtype=object))
    try:
        yield
    finally:
        con.unregister("_keys")
        con.unregister("_ids")


def present(con, t: Table) -> bool:
    """The table exists in the base and every column the person rules need is there."""
    cols = {r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [t.name]).fetchall()}
    need = {c for p in t.person for c in p.columns()}
    for p in t.person:
        if isinstance(p, ByRow) and not present(con, TABLES[p.table]):
            return False
    return bool(cols) and need <= cols


# --- the per-centre cut ------------------------------------------------------------------------
def centre_condition(t: Table, alias: str = "t") -> str:
    """SQL condition (one ``?`` parameter per placeholder, all the centre code) selecting the rows
    of ``t`` owned by one centre; ``FALSE`` for network-level tables."""
    o = t.owner
    if isinstance(o, OwnedBy):
        return f'{alias}."{o.column}" = ?'
    if isinstance(o, OwnedByPair):
        return f'({alias}."{o.a}" = ? OR {alias}."{o.b}" = ?)'
    if isinstance(o, OwnedThroughContact):
        return (f'{alias}."{o.contact_id}" IN (SELECT l.contact_id FROM record_links l '
                'WHERE l.centre = ?)')
    return "FALSE"


def centre_rows(con, name: str, centre: str, columns: str = "*") -> pd.DataFrame:
    """The rows of table ``name`` owned by ``centre``, found through the catalogue's owner rule."""
    t = table(name)
    cond = centre_condition(t)
    return con.execute(f'SELECT {columns} FROM "{t.name}" t WHERE {cond}',
                       [centre] * cond.count("?")).df()


def foreign_rows(con, name: str, centre: str) -> int:
    """Rows of ``centre``'s cut of table ``name`` that name a record of another centre (through
    the table's record rules): none but the pairs joining two centres' records, whose other
    side a centre's output must mask."""
    t = table(name)
    cond = centre_condition(t)
    sides = [f'(t."{p.centre}" <> ? AND t."{p.local_id}" IS NOT NULL)'
             for p in t.person if isinstance(p, ByRecord)]
    if not sides or cond == "FALSE":
        return 0
    sql = f'SELECT count(*) FROM "{t.name}" t WHERE {cond} AND ({" OR ".join(sides)})'
    return int(con.execute(sql, [centre] * (cond.count("?") + len(sides))).fetchall()[0][0])


validate()
