"""Loyalty ("fidélisation") indicators from stays, and the Lehu loop for the notebooks.

Every function takes a stays frame with at least ``contact_id`` (the network contact),
``centre`` and ``arrival`` (datetime64); ``amount`` where money is involved; group columns
such as ``segment`` must already be on the stays (merge the contact's segment first).
A year is the calendar year of arrival unless ``start_month`` says otherwise (e.g. 9 for
school years: September 2024 to August 2025 is season 2025).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import pandas as pd

from grc.rfm.scores import Grid, months_between


class LehuStep(NamedTuple):
    key: str
    title: str
    description: str


# J.-M. Lehu, « La fidélisation client » : five steps, run as a loop.
LEHU_LOOP: tuple[LehuStep, ...] = (
    LehuStep("identifier", "Identifier",
             "Connaître les clients et leurs attentes : qui vient, d'où, pour quels séjours, "
             "avec quelle valeur (segments, scores RFM)."),
    LehuStep("adapter", "Adapter",
             "Adapter l'offre et les techniques de fidélisation à chaque catégorie de clients "
             "identifiée."),
    LehuStep("privilegier", "Privilégier",
             "Passer à l'action : privilégier les clients choisis (avantages, priorité de "
             "réservation, relances personnalisées) pour amplifier leur intérêt."),
    LehuStep("controler", "Contrôler",
             "Contrôler systématiquement la qualité du service et l'efficacité des actions "
             "(rétention, taux de retour, satisfaction)."),
    LehuStep("faire_evoluer", "Faire évoluer",
             "Tirer les enseignements des contrôles pour faire évoluer la stratégie, puis "
             "reprendre la boucle."),
)


def _dates(values: pd.Series) -> pd.Series:
    """``values`` as datetimes (as they are when they already are: no second parse)."""
    return values if pd.api.types.is_datetime64_any_dtype(values) else pd.to_datetime(values)


def _season(arrival: pd.Series, start_month: int = 1) -> pd.Series:
    arrival = _dates(arrival)
    year = arrival.dt.year
    if start_month == 1:
        return year
    return year + (arrival.dt.month >= start_month).astype(int)


def _prepare(stays: pd.DataFrame, key: str, reference_date: dt.date | None,
             start_month: int = 1) -> pd.DataFrame:
    frame = stays.loc[stays[key].notna()].copy()
    frame["arrival"] = _dates(frame["arrival"])
    if reference_date is not None:
        frame = frame.loc[frame["arrival"].le(pd.Timestamp(reference_date))]
    frame["_year"] = _season(frame["arrival"], start_month)
    return frame


def _count_flagged(per_client: pd.DataFrame, by: list[str], key: str, flag: str,
                   total: str, flagged: str, rate: str) -> pd.DataFrame:
    """Per group of ``by`` (or over all rows when ``by`` is empty): the rows as ``total``,
    the rows where ``flag`` holds as ``flagged`` (int64) and their share as ``rate`` (NaN
    for an empty group)."""
    if by:
        out = per_client.groupby(by, dropna=False).agg(
            **{total: (key, "size"), flagged: (flag, "sum")}).reset_index()
    else:
        out = pd.DataFrame({total: [len(per_client)], flagged: [int(per_client[flag].sum())]})
    out[flagged] = out[flagged].astype("int64")
    out[rate] = out[flagged] / out[total].where(out[total] > 0)
    return out[[*by, total, flagged, rate]]


def retention(
    stays: pd.DataFrame,
    years: Iterable[int] | None = None,
    by: Sequence[str] = ("centre",),
    key: str = "contact_id",
    same_scope: bool = True,
    start_month: int = 1,
) -> pd.DataFrame:
    """Share of year N-1 clients who stayed again in year N, per group and year N.

    ``years`` lists the years N (default: every year after the first one with stays).
    With ``same_scope`` a client of centre X in N-1 is retained only if they came back to X
    in N (per group of ``by``); otherwise coming back anywhere in the network counts.
    Columns: ``*by, year, clients_prev, retained, retention`` (rate in [0, 1]).
    """
    by = list(by)
    frame = _prepare(stays, key, None, start_month)
    if years is None:
        present = sorted(frame["_year"].unique().tolist())
        years = present[1:]
    rows = []
    for year in years:
        prev = frame.loc[frame["_year"].eq(year - 1), [*by, key]].drop_duplicates()
        cur = frame.loc[frame["_year"].eq(year)]
        cur_keys = cur[[*by, key]] if same_scope else cur[[key]]
        on = [*by, key] if same_scope else [key]
        merged = prev.merge(cur_keys.drop_duplicates(), on=on, how="left", indicator="_m")
        merged["_back"] = merged["_m"].eq("both")
        agg = _count_flagged(merged, by, key, "_back", "clients_prev", "retained", "retention")
        agg.insert(len(by), "year", int(year))
        rows.append(agg)
    columns = [*by, "year", "clients_prev", "retained", "retention"]
    if not rows:
        return pd.DataFrame(columns=columns)
    return pd.concat(rows, ignore_index=True)[columns]


def repeat_rate(
    stays: pd.DataFrame,
    by: Sequence[str] = ("centre",),
    key: str = "contact_id",
    reference_date: dt.date | None = None,
) -> pd.DataFrame:
    """Share of clients with two stays or more (within each group of ``by``).

    Columns: ``*by, clients, repeaters, repeat_rate``; stays after ``reference_date`` ignored.
    """
    by = list(by)
    frame = _prepare(stays, key, reference_date)
    per_client = frame.groupby([*by, key], dropna=False).size().rename("n").reset_index()
    per_client["_rep"] = per_client["n"] >= 2
    return _count_flagged(per_client, by, key, "_rep", "clients", "repeaters", "repeat_rate")


def multi_centre_share(
    stays: pd.DataFrame,
    by: Sequence[str] = (),
    key: str = "contact_id",
    reference_date: dt.date | None = None,
) -> pd.DataFrame:
    """Share of network clients who stayed at two centres or more (per group of ``by``).

    Columns: ``*by, clients, multi_centre, share``.
    """
    by = list(by)
    frame = _prepare(stays, key, reference_date)
    n_centres = frame.groupby(key)["centre"].nunique().rename("_n")
    per_client = frame[[*by, key]].drop_duplicates().merge(
        n_centres, left_on=key, right_index=True)
    per_client["_multi"] = per_client["_n"] >= 2
    return _count_flagged(per_client, by, key, "_multi", "clients", "multi_centre", "share")


def lapsed_high_value(
    scored: pd.DataFrame,
    stays: pd.DataFrame,
    reference_date: dt.date | pd.Timestamp | str,
    *,
    grid: Grid | None = None,
    categories: Sequence[str] | None = None,
    monetary_quantile: float | None = 0.8,
    months: float = 12.0,
    key: str = "contact_id",
    by: str | None = None,
) -> pd.DataFrame:
    """High-value clients who have not come back for more than ``months``: win-back targets.

    High value = ``category`` in ``categories`` (default: the two best categories of ``grid``
    when given) OR a lifetime average stay amount at or above the ``monetary_quantile`` of
    the clients of ``scored``. ``scored`` holds one row per client (one scope of
    ``rfm_table``, or ``score(compute_rfm(...))``). Lapsed = last arrival up to the reference
    date more than ``months`` calendar months before it (the recency rule of
    :func:`grc.rfm.scores.months_between`).
    ``by`` (a column of ``scored`` and ``stays``, e.g. ``scope``): every group at once, each
    as if alone (its clients, its stays, its quantile); the column leads the result.
    Columns: ``[by,] key, category, rfm_score, last_stay, months_since_last, lifetime_stays,
    lifetime_amount, lifetime_average``, biggest lifetime amount first (within each group).
    """
    groups = [by] if by else []
    if scored.duplicated([*groups, key]).any():
        raise ValueError(
            "lapsed_high_value : un client apparaît plusieurs fois dans le tableau scoré "
            "(filtrer sur un seul périmètre, par exemple scope == 'NETWORK')."
        )
    ref = pd.Timestamp(reference_date).normalize()
    frame = _prepare(stays, key, ref)
    frame["_amount"] = pd.to_numeric(frame.get("amount"), errors="coerce")
    life = frame.groupby([*groups, key]).agg(
        last_stay=("arrival", "max"),
        lifetime_stays=("arrival", "size"),
        lifetime_amount=("_amount", "sum"),
        lifetime_average=("_amount", "mean"),
    ).reset_index()
    cols = [*groups, key] + [c for c in ("category", "rfm_score") if c in scored.columns]
    base = scored[cols].merge(life, on=[*groups, key], how="inner")
    base["months_since_last"] = months_between(base["last_stay"], ref)
    if categories is None and grid is not None:
        categories = grid.category_order()[:2]
    high = pd.Series(False, index=base.index)
    if categories is not None and "category" in base.columns:
        high |= base["category"].isin(list(categories))
    if monetary_quantile is not None:
        average = base["lifetime_average"]
        threshold = (average.groupby(base[by]).transform("quantile", monetary_quantile) if by
                     else average.quantile(monetary_quantile))
        high |= average.ge(threshold)
    lapsed = base["months_since_last"] > months
    out = base.loc[high & lapsed].sort_values(
        [*groups, "lifetime_amount", key], ascending=[*[True] * len(groups), False, True],
        na_position="last")
    order = [*groups, key, "category", "rfm_score", "last_stay", "months_since_last",
             "lifetime_stays", "lifetime_amount", "lifetime_average"]
    return out[[c for c in order if c in out.columns]].reset_index(drop=True)
