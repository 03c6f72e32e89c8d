"""Organisations as entities, deduplicated within and across centres (issue 21).

A contact is a person; the school, club or works council they book for is an entity of its
own. Records naming an organisation are grouped on a match key: the place (town, else
postcode), the kind of organisation (école, collège, lycée, club…), its level when the name
carries one (maternelle, élémentaire) and the remaining words of the name ("École élémentaire
Jules Ferry" and "Ecole Jules Ferry" in one town are one school; "École maternelle Jules
Ferry" is another). Names written differently by one and the same contact (a typo) are then
joined when they are alike in the same place. Each group gets a stable ``organisation_id``
(a hash of its key), each record and each network contact the id of its organisation.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
from rapidfuzz.distance import JaroWinkler
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from grc.dedup.keys import _col, _positional, vector_key

# first word of the kind of organisation (after normalisation: ascii, lower case)
KINDS = {"ecole": "ecole", "groupe scolaire": "ecole", "college": "college", "lycee": "lycee",
         "iut": "iut", "universite": "universite", "club": "club", "association": "association",
         "asso": "association", "comite": "comite", "centre": "centre", "mairie": "mairie",
         "cse": "cse", "ce": "cse", "chorale": "chorale", "foyer": "foyer"}
# level words: two different levels are two organisations; a name without level joins the
# only level of its group
LEVELS = {"maternelle": "mat", "elementaire": "prim", "primaire": "prim", "elem": "prim"}
FILLER = {"publique", "public", "privee", "prive", "et", "sur", "en", "a", "au", "aux",
          "saint", "st", "ste", "sainte"}
ORG_COLUMNS = ["organisation_id", "name", "type", "postcode", "city", "segment", "centres",
               "n_records", "n_contacts"]
SIMILAR = 0.90  # Jaro-Winkler of two name cores written by one contact in one place


def _parse(key: str) -> tuple[str, str, str]:
    """(kind, level, core words) of a normalised organisation name."""
    words = key.split()
    kind = ""
    for n in (2, 1):
        head = " ".join(words[:n])
        if head in KINDS:
            kind, words = KINDS[head], words[n:]
            break
    level = ""
    core = []
    for w in words:
        if w in LEVELS and not level:
            level = LEVELS[w]
        elif w not in FILLER:
            core.append(w)
    return kind, level, " ".join(core) or " ".join(words)


def _record_keys(r: pd.DataFrame) -> pd.DataFrame:
    """Per record with an organisation: place, kind, level, core (else None)."""
    okey = _col(r, "org_key")
    raw = _col(r, "organisation")
    need = okey.isna() & raw.notna()
    if need.any():
        okey = okey.copy()
        okey[need] = vector_key(raw[need]).to_numpy(object)
    city = vector_key(_col(r, "city"))
    place = city.where(city.notna(), _col(r, "postcode"))
    parsed = {v: _parse(v) for v in pd.unique(okey.dropna())}
    out = pd.DataFrame({"okey": okey, "place": place.fillna("?")})
    for i, c in enumerate(("kind", "level", "core")):
        out[c] = okey.map(lambda v, i=i: parsed[v][i] if v is not None else None)
    return out


def _groups(keys: pd.DataFrame) -> np.ndarray:
    """Group code per record (-1 without organisation): level-less names join a lone level."""
    has = keys["okey"].notna().to_numpy()
    base = keys["place"] + "|" + keys["kind"].fillna("") + "|" + keys["core"].fillna("")
    named = pd.DataFrame({"base": base[has], "level": keys["level"][has]})
    named = named[named["level"].to_numpy(dtype=bool)].drop_duplicates()  # its distinct levels
    lone = named[named.groupby("base")["level"].transform("size") == 1].set_index("base")["level"]
    level = keys["level"].fillna("")
    fill = (level == "") & base.map(lone).notna()
    level = level.where(~fill, base.map(lone))
    full = (base + "|" + level).where(has)
    code, _ = pd.factorize(full)
    return code


def _join_by_contact(code: np.ndarray, keys: pd.DataFrame, contact: np.ndarray) -> np.ndarray:
    """Join two groups named alike in one place by the same contact (a typo in the name)."""
    frame = pd.DataFrame({"g": code, "c": contact, "place": keys["place"].to_numpy(),
                          "kind": keys["kind"].to_numpy(), "core": keys["core"].to_numpy()})
    frame = frame[frame["g"] >= 0].drop_duplicates(["g", "c"])
    multi = frame[frame.duplicated("c", keep=False)]
    pairs = multi.merge(multi, on="c")
    pairs = pairs[(pairs["g_x"] < pairs["g_y"]) & (pairs["place_x"] == pairs["place_y"])
                  & (pairs["kind_x"] == pairs["kind_y"])]
    if len(pairs):
        sim = np.array([JaroWinkler.normalized_similarity(str(x), str(y))
                        for x, y in zip(pairs["core_x"], pairs["core_y"], strict=True)])
        pairs = pairs[sim >= SIMILAR]
    n = int(code.max()) + 1 if len(code) and code.max() >= 0 else 0
    if not len(pairs) or not n:
        return code
    g = coo_matrix((np.ones(len(pairs)), (pairs["g_x"], pairs["g_y"])), shape=(n, n))
    label = connected_components(g, directed=False)[1]
    return np.where(code >= 0, label[np.clip(code, 0, None)], -1)


def _ids(code: np.ndarray, keys: pd.DataFrame) -> np.ndarray:
    """Stable id per record: a hash of the smallest match key of its organisation."""
    full = (keys["place"] + "|" + keys["kind"].fillna("") + "|" + keys["level"].fillna("")
            + "|" + keys["core"].fillna("")).to_numpy(object)
    has = code >= 0
    first: dict[int, str] = {}  # the smallest key of each group
    for g, k in zip(code[has].tolist(), full[has].tolist(), strict=True):
        if g not in first or k < first[g]:
            first[g] = k
    ids = {g: "O" + hashlib.sha1(k.encode("utf-8")).hexdigest()[:10] for g, k in first.items()}
    return np.array([ids.get(g) for g in code], dtype=object)


def _modes(f: pd.DataFrame, col: str) -> pd.Series:
    """Most frequent ``col`` per organisation; ties: accented and longer first, then alphabetical."""
    v = f[["organisation_id", col]].dropna()
    n = v.groupby(["organisation_id", col], sort=False).size().rename("n").reset_index()
    text = n[col].astype(str)
    n["accents"] = text.map(lambda x: sum(ord(ch) > 127 for ch in x))
    n["length"] = text.str.len()
    n["text"] = text
    n = n.sort_values(["organisation_id", "n", "accents", "length", "text"],
                      ascending=[True, False, False, False, True], kind="stable")
    return n.drop_duplicates("organisation_id").set_index("organisation_id")[col]


def _joined(f: pd.DataFrame, col: str) -> pd.Series:
    """The distinct values of ``col`` per organisation, sorted and joined by ";"."""
    v = f[["organisation_id", col]].dropna().drop_duplicates().sort_values(["organisation_id", col])
    out: dict[str, list[str]] = {}
    for org, value in zip(v["organisation_id"].to_numpy(), v[col].to_numpy(), strict=True):
        out.setdefault(org, []).append(value)
    return pd.Series({org: ";".join(values) for org, values in out.items()}, dtype=object)


def _table(r: pd.DataFrame, org_id: np.ndarray, keys: pd.DataFrame,
           contact: np.ndarray) -> pd.DataFrame:
    has = pd.notna(org_id)
    if not has.any():
        return pd.DataFrame(columns=ORG_COLUMNS)
    f = pd.DataFrame({"organisation_id": org_id[has], "name": _col(r, "organisation")[has],
                      "type": keys["kind"][has].to_numpy(), "postcode": _col(r, "postcode")[has],
                      "city": _col(r, "city")[has], "segment": _col(r, "segment")[has],
                      "centre": _col(r, "centre")[has], "contact": contact[has]})
    g = f.groupby("organisation_id", sort=True)
    out = pd.DataFrame(index=pd.Index(sorted(f["organisation_id"].unique()), name="organisation_id"))
    for c in ("name", "type", "postcode", "city", "segment"):
        out[c] = _modes(f, c).reindex(out.index)
    out["centres"] = _joined(f, "centre").reindex(out.index, fill_value="")
    out["n_records"] = g.size()
    out["n_contacts"] = g["contact"].nunique()
    out["type"] = out["type"].replace("", None)
    return out.reset_index()[ORG_COLUMNS]


def organise(records: pd.DataFrame, links: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Organisations of qualified ``records`` linked to contacts by ``links``.

    Returns ``(record_org, organisations)``: ``record_org`` has ``centre, local_id,
    contact_id, organisation_id`` per record (``organisation_id`` empty without an
    organisation); ``organisations`` one row per organisation (``ORG_COLUMNS``).
    """
    r = _positional(records)
    lk = links.astype({"centre": str, "local_id": str}).drop_duplicates(["centre", "local_id"])
    rec = pd.DataFrame({"centre": _col(r, "centre").astype(str),
                        "local_id": _col(r, "local_id").astype(str)})
    contact = rec.merge(lk, on=["centre", "local_id"], how="left")["contact_id"]
    contact = contact.to_numpy(object)
    keys = _record_keys(r)
    code = _join_by_contact(_groups(keys), keys, contact)
    org_id = _ids(code, keys)
    rec["contact_id"] = contact
    rec["organisation_id"] = org_id
    return rec, _table(r, org_id, keys, contact)


def contact_organisation(record_org: pd.DataFrame) -> pd.Series:
    """Organisation of each network contact: the one most of its records name (ties: id)."""
    f = record_org.dropna(subset=["contact_id", "organisation_id"])
    if f.empty:
        return pd.Series(dtype=object, name="organisation_id")
    n = f.groupby(["contact_id", "organisation_id"]).size().rename("n").reset_index()
    n = n.sort_values(["contact_id", "n", "organisation_id"], ascending=[True, False, True])
    return n.drop_duplicates("contact_id").set_index("contact_id")["organisation_id"]
