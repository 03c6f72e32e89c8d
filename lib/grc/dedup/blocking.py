"""Candidate pairs: exact blocking passes on integer-coded keys, unioned (dedup stage 1)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import recordlinkage
from recordlinkage.base import BaseIndexAlgorithm

from grc.dedup.compare import CodedKeys
from grc.dedup.keys import MAX_BLOCK, SN_MAX_RECORDS, _kept_pairs, _keys, _sn_key


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
    keep = _kept_pairs(k, lo, hi, link_only)
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


