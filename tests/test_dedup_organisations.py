"""Organisations as entities (issue 21): deduplicated within and across centres."""

from __future__ import annotations

import numpy as np
import pandas as pd
from grc.dedup.link import deduplicate, vector_key
from grc.dedup.organisations import ORG_COLUMNS, contact_organisation, organise

from tests.evaluation import truth as T
from tests.test_dedup import record


def _org_ids(rows):
    df = pd.DataFrame(rows)
    res = deduplicate(df)
    rec_org, table = organise(df, res.links)
    return rec_org.set_index(["centre", "local_id"])["organisation_id"], table, res


def _teacher(centre, local, first, last, org, pc="31000", city="TOULOUSE", email=None):
    return record(centre, local, "MME", first, last, "12 rue des Écoles", pc, city, email,
                  None, None, org=org)


def test_name_variants_in_one_town_are_one_school_across_centres():
    ids, table, _ = _org_ids([
        _teacher("LYO", "A", "Élise", "Durand", "École élémentaire Jules Ferry"),
        _teacher("ANN", "B", "Marc", "Lefèvre", "Ecole Jules Ferry"),
        _teacher("DIJ", "C", "Anaïs", "Robin", "ECOLE ELEMENTAIRE JULES FERRY"),
    ])
    assert ids[("LYO", "A")] == ids[("ANN", "B")] == ids[("DIJ", "C")]
    assert list(table.columns) == ORG_COLUMNS
    row = table.set_index("organisation_id").loc[ids[("LYO", "A")]]
    assert row["n_records"] == 3 and row["n_contacts"] == 3
    assert row["centres"] == "ANN;DIJ;LYO" and row["type"] == "ecole"


def test_other_town_other_level_other_school():
    ids, _, _ = _org_ids([
        _teacher("LYO", "A", "Élise", "Durand", "École élémentaire Jules Ferry"),
        _teacher("LYO", "B", "Marc", "Lefèvre", "École élémentaire Jules Ferry", "21000",
                 "DIJON"),
        _teacher("LYO", "C", "Anaïs", "Robin", "École maternelle Jules Ferry"),
        _teacher("LYO", "D", "Odile", "Faure", "Collège Jules Ferry"),
    ])
    assert len({ids[("LYO", x)] for x in "ABCD"}) == 4


def test_a_typo_by_one_contact_joins_the_two_writings():
    ids, _, res = _org_ids([
        _teacher("LYO", "A", "Élise", "Durand", "Collège Jean Moulin", email="e.durand@free.fr"),
        _teacher("ANN", "B", "Élise", "Durand", "Collège Jean Moulni", email="e.durand@free.fr"),
    ])
    cid = res.links.set_index(["centre", "local_id"])["contact_id"]
    assert cid[("LYO", "A")] == cid[("ANN", "B")]
    assert ids[("LYO", "A")] == ids[("ANN", "B")]


def test_private_person_has_no_organisation():
    df = pd.DataFrame([record("LYO", "P", "M", "Jean", "Moreau", "5 rue Pasteur", "21000",
                              "DIJON", None, None, None)])
    res = deduplicate(df)
    rec_org, table = organise(df, res.links)
    assert rec_org["organisation_id"].isna().all() and table.empty
    assert contact_organisation(rec_org).empty


def test_ids_stable_across_runs_and_record_order():
    rows = [_teacher("LYO", "A", "Élise", "Durand", "École élémentaire Jules Ferry"),
            _teacher("ANN", "B", "Marc", "Lefèvre", "Ecole Jules Ferry")]
    one, _, _ = _org_ids(rows)
    two, _, _ = _org_ids(rows[::-1])
    assert one.sort_index().equals(two.sort_index())


def test_demo_organisations_match_the_truth(tmp_path):
    """Generated network: organisation entities equal the truth (planted colleagues who
    write their school another way, at another centre, included)."""
    from grc.demo.generator import generate

    generate(tmp_path, centres=6, contacts=900, years="2024-2025", seed=8)
    q, entity = T.demo_records(tmp_path)
    ents = pd.read_csv(tmp_path / "truth" / "entities.csv", dtype=str).set_index("entity_id")
    org = ents["organisation"].copy()
    cases = pd.read_csv(tmp_path / "truth" / "cases.csv", dtype=str)
    same_org = cases[cases["case"].isin(["colleagues", "namesakes", "generic_email"])]
    org[same_org["entity_b"].to_numpy()] = org[same_org["entity_a"].to_numpy()].to_numpy()
    torg = entity.map(org)
    res = deduplicate(q)
    rec_org, _ = organise(q, res.links)
    has = (q["organisation"].notna() & torg.notna()).to_numpy()
    tkey = (vector_key(torg) + "|" + vector_key(q["city"])).to_numpy(object)[has]
    pred = rec_org["organisation_id"].to_numpy(object)[has]
    tp_true = T.true_pairs(pd.factorize(tkey)[0])
    tp_pred = T.true_pairs(pd.factorize(pred)[0])
    hit = np.isin(tp_pred, tp_true).sum()
    assert len(tp_true) > 20
    assert hit == len(tp_pred) == len(tp_true)  # precision and recall 1 on organisation pairs
    # planted colleagues: one organisation, whatever the writing and the centre
    pos = rec_org.assign(e=entity).dropna(subset=["organisation_id"])
    by = pos.groupby("e")["organisation_id"].agg(set)
    col = cases[cases["case"] == "colleagues"]
    checked = 0
    for a, b in zip(col["entity_a"], col["entity_b"], strict=True):
        if a in by and b in by:
            assert by[a] == by[b]
            checked += 1
    assert checked >= 3
