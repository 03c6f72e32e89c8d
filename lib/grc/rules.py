"""The rule book: the legal rules in force by date, each with its source, written once.

Qualification, extraction, the course and the processing register read them here; no date or
period of these rules is written anywhere else.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Rule:
    """One rule: a short French statement and its legal source."""

    name: str
    text: str
    source: str


# --- telephone canvassing of private persons -------------------------------------------------
BLOCTEL_LAST_DAY = dt.date(2026, 8, 10)
"""Last day of the Bloctel opposition regime for private persons."""
PHONE_CONSENT_FIRST_DAY = BLOCTEL_LAST_DAY + dt.timedelta(days=1)
"""First day prior consent is required (loi n° 2025-594 du 30 juin 2025, art. 13)."""

PHONE_BLOCTEL = Rule(
    "phone_bloctel",
    "Démarchage téléphonique des particuliers : interdit vers les numéros inscrits sur la liste "
    "d'opposition Bloctel (régime en vigueur jusqu'au 10 août 2026), sauf client avec un contrat "
    "en cours ; les professionnels ne sont pas concernés.",
    "Code de la consommation, art. L223-1 (version antérieure au 11 août 2026)",
)
PHONE_CONSENT = Rule(
    "phone_consent",
    "Démarchage téléphonique des particuliers : uniquement avec leur consentement préalable, "
    "libre et prouvable (depuis le 11 août 2026), sauf pour proposer à un client dont le contrat "
    "est en cours un service en rapport avec ce contrat ; les professionnels ne sont pas "
    "concernés.",
    "Loi n° 2025-594 du 30 juin 2025, art. 13 ; Code de la consommation, art. L223-1",
)
CALLING_HOURS = Rule(
    "calling_hours",
    "Appels de prospection : du lundi au vendredi, de 10 h à 13 h et de 14 h à 20 h ; jamais le "
    "samedi, le dimanche ni un jour férié ; au plus 4 appels en 30 jours vers une même personne ; "
    "60 jours sans appel après un refus.",
    "Décret n° 2022-1313 du 13 octobre 2022 (Code de la consommation, art. D223-8 et suivants), "
    "en vigueur depuis le 1er mars 2023",
)


CALLING_HOURS_FIRST_DAY = dt.date(2023, 3, 1)
"""First day of the calling days and hours of décret n° 2022-1313."""

# --- telephone canvassing as the BTS course taught it (2021) and its later additions ----------
BLOCTEL_PRINCIPLES = Rule(
    "bloctel_principles",
    "Bloctel : liste d'opposition au démarchage téléphonique, gratuite pour le consommateur, "
    "inscription valable 3 ans (bloctel.gouv.fr, service géré par la société Opposetel) ; "
    "interdiction pour tout professionnel, directement ou par un intermédiaire, de démarcher "
    "par téléphone un numéro inscrit, sauf : fourniture de journaux, périodiques ou magazines, "
    "instituts de sondage et associations sans prospection commerciale, relation contractuelle "
    "en cours, numéro donné librement pour être rappelé ; le téléphone seulement (ni e-mail ni "
    "SMS) ; les numéros professionnels ne sont pas concernés (prospection B to B en rapport avec "
    "l'activité de l'entreprise) ; le professionnel paie l'accès et fait vérifier son fichier "
    "avant toute campagne ; interdiction de vendre un fichier de numéros inscrits.",
    "Loi n° 2014-344 du 17 mars 2014 (loi Hamon), Code de la consommation, art. L223-1 à "
    "L223-5 (en vigueur du 1er juin 2016 au 10 août 2026)",
)
PHONE_LAW_2020 = Rule(
    "phone_law_2020",
    "Loi du 24 juillet 2020 : le professionnel se présente clairement et rappelle au "
    "consommateur son droit de s'inscrire sur Bloctel ; démarchage téléphonique interdit pour "
    "la rénovation énergétique (sauf contrat en cours) ; code de bonnes pratiques et "
    "vérification du fichier auprès de Bloctel au moins une fois par mois pour qui démarche "
    "habituellement, avant toute campagne sinon ; jours et horaires d'appel fixés par décret ; "
    "contrat conclu à la suite d'un démarchage illicite nul ; amendes portées à 75 000 € "
    "(personne physique) et 375 000 € (personne morale), contre 3 000 € et 15 000 € avant.",
    "Loi n° 2020-901 du 24 juillet 2020 visant à encadrer le démarchage téléphonique et à "
    "lutter contre les appels frauduleux",
)
PHONE_CONSENT_DUTIES = Rule(
    "phone_consent_duties",
    "Depuis le 11 août 2026 : le consentement est une manifestation de volonté libre, "
    "spécifique, éclairée, univoque et révocable, par un acte positif clair (case non "
    "pré-cochée) ; le professionnel doit pouvoir le prouver ; il informe le consommateur, "
    "lors de la collecte de son numéro, que toute prospection par téléphone suppose son "
    "consentement préalable ; exception : une sollicitation dans le cadre d'un contrat en "
    "cours, en rapport avec son objet ; les professionnels (B to B) ne sont pas concernés.",
    "Loi n° 2025-594 du 30 juin 2025 contre toutes les fraudes aux aides publiques, art. 13 ; "
    "Code de la consommation, art. L223-1",
)
PHONE_PENALTIES = Rule(
    "phone_penalties",
    "Sanctions : amende administrative jusqu'à 75 000 € pour une personne physique et "
    "375 000 € pour une personne morale ; contrat conclu à la suite d'un démarchage illicite "
    "nul ; en cas d'abus de faiblesse lié au démarchage, jusqu'à 5 ans d'emprisonnement et "
    "500 000 € d'amende.",
    "Code de la consommation, art. L242-16 et L132-14-1 (loi n° 2025-594 du 30 juin 2025, art. 13)",
)


def phone_rules_in_force(day: dt.date | pd.Timestamp) -> tuple[Rule, ...]:
    """The rules on phone canvassing of private persons in force on ``day``, in reading order."""
    day = pd.Timestamp(day).date()
    if bloctel_regime(day):
        out: tuple[Rule, ...] = (BLOCTEL_PRINCIPLES, PHONE_LAW_2020)
    else:
        out = (PHONE_CONSENT, PHONE_CONSENT_DUTIES)
    if day >= CALLING_HOURS_FIRST_DAY:
        out += (CALLING_HOURS,)
    return out + ((PHONE_PENALTIES,) if day >= PHONE_CONSENT_FIRST_DAY else ())


def bloctel_regime(reference_date: dt.date | pd.Timestamp) -> bool:
    """True while the Bloctel regime applies (up to 10 August 2026 included)."""
    return pd.Timestamp(reference_date).date() <= BLOCTEL_LAST_DAY


def phone_rule(reference_date: dt.date | pd.Timestamp) -> Rule:
    """The phone-canvassing rule for private persons in force at ``reference_date``."""
    return PHONE_BLOCTEL if bloctel_regime(reference_date) else PHONE_CONSENT


# --- e-mail ------------------------------------------------------------------------------------
EMAIL_B2C_CONSENT = Rule(
    "email_b2c_consent",
    "Prospection par e-mail d'un particulier : consentement préalable obligatoire.",
    "Code des postes et des communications électroniques, art. L34-5",
)

# --- retention ---------------------------------------------------------------------------------
RETENTION_YEARS = 3
RETENTION = Rule(
    "retention",
    "Conservation des données d'un client ou d'un prospect : 3 ans après la fin de la relation "
    "commerciale (dernier séjour pour un client, dernier contact pour un prospect), puis "
    "suppression ou anonymisation.",
    "RGPD, art. 5.1.e ; CNIL, référentiel « gestion commerciale » (2021)",
)


def retention_cutoff(reference_date: dt.date | pd.Timestamp) -> pd.Timestamp:
    """Records whose last activity is before this date have outlived the retention period."""
    return pd.Timestamp(reference_date) - pd.DateOffset(years=RETENTION_YEARS)


RULES: tuple[Rule, ...] = (PHONE_BLOCTEL, PHONE_CONSENT, CALLING_HOURS, EMAIL_B2C_CONSENT,
                           RETENTION, BLOCTEL_PRINCIPLES, PHONE_LAW_2020, PHONE_CONSENT_DUTIES,
                           PHONE_PENALTIES)
