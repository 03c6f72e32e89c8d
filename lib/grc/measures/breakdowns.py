"""Breakdown measures: the figures of the pages' tables, computed once by the pipeline.

Each function here computes one family of :data:`grc.measures.catalogue.BREAKDOWNS` for every
centre and for ``NETWORK`` and returns ``centre, year, metric, value`` rows (the layout of
:func:`grc.measures.metrics.compute_measures` before it names them ``scope`` and
``measure``). The pages read them back (:mod:`grc.measures.read`); no view recomputes them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd

from grc.rfm import loyalty
from grc.rfm import scores as rfm
from grc.schema import NETWORK
from grc.segment import segmentation as segment

ROW_COLUMNS = ["centre", "year", "metric", "value"]
NOT_SEGMENTED = "NON SEGMENTÉ"  # key of contacts without a common segment (as ``segment:``)
NO_FAMILY = "(non renseigné)"  # family of a client without a segment row

# field -> (French label, raw column(s), normalised column, issue codes that make it invalid)
QUALITY_FIELDS: dict[str, tuple[str, tuple[str, ...], str, tuple[str, ...]]] = {
    "name": ("Nom ou organisation", ("last_name_raw", "organisation_raw"), "", ("missing_name",)),
    "civility": ("Civilité", ("civility_raw",), "civility", ()),
    "address1": ("Adresse", ("address1",), "address1", ("incomplete_address", "npai")),
    "postcode": ("Code postal", ("postcode_raw",), "postcode", ("invalid_postcode",)),
    "city": ("Ville", ("city_raw",), "city", ()),
    "email": ("E-mail", ("email_raw",), "email", ("invalid_email",)),
    "phone": ("Téléphone fixe", ("phone_raw",), "phone", ("invalid_phone",)),
    "mobile": ("Mobile", ("mobile_raw",), "mobile", ("invalid_phone",)),
    "segment": ("Segment", ("segment_local",), "segment", ("unknown_code",)),
}

CHANNELS = {"mailable": "Courrier", "emailable": "E-mail", "phoneable": "Téléphone"}

#: Derived criteria shown in the segmentation workbook, with their French title and order.
DERIVED = {
    "lifecycle": ("Cycle de vie", segment.LIFECYCLES),
    "distance_band": ("Distance au centre", segment.DISTANCE_BANDS),
    "size_band": ("Taille de l'organisation (INSEE)", segment.SIZE_BANDS),
    "group_band": ("Taille moyenne des groupes", segment.GROUP_BANDS),
    "day_band": ("Jours de séjour", segment.DAY_BANDS),
    "main_season": ("Saison principale", segment.SEASONS),
}
CRITERIA_TITLES = {k: v[0] for k, v in DERIVED.items()}


def points_key(v: float) -> str:
    """A grid's points as a measure key: ``10``, ``2.5``."""
    return f"{float(v):g}"


def _rows(values: pd.Series, prefix: str, year: int) -> pd.DataFrame:
    """``centre, year, metric, value`` rows of ``values`` indexed by (scope, member key)."""
    if not len(values):
        return pd.DataFrame(columns=ROW_COLUMNS)
    idx = values.index
    scope = idx.get_level_values(0)
    keys = [":".join(str(p) for p in k[1:]) for k in idx] if idx.nlevels > 2 \
        else idx.get_level_values(1).astype(str)
    return pd.DataFrame({"centre": np.asarray(scope, dtype=object), "year": year,
                         "metric": [prefix + k for k in keys],
                         "value": values.to_numpy(dtype=float)})


def _scoped(frame: pd.DataFrame, col: str = "centre") -> pd.DataFrame:
    """``frame`` with a ``_scope`` column: each row once for its centre, once for NETWORK."""
    own = frame.assign(_scope=frame[col].to_numpy(dtype=object))
    return pd.concat([own, frame.assign(_scope=NETWORK)], ignore_index=True)


# --------------------------------------------------------------------------- qualification

def _filled(s: pd.Series) -> pd.Series:
    """True where a value is present (not null, not blank)."""
    return s.notna() & (s.astype(str).str.strip() != "")


def _keys(frame: pd.DataFrame) -> pd.Series:
    """One text key per (centre, local_id), for fast membership tests."""
    return frame["centre"].astype(str) + "\x1f" + frame["local_id"].astype(str)


def _issue_flags(records: pd.DataFrame, issues: pd.DataFrame, codes: tuple[str, ...],
                 field: str | None = None, keys: pd.Series | None = None) -> pd.Series:
    """Per record: True if it carries one of ``codes`` (on ``field`` when given)."""
    if not codes or issues.empty:
        return pd.Series(False, index=records.index)
    sel = issues[issues["code"].isin(codes)]
    if field is not None and field not in ("name", "address1"):
        sel = sel[sel["field"] == field]
    keys = _keys(records) if keys is None else keys
    return keys.isin(_keys(sel)) if len(sel) else pd.Series(False, index=records.index)


def field_flags(records: pd.DataFrame, issues: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per record (rows) and field key of :data:`QUALITY_FIELDS` (columns): value filled in,
    value valid."""
    filled_cols, valid_cols = {}, {}
    keys = _keys(records) if len(issues) else None
    for f, (_label, raw_cols, norm, codes) in QUALITY_FIELDS.items():
        present = [c for c in raw_cols if c in records]
        if not present:
            continue
        filled = np.logical_or.reduce([_filled(records[c]).to_numpy() for c in present])
        valid = filled & _filled(records[norm]).to_numpy() if norm and norm in records else filled.copy()
        valid &= ~_issue_flags(records, issues, codes, f, keys).to_numpy()
        filled_cols[f], valid_cols[f] = filled, valid
    return (pd.DataFrame(filled_cols, index=records.index), pd.DataFrame(valid_cols, index=records.index))


def quality_rows(records: pd.DataFrame, issues: pd.DataFrame, year: int) -> pd.DataFrame:
    """``filled:``, ``valid:``, ``valid_if_filled:`` per field and ``channel:`` counts with
    ``no_channel_share``, of the exported ``records`` of every centre and of the network."""
    rec = records[records["exported"].astype(bool)] if "exported" in records else records
    rec = rec[rec["centre"].notna()]
    if rec.empty:
        return pd.DataFrame(columns=ROW_COLUMNS)
    filled, valid = field_flags(rec, issues)
    flags = pd.DataFrame({c: rec[c].astype(bool).to_numpy() for c in CHANNELS if c in rec},
                         index=rec.index)
    flags["any"] = flags.any(axis=1)
    flags["none"] = ~flags["any"]

    def per_scope(frame: pd.DataFrame, how: str) -> pd.DataFrame:
        return _scoped(frame.assign(centre=rec["centre"].to_numpy())).drop(
            columns="centre").groupby("_scope").agg(how)

    n_filled, n_valid = per_scope(filled, "sum"), per_scope(valid, "sum")
    share_none = per_scope(flags[["none"]], "mean")["none"]
    parts = [
        _rows(per_scope(filled, "mean").stack(), "filled:", year),
        _rows(per_scope(valid, "mean").stack(), "valid:", year),
        _rows((n_valid / n_filled.where(n_filled > 0)).stack(), "valid_if_filled:", year),
        _rows(per_scope(flags, "sum").stack(), "channel:", year),
        pd.DataFrame({"centre": share_none.index, "year": year, "metric": "no_channel_share",
                      "value": share_none.to_numpy(dtype=float)})]
    return pd.concat([p for p in parts if len(p)], ignore_index=True)


HISTORY_EVENTS = ("nouveau", "modification", "plus_exporte", "reexporte", "fusion")


def history_rows(history: pd.DataFrame, centres: list[str], year: int) -> pd.DataFrame:
    """What changed since last year, from the year's history rows: ``changes:<event>``
    (records with the event, every event of every centre with records: zeros included) and,
    among modifications, ``field_changes:<field>``, ``field_completed:<field>`` (was empty)
    and ``field_emptied:<field>`` (is empty now)."""
    h = history[history["year"] == year] if len(history) else history
    scopes = [*centres, NETWORK]
    if not len(h):
        events = pd.Series(0.0, index=pd.MultiIndex.from_product([scopes, HISTORY_EVENTS]))
        return _rows(events, "changes:", year)
    h = _scoped(h[h["centre"].notna()])
    records = h.drop_duplicates(["_scope", "event", "centre", "local_id"])
    events = records.groupby(["_scope", "event"]).size()
    full = pd.MultiIndex.from_product([scopes, HISTORY_EVENTS])
    events = events.reindex(full.append(events.index.difference(full)), fill_value=0)
    parts = [_rows(events.astype(float), "changes:", year)]
    mod = h[h["event"] == "modification"]
    if len(mod):
        was, now = _filled(mod["old_value"]), _filled(mod["new_value"])
        g = pd.DataFrame({"_scope": mod["_scope"], "field": mod["field"], "n": 1,
                          "filled": (~was & now).astype(int),
                          "emptied": (was & ~now).astype(int)}).groupby(["_scope", "field"]).sum()
        parts += [_rows(g[col].astype(float), prefix, year) for col, prefix in
                  (("n", "field_changes:"), ("filled", "field_completed:"),
                   ("emptied", "field_emptied:"))]
    return pd.concat(parts, ignore_index=True)


FOLLOWUP_STATUSES = ("corrigé", "toujours", "retiré")


def followup_rows(followup: pd.DataFrame, year: int) -> pd.DataFrame:
    """Last year's fixable issues per code: ``followup_code:<code>:<status>`` (corrigé,
    toujours, retiré, and signalé for all of them), ``followup_fix_rate:<code>`` (fixed among
    those still exported) and ``fix_rate`` (every code), per centre and for the network."""
    need = {"centre", "local_id", "code", "status"}
    if followup is None or not len(followup) or not need <= set(followup.columns):
        return pd.DataFrame(columns=ROW_COLUMNS)
    fu = _scoped(followup.drop_duplicates(["centre", "local_id", "code"]))
    counts = fu.groupby(["_scope", "code", "status"]).size()
    pairs = counts.index.droplevel(2).unique()
    full = pd.MultiIndex.from_tuples([(sc, c, st) for sc, c in pairs for st in FOLLOWUP_STATUSES])
    counts = counts.reindex(full.append(counts.index.difference(full)), fill_value=0)
    wide = counts.unstack(-1, fill_value=0)
    wide["signalé"] = wide.sum(axis=1)
    kept = wide["corrigé"] + wide["toujours"]
    rate = (wide["corrigé"] / kept.where(kept > 0)).dropna()
    by_scope = wide.groupby(level=0)[["corrigé", "toujours"]].sum()
    total = by_scope["corrigé"] + by_scope["toujours"]
    fix = (by_scope["corrigé"] / total.where(total > 0)).dropna()
    return pd.concat([_rows(wide.stack().astype(float), "followup_code:", year),
                      _rows(rate, "followup_fix_rate:", year),
                      pd.DataFrame({"centre": fix.index, "year": year, "metric": "fix_rate",
                                    "value": fix.to_numpy(dtype=float)})], ignore_index=True)


def centre_pairs(links: pd.DataFrame) -> pd.DataFrame:
    """Clients shared between centres: ``centre_a, centre_b, contacts`` (centre_a < centre_b),
    the contacts with a record in both centres, any year."""
    cols = ["centre_a", "centre_b", "contacts"]
    if not len(links):
        return pd.DataFrame(columns=cols)
    cc = links.loc[links["centre"].notna(), ["contact_id", "centre"]].drop_duplicates()
    m = cc.merge(cc, on="contact_id")
    m = m[m["centre_x"] < m["centre_y"]]
    out = m.groupby(["centre_x", "centre_y"]).size().rename("contacts").reset_index()
    return out.rename(columns={"centre_x": "centre_a", "centre_y": "centre_b"})[cols]


PAIR_BIN_WIDTH = 1  # width of the score bins of ``pair_bin:`` (points of the score scale)


def pair_bin(score: pd.Series) -> pd.Series:
    """The ``pair_bin:`` key of each score: the lower edge of its fixed bin (an integer when
    the width is 1: a score of 2.7 falls in the bin ``2``, from 2 included to 3 excluded)."""
    return (np.floor(score / PAIR_BIN_WIDTH) * PAIR_BIN_WIDTH).astype("int64")


def pair_rows(pairs: pd.DataFrame | None, year: int) -> pd.DataFrame:
    """``pairs:<decision>``, ``pair_share:<decision>`` and ``pair_score:<decision>`` (median
    score) of the candidate pairs: a centre's (both records its own) and the network's; and
    the score histogram ``pair_bin:<decision>:<bin>`` (pairs whose score falls in the fixed
    bin, pairs without score left out; bins without pair not stored)."""
    if pairs is None or not len(pairs):
        return pd.DataFrame(columns=ROW_COLUMNS)
    pairs = pairs[["centre_a", "centre_b", "score", "decision"]]
    inside = pairs[pairs["centre_a"] == pairs["centre_b"]]
    p = pd.concat([inside.assign(_scope=inside["centre_a"].to_numpy(dtype=object)),
                   pairs.assign(_scope=NETWORK)], ignore_index=True)
    g = p.groupby(["_scope", "decision"])["score"].agg(["size", "median"])
    share = g["size"] / g["size"].groupby(level=0).transform("sum")
    scored = p[p["score"].notna()]
    bins = scored.groupby(["_scope", "decision", pair_bin(scored["score"].astype(float))]).size()
    return pd.concat([_rows(g["size"].astype(float), "pairs:", year),
                      _rows(share, "pair_share:", year),
                      _rows(g["median"].dropna(), "pair_score:", year),
                      _rows(bins.astype(float), "pair_bin:", year)], ignore_index=True)


def shared_pair_rows(links: pd.DataFrame, year: int) -> pd.DataFrame:
    """``shared_pair:<a>:<b>`` (scope NETWORK): clients shared by two centres, any year."""
    cp = centre_pairs(links)
    idx = pd.MultiIndex.from_arrays([[NETWORK] * len(cp), cp["centre_a"], cp["centre_b"]])
    return _rows(pd.Series(cp["contacts"].to_numpy(dtype=float), index=idx), "shared_pair:", year)


# --------------------------------------------------------------------------- segmentation

def _year_contacts(links: pd.DataFrame, year: int) -> pd.DataFrame:
    """``centre, contact_id, _scope``: the contacts of the year of each centre and of the
    network (as the measures ``contacts`` and ``segment:`` count them)."""
    if not len(links):
        return pd.DataFrame(columns=["centre", "contact_id", "_scope"])
    ln = links[(links["last_year"] == year) & links["centre"].notna()]
    own = ln[["centre", "contact_id"]].drop_duplicates().assign(_scope=lambda d: d["centre"])
    net = ln[["contact_id"]].drop_duplicates().assign(centre=None, _scope=NETWORK)
    return pd.concat([own, net], ignore_index=True)


def criterion_rows(links: pd.DataFrame, segments: pd.DataFrame, year: int) -> pd.DataFrame:
    """``criterion:<criterion>:<value>`` and ``criterion_share:…``: the year's contacts per
    value of each derived criterion (unknown values as ``inconnue``)."""
    who = _year_contacts(links, year)
    crits = [c for c in DERIVED if c in segments]
    if who.empty or not crits:
        return pd.DataFrame(columns=ROW_COLUMNS)
    m = who.merge(segments[["contact_id", *crits]], on="contact_id")
    parts = []
    for crit in crits:
        value = m[crit].fillna(segment.UNKNOWN).astype(str)
        counts = m.groupby(["_scope", value.rename("_v")]).size()
        share = counts / counts.groupby(level=0).transform("sum")
        counts.index = pd.MultiIndex.from_arrays([counts.index.get_level_values(0),
                                                  crit + ":" + counts.index.get_level_values(1)])
        share.index = counts.index
        parts += [_rows(counts, "criterion:", year), _rows(share, "criterion_share:", year)]
    return pd.concat(parts, ignore_index=True)


def _with_segment(stays: pd.DataFrame, segments: pd.DataFrame, col: str) -> pd.DataFrame:
    """The stays of clients with a segment row, with their ``col`` (segment code or family)."""
    s = stays.merge(segments[["contact_id", col]], on="contact_id")
    fill = NOT_SEGMENTED if col == "segment" else NO_FAMILY
    return s.assign(**{col: s[col].fillna(fill)})


def family_rows(stays: pd.DataFrame, segments: pd.DataFrame, year: int) -> pd.DataFrame:
    """``family_clients:<family>`` and ``family_share:``: distinct clients with a stay arrived
    in ``year``, per segment family (a client without segment row: ``(non renseigné)``)."""
    if not len(stays) or "family" not in segments:
        return pd.DataFrame(columns=ROW_COLUMNS)
    cur = stays[pd.to_datetime(stays["arrival"]).dt.year == year]
    s = cur.merge(segments[["contact_id", "family"]], on="contact_id", how="left")
    s["family"] = s["family"].fillna(NO_FAMILY)
    clients = _scoped(s).groupby(["_scope", "family"])["contact_id"].nunique()
    share = clients / clients.groupby(level=0).transform("sum")
    return pd.concat([_rows(clients, "family_clients:", year), _rows(share, "family_share:", year)],
                     ignore_index=True)


def product_rows(stays: pd.DataFrame, segments: pd.DataFrame, year: int) -> pd.DataFrame:
    """``product_stays:<segment>:<product>``, ``product_share:`` (of the segment's stays) and
    ``product_amount:`` over the past stays (as ``segment.flagship_products`` counts them)."""
    if not len(stays) or "segment" not in segments:
        return pd.DataFrame(columns=ROW_COLUMNS)
    s = _with_segment(stays, segments, "segment")
    s = s.assign(product=s["product"].fillna("(non renseigné)") if "product" in s else "(non renseigné)",
                 amount=pd.to_numeric(s.get("amount"), errors="coerce"))
    g = _scoped(s).groupby(["_scope", "segment", "product"]).agg(
        stays=("contact_id", "size"), amount=("amount", "sum"))
    share = g["stays"] / g["stays"].groupby(level=[0, 1]).transform("sum")
    return pd.concat([_rows(g["stays"], "product_stays:", year), _rows(share, "product_share:", year),
                      _rows(g["amount"], "product_amount:", year)], ignore_index=True)


def season_rows(stays: pd.DataFrame, segments: pd.DataFrame, year: int) -> pd.DataFrame:
    """``season:<segment>:<month>``: past stays per segment and arrival month, every month of
    every segment present in the scope (zeros included), as ``segment.seasonality`` counts."""
    if not len(stays) or "segment" not in segments:
        return pd.DataFrame(columns=ROW_COLUMNS)
    s = _with_segment(stays[["centre", "contact_id", "arrival"]], segments, "segment")
    s["month"] = pd.to_datetime(s["arrival"]).dt.month
    counts = _scoped(s).groupby(["_scope", "segment", "month"]).size()
    present = counts.index.droplevel(2).unique()
    full = pd.MultiIndex.from_tuples([(sc, sg, m) for sc, sg in present for m in range(1, 13)])
    return _rows(counts.reindex(full, fill_value=0), "season:", year)


def _scope_frames(frame: pd.DataFrame, col: str = "centre") -> Iterator[tuple[str, pd.DataFrame]]:
    """Each centre's rows of ``frame``, then every row for ``NETWORK``."""
    yield from frame.groupby(col, sort=True)
    yield NETWORK, frame


def department_centroids(communes: pd.DataFrame) -> pd.DataFrame:
    """Per department of the reference communes: mean ``lat``, ``lon`` and its ``region``."""
    com = communes.assign(department=communes["department"].astype(str))
    return com.groupby("department").agg(lat=("lat", "mean"), lon=("lon", "mean"),
                                         region=("region", "first"))


def area_rows(links: pd.DataFrame, segments: pd.DataFrame, year: int,
              communes: pd.DataFrame | None = None) -> pd.DataFrame:
    """``department:``, ``region:`` and their shares: clients (contacts with a stay) of each
    scope (a centre: contacts with a record of the centre, any year) per department (unknown:
    ``inconnue``) and per region (a department's region: the reference communes', else its
    clients'), every scope at once."""
    if not len(segments) or "department" not in segments or not len(links):
        return pd.DataFrame(columns=ROW_COLUMNS)
    if communes is None:
        from grc.qualify.reference import load_communes

        communes = load_communes()
    c = segments
    if "n_stays" in c:
        c = c[pd.to_numeric(c["n_stays"], errors="coerce").fillna(0) > 0]
    cols = ["contact_id", "department", *(["region"] if "region" in c else [])]
    members = links[links["centre"].notna()][["centre", "contact_id"]].drop_duplicates()
    who = pd.concat([members.rename(columns={"centre": "_scope"}),
                     c[["contact_id"]].assign(_scope=NETWORK)], ignore_index=True)
    m = who.merge(c[cols], on="contact_id")
    m["department"] = m["department"].astype("string").fillna(segment.UNKNOWN).astype(object)
    dep = m.groupby(["_scope", "department"]).size()
    region = department_centroids(communes)["region"]
    if "region" in c:
        own = c.dropna(subset=["department"]).groupby("department")["region"].first()
        region = region.combine_first(own.set_axis(own.index.astype(str)))
    dep_region = dep.index.get_level_values(1).map(region).fillna(segment.UNKNOWN)
    reg = dep.groupby([dep.index.get_level_values(0), dep_region]).sum()
    parts = []
    for counts, fam in ((dep, "department"), (reg, "region")):
        total = counts.groupby(level=0).transform("sum")
        parts += [_rows(counts.astype(float), f"{fam}:", year),
                  _rows(counts / total, f"{fam}_share:", year)]
    return pd.concat(parts, ignore_index=True)


def cluster_rows(links: pd.DataFrame, segments: pd.DataFrame, year: int) -> pd.DataFrame:
    """``cluster:<group>`` and ``cluster_share:<group>``: contacts of each behavioural group
    (the typology of the run) among the scope's contacts (a centre: with a record of the
    centre, any year) that have one."""
    if "cluster" not in segments or not len(links):
        return pd.DataFrame(columns=ROW_COLUMNS)
    c = segments.loc[segments["cluster"].notna(), ["contact_id", "cluster"]]
    if c.empty:
        return pd.DataFrame(columns=ROW_COLUMNS)
    members = links[links["centre"].notna()][["centre", "contact_id"]].drop_duplicates()
    who = pd.concat([members.rename(columns={"centre": "_scope"}),
                     c[["contact_id"]].assign(_scope=NETWORK)], ignore_index=True)
    m = who.merge(c.assign(cluster=pd.to_numeric(c["cluster"]).astype("int64")), on="contact_id")
    counts = m.groupby(["_scope", "cluster"]).size()
    share = counts / counts.groupby(level=0).transform("sum")
    return pd.concat([_rows(counts.astype(float), "cluster:", year),
                      _rows(share, "cluster_share:", year)], ignore_index=True)


# --------------------------------------------------------------------------- RFM and loyalty

def rf_rows(scores: pd.DataFrame, grid: rfm.Grid, year: int) -> pd.DataFrame:
    """``rf:<r>:<f>``: clients per recency × frequency points, every pair of the grid."""
    if not len(scores):
        return pd.DataFrame(columns=ROW_COLUMNS)
    r = sorted({b.points for b in grid.criteria["recency"].bins}
               | {grid.criteria["recency"].missing_points})
    f = sorted({b.points for b in grid.criteria["frequency"].bins}
               | {grid.criteria["frequency"].missing_points})
    counts = scores.groupby(["scope", "r_score", "f_score"]).size()
    full = pd.MultiIndex.from_product([sorted(scores["scope"].unique()), r, f])
    counts = counts.reindex(full, fill_value=0)
    counts.index = pd.MultiIndex.from_arrays([
        counts.index.get_level_values(0), counts.index.get_level_values(1).map(points_key),
        counts.index.get_level_values(2).map(points_key)])
    return _rows(counts, "rf:", year)


RANK_OFF_MAP = "(hors carte)"  # a rank profile outside the R x F map (none with 5 levels)
RANK_FAMILIES = {"clients": "rank_profile:", "share": "rank_share:",
                 "recency_months": "rank_recency:", "frequency": "rank_frequency:",
                 "monetary": "rank_monetary:"}


def rank_profiles(scores: pd.DataFrame, n: int = 5, by: str | None = None) -> pd.DataFrame:
    """The rank variant (:func:`grc.rfm.scores.quantile_score`, each group of ``by`` scored on
    its own) per profile: ``[by,] segment_label, clients, share, recency_months, frequency,
    monetary`` (medians of the profile's clients)."""
    keys = [by] if by else []
    cols = [*keys, "segment_label", "clients", "share", "recency_months", "frequency", "monetary"]
    need = {"recency_months", "frequency", "monetary", *keys}
    if scores is None or not len(scores) or not need <= set(scores.columns):
        return pd.DataFrame(columns=cols)
    q = rfm.quantile_score(scores[[*keys, "recency_months", "frequency", "monetary"]], n, by=by)
    q["segment_label"] = q["segment_label"].fillna(RANK_OFF_MAP)
    out = q.groupby([*keys, "segment_label"]).agg(
        clients=("r_q", "size"), recency_months=("recency_months", "median"),
        frequency=("frequency", "median"), monetary=("monetary", "median")).reset_index()
    total = out.groupby(keys)["clients"].transform("sum") if keys else out["clients"].sum()
    out["share"] = out["clients"] / total
    return out[cols]


def rank_rows(scores: pd.DataFrame, year: int) -> pd.DataFrame:
    """``rank_profile:<profile>`` (clients), ``rank_share:``, ``rank_recency:``,
    ``rank_frequency:`` and ``rank_monetary:`` (medians) of the rank variant, every scope of
    the stored ``scores`` scored on its own in one pass."""
    prof = rank_profiles(scores, by="scope")
    if prof.empty:
        return pd.DataFrame(columns=ROW_COLUMNS)
    prof = prof.set_index(["scope", "segment_label"])
    return pd.concat([_rows(prof[col].astype(float).dropna(), prefix, year)
                      for col, prefix in RANK_FAMILIES.items()], ignore_index=True)


def category_summary(scores: pd.DataFrame, amounts: pd.DataFrame, grid: rfm.Grid) -> pd.DataFrame:
    """Per RFM category (best first): ``category, clients, share, stays, amount, amount_share,
    amount_per_client`` (stays and amounts over the grid's observation window)."""
    cols = ["category", "clients", "share", "stays", "amount", "amount_share", "amount_per_client"]
    if scores is None or not len(scores) or not {"contact_id", "category"} <= set(scores):
        return pd.DataFrame(columns=cols)
    s = scores[["contact_id", "category"]].merge(amounts, on="contact_id", how="left")
    g = s.groupby("category").agg(clients=("contact_id", "size"), stays=("n_stays", "sum"),
                                  amount=("total_amount", "sum"))
    order = grid.category_order()
    g = g.reindex(order + [c for c in g.index if c not in order], fill_value=0)
    g["clients"] = g["clients"].astype("int64")
    g["stays"] = g["stays"].fillna(0).astype("int64")
    g["share"] = g["clients"] / max(g["clients"].sum(), 1)
    g["amount_share"] = g["amount"] / g["amount"].sum() if g["amount"].sum() else 0.0
    g["amount_per_client"] = g["amount"] / g["clients"].where(g["clients"] > 0)
    return g.rename_axis("category").reset_index()[cols]


CATEGORY_FAMILIES = {"share": "rfm_share:", "stays": "rfm_stays:", "amount": "rfm_amount:",
                     "amount_share": "rfm_amount_share:",
                     "amount_per_client": "rfm_amount_per_client:"}


def category_rows(stays: pd.DataFrame, scores: pd.DataFrame, grid: rfm.Grid,
                  reference_date: dt.date, year: int) -> pd.DataFrame:
    """``rfm_share:``, ``rfm_stays:``, ``rfm_amount:``, ``rfm_amount_share:`` and
    ``rfm_amount_per_client:`` per category of the grid, for every scope of ``scores`` (its
    stays: a centre's own, every stay for the network, as ``rfm_table`` scores them); the
    figures of :func:`category_summary`, every scope at once."""
    if not len(scores) or not len(stays):
        return pd.DataFrame(columns=ROW_COLUMNS)
    # one pass of grc.rfm for every centre (one client per centre and contact), one for NETWORK
    own = stays[stays["centre"].notna()]
    own = own.assign(_k=own["centre"].astype(str) + "\x1f" + own["contact_id"].astype(str))
    per = rfm.compute_rfm(own, reference_date, grid, key="_k")
    net = rfm.compute_rfm(stays, reference_date, grid)
    amounts = pd.concat([
        pd.DataFrame({"_k": per["_k"].to_numpy(), "n_stays": per["n_stays"].to_numpy(),
                      "total_amount": per["total_amount"].to_numpy()}),
        pd.DataFrame({"_k": NETWORK + "\x1f" + net["contact_id"].astype(str).to_numpy(),
                      "n_stays": net["n_stays"].to_numpy(),
                      "total_amount": net["total_amount"].to_numpy()})], ignore_index=True)
    sc = scores[["scope", "contact_id", "category"]]
    sc = sc.assign(_k=sc["scope"].astype(str) + "\x1f" + sc["contact_id"].astype(str))
    s = sc.merge(amounts, on="_k", how="left")
    g = s.groupby(["scope", "category"]).agg(clients=("contact_id", "size"),
                                             stays=("n_stays", "sum"), amount=("total_amount", "sum"))
    order = grid.category_order()
    full = pd.MultiIndex.from_product([sorted(sc["scope"].unique()), order])
    g = g.reindex(full.append(g.index.difference(full)), fill_value=0)
    clients = g["clients"].groupby(level=0).transform("sum")
    amount = g["amount"].groupby(level=0).transform("sum")
    out = {"share": g["clients"] / clients.clip(lower=1), "stays": g["stays"].fillna(0),
           "amount": g["amount"],
           "amount_share": (g["amount"] / amount.where(amount != 0)).where(amount != 0, 0.0),
           "amount_per_client": g["amount"] / g["clients"].where(g["clients"] > 0)}
    return pd.concat([_rows(out[col].astype(float), prefix, year)
                      for col, prefix in CATEGORY_FAMILIES.items()], ignore_index=True)


def family_retention_rows(stays: pd.DataFrame, segments: pd.DataFrame, year: int) -> pd.DataFrame:
    """``family_clients_prev:``, ``family_returning:`` and ``family_retention:`` per segment
    family, by :func:`grc.rfm.loyalty.retention` (a centre: coming back to it; the network:
    to any centre); families without client in N-1 get no row."""
    if not len(stays) or "family" not in segments:
        return pd.DataFrame(columns=ROW_COLUMNS)
    s = stays.merge(segments[["contact_id", "family"]], on="contact_id", how="left")
    s["family"] = s["family"].fillna(NO_FAMILY)
    if not (pd.to_datetime(s["arrival"]).dt.year == year - 1).any():
        return pd.DataFrame(columns=ROW_COLUMNS)
    own = loyalty.retention(s[s["centre"].notna()], years=[year], by=["centre", "family"],
                            same_scope=True)
    net = loyalty.retention(s, years=[year], by=["family"], same_scope=False).assign(centre=NETWORK)
    out = pd.concat([own, net], ignore_index=True)
    out = out[out["clients_prev"] > 0].set_index(["centre", "family"])
    names = {"clients_prev": "family_clients_prev:", "retained": "family_returning:",
             "retention": "family_retention:"}
    return pd.concat([_rows(out[col].astype(float), prefix, year) for col, prefix in names.items()],
                     ignore_index=True)


def win_back_rows(stays: pd.DataFrame, scores: pd.DataFrame, grid: rfm.Grid,
                  reference_date: dt.date, year: int) -> pd.DataFrame:
    """``win_back_clients`` and ``win_back_amount`` of every scope of ``scores``: the
    high-value clients who lapsed, by :func:`grc.rfm.loyalty.lapsed_high_value` (a centre's
    own stays, every stay for the network), every scope in one pass."""
    stays = stays[stays["contact_id"].notna()]
    scoped = pd.concat([st.assign(scope=scope) for scope, st in _scope_frames(stays)],
                       ignore_index=True)
    scored = scores[scores["scope"].isin(set(scoped["scope"]))]
    targets = loyalty.lapsed_high_value(scored.drop_duplicates(["scope", "contact_id"]), scoped,
                                        reference_date, grid=grid, by="scope")
    # each scope's amount summed as a Series (pairwise, like one scope alone), not groupby's sum
    per_scope = targets.groupby("scope")["lifetime_amount"].agg(["size", pd.Series.sum])
    per_scope = per_scope.reindex(sorted(scored["scope"].unique()), fill_value=0)
    rows = []
    for scope, (n, amount) in per_scope.iterrows():
        rows += [{"centre": scope, "year": year, "metric": "win_back_clients", "value": float(n)},
                 {"centre": scope, "year": year, "metric": "win_back_amount", "value": float(amount)}]
    return pd.DataFrame(rows, columns=ROW_COLUMNS)


def breakdown_steps(qualified: pd.DataFrame, issues: pd.DataFrame, links: pd.DataFrame,
                    stays: pd.DataFrame, scores: pd.DataFrame, segments: pd.DataFrame, year: int,
                    reference_date: dt.date | None, grid: rfm.Grid | None,
                    history: pd.DataFrame | None = None,
                    followup: pd.DataFrame | None = None,
                    pairs: pd.DataFrame | None = None) -> list[Callable[[], pd.DataFrame]]:
    """The breakdown families' computations, one independent function each (``stays``: up to
    the reference date already; ``history``: the base's history rows of the year)."""
    steps: list[Callable[[], pd.DataFrame]] = [lambda: quality_rows(qualified, issues, year)]
    if history is not None:
        centres = sorted(qualified["centre"].dropna().unique())
        steps.append(lambda: history_rows(history, centres, year))
    steps += [lambda: followup_rows(followup, year), lambda: shared_pair_rows(links, year),
              lambda: pair_rows(pairs, year)]
    if len(segments):
        steps += [lambda: criterion_rows(links, segments, year),
                  lambda: family_rows(stays, segments, year),
                  lambda: product_rows(stays, segments, year),
                  lambda: season_rows(stays, segments, year),
                  lambda: area_rows(links, segments, year),
                  lambda: cluster_rows(links, segments, year),
                  lambda: family_retention_rows(stays, segments, year)]
    if grid is not None and len(scores):
        steps += [lambda: rf_rows(scores, grid, year), lambda: rank_rows(scores, year)]
        if reference_date is not None:
            steps += [lambda: category_rows(stays, scores, grid, reference_date, year),
                      lambda: win_back_rows(stays, scores, grid, reference_date, year)]
    return steps


def concat_rows(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The breakdown families' rows together (in the steps' order)."""
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=ROW_COLUMNS)


def breakdown_rows(*args, **kwargs) -> pd.DataFrame:
    """Every breakdown family for every centre and the network (see :func:`breakdown_steps`)."""
    return concat_rows([step() for step in breakdown_steps(*args, **kwargs)])
