"""The fast paths of the pipeline give exactly what the plain, one-scope-at-a-time code gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from grc.measures.catalogue import BREAKDOWNS
from grc.measures.metrics import _scope_metrics, compute_measures
from grc.schema import NETWORK

YEAR = 2025


def _frames(seed: int) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    centres = ["C02", "C01", "C03", "C04", "C05"]
    n = 400
    q = pd.DataFrame({
        "centre": rng.choice(centres, n), "local_id": [f"L{i}" for i in range(n)],
        "year": rng.choice([YEAR - 1, YEAR], n), "exported": rng.random(n) < 0.8,
        "mailable": rng.random(n) < 0.5, "emailable": rng.random(n) < 0.4,
        "phoneable": rng.choice([True, False, None], n),
    })
    q.loc[q["centre"] == "C05", "exported"] = False  # a centre with nothing exported
    links = q[["centre", "local_id"]].assign(
        contact_id=rng.choice([f"K{i}" for i in range(250)], n),
        last_year=rng.choice([YEAR - 1, YEAR], n))
    links = links[links["centre"] != "C04"]  # a centre without links
    pick = rng.integers(0, n, 300)
    issues = pd.DataFrame({"centre": q["centre"].to_numpy()[pick], "local_id": q["local_id"].to_numpy()[pick],
                           "code": rng.choice(["invalid_email", "npai", "missing_name"], 300)})
    m = 700
    stays = pd.DataFrame({
        "centre": rng.choice(centres[:4] + ["C99"], m), "contact_id": rng.choice(links["contact_id"], m),
        "arrival": pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 1460, m), unit="D"),
        "amount": np.where(rng.random(m) < 0.1, np.nan, rng.integers(100, 5000, m) + 0.1),
    })
    stays = stays[stays["centre"] != "C03"]  # a centre without stays
    ids = sorted(links["contact_id"].unique())
    scores = pd.DataFrame({"scope": rng.choice(centres + [NETWORK], 500), "contact_id": rng.choice(ids, 500),
                           "category": rng.choice(["Très bons", "Bons", None], 500)})
    segments = pd.DataFrame({"contact_id": ids, "segment": rng.choice(["A", "B", None], len(ids))})
    fu = pd.DataFrame({"centre": rng.choice(centres, 30), "status": rng.choice(["corrigé", "retiré"], 30)})
    return {"q": q, "issues": issues, "links": links, "stays": stays, "scores": scores,
            "segments": segments, "fu": fu}


def _one_scope_at_a_time(f: dict[str, pd.DataFrame]) -> pd.DataFrame:
    rows = []
    fu = f["fu"]
    for (c, st), n in fu.groupby(["centre", "status"]).size().items():
        rows.append({"centre": c, "year": YEAR, "metric": f"followup:{st}", "value": float(n)})
    for st, n in fu.groupby("status").size().items():
        rows.append({"centre": NETWORK, "year": YEAR, "metric": f"followup:{st}", "value": float(n)})
    seg = f["segments"][["contact_id", "segment"]]
    for code in sorted(f["q"]["centre"].unique()):
        def part(frame: pd.DataFrame, col: str = "centre") -> pd.DataFrame:
            return frame[frame[col] == code]  # noqa: B023 - used at once
        m = _scope_metrics(code, part(f["q"]), part(f["issues"]), part(f["links"]), part(f["stays"]),
                           part(f["scores"], "scope"), seg, f["links"], YEAR)
        rows += [{"centre": code, "year": YEAR, "metric": k, "value": float(v)} for k, v in m.items()]
    m = _scope_metrics(NETWORK, f["q"], f["issues"], f["links"], f["stays"],
                       f["scores"][f["scores"]["scope"] == NETWORK], seg, f["links"], YEAR)
    rows += [{"centre": NETWORK, "year": YEAR, "metric": k, "value": float(v)} for k, v in m.items()]
    return pd.DataFrame(rows)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_metrics_of_all_centres_at_once_equal_one_scope_at_a_time(seed):
    f = _frames(seed)
    want = _one_scope_at_a_time(f)
    got = compute_measures(f["q"], f["issues"], f["links"], f["stays"], f["scores"], f["segments"], YEAR,
                           followup=f["fu"])
    assert {"C04", "C05"} <= set(got["scope"])  # centres without links / exported records kept
    loyal = ["retention", "clients_prev_year", "returning_clients", "clients_total",
             "repeat_rate", "multi_centre_share"]
    derived = got["measure"].isin(["issue_rate", "shared_share", "duplicate_rate",
                                   "duplicates_within", "duplicates_between", *loyal])
    # the tables' breakdowns (grc.measures.breakdowns, tested with the views) and their shares
    derived |= got["measure"].str.partition(":")[0].isin([*BREAKDOWNS, "no_channel_share"])
    want = want.rename(columns={"centre": "scope", "metric": "measure"})
    pd.testing.assert_frame_equal(got[~derived].reset_index(drop=True), want, check_exact=True)
    # the derived ratios are the stored counts divided, scope by scope
    wide = got.pivot_table(index="scope", columns="measure", values="value")
    ok = wide["records"] > 0
    assert np.allclose(wide.loc[ok, "issue_rate"], wide.loc[ok, "records_with_issue"] / wide.loc[ok, "records"])
    assert wide.loc[~ok, "issue_rate"].isna().all()
    # loyalty measures: grc.rfm.loyalty's one implementation, per centre and for the network
    from grc.rfm import loyalty

    st = f["stays"]
    own = st[st["centre"].isin(f["q"]["centre"].unique())]
    ret = loyalty.retention(own, years=[YEAR], by=["centre"]).set_index("centre")
    for c, row in ret.iterrows():
        assert wide.at[c, "returning_clients"] == row["retained"]
        assert wide.at[c, "clients_prev_year"] == row["clients_prev"]
    net = loyalty.retention(st, years=[YEAR], by=[], same_scope=False)
    assert wide.at[NETWORK, "retention"] == pytest.approx(net["retention"].iloc[0])
    assert wide.at[NETWORK, "repeat_rate"] == pytest.approx(
        loyalty.repeat_rate(st, by=())["repeat_rate"].iloc[0])
    assert wide.at[NETWORK, "multi_centre_share"] == pytest.approx(
        loyalty.multi_centre_share(st)["share"].iloc[0])


def test_parallel_read_equals_serial_read_and_keeps_broken_centres_apart(demo_copy):
    from grc.config import load_config
    from grc.pipeline.integrate import _read_all

    cfg = load_config(demo_copy / "network.yaml")
    codes = cfg.centre_codes()
    broken = codes[2]
    spec = cfg.centre(broken).exports["contacts"]["file"]
    (cfg.export_dir(broken) / spec).write_bytes(b"")
    serial = list(_read_all(cfg, codes, "run", workers=0))
    parallel = list(_read_all(cfg, codes, "run", workers=1))
    assert [c for c, _, _ in parallel] == codes
    for (c1, f1, m1), (c2, f2, m2) in zip(serial, parallel, strict=True):
        assert (c1, m1) == (c2, m2)
        if c1 == broken:
            assert f1 is None and f2 is None and "fichier vide" in m2
            continue
        assert f1 is not None and f2 is not None and set(f1) == set(f2)
        for t in f1:
            pd.testing.assert_frame_equal(f1[t], f2[t], check_exact=True, obj=f"{c1} {t}")


def test_prefetched_reads_equal_reads_here_and_fall_back_when_a_worker_fails(demo_copy):
    """Exports read ahead by worker processes give the same frames as a read here; a read the
    workers could not do (not started, or failed) is done here."""
    import concurrent.futures as cf

    from grc.config import load_config
    from grc.pipeline.integrate import _read_all, _read_one

    cfg = load_config(demo_copy / "network.yaml")
    codes = cfg.centre_codes()
    serial = list(_read_all(cfg, codes, "run", workers=0))
    done = cf.Future()
    done.set_result(_read_one(cfg, codes[0], "run"))
    failed = cf.Future()
    failed.set_exception(EOFError("worker gone"))
    futures = {codes[0]: done, codes[1]: failed, codes[2]: cf.Future()}  # codes[3]: none
    ahead = list(_read_all(cfg, codes, "run", workers=None, futures=futures))
    assert [c for c, _, _ in ahead] == codes
    assert futures[codes[2]].cancelled()  # not started: read here instead
    for (c1, f1, m1), (c2, f2, m2) in zip(serial, ahead, strict=True):
        assert (c1, m1) == (c2, m2) and set(f1) == set(f2)
        for t in f1:
            pd.testing.assert_frame_equal(f1[t], f2[t], check_exact=True, obj=f"{c1} {t}")


def test_run_jobs_shares_the_work_and_reports_errors_here(tmp_path):
    import os

    from grc.pipeline.integrate import run_jobs

    def write(i: int) -> None:
        (tmp_path / f"{i}.txt").write_text(f"{i} {os.getpid()}")

    run_jobs([lambda i=i: write(i) for i in range(12)], workers=1)
    pids = {p.read_text().split()[1] for p in tmp_path.glob("*.txt")}
    assert len(list(tmp_path.glob("*.txt"))) == 12 and len(pids) >= 1

    parent = os.getpid()

    def only_here(i: int) -> None:  # fails in the helper: must be done again here
        if os.getpid() != parent:
            raise RuntimeError("helper")
        (tmp_path / f"h{i}.txt").write_text("ok")

    run_jobs([lambda i=i: only_here(i) for i in range(6)], workers=1)
    assert sorted(p.name for p in tmp_path.glob("h*.txt")) == [f"h{i}.txt" for i in range(6)]

    def broken() -> None:
        raise ValueError("fichier impossible")

    with pytest.raises(ValueError, match="impossible"):
        run_jobs([lambda: None, broken, lambda: None, lambda: None], workers=1)


def test_run_parts_gives_the_jobs_results_in_order_and_errors_here():
    """Independent computations shared with a forked helper: results in the jobs' order, the
    same as one after the other; a job the helper cannot do is done here; an error is raised
    here."""
    import os

    from grc.pipeline.integrate import run_parts

    frames = [lambda i=i: pd.DataFrame({"i": [i] * 200, "pid": os.getpid()}) for i in range(9)]
    got = run_parts(frames, workers=1)
    assert [int(f["i"].iloc[0]) for f in got] == list(range(9))
    parent = os.getpid()

    def here_only(i: int) -> int:
        if os.getpid() != parent:
            raise RuntimeError("helper")
        return i * i

    assert run_parts([lambda i=i: here_only(i) for i in range(6)], workers=1) == [0, 1, 4, 9, 16, 25]

    def broken() -> int:
        raise ValueError("mesure impossible")

    with pytest.raises(ValueError, match="impossible"):
        run_parts([lambda: 1, broken, lambda: 2, lambda: 3], workers=1)
    assert run_parts([lambda: 1, lambda: 2], workers=0) == [1, 2]


@pytest.mark.parametrize("seed", [1, 2])
def test_measures_computed_on_two_cores_equal_one_after_the_other(seed):
    """compute_measures with its computations shared with a helper process: the same frame."""
    from grc.pipeline.integrate import run_parts

    f = _frames(seed)
    args = (f["q"], f["issues"], f["links"], f["stays"], f["scores"], f["segments"], YEAR)
    alone = compute_measures(*args, followup=f["fu"])
    shared = compute_measures(*args, followup=f["fu"], run=lambda jobs: run_parts(jobs, workers=1))
    assert len(alone) > 100
    pd.testing.assert_frame_equal(alone, shared, check_exact=True)
