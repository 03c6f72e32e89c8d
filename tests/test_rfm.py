"""RFM grids, fixed-grid scoring, quantile variant and R/F/M from stays."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from grc.config import ConfigError
from grc.rfm.scores import (
    RFM_COLUMNS,
    GridError,
    compute_rfm,
    in_window,
    load_grid,
    months_between,
    parse_grid,
    quantile_levels,
    quantile_score,
    rfm_table,
    score,
)

ROOT = Path(__file__).resolve().parents[1]
OMNICOM = ROOT / "params" / "rfm" / "omnicom.yaml"
DOSETTES = ROOT / "params" / "rfm" / "dosettes.yaml"
NETWORK_GRID = ROOT / "params" / "rfm" / "network.yaml"
EPS = 1e-6


@pytest.fixture(scope="module")
def omnicom():
    return load_grid(OMNICOM)


@pytest.fixture(scope="module")
def dosettes():
    return load_grid(DOSETTES)


def _one(grid, recency=np.nan, frequency=np.nan, monetary=np.nan) -> pd.Series:
    frame = pd.DataFrame(
        {"recency_months": [recency], "frequency": [frequency], "monetary": [monetary]}
    )
    return score(frame, grid).iloc[0]


# ---------------------------------------------------------------- course grid, Annexe 8

@pytest.mark.parametrize(
    "value, points",
    [(0, 10), (3 - EPS, 10), (3, 5), (3 + EPS, 5), (12 - EPS, 5), (12, 5), (12 + EPS, 0),
     (100, 0)],
)
def test_omnicom_recency_boundaries(omnicom, value, points):
    assert _one(omnicom, recency=value)["r_score"] == points


@pytest.mark.parametrize(
    "value, points",
    [(0, 0), (1 - EPS, 0), (1, 10), (1 + EPS, 10), (4 - EPS, 10), (4, 10), (4 + EPS, 20),
     (52, 20)],
)
def test_omnicom_frequency_boundaries(omnicom, value, points):
    assert _one(omnicom, frequency=value)["f_score"] == points


@pytest.mark.parametrize(
    "value, points",
    [(0, 0), (25 - 0.01, 0), (25, 10), (25 + 0.01, 10), (100 - 0.01, 10), (100, 10),
     (100 + 0.01, 20), (5000, 20)],
)
def test_omnicom_monetary_boundaries(omnicom, value, points):
    assert _one(omnicom, monetary=value)["m_score"] == points


@pytest.mark.parametrize(
    "total, label",
    [(0, "Clients inactifs"), (EPS, "Clients tièdes"), (1, "Clients tièdes"),
     (24, "Clients tièdes"), (24.5, "Clients tièdes"), (25 - EPS, "Clients tièdes"),
     (25, "Bons clients"), (25 + EPS, "Bons clients"), (40 - EPS, "Bons clients"),
     (40, "Bons clients"), (40 + EPS, "Très bons clients"), (45, "Très bons clients"),
     (50, "Très bons clients")],
)
def test_omnicom_categories_boundaries(omnicom, total, label):
    assert omnicom.category_of(total) == label


def test_omnicom_categories_cover_every_sum(omnicom):
    for total in np.linspace(0, 50, 5001):
        assert omnicom.category_of(float(total)) is not None, total
    assert omnicom.min_score == 0 and omnicom.max_score == 50
    assert omnicom.observation_window_months == 12
    assert omnicom.criteria["frequency"].unit == "per_year"
    assert omnicom.criteria["monetary"].unit == "average"


def test_omnicom_reachable_sums_and_categories(omnicom):
    rec = [1, 6, 24]
    freq = [6, 2, 0]
    mon = [150, 50, 10]
    grid = pd.DataFrame(
        [(r, f, m) for r in rec for f in freq for m in mon],
        columns=["recency_months", "frequency", "monetary"],
    )
    out = score(grid, omnicom)
    assert set(out["rfm_score"]) == {0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50}
    by_sum = out.groupby("rfm_score")["category"].unique()
    assert list(by_sum[0]) == ["Clients inactifs"]
    assert list(by_sum[20]) == ["Clients tièdes"]
    assert list(by_sum[25]) == ["Bons clients"]
    assert list(by_sum[40]) == ["Bons clients"]
    assert list(by_sum[45]) == ["Très bons clients"]
    assert out["rfm_score"].equals(out["r_score"] + out["f_score"] + out["m_score"])


# ---------------------------------------------------------------- worked example (dosettes)

def test_dosettes_worked_example_scores_15(dosettes):
    row = _one(dosettes, recency=1, frequency=3, monetary=75)
    assert (row["r_score"], row["f_score"], row["m_score"]) == (5, 5, 5)
    assert row["rfm_score"] == 15


def test_dosettes_worked_example_from_purchases(dosettes):
    # 3 boxes bought in the last 3 months at 75 EUR on average
    ref = dt.date(2025, 6, 30)
    stays = pd.DataFrame({
        "contact_id": ["client"] * 3,
        "centre": ["X"] * 3,
        "arrival": pd.to_datetime(["2025-04-15", "2025-05-15", "2025-06-15"]),
        "amount": [70.0, 75.0, 80.0],
        "nights": [0] * 3,
        "persons": [1] * 3,
    })
    rfm = compute_rfm(stays, ref, dosettes)
    assert rfm.loc["client", "frequency"] == 3
    assert rfm.loc["client", "monetary"] == pytest.approx(75)
    assert score(rfm, dosettes).loc["client", "rfm_score"] == 15
    # the "per month" reading of the table gives 12, as documented in the grid file
    data = yaml.safe_load(DOSETTES.read_text(encoding="utf-8"))
    data["criteria"]["frequency"]["unit"] = "per_month"
    per_month = parse_grid(data, "dosettes-par-mois.yaml")
    rfm_pm = compute_rfm(stays, ref, per_month)
    assert rfm_pm.loc["client", "frequency"] == pytest.approx(1)
    assert score(rfm_pm, per_month).loc["client", "rfm_score"] == 12


@pytest.mark.parametrize(
    "value, points",
    [(0, 5), (3 - EPS, 5), (3, 2), (3 + EPS, 2), (6 - EPS, 2), (6, 2), (6 + EPS, 0)],
)
def test_dosettes_recency_boundaries(dosettes, value, points):
    assert _one(dosettes, recency=value)["r_score"] == points


@pytest.mark.parametrize(
    "value, points",
    [(0, 0), (1 - EPS, 0), (1, 2), (1 + EPS, 2), (2 - EPS, 2), (2, 2), (2 + EPS, 5), (3, 5)],
)
def test_dosettes_frequency_boundaries(dosettes, value, points):
    assert _one(dosettes, frequency=value)["f_score"] == points


@pytest.mark.parametrize(
    "value, points",
    [(0, 0), (20 - 0.01, 0), (20, 2), (20 + 0.01, 2), (50 - 0.01, 2), (50, 2), (50 + 0.01, 5)],
)
def test_dosettes_monetary_boundaries(dosettes, value, points):
    assert _one(dosettes, monetary=value)["m_score"] == points


# ---------------------------------------------------------------- missing values

def test_missing_values_score_zero_and_inactive(omnicom):
    row = _one(omnicom, recency=np.nan, frequency=0, monetary=np.nan)
    assert (row["r_score"], row["f_score"], row["m_score"], row["rfm_score"]) == (0, 0, 0, 0)
    assert row["category"] == "Clients inactifs"


def test_score_keeps_input_and_returns_copy(omnicom):
    frame = pd.DataFrame({"contact_id": ["a", "b"], "recency_months": [1, 20],
                          "frequency": [5, 0.5], "monetary": [150, 10]})
    out = score(frame, omnicom)
    assert "r_score" not in frame.columns
    assert list(out["contact_id"]) == ["a", "b"]
    assert list(out["rfm_score"]) == [50, 0]
    assert list(out["category"]) == ["Très bons clients", "Clients inactifs"]


def test_score_requires_columns(omnicom):
    with pytest.raises(KeyError, match="monetary"):
        score(pd.DataFrame({"recency_months": [1], "frequency": [1]}), omnicom)


# ---------------------------------------------------------------- grid refusal

def _grid_data() -> dict:
    return yaml.safe_load(OMNICOM.read_text(encoding="utf-8"))


def test_gap_between_bins_is_refused(tmp_path):
    data = _grid_data()
    data["criteria"]["monetary"]["bins"][1]["min"] = 30  # 25..30 has no bin
    path = tmp_path / "trou.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(GridError) as err:
        load_grid(path)
    msg = str(err.value)
    assert "trou.yaml" in msg and "monetary" in msg and "trou" in msg
    assert "25" in msg and "30" in msg


def test_overlap_between_bins_is_refused(tmp_path):
    data = _grid_data()
    data["criteria"]["recency"]["bins"][1]["max"] = 15  # 12..15 in two bins
    path = tmp_path / "chevauche.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(GridError, match=r"chevauche\.yaml.*recency.*chevauchement.*12.*15"):
        load_grid(path)


def test_shared_inclusive_bound_is_an_overlap():
    data = _grid_data()
    data["criteria"]["frequency"]["bins"][2]["min_inclusive"] = True  # 4 in both bins
    with pytest.raises(GridError, match=r"frequency.*la valeur 4 est incluse dans les deux"):
        parse_grid(data, "g.yaml")


def test_shared_exclusive_bound_is_a_gap():
    data = _grid_data()
    data["criteria"]["frequency"]["bins"][1]["min_inclusive"] = False  # 1 in no bin
    with pytest.raises(GridError, match=r"frequency.*la valeur 1 n'est incluse dans aucune"):
        parse_grid(data, "g.yaml")


def test_category_gap_is_refused():
    data = _grid_data()
    data["categories"][1]["min"] = 26  # ]25;26[ : no category
    with pytest.raises(GridError, match=r"g\.yaml, catégories.*trou.*25.*26"):
        parse_grid(data, "g.yaml")


def test_category_overlap_is_refused():
    data = _grid_data()
    data["categories"][3]["max"] = 1  # inactifs ]-inf;1] overlaps tièdes ]0;25[
    with pytest.raises(GridError, match="catégories.*chevauchement"):
        parse_grid(data, "g.yaml")


def test_categories_must_reach_max_score():
    data = _grid_data()
    data["categories"][0]["max"] = 45
    data["categories"][0]["max_inclusive"] = True
    with pytest.raises(GridError, match="catégories.*50"):
        parse_grid(data, "g.yaml")


def test_open_top_bin_required_and_bad_unit():
    data = _grid_data()
    data["criteria"]["monetary"]["bins"][2]["max"] = 1000
    with pytest.raises(GridError, match="monetary.*1\u00a0000"):
        parse_grid(data, "g.yaml")
    data = _grid_data()
    data["criteria"]["frequency"]["unit"] = "per_week"
    with pytest.raises(GridError, match="per_week"):
        parse_grid(data, "g.yaml")


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="introuvable"):
        load_grid(tmp_path / "absent.yaml")


def test_network_grid_loads_and_scores_typical_clients():
    grid = load_grid(NETWORK_GRID)
    assert grid.observation_window_months == 36
    assert 4 <= len(grid.categories) <= 5
    frame = pd.DataFrame({
        "recency_months": [6, 6, 30, np.nan],
        "frequency": [1.0, 1 / 3, 1 / 3, 0.0],  # yearly school, one stay, one stay, none
        "monetary": [8000, 4000, 4000, np.nan],
    })
    out = score(frame, grid)
    assert list(out["rfm_score"]) == [50, 35, 20, 0]
    assert out["category"].iloc[0] == grid.category_order()[0]
    assert out["category"].iloc[3] == "Clients inactifs"
    for total in np.linspace(grid.min_score, grid.max_score, 601):
        assert grid.category_of(float(total)) is not None


# ---------------------------------------------------------------- quantile variant

def _frame(recency, frequency, monetary, ids=None) -> pd.DataFrame:
    ids = ids if ids is not None else [f"c{i:03d}" for i in range(len(recency))]
    return pd.DataFrame({"contact_id": ids, "recency_months": recency,
                         "frequency": frequency, "monetary": monetary})


def test_quantile_row_order_invariance():
    rng = np.random.default_rng(42)
    n = 200
    frame = _frame(rng.integers(0, 36, n).astype(float), rng.choice([1, 1, 1, 2, 3, 5], n),
                   rng.choice([500.0, 2000.0, 2000.0, 8000.0], n))
    ref = quantile_score(frame).set_index("contact_id")
    for seed in range(5):
        shuffled = frame.sample(frac=1, random_state=seed).reset_index(drop=True)
        out = quantile_score(shuffled).set_index("contact_id").loc[ref.index]
        for col in ("r_q", "f_q", "m_q", "rfm_code", "segment_label"):
            assert out[col].tolist() == ref[col].tolist(), col
    # identical inputs, identical scores
    same = ref.groupby(["recency_months", "frequency", "monetary"])["rfm_code"].nunique()
    assert (same == 1).all()


def test_quantile_half_at_frequency_one():
    n = 100
    freq = [1] * 50 + [2] * 20 + [3] * 15 + [6] * 15
    frame = _frame(np.arange(n, dtype=float), freq, np.linspace(100, 10000, n))
    out = quantile_score(frame)
    assert out.loc[out["frequency"] == 1, "f_q"].unique().tolist() == [1]
    assert out.loc[out["frequency"] == 2, "f_q"].unique().tolist() == [3]
    assert out.loc[out["frequency"] == 3, "f_q"].unique().tolist() == [4]
    assert out.loc[out["frequency"] == 6, "f_q"].unique().tolist() == [5]
    assert out["f_q"].is_monotonic_increasing
    # recency: most recent gets 5, distinct values give an even split
    assert out["r_q"].value_counts().tolist() == [20] * 5
    assert out.loc[0, "r_q"] == 5 and out.loc[n - 1, "r_q"] == 1


def test_quantile_all_equal_and_one_client():
    out = quantile_score(_frame([5.0] * 10, [1] * 10, [300.0] * 10))
    assert out[["r_q", "f_q", "m_q"]].nunique().tolist() == [1, 1, 1]
    assert out["rfm_code"].unique().tolist() == ["111"]
    one = quantile_score(_frame([2.0], [1], [1500.0]))
    assert one[["r_q", "f_q", "m_q"]].iloc[0].tolist() == [1, 1, 1]
    assert one["segment_label"].iloc[0] == "Perdus"
    empty = quantile_score(_frame([], [], []))
    assert empty.empty and "rfm_code" in empty.columns


def test_quantile_missing_values_are_worst():
    out = quantile_score(_frame([1.0, np.nan, 3.0], [2, np.nan, 1], [100.0, np.nan, 50.0]))
    assert out.loc[1, ["r_q", "f_q", "m_q"]].tolist() == [1, 1, 1]
    assert out.loc[0, "r_q"] > out.loc[2, "r_q"]


def test_quantile_levels_formula_and_segments():
    values = pd.Series([10, 20, 30, 40, 50, 60, 70, 80, 90, 100])
    assert quantile_levels(values).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert quantile_levels(values, higher_is_better=False).tolist() == [5, 5, 4, 4, 3, 3, 2, 2,
                                                                        1, 1]
    assert quantile_levels(values, n=3).max() == 3
    frame = _frame([1.0, 2, 3, 4, 5] * 2, [5, 4, 3, 2, 1, 1, 2, 3, 4, 5], [1.0] * 10)
    out = quantile_score(frame)
    labels = dict(zip(out["r_q"].astype(str) + out["f_q"].astype(str), out["segment_label"],
                      strict=True))
    assert labels["55"] == "Champions"
    assert labels["15"] == "À ne pas perdre"
    assert labels["51"] == "Nouveaux venus"  # not the measure « Nouveaux clients de l'année »
    assert out["segment_label"].notna().all()


def test_every_rf_pair_has_a_segment():
    r, f = np.meshgrid(np.arange(1, 6), np.arange(1, 6))
    frame = pd.DataFrame({"r_q": r.ravel(), "f_q": f.ravel()})
    from grc.rfm.scores import SEGMENT_MAP
    rf = frame["r_q"].astype(str) + frame["f_q"].astype(str)
    for code in rf:
        assert any(pd.Series([code]).str.fullmatch(p).iloc[0] for p, _ in SEGMENT_MAP), code


# ---------------------------------------------------------------- from stays

def _stays() -> pd.DataFrame:
    rows = [
        # contact, centre, arrival, amount
        ("A", "C01", "2025-11-01", 4000.0),
        ("A", "C01", "2024-11-01", 3000.0),
        ("A", "C02", "2025-03-01", 5000.0),  # A is split across C01 and C02
        ("B", "C01", "2023-05-01", 2000.0),
        ("B", "C01", "2026-02-01", 9999.0),  # after the reference date: ignored
        ("C", "C02", "2022-01-15", 1000.0),  # outside the 36-month window
    ]
    frame = pd.DataFrame(rows, columns=["contact_id", "centre", "arrival", "amount"])
    frame["arrival"] = pd.to_datetime(frame["arrival"])
    frame["nights"] = 3
    frame["persons"] = 25
    return frame


REF = dt.date(2025, 12, 31)


def test_compute_rfm_values():
    grid = load_grid(NETWORK_GRID)
    rfm = compute_rfm(_stays(), REF, grid)
    assert list(rfm.columns) == ["contact_id", "recency_months", "frequency", "monetary",
                                 "n_stays", "total_amount", "last_stay"]
    a = rfm.loc["A"]
    assert a["last_stay"] == pd.Timestamp("2025-11-01")
    # calendar months (the window's rule): 2025-11-01 -> 2025-11-30 is one month, then 29 of
    # the 30 days to 2025-12-31 (was 60 days / 30.4375 = 1.971 before the window-edge fix)
    assert a["recency_months"] == pytest.approx(1 + 29 / 30)
    assert a["n_stays"] == 3 and a["total_amount"] == 12000
    assert a["frequency"] == pytest.approx(1.0)  # 3 stays over 3 years
    assert a["monetary"] == pytest.approx(4000)
    b = rfm.loc["B"]
    assert b["last_stay"] == pd.Timestamp("2023-05-01")  # the 2026 stay is ignored
    assert b["n_stays"] == 1 and b["monetary"] == 2000
    c = rfm.loc["C"]
    assert c["n_stays"] == 0 and c["frequency"] == 0 and np.isnan(c["monetary"])
    assert c["recency_months"] > 36


def test_compute_rfm_units_and_extra_keys():
    data = _grid_data()
    data["observation_window_months"] = 24
    data["criteria"]["monetary"]["unit"] = "total"
    grid = parse_grid(data, "g.yaml")
    rfm = compute_rfm(_stays(), pd.Timestamp(REF), grid, keys=["A", "B", "C", "Z"])
    assert rfm.loc["A", "frequency"] == pytest.approx(3 / 2)
    assert rfm.loc["A", "monetary"] == 12000
    assert rfm.loc["B", "n_stays"] == 0  # 2023-05-01 is older than 24 months
    assert np.isnan(rfm.loc["Z", "recency_months"]) and rfm.loc["Z", "frequency"] == 0
    assert score(rfm, grid).loc["Z", "category"] == "Clients inactifs"


def test_rfm_table_split_client_scored_once_at_network_scope():
    grid = load_grid(NETWORK_GRID)
    table = rfm_table(_stays(), REF, grid)
    assert list(table.columns) == RFM_COLUMNS
    assert set(table["scope"]) == {"C01", "C02", "NETWORK"}
    net = table[table["scope"] == "NETWORK"].set_index("contact_id")
    assert net.index.is_unique and sorted(net.index) == ["A", "B", "C"]
    # network: 3 stays in 3 years at 4000 on average
    assert net.loc["A", "frequency"] == pytest.approx(1.0)
    assert net.loc["A", "monetary"] == pytest.approx(4000)
    assert net.loc["A", "rfm_score"] == 20 + 15 + 10
    c01 = table[table["scope"] == "C01"].set_index("contact_id")
    c02 = table[table["scope"] == "C02"].set_index("contact_id")
    assert sorted(c01.index) == ["A", "B"] and sorted(c02.index) == ["A", "C"]
    assert c01.loc["A", "frequency"] == pytest.approx(2 / 3)
    assert c01.loc["A", "monetary"] == pytest.approx(3500)
    assert c02.loc["A", "frequency"] == pytest.approx(1 / 3)
    assert c02.loc["A", "recency_months"] > net.loc["A", "recency_months"]
    assert net.loc["A", "rfm_score"] > max(c01.loc["A", "rfm_score"], c02.loc["A", "rfm_score"])
    only = rfm_table(_stays(), REF, grid, centres=["C02"])
    assert set(only["scope"]) == {"C02", "NETWORK"}
    assert (only[only["scope"] == "NETWORK"]["contact_id"].tolist()
            == table[table["scope"] == "NETWORK"]["contact_id"].tolist())


def test_observation_window_bounds_and_date_objects(omnicom):
    # window [2024-12-31 ; 2025-12-31] for a 12-month grid (a stay exactly 12 months old is
    # in, as its recency of 12 months scores "3 to 12 months"); plain dates are accepted
    stays = pd.DataFrame({
        "contact_id": ["A"] * 4,
        "centre": ["X"] * 4,
        "arrival": [dt.date(2024, 12, 30), dt.date(2024, 12, 31), dt.date(2025, 1, 1),
                    dt.date(2025, 12, 31)],
        "amount": [5000.0, 1000.0, 30.0, 50.0],
        "nights": [1] * 4,
        "persons": [1] * 4,
    })
    rfm = compute_rfm(stays, REF, omnicom)
    assert rfm.loc["A", "n_stays"] == 3
    assert rfm.loc["A", "monetary"] == pytest.approx(360)
    assert rfm.loc["A", "recency_months"] == 0
    out = score(rfm, omnicom).loc["A"]
    assert (out["r_score"], out["f_score"], out["m_score"], out["category"]) == (
        10, 10, 20, "Bons clients")


@pytest.mark.parametrize(("ref", "last", "months", "inside"), [
    # exactly one year before: 12 months, in the window, 5 recency points
    ("2025-12-31", "2024-12-31", 12.0, True),
    ("2025-12-31", "2024-12-30", 12 + 1 / 31, False),
    ("2025-12-31", "2025-01-01", 11 + 30 / 31, True),
    # leap years: the year before spans 29 February (366 days) and still counts as 12 months
    ("2024-12-31", "2023-12-31", 12.0, True),
    ("2024-12-31", "2023-12-30", 12 + 1 / 31, False),
    ("2024-02-29", "2023-02-28", 12.0, True),  # 29 Feb -> 28 Feb of the year before
    ("2024-02-29", "2023-02-27", 12 + 1 / 30, False),
    ("2025-02-28", "2024-02-28", 12.0, True),
    ("2025-02-28", "2024-02-29", 11 + 28 / 29, True),
    ("2025-02-28", "2024-02-27", 12 + 1 / 31, False),  # 28 Jan -> 28 Feb 2024: 31 days
    ("2025-03-01", "2024-02-29", 12 + 1 / 29, False),
    ("2025-03-01", "2024-03-01", 12.0, True),
])
def test_window_edge_recency_and_frequency_agree(omnicom, ref, last, months, inside):
    stays = pd.DataFrame({"contact_id": ["A"], "centre": ["X"], "arrival": [last],
                          "amount": [50.0]})
    rfm = compute_rfm(stays, ref, omnicom)
    assert rfm.loc["A", "recency_months"] == pytest.approx(months, abs=1e-12)
    assert rfm.loc["A", "n_stays"] == int(inside)
    out = score(rfm, omnicom).loc["A"]
    # "within 12 months" on recency iff the stay counts in the 12-month frequency and basket
    assert (out["r_score"] == 5) == inside
    assert (out["f_score"] == 10) == inside and (out["m_score"] == 10) == inside
    assert in_window([last], ref, 12)[0] == inside
    scoped = rfm_table(stays, ref, omnicom)
    assert (scoped["r_score"] == 5).tolist() == [inside, inside]  # centre and NETWORK


def test_months_between_matches_datedif_and_is_monotone():
    ref = pd.Timestamp("2025-12-31")
    days = pd.date_range("2019-01-01", ref, freq="D")
    m = months_between(days, ref)
    assert (np.diff(m) < 0).all()  # later stay, fewer months
    assert m[-1] == 0 and np.isnan(months_between([pd.NaT], ref)[0])
    for d, whole in (("2025-10-31", 2), ("2025-11-30", 1), ("2020-02-29", 70)):
        assert int(months_between([d], ref)[0]) == whole


def _random_stays(seed: int = 7, n: int = 600) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    arrival = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 1900, n), unit="D")
    amount = rng.integers(100, 9000, n) + rng.integers(0, 100, n) / 100
    amount[rng.random(n) < 0.1] = np.nan  # unknown amounts
    return pd.DataFrame({
        "centre": rng.choice(["C03", "C01", "C02", "C04"], n),
        "contact_id": rng.choice([f"K{i:03d}" for i in range(80)], n),
        "arrival": arrival,  # some after the reference date, same-day ties
        "amount": amount,
    })


@pytest.mark.parametrize("monetary, frequency, window", [
    ("average", "per_year", 12), ("total", "total", 24), ("last", "per_month", 7.5)])
def test_rfm_table_equals_one_scope_at_a_time(monetary, frequency, window):
    """All centres scored at once give exactly the per-scope ``compute_rfm`` + ``score``."""
    data = _grid_data()
    data["observation_window_months"] = window
    data["criteria"]["monetary"]["unit"] = monetary
    data["criteria"]["frequency"]["unit"] = frequency
    grid = parse_grid(data, "g.yaml")
    stays = _random_stays()
    for centres in (None, ["C04", "C01", "C09"]):
        blocks = []
        for scope in [*(centres or sorted(stays["centre"].unique())), "NETWORK"]:
            part = stays if scope == "NETWORK" else stays[stays["centre"] == scope]
            one = score(compute_rfm(part, REF, grid), grid).reset_index(drop=True)
            one.insert(0, "scope", scope)
            blocks.append(one)
        want = pd.concat(blocks, ignore_index=True)[RFM_COLUMNS]
        got = rfm_table(stays, REF, grid, centres)
        pd.testing.assert_frame_equal(got, want, check_exact=True)
