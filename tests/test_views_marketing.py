"""Views of the marketing workbooks on tiny hand-made frames."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

from grc import rfm  # noqa: E402
from grc.measures import breakdowns as bd  # noqa: E402
from grc.reports import views_marketing as vm  # noqa: E402
from grc.reports.charts import table  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
REF = dt.date(2025, 12, 31)
SEGMENTATION = {
    "SCO-PRIM": {"family": "Scolaires", "label": "École élémentaire", "kind": "B2B"},
    "SPO-CLUB": {"family": "Sport", "label": "Club sportif", "kind": "B2B"},
    "IND-FAM": {"family": "Individuels", "label": "Famille", "kind": "B2C"},
}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture(scope="module")
def omnicom() -> rfm.Grid:
    return rfm.load_grid(ROOT / "params" / "rfm" / "omnicom.yaml")


def stays_frame(rows: list[tuple]) -> pd.DataFrame:
    """(contact_id, centre, arrival, amount[, product]) -> a stays frame."""
    out = pd.DataFrame([r + (None,) * (5 - len(r)) for r in rows],
                       columns=["contact_id", "centre", "arrival", "amount", "product"])
    out["arrival"] = pd.to_datetime(out["arrival"])
    out["nights"] = 2
    out["persons"] = 10
    return out


SEGMENTS = pd.DataFrame({
    "contact_id": ["a", "b", "c", "d"],
    "segment": ["SCO-PRIM", "SCO-PRIM", "SPO-CLUB", None],
    "segment_label": ["École élémentaire", "École élémentaire", "Club sportif", None],
    "family": ["Scolaires", "Scolaires", "Sport", None],
    "department": ["86", "86", "75", None],
    "region": ["Nouvelle-Aquitaine", "Nouvelle-Aquitaine", "Île-de-France", None],
    "n_stays": [2, 1, 1, 0],
    "lifecycle": ["actif", "nouveau", "perdu", "prospect"],
    "distance_band": ["< 50 km", "< 50 km", "> 600 km", None],
    "cluster": pd.array([1, 2, 1, pd.NA], dtype="Int64"),
    "cluster_label": ["Groupes", "Familles", "Groupes", None],
})


# --- 03 segmentation ------------------------------------------------------------------------


LINKS = pd.DataFrame({"centre": "C1", "contact_id": ["a", "b", "c", "d"], "last_year": 2025})


def stored(*frames: pd.DataFrame) -> pd.DataFrame:
    """Breakdown rows (grc.measures.breakdowns) as the base's ``measures`` table."""
    out = pd.concat(frames, ignore_index=True)
    return out.rename(columns={"centre": "scope", "metric": "measure"})


def _measures(rows: dict[tuple[str, str], float], year: int = 2025) -> pd.DataFrame:
    return pd.DataFrame([{"scope": s, "year": year, "measure": m, "value": v}
                         for (s, m), v in rows.items()])


def test_segment_mix_centre_against_network():
    m = _measures({("C1", "segment:SCO-PRIM"): 2, ("C1", "segment_share:SCO-PRIM"): 0.5,
                   ("C1", "segment:SPO-CLUB"): 1, ("C1", "segment_share:SPO-CLUB"): 0.25,
                   ("C1", "segment:NON SEGMENTÉ"): 1, ("C1", "segment_share:NON SEGMENTÉ"): 0.25,
                   **{("NETWORK", f"segment{f}:{c}"): v for c, n in
                      (("SCO-PRIM", 10), ("SPO-CLUB", 30), ("IND-FAM", 60))
                      for f, v in (("", n), ("_share", n / 100))}})
    wide = vm.segment_mix_table(m, SEGMENTATION, "C1", 2025).set_index("Segment")
    assert wide.loc["École élémentaire", "Contacts"] == 2
    assert wide.loc["École élémentaire", "Écart (points)"] == pytest.approx(50 - 10)
    assert wide.loc["Famille", "Contacts"] == 0  # absent from the centre, present in the network
    assert wide.loc["Non segmenté", "Contacts"] == 1 and wide["Part"].sum() == pytest.approx(1)
    only = vm.segment_mix_table(m, SEGMENTATION, "NETWORK", 2025)
    assert only["Contacts"].sum() == 100 and "Part réseau" not in only
    assert vm.segment_mix_table(m.iloc[:0], SEGMENTATION, "C1", 2025).empty
    html = table(wide.reset_index(), pct=["Part", "Part réseau"]).to_html()
    assert 'data-measure="segment_share:SCO-PRIM" data-scope="NETWORK"' in html


def test_family_trend_and_sentence():
    st = stays_frame([("a", "C1", "2024-05-01", 100), ("b", "C1", "2024-06-01", 100),
                      ("a", "C1", "2025-05-01", 100), ("c", "C1", "2025-03-01", 50)])
    m = stored(bd.family_rows(st, SEGMENTS, 2024), bd.family_rows(st, SEGMENTS, 2025))
    by = vm.family_by_year(m, "C1")
    got = by.set_index(["year", "family"])["clients"].to_dict()
    assert got == {(2024, "Scolaires"): 2, (2025, "Scolaires"): 1, (2025, "Sport"): 1}
    assert by.set_index(["year", "family"]).loc[(2025, "Sport"), "share"] == pytest.approx(0.5)
    trend = vm.trend_table_measured(by, "C1").set_index("family")
    assert trend.loc["Scolaires", "variation"] == pytest.approx(-0.5)
    assert np.isnan(trend.loc["Sport", "variation"])
    # too few clients for a sentence: no family is named
    text = vm.trend_sentence(trend.reset_index())
    assert "2 l'année précédente" in text and "ne varie nettement" in text
    assert vm.trend_table(by[by["year"] == 2025]).empty
    # sentences name only significant changes of real groups (alerts' thresholds)
    big = pd.DataFrame({"family": ["Scolaires", "Non segmenté", "Sport", "Jeunesse"],
                        "clients_prev": [60, 16, 6, 40], "clients_last": [30, 21, 3, 44]})
    big["variation"] = big["clients_last"] / big["clients_prev"] - 1
    text = vm.trend_sentence(big)
    assert "« Scolaires »" in text and "baisse" in text
    assert "Non segmenté" not in text and "Sport" not in text and "Jeunesse" not in text


def test_flagship_and_seasonality():
    st = stays_frame([("a", "C1", "2025-05-01", 100, "Classe nature"),
                      ("b", "C1", "2025-05-20", 300, "Classe nature"),
                      ("a", "C1", "2025-06-01", 100, "Classe mer"),
                      ("c", "C1", "2025-01-10", 50, None)])
    m = stored(bd.product_rows(st, SEGMENTS, 2025), bd.season_rows(st, SEGMENTS, 2025))
    flag = vm.flagship_measured(m, SEGMENTATION, "C1", 2025, top=1, min_stays=1)
    top = flag.set_index("segment_label")
    assert top.loc["École élémentaire", "product"] == "Classe nature"
    assert top.loc["École élémentaire", "stays"] == 2 and top.loc["École élémentaire", "amount"] == 400
    assert top.loc["École élémentaire", "share"] == pytest.approx(2 / 3)
    assert top.loc["Club sportif", "product"] == "(non renseigné)"
    # by default a "flagship" product needs MIN_PRODUCT_STAYS (3) stays
    assert vm.flagship_measured(m, SEGMENTATION, "C1", 2025, top=1).empty
    mat = vm.seasonality_measured(m, SEGMENTATION, "C1", 2025)
    assert list(mat.columns) == list(range(1, 13))
    assert mat.loc["École élémentaire", 5] == 2 and mat.loc["Club sportif", 1] == 1
    assert mat.to_numpy().sum() == 4
    assert mat.loc["École élémentaire"].sum() == 3
    assert vm.flagship_measured(m.iloc[:0], SEGMENTATION, "C1", 2025).empty
    assert vm.seasonality_measured(m.iloc[:0], SEGMENTATION, "C1", 2025).empty
    html = vm.seasonality_table(mat).to_html()
    assert 'data-measure="season:SCO-PRIM:5" data-scope="C1"' in html and "mai" in html


def test_geography_by_department_and_region():
    communes = pd.DataFrame({"postcode": ["86000", "86100", "75001"],
                             "department": ["86", "86", "75"],
                             "region": ["Nouvelle-Aquitaine", "Nouvelle-Aquitaine", "Île-de-France"],
                             "lat": [46.0, 47.0, 48.8], "lon": [0.0, 1.0, 2.3]})
    m = stored(bd.area_rows(LINKS, SEGMENTS, 2025, communes))
    reg, dep = vm.areas_measured(m, "C1", 2025, communes)
    dep = dep.set_index("department")
    assert dep["clients"].to_dict() == {"86": 2, "75": 1}  # the prospect (no stay) is left out
    assert dep.loc["86", "region"] == "Nouvelle-Aquitaine"
    assert reg.iloc[0]["region"] == "Nouvelle-Aquitaine" and reg["share"].sum() == pytest.approx(1)
    assert reg["clients"].tolist() == [2, 1]


def test_criteria_counts_in_documented_order():
    cc = vm.criteria_measured(stored(bd.criterion_rows(LINKS, SEGMENTS, 2025)), "C1", 2025)
    life = cc[cc["criterion"] == "lifecycle"]
    assert life["value"].tolist() == ["nouveau", "actif", "perdu", "prospect"]
    dist = cc[cc["criterion"] == "distance_band"].set_index("value")
    assert dist.loc["inconnue", "contacts"] == 1 and dist["share"].sum() == pytest.approx(1)
    assert "size_band" not in set(cc["criterion"])  # absent column: skipped
    vm.plot_criteria(cc)
    vm.plot_criteria(vm.criteria_measured(pd.DataFrame(columns=["scope", "year", "measure",
                                                                "value"]), "C1", 2025))


def test_cluster_table_scope_against_network():
    profiles = pd.DataFrame({"cluster": [1, 2], "size": [2, 1], "share": [2 / 3, 1 / 3],
                             "description": ["Groupes", "Familles"]})
    links = LINKS[LINKS["contact_id"].isin(["a", "b"])]  # C1's contacts: a (group 1), b (group 2)
    m = stored(bd.cluster_rows(links, SEGMENTS, 2025))
    t = vm.cluster_table(m, profiles, "C1", 2025).set_index("cluster")
    assert t["contacts"].to_dict() == {1: 1, 2: 1}
    assert t.loc[2, "share_network"] == pytest.approx(1 / 3)  # the network: a, c in 1, b in 2
    assert t.loc[1, "description"] == "Groupes" and t["share"].sum() == pytest.approx(1)
    net = vm.cluster_table(m, profiles, "NETWORK", 2025)
    assert "share_network" not in net.columns and net["contacts"].tolist() == [2, 1]
    assert vm.cluster_table(m, profiles.iloc[:0], "C1", 2025).empty
    none = vm.cluster_table(stored(bd.cluster_rows(links, SEGMENTS.assign(cluster=pd.NA), 2025)),
                            profiles, "C1", 2025)
    assert none["contacts"].sum() == 0 and (none["share"] == 0).all()
    assert 'data-measure="cluster_share:2" data-scope="NETWORK"' in table(t.reset_index()).to_html()


def test_quality_from_the_stored_row():
    assert vm.quality_table(None).empty
    assert vm.quality_from_row(None) is None and vm.quality_from_row({"k": None}) is None
    row = {"k": 3, "method": "kmeans", "ari_mean": 0.8, "ari_min": 0.7, "caveat": "x",
           "features": "n_stays", "silhouette": '{"2": 0.18, "3": 0.21, "4": 0.2}',
           "silhouette_chosen": 0.21}
    qual = vm.quality_from_row(row, clients=40)
    assert qual["silhouette_by_k"] == {2: 0.18, 3: 0.21, 4: 0.2} and qual["clients"] == 40
    q = vm.quality_table(qual).set_index("Indicateur")
    assert q.loc["Silhouette moyenne", "Valeur"] == "0,21"
    assert "k de 2 à 4" in q.loc["Nombre de groupes retenu (k)", "Lecture"]
    assert q.loc["Silhouette selon k", "Valeur"] == "2 : 0,18 · 3 : 0,21 · 4 : 0,20"
    assert q.loc["Clients classés (réseau)", "Valeur"] == "40"
    # no chosen value stored: read it from the JSON
    assert vm.quality_from_row({**row, "silhouette_chosen": None})["silhouette"] == 0.21


def test_extraction_example_is_the_cli_selection():
    contacts = pd.DataFrame({
        "contact_id": list("abcde"), "centres": ["C1", "C1;C2", "C1", "C1", "C2"],
        "email": ["a@x.fr", "b@x.fr", None, "d@x.fr", "e@x.fr"],
        "optin_email": [True, False, True, True, True],
        "emailable": [True, False, False, True, True],
        "retention_expired": [False, False, False, True, False],
        "kind": ["B2B"] * 5,
    })
    segs = pd.DataFrame({"contact_id": list("abcde"), "segment": ["SCO-PRIM"] * 5,
                         "family": ["Scolaires"] * 4 + ["Scolaires"], "kind": ["B2B"] * 5})
    sel = vm.example_selection("C1")
    assert sel.centres == ["C1"] and sel.channel == "email" and sel.families == ["Scolaires"]
    assert vm.example_selection("NETWORK").centres == []
    res = vm.extraction_example(contacts, segs, None, REF, "C1")
    # schools are professionals: no prior consent needed for e-mail (rule book), so b is kept;
    # c has no e-mail, d is past the retention period
    assert res.selected == 4 and res.kept == 2 and res.frame["contact_id"].tolist() == ["a", "b"]
    counts = vm.extraction_counts(res).set_index("Étape")["Contacts"]
    assert counts.iloc[0] == 4 and counts.iloc[-1] == 2 and counts.iloc[1:-1].sum() == 2
    assert vm.extraction_example(contacts, segs, None, REF, "NETWORK").kept == 3  # a, b and e
    assert vm.extraction_example(contacts.iloc[:0], segs, None, REF, "C1") is None
    assert vm.extraction_counts(None).empty


# --- 04 RFM and loyalty ---------------------------------------------------------------------


def test_grid_and_category_tables(omnicom):
    g = vm.grid_table(omnicom)
    rec = g[g["Critère"] == "Récence"]
    # bounds in plain French for reviewers (the course grid: < 3, 3 to 12 both included, > 12)
    assert rec["Points"].tolist() == [10, 5, 0]
    assert rec["Tranche"].tolist() == ["moins de 3", "de 3 à 12", "plus de 12"]
    cats = vm.categories_table(omnicom).set_index("Catégorie")["Score total"]
    assert cats["Très bons clients"] == "plus de 40" and cats["Clients inactifs"] == "0 ou moins"
    assert vm.categories_table(omnicom)["Catégorie"].tolist() == [
        "Très bons clients", "Bons clients", "Clients tièdes", "Clients inactifs"]


def test_rf_matrix_covers_every_point_level(omnicom):
    scores = pd.DataFrame({"r_score": [10, 10, 0], "f_score": [20, 10, 0]})
    m = vm.rf_matrix(scores, omnicom)
    assert list(m.index) == [10, 5, 0] and list(m.columns) == [0, 10, 20]
    assert m.loc[10, 20] == 1 and m.loc[5].sum() == 0 and m.to_numpy().sum() == 3
    assert vm.rf_matrix(pd.DataFrame()).empty
    vm.plot_rf_heatmap(m)
    vm.plot_rf_heatmap(vm.rf_matrix(pd.DataFrame()))


def test_category_summary_and_evolution(omnicom):
    st = stays_frame([("a", "C1", "2025-11-01", 150), ("a", "C1", "2025-06-01", 150),
                      ("a", "C1", "2025-03-01", 150), ("a", "C1", "2025-02-01", 150),
                      ("a", "C1", "2025-01-15", 150),   # 5 stays in 12 months at 150 €: 50 points
                      ("b", "C1", "2024-03-01", 10)])   # lapsed, small basket
    scores = rfm.score(rfm.compute_rfm(st, REF, omnicom), omnicom)
    amounts = vm.rfm_amounts(st, REF, omnicom)
    summ = vm.category_summary(scores, amounts, omnicom).set_index("category")
    assert summ.index.tolist()[0] == "Très bons clients"
    assert summ.loc["Très bons clients", "clients"] == 1
    assert summ.loc["Très bons clients", "amount"] == pytest.approx(750)
    assert summ.loc["Très bons clients", "amount_share"] == pytest.approx(1.0)
    assert summ.loc["Bons clients", "clients"] == 0
    assert summ["clients"].sum() == 2
    evo = vm.category_evolution(st, omnicom, REF)
    assert sorted(evo["year"].unique()) == [2024, 2025]
    e24 = evo[evo["year"] == 2024].set_index("category")["clients"]
    # at 31/12/2024 only b is known: 10 months ago (5), 1 stay a year (10), 10 € (0) -> tiède
    assert e24["Clients tièdes"] == 1 and e24.sum() == 1
    e25 = evo[evo["year"] == 2025].set_index("category")["clients"]
    assert e25["Très bons clients"] == 1 and e25.sum() == 2
    assert vm.evaluation_dates(st, dt.date(2025, 6, 30)) == [dt.date(2024, 12, 31), dt.date(2025, 6, 30)]
    assert vm.category_evolution(st.iloc[:0], omnicom, REF).empty
    vm.plot_categories(summ.reset_index())
    vm.plot_category_evolution(evo, omnicom.category_order())


def test_rfm_breakdowns_stored_and_read_back(omnicom):
    """The pipeline's RFM breakdowns (one pass of grc.rfm for every centre) read back by the
    page give the same table as the frames; the evolution is the published rfm:<category>."""
    st = stays_frame([("a", "C1", "2025-11-01", 150), ("a", "C1", "2025-06-01", 150),
                      ("a", "C1", "2025-03-01", 150), ("a", "C2", "2025-02-01", 150),
                      ("b", "C1", "2024-03-01", 10), ("b", "C2", "2025-09-01", 90)])
    from grc.rfm.scores import rfm_table

    scores = rfm_table(st, REF, omnicom)
    m = stored(bd.category_rows(st, scores, omnicom, REF, 2025), bd.rf_rows(scores, omnicom, 2025))
    cats = scores.groupby(["scope", "category"]).size()
    m = pd.concat([m, pd.DataFrame({"scope": cats.index.get_level_values(0), "year": 2025,
                                    "measure": "rfm:" + cats.index.get_level_values(1),
                                    "value": cats.to_numpy(dtype=float)})], ignore_index=True)
    for scope, own in (("C1", st[st["centre"] == "C1"]), ("NETWORK", st)):
        want = vm.category_summary(scores[scores["scope"] == scope],
                                   vm.rfm_amounts(own, REF, omnicom), omnicom)
        got = vm.category_summary_measured(m, omnicom, scope, 2025)
        pd.testing.assert_frame_equal(got.reset_index(drop=True), want, check_dtype=False)
        rf = vm.rf_matrix_measured(m, omnicom, scope, 2025)
        want_rf = vm.rf_matrix(scores[scores["scope"] == scope], omnicom)
        assert rf.to_numpy().tolist() == want_rf.to_numpy().tolist()
        assert list(rf.index) == list(want_rf.index) and list(rf.columns) == list(want_rf.columns)
    past = pd.DataFrame({"scope": ["C1"], "year": [2024], "measure": ["rfm:Clients tièdes"],
                         "value": [1.0]})
    evo = vm.category_evolution_measured(pd.concat([m, past]), omnicom, "C1", REF)
    assert evo["date"].dt.year.unique().tolist() == [2024, 2025]
    assert evo[evo["year"] == 2024].set_index("category")["clients"]["Clients tièdes"] == 1
    html = vm.rf_table(vm.rf_matrix_measured(m, omnicom, "C1", 2025)).to_html()
    assert 'data-measure="rf:10:10" data-scope="C1"' in html


def test_quantile_segments_identical_clients_same_segment():
    scores = pd.DataFrame({"recency_months": [1.0, 1.0, 30.0, 30.0, 5.0, 12.0],
                           "frequency": [3.0, 3.0, 1.0, 1.0, 2.0, 1.0],
                           "monetary": [500.0, 500.0, 50.0, 50.0, 200.0, np.nan]})
    q = vm.quantile_segments(scores)
    assert q["clients"].sum() == 6 and q["share"].sum() == pytest.approx(1)
    rev = vm.quantile_segments(scores.iloc[::-1])
    pd.testing.assert_frame_equal(q, rev)
    assert vm.quantile_segments(pd.DataFrame()).empty


def test_quantile_variant_is_measured_per_scope_like_the_page_computed_it():
    """``rank_profile:`` & co.: each scope of the stored scores ranked on its own, in one pass;
    the measured table is the one computed from the scope's scores, cells carry their measure."""
    rng = np.random.default_rng(7)
    n = 40
    scores = pd.DataFrame({"scope": ["A"] * 15 + ["B"] * 10 + ["NETWORK"] * 15,
                           "recency_months": rng.integers(0, 36, n).astype(float),
                           "frequency": rng.integers(0, 4, n) / 3,
                           "monetary": np.where(rng.random(n) < 0.1, np.nan, rng.integers(50, 900, n))})
    from grc.rfm.scores import quantile_score

    by = quantile_score(scores, by="scope")
    for _scope, part in scores.groupby("scope"):
        alone = quantile_score(part)
        pd.testing.assert_frame_equal(by.loc[part.index], alone)
    stored = bd.rank_rows(scores, 2025).rename(columns={"centre": "scope", "metric": "measure"})
    for scope in ("A", "B", "NETWORK"):
        measured = vm.quantile_segments_measured(stored, scope, 2025)
        computed = vm.quantile_segments(scores[scores["scope"] == scope])
        pd.testing.assert_frame_equal(measured.reset_index(drop=True), computed)
        assert vm.quantile_segments_for(stored, scores, scope, 2025, True).equals(measured)
        own = scores[scores["scope"] == scope]  # another grid: computed from the page's scores
        pd.testing.assert_frame_equal(vm.quantile_segments_for(stored, own, scope, 2025, False), computed)
    assert vm.quantile_segments_measured(stored, "Z", 2025).empty
    html = table(vm.quantile_segments_measured(stored, "A", 2025), pct=["share"]).to_html()
    assert 'data-measure="rank_recency:' in html and 'data-scope="A"' in html
    from grc.measures.catalogue import measure

    assert measure("rank_monetary:Champions").anchor == measure("rank_profile:Perdus").anchor


def _loyalty(st: pd.DataFrame, centres: list[str], year: int = 2025) -> pd.DataFrame:
    from grc.measures.metrics import _loyalty_measures

    st = st[st["arrival"] <= pd.Timestamp(REF)]  # the measures' reference-date cut-off
    m = _loyalty_measures(st, centres, year)
    return m.pivot_table(index="centre", columns="metric", values="value", dropna=False)


def test_retention_centre_and_network():
    """Retention is a measure (grc.measures), computed by grc.rfm.loyalty only."""
    st = stays_frame([("a", "C1", "2024-05-01", 1), ("b", "C1", "2024-05-01", 1),
                      ("a", "C1", "2025-05-01", 1), ("b", "C2", "2025-05-01", 1),
                      ("c", "C1", "2026-02-01", 1)])
    m = _loyalty(st, ["C1", "C2"])
    assert [m.at["C1", "clients_prev_year"], m.at["C1", "returning_clients"]] == [2, 1]
    assert m.at["NETWORK", "retention"] == 1.0  # b came back, elsewhere in the network
    rows = bd.family_retention_rows(st[st["arrival"] <= pd.Timestamp(REF)], SEGMENTS, 2025)
    stored = rows.rename(columns={"centre": "scope", "metric": "measure"})
    fam = vm.retention_by_family_measured(stored, "C1", 2025).set_index("family")
    assert fam.loc["Scolaires", "retention"] == pytest.approx(0.5)
    assert _loyalty(st[st["arrival"].dt.year == 2025], ["C1"])["retention"].isna().all()
    measures = pd.DataFrame({"scope": ["C1", "C1", "NETWORK"], "year": [2024, 2025, 2025],
                             "measure": "retention", "value": [np.nan, 0.5, 1.0]})
    assert vm.retention_years(measures, "C1").values.tolist() == [[2025, 0.5]]


def test_loyalty_figures_multi_centre_from_network_counts():
    st = stays_frame([("a", "C1", "2024-05-01", 1), ("a", "C1", "2025-05-01", 1),
                      ("b", "C1", "2025-05-01", 1), ("b", "C2", "2025-06-01", 1),
                      ("c", "C2", "2025-05-01", 1)])
    m = _loyalty(st, ["C1", "C2"])
    assert m.at["C1", "clients_total"] == 2 and m.at["C1", "repeat_rate"] == pytest.approx(0.5)
    assert m.at["C1", "multi_centre_share"] == pytest.approx(0.5)
    assert m.at["NETWORK", "multi_centre_share"] == pytest.approx(1 / 3)
    assert _loyalty(st.iloc[:0], ["C1"]).empty


def test_win_back_targets_and_file(omnicom, tmp_path):
    st = stays_frame([("a", "C1", "2024-01-10", 900), ("a", "C1", "2023-05-01", 900),
                      ("b", "C1", "2025-11-01", 20), ("c", "C1", "2023-01-01", 10)])
    scores = rfm.score(rfm.compute_rfm(st, REF, omnicom), omnicom)
    t = vm.win_back_targets(scores, st, REF, omnicom)
    assert t["contact_id"].tolist() == ["a"]  # high basket, gone for 23 months
    path = vm.write_targets(t, tmp_path / "cibles", "C1")
    assert path.name == "reconquete_C1.csv"
    assert path.read_text(encoding="utf-8-sig").splitlines()[0].startswith("contact_id;")
    assert vm.win_back_targets(scores.iloc[:0], st, REF, omnicom).empty
    # the page's figures: the pipeline's measures (the same grc.rfm.loyalty implementation)
    m = stored(bd.win_back_rows(st, scores.assign(scope="C1"), omnicom, REF, 2025))
    assert vm.win_back_summary(m, t, "C1", 2025, network_grid=True) == (1, 1800.0)
    assert vm.win_back_summary(m, t, "C1", 2025, network_grid=False) == (1, 1800.0)
    assert vm.win_back_summary(m.iloc[:0], t.iloc[:0], "C1", 2025, network_grid=True) == (0, 0.0)


def test_lehu_actions_derived_from_figures():
    summary = pd.DataFrame({"category": ["Très bons", "Bons", "Tièdes"], "clients": [3, 7, 10],
                            "amount_share": [0.5, 0.3, 0.2]})
    fam = pd.DataFrame({"family": ["Sport", "Scolaires", "Jeunesse"], "clients_prev": [10, 20, 2],
                        "retained": [2, 10, 0], "retention": [0.2, 0.5, 0.0]})
    ret = pd.DataFrame({"year": [2024, 2025], "clients_prev": [10, 12], "retained": [5, 4],
                        "retention": [0.5, 1 / 3]})
    evo = pd.DataFrame({"date": pd.to_datetime(["2024-12-31"] * 2 + ["2025-12-31"] * 2),
                        "category": ["Très bons", "Bons"] * 2, "clients": [2, 5, 3, 7]})
    fig = vm.lehu_figures(summary, fam, ret, {"repeat_rate": 0.4, "multi_centre_share": 0.1}, 6,
                          evo, min_clients=5)
    # with the default threshold (MIN_COUNT clients), Sport's 10 clients are too few to judge
    assert vm.lehu_figures(summary, fam, ret, {}, 6, evo)["weak_family"] == "Scolaires"
    assert fig["best_clients"] == 10 and fig["best_amount_share"] == pytest.approx(0.8)
    assert fig["weak_family"] == "Sport"  # Jeunesse has too few clients to judge
    assert fig["trend_change"] == 3 and fig["retention_prev"] == 0.5
    acts = vm.lehu_actions(fig)
    assert acts["Étape"].tolist() == ["Identifier", "Adapter", "Privilégier", "Contrôler",
                                      "Faire évoluer"]
    text = " ".join(acts["Constat"] + " " + acts["Action"])
    assert "20 clients scorés" in text and "« Sport »" in text and "33" in text
    assert "6 clients" in text and "+3 clients" in text
    bare = vm.lehu_actions(vm.lehu_figures(summary.iloc[:0], fam.iloc[:0], ret.iloc[:0], {}, 0,
                                           evo.iloc[:0]))
    assert len(bare) == 5 and bare["Action"].str.len().min() > 10


def test_plots_accept_empty_frames():
    vm.plot_family_trend(vm.family_by_year(pd.DataFrame(), "C1"))
    vm.plot_seasonality(pd.DataFrame())
    vm.plot_regions(pd.DataFrame(columns=["region", "clients", "share"]))
    vm.plot_categories(pd.DataFrame(columns=["category", "clients", "share", "amount_share"]))
    vm.plot_category_evolution(pd.DataFrame(columns=["date", "category", "clients"]), [])


@pytest.mark.parametrize("grid_name", ["omnicom", "dosettes", "network"])
def test_category_evolution_matches_compute_rfm_at_each_date(grid_name):
    """The one-pass evolution equals ``score(compute_rfm(...))`` redone at each date."""
    grid = rfm.load_grid(ROOT / "params" / "rfm" / f"{grid_name}.yaml")
    rng = np.random.default_rng(7)
    n = 400
    st = pd.DataFrame({
        "contact_id": rng.choice([f"k{i}" for i in range(60)], n),
        "centre": "C1",
        "arrival": pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 1900, n), unit="D"),
        "amount": np.where(rng.random(n) < 0.1, np.nan, rng.integers(5, 3000, n).astype(float)),
    })
    st.loc[:4, "arrival"] = pd.to_datetime(["2023-12-31", "2024-12-31", "2022-12-31",
                                            "2025-01-01", "2024-01-01"])  # on the dates
    evo = vm.category_evolution(st, grid, REF)
    dates = vm.evaluation_dates(st, REF)
    assert evo["date"].nunique() == len(dates)
    for d in dates:
        sub = st[st["arrival"] <= pd.Timestamp(d)]
        want = rfm.score(rfm.compute_rfm(sub, d, grid), grid)["category"].value_counts()
        got = evo[evo["date"] == pd.Timestamp(d)].set_index("category")["clients"]
        assert got.reindex(grid.category_order()).tolist() == \
            want.reindex(grid.category_order(), fill_value=0).tolist(), d


# ------------------------------------------------------------------ charts as tables (page speed)


def test_seasonality_table_keeps_counts_and_colours_by_row_share():
    m = pd.DataFrame([[3, 1] + [0] * 10, [0, 0, 5] + [0] * 9], index=["Famille", "Club"],
                     columns=range(1, 13))
    html = vm.seasonality_table(m).to_html()
    assert "janv." in html and "déc." in html and "Famille" in html
    assert ">3<" in html and ">5<" in html  # the counts are written
    assert "background-color" in html and "part des séjours du segment" in html
    assert vm.seasonality_table(pd.DataFrame(columns=range(1, 13))) is None


def test_criteria_tables_one_panel_per_criterion():
    cc = vm.criteria_measured(stored(bd.criterion_rows(LINKS, SEGMENTS, 2025)), "C1", 2025)
    html = vm.criteria_tables(cc, ("lifecycle", "distance_band", "size_band")).data
    assert 'data-measure="criterion:lifecycle:nouveau" data-scope="C1"' in html
    assert "Cycle de vie" in html and "Distance au centre" in html
    assert "Taille de l'organisation" not in html  # absent column: no panel
    assert "nouveau" in html and "linear-gradient" in html  # values and in-cell bars
    assert vm.criteria_tables(cc.iloc[:0]) is None


def test_rf_table_and_deterministic_table_ids(omnicom):
    from grc.reports import charts

    m = vm.rf_matrix(pd.DataFrame({"r_score": [10, 10, 0], "f_score": [20, 10, 0]}), omnicom)
    html = vm.rf_table(m).to_html()
    assert "Points récence" in html and "points fréquence" in html and "background-color" in html
    assert vm.rf_table(vm.rf_matrix(pd.DataFrame())) is None
    df = pd.DataFrame({"a": [1, 2], "part": [0.25, 0.75]})
    sty = charts.table(df, pct=["part"], bars=["part"])
    html = sty.to_html()
    assert "75,0" in html and "linear-gradient" in html
    assert sty.uuid.startswith("grc") and charts.table(df).uuid != sty.uuid  # no random id
    assert "linear-gradient" not in charts.table(df.iloc[:0], bars=["part"]).to_html()


def test_stacked_charts_say_their_main_figures_in_their_alt_text():
    by = pd.DataFrame({"year": [2024, 2024, 2025, 2025], "family": ["Scolaires", "Sport"] * 2,
                       "clients": [10, 5, 12, 3]})
    alt = vm.plot_family_trend(by).figure.grc_alt
    assert "de 2024 à 2025" in alt and "15 clients au total" in alt and "Scolaires 12" in alt
