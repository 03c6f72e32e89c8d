"""Qualification of contacts (SPEC §5-6): normalise, verify, flag, usable channels.

Entry point: :func:`qualify`. Per-value work is done once per distinct value
(``pd.factorize``) for low-cardinality columns; phones and e-mails go through a fast path
(well-formed French writings) whose verdicts equal the full parsers' (phonenumbers,
email-validator), the rest through the full parsers.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import phonenumbers
from email_validator import EmailNotValidError, validate_email
from rapidfuzz.distance import OSA
from unidecode import unidecode

from grc import rules
from grc.qualify.reference import (
    OVERSEAS_REGION_CODE,
    city_key,
    city_key_postcodes,
    department_of_postcode,
    postcode_communes,
    postcode_key_names,
    postcode_towns,
    region_of_department,
    town_of_pair,
)

ISSUE_FRAME_COLUMNS = ["centre", "local_id", "field", "code", "message", "value", "suggestion"]
RAW_FIELDS = ["civility", "first_name", "last_name", "organisation", "phone", "mobile", "email",
              "postcode", "city"]
RNVP_WIDTH = 38


@dataclass
class QualifyContext:
    """Everything qualification needs besides the contacts."""

    reference_date: dt.date
    segmentation: dict[str, dict]
    bloctel: set[str] = field(default_factory=set)
    npai: set[tuple[str, str]] = field(default_factory=set)
    last_stay: pd.Series | None = None
    last_contact: pd.Series | None = None
    timings: dict[str, float] | None = None  # filled with CPU seconds per stage when given
    # e-mails validated in worker processes (while the parent parses phones) from this size
    workers: int = 2
    parallel_min_rows: int = 200_000


# ------------------------------------------------------------------------------------------
# small helpers


def _is_missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and v != v) or v is pd.NA or v is pd.NaT


def _text(v: Any) -> str | None:
    """Trimmed text or None."""
    if _is_missing(v):
        return None
    s = " ".join(str(v).split())
    return s or None


def _spread(res: list, codes: np.ndarray) -> np.ndarray:
    """Per-group results (last one for code -1, the missing values) spread back to rows."""
    arr = np.fromiter(res, dtype=object, count=len(res))
    return arr[codes]


def map_unique_array(values: pd.Series | Iterable, func: Callable[[Any], Any]) -> np.ndarray:
    """Apply ``func`` once per distinct value (None for missing values), as an object array."""
    s = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    res = [func(u) for u in uniques]
    res.append(func(None))
    return _spread(res, codes)


def map_unique(values: pd.Series | Iterable, func: Callable[[Any], Any]) -> list:
    """Apply ``func`` once per distinct value (None for missing values) and spread back."""
    return list(map_unique_array(values, func))


def _row_groups(*cols: Any) -> tuple[np.ndarray, np.ndarray]:
    """Group of each row over the distinct rows of ``cols`` (missing values equal), and the
    first row of each group."""
    n = len(cols[0])
    key = np.zeros(n, dtype=np.int64)
    for c in cols:
        codes, uniq = pd.factorize(np.asarray(c, dtype=object), use_na_sentinel=True)
        key, _ = pd.factorize(key * (len(uniq) + 1) + (codes + 1))
    first = np.full(int(key.max()) + 1 if n else 0, n, dtype=np.int64)
    np.minimum.at(first, key, np.arange(n, dtype=np.int64))
    return key, first


def map_rows_array(func: Callable[..., Any], *cols: Any) -> np.ndarray:
    """Apply ``func`` once per distinct row of ``cols`` (missing values as None), spread back."""
    n = len(cols[0])
    if n == 0:
        return np.empty(0, dtype=object)
    codes, first = _row_groups(*cols)
    vals = []
    for c in cols:
        v = np.asarray(c, dtype=object)[first]
        v[pd.isna(v)] = None
        vals.append(v.tolist())
    return _spread([func(*row) for row in zip(*vals, strict=True)], codes)


def map_rows(func: Callable[..., Any], *cols: pd.Series) -> list:
    """Apply ``func`` once per distinct row of ``cols`` (missing values as None), spread back."""
    return list(map_rows_array(func, *cols))


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    if name in df.columns:
        return df[name]
    return pd.Series([None] * len(df), index=df.index, dtype=object)


def _obj(values: Iterable, index: pd.Index) -> pd.Series:
    if isinstance(values, np.ndarray) and values.dtype == object:
        arr = values.copy()
    else:
        arr = np.empty(len(index), dtype=object)
        arr[:] = values if isinstance(values, list) else list(values)
    return pd.Series(arr, index=index, dtype=object)


# ------------------------------------------------------------------------------------------
# civility, names, consent

_CIV_M = {"M", "MR", "MONSIEUR", "MONS", "MSR", "MSIEUR", "SIEUR"}
_CIV_MME = {"MME", "MADAME", "MDM", "MLLE", "MELLE", "MLE", "MADEMOISELLE", "MEL", "MS", "MRS",
            "MISS"}


def normalise_civility(v: Any) -> str | None:
    """"M." / "Mr" / "Monsieur" -> "M"; "Mme" / "Madame" / "Mlle" -> "MME"; "Me" (Maître) -> None."""
    s = _text(v)
    if s is None:
        return None
    k = re.sub(r"[^A-Z]", "", unidecode(s).upper())
    if k in _CIV_M:
        return "M"
    if k in _CIV_MME:
        return "MME"
    return None


_PARTICLES = {"de", "du", "des", "d", "la", "le", "les", "l", "van", "von", "der", "den", "di",
              "da", "del", "della", "dos", "das", "y", "et", "of", "the"}
_KEY_RE = re.compile(r"[^a-z0-9]+")


def name_key(v: Any) -> str | None:
    """Match key: ascii lower case, no particles or punctuation ("de la Fontaine" -> "fontaine")."""
    s = _text(v)
    if s is None:
        return None
    words = _KEY_RE.sub(" ", unidecode(s).lower()).split()
    kept = [w for w in words if w not in _PARTICLES]
    out = " ".join(kept or words)
    return out or None


def _cap_word(w: str) -> str:
    parts = re.split(r"([\-'’ ])", w)
    return "".join(p[:1].upper() + p[1:].lower() if p and p not in "-'’ " else p for p in parts)


def display_first_name(v: Any) -> str | None:
    """Trimmed, capitalised ("jean-pierre" -> "Jean-Pierre")."""
    s = _text(v)
    return None if s is None else _cap_word(s)


def display_last_name(v: Any) -> str | None:
    """Trimmed, upper case ("de la Fontaine" -> "DE LA FONTAINE")."""
    s = _text(v)
    return None if s is None else s.upper()


def display_organisation(v: Any) -> str | None:
    """Trimmed, spaces collapsed; all-lower-case names capitalised."""
    s = _text(v)
    if s is None:
        return None
    return s.upper() if s.islower() else s


_TRUE = {"1", "OUI", "O", "TRUE", "VRAI", "X", "Y", "YES", "OK", "T", "V", "1.0"}


def parse_consent(v: Any) -> bool:
    """Consent as centres write it: 1/oui/O/true/x -> True; 0/non/N/false/empty -> False."""
    if isinstance(v, bool | np.bool_):
        return bool(v)
    s = _text(v)
    if s is None:
        return False
    return unidecode(s).strip().upper() in _TRUE


# ------------------------------------------------------------------------------------------
# phones

_PHONE_TYPES = {
    phonenumbers.PhoneNumberType.FIXED_LINE: "fixed",
    phonenumbers.PhoneNumberType.MOBILE: "mobile",
}
_PHONE_SEP = str.maketrans("", "", " \u00a0.-")
# a well-formed writing once separators are gone; it must start with a digit or "+" (the full
# parser looks at the first character: "+" and "00" mean an international writing)
_FAST_PHONE = re.compile(r"(0|\+33|0033|\+33\(0\))?([1-9][0-9]{4})([0-9]{4})")
_PHONE_START = frozenset("0123456789+")
_PHONE_SPLIT = re.compile(r"\s*(?:[;,|\n]|\s/\s?|/\s|\s(?:ou|et|or|-)\s)\s*", re.IGNORECASE)
_PHONE_EXT = re.compile(r"\s*(?:poste|p\.|ext\.?|x)\s*\d{1,5}\s*$", re.IGNORECASE)
_OVERSEAS_TRY = ["RE", "YT", "GP", "MQ", "GF"]
_OVERSEAS_REGIONS = frozenset(OVERSEAS_REGION_CODE.values())
_FR_PREFIX_LEN = 5


def _phone_type(p: phonenumbers.PhoneNumber) -> str:
    return _PHONE_TYPES.get(phonenumbers.number_type(p), "other")


def _parse_one(chunk: str, region: str) -> tuple[str, str] | None:
    """One number with phonenumbers: (E.164, type) if valid, else None."""
    try:
        p = phonenumbers.parse(chunk, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(p):
        if region == "FR" and p.country_code == 33 and not chunk.lstrip().startswith(("+", "00")) \
                and str(p.national_number)[:2] in ("26", "59", "63", "69", "70"):
            # an overseas number written nationally (0262..., 0692...) by a metropolitan centre
            for reg in _OVERSEAS_TRY:
                try:
                    q = phonenumbers.parse(chunk, reg)
                except phonenumbers.NumberParseException:
                    continue
                if phonenumbers.is_valid_number(q):
                    return phonenumbers.format_number(q, phonenumbers.PhoneNumberFormat.E164), \
                        _phone_type(q)
        if region in _OVERSEAS_REGIONS and not chunk.lstrip().startswith(("+", "00")):
            # overseas departments share the French numbering plan: 06... is metropolitan
            return _parse_one(chunk, "FR")
        return None
    return phonenumbers.format_number(p, phonenumbers.PhoneNumberFormat.E164), _phone_type(p)


def _phone_chunks(s: str) -> list[str]:
    chunks = []
    for part in _PHONE_SPLIT.split(s):
        part = _PHONE_EXT.sub("", part).strip()
        if not part or not re.search(r"\d", part):
            continue
        digits = re.sub(r"\D", "", part)
        if len(digits) == 20 and not part.lstrip().startswith("+") and digits[0] == "0" \
                and digits[10] == "0":
            chunks += [digits[:10], digits[10:]]
        else:
            chunks.append(part)
    return chunks


def parse_phone_full(raw: Any, region: str = "FR") -> tuple[str | None, str | None, str | None]:
    """Full parser: (first valid number as E.164, its type, second valid number or None).

    A cell may hold two numbers ("01 23 45 67 89 / 06 12 34 56 78"); free text without
    digits ("voir secrétariat") gives no number.
    """
    s = _text(raw)
    if s is None:
        return None, None, None
    found: list[tuple[str, str]] = []
    for chunk in _phone_chunks(s):
        r = _parse_one(chunk, region)
        if r is not None and r[0] not in (f[0] for f in found):
            found.append(r)
    if not found:
        return None, None, None
    extra = found[1][0] if len(found) > 1 else None
    return found[0][0], found[0][1], extra


def _prefix_width_ok(pattern: str, max_prefix: int) -> bool:
    """True if whether a digit string matches ``pattern`` depends only on its first
    ``max_prefix`` digits (every constraint of every alternative lies there, the rest is
    free ``\\d``): then the verdict for a 5-digit prefix holds for all its numbers."""
    import re._constants as c  # noqa: PLC0415
    import re._parser as sp  # noqa: PLC0415

    free = [(c.IN, [(c.CATEGORY, c.CATEGORY_DIGIT)])]

    def det(seq: list, offset: int) -> bool:
        for k, (op, av) in enumerate(seq):
            rest = seq[k + 1:]
            if op is c.SUBPATTERN:
                return det(list(av[-1]) + rest, offset)
            if op is c.BRANCH:
                return all(det(list(alt) + rest, offset) for alt in av[1])
            if [(op, av)] == free:
                offset += 1
                continue
            if op is c.MAX_REPEAT and list(av[2]) == free and av[0] == av[1]:
                offset += av[0]
                continue
            lo, hi = sp.SubPattern(state, [(op, av)]).getwidth()
            if lo != hi or offset + hi > max_prefix:
                return False
            offset += hi
        return True

    parsed = sp.parse(pattern)
    state = parsed.state
    return det(list(parsed), 0)


# every numbering plan the full parser may consult for a French-looking number: the regions
# of a row, the overseas regions tried for a metropolitan row, and the regions sharing their
# country codes (phonenumbers picks among them by pattern)
_PLAN_REGIONS = ("FR", "RE", "YT", "GP", "BL", "MF", "MQ", "GF")
_FAST_ROW_REGIONS = ("FR", "RE", "YT", "GP", "MQ", "GF")
_SLOW = object()  # cache marker: this writing and prefix go through the full parser


@lru_cache(maxsize=1)
def _fast_path_regions() -> frozenset[str]:
    """Row regions whose phone verdicts a 5-digit prefix decides; empty when not proven.

    For every plan in ``_PLAN_REGIONS``: national prefix "0" stripped as such, no
    leading-digit rules, every number pattern decided by its first five digits
    (:func:`_prefix_width_ok`), nine-digit numbers only. Then parsing, validity, type and
    region choice of a nine-digit national number, written in one given way, are the same
    for all numbers sharing its first five digits: the full parser's verdict on one
    representative number holds for them all."""
    for reg in _PLAN_REGIONS:
        meta = phonenumbers.PhoneMetadata.metadata_for_region(reg)
        if meta is None or meta.national_prefix_for_parsing not in (None, "0") \
                or meta.national_prefix_transform_rule or meta.leading_digits:
            return frozenset()
        descs = [meta.general_desc, meta.fixed_line, meta.mobile, meta.toll_free,
                 meta.premium_rate, meta.shared_cost, meta.personal_number, meta.voip,
                 meta.pager, meta.uan, meta.voicemail]
        for d in descs:
            if d is None or not d.national_number_pattern:
                continue
            if tuple(d.possible_length or (9,)) != (9,):
                return frozenset()
            if not _prefix_width_ok(d.national_number_pattern, _FR_PREFIX_LEN):
                return frozenset()
    return frozenset(_FAST_ROW_REGIONS)


def _fr_fast_path_ok() -> bool:
    """True when the prefix fast path is proven for French numbers."""
    return "FR" in _fast_path_regions()


@lru_cache(maxsize=1)
def _fr_type_patterns() -> tuple:
    """FR metadata as compiled regexes, in phonenumbers' own order of type tests."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region("FR")

    def rx(d: Any) -> re.Pattern | None:
        if d is None or not d.national_number_pattern:
            return None
        return re.compile(d.national_number_pattern)

    special = [getattr(meta, k) for k in ("premium_rate", "toll_free", "shared_cost", "voip",
                                           "personal_number", "pager", "uan", "voicemail")]
    special = [d.national_number_pattern for d in special if d and d.national_number_pattern]
    # one alternation: fullmatch succeeds iff one of the patterns fullmatches
    any_special = re.compile("|".join(f"(?:{s})" for s in special)) if special else None
    return rx(meta.general_desc), any_special, rx(meta.fixed_line), rx(meta.mobile)


_fr_prefix_cache: dict[str, str | None] = {}


def _fr_prefix_type(prefix: str) -> str | None:
    """Type of every French NSN starting with ``prefix`` (5 digits), None when invalid.

    Mirrors ``phonenumbers.number_type`` (same tests, same order) on a representative
    number; the prefix proof says the 5 first digits decide. Valid French numbers are
    returned as French whatever their writing, by the full parser too."""
    r = _fr_prefix_cache.get(prefix, 0)
    if r == 0:
        nsn = prefix + "0000"
        general, special, fixed, mobile = _fr_type_patterns()
        if not general.fullmatch(nsn):
            r = None
        elif special is not None and special.fullmatch(nsn):
            r = "other"
        elif fixed is not None and fixed.fullmatch(nsn):
            r = "other" if mobile is not None and mobile.fullmatch(nsn) else "fixed"
        elif mobile is not None and mobile.fullmatch(nsn):
            r = "mobile"
        else:
            r = None
        _fr_prefix_cache[prefix] = r
    return r  # type: ignore[return-value]


_prefix_cache: dict[str, dict[tuple[str, str], Any]] = {}


def _prefix_verdict(region: str, form: str, prefix: str) -> Any:
    """(country prefix "+33", type) or None (invalid) for every number written
    ``form + prefix + 4 digits`` in a ``region`` row, from the full parser on
    ``form + prefix + "0000"``; ``_SLOW`` when the result is not of that shape."""
    cache = _prefix_cache.setdefault(region, {})
    key = (form, prefix)
    r = cache.get(key, cache)
    if r is cache and region == "FR":
        t = _fr_prefix_type(prefix)  # valid French numbers: French in every writing
        if t is not None:
            return "+33", t
    if r is cache:
        nsn = prefix + "0000"
        e, t, x = parse_phone_full(form + nsn, region)
        if e is None:
            r = None
        elif x is None and e.endswith(nsn) and e[:-9].startswith("+") and e[1:-9].isdigit():
            r = (e[:-9], t)
        else:
            r = _SLOW
        cache[key] = r
    return r


def phone_fast(raw: str, region: str = "FR") -> tuple[str, str] | None | bool:
    """Fast path for well-formed French writings: (E.164, type), None when invalid, or
    False when the full parser must decide."""
    if region not in _fast_path_regions():
        return False
    m = _FAST_PHONE.fullmatch(raw.translate(_PHONE_SEP))
    if m is None or raw[0] not in _PHONE_START or ("-" in raw and _PHONE_SPLIT.search(raw)):
        return False
    form, pre, tail = m.groups()
    r = _prefix_verdict(region, form or "", pre)
    if r is _SLOW:
        return False
    return None if r is None else (r[0] + pre + tail, r[1])


_VEC_WIDTH = 24  # longer cells go through the per-value path
_FORMS = ("", "0", "+33", "0033", "+33(0)")
_CHUNK = 200_000


def _as_str_cells(values: Any) -> tuple[np.ndarray, np.ndarray]:
    """(object array of str, '' for missing; mask of missing) as the per-value loops see them:
    None and float NaN are missing, other non-str values are written with ``str``."""
    vals = np.asarray(values, dtype=object)
    na = pd.isna(vals)  # None, NaN, and also pd.NA / NaT, which str() writes out
    na_idx = np.flatnonzero(na)
    sub = vals[na_idx]
    odd = na_idx[sub != None]  # noqa: E711  (elementwise)
    if not any(type(vals[i]) is not float for i in odd.tolist()) \
            and pd.api.types.infer_dtype(vals[~na], skipna=False) in ("string", "empty"):
        out = vals.copy()
        out[na_idx] = ""
        return out, na
    isstr = np.fromiter((type(v) is str for v in vals), dtype=bool, count=len(vals))
    out = vals.copy()
    missing = np.zeros(len(vals), dtype=bool)
    for i in np.flatnonzero(~isstr):
        v = vals[i]
        if v is None or (isinstance(v, float) and v != v):
            missing[i] = True
            out[i] = ""
        else:
            out[i] = str(v)
    return out, missing


def _codepoints(strs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, _VEC_WIDTH) uint32 code points of short cells (zero padded), and the mask of the
    cells represented exactly (length <= width, no NUL character)."""
    lens = np.fromiter(map(len, strs), dtype=np.int64, count=len(strs))
    ok = lens <= _VEC_WIDTH
    u = np.where(ok, strs, "").astype(f"U{_VEC_WIDTH}")
    m = u.view(np.uint32).reshape(len(strs), _VEC_WIDTH)
    ok &= (m != 0).sum(axis=1) == lens
    return m, ok


def _phone_fast_matrix(m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised ``phone_fast`` shape test: (candidate mask, form index in _FORMS,
    (n, 9) code points of the national number)."""
    n, w = m.shape
    sep = (m == 0x20) | (m == 0xA0) | (m == 0x2E) | (m == 0x2D)
    keep = ~sep & (m != 0)
    digit = (m >= 0x30) & (m <= 0x39)
    allowed = digit | (m == 0x2B) | (m == 0x28) | (m == 0x29)
    cand = ~(keep & ~allowed).any(axis=1)
    first = m[:, 0]
    cand &= ((first >= 0x30) & (first <= 0x39)) | (first == 0x2B)
    ws = (m == 0x20) | (m == 0xA0)
    cand &= ~((m[:, 1:-1] == 0x2D) & ws[:, :-2] & ws[:, 2:]).any(axis=1)  # " - " splits
    length = keep.sum(axis=1)
    cand &= (length >= 9) & (length <= 15)
    t = np.zeros_like(m)
    r, c = np.nonzero(keep)
    t[r, (np.cumsum(keep, axis=1, dtype=np.int8) - 1)[r, c]] = m[r, c]
    start = np.clip(length - 9, 0, w - 9)
    nsn = np.take_along_axis(t, start[:, None] + np.arange(9), axis=1)
    cand &= ((nsn >= 0x30) & (nsn <= 0x39)).all(axis=1) & (nsn[:, 0] != 0x30)
    form = np.full(n, -1, dtype=np.int64)
    for k, f in enumerate(_FORMS):
        code = np.array([ord(ch) for ch in f], dtype=np.uint32)
        hit = start == len(f)
        if len(f):
            hit &= (t[:, :len(f)] == code).all(axis=1)
        form[hit] = k
    cand &= form >= 0
    return cand, form, nsn


_VERDICTS: list = [None, _SLOW]  # verdict ids: 0 invalid, 1 full parser, 2+ (prefix, type)
_VERDICT_IDS: dict[tuple[str, str], int] = {}
_PREFIX_TABLES: dict[tuple[str, int], np.ndarray] = {}
_FR_TYPES: list = [None, "fixed", "mobile", "other"]
_FR_TYPE_TABLE = np.full(100_000, -1, dtype=np.int8)  # index in _FR_TYPES, -1 not yet known


def _verdict_id(r: Any) -> int:
    if r is None:
        return 0
    if r is _SLOW:
        return 1
    v = _VERDICT_IDS.get(r)
    if v is None:
        v = _VERDICT_IDS[r] = len(_VERDICTS)
        _VERDICTS.append(r)
    return v


def _fr_type_codes(prefixes: np.ndarray) -> np.ndarray:
    """:func:`_fr_prefix_type` of distinct 5-digit ``prefixes`` (ints) as indices in
    ``_FR_TYPES``, from a per-process table shared by every writing."""
    codes = _FR_TYPE_TABLE[prefixes]
    for p in prefixes[codes < 0].tolist():
        _FR_TYPE_TABLE[p] = _FR_TYPES.index(_fr_prefix_type(f"{p:05d}"))
    return _FR_TYPE_TABLE[prefixes]


@lru_cache(maxsize=1)
def _same_idd_as_fr() -> frozenset[str]:
    """Fast-path regions dialling abroad with FR's international prefix ("00"): there
    "0033..." is read as in a French row."""
    fr = phonenumbers.PhoneMetadata.metadata_for_region("FR")
    return frozenset(r for r in _fast_path_regions() if (
        m := phonenumbers.PhoneMetadata.metadata_for_region(r)) is not None
        and m.international_prefix == fr.international_prefix
        and m.preferred_international_prefix == fr.preferred_international_prefix)


def _verdict_ids(region: str, form: int, prefixes: np.ndarray) -> np.ndarray:
    """Verdict ids of :func:`_prefix_verdict` for 5-digit ``prefixes`` (ints) written in
    ``_FORMS[form]`` in a ``region`` row; a per-process table filled on first use.

    In a French row a valid French prefix gets ("+33", its type) in every writing (as in
    :func:`_prefix_verdict`): those entries come from the writing-independent French table,
    only the other prefixes are asked per writing. A "+33..." writing is parsed the same
    whatever the row's region (the default region only serves national writings and the
    international dialling prefix), and an invalid one is not retried as overseas: every
    fast-path region shares the French row's table for it (for "0033..." too when the
    region dials abroad with "00")."""
    if region != "FR" and (_FORMS[form][:1] == "+" or (
            _FORMS[form] == "0033" and region in _same_idd_as_fr())):
        return _verdict_ids("FR", form, prefixes)
    tab = _PREFIX_TABLES.get((region, form))
    if tab is None:
        tab = _PREFIX_TABLES[(region, form)] = np.full(100_000, -1, dtype=np.int16)
    ids = tab[prefixes]
    unknown = ids < 0
    if not unknown.any():
        return ids
    todo = np.unique(prefixes[unknown])
    if region == "FR":
        fr = _fr_type_codes(todo)
        valid = fr > 0
        fr_ids = np.array([0] + [_verdict_id(("+33", t)) for t in _FR_TYPES[1:]], dtype=np.int16)
        tab[todo[valid]] = fr_ids[fr[valid]]
        todo = todo[~valid]
    for p in todo.tolist():
        tab[p] = _verdict_id(_prefix_verdict(region, _FORMS[form], f"{p:05d}"))
    return tab[prefixes]


def parse_phones(values: pd.Series, regions: pd.Series) -> tuple[list, list, list]:
    """Vectorised phone parsing: lists of E.164, type, extra number (same order as input)."""
    e, t, x = _parse_phones_arrays(values, regions)
    return list(e), list(t), list(x)


def _parse_phones_arrays(values: Any, regions: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Phone parsing as object arrays (E.164, type, extra number).

    Well-formed writings (:func:`phone_fast`'s shape, tested on code-point matrices) take a
    verdict per distinct (region, writing, 5-digit prefix), see :func:`_fast_path_regions`;
    the others go through the full parser once per distinct (value, region)."""
    strs, missing = _as_str_cells(values)
    regs = np.asarray(regions, dtype=object)
    n = len(strs)
    e164 = np.full(n, None, dtype=object)
    types = np.full(n, None, dtype=object)
    extra = np.full(n, None, dtype=object)
    fast_regions = _fast_path_regions()
    reg_codes, reg_uniques = pd.factorize(pd.Series(regs, dtype=object), use_na_sentinel=True)
    reg_uniques = list(reg_uniques)
    fast_reg = np.array([u in fast_regions for u in reg_uniques] + [False], dtype=bool)
    slow = ~missing
    for s0 in range(0, n, _CHUNK):
        sl = slice(s0, min(n, s0 + _CHUNK))
        rows = np.flatnonzero(~missing[sl] & fast_reg[reg_codes[sl]]) + s0
        if not len(rows):
            continue
        m, exact = _codepoints(strs[rows])
        cand, form, nsn = _phone_fast_matrix(m)
        cand &= exact
        rows, form, nsn = rows[cand], form[cand], nsn[cand]
        if not len(rows):
            continue
        digits = (nsn[:, :5] - 0x30).astype(np.int64)
        prefix = digits @ np.array([10_000, 1_000, 100, 10, 1], dtype=np.int64)
        vid = np.empty(len(rows), dtype=np.int16)
        rc = reg_codes[rows]
        pair = rc.astype(np.int64) * len(_FORMS) + form
        for pk in np.unique(pair).tolist():
            sel = pair == pk
            vid[sel] = _verdict_ids(reg_uniques[pk // len(_FORMS)], pk % len(_FORMS),
                                    prefix[sel])
        slow[rows[vid != 1]] = False
        ok = vid >= 2
        cc_of = np.array([v[0] if isinstance(v, tuple) else "" for v in _VERDICTS], dtype="U4")
        ty_of = np.array([v[1] if isinstance(v, tuple) else None for v in _VERDICTS],
                         dtype=object)
        nsn_u = np.ascontiguousarray(nsn[ok]).view("U9").ravel()
        e164[rows[ok]] = np.strings.add(cc_of[vid[ok]], nsn_u).astype(object)
        types[rows[ok]] = ty_of[vid[ok]]
    if slow.any():
        idx = np.flatnonzero(slow)
        sv = pd.Series(strs[idx], dtype=object)
        sr = pd.Series(regs[idx], dtype=object)
        for i, a, b, c in zip(idx, *_full_phone_rows(sv, sr), strict=True):
            e164[i], types[i], extra[i] = a, b, c
    return e164, types, extra


def _full_phone_rows(values: pd.Series, regions: pd.Series) -> tuple[list, list, list]:
    """parse_phone_full once per distinct (value, region)."""
    res = map_rows(lambda v, r: parse_phone_full(v, r), values, regions)
    return [a for a, _, _ in res], [b for _, b, _ in res], [c for _, _, c in res]


def phone_problem(raw: Any) -> str:
    """French reason for an invalid phone cell."""
    s = _text(raw) or ""
    digits = re.sub(r"\D", "", s)
    if not digits:
        return "texte sans numéro, saisir le numéro (ex. 01 23 45 67 89) ou vider le champ"
    if len(digits) < 9:
        return f"numéro incomplet ({len(digits)} chiffres), compléter les 10 chiffres"
    if len(digits) > 13:
        return f"trop de chiffres ({len(digits)}), ne garder qu'un numéro par champ"
    return "numéro inexistant (préfixe ou longueur invalide), vérifier auprès du contact"


# ------------------------------------------------------------------------------------------
# e-mails

_FAST_EMAIL = re.compile(
    r"(?=[^@]{1,64}@)[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*"
    r"@((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63})"
)
POPULAR_DOMAINS = [
    "gmail.com", "hotmail.fr", "hotmail.com", "orange.fr", "wanadoo.fr", "free.fr",
    "laposte.net", "sfr.fr", "yahoo.fr", "yahoo.com", "outlook.fr", "outlook.com", "live.fr",
    "icloud.com", "aol.com", "bbox.fr", "neuf.fr", "gmx.fr", "club-internet.fr",
    "numericable.fr", "protonmail.com", "msn.com",
]
_POPULAR_NAMES: dict[str, list[str]] = {}
for _d in POPULAR_DOMAINS:
    _n, _t = _d.rsplit(".", 1)
    _POPULAR_NAMES.setdefault(_n, []).append(_t)
_TLD_TYPOS = {"fe": "fr", "ft": "fr", "frr": "fr", "ffr": "fr", "rf": "fr", "dr": "fr", "gr": "fr",
              "cm": "com", "con": "com", "cmo": "com", "ocm": "com", "comm": "com", "co": "com",
              "om": "com", "vom": "com", "xom": "com", "nte": "net", "ne": "net", "nt": "net"}
_FUZZY_NAMES = [n for n in _POPULAR_NAMES if len(n) >= 5]
_NAME_TYPOS = {"fre": "free", "fee": "free", "frre": "free", "sffr": "sfr", "srf": "sfr"}


@lru_cache(maxsize=100_000)
def suggest_domain(domain: str) -> str | None:
    """Likely intended domain for a misspelt common one ("gmial.com" -> "gmail.com")."""
    if domain in POPULAR_DOMAINS or "." not in domain:
        return None
    name, tld = domain.rsplit(".", 1)
    fixed_name = name
    if name not in _POPULAR_NAMES:
        fixed_name = _NAME_TYPOS.get(name)
        if fixed_name is None:
            close = [n for n in _FUZZY_NAMES if OSA.distance(name, n) == 1]
            if len(close) != 1:
                return None
            fixed_name = close[0]
    tlds = _POPULAR_NAMES[fixed_name]
    if tld in tlds:
        fixed = f"{fixed_name}.{tld}"
    elif tld in _TLD_TYPOS and _TLD_TYPOS[tld] in tlds:
        fixed = f"{fixed_name}.{_TLD_TYPOS[tld]}"
    elif fixed_name != name and len(tlds) == 1 and tld in _TLD_TYPOS:
        fixed = f"{fixed_name}.{tlds[0]}"
    else:
        return None
    return fixed if fixed != domain else None


def validate_email_full(raw: Any) -> tuple[str | None, str | None]:
    """Full parser: (normalised lower-case address, None) or (None, reason in English)."""
    s = _text(raw)
    if s is None:
        return None, None
    s = str(raw).strip().lower()
    try:
        v = validate_email(s, check_deliverability=False)
    except EmailNotValidError as exc:
        return None, str(exc)
    return v.normalized.lower(), None


@lru_cache(maxsize=100_000)
def _domain_valid(domain: str) -> bool:
    return validate_email_full("a@" + domain)[0] == "a@" + domain


def email_fast(raw: str) -> str | None | bool:
    """Fast path: the normalised address, or False when the full parser must decide."""
    s = raw.strip().lower()
    if len(s) > 254:
        return False
    m = _FAST_EMAIL.fullmatch(s)
    if m is None or not _domain_valid(m.group(1)):
        return False
    return s


def parse_emails(values: pd.Series) -> list:
    """Vectorised e-mail validation: normalised address or None, in input order."""
    out: list = [None] * len(values)
    slow: dict[str, list[int]] = {}
    for i, v in enumerate(values.tolist()):
        if v is None or (isinstance(v, float) and v != v):
            continue
        v = str(v)
        r = email_fast(v)
        if r is False:
            slow.setdefault(v, []).append(i)
        else:
            out[i] = r
    for v, idx in slow.items():
        r = validate_email_full(v)[0]
        for i in idx:
            out[i] = r
    return out


def _parse_email_list(values: list) -> list:
    return parse_emails(pd.Series(values, dtype=object))


def _start_email_jobs(values: list, ctx: QualifyContext, n: int) -> Any:
    """Validate distinct e-mails: in ``ctx.workers - 1`` worker processes (while the caller
    parses phones) when ``n`` reaches ``ctx.parallel_min_rows``, else here and now."""
    if ctx.workers < 2 or n < ctx.parallel_min_rows or len(values) < ctx.workers:
        return _parse_email_list(values)
    from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415
    from multiprocessing import get_context  # noqa: PLC0415

    k = ctx.workers - 1
    pool = ProcessPoolExecutor(max_workers=k, mp_context=get_context("fork"))
    # the workers take every value: this process parses the phones meanwhile, which take
    # longer than all the e-mails
    cut = len(values)
    bounds = np.linspace(0, cut, k + 1).astype(int)
    futures = [pool.submit(_parse_email_list, values[a:b])
               for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    return pool, futures, values[cut:]


def _finish_email_jobs(jobs: Any) -> list:
    if isinstance(jobs, list):
        return jobs
    pool, futures, rest = jobs
    try:
        mine = _parse_email_list(rest)
        out: list = []
        for f in futures:
            out += f.result()
    finally:
        pool.shutdown()
    return out + mine


def repair_email(raw: str) -> str | None:
    """A plausible fix for an invalid address (spaces, commas, missing @ before a known domain)."""
    s = raw.strip().lower().replace(" ", "").replace(",", ".").replace(";", ".")
    s = re.sub(r"@+", "@", s).strip(".")
    s = re.sub(r"\.{2,}", ".", s)
    if "@" not in s:
        for d in sorted(POPULAR_DOMAINS, key=len, reverse=True):
            if s.endswith("." + d) or s.endswith(d) and len(s) > len(d):
                s = s[: -len(d)].rstrip(".") + "@" + d
                break
    if "@" in s:
        local, _, dom = s.rpartition("@")
        dom = suggest_domain(dom) or dom
        s = f"{local}@{dom}"
    r = email_fast(s)
    if r is False:
        r = validate_email_full(s)[0]
    return r if r and r != raw.strip().lower() else None


_EMAIL_REASONS = [
    ("SPACE", "espace dans l'adresse"),
    ("before the @-sign", "caractère interdit avant l'arobase"),
    ("must have an @-sign", "il manque l'arobase « @ »"),
    ("after the @-sign contains invalid characters: '@'", "arobase « @ » en double"),
    ("hyphen", "tiret mal placé dans le domaine"),
    ("period", "point mal placé (début, fin ou double point)"),
    ("after the @-sign", "domaine incorrect après l'arobase"),
    ("too long", "adresse trop longue"),
]


def email_problem(raw: Any) -> str:
    """French reason for an invalid address."""
    reason = validate_email_full(raw)[1] or ""
    for key, fr in _EMAIL_REASONS:
        if key in reason:
            return fr
    return "syntaxe invalide"


# ------------------------------------------------------------------------------------------
# postcodes and towns


def normalise_city(v: Any) -> str | None:
    """Town for mail: upper case, no accents or punctuation ("Saint-Étienne" -> "SAINT ETIENNE")."""
    s = _text(v)
    if s is None:
        return None
    s = re.sub(r"[^A-Z0-9]+", " ", unidecode(s).upper()).strip()
    s = re.sub(r"\bSTE\b", "SAINTE", re.sub(r"\bST\b", "SAINT", s))
    return s or None


@dataclass(frozen=True)
class PostcodeVerdict:
    postcode: str | None
    department: str | None
    region: str | None
    problem: str | None = None  # French message, for invalid_postcode
    suggestion: str | None = None
    restored: bool = False
    town: str | None = None  # La Poste's line-6 town when the pair is in the reference
    checked: bool = False  # the postcode–town pair was checked against the reference
    field: str = "postcode"  # the field the problem is about ("city": a misspelt town)
    locality: str | None = None  # an old commune's name, for line 5 (La Poste's rule)


def _known_postcodes_of(ck: str) -> list[str]:
    return sorted(city_key_postcodes().get(ck, ()))


def _verdict(pc: str, town: tuple[str, str, str | None] | None = None,
             **kw: Any) -> PostcodeVerdict:
    dep = town[0] if town else department_of_postcode(pc)
    return PostcodeVerdict(pc, dep, region_of_department(dep), town=town[1] if town else None,
                           locality=town[2] if town else None, **kw)


def _digits(pc: str) -> str:
    if re.fullmatch(r"\d+\.0", pc):  # a spreadsheet number "1000.0"
        return pc[:-2]
    return re.sub(r"[\s.]", "", pc)


def _ranked_postcodes(cands: list[str], raw: str) -> tuple[list[str], str | None]:
    """The town's postcodes, closest to what was written first, and the one to suggest
    (the only one, or the one clearly closest to the written digits)."""
    if len(cands) <= 1:
        return cands, cands[0] if cands else None
    digits = re.sub(r"\D", "", raw.upper().replace("O", "0"))
    if len(digits) < 3:
        return cands, None
    ranked = sorted(cands, key=lambda o: (OSA.distance(digits, o), o))
    d0, d1 = OSA.distance(digits, ranked[0]), OSA.distance(digits, ranked[1])
    return ranked, ranked[0] if d0 < d1 and d0 <= 1 else None


def _lost_zero(digits: str, ck: str, raw_city: Any) -> PostcodeVerdict:
    cand = "0" + digits
    town = town_of_pair(cand, ck) if ck else None
    if town:
        return _verdict(cand, town, restored=True, checked=True)
    hint = f"« {cand} » si la ville est bien dans le département {cand[:2]}"
    others, sug = _ranked_postcodes(_known_postcodes_of(ck) if ck else [], digits)
    if sug:
        hint = f"« {sug} » (code connu pour {raw_city})"
    elif others:
        hint = f"l'un des codes de {raw_city} : " + ", ".join(others[:5])
    return PostcodeVerdict(None, None, None,
                           f"code postal à 4 chiffres, zéro initial perdu ? corriger en {hint}",
                           sug if others else cand, checked=bool(ck))


def _mismatch(digits: str, dep: str, ck: str, raw_city: Any) -> PostcodeVerdict | None:
    """A postcode that is not the town's: in the same department or another one."""
    others = _known_postcodes_of(ck)
    if not others:
        return None
    same = [o for o in others if department_of_postcode(o) == dep]
    cands, sug = _ranked_postcodes(same or others, digits)
    towns = postcode_towns().get(digits)
    what = (f"{digits} = " + ", ".join(towns[:4]) + (" …" if len(towns) > 4 else "")
            if towns else f"{digits} absent de la base officielle des codes postaux")
    where = "même département" if same else "autre département"
    fix = f"corriger en « {sug} »" if sug else "codes de cette ville : " + ", ".join(cands[:5])
    return _verdict(digits, problem=f"ne correspond pas à la ville « {raw_city} » ({what} ; "
                    f"{where}) : {fix}", suggestion=sug, checked=True)


def _misspelt_town(digits: str, ck: str, raw_city: Any) -> PostcodeVerdict | None:
    """An unknown town close to one of the postcode's towns (a typing error)."""
    keys = postcode_key_names().get(digits, ())
    best = max(((OSA.normalized_similarity(ck, k), t) for k, t in keys), default=None)
    if best is None or best[0] < 0.85:
        return None
    return _verdict(digits, problem=f"ville « {raw_city} » inconnue pour le code {digits}, "
                    f"mal orthographiée ? corriger la ville en « {best[1]} »",
                    suggestion=best[1], checked=True, field="city")


def _single_town(pc: Any) -> str | None:
    """The official name of a postcode's only commune (None when it serves several)."""
    cur = postcode_communes().get(pc, ()) if isinstance(pc, str) else ()
    return cur[0] if len(cur) == 1 else None


def check_postcode(raw_pc: Any, raw_city: Any, country: Any = None) -> PostcodeVerdict:
    """Five digits, leading zero restored when the town confirms it, department and region.

    The postcode–town pair is checked against the official reference
    (:func:`grc.qualify.reference.load_communes`): a postcode that is not the town's (in its
    department or another) or a town misspelt for its postcode is a problem; a town the
    reference does not know (a hamlet, a CEDEX line) is not.
    """
    pc = _text(raw_pc)
    ctry = (_text(country) or "FR").upper()
    if ctry not in ("FR", "FRA", "FRANCE"):
        return PostcodeVerdict(pc, None, None)
    if pc is None:
        return PostcodeVerdict(None, None, None)
    ck = city_key(raw_city)
    digits = _digits(pc)
    if re.fullmatch(r"\d{4}", digits):
        return _lost_zero(digits, ck, raw_city)
    if not re.fullmatch(r"\d{5}", digits):
        others, sug = _ranked_postcodes(_known_postcodes_of(ck) if ck else [], pc)
        fix = (f", corriger en « {sug} »" if sug else
               f", codes de {raw_city} : " + ", ".join(others[:5]) if others else
               ", saisir les 5 chiffres du code postal")
        return PostcodeVerdict(None, None, None, f"un code postal a 5 chiffres{fix}", sug)
    dep = department_of_postcode(digits)
    if dep is None:
        return PostcodeVerdict(None, None, None,
                               "département inexistant, vérifier le code postal", None)
    if not ck:
        return _verdict(digits)
    town = town_of_pair(digits, ck)
    if town:
        return _verdict(digits, town, checked=True)
    if "CEDEX" in str(raw_city).upper() and ck in city_key_postcodes():
        return _verdict(digits, checked=True)  # CEDEX codes are not in the reference
    return (_mismatch(digits, dep, ck, raw_city) or _misspelt_town(digits, ck, raw_city)
            or _verdict(digits))


# ------------------------------------------------------------------------------------------
# RNVP (AFNOR NF Z 10-011)

_STREET_ABBR = {
    "ALLEE": "ALL", "ALLEES": "ALL", "AVENUE": "AV", "BOULEVARD": "BD", "CHEMIN": "CHE",
    "CHAUSSEE": "CHS", "COURS": "CRS", "FAUBOURG": "FG", "IMPASSE": "IMP",
    "LOTISSEMENT": "LOT", "PASSAGE": "PAS", "PLACE": "PL", "QUARTIER": "QUA",
    "RESIDENCE": "RES", "ROUTE": "RTE", "RUELLE": "RLE", "SENTIER": "SEN", "SQUARE": "SQ",
    "TRAVERSE": "TRA", "VILLA": "VLA", "HAMEAU": "HAM", "PROMENADE": "PROM", "MONTEE": "MTE",
    "ESPLANADE": "ESP", "BATIMENT": "BAT", "APPARTEMENT": "APT", "ESCALIER": "ESC",
    "IMMEUBLE": "IMM", "ETAGE": "ETG", "PARVIS": "PRV", "CARREFOUR": "CAR", "DOMAINE": "DOM",
    "CITE": "CITE", "GALERIE": "GAL", "RUE": "RUE", "QUAI": "QUAI",
}
_TITLE_ABBR = {
    "SAINT": "ST", "SAINTE": "STE", "DOCTEUR": "DR", "GENERAL": "GAL", "MARECHAL": "MAL",
    "PRESIDENT": "PDT", "PROFESSEUR": "PR", "GRANDE": "GDE", "GRAND": "GD",
    "COMMANDANT": "CDT", "CAPITAINE": "CNE", "LIEUTENANT": "LT", "MONSEIGNEUR": "MGR",
    "CHANOINE": "CHAN", "ABBE": "ABB", "COLONEL": "COL", "AMIRAL": "AMI",
}
_MULTI_ABBR = [(re.compile(r"\bROND POINT\b"), "RPT"), (re.compile(r"\bLIEU DIT\b"), "LD"),
               (re.compile(r"\bZONE INDUSTRIELLE\b"), "ZI"),
               (re.compile(r"\bZONE ARTISANALE\b"), "ZA"),
               (re.compile(r"\bZONE D ACTIVITES?\b"), "ZA"),
               (re.compile(r"\bBOITE POSTALE\b"), "BP")]
_LATIN = str.maketrans({
    **{c: " " for c in "'’`\"-,;:.!?()[]{}/\\&_#°*+<>=@~|"},
    "É": "E", "È": "E", "Ê": "E", "Ë": "E", "À": "A", "Â": "A", "Ä": "A", "Î": "I", "Ï": "I",
    "Ô": "O", "Ö": "O", "Ù": "U", "Û": "U", "Ü": "U", "Ç": "C", "Ÿ": "Y", "Œ": "OE", "Æ": "AE",
})
_NUM_SUFFIX = re.compile(r"\b(\d+)(BIS|TER|QUATER|[A-D])\b")
_L5 = re.compile(r"^(BP|B P|CS|TSA|LD|LIEU DIT|LIEUDIT|HAMEAU|HAM|BOITE POSTALE)\b")
_L2 = re.compile(r"^(APPT|APT|APPARTEMENT|APPART|ETAGE|ETG|CHEZ|C O|ESC|ESCALIER|PORTE|CHAMBRE|"
                 r"BOITE|BAL)\b|^\d+ ?(E|EME|ER|ERE) ETAGE\b")
_L3 = re.compile(r"^(BAT|BATIMENT|RESIDENCE|RES|IMMEUBLE|IMM|ENTREE|TOUR|VILLA|DOMAINE|ZI|ZA|"
                 r"ZAC|ZONE|PARC|CENTRE|HALL|ESPACE|LOTISSEMENT|LOT|CITE)\b")
_L4 = re.compile(r"^\d|\b(RUE|AV|AVENUE|BD|BOULEVARD|PL|PLACE|CHE|CHEMIN|RTE|ROUTE|IMP|IMPASSE|"
                 r"ALL|ALLEE|QUAI|COURS|CRS|SQ|SQUARE|FG|FAUBOURG|PAS|PASSAGE|RLE|RUELLE|MTE|"
                 r"MONTEE|PROM|PROMENADE|TRA|TRAVERSE|ESP|ESPLANADE|VOIE|CHS|CHAUSSEE)\b")


def rnvp_text(v: Any, width: int = RNVP_WIDTH) -> str | None:
    """One RNVP line: upper case, no accents or punctuation, abbreviations, <= ``width``."""
    if v is None or (isinstance(v, float) and v != v):
        return None
    s = str(v).upper().translate(_LATIN)
    if not s.isascii():
        s = unidecode(s).upper().translate(_LATIN)
    s = _NUM_SUFFIX.sub(r"\1 \2", s)
    if "ROND" in s or "LIEU" in s or "ZONE" in s or "BOITE" in s:
        s = " ".join(s.split())
        for rx, rep in _MULTI_ABBR:
            s = rx.sub(rep, s)
    words = [_STREET_ABBR.get(w, w) for w in s.split()]
    out = " ".join(words)
    if len(out) > width:
        out = " ".join(_TITLE_ABBR.get(w, w) for w in words)
    if len(out) > width:
        out = out[:width].rstrip()
    return out or None


def _line_kind(line: str) -> int:
    if _L5.match(line):
        return 5
    if _L2.match(line):
        return 2
    if _L3.match(line):
        return 3
    if _L4.search(line):
        return 4
    return 0


@lru_cache(maxsize=200_000)
def _rnvp_line_kind(v: str) -> tuple[str | None, int]:
    line = rnvp_text(v)
    return line, (_line_kind(line) if line else 0)


def rnvp_address(lines: list[Any]) -> dict[int, str]:
    """Place free address lines into AFNOR lines 2-5 (complement, building, street, special)."""
    placed: dict[int, str] = {}
    pending: list[str] = []
    for v in lines:
        if _is_missing(v):
            continue
        line, kind = _rnvp_line_kind(str(v))
        if not line:
            continue
        if kind and kind not in placed:
            placed[kind] = line
        else:
            pending.append(line)
    for line in pending:
        for k in (4, 3, 2, 5):
            if k not in placed:
                placed[k] = line
                break
    return placed


@lru_cache(maxsize=100_000)
def _person_line(civ: str | None, first: str | None, last: str | None) -> str | None:
    parts = [p for p in (civ, first, last) if p]
    if not last:
        return None
    s = rnvp_text(" ".join(parts), width=1000) or ""
    if len(s) > RNVP_WIDTH and first:
        s = rnvp_text(" ".join(p for p in (civ, first[0], last) if p), width=1000) or ""
    return s[:RNVP_WIDTH].rstrip() or None


def _city_line(pc: str | None, city: str | None) -> str | None:
    if not pc or not city:
        return None
    line = f"{pc} {city}"
    if len(line) > RNVP_WIDTH:
        line = f"{pc} " + " ".join(_TITLE_ABBR.get(w, w) for w in city.split())
    return line[:RNVP_WIDTH].rstrip()


# ------------------------------------------------------------------------------------------
# side files


def load_bloctel_lines(lines: Iterable[str]) -> set[str]:
    """Bloctel numbers from text lines (any common French writing) -> set of E.164."""
    out: set[str] = set()
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#") or not re.search(r"\d", line):
            continue
        e, _, extra = parse_phone_full(line, "FR")
        out.update(x for x in (e, extra) if x)
    return out


def load_bloctel(path: str | Path) -> set[str]:
    """Bloctel list: one number a line in any common French writing -> set of E.164."""
    with open(path, encoding="utf-8-sig") as fh:
        return load_bloctel_lines(fh)


def load_npai(path: str | Path) -> set[tuple[str, str]]:
    """NPAI returns: CSV ``centre,local_id`` -> set of (centre, local_id)."""
    df = pd.read_csv(path, dtype=str, sep=None, engine="python", encoding="utf-8-sig")
    df.columns = [c.strip().lower() for c in df.columns]
    if not {"centre", "local_id"} <= set(df.columns):
        raise ValueError(f"{path} : colonnes « centre,local_id » attendues")
    df = df.dropna(subset=["centre", "local_id"])
    return set(zip(df["centre"].str.strip(), df["local_id"].str.strip(), strict=True))


# ------------------------------------------------------------------------------------------
# the main pass


def _keyed_lookup(series: pd.Series | None, centre: pd.Series, local_id: pd.Series) -> pd.Series:
    """Dates from a (centre, local_id)-indexed series, aligned on the contacts."""
    if series is None or len(series) == 0:
        return pd.Series(pd.NaT, index=centre.index, dtype="datetime64[ns]")
    s = series.copy()
    s.index = pd.MultiIndex.from_arrays(
        [s.index.get_level_values(0).astype(str), s.index.get_level_values(1).astype(str)])
    s = pd.to_datetime(s, errors="coerce")
    s = s[~s.index.duplicated(keep="last")]
    key = pd.MultiIndex.from_arrays([centre.astype(str), local_id.astype(str)])
    vals = s.reindex(key).to_numpy()
    return pd.Series(vals, index=centre.index).astype("datetime64[ns]")


class _Clock:
    """CPU seconds per stage into ``sink`` (a dict), when one is given."""

    def __init__(self, sink: dict[str, float] | None):
        self.sink = sink
        self.name: str | None = None
        self.t = 0.0

    def start(self, name: str) -> None:
        if self.sink is None:
            return
        self.stop()
        self.name, self.t = name, time.process_time()

    def stop(self) -> None:
        if self.sink is not None and self.name is not None:
            self.sink[self.name] = self.sink.get(self.name, 0.0) + time.process_time() - self.t
            self.name = None


class _Issues:
    def __init__(self, df: pd.DataFrame):
        self.df = df
        self.centre = df["centre"].to_numpy(dtype=object)
        self.local_id = df["local_id"].to_numpy(dtype=object)
        self.parts: list[tuple] = []

    def add(self, mask: np.ndarray | pd.Series, field_: str, code: str,
            message: pd.Series | str | Callable[[np.ndarray], Any], value: Any = None,
            suggestion: Any = None) -> None:
        m = np.asarray(mask, dtype=bool)
        pos = np.flatnonzero(m)
        if not len(pos):
            return

        def pick(x: Any) -> np.ndarray:
            if x is None:
                return np.full(len(pos), None, dtype=object)
            if callable(x):  # built for the flagged rows only
                return np.asarray(x(m), dtype=object)
            if isinstance(x, pd.Series | np.ndarray):
                return np.asarray(x, dtype=object)[m]
            return np.full(len(pos), x, dtype=object)

        self.parts.append((pos, field_, code, pick(message), pick(value), pick(suggestion)))

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame(columns=ISSUE_FRAME_COLUMNS)
        pos = np.concatenate([p[0] for p in self.parts])
        cols = {
            "centre": self.centre[pos], "local_id": self.local_id[pos],
            "field": np.concatenate([np.full(len(p[0]), p[1], dtype=object) for p in self.parts]),
            "code": np.concatenate([np.full(len(p[0]), p[2], dtype=object) for p in self.parts]),
            "message": np.concatenate([p[3] for p in self.parts]),
            "value": np.concatenate([p[4] for p in self.parts]),
            "suggestion": np.concatenate([p[5] for p in self.parts]),
        }
        index = self.df.index
        if index.is_monotonic_increasing and index.is_unique:
            order = np.argsort(pos, kind="stable")  # by row, then in order of addition
        else:
            keys = pd.DataFrame({"_row": index[pos], "_order": np.arange(len(pos))})
            order = keys.sort_values(["_row", "_order"], kind="stable").index.to_numpy()
        return pd.DataFrame({k: v[order] for k, v in cols.items()},
                            columns=ISSUE_FRAME_COLUMNS)


def _filled(raw: pd.Series, among: np.ndarray) -> np.ndarray:
    """Rows of ``among`` whose raw cell holds something besides blanks."""
    out = np.asarray(among, dtype=bool) & raw.notna().to_numpy()
    if out.any():
        sub = raw[out]
        out[out] = (sub.astype(str).str.strip() != "").to_numpy()
    return out


def _country2(v: Any) -> str:
    """Two-letter country for phone parsing: FR unless a plain ISO code is given."""
    c = "FR" if v is None else str(v).upper().strip()
    return "FR" if c == "FX" or not re.fullmatch(r"[A-Z]{2}", c) else c


def _q(v: pd.Series) -> pd.Series:
    return "« " + v.astype(str) + " »"


def _plain(values: pd.Series, copy: bool) -> Any:
    """A Series' values: numpy array for numpy dtypes, else its extension array."""
    if isinstance(values.dtype, np.dtype):
        return values.to_numpy(copy=copy)
    return values.array.copy() if copy else values.array


class _Columns:
    """The qualified frame's columns, assembled once at the end without consolidating them
    into 2-D blocks (copying ~50 object columns of 1M rows is most of the cost otherwise):
    the contacts' columns first (copied), new ones in order of assignment."""

    def __init__(self, df: pd.DataFrame):
        self.df = df
        self.cols: dict[Any, Any] = {c: df[c] for c in df.columns}

    def __setitem__(self, name: str, values: Any) -> None:
        self.cols[name] = _plain(values, copy=False) if isinstance(values, pd.Series) else values

    def __getitem__(self, name: str) -> pd.Series:
        v = self.cols[name]
        if isinstance(v, pd.Series):
            return v
        return pd.Series(v, index=self.df.index, copy=False)

    def frame(self) -> pd.DataFrame:
        arrays = [_plain(v, copy=True) if isinstance(v, pd.Series) else v
                  for v in self.cols.values()]
        columns = pd.Index(list(self.cols))
        try:
            from pandas.core.internals.construction import arrays_to_mgr  # noqa: PLC0415

            mgr = arrays_to_mgr(arrays, columns, self.df.index, typ="block", consolidate=False)
            out = pd.DataFrame._from_mgr(mgr, axes=mgr.axes)
        except (ImportError, TypeError, AttributeError):  # another pandas: public constructor
            out = pd.DataFrame(dict(zip(columns, arrays, strict=True)), index=self.df.index)
        out.attrs = dict(self.df.attrs)
        return out


def _q_names(s: _Q) -> None:
    """Civility and names: display forms and match keys; a record without any name is flagged."""
    df, out, idx, iss = s.df, s.out, s.idx, s.iss
    out["civility"] = _obj(map_unique(_col(df, "civility"), normalise_civility), idx)
    first = _col(df, "first_name")
    last = _col(df, "last_name")
    org = _col(df, "organisation")
    out["first_name"] = _obj(map_unique(first, display_first_name), idx)
    out["last_name"] = _obj(map_unique(last, display_last_name), idx)
    out["organisation"] = _obj(map_unique(org, display_organisation), idx)
    out["first_key"] = _obj(map_unique(first, name_key), idx)
    out["last_key"] = _obj(map_unique(last, name_key), idx)
    out["org_key"] = _obj(map_unique(org, name_key), idx)
    has_last = out["last_name"].notna().to_numpy()
    has_org = out["organisation"].notna().to_numpy()
    iss.add(~has_last & ~has_org, "last_name", "missing_name",
            "Nom et organisation absents : saisir le nom du contact ou de l'organisation")
    s.has_org = has_org


def _q_kind(s: _Q) -> None:
    """B2B or B2C: the common segment's kind, else whether an organisation is named."""
    df, out, ctx = s.df, s.out, s.ctx
    has_org = s.has_org
    seg_kind = {k: str(v.get("kind", "")).upper() for k, v in ctx.segmentation.items()}
    kind = _col(df, "segment").map(seg_kind)
    kind = kind.where(kind.isin(["B2B", "B2C"]), np.where(has_org, "B2B", "B2C"))
    out["kind"] = kind.astype(object)
    b2c = (out["kind"] == "B2C").to_numpy()
    s.b2c = b2c


def _q_postcodes(s: _Q) -> None:
    """Postcodes and towns checked against the official reference (suggestions included)."""
    df, out, idx, iss = s.df, s.out, s.idx, s.iss
    pc_raw, city_raw, ctry = _col(df, "postcode"), _col(df, "city"), _col(df, "country")
    codes, first = _row_groups(pc_raw, city_raw, ctry)
    verdicts = map_rows(check_postcode, pc_raw.iloc[first], city_raw.iloc[first],
                        ctry.iloc[first])

    def spread(attr: str) -> pd.Series:
        return _obj(_spread([getattr(v, attr) for v in verdicts], codes), idx)

    out["postcode"] = spread("postcode")
    out["department"] = spread("department")
    out["region"] = spread("region")
    pc_problem = spread("problem")
    pc_sugg = spread("suggestion")
    on_city = spread("field").eq("city").to_numpy()
    bad_pc = pc_problem.notna().to_numpy() & ~on_city
    iss.add(bad_pc, "postcode", "invalid_postcode",
            lambda m: "Code postal invalide " + _q(pc_raw[m].fillna("")) + " : "
            + pc_problem[m].fillna(""),
            pc_raw, pc_sugg)
    iss.add(pc_problem.notna().to_numpy() & on_city, "city", "invalid_postcode",
            lambda m: "Ville invalide " + _q(city_raw[m].fillna("")) + " : "
            + pc_problem[m].fillna(""),
            city_raw, pc_sugg)
    line6_town = spread("town")
    old_commune = spread("locality")
    out["city"] = _obj(map_unique(city_raw, normalise_city), idx)
    s.pc_raw, s.city_raw, s.ctry, s.line6_town, s.old_commune = pc_raw, city_raw, ctry, line6_town, old_commune


def _q_start_emails(s: _Q) -> None:
    """E-mails are validated once per distinct value, in worker processes on large inputs, while this process parses the phones."""
    df, n, ctx = s.df, s.n, s.ctx
    # while this process parses the phones
    em_raw = _col(df, "email")
    em_codes, em_uniques = pd.factorize(em_raw, use_na_sentinel=True)
    em_jobs = _start_email_jobs(list(em_uniques), ctx, n)
    s.em_raw, s.em_codes, s.em_jobs = em_raw, em_codes, em_jobs


def _q_phones(s: _Q) -> None:
    """Phones and mobiles in E.164 with their type; a second number in one cell goes to the other column."""
    df, out, idx, n, iss = s.df, s.out, s.idx, s.n, s.iss
    ctry = s.ctry
    dep = out["department"]
    region = _obj(map_unique_array(dep, OVERSEAS_REGION_CODE.get), idx)
    c2 = _obj(map_unique_array(ctry, _country2), idx)
    region = region.fillna(c2).astype(object)
    ph_e, ph_t, ph_x = _parse_phones_arrays(_col(df, "phone"), region)
    mo_e, mo_t, mo_x = _parse_phones_arrays(_col(df, "mobile"), region)
    parsed = {"phone": ph_e.copy(), "mobile": mo_e.copy()}
    # a second number in one cell goes to the other column when that one is empty
    fill_m = (ph_x != None) & (mo_e == None)  # noqa: E711
    if fill_m.any():
        for i in np.flatnonzero(fill_m):
            mo_e[i] = ph_x[i]
            mo_t[i] = parse_phone_full(mo_e[i], "FR")[1]
    fill_p = (mo_x != None) & (ph_e == None)  # noqa: E711
    if fill_p.any():
        for i in np.flatnonzero(fill_p):
            ph_e[i] = mo_x[i]
            ph_t[i] = parse_phone_full(ph_e[i], "FR")[1]
    out["phone"] = _obj(ph_e, idx)
    out["phone_type"] = _obj(ph_t, idx)
    out["mobile"] = _obj(mo_e, idx)
    out["mobile_type"] = _obj(mo_t, idx)
    for col in ("phone", "mobile"):
        raw = _col(df, col)
        bad = _filled(raw, parsed[col] == None)  # noqa: E711
        if bad.any():
            msgs = _obj(map_unique(raw[bad], phone_problem), idx[bad])
            msg = _obj([None] * n, idx)
            msg[bad] = "Téléphone invalide " + _q(raw[bad]) + " : " + msgs
            iss.add(bad, col, "invalid_phone", msg, raw)
    s.ph_e, s.mo_e, s.c2 = ph_e, mo_e, c2


def _q_emails(s: _Q) -> None:
    """E-mails: syntax, domain typos (with the corrected address), repairs suggested."""
    out, idx, n, iss = s.out, s.idx, s.n, s.iss
    em_raw, em_codes, em_jobs = s.em_raw, s.em_codes, s.em_jobs
    em = _spread(_finish_email_jobs(em_jobs) + [None], em_codes)
    out["email"] = _obj(em, idx)
    valid_em = em != None  # noqa: E711
    domains = pd.Series([e.rpartition("@")[2] if e else None for e in em], dtype=object)
    dom_sugg = _obj(map_unique(domains, lambda d: suggest_domain(d) if d else None), idx)
    em_sugg = _obj([None] * n, idx)
    typo = dom_sugg.notna().to_numpy()
    if typo.any():
        em_sugg[typo] = [e.rpartition("@")[0] + "@" + d for e, d in zip(em[typo], dom_sugg[typo],
                                                                           strict=True)]
    bad_syntax = _filled(em_raw, ~valid_em)
    if bad_syntax.any():
        em_sugg[bad_syntax] = map_unique_array(
            em_raw[bad_syntax], lambda v: None if v is None else repair_email(str(v)))
    out["email_suggestion"] = em_sugg
    if typo.any():
        iss.add(typo, "email", "invalid_email",
                lambda m: "E-mail invalide " + _q(em_raw[m].fillna(""))
                + " : domaine mal orthographié, corriger en " + _q(em_sugg[m].fillna("")),
                em_raw, em_sugg)
    if bad_syntax.any():
        reasons = _obj([None] * n, idx)
        reasons[bad_syntax] = [email_problem(v) for v in em_raw[bad_syntax]]
        fix = pd.Series(", corriger l'adresse", index=idx, dtype=object)
        has_fix = em_sugg.notna().to_numpy() & bad_syntax
        fix[has_fix] = ", corriger en " + _q(em_sugg[has_fix])
        iss.add(bad_syntax, "email", "invalid_email",
                lambda m: "E-mail invalide " + _q(em_raw[m].fillna("")) + " : "
                + reasons[m].fillna("") + fix[m],
                em_raw, em_sugg)
    s.valid_em, s.typo = valid_em, typo


def _q_consent_npai(s: _Q) -> None:
    """Consents as written, and this year's mail returns (NPAI)."""
    df, out, n, ctx = s.df, s.out, s.n, s.ctx
    out["optin_email"] = np.array(map_unique(_col(df, "optin_email"), parse_consent), dtype=bool)
    out["optin_phone"] = np.array(map_unique(_col(df, "optin_phone"), parse_consent), dtype=bool)

    # npai
    cen = df["centre"].astype(str)
    lid = df["local_id"].astype(str)
    if ctx.npai and n:
        npai_idx = pd.MultiIndex.from_tuples(list(ctx.npai))
        npai = pd.MultiIndex.from_arrays([cen, lid]).isin(npai_idx)
    else:
        npai = np.zeros(n, dtype=bool)
    out["npai"] = npai
    s.npai, s.cen, s.lid = npai, cen, lid


def _q_address(s: _Q) -> None:
    """AFNOR NF Z 10-011 address lines (RNVP) and completeness of the postal address."""
    df, out, idx, n, iss = s.df, s.out, s.idx, s.n, s.iss
    old_commune, line6_town, pc_raw, city_raw, c2, ctry, npai = s.old_commune, s.line6_town, s.pc_raw, s.city_raw, s.c2, s.ctry, s.npai
    a1, a2, a3 = _col(df, "address1"), _col(df, "address2"), _col(df, "address3")
    lines = {k: np.full(n, None, dtype=object) for k in range(1, 7)}
    codes, first = _row_groups(a1, a2, a3)
    placed = map_rows(lambda *trio: rnvp_address(list(trio)), a1.iloc[first], a2.iloc[first],
                      a3.iloc[first])
    for k in (2, 3, 4, 5):
        lines[k][:] = _spread([p.get(k) for p in placed], codes)
    person = map_rows_array(_person_line, out["civility"], out["first_name"], out["last_name"])
    orgline = map_unique_array(out["organisation"], lambda v: rnvp_text(v) if v else None)
    has_orgline = orgline != None  # noqa: E711
    lines[1][:] = np.where(has_orgline, orgline, person)
    to2 = has_orgline & (person != None) & (lines[2] == None)  # noqa: E711
    lines[2][to2] = person[to2]
    had5 = lines[5] != None  # noqa: E711 - an old commune on line 5 is not a street
    to5 = old_commune.notna().to_numpy() & ~had5
    if to5.any():
        lines[5][to5] = map_unique_array(old_commune[to5], rnvp_text)
    lines[6][:] = map_rows_array(_city_line, out["postcode"],
                                 line6_town.where(line6_town.notna(), out["city"]))
    for k in range(1, 7):
        out[f"rnvp{k}"] = _obj(lines[k], idx)

    has_street = (lines[4] != None) | had5  # noqa: E711
    has_pc = out["postcode"].notna().to_numpy()
    has_city = out["city"].notna().to_numpy()
    has_any_addr = (a1.notna() | a2.notna() | a3.notna()).to_numpy() | pc_raw.notna().to_numpy() \
        | city_raw.notna().to_numpy()
    foreign = ~c2.isin(["FR"]).to_numpy() & ctry.notna().to_numpy()
    complete = (lines[1] != None) & has_street & (has_pc | foreign) & has_city  # noqa: E711
    out["mailable"] = complete & ~npai
    iss.add(has_any_addr & ~has_street, "address1", "incomplete_address",
            "Adresse incomplète : numéro et voie manquants, compléter l'adresse")
    pc_missing = has_any_addr & pc_raw.isna().to_numpy() & ~foreign
    iss.add(pc_missing, "postcode", "incomplete_address",
            "Adresse incomplète : code postal manquant, le compléter")
    if has_any_addr.any():
        no_city = has_any_addr & ~has_city
        ref_city = _obj([None] * n, idx)
        if no_city.any():
            ref_city[no_city] = out["postcode"][no_city].map(_single_town).astype(object)
        msg = pd.Series("Adresse incomplète : ville manquante, la compléter", index=idx,
                        dtype=object)
        with_ref = no_city & ref_city.notna().to_numpy()
        msg[with_ref] = "Adresse incomplète : ville manquante, compléter avec " + _q(
            ref_city[with_ref])
        iss.add(no_city, "city", "incomplete_address", msg, None, ref_city)
    iss.add(npai, "address1", "npai",
            "Courrier revenu NPAI (n'habite pas à l'adresse indiquée) : mettre à jour l'adresse "
            "postale ou la supprimer", a1)


def _q_email_channel(s: _Q) -> None:
    """E-mail usable under the rule book (prior consent for private persons only)."""
    df, out, idx, iss = s.df, s.out, s.idx, s.iss
    typo, valid_em = s.typo, s.valid_em
    typo_or_none = typo | ~valid_em
    # the rule book: prior consent for private persons only; professionals and generic
    # organisation addresses may get e-mail about their activity (CNIL, CPCE L34-5)
    kind = out["kind"].to_numpy()
    generic = rules.generic_email(pd.Series(out["email"], index=idx)).to_numpy()
    private = (kind == "B2C") | ((kind != "B2B") & ~generic)
    consent_ok = out["optin_email"].to_numpy() | ~private
    out["emailable"] = valid_em & ~typo_or_none & consent_ok
    iss.add(valid_em & ~typo & ~consent_ok, "optin_email", "no_email_consent",
            lambda m: map_unique_array(
                _col(df, "optin_email")[m], lambda v: "Pas de consentement e-mail (valeur « "
                + ("vide" if v is None else str(v)) + " ») : ne pas envoyer d'e-mail commercial, "
                "recueillir l'accord du contact"),
            _col(df, "optin_email"))


def _q_phone_channel(s: _Q) -> None:
    """Phone usable under the canvassing rule in force at the reference date."""
    df, out, n, iss, ctx, ref = s.df, s.out, s.n, s.iss, s.ctx, s.ref
    ph_e, mo_e, b2c, cen, lid = s.ph_e, s.mo_e, s.b2c, s.cen, s.lid
    last_stay = _keyed_lookup(ctx.last_stay, cen, lid)
    has_ph = ph_e != None  # noqa: E711
    has_mo = mo_e != None  # noqa: E711
    if rules.bloctel_regime(ctx.reference_date):
        bl = ctx.bloctel
        ph_bl = pd.Series(ph_e, dtype=object).isin(bl).to_numpy() & has_ph & b2c
        mo_bl = pd.Series(mo_e, dtype=object).isin(bl).to_numpy() & has_mo & b2c
        out["bloctel"] = ph_bl | mo_bl
        ok_numbers = (has_ph & ~ph_bl) | (has_mo & ~mo_bl)
        phoneable = ok_numbers
        for col, m in (("phone", ph_bl), ("mobile", mo_bl)):
            iss.add(m, col, "bloctel",
                    lambda m, col=col: "Numéro " + out[col][m].fillna("") + " inscrit sur Bloctel :"
                    " ne pas démarcher ce particulier par téléphone (sauf client avec contrat en "
                    "cours)", out[col])
    else:
        out["bloctel"] = np.zeros(n, dtype=bool)
        upcoming = (last_stay > ref).to_numpy()
        allowed = ~b2c | out["optin_phone"].to_numpy() | upcoming
        phoneable = (has_ph | has_mo) & allowed
        iss.add((has_ph | has_mo) & ~allowed, "optin_phone", "no_phone_consent",
                "Pas de consentement préalable au démarchage téléphonique (obligatoire pour les "
                "particuliers depuis le 11 août 2026) : recueillir l'accord du contact et le "
                "noter dans optin_phone", _col(df, "optin_phone"))
    out["phoneable"] = phoneable
    s.last_stay = last_stay


def _q_retention(s: _Q) -> None:
    """Records past the retention period (last stay for a client, last contact for a prospect)."""
    df, out, idx, n, iss, ctx, ref = s.df, s.out, s.idx, s.n, s.iss, s.ctx, s.ref
    cen, lid, last_stay = s.cen, s.lid, s.last_stay
    created = pd.to_datetime(_col(df, "created_at"), errors="coerce")
    updated = pd.to_datetime(_col(df, "updated_at"), errors="coerce")
    last_contact = _keyed_lookup(ctx.last_contact, cen, lid)
    stamps = [pd.Series(x, index=idx).astype("datetime64[ns]").to_numpy().view("i8")
              for x in (created, updated, last_contact)]  # NaT is the smallest int64
    prospect_base = pd.Series(np.maximum.reduce(stamps).view("datetime64[ns]"), index=idx)
    is_client = last_stay.notna().to_numpy()
    base = pd.Series(np.where(is_client, last_stay, prospect_base), index=idx).astype(
        "datetime64[ns]")
    cutoff = rules.retention_cutoff(ref)
    expired = (base < cutoff).to_numpy()
    out["retention_expired"] = expired
    if expired.any():
        stamp = base[expired].to_numpy().view("i8")
        key, uniq = pd.factorize(stamp * 2 + is_client[expired])
        days = [pd.Timestamp(k // 2).strftime("%d/%m/%Y") for k in uniq.tolist()]
        when = _obj([None] * n, idx)
        when[expired] = np.array(days, dtype=object)[key]
        msg = np.array([
            "Durée de conservation dépassée ("
            + ("client, dernier séjour le " if k % 2 else "prospect, dernier contact le ")
            + d + ", 3 ans maximum selon la CNIL) : supprimer ou anonymiser la fiche"
            for k, d in zip(uniq.tolist(), days, strict=True)], dtype=object)
        iss.add(expired, "created_at", "retention_expired", lambda m: msg[key], when)


def _q_no_channel(s: _Q) -> None:
    """Records reachable by no channel at all."""
    out, iss = s.out, s.iss
    none = ~(out["mailable"].to_numpy() | out["emailable"].to_numpy()
             | out["phoneable"].to_numpy())
    iss.add(none, "", "no_channel",
            "Aucun canal utilisable : compléter l'adresse postale, l'e-mail (avec consentement) "
            "ou le téléphone")


class _Q:
    """The state shared by the steps of :func:`qualify` (one batch of records)."""

    def __init__(self, contacts: pd.DataFrame, ctx: QualifyContext) -> None:
        self.df, self.ctx = contacts, ctx
        self.out = _Columns(contacts)
        self.idx, self.n = contacts.index, len(contacts)
        self.iss = _Issues(contacts)
        self.ref = pd.Timestamp(ctx.reference_date)


_STEPS = [
    ("civility, names", _q_names),
    ("kind", _q_kind),
    ("postcodes and towns", _q_postcodes),
    ("e-mail workers", _q_start_emails),
    ("phones", _q_phones),
    ("e-mails", _q_emails),
    ("consent, npai", _q_consent_npai),
    ("RNVP", _q_address),
    ("e-mail channel", _q_email_channel),
    ("phone channel", _q_phone_channel),
    ("retention", _q_retention),
    ("no channel", _q_no_channel),
]


def qualify(contacts: pd.DataFrame, ctx: QualifyContext) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (qualified frame, issues frame with columns centre, local_id, field, code,
    message, value, suggestion), step by step (``_STEPS``, timed in ``ctx.timings``)."""
    s = _Q(contacts, ctx)
    clock = _Clock(ctx.timings)
    for f in RAW_FIELDS:
        s.out[f + "_raw"] = _col(contacts, f).astype(object)
    for label, step in _STEPS:
        clock.start(label)
        step(s)
    out = s.out
    for c in ("optin_email", "optin_phone", "npai", "bloctel", "retention_expired", "mailable",
              "emailable", "phoneable"):
        out[c] = np.asarray(out[c], dtype=bool)
    clock.start("issues frame")
    frame = s.iss.frame()
    result = out.frame()
    clock.stop()
    return result, frame


def network_context(cfg: Any, stays: pd.DataFrame, reference_date: dt.date,
                    npai_path: Path | None) -> QualifyContext:
    """Qualification context of a network year: its segmentation, the Bloctel list, the NPAI
    returns of ``npai_path`` and each record's last stay up to ``reference_date`` (``stays``
    keyed by ``centre`` and ``contact_local_id``)."""
    from grc.config import load_segmentation  # noqa: PLC0415

    key_stays = stays.rename(columns={"contact_local_id": "local_id"})
    past = key_stays[key_stays["arrival"] <= pd.Timestamp(reference_date)]
    bloctel = (load_bloctel(cfg.bloctel_file)
               if cfg.bloctel_file and cfg.bloctel_file.exists() else set())
    return QualifyContext(
        reference_date=reference_date, segmentation=load_segmentation(cfg.segmentation),
        bloctel=bloctel, npai=load_npai(npai_path) if npai_path and npai_path.exists() else set(),
        last_stay=past.groupby(["centre", "local_id"])["arrival"].max())
