"""Deduplication benchmark: Febrl (febrl1-3 dedup, febrl4 linkage), the demo network's planted
person cases (issue 21) and generated French-like data.

Usage: python bench/bench_dedup.py --sizes 10000 100000 1000000 [--skip-febrl] [--em N]
       [--demo-contacts 3000 | --demo-dir DIR | --skip-demo]
febrl1 and febrl2 are held out: never used to tune the model, only reported.
The demo part prints the pairwise precision/recall/F1 on the last year's qualified records
and, per planted case (``truth/cases.csv``), the share of the case's record pairs linked:
recall for the same-person cases, false links for the different-person ones. Run it with
PYTHONPATH pointing at another ``lib`` (e.g. main's, one whose ``DedupResult`` has
``candidates``) and ``--demo-dir`` to compare versions. The scoring against the truth
(``grc_truth``) lives here, outside the library.
Prints precision, recall, F1 of the pairs, candidate pairs, pair completeness, reduction
ratio, wall time and peak memory (RSS high-water mark and tracemalloc for small runs), and
the Jaro-Winkler speed of recordlinkage vs the rapidfuzz feature on the same pairs.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import recordlinkage
from grc.dedup.link import _candidate_positions, _keys, deduplicate, make_key
from grc_truth import case_table, demo_records, pair_completeness, pair_scores
from recordlinkage.datasets import load_febrl1, load_febrl2, load_febrl3, load_febrl4
from unidecode import unidecode


def rss_peak_mb() -> float:
    """Process peak RSS (MB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report(name: str, res, entity: np.ndarray, centre: np.ndarray | None, wall: float,
           rss_before: float) -> dict:
    sc = pair_scores(res.links["contact_id"].to_numpy(), entity, centre)
    st = res.stats
    row = {"data": name, **sc, "candidates": st["candidate_pairs"],
           "pair_completeness": pair_completeness(entity, res.candidates,
                                                  centre)["pair_completeness"],
           "reduction_ratio": st["reduction_ratio"], "wall_s": wall,
           "rss_peak_mb": rss_peak_mb(), "rss_before_mb": rss_before,
           "review": st["review_pairs"]}
    print(f"{name:>12}: n={sc['n']} P={sc['precision']:.4f} R={sc['recall']:.4f} "
          f"F1={sc['f1']:.4f} | cand={st['candidate_pairs']} "
          f"PC={row['pair_completeness']:.4f} RR={st['reduction_ratio']:.6f} | "
          f"{wall:.1f}s peakRSS={row['rss_peak_mb']:.0f}MB | timings "
          + " ".join(f"{k}={v:.1f}" for k, v in st["timings"].items())
          + (" | cpu " + " ".join(f"{k}={v:.1f}" for k, v in st["cpu_timings"].items())
             if "cpu_timings" in st else ""), flush=True)
    if "cpu_timings" in st:
        row["cpu_s"] = st["cpu_timings"]["total"]
    return row


# ----------------------------------------------------------------------------- Febrl
def febrl_frame(df: pd.DataFrame, source: str) -> pd.DataFrame:
    """Map Febrl columns onto the qualified schema (soc_sec_id -> email, dob -> phone)."""
    out = pd.DataFrame(index=df.index)
    out["centre"] = source
    out["local_id"] = df.index.astype(str)
    out["first_name"] = df["given_name"]
    out["last_name"] = df["surname"]
    out["first_key"] = df["given_name"].map(make_key)
    out["last_key"] = df["surname"].map(make_key)
    addr = df["street_number"].fillna("").astype(str) + " " + df["address_1"].fillna("") + \
        " " + df["address_2"].fillna("")
    out["address1"] = addr.str.strip().replace("", None)
    out["postcode"] = df["postcode"]
    out["city"] = df["suburb"]
    out["department"] = df["state"]
    out["email"] = df["soc_sec_id"]  # an identifier compared by equality / closeness
    out["phone"] = df["date_of_birth"]
    out["mobile"] = None
    return out.reset_index(drop=True)


def febrl_entity(index: pd.Index) -> np.ndarray:
    return index.str.extract(r"rec-(\d+)")[0].astype(int).to_numpy()


def bench_febrl(em: int) -> list[dict]:
    rows = []
    before = rss_peak_mb()
    for name, load in (("febrl1", load_febrl1), ("febrl2", load_febrl2), ("febrl3", load_febrl3)):
        df = load()
        rec = febrl_frame(df, name.upper())
        t = time.perf_counter()
        res = deduplicate(rec, em_iterations=em)
        rows.append(report(name, res, febrl_entity(df.index), None, time.perf_counter() - t,
                           before))
    da, db = load_febrl4()
    rec = pd.concat([febrl_frame(da, "A"), febrl_frame(db, "B")], ignore_index=True)
    ent = np.concatenate([febrl_entity(da.index), febrl_entity(db.index)])
    t = time.perf_counter()
    res = deduplicate(rec, link_only=True, em_iterations=em)
    rows.append(report("febrl4", res, ent, rec["centre"].to_numpy(),
                       time.perf_counter() - t, before))
    return rows


# ----------------------------------------------------------------------------- synthetic
FIRST = ["Élise", "Jean", "Marie", "Pierre", "Hélène", "François", "Chloé", "Léa", "Jérôme",
         "Gaëlle", "Loïc", "Anaïs", "Noémie", "Benoît", "Céline", "Cécile", "Stéphane",
         "Frédéric", "Agnès", "Irène", "Thérèse", "André", "René", "Zoé", "Maël", "Inès",
         "Joël", "Michel", "Nicolas", "Sophie", "Julie", "Camille", "Louis", "Lucas", "Hugo",
         "Emma", "Manon", "Sarah", "Thomas", "Antoine", "Julien", "Nathalie", "Isabelle",
         "Sylvie", "Catherine", "Christophe", "Philippe", "Patrick", "Laurent", "Olivier",
         "Valérie", "Sandrine", "Aurélie", "Mélanie", "Émilie", "Dominique", "Pascal",
         "Bernard", "Alain", "Gérard", "Yves", "Hervé", "Didier", "Thierry", "Éric", "Bruno",
         "Margaux", "Clément", "Théo", "Maxime", "Océane", "Élodie", "Amélie", "Jérémy",
         "Raphaël", "Gabriel", "Adèle", "Clémence", "Solène", "Matthieu"]
SYL1 = ["Dur", "Mar", "Ber", "Lef", "Mor", "Gir", "Ros", "Bon", "Fon", "Gar", "Lam", "Rou",
        "Fau", "Mer", "Bou", "Che", "Dup", "Gau", "Pic", "Ren", "Vid", "Blan", "Bru", "Cha",
        "Lec", "Poi", "Tes", "Gui", "Mic", "Pet", "Lau", "Dum", "Hub", "Col", "Jol", "Sau"]
SYL2 = ["and", "tin", "nard", "èvre", "eau", "ard", "sier", "net", "taine", "cia", "bert",
        "ssel", "cher", "cier", "lanc", "vallier", "ont", "thier", "card", "aud", "al",
        "ger", "nier", "rier", "court", "ault", "ier", "ot", "in", "et", "ès", "oux",
        "ette", "y", "eur", "é"]
STREETS = ["de la République", "Victor Hugo", "des Écoles", "du Général de Gaulle", "Jean Jaurès",
           "de la Fontaine", "Pasteur", "des Lilas", "du Moulin", "de l'Église", "Émile Zola",
           "des Peupliers", "du Château", "de la Gare", "Saint-Exupéry", "des Tilleuls",
           "Gambetta", "du Stade", "des Vignes", "de Verdun", "Foch", "de Bretagne",
           "des Acacias", "Anatole France", "du Lavoir", "de la Mairie", "des Cerisiers",
           "Voltaire", "de Provence", "des Érables", "Henri Barbusse", "du Port"]
TYPES = ["rue", "avenue", "boulevard", "chemin", "impasse", "allée", "place", "route"]
CIV = {"M": ["M", "M.", "Monsieur", "Mr"], "MME": ["Mme", "Madame", "MME", "Mlle"]}
ORGS = ["École", "Collège", "Lycée", "Association", "Comité d'entreprise", "Club",
        "Mairie de", "Chorale"]
DOMAINS = ["gmail.com", "orange.fr", "free.fr", "laposte.net", "wanadoo.fr", "sfr.fr"]


def _typo(s: str, rng: np.random.Generator) -> str:
    if len(s) < 3:
        return s
    i = int(rng.integers(1, len(s) - 1))
    op = int(rng.integers(0, 3))
    if op == 0:
        return s[:i] + s[i + 1:]
    if op == 1:
        return s[:i] + s[i + 1] + s[i] + s[i + 2:]
    return s[:i] + "abcdefghijklmnopqrstuvwxyz"[int(rng.integers(0, 26))] + s[i + 1:]


def generate(size: int, seed: int = 7, n_centres: int = 12) -> pd.DataFrame:
    """French-like qualified records with planted duplicates; ``entity`` is the truth."""
    rng = np.random.default_rng(seed)
    n_ent = int(size / 1.3)
    last_names = np.array(sorted({a + b for a in SYL1 for b in SYL2}), dtype=object)
    first_names = np.array(FIRST, dtype=object)
    lkeys = np.array([make_key(x) for x in last_names], dtype=object)
    fkeys = np.array([make_key(x) for x in first_names], dtype=object)
    # Zipf-like name popularity (frequent names make homonyms)
    lw = 1.0 / np.arange(1, len(last_names) + 1) ** 0.6
    fw = 1.0 / np.arange(1, len(first_names) + 1) ** 0.6
    li = rng.choice(len(last_names), n_ent, p=lw / lw.sum())
    fi = rng.choice(len(first_names), n_ent, p=fw / fw.sum())
    sex = rng.integers(0, 2, n_ent)
    n_cities = max(50, min(30000, n_ent // 20))
    city_names = np.array([f"{a}{b}-sur-{c}".upper() if j % 5 == 0 else f"{c}{a.lower()}{b}".upper()
                           for j, (a, b, c) in enumerate(zip(
                               rng.choice(SYL1, n_cities), rng.choice(SYL2, n_cities),
                               rng.choice(SYL1, n_cities), strict=True))], dtype=object)
    city_names = np.array([make_key(c).upper() for c in city_names], dtype=object)
    dept = rng.integers(1, 96, n_cities)
    city_pc = np.array([f"{d:02d}{p:03d}" for d, p in zip(dept, rng.integers(0, 100, n_cities) * 10,
                                                                strict=True)],
                       dtype=object)

    def address(k: int):
        c = rng.integers(0, n_cities, k)
        num = rng.integers(1, 200, k)
        st = rng.integers(0, len(STREETS), k)
        ty = rng.integers(0, len(TYPES), k)
        return c, num, st, ty

    ec, enum, est, ety = address(n_ent)
    b2b = rng.random(n_ent) < 0.15
    org_kind = rng.integers(0, len(ORGS), n_ent)
    has_email = rng.random(n_ent) < 0.75
    has_phone = rng.random(n_ent) < 0.55
    has_mobile = rng.random(n_ent) < 0.6
    mob = rng.permutation(90_000_000)[:n_ent] + 10_000_000
    fix = rng.permutation(90_000_000)[:n_ent] + 10_000_000
    dom = rng.integers(0, len(DOMAINS), n_ent)
    # records: 1 + extra copies
    copies = 1 + (rng.random(n_ent) < 0.22) + (rng.random(n_ent) < 0.06)
    ent = np.repeat(np.arange(n_ent), copies)
    first_copy = np.r_[True, ent[1:] != ent[:-1]]
    n = len(ent)
    dup = ~first_copy
    r = rng.random((16, n))
    centre = np.array([f"C{j:02d}" for j in range(n_centres)], dtype=object)[
        rng.integers(0, n_centres, n)]
    fk = fkeys[fi[ent]].copy()
    lk = lkeys[li[ent]].copy()
    fn = first_names[fi[ent]].copy()
    ln = last_names[li[ent]].copy()
    initial = dup & (r[0] < 0.07)
    fn[initial] = np.array([f[0] + "." for f in fn[initial]], dtype=object)
    fk[initial] = np.array([f[0] for f in fk[initial]], dtype=object)
    swap = dup & (r[1] < 0.04)
    fk[swap], lk[swap] = lk[swap], fk[swap].copy()
    fn[swap], ln[swap] = ln[swap], fn[swap].copy()
    for mask, arr in ((dup & (r[2] < 0.08), lk), (dup & (r[3] < 0.06) & ~initial, fk)):
        arr[mask] = np.array([_typo(s, rng) for s in arr[mask]], dtype=object)
    noacc = r[4] < 0.3
    ln = ln.astype(str).astype(object)
    # civility variants
    civ_code = np.where(sex[ent] == 1, "MME", "M").astype(object)
    civ = np.array([CIV[c][j] for c, j in zip(civ_code, rng.integers(0, 4, n), strict=True)], dtype=object)
    # address (moved 4 %), street typo 6 %, missing 4 %
    c_i, num, st, ty = ec[ent].copy(), enum[ent].copy(), est[ent].copy(), ety[ent].copy()
    moved = dup & (r[5] < 0.04)
    c2, n2, s2, t2 = address(int(moved.sum()))
    c_i[moved], num[moved], st[moved], ty[moved] = c2, n2, s2, t2
    street = np.array([f"{a} {TYPES[b]} {STREETS[c]}" for a, b, c in zip(num, ty, st, strict=True)],
                      dtype=object)
    styp = dup & (r[6] < 0.06)
    street[styp] = np.array([_typo(s, rng) for s in street[styp]], dtype=object)
    rnvp4 = np.array([make_key(s).upper() for s in street], dtype=object)
    noaddr = dup & (r[7] < 0.04)
    pc = city_pc[c_i].copy()
    city = city_names[c_i].copy()
    street[noaddr] = None
    rnvp4[noaddr] = None
    pc[dup & (r[8] < 0.02)] = None
    # channels
    eids = ent
    email = np.array([f"{fkeys[fi[e]].replace(' ', '')}.{lkeys[li[e]].replace(' ', '')}{e}@"
                      f"{DOMAINS[dom[e]]}" for e in eids], dtype=object)
    email[~has_email[ent] | (dup & (r[9] < 0.25))] = None
    etypo = dup & (r[10] < 0.02) & pd.notna(email)
    email[etypo] = np.array([_typo(s, rng) for s in email[etypo]], dtype=object)
    phone = np.array([f"+33{(1 + e % 5)}{fix[e]:08d}" for e in eids], dtype=object)
    phone[~has_phone[ent] | (dup & (r[11] < 0.25))] = None
    mobile = np.array([f"+336{mob[e]:08d}" for e in eids], dtype=object)
    mobile[~has_mobile[ent] | (dup & (r[12] < 0.2))] = None
    org = np.array([f"{ORGS[org_kind[e]]} {STREETS[est[e]]} {city_names[ec[e]].title()}"
                    for e in eids], dtype=object)
    org[~b2b[ent]] = None
    okey = np.array([make_key(o) if o else None for o in org], dtype=object)
    local = pd.Series(centre).groupby(centre).cumcount().to_numpy()
    upd = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    df = pd.DataFrame({
        "centre": centre, "local_id": [f"L{x:07d}" for x in local], "civility": civ_code,
        "civility_raw": civ, "first_name": fn, "last_name": ln, "organisation": org,
        "first_key": fk, "last_key": lk, "org_key": okey, "address1": street, "rnvp4": rnvp4,
        "postcode": pc, "city": city,
        "department": pd.Series(pc, dtype=object).str[:2].to_numpy(),
        "phone": phone, "mobile": mobile, "email": email,
        "kind": np.where(b2b[ent], "B2B", "B2C"), "segment": None,
        "created_at": upd - pd.Timedelta(days=400), "updated_at": upd, "entity": ent,
    })
    df.loc[noacc, "first_name"] = df.loc[noacc, "first_name"].map(
        lambda s: unidecode(s) if s else s)
    # shuffle so duplicates are not adjacent
    return df.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def bench_synthetic(size: int, em: int) -> dict:
    rec = generate(size)
    before = rss_peak_mb()
    t = time.perf_counter()
    res = deduplicate(rec.drop(columns=["entity"]), em_iterations=em,
                      progress=size >= 500_000)
    return report(f"synth {size}", res, rec["entity"].to_numpy(), None,
                  time.perf_counter() - t, before)


# ----------------------------------------------------------------------------- demo cases
def demo_cases(demo_dir: Path) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """Qualified records of the demo's last year, their true entity, and the planted cases."""
    rec, ent = demo_records(demo_dir)
    cases = pd.read_csv(demo_dir / "truth" / "cases.csv", dtype=str)
    return rec, ent.fillna("?").to_numpy(object), cases


def bench_demo(demo_dir: Path | None, contacts: int, em: int) -> dict:
    if demo_dir is None:
        import tempfile

        from grc.demo.generator import generate

        demo_dir = Path(tempfile.mkdtemp(prefix="bench_demo_"))
        generate(demo_dir, centres=12, contacts=contacts, years="2024-2025", seed=21)
    rec, ent, cases = demo_cases(demo_dir)
    before = rss_peak_mb()
    t = time.perf_counter()
    codes = pd.factorize(ent)[0]
    res = deduplicate(rec, em_iterations=em)
    row = report("demo", res, codes, None, time.perf_counter() - t, before)
    table = case_table(res.links["contact_id"].to_numpy(object), ent, cases)
    print(f"demo cases ({demo_dir}): linked_share = recall for same_person=True, "
          "false links for same_person=False")
    print(table.to_string(index=False, float_format=lambda x: f"{x:.3f}"), flush=True)
    return row


def bench_jw_speed(size: int = 100_000) -> None:
    """recordlinkage Compare.string(jarowinkler) vs the rapidfuzz feature, same pairs."""
    from dedup_reference import JaroWinklerBatch
    rec = generate(size)
    k = _keys(rec)
    pairs = _candidate_positions(k)
    pairs = pairs.append(pairs).append(pairs) if len(pairs) < 300_000 else pairs
    k2 = k[["lk"]].fillna("")
    t = time.perf_counter()
    c = recordlinkage.Compare()
    c.string("lk", "lk", method="jarowinkler", label="rl")
    before = c.compute(pairs, k2)
    t_rl = time.perf_counter() - t
    t = time.perf_counter()
    c = recordlinkage.Compare()
    c.add(JaroWinklerBatch("lk", "lk", label="rf"))
    after = c.compute(pairs, k2)
    t_rf = time.perf_counter() - t
    diff = float(np.nanmax(np.abs(before["rl"].to_numpy() - after["rf"].to_numpy())))
    # integer-coded keys: cpdist on the distinct value pairs only
    from grc.dedup.link import CodedSimilarity, _coded_keys
    from rapidfuzz.distance import JaroWinkler
    coded = _coded_keys(k)
    t = time.perf_counter()
    c = recordlinkage.Compare()
    c.add(CodedSimilarity("lk", "lk", coded.vocab["name"], JaroWinkler.normalized_similarity,
                          label="coded"))
    coded_out = c.compute(pairs, coded.frame)
    t_cd = time.perf_counter() - t
    ok = k2["lk"].to_numpy()[pairs.get_level_values(0)] != ""
    ok &= k2["lk"].to_numpy()[pairs.get_level_values(1)] != ""
    diff_cd = float(np.nanmax(np.abs(before["rl"].to_numpy()[ok]
                                     - coded_out["coded"].to_numpy()[ok])))
    print(f"Jaro-Winkler on {len(pairs)} pairs: recordlinkage {len(pairs) / t_rl:,.0f} pairs/s, "
          f"rapidfuzz feature {len(pairs) / t_rf:,.0f} pairs/s (x{t_rl / t_rf:.1f}), "
          f"max |diff| {diff:.2e}; coded distinct pairs {len(pairs) / t_cd:,.0f} pairs/s "
          f"(x{t_rl / t_cd:.1f}), max |diff| {diff_cd:.2e}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    ap.add_argument("--skip-febrl", action="store_true")
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--em", type=int, default=0, help="EM iterations for m (0: fixed priors)")
    ap.add_argument("--skip-demo", action="store_true")
    ap.add_argument("--demo-dir", type=Path, help="an existing demo network (else generated)")
    ap.add_argument("--demo-contacts", type=int, default=3000)
    args = ap.parse_args()
    print(f"cores={psutil.cpu_count()} ", flush=True)
    if not args.skip_febrl:
        bench_febrl(args.em)
    if not args.skip_demo:
        bench_demo(args.demo_dir, args.demo_contacts, args.em)
    if not args.skip_speed:
        bench_jw_speed()
    for s in args.sizes:
        bench_synthetic(s, args.em)


if __name__ == "__main__":
    main()
