"""Reference comparison features on strings, kept out of the library.

``grc.dedup.compare`` compares integer-coded keys (``CodedNameFeature``, ``CodedSimilarity``,
``CodedPhoneFeature``): rapidfuzz runs on the distinct value pairs only. These features
compute the same values on the strings themselves, pair by pair; they serve only to prove
the coded path (``tests/test_dedup.py``) and to time it (``bench_dedup.py``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler, Levenshtein
from recordlinkage.base import BaseCompareFeature


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
