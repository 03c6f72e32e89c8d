"""Loyalty where it lives (issue 21): a school that comes back with another teacher."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from grc.rfm.loyalty import retention
from grc.rfm.scores import (
    RFM_EXPORT_COLUMNS,
    load_grid,
    organisation_rfm_table,
    rfm_export,
    rfm_table,
)

GRID = Path(__file__).resolve().parent.parent / "params" / "rfm" / "omnicom.yaml"


def _stays() -> pd.DataFrame:
    """École Jules Ferry (O1) every spring: Mme Durand in 2023 and 2024, M. Lefèvre in 2025;
    a private family (no organisation) in 2024 only."""
    rows = [("LAT", "C_durand", "O1", "2023-05-10", 3200.0),
            ("LAT", "C_durand", "O1", "2024-05-14", 3400.0),
            ("LAT", "C_lefevre", "O1", "2025-05-12", 3500.0),
            ("LAT", "C_family", None, "2024-07-20", 450.0)]
    return pd.DataFrame(rows, columns=["centre", "contact_id", "organisation_id", "arrival",
                                       "amount"]).assign(arrival=lambda d: pd.to_datetime(
                                           d["arrival"]))


def test_school_that_changes_teacher_is_retained_at_organisation_level():
    st = _stays()
    per_contact = retention(st, years=[2025], by=[], key="contact_id")
    per_org = retention(st, years=[2025], by=[], key="organisation_id")
    assert per_contact["retained"].iloc[0] == 0  # Mme Durand lost, M. Lefèvre new
    assert per_org["clients_prev"].iloc[0] == 1 and per_org["retention"].iloc[0] == 1.0


def test_organisation_rfm_counts_every_teacher_stay():
    grid = load_grid(GRID)
    st = _stays()
    org = organisation_rfm_table(st, "2025-12-31", grid, ["LAT"])
    assert set(org["level"]) == {"organisation"} and org["contact_id"].isna().all()
    net = org[org["scope"] == "NETWORK"].set_index("organisation_id").loc["O1"]
    cont = rfm_table(st, "2025-12-31", grid, ["LAT"])
    durand = cont[(cont["scope"] == "NETWORK") & (cont["contact_id"] == "C_durand")].iloc[0]
    assert net["recency_months"] < 8 < durand["recency_months"]  # the school came back in 2025
    assert net["rfm_score"] > durand["rfm_score"]


def test_export_has_both_levels_with_their_scope():
    grid = load_grid(GRID)
    st = _stays()
    cont = rfm_table(st, "2025-12-31", grid, ["LAT"])
    org = organisation_rfm_table(st, "2025-12-31", grid, ["LAT"])
    out = rfm_export(cont, org, st.dropna(subset=["organisation_id"]).drop_duplicates(
        "contact_id").set_index("contact_id")["organisation_id"])
    assert list(out.columns) == RFM_EXPORT_COLUMNS
    assert set(out["level"]) == {"contact", "organisation"}
    assert set(out["scope"]) == {"LAT", "NETWORK"}
    c = out[out["level"] == "contact"].set_index(["scope", "contact_id"])
    assert c.loc[("NETWORK", "C_lefevre"), "organisation_id"] == "O1"
    assert pd.isna(c.loc[("NETWORK", "C_family"), "organisation_id"])
    o = out[out["level"] == "organisation"]
    assert list(o["organisation_id"]) == ["O1", "O1"]  # one row per scope (LAT, NETWORK)


def test_no_organisation_no_rows():
    st = _stays().assign(organisation_id=None)
    assert organisation_rfm_table(st, "2025-12-31", load_grid(GRID)).empty


def test_win_back_list_per_organisation_keeps_the_loyal_school_out():
    from grc.rfm.loyalty import lapsed_high_value

    grid = load_grid(GRID)
    st = _stays()
    cont = rfm_table(st, "2025-12-31", grid, ["LAT"])
    lapsed_people = lapsed_high_value(cont[cont["scope"] == "NETWORK"], st, "2025-12-31",
                                      grid=grid, monetary_quantile=0.0)
    assert "C_durand" in set(lapsed_people["contact_id"])  # the teacher who left
    org = organisation_rfm_table(st, "2025-12-31", grid, ["LAT"])
    lapsed_orgs = lapsed_high_value(org[org["scope"] == "NETWORK"], st, "2025-12-31",
                                    grid=grid, monetary_quantile=0.0, key="organisation_id")
    assert lapsed_orgs.empty  # the school itself came back in 2025
