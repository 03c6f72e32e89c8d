"""Whom a campaign targets: the :class:`Selection` and its filters over the contacts frame."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import pandas as pd
from unidecode import unidecode

from grc import rules
from grc.config import ConfigError, read_yaml

CHANNELS = rules.CHANNELS
PURPOSES = (rules.PURPOSE_CONTRACT,)
KINDS = ("B2B", "B2C")
NETWORK_SENDER = rules.NETWORK_SENDER
_NETWORK_WORDS = {"NETWORK", "RESEAU", "RÉSEAU", "TETE DE RESEAU", ""}


@dataclass
class Selection:
    """Whom to target, on which channel and for which sender; empty lists mean "no filter".

    ``sender`` is the organisation that sends the campaign: ``NETWORK`` (the head office) or
    a centre code. A centre's campaign targets only that centre's own contacts.
    """

    channel: str = "courrier"
    segments: list[str] = field(default_factory=list)
    families: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)
    lifecycle: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    centres: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    clusters: list[int] = field(default_factory=list)
    purpose: str | None = None
    rfm_scope: str | None = None
    name: str | None = None
    sender: str = NETWORK_SENDER

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if f.type.startswith("list") and not isinstance(v, list):
                setattr(self, f.name, [] if v in (None, "") else _as_list(v))
        self.channel = str(self.channel).strip().lower().replace("é", "e")
        if self.channel not in CHANNELS:
            raise ConfigError(f"Canal inconnu « {self.channel} » : choisir parmi {', '.join(CHANNELS)}.")
        if self.purpose not in (None, "", *PURPOSES):
            raise ConfigError(f"Objet d'appel inconnu « {self.purpose} » (seul « sejour_en_cours » existe).")
        self.purpose = self.purpose or None
        self.kinds = [str(k).upper() for k in self.kinds]
        bad = [k for k in self.kinds if k not in KINDS]
        if bad:
            raise ConfigError(f"Type inconnu {bad} : B2B ou B2C.")
        from grc.segment.segmentation import LIFECYCLES

        bad = [v for v in self.lifecycle if v not in LIFECYCLES]
        if bad:
            raise ConfigError(f"Cycle de vie inconnu {bad} : choisir parmi {', '.join(LIFECYCLES)}.")
        self.clusters = [int(c) for c in self.clusters]
        self.departments = [str(d).strip().zfill(2) for d in self.departments]
        s = str(self.sender or "").strip()
        self.sender = NETWORK_SENDER if s.upper() in _NETWORK_WORDS else s

    @property
    def for_centre(self) -> bool:
        """True for a centre's own campaign, False for the network's."""
        return self.sender != NETWORK_SENDER

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "sélection") -> Selection:
        known = {f.name for f in fields(cls)}
        data = dict(data)
        if "for" in data:  # the CLI's word for the sender
            data["sender"] = data.pop("for")
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"{where} : clé(s) inconnue(s) {unknown} ; clés possibles : {sorted(known)}.")
        return cls(**data)

    def describe(self) -> str:
        """One French line describing the selection."""
        parts = []
        for label, values in [("segments", self.segments), ("familles", self.families),
                              ("régions", self.regions), ("départements", self.departments),
                              ("cycle de vie", self.lifecycle), ("catégories RFM", self.categories),
                              ("centres", self.centres), ("types", self.kinds),
                              ("groupes", self.clusters)]:
            if values:
                parts.append(f"{label} : {', '.join(map(str, values))}")
        if self.purpose:
            parts.append("objet : séjour réservé à venir")
        who = "campagne du réseau" if not self.for_centre else f"campagne du centre {self.sender}"
        return (f"canal {self.channel} ; {who}"
                + (" ; " + " ; ".join(parts) if parts else " ; toute la base"))


def _as_list(v: Any) -> list:
    if isinstance(v, (list, tuple, set)):
        return list(v)
    return [x.strip() for x in str(v).split(",") if x.strip()]


def load_selection(path: str | Path) -> Selection:
    """A selection from a YAML file (keys: the :class:`Selection` fields, ``for`` = sender)."""
    data = read_yaml(Path(path))
    if not isinstance(data, dict):
        raise ConfigError(f"{path} : sélection vide ou mal formée (un dictionnaire YAML est attendu).")
    return Selection.from_dict(data, str(path))


def _norm(v: Any) -> str:
    return unidecode(str(v)).casefold().strip()


def _isin_norm(s: pd.Series, values: list) -> pd.Series:
    wanted = {_norm(v) for v in values}
    uniq = pd.Series(s.dropna().unique())
    ok = {u for u in uniq if _norm(u) in wanted}
    return s.isin(ok).fillna(False).astype(bool)


def _column(base: pd.DataFrame, name: str) -> pd.Series:
    return base[name] if name in base else pd.Series(None, index=base.index, dtype=object)


def in_centres(centres: pd.Series, wanted: set[str]) -> pd.Series:
    """True where the ``;``-separated list of centres names one of ``wanted``."""
    parts = centres.astype("string").str.split(";").explode().str.strip()
    hit = parts.isin(wanted).fillna(False)
    return hit.groupby(level=0).any().reindex(centres.index, fill_value=False).astype(bool)


def targets(base: pd.DataFrame, sel: Selection, ref: pd.Timestamp) -> pd.Series:
    """The contacts of ``base`` matching the selection's filters (not the channel rules)."""
    keep = pd.Series(True, index=base.index)
    for attr, col in (("segments", "segment"), ("families", "family"), ("regions", "region"),
                      ("categories", "category")):
        if getattr(sel, attr):
            keep &= _isin_norm(_column(base, col), getattr(sel, attr))
    if sel.departments:
        dep = _column(base, "department").astype("string").str.strip()
        keep &= dep.str.zfill(2).isin(sel.departments).fillna(False).astype(bool)
    if sel.lifecycle:
        keep &= _column(base, "lifecycle").isin(sel.lifecycle)
    if sel.centres:
        keep &= in_centres(_column(base, "centres"), set(sel.centres))
    if sel.kinds:
        keep &= base["kind"].isin(sel.kinds)
    if sel.clusters:
        keep &= pd.to_numeric(_column(base, "cluster"), errors="coerce").isin(sel.clusters)
    if sel.purpose == rules.PURPOSE_CONTRACT:
        keep &= base["next_arrival"].notna() & (base["next_arrival"] > ref)
    return keep.astype(bool)
