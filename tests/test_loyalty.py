"""Loyalty indicators on a tiny hand-made stay table."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from grc.rfm.loyalty import LEHU_LOOP, lapsed_high_value, multi_centre_share, repeat_rate, retention
from grc.rfm.scores import compute_rfm, load_grid, score

ROOT = Path(__file__).resolve().parents[1]
REF = dt.date(2025, 12, 31)
SEGMENT = {"A": "SCO-PRIM", "B": "SCO-PRIM", "C": "SPO-CLUB", "D": "SPO-CLUB", "E": "SCO-PRIM"}


@pytest.fixture
def stays() -> pd.DataFrame:
    rows = [
        ("A", "X", "2023-05-10", 5000.0),
        ("A", "X", "2024-05-10", 5000.0),
        ("A", "X", "2024-10-01", 5000.0),
        ("B", "X", "2023-06-01", 2000.0),
        ("B", "Y", "2024-06-01", 2000.0),
        ("C", "Y", "2023-04-01", 1000.0),
        ("C", "Y", "2024-04-01", 1000.0),
        ("C", "X", "2025-04-01", 1000.0),
        ("D", "X", "2023-03-01", 12000.0),
        ("E", "X", "2024-09-01", 3000.0),
        ("E", "X", "2025-09-01", 3000.0),
    ]
    frame = pd.DataFrame(rows, columns=["contact_id", "centre", "arrival", "amount"])
    frame["arrival"] = pd.to_datetime(frame["arrival"])
    frame["nights"] = 4
    frame["persons"] = 28
    frame["segment"] = frame["contact_id"].map(SEGMENT)
    return frame.sample(frac=1, random_state=3).reset_index(drop=True)


def _row(frame: pd.DataFrame, **where) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for col, val in where.items():
        mask &= frame[col].eq(val)
    assert mask.sum() == 1, where
    return frame.loc[mask].iloc[0]


def test_retention_per_centre(stays):
    out = retention(stays)
    assert list(out.columns) == ["centre", "year", "clients_prev", "retained", "retention"]
    assert sorted(out["year"].unique()) == [2024, 2025]
    x24 = _row(out, centre="X", year=2024)  # A, B, D in 2023 at X; only A back at X
    assert (x24["clients_prev"], x24["retained"]) == (3, 1)
    assert x24["retention"] == pytest.approx(1 / 3)
    y24 = _row(out, centre="Y", year=2024)
    assert (y24["clients_prev"], y24["retained"], y24["retention"]) == (1, 1, 1.0)
    x25 = _row(out, centre="X", year=2025)  # A, E in 2024; E back
    assert (x25["clients_prev"], x25["retained"]) == (2, 1)
    y25 = _row(out, centre="Y", year=2025)  # B, C in 2024; C went to X instead
    assert (y25["clients_prev"], y25["retained"], y25["retention"]) == (2, 0, 0.0)


def test_retention_anywhere_and_network(stays):
    anywhere = retention(stays, years=[2025], same_scope=False)
    assert _row(anywhere, centre="Y", year=2025)["retained"] == 1  # C came back, at X
    net = retention(stays, years=[2024, 2025], by=[])
    assert list(net.columns) == ["year", "clients_prev", "retained", "retention"]
    assert net.set_index("year")["retention"].to_dict() == {2024: 0.75, 2025: pytest.approx(2 / 4)}


def test_retention_per_centre_and_segment(stays):
    out = retention(stays, years=[2024], by=["centre", "segment"])
    assert _row(out, centre="X", segment="SCO-PRIM")["retention"] == 0.5
    assert _row(out, centre="X", segment="SPO-CLUB")["retention"] == 0.0
    assert _row(out, centre="Y", segment="SPO-CLUB")["retention"] == 1.0
    assert len(out) == 3


def test_retention_school_years(stays):
    # seasons starting in September: E's stays (Sept 2024, Sept 2025) are seasons 2025, 2026
    out = retention(stays, years=[2026], by=[], start_month=9)
    assert (out["clients_prev"].iloc[0], out["retained"].iloc[0]) == (3, 1)  # A, C, E -> E


def test_repeat_rate(stays):
    out = repeat_rate(stays).set_index("centre")
    assert out.loc["X", ["clients", "repeaters"]].tolist() == [5, 2]
    assert out.loc["X", "repeat_rate"] == pytest.approx(0.4)
    assert out.loc["Y", ["clients", "repeaters"]].tolist() == [2, 1]
    net = repeat_rate(stays, by=[])
    assert net["repeat_rate"].iloc[0] == pytest.approx(0.8)
    early = repeat_rate(stays, by=[], reference_date=dt.date(2023, 12, 31))
    assert early[["clients", "repeaters"]].iloc[0].tolist() == [4, 0]


def test_multi_centre_share(stays):
    net = multi_centre_share(stays)
    assert net[["clients", "multi_centre"]].iloc[0].tolist() == [5, 2]  # B and C
    assert net["share"].iloc[0] == pytest.approx(0.4)
    seg = multi_centre_share(stays, by=["segment"]).set_index("segment")
    assert seg.loc["SCO-PRIM", "share"] == pytest.approx(1 / 3)
    assert seg.loc["SPO-CLUB", "share"] == pytest.approx(0.5)


def test_lapsed_high_value(stays):
    scored = pd.DataFrame({
        "contact_id": list("ABCDE"),
        "category": ["Top", "Moyen", "Top", "Bas", "Top"],
        "rfm_score": [40, 20, 40, 5, 40],
    })
    out = lapsed_high_value(scored, stays, REF, categories=["Top"])
    # lapsed > 12 months: A (Oct 2024), B (June 2024), D (March 2023);
    # high value: A by category, D by lifetime average (top 20 %)
    assert out["contact_id"].tolist() == ["A", "D"]
    a = out.iloc[0]
    assert (a["lifetime_stays"], a["lifetime_amount"]) == (3, 15000)
    assert a["last_stay"] == pd.Timestamp("2024-10-01")
    assert a["months_since_last"] > 12
    only_money = lapsed_high_value(scored, stays, REF)
    assert only_money["contact_id"].tolist() == ["D"]
    longer = lapsed_high_value(scored, stays, REF, categories=["Top"], months=24)
    assert longer["contact_id"].tolist() == ["D"]
    # a stay after the reference date does not make D come back
    future = pd.concat([stays, pd.DataFrame({
        "contact_id": ["D"], "centre": ["X"], "arrival": [pd.Timestamp("2026-03-01")],
        "amount": [100.0], "nights": [2], "persons": [20], "segment": ["SPO-CLUB"]})])
    assert "D" in lapsed_high_value(scored, future, REF)["contact_id"].tolist()
    with pytest.raises(ValueError, match="plusieurs fois"):
        lapsed_high_value(pd.concat([scored, scored]), stays, REF)


def test_lapsed_high_value_by_group_is_each_group_alone(stays):
    """``by``: every scope in one pass gives what one call per scope gives (its own clients,
    stays and amount quantile), the scope leading each row."""
    scored = pd.DataFrame({"contact_id": list("ABCDE"), "category": ["Top", "Moyen", "Top", "Bas", "Top"],
                           "rfm_score": [40, 20, 40, 5, 40]})
    scopes = {"X": stays[stays["centre"] == "X"], "Y": stays[stays["centre"] == "Y"], "NETWORK": stays}
    scoped_stays = pd.concat([st.assign(scope=sc) for sc, st in scopes.items()], ignore_index=True)
    scoped = pd.concat([scored.assign(scope=sc) for sc in scopes], ignore_index=True)
    together = lapsed_high_value(scoped, scoped_stays, REF, categories=["Top"], by="scope")
    assert together.columns[0] == "scope"
    for sc, st in scopes.items():
        alone = lapsed_high_value(scored, st, REF, categories=["Top"])
        mine = together[together["scope"] == sc].drop(columns="scope").reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, alone)
    assert set(together["scope"]) == {"X", "Y", "NETWORK"}
    with pytest.raises(ValueError, match="plusieurs fois"):
        lapsed_high_value(pd.concat([scoped, scoped]), scoped_stays, REF, by="scope")


def test_lapsed_high_value_with_grid(stays):
    grid = load_grid(ROOT / "params" / "rfm" / "network.yaml")
    scored = score(compute_rfm(stays, REF, grid), grid)
    out = lapsed_high_value(scored, stays, REF, grid=grid, monetary_quantile=None)
    top = grid.category_order()[:2]
    assert set(out["category"]) <= set(top)
    assert (out["months_since_last"] > 12).all()
    # A: 3 stays in 3 years (15 pts), 5000 average (10 pts), last stay 15 months ago (10 pts)
    assert out["contact_id"].tolist() == ["A"]
    assert out["rfm_score"].iloc[0] == 35


def test_lehu_loop():
    assert [s.key for s in LEHU_LOOP] == [
        "identifier", "adapter", "privilegier", "controler", "faire_evoluer"]
    assert [s.title for s in LEHU_LOOP] == [
        "Identifier", "Adapter", "Privilégier", "Contrôler", "Faire évoluer"]
    assert all(s.description and "\n" not in s.description for s in LEHU_LOOP)
