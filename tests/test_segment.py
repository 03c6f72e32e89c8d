"""Tests for grc.segment.segmentation: mapping, derived criteria, clustering, report helpers."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from grc.config import load_segmentation, project_root
from grc.segment import segmentation as sg

REF = dt.date(2025, 12, 31)


@pytest.fixture(scope="module")
def segmentation():
    return load_segmentation(project_root() / "params" / "segmentation.yaml")


def _contacts():
    return pd.DataFrame({
        "contact_id": ["C1", "C2", "C3", "C4", "C5"],
        "segment": ["SCO-PRIM", "IND-FAM", None, "PRO-SEM", "SPO-CLUB"],
        "kind": [None, None, "B2C", None, None],
        "civility": ["M", "MME", None, "M", "MME"],
        "position": ["Directeur", None, None, "DRH", None],
        "department": ["86", "75", None, "33", "13"],
        "region": ["Nouvelle-Aquitaine", "Île-de-France", None, "Nouvelle-Aquitaine",
                   "Provence-Alpes-Côte d'Azur"],
        "postcode": ["86390", "75011", None, "33000", "13001"],
        "employees": [None, None, None, 250, 9],
        "centres": ["LAT", "LAT;PAR", "PAR", "LAT", "PAR"],
    })


def _stays():
    return pd.DataFrame({
        "contact_id": ["C1", "C1", "C1", "C2", "C4", "C5"],
        "centre": ["LAT", "LAT", "PAR", "PAR", "LAT", "PAR"],
        "arrival": pd.to_datetime(["2025-04-07", "2024-05-06", "2023-07-01", "2026-02-06",
                                   "2020-10-02", "2023-06-01"]),
        "nights": [4, 4, 1, 2, 2, 3],
        "persons": [50, 45, 30, 4, 20, 12],
        "amount": [5000.0, 4500.0, 900.0, 300.0, 2000.0, 1200.0],
        "product": ["Classe", "Classe", "Nuitée", "Nuitée", "Séminaire", "Stage"],
    })


COMMUNES = pd.DataFrame({
    "postcode": ["86390", "75011", "33000", "13001", "86000"],
    "lat": [46.42, 48.86, 44.84, 43.30, 46.58],
    "lon": [0.83, 2.38, -0.58, 5.38, 0.34],
})
LOCS = pd.DataFrame({"centre": ["LAT", "PAR"], "lat": [46.41, 48.85], "lon": [0.82, 2.35]})


@pytest.fixture()
def criteria(segmentation):
    return sg.derive_criteria(_contacts(), _stays(), segmentation, REF, LOCS, communes=COMMUNES)


def test_mapping_label_family_kind(criteria):
    c = criteria.set_index("contact_id")
    assert c.loc["C1", "segment_label"] == "École élémentaire (classes de découverte)"
    assert c.loc["C1", "family"] == "Scolaires"
    assert c.loc["C1", "kind"] == "B2B"
    assert c.loc["C2", "kind"] == "B2C" and c.loc["C2", "family"] == "Individuels"
    # unmapped segment keeps the given kind, labelled as not segmented
    assert c.loc["C3", "kind"] == "B2C" and c.loc["C3", "segment_label"] == "Non segmenté"
    assert list(criteria.columns) == sg.CRITERIA_COLUMNS
    assert len(criteria) == 5 and criteria["contact_id"].is_unique


def test_haversine_and_distance_band():
    # Paris - Lyon is about 392 km
    d = sg.haversine_km(48.8566, 2.3522, 45.7640, 4.8357)
    assert 385 < float(d) < 400
    bands = sg.distance_band([0, 49.9, 50, 149.9, 150, 300, 599.9, 600, np.nan, -1])
    assert bands.tolist() == ["< 50 km", "< 50 km", "50–150 km", "50–150 km", "150–300 km",
                              "300–600 km", "300–600 km", "> 600 km", "inconnue", "inconnue"]


def test_distance_to_most_frequent_centre(criteria):
    c = criteria.set_index("contact_id")
    # C1 stayed twice at LAT, once at PAR: LAT is its centre, it lives next door
    assert c.loc["C1", "ref_centre"] == "LAT" and c.loc["C1", "distance_band"] == "< 50 km"
    # C2 is linked to LAT and PAR, stayed at PAR (Paris 11e)
    assert c.loc["C2", "ref_centre"] == "PAR" and c.loc["C2", "distance_km"] < 10
    # Bordeaux -> Lathus about 200 km
    assert c.loc["C4", "distance_band"] == "150–300 km"
    # no postcode -> unknown
    assert c.loc["C3", "distance_band"] == "inconnue"


def test_distance_tie_goes_to_nearest_centre(segmentation):
    contacts = pd.DataFrame({"contact_id": ["X"], "segment": ["SCO-COL"], "lat": [46.5],
                             "lon": [0.8], "centres": ["PAR;LAT"]})
    stays = pd.DataFrame(columns=["contact_id", "centre", "arrival", "nights", "persons"])
    cr = sg.derive_criteria(contacts, stays, segmentation, REF, LOCS)
    assert cr.loc[0, "ref_centre"] == "LAT"
    assert cr.loc[0, "lifecycle"] == "prospect"


def test_size_band_edges():
    vals = [0, 1, 9, 10, 19, 20, 49, 50, 99, 100, 199, 200, 499, 500, 999, 1000, 4999, 5000,
            120000, None, -3]
    assert sg.size_band(vals).tolist() == [
        "0 salarié", "1–9", "1–9", "10–19", "10–19", "20–49", "20–49", "50–99", "50–99",
        "100–199", "100–199", "200–499", "200–499", "500–999", "500–999", "1000–4999",
        "1000–4999", "5000+", "5000+", "inconnue", "inconnue"]


def test_size_band_in_criteria(criteria):
    c = criteria.set_index("contact_id")
    assert c.loc["C4", "size_band"] == "200–499"
    assert c.loc["C5", "size_band"] == "1–9"
    assert c.loc["C1", "size_band"] == "inconnue"


def test_lifecycle_thresholds():
    ref = pd.Timestamp(REF)
    first = pd.to_datetime(["2025-06-01", "2023-01-01", "2022-01-01", "2022-01-01", "2020-01-01",
                            "2020-01-01", None, None, "2024-12-31", "2024-12-30"])
    last = pd.to_datetime(["2025-06-01", "2025-03-01", "2024-12-30", "2022-12-31", "2022-12-30",
                           "2020-01-01", None, None, "2024-12-31", "2024-12-30"])
    nxt = pd.to_datetime([None, None, None, None, None, None, None, "2026-03-01", None, None])
    lc = sg.lifecycle(pd.Series(first), pd.Series(last), pd.Series(nxt), ref)
    assert lc.tolist() == ["nouveau", "actif", "en sommeil", "en sommeil", "perdu", "perdu",
                           "prospect", "nouveau", "nouveau", "en sommeil"]
    assert sg.ACTIVE_MONTHS == 12 and sg.LAPSED_MONTHS == 36


def test_lifecycle_in_criteria(criteria):
    c = criteria.set_index("contact_id")
    assert c.loc["C1", "lifecycle"] == "actif"       # first stay 2023, last April 2025
    assert c.loc["C2", "lifecycle"] == "nouveau"     # only a booked stay to come
    assert c.loc["C2", "next_arrival"] == pd.Timestamp("2026-02-06")
    assert c.loc["C2", "n_stays"] == 0               # future stays are not counted as past
    assert c.loc["C3", "lifecycle"] == "prospect"
    assert c.loc["C4", "lifecycle"] == "perdu"
    assert c.loc["C5", "lifecycle"] == "en sommeil"


def test_season_and_main_season(criteria):
    months = pd.Series(pd.to_datetime([f"2025-{m:02d}-15" for m in range(1, 13)]))
    assert sg.season(months).tolist() == (
        ["hiver"] * 2 + ["printemps"] * 3 + ["été"] * 3 + ["automne"] * 3 + ["hiver"])
    c = criteria.set_index("contact_id")
    assert c.loc["C1", "main_season"] == "printemps"
    assert c.loc["C1", "share_printemps"] == pytest.approx(2 / 3)
    assert c.loc["C4", "main_season"] == "automne"
    assert c.loc["C3", "main_season"] == "inconnue"


def test_weekend_nights_and_day_band():
    arrival = pd.Series(pd.to_datetime(["2025-04-07", "2025-04-11", "2025-04-12", "2025-04-05",
                                        "2025-04-10"]))  # Mon, Fri, Sat, Sat, Thu
    nights = pd.Series([4, 2, 1, 7, 14])
    assert sg.weekend_nights(arrival, nights).tolist() == [0, 2, 1, 2, 4]
    assert sg.day_band(pd.Series([0.0, 0.19, 0.2, 0.6, 0.61, np.nan])).tolist() == [
        "semaine", "semaine", "semaine et week-end", "semaine et week-end", "week-end", "inconnue"]


def test_behaviour_means_group_band_product(criteria):
    c = criteria.set_index("contact_id")
    assert c.loc["C1", "mean_nights"] == pytest.approx(3.0)
    assert c.loc["C1", "mean_persons"] == pytest.approx(125 / 3)
    assert c.loc["C1", "group_band"] == "20–49 (groupes)"
    assert c.loc["C1", "main_product"] == "Classe"
    assert c.loc["C1", "day_band"] == "semaine"
    assert c.loc["C4", "day_band"] == "week-end"   # Fri 2 nights
    assert sg.group_band([1, 4.9, 5, 19, 20, 49, 50, None]).tolist() == [
        "1–4 (individuels, familles)", "1–4 (individuels, familles)", "5–19 (petits groupes)",
        "5–19 (petits groupes)", "20–49 (groupes)", "20–49 (groupes)", "50+ (grands groupes)",
        "inconnue"]


def _blobs(seed=0, n=60):
    rng = np.random.default_rng(seed)
    centres = [
        # n_stays, nights, persons, weekend, printemps, été, automne, hiver
        [1, 4, 60, 0.0, 1, 0, 0, 0],
        [4, 2, 15, 0.9, 0, 0, 1, 0],
        [1, 7, 4, 0.3, 0, 1, 0, 0],
    ]
    rows = []
    for c in centres:
        rows.append(np.array(c, dtype=float) + rng.normal(0, 0.05, size=(n, 8)) * [1, 1, 3, 0.2, 0.2, 0.2, 0.2, 0.2])
    x = np.vstack(rows)
    f = pd.DataFrame(x, columns=sg.BEHAVIOUR_FEATURES)
    f.index = [f"C{i:03d}" for i in range(len(f))]
    return f


def test_clusters_find_three_blobs_deterministically():
    from grc.pipeline.integrate import run_parts

    f = _blobs()
    r1 = sg.behaviour_clusters(f, k_range=range(2, 7))
    # the fits and silhouettes shared with a forked helper (as the pipeline does): the same
    r2 = sg.behaviour_clusters(f, k_range=range(2, 7), run=lambda jobs: run_parts(jobs, workers=1))
    assert r1.k == 3
    assert r1.labels.equals(r2.labels)
    assert r1.silhouette == r2.silhouette and list(r1.silhouette) == list(r2.silhouette)
    assert (r1.ari_mean, r1.ari_min, r1.caveat) == (r2.ari_mean, r2.ari_min, r2.caveat)
    pd.testing.assert_frame_equal(r1.profiles, r2.profiles, check_exact=True)
    assert r1.ari_mean == pytest.approx(1.0) and r1.ari_min == pytest.approx(1.0)
    assert max(r1.silhouette, key=r1.silhouette.get) == 3
    # each blob is one cluster
    for i in range(3):
        assert r1.labels.iloc[i * 60:(i + 1) * 60].nunique() == 1
    assert r1.profiles["size"].tolist() == [60, 60, 60]
    assert "forte" in r1.caveat or "raisonnable" in r1.caveat
    desc = r1.descriptions
    d_big = desc[int(r1.labels.iloc[0])]
    assert d_big.startswith("Groupes nombreux") and "en semaine" in d_big and "au printemps" in d_big
    assert "le week-end" in desc[int(r1.labels.iloc[60])]
    assert "fidèles" in desc[int(r1.labels.iloc[60])]


def test_clusters_gmm_alternative_and_missing_rows():
    f = _blobs()
    f.loc["PROSPECT"] = np.nan
    r = sg.behaviour_clusters(f, k_range=range(2, 6), method="gmm")
    assert r.k == 3 and r.method == "gmm"
    assert pd.isna(r.labels["PROSPECT"])
    assert r.labels.drop("PROSPECT").notna().all()


def test_clusters_weak_structure_caveat():
    rng = np.random.default_rng(1)
    f = pd.DataFrame(rng.uniform(size=(200, 8)), columns=sg.BEHAVIOUR_FEATURES)
    r = sg.behaviour_clusters(f, k_range=range(2, 5))
    assert r.k in (2, 3, 4)
    sil = r.silhouette[r.k]
    assert sil < 0.5
    # plain French for reviewers: the strength in words, the silhouette kept for analysts
    assert "structure" in r.caveat and sg.fr_number(sil) not in r.caveat
    assert "tendance" in r.caveat


def test_clusters_too_few_rows():
    f = _blobs().iloc[:2]
    r = sg.behaviour_clusters(f)
    assert r.k is None and r.labels.isna().all() and "non calculée" in r.caveat


def test_segment_table(criteria, segmentation):
    feats = criteria.set_index("contact_id")
    clusters = sg.behaviour_clusters(feats, k_range=range(2, 3))
    table = sg.segment_table(criteria, clusters)
    assert list(table.columns) == sg.SEGMENTS_COLUMNS
    assert table["contact_id"].tolist() == criteria["contact_id"].tolist()
    # prospects and booked-only contacts have no cluster
    t = table.set_index("contact_id")
    assert pd.isna(t.loc["C3", "cluster"]) and pd.isna(t.loc["C2", "cluster"])
    assert t.loc["C1", "cluster"] in (1, 2) and isinstance(t.loc["C1", "cluster_label"], str)
    assert sg.segment_table(criteria)["cluster"].isna().all()


def test_report_helpers(criteria):
    contacts, stays = _contacts(), _stays()
    mem = sg.centre_membership(contacts)
    assert len(mem) == 6
    mem = sg.centre_membership(contacts, stays)   # C1 also stayed at PAR
    assert len(mem) == 7
    mix = sg.segment_mix(criteria, mem, centre="LAT")
    assert set(mix["scope"]) == {"LAT", "NETWORK"}
    assert mix.groupby("scope")["share"].sum().round(9).eq(1).all()
    lat = mix[mix["scope"] == "LAT"].set_index("segment")["contacts"]
    assert lat.to_dict() == {"SCO-PRIM": 1, "IND-FAM": 1, "PRO-SEM": 1}
    assert set(sg.segment_mix(criteria, mem)["scope"]) == {"LAT", "PAR", "NETWORK"}

    years = sg.mix_by_year(stays, criteria)
    y25 = years[years["year"] == 2025]
    assert y25["clients"].sum() == 1 and y25["nuitees"].sum() == 200

    top = sg.flagship_products(stays, criteria, top=1)
    scol = top[top["segment_label"].str.startswith("École")].iloc[0]
    assert scol["product"] == "Classe" and scol["stays"] == 2

    dep = sg.clients_by_area(criteria, "department")
    assert dep.set_index("department")["contacts"].to_dict() == {"86": 1, "33": 1, "13": 1}
    reg = sg.clients_by_area(criteria, "region", membership=mem, centre="PAR", clients_only=False)
    assert reg["contacts"].sum() == 4

    seas = sg.seasonality(stays, criteria)
    assert len(seas) == 12 * seas["family"].nunique()
    assert seas.loc[(seas["family"] == "Scolaires") & (seas["month"] == 4), "stays"].item() == 1
    only_lat = sg.seasonality(stays, criteria, centre="LAT")
    assert only_lat["stays"].sum() == 3


def test_centre_locations_from_postcodes():
    loc = sg.centre_locations_from_postcodes({"LAT": "86390", "XXX": None}, COMMUNES)
    assert loc["centre"].tolist() == ["LAT"]
    assert loc.loc[0, "lat"] == pytest.approx(46.42)


def test_compute_segments(segmentation):
    table, clusters = sg.compute_segments(_contacts(), _stays(), segmentation, REF, LOCS,
                                          communes=COMMUNES, k_range=range(2, 3))
    assert list(table.columns) == sg.SEGMENTS_COLUMNS and len(table) == 5
    assert clusters.k == 2
    assert table["cluster"].notna().sum() == 3   # C1, C4, C5 have past stays


def test_silhouettes_equal_sklearn_exactly():
    """The distances are computed once for every partition, the scores stay sklearn's."""
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(3)
    x = rng.normal(size=(700, 5))
    parts = {k: rng.integers(0, k, len(x)) for k in (2, 3, 6)}
    for sample in (None, 400):
        got = sg.silhouettes(x, parts, sample_size=sample, random_state=5)
        want = {k: float(silhouette_score(x, lab, sample_size=sample, random_state=5))
                for k, lab in parts.items()}
        assert got == want
    one_row = {9: np.r_[np.zeros(699, dtype=int), 1]}  # a one-row cluster scores 0
    assert sg.silhouettes(x, one_row) == {9: float(silhouette_score(x, one_row[9]))}
    with pytest.raises(ValueError):
        sg.silhouettes(x, {1: np.zeros(700, dtype=int)})
