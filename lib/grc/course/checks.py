"""Feedback on the student's saved workbook: which row, which column, which rule.

Each ``verifier_<step>(classeur)`` (the student API, hence French names) reads the workbook
and returns a :class:`Verdict`: what is right, the cells to look at again (Excel row and N°),
and the rule to apply, never the expected value. A check compares the student's cells with
the raw sheet « Clients » of the same file through the rules of the chapter (one piece of
information per column, what makes a cell incomplete, the Annexe 8 grid); ``Verdict.part`` is
the share of checked cells that are right (used for partial credit).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from grc.course import parsing as p
from grc.course.workbook import (
    BASE_COLUMNS,
    ID,
    PROFESSIONNEL,
    RAW_COLUMNS,
    SHEET_BASE,
    SHEET_RAW,
    WORKBOOK_NAME,
    StudentWorkbook,
    Table,
    WorkbookError,
)
from grc.rfm import scores as rfm

SHOWN = 8  # rows listed per column before "… et N autres"
QUALIFIED_COLUMNS = ["Civilité", "Nom", "Prénom", "Entreprise", "Activité", "Adresse",
                     "Code postal", "Ville", "Téléphone", "E-mail", "Âge"]
PRO_ONLY = {"Entreprise", "Activité"}
PRIVATE_ONLY = {"Âge"}
RFM_COLUMNS = ["Récence (mois)", "Points R", "Points F", "Points M", "Score RFM", "Catégorie"]
GRID_FILE = Path(__file__).with_name("grille_omnicom.yaml")


@lru_cache(maxsize=1)
def course_grid() -> rfm.Grid:
    """The Annexe 8 grid (a copy of ``params/rfm/omnicom.yaml`` shipped with the package)."""
    return rfm.load_grid(GRID_FILE)


# --------------------------------------------------------------------------------------------
# Verdict
# --------------------------------------------------------------------------------------------


@dataclass
class Verdict:
    """Result of a check: ``ok``, a French message, the cells to review and hints."""

    ok: bool
    message: str
    wrong: dict[str, list[str]] = field(default_factory=dict)
    hints: list[str] = field(default_factory=list)
    pending: bool = False
    right: int = 0
    total: int = 0
    recorded: bool = False  # an answer read but not graded here (choices: the hidden tests grade)

    @property
    def part(self) -> float:
        """Share of the checked items that are right (0 when nothing was done)."""
        if self.pending:
            return 0.0
        if self.total:
            return self.right / self.total
        return 1.0 if self.ok else 0.0

    def __bool__(self) -> bool:
        return self.ok

    def _head(self) -> str:
        if self.pending:
            return "À faire"
        if self.recorded:
            return "Réponse enregistrée"
        return "Bonne réponse" if self.ok else "À revoir"

    def _items(self, items: list[str]) -> str:
        shown = ", ".join(items[:SHOWN])
        return shown + (f" … et {len(items) - SHOWN} autres" if len(items) > SHOWN else "")

    def __str__(self) -> str:
        lines = [f"{self._head()} : {self.message}"]
        lines += [f"  - {what} : {self._items(items)}" for what, items in self.wrong.items()]
        lines += [f"  Règle : {h}" for h in self.hints]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        color = "#8a8a8a" if self.pending else "#1f5f8b" if self.recorded else \
            ("#2e7d32" if self.ok else "#c62828")
        parts = [f"<div class='grc-verdict' style='border-left:4px solid {color};padding:4px 10px;"
                 f"margin:4px 0'><b>{html.escape(self._head())}</b> : {html.escape(self.message)}"]
        if self.wrong:
            parts.append("<ul>" + "".join(
                f"<li>{html.escape(w)} : {html.escape(self._items(i))}</li>"
                for w, i in self.wrong.items()) + "</ul>")
        parts += [f"<div><i>Règle</i> : {html.escape(h)}</div>" for h in self.hints]
        return "".join(parts) + "</div>"


def _pending(message: str) -> Verdict:
    return Verdict(False, message, pending=True)


def _safe(check: Callable[[StudentWorkbook], Verdict], name: str) -> Callable[[str | Path], Verdict]:
    """Open the workbook and turn a reading problem into a French verdict (never a traceback)."""

    def run(classeur: str | Path = WORKBOOK_NAME) -> Verdict:
        try:
            wb = StudentWorkbook(classeur)
            verdict = check(wb)
        except WorkbookError as exc:
            return Verdict(False, str(exc))
        if wb.not_computed:
            verdict.hints.append(
                "certaines formules n'ont pas de valeur enregistrée et n'ont pas pu être calculées ici "
                f"({'; '.join(wb.not_computed[:3])}) : ouvrez le classeur dans Excel ou LibreOffice, "
                "enregistrez-le, puis relancez la cellule.")
        return verdict

    run.__name__ = run.__qualname__ = name
    run.__doc__ = check.__doc__
    return run


# --------------------------------------------------------------------------------------------
# Reading the two sheets
# --------------------------------------------------------------------------------------------


def _raw(wb: StudentWorkbook) -> dict[int, dict[str, Any]]:
    table = wb.table(SHEET_RAW, RAW_COLUMNS)
    out = {}
    for row in table.rows:
        n = _int(row[ID])
        if n is not None:
            out[n] = row
    if not out:
        raise WorkbookError(f"La feuille « {SHEET_RAW} » est vide : reprenez le classeur d'origine.")
    return out


def _base(wb: StudentWorkbook, columns: list[str] = BASE_COLUMNS) -> Table:
    return wb.table(SHEET_BASE, columns)


def _int(value: Any) -> int | None:
    number = p.to_number(value)
    return int(number) if number is not None and float(number).is_integer() else None


def _is_flagged(value: Any) -> bool:
    return not p.blank(value) and p.norm(value) not in {"non", "0", "faux", "false", "n"}


def _rows_by_id(base: Table) -> tuple[dict[int, int], list[str], list[str]]:
    """Row index of each N°, plus the rows without a readable N° and the repeated N°."""
    index: dict[int, int] = {}
    unreadable, repeated = [], []
    for i, row in enumerate(base.rows):
        n = _int(row[ID])
        if n is None:
            unreadable.append(base.where(i))
        elif n in index:
            repeated.append(base.where(i))
        else:
            index[n] = i
    return index, unreadable, repeated


class _Tally:
    """Collects the wrong cells by label and the hints, and counts checked cells."""

    def __init__(self) -> None:
        self.wrong: dict[str, list[str]] = {}
        self.hints: dict[str, str] = {}
        self.right = 0
        self.total = 0

    def check(self, ok: bool, label: str, where: str, hint: str | None = None) -> None:
        self.total += 1
        if ok:
            self.right += 1
        else:
            self.wrong.setdefault(label, []).append(where)
            if hint:
                self.hints.setdefault(label, hint)

    def verdict(self, ok_message: str, ko_message: str) -> Verdict:
        if not self.wrong:
            return Verdict(True, ok_message, right=self.right, total=self.total)
        return Verdict(False, ko_message, dict(self.wrong), list(self.hints.values()),
                       right=self.right, total=self.total)


# --------------------------------------------------------------------------------------------
# Step 1: restructure (one piece of information per column)
# --------------------------------------------------------------------------------------------

STRUCTURE_HINTS = {
    "Civilité": "recopiez la civilité (M. ou Mme) ; une civilité absente reste vide.",
    "Nom": "le nom de famille est la partie écrite en MAJUSCULES (parfois en deux mots) ; "
           "écrivez-le en majuscules (Données > Convertir, ou GAUCHE/TROUVE).",
    "Prénom": "le prénom est ce qui suit le nom, tel qu'il est écrit, même réduit à une initiale.",
    "Adresse": "la colonne Adresse garde le numéro et la voie, sans code postal ni ville.",
    "Code postal": "le code postal a 5 chiffres ; s'il n'est pas dans la cellule d'origine, "
                   "laissez la case vide plutôt que de le deviner.",
    "Ville": "la ville est ce qui suit le code postal (ou la virgule quand il manque).",
    "Téléphone": "recopiez le numéro (l'écriture peut changer, pas les chiffres).",
    "E-mail": "recopiez l'adresse e-mail telle quelle.",
    "Âge": "l'âge est un nombre d'années : « 42 ans » donne 42 ; une date de naissance donne "
           "l'âge au 31/03/2026 (DATEDIF(naissance;'Lisez-moi'!$B$2;\"y\")) ; une case vide reste vide.",
    "Date du dernier achat": "recopiez la date du dernier achat (une date, pas un texte).",
    "Achats par an": "le nombre d'achats par an est un nombre.",
    "Panier moyen": "le panier moyen doit être un nombre : retirez « € » et remplacez la virgule "
                    "(Rechercher et remplacer), sinon il ne peut être ni trié ni additionné.",
}
_COPIED = ["Type de client", "Entreprise", "Activité", "Source", "Accepte les appels"]


def _same_text(a: Any, b: Any) -> bool:
    return p.norm(a) == p.norm(b)


def _structure_cells(raw: dict[str, Any], got: dict[str, Any], ref: Any) -> dict[str, bool]:
    last, first = p.split_name(raw["Nom Prénom"])
    street, postcode, city = p.split_address(raw["Adresse"])
    nom = got["Nom"]
    age_raw, age_got = p.age_on(raw["Âge ou date de naissance"], ref), p.to_number(got["Âge"])
    age_tol = 1 if p.as_date(raw["Âge ou date de naissance"]) else 0
    basket, freq = p.to_number(raw["Panier moyen"]), p.to_number(raw["Achats par an"])
    cp = got["Code postal"]
    cells = {c: _same_text(got[c], raw[c]) for c in _COPIED}
    cells.update({
        "Civilité": p.normalize_civility(got["Civilité"]) == p.normalize_civility(raw["Civilité"])
        and p.blank(got["Civilité"]) == p.blank(raw["Civilité"]),
        "Nom": _same_text(nom, last) and isinstance(nom, str) and nom == nom.upper(),
        "Prénom": _same_text(got["Prénom"], first),
        "Adresse": _same_text(got["Adresse"], street),
        "Code postal": (p.blank(cp) and postcode is None)
        or (postcode is not None and str(_int(cp) if _int(cp) is not None else cp).strip().zfill(5) == postcode),
        "Ville": _same_text(got["Ville"], city),
        "Téléphone": p.phone_digits(got["Téléphone"]) == p.phone_digits(raw["Téléphone"])
        and p.blank(got["Téléphone"]) == p.blank(raw["Téléphone"]),
        "E-mail": _same_text(got["E-mail"], raw["E-mail"]),
        "Âge": (age_raw is None and p.blank(got["Âge"]))
        or (age_raw is not None and age_got is not None and not isinstance(got["Âge"], str)
            and abs(age_got - age_raw) <= age_tol),
        "Date du dernier achat": p.as_date(got["Date du dernier achat"]) is not None
        and p.as_date(got["Date du dernier achat"]) == p.as_date(raw["Date du dernier achat"]),
        "Achats par an": not isinstance(got["Achats par an"], str) and freq is not None
        and p.to_number(got["Achats par an"]) is not None
        and abs(p.to_number(got["Achats par an"]) - freq) < 0.01,
        "Panier moyen": not isinstance(got["Panier moyen"], str) and basket is not None
        and p.to_number(got["Panier moyen"]) is not None
        and abs(p.to_number(got["Panier moyen"]) - basket) < 0.01,
    })
    return cells


def _check_rows(base: Table, raw: dict[int, dict[str, Any]]) -> tuple[dict[int, int], _Tally]:
    tally = _Tally()
    index, unreadable, repeated = _rows_by_id(base)
    for where in unreadable:
        tally.check(False, "Lignes sans N° lisible", where, "chaque ligne garde son N° d'origine (colonne A).")
    for where in repeated:
        tally.check(False, "N° présents deux fois", where, "une fiche de la feuille Clients donne une seule ligne.")
    for n in sorted(set(raw) - set(index)):
        tally.check(False, "N° absents de la feuille Base", f"N° {n}",
                    "à cette étape on ne supprime aucune ligne : le doublon est seulement signalé.")
    for n in sorted(set(index) - set(raw)):
        tally.check(False, "N° inconnus", base.where(index[n]), "gardez les N° de la feuille Clients.")
    return index, tally


def _structure(wb: StudentWorkbook) -> Verdict:
    """Check the sheet « Base »: every client kept, one piece of information per column."""
    raw = _raw(wb)
    base = _base(wb)
    if not base.rows:
        return _pending("la feuille « Base » est encore vide : copiez-y les clients de la feuille "
                        "« Clients » et séparez les informations, une par colonne.")
    ref = wb.reference_date()
    index, tally = _check_rows(base, raw)
    for n in sorted(set(index) & set(raw)):
        i = index[n]
        for col, ok in _structure_cells(raw[n], base.rows[i], ref).items():
            tally.check(ok, f"Colonne « {col} »", base.where(i),
                        STRUCTURE_HINTS.get(col, "recopiez la valeur de la feuille Clients."))
    return tally.verdict(f"les {len(raw)} clients sont bien restructurés, une information par colonne.",
                         f"{tally.right} cases justes sur {tally.total} : revoyez les cases ci-dessous.")


verifier_structure = _safe(_structure, "verifier_structure")


# --------------------------------------------------------------------------------------------
# Step 2: qualify (incomplete cells in red) and the duplicate
# --------------------------------------------------------------------------------------------

RED_HINTS = {
    "Civilité": "une civilité vide est une information manquante.",
    "Nom": "un nom vide est une information manquante.",
    "Prénom": "un prénom réduit à une initiale est incomplet.",
    "Entreprise": "pour un professionnel, la raison sociale est indispensable.",
    "Activité": "pour un professionnel, l'activité est indispensable.",
    "Adresse": "une adresse sans numéro ni voie est incomplète.",
    "Code postal": "sans code postal (5 chiffres), le courrier risque de revenir (PND).",
    "Ville": "une adresse sans ville est incomplète.",
    "Téléphone": "un numéro français a 10 chiffres : comptez-les ; un numéro absent est manquant.",
    "E-mail": "une adresse e-mail complète a un @ puis un domaine avec son extension (.fr, .com).",
    "Âge": "pour un particulier, un âge absent est une information manquante.",
}
RED_EXTRA_HINTS = {
    "Téléphone": "un numéro écrit autrement (points, +33) ou dont Excel a retiré le 0 initial reste "
                 "complet : il suffit de l'uniformiser.",
    "Entreprise": "un particulier n'a pas d'entreprise : la case vide n'est pas une information manquante.",
    "Activité": "un particulier n'a pas d'activité professionnelle : la case vide est normale.",
    "Âge": "l'âge du contact d'un professionnel n'est pas utile : la case vide est normale.",
}


def incomplete(col: str, value: Any, kind: Any) -> bool:
    """The chapter's rule for one cell of the base: empty or unusable (not: not applicable)."""
    if col in PRO_ONLY and p.norm(kind) != p.norm(PROFESSIONNEL):
        return False
    if col in PRIVATE_ONLY and p.norm(kind) == p.norm(PROFESSIONNEL):
        return False
    if p.blank(value):
        return True
    text = str(value).strip()
    if col == "Prénom":
        return sum(c.isalpha() for c in text) < 2
    if col == "Code postal":
        number = _int(value) if not isinstance(value, str) else None
        digits = str(number).zfill(5) if number is not None and 0 < number < 100000 else text
        return not (len(digits) == 5 and digits.isdigit())
    if col == "Téléphone":
        return p.phone_digits(value) is None
    if col == "E-mail":
        return not p.EMAIL.match(text)
    if col == "Civilité":
        return p.normalize_civility(text) is None
    return False


def _red(wb: StudentWorkbook) -> Verdict:
    """Check the red cells of « Base »: every incomplete cell red, no complete cell red."""
    base = _base(wb)
    if not base.rows:
        return _pending("la feuille « Base » est encore vide : restructurez d'abord la base.")
    if not any(base.red):
        return _pending("aucune case n'est en rouge dans la feuille « Base » : sélectionnez chaque case "
                        "incomplète, puis Accueil > Couleur de remplissage > rouge.")
    missed: dict[str, int] = {}
    tally = _Tally()
    for i, row in enumerate(base.rows):
        for col in QUALIFIED_COLUMNS:
            expected = incomplete(col, row[col], row["Type de client"])
            red = col in base.red[i]
            if expected and not red:
                missed[col] = missed.get(col, 0) + 1
                tally.total += 1
            elif red and not expected:
                tally.check(False, f"Case rouge mais complète ou sans objet, colonne « {col} »",
                            base.where(i), RED_EXTRA_HINTS.get(col, "cette case est remplie et exploitable."))
            elif expected:
                tally.check(True, "", "")
        for col in sorted(base.red[i] - set(QUALIFIED_COLUMNS)):
            tally.check(False, "Case rouge hors des colonnes à qualifier", f"{base.where(i)}, « {col} »",
                        "on ne met en rouge que des coordonnées ou une identité incomplètes.")
    if missed:
        tally.wrong["Cases incomplètes pas encore en rouge, par colonne"] = [
            f"« {c} » : {k}" for c, k in missed.items()]
        for col in missed:
            tally.hints.setdefault(col, f"{col} : {RED_HINTS[col]}")
    return tally.verdict(f"les {tally.right} cases incomplètes sont en rouge, et elles seules.",
                         f"{tally.right} cases incomplètes bien repérées ; revoyez ce qui suit.")


verifier_rouge = _safe(_red, "verifier_rouge")


def _gaps(raw: dict[str, Any]) -> int:
    kind = raw["Type de client"]
    last, first = p.split_name(raw["Nom Prénom"])
    street, postcode, city = p.split_address(raw["Adresse"])
    values = {"Civilité": raw["Civilité"], "Nom": last, "Prénom": first, "Adresse": street,
              "Code postal": postcode, "Ville": city, "Téléphone": raw["Téléphone"],
              "E-mail": raw["E-mail"], "Âge": raw["Âge ou date de naissance"],
              "Entreprise": raw["Entreprise"], "Activité": raw["Activité"]}
    return sum(incomplete(c, v, kind) for c, v in values.items())


def _duplicate(wb: StudentWorkbook) -> Verdict:
    """Check the column « Doublon »: the less complete record of one person is flagged."""
    raw = _raw(wb)
    base = _base(wb)
    if not base.rows:
        return _pending("la feuille « Base » est encore vide : restructurez d'abord la base.")
    index, _, _ = _rows_by_id(base)
    flagged = {n for n, i in index.items() if _is_flagged(base.rows[i]["Doublon"])}
    groups: dict[tuple[str, str], set[int]] = {}  # one person: same name, same phone or e-mail
    for n, row in raw.items():
        name = p.norm(p.split_name(row["Nom Prénom"])[0])
        mail = p.norm(row["E-mail"]) if p.EMAIL.match(str(row["E-mail"] or "")) else None
        for key in (p.phone_digits(row["Téléphone"]), mail):
            if key and name:
                groups.setdefault((name, key), set()).add(n)
    remove, keep = set(), set()
    for group in (g for g in groups.values() if len(g) > 1):
        ordered = sorted(group, key=lambda n: (_gaps(raw[n]), n))  # the most complete first
        keep.add(ordered[0])
        remove.update(ordered[1:])
    if not flagged:
        return _pending("aucune fiche n'est signalée dans la colonne « Doublon » : écrivez « Oui » sur "
                        "la ligne de la fiche à supprimer.")
    if flagged == remove:
        return Verdict(True, "le doublon est signalé et la fiche la plus complète est gardée.",
                       right=len(remove), total=len(remove))
    out = Verdict(False, "la fiche signalée n'est pas encore la bonne.",
                  right=len(flagged & remove), total=len(remove | flagged))
    if flagged & keep:
        out.wrong["Fiches à garder"] = [base.where(index[n]) for n in sorted(flagged & keep)]
        out.hints.append("des deux fiches d'une même personne, gardez la plus complète (prénom entier, âge…) "
                         "et signalez l'autre.")
    other = sorted(flagged - remove - keep)
    if other:
        out.wrong["Fiches sans double"] = [base.where(index[n]) for n in other]
        out.hints.append("un doublon est une même personne enregistrée deux fois : même nom, même adresse, "
                         "même téléphone ou e-mail, même si l'écriture change.")
    if remove - flagged - keep:
        out.wrong["Doublons pas encore signalés"] = [str(len(remove - flagged - keep))]
        out.hints.append("triez la base par nom et comparez les fiches voisines : initiale du prénom, "
                         "minuscules, téléphone écrit autrement.")
    return out


verifier_doublon = _safe(_duplicate, "verifier_doublon")


# --------------------------------------------------------------------------------------------
# Step 3: RFM points and score with formulas
# --------------------------------------------------------------------------------------------


def _rfm_hints() -> dict[str, str]:
    grid = course_grid()

    def bins(name: str, unit: str) -> str:
        crit = grid.criteria[name]
        return " ; ".join(f"{b.describe()} {unit} → {b.points:g}" for b in crit.bins)

    cats = " ; ".join(f"{c.describe()} → {c.label}" for c in grid.categories)
    return {
        "Récence (mois)": "la récence est le nombre de mois entiers entre la date du dernier achat et "
                          "le 31/03/2026 : DATEDIF(date;'Lisez-moi'!$B$2;\"m\").",
        "Points R": f"récence : {bins('recency', 'mois')} (bornes comprises dans la tranche du milieu).",
        "Points F": f"fréquence : {bins('frequency', 'achats par an')}.",
        "Points M": f"montant : {bins('monetary', '€')}.",
        "Score RFM": "le score RFM est la somme des trois notes R + F + M.",
        "Catégorie": f"catégories sur le score : {cats}.",
    }


def _rfm(wb: StudentWorkbook) -> Verdict:
    """Check recency, the R, F, M points, the score and the category of every client kept."""
    raw = _raw(wb)
    base = _base(wb)
    index, _, _ = _rows_by_id(base)
    rows = {n: i for n, i in index.items() if n in raw and not _is_flagged(base.rows[i]["Doublon"])}
    if not rows or all(p.blank(base.rows[i]["Score RFM"]) for i in rows.values()):
        return _pending("les colonnes RFM de la feuille « Base » sont encore vides : calculez la récence, "
                        "les points R, F, M, le score et la catégorie avec des formules.")
    ref = wb.reference_date()
    exp = rfm.score(pd.DataFrame({
        ID: list(raw),
        "recency_months": [p.months_since(r["Date du dernier achat"], ref) for r in raw.values()],
        "frequency": [p.to_number(r["Achats par an"]) for r in raw.values()],
        "monetary": [p.to_number(r["Panier moyen"]) for r in raw.values()],
    }), course_grid()).set_index(ID)
    hints = _rfm_hints()
    tally = _Tally()
    columns = {"Points R": "r_score", "Points F": "f_score", "Points M": "m_score", "Score RFM": "rfm_score"}
    for n, i in sorted(rows.items()):
        got, e, where = base.rows[i], exp.loc[n], base.where(i)
        months = p.to_number(got["Récence (mois)"])
        tally.check(months is not None and abs(months - float(e["recency_months"])) < 0.5,
                    "Colonne « Récence (mois) »", where, hints["Récence (mois)"])
        for col, key in columns.items():
            value = p.to_number(got[col])
            tally.check(value is not None and abs(value - float(e[key])) < 0.01, f"Colonne « {col} »",
                        where, hints[col])
        pts = [p.to_number(got[c]) for c in ("Points R", "Points F", "Points M")]
        total = p.to_number(got["Score RFM"])
        if None not in pts and total is not None and abs(sum(pts) - total) > 0.01:
            tally.hints.setdefault("somme", f"{where} : le score n'est pas la somme de vos trois notes.")
        tally.check(p.norm(got["Catégorie"]) == p.norm(e["category"]), "Colonne « Catégorie »", where,
                    hints["Catégorie"])
    return tally.verdict(f"la récence, les points, le score et la catégorie des {len(rows)} clients sont justes.",
                         f"{tally.right} cases justes sur {tally.total} : revoyez les cases ci-dessous.")


verifier_rfm = _safe(_rfm, "verifier_rfm")


# --------------------------------------------------------------------------------------------
# The answers sheet: readable, and consistent with the student's own sheet
# --------------------------------------------------------------------------------------------

CATEGORY_ANSWERS = {"R3": "Très bons clients", "R4": "Bons clients", "R5": "Clients tièdes",
                    "R6": "Clients inactifs"}


def read_ids(value: Any) -> list[int] | None:
    """N° from « 1; 4; 7 », « 1, 4 et 7 » or a single number; None when unreadable."""
    if p.blank(value):
        return []
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [int(value)] if float(value).is_integer() else None
    parts = [x for x in str(value).replace(" et ", ";").replace(",", ";").replace("\n", ";").split(";")
             if x.strip()]
    try:
        return [int(x.strip().removeprefix("N°").strip()) for x in parts]
    except ValueError:
        return None


def _answers(wb: StudentWorkbook) -> Verdict:
    """Check that the answers sheet is filled, readable and agrees with the sheet « Base »."""
    answers = wb.answers()
    base = _base(wb)
    filled = {k: v for k, v in answers.items() if not p.blank(v)}
    if not filled:
        return _pending("la feuille « Réponses » est encore vide.")
    out = Verdict(True, "", right=0, total=0)
    empty = [k for k in answers if k not in filled]
    if empty:
        out.wrong["Réponses vides"] = empty
    unreadable = [k for k, v in filled.items() if (read_ids(v) is None if k == "R7" else _int(v) is None)]
    if unreadable:
        out.wrong["Réponses à écrire en nombres"] = unreadable
        out.hints.append("écrivez un nombre entier (R1 à R6, R8) ou des N° séparés par des points-virgules (R7).")
    n_red = sum(len(r & set(QUALIFIED_COLUMNS)) for r in base.red)
    if "R1" in filled and _int(filled["R1"]) is not None and _int(filled["R1"]) != n_red:
        out.wrong["R1 ne correspond pas à votre feuille Base"] = [f"{n_red} cases rouges dans la feuille"]
    kept = [r for r in base.rows if not _is_flagged(r["Doublon"])]
    for key, label in CATEGORY_ANSWERS.items():
        count = sum(p.norm(r["Catégorie"]) == p.norm(label) for r in kept)
        if key in filled and _int(filled[key]) is not None and _int(filled[key]) != count:
            out.wrong.setdefault("Effectifs différents de votre colonne Catégorie", []).append(key)
            out.hints.append(f"{key} : comptez avec NB.SI(Y:Y;\"{label}\") sans la fiche en double.")
    ids = read_ids(filled.get("R7")) or []
    known = {_int(r[ID]) for r in kept}
    if [n for n in ids if n not in known]:
        out.wrong["R7 : N° absents de la base (ou fiche en double)"] = [str(n) for n in ids if n not in known]
    out.ok = not out.wrong
    out.message = ("les réponses sont lisibles et cohérentes avec votre feuille Base."
                   if out.ok else "certaines réponses sont à compléter ou à vérifier.")
    return out


verifier_reponses = _safe(_answers, "verifier_reponses")


# --------------------------------------------------------------------------------------------
# Answers typed in the notebook: only the form is checked here (the hidden tests grade them)
# --------------------------------------------------------------------------------------------


def lettres_lues(reponse: Any, lettres: str) -> Verdict:
    """Read a choice answer (« A C ») and say which letters were understood, without grading."""
    from grc.course.grading import letters

    given = letters(reponse)
    if not given:
        return _pending(f"écrivez entre les guillemets la ou les lettres choisies parmi {', '.join(lettres)}.")
    unknown = sorted(given - set(lettres))
    if unknown:
        return Verdict(False, f"lettre(s) inconnue(s) : {', '.join(unknown)} ; choisissez parmi "
                              f"{', '.join(lettres)}.")
    return Verdict(True, f"{', '.join(sorted(given))}. Elle sera notée avec l'ensemble du devoir.",
                   recorded=True)


def mot_lu(reponse: Any, mots: tuple[str, ...]) -> Verdict:
    """Read a one-word answer (« oui », « non »), without grading."""
    if p.blank(reponse):
        return _pending(f"écrivez entre les guillemets l'un des mots : {', '.join(mots)}.")
    if p.norm(reponse) not in {p.norm(m) for m in mots}:
        return Verdict(False, f"réponse non reconnue : répondez par {', '.join(mots)}.")
    return Verdict(True, f"{p.norm(reponse)}.", recorded=True)
