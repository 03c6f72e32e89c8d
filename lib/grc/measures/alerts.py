"""Alerts and actions drawn from the measures, with thresholds written once.

An alert is a change or a gap large enough to matter: rates must move by at least
``RATE_POINTS`` points on a base of at least ``MIN_BASE`` records or clients, counts by at
least ``COUNT_SHARE`` of their value and ``MIN_COUNT`` units. Smaller moves are noise and are
not reported. The glossary page prints these rules.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from grc.measures.catalogue import SCORE, SHARE, measure
from grc.measures.read import format_value, measure_value
from grc.schema import ISSUE_CODES, NETWORK

RATE_POINTS = 0.05      # 5 points
RETENTION_POINTS = 0.10  # 10 points
MIN_BASE = 30           # records or clients behind a rate
COUNT_SHARE = 0.20      # 20 %
MIN_COUNT = 20          # units
MIN_PRODUCT_STAYS = 3   # a "flagship product" has at least this many stays
NOT_A_GROUP = {"Non segmenté", "(non renseigné)", "inconnue"}  # never the subject of a sentence

THRESHOLDS_TEXT = (
    "Une alerte n'est émise que pour une évolution ou un écart significatif : au moins "
    f"{int(RATE_POINTS * 100)} points pour une part (10 points pour la rétention) calculée sur au "
    f"moins {MIN_BASE} fiches ou clients, ou au moins {int(COUNT_SHARE * 100)} % et {MIN_COUNT} "
    "unités pour un nombre. Les écarts plus faibles relèvent du hasard d'une année et ne sont "
    "pas signalés. Les phrases automatiques des pages ignorent les contacts non segmentés et "
    f"les groupes de moins de {MIN_COUNT} clients ; un produit phare compte au moins "
    f"{MIN_PRODUCT_STAYS} séjours.")

# summary measures: (name, base measure for a rate, True when a rise is good)
SUMMARY = [
    ("records", None, True),
    ("contacts", None, True),
    ("issue_rate", "records", False),
    ("emailable_rate", "records", True),
    ("clients_year", None, True),
    ("retention", "clients_year", True),
    ("org_retention", "org_clients_prev_year", True),
    ("revenue_year", None, True),
    ("satisfaction_mean", None, True),
]

# issue codes a centre fixes in its booking software, with the action to take
FIXES = {
    "incomplete_address": "compléter les adresses postales incomplètes",
    "invalid_postcode": "corriger les codes postaux",
    "invalid_email": "corriger les e-mails invalides",
    "invalid_phone": "corriger les numéros de téléphone",
    "missing_name": "renseigner le nom ou l'organisation manquant",
    "npai": "mettre à jour les adresses revenues en NPAI",
    "unknown_code": "déclarer les codes de segment inconnus dans la table de correspondance",
    "duplicate_local_id": "supprimer les identifiants exportés plusieurs fois",
    "no_channel": "recueillir au moins un moyen de contact (adresse, e-mail ou téléphone)",
    "retention_expired": "supprimer ou anonymiser les fiches dont la durée de conservation "
                         "est dépassée",
    "invalid_date": "corriger les dates illisibles",
    "date_out_of_range": "corriger les dates hors de la période plausible",
    "negative_value": "corriger les nuits, personnes ou montants négatifs",
    "rounded_value": "saisir des nombres entiers de nuits et de personnes",
    "control_character": "retirer les caractères invisibles des champs signalés",
    "mixed_encoding": "réenregistrer l'export dans un seul encodage",
    "formula_without_value": "remplacer les formules par leur valeur avant l'export",
    "invalid_number": "corriger les nombres illisibles des séjours",
    "unknown_contact": "exporter les clients des séjours avec leur fiche contact",
}
# every issue a centre fixes (grc.schema.CENTRE_FIXES) has its action here, plus NPAI and the
# retention purge, which the head office asks too (tests/test_measures.py checks it)


@dataclass(frozen=True)
class Alert:
    """One plain-language alert: which measure, how serious (``bad`` or ``good``), the text."""

    measure: str
    tone: str
    text: str


def points(cur: float, prev: float) -> float:
    """Change of a share in points, from the shares as the pages print them (one decimal):
    the reader who subtracts the two figures shown finds the same number."""
    return round(round(cur * 100, 1) - round(prev * 100, 1), 1)


def points_text(delta: float, signed: bool = True, unit: str = "pt") -> str:
    """A change in points, always with one decimal: « +5,8 pt », « -0,4 pt » or « 0,0 pt »
    (``unit="points"`` in a sentence)."""
    sign = "+" if signed and delta > 0 else "-" if signed and delta < 0 else ""
    return f"{sign}{abs(delta):.1f}".replace(".", ",") + "\u00a0" + unit


def _issue_driver(measures: pd.DataFrame, scope: str, year: int, delta: float) -> str:
    """The problem behind most of a move of the share of records with a problem (empty when no
    single problem explains at least half of it): a new check reads differently from worse
    data entry."""
    cur_n, prev_n = (measure_value(measures, "records", scope, y) for y in (year, year - 1))
    if not cur_n or not prev_n:
        return ""
    best = None
    for code, label in ISSUE_CODES.items():
        now = measure_value(measures, f"issue:{code}", scope, year) or 0
        before = measure_value(measures, f"issue:{code}", scope, year - 1) or 0
        move = points(now / cur_n, before / prev_n)
        if move * delta > 0 and abs(move) >= abs(delta) / 2 and (best is None or abs(move) > abs(best[0])):
            best = (move, label, before, now)
    if best is None:
        return ""
    move, label, before, now = best
    return (f" Surtout « {label} » : {_records(before)} l'an dernier, {_records(now)} cette "
            f"année ({points_text(move)}).")


def _change_alert(name: str, cur: float, prev: float, delta: float, rise_good: bool,
                  size: str) -> Alert:
    """« <label> : hausse de <size> sur un an (prev → cur). », good or bad by its direction."""
    good = (delta > 0) == rise_good
    verb = "hausse" if delta > 0 else "baisse"
    return Alert(name, "good" if good else "bad",
                 f"{measure(name).label} : {verb} de {size} sur un an "
                 f"({format_value(name, prev)} → {format_value(name, cur)}).")


def _rate_alert(name: str, cur: float, prev: float, base: float | None, rise_good: bool,
                threshold: float) -> Alert | None:
    delta = points(cur, prev)
    if base is None or base < MIN_BASE or abs(delta) < threshold * 100:
        return None
    return _change_alert(name, cur, prev, delta, rise_good, points_text(delta, False, "points"))


def significant_change(prev: float, cur: float) -> bool:
    """A count's change worth an alert or a sentence: at least MIN_COUNT units and
    COUNT_SHARE of last year's value."""
    delta = cur - prev
    return prev > 0 and abs(delta) >= MIN_COUNT and abs(delta) / prev >= COUNT_SHARE


def _count_alert(name: str, cur: float, prev: float, rise_good: bool) -> Alert | None:
    delta = cur - prev
    if not significant_change(prev, cur):
        return None
    return _change_alert(name, cur, prev, delta, rise_good, f"{round(abs(delta) / prev * 100)} %")


def alerts(measures: pd.DataFrame, scope: str, year: int) -> list[Alert]:
    """Significant changes since last year, and gaps with the network for a centre."""
    out: list[Alert] = []
    for name, base_name, rise_good in SUMMARY:
        cur = measure_value(measures, name, scope, year)
        prev = measure_value(measures, name, scope, year - 1)
        if cur is None or prev is None:
            continue
        if measure(name).unit == SCORE:
            continue  # a mean score: shown with its change, no alert threshold defined
        if measure(name).unit == SHARE:
            base_year = year - 1 if name == "retention" else year
            base = measure_value(measures, base_name, scope, base_year) if base_name else None
            threshold = RETENTION_POINTS if name in ("retention", "org_retention") else RATE_POINTS
            found = _rate_alert(name, cur, prev, base, rise_good, threshold)
            if found and name == "issue_rate":
                driver = _issue_driver(measures, scope, year, points(cur, prev))
                found = Alert(found.measure, found.tone, found.text + driver)
        else:
            found = _count_alert(name, cur, prev, rise_good)
        if found:
            out.append(found)
    if scope != NETWORK:
        out += _network_gaps(measures, scope, year)
    return out


def _network_gaps(measures: pd.DataFrame, scope: str, year: int) -> list[Alert]:
    out = []
    records = measure_value(measures, "records", scope, year) or 0
    for name, rise_good in (("issue_rate", False), ("emailable_rate", True)):
        cur = measure_value(measures, name, scope, year)
        net = measure_value(measures, name, NETWORK, year)
        if cur is None or net is None or records < MIN_BASE:
            continue
        gap = points(cur, net)
        if abs(gap) < 2 * RATE_POINTS * 100:
            continue
        good = (gap > 0) == rise_good
        word = "au-dessus" if gap > 0 else "en dessous"
        out.append(Alert(name, "good" if good else "bad",
                         f"{measure(name).label} : {format_value(name, cur)}, "
                         f"{points_text(gap, False, 'points')} {word} du réseau "
                         f"({format_value(name, net)})."))
    return out


def _records(n: float) -> str:
    return f"{format_value('records', n)} fiche{'s' if n > 1 else ''}"


def return_counts(measures: pd.DataFrame, scope: str, year: int) -> list[tuple[str, str, float]]:
    """(code, French label, records) of the scope's return file, largest first."""
    rows = []
    for code in FIXES:
        n = measure_value(measures, f"issue:{code}", scope, year)
        if n:
            rows.append((code, ISSUE_CODES.get(code, code), n))
    return sorted(rows, key=lambda r: -r[2])


def actions(measures: pd.DataFrame, scope: str, year: int, found: list[Alert]) -> list[str]:
    """The three most useful actions: the largest corrections, then what the alerts call for."""
    out = []
    where = ("dans le logiciel de réservation" if scope != NETWORK
             else "à demander aux centres, dans leur logiciel de réservation")
    for code, _, n in return_counts(measures, scope, year)[:2]:
        fix = FIXES[code][0].upper() + FIXES[code][1:]
        out.append(f"{fix} : {_records(n)} ({where} ; fichier retour, onglet « À corriger »).")
    if any(a.measure == "retention" and a.tone == "bad" for a in found):
        out.append("Relancer les clients de l'an dernier qui ne sont pas revenus : la rétention "
                   "a nettement baissé (liste des clients de forte valeur à relancer, page « Scoring RFM »).")
    if any(a.measure == "emailable_rate" and a.tone == "bad" for a in found):
        out.append("Recueillir le consentement e-mail à la réservation : la part de fiches "
                   "joignables par e-mail est nettement plus faible qu'ailleurs ou qu'avant.")
    consent = measure_value(measures, "issue:no_email_consent", scope, year)
    if len(out) < 3 and consent and consent >= MIN_COUNT:
        out.append(f"Recueillir le consentement e-mail à la prochaine réservation : "
                   f"{_records(consent)} n'en ont pas.")
    if len(out) < 3:
        lapsed = measure_value(measures, "rfm:Clients inactifs", scope, year)
        if lapsed:
            who = "clients inactifs" if lapsed > 1 else "client inactif"
            out.append(f"Proposer une offre de retour aux {format_value('records', lapsed)} {who} "
                       "de la grille RFM (page « Scoring RFM »).")
    return out[:3]
