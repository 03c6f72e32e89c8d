"""French reference data: communes (postcode, town, department, region) and town keys.

``data/reference/communes.csv.gz`` is built from official open data by
``data/reference/build_reference.py`` (``make reference``): every postcode–commune pair of the
Base Adresse Nationale with La Poste's libellé d'acheminement (``codes-postaux``), the INSEE
communes with delegated and associated ones (``@etalab/decoupage-administratif``), GeoNames
coordinates; see ``data/reference/SOURCES.md``. ``data/reference/demo_communes.csv`` is the
small hand-written sample the demo generator draws its towns from (stable, so that the demo
network does not change when the reference is rebuilt). Department -> region is complete
(101 departments).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
from unidecode import unidecode

REFERENCE_DIR = Path(__file__).resolve().parents[3] / "data" / "reference"
COMMUNES_CSV = REFERENCE_DIR / "communes.csv.gz"
DEMO_COMMUNES_CSV = REFERENCE_DIR / "demo_communes.csv"

_REGIONS: dict[str, list[str]] = {
    "Auvergne-Rhône-Alpes": ["01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73",
                             "74"],
    "Bourgogne-Franche-Comté": ["21", "25", "39", "58", "70", "71", "89", "90"],
    "Bretagne": ["22", "29", "35", "56"],
    "Centre-Val de Loire": ["18", "28", "36", "37", "41", "45"],
    "Corse": ["2A", "2B"],
    "Grand Est": ["08", "10", "51", "52", "54", "55", "57", "67", "68", "88"],
    "Hauts-de-France": ["02", "59", "60", "62", "80"],
    "Île-de-France": ["75", "77", "78", "91", "92", "93", "94", "95"],
    "Normandie": ["14", "27", "50", "61", "76"],
    "Nouvelle-Aquitaine": ["16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86",
                           "87"],
    "Occitanie": ["09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82"],
    "Pays de la Loire": ["44", "49", "53", "72", "85"],
    "Provence-Alpes-Côte d'Azur": ["04", "05", "06", "13", "83", "84"],
    "Guadeloupe": ["971"],
    "Martinique": ["972"],
    "Guyane": ["973"],
    "La Réunion": ["974"],
    "Mayotte": ["976"],
}
DEPARTMENT_REGION: dict[str, str] = {d: r for r, ds in _REGIONS.items() for d in ds}

# Overseas department -> phonenumbers region code (used to parse local numbers).
OVERSEAS_REGION_CODE: dict[str, str] = {
    "971": "GP", "972": "MQ", "973": "GF", "974": "RE", "975": "PM", "976": "YT",
}

_PC_RE = re.compile(r"^\d{5}$")


_CODES = {"postcode": str, "insee": str, "department": str}


@lru_cache(maxsize=1)
def load_communes() -> pd.DataFrame:
    """The official reference: one row per postcode–town pair (see the module docstring).

    Columns ``postcode`` (5-char string), ``city`` (official name), ``insee``,
    ``department``, ``region``, ``lat``, ``lon``, ``acheminement`` (La Poste's libellé as
    the file writes it), ``population``, ``kind`` (commune, arrondissement, deleguee,
    associee), ``coord`` (source of the point), plus ``city_key`` and ``line6`` (the town
    as written on the address's last line).
    """
    df = pd.read_csv(COMMUNES_CSV, dtype=_CODES, encoding="utf-8", keep_default_na=False,
                     na_values={"lat": [""], "lon": [""], "population": [""]})
    df["city_key"] = df["city"].map(city_key)
    df["line6"] = [line6_town(a, c) for a, c in zip(df["acheminement"], df["city"], strict=True)]
    return df


@lru_cache(maxsize=1)
def load_demo_communes() -> pd.DataFrame:
    """The hand-written sample of 437 real communes the demo generator draws from."""
    df = pd.read_csv(DEMO_COMMUNES_CSV, dtype=_CODES, encoding="utf-8")
    df["postcode"] = df["postcode"].str.zfill(5)
    df["city_key"] = df["city"].map(city_key)
    return df


_ARTICLE_RE = re.compile(r"^(.*?)\s*\((LES|LE|LA|L'|L)\s*\)?\s*$")


def line6_town(label: str | None, city: str | None = None) -> str:
    """A libellé d'acheminement written for the address's last line (NF Z 10-011).

    Upper case, no accents or punctuation, article first: "MESNIL-DURDENT (LE)" ->
    "LE MESNIL DURDENT", "ISLE-ADAM (L')" -> "L ISLE ADAM". A libellé cut at 30 characters
    by the source file is replaced by the town's full name when that one starts with it.
    """
    s = str(label or "").strip()
    m = _ARTICLE_RE.match(s)
    if m:
        s = f"{m.group(2)} {m.group(1)}"
    s = " ".join(re.sub(r"[^A-Z0-9]+", " ", unidecode(s).upper()).split())
    if city and len(str(label or "")) == 30:
        full = " ".join(re.sub(r"[^A-Z0-9]+", " ", unidecode(str(city)).upper()).split())
        if full.startswith(s) and len(full) <= 32:
            s = full
    return s


def _pc_prefix_department(pc: str) -> str:
    if pc.startswith("97"):
        return pc[:3]
    if pc.startswith("20"):
        return "2A" if pc[2] in "01" else "2B"
    return pc[:2]


@lru_cache(maxsize=1)
def postcode_department_map() -> dict[str, str]:
    """postcode -> department (the one its number names when the postcode spans two)."""
    df = load_communes()
    out: dict[str, str] = {}
    for pc, deps in df.groupby("postcode")["department"]:
        uniq = list(dict.fromkeys(deps))
        pref = _pc_prefix_department(pc)
        out[pc] = pref if pref in uniq else uniq[0]
    return out


_LEADING_ARTICLE = re.compile(r"^(LES|LE|LA|L) ")


@lru_cache(maxsize=1)
def _key_rows() -> pd.DataFrame:
    """(postcode, key) rows: each town is known by its name and by its line-6 libellé, each
    with and without its leading article ("LE MESNIL DURDENT", "MESNIL DURDENT"); current
    communes before old names."""
    df = load_communes()
    cols = ["postcode", "department", "line6", "kind", "city"]
    frames = []
    for keys in (df["city_key"], df["line6"].map(city_key)):
        frames.append(df[cols].assign(key=keys))
        frames.append(df[cols].assign(key=keys.str.replace(_LEADING_ARTICLE, "", regex=True)))
    rows = pd.concat(frames, ignore_index=True)
    rows = rows.assign(o=rows["kind"].isin(["deleguee", "associee"])).sort_values(
        ["postcode", "o"], kind="stable")
    return rows.drop_duplicates(["postcode", "key"]).drop(columns="o").reset_index(drop=True)


def _grouped(keys: Iterable[str], values: Iterable[Any]) -> dict[str, list]:
    out: dict[str, list] = {}
    for k, v in zip(keys, values, strict=True):
        out.setdefault(k, []).append(v)
    return out


@lru_cache(maxsize=1)
def city_key_postcodes() -> dict[str, frozenset[str]]:
    """town key -> set of postcodes known for it."""
    rows = _key_rows()
    return {k: frozenset(v) for k, v in _grouped(rows["key"], rows["postcode"]).items()}


@lru_cache(maxsize=1)
def _pair_lines() -> dict[tuple[str, str], tuple[str, str, str | None]]:
    rows = _key_rows()
    old = rows["kind"].isin(["deleguee", "associee"]).to_numpy()
    line5 = [c if o else None for c, o in zip(rows["city"], old, strict=True)]
    return {(p, k): (d, line, l5) for p, k, d, line, l5 in
            zip(rows["postcode"], rows["key"], rows["department"], rows["line6"], line5,
                strict=True)}


@lru_cache(maxsize=1)
def postcode_key_names() -> dict[str, tuple[tuple[str, str], ...]]:
    """postcode -> ((town key, official name), ...) for every key of its towns."""
    rows = _key_rows()
    pairs = zip(rows["key"], rows["city"], strict=True)
    return {pc: tuple(v) for pc, v in _grouped(rows["postcode"], pairs).items()}


def town_of_pair(pc: str, key: str) -> tuple[str, str, str | None] | None:
    """(department, line-6 town, old commune) of a known postcode–town pair, else None.

    The old commune (a delegated or associated one, as "Cherbourg-Octeville" in
    Cherbourg-en-Cotentin) goes on line 5 by La Poste's rule; None for a current commune.
    """
    return _pair_lines().get((pc, key))


@lru_cache(maxsize=1)
def postcode_towns() -> dict[str, tuple[str, ...]]:
    """postcode -> official names of its towns (current communes and arrondissements first)."""
    df = load_communes()
    order = df.assign(o=df["kind"].isin(["deleguee", "associee"])).sort_values(["postcode", "o"])
    return {pc: tuple(dict.fromkeys(g)) for pc, g in order.groupby("postcode")["city"]}


@lru_cache(maxsize=1)
def postcode_communes() -> dict[str, tuple[str, ...]]:
    """postcode -> official names of its current communes (or arrondissements) only."""
    df = load_communes()
    cur = df[df["kind"].isin(["commune", "arrondissement"])]
    return {pc: tuple(dict.fromkeys(g)) for pc, g in cur.groupby("postcode")["city"]}


def warm_up() -> None:
    """Build the lookups a qualification reads (≈1 s, once per process), e.g. while reader
    processes read the exports."""
    for lookup in (postcode_department_map, city_key_postcodes, _pair_lines, postcode_key_names,
                   postcode_towns, postcode_communes):
        lookup()


def region_of_department(dep: str | None) -> str | None:
    """Region name of a department code ("01", "2A", "974"), else None."""
    if dep is None:
        return None
    return DEPARTMENT_REGION.get(str(dep).strip().upper())


def department_of_postcode(pc: str | None) -> str | None:
    """Department code of a five-digit postcode ("20000" -> "2A", "97400" -> "974")."""
    if pc is None or not isinstance(pc, str) or not _PC_RE.match(pc):
        return None
    known = postcode_department_map().get(pc)
    if known is not None:
        return known
    dep = _pc_prefix_department(pc)
    if dep in ("00", "96", "98", "99"):
        return None
    return dep if dep in DEPARTMENT_REGION else None


_ST_RE = re.compile(r"\b(ST)\b")
_STE_RE = re.compile(r"\b(STE)\b")
_NONALNUM_RE = re.compile(r"[^A-Z0-9]+")


def city_key(name: str | None) -> str:
    """Comparison key for a town: ascii upper case, ST/STE spelt out, no punctuation.

    "Saint-Étienne" -> "SAINT ETIENNE", "St Etienne" -> "SAINT ETIENNE",
    "L'Île-Rousse" -> "L ILE ROUSSE". Arrondissement suffixes like "Paris 15e" or "CEDEX"
    lines are reduced to the town ("PARIS").
    """
    if name is None or (isinstance(name, float) and name != name):
        return ""
    s = unidecode(str(name)).upper()
    m = _ARTICLE_RE.match(s)
    if m:  # "MESNIL-DURDENT (LE)" -> "LE MESNIL-DURDENT"
        s = f"{m.group(2)} {m.group(1)}"
    s = _NONALNUM_RE.sub(" ", s)
    s = _ST_RE.sub("SAINT", s)
    s = _STE_RE.sub("SAINTE", s)
    s = re.sub(r"\bCEDEX\b.*$", "", s)
    s = re.sub(r"\s+ARRONDISSEMENT\s*$", "", s)
    s = re.sub(r"\s+\d+(\s*(E|EME|ER|ERE))?\s*$", "", s)
    return " ".join(s.split())
