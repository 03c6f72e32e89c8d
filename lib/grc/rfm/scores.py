"""RFM scoring (SPEC §7): fixed grids from YAML, a quantile variant, and R/F/M from stays.

Grid file format (``params/rfm/*.yaml``)::

    name: "..."                       # French title
    observation_window_months: 12     # window over which frequency and monetary are computed
    criteria:
      recency:   {unit: months, bins: [...]}
      frequency: {unit: per_year | per_month | total, bins: [...]}
      monetary:  {unit: average | total | last, bins: [...]}
    categories: [{label: "...", min: .., min_inclusive: .., max: .., max_inclusive: ..}, ...]

Each bin is ``{min, min_inclusive, max, max_inclusive, points}``; ``null`` is an open end.
Bins of one criterion must tile ``[0, +inf)`` (or the whole line) with no gap and no
overlap; categories must tile every real sum between the lowest and the highest reachable
score. A missing value (no stay, hence no recency or no average basket) earns the
criterion's ``missing_points`` (0 unless stated).

Recency is measured in calendar months (:func:`months_between`): whole months as Excel's
DATEDIF(…; "m") counts them, plus the elapsed share of the month under way, so a stay exactly
one year before the reference date is 12 months old, leap years included. The observation
window holds the stays at most ``observation_window_months`` old by that same rule
(:func:`in_window`): a client scored "within 12 months" on recency has a stay counted in the
12-month frequency and amount, and the other way round.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from grc.config import ConfigError, read_yaml
from grc.schema import NETWORK

DAYS_PER_MONTH = 365.25 / 12  # 30.4375: average month length (day-based recency of callers)

CRITERIA = ("recency", "frequency", "monetary")
UNITS: dict[str, tuple[str, ...]] = {
    "recency": ("months",),
    "frequency": ("per_year", "per_month", "total"),
    "monetary": ("average", "total", "last"),
}
INPUT_COLUMN = {"recency": "recency_months", "frequency": "frequency", "monetary": "monetary"}
SCORE_COLUMN = {"recency": "r_score", "frequency": "f_score", "monetary": "m_score"}
RFM_COLUMNS = [
    "scope", "contact_id", "recency_months", "frequency", "monetary",
    "r_score", "f_score", "m_score", "rfm_score", "category",
]


class GridError(ConfigError):
    """An RFM grid file is wrong; the message names the file, the criterion and the values."""


@dataclass(frozen=True)
class Interval:
    """A real interval with explicit bounds; ``None`` is an open end."""

    min: float | None
    min_inclusive: bool
    max: float | None
    max_inclusive: bool

    def mask(self, values: pd.Series | np.ndarray) -> np.ndarray:
        """Boolean mask of the values inside the interval (NaN is never inside)."""
        v = np.asarray(values, dtype=float)
        ok = ~np.isnan(v)
        if self.min is not None:
            ok &= (v >= self.min) if self.min_inclusive else (v > self.min)
        if self.max is not None:
            ok &= (v <= self.max) if self.max_inclusive else (v < self.max)
        return ok

    def contains(self, x: float) -> bool:
        return bool(self.mask(np.array([x]))[0])

    def describe(self) -> str:
        """French rendering, e.g. ``[3 ; 12]``, ``]40 ; +∞[``."""
        lo = "]-∞" if self.min is None else ("[" if self.min_inclusive else "]") + _fmt(self.min)
        hi = "+∞[" if self.max is None else _fmt(self.max) + ("]" if self.max_inclusive else "[")
        return f"{lo} ; {hi}"

    def words(self) -> str:
        """Plain French: ``moins de 3``, ``de 3 à 12``, ``plus de 12``, ``40 ou plus``."""
        lo, hi = self.min, self.max
        if lo is None and hi is None:
            return "toute valeur"
        if lo is None:
            return f"{_fmt(hi)} ou moins" if self.max_inclusive else f"moins de {_fmt(hi)}"
        if hi is None:
            return f"{_fmt(lo)} ou plus" if self.min_inclusive else f"plus de {_fmt(lo)}"
        if lo == hi:
            return _fmt(lo)
        if self.min_inclusive:
            end = f"à {_fmt(hi)}" if self.max_inclusive else f"à moins de {_fmt(hi)}"
            return f"de {_fmt(lo)} {end}"
        end = f"jusqu'à {_fmt(hi)}" if self.max_inclusive else f"moins de {_fmt(hi)}"
        return f"plus de {_fmt(lo)} et {end}"


@dataclass(frozen=True)
class Bin(Interval):
    points: float = 0.0


@dataclass(frozen=True)
class Category(Interval):
    label: str = ""


@dataclass
class Criterion:
    name: str
    unit: str
    bins: list[Bin]
    missing_points: float = 0.0
    label: str = ""

    @property
    def max_points(self) -> float:
        return max([b.points for b in self.bins] + [self.missing_points])

    @property
    def min_points(self) -> float:
        return min([b.points for b in self.bins] + [self.missing_points])


@dataclass
class Grid:
    """A loaded, checked RFM grid."""

    name: str
    observation_window_months: float
    criteria: dict[str, Criterion]
    categories: list[Category]
    path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def max_score(self) -> float:
        return sum(c.max_points for c in self.criteria.values())

    @property
    def min_score(self) -> float:
        return sum(c.min_points for c in self.criteria.values())

    def category_of(self, total: float) -> str | None:
        for c in self.categories:
            if c.contains(total):
                return c.label
        return None

    def category_order(self) -> list[str]:
        """Category labels from best (highest sum) to worst."""
        cats = sorted(self.categories, key=lambda c: -math.inf if c.min is None else c.min)
        return [c.label for c in reversed(cats)]


# --------------------------------------------------------------------------------------------
# Loading and checking
# --------------------------------------------------------------------------------------------


def _fmt(x: float) -> str:
    """French writing of a bound: ``10 000``, ``2,5``."""
    return f"{x:,g}".replace(",", "\u00a0").replace(".", ",")


def _num(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise GridError(f"{where} : « {value} » n'est pas un nombre.")
    return float(value)


def _interval_args(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise GridError(f"{where} : tranche mal formée ({raw!r}), attendu min/max/…")
    lo = _num(raw.get("min"), where)
    hi = _num(raw.get("max"), where)
    lo_inc = bool(raw.get("min_inclusive", lo is not None))
    hi_inc = bool(raw.get("max_inclusive", False))
    if lo is None:
        lo_inc = False
    if hi is None:
        hi_inc = False
    if lo is not None and hi is not None and (lo > hi or (lo == hi and not (lo_inc and hi_inc))):
        raise GridError(f"{where} : tranche vide (min {_fmt(lo)}, max {_fmt(hi)}).")
    return {"min": lo, "min_inclusive": lo_inc, "max": hi, "max_inclusive": hi_inc}


def _check_tiling(items: Sequence[Interval], where: str, low: float | None,
                  high: float | None) -> list[Interval]:
    """Sort the intervals and refuse any gap or overlap; check they cover [low, high]."""
    items = sorted(items, key=lambda i: (-math.inf if i.min is None else i.min,
                                         not i.min_inclusive))
    for a, b in zip(items[:-1], items[1:], strict=True):
        span_a, span_b = a.describe(), b.describe()
        if a.max is None or b.min is None:
            raise GridError(f"{where} : chevauchement entre {span_a} et {span_b}.")
        if a.max < b.min:
            raise GridError(
                f"{where} : trou entre {span_a} et {span_b} "
                f"(les valeurs de {_fmt(a.max)} à {_fmt(b.min)} n'ont pas de tranche)."
            )
        if a.max > b.min:
            raise GridError(
                f"{where} : chevauchement entre {span_a} et {span_b} "
                f"(les valeurs de {_fmt(b.min)} à {_fmt(a.max)} sont dans les deux)."
            )
        if a.max_inclusive and b.min_inclusive:
            raise GridError(
                f"{where} : chevauchement entre {span_a} et {span_b} "
                f"(la valeur {_fmt(a.max)} est incluse dans les deux)."
            )
        if not a.max_inclusive and not b.min_inclusive:
            raise GridError(
                f"{where} : trou entre {span_a} et {span_b} "
                f"(la valeur {_fmt(a.max)} n'est incluse dans aucune tranche)."
            )
    first, last = items[0], items[-1]
    if low is not None and not first.contains(low) and first.min is not None and first.min >= low:
        raise GridError(
            f"{where} : la valeur {_fmt(low)} n'a pas de tranche (première tranche "
            f"{first.describe()})."
        )
    if high is None and last.max is not None:
        raise GridError(
            f"{where} : les valeurs au-dessus de {_fmt(last.max)} n'ont pas de tranche "
            f"(mettre max: null à la dernière tranche)."
        )
    if high is not None and not last.contains(high) and (last.max is not None and last.max <= high):
        raise GridError(
            f"{where} : la valeur {_fmt(high)} n'a pas de tranche (dernière tranche "
            f"{last.describe()})."
        )
    return items


def parse_grid(data: Any, path: Path | str | None = None) -> Grid:
    """Build and check a grid from its YAML content (see module docstring)."""
    src = str(path) if path is not None else "grille RFM"
    if not isinstance(data, dict):
        raise GridError(f"{src} : grille vide ou mal formée.")
    for key in ("observation_window_months", "criteria", "categories"):
        if key not in data:
            raise GridError(f"{src} : clé obligatoire « {key} » absente.")
    window = _num(data["observation_window_months"], f"{src}, observation_window_months")
    if window is None or window <= 0:
        raise GridError(f"{src} : observation_window_months doit être un nombre de mois > 0.")
    raw_criteria = data["criteria"]
    if not isinstance(raw_criteria, dict):
        raise GridError(f"{src} : « criteria » doit contenir recency, frequency et monetary.")
    criteria: dict[str, Criterion] = {}
    for name in CRITERIA:
        where = f"{src}, critère « {name} »"
        raw = raw_criteria.get(name)
        if not isinstance(raw, dict):
            raise GridError(f"{where} : critère absent ou mal formé.")
        unit = raw.get("unit")
        if unit not in UNITS[name]:
            raise GridError(
                f"{where} : unité « {unit} » inconnue (attendu : {', '.join(UNITS[name])})."
            )
        raw_bins = raw.get("bins")
        if not isinstance(raw_bins, list) or not raw_bins:
            raise GridError(f"{where} : liste « bins » absente ou vide.")
        bins = []
        for i, rb in enumerate(raw_bins, start=1):
            args = _interval_args(rb, f"{where}, tranche {i}")
            pts = _num(rb.get("points"), f"{where}, tranche {i}, points")
            if pts is None:
                raise GridError(f"{where}, tranche {i} : « points » absent.")
            bins.append(Bin(**args, points=pts))
        # recency, frequency and monetary are >= 0: bins must cover [0, +inf) at least
        bins = _check_tiling(bins, where, 0.0, None)  # type: ignore[assignment]
        missing = _num(raw.get("missing_points", 0), f"{where}, missing_points") or 0.0
        criteria[name] = Criterion(name, unit, bins, missing, str(raw.get("label", "")))
    unknown = set(raw_criteria) - set(CRITERIA)
    if unknown:
        raise GridError(f"{src} : critère(s) inconnu(s) : {', '.join(sorted(unknown))}.")
    raw_cats = data["categories"]
    if not isinstance(raw_cats, list) or not raw_cats:
        raise GridError(f"{src} : liste « categories » absente ou vide.")
    cats = []
    for i, rc in enumerate(raw_cats, start=1):
        where = f"{src}, catégorie {i}"
        args = _interval_args(rc, where)
        label = rc.get("label")
        if not label:
            raise GridError(f"{where} : libellé « label » absent.")
        cats.append(Category(**args, label=str(label)))
    labels = [c.label for c in cats]
    if len(set(labels)) != len(labels):
        raise GridError(f"{src} : libellés de catégorie en double.")
    grid = Grid(
        name=str(data.get("name", Path(src).stem)),
        observation_window_months=window,
        criteria=criteria,
        categories=[],
        path=Path(path) if path is not None else None,
        extra={k: v for k, v in data.items()
               if k not in ("name", "observation_window_months", "criteria", "categories")},
    )
    grid.categories = _check_tiling(  # type: ignore[assignment]
        cats, f"{src}, catégories", grid.min_score, grid.max_score
    )
    return grid


def load_grid(path: str | Path) -> Grid:
    """Load an RFM grid file; refuse gaps and overlaps with a French message."""
    path = Path(path)
    return parse_grid(read_yaml(path), path)


# --------------------------------------------------------------------------------------------
# Scoring with a fixed grid
# --------------------------------------------------------------------------------------------


def _points(values: pd.Series, crit: Criterion) -> np.ndarray:
    conds = [b.mask(values) for b in crit.bins]
    return np.select(conds, [b.points for b in crit.bins], default=crit.missing_points)


def score(frame: pd.DataFrame, grid: Grid) -> pd.DataFrame:
    """Copy of ``frame`` with ``r_score``, ``f_score``, ``m_score``, ``rfm_score``, ``category``.

    ``frame`` needs ``recency_months``, ``frequency`` and ``monetary`` in the grid's units.
    A missing value earns the criterion's ``missing_points`` (0 by default).
    """
    missing = [c for c in INPUT_COLUMN.values() if c not in frame.columns]
    if missing:
        raise KeyError(f"Colonnes manquantes pour le score RFM : {', '.join(missing)}")
    out = frame.copy()
    total = np.zeros(len(out))
    for name, crit in grid.criteria.items():
        values = pd.to_numeric(out[INPUT_COLUMN[name]], errors="coerce")
        pts = _points(values, crit)
        out[SCORE_COLUMN[name]] = _as_int_if_whole(pts)
        total = total + pts
    out["rfm_score"] = _as_int_if_whole(total)
    conds = [c.mask(total) for c in grid.categories]
    labels = np.array([c.label for c in grid.categories], dtype=object)
    idx = np.select(conds, np.arange(len(labels)), default=-1)
    out["category"] = np.where(idx >= 0, labels[np.clip(idx, 0, None)], None)
    return out


def _as_int_if_whole(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    if np.all(np.isfinite(a)) and np.all(a == np.round(a)):
        return a.astype(np.int64)
    return a


# --------------------------------------------------------------------------------------------
# Quantile variant
# --------------------------------------------------------------------------------------------

# Standard R x F segment map (quintiles), French labels. Keys are regexes on "<r><f>".
SEGMENT_MAP: list[tuple[str, str]] = [
    (r"11", "Perdus"),
    (r"[1-2][1-2]", "En hibernation"),
    (r"[1-2][3-4]", "À risque"),
    (r"[1-2]5", "À ne pas perdre"),
    (r"3[1-2]", "À réveiller"),
    (r"33", "À surveiller"),
    (r"[3-4][4-5]", "Réguliers"),
    (r"41", "Prometteurs"),
    (r"51", "Nouveaux venus"),
    (r"[4-5][2-3]", "Fidèles potentiels"),
    (r"5[4-5]", "Champions"),
]


def quantile_levels(values: pd.Series, n: int = 5, higher_is_better: bool = True,
                    groups: pd.Series | None = None) -> pd.Series:
    """Score 1..n from the share of *other* values that are strictly worse.

    ``level = floor(n * (rank_min - 1) / count) + 1`` where ``rank_min`` is the rank with
    ``method="min"``: identical values always get the same level whatever the row order,
    the worst value (and every value tied with it) gets 1, and no ``qcut`` edge can collapse.
    Missing values count as the worst value. ``groups`` (aligned on ``values``): ranks and
    counts within each group, as if each group were scored on its own.
    """
    if n < 1:
        raise ValueError("n doit être au moins 1")
    v = pd.to_numeric(values, errors="coerce").astype(float)
    v = v if higher_is_better else -v
    v = v.fillna(-np.inf)
    count = len(v)
    if count == 0:
        return pd.Series([], index=values.index, dtype="int64")
    if groups is None:
        rank_min = v.rank(method="min")
    else:
        by = v.groupby(np.asarray(groups, dtype=object), sort=False)
        rank_min, count = by.rank(method="min"), by.transform("size")
    level = np.floor(n * (rank_min - 1) / count).astype("int64") + 1
    return level.clip(1, n).astype("int64")


def quantile_score(frame: pd.DataFrame, n: int = 5, by: str | None = None) -> pd.DataFrame:
    """Copy of ``frame`` with ``r_q``, ``f_q``, ``m_q`` (1..n), ``rfm_code`` and
    ``segment_label`` (standard R x F map, scores rescaled to 1..5 when ``n != 5``).
    ``by``: a column of ``frame`` (e.g. ``scope``) whose groups are each scored on their own,
    all in one pass."""
    out = frame.copy()
    groups = out[by] if by is not None else None
    out["r_q"] = quantile_levels(out["recency_months"], n, higher_is_better=False, groups=groups)
    out["f_q"] = quantile_levels(out["frequency"], n, groups=groups)
    out["m_q"] = quantile_levels(out["monetary"], n, groups=groups)
    out["rfm_code"] = out["r_q"].astype(str) + out["f_q"].astype(str) + out["m_q"].astype(str)
    if n > 9:
        out["rfm_code"] = (out["r_q"].astype(str) + "-" + out["f_q"].astype(str) + "-"
                           + out["m_q"].astype(str))
    r5 = np.ceil(out["r_q"] * 5 / n).astype("int64").clip(1, 5)
    f5 = np.ceil(out["f_q"] * 5 / n).astype("int64").clip(1, 5)
    rf = r5.astype(str) + f5.astype(str)
    label = pd.Series(None, index=out.index, dtype=object)
    for pattern, name in SEGMENT_MAP:
        hit = label.isna() & rf.str.fullmatch(pattern)
        label[hit] = name
    out["segment_label"] = label
    return out


# --------------------------------------------------------------------------------------------
# R, F and M from stays
# --------------------------------------------------------------------------------------------


def _as_timestamp(d: dt.date | pd.Timestamp | str) -> pd.Timestamp:
    return pd.Timestamp(d).normalize()


def months_between(dates: Any, ref: dt.date | pd.Timestamp | str) -> np.ndarray:
    """Calendar months from each date to ``ref`` (the dates up to ``ref``; NaN for NaT).

    Whole months counted like DATEDIF(date; ref; "m") (the day of ``ref`` clipped to the end
    of a shorter month, as ``ref - DateOffset(months=k)``), plus the share of the next month
    elapsed: 2024-12-31 -> 2025-12-31 is 12.0; 2024-12-30 is 12 + 1/31; with ``ref``
    2025-02-28, 2024-02-28 is 12.0 and 2024-02-29 is 11 + 28/29.
    """
    ref = _as_timestamp(ref)
    d = pd.DatetimeIndex(pd.to_datetime(np.asarray(dates).ravel())).normalize()
    out = np.full(len(d), np.nan)
    ok = ~d.isna()
    if not ok.any():
        return out
    dd = d[ok]
    k = (ref.year - dd.year.to_numpy()) * 12 + (ref.month - dd.month.to_numpy())
    anchor_day = np.minimum(ref.day, dd.days_in_month.to_numpy())
    k = k - (anchor_day < dd.day.to_numpy())
    anchors = {int(m): ref - pd.DateOffset(months=int(m)) for m in np.unique(np.r_[k, k + 1])}
    a = pd.DatetimeIndex([anchors[int(m)] for m in k])
    b = pd.DatetimeIndex([anchors[int(m) + 1] for m in k])
    out[ok] = k + (a - dd).days.to_numpy() / (a - b).days.to_numpy()
    return out


def in_window(dates: Any, ref: dt.date | pd.Timestamp | str, window_months: float) -> np.ndarray:
    """True for the dates of the observation window: up to ``ref`` and at most
    ``window_months`` old by :func:`months_between` (the recency rule, edge included)."""
    ref = _as_timestamp(ref)
    m = months_between(dates, ref)
    return (m >= 0) & (m <= window_months)


def _past_stays(stays: pd.DataFrame, ref: pd.Timestamp, key: str) -> pd.DataFrame:
    """Stays up to ``ref`` with a known ``key``, with ``_arrival`` (day) and ``_amount``."""
    arrival = pd.to_datetime(stays["arrival"])
    keep = (arrival.le(ref) & stays[key].notna()).to_numpy()
    past = stays.loc[keep].copy()
    past["_arrival"] = arrival.dt.normalize().to_numpy()[keep]
    past["_amount"] = pd.to_numeric(past["amount"], errors="coerce") if "amount" in past \
        else np.nan
    return past


def _rfm_groups(past: pd.DataFrame, ref: pd.Timestamp, grid: Grid, by: list[str],
                extra: pd.Index | None = None) -> pd.DataFrame:
    """R, F, M of each ``by`` group of ``past`` (see ``compute_rfm``), indexed by the groups."""
    window_months = grid.observation_window_months
    gb = by[0] if len(by) == 1 else by
    last = past.groupby(gb)["_arrival"].max()
    win = past.loc[in_window(past["_arrival"], ref, window_months)]
    g = win.groupby(gb)
    n_stays = g.size()
    total = g["_amount"].sum(min_count=1)
    avg = g["_amount"].mean()
    last_amount = win.sort_values([*by, "_arrival"]).groupby(gb)["_amount"].last()

    idx = last.index
    if extra is not None:
        idx = idx.union(extra)
    out = pd.DataFrame(index=idx)
    out["last_stay"] = last.reindex(idx)
    out["recency_months"] = months_between(out["last_stay"], ref)
    out["n_stays"] = n_stays.reindex(idx).fillna(0).astype("int64")
    out["total_amount"] = total.reindex(idx)
    unit_f = grid.criteria["frequency"].unit
    if unit_f == "per_year":
        out["frequency"] = out["n_stays"] / (window_months / 12.0)
    elif unit_f == "per_month":
        out["frequency"] = out["n_stays"] / window_months
    else:
        out["frequency"] = out["n_stays"].astype(float)
    unit_m = grid.criteria["monetary"].unit
    if unit_m == "average":
        out["monetary"] = avg.reindex(idx)
    elif unit_m == "total":
        out["monetary"] = out["total_amount"]
    else:
        out["monetary"] = last_amount.reindex(idx)
    return out


def compute_rfm(
    stays: pd.DataFrame,
    reference_date: dt.date | pd.Timestamp | str,
    grid: Grid,
    key: str = "contact_id",
    keys: Iterable[Any] | None = None,
) -> pd.DataFrame:
    """Recency, frequency and monetary per ``key`` from stays, in the grid's units.

    - stays arriving after ``reference_date`` are ignored;
    - ``recency_months``: calendar months from the last arrival to ``reference_date``
      (:func:`months_between`), over all the history up to the reference date (``last_stay``
      is that arrival);
    - the observation window holds the stays at most ``window`` months old by the same rule
      (:func:`in_window`: ``[reference_date - window ; reference_date]``, both ends in);
      ``n_stays`` and ``total_amount`` count the stays of the window; ``frequency`` is
      ``n_stays`` per year, per month or in total, ``monetary`` the average amount of the
      window's stays with a known amount, their total or the last stay's amount (NaN when the
      client has no stay in the window, which scores ``missing_points``);
    - ``keys``: optional list of every client to report (clients with no stay get NaN
      recency, frequency 0).
    Returns a frame with a ``key`` column, indexed by the same values (unnamed index).
    """
    ref = _as_timestamp(reference_date)
    past = _past_stays(stays, ref, key)
    out = _rfm_groups(past, ref, grid, [key], pd.Index(list(keys)) if keys is not None else None)
    out.index.name = None  # key is also a column; an unnamed index keeps groupby unambiguous
    out.insert(0, key, out.index)
    return out[[key, "recency_months", "frequency", "monetary", "n_stays", "total_amount",
                "last_stay"]]


def rfm_table(
    stays: pd.DataFrame,
    reference_date: dt.date | pd.Timestamp | str,
    grid: Grid,
    centres: list[str] | None = None,
    key: str = "contact_id",
) -> pd.DataFrame:
    """Rows of ``exports/rfm.csv`` (SPEC §6): one block per centre (that centre's stays only)
    and one ``NETWORK`` block (every stay of the network contact, all centres together).

    ``centres`` defaults to every centre present in ``stays`` (sorted); the ``NETWORK`` block
    always uses all stays, whichever centres are listed.
    """
    if centres is None:
        centres = sorted(stays["centre"].dropna().unique().tolist())
    ref = _as_timestamp(reference_date)
    past = _past_stays(stays, ref, key)
    cols = ["recency_months", "frequency", "monetary"]
    # every centre at once: one group per (centre, client), blocks in the order of ``centres``
    per = _rfm_groups(past[past["centre"].isin(centres)], ref, grid, ["centre", key])[cols]
    order = {c: i for i, c in enumerate(dict.fromkeys(centres))}
    scopes = per.index.get_level_values(0)
    pos = np.argsort(scopes.map(order).to_numpy(dtype="int64"), kind="stable")
    per = per.iloc[pos]
    blocks = pd.DataFrame({"scope": per.index.get_level_values(0).to_numpy(dtype=object),
                           "contact_id": per.index.get_level_values(1)})
    for c in cols:
        blocks[c] = per[c].to_numpy()
    net = _rfm_groups(past, ref, grid, [key])[cols]
    net_block = pd.DataFrame({"scope": NETWORK, "contact_id": net.index})
    for c in cols:
        net_block[c] = net[c].to_numpy()
    out = score(pd.concat([blocks, net_block], ignore_index=True), grid)
    return out[RFM_COLUMNS]


# --------------------------------------------------------------------------------------------
# Organisation level (issue 21): a school that comes back with another teacher is loyal
# --------------------------------------------------------------------------------------------
LEVELS = ("contact", "organisation")
RFM_EXPORT_COLUMNS = [*RFM_COLUMNS, "level", "organisation_id"]


def organisation_rfm_table(
    stays: pd.DataFrame,
    reference_date: dt.date | pd.Timestamp | str,
    grid: Grid,
    centres: list[str] | None = None,
) -> pd.DataFrame:
    """RFM per organisation (``stays["organisation_id"]``), per centre and ``NETWORK``.

    Every stay booked by any contact of an organisation counts for that organisation. Rows
    have the ``exports/rfm.csv`` columns with ``level = "organisation"``, the id in
    ``organisation_id`` and an empty ``contact_id``.
    """
    cols = [*RFM_COLUMNS, "level", "organisation_id"]
    if "organisation_id" not in stays or stays["organisation_id"].isna().all():
        return pd.DataFrame(columns=cols)
    out = rfm_table(stays, reference_date, grid, centres, key="organisation_id")
    out = out.rename(columns={"contact_id": "organisation_id"})
    out["contact_id"] = None
    out["level"] = "organisation"
    return out[cols]


def rfm_export(scores: pd.DataFrame, organisation_scores: pd.DataFrame | None,
               contact_organisation: pd.Series | None = None) -> pd.DataFrame:
    """Rows of ``exports/rfm.csv``: the contact level (``level = "contact"``, with the
    contact's ``organisation_id`` when it has one), then the organisation level."""
    c = scores.copy()
    c["level"] = "contact"
    c["organisation_id"] = c["contact_id"].map(contact_organisation) \
        if contact_organisation is not None else None
    parts = [c[RFM_EXPORT_COLUMNS]]
    if organisation_scores is not None and len(organisation_scores):
        parts.append(organisation_scores[RFM_EXPORT_COLUMNS])
    return pd.concat(parts, ignore_index=True)
