"""Tests for grc.campaigns.extract: selection, channel rules, phone law on both sides of 11 Aug 2026."""

from __future__ import annotations

import datetime as dt

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml
from grc.campaigns import extract as ex
from grc.config import ConfigError

BEFORE = dt.date(2026, 8, 10)   # last day of the Bloctel regime
AFTER = dt.date(2026, 8, 11)    # prior consent required

MOBILE = "+33612345678"
FIXED = "+33549000000"


def _contact(cid, **kw):
    row = {
        "contact_id": cid, "civility": "MME", "first_name": "Anne", "last_name": "Martin",
        "organisation": None, "position": None, "postcode": "86390", "department": "86",
        "region": "Nouvelle-Aquitaine", "city": "LATHUS ST REMY",
        "rnvp1": "MADAME ANNE MARTIN", "rnvp2": None, "rnvp3": None,
        "rnvp4": "1 RUE DU BOURG", "rnvp5": None, "rnvp6": "86390 LATHUS ST REMY",
        "email": "anne.martin@example.fr", "phone": None, "mobile": MOBILE,
        "segment": "IND-FAM", "kind": "B2C", "employees": None, "centres": "LAT",
        "mailable": True, "emailable": True, "phoneable": True, "npai": False,
        "bloctel": False, "optin_email": True, "optin_phone": True,
        "retention_expired": False,
    }
    row.update(kw)
    return row


def _frames():
    contacts = pd.DataFrame([
        _contact("OK"),
        _contact("NPAI", npai=True),
        _contact("NOADDR", mailable=False),
        _contact("NOLINE6", rnvp6=None),
        _contact("OLD", retention_expired=True, npai=True),
        _contact("NOMAIL", email=None),
        _contact("BADMAIL", email="pas-un-mail"),
        _contact("NOOPTMAIL", optin_email=False),
        _contact("NOPHONE", mobile=None, phone="123"),
        _contact("B2C_BLOC", bloctel=True, optin_phone=True),
        _contact("B2C_NOOPT", bloctel=False, optin_phone=False),
        _contact("B2C_BOOKED", bloctel=True, optin_phone=False),
        _contact("B2B_BLOC", kind="B2B", segment="SCO-PRIM", organisation="École Jules Ferry",
                 bloctel=True, optin_phone=False, phone=FIXED, mobile=None, civility="M",
                 centres="LAT;PAR"),
        _contact("UNKNOWN_KIND", kind=None, segment=None, bloctel=False, optin_phone=False),
    ])
    criteria = pd.DataFrame({
        "contact_id": contacts["contact_id"],
        "family": ["Individuels"] * 12 + ["Scolaires", None],
        "lifecycle": ["actif"] * 12 + ["perdu", "prospect"],
        "next_arrival": [pd.NaT] * 11 + [pd.Timestamp("2026-09-01"), pd.NaT, pd.NaT],
        "cluster": [1] * 7 + [2] * 7,
        "segment_label": ["Famille"] * 12 + ["École élémentaire", None],
    })
    scores = pd.DataFrame({
        "scope": ["NETWORK"] * 14 + ["LAT", "LAT"],
        "contact_id": [*contacts["contact_id"], "OK", "B2B_BLOC"],
        "category": ["Bons clients"] * 7 + ["Clients tièdes"] * 7 + ["Très bons clients"] * 2,
    })
    return contacts, criteria, scores


def _run(channel, ref=BEFORE, **sel):
    contacts, criteria, scores = _frames()
    return ex.extract(contacts, criteria, scores, ex.Selection(channel=channel, **sel), ref)


def _reasons(res):
    return dict(zip(res.excluded["reason"], res.excluded["contacts"], strict=True))


def test_courrier_rules():
    res = _run("courrier")
    kept = set(res.frame["contact_id"])
    assert "OK" in kept and "B2B_BLOC" in kept
    assert not kept & {"NPAI", "NOADDR", "NOLINE6", "OLD"}
    # OLD is both expired and NPAI: counted once, under retention
    assert _reasons(res) == {"retention_expired": 1, "npai": 1, "no_address": 2}
    assert res.selected == 14 and res.kept == 10
    assert list(res.frame.columns) == ex.OUTPUT_COLUMNS["courrier"]
    assert res.frame.set_index("contact_id").loc["OK", "civility"] == "Mme"
    assert res.excluded["motif"].str.len().gt(0).all()


def test_email_rules_and_never_without_optin():
    res = _run("email")
    kept = set(res.frame["contact_id"])
    assert not kept & {"NOMAIL", "BADMAIL", "NOOPTMAIL", "OLD"}
    assert _reasons(res) == {"retention_expired": 1, "no_email": 2, "no_email_consent": 1}
    assert list(res.frame.columns) == ex.OUTPUT_COLUMNS["email"]


def test_email_typo_domain_unusable_and_emailable_flag_ignored():
    contacts, criteria, scores = _frames()
    contacts.loc[contacts["contact_id"] == "OK", "email"] = "anne.martin@gmial.com"
    # ``emailable`` embeds the consumer consent rule (qualification), so it is not read:
    # the rule book decides consent by kind and sender
    contacts.loc[contacts["contact_id"] == "B2B_BLOC", ["emailable", "optin_email"]] = False
    res = ex.extract(contacts, criteria, scores, ex.Selection(channel="email"), BEFORE)
    assert "OK" not in set(res.frame["contact_id"])
    assert _reasons(res)["email_unusable"] == 1
    assert "B2B_BLOC" in set(res.frame["contact_id"])


def test_phone_before_law_change_uses_bloctel():
    res = _run("telephone", BEFORE)
    kept = set(res.frame["contact_id"])
    assert "B2C_BLOC" not in kept and "B2C_BOOKED" not in kept
    assert "B2C_NOOPT" in kept            # no consent needed yet, not on Bloctel
    assert "B2B_BLOC" in kept             # professionals are never concerned
    assert "UNKNOWN_KIND" in kept         # not on Bloctel
    assert "NOPHONE" not in kept
    r = _reasons(res)
    assert r["bloctel"] == 2 and r["no_phone"] == 1 and "no_phone_consent" not in r
    assert "Bloctel" in res.law
    row = res.frame.set_index("contact_id").loc["OK"]
    assert row["phone_e164"] == MOBILE and row["phone_national"] == "06 12 34 56 78"
    assert res.frame.set_index("contact_id").loc["B2B_BLOC", "phone_e164"] == FIXED


def test_phone_after_law_change_requires_consent():
    res = _run("telephone", AFTER)
    kept = set(res.frame["contact_id"])
    assert "B2C_NOOPT" not in kept and "B2C_BOOKED" not in kept
    assert "UNKNOWN_KIND" not in kept     # unknown kind treated as a private person
    assert "B2C_BLOC" in kept             # consent given: Bloctel regime is over
    assert "B2B_BLOC" in kept
    r = _reasons(res)
    assert r["no_phone_consent"] == 3 and "bloctel" not in r
    assert "consentement préalable" in res.law


@pytest.mark.parametrize("ref", [BEFORE, AFTER])
def test_booked_stay_exception_only_with_purpose(ref):
    res = _run("telephone", ref, purpose="sejour_en_cours")
    # the purpose restricts the target to contacts with a stay to come, and allows the call
    assert res.frame["contact_id"].tolist() == ["B2C_BOOKED"]
    assert res.selected == 1
    assert res.frame.loc[0, "next_arrival"] == pd.Timestamp("2026-09-01")
    assert "B2C_BOOKED" not in set(_run("telephone", ref).frame["contact_id"])


def test_booked_stay_in_the_past_gives_no_exception():
    contacts, criteria, scores = _frames()
    res = ex.extract(contacts, criteria, scores,
                     ex.Selection(channel="telephone", purpose="sejour_en_cours"),
                     dt.date(2026, 9, 2))
    assert res.frame.empty and res.selected == 0


def _random_base(n=400, seed=7):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        rows.append(_contact(
            f"R{i:04d}", kind=rng.choice(["B2B", "B2C", None]),
            bloctel=bool(rng.random() < 0.3), optin_phone=bool(rng.random() < 0.5),
            optin_email=bool(rng.random() < 0.5), npai=bool(rng.random() < 0.1),
            retention_expired=bool(rng.random() < 0.05),
            mobile=MOBILE if rng.random() < 0.9 else None,
            email="x@example.org" if rng.random() < 0.9 else None,
        ))
    contacts = pd.DataFrame(rows)
    nxt = pd.Series(pd.NaT, index=contacts.index)
    nxt[rng.random(n) < 0.2] = pd.Timestamp("2026-10-01")
    criteria = pd.DataFrame({"contact_id": contacts["contact_id"], "next_arrival": nxt})
    return contacts, criteria


def test_email_extraction_never_contains_private_person_without_optin():
    contacts, criteria = _random_base()
    res = ex.extract(contacts, criteria, None, ex.Selection(channel="email"), BEFORE)
    kept = contacts.set_index("contact_id").loc[res.frame["contact_id"]]
    assert len(kept) > 50
    private = kept[kept["kind"] != "B2B"]   # B2C, and unknown kind with a personal address
    assert private["optin_email"].all() and kept["email"].notna().all()
    assert (~kept["optin_email"]).sum() > 0   # professionals without consent are kept
    assert not kept["retention_expired"].any()
    assert res.kept + res.excluded["contacts"].sum() == res.selected == len(contacts)


@pytest.mark.parametrize("purpose", [None, "sejour_en_cours"])
def test_phone_extraction_never_contains_forbidden_private_person(purpose):
    contacts, criteria = _random_base()
    info = contacts.set_index("contact_id").join(criteria.set_index("contact_id"))
    for ref in (BEFORE, AFTER):
        res = ex.extract(contacts, criteria, None,
                         ex.Selection(channel="telephone", purpose=purpose), ref)
        kept = info.loc[res.frame["contact_id"]]
        assert len(kept) > 5
        private = kept[kept["kind"] != "B2B"]
        booked = private["next_arrival"] > pd.Timestamp(ref)
        allowed = booked if purpose else pd.Series(False, index=private.index)
        if ref == BEFORE:
            assert not (private["bloctel"] & ~allowed).any()
        else:
            assert (private["optin_phone"] | allowed).all()
        assert not kept["retention_expired"].any()
        assert res.kept + res.excluded["contacts"].sum() == res.selected


def test_selection_filters():
    assert set(_run("courrier", kinds=["B2B"]).frame["contact_id"]) == {"B2B_BLOC"}
    assert set(_run("courrier", segments=["SCO-PRIM"]).frame["contact_id"]) == {"B2B_BLOC"}
    assert set(_run("courrier", families=["scolaires"]).frame["contact_id"]) == {"B2B_BLOC"}
    assert set(_run("courrier", lifecycle=["perdu"]).frame["contact_id"]) == {"B2B_BLOC"}
    assert set(_run("courrier", centres=["PAR"]).frame["contact_id"]) == {"B2B_BLOC"}
    assert _run("courrier", regions=["nouvelle aquitaine"]).selected == 0
    assert _run("courrier", regions=["Nouvelle-Aquitaine"]).selected == 14
    assert _run("courrier", departments=["86"]).selected == 14
    assert _run("courrier", departments=["33"]).selected == 0
    assert _run("courrier", clusters=[2]).selected == 7
    # RFM category in the network scope, or in the single selected centre's scope
    assert _run("courrier", categories=["Clients tièdes"]).selected == 7
    lat = _run("courrier", categories=["Très bons clients"], centres=["LAT"])
    assert set(lat.frame["contact_id"]) == {"OK", "B2B_BLOC"}


def test_selection_validation_and_yaml(tmp_path):
    with pytest.raises(ConfigError):
        ex.Selection(channel="fax")
    with pytest.raises(ConfigError):
        ex.Selection(lifecycle=["endormi"])
    with pytest.raises(ConfigError):
        ex.Selection(purpose="relance")
    p = tmp_path / "sel.yaml"
    p.write_text(yaml.safe_dump({"channel": "email", "segments": "SCO-PRIM, SCO-COL",
                                 "regions": ["Bretagne"], "lifecycle": "actif"}), encoding="utf-8")
    sel = ex.load_selection(p)
    assert sel.channel == "email" and sel.segments == ["SCO-PRIM", "SCO-COL"]
    assert sel.lifecycle == ["actif"] and sel.regions == ["Bretagne"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("canal: email\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="inconnue"):
        ex.load_selection(bad)


def test_write_csv_and_sidecar(tmp_path):
    res = _run("courrier")
    out = ex.write_extract(res, tmp_path / "campagne.csv")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(out, sep=";", encoding="utf-8-sig", dtype=str)
    assert list(back.columns)[:3] == ["Identifiant", "Civilité", "Prénom"]
    assert len(back) == res.kept and "Ligne 6" in back.columns
    side = pd.read_csv(tmp_path / "campagne.exclusions.csv", sep=";", encoding="utf-8-sig")
    # one row per excluded contact, with the rule that applied and its source
    assert len(side) == res.selected - res.kept
    row = side.set_index("Identifiant").loc["NPAI"]
    assert row["Code motif"] == "npai" and row["Règle"] == "quality_npai"
    assert side.set_index("Identifiant").loc["OLD", "Source"].startswith("RGPD")
    assert side["Source"].notna().all() and side["Texte de la règle"].notna().all()
    summ = pd.read_csv(tmp_path / "campagne.resume.csv", sep=";", encoding="utf-8-sig")
    counts = dict(zip(summ["Motif"], summ["Contacts"], strict=True))
    assert counts["Contacts correspondant à la sélection"] == 14
    assert counts["NPAI : n'habite plus à l'adresse indiquée"] == 1
    assert counts["Contacts retenus dans le fichier"] == res.kept
    with pytest.raises(ConfigError):
        ex.write_extract(res, tmp_path / "x.txt")


def test_write_xlsx_with_exclusions_sheet(tmp_path):
    res = _run("telephone", AFTER)
    out = ex.write_extract(res, tmp_path / "appels.xlsx")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Extraction", "Exclusions", "Résumé"]
    ws = wb["Extraction"]
    headers = [c.value for c in ws[1]]
    assert "Téléphone (E.164)" in headers and "Téléphone" in headers
    assert ws.max_row - 1 == res.kept
    excl = [[c.value for c in r] for r in wb["Exclusions"].iter_rows(min_row=2)]
    assert len(excl) == res.selected - res.kept
    assert {r[4] for r in excl} >= {ex.REASONS["no_phone_consent"]}
    motifs = [r[0].value for r in wb["Résumé"].iter_rows(min_row=2)]
    assert any("consentement préalable" in str(m) for m in motifs)
    assert any("de 10 h à 13 h et de 14 h à 20 h" in str(m) for m in motifs)


def _write_processed(tmp_path):
    contacts, criteria, scores = _frames()
    exports = tmp_path / "processed" / "exports"
    exports.mkdir(parents=True)
    contacts.to_csv(exports / "contacts.csv", index=False)
    criteria.to_csv(exports / "segments.csv", index=False)
    scores.to_csv(exports / "rfm.csv", index=False)
    cfg = tmp_path / "network.yaml"
    cfg.write_text(yaml.safe_dump({
        "network": "Test", "year": 2025, "reference_date": "2026-08-11",
        "raw_dir": "raw", "centres_dir": "centres", "processed_dir": "processed",
    }), encoding="utf-8")
    return cfg


def test_load_frames_parses_types(tmp_path):
    from grc.config import load_config

    cfg = load_config(_write_processed(tmp_path))
    contacts, criteria, scores = ex.load_frames(cfg)
    assert contacts["optin_phone"].dtype == bool and contacts["npai"].sum() == 2
    assert criteria["next_arrival"].notna().sum() == 1
    assert str(criteria["cluster"].dtype) == "Int64"
    assert set(scores["scope"]) == {"NETWORK", "LAT"}


def test_cli_extract(tmp_path, capsys):
    cfg = _write_processed(tmp_path)
    out = tmp_path / "out" / "tel.csv"
    rc = ex.cli_extract(["--config", str(cfg), "--channel", "telephone", "--out", str(out)])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "contacts retenus" in printed and "consentement préalable" in printed
    back = pd.read_csv(out, sep=";", encoding="utf-8-sig", dtype=str)
    assert "B2C_NOOPT" not in set(back["Identifiant"])       # config date: after the change
    assert (tmp_path / "out" / "tel.exclusions.csv").exists()

    rc = ex.cli_extract(["--config", str(cfg), "--channel", "telephone", "--out", str(out),
                         "--reference-date", "2026-08-10"])
    back = pd.read_csv(out, sep=";", encoding="utf-8-sig", dtype=str)
    assert rc == 0 and "B2C_NOOPT" in set(back["Identifiant"])

    sel = tmp_path / "sel.yaml"
    sel.write_text("channel: email\nkinds: [B2B]\n", encoding="utf-8")
    rc = ex.cli_extract(["--config", str(cfg), "--selection", str(sel), "--segment", "SCO-PRIM",
                         "--out", str(tmp_path / "m.xlsx")])
    assert rc == 0 and (tmp_path / "m.xlsx").exists()
    # default output path under processed/exports/extractions
    rc = ex.cli_extract(["--config", str(cfg), "--lifecycle", "actif,perdu"])
    assert rc == 0
    assert (tmp_path / "processed" / "exports" / "extractions"
            / "extraction_courrier_2026-08-11.csv").exists()
    assert ex.cli_extract(["--config", str(cfg), "--lifecycle", "endormi"]) == 2
    assert ex.cli_extract(["--config", str(tmp_path / "absent.yaml")]) == 2
