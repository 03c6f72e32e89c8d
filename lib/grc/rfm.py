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

Recency is measured in months of ``DAYS_PER_MONTH`` days (365.25 / 12 = 30.4375).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from grc.config import ConfigError, read_yaml

DAYS_PER_MONTH = 365.25 / 12  # 30.4375: recency_months = days / DAYS_PER_MONTH

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
    return f"{x:g}".replace(".", ",")


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
