"""Match keys of qualified records: normalised names, places, channels (dedup stage 0)."""

from __future__ import annotations

import re
import sys

import jellyfish
import numpy as np
import pandas as pd
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


def _kept_pairs(k: pd.DataFrame, a: np.ndarray, b: np.ndarray, link_only: bool) -> np.ndarray:
    """Which pairs ``(a[i], b[i])`` join two different records (of two centres when
    ``link_only``)."""
    keep = a != b
    if link_only:
        centre = k["centre"].to_numpy()
        keep &= centre[a] != centre[b]
    return keep
