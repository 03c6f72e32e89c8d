"""Tests for grc.dedup.link on small generated French-like qualified records."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest
from grc.dedup.link import (
    candidate_pairs,
    deduplicate,
    golden_records,
    load_decisions,
    make_key,
)
from unidecode import unidecode

from tests.evaluation import reference as R
from tests.evaluation import truth as T

FIRST = ["Élise", "Hélène", "François", "Chloé", "Jérôme", "Gaëlle", "Loïc", "Anaïs", "Benoît",
         "Céline", "Stéphane", "Agnès", "Thérèse", "André", "Noémie", "Raphaël", "Mathilde",
         "Bastien", "Odile", "Yannick"]
LAST = ["Durand", "Lefèvre", "Moreau", "Girard", "Rousseau", "Fontaine", "Garnier", "Chevalier",
        "Mercier", "Blanchard", "Gauthier", "Perrin", "Robin", "Clément", "Morel", "Dupont",
        "Faure", "Barbier", "Lemaire", "Renaud", "Brunet", "Picard", "Roussel", "Boucher"]
STREETS = ["rue de la République", "avenue Victor Hugo", "rue des Écoles", "chemin du Moulin",
           "place de l'Église", "allée des Tilleuls", "boulevard Gambetta", "rue Pasteur"]
CITIES = [("69001", "LYON"), ("75011", "PARIS"), ("13002", "MARSEILLE"), ("44000", "NANTES"),
          ("35000", "RENNES"), ("31000", "TOULOUSE"), ("67000", "STRASBOURG"),
          ("21000", "DIJON"), ("29200", "BREST"), ("74000", "ANNECY")]


def _typo(s: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(s) - 1)
    return s[:i] + s[i + 1] + s[i] + s[i + 2:]


def record(centre, local_id, civ, first, last, street, pc, city, email, phone, mobile,
           updated="2024-06-01", org=None):
    return {
        "centre": centre, "local_id": local_id, "civility": civ, "first_name": first,
        "last_name": last, "organisation": org, "first_key": make_key(first),
        "last_key": make_key(last), "org_key": make_key(org), "address1": street,
        "rnvp4": unidecode(street).upper() if street else None, "postcode": pc, "city": city,
        "department": pc[:2] if pc else None, "phone": phone, "mobile": mobile,
        "email": email, "kind": "B2B" if org else "B2C", "segment": None,
        "created_at": pd.Timestamp("2023-01-01"), "updated_at": pd.Timestamp(updated),
    }


def make_records(n_entities: int = 150, seed: int = 3) -> pd.DataFrame:
    """French-like records with planted duplicates and homonyms; ``entity`` is the truth."""
    rng = random.Random(seed)
    rows = []
    counters: dict[str, int] = {}

    def lid(c):
        counters[c] = counters.get(c, 0) + 1
        return f"{c[:1]}{counters[c]:04d}"

    for e in range(n_entities):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        civ = rng.choice(["M", "MME"])
        street = f"{rng.randint(1, 150)} {rng.choice(STREETS)}"
        pc, city = rng.choice(CITIES)
        email = f"{make_key(first)}.{make_key(last)}{e}@exemple.fr" if rng.random() < .8 else None
        phone = f"+3314{e:07d}" if rng.random() < .5 else None
        mobile = f"+3361{e:07d}" if rng.random() < .6 else None
        copies = 1 + (rng.random() < .35) + (rng.random() < .1)
        for c in range(copies):
            centre = rng.choice(["ANN", "BRE", "DIJ", "LYO"])
            f, la, em, ph, mo, st = first, last, email, phone, mobile, street
            if c:
                v = rng.random()
                if v < .15:
                    f = unidecode(f)  # dropped accents
                elif v < .30:
                    f = f[0] + "."  # initial "É."
                elif v < .40:
                    f, la = la, f  # swapped first / last name
                elif v < .55:
                    la = _typo(la, rng)
                if rng.random() < .3:
                    em = None
                if rng.random() < .3:
                    ph = None
                if rng.random() < .2:
                    st = None
            rows.append(record(centre, lid(centre), civ, f, la, st, pc, city, em, ph, mo,
                               updated=f"2024-0{1 + c}-15") | {"entity": e})
    # homonyms: same full name, different person, address, e-mail and phone
    for j in range(8):
        e = n_entities + j
        src = rows[j * 3]
        pc, city = CITIES[(CITIES.index((src["postcode"], src["city"])) + 3) % len(CITIES)]
        rows.append(record("LYO", lid("LYO"), src["civility"], src["first_name"],
                           src["last_name"], f"{j + 2} impasse des Lilas", pc, city,
                           f"autre{j}@exemple.fr", f"+3315{e:07d}", f"+3362{e:07d}")
                    | {"entity": e})
    df = pd.DataFrame(rows)
    return df.sample(frac=1.0, random_state=seed).reset_index(drop=True)


@pytest.fixture(scope="module")
def data():
    return make_records()


@pytest.fixture(scope="module")
def result(data):
    return deduplicate(data.drop(columns=["entity"]))


def test_precision_recall_floors(data, result):
    scores = T.pair_scores(result.links["contact_id"], data["entity"])
    assert scores["pred_pairs"] and scores["true_pairs"]
    assert scores["precision"] >= 0.98
    assert scores["recall"] >= 0.95
    completeness = T.pair_completeness(data["entity"], result.candidates)
    assert completeness["pair_completeness"] >= 0.97
    assert result.stats["reduction_ratio"] > 0.9


def test_no_record_lost(data, result):
    links = result.links
    assert len(links) == len(data)
    assert not links.duplicated(["centre", "local_id"]).any()
    assert set(zip(links["centre"], links["local_id"], strict=True)) == set(zip(data["centre"],
                                                                  data["local_id"], strict=True))
    assert links["contact_id"].notna().all()
    assert result.contacts["n_records"].sum() == len(data)
    assert set(result.contacts["contact_id"]) == set(links["contact_id"])


def test_homonyms_stay_apart(data, result):
    cid = result.links["contact_id"].to_numpy()
    ent = data["entity"].to_numpy()
    for e in range(150, 158):
        (i,) = np.flatnonzero(ent == e)
        row = data.iloc[i]
        same_name = (data["first_name"] == row["first_name"]) & \
            (data["last_name"] == row["last_name"]) & (data["entity"] != e)
        assert same_name.any()
        assert not np.isin(cid[same_name.to_numpy()], [cid[i]]).any()


def test_initial_and_civility_variants_merge():
    rows = [
        record("ANN", "1", "MME", "Élise", "Durand", "3 rue des Écoles", "74000", "ANNECY",
               "elise.durand@exemple.fr", None, "+33612345678"),
        record("LYO", "9", "MME", "É.", "Durand", "3 rue des Ecoles", "74000", "ANNECY",
               None, None, "+33612345678"),
        record("BRE", "4", "MME", "Durand", "Elise", None, "74000", "ANNECY",
               "elise.durand@exemple.fr", None, None),
        record("DIJ", "2", "M", "Jérôme", "Faure", "8 rue Pasteur", "21000", "DIJON",
               "jf@exemple.fr", "+33380000000", None),
    ]
    res = deduplicate(pd.DataFrame(rows))
    cid = res.links["contact_id"].tolist()
    assert cid[0] == cid[1] == cid[2] != cid[3]
    golden = res.contacts.set_index("contact_id").loc[cid[0]]
    assert golden["centres"] == "ANN;BRE;LYO"
    assert golden["n_records"] == 3


def test_reruns_give_same_ids(data, result):
    again = deduplicate(data.drop(columns=["entity"]))
    pd.testing.assert_frame_equal(result.links, again.links)
    shuffled = data.sample(frac=1.0, random_state=1).drop(columns=["entity"])
    other = deduplicate(shuffled)
    m = result.links.merge(other.links, on=["centre", "local_id"])
    assert (m["contact_id_x"] == m["contact_id_y"]).mean() > 0.99


def test_previous_ids_kept_when_record_added(data, result):
    recs = data.drop(columns=["entity"])
    prev = result.links
    src = recs.iloc[0].to_dict()
    new = dict(src, centre="NEW", local_id="N1", updated_at=pd.Timestamp("2025-01-01"))
    extra = {**record("NEW", "N2", "M", "Zébulon", "Quérard", "1 rue Pasteur", "29200",
                      "BREST", "zq@exemple.fr", None, None)}
    res = deduplicate(pd.concat([recs, pd.DataFrame([new, extra])], ignore_index=True),
                      previous_links=prev)
    m = prev.merge(res.links, on=["centre", "local_id"])
    assert (m["contact_id_x"] == m["contact_id_y"]).all()
    cid = res.links.set_index(["centre", "local_id"])["contact_id"]
    assert cid[("NEW", "N1")] == cid[(src["centre"], src["local_id"])]
    assert cid[("NEW", "N2")] not in set(prev["contact_id"])


def test_split_gives_old_id_to_larger_part():
    rows = [
        record("A", "1", "MME", "Élise", "Durand", "3 rue des Écoles", "74000", "ANNECY",
               "ed@exemple.fr", None, "+33612345678"),
        record("B", "1", "MME", "Élise", "Durand", "3 rue des Écoles", "74000", "ANNECY",
               "ed@exemple.fr", None, "+33612345678"),
        record("C", "1", "MME", "Élise", "Durand", "3 rue des Écoles", "74000", "ANNECY",
               "ed@exemple.fr", None, "+33612345678"),
    ]
    df = pd.DataFrame(rows)
    first = deduplicate(df)
    assert first.links["contact_id"].nunique() == 1
    old = first.links["contact_id"].iloc[0]
    dec = pd.DataFrame([{"centre_a": "A", "local_id_a": "1", "centre_b": "C", "local_id_b": "1",
                         "decision": "different"},
                        {"centre_a": "B", "local_id_a": "1", "centre_b": "C", "local_id_b": "1",
                         "decision": "different"}])
    res = deduplicate(df, previous_links=first.links, decisions=dec)
    cid = res.links.set_index("centre")["contact_id"]
    assert cid["A"] == cid["B"] == old
    assert cid["C"] != old


def test_review_decisions_applied(tmp_path, data, result):
    recs = data.drop(columns=["entity"])
    links = result.links
    # a merged pair, declared different, is split
    counts = links["contact_id"].value_counts()
    two = links[links["contact_id"] == counts[counts == 2].index[0]]
    # two distinct contacts, declared the same, are merged
    singles = links[links["contact_id"].isin(counts[counts == 1].index[:2])]
    path = tmp_path / "dedup_decisions.csv"
    pd.DataFrame([
        {"centre_a": two.iloc[0]["centre"], "local_id_a": two.iloc[0]["local_id"],
         "centre_b": two.iloc[1]["centre"], "local_id_b": two.iloc[1]["local_id"],
         "decision": "different"},
        {"centre_a": singles.iloc[0]["centre"], "local_id_a": singles.iloc[0]["local_id"],
         "centre_b": singles.iloc[1]["centre"], "local_id_b": singles.iloc[1]["local_id"],
         "decision": "SAME "},
    ]).to_csv(path, index=False)
    dec = load_decisions(path)
    assert list(dec["decision"]) == ["different", "same"]
    res = deduplicate(recs, previous_links=links, decisions=dec)
    cid = res.links.set_index(["centre", "local_id"])["contact_id"]
    k = [(r["centre"], r["local_id"]) for _, r in two.iterrows()]
    assert cid[k[0]] != cid[k[1]]
    s = [(r["centre"], r["local_id"]) for _, r in singles.iterrows()]
    assert cid[s[0]] == cid[s[1]]
    assert len(res.links) == len(recs)
    assert load_decisions(tmp_path / "absent.csv").empty


def test_review_frame_side_by_side(result):
    rv = result.review
    assert {"first_name_a", "first_name_b", "score", "last_sim"} <= set(rv.columns)
    pairs = result.pairs
    assert set(pairs["decision"]) <= {"match", "review", "non-match"}
    assert len(rv) == int((pairs["decision"] == "review").sum())


def test_candidate_pairs_use_labels(data):
    recs = data.drop(columns=["entity"]).set_index(pd.Index([f"r{i}" for i in range(len(data))]))
    pairs = candidate_pairs(recs)
    assert isinstance(pairs, pd.MultiIndex)
    assert set(pairs.get_level_values(0)) <= set(recs.index)


def test_golden_record_rules():
    rows = [
        record("A", "1", "MME", "É.", "Durand", "3 rue des Écoles", "74000", "ANNECY",
               "old@exemple.fr", None, None, updated="2024-01-01"),
        record("B", "1", "MME", "Élise", "Durand", None, None, None,
               None, "+33450000000", None, updated="2024-09-01"),
        record("C", "1", "MME", "Élise", "Durand", "5 rue Pasteur", "74000", "ANNECY",
               "new@exemple.fr", None, None, updated="2024-06-01"),
    ]
    df = pd.DataFrame(rows)
    links = pd.DataFrame({"centre": ["A", "B", "C"], "local_id": ["1", "1", "1"],
                          "contact_id": ["X", "X", "X"]})
    g = golden_records(df, links).iloc[0]
    assert g["first_name"] == "Élise"  # full first name beats an initial
    assert g["email"] == "new@exemple.fr"  # a valid value beats None; most recent wins
    assert g["phone"] == "+33450000000"
    assert g["address1"] == "5 rue Pasteur"  # most recent complete address
    assert g["centres"] == "A;B;C"
    assert g["n_records"] == 3
    assert g["updated_at"] == pd.Timestamp("2024-09-01")


def test_golden_records_links_in_any_order(data, result):
    recs = data.drop(columns=["entity"])
    direct = golden_records(recs, result.links)
    shuffled = golden_records(recs, result.links.sample(frac=1.0, random_state=1))
    pd.testing.assert_frame_equal(direct, shuffled)
    assert direct["contact_id"].is_monotonic_increasing
    assert direct["n_records"].sum() == len(recs)
    pd.testing.assert_frame_equal(direct, result.contacts)


def test_block_codes_match_recordlinkage_block(data):
    import recordlinkage
    from grc.dedup.link import BlockCodes, _block_codes, _keys

    k = _keys(data.drop(columns=["entity"]))
    frame = pd.DataFrame({"b": _block_codes(k, ("lk", "dept"), 60).astype(float)})
    frame.loc[frame["b"] < 0, "b"] = np.nan
    ours = BlockCodes("b").index(frame)
    ref = recordlinkage.index.Block("b").index(frame)
    norm = {(min(x, y), max(x, y)) for x, y in ours}
    assert len(norm) == len(ours) > 0
    assert norm == {(min(x, y), max(x, y)) for x, y in ref}


def test_coded_comparisons_match_string_features(data):
    import recordlinkage
    from grc.dedup.link import (
        CodedNameFeature,
        CodedPhoneFeature,
        CodedSimilarity,
        _candidate_positions,
        _coded_keys,
        _keys,
    )
    from rapidfuzz.distance import JaroWinkler

    k = _keys(data.drop(columns=["entity"]))
    pairs = _candidate_positions(k)
    coded = _coded_keys(k)
    labels = ["first_sim", "last_sim", "swapped", "initial", "first_val", "last_val"]
    ref = recordlinkage.Compare()
    ref.add(R.NameFeature(label=labels))
    ref.add(R.JaroWinklerBatch("city", "city", label="city"))
    ref.add(R.PhoneFeature(label="phone"))
    new = recordlinkage.Compare()
    new.add(CodedNameFeature(coded.vocab["name"], label=labels))
    new.add(CodedSimilarity("city", "city", coded.vocab["city"],
                            JaroWinkler.normalized_similarity, label="city"))
    new.add(CodedPhoneFeature(coded.vocab["tel"], label="phone"))
    a, b = ref.compute(pairs, k), new.compute(pairs, coded.frame)
    assert a["initial"].any() and a["swapped"].any()
    pd.testing.assert_frame_equal(a.fillna(-1).astype(str), b.fillna(-1).astype(str))
