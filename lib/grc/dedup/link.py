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
from grc.dedup.person import is_generic_email, may_hold, person_gate  # noqa: F401


# ----------------------------------------------------------------------------- main
@dataclass
class DedupResult:
    """Output of :func:`deduplicate`."""

    links: pd.DataFrame
    pairs: pd.DataFrame
    review: pd.DataFrame
    contacts: pd.DataFrame
    stats: dict
    candidates: pd.MultiIndex  # positions (a < b) of the candidate pairs, before decisions


_SIDE_FIELDS = ["civility", "first_name", "last_name", "organisation", "address1", "postcode",
                "city", "email", "phone", "mobile", "updated_at"]
_CMP_COLUMNS = ["first_sim", "last_sim", "swapped", "initial", "org_sim", "addr_sim", "pc_eq",
                "city_sim", "email_eq", "generic_eq", "phone_lvl"]


def deduplicate(records: pd.DataFrame, previous_links: pd.DataFrame | None = None,
                decisions: pd.DataFrame | None = None, *, threshold: float = DEFAULT_THRESHOLD,
                review_band: tuple[float, float] = DEFAULT_REVIEW_BAND, progress: bool = False,
                link_only: bool = False, em_iterations: int = 0, n_random: int = 200_000,
                seed: int = SEED, sn_window: int | None = None) -> DedupResult:
    """Deduplicate qualified records; ``link_only`` keeps only pairs across centres.

    ``score`` is the posterior log2-odds of a match; pairs at or above ``threshold`` are
    linked, pairs inside ``review_band`` go to the review frame. Pairs where organisation or
    household evidence meets disagreeing person evidence (:mod:`grc.dedup.person`) are not
    linked and go to the review frame with their ``reason``. Review ``decisions`` override
    the model (``same`` links, ``different`` separates, even after clustering).
    ``candidates`` holds the record positions of the candidate pairs (what blocking found).
    """
    clock = _Clock()
    k = _keys(records)
    coded = _coded_keys(k)
    n = len(k)
    clock.lap("keys")
    _log(progress, f"{n} enregistrements, clés en {clock.timings['keys']:.1f}s")
    pairs_idx = _candidate_positions(k, link_only=link_only, sn_window=sn_window, coded=coded)
    clock.lap("index")
    _log(progress, f"{len(pairs_idx)} paires candidates en {clock.timings['index']:.1f}s")
    comp = _compare(k, pairs_idx, coded)
    lv = _levels(comp)
    clock.lap("compare")
    _log(progress, f"comparaison en {clock.timings['compare']:.1f}s")
    model, score = None, np.zeros(0)
    if n >= 2:
        model = _fit(k, lv, comp, link_only=link_only, n_random=n_random,
                     em_iterations=em_iterations, seed=seed, coded=coded)
        score = model.score(lv, comp)
    clock.lap("classify")
    st = _classify(k, coded, comp, pairs_idx, score, threshold, review_band,
                   _civility(records, n))
    clock.lap("person_gate")
    _apply_decisions(st, _decision_positions(k, decisions), n)
    _, hi = review_band
    sc = np.nan_to_num(st.score, nan=0.0)
    cap = np.where(st.must, 1e9, np.clip(sc - threshold, 0, None) + 1)
    strong = st.must | (sc >= hi)
    sel = st.linked
    labels, cinfo = _cluster(k, st.a[sel], st.b[sel], cap[sel], strong[sel], st.cannot)
    contact = _assign_ids(k, labels, previous_links)
    clock.lap("cluster")
    links = pd.DataFrame({"centre": k["centre"], "local_id": k["local_id"],
                          "contact_id": contact})
    pairs = _pairs_frame(k, st, lv, labels)
    rv = pairs["decision"].eq("review") & pairs["override"].isna()
    review = _side_by_side(records, pairs[rv], st.a[rv.to_numpy()], st.b[rv.to_numpy()])
    contacts = _golden(_positional(records), contact,
                       k["centre"].to_numpy(object), k["local_id"].to_numpy(object))
    clock.lap("golden")
    stats = _stats(n, pairs_idx, st, links, review, model, cinfo, clock)
    _log(progress, f"{stats['contacts']} contacts en {clock.timings['total']:.1f}s")
    return DedupResult(links=links, pairs=pairs, review=review, contacts=contacts, stats=stats,
                       candidates=pairs_idx)


class _Clock:
    """Wall and CPU seconds per stage (``lap`` closes a stage) and in total."""

    def __init__(self) -> None:
        self.t0, self.c0 = time.perf_counter(), time.process_time()
        self.t, self.c = self.t0, self.c0
        self.timings: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def lap(self, name: str) -> None:
        t, c = time.perf_counter(), time.process_time()
        self.timings[name], self.cpu[name] = t - self.t, c - self.c
        self.t, self.c = t, c
        self.timings["total"], self.cpu["total"] = t - self.t0, c - self.c0


@dataclass
class _PairState:
    """Per candidate pair: positions, score, decision, link flag, overrides, reasons."""

    a: np.ndarray
    b: np.ndarray
    score: np.ndarray
    decision: np.ndarray
    linked: np.ndarray
    override: np.ndarray
    must: np.ndarray
    reason: np.ndarray
    comp: pd.DataFrame
    cannot: set[tuple[int, int]]


def _civility(records: pd.DataFrame, n: int) -> np.ndarray:
    if "civility" not in records.columns:
        return np.full(n, None, dtype=object)
    return _col(_positional(records), "civility").to_numpy(object)


def _classify(k: pd.DataFrame, coded, comp: pd.DataFrame, pairs_idx: pd.MultiIndex,
              score: np.ndarray, threshold: float, review_band: tuple[float, float],
              civility: np.ndarray) -> _PairState:
    """Model decisions, then the person gate on the pairs the model would link or review."""
    a = pairs_idx.get_level_values(0).to_numpy(np.int64)
    b = pairs_idx.get_level_values(1).to_numpy(np.int64)
    lo, hi = review_band
    decision = np.where(score >= hi, "match", np.where(score >= lo, "review", "non-match"))
    linked = score >= threshold
    reason = np.full(len(a), None, dtype=object)
    reason[decision == "review"] = ("Correspondance incertaine (score entre "
                                    f"{lo:g} et {hi:g}) : même personne ou non, à confirmer.")
    cannot: set[tuple[int, int]] = set()
    # the gate needs organisation evidence: a similar organisation, a shared number (the
    # landline is one) or a shared generic e-mail; other pairs are left to the model
    look = np.flatnonzero((score >= min(lo, threshold)) & may_hold(comp))
    if len(look):
        gate = person_gate(k, coded, comp.iloc[look].reset_index(drop=True), a[look],
                           b[look], civility)
        held = look[gate.held]
        linked[held] = False
        decision[held] = "review"
        reason[held] = gate.reason[gate.held]
        cannot = set(zip(a[held].tolist(), b[held].tolist(), strict=True))
    return _PairState(a, b, score, decision, linked, np.full(len(a), None, dtype=object),
                      np.zeros(len(a), dtype=bool), reason, comp, cannot)


def _apply_decisions(st: _PairState, dec: pd.DataFrame, n: int) -> None:
    """Review decisions override the model on every run (``same`` pairs may be added)."""
    if not len(dec):
        return
    code = st.a * n + st.b
    dcode = dec["a"].to_numpy(np.int64) * n + dec["b"].to_numpy(np.int64)
    hit = pd.Series(dcode).map(pd.Series(np.arange(len(st.a)), index=code))
    new = dec[hit.isna().to_numpy()]
    new = new[new["decision"] == "same"]
    if len(new):  # "same" pairs that were not candidates are added
        m = len(new)
        st.a = np.concatenate([st.a, new["a"].to_numpy(np.int64)])
        st.b = np.concatenate([st.b, new["b"].to_numpy(np.int64)])
        st.score = np.concatenate([st.score, np.full(m, np.nan)])
        st.decision = np.concatenate([st.decision, np.full(m, "match")])
        st.linked = np.concatenate([st.linked, np.ones(m, dtype=bool)])
        st.override = np.concatenate([st.override, np.full(m, "same", dtype=object)])
        st.must = np.concatenate([st.must, np.ones(m, dtype=bool)])
        st.reason = np.concatenate([st.reason, np.full(m, None, dtype=object)])
        extra = pd.DataFrame(np.nan, index=range(m), columns=st.comp.columns)
        st.comp = pd.concat([st.comp, extra], ignore_index=True)
    where = pd.Series(np.arange(len(st.a)), index=st.a * n + st.b)
    for (x, y, d) in dec.itertuples(index=False):
        if d == "different":
            st.cannot.add((int(x), int(y)))
        else:
            st.cannot.discard((int(x), int(y)))
        if (x * n + y) not in where.index:
            continue
        i = int(where[x * n + y])
        st.override[i] = d
        st.linked[i] = st.must[i] = d == "same"
        st.decision[i] = "match" if d == "same" else "non-match"


def _pairs_frame(k: pd.DataFrame, st: _PairState, lv: pd.DataFrame,
                 labels: np.ndarray) -> pd.DataFrame:
    a, b = st.a, st.b
    same_cluster = labels[a] == labels[b] if len(k) and len(a) else np.zeros(len(a), bool)
    cen, lid = k["centre"].to_numpy(object), k["local_id"].to_numpy(object)
    pairs = pd.DataFrame({"centre_a": cen[a], "local_id_a": lid[a], "centre_b": cen[b],
                          "local_id_b": lid[b], "score": st.score, "decision": st.decision,
                          "linked": st.linked, "same_contact": same_cluster,
                          "override": st.override, "reason": st.reason})
    for c in _CMP_COLUMNS:
        pairs[c] = st.comp[c].to_numpy()
    for c in lv.columns:
        pairs[f"lvl_{c}"] = np.concatenate([lv[c].to_numpy(),
                                            np.full(len(a) - len(lv), -1, dtype=np.int8)])
    return pairs


def _stats(n: int, pairs_idx: pd.MultiIndex, st: _PairState, links: pd.DataFrame,
           review: pd.DataFrame, model, cinfo: dict, clock: _Clock) -> dict:
    n_contacts = int(links["contact_id"].nunique())
    return {
        "records": n,
        "candidate_pairs": int(len(pairs_idx)),
        "reduction_ratio": 1 - len(pairs_idx) / max(n * (n - 1) / 2, 1),
        "linked_pairs": int(st.linked.sum()),
        "review_pairs": int(len(review)),
        "person_gate_pairs": int(len(st.cannot)),
        "contacts": n_contacts,
        "duplicates": int(n - n_contacts),
        "prior": model.prior if model else None,
        "clustering": cinfo,
        "timings": dict(clock.timings),
        "cpu_timings": dict(clock.cpu),  # process CPU seconds (all threads) per stage
    }


def _side_by_side(records: pd.DataFrame, p: pd.DataFrame, a: np.ndarray,
                  b: np.ndarray) -> pd.DataFrame:
    r = _positional(records)
    fields = [c for c in _SIDE_FIELDS if c in r.columns]
    head = ["centre_a", "local_id_a", "centre_b", "local_id_b", "score"]
    out = p[head + (["reason"] if "reason" in p.columns else [])].reset_index(drop=True)
    for f in fields:
        out[f"{f}_a"] = r[f].to_numpy()[a]
        out[f"{f}_b"] = r[f].to_numpy()[b]
    comp = p[[c for c in p.columns if c in _CMP_COLUMNS]].reset_index(drop=True)
    return pd.concat([out, comp], axis=1).sort_values("score", ascending=False,
                                                      ignore_index=True)
