"""Golden records by survivorship (stage 5)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from grc.dedup.keys import LINK_COLUMNS, _positional

_GOLDEN_GROUPS: dict[str, list[str]] = {
    "identity": ["civility", "first_name", "last_name", "first_key", "last_key"],
    "organisation": ["organisation", "org_key", "position"],
    "address": ["address1", "address2", "address3", "rnvp1", "rnvp2", "rnvp3", "rnvp4",
                "rnvp5", "rnvp6", "postcode", "city", "country", "department", "region"],
    "email": ["email"],
    "phone": ["phone", "phone_type"],
    "mobile": ["mobile", "mobile_type"],
    "profile": ["kind", "segment"],
}


def golden_records(records: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """One golden record per contact: validated over unvalidated, most recent, most complete."""
    r = _positional(records)
    centre = r["centre"].astype(str).to_numpy(object)
    local = r["local_id"].astype(str).to_numpy(object)
    lk = links.astype({"centre": str, "local_id": str})
    if len(lk) == len(r) and np.array_equal(lk["centre"].to_numpy(object), centre) and \
            np.array_equal(lk["local_id"].to_numpy(object), local):
        cid = lk["contact_id"].to_numpy(object)  # links in record order (deduplicate)
    else:
        if lk.duplicated(["centre", "local_id"]).any():
            raise pd.errors.MergeError("links: (centre, local_id) is not unique")
        cid = pd.DataFrame({"centre": centre, "local_id": local}).merge(
            lk[LINK_COLUMNS], on=["centre", "local_id"], how="left")["contact_id"].to_numpy()
    return _golden(r, cid, centre, local)


def _golden(r: pd.DataFrame, cid: np.ndarray, centre: np.ndarray,
            local: np.ndarray) -> pd.DataFrame:
    """Golden records of positional records ``r`` with contact ids ``cid``."""
    upd = pd.to_datetime(r["updated_at"], errors="coerce") if "updated_at" in r \
        else pd.Series(pd.NaT, index=r.index)
    upd_rank = upd.to_numpy("datetime64[ns]").astype(np.int64)  # NaT is the smallest
    notna = {c: r[c].notna().to_numpy() for c in r.columns}
    complete = np.zeros(len(r), dtype=np.int64)
    for c in r.columns:  # centre and local_id are strings, hence always counted
        complete += True if c in ("centre", "local_id") else notna[c]
    complete += 1  # the contact id
    complete -= pd.isna(cid)
    contact, uniq = pd.factorize(cid)  # then sorted codes, the sort on fixed-width text
    uniq = np.asarray(uniq, dtype=object)
    srt = np.argsort(uniq.astype(str), kind="stable")
    rank = np.empty(len(uniq), dtype=np.int64)
    rank[srt] = np.arange(len(uniq))
    contact = np.where(contact >= 0, rank[np.clip(contact, 0, None)] if len(uniq) else -1, -1)
    uniq = uniq[srt]
    tie = np.lexsort((local.astype(str), centre.astype(str))).argsort()
    # shared ordering of the survivorship keys after "valid": recent, complete, record key
    base = np.lexsort((tie, -complete, -upd_rank)).argsort()
    parts = {"contact_id": np.asarray(uniq, dtype=object)}
    starts = None
    by_contact = np.argsort(contact, kind="stable")
    c_sorted = contact[by_contact]
    bounds = np.flatnonzero(np.r_[True, c_sorted[1:] != c_sorted[:-1]])
    pos_of_base = np.empty(len(base), dtype=np.int64)
    pos_of_base[base] = np.arange(len(base))
    n_rows = max(len(base), 1)
    for group, cols in _GOLDEN_GROUPS.items():
        cols = [c for c in cols if c in r.columns]
        if not cols:
            continue
        valid = notna[cols[0]].astype(float)
        if group == "identity":
            valid = valid + (notna["last_name"].astype(float) if "last_name" in r else 0)
            if "first_name" in r:
                fn = r["first_name"]
                fc, fu = pd.factorize(fn)
                fu = pd.Series(np.asarray(fu, dtype=object)).astype(str)
                fu_full = (fu.str.replace(".", "", regex=False).str.strip().str.len() > 1)
                full = np.where(fc >= 0, fu_full.to_numpy()[np.clip(fc, 0, None)]
                                if len(fu) else False, False)
                valid = valid + full.astype(float)
        if group == "address":
            valid = notna["postcode"].astype(float) if "postcode" in r else valid
            if "npai" in r:
                valid = valid + (~r["npai"].fillna(False).astype(bool)).to_numpy(float)
            nn = np.zeros(len(r))
            for c in cols:
                nn += notna[c]
            valid = valid + nn / 100.0
        # best row of each contact (in contact code order): highest valid, then base order
        vrank = pd.factorize(-valid, sort=True)[0].astype(np.int64)
        key = (vrank * n_rows + base)[by_contact]
        best = np.minimum.reduceat(key, bounds) if len(key) else key
        first = pos_of_base[best % n_rows]
        if starts is None:
            starts = first
        for c in cols:
            parts[c] = r[c].iloc[first].reset_index(drop=True)
    out = pd.DataFrame(parts)
    _dates_and_centres(out, r, contact, uniq, upd, centre, starts)
    return out


def _dates_and_centres(out: pd.DataFrame, r: pd.DataFrame, contact: np.ndarray,
                       uniq: np.ndarray, upd: pd.Series, centre: np.ndarray,
                       starts: np.ndarray | None) -> None:
    """Creation/update dates, centres (";"-joined) and record counts of each contact."""
    g = pd.DataFrame({"c": contact})
    if "created_at" in r:
        g["created_at"] = pd.to_datetime(r["created_at"], errors="coerce").to_numpy()
        out["created_at"] = g.groupby("c")["created_at"].min().to_numpy()
    if "updated_at" in r:
        g["updated_at"] = upd.to_numpy()
        out["updated_at"] = g.groupby("c")["updated_at"].max().to_numpy()
    n_rec = np.bincount(contact, minlength=len(uniq))
    centres = centre[starts].copy()
    multi = n_rec[contact] > 1
    if multi.any():
        ccode, cuniq = pd.factorize(centre[multi], sort=True)
        cm = contact[multi]
        if len(cuniq) <= 62:  # centre sets as bit masks, one join per distinct set
            mask = np.zeros(len(uniq), dtype=np.int64)
            np.bitwise_or.at(mask, cm, np.left_shift(np.int64(1), ccode.astype(np.int64)))
            has = np.flatnonzero(mask)
            umask, inv = np.unique(mask[has], return_inverse=True)
            names = np.asarray(cuniq, dtype=object)
            text = np.array([";".join(names[[(m >> j) & 1 == 1 for j in range(len(names))]])
                             for m in umask], dtype=object)
            centres[has] = text[inv]
        else:
            sub = pd.DataFrame({"c": cm, "centre": centre[multi]})
            sub = sub.drop_duplicates().sort_values(["c", "centre"])
            joined = sub.groupby("c", sort=True)["centre"].agg(";".join)
            centres[joined.index.to_numpy()] = joined.to_numpy()
    out["centres"] = centres
    out["n_records"] = n_rec


