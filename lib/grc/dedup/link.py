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

import hashlib
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import jellyfish
import networkx as nx
import numpy as np
import pandas as pd
import recordlinkage
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, JaroWinkler, Levenshtein
from recordlinkage.base import BaseCompareFeature, BaseIndexAlgorithm
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from unidecode import unidecode

SEED = 20240917
DEFAULT_THRESHOLD = 0.0  # posterior log2-odds of a match
DEFAULT_REVIEW_BAND = (-6.0, 6.0)
MAX_BLOCK = 60
SN_MAX_RECORDS = 200_000  # blocks larger than this are left out of a pass (e.g. shared switchboard)
DECISION_COLUMNS = ["centre_a", "local_id_a", "centre_b", "local_id_b", "decision"]
LINK_COLUMNS = ["centre", "local_id", "contact_id"]

_PARTICLES = {"de", "du", "des", "la", "le", "les", "d", "l", "von", "van", "der", "di", "da"}
_NON_ALNUM = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r"\s+")


def make_key(value: object) -> str | None:
    """Match key of a name: ascii, lower case, no punctuation nor particles ("É." -> "e")."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = unidecode(str(value)).lower().replace("'", " ").replace("-", " ")
    text = _NON_ALNUM.sub(" ", text)
    words = [w for w in _SPACES.split(text.strip()) if w]
    kept = [w for w in words if w not in _PARTICLES]
    return " ".join(kept or words) or None


_PARTICLE_RE = r"\b(?:" + "|".join(sorted(_PARTICLES)) + r")\b"


def vector_key(values: pd.Series) -> pd.Series:
    """Vectorised :func:`make_key` (on distinct values; unidecode only where not ascii)."""
    codes, uniq = pd.factorize(values)
    keyed = _vector_key(pd.Series(np.asarray(uniq, dtype=object))).to_numpy(object)
    out = np.where(codes >= 0, keyed[np.clip(codes, 0, None)] if len(keyed) else None, None)
    return pd.Series(out, index=values.index, dtype=object)


def _vector_key(values: pd.Series) -> pd.Series:
    s = values.astype("string")
    nonascii = s.str.contains(r"[^\x00-\x7f]", regex=True).fillna(False).to_numpy(bool)
    if nonascii.any():
        s[nonascii] = _map_unique(s[nonascii].astype(object), unidecode)
    s = s.str.lower().str.replace(r"[^a-z0-9]+", " ", regex=True)
    s = s.str.replace(r"\s+", " ", regex=True).str.strip()
    kept = s.str.replace(_PARTICLE_RE, " ", regex=True)
    kept = kept.str.replace(r"\s+", " ", regex=True).str.strip()
    s = kept.where(kept.str.len() > 0, s)
    s = s.where(s.str.len() > 0)
    return s.astype(object).where(s.notna(), None)


def _log(progress: bool, msg: str) -> None:
    if progress:
        print(f"[dedup] {msg}", file=sys.stderr, flush=True)


def _map_unique(s: pd.Series, func) -> pd.Series:
    """Apply ``func`` once per distinct non-null value."""
    uniq = pd.unique(s.dropna())
    return s.map(dict(zip(uniq, map(func, uniq), strict=True))).astype(object)


def _positional(df: pd.DataFrame) -> pd.DataFrame:
    """The frame with a 0..n-1 index (no copy when it already has one)."""
    if isinstance(df.index, pd.RangeIndex) and df.index.start == 0 and df.index.step == 1:
        return df
    return df.reset_index(drop=True)


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    """Column as stripped strings with None for missing/empty (absent column -> all None)."""
    if name not in df.columns:
        return pd.Series([None] * len(df), index=df.index, dtype=object)
    s = df[name]
    codes, uniq = pd.factorize(s)
    u = pd.Series(np.asarray(uniq, dtype=object)).astype("string").str.strip()
    u = u.where(u.str.len() > 0).astype(object)
    u = u.where(u.notna(), None).to_numpy(object)
    out = np.where(codes >= 0, u[np.clip(codes, 0, None)] if len(u) else None, None)
    return pd.Series(out, index=df.index, dtype=object)


# ----------------------------------------------------------------------------- keys
def _phonetic(values: pd.Series) -> pd.Series:
    uniq = pd.unique(values.dropna())
    codes = {v: jellyfish.metaphone(v.replace(" ", "")) or v for v in uniq}
    return values.map(codes)


def _keys(records: pd.DataFrame) -> pd.DataFrame:
    """Comparison frame (positional index) with every key used to block and compare."""
    r = _positional(records)
    k = pd.DataFrame(index=r.index)
    k["centre"] = _col(r, "centre").astype(str)
    k["local_id"] = _col(r, "local_id").astype(str)
    for key, src in (("fk", "first_name"), ("lk", "last_name"), ("ok", "organisation")):
        given = _col(r, {"fk": "first_key", "lk": "last_key", "ok": "org_key"}[key])
        need = given.isna().to_numpy()
        if need.any():  # keys of the raw values, only where the given key is missing
            raw = _col(r, src)
            need &= raw.notna().to_numpy()
            given = given.copy()
            given[need] = vector_key(raw[need]).to_numpy(object)
        k[key] = given
    k["name_key"] = _pair_code(k["fk"], k["lk"])  # order-free first/last name
    k["ini"] = _map_unique(k["fk"], lambda v: v[:1])
    k["phon"] = _phonetic(k["lk"])
    k["phon_pair"] = _pair_code(_phonetic(k["fk"]), k["phon"])
    k["pc"] = _col(r, "postcode")
    dept = _col(r, "department")
    k["dept"] = dept.where(dept.notna(), k["pc"].str[:2])
    k["city"] = vector_key(_col(r, "city"))
    addr = _col(r, "rnvp4")
    addr = addr.where(addr.notna(), _col(r, "address1"))
    k["addr"] = vector_key(addr)
    k["addr_num"] = _map_unique(k["addr"], lambda v: v.split(" ", 1)[0]
                                if v[:1].isdigit() else None)
    k["email"] = _col(r, "email").str.lower()
    k["phone"] = _col(r, "phone")
    k["mobile"] = _col(r, "mobile")
    k["tel"] = k["mobile"].where(k["mobile"].notna(), k["phone"])
    return k


def _sn_key(k: pd.DataFrame) -> pd.Series:
    key = k["lk"].fillna("") + " " + k["fk"].fillna("") + " " + k["pc"].fillna("")
    return key.where(k["lk"].notna(), None)


def _pair_code(x: pd.Series, y: pd.Series) -> np.ndarray:
    """Order-free integer code of two values (NaN when both are missing)."""
    codes, _ = pd.factorize(pd.concat([x, y], ignore_index=True))
    cx, cy = codes[: len(x)].astype(np.int64) + 1, codes[len(x):].astype(np.int64) + 1
    lo, hi = np.minimum(cx, cy), np.maximum(cx, cy)
    out = (lo * (codes.max() + 2) + hi).astype(float)
    out[hi == 0] = np.nan
    return out


def _block_codes(k: pd.DataFrame, cols: tuple[str, ...], max_block: int,
                 cache: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """Integer code of a composite key (-1 when a part is missing or the block too big)."""
    cache = {} if cache is None else cache
    codes = np.zeros(len(k), dtype=np.int64)
    missing = np.zeros(len(k), dtype=bool)
    for c in cols:
        if c not in cache:  # each key column factorized once for all the passes
            cache[c] = pd.factorize(k[c])[0].astype(np.int64)
        code = cache[c]
        missing |= code < 0
        codes = codes * (int(code.max(initial=-1)) + 2) + code
        codes = pd.factorize(codes)[0].astype(np.int64)  # keep codes small
    codes = np.where(missing, -1, codes)
    ok = codes >= 0
    sizes = np.bincount(codes[ok], minlength=1)
    ok[ok] = sizes[codes[ok]] <= max_block
    return np.where(ok, codes, -1)


def _block_pairs(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of positions sharing a block code (codes < 0 are left out), a < b."""
    pos = np.flatnonzero(codes >= 0)
    c = codes[pos]
    sizes = np.bincount(c) if len(c) else np.zeros(0, dtype=np.int64)
    keep = sizes[c] > 1
    pos, c = pos[keep], c[keep]
    order = np.argsort(c, kind="stable")
    pos, c = pos[order], c[order]
    if not len(c):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    starts = np.r_[0, np.flatnonzero(c[1:] != c[:-1]) + 1]
    size = np.diff(np.r_[starts, len(c)])
    grp = np.repeat(np.arange(len(starts)), size)
    off = np.arange(len(c)) - starts[grp]
    cnt = size[grp] - 1 - off  # partners after each element in its block
    i = np.repeat(np.arange(len(c)), cnt)
    j = i + 1 + np.arange(len(i)) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    return pos[i], pos[j]


class BlockCodes(BaseIndexAlgorithm):
    """recordlinkage exact blocking on an integer code column (-1 or NaN: no block)."""

    def __init__(self, column: str, **kwargs):
        super().__init__(**kwargs)
        self.column = column

    def _dedup_index(self, df_a):
        codes = np.nan_to_num(df_a[self.column].to_numpy(float), nan=-1).astype(np.int64)
        a, b = _block_pairs(codes)
        labels = df_a.index.to_numpy()
        return pd.MultiIndex.from_arrays([labels[b], labels[a]])


_PASSES: list[tuple[str, ...]] = [
    ("email",),
    ("tel",),
    ("phone",),
    ("mobile",),
    ("name_key", "dept"),
    ("lk", "ini", "pc"),
    ("phon", "pc"),
    ("fk", "phon", "dept"),
    ("ok", "pc"),
    ("ok", "city"),
    ("addr", "pc"),
    ("name_key", "city"),
    ("addr", "city"),
    ("addr_num", "pc"),
    ("phon_pair", "pc"),
    ("phon", "city"),
]


def _candidate_positions(k: pd.DataFrame, *, link_only: bool = False,
                         max_block: int = MAX_BLOCK, sn_window: int | None = None,
                         coded: CodedKeys | None = None) -> pd.MultiIndex:
    """Candidate pairs as positions (a < b) from the unioned blocking passes."""
    if sn_window is None:  # the sorted-neighbourhood pass sorts strings: small bases only
        sn_window = 3 if len(k) <= SN_MAX_RECORDS else 0
    # exact passes on integer codes (BlockCodes' numpy pairs), unioned on integer codes
    cache: dict[str, np.ndarray] = {} if coded is None else \
        {c: coded.frame[c].to_numpy(np.int64) for c in coded.frame.columns}
    found = []
    for cols in _PASSES:
        a_, b_ = _block_pairs(_block_codes(k, cols, max_block, cache))
        found.append(np.stack([a_, b_]))
    if sn_window and sn_window > 1:
        frame = pd.DataFrame({"sn": _sn_key(k), "sn_block": k["dept"].fillna("?")})
        p = recordlinkage.index.SortedNeighbourhood(
            "sn", window=sn_window, block_on="sn_block").index(frame)
        found.append(np.stack([p.codes[0], p.codes[1]]).astype(np.int64))
    ab = np.concatenate(found, axis=1) if found else np.zeros((2, 0), dtype=np.int64)
    a, b = ab[0], ab[1]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    keep = lo != hi
    if link_only:
        centre = k["centre"].to_numpy()
        keep &= centre[lo] != centre[hi]
    code = np.sort(lo[keep].astype(np.int64) * len(k) + hi[keep])
    code = code[np.r_[True, code[1:] != code[:-1]]] if len(code) else code
    lo, hi = code // len(k), code % len(k)
    return pd.MultiIndex.from_arrays([lo, hi], names=["a", "b"])


def candidate_pairs(records: pd.DataFrame, *, link_only: bool = False) -> pd.MultiIndex:
    """Candidate record pairs (index labels of ``records``): multi-key blocking, unioned."""
    pos = _candidate_positions(_keys(records), link_only=link_only)
    labels = records.index.to_numpy()
    return pd.MultiIndex.from_arrays(
        [labels[pos.get_level_values(0)], labels[pos.get_level_values(1)]])


# ----------------------------------------------------------------------------- compare
def _batch_similarity(s1, s2, scorer) -> np.ndarray:
    """Batch similarity (rapidfuzz ``cpdist``) with NaN where a side is missing."""
    a = np.asarray(s1, dtype=object)
    b = np.asarray(s2, dtype=object)
    ok = ~(pd.isna(a) | pd.isna(b))
    out = np.full(len(a), np.nan)
    if ok.any():
        out[ok] = process.cpdist(list(a[ok]), list(b[ok]), scorer=scorer, workers=-1)
    return out


class JaroWinklerBatch(BaseCompareFeature):
    """Jaro-Winkler similarity computed in batch by rapidfuzz (same values as recordlinkage)."""

    name = "jarowinkler_rapidfuzz"

    def _compute_vectorized(self, s1, s2):
        return _batch_similarity(s1, s2, JaroWinkler.normalized_similarity)


class NameFeature(BaseCompareFeature):
    """First/last name similarity with swapped names and initials ("e" vs "elise")."""

    name = "name"

    def __init__(self, label=None):
        super().__init__(["fk", "lk"], ["fk", "lk"], label=label)

    def _compute_vectorized(self, fa, la, fb, lb):
        jw = JaroWinkler.normalized_similarity
        ff, ll = _batch_similarity(fa, fb, jw), _batch_similarity(la, lb, jw)
        fl, lf = _batch_similarity(fa, lb, jw), _batch_similarity(la, fb, jw)
        direct = np.nan_to_num(ff) + np.nan_to_num(ll)
        swap = np.nan_to_num(fl) + np.nan_to_num(lf)
        swapped = (swap > direct + 0.05) & ~np.isnan(fl) & ~np.isnan(lf)
        first = np.where(swapped, fl, ff)
        last = np.where(swapped, lf, ll)
        fa_, fb_ = np.asarray(fa, dtype=object), np.asarray(fb, dtype=object)
        la_, lb_ = np.asarray(la, dtype=object), np.asarray(lb, dtype=object)
        f1 = np.where(swapped, fa_, fa_)
        f2 = np.where(swapped, lb_, fb_)
        s1, s2 = pd.Series(f1, dtype=object), pd.Series(f2, dtype=object)
        short = (s1.str.len() == 1) | (s2.str.len() == 1)
        initial = (short & (s1.str[:1] == s2.str[:1])).to_numpy(dtype=bool)
        # exact values, used by the term-frequency adjustment
        l1 = np.where(swapped, la_, la_)
        return pd.DataFrame({
            "first_sim": first, "last_sim": last, "swapped": swapped, "initial": initial,
            "first_val": f1, "last_val": l1,
        })


class FuzzyTokens(BaseCompareFeature):
    """Token-sort similarity (addresses) in batch."""

    name = "token_sort"

    def _compute_vectorized(self, s1, s2):
        return _batch_similarity(s1, s2, fuzz.token_sort_ratio) / 100.0


class ExactEqual(BaseCompareFeature):
    """1.0 equal, 0.0 different, NaN when a side is missing."""

    name = "exact"

    def _compute_vectorized(self, s1, s2):
        a, b = np.asarray(s1, dtype=object), np.asarray(s2, dtype=object)
        miss = pd.isna(a) | pd.isna(b)
        return np.where(miss, np.nan, (a == b).astype(float))


class EditDistance(BaseCompareFeature):
    """Optimal string alignment distance (a typo or a transposition counts 1)."""

    name = "osa"

    def _compute_vectorized(self, s1, s2):
        return _batch_similarity(s1, s2, OSA.distance)


class PhoneFeature(BaseCompareFeature):
    """Phone/mobile in E.164: 2 a number shared, 1 one digit apart, 0 different, NaN missing."""

    name = "phone"

    def __init__(self, label=None):
        super().__init__(["phone", "mobile"], ["phone", "mobile"], label=label)

    def _compute_vectorized(self, pa, ma, pb, mb):
        pa, ma, pb, mb = (np.asarray(x, dtype=object) for x in (pa, ma, pb, mb))
        has_a = ~(pd.isna(pa) & pd.isna(ma))
        has_b = ~(pd.isna(pb) & pd.isna(mb))
        eq = np.zeros(len(pa), dtype=bool)
        for x, y in ((pa, pb), (pa, mb), (ma, pb), (ma, mb)):
            eq |= ~(pd.isna(x) | pd.isna(y)) & (x == y)
        ta = np.where(pd.isna(ma), pa, ma)
        tb = np.where(pd.isna(mb), pb, mb)
        dist = _batch_similarity(ta, tb, Levenshtein.distance)
        close = (dist <= 1) & (pd.Series(ta).str.len() == pd.Series(tb).str.len()).to_numpy()
        out = np.where(eq, 2.0, np.where(close, 1.0, 0.0))
        return np.where(has_a & has_b, out, np.nan)


@dataclass
class CodedKeys:
    """Key columns as integer codes (-1 missing) into shared vocabularies of distinct values."""

    frame: pd.DataFrame
    vocab: dict[str, np.ndarray]


# compared column -> vocabulary (first and last names share one, phone and mobile too)
_CODED_VOCAB = {"fk": "name", "lk": "name", "ok": "ok", "addr": "addr", "pc": "pc",
                "dept": "dept", "city": "city", "email": "email", "phone": "tel",
                "mobile": "tel"}


def _coded_keys(k: pd.DataFrame) -> CodedKeys:
    """Factorize every compared key column once (comparisons then run on distinct values)."""
    frame = pd.DataFrame(index=k.index)
    vocab: dict[str, np.ndarray] = {}
    for voc in dict.fromkeys(_CODED_VOCAB.values()):
        cols = [c for c, v in _CODED_VOCAB.items() if v == voc]
        codes, uniq = pd.factorize(pd.concat([k[c] for c in cols], ignore_index=True))
        vocab[voc] = np.asarray(uniq, dtype=object)
        for i, c in enumerate(cols):
            frame[c] = codes[i * len(k):(i + 1) * len(k)].astype(np.int32)
    return CodedKeys(frame, vocab)


def _coded_similarity(ca, cb, vocab: np.ndarray, scorer) -> np.ndarray:
    """Batch ``cpdist`` on the distinct (a, b) value pairs only, NaN where a side is missing."""
    ca, cb = np.asarray(ca, dtype=np.int64), np.asarray(cb, dtype=np.int64)
    ok = (ca >= 0) & (cb >= 0)
    out = np.full(len(ca), np.nan)
    if ok.any():
        inv, uniq = pd.factorize(ca[ok] * len(vocab) + cb[ok])
        ua, ub = uniq // len(vocab), uniq % len(vocab)
        sim = np.asarray(process.cpdist(list(vocab[ua]), list(vocab[ub]), scorer=scorer,
                                        workers=-1), dtype=float)
        out[ok] = sim[inv]
    return out


class CodedSimilarity(BaseCompareFeature):
    """rapidfuzz similarity of integer-coded values (``scale`` divides the score)."""

    name = "coded_similarity"

    def __init__(self, left_on, right_on, vocab: np.ndarray, scorer, scale: float = 1.0,
                 label=None):
        super().__init__(left_on, right_on, label=label)
        self.vocab, self.scorer, self.scale = vocab, scorer, scale

    def _compute_vectorized(self, s1, s2):
        return _coded_similarity(s1, s2, self.vocab, self.scorer) / self.scale


class CodedExact(BaseCompareFeature):
    """1.0 equal, 0.0 different, NaN when a side is missing (integer codes)."""

    name = "coded_exact"

    def _compute_vectorized(self, s1, s2):
        a, b = np.asarray(s1), np.asarray(s2)
        return np.where((a < 0) | (b < 0), np.nan, (a == b).astype(float))


class CodedNameFeature(BaseCompareFeature):
    """First/last name similarity with swapped names and initials, on coded names."""

    name = "coded_name"

    def __init__(self, vocab: np.ndarray, label=None):
        super().__init__(["fk", "lk"], ["fk", "lk"], label=label)
        self.vocab = vocab
        text = pd.Series(vocab, dtype=object)
        self.length = text.str.len().to_numpy(float)
        self.head = text.str[:1].to_numpy(object)

    def _compute_vectorized(self, fa, la, fb, lb):
        v, jw = self.vocab, JaroWinkler.normalized_similarity
        fa, la, fb, lb = (np.asarray(x, dtype=np.int64) for x in (fa, la, fb, lb))
        ff, ll = _coded_similarity(fa, fb, v, jw), _coded_similarity(la, lb, v, jw)
        fl, lf = _coded_similarity(fa, lb, v, jw), _coded_similarity(la, fb, v, jw)
        direct = np.nan_to_num(ff) + np.nan_to_num(ll)
        swap = np.nan_to_num(fl) + np.nan_to_num(lf)
        swapped = (swap > direct + 0.05) & ~np.isnan(fl) & ~np.isnan(lf)
        first = np.where(swapped, fl, ff)
        last = np.where(swapped, lf, ll)
        f2 = np.where(swapped, lb, fb)
        both = (fa >= 0) & (f2 >= 0)
        i1, i2 = np.clip(fa, 0, None), np.clip(f2, 0, None)
        if len(v):
            short = (self.length[i1] == 1) | (self.length[i2] == 1)
            initial = both & short & (self.head[i1] == self.head[i2])
            f1_val = np.where(fa >= 0, v[i1], None)
            l1_val = np.where(la >= 0, v[np.clip(la, 0, None)], None)
        else:
            initial = np.zeros(len(fa), dtype=bool)
            f1_val = l1_val = np.full(len(fa), None, dtype=object)
        # exact values, used by the term-frequency adjustment
        return pd.DataFrame({
            "first_sim": first, "last_sim": last, "swapped": swapped, "initial": initial,
            "first_val": f1_val, "last_val": l1_val,
        })


class CodedPhoneFeature(BaseCompareFeature):
    """Phone/mobile: 2 a number shared, 1 one digit apart, 0 different, NaN missing (codes)."""

    name = "coded_phone"

    def __init__(self, vocab: np.ndarray, label=None):
        super().__init__(["phone", "mobile"], ["phone", "mobile"], label=label)
        self.vocab = vocab
        self.length = pd.Series(vocab, dtype=object).str.len().to_numpy(float)

    def _compute_vectorized(self, pa, ma, pb, mb):
        pa, ma, pb, mb = (np.asarray(x, dtype=np.int64) for x in (pa, ma, pb, mb))
        has_a = (pa >= 0) | (ma >= 0)
        has_b = (pb >= 0) | (mb >= 0)
        eq = np.zeros(len(pa), dtype=bool)
        for x, y in ((pa, pb), (pa, mb), (ma, pb), (ma, mb)):
            eq |= (x >= 0) & (y >= 0) & (x == y)
        ta = np.where(ma < 0, pa, ma)
        tb = np.where(mb < 0, pb, mb)
        dist = _coded_similarity(ta, tb, self.vocab, Levenshtein.distance)
        same_len = self.length[np.clip(ta, 0, None)] == self.length[np.clip(tb, 0, None)] \
            if len(self.vocab) else np.zeros(len(ta), dtype=bool)
        close = (dist <= 1) & same_len
        out = np.where(eq, 2.0, np.where(close, 1.0, 0.0))
        return np.where(has_a & has_b, out, np.nan)


def _compare(k: pd.DataFrame, pairs: pd.MultiIndex,
             coded: CodedKeys | None = None) -> pd.DataFrame:
    """Raw comparison values of the pairs (recordlinkage ``Compare``, rapidfuzz features on
    integer-coded distinct values)."""
    coded = _coded_keys(k) if coded is None else coded
    v = coded.vocab
    cmp = recordlinkage.Compare()
    cmp.add(CodedNameFeature(v["name"], label=["first_sim", "last_sim", "swapped", "initial",
                                               "first_val", "last_val"]))
    cmp.add(CodedSimilarity("ok", "ok", v["ok"], JaroWinkler.normalized_similarity,
                            label="org_sim"))
    cmp.add(CodedSimilarity("addr", "addr", v["addr"], fuzz.token_sort_ratio, 100.0,
                            label="addr_sim"))
    cmp.add(CodedExact("pc", "pc", label="pc_eq"))
    cmp.add(CodedExact("dept", "dept", label="dept_eq"))
    cmp.add(CodedSimilarity("city", "city", v["city"], JaroWinkler.normalized_similarity,
                            label="city_sim"))
    cmp.add(CodedExact("email", "email", label="email_eq"))
    cmp.add(CodedSimilarity("email", "email", v["email"], OSA.distance, label="email_dist"))
    cmp.add(CodedPhoneFeature(v["tel"], label="phone_lvl"))
    out = cmp.compute(pairs, coded.frame)
    return out.reset_index(drop=True)


# ----------------------------------------------------------------------------- levels
# m priors per comparison level (level index = position); -1 means "missing", weight 0.
M_PRIORS: dict[str, list[float]] = {
    "last": [0.02, 0.04, 0.09, 0.85],
    "first": [0.02, 0.05, 0.03, 0.05, 0.85],
    "org": [0.05, 0.10, 0.85],
    "place": [0.04, 0.04, 0.12, 0.80],
    "addr": [0.10, 0.15, 0.75],
    "email": [0.08, 0.04, 0.88],
    "phone": [0.10, 0.04, 0.86],
}


def _levels(c: pd.DataFrame) -> pd.DataFrame:
    """Discrete comparison levels (-1 missing) from the raw comparison values."""
    def lvl(x: np.ndarray, cuts: list[float]) -> np.ndarray:
        out = np.zeros(len(x), dtype=np.int8)
        for i, cut in enumerate(cuts, start=1):
            out[x >= cut] = i
        out[np.isnan(x)] = -1
        return out

    last = lvl(c["last_sim"].to_numpy(float), [0.80, 0.92, 1.0])
    fs = c["first_sim"].to_numpy(float)
    first = lvl(fs, [2.0, 0.80, 0.92, 1.0])  # level 1 is "initial", set below
    first[(first == 0) & c["initial"].to_numpy(bool)] = 1
    pc = c["pc_eq"].to_numpy(float)
    dept = c["dept_eq"].to_numpy(float)
    city = c["city_sim"].to_numpy(float)
    place = np.full(len(c), -1, dtype=np.int8)
    known = ~np.isnan(pc) | ~np.isnan(city) | ~np.isnan(dept)
    place[known] = 0
    place[dept == 1] = 1
    place[(pc == 1) | ((city >= 0.97) & (dept == 1))] = 2
    place[(pc == 1) & (city >= 0.9)] = 3
    place[(pc == 1) & np.isnan(city)] = 3
    dist = c["email_dist"].to_numpy(float)
    email = np.where(np.isnan(dist), -1, np.where(dist == 0, 2, np.where(dist <= 1, 1, 0)))
    email = email.astype(np.int8)
    return pd.DataFrame({
        "last": last, "first": first,
        "org": lvl(c["org_sim"].to_numpy(float), [0.85, 0.95]),
        "place": place,
        "addr": lvl(c["addr_sim"].to_numpy(float), [0.75, 0.95]),
        "email": email,
        "phone": np.nan_to_num(c["phone_lvl"].to_numpy(float), nan=-1).astype(np.int8),
    })


@dataclass
class FSModel:
    """Fellegi-Sunter parameters: m and u per comparison level, prior over all pairs."""

    m: dict[str, np.ndarray]
    u: dict[str, np.ndarray]
    prior: float = 1e-6
    tf: dict[str, pd.Series] = field(default_factory=dict)

    def weights(self, lv: pd.DataFrame, c: pd.DataFrame | None = None) -> np.ndarray:
        """Sum of log2 Bayes factors per pair (missing comparisons weigh 0)."""
        total = np.zeros(len(lv))
        for name in self.m:
            g = lv[name].to_numpy()
            bf = np.log2(self.m[name] / self.u[name])
            w = np.where(g >= 0, bf[np.clip(g, 0, None)], 0.0)
            if c is not None and name in self.tf:
                # term-frequency adjusted exact name: BF = m_exact / p(value)
                top = len(self.m[name]) - 1
                val = c["first_val" if name == "first" else "last_val"]
                p = val.map(self.tf[name]).to_numpy(float)
                adj = np.log2(self.m[name][top] / np.clip(p, 1e-9, None))
                use = (g == top) & ~np.isnan(p)
                w = np.where(use, np.minimum(adj, bf[top] + 4.0), w)
            total += w
        return total

    def score(self, lv: pd.DataFrame, c: pd.DataFrame | None = None) -> np.ndarray:
        """Posterior log2-odds of a match."""
        return np.log2(self.prior / (1 - self.prior)) + self.weights(lv, c)


def _random_pairs(k: pd.DataFrame, n: int, link_only: bool, seed: int) -> pd.MultiIndex:
    rng = np.random.default_rng(seed)
    size = len(k)
    a = rng.integers(0, size, n * 2)
    b = rng.integers(0, size, n * 2)
    keep = a != b
    if link_only:
        centre = k["centre"].to_numpy()
        keep &= centre[a] != centre[b]
    a, b = a[keep][:n], b[keep][:n]
    return pd.MultiIndex.from_arrays([np.minimum(a, b), np.maximum(a, b)])


# u priors (random pairs of different people), blended with the observed random pairs
U_PRIORS: dict[str, list[float]] = {
    "last": [0.975, 0.02, 0.003, 0.002],
    "first": [0.94, 0.005, 0.03, 0.005, 0.02],
    "org": [0.97, 0.02, 0.01],
    "place": [0.98, 0.015, 0.003, 0.002],
    "addr": [0.97, 0.029, 0.001],
    "email": [0.999, 0.0009, 0.0001],
    "phone": [0.999, 0.0009, 0.0001],
}
U_PRIOR_WEIGHT = 1000.0


def _fit(k: pd.DataFrame, lv: pd.DataFrame, comp: pd.DataFrame, *, link_only: bool,
         n_random: int, em_iterations: int, seed: int,
         coded: CodedKeys | None = None) -> FSModel:
    """u from random pairs, m from priors (optional EM), prior from the candidates."""
    n = len(k)
    if link_only:
        counts = k["centre"].value_counts().to_numpy(float)
        total = (counts.sum() ** 2 - (counts ** 2).sum()) / 2
    else:
        total = n * (n - 1) / 2
    if total <= n_random:  # small data: every pair
        a, b = np.triu_indices(n, 1)
        if link_only:
            centre = k["centre"].to_numpy()
            a, b = a[centre[a] != centre[b]], b[centre[a] != centre[b]]
        rnd = pd.MultiIndex.from_arrays([a, b])
    else:
        rnd = _random_pairs(k, n_random, link_only, seed)
    rlv = _levels(_compare(k, rnd, coded))
    u, m, counts = {}, {}, {}
    for name, prior_m in M_PRIORS.items():
        g = rlv[name].to_numpy()
        g = g[g >= 0]
        counts[name] = np.bincount(g, minlength=len(prior_m)).astype(float)
        m[name] = np.asarray(prior_m, dtype=float)

    def u_from(counts_: dict[str, np.ndarray], prior: float) -> dict[str, np.ndarray]:
        out = {}
        for name, c in counts_.items():
            # the random pairs hold about prior * N true matches: take them out
            c = np.clip(c - prior * c.sum() * m[name], 0, None)
            u0 = np.asarray(U_PRIORS[name])
            out[name] = (c + U_PRIOR_WEIGHT * u0) / (c.sum() + U_PRIOR_WEIGHT)
        return out

    u = u_from(counts, 0.0)
    tf = {}
    for name, col in (("first", "fk"), ("last", "lk")):
        freq = k[col].value_counts(normalize=True)
        tf[name] = freq
    model = FSModel(m=m, u=u, tf=tf)
    # prior match rate on the candidates (lambda-only EM, then optional m EM)
    w = model.weights(lv, comp)
    lam = 0.3
    for it in range(30 + em_iterations):
        logit = np.log2(lam / (1 - lam)) + w
        post = 1.0 / (1.0 + np.exp2(-np.clip(logit, -60, 60)))
        lam = float(np.clip(post.mean(), 1e-6, 1 - 1e-6))
        if it >= 30:
            for name in model.m:
                g = lv[name].to_numpy()
                ok = g >= 0
                num = np.bincount(g[ok], weights=post[ok], minlength=len(model.m[name]))
                model.m[name] = np.clip((num + 1.0) / (post[ok].sum() + len(num)), 1e-4, None)
            w = model.weights(lv, comp)
    expected = lam * len(lv)
    model.prior = float(np.clip(expected / max(total, 1.0), 1e-12, 0.5))
    model.u = u_from(counts, model.prior)
    return model


# ----------------------------------------------------------------------------- decisions
def load_decisions(path: str | Path) -> pd.DataFrame:
    """Review decisions (``params/dedup_decisions.csv``): ``same`` / ``different`` per pair."""
    p = Path(path)
    if not p.exists():
        return pd.DataFrame(columns=DECISION_COLUMNS)
    d = pd.read_csv(p, dtype=str, keep_default_na=False)
    missing = [c for c in DECISION_COLUMNS if c not in d.columns]
    if missing:
        raise ValueError(f"{p} : colonnes manquantes {missing} (attendu : {DECISION_COLUMNS})")
    d = d[DECISION_COLUMNS].apply(lambda s: s.str.strip())
    d["decision"] = d["decision"].str.lower()
    bad = ~d["decision"].isin(["same", "different"])
    if bad.any():
        raise ValueError(f"{p} : décision inconnue {sorted(set(d.loc[bad, 'decision']))}, "
                         "utilisez 'same' ou 'different'")
    return d.reset_index(drop=True)


def _decision_positions(k: pd.DataFrame, decisions: pd.DataFrame | None) -> pd.DataFrame:
    cols = ["a", "b", "decision"]
    if decisions is None or len(decisions) == 0:
        return pd.DataFrame(columns=cols)
    pos = pd.Series(np.arange(len(k)), index=k["centre"] + ":" + k["local_id"])
    pos = pos[~pos.index.duplicated()]
    d = decisions.astype(str)
    a = (d["centre_a"] + ":" + d["local_id_a"]).map(pos)
    b = (d["centre_b"] + ":" + d["local_id_b"]).map(pos)
    ok = a.notna() & b.notna() & (a != b)
    out = pd.DataFrame({"a": np.minimum(a[ok], b[ok]).astype(np.int64),
                        "b": np.maximum(a[ok], b[ok]).astype(np.int64),
                        "decision": d.loc[ok, "decision"].str.lower().to_numpy()})
    # the last decision on a pair wins
    return out.drop_duplicates(["a", "b"], keep="last").reset_index(drop=True)


# ----------------------------------------------------------------------------- clustering
def _components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    g = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    return connected_components(g, directed=False)[1]


def _cluster(k: pd.DataFrame, a: np.ndarray, b: np.ndarray, cap: np.ndarray, strong: np.ndarray,
             cannot: set[tuple[int, int]], max_component: int = 300) -> tuple[np.ndarray, dict]:
    """Cluster labels per record; components are split on cannot-link/contradictions/bridges."""
    n = len(k)
    labels = _components(n, a, b)
    sizes = np.bincount(labels)
    info = {"components_checked": 0, "edges_cut": 0}
    cannot_comp = {labels[x] for x, y in cannot if labels[x] == labels[y]}
    n_edges = np.bincount(labels[a], minlength=len(sizes)) if len(a) else np.zeros(len(sizes))
    incomplete = (sizes >= 3) & (n_edges < sizes * (sizes - 1) // 2)
    todo = set(np.flatnonzero(incomplete)) | cannot_comp
    if not todo:
        return labels, info
    email = k["email"].to_numpy(object)
    phone = k["phone"].to_numpy(object)
    mobile = k["mobile"].to_numpy(object)
    edge_comp = labels[a]
    todo_mask = np.zeros(len(sizes), dtype=bool)
    todo_mask[list(todo)] = True
    sel = todo_mask[edge_comp]
    edges = pd.DataFrame({"a": a[sel], "b": b[sel], "cap": cap[sel], "strong": strong[sel],
                          "comp": edge_comp[sel]})
    removed: list[tuple[int, int]] = []
    for comp, grp in edges.groupby("comp", sort=True):
        info["components_checked"] += 1
        g = nx.Graph()
        for x, y, c, s in zip(grp["a"], grp["b"], grp["cap"], grp["strong"], strict=True):
            g.add_edge(int(x), int(y), cap=float(c), strong=bool(s))
        nodes = sorted(g.nodes)
        separate = [(x, y) for x, y in cannot if labels[x] == comp]
        if len(nodes) <= max_component:
            idx = np.array(nodes)
            e, p, mo = email[idx], phone[idx], mobile[idx]
            for i in range(len(idx)):
                for j in range(i + 1, len(idx)):
                    if g.has_edge(nodes[i], nodes[j]):
                        continue
                    if e[i] is None or e[j] is None or e[i] == e[j]:
                        continue
                    ti = {v for v in (p[i], mo[i]) if v is not None}
                    tj = {v for v in (p[j], mo[j]) if v is not None}
                    if ti and tj and not ti & tj:
                        separate.append((nodes[i], nodes[j]))
        for x, y in separate:
            if not nx.has_path(g, x, y):
                continue
            _, (side_x, side_y) = nx.minimum_cut(g, x, y, capacity="cap")
            cut = [(u, v) for u, v in g.edges if (u in side_x) != (v in side_x)]
            g.remove_edges_from(cut)
            removed.extend(cut)
        # weak bridges joining two groups of at least two records
        for u, v in sorted(nx.bridges(g)):
            if g[u][v]["strong"]:
                continue
            data = g[u][v]
            g.remove_edge(u, v)
            if len(nx.node_connected_component(g, u)) >= 2 and \
                    len(nx.node_connected_component(g, v)) >= 2:
                removed.append((u, v))
            else:
                g.add_edge(u, v, **data)
    info["edges_cut"] = len(removed)
    if removed:
        rem = np.array([min(x, y) * n + max(x, y) for x, y in removed], dtype=np.int64)
        keep = ~np.isin(np.minimum(a, b).astype(np.int64) * n + np.maximum(a, b), rem)
        labels = _components(n, a[keep], b[keep])
    return labels, info


def _new_id(key: str, used: set[str]) -> str:
    salt = 0
    while True:
        text = key if salt == 0 else f"{key}#{salt}"
        cid = "C" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]
        if cid not in used:
            return cid
        salt += 1


def _assign_ids(k: pd.DataFrame, labels: np.ndarray,
                previous_links: pd.DataFrame | None) -> np.ndarray:
    """Stable contact ids: majority previous id (ties: smallest), else a hash of the cluster."""
    rk = (k["centre"] + ":" + k["local_id"]).to_numpy(object)
    n_lab = int(labels.max()) + 1 if len(labels) else 0
    size = np.bincount(labels, minlength=n_lab)
    # smallest record key of each cluster: itself for singletons, sorted keys for the others
    min_key = np.empty(n_lab, dtype=object)
    min_key[labels] = rk  # right for singletons
    multi = size[labels] > 1
    if multi.any():
        sub_lab, sub_rk = labels[multi], rk[multi].astype(str)
        order = np.lexsort((sub_rk, sub_lab))
        first = order[np.r_[True, sub_lab[order][1:] != sub_lab[order][:-1]]]
        min_key[sub_lab[first]] = rk[multi][first]
    ids = np.empty(n_lab, dtype=object)
    used: set[str] = set()
    if previous_links is not None and len(previous_links):
        df = pd.DataFrame({"label": labels, "rk": rk})
        prev = previous_links.astype({"centre": str, "local_id": str, "contact_id": str})
        prev = pd.Series(prev["contact_id"].to_numpy(),
                         index=prev["centre"] + ":" + prev["local_id"])
        prev = prev[~prev.index.duplicated(keep="last")]
        used |= set(prev.to_numpy())
        df["prev"] = df["rk"].map(prev)
        votes = df.dropna(subset=["prev"]).groupby(["label", "prev"]).size().rename("n")
        votes = votes.reset_index()
        votes["size"] = size[votes["label"].to_numpy()]
        votes["min_key"] = min_key[votes["label"].to_numpy()]
        # each cluster's preferred old id
        votes = votes.sort_values(["label", "n", "prev"], ascending=[True, False, True])
        best = votes.drop_duplicates("label")
        # an old id claimed by several clusters goes to the larger part
        best = best.sort_values(["prev", "n", "size", "min_key"],
                                ascending=[True, False, False, True])
        winners = best.drop_duplicates("prev")
        ids[winners["label"].to_numpy()] = winners["prev"].to_numpy()
    todo = np.flatnonzero(pd.isna(ids)) if n_lab else np.zeros(0, dtype=np.int64)
    hashed = np.array(["C" + hashlib.sha1(x.encode("utf-8")).hexdigest()[:10]
                       for x in min_key[todo]], dtype=object)
    clash = pd.Series(hashed).duplicated(keep=False).to_numpy()
    if used:
        clash |= np.isin(hashed, np.array(sorted(used), dtype=object))
    if not clash.any():  # the usual case: no salt needed, same ids as the ordered loop
        ids[todo] = hashed
    else:  # clusters in key order, salted until free
        for label in todo[np.argsort(min_key[todo].astype(str), kind="stable")]:
            cid = _new_id(min_key[label], used)
            ids[label] = cid
            used.add(cid)
    return ids[labels] if len(labels) else np.zeros(0, dtype=object)


# ----------------------------------------------------------------------------- golden
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
    return out


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
