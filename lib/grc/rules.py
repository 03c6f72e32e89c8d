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
                           RETENTION)
