"""A contact is a person: organisation evidence never merges two people by itself (issue 21).

Evidence that belongs to an organisation or a household (its name, street address, landline,
a generic e-mail address such as ``contact@``, ``accueil@`` or an academic school address
``ce.0312345x@ac-toulouse.fr``) is shared by colleagues, spouses and namesakes. Person
evidence (a personal e-mail, a personal number such as a mobile, the name with its variants:
initials, swaps, particles, hyphens, a name added at marriage) decides. :func:`person_gate`
looks at the pairs the model would link or review and holds back those where organisation or
household evidence meets disagreeing person evidence with nothing personal in common: they
are not linked, they go to the review list with the reason in French, and they are
cannot-links for the clustering.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import phonenumbers
from rapidfuzz.distance import OSA, Levenshtein

from grc.dedup.compare import CodedKeys, _coded_similarity

# local parts of role addresses: the word alone, numbered, or followed by a separator
ROLE_WORDS = [
    "contact", "contacts", "accueil", "secretariat", "secretaire", "info", "infos",
    "information", "informations", "direction", "directeur", "directrice", "admin",
    "administration", "mairie", "ecole", "college", "lycee", "ce", "bureau", "office",
    "reservation", "reservations", "resa", "compta", "comptabilite", "association", "asso",
    "club", "president", "presidente", "presidence", "tresorier", "tresoriere", "tresorerie",
    "rh", "noreply", "no-reply", "hello", "bonjour", "communication", "gestion", "service",
    "standard", "courrier", "sejour", "sejours", "groupe", "groupes", "inscription",
    "inscriptions", "intendance", "cse", "scolarite", "vie-scolaire", "viescolaire", "equipe",
    "team", "sport", "sports", "general", "commercial", "ventes", "formation",
]
_ROLES = "|".join(map(re.escape, sorted(ROLE_WORDS, key=len, reverse=True)))
# a role word alone, numbered or followed by a separator ("ce.0312345x@ac-toulouse.fr" too),
# or a French school (UAI) code "0312345x" as the local part
GENERIC_RE = re.compile(r"(?:(?:" + _ROLES + r")(?:\d*|[._-][^@]*)|\d{7}[a-z])@")
_PREFIXES = tuple(ROLE_WORDS) + tuple("0123456789")
NAME_SIM = 0.80  # Jaro-Winkler below this: the names disagree (level 0 of the model)
ORG_SIM = 0.85  # Jaro-Winkler of organisation names from this: the same organisation


def is_generic_email(values: pd.Series | np.ndarray) -> np.ndarray:
    """True for role addresses (``contact@``, ``accueil@``, ``ce.0312345x@ac-….fr``…)."""
    match, prefixes = GENERIC_RE.match, _PREFIXES
    out = np.zeros(len(values), dtype=bool)
    for i, v in enumerate(np.asarray(values, dtype=object)):
        if isinstance(v, str):
            v = v.strip().lower()
            out[i] = v.startswith(prefixes) and match(v) is not None
    return out


def is_landline(values: np.ndarray) -> np.ndarray:
    """True for fixed lines (and VoIP boxes) in E.164: numbers a household or a school shares.

    Metropolitan French numbers are read from their prefix (+33 1-5 and 9); other E.164
    numbers are typed by phonenumbers; anything else (not a phone number) is personal."""
    fixed = (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.VOIP)
    out = np.zeros(len(values), dtype=bool)
    for i, v in enumerate(np.asarray(values, dtype=object)):
        if not isinstance(v, str) or not v.startswith("+"):
            continue
        if v.startswith("+33") and len(v) == 12:
            out[i] = v[3] in "123459"
            continue
        try:
            out[i] = phonenumbers.number_type(phonenumbers.parse(v, None)) in fixed
        except phonenumbers.NumberParseException:
            continue
    return out


@dataclass
class GateResult:
    """Pairs held back by the gate (positions into the pairs given) and their reasons."""

    held: np.ndarray  # bool per pair
    reason: np.ndarray  # French reason (None when not held)


def _variant(x: object, y: object) -> bool:
    """Two name keys one person may write: one holds the other's words ("dupont" in "dupont
    martin", "jean" in "jean pierre"), an initial ("p" for "pierre"), one typo ("lea"/"lae")."""
    if not isinstance(x, str) or not isinstance(y, str) or not x or not y:
        return False
    if (len(x) == 1 or len(y) == 1) and x[0] == y[0]:
        return True
    if min(len(x), len(y)) >= 3 and OSA.distance(x, y) <= 1:
        return True
    wx, wy = set(x.split()), set(y.split())
    return wx <= wy or wy <= wx


def _names_disagree(k: pd.DataFrame, comp: pd.DataFrame, a: np.ndarray,
                    b: np.ndarray, civility: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first names disagree, last names disagree) per pair, variants allowed."""
    fs = comp["first_sim"].to_numpy(float)
    ls = comp["last_sim"].to_numpy(float)
    swapped = comp["swapped"].to_numpy(bool)
    first = ~np.isnan(fs) & (fs < NAME_SIM) & ~comp["initial"].to_numpy(bool)
    last = ~np.isnan(ls) & (ls < NAME_SIM)
    ca, cb = civility[a], civility[b]
    sexes = pd.Series(ca).isin(["M", "MME"]).to_numpy() \
        & pd.Series(cb).isin(["M", "MME"]).to_numpy()
    # "Louis" and "Louise", "Jean" and "Jeanne": a civility that differs settles it
    sex_differs = sexes & (ca != cb) & ~np.isnan(fs) & (fs < 0.97) \
        & ~comp["initial"].to_numpy(bool)
    fk, lk = k["fk"].to_numpy(object), k["lk"].to_numpy(object)
    f2 = np.where(swapped, lk[b], fk[b])
    l2 = np.where(swapped, fk[b], lk[b])
    for arr, x, y in ((first, fk[a], f2), (last, lk[a], l2)):
        for i in np.flatnonzero(arr):  # variants of one name do not disagree
            if _variant(x[i], y[i]):
                arr[i] = False
    return first | sex_differs, last


def _numbers(k: pd.DataFrame, coded: CodedKeys, a: np.ndarray,
             b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(personal number level 2/1/0/-1, landline shared) per pair."""
    voc = coded.vocab["tel"]
    ph = coded.frame["phone"].to_numpy(np.int64)
    mo = coded.frame["mobile"].to_numpy(np.int64)
    used = np.unique(np.concatenate([ph[a], ph[b], mo[a], mo[b]]))
    used = used[used >= 0]
    land = np.zeros(len(voc) + 1, dtype=bool)  # last slot: "missing" (-1)
    land[used] = is_landline(voc[used])
    personal = {}
    landline = {}
    for side, pos in (("a", a), ("b", b)):
        p, m = ph[pos], mo[pos]
        personal[side] = np.where((m >= 0) & ~land[m], m, np.where((p >= 0) & ~land[p], p, -1))
        landline[side] = np.where((p >= 0) & land[p], p, np.where((m >= 0) & land[m], m, -1))
    pa, pb = personal["a"], personal["b"]
    both = (pa >= 0) & (pb >= 0)
    level = np.where(both, 0, -1).astype(np.int8)
    eq = both & (pa == pb)
    near = both & ~eq
    if near.any():  # one digit apart (a typo), on the distinct number pairs
        dist = _coded_similarity(pa[near], pb[near], voc, Levenshtein.distance)
        same_len = pd.Series(voc[pa[near]], dtype=object).str.len().to_numpy() == \
            pd.Series(voc[pb[near]], dtype=object).str.len().to_numpy()
        level[np.flatnonzero(near)[(dist <= 1) & same_len]] = 1
    level[eq] = 2
    shared_land = (landline["a"] >= 0) & (landline["a"] == landline["b"])
    return level, shared_land


def may_hold(comp: pd.DataFrame) -> np.ndarray:
    """Pairs with some organisation evidence (a similar organisation, a shared number, which
    a shared landline is, or a shared generic e-mail): the only ones the gate may hold."""
    return (np.nan_to_num(comp["org_sim"].to_numpy(float)) >= ORG_SIM) \
        | (np.nan_to_num(comp["phone_lvl"].to_numpy(float)) == 2) \
        | comp["generic_eq"].to_numpy(bool)


def person_gate(k: pd.DataFrame, coded: CodedKeys, comp: pd.DataFrame, a: np.ndarray,
                b: np.ndarray, civility: np.ndarray) -> GateResult:
    """Hold back pairs where organisation/household evidence meets disagreeing persons."""
    if not len(a):
        return GateResult(np.zeros(0, dtype=bool), np.full(0, None, dtype=object))
    first_dis, last_dis = _names_disagree(k, comp, a, b, civility)
    number, land = _numbers(k, coded, a, b)
    dist = comp["email_dist"].to_numpy(float)  # NaN when generic or missing
    email = np.where(np.isnan(dist), -1, np.where(dist == 0, 2, np.where(dist <= 1, 1, 0)))
    support = (email >= 1) | (number >= 1)
    org = np.nan_to_num(comp["org_sim"].to_numpy(float)) >= ORG_SIM
    generic = comp["generic_eq"].to_numpy(bool)
    address = (np.nan_to_num(comp["addr_sim"].to_numpy(float)) >= 0.95) \
        & (np.nan_to_num(comp["pc_eq"].to_numpy(float)) == 1)
    organisation = org | land | generic
    names = first_dis | last_dis
    channels = (email == 0) | (number == 0)
    # a shared street address alone does not trigger the gate: it is also what most true
    # duplicates share (Febrl), and a household shares its landline as well
    held = ~support & organisation & (names | channels)
    reason = np.full(len(a), None, dtype=object)
    for i in np.flatnonzero(held):
        shared = [w for w, f in (("même organisation", org[i]), ("même adresse", address[i]),
                                 ("même téléphone fixe", land[i]),
                                 ("même adresse e-mail générique", generic[i])) if f]
        differ = [w for w, f in (("prénoms différents", first_dis[i]),
                                 ("noms différents", last_dis[i]),
                                 ("e-mails personnels différents", email[i] == 0),
                                 ("mobiles différents", number[i] == 0)) if f]
        reason[i] = (f"Indices d'organisation ou de foyer ({', '.join(shared)}) mais "
                     f"{', '.join(differ)} : deux personnes probables (collègues, foyer ou "
                     "homonymes), non fusionnées. Confirmer « same » seulement s'il s'agit "
                     "de la même personne.")
    return GateResult(held, reason)
