"""Pair comparison (recordlinkage Compare, rapidfuzz on coded keys) and levels (stage 2)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import recordlinkage
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, JaroWinkler, Levenshtein
from recordlinkage.base import BaseCompareFeature


@dataclass
class CodedKeys:
    """Key columns as integer codes (-1 missing) into shared vocabularies of distinct values."""

    frame: pd.DataFrame
    vocab: dict[str, np.ndarray]
    generic_email: np.ndarray | None = None  # per e-mail vocabulary entry: a role address


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
    from grc.dedup.person import is_generic_email

    return CodedKeys(frame, vocab, is_generic_email(vocab["email"]))


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
    out = cmp.compute(pairs, coded.frame).reset_index(drop=True)
    return _generic_emails(out, pairs, coded)


def _generic_emails(out: pd.DataFrame, pairs: pd.MultiIndex, coded: CodedKeys) -> pd.DataFrame:
    """A role address (``contact@…``) is organisation evidence, not the person's e-mail: its
    comparison is left out of the e-mail level (NaN) and kept as ``generic_eq``."""
    gen = coded.generic_email
    if gen is None or not len(out):
        out["generic_eq"] = np.zeros(len(out), dtype=bool)
        return out
    codes = coded.frame["email"].to_numpy(np.int64)
    ea, eb = codes[pairs.get_level_values(0)], codes[pairs.get_level_values(1)]
    flag = np.r_[gen, False]  # index -1: missing
    ga, gb = flag[ea], flag[eb]
    out["generic_eq"] = ga & (ea == eb)
    either = ga | gb
    if either.any():
        out.loc[either, ["email_eq", "email_dist"]] = np.nan
    return out


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


