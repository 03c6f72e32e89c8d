"""A contact is a person (issue 21): organisation evidence never merges two people by itself."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from grc.dedup.link import deduplicate, is_generic_email

from tests.evaluation import truth as T
from tests.test_dedup import make_records, record

SCHOOL = "École élémentaire Jules Ferry"
STREET = "12 rue des Écoles"


def _school_staff(first, last, email, mobile=None, phone="+33561234567", local="S1",
                  centre="LYO", civ="MME", org=SCHOOL):
    return record(centre, local, civ, first, last, STREET, "31000", "TOULOUSE", email, phone,
                  mobile, org=org)


def _run(rows, decisions=None):
    background = make_records(60, seed=5).drop(columns=["entity"])
    df = pd.concat([pd.DataFrame(rows), background], ignore_index=True)
    res = deduplicate(df, decisions=decisions)
    cid = res.links.set_index(["centre", "local_id"])["contact_id"]
    return res, cid


@pytest.mark.parametrize("email", ["contact@ecole-jules-ferry.fr", "ce.0312345x@ac-toulouse.fr",
                                   "Accueil@mairie.fr", "secretariat.ecole@free.fr",
                                   "info2@club.fr"])
def test_generic_addresses_recognised(email):
    assert is_generic_email(np.array([email], dtype=object))[0]


@pytest.mark.parametrize("email", ["cedric.martin@orange.fr", "contactless.jean@free.fr",
                                   "elise.durand@ecole-jules-ferry.fr", "infirmier@x.fr"])
def test_personal_addresses_not_generic(email):
    assert not is_generic_email(np.array([email], dtype=object))[0]


def test_two_teachers_of_one_school_stay_apart_and_go_to_review():
    rows = [_school_staff("Élise", "Durand", "elise.durand@ecole-jules-ferry.fr", local="S1"),
            _school_staff("Marc", "Lefèvre", "marc.lefevre@ecole-jules-ferry.fr", local="S2",
                          civ="M", centre="ANN")]
    res, cid = _run(rows)
    assert cid[("LYO", "S1")] != cid[("ANN", "S2")]
    rv = res.review
    row = rv[(rv["local_id_a"].isin(["S1", "S2"])) & (rv["local_id_b"].isin(["S1", "S2"]))]
    assert len(row) == 1
    reason = row["reason"].iloc[0]
    assert "même organisation" in reason and "noms différents" in reason


def test_household_sharing_a_landline_stays_apart():
    rows = [record("LYO", "H1", "M", "Jean", "Moreau", "5 rue Pasteur", "21000", "DIJON",
                   "jean.moreau12@orange.fr", "+33380123456", "+33612345678"),
            record("LYO", "H2", "MME", "Sophie", "Moreau", "5 rue Pasteur", "21000", "DIJON",
                   "sophie.moreau7@gmail.com", "+33380123456", "+33698765432")]
    res, cid = _run(rows)
    assert cid[("LYO", "H1")] != cid[("LYO", "H2")]
    reasons = res.review["reason"].dropna()
    assert reasons.str.contains("même téléphone fixe").any()


def test_namesakes_at_a_large_organisation_stay_apart():
    org = "Dalmier SAS"
    rows = [record("LYO", "N1", "M", "Jean", "Martin", "1 avenue Foch", "69001", "LYON",
                   "jean.martin@dalmier-sas.fr", "+33472000000", "+33611111111", org=org),
            record("BRE", "N2", "M", "Jean", "Martin", "1 avenue Foch", "69001", "LYON",
                   "jmartin@dalmier-sas.fr", "+33472000000", "+33622222222", org=org)]
    _, cid = _run(rows)
    assert cid[("LYO", "N1")] != cid[("BRE", "N2")]


def test_staff_sharing_only_a_generic_address_stay_apart():
    rows = [_school_staff("Hélène", "Girard", "ce.0312345x@ac-toulouse.fr", phone=None,
                          local="G1"),
            _school_staff("Bastien", "Perrin", "ce.0312345x@ac-toulouse.fr", phone=None,
                          local="G2", civ="M")]
    _, cid = _run(rows)
    assert cid[("LYO", "G1")] != cid[("LYO", "G2")]


@pytest.mark.parametrize("first, last, email, mobile", [
    ("É.", "Durand", None, None),                                    # initial, same school
    ("Durand", "Élise", None, None),                                 # swapped names
    ("Élise", "Durand-Lefèvre", "elise.durand@ecole-jules-ferry.fr", None),  # married name added
    ("Elise", "DURAND", None, "+33611223344"),                       # accents, same mobile
])
def test_same_person_variants_still_linked(first, last, email, mobile):
    rows = [_school_staff("Élise", "Durand", "elise.durand@ecole-jules-ferry.fr",
                          mobile="+33611223344", local="V1"),
            _school_staff(first, last, email, mobile=mobile, local="V2", centre="DIJ")]
    _, cid = _run(rows)
    assert cid[("LYO", "V1")] == cid[("DIJ", "V2")]


def test_married_name_with_a_personal_mobile_is_linked():
    rows = [record("LYO", "M1", "MME", "Claire", "Bonnet", "3 rue Pasteur", "35000", "RENNES",
                   None, None, "+33655555555"),
            record("ANN", "M2", "MME", "Claire", "Rousseau", "9 rue Victor Hugo", "35000",
                   "RENNES", None, None, "+33655555555")]
    _, cid = _run(rows)
    assert cid[("LYO", "M1")] == cid[("ANN", "M2")]


def test_reviewer_decision_same_overrides_the_gate():
    rows = [_school_staff("Élise", "Durand", "elise.durand@ecole-jules-ferry.fr", local="S1"),
            _school_staff("Marc", "Lefèvre", "marc.lefevre@ecole-jules-ferry.fr", local="S2",
                          civ="M", centre="ANN")]
    dec = pd.DataFrame([{"centre_a": "LYO", "local_id_a": "S1", "centre_b": "ANN",
                         "local_id_b": "S2", "decision": "same"}])
    _, cid = _run(rows, dec)
    assert cid[("LYO", "S1")] == cid[("ANN", "S2")]


def test_an_organisation_only_record_does_not_chain_two_teachers():
    """A record with the school alone links to both teachers; the cannot-link separates them."""
    rows = [_school_staff("Élise", "Durand", "contact@ecole-jules-ferry.fr", local="T1"),
            _school_staff("Marc", "Lefèvre", "contact@ecole-jules-ferry.fr", local="T2",
                          civ="M"),
            _school_staff(None, None, "contact@ecole-jules-ferry.fr", local="T3", civ=None)]
    _, cid = _run(rows)
    assert cid[("LYO", "T1")] != cid[("LYO", "T2")]


def test_planted_demo_cases(tmp_path):
    """Generated network: every planted same-person case linked, different people apart."""
    from grc.demo.generator import generate

    generate(tmp_path, centres=6, contacts=600, years="2024-2025", seed=4)
    q, entity = T.demo_records(tmp_path)
    res = deduplicate(q)
    cases = pd.read_csv(tmp_path / "truth" / "cases.csv", dtype=str)
    table = T.case_table(res.links["contact_id"].to_numpy(object), entity.to_numpy(object),
                         cases)
    print(table.to_string(index=False))
    assert set(table["case"]) >= {"colleagues", "household", "namesakes", "generic_email",
                                  "initial", "swap", "married", "moved"}
    same, diff = table[table["same_person"]], table[~table["same_person"]]
    assert (same["pairs"] > 0).all() and (diff["pairs"] > 0).all()
    assert (same["linked_share"] == 1.0).all(), same
    assert (diff["linked_share"] <= 0.05).all(), diff
