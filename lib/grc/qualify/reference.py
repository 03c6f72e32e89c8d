"""French reference data: communes (postcode, town, department, region) and town keys.

The commune list ``data/reference/communes.csv`` is a hand-written sample (see its README);
department -> region is complete (101 departments).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pandas as pd
from unidecode import unidecode

COMMUNES_CSV = Path(__file__).resolve().parents[3] / "data" / "reference" / "communes.csv"

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


@lru_cache(maxsize=1)
def load_communes() -> pd.DataFrame:
    """Return the commune reference (postcode as a 5-char string, plus ``city_key``)."""
    df = pd.read_csv(
        COMMUNES_CSV, dtype={"postcode": str, "insee": str, "department": str}, encoding="utf-8"
    )
    df["postcode"] = df["postcode"].str.zfill(5)
    df["city_key"] = df["city"].map(city_key)
    return df


@lru_cache(maxsize=1)
def postcode_department_map() -> dict[str, str]:
    """postcode -> department for the postcodes of the reference list."""
    df = load_communes()
    return dict(zip(df["postcode"], df["department"], strict=True))


@lru_cache(maxsize=1)
def postcode_city_keys() -> dict[str, frozenset[str]]:
    """postcode -> set of city keys known for it."""
    df = load_communes()
    return {pc: frozenset(g) for pc, g in df.groupby("postcode")["city_key"]}


@lru_cache(maxsize=1)
def city_key_postcodes() -> dict[str, frozenset[str]]:
    """city key -> set of postcodes known for it."""
    df = load_communes()
    return {k: frozenset(g) for k, g in df.groupby("city_key")["postcode"]}


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
    if pc.startswith("97"):
        dep = pc[:3]
        return dep if dep in DEPARTMENT_REGION else None
    if pc.startswith("20"):
        return "2A" if pc[2] in "01" else "2B"
    dep = pc[:2]
    if dep == "00" or dep == "96" or dep == "98" or dep == "99":
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
    s = _NONALNUM_RE.sub(" ", s)
    s = _ST_RE.sub("SAINT", s)
    s = _STE_RE.sub("SAINTE", s)
    s = re.sub(r"\bCEDEX\b.*$", "", s)
    s = re.sub(r"\s+\d+(\s*(E|EME|ER|ERE))?\s*$", "", s)
    return " ".join(s.split())
