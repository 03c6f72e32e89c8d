"""The rule book: the legal rules in force by date, each with its source, written once.

Qualification, extraction, the course and the processing register read them here; no date or
period of these rules is written anywhere else.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Rule:
    """One rule: a short French statement and its legal source."""

    name: str
    text: str
    source: str

    @property
    def label(self) -> str:
        """A short French name of the rule (for counts and summaries)."""
        return RULE_LABELS.get(self.name, self.name)


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
    "Prospection par e-mail d'un particulier : consentement préalable obligatoire, sauf pour un "
    "client de l'organisme expéditeur (« soft opt-in », voir ci-dessous).",
    "Code des postes et des communications électroniques, art. L34-5",
)
EMAIL_SOFT_OPTIN = Rule(
    "email_soft_optin",
    "Prospection par e-mail d'un client particulier sans consentement préalable (« soft opt-in ») : "
    "permise au seul organisme auprès duquel il a acheté (ici le centre où il a séjourné), pour "
    "des produits ou services analogues (des séjours), s'il en a été informé et a pu s'y opposer "
    "lors de la collecte de son adresse et peut s'y opposer dans chaque message ; un autre centre "
    "ou la tête de réseau, organismes distincts, n'en bénéficient pas.",
    "Code des postes et des communications électroniques, art. L34-5, alinéa 4 ; CNIL, "
    "« La prospection commerciale par courrier électronique »",
)
EMAIL_B2B = Rule(
    "email_b2b",
    "Prospection par e-mail d'un professionnel à son adresse nominative : sans consentement "
    "préalable, s'il est informé de l'usage de son adresse et peut s'y opposer (lien de "
    "désinscription dans chaque message), et si l'objet du message est en rapport avec sa "
    "profession (des séjours de groupe pour une école, un club, une association, un CSE, une "
    "entreprise).",
    "CNIL, « La prospection commerciale par courrier électronique » (prospection B to B) ; "
    "RGPD, art. 21",
)
EMAIL_GENERIC = Rule(
    "email_generic",
    "Adresse générique d'un organisme (contact@, accueil@, ce.0312345x@ac-….fr) : ce n'est pas la "
    "donnée d'une personne, la prospection y est libre ; une opposition enregistrée reste "
    "respectée.",
    "CNIL, « La prospection commerciale par courrier électronique » (adresses génériques de "
    "personnes morales)",
)

# --- every channel: objection --------------------------------------------------------------------
OBJECTION = Rule(
    "objection",
    "Opposition enregistrée (« ne pas contacter », désinscription, demande d'effacement) : le "
    "contact est exclu de chaque canal qu'elle vise, dans toute extraction ultérieure et quel que "
    "soit l'expéditeur ; elle l'emporte sur tout consentement antérieur.",
    "RGPD, art. 21 (droit d'opposition) et art. 17 (effacement) ; Code des postes et des "
    "communications électroniques, art. L34-5",
)

# --- post and phone for professionals ---------------------------------------------------------
POST_OPTOUT = Rule(
    "post_optout",
    "Prospection par courrier postal : permise sans consentement préalable (intérêt légitime), "
    "sauf opposition de la personne.",
    "RGPD, art. 6.1.f et art. 21 ; CNIL, référentiel « gestion commerciale » (2021)",
)
PHONE_B2B = Rule(
    "phone_b2b",
    "Démarchage téléphonique d'un professionnel pour son activité : ni Bloctel ni consentement "
    "préalable ne s'appliquent (ces règles protègent les consommateurs) ; droit d'opposition.",
    "Code de la consommation, art. L223-1 ; RGPD, art. 21",
)
PHONE_CONTRACT = Rule(
    "phone_contract",
    "Appel d'un client particulier au sujet de son contrat en cours (un séjour réservé à venir) : "
    "permis sans consentement et malgré Bloctel, pour un objet en rapport avec ce contrat.",
    "Code de la consommation, art. L223-1",
)

# --- data quality: not law, but each exclusion names its rule --------------------------------
QUALITY_EMAIL = Rule(
    "quality_email", "Pas d'e-mail valide (absent ou syntaxe invalide) : canal inutilisable.",
    "Qualification du fichier (contrôle de la syntaxe et du domaine de l'e-mail)")
QUALITY_EMAIL_TYPO = Rule(
    "quality_email_typo",
    "E-mail au domaine mal orthographié (ex. gmial.com) : à corriger avant tout envoi.",
    "Qualification du fichier (comparaison avec les domaines de messagerie courants)")
QUALITY_PHONE = Rule(
    "quality_phone", "Pas de numéro de téléphone valide : canal inutilisable.",
    "Qualification du fichier (contrôle du numéro selon le plan de numérotation de l'Arcep)")
QUALITY_ADDRESS = Rule(
    "quality_address", "Adresse postale incomplète ou invalide : courrier non distribuable.",
    "Qualification du fichier (norme AFNOR NF Z 10-011)")
QUALITY_NPAI = Rule(
    "quality_npai", "Courrier revenu « n'habite pas à l'adresse indiquée » (NPAI) cette année.",
    "Retours de courrier NPAI que le centre transmet au siège")

# --- retention ---------------------------------------------------------------------------------
RETENTION_YEARS = 3
RETENTION = Rule(
    "retention",
    "Conservation des données d'un client ou d'un prospect : 3 ans après la fin de la relation "
    "commerciale (dernier séjour pour un client, dernier contact pour un prospect), puis "
    "suppression ou anonymisation.",
    "RGPD, art. 5.1.e ; CNIL, référentiel « gestion commerciale » (délibération n° 2021-131 "
    "du 23 septembre 2021)",
)


def retention_cutoff(reference_date: dt.date | pd.Timestamp) -> pd.Timestamp:
    """Records whose last activity is before this date have outlived the retention period."""
    return pd.Timestamp(reference_date) - pd.DateOffset(years=RETENTION_YEARS)


RULES: tuple[Rule, ...] = (
    EMAIL_B2C_CONSENT, EMAIL_SOFT_OPTIN, EMAIL_B2B, EMAIL_GENERIC, OBJECTION, POST_OPTOUT,
    PHONE_BLOCTEL, PHONE_CONSENT, PHONE_B2B, PHONE_CONTRACT, CALLING_HOURS, RETENTION,
    QUALITY_EMAIL, QUALITY_EMAIL_TYPO, QUALITY_PHONE, QUALITY_ADDRESS, QUALITY_NPAI,
    BLOCTEL_PRINCIPLES, PHONE_LAW_2020, PHONE_CONSENT_DUTIES, PHONE_PENALTIES,
)
"""Every rule of the book (the legal ones first)."""
LEGAL_RULES: tuple[Rule, ...] = RULES[:12]
RULES_BY_NAME: dict[str, Rule] = {r.name: r for r in RULES}
RULE_LABELS: dict[str, str] = {
    "email_b2c_consent": "particulier avec consentement (e-mail)",
    "email_soft_optin": "client du centre, soft opt-in (e-mail)",
    "email_b2b": "professionnel, droit d'opposition (e-mail)",
    "email_generic": "adresse générique d'organisme (e-mail)",
    "objection": "opposition enregistrée",
    "post_optout": "courrier, droit d'opposition",
    "phone_bloctel": "particulier hors Bloctel (téléphone, jusqu'au 10/08/2026)",
    "phone_consent": "particulier avec consentement préalable (téléphone, depuis le 11/08/2026)",
    "phone_b2b": "professionnel (téléphone)",
    "phone_contract": "client avec un séjour réservé à venir (téléphone)",
    "calling_hours": "jours et heures d'appel",
    "retention": "durée de conservation",
    "quality_email": "e-mail absent ou invalide",
    "quality_email_typo": "domaine d'e-mail mal orthographié",
    "quality_phone": "téléphone absent ou invalide",
    "quality_address": "adresse postale incomplète",
    "quality_npai": "NPAI",
    "bloctel_principles": "principes de Bloctel (2016-2026)",
    "phone_law_2020": "loi du 24 juillet 2020 (démarchage téléphonique)",
    "phone_consent_duties": "obligations liées au consentement (téléphone, depuis le 11/08/2026)",
    "phone_penalties": "sanctions du démarchage illicite",
}

# --- channels, senders, decisions ----------------------------------------------------------
CHANNELS = ("courrier", "email", "telephone")
CHANNEL_LABELS = {"courrier": "courrier", "email": "e-mail", "telephone": "téléphone"}
NETWORK_SENDER = "NETWORK"
"""The sender of a network campaign (the head office); any other sender is a centre code."""
PURPOSE_CONTRACT = "sejour_en_cours"
"""Purpose of a call about a booked stay to come (the contract-in-progress exception)."""

#: Exclusion reasons (key -> French label, rule), in the order they are tested.
REASONS: dict[str, tuple[str, Rule]] = {
    "retention_expired": ("Durée de conservation dépassée (RGPD)", RETENTION),
    "npai": ("NPAI : n'habite plus à l'adresse indiquée", QUALITY_NPAI),
    "no_address": ("Adresse postale incomplète ou invalide", QUALITY_ADDRESS),
    "no_email": ("E-mail absent ou invalide", QUALITY_EMAIL),
    "email_unusable": ("E-mail inutilisable (domaine mal orthographié)", QUALITY_EMAIL_TYPO),
    "no_phone": ("Téléphone absent ou invalide", QUALITY_PHONE),
    "objection": ("Opposition enregistrée sur ce canal", OBJECTION),
    "no_email_consent": ("Particulier sans consentement à la prospection par e-mail de cet "
                         "expéditeur", EMAIL_B2C_CONSENT),
    "soft_optin_not_told": ("Client particulier du centre non informé à la collecte "
                            "(soft opt-in inapplicable)", EMAIL_SOFT_OPTIN),
    "bloctel": ("Particulier inscrit sur Bloctel (démarchage interdit jusqu'au 10 août 2026)",
                PHONE_BLOCTEL),
    "no_phone_consent": ("Particulier sans consentement préalable au démarchage téléphonique "
                         "(loi du 30 juin 2025, depuis le 11 août 2026)", PHONE_CONSENT),
}

_TRUE_WORDS = frozenset({"1", "1.0", "o", "oui", "y", "yes", "true", "vrai", "x", "t"})
_FALSE_WORDS = frozenset({"", "0", "0.0", "n", "non", "no", "false", "faux", "f", "nan", "none"})


def _yes_no(values: pd.Series | None, index: pd.Index, says_yes) -> pd.Series:
    """True/False per row: booleans kept, text trimmed and lower-cased then read by
    ``says_yes``, no column at all = False."""
    if values is None:
        return pd.Series(False, index=index)
    if values.dtype == bool:
        return values
    txt = values.astype("string").str.strip().str.lower()
    return says_yes(txt).fillna(False).astype(bool)


def flag(values: pd.Series | None, index: pd.Index) -> pd.Series:
    """A yes/no column as centres write it (1/oui/O/x/true), missing = False."""
    return _yes_no(values, index, lambda txt: txt.isin(_TRUE_WORDS))


def recorded(values: pd.Series | None, index: pd.Index) -> pd.Series:
    """An objection (or notice) recorded as a flag or as a date: True when one is written.

    ``oui``/``1``/``x``/``true`` or any date (``12/03/2024``, ``2024-03-12``) count; empty,
    ``non``/``0``/``false`` do not. Any other text counts too: a centre that writes something
    in an objection column means an objection (the safe reading).
    """
    return _yes_no(values, index, lambda txt: ~txt.isin(_FALSE_WORDS) & txt.notna())


# --- generic organisation addresses ------------------------------------------------------------
GENERIC_LOCAL_PARTS = (
    "contact", "contacts", "accueil", "info", "infos", "information", "informations", "secretariat",
    "secretariat.direction", "direction", "reservation", "reservations", "resa", "admin",
    "administration", "bonjour", "hello", "office", "mairie", "ce", "cse", "comite", "compta",
    "comptabilite", "commercial", "service", "services", "sejours", "groupes", "ecole",
    "college", "lycee", "club", "association", "asso", "bureau", "president", "presidence",
    "tresorier", "gestion", "general", "mail", "courrier", "ecrire", "communication",
)
_GENERIC_RE = (
    r"^(?:(?:" + "|".join(sorted(GENERIC_LOCAL_PARTS, key=len, reverse=True)) + r")[._-]?\d*"
    r"|(?:ce[._-])?\d{7}[a-z])@"
)


def generic_email(emails: pd.Series) -> pd.Series:
    """True for an organisation's generic address, not a person's (vectorised).

    A local part that names a function or a service (``contact@``, ``accueil@``, ``info@``,
    ``secretariat@``, ``contact2@``…) or a school's official address built on its UAI number
    (``ce.0312345x@ac-toulouse.fr``, ``0312345x@ac-…``).
    """
    txt = emails.astype("string").str.strip().str.lower()
    return txt.str.contains(_GENERIC_RE, regex=True).fillna(False).astype(bool)


# --- the decision per contact, channel and sender ----------------------------------------------
def _steps_email(f: pd.DataFrame, sender: str) -> list[tuple[pd.Series, str | None, Rule]]:
    private = f["kind"].eq("B2C") | (~f["kind"].eq("B2B") & ~f["generic_email"])
    centre = sender != NETWORK_SENDER
    return [
        (f["retention_expired"], "retention_expired", RETENTION),
        (~f["email_valid"], "no_email", QUALITY_EMAIL),
        (f["email_typo"], "email_unusable", QUALITY_EMAIL_TYPO),
        (f["objection_email"], "objection", OBJECTION),
        (~private & f["generic_email"], None, EMAIL_GENERIC),
        (~private, None, EMAIL_B2B),
        (f["optin_email"], None, EMAIL_B2C_CONSENT),
        (f["sender_client"] & f["sender_told"] & centre, None, EMAIL_SOFT_OPTIN),
        (f["sender_client"] & centre, "soft_optin_not_told", EMAIL_SOFT_OPTIN),
        (pd.Series(True, index=f.index), "no_email_consent", EMAIL_B2C_CONSENT),
    ]


def _steps_phone(f: pd.DataFrame, reference_date: dt.date, purpose: str | None
                 ) -> list[tuple[pd.Series, str | None, Rule]]:
    booked = f["booked"] & (purpose == PURPOSE_CONTRACT)
    law = phone_rule(reference_date)
    if law is PHONE_BLOCTEL:
        last = [(f["bloctel"], "bloctel", PHONE_BLOCTEL)]
    else:
        last = [(f["optin_phone"], None, PHONE_CONSENT)]
    fallback = None if law is PHONE_BLOCTEL else "no_phone_consent"
    return [
        (f["retention_expired"], "retention_expired", RETENTION),
        (~f["phone_valid"], "no_phone", QUALITY_PHONE),
        (f["objection_phone"], "objection", OBJECTION),
        (f["kind"].eq("B2B"), None, PHONE_B2B),  # unknown kind: treated as a private person
        (booked, None, PHONE_CONTRACT),
        *last,
        (pd.Series(True, index=f.index), fallback, law),
    ]


def _steps_post(f: pd.DataFrame) -> list[tuple[pd.Series, str | None, Rule]]:
    return [
        (f["retention_expired"], "retention_expired", RETENTION),
        (f["npai"], "npai", QUALITY_NPAI),
        (~f["address_valid"], "no_address", QUALITY_ADDRESS),
        (f["objection_post"], "objection", OBJECTION),
        (pd.Series(True, index=f.index), None, POST_OPTOUT),
    ]


#: Facts each channel's decision reads (booleans, plus ``kind``: "B2B", "B2C" or missing).
FACTS: dict[str, tuple[str, ...]] = {
    "email": ("kind", "retention_expired", "email_valid", "email_typo", "generic_email",
              "objection_email", "optin_email", "sender_client", "sender_told"),
    "telephone": ("kind", "retention_expired", "phone_valid", "objection_phone", "booked",
                  "bloctel", "optin_phone"),
    "courrier": ("retention_expired", "npai", "address_valid", "objection_post"),
}


def decide(facts: pd.DataFrame, channel: str, sender: str = NETWORK_SENDER,
           reference_date: dt.date | pd.Timestamp | None = None,
           purpose: str | None = None) -> pd.DataFrame:
    """Whether each contact may be prospected on ``channel`` by ``sender``, and why.

    ``facts`` holds the columns of :data:`FACTS` for the channel (one row per contact).
    Returns a frame on the same index: ``allowed`` (bool), ``reason`` (the exclusion key of
    :data:`REASONS`, missing when allowed) and ``rule`` (name of the :class:`Rule` that decided,
    for kept and excluded contacts alike). The first rule that applies decides, in the order
    data quality, retention, objection, then the law for the contact's kind and the sender.
    """
    missing = [c for c in FACTS[channel] if c not in facts]
    if missing:
        raise ValueError(f"decide({channel}) : colonnes manquantes {missing}")
    if channel == "email":
        steps = _steps_email(facts, sender)
    elif channel == "telephone":
        ref = pd.Timestamp(reference_date if reference_date is not None else dt.date.today()).date()
        steps = _steps_phone(facts, ref, purpose)
    else:
        steps = _steps_post(facts)
    n = len(facts)
    decided = np.zeros(n, dtype=bool)
    reason = np.full(n, None, dtype=object)
    rule = np.full(n, None, dtype=object)
    for mask, key, r in steps:
        m = np.asarray(mask, dtype=bool) & ~decided
        reason[m] = key
        rule[m] = r.name
        decided |= m
    return pd.DataFrame({"allowed": pd.isna(reason), "reason": reason, "rule": rule},
                        index=facts.index)


def calling_hours_notice(reference_date: dt.date | pd.Timestamp) -> str:
    """The phone rule in force and the calling days and hours, with their sources (one line)."""
    rule = phone_rule(reference_date)
    return (f"{rule.text} {CALLING_HOURS.text} (Sources : {rule.source} ; "
            f"{CALLING_HOURS.source}.)")


# --- the processing register's wording ---------------------------------------------------------
def register_legal_basis() -> str:
    """The register's « Base légale » cell: each prospecting rule with its source."""
    lines = ["Exécution du contrat (séjours) ; intérêt légitime (statistiques, qualification)."]
    for r in (POST_OPTOUT, EMAIL_B2B, EMAIL_GENERIC, EMAIL_B2C_CONSENT, EMAIL_SOFT_OPTIN,
              PHONE_B2B, PHONE_BLOCTEL, PHONE_CONSENT, PHONE_CONTRACT, CALLING_HOURS):
        lines.append(f"{r.text} ({r.source})")
    return "\n".join(lines)


def register_rights() -> str:
    """The register's « Droits » cell."""
    return ("Accès, rectification, effacement (fichier des demandes, appliqué à tout le réseau et "
            "journalisé sans donnée personnelle), limitation, portabilité. "
            f"{OBJECTION.text} ({OBJECTION.source})")
