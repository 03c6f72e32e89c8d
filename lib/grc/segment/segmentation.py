"""Segmentation of the network base (SPEC §5, §6 ``exports/segments.csv``).

Pure functions on frames:

- :func:`derive_criteria`: one row per network contact with the common segment (label,
  family, B2B/B2C) and the classic criteria of the course: socio-demographic, geographic
  (department, region, distance band to the contact's centre), organisation size (INSEE
  bands) and behaviour (season, days, length, group size, product, lifecycle);
- :func:`behaviour_clusters`: a data-driven typology (scaled features, KMeans or a Gaussian
  mixture, k chosen by silhouette, stability across seeds, French descriptions, caveat);
- :func:`segment_table`: the frame written to ``exports/segments.csv``;
- report helpers returning tidy frames for plots.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from grc.schema import NETWORK

# --- Thresholds (documented constants) ----------------------------------------------------

#: Lifecycle, in calendar months before the reference date (only past stays count).
#: - ``nouveau``: first stay within the last ``ACTIVE_MONTHS`` months (inclusive);
#: - ``actif``: older client whose last stay is within the last ``ACTIVE_MONTHS`` months;
#: - ``en sommeil``: last stay older than ``ACTIVE_MONTHS`` and within ``LAPSED_MONTHS``;
#: - ``perdu``: last stay older than ``LAPSED_MONTHS`` months;
#: - ``prospect``: no stay at all. A contact whose only stays are still to come (booked)
#:   counts as ``nouveau``.
ACTIVE_MONTHS = 12
LAPSED_MONTHS = 36
LIFECYCLES = ["nouveau", "actif", "en sommeil", "perdu", "prospect"]

#: Distance bands in km (left edge included): [0, 50), [50, 150), [150, 300), [300, 600), 600+.
DISTANCE_EDGES = [0.0, 50.0, 150.0, 300.0, 600.0, math.inf]
DISTANCE_BANDS = ["< 50 km", "50–150 km", "150–300 km", "300–600 km", "> 600 km"]
UNKNOWN = "inconnue"

#: INSEE headcount bands (tranches d'effectif salarié); 0 employees has its own band.
SIZE_EDGES = [0, 1, 10, 20, 50, 100, 200, 500, 1000, 5000, math.inf]
SIZE_BANDS = [
    "0 salarié", "1–9", "10–19", "20–49", "50–99", "100–199", "200–499", "500–999",
    "1000–4999", "5000+",
]

#: Meteorological seasons by month of arrival.
SEASONS = ["printemps", "été", "automne", "hiver"]
SEASON_OF_MONTH = {
    3: "printemps", 4: "printemps", 5: "printemps",
    6: "été", 7: "été", 8: "été",
    9: "automne", 10: "automne", 11: "automne",
    12: "hiver", 1: "hiver", 2: "hiver",
}

#: Share of nights spent on Friday or Saturday night: below → "semaine", above → "week-end".
WEEKEND_LOW = 0.2
WEEKEND_HIGH = 0.6
DAY_BANDS = ["semaine", "semaine et week-end", "week-end"]

#: Mean group size bands (persons per stay), left edge included.
GROUP_EDGES = [0, 5, 20, 50, math.inf]
GROUP_BANDS = ["1–4 (individuels, familles)", "5–19 (petits groupes)", "20–49 (groupes)",
               "50+ (grands groupes)"]

#: Numeric behavioural features used for clustering.
BEHAVIOUR_FEATURES = [
    "n_stays", "mean_nights", "mean_persons", "weekend_share",
    "share_printemps", "share_ete", "share_automne", "share_hiver",
]

CRITERIA_COLUMNS = [
    "contact_id", "segment", "segment_label", "family", "kind", "civility", "position",
    "department", "region", "ref_centre", "distance_km", "distance_band", "employees",
    "size_band", "n_stays", "first_arrival", "last_arrival", "next_arrival", "main_season",
    "weekend_share", "day_band", "mean_nights", "mean_persons", "group_band", "main_product",
    "lifecycle", *[f for f in BEHAVIOUR_FEATURES if f.startswith("share_")],
]


# --- Small building blocks ----------------------------------------------------------------


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km (vectorised; NaN where a coordinate is missing)."""
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(x, dtype=float)) for x in (lat1, lon1, lat2, lon2))
    a = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    return 2 * 6371.0088 * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def _band(s: pd.Series, edges: Sequence[float], labels: Sequence[str], *,
          zero_known: bool = True) -> pd.Series:
    """Band label of each value (``edges`` left-closed), ``"inconnue"`` when missing,
    negative, or 0 unless ``zero_known``."""
    out = pd.cut(s, edges, right=False, labels=labels).astype(object)
    return out.where(s.notna() & ((s >= 0) if zero_known else (s > 0)), UNKNOWN)


def distance_band(km: pd.Series | Sequence[float]) -> pd.Series:
    """Distance band label per distance (``"inconnue"`` when missing)."""
    return _band(pd.Series(km, dtype=float), DISTANCE_EDGES, DISTANCE_BANDS)


def size_band(employees: pd.Series | Sequence[float | None]) -> pd.Series:
    """INSEE headcount band per headcount (``"inconnue"`` when missing or negative)."""
    return _band(pd.to_numeric(pd.Series(employees), errors="coerce"), SIZE_EDGES, SIZE_BANDS)


def group_band(persons: pd.Series | Sequence[float | None]) -> pd.Series:
    """Group size band per mean number of persons (``"inconnue"`` when missing)."""
    return _band(pd.to_numeric(pd.Series(persons), errors="coerce"), GROUP_EDGES, GROUP_BANDS,
                 zero_known=False)


def season(arrival: pd.Series) -> pd.Series:
    """Season of each arrival date (meteorological seasons)."""
    return pd.to_datetime(arrival).dt.month.map(SEASON_OF_MONTH)


def day_band(weekend_share: pd.Series) -> pd.Series:
    """``semaine`` / ``semaine et week-end`` / ``week-end`` from the week-end share."""
    s = pd.Series(weekend_share, dtype=float)
    out = pd.Series(DAY_BANDS[1], index=s.index, dtype=object)
    out[s < WEEKEND_LOW] = DAY_BANDS[0]
    out[s > WEEKEND_HIGH] = DAY_BANDS[2]
    return out.where(s.notna(), UNKNOWN)


# weekend nights among r consecutive nights starting on weekday w (Mon=0): Fri (4), Sat (5)
_WEEKEND_TABLE = np.array(
    [[sum(((w + i) % 7) in (4, 5) for i in range(r)) for r in range(7)] for w in range(7)]
)


def weekend_nights(arrival: pd.Series, nights: pd.Series) -> pd.Series:
    """Number of Friday and Saturday nights in each stay."""
    a = pd.to_datetime(arrival)
    n = pd.to_numeric(nights, errors="coerce").fillna(0).clip(lower=0).astype(int).to_numpy()
    w = a.dt.weekday.fillna(0).astype(int).to_numpy()
    return pd.Series(2 * (n // 7) + _WEEKEND_TABLE[w, n % 7], index=arrival.index)


def lifecycle(first_past: pd.Series, last_past: pd.Series, next_arrival: pd.Series,
              reference_date: dt.date | pd.Timestamp) -> pd.Series:
    """Lifecycle stage from the first and last past stays (see ``ACTIVE_MONTHS``)."""
    ref = pd.Timestamp(reference_date)
    active_from = ref - pd.DateOffset(months=ACTIVE_MONTHS)
    lapsed_from = ref - pd.DateOffset(months=LAPSED_MONTHS)
    first = pd.to_datetime(first_past)
    last = pd.to_datetime(last_past)
    out = pd.Series("prospect", index=first.index, dtype=object)
    out[last < lapsed_from] = "perdu"
    out[(last >= lapsed_from) & (last < active_from)] = "en sommeil"
    out[last >= active_from] = "actif"
    out[first >= active_from] = "nouveau"
    out[last.isna() & pd.to_datetime(next_arrival).notna()] = "nouveau"
    return out


def _mode(frame: pd.DataFrame, key: str, value: str, order: Sequence[str] | None = None) -> pd.Series:
    """Most frequent ``value`` per ``key``; ties broken by ``order`` then alphabetically."""
    sub = frame[[key, value]].dropna()
    if sub.empty:
        return pd.Series(dtype=object)
    counts = sub.groupby([key, value]).size().rename("n").reset_index()
    rank = {v: i for i, v in enumerate(order or [])}
    counts["_rank"] = counts[value].map(rank).fillna(len(rank))
    counts = counts.sort_values([key, "n", "_rank", value], ascending=[True, False, True, True])
    return counts.drop_duplicates(key).set_index(key)[value]


def centre_membership(contacts: pd.DataFrame, stays: pd.DataFrame | None = None) -> pd.DataFrame:
    """``contact_id, centre`` pairs from the ``;``-joined ``centres`` column (and stays)."""
    parts = [pd.DataFrame(columns=["contact_id", "centre"])]
    if "centres" in contacts:
        s = contacts.set_index("contact_id")["centres"].dropna().astype(str).str.split(";")
        parts.append(s.explode().str.strip().rename("centre").rename_axis("contact_id").reset_index())
    if stays is not None and len(stays) and "centre" in stays:
        parts.append(stays[["contact_id", "centre"]].dropna())
    out = pd.concat(parts, ignore_index=True)
    return out[out["centre"] != ""].drop_duplicates().reset_index(drop=True)


def locate_postcodes(postcodes: pd.Series, communes: pd.DataFrame) -> pd.DataFrame:
    """``lat``/``lon`` for each postcode (mean over the communes sharing it), same index."""
    ref = (communes.assign(postcode=communes["postcode"].astype(str).str.zfill(5))
           .groupby("postcode")[["lat", "lon"]].mean())
    pc = postcodes.astype("string").str.strip().str.zfill(5)
    return pd.DataFrame({"lat": pc.map(ref["lat"]), "lon": pc.map(ref["lon"])}, index=postcodes.index)


def centre_locations_from_postcodes(postcodes: Mapping[str, str | None],
                                    communes: pd.DataFrame) -> pd.DataFrame:
    """Centre coordinates (``centre, lat, lon``) from each centre's postcode."""
    s = pd.Series({k: v for k, v in postcodes.items() if v}, dtype=object)
    if s.empty:
        return pd.DataFrame(columns=["centre", "lat", "lon"])
    loc = locate_postcodes(s, communes)
    return loc.rename_axis("centre").reset_index()


def _load_communes() -> pd.DataFrame | None:
    try:  # reference data written by grc.qualify.reference (optional at this stage)
        from grc.qualify.reference import load_communes  # type: ignore[attr-defined]

        return load_communes()
    except Exception:  # noqa: BLE001 - missing module or file: distance stays unknown
        return None


def _as_locations(centre_locations) -> pd.DataFrame:
    if centre_locations is None:
        return pd.DataFrame(columns=["centre", "lat", "lon"])
    if isinstance(centre_locations, Mapping):
        rows = [{"centre": k, "lat": v["lat"], "lon": v["lon"]} if isinstance(v, Mapping)
                else {"centre": k, "lat": v[0], "lon": v[1]} for k, v in centre_locations.items()]
        return pd.DataFrame(rows, columns=["centre", "lat", "lon"])
    loc = centre_locations.copy()
    if "centre" not in loc.columns:
        loc = loc.rename_axis("centre").reset_index()
        if "code" in loc.columns and "centre" not in loc.columns:
            loc = loc.rename(columns={"code": "centre"})
    return loc[["centre", "lat", "lon"]]


def _reference_centres(contacts: pd.DataFrame, stays: pd.DataFrame,
                       locations: pd.DataFrame) -> pd.DataFrame:
    """Per contact: the centre of most stays (nearest on ties) and the distance to it."""
    pairs = [centre_membership(contacts).assign(n=0)]
    if len(stays) and "centre" in stays:
        pairs.append(stays.groupby(["contact_id", "centre"]).size().rename("n").reset_index())
    p = pd.concat(pairs, ignore_index=True).groupby(["contact_id", "centre"], as_index=False)["n"].sum()
    pos = contacts[["contact_id", "lat", "lon"]]
    p = p.merge(pos, on="contact_id", how="left").merge(
        locations.rename(columns={"lat": "c_lat", "lon": "c_lon"}), on="centre", how="left")
    p["distance_km"] = haversine_km(p["lat"], p["lon"], p["c_lat"], p["c_lon"])
    p = p.sort_values(["contact_id", "n", "distance_km", "centre"],
                      ascending=[True, False, True, True], na_position="last")
    best = p.drop_duplicates("contact_id").set_index("contact_id")
    return best.rename(columns={"centre": "ref_centre"})[["ref_centre", "distance_km"]]


# --- Behaviour ----------------------------------------------------------------------------


def behaviour_features(stays: pd.DataFrame, reference_date: dt.date | pd.Timestamp) -> pd.DataFrame:
    """Per contact_id behavioural figures from its past stays (arrival <= reference date).

    Columns: ``n_stays``, ``first_arrival``, ``last_arrival``, ``next_arrival`` (first stay to
    come), ``mean_nights``, ``mean_persons``, ``weekend_share`` (share of Friday/Saturday
    nights), ``share_<season>``, ``main_season``, ``main_product``.
    """
    cols = ["n_stays", "first_arrival", "last_arrival", "next_arrival", "mean_nights",
            "mean_persons", "weekend_share", "share_printemps", "share_ete", "share_automne",
            "share_hiver", "main_season", "main_product"]
    if stays is None or stays.empty:
        return pd.DataFrame(columns=cols).rename_axis("contact_id")
    ref = pd.Timestamp(reference_date)
    s = stays.copy()
    s["arrival"] = pd.to_datetime(s["arrival"])
    s = s[s["arrival"].notna() & s["contact_id"].notna()]
    future = s[s["arrival"] > ref].groupby("contact_id")["arrival"].min().rename("next_arrival")
    s = s[s["arrival"] <= ref].copy()
    s["nights"] = pd.to_numeric(s.get("nights"), errors="coerce")
    s["persons"] = pd.to_numeric(s.get("persons"), errors="coerce")
    s["season"] = season(s["arrival"])
    s["we_nights"] = weekend_nights(s["arrival"], s["nights"])
    s["nights_pos"] = s["nights"].where(s["nights"] > 0)
    g = s.groupby("contact_id")
    out = pd.DataFrame({
        "n_stays": g.size(),
        "first_arrival": g["arrival"].min(),
        "last_arrival": g["arrival"].max(),
        "mean_nights": g["nights"].mean(),
        "mean_persons": g["persons"].mean(),
        "weekend_share": g["we_nights"].sum() / g["nights_pos"].sum().replace(0, np.nan),
    })
    shares = pd.crosstab(s["contact_id"], s["season"], normalize="index")
    for name, col in zip(SEASONS, ["share_printemps", "share_ete", "share_automne", "share_hiver"], strict=True):
        out[col] = shares[name] if name in shares else 0.0
    out["main_season"] = _mode(s, "contact_id", "season", SEASONS)
    if "product" in s:
        out["main_product"] = _mode(s, "contact_id", "product")
    else:
        out["main_product"] = None
    out = out.join(future, how="outer")
    out.index.name = "contact_id"
    out["n_stays"] = out["n_stays"].fillna(0).astype(int)
    return out[cols]


def derive_criteria(contacts: pd.DataFrame, stays: pd.DataFrame,
                    segmentation: Mapping[str, Mapping[str, str]],
                    reference_date: dt.date | pd.Timestamp,
                    centre_locations: pd.DataFrame | Mapping | None = None,
                    communes: pd.DataFrame | None = None,
                    behaviour: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per contact_id with the common segment and every derived criterion.

    ``centre_locations``: ``centre, lat, lon`` (frame, or mapping code → (lat, lon)).
    Contact positions come from ``lat``/``lon`` columns of ``contacts`` when present, else
    from their postcode through ``communes`` (``grc.qualify.reference.load_communes()`` by default);
    without either the distance band is ``"inconnue"``. ``behaviour``: the result of
    ``behaviour_features(stays, reference_date)`` when the caller already has it.
    """
    c = contacts.copy().reset_index(drop=True)
    seg = pd.DataFrame.from_dict(dict(segmentation), orient="index")
    code = c["segment"].astype(object).where(c["segment"].notna(), None)
    out = pd.DataFrame({"contact_id": c["contact_id"], "segment": code})
    out["segment_label"] = code.map(seg["label"]) if len(seg) else None
    out["family"] = code.map(seg["family"]) if len(seg) else None
    kind_from_seg = code.map(seg["kind"]) if len(seg) else pd.Series(None, index=c.index)
    given_kind = c["kind"] if "kind" in c else pd.Series(None, index=c.index, dtype=object)
    out["kind"] = kind_from_seg.where(kind_from_seg.notna(), given_kind)
    out["segment_label"] = out["segment_label"].where(out["segment"].notna(), "Non segmenté")
    out["family"] = out["family"].where(out["segment"].notna(), "Non segmenté")
    for col in ("civility", "position", "department", "region"):
        out[col] = c[col] if col in c else None

    # geography: distance to the contact's reference centre
    if not {"lat", "lon"} <= set(c.columns):
        communes = communes if communes is not None else _load_communes()
        if communes is not None and "postcode" in c:
            c[["lat", "lon"]] = locate_postcodes(c["postcode"], communes)
        else:
            c["lat"], c["lon"] = np.nan, np.nan
    st = stays if stays is not None else pd.DataFrame(columns=["contact_id", "centre", "arrival"])
    refc = _reference_centres(c, st, _as_locations(centre_locations))
    out = out.join(refc, on="contact_id")
    out["distance_km"] = out["distance_km"].round(1)
    out["distance_band"] = distance_band(out["distance_km"]).to_numpy()

    out["employees"] = pd.to_numeric(c["employees"], errors="coerce") if "employees" in c else np.nan
    out["size_band"] = size_band(out["employees"]).to_numpy()

    beh = behaviour if behaviour is not None else behaviour_features(st, reference_date)
    out = out.join(beh, on="contact_id")
    out["n_stays"] = pd.to_numeric(out["n_stays"], errors="coerce").fillna(0).astype(int)
    out["day_band"] = day_band(out["weekend_share"]).to_numpy()
    out["group_band"] = group_band(out["mean_persons"]).to_numpy()
    out["main_season"] = out["main_season"].fillna(UNKNOWN)
    out["lifecycle"] = lifecycle(out["first_arrival"], out["last_arrival"], out["next_arrival"],
                                 reference_date).to_numpy()
    return out[CRITERIA_COLUMNS]


# --- Data-driven typology -----------------------------------------------------------------


@dataclass
class ClusterResult:
    """Outcome of :func:`behaviour_clusters`."""

    labels: pd.Series                 # cluster number (1 = largest) per contact_id, <NA> if none
    k: int | None
    method: str
    silhouette: dict[int, float]      # k -> silhouette score
    ari_mean: float | None            # mean adjusted Rand index between seeds
    ari_min: float | None
    profiles: pd.DataFrame            # one row per cluster: size, share, feature means, description
    caveat: str
    features: list[str] = field(default_factory=list)

    @property
    def descriptions(self) -> dict[int, str]:
        return dict(zip(self.profiles["cluster"], self.profiles["description"], strict=True))


def fr_number(x: float, digits: int = 2) -> str:
    """French decimal writing: ``0.21`` → ``"0,21"``."""
    return f"{x:,.{digits}f}".replace(",", "\u00a0").replace(".", ",")


def _strength(sil: float) -> str:
    # Kaufman & Rousseeuw's reading of the average silhouette width
    if sil > 0.70:
        return "structure forte"
    if sil > 0.50:
        return "structure raisonnable"
    if sil > 0.25:
        return "structure faible"
    return "pas de structure nette"


def caveat_text(sil: float | None, ari: float | None, n: int) -> str:
    """Honest French sentence on how far the typology can be trusted."""
    if sil is None:
        return (f"Typologie non calculée : trop peu de clients avec séjours ({n}) "
                "ou comportements identiques.")
    s = _strength(sil)  # the figures behind it are in the cluster_quality table (analysts)
    head = f"{s[0].upper()}{s[1:]}"
    if sil > 0.50:
        head += " : groupes bien séparés"
    else:
        head += " : à lire comme une tendance, pas comme des groupes tranchés"
    if ari is None:
        stab = ""
    elif ari >= 0.9:
        stab = " ; les groupes restent les mêmes d'un calcul à l'autre"
    elif ari >= 0.75:
        stab = " ; les groupes changent peu d'un calcul à l'autre"
    else:
        stab = (" ; les groupes changent d'un calcul à l'autre : leurs frontières sont "
                "fragiles")
    return f"{head}{stab} ({fr_number(n, 0)} clients avec séjours)."


def describe_profile(row: Mapping[str, float]) -> str:
    """Plain French description of one cluster profile (feature means)."""
    parts: list[str] = []
    p = row.get("mean_persons")
    if p is not None and not pd.isna(p):
        if p < 5:
            parts.append("individuels ou familles")
        elif p < 20:
            parts.append("petits groupes")
        elif p < 50:
            parts.append("groupes moyens")
        else:
            parts.append("groupes nombreux")
    n = row.get("mean_nights")
    stay = ""
    if n is not None and not pd.isna(n):
        stay = "séjours courts" if n <= 2.5 else ("séjours de 3 à 6 nuits" if n <= 6 else "séjours longs")
    w = row.get("weekend_share")
    if w is not None and not pd.isna(w):
        when = ("en semaine" if w < WEEKEND_LOW
                else ("le week-end" if w > WEEKEND_HIGH else "à cheval sur le week-end"))
        stay = f"{stay} {when}".strip()
    if stay:
        parts.append(stay)
    shares = {s: row.get(f"share_{k}") for s, k in
              zip(SEASONS, ["printemps", "ete", "automne", "hiver"], strict=True)}
    shares = {k: v for k, v in shares.items() if v is not None and not pd.isna(v)}
    if shares:
        top = max(shares, key=lambda k: (shares[k], -SEASONS.index(k)))
        prep = {"printemps": "au printemps", "été": "en été", "automne": "en automne",
                "hiver": "en hiver"}[top]
        parts.append(prep if shares[top] >= 0.5 else f"toute l'année, surtout {prep}")
    f = row.get("n_stays")
    if f is not None and not pd.isna(f):
        if f >= 3:
            parts.append(f"fidèles ({fr_number(f, 1)} séjours en moyenne)")
        elif f < 1.3:
            parts.append("venus une fois")
    text = ", ".join(parts) or "profil moyen"
    return text[0].upper() + text[1:]


def _fit(method: str, x: np.ndarray, k: int, seed: int):
    """A fitted KMeans or GaussianMixture (both expose ``predict``)."""
    if method == "gmm":
        from sklearn.mixture import GaussianMixture

        return GaussianMixture(n_components=k, n_init=3, random_state=seed).fit(x)
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=k, n_init=10, random_state=seed).fit(x)


def silhouettes(x: np.ndarray, partitions: Mapping[int, np.ndarray], sample_size: int | None = None,
                random_state: int | None = None) -> dict[int, float]:
    """``sklearn.metrics.silhouette_score(x, labels, sample_size=..., random_state=...)`` of
    several partitions of the same rows, the same numbers, the distances computed once.

    Every partition is scored on the same sample of rows (same ``random_state``), so the
    pairwise distances of that sample are computed chunk by chunk only once and each chunk
    is reduced for every partition (sklearn's reduction, unchanged).
    """
    from sklearn.metrics import pairwise_distances_chunked
    from sklearn.preprocessing import LabelEncoder
    from sklearn.utils import check_random_state

    if not partitions:
        return {}
    x = np.asarray(x, dtype=float)
    idx = check_random_state(random_state).permutation(x.shape[0])[:sample_size] \
        if sample_size is not None else np.arange(x.shape[0])
    xs = x[idx]
    coded: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for key, lab in partitions.items():
        enc = LabelEncoder().fit_transform(np.asarray(lab)[idx])
        freqs = np.bincount(enc)
        if not 1 < len(freqs) < len(enc):
            raise ValueError(f"Number of labels is {len(freqs)}. Valid values are 2 to "
                             f"n_samples - 1 (inclusive)")
        coded[key] = (enc, freqs)
    parts: dict[int, tuple[list, list]] = {key: ([], []) for key in coded}

    def reduce(chunk: np.ndarray, start: int) -> None:
        end = start + chunk.shape[0]
        for key, (enc, freqs) in coded.items():
            dist = np.zeros((chunk.shape[0], len(freqs)), dtype=chunk.dtype)
            for i in range(chunk.shape[0]):
                dist[i] += np.bincount(enc, weights=chunk[i], minlength=len(freqs))
            intra_index = (np.arange(chunk.shape[0]), enc[start:end])
            intra = dist[intra_index]
            dist[intra_index] = np.inf
            dist /= freqs
            parts[key][0].append(intra)
            parts[key][1].append(dist.min(axis=1))

    for _ in pairwise_distances_chunked(xs, reduce_func=reduce, metric="euclidean"):
        pass
    out: dict[int, float] = {}
    for key, (enc, freqs) in coded.items():
        intra = np.concatenate(parts[key][0])
        inter = np.concatenate(parts[key][1])
        with np.errstate(divide="ignore", invalid="ignore"):
            intra /= (freqs - 1).take(enc, mode="clip")
            sil = inter - intra
            sil /= np.maximum(intra, inter)
        out[key] = float(np.mean(np.nan_to_num(sil)))
    return out


def _silhouettes_shared(x: np.ndarray, partitions: Mapping[int, np.ndarray], sample_size: int,
                        random_state: int, run: Callable[[list], list]) -> dict[int, float]:
    """:func:`silhouettes` of the partitions in two halves given to ``run`` (each half on the
    same sample: the same numbers as all at once)."""
    keys = sorted(partitions)
    halves = [h for h in (keys[0::2], keys[1::2]) if h]
    out: dict[int, float] = {}
    for part in run([lambda h=h: silhouettes(x, {k: partitions[k] for k in h}, sample_size=sample_size,
                                             random_state=random_state) for h in halves]):
        out.update(part)
    return {k: out[k] for k in partitions}


def behaviour_clusters(features: pd.DataFrame, k_range: Iterable[int] = range(2, 9),
                       seeds: Sequence[int] = (0, 1, 2, 3, 4), method: str = "kmeans",
                       columns: Sequence[str] | None = None, max_fit: int = 10000,
                       sample_size: int = 5000, threads: int | None = 1,
                       run: Callable[[list], list] | None = None) -> ClusterResult:
    """Cluster contacts on scaled behavioural features; k chosen by silhouette.

    ``features``: indexed by contact_id (or with a ``contact_id`` column), numeric columns
    (``BEHAVIOUR_FEATURES`` by default, those present). Rows with a missing feature (e.g.
    prospects) get no cluster. Models are fitted on a seeded sample of at most ``max_fit``
    rows (every row is then assigned with ``predict``); silhouettes on a seeded sample of
    ``sample_size`` rows. Stability: adjusted Rand index between the partitions of every
    pair of ``seeds`` at the chosen k (on the fitted rows). ``threads`` caps the BLAS/OpenMP
    threads (1 by default: reproducible and fast on a shared machine; None: no cap). ``run``
    runs independent computations (the fits, the silhouettes) and returns their results in
    order, e.g. on two cores (:func:`grc.pipeline.integrate.run_parts`); default: here.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=threads):
        return _clusters(features, k_range, seeds, method, columns, max_fit, sample_size,
                         run or (lambda steps: [step() for step in steps]))


def _clusters(features: pd.DataFrame, k_range: Iterable[int], seeds: Sequence[int], method: str,
              columns: Sequence[str] | None, max_fit: int, sample_size: int,
              run: Callable[[list], list]) -> ClusterResult:
    from sklearn.metrics import adjusted_rand_score
    from sklearn.preprocessing import StandardScaler

    if method not in ("kmeans", "gmm"):
        raise ValueError(f"Méthode inconnue « {method} » (kmeans ou gmm).")
    f = features.set_index("contact_id") if "contact_id" in features.columns else features
    cols = [c for c in (columns or BEHAVIOUR_FEATURES) if c in f.columns]
    data = f[cols].apply(pd.to_numeric, errors="coerce").dropna()
    labels = pd.Series(pd.NA, index=f.index, dtype="Int64", name="cluster")
    n = len(data)
    ks = [k for k in k_range if 2 <= k < n]
    empty = pd.DataFrame(columns=["cluster", "size", "share", *cols, "description"])
    if not ks or len(data.drop_duplicates()) < 3:
        return ClusterResult(labels, None, method, {}, None, None, empty, caveat_text(None, None, n), cols)

    x = StandardScaler().fit_transform(data.to_numpy())
    rng = np.random.default_rng(seeds[0])
    fit_idx = np.sort(rng.choice(n, size=max_fit, replace=False)) if n > max_fit else np.arange(n)
    xf = x[fit_idx]
    fitted = dict(zip(ks, run([lambda kk=kk: _fit(method, xf, kk, seeds[0]) for kk in ks]),
                      strict=True))
    parts = {kk: m.predict(xf) for kk, m in fitted.items()}
    sil = _silhouettes_shared(xf, {kk: lab for kk, lab in parts.items() if len(set(lab)) >= 2},
                              min(sample_size, len(xf)), seeds[0], run)
    if not sil:
        return ClusterResult(labels, None, method, {}, None, None, empty, caveat_text(None, None, n), cols)
    k = max(sil, key=lambda kk: (round(sil[kk], 6), -kk))

    # the first seed's model at k is the one fitted above (same data, same seed)
    models = [fitted[k], *run([lambda s=s: _fit(method, xf, k, s) for s in seeds[1:]])]
    runs = [m.predict(xf) for m in models]
    aris = [adjusted_rand_score(a, b) for a, b in itertools.combinations(runs, 2)]
    ari_mean = float(np.mean(aris)) if aris else None
    ari_min = float(np.min(aris)) if aris else None

    # relabel by decreasing size (ties: smaller mean of first feature) -> 1..k, deterministic
    raw = pd.Series(models[0].predict(x), index=data.index)
    sizes = raw.value_counts()
    order = sorted(sizes.index, key=lambda c: (-sizes[c], data.loc[raw == c, cols[0]].mean()))
    mapping = {c: i + 1 for i, c in enumerate(order)}
    lab = raw.map(mapping).astype("Int64")
    labels.loc[lab.index] = lab

    prof = data.assign(cluster=lab).groupby("cluster")[cols].mean()
    prof.insert(0, "size", lab.value_counts().sort_index())
    prof.insert(1, "share", prof["size"] / n)
    prof["description"] = [describe_profile(r) for r in prof.to_dict("records")]
    prof = prof.reset_index()
    prof["cluster"] = prof["cluster"].astype(int)
    return ClusterResult(labels, k, method, sil, ari_mean, ari_min, prof,
                         caveat_text(sil[k], ari_mean, n), cols)


# --- Export and report helpers ------------------------------------------------------------

SEGMENTS_COLUMNS = [c for c in CRITERIA_COLUMNS if not c.startswith("share_")] + ["cluster", "cluster_label"]


def segment_table(criteria: pd.DataFrame, clusters: ClusterResult | None = None) -> pd.DataFrame:
    """The ``exports/segments.csv`` frame: contact_id, segment, derived criteria, cluster."""
    out = criteria.copy()
    if clusters is not None and clusters.k:
        out["cluster"] = out["contact_id"].map(clusters.labels).astype("Int64")
        out["cluster_label"] = out["cluster"].map(clusters.descriptions)
    else:
        out["cluster"] = pd.Series(pd.NA, index=out.index, dtype="Int64")
        out["cluster_label"] = None
    return out[[c for c in SEGMENTS_COLUMNS if c in out.columns]]


def compute_segments(contacts: pd.DataFrame, stays: pd.DataFrame,
                     segmentation: Mapping[str, Mapping[str, str]],
                     reference_date: dt.date | pd.Timestamp,
                     centre_locations: pd.DataFrame | Mapping | None = None,
                     communes: pd.DataFrame | None = None,
                     **cluster_args) -> tuple[pd.DataFrame, ClusterResult]:
    """Criteria + behaviour clusters → (``segments.csv`` frame, cluster result)."""
    criteria = derive_criteria(contacts, stays, segmentation, reference_date, centre_locations,
                               communes)
    clusters = behaviour_clusters(criteria.set_index("contact_id"), **cluster_args)
    return segment_table(criteria, clusters), clusters


def _scope_ids(membership: pd.DataFrame, centre: str | None) -> pd.Index | None:
    if centre in (None, NETWORK):
        return None
    return pd.Index(membership.loc[membership["centre"] == centre, "contact_id"].unique())


def segment_mix(criteria: pd.DataFrame, membership: pd.DataFrame,
                centre: str | None = None) -> pd.DataFrame:
    """Segment mix (count and share of contacts) per centre and for the network.

    Tidy: ``scope, segment, segment_label, family, contacts, share``. With ``centre`` only
    that centre and ``NETWORK``; else every centre and ``NETWORK``.
    """
    labels = criteria[["contact_id", "segment", "segment_label", "family"]].copy()
    labels["segment"] = labels["segment"].fillna("(aucun)")
    m = membership.merge(labels, on="contact_id")
    if centre not in (None, NETWORK):
        m = m[m["centre"] == centre]
    per = m.groupby(["centre", "segment", "segment_label", "family"]).size().rename("contacts").reset_index()
    per = per.rename(columns={"centre": "scope"})
    net = labels.groupby(["segment", "segment_label", "family"]).size().rename("contacts").reset_index()
    net.insert(0, "scope", NETWORK)
    out = pd.concat([per, net], ignore_index=True)
    out["share"] = out["contacts"] / out.groupby("scope")["contacts"].transform("sum")
    return out.sort_values(["scope", "contacts"], ascending=[True, False]).reset_index(drop=True)


def _stays_in_scope(stays: pd.DataFrame, centre: str | None) -> pd.DataFrame:
    if centre in (None, NETWORK) or "centre" not in stays:
        return stays
    return stays[stays["centre"] == centre]


def mix_by_year(stays: pd.DataFrame, criteria: pd.DataFrame, centre: str | None = None) -> pd.DataFrame:
    """Per arrival year and segment: clients, stays, nuitées (nights × persons), share of clients."""
    s = _stays_in_scope(stays, centre).merge(criteria[["contact_id", "segment_label"]], on="contact_id")
    s = s.assign(year=pd.to_datetime(s["arrival"]).dt.year,
                 nuitees=pd.to_numeric(s["nights"], errors="coerce").fillna(0)
                 * pd.to_numeric(s["persons"], errors="coerce").fillna(0))
    out = s.groupby(["year", "segment_label"]).agg(
        clients=("contact_id", "nunique"), stays=("contact_id", "size"), nuitees=("nuitees", "sum"),
    ).reset_index()
    out["share"] = out["clients"] / out.groupby("year")["clients"].transform("sum")
    return out


def flagship_products(stays: pd.DataFrame, criteria: pd.DataFrame, top: int = 3,
                      centre: str | None = None) -> pd.DataFrame:
    """Top products per segment: ``segment_label, product, stays, amount, share, rank``."""
    s = _stays_in_scope(stays, centre).merge(criteria[["contact_id", "segment_label"]], on="contact_id")
    s = s.assign(product=s["product"].fillna("(non renseigné)"),
                 amount=pd.to_numeric(s.get("amount"), errors="coerce"))
    out = s.groupby(["segment_label", "product"]).agg(
        stays=("contact_id", "size"), amount=("amount", "sum")).reset_index()
    out["share"] = out["stays"] / out.groupby("segment_label")["stays"].transform("sum")
    out = out.sort_values(["segment_label", "stays", "product"], ascending=[True, False, True])
    out["rank"] = out.groupby("segment_label").cumcount() + 1
    return out[out["rank"] <= top].reset_index(drop=True)


def clients_by_area(criteria: pd.DataFrame, level: str = "department",
                    membership: pd.DataFrame | None = None, centre: str | None = None,
                    clients_only: bool = True) -> pd.DataFrame:
    """Contacts per department or region: ``<level>, contacts, share``."""
    if level not in ("department", "region"):
        raise ValueError("level : 'department' ou 'region'.")
    c = criteria
    if membership is not None:
        ids = _scope_ids(membership, centre)
        if ids is not None:
            c = c[c["contact_id"].isin(ids)]
    if clients_only:
        c = c[c["n_stays"] > 0]
    out = c[level].fillna(UNKNOWN).value_counts().rename("contacts").rename_axis(level).reset_index()
    out["share"] = out["contacts"] / out["contacts"].sum() if len(out) else []
    return out


def seasonality(stays: pd.DataFrame, criteria: pd.DataFrame, centre: str | None = None,
                by: str = "family") -> pd.DataFrame:
    """Month × segment (or family): stays and nuitées, tidy with all 12 months."""
    s = _stays_in_scope(stays, centre).merge(criteria[["contact_id", by]], on="contact_id")
    s = s.assign(month=pd.to_datetime(s["arrival"]).dt.month,
                 nuitees=pd.to_numeric(s["nights"], errors="coerce").fillna(0)
                 * pd.to_numeric(s["persons"], errors="coerce").fillna(0))
    out = s.groupby([by, "month"]).agg(stays=("contact_id", "size"), nuitees=("nuitees", "sum"))
    full = pd.MultiIndex.from_product([sorted(s[by].dropna().unique()), range(1, 13)], names=[by, "month"])
    return out.reindex(full, fill_value=0).reset_index()
