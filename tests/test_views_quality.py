"""Unit tests of the data-quality views on tiny hand-made frames."""

from __future__ import annotations

import json
import re

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from grc.measures import breakdowns as bd  # noqa: E402
from grc.measures.read import measure_value  # noqa: E402
from grc.reports import views_quality as vq  # noqa: E402
from grc.reports.charts import table  # noqa: E402


def _records() -> pd.DataFrame:
    """Four exported records of centre A and one no longer exported."""
    return pd.DataFrame({
        "centre": ["A"] * 5,
        "local_id": ["1", "2", "3", "4", "5"],
        "exported": [True, True, True, True, False],
        "last_name_raw": ["Durand", None, "Martin", " ", "X"],
        "organisation_raw": [None, "Club", None, None, None],
        "civility_raw": ["Mme", None, "M.", "M", None],
        "civility": ["MME", None, "M", "M", None],
        "address1": ["1 rue A", "2 rue B", None, "4 rue D", None],
        "postcode_raw": ["75001", "7500", "69001", None, None],
        "postcode": ["75001", None, "69001", None, None],
        "city_raw": ["PARIS", "PARIS", "LYON", None, None],
        "city": ["PARIS", "PARIS", "LYON", None, None],
        "email_raw": ["a@b.fr", "bad", None, "c@gmial.com", None],
        "email": ["a@b.fr", None, None, "c@gmial.com", None],
        "phone_raw": ["0102030405", None, None, None, None],
        "phone": ["+33102030405", None, None, None, None],
        "mobile_raw": [None, "06", None, None, None],
        "mobile": [None, None, None, None, None],
        "segment_local": ["ECOLE", "FOOT", "??", None, None],
        "segment": ["SCO-PRIM", "SPO-CLUB", None, None, None],
        "mailable": [True, False, False, True, False],
        "emailable": [True, False, False, False, False],
        "phoneable": [True, False, False, False, False],
    })


def _issues() -> pd.DataFrame:
    return pd.DataFrame({
        "centre": ["A", "A", "A", "A", "A", "A", "A"],
        "local_id": ["2", "2", "2", "3", "4", "4", "5"],
        "field": ["postcode", "email", "mobile", "segment", "email", "last_name", "email"],
        "code": ["invalid_postcode", "invalid_email", "invalid_phone", "unknown_code",
                 "invalid_email", "missing_name", "invalid_email"],
        "message": ["m"] * 7,
    })


def test_exported_keeps_only_this_years_records():
    assert list(vq.exported(_records())["local_id"]) == ["1", "2", "3", "4"]
    empty = pd.DataFrame(columns=["centre", "local_id"])
    assert vq.exported(empty).empty


def _stored(records: pd.DataFrame, issues: pd.DataFrame, year: int = 2025) -> pd.DataFrame:
    """The pipeline's quality breakdowns of ``records`` as the base's ``measures`` table."""
    rows = bd.quality_rows(records, issues, year)
    return rows.rename(columns={"centre": "scope", "metric": "measure"})


def test_field_quality_filled_and_valid():
    fq = vq.field_quality_table(_stored(_records(), _issues()), "A", 2025).set_index("champ")
    # name: blank "  " is not filled; record 4 is flagged missing_name
    assert fq.at["Nom ou organisation", "renseigné"] == pytest.approx(3 / 4)
    assert fq.at["Nom ou organisation", "valide"] == pytest.approx(3 / 4)
    # postcode: 3 filled, "7500" invalid
    assert fq.at["Code postal", "renseigné"] == pytest.approx(3 / 4)
    assert fq.at["Code postal", "valide"] == pytest.approx(2 / 4)
    assert fq.at["Code postal", "valide_si_renseigné"] == pytest.approx(2 / 3)
    # e-mail: record 4 kept as a value but flagged invalid (typo) -> not valid
    assert fq.at["E-mail", "renseigné"] == pytest.approx(3 / 4)
    assert fq.at["E-mail", "valide"] == pytest.approx(1 / 4)
    # mobile "06" filled, invalid; the invalid_phone issue is on mobile, not on phone
    assert fq.at["Mobile", "valide"] == 0
    assert fq.at["Téléphone fixe", "valide"] == pytest.approx(1 / 4)
    # segment: unknown local code "??" filled but not valid
    assert fq.at["Segment", "renseigné"] == pytest.approx(3 / 4)
    assert fq.at["Segment", "valide"] == pytest.approx(2 / 4)
    assert (fq["valide"] <= fq["renseigné"]).all()
    html = table(fq.reset_index(), pct=["renseigné", "valide", "valide_si_renseigné"]).to_html()
    assert 'data-measure="valid:postcode" data-scope="A" data-year="2025" data-value="0.5"' in html


def test_field_quality_empty():
    empty = _stored(_records().iloc[:0], _issues())
    assert empty.empty
    assert vq.field_quality_table(empty, "A", 2025).empty
    assert vq.centre_field_table(empty, 2025).empty


def test_centre_field_matrix_one_row_per_centre():
    rec = _records()
    other = rec.assign(centre="B", local_id=lambda d: "b" + d["local_id"])
    stored = _stored(pd.concat([rec, other], ignore_index=True), _issues())
    mat = vq.centre_field_table(stored, 2025)
    assert list(mat.index) == ["A", "B"]
    # B has no issues: its e-mail validity counts both well-formed values
    assert mat.at["B", "E-mail"] == pytest.approx(2 / 4)
    assert mat.at["A", "E-mail"] == pytest.approx(1 / 4)
    # the network pools both centres
    net = vq.field_quality_table(stored, "NETWORK", 2025).set_index("champ")
    assert net.at["E-mail", "valide"] == pytest.approx(3 / 8)


def test_channel_rates():
    stored = _stored(_records(), _issues())
    rates = pd.DataFrame({"scope": ["A", "NETWORK"], "year": 2025, "measure": "mailable_rate",
                          "value": [0.5, 0.4]})  # the channel rates are measures of their own
    ch = vq.channel_table(pd.concat([stored, rates], ignore_index=True), "A", 2025)
    ch = ch.set_index("canal")
    assert ch.at["Courrier", "fiches"] == 2 and ch.at["Courrier", "part"] == pytest.approx(0.5)
    assert ch.at["E-mail", "fiches"] == 1
    assert ch.at["Au moins un canal", "fiches"] == 2
    assert ch.at["Aucun canal", "fiches"] == 2 and ch.at["Aucun canal", "part"] == pytest.approx(0.5)
    assert ch.at["Courrier", "réseau"] == pytest.approx(0.4)
    assert vq.channel_table(_stored(_records().iloc[:0], _issues()), "A", 2025).empty


def _metrics() -> pd.DataFrame:
    rows = []
    for year, centre, recs, mail, with_issue, dup, npai in [
        (2024, "A", 10, 0.5, 4, 1, 2), (2025, "A", 12, 0.75, 3, 2, 1),
        (2025, "NETWORK", 40, 0.6, 10, 5, 2), (2024, "NETWORK", 30, 0.5, 9, 3, 4),
        (2025, "B", 28, 0.55, 14, 3, 1),
    ]:
        rows += [{"scope": centre, "year": year, "measure": m, "value": float(v)} for m, v in [
            ("records", recs), ("mailable_rate", mail), ("emailable_rate", 0.4), ("phoneable_rate", 0.3),
            ("qualified_share", 0.9), ("records_with_issue", with_issue),
            ("issue_rate", with_issue / recs), ("duplicates", dup), ("issue:npai", npai),
            ("issue_share:npai", npai / recs)]]
    return pd.DataFrame(rows)


def test_top_issues_most_frequent_first():
    m = _metrics()
    m = pd.concat([m, pd.DataFrame({"scope": "A", "year": 2025,
                                    "measure": ["issue:invalid_email", "issue_share:invalid_email",
                                                "issue_share:npai"],
                                    "value": [3.0, 0.25, 1 / 12]})], ignore_index=True)
    top = vq.top_issues_table(m, "A", 2025).set_index("problème")
    assert list(top.index) == ["E-mail invalide", vq.issue_label("npai")]
    assert top.at["E-mail invalide", "fiches"] == 3
    assert top.at["E-mail invalide", "part"] == pytest.approx(0.25)
    assert vq.top_issues_table(m, "Z", 2025).empty


def test_issue_comparison_centre_and_network():
    m = pd.DataFrame({"scope": ["A", "A", "A", "NETWORK", "NETWORK", "B", "B"], "year": 2025,
                      "measure": ["records", "issue_share:npai", "issue_share:invalid_email",
                                  "issue_share:npai", "issue_share:invalid_email",
                                  "records", "issue_share:npai"],
                      "value": [10, 0.2, 0.1, 8 / 40, 1 / 40, 30, 0.2]})
    comp = vq.issue_comparison_measured(m, "A", 2025).set_index("problème")
    npai = vq.issue_label("npai")
    assert comp.at[npai, "centre"] == pytest.approx(0.2)
    assert comp.at[npai, "réseau"] == pytest.approx(8 / 40)
    assert comp.at["E-mail invalide", "écart"] == pytest.approx(0.1 - 1 / 40)
    # a code the centre does not have shows 0 for it
    comp_b = vq.issue_comparison_measured(m, "B", 2025).set_index("problème")
    assert comp_b.at["E-mail invalide", "centre"] == 0
    html = vq.issue_comparison_table(comp.reset_index()).to_html()
    assert 'data-measure="issue_share:npai" data-scope="NETWORK"' in html


def test_trend_and_french_format():
    tr = vq.trend(_metrics(), "A", 2025).set_index("indicateur")
    assert tr.at["Fiches exportées", "n_1"] == 10 and tr.at["Fiches exportées", "n"] == 12
    assert tr.at["Joignables par courrier", "évolution"] == pytest.approx(0.25)
    assert tr.at["Fiches avec au moins un problème", "n"] == pytest.approx(3 / 12)
    ft = vq.format_trend(tr.reset_index()).set_index("Indicateur")
    assert ft.at["Joignables par courrier", "Évolution"] == "+25,0\u00a0pt"
    assert ft.at["Fiches exportées", "Évolution"] == "+2"
    # the French texts of both years stay measure elements with their raw values
    html = table(vq.format_trend(vq.trend(_metrics(), "A", 2025))).to_html()
    assert ('data-measure="mailable_rate" data-scope="A" data-year="2024" data-value="0.5">'
            "50,0\u00a0%<") in html
    assert 'data-measure="records" data-scope="A" data-year="2025" data-value="12.0">12<' in html
    # no previous year: n_1 missing, shown as a dash
    tb = vq.trend(_metrics(), "B", 2025)
    assert tb["n_1"].isna().all()
    assert (vq.format_trend(tb)["Année N-1"] == "–").all()


def test_issue_trend():
    it = vq.issue_trend(_metrics(), "A", 2025).set_index("problème")
    npai = vq.issue_label("npai")
    assert it.at[npai, "fiches_n_1"] == 2 and it.at[npai, "fiches_n"] == 1
    assert it.at[npai, "part_n"] == pytest.approx(1 / 12)
    html = table(it.reset_index(), pct=["part_n_1", "part_n"]).to_html()
    assert 'data-measure="issue:npai" data-scope="A" data-year="2024" data-value="2.0"' in html


def test_centre_ranking_worst_first():
    rk = vq.centre_ranking(_metrics(), 2025)
    assert list(rk["centre"]) == ["B", "A"]
    rk = rk.set_index("centre")
    assert rk.at["A", "avec_problème"] == pytest.approx(3 / 12)
    assert rk.at["A", "évolution_problème"] == pytest.approx(3 / 12 - 4 / 10)
    assert np.isnan(rk.at["B", "évolution_problème"])
    assert "NETWORK" not in rk.index


def _history() -> pd.DataFrame:
    return pd.DataFrame({
        "centre": ["A"] * 7, "local_id": ["1", "2", "2", "3", "4", "5", "6"],
        "year": [2025, 2025, 2025, 2025, 2025, 2024, 2025],
        "event": ["nouveau", "modification", "modification", "modification", "plus_exporte",
                  "nouveau", "reexporte"],
        "field": [None, "email", "postcode", "email", None, None, None],
        "old_value": [None, None, "75001", "x@y.fr", None, None, None],
        "new_value": [None, "a@b.fr", "75002", None, None, None, None],
    })


def _history_measures(history: pd.DataFrame, year: int = 2025) -> pd.DataFrame:
    """The pipeline's history breakdowns of ``history`` as the base's ``measures`` table."""
    rows = bd.history_rows(history, ["A"], year)
    return rows.rename(columns={"centre": "scope", "metric": "measure"})


def test_changes_summary_counts_records_per_event():
    stored = _history_measures(_history())
    ch = vq.changes_summary(stored, "A", 2025).set_index("évènement")["fiches"]
    assert ch["Nouvelles fiches"] == 1
    assert ch["Fiches modifiées"] == 2  # record 2 counted once for two fields
    assert ch["Fiches plus exportées"] == 1
    assert ch["Fiches de retour dans l'export"] == 1
    assert ch["Fiches rattachées à un autre contact"] == 0
    assert vq.changes_summary(stored, "NETWORK", 2025)["fiches"].tolist() == ch.tolist()
    empty = vq.changes_summary(_history_measures(_history().iloc[:0]), "A", 2025)
    assert (empty["fiches"] == 0).all() and len(empty) == len(vq.EVENTS)
    assert 'data-measure="changes:fusion" data-scope="A"' in table(empty).to_html()


def test_field_changes_completed_and_emptied():
    fc = vq.field_changes(_history_measures(_history()), "A", 2025).set_index("champ")
    assert fc.at["E-mail", "modifications"] == 2
    assert fc.at["E-mail", "complétés"] == 1 and fc.at["E-mail", "effacés"] == 1
    assert fc.at["Code postal", "complétés"] == 0
    assert list(fc.index) == ["E-mail", "Code postal"]  # most modified first
    assert vq.field_changes(_history_measures(_history(), 2023), "A", 2023).empty
    assert vq.field_changes(pd.DataFrame(columns=["scope", "year", "measure", "value"]),
                            "A", 2025).empty


def test_return_followup_statuses():
    fu = pd.DataFrame({"centre": ["A"] * 6, "local_id": ["2", "2", "4", "5", "5", "6"],
                       "code": ["invalid_postcode", "invalid_email", "invalid_email", "invalid_email",
                                "invalid_email", "npai"],
                       "status": ["corrigé", "toujours", "toujours", "retiré", "retiré", "corrigé"]})
    stored = bd.followup_rows(fu, 2025).rename(columns={"centre": "scope", "metric": "measure"})
    t = vq.return_followup(stored, "A", 2025).set_index("problème")
    email = t.loc["E-mail invalide"]
    assert email["signalées_n_1"] == 3  # record 5 counted once
    assert email["toujours_à_corriger"] == 2 and email["plus_exportées"] == 1
    assert email["taux_correction"] == 0
    pc = t.loc["Code postal invalide"]
    assert pc["corrigées"] == 1 and pc["taux_correction"] == 1
    assert list(t.index)[0] == "E-mail invalide"  # most reported first
    assert t[["signalées_n_1", "corrigées"]].dtypes.eq("int64").all()
    # every code together: 2 fixed among 4 still exported (record 5 dropped)
    assert measure_value(stored, "fix_rate", "A", 2025) == pytest.approx(2 / 4)
    assert vq.return_followup(stored, "NETWORK", 2025).equals(vq.return_followup(stored, "A", 2025))
    assert vq.return_followup(bd.followup_rows(fu.iloc[:0], 2025), "A", 2025).empty
    assert vq.return_followup(pd.DataFrame(columns=["scope", "year", "measure", "value"]),
                              "A", 2025).empty


def test_field_flags_are_per_record_and_field():
    filled, valid = bd.field_flags(vq.exported(_records()), _issues())
    assert filled.shape == valid.shape == (4, len(bd.QUALITY_FIELDS))
    assert not (valid & ~filled).any().any()  # valid implies filled
    assert list(valid["mobile"]) == [False, False, False, False]  # "06" flagged invalid_phone
    assert list(valid["phone"]) == [True, False, False, False]


def _links() -> pd.DataFrame:
    return pd.DataFrame({
        "centre": ["A", "A", "A", "B", "B", "C"],
        "local_id": ["1", "2", "3", "1", "2", "1"],
        "contact_id": ["c1", "c1", "c2", "c2", "c3", "c2"],
        "exported": [True, True, True, True, True, True],
    })


def _dedup_measures() -> pd.DataFrame:
    """Records, contacts, duplicates and shared clients of centres A, B, C (the links of
    :func:`_links`) and the network, with the pipeline's derived figures."""
    from grc.measures.metrics import _derived

    rows = [(c, m, v) for c, recs, contacts, shared in (("A", 3, 2, 1), ("B", 2, 2, 1),
                                                       ("C", 1, 1, 1), ("NETWORK", 6, 3, 1))
            for m, v in (("records", recs), ("contacts", contacts),
                         ("duplicates", recs - contacts), ("shared_contacts", shared))]
    out = pd.DataFrame(rows, columns=["centre", "metric", "value"]).assign(year=2025)
    out = pd.concat([out, _derived(out)], ignore_index=True)
    return out.rename(columns={"centre": "scope", "metric": "measure"})


def test_duplicates_summary_network_and_centre():
    m = _dedup_measures()
    s = vq.duplicates_summary(m, "NETWORK", 2025).set_index("indicateur")["valeur"]
    assert s["Fiches exportées"] == 6 and s["Contacts distincts"] == 3
    assert s["Doublons à l'intérieur des centres"] == 1
    assert s["Doublons entre centres"] == 2
    assert s["Clients présents dans plusieurs centres"] == 1
    a = vq.duplicates_summary(m, "A", 2025).set_index("indicateur")
    assert a.at["Doublons dans le centre", "valeur"] == 1
    assert a.at["Clients aussi présents dans un autre centre", "valeur"] == 1
    assert vq.duplicates_summary(m, "Z", 2025).empty
    assert 'data-measure="duplicates_between"' in table(s.reset_index()).to_html()


def test_duplicates_per_centre():
    per = vq.duplicates_per_centre(_dedup_measures(), 2025).set_index("centre")
    assert per.at["A", "doublons"] == 1 and per.at["A", "taux_doublons"] == pytest.approx(1 / 3)
    assert per.at["A", "partagés"] == 1 and per.at["B", "partagés"] == 1 and per.at["C", "partagés"] == 1
    assert per.index[0] == "A"


def _pairs() -> pd.DataFrame:
    return pd.DataFrame({"score": [50.0, 40.0, -2.0, -20.0, -18.0, np.nan],
                         "decision": ["match", "match", "review", "non-match", "non-match", "match"]})


def test_pair_decisions():
    pairs = _pairs().assign(centre_a=["A", "A", "A", "A", "B", "A"], centre_b=["A", "B", "A", "A", "B", "A"])
    stored = bd.pair_rows(pairs, 2025).rename(columns={"centre": "scope", "metric": "measure"})
    d = vq.pair_decisions(stored, "NETWORK", 2025).set_index("décision")
    assert d.at["Même client (fusionné)", "paires"] == 3
    assert d.at["À vérifier", "part"] == pytest.approx(1 / 6)
    assert d.at["Clients distincts", "score_médian"] == pytest.approx(-19)
    a = vq.pair_decisions(stored, "A", 2025).set_index("décision")  # both records in A
    assert a["paires"].to_dict() == {"Même client (fusionné)": 2, "À vérifier": 1,
                                     "Clients distincts": 1}
    assert vq.pair_decisions(stored, "Z", 2025).empty
    assert 'data-measure="pair_score:non-match" data-scope="NETWORK"' in table(d.reset_index()).to_html()


def _pair_stored(pairs: pd.DataFrame | None = None) -> pd.DataFrame:
    """The measures of ``pairs`` (default :func:`_pairs`, records of centre A)."""
    pairs = _pairs().assign(centre_a="A", centre_b="A") if pairs is None else pairs
    return bd.pair_rows(pairs, 2025).rename(columns={"centre": "scope", "metric": "measure"})


def test_plots_draw_without_error():
    import matplotlib.pyplot as plt

    ax = vq.plot_score_distribution(_pair_stored(), "NETWORK", 2025)
    assert len(ax.patches) > 0
    empty = vq.plot_score_distribution(_pair_stored(), "Z", 2025)  # no pair: an empty chart
    assert len(empty.patches) == 0 and "0 paires" in empty.figure.grc_alt
    stored = _stored(_records(), _issues())
    vq.plot_field_heatmap(vq.field_quality_table(stored, "A", 2025))
    vq.plot_field_heatmap(vq.centre_field_table(stored, 2025), network=True)
    ch = vq.channel_table(stored, "A", 2025)
    vq.plot_channels(ch, ch)
    vq.plot_shared_bars(vq.shared_clients(_pair_measures(), "A", 2025))
    plt.close("all")


def _review() -> pd.DataFrame:
    return pd.DataFrame({
        "centre_a": ["A", "A"], "local_id_a": ["1", "2"], "centre_b": ["A", "B"], "local_id_b": ["3", "9"],
        "score": [-1.0, 3.0], "civility_a": ["MME", "M"], "civility_b": ["MME", None],
        "first_name_a": ["Élise", "Jean"], "first_name_b": ["E.", "Jean"],
        "last_name_a": ["Durand", "Petit"], "last_name_b": ["Durand", "Petit"],
        "organisation_a": [None, None], "organisation_b": [None, None],
        "address1_a": ["12 rue des Lilas", None], "address1_b": ["12 rue des Lilas", None],
        "postcode_a": ["75011", "69001"], "postcode_b": ["75011", "69002"],
        "city_a": ["PARIS", "LYON"], "city_b": ["PARIS", "LYON"],
        "email_a": ["elise.durand@gmail.com", None], "email_b": [None, None],
        "phone_a": ["+33612345678", None], "phone_b": ["+33612345678", None],
        "mobile_a": [None, None], "mobile_b": [None, None],
        "first_sim": [0.6, 1.0], "last_sim": [1.0, 1.0], "email_eq": [np.nan, np.nan],
    })


def test_review_pairs_scope():
    assert len(vq.review_pairs(_review(), "NETWORK")) == 2
    assert list(vq.review_pairs(_review(), "A")["local_id_b"]) == ["3"]  # both sides in A
    assert vq.review_pairs(_review(), "B").empty


def test_masked_examples_hide_personal_values():
    ex = vq.masked_examples(_review(), n=5)
    assert len(ex) == 2
    assert ex[0].attrs["score"] == 3.0  # highest score first
    text = " ".join(" ".join(map(str, f.to_numpy().ravel())) for f in ex)
    for secret in ("Durand", "Élise", "elise.durand", "612345678", "Lilas", "75011", "Petit"):
        assert secret not in text
    first = ex[1].set_index("champ")
    assert first.at["Nom", "identique"] == "oui"
    assert first.at["Prénom", "identique"] == "non"
    assert first.at["E-mail", "identique"] == "–"
    assert first.at["Code postal", "fiche A"] == "75•••"
    assert first.at["Ville", "fiche A"] == "PARIS"
    assert "Organisation" not in first.index  # empty on both sides
    assert ex[1].attrs["similarities"] == {"prénom": 0.6, "nom": 1.0}
    assert vq.masked_examples(_review().iloc[:0]) == []


def _pair_measures() -> pd.DataFrame:
    links = pd.DataFrame({"centre": ["A", "B", "A", "B", "A", "B", "C", "A", "C", "B", "C"],
                          "contact_id": ["x", "x", "y", "y", "z", "z", "z", "w", "w", "v", "v"]})
    return bd.shared_pair_rows(links, 2025).rename(columns={"centre": "scope", "metric": "measure"})


def test_shared_clients_and_matrix():
    links = pd.DataFrame({"centre": ["A", "B", "A", "A"], "contact_id": ["x", "x", "x", "y"]})
    assert bd.centre_pairs(links).values.tolist() == [["A", "B", 1]]  # one client, twice in A
    m = _pair_measures()  # A-B: x, y, z; A-C: z, w; B-C: z, v
    s = vq.shared_clients(m, "C", 2025)
    assert list(s["centre"]) == ["A", "B"] and list(s["clients_partagés"]) == [2, 2]
    assert list(vq.shared_clients(m, "A", 2025)["clients_partagés"]) == [3, 2]
    assert vq.shared_clients(m, "Z", 2025).empty
    top = vq.top_shared_pairs(m, 2025, {"A": "Centre A", "B": "Centre B"}, top=2)
    assert top.values.tolist() == [["Centre A et Centre B", 3], ["Centre A et C", 2]]
    assert vq.top_shared_pairs(m.iloc[:0], 2025).empty
    assert 'data-measure="shared_pair:A:B" data-scope="NETWORK"' in table(top).to_html()


def test_dedup_stats_table():
    stats = {"records": 100, "candidate_pairs": 50, "reduction_ratio": 0.99, "linked_pairs": 20,
             "review_pairs": 2, "timings": {"total": 1.25}}
    t = vq.dedup_stats_table(stats).set_index("indicateur")["valeur"]
    assert t["Paires candidates (après indexation)"] == "50"
    assert t["Paires possibles sans indexation"] == "4\u202f950"
    assert t["Paires candidates par fiche"] == "0,50"
    assert t["Taux de réduction"] == "99,000\u00a0%"
    assert t["Durée du dédoublonnage"] == "1,2\u00a0s" or t["Durée du dédoublonnage"] == "1,3\u00a0s"
    assert vq.dedup_stats_table({}).empty


def test_dedup_stats_reads_last_run(tmp_path):
    from types import SimpleNamespace

    from grc.store import base as db

    path = tmp_path / "b.duckdb"
    con = db.connect(path)
    runs = pd.DataFrame({"run_id": ["r1", "r2", "r3"], "year": [2025, 2025, 2024],
                         "started_at": ["2025-01-01T10:00:00", "2025-01-02T10:00:00", "2024-01-01T10:00:00"],
                         "dedup_stats": [json.dumps({"records": 1}), json.dumps({"records": 2}), None]})
    con.register("runs_df", runs)
    con.execute("CREATE TABLE runs AS SELECT * FROM runs_df")
    con.close()
    cfg = SimpleNamespace(db_path=path, year=2025)
    assert vq.dedup_stats(cfg) == {"records": 2}
    assert vq.dedup_stats(cfg, 2024) == {}
    assert vq.dedup_stats(cfg, 2023) == {}


def test_return_file_pointer(tmp_path):
    from types import SimpleNamespace

    (tmp_path / "processed" / "retours").mkdir(parents=True)
    (tmp_path / "processed" / "retours" / "A.xlsx").write_bytes(b"x")
    cfg = SimpleNamespace(processed_dir=tmp_path / "processed", root=tmp_path)
    a = vq.return_file(cfg, "A")
    assert a["exists"] and a["display"] == "processed/retours/A.xlsx"
    assert not vq.return_file(cfg, "B")["exists"]
    net = vq.return_file(cfg, "NETWORK")
    assert net["files"] == 1 and net["display"] == "processed/retours"


def test_current_issues_keeps_run_year():
    iss = _issues().assign(year=[2024, 2025, 2025, 2025, 2025, 2025, 2024])
    assert len(vq.current_issues(iss, 2025)) == 5
    assert len(vq.current_issues(_issues(), 2025)) == len(_issues())


def test_issue_comparison_table_shares_one_bar_scale_and_gives_points():
    comp = pd.DataFrame({"problème": ["E-mail invalide", "Code postal invalide"],
                         "centre": [0.20, 0.05], "réseau": [0.10, 0.08], "écart": [0.10, -0.03]})
    html = vq.issue_comparison_table(comp).to_html()
    assert "10,0" in html and "-3,0" in html  # the gap in points, French decimals
    assert "20,0\u00a0%" in html and "8,0\u00a0%" in html
    # one scale (the largest share, 20 %) for both columns: 10 % fills half a cell, 8 % 40 %
    bars = set(re.findall(r"#a9c0e0 ([\d.]+)%", html))
    assert bars == {"100.0", "25.0", "50.0", "40.0"}


def test_score_histogram_alt_text_counts_the_decisions():
    pairs = pd.DataFrame({"score": [1.0, 5.0, 9.0, 9.5], "decision": ["non-match", "review", "match", "match"],
                          "centre_a": "A", "centre_b": "A"})
    ax = vq.plot_score_distribution(_pair_stored(pairs), "A", 2025)
    assert "même client (fusionné) : 2 paires" in ax.figure.grc_alt and "log2" not in ax.get_xlabel()


def test_score_histogram_is_measured_in_fixed_bins_per_scope():
    """``pair_bin:<decision>:<bin>``: pairs per 1-point score bin, a centre's (both records
    its own) and the network's; the page's histogram adds up to the pairs per decision."""
    pairs = _pairs().assign(centre_a=["A", "A", "A", "A", "B", "A"], centre_b=["A", "B", "A", "A", "B", "A"])
    stored = _pair_stored(pairs)
    bins = stored[stored["measure"].str.startswith("pair_bin:")]
    got = dict(zip(zip(bins["scope"], bins["measure"], strict=True), bins["value"], strict=True))
    assert got[("A", "pair_bin:match:50")] == 1 and ("A", "pair_bin:match:40") not in got  # A-B
    assert got[("NETWORK", "pair_bin:match:40")] == 1 and got[("A", "pair_bin:review:-2")] == 1
    assert got[("NETWORK", "pair_bin:non-match:-20")] == 1 and got[("B", "pair_bin:non-match:-18")] == 1
    assert bd.pair_bin(pd.Series([2.7, -0.5, 3.0])).tolist() == [2, -1, 3]
    hist = vq.score_histogram(stored, "NETWORK", 2025)
    assert list(hist.columns) == ["match", "review", "non-match"]
    assert hist.index[0] == -20 and hist.index[-1] == 50 and len(hist) == 71  # every bin, zeros
    # every pair with a score once: the totals are the pairs per decision (one without score)
    totals = hist.sum().to_dict()
    assert totals == {"match": 2, "review": 1, "non-match": 2}
    assert measure_value(stored, "pairs:match", "NETWORK", 2025) == totals["match"] + 1
    assert vq.score_histogram(stored, "Z", 2025).empty
