"""Qualification speed: contacts/s for generated contacts, against a plain pandas read.

Usage: python bench/bench_qualify.py --sizes 100000 1000000 [--stages]
       python bench/bench_qualify.py --truth   (recall and false flags on the demo network)
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from grc.config import load_segmentation, project_root
from grc.qualify.records import QualifyContext, qualify
from grc.qualify.reference import load_communes
from grc_truth import read_and_qualify, truth_scores
from unidecode import unidecode

FIRST = ["Jean", "Marie", "Élise", "Jean-Pierre", "Chloé", "François", "Zoé", "Luc", "Anaïs",
         "Hélène", "Noël", "Inès", "Théo", "Loïc", "Maëlle", "Paul", "Léa", "Hugo", "Camille"]
LAST = ["Dupont", "Martin", "de la Fontaine", "Le Goff", "Lefèvre", "Cœur", "Müller", "Garçon",
        "Bernard", "Petit", "Durand", "Leroy", "Moreau", "Simon", "Laurent", "Michel", "Roux"]
STREETS = ["rue des Lilas", "avenue du Général de Gaulle", "boulevard Voltaire",
           "place de l'Église", "chemin des Vignes", "impasse du Moulin", "route de Poitiers",
           "allée des Tilleuls", "rue Saint-Éloi", "quai des Chartrons"]
CIV = ["M.", "Mme", "Monsieur", "Madame", "Mlle", "M", "MME", "", "Mr"]
DOMAINS = ["gmail.com", "orange.fr", "free.fr", "laposte.net", "hotmail.fr", "wanadoo.fr",
           "yahoo.fr", "sfr.fr", "gmial.com", "orange.fe"]
CONSENT = ["1", "0", "oui", "non", "O", "N", "x", "", "true"]
SEGS = ["IND-FAM", "IND-ADU", "SCO-PRIM", "SPO-CLUB", None]


# well-formed numbers: allocated metropolitan ranges (ARCEP), and per overseas department
# a fixed and a mobile block of its own numbering (0262 / 0692 for La Réunion...)
MOBILE_PREFIXES = ["060", "061", "062", "064", "065", "066", "067", "068", "0695", "073", "074",
                   "075", "076", "077", "078", "079"]
OVERSEAS_BLOCKS = {"971": ("059099", "069012"), "972": ("059670", "069620"),
                   "973": ("059430", "069420"), "974": ("026221", "069212"),
                   "976": ("026961", "063901")}
OVERSEAS_SHARE = 0.015  # about France's: 2.2 M of 68 M people live overseas


def _digits(rng: np.random.Generator, prefixes: np.ndarray) -> np.ndarray:
    """Complete each prefix to 10 digits at random."""
    tails = rng.integers(0, 10, (len(prefixes), 10)).astype(str)
    out = np.empty(len(prefixes), dtype=object)
    for i, (p, t) in enumerate(zip(prefixes, tails, strict=True)):
        out[i] = p + "".join(t[: 10 - len(p)])
    return out


def _write(rng: np.random.Generator, nat: np.ndarray) -> np.ndarray:
    """Common French writings of national numbers (overseas: national writings only)."""
    style = rng.choice(6, len(nat), p=[.45, .15, .15, .1, .1, .05])
    out = np.empty(len(nat), dtype=object)
    for i, (n, st) in enumerate(zip(nat, style, strict=True)):
        pairs = " ".join(n[k:k + 2] for k in range(0, 10, 2))
        if n[:3] in ("059", "026", "063") or n[:4] in ("0690", "0692", "0696", "0694"):
            st = st % 3
        out[i] = (pairs, n, pairs.replace(" ", "."), "+33 " + pairs[1:], "0033" + n[1:],
                  n[1:])[st]
    return out


def generate(n: int, seed: int = 42) -> pd.DataFrame:
    """French-like contacts, ~1.5 % overseas, with a few per cent of defects of each kind."""
    rng = np.random.default_rng(seed)
    com = load_communes()
    overseas = com["department"].astype(str).str.startswith("97").to_numpy()
    w = np.where(overseas, OVERSEAS_SHARE / overseas.sum(), (1 - OVERSEAS_SHARE) / (~overseas).sum())
    ci = rng.choice(len(com), n, p=w)
    pcs = com["postcode"].to_numpy()[ci].astype(object)
    cities = com["city"].to_numpy()[ci].astype(object)
    deps = com["department"].astype(str).to_numpy()[ci]
    drop0 = (rng.random(n) < 0.03) & np.array([p.startswith("0") for p in pcs])
    pcs[drop0] = [p[1:] for p in pcs[drop0]]
    first = rng.choice(FIRST, n)
    last = rng.choice(LAST, n).astype(object)
    last[rng.random(n) < 0.01] = None
    nums = rng.integers(1, 200, n)
    street = rng.choice(STREETS, n)
    addr = np.char.add(np.char.add(nums.astype(str), " "), street).astype(object)
    addr[rng.random(n) < 0.02] = None
    fixed_pre = np.char.add(rng.choice(["01", "02", "03", "04", "05", "09"], n),
                            rng.integers(1, 10, n).astype(str)).astype(object)
    mob_pre = rng.choice(MOBILE_PREFIXES, n).astype(object)
    local = np.flatnonzero(np.isin(deps, list(OVERSEAS_BLOCKS)) & (rng.random(n) < 0.9))
    for i in local:  # most overseas clients have local numbers, some a metropolitan mobile
        fixed_pre[i], mob = OVERSEAS_BLOCKS[deps[i]]
        if rng.random() < 0.8:
            mob_pre[i] = mob
    phones = _write(rng, _digits(rng, fixed_pre))
    phones[rng.random(n) < 0.01] = "voir secrétariat"
    phones[rng.random(n) < 0.01] = "01 23 45"
    phones[rng.random(n) < 0.3] = None
    mobiles = _write(rng, _digits(rng, mob_pre))
    mobiles[rng.random(n) < 0.01] = "06 12 34 56 78 9"
    mobiles[rng.random(n) < 0.5] = None
    dom = rng.choice(DOMAINS, n, p=[.25, .2, .15, .1, .1, .08, .05, .05, .01, .01])
    emails = np.array([f"{unidecode(f).lower()}.{ln}{k}@{d}" for f, ln, k, d in zip(
        first, rng.choice(["dupont", "martin", "leroy", "petit"], n), rng.integers(0, 999, n), dom,
        strict=True)], dtype=object)
    emails[rng.random(n) < 0.01] = "jean.dupont.gmail.com"
    emails[rng.random(n) < 0.2] = None
    created = pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.integers(0, 2500, n), unit="D")
    return pd.DataFrame({
        "centre": rng.choice(["LAT", "CAP", "MER"], n), "year": 2025,
        "row": np.arange(2, n + 2), "local_id": [f"C{i:07d}" for i in range(n)],
        "civility": rng.choice(CIV, n), "first_name": first, "last_name": last,
        "organisation": None, "position": None, "address1": addr, "address2": None,
        "address3": None, "postcode": pcs, "city": cities, "country": None,
        "phone": phones, "mobile": mobiles, "email": emails,
        "segment": rng.choice(np.array(SEGS, dtype=object), n), "segment_local": None,
        "optin_email": rng.choice(CONSENT, n), "optin_phone": rng.choice(CONSENT, n),
        "created_at": created, "updated_at": pd.NaT, "employees": None,
    })


def truth(centres: int = 6, contacts: int = 800, years: str = "2024-2025", seed: int = 11) -> None:
    """Recall and false flags per planted defect on a generated demo network."""
    from grc.config import load_config
    from grc.demo.generator import generate as generate_network

    with tempfile.TemporaryDirectory() as tmp:
        generate_network(tmp, centres=centres, contacts=contacts, years=years, seed=seed)
        cfg = load_config(Path(tmp) / "network.yaml")
        recs, _, iss = read_and_qualify(cfg, cfg.year)
        table = truth_scores(recs, iss, Path(tmp) / "truth", cfg.year)
    print(f"demo network: {centres} centres, {contacts} clients, {years}, seed {seed}: "
          f"{len(recs):,} records of {cfg.year}")
    with pd.option_context("display.width", 200):
        print(table.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    print("unplanned = invalid values drawn by the generator itself, not in defects.csv "
          "(left out of clean_records); false_flags_raw counts them as false flags")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--truth", action="store_true", help="recall / false flags on the demo network")
    ap.add_argument("--stages", action="store_true", help="CPU seconds per qualification stage")
    args = ap.parse_args()
    if args.truth:
        truth()
        return
    seg = load_segmentation(project_root() / "params" / "segmentation.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            df = generate(n)
            path = Path(tmp) / f"contacts_{n}.csv"
            df.to_csv(path, index=False, sep=";")
            t0 = time.perf_counter()
            read = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, na_values=[""])
            t_read = time.perf_counter() - t0
            read = read.astype(object).where(read.notna(), None)
            read["created_at"] = pd.to_datetime(read["created_at"])
            read["updated_at"] = pd.to_datetime(read["updated_at"])
            stages: dict[str, float] = {}
            ctx = QualifyContext(dt.date(2025, 12, 31), seg, bloctel={"+33612345678"},
                                 timings=stages)
            t0, c0 = time.perf_counter(), time.process_time()
            q, iss = qualify(read, ctx)
            t_q, c_q = time.perf_counter() - t0, time.process_time() - c0
            overseas = read["postcode"].fillna("").str.startswith("97").mean()
            print(f"{n:>9} contacts ({overseas:.1%} overseas)  read_csv {t_read:6.2f} s "
                  f"({n / t_read:>9,.0f}/s)  qualify {t_q:6.2f} s ({n / t_q:>9,.0f}/s, CPU "
                  f"{c_q:.2f} s)  ratio qualify/read {t_q / t_read:5.1f}  issues {len(iss):,}")
            top = iss["code"].value_counts().head(8).to_dict()
            print("          top issues:", top)
            if args.stages:
                print("          CPU s per stage:", {k: round(v, 2) for k, v in sorted(
                    stages.items(), key=lambda kv: -kv[1])})


if __name__ == "__main__":
    main()
