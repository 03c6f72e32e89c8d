"""Scoring against a truth file, kept out of the library.

Qualification against the demo network's truth files (``grc.demo.generator``): recall and
false flags per planted defect (``bench_qualify.py``, ``tests/test_qualify_truth.py``).
Deduplication against the true entity of each record: pair completeness of the candidate
pairs, precision/recall/F1 of the linked pairs, the share linked per planted case
(``bench_dedup.py``, ``tests/test_dedup*.py``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import phonenumbers
from grc.qualify.records import (
    ISSUE_FRAME_COLUMNS,
    map_rows,
    network_context,
    qualify,
    validate_email_full,
)

# planted defect code -> issue code expected on that record
TRUTH_EXPECTED = {
    "invalid_email": "invalid_email", "email_typo": "invalid_email",
    "invalid_phone": "invalid_phone", "invalid_postcode": "invalid_postcode",
    "incomplete_address": "incomplete_address", "missing_name": "missing_name",
    "unknown_code": "unknown_code", "duplicate_local_id": "duplicate_local_id", "npai": "npai",
}
# consequences of consent, law and age, never planted: left out of false-flag counts
NOT_PLANTED_CODES = frozenset({"no_email_consent", "bloctel", "no_phone_consent", "no_channel",
                               "retention_expired"})
_NOMINAL_PHONE_REGIONS = ("FR", "GP", "MQ", "GF", "RE", "YT")



def read_and_qualify(cfg, year: int | None = None
                     ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Read every centre's export of ``year`` and qualify it as the pipeline does.

    Returns (contacts, qualified, issues); issues hold the readers' row problems
    (unknown_code, duplicate_local_id...) and qualification's, in ISSUE_FRAME_COLUMNS.
    Last stays come from this year's exports only (the pipeline uses every integrated year).
    """
    from grc.readers.exports import read_centre

    year = int(year or cfg.year)
    frames, stays, reader_issues = [], [], []
    for code in cfg.centre_codes():
        ex = read_centre(cfg.centre(code), cfg.export_dir(code, year), year)
        frames.append(ex.contacts)
        stays.append(ex.stays)
        reader_issues.append(ex.issues())
    contacts = pd.concat(frames, ignore_index=True)
    ref = dt.date(year, 12, 31) if year != cfg.year else cfg.reference_date
    npai_path = Path(str(cfg.npai_file).replace("{year}", str(year))) if cfg.npai_file else None
    ctx = network_context(cfg, pd.concat(stays, ignore_index=True), ref, npai_path)
    qualified, issues = qualify(contacts, ctx)
    rd = pd.concat(reader_issues, ignore_index=True)
    rd = rd.assign(value=None, suggestion=None)[ISSUE_FRAME_COLUMNS]
    return contacts, qualified, pd.concat([rd, issues], ignore_index=True)


def _nominal_phone_valid(national: str, written: str) -> bool:
    """Valid as French in any writing, or as overseas when written nationally."""
    for reg in _NOMINAL_PHONE_REGIONS:
        if reg != "FR" and written.lstrip().startswith(("+", "00")):
            break
        try:
            p = phonenumbers.parse(national, reg)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(p):
            return True
    return False


def unplanned_defects(contacts: pd.DataFrame, truth_dir: str | Path, year: int) -> pd.DataFrame:
    """Records whose *nominal* value (the client's own, before any planted defect) is invalid.

    The demo generator draws some phone numbers outside the allocated ranges (07 0x-07 2x,
    0639/0694... overseas blocks; a few 070x happen to be valid overseas numbers when written
    nationally, not once written "+33 7...") and cuts some organisation domains on a hyphen
    ("harmonie-municipale-.fr"): real defects the truth file does not list. Columns
    centre, local_id, code (invalid_phone / invalid_email), field, value.
    """
    truth_dir = Path(truth_dir)
    ents = pd.read_csv(truth_dir / "entities.csv", dtype=str, keep_default_na=False)
    recs = pd.read_csv(truth_dir / "records.csv", dtype=str)
    recs = recs[recs["year"] == str(year)].drop_duplicates(["centre", "local_id"])
    m = recs.merge(ents, on="entity_id", how="left").merge(
        contacts[["centre", "local_id", "phone", "mobile", "email"]].drop_duplicates(
            ["centre", "local_id"]), on=["centre", "local_id"], how="inner",
        suffixes=("_nominal", ""))
    rows = []
    for fld, code, ok in (("phone", "invalid_phone", _nominal_phone_valid),
                          ("mobile", "invalid_phone", _nominal_phone_valid),
                          ("email", "invalid_email",
                           lambda v, _w: validate_email_full(v)[0] is not None)):
        nominal = m[fld + "_nominal"]
        present = (nominal != "") & m[fld].notna()
        verdict = pd.Series(map_rows(ok, nominal[present], m.loc[present, fld].astype(str)),
                            index=nominal[present].index)
        bad = verdict[~verdict.astype(bool)].index
        for i in bad:
            rows.append({"centre": m.at[i, "centre"], "local_id": m.at[i, "local_id"],
                         "code": code, "field": fld, "value": m.at[i, fld]})
    return pd.DataFrame(rows, columns=["centre", "local_id", "code", "field", "value"])


def truth_scores(contacts: pd.DataFrame, issues: pd.DataFrame, truth_dir: str | Path,
                 year: int) -> pd.DataFrame:
    """Recall and false flags per planted defect code, against ``truth/defects.csv``.

    recall: planted defects whose record carries the expected issue code (email_typo: an
    invalid_email with a suggestion). false flags: share of records with no planted defect
    of the code's family (nor an unplanned one, see :func:`unplanned_defects`) that get the
    code anyway. ``false_flags_raw`` counts against the truth file alone.
    """
    truth_dir = Path(truth_dir)
    truth = pd.read_csv(truth_dir / "defects.csv", dtype=str)
    truth = truth[truth["year"] == str(year)]
    keys = pd.MultiIndex.from_frame(contacts[["centre", "local_id"]].astype(str)).unique()
    unplanned = unplanned_defects(contacts, truth_dir, year)

    def keyset(df: pd.DataFrame) -> set[tuple[str, str]]:
        return set(zip(df["centre"].astype(str), df["local_id"].astype(str), strict=True))

    rows = []
    for planted, code in TRUTH_EXPECTED.items():
        flagged = issues[issues["code"] == code]
        if planted == "email_typo":
            flagged = flagged[flagged["suggestion"].notna()]
        found_keys = keyset(flagged)
        p = keyset(truth[truth["code"] == planted])
        family = keyset(truth[truth["code"].map(TRUTH_EXPECTED) == code])
        extra = keyset(unplanned[unplanned["code"] == code]) - family
        all_flags = keyset(issues[issues["code"] == code])
        clean = len(keys) - len(family | extra)
        false_raw = len(all_flags - family)
        false = len(all_flags - family - extra)
        rows.append({
            "planted": planted, "issue_code": code, "n_planted": len(p),
            "found": len(p & found_keys), "recall": len(p & found_keys) / len(p) if p else 1.0,
            "clean_records": clean, "false_flags": false,
            "false_flag_rate": false / clean if clean else 0.0,
            "unplanned": len(extra), "unplanned_found": len(extra & all_flags),
            "false_flags_raw": false_raw,
        })
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- deduplication
def demo_records(demo_dir: str | Path) -> tuple[pd.DataFrame, pd.Series]:
    """Qualified records of a demo network's configured year, one per (centre, local_id),
    and the true entity of each (``truth/records.csv``; NaN where the truth has none)."""
    from grc.config import load_config

    demo_dir = Path(demo_dir)
    cfg = load_config(demo_dir / "network.yaml")
    _, qualified, _ = read_and_qualify(cfg, cfg.year)
    qualified = qualified.drop_duplicates(["centre", "local_id"]).reset_index(drop=True)
    truth = pd.read_csv(demo_dir / "truth" / "records.csv", dtype=str)
    truth = truth[truth["year"] == str(cfg.year)].drop_duplicates(["centre", "local_id"])
    ent = qualified[["centre", "local_id"]].astype(str).merge(
        truth[["centre", "local_id", "entity_id"]], on=["centre", "local_id"], how="left")
    return qualified, ent["entity_id"]


def true_pairs(entity: np.ndarray, centre: np.ndarray | None = None) -> np.ndarray:
    """Codes ``a * n + b`` (a < b) of the record pairs sharing an entity (across centres
    only when ``centre`` is given)."""
    n = len(entity)
    df = pd.DataFrame({"e": entity, "i": np.arange(n)})
    m = df.merge(df, on="e")
    m = m[m["i_x"] < m["i_y"]]
    if centre is not None:
        m = m[centre[m["i_x"].to_numpy()] != centre[m["i_y"].to_numpy()]]
    return m["i_x"].to_numpy(np.int64) * n + m["i_y"].to_numpy(np.int64)


def pair_completeness(entity: np.ndarray, candidates: pd.MultiIndex,
                      centre: np.ndarray | None = None) -> dict:
    """Share of the true pairs among the candidate pairs (``DedupResult.candidates``).

    ``entity`` is the true entity of each record, in the order given to ``deduplicate``;
    ``centre`` restricts the true pairs to pairs across centres (``link_only``).
    """
    entity = np.asarray(entity)
    n = len(entity)
    tp = true_pairs(entity, centre)
    cand = candidates.get_level_values(0).to_numpy(np.int64) * n + \
        candidates.get_level_values(1).to_numpy(np.int64)
    found = np.isin(tp, cand).sum()
    return {"true_pairs": int(len(tp)),
            "pair_completeness": float(found / len(tp)) if len(tp) else 1.0}


def pair_scores(contact: np.ndarray, entity: np.ndarray,
                centre: np.ndarray | None = None) -> dict:
    """Precision/recall/F1 of the record pairs implied by the clusters (``contact``)."""
    entity = np.asarray(entity)
    pred = true_pairs(pd.factorize(np.asarray(contact))[0], centre)
    truth = true_pairs(entity, centre)
    tp = int(np.isin(pred, truth).sum())
    p = tp / len(pred) if len(pred) else 1.0
    r = tp / len(truth) if len(truth) else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"n": len(entity), "true_pairs": len(truth), "pred_pairs": len(pred),
            "precision": p, "recall": r, "f1": f}


def case_table(contact: np.ndarray, entity: np.ndarray, cases: pd.DataFrame) -> pd.DataFrame:
    """Per planted case: its record pairs and the share linked (same ``contact``).

    ``entity`` is the true entity of each record (same order as ``contact``); ``cases`` is
    ``truth/cases.csv``. For a same-person case the share is its recall, for a
    different-person case its rate of false links.
    """
    pos = pd.Series(np.arange(len(entity))).groupby(entity).apply(list).to_dict()
    rows = []
    for c in cases.itertuples(index=False):
        ra, rb = pos.get(c.entity_a, []), pos.get(c.entity_b, [])
        if c.entity_a == c.entity_b:
            pairs = [(x, y) for i, x in enumerate(ra) for y in ra[i + 1:]]
        else:
            pairs = [(x, y) for x in ra for y in rb]
        linked = sum(contact[x] == contact[y] for x, y in pairs)
        rows.append({"case": c.case, "same_person": str(c.same_person) == "True",
                     "pairs": len(pairs), "linked": int(linked)})
    t = pd.DataFrame(rows).groupby(["same_person", "case"], sort=False).sum().reset_index()
    t["linked_share"] = t["linked"] / t["pairs"].where(t["pairs"] > 0)
    return t
