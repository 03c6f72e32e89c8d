"""The demo network generator: determinism, layout, dialects, defects at their rates."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import yaml
from grc.demo.generator import RATES, generate


def _tree_hash(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(a, centres=4, contacts=150, years="2024-2025", seed=5)
    generate(b, centres=4, contacts=150, years="2024-2025", seed=5)
    generate(c, centres=4, contacts=150, years="2024-2025", seed=6)
    ha, hb = _tree_hash(a), _tree_hash(b)
    assert ha == hb  # byte for byte, xlsx included
    assert ha != _tree_hash(c)


def test_layout_and_tables(demo_dir):
    cfg = yaml.safe_load((demo_dir / "network.yaml").read_text(encoding="utf-8"))
    assert cfg["year"] == 2025 and cfg["npai_file"] == "npai/npai_{year}.csv"
    tables = sorted((demo_dir / "centres").glob("*.yaml"))
    assert len(tables) == 6
    seg_codes = {s["code"] for s in yaml.safe_load(
        (Path(__file__).resolve().parent.parent / "params" / "segmentation.yaml").read_text())["segments"]}
    softwares = set()
    for t in tables:
        d = yaml.safe_load(t.read_text(encoding="utf-8"))
        softwares.add(d["software"])
        assert set(d["codes"]["segment"].values()) == seg_codes  # every local code maps to the 16
        assert len(d["postcode"]) == 5 and d["capacity"] > 0
        for y in range(2022, 2026):
            folder = demo_dir / "raw" / str(y) / d["code"]
            assert (folder / d["exports"]["contacts"]["file"]).exists()
            assert (folder / d["exports"]["stays"]["file"]).exists()
    assert softwares == {"hestia", "groupbook", "sejourne", "resaxl"}
    assert (demo_dir / "bloctel.txt").read_text().strip()
    for y in range(2022, 2026):
        assert (demo_dir / "npai" / f"npai_{y}.csv").exists()
    # encodings: cp1252, utf-8 and utf-8 with BOM are all present
    raw = {p.suffix: p.read_bytes()[:3] for p in (demo_dir / "raw" / "2025").rglob("*.csv")}
    assert raw


def test_defects_at_known_rates(tmp_path):
    out = tmp_path / "net"
    generate(out, centres=8, contacts=3000, years="2022-2025", seed=1)
    rec = pd.read_csv(out / "truth" / "records.csv", dtype=str)
    defects = pd.read_csv(out / "truth" / "defects.csv", dtype=str)
    ent = pd.read_csv(out / "truth" / "entities.csv", dtype=str)
    n = len(rec)
    share = defects.groupby("code").size() / n
    # planted rates (per record-year, roughly, as defects persist until fixed)
    for code in ("invalid_email", "invalid_phone", "invalid_postcode", "unknown_code", "npai"):
        assert 0.002 < share.get(code, 0) < 0.08, (code, share.get(code, 0))
    # the same client typed twice by a centre, and clients who stay at several centres
    r25 = rec[rec["year"] == "2025"].drop_duplicates(["centre", "local_id"])
    per = r25.groupby(["centre", "entity_id"]).size()
    dup_rate = (per > 1).mean()
    assert 0.5 * RATES["duplicate"] < dup_rate < 2 * RATES["duplicate"]
    multi = ent["centres"].str.contains(";").mean()
    assert 0.03 < multi < 0.2
    # stays: seasonality per segment (school classes in spring/June, families in summer)
    frames = []
    for t in (out / "centres").glob("*.yaml"):
        d = yaml.safe_load(t.read_text(encoding="utf-8"))
        if d["software"] != "sejourne":
            continue
        p = out / "raw" / "2025" / d["code"] / d["exports"]["stays"]["file"]
        frames.append(pd.read_csv(p, sep=";", encoding="utf-8-sig", dtype=str))
    st = pd.concat(frames)
    months = pd.to_datetime(st["Arrivée"], format="%d/%m/%Y").dt.month
    assert months.isin([3, 4, 5, 6, 7, 8, 10]).mean() > 0.6
    assert st["Montant TTC"].str.contains(",").all()  # decimal commas
