"""The rule book (issue 20): e-mail by kind and sender, soft opt-in, generic addresses,
objections, phone by date and calling hours, each decision with its rule and source."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from grc import rules
from grc.campaigns import extract as ex
from grc.campaigns import facts as cfacts

REF = dt.date(2025, 12, 31)
BEFORE = dt.date(2026, 8, 10)   # last day of the Bloctel regime
AFTER = dt.date(2026, 8, 11)    # prior consent required from this day


def _contact(cid, **kw):
    row = {"contact_id": cid, "civility": "MME", "first_name": "Anne", "last_name": "Martin",
           "organisation": None, "email": f"{cid.lower()}.martin@example.fr", "phone": None,
           "mobile": "+33612345678", "segment": "IND-FAM", "kind": "B2C", "centres": "LAT",
           "rnvp6": "86390 LATHUS ST REMY", "mailable": True, "npai": False, "bloctel": False,
           "optin_email": False, "optin_phone": False, "retention_expired": False}
    row.update(kw)
    return row


def _record(cid, centre, **kw):
    row = {"centre": centre, "local_id": f"{centre}-{cid}", "contact_id": cid,
           "email": f"{cid.lower()}.martin@example.fr", "optin_email": False,
           "created_at": pd.Timestamp("2024-05-01"), "stayed": True, "objection": None,
           "objection_email": None, "objection_phone": None, "objection_post": None,
           "soft_optin_told": "oui"}
    row.update(kw)
    return row


SCHOOL = dict(kind="B2B", segment="SCO-PRIM", organisation="École Jules Ferry")


def _base():
    contacts = pd.DataFrame([
        _contact("SCHOOL", **SCHOOL, email="directrice.dupont@ecole-ferry.fr"),
        _contact("SCHOOLOBJ", **SCHOOL, email="m.durand@ecole-ferry.fr"),
        _contact("GUEST", centres="LAT;PAR"),         # stayed at LAT, prospect at PAR
        _contact("GUESTNOTOLD", centres="LAT"),       # stayed at LAT, not told at collection
        _contact("GUESTOBJ", centres="LAT;PAR"),      # stayed at LAT, objected at PAR
        _contact("FAN", optin_email=True, centres="PAR"),
        _contact("GENERIC", kind=None, segment=None, organisation="Mairie de Lathus",
                 email="accueil@mairie-lathus.fr", centres="LAT"),
        _contact("UAI", **SCHOOL, email="ce.0860123x@ac-poitiers.fr", centres="PAR"),
    ])
    records = pd.DataFrame([
        _record("SCHOOL", "LAT"), _record("SCHOOLOBJ", "LAT", objection_email="12/03/2025"),
        _record("GUEST", "LAT"), _record("GUEST", "PAR", stayed=False, soft_optin_told=None),
        _record("GUESTNOTOLD", "LAT", soft_optin_told="non"),
        _record("GUESTOBJ", "LAT"), _record("GUESTOBJ", "PAR", objection="oui"),
        _record("FAN", "PAR", optin_email=True),
        _record("GENERIC", "LAT", email="accueil@mairie-lathus.fr"),
        _record("UAI", "PAR", email="ce.0860123x@ac-poitiers.fr"),
    ])
    return contacts, records


def _email(sender, ref=REF):
    contacts, records = _base()
    return ex.extract(contacts, None, None, ex.Selection(channel="email", sender=sender), ref,
                      records=records)


def _decided(res):
    d = res.decisions.set_index("contact_id")
    return {c: (bool(a), r) for c, a, r in zip(d.index, d["allowed"], d["rule"], strict=True)}


def test_b2b_email_without_consent_kept_objection_dropped():
    for sender in ("NETWORK", "LAT"):
        d = _decided(_email(sender))
        assert d["SCHOOL"] == (True, "email_b2b")
        assert d["SCHOOLOBJ"] == (False, "objection")


def test_b2c_email_network_needs_consent():
    res = _email("NETWORK")
    d = _decided(res)
    for cid in ("GUEST", "GUESTNOTOLD"):
        assert d[cid] == (False, "email_b2c_consent")
    assert d["FAN"] == (True, "email_b2c_consent")
    assert d["GUESTOBJ"] == (False, "objection")
    assert "GUEST" not in set(res.frame["contact_id"])


def test_soft_optin_for_the_centre_where_they_stayed_only():
    lat = _decided(_email("LAT"))
    assert lat["GUEST"] == (True, "email_soft_optin")
    assert lat["GUESTNOTOLD"] == (False, "email_soft_optin")     # not told at collection
    assert lat["GUESTOBJ"] == (False, "objection")               # objected at another centre
    par = _email("PAR")
    d = _decided(par)
    assert d["GUEST"] == (False, "email_b2c_consent")             # another centre: no soft opt-in
    assert dict(zip(par.excluded["reason"], par.excluded["contacts"], strict=True))[
        "no_email_consent"] == 1
    # a centre's campaign holds only that centre's own contacts
    assert set(par.decisions["contact_id"]) == {"GUEST", "GUESTOBJ", "FAN", "UAI"}
    assert set(_email("LAT").decisions["contact_id"]) == {
        "SCHOOL", "SCHOOLOBJ", "GUEST", "GUESTNOTOLD", "GUESTOBJ", "GENERIC"}


def test_soft_optin_reason_is_reported():
    res = _email("LAT")
    reasons = dict(zip(res.excluded["reason"], res.excluded["rule"], strict=True))
    assert reasons["soft_optin_not_told"] == "email_soft_optin"
    assert reasons["objection"] == "objection"


def test_centre_uses_its_own_address_and_consent():
    contacts, records = _base()
    contacts.loc[contacts["contact_id"] == "GUEST", ["email", "optin_email"]] = (
        "anne.new@example.org", True)     # golden: a newer address with consent, from PAR
    records.loc[records["local_id"] == "PAR-GUEST", ["email", "optin_email"]] = (
        "anne.new@example.org", True)
    net = ex.extract(contacts, None, None, ex.Selection(channel="email"), REF, records=records)
    assert net.frame.set_index("contact_id").loc["GUEST", "email"] == "anne.new@example.org"
    lat = ex.extract(contacts, None, None, ex.Selection(channel="email", sender="LAT"), REF,
                     records=records)
    row = lat.frame.set_index("contact_id").loc["GUEST"]
    assert row["email"] == "guest.martin@example.fr" and row["rule"] == "email_soft_optin"


@pytest.mark.parametrize("email, generic", [
    ("contact@club-foot.fr", True), ("accueil@mairie-lathus.fr", True),
    ("ce.0312345x@ac-toulouse.fr", True), ("0312345X@ac-lyon.fr", True),
    ("contact74@handball-club.fr", True), ("info-resa@x.fr", False),
    ("jean.dupont@ac-lyon.fr", False), ("contactez.moi@x.fr", False),
    ("marie.info@gmail.com", False), ("secretariat@ecole.fr", True),
])
def test_generic_addresses(email, generic):
    assert bool(rules.generic_email(pd.Series([email]))[0]) is generic


def test_generic_address_rules():
    d = _decided(_email("NETWORK"))
    assert d["GENERIC"] == (True, "email_generic")   # kind unknown, organisation's address
    assert d["UAI"] == (True, "email_generic")
    contacts, records = _base()
    # a private person's own address is personal data whatever it looks like
    contacts.loc[contacts["contact_id"] == "FAN", ["email", "optin_email"]] = ("contact@dupont.fr",
                                                                               False)
    records.loc[records["contact_id"] == "FAN", ["email", "optin_email"]] = ("contact@dupont.fr",
                                                                            False)
    res = ex.extract(contacts, None, None, ex.Selection(channel="email"), REF, records=records)
    assert _decided(res)["FAN"] == (False, "email_b2c_consent")
    # a recorded objection wins over a generic address
    records.loc[records["contact_id"] == "GENERIC", "objection_email"] = "x"
    res = ex.extract(contacts, None, None, ex.Selection(channel="email"), REF, records=records)
    assert _decided(res)["GENERIC"] == (False, "objection")


def test_objection_names_its_channels():
    contacts, records = _base()
    records.loc[records["contact_id"] == "SCHOOL", "objection_phone"] = "2025-01-04"
    sel = {ch: ex.extract(contacts, None, None, ex.Selection(channel=ch), REF, records=records)
           for ch in ("email", "telephone", "courrier")}
    assert _decided(sel["email"])["SCHOOL"][0] is True
    assert _decided(sel["telephone"])["SCHOOL"] == (False, "objection")
    assert _decided(sel["courrier"])["SCHOOL"] == (True, "post_optout")
    # "ne pas contacter" (every channel), recorded at PAR, excludes GUESTOBJ everywhere
    for ch in ("email", "telephone", "courrier"):
        assert _decided(sel[ch])["GUESTOBJ"] == (False, "objection")


def test_objection_without_records_read_from_contacts():
    contacts, _ = _base()
    contacts["objection_post"] = [None, None, None, None, None, "oui", None, None]
    res = ex.extract(contacts, None, None, ex.Selection(channel="courrier"), REF)
    assert _decided(res)["FAN"] == (False, "objection")
    # without records the soft opt-in is never assumed
    lat = ex.extract(contacts, None, None, ex.Selection(channel="email", sender="LAT"), REF)
    assert _decided(lat)["GUEST"] == (False, "email_b2c_consent")


@pytest.mark.parametrize("ref, allowed, rule", [
    (BEFORE, True, "phone_bloctel"), (AFTER, False, "phone_consent")])
def test_phone_by_date(ref, allowed, rule):
    res = ex.extract(*_base_phone(), ex.Selection(channel="telephone"), ref)
    d = _decided(res)
    assert d["GUEST"] == (allowed, rule)            # private person, no consent, not on Bloctel
    assert d["SCHOOL"] == (True, "phone_b2b")        # professionals never concerned
    assert d["BLOC"] == (False, "phone_bloctel") if ref == BEFORE else d["BLOC"] == (
        True, "phone_consent")
    assert "10 h à 13 h et de 14 h à 20 h" in res.law
    assert ("Bloctel" in res.law) is (ref == BEFORE)


def _base_phone():
    contacts, _ = _base()
    contacts = pd.concat([contacts, pd.DataFrame([_contact("BLOC", bloctel=True,
                                                           optin_phone=True)])])
    return contacts, None, None


def test_phone_rule_boundaries():
    assert rules.phone_rule(BEFORE) is rules.PHONE_BLOCTEL
    assert rules.phone_rule(AFTER) is rules.PHONE_CONSENT
    assert rules.bloctel_regime(pd.Timestamp("2026-08-10 23:59"))


def test_each_decision_has_rule_and_source():
    for ch in ("email", "telephone", "courrier"):
        for sender in ("NETWORK", "LAT", "PAR"):
            contacts, records = _base()
            res = ex.extract(contacts, None, None, ex.Selection(channel=ch, sender=sender),
                             AFTER, records=records)
            excl = res.exclusions()
            assert len(excl) == res.selected - res.kept
            assert excl["rule"].isin(rules.RULES_BY_NAME).all()
            assert excl["source"].str.len().gt(10).all()
            assert excl["motif"].notna().all()
            assert res.decisions["rule"].notna().all()


def test_decide_is_vectorised_and_checks_its_input():
    n = 30_000
    f = pd.DataFrame({"kind": ["B2B", "B2C", None] * (n // 3), "retention_expired": False,
                      "email_valid": True, "email_typo": False, "generic_email": False,
                      "objection_email": False, "optin_email": False, "sender_client": True,
                      "sender_told": True})
    d = rules.decide(f, "email", "NETWORK")
    assert d["allowed"].sum() == n // 3
    d = rules.decide(f, "email", "LAT")
    assert d["allowed"].all() and set(d["rule"]) == {"email_b2b", "email_soft_optin"}
    with pytest.raises(ValueError, match="colonnes manquantes"):
        rules.decide(f.drop(columns="optin_email"), "email")


def test_recorded_flags_and_dates():
    s = pd.Series(["oui", "non", "12/03/2024", "", None, "0", "x", "2025-01-02", "N"])
    assert rules.recorded(s, s.index).tolist() == [True, False, True, False, False, False,
                                                   True, True, False]


def test_centre_notice_since_date():
    _, records = _base()
    records["soft_optin_told"] = None
    records.loc[records["local_id"] == "LAT-GUESTNOTOLD", "created_at"] = pd.Timestamp("2023-01-01")
    told = cfacts.with_centre_notice(records, {"LAT": dt.date(2024, 1, 1)})
    by = told.set_index("local_id")["soft_optin_told"]
    assert by["LAT-GUEST"] and not by["LAT-GUESTNOTOLD"] and not by["PAR-FAN"]


def test_register_says_what_the_rule_book_says():
    from types import SimpleNamespace

    from grc.store.gdpr import register_entries

    cfg = SimpleNamespace(network="Réseau test", centre_codes=lambda: ["LAT", "PAR"])
    text = " ".join(register_entries(cfg)[0].values())
    for rule in rules.LEGAL_RULES:
        assert rule.source in text, rule.name
        assert rule.text in text, rule.name


def test_objection_of_a_past_export_is_never_forgotten():
    _, records = _base()
    past = pd.DataFrame({"centre": ["LAT", "LAT"], "local_id": ["LAT-GUEST", "LAT-FAN"],
                         "objection_email": ["01/02/2024", "non"], "objection": [None, None]})
    out = cfacts.with_past_objections(records, past).set_index("local_id")
    assert out.loc["LAT-GUEST", "objection_email"] and not out.loc["LAT-GUEST", "objection"]
    assert out.loc["LAT-SCHOOLOBJ", "objection_email"]          # this year's own value
    assert not out.loc[["LAT-SCHOOL", "PAR-FAN"], "objection_email"].any()
    assert cfacts.objections(out).loc["GUEST", "objection_email"]


def test_every_rule_has_a_french_label_text_and_source():
    assert set(rules.RULE_LABELS) == set(rules.RULES_BY_NAME)
    for r in rules.RULES:
        assert r.label != r.name and r.text and r.source
    assert {rule for _label, rule in rules.REASONS.values()} <= set(rules.RULES)


def test_centre_file_holds_only_what_the_centre_collected():
    contacts, records = _base()
    contacts.loc[contacts["contact_id"] == "SCHOOL", ["phone", "rnvp4"]] = (
        "+33549111111", "2 RUE NEUVE")                       # golden: newer, from another centre
    records["phone"] = None
    records["rnvp4"] = None
    records["rnvp6"] = "86390 LATHUS ST REMY"
    records["mailable"] = True
    records.loc[records["local_id"] == "LAT-SCHOOL", ["phone", "rnvp4"]] = ("+33549000000",
                                                                          "1 RUE DU BOURG")
    lat = {ch: ex.extract(contacts, None, None, ex.Selection(channel=ch, sender="LAT"), REF,
                          records=records).frame.set_index("contact_id")
           for ch in ("telephone", "courrier")}
    assert lat["telephone"].loc["SCHOOL", "phone_e164"] == "+33549000000"
    assert lat["courrier"].loc["SCHOOL", "rnvp4"] == "1 RUE DU BOURG"
    net = ex.extract(contacts, None, None, ex.Selection(channel="telephone"), REF,
                     records=records).frame.set_index("contact_id")
    assert net.loc["SCHOOL", "phone_e164"] == "+33549111111"
