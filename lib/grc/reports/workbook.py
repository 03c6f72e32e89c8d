"""Data access for the notebooks: everything a workbook shows, read from the base.

A notebook only reads and plots: ``wb = open_workbook(config, centre)`` gives the frames of
its scope. For a centre, record-level frames hold only that centre's records (privacy: a
centre's report never sees another centre's clients); network-wide comparisons come as
aggregates (``network_*`` frames, counts and rates only).

Usage in a notebook::

    from grc.reports.workbook import open_workbook
    wb = open_workbook(config, centre)
    wb.qualified.head()
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from grc.config import NetworkConfig, load_config, load_segmentation
from grc.measures.read import measure_value
from grc.schema import NETWORK
from grc.store import base as db


@dataclass
class Workbook:
    """Frames of one scope (a centre code or ``NETWORK``)."""

    cfg: NetworkConfig
    centre: str

    @property
    def is_network(self) -> bool:
        return self.centre == NETWORK

    @property
    def year(self) -> int:
        return self.cfg.year

    @property
    def reference_date(self) -> dt.date:
        return self.cfg.reference_date

    @cached_property
    def title(self) -> str:
        """The scope's name, escaped for the pages' Markdown notes (names come from config)."""
        from grc.reports.charts import md_text

        if self.is_network:
            return f"{md_text(self.cfg.network)} : ensemble du réseau"
        return f"{md_text(self.cfg.centre(self.centre).name)} ({md_text(self.centre)})"

    def _q(self, table: str, where: str = "", params: list | None = None) -> pd.DataFrame:
        con = db.connect(self.cfg.db_path, read_only=True)
        try:
            return db.read_table(con, table, where, params)
        finally:
            con.close()

    def _scoped(self, table: str, col: str = "centre") -> pd.DataFrame:
        if self.is_network:
            return self._q(table)
        return self._q(table, f'WHERE "{col}" = ?', [self.centre])

    # --- record-level frames of the scope ------------------------------------------------
    @cached_property
    def qualified(self) -> pd.DataFrame:
        """Qualified records of the scope (current version of each, ``exported`` flag)."""
        return self._scoped("qualified")

    @cached_property
    def records(self) -> pd.DataFrame:
        """Records exported in the run year."""
        q = self.qualified
        return q[q["exported"].astype(bool)] if len(q) else q

    @cached_property
    def issues(self) -> pd.DataFrame:
        """Quality issues of the run year."""
        iss = self._scoped("quality_issues")
        return iss[iss["year"] == self.year] if len(iss) else iss

    @cached_property
    def issues_all_years(self) -> pd.DataFrame:
        return self._scoped("quality_issues")

    @cached_property
    def followup(self) -> pd.DataFrame:
        """Last year's issues and what became of them (corrigé / toujours / retiré)."""
        fu = self._scoped("issue_followup")
        return fu[fu["year"] == self.year] if len(fu) else fu

    @cached_property
    def links(self) -> pd.DataFrame:
        return self._scoped("record_links")

    @cached_property
    def contact_ids(self) -> pd.Index:
        return pd.Index(self.links["contact_id"].unique()) if len(self.links) else pd.Index([])

    @cached_property
    def stays(self) -> pd.DataFrame:
        """Stays of the scope with their network ``contact_id``."""
        st = self._scoped("stays_linked")
        if len(st):
            st["arrival"] = pd.to_datetime(st["arrival"])
        return st

    @cached_property
    def segments(self) -> pd.DataFrame:
        seg = self._q("segments")
        return seg if self.is_network else seg[seg["contact_id"].isin(self.contact_ids)]

    @cached_property
    def scores(self) -> pd.DataFrame:
        """RFM rows of the scope (``scope`` = the centre, or ``NETWORK``)."""
        return self._q("scores", "WHERE scope = ?", [self.centre])

    @cached_property
    def pairs(self) -> pd.DataFrame:
        """Deduplication pairs touching the scope (both sides of the scope for a centre)."""
        p = self._q("dedup_pairs")
        if self.is_network or p.empty:
            return p
        return p[(p["centre_a"] == self.centre) & (p["centre_b"] == self.centre)]

    @cached_property
    def history(self) -> pd.DataFrame:
        return self._scoped("history")

    @cached_property
    def segmentation(self) -> dict:
        return load_segmentation(self.cfg.segmentation)

    # --- aggregates (no personal data) ----------------------------------------------------
    @cached_property
    def metrics(self) -> pd.DataFrame:
        """The measures a page of the scope may show (table ``measures``: scope, year, measure,
        value), every year: the centre's and the network's for a centre, every scope's for
        the network (its pages compare the centres)."""
        if self.is_network:
            return self._q("measures")
        return self._q("measures", "WHERE scope IN (?, ?)", [self.centre, NETWORK])

    def metric(self, name: str, centre: str | None = None, year: int | None = None) -> float | None:
        """One measure of the scope (or of ``centre``) for the run year (or ``year``)."""
        return measure_value(self.metrics, name, centre or self.centre, year or self.year)

    @cached_property
    def network_segment_mix(self) -> pd.DataFrame:
        """Contacts per common segment network-wide (aggregates)."""
        seg = self._q("segments")
        if seg.empty:
            return pd.DataFrame(columns=["segment", "contacts", "share"])
        out = seg.groupby("segment", dropna=False).size().rename("contacts").reset_index()
        out["share"] = out["contacts"] / out["contacts"].sum()
        return out


def open_workbook(config: str | Path, centre: str = NETWORK) -> Workbook:
    """The workbook data of one scope; ``config`` is resolved like ``grc run`` does."""
    cfg = load_config(config)
    if centre != NETWORK:
        cfg.centre(centre)  # clear error for an unknown centre
    return Workbook(cfg, centre)


def mask(value: object) -> str:
    """Mask a personal value for display: "Élise Durand" -> "É*** D***"."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    s = str(value)
    if "@" in s:
        local, _, dom = s.partition("@")
        return f"{local[:1]}***@{dom[:1]}***"
    if sum(c.isdigit() for c in s) >= 6:
        digits = [c for c in s if c.isdigit()]
        return "•• •• •• •• " + "".join(digits[-2:])
    return " ".join(w[:1] + "***" for w in s.split() if w)


def key_figures(wb: Workbook, names: list[str], caption: str = "Chiffres clés"):
    """The scope's key figures read from the measures (IPython HTML for a notebook cell)."""
    from IPython.display import HTML

    from grc.measures.read import key_figures_html

    return HTML(key_figures_html(wb.metrics, wb.centre, wb.year, names, caption))


def measure_history(wb: Workbook, names: list[str], caption: str):
    """The scope's measures year by year (IPython HTML); empty text when none is stored."""
    from IPython.display import HTML

    from grc.measures.read import history_html

    return HTML(history_html(wb.metrics, wb.centre, names, caption))


def measures_of(wb: Workbook, names: list[str]) -> dict[str, float | None]:
    """The run year's stored value of each measure of ``names`` for the scope."""
    return {n: wb.metric(n) for n in names}


SATISFACTION = ["surveys_sent", "survey_answers", "survey_response_rate", "satisfaction_mean",
                "satisfaction_returning", "satisfaction_not_returning"]


def satisfaction_figures(wb: Workbook):
    """The scope's post-stay survey figures (measures), or one line saying there are none."""
    from IPython.display import Markdown

    if wb.metric("surveys_sent") is None:
        return Markdown("Pas d'enquête de satisfaction dans les exports de ce périmètre cette "
                        "année : le contrôle de la qualité de service ne peut pas être chiffré ici.")
    return key_figures(wb, SATISFACTION, caption="Enquête de satisfaction après séjour")
