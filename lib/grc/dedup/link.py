"""Deduplication within each centre and across the network (issue 4).

Pipeline on qualified records (``grc.schema`` "Qualified records"):

1. ``candidate_pairs``: several exact blocking passes on integer-coded normalised keys
   (``BlockCodes``, a recordlinkage index algorithm generating the pairs with numpy),
   unioned, plus one narrow sorted-neighbourhood pass on small bases.
2. Comparison with ``recordlinkage.Compare`` on integer-coded keys (``CodedKeys``): custom
   features run rapidfuzz's batch ``process.cpdist`` on the distinct value pairs only
   (Jaro-Winkler, swapped names, initials, organisation, address, place, e-mail, phone/mobile
   equality); per-stage wall and CPU seconds are in ``stats``.
3. Unsupervised Fellegi-Sunter classification: u probabilities from seeded random pairs,
   fixed m priors (optionally refined by EM), term-frequency adjusted exact names, prior
   match rate estimated on the candidates; threshold plus an uncertain band (review).
4. Clustering (connected components, split on cannot-link / contradictory pairs by minimum
   cut and on weak bridges), stable ``contact_id`` and golden records by survivorship.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from grc.dedup.blocking import (  # noqa: F401  (re-exported: the dedup API lives here)
    _PASSES,
    BlockCodes,
    _block_codes,
    _block_pairs,
    _candidate_positions,
    candidate_pairs,
)
from grc.dedup.cluster import (  # noqa: F401
    _assign_ids,
    _cluster,
    _components,
    _decision_positions,
    load_decisions,
)
from grc.dedup.compare import (  # noqa: F401
    M_PRIORS,
    CodedExact,
    CodedKeys,
    CodedNameFeature,
    CodedPhoneFeature,
    CodedSimilarity,
    EditDistance,
    ExactEqual,
    FuzzyTokens,
    JaroWinklerBatch,
    NameFeature,
    PhoneFeature,
    _coded_keys,
    _compare,
    _levels,
)
from grc.dedup.golden import _golden, golden_records  # noqa: F401
from grc.dedup.keys import (  # noqa: F401
    DECISION_COLUMNS,
    DEFAULT_REVIEW_BAND,
    DEFAULT_THRESHOLD,
    LINK_COLUMNS,
    MAX_BLOCK,
    SEED,
    _col,
    _keys,
    _log,
    _positional,
    make_key,
    vector_key,
)
from grc.dedup.model import U_PRIORS, FSModel, _fit  # noqa: F401


# ----------------------------------------------------------------------------- main
@dataclass
class DedupResult:
    """Output of :func:`deduplicate`."""

    links: pd.DataFrame
    pairs: pd.DataFrame
    review: pd.DataFrame
    contacts: pd.DataFrame
    stats: dict


_SIDE_FIELDS = ["civility", "first_name", "last_name", "organisation", "address1", "postcode",
                "city", "email", "phone", "mobile", "updated_at"]
_CMP_COLUMNS = ["first_sim", "last_sim", "swapped", "initial", "org_sim", "addr_sim", "pc_eq",
                "city_sim", "email_eq", "phone_lvl"]


def deduplicate(records: pd.DataFrame, previous_links: pd.DataFrame | None = None,
                decisions: pd.DataFrame | None = None, *, threshold: float = DEFAULT_THRESHOLD,
                review_band: tuple[float, float] = DEFAULT_REVIEW_BAND, progress: bool = False,
                link_only: bool = False, truth: pd.Series | np.ndarray | None = None,
                em_iterations: int = 0, n_random: int = 200_000, seed: int = SEED,
                sn_window: int | None = None) -> DedupResult:
    """Deduplicate qualified records; ``link_only`` keeps only pairs across centres.

    ``score`` is the posterior log2-odds of a match; pairs at or above ``threshold`` are
    linked, pairs inside ``review_band`` go to the review frame. Review ``decisions``
    override the model (``same`` links, ``different`` separates, even after clustering).
    ``truth`` (entity per record, same order) adds pair completeness to the stats.
    """
    t0, c0 = time.perf_counter(), time.process_time()
    timings: dict[str, float] = {}
    cpu: dict[str, float] = {}
    k = _keys(records)
    coded = _coded_keys(k)
    n = len(k)
    timings["keys"] = time.perf_counter() - t0
    cpu["keys"] = time.process_time() - c0
    _log(progress, f"{n} enregistrements, clés en {timings['keys']:.1f}s")

    t, ct = time.perf_counter(), time.process_time()
    pairs_idx = _candidate_positions(k, link_only=link_only, sn_window=sn_window,
                                     coded=coded)
    timings["index"] = time.perf_counter() - t
    cpu["index"] = time.process_time() - ct
    _log(progress, f"{len(pairs_idx)} paires candidates en {timings['index']:.1f}s")

    t, ct = time.perf_counter(), time.process_time()
    comp = _compare(k, pairs_idx, coded)
    lv = _levels(comp)
    timings["compare"] = time.perf_counter() - t
    cpu["compare"] = time.process_time() - ct
    _log(progress, f"comparaison en {timings['compare']:.1f}s")

    t, ct = time.perf_counter(), time.process_time()
    if n >= 2:
        model = _fit(k, lv, comp, link_only=link_only, n_random=n_random,
                     em_iterations=em_iterations, seed=seed, coded=coded)
        score = model.score(lv, comp)
    else:
        model, score = None, np.zeros(0)
    timings["classify"] = time.perf_counter() - t
    cpu["classify"] = time.process_time() - ct

    a = pairs_idx.get_level_values(0).to_numpy(np.int64)
    b = pairs_idx.get_level_values(1).to_numpy(np.int64)
    lo, hi = review_band
    decision = np.where(score >= hi, "match", np.where(score >= lo, "review", "non-match"))
    linked = score >= threshold
    override = np.full(len(a), None, dtype=object)

    # review decisions override the model on every run
    dec = _decision_positions(k, decisions)
    cannot: set[tuple[int, int]] = set()
    must = np.zeros(len(a), dtype=bool)
    if len(dec):
        code = a * n + b
        dcode = dec["a"].to_numpy(np.int64) * n + dec["b"].to_numpy(np.int64)
        where = pd.Series(np.arange(len(a)), index=code)
        hit = pd.Series(dcode).map(where)
        new = dec[hit.isna().to_numpy()]
        if len(new):  # "same" pairs that were not candidates are added
            new = new[new["decision"] == "same"]
            a = np.concatenate([a, new["a"].to_numpy(np.int64)])
            b = np.concatenate([b, new["b"].to_numpy(np.int64)])
            score = np.concatenate([score, np.full(len(new), np.nan)])
            decision = np.concatenate([decision, np.full(len(new), "match")])
            linked = np.concatenate([linked, np.ones(len(new), dtype=bool)])
            override = np.concatenate([override, np.full(len(new), "same", dtype=object)])
            must = np.concatenate([must, np.ones(len(new), dtype=bool)])
            extra = pd.DataFrame(np.nan, index=range(len(new)), columns=comp.columns)
            comp = pd.concat([comp, extra], ignore_index=True)
        code = a * n + b
        where = pd.Series(np.arange(len(a)), index=code)
        for (x, y, d) in dec.itertuples(index=False):
            i = int(where[x * n + y]) if (x * n + y) in where.index else None
            if d == "different":
                cannot.add((int(x), int(y)))
            if i is None:
                continue
            override[i] = d
            linked[i] = d == "same"
            must[i] = d == "same"
            decision[i] = "match" if d == "same" else "non-match"

    t, ct = time.perf_counter(), time.process_time()
    sel = linked
    cap = np.where(must, 1e9, np.clip(np.nan_to_num(score, nan=0.0) - threshold, 0, None) + 1)
    strong = must | (np.nan_to_num(score, nan=0.0) >= hi)
    labels, cinfo = _cluster(k, a[sel], b[sel], cap[sel], strong[sel], cannot)
    contact = _assign_ids(k, labels, previous_links)
    timings["cluster"] = time.perf_counter() - t
    cpu["cluster"] = time.process_time() - ct

    links = pd.DataFrame({"centre": k["centre"], "local_id": k["local_id"],
                          "contact_id": contact})
    if n and len(a):
        same_cluster = labels[a] == labels[b]
    else:
        same_cluster = np.zeros(len(a), dtype=bool)
    cen, lid = k["centre"].to_numpy(object), k["local_id"].to_numpy(object)
    pairs = pd.DataFrame({"centre_a": cen[a], "local_id_a": lid[a], "centre_b": cen[b],
                          "local_id_b": lid[b], "score": score, "decision": decision,
                          "linked": linked, "same_contact": same_cluster,
                          "override": override})
    for c in _CMP_COLUMNS:
        pairs[c] = comp[c].to_numpy()
    for c in lv.columns:
        pairs[f"lvl_{c}"] = np.concatenate([lv[c].to_numpy(),
                                            np.full(len(a) - len(lv), -1, dtype=np.int8)])

    t, ct = time.perf_counter(), time.process_time()
    rv = pairs["decision"].eq("review") & pairs["override"].isna()
    review = _side_by_side(records, pairs[rv], a[rv.to_numpy()], b[rv.to_numpy()])
    contacts = _golden(_positional(records), contact,
                       k["centre"].to_numpy(object), k["local_id"].to_numpy(object))
    timings["golden"] = time.perf_counter() - t
    cpu["golden"] = time.process_time() - ct
    timings["total"] = time.perf_counter() - t0
    cpu["total"] = time.process_time() - c0

    stats = {
        "records": n,
        "candidate_pairs": int(len(pairs_idx)),
        "reduction_ratio": 1 - len(pairs_idx) / max(n * (n - 1) / 2, 1),
        "linked_pairs": int(linked.sum()),
        "review_pairs": int(len(review)),
        "contacts": int(links["contact_id"].nunique()),
        "duplicates": int(n - links["contact_id"].nunique()),
        "prior": model.prior if model else None,
        "clustering": cinfo,
        "timings": timings,
        "cpu_timings": cpu,  # process CPU seconds (all threads) per stage
    }
    if truth is not None:
        stats.update(_pair_completeness(np.asarray(truth), pairs_idx, k, link_only))
    _log(progress, f"{stats['contacts']} contacts en {timings['total']:.1f}s")
    return DedupResult(links=links, pairs=pairs, review=review, contacts=contacts, stats=stats)


def _side_by_side(records: pd.DataFrame, p: pd.DataFrame, a: np.ndarray,
                  b: np.ndarray) -> pd.DataFrame:
    r = _positional(records)
    fields = [c for c in _SIDE_FIELDS if c in r.columns]
    out = p[["centre_a", "local_id_a", "centre_b", "local_id_b", "score"]].reset_index(drop=True)
    for f in fields:
        out[f"{f}_a"] = r[f].to_numpy()[a]
        out[f"{f}_b"] = r[f].to_numpy()[b]
    comp = p[[c for c in p.columns if c in _CMP_COLUMNS]].reset_index(drop=True)
    return pd.concat([out, comp], axis=1).sort_values("score", ascending=False,
                                                      ignore_index=True)


def true_pairs(entity: np.ndarray, centre: np.ndarray | None = None) -> np.ndarray:
    """Codes ``a * n + b`` (a < b) of the record pairs sharing an entity."""
    n = len(entity)
    df = pd.DataFrame({"e": entity, "i": np.arange(n)})
    m = df.merge(df, on="e")
    m = m[m["i_x"] < m["i_y"]]
    if centre is not None:
        m = m[centre[m["i_x"].to_numpy()] != centre[m["i_y"].to_numpy()]]
    return m["i_x"].to_numpy(np.int64) * n + m["i_y"].to_numpy(np.int64)


def _pair_completeness(entity: np.ndarray, pairs_idx: pd.MultiIndex, k: pd.DataFrame,
                       link_only: bool) -> dict:
    n = len(entity)
    centre = k["centre"].to_numpy() if link_only else None
    tp = true_pairs(entity, centre)
    cand = pairs_idx.get_level_values(0).to_numpy(np.int64) * n + \
        pairs_idx.get_level_values(1).to_numpy(np.int64)
    found = np.isin(tp, cand).sum()
    return {"true_pairs": int(len(tp)),
            "pair_completeness": float(found / len(tp)) if len(tp) else 1.0}
