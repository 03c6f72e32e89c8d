"""Key figures per centre and for the network (aggregates only, no personal data).

Stored in the base as ``metrics(centre, year, metric, value)``, one slice per year, so that the
reports can show the trend against last year and the index can list every centre.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from grc.schema import NETWORK

# figures shown in the index table, in order, with their French labels
INDEX_COLUMNS = {
    "records": "Fiches",
    "contacts": "Contacts",
    "qualified_share": "Qualifiés",
    "emailable_rate": "Joignables e-mail",
    "duplicates": "Doublons",
    "shared_contacts": "Clients partagés",
    "stays_year": "Séjours de l'année",
    "retention": "Fidélisation",
}


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
        prev = st[st["y"] == year - 1]
        m["stays_year"] = len(cur)
        m["revenue_year"] = float(cur["amount"].sum())
        m["clients_year"] = cur["contact_id"].nunique()
        prev_ids = set(prev["contact_id"])
        m["retention"] = (len(prev_ids & set(cur["contact_id"])) / len(prev_ids)) if prev_ids else float("nan")
        first = st.groupby("contact_id")["y"].min()
        m["new_clients"] = int(((first == year) & first.index.isin(cur["contact_id"])).sum())
    else:
        m.update({"stays_year": 0, "revenue_year": 0.0, "clients_year": 0, "retention": float("nan"),
                  "new_clients": 0})
    sc = scores[scores["scope"] == scope] if len(scores) else scores
    for cat, cnt in (sc.groupby("category").size().items() if len(sc) else []):
        m[f"rfm:{cat}"] = int(cnt)
    if len(segments):
        seg = segments[segments["contact_id"].isin(ids)] if scope != NETWORK else segments
        for code, cnt in seg.groupby(seg["segment"].fillna("NON SEGMENTÉ")).size().items():
            m[f"segment:{code}"] = int(cnt)
    return m


# issue codes a centre is asked to fix (consent and opposition are not defects to fix)
FIXABLE = {"missing_name", "incomplete_address", "invalid_postcode", "invalid_email", "invalid_phone",
           "npai", "unknown_code", "duplicate_local_id", "no_channel", "invalid_date"}
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


def compute_metrics(qualified: pd.DataFrame, issues: pd.DataFrame, links: pd.DataFrame,
                    stays: pd.DataFrame, scores: pd.DataFrame, segments: pd.DataFrame,
                    year: int, followup: pd.DataFrame | None = None) -> pd.DataFrame:
    """Figures of every centre and of ``NETWORK`` as ``centre, year, metric, value`` rows."""
    rows = []
    if followup is not None and len(followup):
        fu = followup.groupby(["centre", "status"]).size()
        for (c, st), n in fu.items():
            rows.append({"centre": c, "year": year, "metric": f"followup:{st}", "value": float(n)})
        for st, n in followup.groupby("status").size().items():
            rows.append({"centre": NETWORK, "year": year, "metric": f"followup:{st}", "value": float(n)})

    def split(frame: pd.DataFrame, col: str = "centre") -> dict[str, pd.DataFrame]:
        return {k: g for k, g in frame.groupby(col, sort=False)} if len(frame) else {}

    by_q, by_i, by_l, by_s = split(qualified), split(issues), split(links), split(stays)
    by_sc = split(scores, "scope")
    seg_codes = segments[["contact_id", "segment"]] if len(segments) else segments
    for code in sorted(by_q):
        m = _scope_metrics(code, by_q[code], by_i.get(code, issues.iloc[:0]),
                           by_l.get(code, links.iloc[:0]), by_s.get(code, stays.iloc[:0]),
                           by_sc.get(code, scores.iloc[:0]), seg_codes, links, year)
        rows += [{"centre": code, "year": year, "metric": k, "value": float(v)} for k, v in m.items()]
    m = _scope_metrics(NETWORK, qualified, issues, links, stays, by_sc.get(NETWORK, scores.iloc[:0]),
                       seg_codes, links, year)
    # network duplicates: records of the year minus distinct network contacts
    rows += [{"centre": NETWORK, "year": year, "metric": k, "value": float(v)} for k, v in m.items()]
    return pd.DataFrame(rows)


def scope_hashes(frames: dict[str, pd.DataFrame], centres: list[str], extra: str) -> dict[str, str]:
    """A content hash of each centre's slice of the base, and of the whole network.

    A centre's pages are recomputed only when its own data changed.
    """
    out: dict[str, str] = {}
    net = hashlib.sha256(extra.encode())
    for name in sorted(frames):
        f = frames[name]
        if len(f):
            net.update(name.encode())
            # order-independent: the same rows in another order give the same hash
            net.update(np.sort(pd.util.hash_pandas_object(f.astype(str), index=False).to_numpy()).tobytes())
    out[NETWORK] = net.hexdigest()[:16]
    hashers = {code: hashlib.sha256(f"{extra}|{code}".encode()) for code in centres}
    for name in sorted(frames):
        f = frames[name]
        col = "centre" if "centre" in f.columns else ("scope" if "scope" in f.columns else None)
        if col is None or not len(f):
            continue
        rowh = pd.Series(pd.util.hash_pandas_object(f.astype(str), index=False).to_numpy(), index=f.index)
        for code, idx in f.groupby(col, sort=False).groups.items():
            if code in hashers:
                hashers[code].update(name.encode())
                hashers[code].update(np.sort(rowh.loc[idx].to_numpy()).tobytes())
    for code, h in hashers.items():
        out[code] = h.hexdigest()[:16]
    return out
