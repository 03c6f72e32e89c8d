"""Qualification against the demo network's truth file: recall and false flags per code.

Generator note: ``grc.demo.generator`` draws some clients' own numbers outside the allocated ranges
(07 0x-07 2x mobiles, random digits in overseas blocks) and cuts some organisation domains
on a hyphen ("harmonie-municipale-.fr"). Those values are invalid for phonenumbers and
email-validator, yet absent from ``truth/defects.csv``: :func:`bench/grc_truth.unplanned_defects`
lists them, they are left out of the false-flag denominators and must all be flagged.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from grc.config import load_config
from grc.qualify import records as Q

from tests.evaluation import truth as T

NET = {"centres": 6, "contacts": 800, "years": "2024-2025", "seed": 11}


@pytest.fixture(scope="module")
def scored(tmp_path_factory) -> tuple[Path, pd.DataFrame, pd.DataFrame, pd.DataFrame, int]:
    from grc.demo.generator import generate

    out = tmp_path_factory.mktemp("truth")
    generate(out, **NET)
    cfg = load_config(out / "network.yaml")
    contacts, qualified, issues = T.read_and_qualify(cfg, cfg.year)
    return out, contacts, qualified, issues, cfg.year


def test_recall_and_false_flags_per_code(scored):
    out, contacts, _, issues, year = scored
    table = T.truth_scores(contacts, issues, out / "truth", year)
    with pd.option_context("display.width", 200):
        print()
        print(table.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    assert set(table["planted"]) == set(T.TRUTH_EXPECTED)
    truth = pd.read_csv(out / "truth" / "defects.csv", dtype=str)
    truth = truth[truth["year"] == str(year)]
    for planted in T.TRUTH_EXPECTED:  # every code is planted at least once in this network
        assert (truth["code"] == planted).any(), planted
    for r in table.itertuples():
        assert r.n_planted > 0
        assert r.recall >= 0.95, (r.planted, r.found, r.n_planted)
        assert r.false_flag_rate < 0.01, (r.issue_code, r.false_flags, r.clean_records)
        # the generator's own invalid values (not in the truth file) are real defects: all found
        assert r.unplanned_found == r.unplanned, (r.issue_code, r.unplanned_found, r.unplanned)
    # every issue code is either planted or a consequence of consent, law or age
    assert set(issues["code"]) <= set(T.TRUTH_EXPECTED.values()) | T.NOT_PLANTED_CODES


def test_unplanned_defects_are_really_invalid(scored):
    """The records left out of the false-flag denominators hold values both parsers reject."""
    out, contacts, _, _, year = scored
    u = T.unplanned_defects(contacts, out / "truth", year)
    # the generator draws phones from allocated ranges and clean domains: every invalid value
    # it writes is a declared defect of the truth file
    assert u.empty, u.head()
    for r in u.itertuples():
        if r.code == "invalid_phone":
            assert Q.parse_phone_full(r.value, "FR")[0] is None, r.value
            for reg in ("GP", "MQ", "GF", "RE", "YT"):
                assert Q.parse_phone_full(r.value, reg)[0] is None, (r.value, reg)
        else:
            assert Q.validate_email_full(r.value)[0] is None, r.value


def test_dropped_zero_and_overseas_not_flagged(scored):
    out, contacts, qualified, issues, year = scored
    truth = pd.read_csv(out / "truth" / "defects.csv", dtype=str)
    bad_pc = truth[(truth["year"] == str(year)) & (truth["code"] == "invalid_postcode")]
    planted = pd.MultiIndex.from_frame(bad_pc[["centre", "local_id"]])
    pc = contacts["postcode"].astype(str)
    keys = pd.MultiIndex.from_frame(contacts[["centre", "local_id"]].astype(str))
    dropped = contacts[pc.str.fullmatch(r"\d{4}") & ~keys.isin(planted)]
    assert len(dropped) > 5  # a spreadsheet dropped the leading zero: not a defect
    flagged_pc = set(zip(issues.loc[issues["code"] == "invalid_postcode", "centre"],
                         issues.loc[issues["code"] == "invalid_postcode", "local_id"],
                         strict=True))
    restored = qualified.loc[dropped.index, "postcode"]
    ok = [(c, lid) not in flagged_pc for c, lid in zip(dropped["centre"], dropped["local_id"],
                                                       strict=True)]
    assert all(ok)
    assert (restored == "0" + dropped["postcode"].astype(str)).all()
    overseas = qualified[qualified["postcode"].astype(str).str.startswith("97")]
    assert len(overseas) > 10
    nums = pd.concat([overseas["phone"], overseas["mobile"]]).dropna()
    local = nums[nums.str.match(r"\+(262|590|594|596)")]
    assert len(local) > 10  # overseas numbers parsed with their territory's code
