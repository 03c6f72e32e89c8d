"""Key figures per centre and for the network (aggregates only, no personal data).

Stored in the base as ``metrics(centre, year, metric, value)``, one slice per year, so that the
reports can show the trend against last year and the index can list every centre.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from grc.measures.breakdowns import breakdown_steps, concat_rows
from grc.measures.catalogue import measure
from grc.rfm import loyalty
from grc.schema import CENTRE_FIXES, NETWORK

MEASURE_COLUMNS = ["scope", "year", "measure", "value"]

# measures shown in the index's table of centres, in order (labels from the catalogue)
INDEX_COLUMNS = ["records", "issue_rate", "emailable_rate", "clients_year", "retention"]
# their short headers in that table (the glossary and the summaries give the full labels)
INDEX_SHORT_LABELS = {"records": "Fiches", "issue_rate": "Avec problème",
                      "emailable_rate": "Joignables e-mail", "clients_year": "Clients",
                      "retention": "Rétention", "alertes": "Alertes"}
# measures shown as the network's headline on the index, in order
INDEX_HEADLINE = ["records", "contacts", "duplicates", "issue_rate", "emailable_rate",
                  "shared_share", "clients_year", "revenue_year", "retention"]


_PER_CACHE: dict[int, pd.Series] = {}


def _centres_per_contact(links: pd.DataFrame) -> pd.Series:
    key = id(links)
    if key not in _PER_CACHE:
        _PER_CACHE.clear()
        _PER_CACHE[key] = links[["contact_id", "centre"]].drop_duplicates().groupby("contact_id").size()
    return _PER_CACHE[key]


def _scope_metrics(scope: str, q: pd.DataFrame, issues: pd.DataFrame, links: pd.DataFrame,
                   stays: pd.DataFrame, scores: pd.DataFrame, segments: pd.DataFrame,
                   all_links: pd.DataFrame, year: int) -> dict[str, float]:
    m: dict[str, float] = {}
    rec = q[q["exported"].astype(bool)]
    n = len(rec)
    m["records"] = n
    ids = links.loc[links["last_year"] == year, "contact_id"] if len(links) else pd.Series(dtype=object)
    m["contacts"] = ids.nunique()
    for ch in ("mailable", "emailable", "phoneable"):
        m[f"{ch}_rate"] = float(rec[ch].astype(bool).mean()) if n else 0.0
    usable = rec["mailable"].astype(bool) | rec["emailable"].astype(bool) | rec["phoneable"].astype(bool)
    m["qualified_share"] = float(usable.mean()) if n else 0.0
    exp_issues = issues.merge(rec[["centre", "local_id"]], on=["centre", "local_id"]) if n else issues.iloc[:0]
    for code, cnt in exp_issues.drop_duplicates(["centre", "local_id", "code"]).groupby("code").size().items():
        m[f"issue:{code}"] = int(cnt)
    m["records_with_issue"] = exp_issues[["centre", "local_id"]].drop_duplicates().shape[0]
    m["duplicates"] = int(n - m["contacts"]) if n else 0
    if len(all_links) and len(ids):
        per = _centres_per_contact(all_links)
        m["shared_contacts"] = int((per.reindex(ids.unique()) > 1).sum())
    else:
        m["shared_contacts"] = 0
    st = stays.copy()
    if len(st):
        st["y"] = pd.to_datetime(st["arrival"]).dt.year
        cur = st[st["y"] == year]
        m["stays_year"] = len(cur)
        m["revenue_year"] = float(cur["amount"].sum())
        m["clients_year"] = cur["contact_id"].nunique()
        first = st.groupby("contact_id")["y"].min()
        m["new_clients"] = int(((first == year) & first.index.isin(cur["contact_id"])).sum())
    else:
        m.update({"stays_year": 0, "revenue_year": 0.0, "clients_year": 0, "new_clients": 0})
    sc = scores[scores["scope"] == scope] if len(scores) else scores
    for cat, cnt in (sc.groupby("category").size().items() if len(sc) else []):
        m[f"rfm:{cat}"] = int(cnt)
    if len(segments):
        seg = segments[segments["contact_id"].isin(ids)]  # the year's contacts, as per centre
        for code, cnt in seg.groupby(seg["segment"].fillna("NON SEGMENTÉ")).size().items():
            m[f"segment:{code}"] = int(cnt)
    return m


def _centre_metrics(qualified: pd.DataFrame, issues: pd.DataFrame, links: pd.DataFrame,
                    stays: pd.DataFrame, scores: pd.DataFrame, segments: pd.DataFrame,
                    year: int) -> pd.DataFrame:
    """``_scope_metrics`` of every centre of ``qualified`` at once (same figures, same order)."""
    cols = ["centre", "year", "metric", "value"]
    q = qualified[qualified["centre"].notna()]
    if q.empty:
        return pd.DataFrame(columns=cols)
    centres = pd.Index(sorted(q["centre"].unique()))
    parts: list[pd.DataFrame] = []  # (centre, metric, value, rank) in _scope_metrics' order

    def put(values: pd.Series, metric: str | pd.Series, rank: int) -> None:
        """One figure per centre (``values`` indexed by centre) or one per (centre, label)."""
        if isinstance(values.index, pd.MultiIndex):
            c = values.index.get_level_values(0)
            name = metric + values.index.get_level_values(1).astype(str)
        else:
            c, name = values.index, metric
        parts.append(pd.DataFrame({"centre": np.asarray(c, dtype=object), "metric": name,
                                   "value": values.to_numpy(dtype=float), "rank": rank}))

    exp = q["exported"].astype(bool).to_numpy()
    rec = q[exp]
    n = rec.groupby("centre").size().reindex(centres, fill_value=0)
    put(n, "records", 0)
    ln = links[links["centre"].notna()] if len(links) else links
    year_links = ln[ln["last_year"] == year] if len(ln) else ln
    in_centres = year_links["centre"].isin(centres) if len(year_links) else None
    if len(year_links):
        year_links = year_links[in_centres]
        contacts = year_links.groupby("centre")["contact_id"].nunique().reindex(centres, fill_value=0)
    else:
        contacts = pd.Series(0, index=centres)
    put(contacts, "contacts", 1)
    flags = {ch: q[ch].astype(bool).to_numpy() for ch in ("mailable", "emailable", "phoneable")}
    nz = n.to_numpy() > 0
    for i, ch in enumerate(("mailable", "emailable", "phoneable")):
        hits = pd.Series(flags[ch][exp], index=rec.index).groupby(rec["centre"]).sum()
        hits = hits.reindex(centres, fill_value=0).to_numpy()
        rate = np.where(nz, hits / np.where(nz, n.to_numpy(), 1), 0.0)
        put(pd.Series(rate, index=centres), f"{ch}_rate", 2 + i)
    usable = (flags["mailable"] | flags["emailable"] | flags["phoneable"])[exp]
    hits = pd.Series(usable, index=rec.index).groupby(rec["centre"]).sum().reindex(centres, fill_value=0)
    put(pd.Series(np.where(nz, hits.to_numpy() / np.where(nz, n.to_numpy(), 1), 0.0), index=centres),
        "qualified_share", 5)
    if len(issues) and len(rec):
        exp_issues = issues[issues["centre"].isin(centres)].merge(rec[["centre", "local_id"]],
                                                                   on=["centre", "local_id"])
    else:
        exp_issues = issues.iloc[:0]
    if len(exp_issues):
        by_code = exp_issues.drop_duplicates(["centre", "local_id", "code"]).groupby(["centre", "code"]).size()
        put(by_code, "issue:", 6)
        with_issue = exp_issues[["centre", "local_id"]].drop_duplicates().groupby("centre").size()
    else:
        with_issue = pd.Series(dtype="int64")
    put(with_issue.reindex(centres, fill_value=0), "records_with_issue", 7)
    put(pd.Series(np.where(nz, n.to_numpy() - contacts.to_numpy(), 0), index=centres), "duplicates", 8)
    if len(links) and len(year_links):
        per = _centres_per_contact(links)
        pairs = year_links[["centre", "contact_id"]].drop_duplicates()
        shared = pd.Series((pairs["contact_id"].map(per) > 1).to_numpy(), index=pairs.index)
        shared = shared.groupby(pairs["centre"]).sum().reindex(centres, fill_value=0)
    else:
        shared = pd.Series(0, index=centres)
    put(shared, "shared_contacts", 9)
    _stay_metrics(stays, centres, year, put)
    if len(scores):
        sc = scores[scores["scope"].isin(centres)]
        put(sc.groupby(["scope", "category"]).size(), "rfm:", 15)
    if len(segments):
        pairs = year_links[["centre", "contact_id"]].drop_duplicates() if len(year_links) \
            else pd.DataFrame(columns=["centre", "contact_id"])
        seg = pairs.merge(segments[["contact_id", "segment"]], on="contact_id")
        put(seg.groupby(["centre", seg["segment"].fillna("NON SEGMENTÉ")]).size(), "segment:", 16)
    out = pd.concat(parts, ignore_index=True)
    pos = out["centre"].map({c: i for i, c in enumerate(centres)}).to_numpy()
    out = out.iloc[np.lexsort((out["rank"].to_numpy(), pos))]
    out.insert(1, "year", year)
    return out[cols].reset_index(drop=True)


def _stay_metrics(stays: pd.DataFrame, centres: pd.Index, year: int, put) -> None:
    """Stays, revenue, clients, retention and new clients of the year, per centre."""
    st = stays[stays["centre"].isin(centres)] if len(stays) else stays
    if not len(st):
        for metric, rank, v in (("stays_year", 10, 0), ("revenue_year", 11, 0.0),
                                ("clients_year", 12, 0), ("new_clients", 14, 0)):
            put(pd.Series(v, index=centres, dtype=float), metric, rank)
        return
    y = pd.to_datetime(st["arrival"]).dt.year.to_numpy()
    centre = st["centre"].to_numpy(dtype=object)
    cid = st["contact_id"]
    cur = y == year
    put(pd.Series(cur).groupby(centre).sum().reindex(centres, fill_value=0), "stays_year", 10)
    # revenue: the same numpy sum as ``Series.sum`` on each centre's rows, in their order
    amount = st["amount"]
    cur_pos = np.flatnonzero(cur)
    revenue = {c: float(amount.iloc[cur_pos[pos]].sum())
               for c, pos in pd.Series(centre[cur_pos]).groupby(centre[cur_pos]).indices.items()}
    put(pd.Series(revenue, dtype=float).reindex(centres, fill_value=0.0), "revenue_year", 11)
    cur_pairs = pd.DataFrame({"centre": centre[cur], "contact_id": cid.to_numpy()[cur]})
    put(cur_pairs.groupby("centre")["contact_id"].nunique().reindex(centres, fill_value=0), "clients_year", 12)
    cur_u = cur_pairs.drop_duplicates()
    first = pd.Series(y, index=st.index).groupby([centre, cid.to_numpy()]).min()
    first = first[first == year]
    is_new = pd.MultiIndex.from_frame(cur_u).isin(first.index) if len(cur_u) else np.array([], bool)
    new = cur_u[is_new].groupby("centre").size() if len(cur_u) else pd.Series(dtype="int64")
    put(new.reindex(centres, fill_value=0), "new_clients", 14)


# issue codes a centre is asked to fix (consent and opposition are not defects to fix)
FIXABLE = CENTRE_FIXES | {"npai"}
FOLLOWUP_LABELS = {"corrigé": "corrigé", "toujours": "toujours en anomalie",
                   "retiré": "retiré de l'export"}


def issue_followup(prev_issues: pd.DataFrame, issues: pd.DataFrame, qualified: pd.DataFrame,
                   year: int) -> pd.DataFrame:
    """What became of last year's issues sent back to the centres: fixed, still wrong, dropped."""
    cols = ["centre", "local_id", "code", "year", "status"]
    if prev_issues is None or prev_issues.empty:
        return pd.DataFrame(columns=cols)
    prev = prev_issues[prev_issues["code"].isin(FIXABLE)][["centre", "local_id", "code"]].drop_duplicates()
    exported = qualified.loc[qualified["exported"].astype(bool) & (qualified["year"] == year),
                             ["centre", "local_id"]]
    centres_now = set(qualified.loc[qualified["year"] == year, "centre"])
    prev = prev[prev["centre"].isin(centres_now)]  # a centre without a new export: nothing to say
    cur = issues[["centre", "local_id", "code"]].drop_duplicates().assign(_still=True)
    out = prev.merge(cur, on=["centre", "local_id", "code"], how="left")
    out = out.merge(exported.assign(_exp=True), on=["centre", "local_id"], how="left")
    out["status"] = "corrigé"
    out.loc[out["_still"].eq(True), "status"] = "toujours"
    out.loc[out["_exp"].ne(True), "status"] = "retiré"
    out["year"] = year
    return out[cols].sort_values(cols[:3]).reset_index(drop=True)


def compute_measures(qualified: pd.DataFrame, issues: pd.DataFrame, links: pd.DataFrame,
                     stays: pd.DataFrame, scores: pd.DataFrame, segments: pd.DataFrame,
                     year: int, followup: pd.DataFrame | None = None,
                     reference_date: dt.date | None = None,
                     corrections: pd.DataFrame | None = None,
                     org_scores: pd.DataFrame | None = None,
                     grid: Any = None, history: pd.DataFrame | None = None,
                     pairs: pd.DataFrame | None = None,
                     run: Callable[[list], list] | None = None) -> pd.DataFrame:
    """Every measure of every centre and of ``NETWORK``: ``scope, year, measure, value`` rows.

    Stays after ``reference_date`` (bookings to come) count in no measure. ``corrections``:
    ``centre, status, count`` of the corrections centres sent back in their return files.
    ``grid``: the network's RFM grid (``grc.rfm.load_grid``), for the RFM breakdowns;
    ``history``: the base's history rows of the year, for what changed since last year;
    ``pairs``: the deduplication's candidate pairs (``centre_a, centre_b, score, decision``).
    ``run``: runs a list of independent computations and returns their results in order (e.g.
    :func:`grc.pipeline.integrate.run_parts`, on two cores); default: one after the other here.
    """
    if reference_date is not None and len(stays):
        stays = stays[pd.to_datetime(stays["arrival"]) <= pd.Timestamp(reference_date)]
    rows = []
    if followup is not None and len(followup):
        fu = followup.groupby(["centre", "status"]).size()
        for (c, st), n in fu.items():
            rows.append({"centre": c, "year": year, "metric": f"followup:{st}", "value": float(n)})
        for st, n in followup.groupby("status").size().items():
            rows.append({"centre": NETWORK, "year": year, "metric": f"followup:{st}", "value": float(n)})

    if corrections is not None and len(corrections):
        by = corrections.groupby(["centre", "status"])["count"].sum()
        rows += [{"centre": c, "year": year, "metric": f"correction:{st}", "value": float(n)}
                 for (c, st), n in by.items()]
        rows += [{"centre": NETWORK, "year": year, "metric": f"correction:{st}", "value": float(n)}
                 for st, n in corrections.groupby("status")["count"].sum().items()]
    if org_scores is not None and len(org_scores):  # B2B loyalty: organisations per category
        rows += [{"centre": s, "year": year, "metric": f"org_rfm:{cat}", "value": float(n)}
                 for (s, cat), n in org_scores.groupby(["scope", "category"]).size().items()]
    rows_frame = pd.DataFrame(rows, columns=["centre", "year", "metric", "value"])
    seg_codes = segments[["contact_id", "segment"]] if len(segments) else segments
    net_scores = scores[scores["scope"] == NETWORK] if len(scores) else scores.iloc[:0]
    centre_codes = sorted(qualified["centre"].dropna().unique())
    steps = [lambda: _centre_metrics(qualified, issues, links, stays, scores, segments, year),
             lambda: _scope_metrics(NETWORK, qualified, issues, links, stays, net_scores, seg_codes,
                                    links, year),
             lambda: _loyalty_measures(stays, centre_codes, year),
             lambda: _satisfaction_measures(stays, centre_codes, year, segments),
             *breakdown_steps(qualified, issues, links, stays, scores, segments, year,
                              reference_date, grid, history, followup, pairs)]
    centres, m, loyal, survey, *tables = (run or _one_after_the_other)(steps)
    # network duplicates: records of the year minus distinct network contacts
    net = pd.DataFrame({"centre": NETWORK, "year": year, "metric": list(m),
                        "value": [float(v) for v in m.values()]})
    parts = [f for f in (rows_frame, centres, net) if len(f)]
    if not parts:
        return pd.DataFrame(columns=MEASURE_COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    tables = concat_rows(tables)
    tables = tables[tables["centre"].isin([*centre_codes, NETWORK])]
    out = pd.concat([f for f in (out, loyal, survey, tables) if len(f)], ignore_index=True)
    out = pd.concat([out, _derived(out)], ignore_index=True)
    out = out.rename(columns={"centre": "scope", "metric": "measure"})
    for name in out["measure"].unique():
        measure(name)  # every stored figure has its definition (KeyError otherwise)
    return out.astype({"scope": object, "year": "int64", "measure": object, "value": "float64"})


def _one_after_the_other(steps: list[Callable[[], Any]]) -> list:
    return [step() for step in steps]


def _loyalty_measures(stays: pd.DataFrame, centres: list[str], year: int) -> pd.DataFrame:
    """Retention, repeat stays and multi-centre clients, by the one implementation of
    :mod:`grc.rfm.loyalty`: per centre (coming back to the same centre) and for the network
    (coming back to any centre)."""
    cols = ["centre", "year", "metric", "value"]
    if not len(stays):
        return pd.DataFrame(columns=cols)
    st = stays[["centre", "contact_id", "arrival"]]
    own = st[st["centre"].isin(centres)]
    parts = []
    for frame, by, scope in ((own, ["centre"], None), (st, [], NETWORK)):
        ret = loyalty.retention(frame, years=[year], by=by, same_scope=scope is None)
        rep = loyalty.repeat_rate(frame, by=by)
        multi = loyalty.multi_centre_share(st, by=by) if scope is not None else \
            _multi_per_centre(own, st)
        for df, names in ((ret, {"clients_prev": "clients_prev_year", "retained": "returning_clients",
                                 "retention": "retention"}),
                          (rep, {"clients": "clients_total", "repeat_rate": "repeat_rate"}),
                          (multi, {"share": "multi_centre_share"})):
            keys = df["centre"] if by else pd.Series([scope] * len(df))
            for col, name in names.items():
                parts.append(pd.DataFrame({"centre": keys.to_numpy(), "year": year,
                                           "metric": name, "value": df[col].astype(float).to_numpy()}))
    parts += _organisation_retention(_org_stays(stays, own), _org_stays(stays, st), year)
    out = pd.concat(parts, ignore_index=True)
    return out[out["centre"].isin([*centres, NETWORK])][cols].reset_index(drop=True)


def _satisfaction_measures(stays: pd.DataFrame, centres: list[str], year: int,
                           segments: pd.DataFrame) -> pd.DataFrame:
    """Post-stay surveys of the year (the "Contrôler" step): surveys sent, answers, response
    rate and mean score per scope and segment, and last year's score of the clients who came
    back against those who did not. Scopes whose exports carry no survey get no row."""
    from grc.rules import flag

    cols = ["centre", "year", "metric", "value"]
    if not len(stays) or "satisfaction" not in stays or "surveyed" not in stays:
        return pd.DataFrame(columns=cols)
    st = stays.assign(_y=pd.to_datetime(stays["arrival"]).dt.year,
                      _score=pd.to_numeric(stays["satisfaction"], errors="coerce"),
                      _sent=flag(stays["surveyed"], stays.index) | stays["satisfaction"].notna())
    st = st[st["_sent"] | st["_score"].notna()]
    if st.empty:
        return pd.DataFrame(columns=cols)
    seg = segments.set_index("contact_id")["segment"] if len(segments) else pd.Series(dtype=object)
    rows = []
    for scope, part in [*((c, st[st["centre"] == c]) for c in centres), (NETWORK, st)]:
        cur = part[part["_y"] == year]
        if not cur["_sent"].any():
            continue
        answered = cur["_score"].notna()
        figures = {"surveys_sent": float(cur["_sent"].sum()), "survey_answers": float(answered.sum()),
                   "survey_response_rate": float(answered.sum() / cur["_sent"].sum()),
                   "satisfaction_mean": float(cur["_score"].mean()) if answered.any() else np.nan}
        by_seg = cur.groupby(cur["contact_id"].map(seg))["_score"].mean().dropna()
        figures.update({f"satisfaction:{code}": float(v) for code, v in by_seg.items()})
        figures.update(_satisfaction_and_return(part, year))
        rows += [{"centre": scope, "year": year, "metric": k, "value": v} for k, v in figures.items()]
    return pd.DataFrame(rows, columns=cols)


def _satisfaction_and_return(part: pd.DataFrame, year: int) -> dict[str, float]:
    """Mean score given in N-1 by the clients who came back in N, and by those who did not."""
    prev = part[(part["_y"] == year - 1) & part["_score"].notna()]
    if prev.empty:
        return {}
    back = prev["contact_id"].isin(set(part.loc[part["_y"] == year, "contact_id"]))
    out = {}
    for name, mask in (("satisfaction_returning", back), ("satisfaction_not_returning", ~back)):
        if mask.any():
            out[name] = float(prev.loc[mask, "_score"].mean())
    return out


def _org_stays(stays: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """The stays of ``frame`` made by a B2B contact, with their organisation."""
    if "organisation_id" not in stays:
        return frame.iloc[0:0].assign(organisation_id=pd.Series(dtype=object))
    org = stays.loc[frame.index, "organisation_id"]
    return frame.assign(organisation_id=org)[org.notna().to_numpy()]


def _organisation_retention(own: pd.DataFrame, network: pd.DataFrame,
                            year: int) -> list[pd.DataFrame]:
    """Retention of client organisations (B2B): a school that comes back with another teacher
    is a returning client here, while per person it is one lost client and one new one."""
    parts = []
    for frame, by in ((own, ["centre"]), (network, [])):
        if not len(frame):
            continue
        ret = loyalty.retention(frame, years=[year], by=by, key="organisation_id",
                                same_scope=bool(by))
        keys = ret["centre"] if by else pd.Series([NETWORK] * len(ret))
        for col, name in (("clients_prev", "org_clients_prev_year"),
                          ("retained", "org_returning"), ("retention", "org_retention")):
            parts.append(pd.DataFrame({"centre": keys.to_numpy(), "year": year, "metric": name,
                                       "value": ret[col].astype(float).to_numpy()}))
    return parts


def _multi_per_centre(own: pd.DataFrame, network: pd.DataFrame) -> pd.DataFrame:
    """Per centre: share of its clients who stayed at two centres or more of the network."""
    n_centres = network.groupby("contact_id")["centre"].nunique()
    pairs = own[["centre", "contact_id"]].drop_duplicates()
    multi = pairs["contact_id"].map(n_centres).ge(2)
    out = multi.groupby(pairs["centre"]).agg(["size", "sum"]).reset_index()
    out["share"] = out["sum"] / out["size"]
    return out


def _derived(out: pd.DataFrame) -> pd.DataFrame:
    """Ratios of two stored figures, per scope (defined in the catalogue like the others)."""
    wide = out.pivot_table(index="centre", columns="metric", values="value", aggfunc="first")
    rows = []
    for name, num, den in (("issue_rate", "records_with_issue", "records"),
                           ("shared_share", "shared_contacts", "contacts"),
                           ("duplicate_rate", "duplicates", "records")):
        if num in wide and den in wide:
            ok = wide[den] > 0
            ratio = (wide[num] / wide[den].where(ok)).where(ok)
            rows += [{"centre": c, "year": int(out["year"].iloc[0]), "metric": name, "value": v}
                     for c, v in ratio.items()]
    parts = [pd.DataFrame(rows, columns=["centre", "year", "metric", "value"])]
    parts += [_shares(out, wide, "issue:", "issue_share:", wide.get("records")),
              _shares(out, wide, "segment:", "segment_share:", None), _duplicates_split(out, wide)]
    return pd.concat([p for p in parts if len(p)], ignore_index=True)


def _duplicates_split(out: pd.DataFrame, wide: pd.DataFrame) -> pd.DataFrame:
    """Duplicates inside each centre and between centres: a centre's duplicates are all
    within it; the network's split at the sum of the centres' contacts."""
    cols = ["centre", "year", "metric", "value"]
    if not {"records", "contacts", "duplicates"} <= set(wide.columns) or NETWORK not in wide.index:
        return pd.DataFrame(columns=cols)
    year = int(out["year"].iloc[0])
    centres = wide.drop(index=NETWORK)
    per_centre = float(centres["contacts"].sum())
    net = wide.loc[NETWORK]
    rows = [{"centre": c, "year": year, "metric": "duplicates_within", "value": float(v)}
            for c, v in centres["duplicates"].dropna().items()]
    rows += [{"centre": NETWORK, "year": year, "metric": "duplicates_within",
              "value": float(net["records"]) - per_centre},
             {"centre": NETWORK, "year": year, "metric": "duplicates_between",
              "value": per_centre - float(net["contacts"])}]
    return pd.DataFrame(rows, columns=cols)


def _shares(out: pd.DataFrame, wide: pd.DataFrame, family: str, share_family: str,
            base: pd.Series | None) -> pd.DataFrame:
    """Each member of ``family`` divided by ``base`` (default: the family's total), per scope."""
    cols = [c for c in wide.columns if c.startswith(family)]
    if not cols:
        return pd.DataFrame(columns=["centre", "year", "metric", "value"])
    part = wide[cols]
    den = part.sum(axis=1, min_count=1) if base is None else base
    ratio = part.div(den.where(den > 0), axis=0).stack()
    return pd.DataFrame({"centre": ratio.index.get_level_values(0), "year": int(out["year"].iloc[0]),
                         "metric": [share_family + c[len(family):]
                                    for c in ratio.index.get_level_values(1)],
                         "value": ratio.to_numpy(dtype=float)})


def scope_hashes(frames: dict[str, pd.DataFrame], centres: list[str], extra: str,
                 shown_everywhere: pd.DataFrame | None = None) -> dict[str, str]:
    """A content hash of each centre's slice of the base, and of the whole network.

    A centre's pages are recomputed when its own data changed, or when ``shown_everywhere``
    changed: the network's measures, which every centre page shows beside its own (one
    measure, one value on every page).
    """
    out: dict[str, str] = {}
    # one hash per row of each frame, computed once for the network and the centres
    rows = {name: pd.util.hash_pandas_object(f.astype(str), index=False).to_numpy()
            for name, f in frames.items() if len(f)}
    net = hashlib.sha256(extra.encode())
    for name in sorted(frames):
        if name in rows:
            net.update(name.encode())
            # order-independent: the same rows in another order give the same hash
            net.update(np.sort(rows[name]).tobytes())
    out[NETWORK] = net.hexdigest()[:16]
    hashers = {code: hashlib.sha256(f"{extra}|{code}".encode()) for code in centres}
    for name in sorted(frames):
        f = frames[name]
        col = "centre" if "centre" in f.columns else ("scope" if "scope" in f.columns else None)
        if col is None or not len(f):
            continue
        if f.index.is_unique:
            groups = f.groupby(col, sort=False).indices.items()  # positions
            rowh = rows[name]
        else:  # rows looked up by label, as many times as the label occurs
            rowh_s = pd.Series(rows[name], index=f.index)
            groups = ((code, rowh_s.loc[idx].to_numpy())
                      for code, idx in f.groupby(col, sort=False).groups.items())
            rowh = None
        for code, pos in groups:
            if code in hashers:
                hashers[code].update(name.encode())
                hashers[code].update(np.sort(rowh[pos] if rowh is not None else pos).tobytes())
    if shown_everywhere is not None and len(shown_everywhere):
        shared = np.sort(pd.util.hash_pandas_object(shown_everywhere.astype(str),
                                                    index=False).to_numpy()).tobytes()
        for h in hashers.values():
            h.update(b"shown_everywhere")
            h.update(shared)
    for code, h in hashers.items():
        out[code] = h.hexdigest()[:16]
    return out
