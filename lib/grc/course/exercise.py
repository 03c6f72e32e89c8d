"""Course walkthrough "Marielle Nature" (BTS NDRC): helpers and self-checks for the notebook.

Helpers do the fiddly parsing (names, addresses, phones, ages) so that students work on the
reasoning; ``verifier_<step>(answer)`` functions (the student API, hence French names) return
a :class:`Verdict` saying which rows or answers are wrong, with a hint, never the solution.
Reference solutions (``restructure``, ``qualify``, ``segment_men``…) feed the trainer edition
(:func:`corrige`) and the checks.
"""

from __future__ import annotations

import datetime as dt
import html
import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from unidecode import unidecode

from grc import rules
from grc.config import project_root
from grc.rfm import scores as rfm

A_COMPLETER = "à compléter"
REFERENCE_DATE = dt.date(2026, 3, 31)  # extraction date of the base (sheet "Lisez-moi")
COURSE_CAMPAIGN_DATE = dt.date(2026, 4, 15)  # a campaign under the course's rules
TODAY_CAMPAIGN_DATE = dt.date(2026, 9, 15)  # the same campaign after 11 August 2026

ID = "N°"
PARTICULIER, PROFESSIONNEL = "Particulier", "Professionnel"
RESTRUCTURED_COLUMNS = [
    ID, "Type de client", "Civilité", "Nom", "Prénom", "Entreprise", "Activité", "Adresse",
    "Code postal", "Ville", "Téléphone", "E-mail", "Source", "Âge", "Date du dernier achat",
    "Achats par an", "Panier moyen", "Accepte les appels",
]
CHECKED_COLUMNS = ["Nom", "Prénom", "Adresse", "Code postal", "Ville", "Âge", "Panier moyen"]
QUALIFIED_COLUMNS = [
    "Civilité", "Nom", "Prénom", "Entreprise", "Activité", "Adresse", "Code postal", "Ville",
    "Téléphone", "E-mail", "Âge",
]
PRO_ONLY = {"Entreprise", "Activité"}
PRIVATE_ONLY = {"Âge"}
CATEGORY_ORDER = ["Très bons clients", "Bons clients", "Clients tièdes", "Clients inactifs"]
RFM_INPUTS = ["recency_months", "frequency", "monetary"]
RFM_SCORES = ["r_score", "f_score", "m_score", "rfm_score", "category"]

INFO_COLUMNS = {
    "Type de client": "identité", "Civilité": "identité", "Nom Prénom": "identité",
    "Entreprise": "identité", "Activité": "identité", "Adresse": "identité",
    "Téléphone": "identité", "E-mail": "identité", "Âge ou date de naissance": "identité",
    "Date du dernier achat": "achats", "Achats par an": "achats", "Panier moyen": "achats",
}

RED = "background-color: #f4cccc; color: #990000; font-weight: bold; border: 2px solid #cc0000"


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------


def data_path() -> Path:
    """The course workbook, found from the project root whatever the working directory."""
    return project_root() / "data" / "course" / "marielle_nature.xlsx"


def grid_path(name: str = "omnicom") -> Path:
    """An RFM grid of the course: ``omnicom`` (Annexe 8) or ``dosettes`` (worked example)."""
    return project_root() / "params" / "rfm" / f"{name}.yaml"


def load_base(path: str | Path | None = None) -> pd.DataFrame:
    """The raw client sheet, as typed by the firm (text cells stay text, empty cells None)."""
    df = pd.read_excel(path or data_path(), sheet_name="Clients", dtype=object)
    df = df.astype(object).where(df.notna(), None)
    df[ID] = df[ID].astype(int)
    return df


def load_bloctel(path: str | Path | None = None) -> list[str]:
    """The Bloctel extract: phone numbers as written in the sheet."""
    df = pd.read_excel(path or data_path(), sheet_name="Bloctel (extrait)", dtype=object)
    return [str(v) for v in df.iloc[:, 0].dropna()]


# --------------------------------------------------------------------------------------------
# Parsing helpers
# --------------------------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    if value is pd.NaT or (not isinstance(value, str | int | float | dt.date) and pd.isna(value)):
        return True
    return isinstance(value, str) and not value.strip()


def _text(value: Any) -> str | None:
    return None if _blank(value) else str(value).strip()


def split_name(cell: Any) -> tuple[str | None, str | None]:
    """Split a "NOM Prénom" cell: words in capitals are the last name, the rest the first name.

    A cell without any word in capitals is read as "Nom Prénom" (first word = last name).
    The last name comes back in capitals: ``"Durand É."`` → ``("DURAND", "É.")``.
    """
    text = _text(cell)
    if text is None:
        return None, None
    words = text.split()
    upper = [w for w in words if w.isupper() and sum(c.isalpha() for c in w) > 1]
    if upper:
        last = " ".join(upper)
        first = " ".join(w for w in words if w not in upper)
    else:
        last, first = words[0], " ".join(words[1:])
    return last.upper(), (first or None)


def split_address(cell: Any) -> tuple[str | None, str | None, str | None]:
    """Split a whole address into (street, postcode, city); a missing part is None.

    ``"8, boulevard Voltaire - 75011 PARIS"`` → ``("8, boulevard Voltaire", "75011", "Paris")``;
    without postcode, a comma separates the city: ``"25 rue Crébillon, Nantes"``.
    """
    text = _text(cell)
    if text is None:
        return None, None, None
    m = re.search(r"(?<!\d)(\d{5})(?!\d)\s*(.*)$", text)
    if m:
        street = text[: m.start()].strip(" ,-–") or None
        city = m.group(2).strip(" ,-–") or None
        return street, m.group(1), _city(city)
    if "," in text:
        street, city = text.rsplit(",", 1)
        return street.strip() or None, None, _city(city.strip() or None)
    return text, None, None


def _city(city: str | None) -> str | None:
    if city and city.isupper():
        return "-".join(w.capitalize() for w in city.title().split("-"))
    return city


def split_names(cells: pd.Series) -> pd.DataFrame:
    """``split_name`` on a column: a frame with ``Nom`` and ``Prénom``."""
    return pd.DataFrame([split_name(c) for c in cells], columns=["Nom", "Prénom"], index=cells.index)


def split_addresses(cells: pd.Series) -> pd.DataFrame:
    """``split_address`` on a column: a frame with ``Adresse``, ``Code postal``, ``Ville``."""
    return pd.DataFrame(
        [split_address(c) for c in cells], columns=["Adresse", "Code postal", "Ville"], index=cells.index
    )


def age_on(value: Any, ref: dt.date = REFERENCE_DATE) -> int | None:
    """Age in years at ``ref`` from "42 ans", 42, a birth date or "12/03/1978"; None if empty."""
    if _blank(value):
        return None
    if isinstance(value, dt.date):
        born = value.date() if isinstance(value, dt.datetime) else value
    else:
        text = str(value).strip()
        m = re.fullmatch(r"(\d{1,3})(?:[.,]0+)?\s*(?:ans?)?", text)
        if m:
            return int(m.group(1))
        try:
            born = dt.datetime.strptime(text, "%d/%m/%Y").date()
        except ValueError:
            return None
    return ref.year - born.year - ((ref.month, ref.day) < (born.month, born.day))


def to_number(value: Any) -> float | None:
    """A number from 45.5, "45,50 €" or "45.50"; None if empty or unreadable."""
    if _blank(value):
        return None
    if isinstance(value, int | float):
        return float(value)
    text = re.sub(r"[€\s\u00a0]", "", str(value)).replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return None


def phone_digits(value: Any) -> str | None:
    """The 10 digits of a French number in any writing (+33, dots, typed as a number)."""
    if _blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    digits = re.sub(r"\D", "", str(value))
    if digits.startswith("33") and len(digits) == 11:
        digits = "0" + digits[2:]
    if len(digits) == 9 and digits[0] in "123456789":  # Excel dropped the leading 0
        digits = "0" + digits
    return digits if len(digits) == 10 and digits.startswith("0") else None


def normalize_phone(value: Any) -> str | None:
    """``"06 12 34 56 78"`` from any writing; None when the number is incomplete or empty."""
    d = phone_digits(value)
    return " ".join(d[i : i + 2] for i in range(0, 10, 2)) if d else None


def normalize_civility(value: Any) -> str | None:
    """``"M."`` or ``"Mme"`` from M, Mr, Monsieur, Madame, Mlle…; None if empty or unknown."""
    text = _text(value)
    if text is None:
        return None
    key = unidecode(text).lower().strip(". ")
    if key in {"m", "mr", "monsieur", "mons"}:
        return "M."
    if key in {"mme", "madame", "mlle", "mademoiselle", "melle"}:
        return "Mme"
    return None


def months_since(last: Any, ref: dt.date = REFERENCE_DATE) -> int | None:
    """Whole months from ``last`` to ``ref`` (like Excel's DATEDIF(…; "m")); None if empty."""
    if _blank(last):
        return None
    d = pd.Timestamp(last).date()
    m = (ref.year - d.year) * 12 + (ref.month - d.month)
    return m - 1 if ref.day < d.day else m


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


def _incomplete(col: str, value: Any, kind: Any) -> bool:
    if col in PRO_ONLY and kind != PROFESSIONNEL:
        return False
    if col in PRIVATE_ONLY and kind == PROFESSIONNEL:
        return False
    if _blank(value):
        return True
    text = str(value).strip()
    if col == "Prénom":
        return sum(c.isalpha() for c in text) < 2  # an initial only: "É."
    if col == "Code postal":
        return not re.fullmatch(r"\d{5}", text)
    if col == "Téléphone":
        return phone_digits(value) is None
    if col == "E-mail":
        return not _EMAIL.match(text)
    if col == "Civilité":
        return normalize_civility(text) is None
    return False


def incomplete_cells(df: pd.DataFrame) -> pd.DataFrame:
    """True where a cell of a restructured base is empty or incomplete (same shape as ``df``).

    Checked columns: ``QUALIFIED_COLUMNS`` present in ``df``. Not incomplete: a company for a
    private customer, an age for a professional (not applicable), a number written
    differently or typed without its leading 0 (fixable).
    """
    mask = pd.DataFrame(False, index=df.index, columns=df.columns)
    kinds = df["Type de client"] if "Type de client" in df.columns else pd.Series(None, index=df.index)
    for col in QUALIFIED_COLUMNS:
        if col in df.columns:
            mask[col] = [_incomplete(col, v, k) for v, k in zip(df[col], kinds, strict=True)]
    return mask


def style_incomplete(df: pd.DataFrame, mask: pd.DataFrame | None = None) -> Any:
    """A pandas Styler showing incomplete cells in red (mask from :func:`incomplete_cells`)."""
    mask = incomplete_cells(df) if mask is None else mask
    css = np.where(mask.to_numpy(), RED, "")
    styler = df.style.apply(lambda _: css, axis=None).hide(axis="index")
    fmt = {c: "{:.2f}" for c in ("Panier moyen",) if c in df.columns}
    fmt.update({c: "{:%d/%m/%Y}" for c in ("Date du dernier achat",) if c in df.columns})
    return styler.format(fmt, na_rep="")


def on_bloctel(phones: Iterable[Any], bloctel: Iterable[Any]) -> pd.Series:
    """True for each phone whose number (in any writing) is on the Bloctel extract."""
    listed = {phone_digits(n) for n in bloctel} - {None}
    phones = list(phones)
    index = phones.index if isinstance(phones, pd.Series) else None
    return pd.Series([phone_digits(p) in listed for p in phones], index=index, dtype=bool)


# --------------------------------------------------------------------------------------------
# Phone canvassing rules
# --------------------------------------------------------------------------------------------


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return pd.Timestamp(value).date()


def _is_b2b(kind: Any) -> bool:
    key = unidecode(str(kind or "")).strip().lower()
    if key in {"b2b", "btob", "b to b", "pro", "professionnel", "professionnelle", "entreprise"}:
        return True
    if key in {"b2c", "btoc", "b to c", "particulier", "consommateur", "part"}:
        return False
    raise ValueError(f"Type de client inconnu : {kind!r} (attendu : Particulier ou Professionnel)")


def _yes(value: Any) -> bool:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    return unidecode(str(value or "")).strip().lower() in {"oui", "o", "yes", "true", "vrai", "1"}


def demarchage_motif(
    kind: Any, on_bloctel: bool, optin_phone: Any, date: Any, contract_in_progress: bool = False
) -> tuple[bool, str]:
    """(may call, reason code) for one phone number under the rules in force at ``date``."""
    if _is_b2b(kind):
        return True, "b2b"
    optin = _yes(optin_phone)
    if rules.bloctel_regime(_as_date(date)):
        if not on_bloctel:
            return True, "b2c_libre"
        if contract_in_progress:
            return True, "b2c_contrat"
        return (True, "b2c_accord") if optin else (False, "b2c_bloctel")
    if optin:
        return True, "b2c_accord_2026"
    if contract_in_progress:
        return True, "b2c_contrat"
    return False, "b2c_sans_accord_2026"


def peut_demarcher(
    kind: Any, on_bloctel: bool, optin_phone: Any, date: Any, contract_in_progress: bool = False
) -> bool:
    """May this number be canvassed by phone on ``date``?

    Professionals (B2B) are never concerned. Private persons (B2C): until 10 August 2026 the
    Bloctel rule of the course (loi Hamon 2014, loi du 24 juillet 2020): not if the number is
    on Bloctel, except a person who freely gave it to be called (``optin_phone``) or with a
    contract in progress; from 11 August 2026 (loi n° 2025-594 du 30 juin 2025): only with
    prior, provable consent, except an offer linked to a contract in progress.
    """
    return demarchage_motif(kind, on_bloctel, optin_phone, date, contract_in_progress)[0]


# --------------------------------------------------------------------------------------------
# Reference solutions (trainer edition and self-checks)
# --------------------------------------------------------------------------------------------


def restructure(raw: pd.DataFrame, ref: dt.date = REFERENCE_DATE) -> pd.DataFrame:
    """One piece of information per column: split names and addresses, ages and baskets as numbers."""
    out = raw.copy()
    out[["Nom", "Prénom"]] = split_names(raw["Nom Prénom"])
    out[["Adresse", "Code postal", "Ville"]] = split_addresses(raw["Adresse"])
    out["Âge"] = pd.array([age_on(v, ref) for v in raw["Âge ou date de naissance"]], dtype="Int64")
    out["Panier moyen"] = [to_number(v) for v in raw["Panier moyen"]]
    out["Achats par an"] = [to_number(v) for v in raw["Achats par an"]]
    out["Téléphone"] = [None if _blank(v) else str(v) for v in raw["Téléphone"]]
    out["Date du dernier achat"] = pd.to_datetime(raw["Date du dernier achat"])
    return out[RESTRUCTURED_COLUMNS].reset_index(drop=True)


def find_duplicates(base: pd.DataFrame) -> pd.DataFrame:
    """Pairs of records for one person (same last name and same phone or e-mail).

    Returns ``N°`` (the record to remove: the less complete one) and ``doublon_de`` (the one kept).
    """
    nom = base["Nom"].map(lambda v: unidecode(str(v or "")).upper())
    phone = base["Téléphone"].map(phone_digits)
    mail = base["E-mail"].map(lambda v: str(v).strip().lower() if v and _EMAIL.match(str(v)) else None)
    gaps = incomplete_cells(base).sum(axis=1)
    pairs: dict[int, int] = {}
    for key in (phone, mail):
        frame = pd.DataFrame({"nom": nom, "key": key, "n": base[ID], "gaps": gaps}).dropna()
        for _, grp in frame.groupby(["nom", "key"]):
            if len(grp) > 1:
                grp = grp.sort_values(["gaps", "n"])
                for n in grp["n"].iloc[1:]:
                    pairs[int(n)] = int(grp["n"].iloc[0])
    return pd.DataFrame({ID: list(pairs), "doublon_de": list(pairs.values())}, dtype=int)


def qualify(base: pd.DataFrame) -> pd.DataFrame:
    """Civilities and phones written one way, the duplicate removed."""
    out = base.copy()
    out["Civilité"] = out["Civilité"].map(normalize_civility)
    out["Téléphone"] = out["Téléphone"].map(normalize_phone)
    drop = set(find_duplicates(base)[ID])
    return out[~out[ID].isin(drop)].reset_index(drop=True)


def bloctel_answers(base: pd.DataFrame, bloctel: Iterable[Any], date: Any = COURSE_CAMPAIGN_DATE) -> pd.DataFrame:
    """For each record with a usable phone: on the list?, consent?, may we call at ``date``, why."""
    sub = base[base["Téléphone"].map(phone_digits).notna()].copy()
    sub["Sur Bloctel"] = on_bloctel(sub["Téléphone"], bloctel).to_numpy()
    res = [
        demarchage_motif(k, b, o, date)
        for k, b, o in zip(sub["Type de client"], sub["Sur Bloctel"], sub["Accepte les appels"], strict=True)
    ]
    sub["Appel autorisé"] = [r[0] for r in res]
    sub["Motif"] = [r[1] for r in res]
    return sub[[ID, "Type de client", "Téléphone", "Sur Bloctel", "Accepte les appels", "Appel autorisé", "Motif"]]


def segment_men(base: pd.DataFrame) -> pd.DataFrame:
    """Men's care campaign: private customers whose civility is "M.", biggest basket first."""
    civ = base["Civilité"].map(normalize_civility)
    sel = base[(base["Type de client"] == PARTICULIER) & (civ == "M.")]
    return sel.sort_values(["Panier moyen", ID], ascending=[False, True]).reset_index(drop=True)


def rfm_inputs(base: pd.DataFrame, ref: dt.date = REFERENCE_DATE) -> pd.DataFrame:
    """The three RFM inputs per customer, in the units of the Annexe 8 grid."""
    return pd.DataFrame({
        ID: base[ID].to_numpy(),
        "Nom": base["Nom"].to_numpy(),
        "recency_months": [months_since(v, ref) for v in base["Date du dernier achat"]],
        "frequency": base["Achats par an"].map(to_number).to_numpy(),
        "monetary": base["Panier moyen"].map(to_number).to_numpy(),
    })


def score_base(base: pd.DataFrame, grid: rfm.Grid | None = None) -> pd.DataFrame:
    """RFM scores of every customer with ``grc.rfm.scores.score`` and the Annexe 8 grid."""
    return rfm.score(rfm_inputs(base), grid or rfm.load_grid(grid_path("omnicom")))


def category_counts(scores: pd.DataFrame) -> pd.Series:
    """Number of customers per RFM category, in the course's order (zeros kept)."""
    return scores["category"].value_counts().reindex(CATEGORY_ORDER, fill_value=0).rename("clients")


def private_sale_targets(scores: pd.DataFrame) -> pd.DataFrame:
    """Private-sale invitation: the very good customers (RFM > 40), best first."""
    sel = scores[scores["category"] == "Très bons clients"]
    return sel.sort_values(["rfm_score", ID], ascending=[False, True]).reset_index(drop=True)


@lru_cache(maxsize=4)
def _reference(path: str | None = None) -> dict[str, Any]:
    raw = load_base(path)
    restructured = restructure(raw)
    qualified = qualify(restructured)
    bloctel = load_bloctel(path)
    return {
        "raw": raw,
        "restructured": restructured,
        "qualified": qualified,
        "bloctel": bloctel,
        "scores": score_base(qualified),
    }


def reference(step: str, path: str | Path | None = None) -> Any:
    """A copy of the reference result of a step: raw, restructured, qualified, bloctel, scores."""
    value = _reference(str(path) if path else None)[step]
    return value.copy() if hasattr(value, "copy") else value


# --------------------------------------------------------------------------------------------
# Verdicts
# --------------------------------------------------------------------------------------------


@dataclass
class Verdict:
    """Result of a self-check: ``ok``, a French message, the wrong items and hints."""

    ok: bool
    message: str
    wrong: dict[str, list[Any]] = field(default_factory=dict)
    hints: list[str] = field(default_factory=list)
    pending: bool = False

    def __bool__(self) -> bool:
        return self.ok

    def _head(self) -> str:
        if self.pending:
            return "✏️ " + A_COMPLETER.capitalize()
        return "✅ Bonne réponse" if self.ok else "❌ À revoir"

    def __str__(self) -> str:
        lines = [f"{self._head()} : {self.message}"]
        for what, items in self.wrong.items():
            lines.append(f"  - {what} : {', '.join(map(str, items))}")
        lines += [f"  Indice : {h}" for h in self.hints]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        color = "#999999" if self.pending else ("#2e7d32" if self.ok else "#c62828")
        parts = [f"<div style='border-left:4px solid {color};padding:4px 10px'>",
                 f"<b>{html.escape(self._head())}</b> : {html.escape(self.message)}"]
        if self.wrong:
            parts.append("<ul>" + "".join(
                f"<li>{html.escape(w)} : {html.escape(', '.join(map(str, i)))}</li>"
                for w, i in self.wrong.items()) + "</ul>")
        parts += [f"<div><i>Indice</i> : {html.escape(h)}</div>" for h in self.hints]
        return "".join(parts) + "</div>"


def _pending(answer: Any) -> Verdict | None:
    if answer is None or answer is Ellipsis or (isinstance(answer, str) and answer.strip().lower() == A_COMPLETER):
        return Verdict(False, "écrivez votre réponse dans la cellule ci-dessus, puis relancez-la.", pending=True)
    return None


def _norm(value: Any) -> str:
    if _blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return re.sub(r"[^\w']+", " ", unidecode(str(value)).casefold()).strip()


def _ids(answer: Any) -> list[int] | None:
    """Record numbers from a frame (column N°), a Series or a list; None if unreadable."""
    if isinstance(answer, pd.DataFrame):
        if ID in answer.columns:
            values = answer[ID]
        elif answer.index.name == ID:
            values = answer.index.to_series()
        else:
            return None
    elif isinstance(answer, pd.Series | list | tuple | set | np.ndarray | pd.Index):
        values = list(answer)
    else:
        return None
    try:
        return [int(v) for v in values]
    except (TypeError, ValueError):
        return None


def _frame_needed(answer: Any, what: str) -> Verdict | None:
    if not isinstance(answer, pd.DataFrame):
        return Verdict(False, f"la réponse doit être un tableau pandas (DataFrame) {what}, pas {type(answer).__name__}.")
    if ID not in answer.columns:
        return Verdict(False, f"gardez la colonne « {ID} » : elle sert à retrouver chaque client.")
    return None


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n > 1 else ''}"


# --------------------------------------------------------------------------------------------
# Self-checks (student API)
# --------------------------------------------------------------------------------------------


def _category_key(value: Any) -> str | None:
    key = _norm(value)
    if key.startswith(("ident", "coord", "signal", "socio")):
        return "identité"
    if key.startswith(("achat", "comport", "consom", "commerc", "transac")):
        return "achats"
    return None


def verifier_informations(classement: Any) -> Verdict:
    """Check a ``{colonne: "identité" | "achats"}`` classification of the base's columns."""
    if (p := _pending(classement)) is not None:
        return p
    if not isinstance(classement, Mapping):
        return Verdict(False, "donnez un dictionnaire {colonne: \"identité\" ou \"achats\"}.")
    given = {_norm(k): v for k, v in classement.items()}
    wrong, missing, unknown = [], [], []
    for col, expected in INFO_COLUMNS.items():
        if _norm(col) not in given:
            missing.append(col)
            continue
        got = _category_key(given[_norm(col)])
        if got is None:
            unknown.append(col)
        elif got != expected:
            wrong.append(col)
    if not (wrong or missing or unknown):
        return Verdict(True, "les colonnes sont bien classées entre l'identité des clients et leurs achats.")
    out = Verdict(False, f"{_plural(len(wrong) + len(missing) + len(unknown), 'colonne')} à revoir.")
    if wrong:
        out.wrong["Colonnes mal classées"] = wrong
        out.hints.append("demandez-vous si la colonne dit QUI est le client (identité, coordonnées) "
                         "ou COMMENT il achète (date, fréquence, montant).")
    if missing:
        out.wrong["Colonnes non classées"] = missing
    if unknown:
        out.wrong["Catégorie non reconnue"] = unknown
        out.hints.append("utilisez « identité » ou « achats » comme catégorie.")
    return out


_RESTRUCTURE_HINTS = {
    "Nom": "le nom de famille est écrit en MAJUSCULES et vient en premier ; attention aux noms "
           "en deux mots et aux cellules écrites autrement (exercise.split_name vous aide).",
    "Prénom": "le prénom suit le nom ; gardez-le tel qu'il est écrit, même réduit à une initiale.",
    "Adresse": "l'adresse (numéro et voie) est tout ce qui précède le code postal, sans la ville.",
    "Code postal": "le code postal a 5 chiffres ; s'il manque dans la cellule, laissez la case vide "
                   "plutôt que de le deviner.",
    "Ville": "la ville suit le code postal (ou une virgule quand le code postal manque).",
    "Âge": f"certaines cellules donnent une date de naissance : calculez l'âge au "
           f"{REFERENCE_DATE:%d/%m/%Y} (date d'extraction) ; une cellule vide reste vide.",
    "Panier moyen": "certains paniers sont écrits comme du texte (« 45,50 € ») : retirez « € » "
                    "et remplacez la virgule par un point (exercise.to_number).",
}


def _same(col: str, got: Any, exp: Any) -> bool:
    if _blank(exp) or _blank(got):
        return _blank(exp) and _blank(got)
    if col == "Âge":
        g = to_number(got)
        return g is not None and abs(g - float(exp)) <= 1  # age or difference of years
    if col == "Panier moyen":
        if isinstance(got, str):
            return False  # still text: cannot be sorted or summed
        g = to_number(got)
        return g is not None and abs(g - float(exp)) < 0.01
    if col == "Code postal":
        return _norm(got).zfill(5) == _norm(exp)
    return _norm(got) == _norm(exp)


def verifier_restructuration(df: Any) -> Verdict:
    """Check the restructured base: columns, every row kept, split values right."""
    if (p := _pending(df)) is not None:
        return p
    if (p := _frame_needed(df, "de la base restructurée")) is not None:
        return p
    exp = reference("restructured")
    missing_cols = [c for c in RESTRUCTURED_COLUMNS if c not in df.columns]
    if missing_cols:
        return Verdict(False, "des colonnes attendues manquent.", {"Colonnes manquantes": missing_cols},
                       ["une seule information par colonne : nom et prénom séparés, adresse, code "
                        "postal et ville séparés, un âge en années."])
    got = df.set_index(ID)
    exp = exp.set_index(ID)
    out = Verdict(False, "")
    lost = sorted(set(exp.index) - set(got.index))
    extra = sorted(set(got.index) - set(exp.index))
    if lost:
        out.wrong["Lignes disparues (N°)"] = lost
        out.hints.append("à cette étape on restructure sans supprimer de ligne : les doublons se "
                         "traitent à la qualification.")
    if extra:
        out.wrong["N° inconnus"] = extra
    common = [n for n in exp.index if n in got.index]
    for col in CHECKED_COLUMNS:
        bad = [n for n in common if not _same(col, got.at[n, col], exp.at[n, col])]
        if bad:
            out.wrong[f"« {col} » (N°)"] = bad
            out.hints.append(f"{col} : {_RESTRUCTURE_HINTS[col]}")
    if not out.wrong:
        return Verdict(True, f"les {len(exp)} lignes sont bien restructurées, une information par colonne.")
    out.message = "certaines lignes sont à corriger (les numéros sont ceux de la colonne N°)."
    return out


_QUALIF_HINTS = {
    "Civilité": "une civilité vide est une information manquante.",
    "Nom": "un nom vide est une information manquante.",
    "Prénom": "un prénom réduit à une initiale est incomplet.",
    "Entreprise": "pour un professionnel, la raison sociale est indispensable.",
    "Activité": "pour un professionnel, l'activité est indispensable.",
    "Adresse": "une adresse sans numéro ni voie est incomplète.",
    "Code postal": "sans code postal, le courrier risque de revenir (PND).",
    "Ville": "une adresse sans ville est incomplète.",
    "Téléphone": "un numéro français a 10 chiffres ; comptez-les.",
    "E-mail": "une adresse e-mail complète a un @ puis un nom de domaine avec son extension (.fr, .com).",
    "Âge": "pour un particulier, un âge absent est une information manquante.",
}
_QUALIF_EXTRA_HINTS = {
    "Téléphone": "un numéro écrit autrement (points, +33) ou dont Excel a retiré le 0 initial "
                 "reste complet : il suffit de l'uniformiser.",
    "Entreprise": "un particulier n'a pas d'entreprise : la case vide n'est pas une information manquante.",
    "Activité": "un particulier n'a pas d'activité professionnelle : la case vide est normale.",
    "Âge": "l'âge du contact d'un professionnel n'est pas utile : la case vide est normale.",
}


def _cells(answer: Any) -> tuple[set[tuple[int, str]], list[Any]] | None:
    columns = {_norm(c): c for c in RESTRUCTURED_COLUMNS}
    items: list[Any]
    if isinstance(answer, Mapping):
        items = [(n, c) for n, cols in answer.items() for c in ([cols] if isinstance(cols, str) else cols)]
    elif isinstance(answer, Iterable) and not isinstance(answer, str | pd.DataFrame):
        items = list(answer)
    else:
        return None
    cells, bad = set(), []
    for item in items:
        try:
            n, c = item
            col = columns.get(_norm(c))
            if col is None:
                bad.append(item)
            else:
                cells.add((int(n), col))
        except (TypeError, ValueError):
            bad.append(item)
    return cells, bad


def verifier_qualification(liste: Any) -> Verdict:
    """Check the list of incomplete cells, given as ``[(N°, "colonne"), ...]``."""
    if (p := _pending(liste)) is not None:
        return p
    parsed = _cells(liste)
    if parsed is None:
        return Verdict(False, "donnez une liste de cases (N°, « colonne »), par exemple [(3, \"Code postal\")].")
    cells, unreadable = parsed
    base = reference("restructured")
    mask = incomplete_cells(base)
    expected = {
        (int(n), c) for n, row in zip(base[ID], mask.itertuples(index=False), strict=True)
        for c, flag in zip(mask.columns, row, strict=True) if flag
    }
    tolerated = {(int(n), "Téléphone") for n, v in zip(base[ID], base["Téléphone"], strict=True)
                 if phone_digits(v) and not str(v).strip().startswith(("0", "+"))}
    extra = sorted(cells - expected - tolerated)
    missing = expected - cells
    out = Verdict(False, "")
    if unreadable:
        out.wrong["Réponses illisibles"] = unreadable
        out.hints.append("chaque case s'écrit (N°, \"Nom de la colonne\") avec les colonnes de la base restructurée.")
    if extra:
        out.wrong["Cases complètes signalées à tort"] = [f"(N° {n}, {c})" for n, c in extra]
        for col in sorted({c for _, c in extra}):
            out.hints.append(f"{col} : " + _QUALIF_EXTRA_HINTS.get(col, "relisez ces cases : elles sont remplies et exploitables."))
    if missing:
        by_col: dict[str, int] = {}
        for _, c in missing:
            by_col[c] = by_col.get(c, 0) + 1
        out.wrong["Cases incomplètes oubliées, par colonne"] = [f"{c} : {k}" for c, k in by_col.items()]
        for col in by_col:
            out.hints.append(f"{col} : {_QUALIF_HINTS[col]}")
    if not out.wrong:
        note = " (un 0 perdu par Excel se corrige : cette case peut aussi être laissée)" if cells & tolerated else ""
        return Verdict(True, f"les {len(expected)} cases incomplètes sont repérées{note}.")
    out.message = f"{len(cells & expected)} cases justes sur {len(expected)} attendues."
    return out


def verifier_doublons(numeros: Any) -> Verdict:
    """Check the N° of the records to delete as duplicates."""
    if (p := _pending(numeros)) is not None:
        return p
    ids = _ids(numeros if not isinstance(numeros, int) else [numeros])
    if ids is None:
        return Verdict(False, "donnez la liste des N° à supprimer, par exemple [12].")
    dups = find_duplicates(reference("restructured"))
    remove, keep = set(dups[ID]), set(dups["doublon_de"])
    given = set(ids)
    if given == remove:
        return Verdict(True, "le doublon est supprimé et la fiche la plus complète est gardée.")
    out = Verdict(False, "la liste des fiches à supprimer n'est pas la bonne.")
    if given & keep:
        out.wrong["Fiches à garder"] = sorted(given & keep)
        out.hints.append("des deux fiches d'une même personne, gardez la plus complète (prénom entier, âge…).")
    other = sorted(given - remove - keep)
    if other:
        out.wrong["Fiches sans doublon"] = other
        out.hints.append("un doublon est une même personne enregistrée deux fois : même nom, même "
                         "adresse, même téléphone ou e-mail, même si l'écriture change.")
    if remove - given:
        out.wrong["Doublons oubliés"] = [len(remove - given)]
        out.hints.append("comparez les noms écrits différemment (initiale du prénom, minuscules) "
                         "et les téléphones écrits autrement.")
    return out


MENTIONS = {
    "responsable": "Identité et coordonnées du responsable du traitement",
    "finalite": "Finalité : à quoi serviront les données",
    "base_legale": "Base légale du traitement (consentement, contrat…)",
    "destinataires": "Destinataires des données",
    "duree": "Durée de conservation des données",
    "droits": "Droits des personnes (accès, rectification, effacement, opposition) et réclamation auprès de la CNIL",
    "consentement": "Consentement libre et explicite (case à cocher non pré-cochée)",
}
_MENTION_WORDS = [
    ("responsable", ("responsable", "identite")),
    ("finalite", ("finalite", "objectif", "but")),
    ("base_legale", ("base", "legal", "licite")),
    ("destinataires", ("destinataire", "partenaire")),
    ("duree", ("duree", "conservation")),
    ("droits", ("droit", "acces", "rectif", "effac", "opposition", "cnil")),
    ("consentement", ("consent", "coch", "accord")),
]
FORM_PRESENT = {"responsable", "finalite"}
FORMULAIRE_SALON = """\
**MARIELLE NATURE** – Cosmétiques bio *Made in France*
Boutique : 14 rue du Temple, 75004 Paris · contact@marielle-nature.fr

*Salon de la cosmétique d'Alençon – 12 au 14 avril*

Recevez en avant-première nos nouveautés, nos offres et nos invitations !

| Nom : ________ | Prénom : ________ |
|---|---|
| Salon / institut / parapharmacie : ________ | Fonction : ________ |
| Adresse : ________ | Code postal / Ville : ________ |
| Téléphone : ________ | E-mail : ________ |
| Date de naissance : ________ | |

☑ J'accepte de recevoir les offres de Marielle Nature et de ses partenaires.

*Merci de déposer ce bulletin dans l'urne du stand.*
"""


def _mention_key(value: Any) -> str | None:
    key = _norm(value).replace(" ", "_")
    if key in MENTIONS:
        return key
    words = _norm(value)
    for name, stems in _MENTION_WORDS:
        if any(s in words for s in stems):
            return name
    return None


def verifier_rgpd(manquantes: Any) -> Verdict:
    """Check the mandatory mentions missing from the fair's collection form (keys of ``MENTIONS``)."""
    if (p := _pending(manquantes)) is not None:
        return p
    if isinstance(manquantes, str) or not isinstance(manquantes, Iterable):
        return Verdict(False, "donnez une liste de mentions, par exemple [\"duree\", ...] (clés de exercise.MENTIONS).")
    keys, unknown = set(), []
    for item in manquantes:
        k = _mention_key(item)
        (keys.add(k) if k else unknown.append(item))
    expected = set(MENTIONS) - FORM_PRESENT
    out = Verdict(False, "")
    if unknown:
        out.wrong["Mentions non reconnues"] = unknown
        out.hints.append("utilisez les clés de exercise.MENTIONS : " + ", ".join(MENTIONS))
    if keys & FORM_PRESENT:
        out.wrong["Mentions pourtant présentes sur le formulaire"] = sorted(keys & FORM_PRESENT)
        out.hints.append("relisez l'en-tête et la phrase d'accroche du formulaire : qui collecte, et pour quoi faire ?")
    if expected - keys:
        out.wrong["Mentions manquantes oubliées"] = [len(expected - keys)]
        out.hints.append("reprenez une à une les mentions obligatoires (qui, pourquoi, sur quelle base, "
                         "pour qui, combien de temps, quels droits, quel consentement) et cherchez-les sur le formulaire.")
    if not out.wrong:
        return Verdict(True, f"le formulaire ne respecte pas le RGPD : {len(expected)} mentions manquent ou sont fautives.")
    out.message = f"{_plural(len(keys & expected), 'mention')} juste(s) sur {len(expected)}."
    return out


_BLOCTEL_HINTS = {
    "b2b": "Bloctel ne protège que les consommateurs : relisez « Les particularités du B to B ».",
    "b2c_libre": "un particulier absent de la liste Bloctel peut être appelé (avant le 11 août 2026).",
    "b2c_bloctel": "comparez chaque numéro à l'extrait Bloctel quelle que soit son écriture "
                   "(+33, points, 0 perdu) : exercise.on_bloctel vous aide.",
    "b2c_accord": "relisez les exceptions de l'Annexe 3 : un client qui a donné librement son "
                  "numéro pour être rappelé peut l'être.",
    "b2c_contrat": "un contrat en cours permet de proposer une offre liée à ce contrat.",
    "b2c_accord_2026": "depuis le 11 août 2026, un particulier qui a donné son accord préalable "
                       "(et prouvable) peut être appelé, qu'il soit ou non sur l'ancienne liste Bloctel.",
    "b2c_sans_accord_2026": "depuis le 11 août 2026, sans accord préalable et prouvable, on "
                            "n'appelle plus un particulier, même absent de l'ancienne liste Bloctel.",
}


def _bool_answer(value: Any) -> bool | None:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    key = unidecode(str(value)).strip().lower()
    if key in {"oui", "o", "true", "vrai", "1", "autorise", "yes"}:
        return True
    if key in {"non", "n", "false", "faux", "0", "interdit", "no"}:
        return False
    return None


def verifier_bloctel(reponses: Any, date: Any = COURSE_CAMPAIGN_DATE) -> Verdict:
    """Check ``{N°: True/False}`` (may this number be canvassed on ``date``?) for every usable phone."""
    if (p := _pending(reponses)) is not None:
        return p
    if isinstance(reponses, pd.Series):
        reponses = reponses.to_dict()
    if not isinstance(reponses, Mapping):
        return Verdict(False, "donnez un dictionnaire {N°: True ou False} (True : on peut appeler).")
    ref = bloctel_answers(reference("qualified"), reference("bloctel"), date).set_index(ID)
    out = Verdict(False, "")
    got: dict[int, bool] = {}
    unreadable = []
    for k, v in reponses.items():
        b = _bool_answer(v)
        try:
            n = int(k)
        except (TypeError, ValueError):
            unreadable.append(k)
            continue
        if b is None:
            unreadable.append(k)
        else:
            got[n] = b
    if unreadable:
        out.wrong["Réponses illisibles (N°)"] = unreadable
        out.hints.append("répondez par True (on peut appeler) ou False (on ne peut pas).")
    extra = sorted(set(got) - set(ref.index))
    if extra:
        out.wrong["N° sans numéro utilisable ou supprimés"] = extra
        out.hints.append("seuls les clients de la base qualifiée ayant un numéro complet sont à examiner.")
    missing = sorted(set(ref.index) - set(got) - set(unreadable))
    if missing:
        out.wrong["N° sans réponse"] = missing
    wrong = [n for n in ref.index if n in got and got[n] != bool(ref.at[n, "Appel autorisé"])]
    if wrong:
        out.wrong["Réponses fausses (N°)"] = wrong
        for motif in dict.fromkeys(ref.loc[wrong, "Motif"]):
            out.hints.append(_BLOCTEL_HINTS[motif])
    rule = "règle Bloctel (cours)" if rules.bloctel_regime(_as_date(date)) else "règle depuis le 11 août 2026"
    if not out.wrong:
        return Verdict(True, f"les {len(ref)} numéros sont bien classés ({rule}, campagne du {_as_date(date):%d/%m/%Y}).")
    out.message = f"{len(ref) - len(wrong) - len(missing)} réponses justes sur {len(ref)} ({rule})."
    return out


def verifier_segmentation(df: Any) -> Verdict:
    """Check the men's care segment: private men, biggest average basket first."""
    if (p := _pending(df)) is not None:
        return p
    ids = _ids(df)
    if ids is None:
        return Verdict(False, f"donnez le tableau filtré (avec sa colonne « {ID} ») ou la liste des N°.")
    base = reference("qualified").set_index(ID)
    expected = list(segment_men(reference("qualified"))[ID])
    given = set(ids)
    out = Verdict(False, "")
    extra = sorted(given - set(expected))
    unknown = [n for n in extra if n not in base.index]
    if unknown:
        out.wrong["N° absents de la base qualifiée"] = unknown
        out.hints.append("partez de la base qualifiée : le doublon en a été retiré.")
    pros = [n for n in extra if n in base.index and base.at[n, "Type de client"] == PROFESSIONNEL]
    if pros:
        out.wrong["Professionnels sélectionnés"] = pros
        out.hints.append("la campagne vise les consommateurs : filtrez aussi sur le type de client.")
    women = [n for n in extra if n in base.index and n not in pros]
    if women:
        out.wrong["Clients hors segment"] = women
        out.hints.append("vérifiez la civilité de ces clients.")
    lost = set(expected) - given
    if lost:
        out.wrong["Clients oubliés"] = [len(lost)]
        out.hints.append("la civilité était écrite de plusieurs façons dans la base brute (M., M, Mr, "
                         "Monsieur) : travaillez sur la base qualifiée ou uniformisez-la.")
    if out.wrong:
        out.message = "la sélection n'est pas encore la bonne."
        return out
    baskets = [base.at[n, "Panier moyen"] for n in ids]
    if any(a < b for a, b in zip(baskets, baskets[1:], strict=False)):
        return Verdict(False, "la sélection est juste mais pas triée.",
                       hints=["triez du plus gros au plus petit panier moyen (sort_values(..., ascending=False))."])
    return Verdict(True, f"les {len(expected)} particuliers hommes sont sélectionnés et triés par panier moyen décroissant.")


_RFM_HINTS = {
    "recency_months": f"la récence est le nombre de mois entre la date du dernier achat et le "
                      f"{REFERENCE_DATE:%d/%m/%Y} (date d'extraction) : exercise.months_since.",
    "frequency": "la fréquence est le nombre d'achats par an (colonne « Achats par an »).",
    "monetary": "le montant est le panier moyen en euros, en nombre (pas en texte).",
    "r_score": "récence : moins de 3 mois → 10, de 3 à 12 mois (compris) → 5, plus de 12 mois → 0.",
    "f_score": "fréquence : plus de 4 achats → 20, de 1 à 4 (compris) → 10, moins d'un → 0.",
    "m_score": "montant : plus de 100 € → 20, de 25 à 100 € (compris) → 10, moins de 25 € → 0.",
    "rfm_score": "le score RFM est la somme des trois notes.",
    "category": "catégories : > 40 très bons, 25 à 40 bons, 1 à 24 tièdes, 0 inactifs.",
}


def verifier_rfm(df: Any) -> Verdict:
    """Check the RFM table: inputs per customer and, when present, the scores and categories."""
    if (p := _pending(df)) is not None:
        return p
    if (p := _frame_needed(df, "des scores RFM")) is not None:
        return p
    missing_cols = [c for c in RFM_INPUTS if c not in df.columns]
    if missing_cols:
        return Verdict(False, "des colonnes manquent pour le score.", {"Colonnes manquantes": missing_cols},
                       ["grc.rfm.scores.score attend recency_months, frequency et monetary."])
    exp = reference("scores").set_index(ID)
    got = df.set_index(ID)
    out = Verdict(False, "")
    extra = sorted(set(got.index) - set(exp.index))
    if extra:
        out.wrong["N° en trop"] = extra
        out.hints.append("scorez la base qualifiée : le doublon en a été retiré.")
    lost = sorted(set(exp.index) - set(got.index))
    if lost:
        out.wrong["Clients non scorés"] = lost
    common = [n for n in exp.index if n in got.index]
    for col in RFM_INPUTS + RFM_SCORES:
        if col not in got.columns:
            continue
        tol = 1.0 if col == "recency_months" else 0.01
        bad = []
        for n in common:
            g, e = got.at[n, col], exp.at[n, col]
            if col == "category":
                ok = _norm(g) == _norm(e)
            else:
                gv = to_number(g)
                ok = gv is not None and abs(gv - float(e)) < tol
            if not ok:
                bad.append(n)
        if bad:
            out.wrong[f"« {col} » (N°)"] = bad
            out.hints.append(_RFM_HINTS[col])
    if not out.wrong:
        what = "les scores et catégories" if "category" in got.columns else "les trois critères"
        return Verdict(True, f"{what} des {len(exp)} clients sont justes.")
    out.message = "certaines valeurs sont à corriger."
    return out


def verifier_cibles(df: Any) -> Verdict:
    """Check the private-sale targets chosen from the RFM categories."""
    if (p := _pending(df)) is not None:
        return p
    ids = _ids(df)
    if ids is None:
        return Verdict(False, f"donnez le tableau des clients ciblés (avec « {ID} ») ou la liste des N°.")
    scores = reference("scores").set_index(ID)
    cat = scores["category"]
    very_good = set(cat[cat == "Très bons clients"].index)
    good = set(cat[cat == "Bons clients"].index)
    given = set(ids)
    if given == very_good:
        return Verdict(True, f"les {len(very_good)} très bons clients (RFM > 40) sont invités en priorité.")
    if given == very_good | good:
        return Verdict(True, "réponse acceptable : très bons et bons clients. Le cours réserve la vente "
                       "privée en priorité aux très bons clients ; les bons clients viennent si la place le permet.")
    out = Verdict(False, "la cible n'est pas encore la bonne.")
    unknown = sorted(given - set(scores.index))
    if unknown:
        out.wrong["N° absents de la base scorée"] = unknown
    by_cat: dict[str, list[int]] = {}
    for n in sorted(given - very_good - good - set(unknown)):
        by_cat.setdefault(str(cat[n]), []).append(n)
    for label, ns in by_cat.items():
        out.wrong[f"Clients « {label} » invités"] = ns
    if by_cat:
        out.hints.append("une vente privée récompense les clients les plus fidèles et les plus rentables : "
                         "regardez la catégorie RFM de ces clients.")
    if very_good - given:
        out.wrong["Très bons clients oubliés"] = [len(very_good - given)]
        out.hints.append("filtrez sur la colonne category, sans oublier de client.")
    return out


# --------------------------------------------------------------------------------------------
# Trainer edition
# --------------------------------------------------------------------------------------------

SOLUTIONS: dict[str, tuple[str, Callable[..., Any] | None]] = {
    "activites": ("""\
**Omnicom** est un centre de relation client (CRC) : il travaille pour des commanditaires
(PME de la cosmétique et de la parapharmacie, mais aussi automobile, banque-assurance, mode,
voyage). Son offre : qualification de fichiers de prospection, prise de rendez-vous qualifiés,
vente, suivi de la relation client.

C'est un CRC, et plus seulement un centre d'appels, car il :
1. traite les bases de données clients et prospects (structuration, qualification, RNVP,
   sirétisation, segmentation, scoring RFM) ;
2. gère les appels sortants (prospection, prise de rendez-vous, vente) ;
3. gère les appels entrants (renseignement, réclamation, SAV, fidélisation) ;
4. utilise tous les canaux (téléphone, e-mail, SMS, tchat, réseaux sociaux, site web) en
   collaboration avec les commerciaux du commanditaire.
""", None),
    "informations": ("""\
La base contient deux familles d'informations :
1. **l'identité et les coordonnées** des clients, particuliers ou professionnels (type de client,
   civilité, nom et prénom, entreprise et activité, adresse, téléphone, e-mail, âge) ;
2. **leurs achats** (date du dernier achat, nombre d'achats par an, panier moyen).

La source de collecte (salon, carte de fidélité, site) et l'accord pour les appels servent à
respecter la réglementation (RGPD, démarchage téléphonique).
""", None),
    "restructuration": ("""\
Une seule information par colonne, pour pouvoir trier et filtrer : le nom (en majuscules) et le
prénom séparés, l'adresse découpée en voie, code postal (en texte, 5 chiffres) et ville, l'âge
en années calculé à la date d'extraction, le panier moyen en nombre. Aucune ligne n'est
supprimée à cette étape.
""", restructure),
    "qualification": ("""\
Les cases en rouge sont vides ou inexploitables : code postal ou ville absents (risque de PND),
numéro à 8 chiffres, e-mail sans domaine, prénom réduit à une initiale, civilité ou âge absents.
On **nettoie** aussi : civilités et numéros écrits d'une seule façon, et suppression du doublon
« Mme É. Durand », déjà inscrite sous « Madame Élise Durand » (même adresse, même téléphone,
même e-mail) : on garde la fiche la plus complète.
""", qualify),
    "rgpd": ("""\
**Non**, Marielle Nature n'a pas respecté le RGPD : le formulaire donne bien le responsable
(Marielle Nature et ses coordonnées) et la finalité (envoyer offres et invitations), mais :
1. il ne dit pas sur quelle **base légale** repose le traitement ;
2. il ne nomme pas les **destinataires** (« ses partenaires » sans autre précision) ;
3. il n'indique pas la **durée de conservation** ;
4. il n'informe pas des **droits** (accès, rectification, effacement, opposition) ni de la
   possibilité de saisir la CNIL ;
5. le **consentement** n'est pas libre : la case est pré-cochée.
La date de naissance demandée à un professionnel n'est pas nécessaire (minimisation).
""", None),
    "bloctel": ("""\
**Les principes (Annexe 3)** : liste d'opposition gratuite pour les consommateurs, inscription
pour 3 ans ; interdiction de démarcher par téléphone un numéro inscrit, sauf journaux et
magazines, sondages et associations sans prospection, relation contractuelle en cours, numéro
donné librement pour être rappelé ; téléphone seulement (pas e-mail ni SMS) ; le professionnel
paie l'accès et vérifie son fichier avant chaque campagne (puis chaque mois) ; amende jusqu'à
75 000 € (375 000 € pour une entreprise depuis 2020).

**B to B** : inutile de saisir Bloctel, les numéros professionnels ne sont pas concernés ;
l'offre doit seulement être en rapport avec l'activité du professionnel.
**B to C** : obligatoire avant toute campagne.

**La loi du 24 juillet 2020** : se présenter clairement et rappeler le droit de s'inscrire à
Bloctel ; démarchage interdit pour la rénovation énergétique ; code de bonnes pratiques et
consultation de Bloctel au moins une fois par mois ; jours et horaires encadrés par décret ;
contrat conclu en violation nul ; sanctions portées à 75 000 € / 375 000 €.

**Depuis le 11 août 2026** (loi n° 2025-594 du 30 juin 2025 contre toutes les fraudes aux
aides publiques, art. 13) : Bloctel a cessé ; on ne démarche plus un particulier par téléphone
sans son **consentement préalable**, libre, spécifique, éclairé, univoque et révocable, que le
professionnel doit pouvoir **prouver** ; seule exception, une offre liée à un contrat en cours.
Le B to B n'est toujours pas concerné.
""", bloctel_answers),
    "segmentation": ("""\
Pour des soins pour homme, on retient **les particuliers hommes** (civilité « M. ») : critère
socio-démographique (sexe), éventuellement affiné par l'âge. On pourrait y ajouter, dans une
seconde campagne, **les salons de coiffure** (barbiers) qui revendent ces soins (critère
d'activité, en B to B). Tri : panier moyen décroissant, pour appeler d'abord les plus gros paniers.
""", segment_men),
    "rfm": ("""\
Critères : la **récence** du dernier achat, la **fréquence** d'achat (achats par an) et le
**montant** (panier moyen). Chaque critère reçoit une note selon la grille de l'Annexe 8
(bornes comprises dans la tranche du milieu), le score est la somme des trois notes (0 à 50).
""", score_base),
    "cibles": ("""\
1. L'objectif d'une vente privée est de **fidéliser et récompenser** les meilleurs clients,
   ceux qui achètent souvent, récemment et beaucoup ;
2. la cible issue du scoring est donc celle des **très bons clients** (RFM > 40), puis les bons
   clients si la place le permet. Les clients tièdes et inactifs relèvent d'autres actions
   (relance, réactivation).
""", private_sale_targets),
}


def corrige(step: str) -> None:
    """Show the explanation of a step and the code of its reference solution (trainer edition)."""
    if step not in SOLUTIONS:
        raise KeyError(f"Étape inconnue « {step} » ; étapes : {', '.join(SOLUTIONS)}")
    text, func = SOLUTIONS[step]
    md = "**Corrigé.** " + text
    if func is not None:
        md += f"\n\nCode de la solution (`grc.course.exercise.{func.__name__}`) :\n\n```python\n{inspect.getsource(func)}```\n"
    try:
        from IPython.display import Markdown, display

        display(Markdown(md))
    except ImportError:  # pragma: no cover - outside Jupyter
        print(md)
