"""Qualification speed: contacts/s for generated contacts, against a plain pandas read.

Usage: python bench/bench_qualify.py --sizes 100000 1000000
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
from grc.qualify import QualifyContext, qualify
from grc.reference import load_communes
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


def generate(n: int, seed: int = 42) -> pd.DataFrame:
    """French-like contacts with ~5 % defects of each kind."""
    rng = np.random.default_rng(seed)
    com = load_communes()
    ci = rng.integers(0, len(com), n)
    pcs = com["postcode"].to_numpy()[ci].astype(object)
    cities = com["city"].to_numpy()[ci].astype(object)
    drop0 = (rng.random(n) < 0.03) & np.array([p.startswith("0") for p in pcs])
    pcs[drop0] = [p[1:] for p in pcs[drop0]]
    first = rng.choice(FIRST, n)
    last = rng.choice(LAST, n).astype(object)
    last[rng.random(n) < 0.01] = None
    nums = rng.integers(1, 200, n)
    street = rng.choice(STREETS, n)
    addr = np.char.add(np.char.add(nums.astype(str), " "), street).astype(object)
    addr[rng.random(n) < 0.02] = None
    digits = rng.integers(0, 100, (n, 4))
    digits[:, 0] = rng.integers(10, 26, n)  # valid ranges for every prefix below
    pre = rng.choice(["01", "02", "03", "04", "05", "06", "09"], n)
    base = [f"{p} {a:02d} {b:02d} {c:02d} {d:02d}" for p, (a, b, c, d) in zip(pre, digits,
                                                                              strict=True)]
    style = rng.integers(0, 6, n)
    phones = np.empty(n, dtype=object)
    for i, (b, s) in enumerate(zip(base, style, strict=True)):
        phones[i] = (b, b.replace(" ", "."), "+33 " + b[1:], b.replace(" ", ""),
                     "0033" + b[1:].replace(" ", ""), b[1:].replace(" ", ""))[s]
    phones[rng.random(n) < 0.01] = "voir secrétariat"
    phones[rng.random(n) < 0.3] = None
    mob = [f"06 {a:02d} {b:02d} {c:02d} {d:02d}" for a, b, c, d in rng.integers(0, 100, (n, 4))]
    mobiles = np.array(mob, dtype=object)
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    args = ap.parse_args()
    seg = load_segmentation(project_root() / "params" / "segmentation.yaml")
    ctx = QualifyContext(dt.date(2025, 12, 31), seg, bloctel={"+33612345678"})
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
            t0 = time.perf_counter()
            q, iss = qualify(read, ctx)
            t_q = time.perf_counter() - t0
            print(f"{n:>9} contacts  read_csv {t_read:6.2f} s ({n / t_read:>9,.0f}/s)  "
                  f"qualify {t_q:6.2f} s ({n / t_q:>9,.0f}/s)  ratio qualify/read "
                  f"{t_q / t_read:5.1f}  issues {len(iss):,}")
            top = iss["code"].value_counts().head(8).to_dict()
            print("          top issues:", top)


if __name__ == "__main__":
    main()
