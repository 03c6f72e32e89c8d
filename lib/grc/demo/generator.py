"""Demo network generator (``grc generate``).

Writes, from a seed, a network of centres with one correspondence table each, yearly raw
exports in several booking-software dialects, a Bloctel list, NPAI returns, a network config,
and a separate ground truth (``truth/``) that no pipeline step reads: the entity behind every
record and every planted defect.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from grc.demo.cases import CASE_COLUMNS, Planted, plant_cases
from grc.qualify.reference import load_demo_communes

# --- segments: weight in the base, B2B/B2C, seasonality and group sizes ------------------------
SEGMENTS: dict[str, dict] = {
    "SCO-MAT": {"w": 4, "kind": "B2B", "months": {4: 3, 5: 4, 6: 4, 3: 1}, "persons": (20, 45), "nights": (1, 3)},
    "SCO-PRIM": {"w": 16, "kind": "B2B", "months": {3: 2, 4: 3, 5: 5, 6: 6, 10: 1}, "persons": (22, 60), "nights": (2, 5)},
    "SCO-COL": {"w": 9, "kind": "B2B", "months": {1: 2, 2: 2, 3: 2, 4: 2, 5: 3, 6: 3, 9: 1, 10: 1}, "persons": (25, 90), "nights": (2, 5)},
    "SCO-LYC": {"w": 5, "kind": "B2B", "months": {1: 1, 2: 1, 3: 2, 4: 2, 5: 2, 9: 2, 10: 2}, "persons": (20, 70), "nights": (2, 4)},
    "SCO-SUP": {"w": 2, "kind": "B2B", "months": {2: 1, 3: 2, 4: 2, 9: 2, 10: 2, 11: 1}, "persons": (15, 50), "nights": (1, 3)},
    "JEU-ACM": {"w": 8, "kind": "B2B", "months": {7: 6, 8: 5, 2: 2, 4: 2, 10: 2}, "persons": (12, 50), "nights": (4, 12)},
    "SPO-CLUB": {"w": 8, "kind": "B2B", "months": {2: 2, 4: 2, 7: 3, 8: 3, 10: 2, 12: 1}, "persons": (10, 40), "nights": (1, 6), "weekend": 0.6},
    "SPO-FED": {"w": 2, "kind": "B2B", "months": {1: 1, 3: 1, 5: 1, 6: 1, 9: 1, 11: 1}, "persons": (15, 80), "nights": (1, 3), "weekend": 0.7},
    "CUL-ASSO": {"w": 4, "kind": "B2B", "months": {3: 1, 4: 1, 5: 2, 6: 2, 9: 1, 10: 1, 11: 1}, "persons": (10, 45), "nights": (1, 3), "weekend": 0.6},
    "SOC-ASSO": {"w": 4, "kind": "B2B", "months": {4: 1, 6: 1, 7: 3, 8: 3, 10: 1}, "persons": (8, 40), "nights": (3, 10)},
    "PRO-SEM": {"w": 6, "kind": "B2B", "months": {m: 1 for m in (1, 2, 3, 4, 5, 6, 9, 10, 11, 12)}, "persons": (8, 60), "nights": (1, 3), "weekday": True},
    "PRO-INST": {"w": 4, "kind": "B2B", "months": {m: 1 for m in (1, 2, 3, 4, 5, 6, 9, 10, 11, 12)}, "persons": (10, 50), "nights": (1, 3), "weekday": True},
    "INT-GRP": {"w": 3, "kind": "B2B", "months": {4: 2, 5: 2, 6: 2, 7: 3, 8: 2, 9: 1}, "persons": (12, 45), "nights": (2, 7)},
    "IND-FAM": {"w": 11, "kind": "B2C", "months": {2: 2, 4: 2, 7: 5, 8: 5, 10: 2, 12: 2}, "persons": (3, 6), "nights": (2, 7)},
    "IND-JEU": {"w": 5, "kind": "B2C", "months": {m: 1 for m in range(1, 13)} | {7: 3, 8: 3}, "persons": (1, 2), "nights": (1, 4)},
    "IND-ADU": {"w": 9, "kind": "B2C", "months": {m: 1 for m in range(1, 13)} | {5: 2, 6: 2, 9: 2}, "persons": (1, 2), "nights": (1, 5)},
}
PRICE_PER_NIGHT = {"B2B": (28.0, 48.0), "B2C": (32.0, 65.0)}
PRODUCTS = {
    "SCO-MAT": ["Classe de découverte nature", "Classe poney"],
    "SCO-PRIM": ["Classe de découverte nature", "Classe patrimoine", "Classe de mer", "Classe sport"],
    "SCO-COL": ["Séjour sportif", "Classe patrimoine", "Séjour linguistique"],
    "SCO-LYC": ["Séjour sportif", "Voyage d'étude", "Intégration"],
    "SCO-SUP": ["Week-end d'intégration", "Séminaire étudiant"],
    "JEU-ACM": ["Colonie pension complète", "Mini-camp"],
    "SPO-CLUB": ["Stage sportif", "Hébergement tournoi"],
    "SPO-FED": ["Stage sportif", "Hébergement tournoi", "Séminaire"],
    "CUL-ASSO": ["Week-end chorale", "Résidence artistique"],
    "SOC-ASSO": ["Séjour adapté", "Vacances familles pension complète"],
    "PRO-SEM": ["Séminaire résidentiel", "Journée d'étude", "Formation"],
    "PRO-INST": ["Séminaire résidentiel", "Journée d'étude"],
    "INT-GRP": ["Échange de jeunes", "Circuit groupe"],
    "IND-FAM": ["Nuitée famille", "Demi-pension famille"],
    "IND-JEU": ["Nuitée individuelle", "Nuitée dortoir"],
    "IND-ADU": ["Nuitée individuelle", "Demi-pension"],
}

FIRST_F = ["Élise", "Marie", "Sophie", "Hélène", "Céline", "Nathalie", "Isabelle", "Claire", "Anne",
           "Camille", "Julie", "Léa", "Chloé", "Manon", "Émilie", "Sandrine", "Valérie", "Agnès",
           "Françoise", "Brigitte", "Aurélie", "Laëtitia", "Maëlle", "Océane", "Joëlle", "Mélanie",
           "Stéphanie", "Véronique", "Catherine", "Christine", "Pauline", "Margaux", "Inès", "Zoé"]
FIRST_M = ["Jean", "Pierre", "François", "Éric", "Stéphane", "Nicolas", "Julien", "Thomas", "Olivier",
           "Christophe", "Philippe", "Laurent", "Sébastien", "Jérôme", "Frédéric", "Benoît", "Hervé",
           "Loïc", "Gaël", "Noël", "Mathieu", "Antoine", "Hugo", "Lucas", "Maxime", "Rémi", "Thierry",
           "Didier", "Patrick", "Alain", "Michel", "Yves", "Bruno", "Cédric"]
LAST = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
        "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
        "Vincent", "Fournier", "Morel", "Girard", "André", "Lefebvre", "Mercier", "Dupont", "Lambert",
        "Bonnet", "François", "Martinez", "Legrand", "Garnier", "Faure", "Rousseau", "Blanc",
        "Guérin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin", "Morin", "Mathieu", "Clément",
        "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin", "Masson", "Sanchez",
        "Gérard", "Nguyen", "Boyer", "Denis", "Lemaire", "Duval", "Joly", "Gautier", "Roger",
        "Roche", "Roy", "Noël", "Meyer", "Lucas", "Meunier", "Jean", "Pérez", "Marchand", "Dufour",
        "Blanchard", "Marie", "Barbier", "Brun", "Dumas", "Brunet", "Schmitt", "Leroux", "Colin",
        "Fernandez", "Pierre", "Renard", "Arnaud", "Rolland", "Caron", "Aubert", "Giraud", "Leclerc",
        "Vidal", "Bourgeois", "Renaud", "Lemoine", "Picard", "Gaillard", "Philippe", "Leclercq",
        "Lacroix", "Fabre", "Dupuis", "Olivier", "Rodriguez", "Da Silva", "Hubert", "Louis",
        "Charles", "Guillot", "Rivière", "Le Gall", "Guillaume", "Adam", "Rey", "Moulin", "Gonzalez",
        "Berger", "Lecomte", "Ménard", "Fleury", "Deschamps", "Carpentier", "Julien", "Benoît",
        "Paris", "Maillard", "Marchal", "Aubry", "Vasseur", "Le Roux", "Renault", "Jacquet",
        "Collet", "Prévost", "Poirier", "Charpentier", "Royer", "Huet", "Baron", "Dupuy", "Pons",
        "Paul", "Laine", "Carré", "Breton", "Rémy", "Schneider", "Perrot", "Guyot", "Barre",
        "Marty", "Cousin", "de La Fontaine", "Le Cœur", "d'Argent", "Saint-Martin", "Lebœuf"]
STREETS = ["rue de la République", "rue Victor Hugo", "avenue Jean Jaurès", "rue Pasteur",
           "boulevard Gambetta", "place de la Mairie", "rue de l'Église", "chemin des Vignes",
           "allée des Tilleuls", "rue du Général de Gaulle", "avenue de la Gare", "rue des Écoles",
           "impasse des Lilas", "route de Paris", "rue Jules Ferry", "rue du Moulin",
           "boulevard Voltaire", "rue Saint-Exupéry", "square Molière", "quai de la Loire",
           "rue des Jardins", "faubourg Saint-Antoine", "rue Anatole France", "avenue Foch"]
SCHOOL_NAMES = ["Jules Ferry", "Jean Moulin", "Victor Hugo", "Louis Pasteur", "Jean Jaurès",
                "Marie Curie", "Jacques Prévert", "Paul Bert", "Condorcet", "Les Tilleuls",
                "Jean de La Fontaine", "Albert Camus", "Antoine de Saint-Exupéry", "Simone Veil",
                "Pierre et Marie Curie", "Les Marronniers", "Voltaire", "Montaigne"]
ORG_PATTERNS = {
    "SCO-MAT": "École maternelle {n}", "SCO-PRIM": "École élémentaire {n}",
    "SCO-COL": "Collège {n}", "SCO-LYC": "Lycée {n}", "SCO-SUP": "IUT de {t}",
    "JEU-ACM": "Centre de loisirs de {t}", "SPO-CLUB": "{s} Club {t}",
    "SPO-FED": "Comité départemental de {s2}", "CUL-ASSO": "{c} de {t}",
    "SOC-ASSO": "{a} {t}", "PRO-SEM": "{e} SAS", "PRO-INST": "{i} de {t}",
    "INT-GRP": "{g}",
}
SPORTS = ["Football", "Rugby", "Handball", "Judo", "Basket", "Athlétisme", "Natation", "Escalade"]
CULT = ["Chorale", "Harmonie municipale", "Troupe de théâtre", "Association culturelle", "École de musique"]
SOCIAL = ["Secours populaire", "Vacances et familles", "APF", "Association d'aide aux familles", "Foyer rural"]
ENTERPRISES = ["Dalmier", "Technival", "Boréal Conseil", "Agrinova", "Logistica", "Mécaplus",
               "Solvéo", "Numérik", "Ferronnerie Leblanc", "Horizon Formation", "Arvéa", "Cimalp"]
INSTIT = ["Mairie", "Communauté de communes", "CSE Hôpital", "Conseil départemental", "CSE SNCF"]
GROUPS = ["Jugendgruppe Freiburg", "Scouts de Liège", "Youth Exchange Leeds", "Gruppo Giovani Torino",
          "Grupo Juvenil Bilbao", "Jeunesse de Genève", "Jugendchor Köln"]
POSITIONS = {"SCO": ["Directeur", "Directrice", "Enseignant", "Enseignante", "Professeur"],
             "PRO": ["Responsable RH", "Assistante de direction", "Chargé de formation", "Gérant"],
             "other": ["Président", "Présidente", "Trésorier", "Secrétaire", "Responsable"]}
EMAIL_DOMAINS = ["gmail.com", "orange.fr", "wanadoo.fr", "free.fr", "laposte.net", "hotmail.fr",
                 "yahoo.fr", "sfr.fr", "outlook.fr"]
EMAIL_TYPOS = {"gmail.com": "gmial.com", "orange.fr": "orange.fe", "hotmail.fr": "hotmial.fr",
               "wanadoo.fr": "wanadoo.rf", "laposte.net": "laposte.ne", "free.fr": "fre.fr",
               "yahoo.fr": "yaho.fr", "sfr.fr": "sfr.rf", "outlook.fr": "outlok.fr"}
# allocated 6-digit blocks (fixed, mobile) of each overseas department, completed by 4 digits
OVERSEAS_PREFIX = {"971": ("059099", "069012"), "972": ("059670", "069620"),
                   "973": ("059430", "069420"), "974": ("026221", "069212"),
                   "976": ("026961", "063901")}
# allocated metropolitan mobile ranges (06 and 07, without the overseas 063x/069x and 070–072)
MOBILE_PREFIXES = ["060", "061", "062", "064", "065", "066", "067", "068",
                   "073", "074", "075", "076", "077", "078", "079"]

# --- dialects of booking software ------------------------------------------------------------
DIALECTS: dict[str, dict] = {
    "hestia": {
        "contacts": {"file": "contacts.csv", "sep": ";", "encoding": "cp1252", "date_format": "%d/%m/%Y"},
        "stays": {"file": "sejours.csv", "sep": ";", "encoding": "cp1252", "decimal": ",", "date_format": "%d/%m/%Y"},
        "columns": {
            "contacts": {"NUM_CLI": "local_id", "CIV": "civility", "NOM": "last_name", "PRENOM": "first_name",
                         "ORGANISME": "organisation", "FONCTION": "position", "ADR1": "address1",
                         "ADR2": "address2", "ADR3": "address3", "CP": "postcode", "VILLE": "city",
                         "PAYS": "country", "TEL": "phone", "PORTABLE": "mobile", "EMAIL": "email",
                         "CATEGORIE": "segment", "OPTIN_MAIL": "optin_email", "OPTIN_TEL": "optin_phone",
                         "DATE_CREA": "created_at", "DATE_MODIF": "updated_at", "EFFECTIF": "employees"},
            "stays": {"NUM_CLI": "contact_local_id", "DATE_ARR": "arrival", "NUITS": "nights",
                      "NB_PERS": "persons", "MONTANT_TTC": "amount", "PRESTATION": "product"},
        },
        "ignore": {"contacts": ["OBSERVATIONS"], "stays": ["NUM_RESA"]},
        "codes": {"SCO-MAT": "ECOLE MAT", "SCO-PRIM": "ECOLE PRIM", "SCO-COL": "COLLEGE", "SCO-LYC": "LYCEE",
                  "SCO-SUP": "UNIV", "JEU-ACM": "CENTRE LOISIRS", "SPO-CLUB": "CLUB SPORT",
                  "SPO-FED": "FEDERATION", "CUL-ASSO": "ASSO CULT", "SOC-ASSO": "ASSO SOCIALE",
                  "PRO-SEM": "ENTREPRISE", "PRO-INST": "COLLECTIVITE", "INT-GRP": "GROUPE ETRANGER",
                  "IND-FAM": "FAMILLE", "IND-JEU": "JEUNE", "IND-ADU": "ADULTE"},
        "unknown": ["DIVERS", "CLASSE VERTE", "AUTRE"],
        "optin": ("O", "N"),
    },
    "groupbook": {
        "contacts": {"file": "clients.csv", "sep": ",", "encoding": "utf-8", "date_format": "%d-%m-%Y"},
        "stays": {"file": "bookings.csv", "sep": ",", "encoding": "utf-8", "decimal": ".", "date_format": "%d-%m-%Y"},
        "columns": {
            "contacts": {"client_id": "local_id", "title": "civility", "surname": "last_name",
                         "forename": "first_name", "company": "organisation", "job": "position",
                         "street": "address1", "street2": "address2", "zip": "postcode", "town": "city",
                         "country": "country", "phone": "phone", "cell": "mobile", "mail": "email",
                         "client_type": "segment", "newsletter": "optin_email", "phone_ok": "optin_phone",
                         "created": "created_at", "modified": "updated_at"},
            "stays": {"client_id": "contact_local_id", "checkin": "arrival", "nights": "nights",
                      "pax": "persons", "total": "amount", "package": "product"},
        },
        "ignore": {"contacts": [], "stays": ["booking_ref"]},
        "codes": {"SCO-MAT": "10", "SCO-PRIM": "11", "SCO-COL": "12", "SCO-LYC": "13", "SCO-SUP": "14",
                  "JEU-ACM": "20", "SPO-CLUB": "30", "SPO-FED": "31", "CUL-ASSO": "40", "SOC-ASSO": "41",
                  "PRO-SEM": "50", "PRO-INST": "51", "INT-GRP": "60", "IND-FAM": "70", "IND-JEU": "71",
                  "IND-ADU": "72"},
        "unknown": ["99", "15", "80"],
        "optin": ("1", "0"),
    },
    "sejourne": {
        "contacts": {"file": "export_contacts.csv", "sep": ";", "encoding": "utf-8-sig", "date_format": "%d/%m/%Y"},
        "stays": {"file": "export_sejours.csv", "sep": ";", "encoding": "utf-8-sig", "decimal": ",", "date_format": "%d/%m/%Y"},
        "columns": {
            "contacts": {"Code client": "local_id", "Civilité": "civility", "Nom": "last_name",
                         "Prénom": "first_name", "Structure": "organisation", "Fonction": "position",
                         "Adresse": "address1", "Complément": "address2", "Lieu-dit": "address3",
                         "Code postal": "postcode", "Commune": "city", "Pays": "country",
                         "Téléphone fixe": "phone", "Téléphone mobile": "mobile", "Courriel": "email",
                         "Type de clientèle": "segment", "Accord courriel": "optin_email",
                         "Accord téléphone": "optin_phone", "Créé le": "created_at",
                         "Modifié le": "updated_at", "Effectif": "employees",
                         "Opposition prospection": "objection"},
            "stays": {"Code client": "contact_local_id", "Arrivée": "arrival", "Nuitées": "nights",
                      "Participants": "persons", "Montant TTC": "amount", "Formule": "product",
                      "Note satisfaction": "satisfaction", "Questionnaire envoyé": "surveyed"},
        },
        "ignore": {"contacts": [], "stays": ["Départ"]},
        "codes": {"SCO-MAT": "MAT", "SCO-PRIM": "PRIM", "SCO-COL": "COL", "SCO-LYC": "LYC", "SCO-SUP": "SUP",
                  "JEU-ACM": "ACM", "SPO-CLUB": "CLUB", "SPO-FED": "FED", "CUL-ASSO": "CULT", "SOC-ASSO": "SOC",
                  "PRO-SEM": "ENT", "PRO-INST": "COLL", "INT-GRP": "INTER", "IND-FAM": "FAM", "IND-JEU": "JEU",
                  "IND-ADU": "ADU"},
        "unknown": ["DIV", "PART", "VIP"],
        "optin": ("oui", "non"),
    },
    "resaxl": {
        "contacts": {"file": "clients.xlsx", "sheet": "Clients", "date_format": "%d/%m/%Y"},
        "stays": {"file": "sejours.xlsx", "sheet": "Séjours", "date_format": "%d/%m/%Y"},
        "columns": {
            "contacts": {"ID": "local_id", "Civ.": "civility", "Nom contact": "last_name",
                         "Prénom contact": "first_name", "Raison sociale": "organisation",
                         "Adresse 1": "address1", "Adresse 2": "address2", "CP": "postcode",
                         "Ville": "city", "Pays": "country", "Tél.": "phone", "Mobile": "mobile",
                         "E-mail": "email", "Segment": "segment", "Newsletter": "optin_email",
                         "Démarchage tél.": "optin_phone", "Création": "created_at",
                         "Mise à jour": "updated_at"},
            "stays": {"ID client": "contact_local_id", "Date d'arrivée": "arrival", "Nuits": "nights",
                      "Personnes": "persons", "Montant": "amount", "Produit": "product"},
        },
        "ignore": {"contacts": [], "stays": []},
        "codes": {"SCO-MAT": "Maternelle", "SCO-PRIM": "Primaire", "SCO-COL": "Collège", "SCO-LYC": "Lycée",
                  "SCO-SUP": "Supérieur", "JEU-ACM": "Accueil de loisirs", "SPO-CLUB": "Club sportif",
                  "SPO-FED": "Fédération sportive", "CUL-ASSO": "Culture", "SOC-ASSO": "Social",
                  "PRO-SEM": "Entreprise", "PRO-INST": "Collectivité", "INT-GRP": "International",
                  "IND-FAM": "Famille", "IND-JEU": "Jeune", "IND-ADU": "Adulte"},
        "unknown": ["Divers", "Partenaire"],
        "optin": ("x", ""),
    },
}
DIALECT_ORDER = ["hestia", "groupbook", "sejourne", "resaxl"]

# --- defect rates (per record and year, drawn once per record where the defect persists) -----
RATES = {
    "duplicate": 0.04,          # the same client typed twice by the same centre
    "invalid_email": 0.03,
    "email_typo": 0.02,
    "invalid_phone": 0.03,
    "invalid_postcode": 0.02,
    "incomplete_address": 0.02,
    "missing_name": 0.005,
    "unknown_code": 0.01,
    "duplicate_local_id": 0.003,  # a row exported twice
    "npai": 0.015,
    "bloctel": 0.10,              # share of B2C phones on the opposition list
    "moved": 0.05,                # clients who move between two years
    "vanish": 0.02,               # records deleted from a centre's software
    "fix": 0.5,                   # share of defects fixed by the centre the next year
}


@dataclass
class Entity:
    eid: str
    segment: str
    kind: str
    civility: str
    first: str
    last: str
    org: str | None
    position: str | None
    employees: int | None
    street: str
    addr2: str | None
    commune: int  # row in communes
    phone: str | None
    mobile: str | None
    email: str | None
    optin_email: bool
    optin_phone: bool
    first_year: int
    centres: list[str]
    churn: float
    moves: dict[int, tuple[str, int]] = field(default_factory=dict)


def _code_for(name: str, used: set[str]) -> str:
    import unicodedata

    letters = "".join(c for c in unicodedata.normalize("NFKD", name).upper() if c.isalpha())
    letters = letters.replace("SAINT", "S")
    for cand in [letters[:3], letters[0] + letters[2:4], letters[0] + letters[-2:],
                 letters[:2] + letters[-1]]:
        if len(cand) == 3 and cand not in used:
            used.add(cand)
            return cand
    i = 1
    while f"{letters[:2]}{i}" in used:
        i += 1
    used.add(f"{letters[:2]}{i}")
    return f"{letters[:2]}{i}"


def _de(town: str) -> str:
    """French "de" with elision: "de Lyon", "d'Alès", "du Mans"."""
    if town.startswith("Le "):
        return "du " + town[3:]
    if town.startswith("Les "):
        return "des " + town[4:]
    if _ascii(town[:1]).upper() in "AEIOUYH":
        return "d'" + town
    return "de " + town


def _haversine(lat1, lon1, lat2, lon2):
    r = 6371.0
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * r * np.arcsin(np.sqrt(a))


def _phone_national(rng: np.random.Generator, mobile: bool, dep: str) -> str:
    if dep in OVERSEAS_PREFIX:
        pre = OVERSEAS_PREFIX[dep][1 if mobile else 0]
        return pre + "".join(str(d) for d in rng.integers(0, 10, 4))
    if mobile:
        return str(rng.choice(MOBILE_PREFIXES)) + "".join(str(d) for d in rng.integers(0, 10, 7))
    zone = {"1": "01", "2": "02", "3": "03", "4": "04", "5": "05"}
    d0 = dep[0] if dep[0].isdigit() else "4"
    z = {"7": "01", "9": "01", "6": "04", "8": "03", "0": "03"}.get(d0, zone.get(d0, "02"))
    return z + str(rng.integers(1, 10)) + "".join(str(d) for d in rng.integers(0, 10, 7))


def write_phone(rng: np.random.Generator, national: str) -> str:
    """One of the common French writings of a valid national number."""
    n = national
    pairs = " ".join(n[i:i + 2] for i in range(0, 10, 2))
    style = rng.choice(8, p=[0.35, 0.15, 0.15, 0.1, 0.08, 0.07, 0.05, 0.05])
    if n[:3] in ("059", "069", "026", "063") and style in (2, 3, 4, 5):
        style = 0  # overseas numbers: keep national writings
    return [
        pairs,
        n,
        "+33 " + n[1] + " " + " ".join(n[i:i + 2] for i in range(2, 10, 2)),
        "0033" + n[1:],
        "+33 (0)" + n[1] + " " + " ".join(n[i:i + 2] for i in range(2, 10, 2)),
        "+33" + n[1:],
        ".".join(n[i:i + 2] for i in range(0, 10, 2)),
        n[1:],  # leading zero dropped by a spreadsheet
    ][style]


def _ascii(s: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


class Generator:
    """Builds the demo network in memory, then writes it."""

    def __init__(self, centres: int = 50, contacts: int = 6000, years: tuple[int, int] = (2022, 2025),
                 seed: int = 0):
        self.n_centres = centres
        self.n_contacts = contacts
        self.years = list(range(years[0], years[1] + 1))
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.communes = load_demo_communes().reset_index(drop=True)
        self.truth_records: list[dict] = []
        self.truth_defects: list[dict] = []

    # -- network -------------------------------------------------------------------------------
    def make_centres(self) -> pd.DataFrame:
        c = self.communes[~self.communes["department"].str.startswith("97")].copy()
        c = c.sort_values(["region", "department", "postcode", "city"]).reset_index(drop=True)
        # spread: round-robin over regions, then departments
        picks: list[int] = []
        by_region = {r: list(g.index) for r, g in c.groupby("region", sort=True)}
        for lst in by_region.values():
            self.rng.shuffle(lst)
        while len(picks) < self.n_centres and any(by_region.values()):
            for r in sorted(by_region):
                if by_region[r] and len(picks) < self.n_centres:
                    picks.append(by_region[r].pop())
        used: set[str] = set()
        rows = []
        for i, idx in enumerate(sorted(picks, key=lambda j: (c.at[j, "region"], c.at[j, "city"]))):
            town = c.loc[idx]
            code = _code_for(town["city"], used)
            kind = ["Centre", "Auberge de jeunesse", "Village vacances", "Centre international de séjour"][i % 4]
            rows.append({
                "code": code, "name": f"{kind} {_de(town['city'])}", "postcode": town["postcode"],
                "city": town["city"], "department": town["department"], "region": town["region"],
                "lat": float(town["lat"]), "lon": float(town["lon"]),
                "capacity": int(self.rng.integers(4, 26) * 10),
                "dialect": DIALECT_ORDER[i % len(DIALECT_ORDER)],
            })
        return pd.DataFrame(rows)

    def make_entities(self, centres: pd.DataFrame) -> list[Entity]:
        segs = list(SEGMENTS)
        w = np.array([SEGMENTS[s]["w"] for s in segs], float)
        w /= w.sum()
        ents: list[Entity] = []
        for i in range(self.n_contacts):
            seg = segs[self.rng.choice(len(segs), p=w)]
            ents.append(self._entity(self.rng, f"E{i:06d}", i, seg, centres))
        return ents

    def _entity(self, rng: np.random.Generator, eid: str, i: int, seg: str,
                centres: pd.DataFrame) -> Entity:
        """One client of segment ``seg`` drawn from ``rng`` (``i`` numbers its contact@)."""
        kind = SEGMENTS[seg]["kind"]
        cm = self.communes
        metro = cm.index.to_numpy()
        clat, clon = centres["lat"].to_numpy(), centres["lon"].to_numpy()
        cap = centres["capacity"].to_numpy(float)
        commune = int(rng.choice(metro))
        town = cm.loc[commune]
        fem = rng.random() < 0.55
        first = str(rng.choice(FIRST_F if fem else FIRST_M))
        last = str(rng.choice(LAST))
        org = None
        if kind == "B2B":
            pat = ORG_PATTERNS[seg]
            org = pat.format(n=rng.choice(SCHOOL_NAMES), t=town["city"], s=rng.choice(SPORTS),
                             s2=rng.choice(SPORTS), c=rng.choice(CULT), a=rng.choice(SOCIAL),
                             e=rng.choice(ENTERPRISES), i=rng.choice(INSTIT), g=rng.choice(GROUPS))
        fam = seg.split("-")[0]
        position = (str(rng.choice(POSITIONS.get(fam, POSITIONS["other"])))
                    if kind == "B2B" and rng.random() < 0.7 else None)
        employees = (int(rng.choice([5, 15, 35, 70, 150, 300, 700, 2000, 6000],
                                    p=[.2, .2, .2, .12, .1, .08, .05, .03, .02]))
                     if seg in ("PRO-SEM", "PRO-INST") else None)
        street = f"{rng.integers(1, 120)} {rng.choice(STREETS)}"
        addr2 = (str(rng.choice(["Bâtiment B", "Résidence les Pins", "BP 12", "Appartement 4"]))
                 if rng.random() < 0.12 else None)
        dep = town["department"]
        phone = _phone_national(rng, False, dep) if rng.random() < (0.8 if kind == "B2B" else 0.4) else None
        mobile = _phone_national(rng, True, dep) if rng.random() < (0.4 if kind == "B2B" else 0.8) else None
        local = _ascii(f"{first}.{last}").lower().replace(" ", "").replace("'", "")
        if kind == "B2B" and org:
            dom = _ascii(org).lower().replace(" ", "-").replace("'", "")[:20].strip("-") + ".fr"
            email = f"{local}@{dom}" if rng.random() < 0.5 else f"contact{i}@{dom}"
        else:
            email = f"{local}{rng.integers(1, 99)}@{rng.choice(EMAIL_DOMAINS)}"
        if rng.random() < 0.1:
            email = None
        # home centre near the client, capacity-weighted; some clients visit a second centre
        d = _haversine(town["lat"], town["lon"], clat, clon)
        pw = cap / (1 + (d / 150.0) ** 2)
        pw /= pw.sum()
        home = int(rng.choice(len(centres), p=pw))
        visited = [centres.at[home, "code"]]
        if rng.random() < (0.12 if kind == "B2B" else 0.06):
            other = int(rng.choice(len(centres), p=pw))
            if other != home:
                visited.append(centres.at[other, "code"])
        first_year = int(rng.choice(self.years, p=self._first_year_weights()))
        return Entity(
            eid=eid, segment=seg, kind=kind,
            civility="MME" if fem else "M", first=first, last=last, org=org, position=position,
            employees=employees, street=street, addr2=addr2, commune=commune, phone=phone,
            mobile=mobile, email=email, optin_email=bool(rng.random() < 0.65),
            optin_phone=bool(rng.random() < 0.35), first_year=first_year, centres=visited,
            churn=float(rng.uniform(0.1, 0.5)),
        )

    def _first_year_weights(self) -> np.ndarray:
        w = np.array([3.0] + [1.0] * (len(self.years) - 1))
        return w / w.sum()

    # -- writing -------------------------------------------------------------------------------
    def run(self, out: Path) -> dict:
        out = Path(out)
        centres = self.make_centres()
        ents = self.make_entities(centres)
        planted = plant_cases(self, centres)  # colleagues, households, namesakes… (issue 21)
        ents = ents + planted.entities
        self._plan_moves(ents)
        for sub in ("centres", "truth", "npai"):
            (out / sub).mkdir(parents=True, exist_ok=True)
        records, bloctel = self._local_records(ents, centres, planted)
        dialect_of = dict(zip(centres["code"], centres["dialect"], strict=True))
        for y in self.years:
            npai_rows: list[dict] = []
            for code in centres["code"]:
                self._write_centre_year(out, y, code, DIALECTS[dialect_of[code]], records[code],
                                        npai_rows)
            pd.DataFrame(npai_rows, columns=["centre", "local_id"]).to_csv(
                out / "npai" / f"npai_{y}.csv", index=False)
        self._write_network_files(out, centres, bloctel)
        self._write_truth(out, ents, planted)
        self._write_config(out)
        return {"centres": len(centres), "entities": len(ents),
                "records": sum(len(v) for v in records.values()), "years": self.years}

    def _plan_moves(self, ents: list[Entity]) -> None:
        """Moves between years: a new street and commune from a given year."""
        rng, cm = self.rng, self.communes
        for e in ents:
            for y in self.years[1:]:
                if rng.random() < RATES["moved"] / len(self.years):
                    nc = int(rng.choice(cm.index[cm["department"] == cm.at[e.commune, "department"]]
                                        if rng.random() < 0.6 else cm.index))
                    e.moves[y] = (f"{rng.integers(1, 120)} {rng.choice(STREETS)}", nc)

    def _local_records(self, ents: list[Entity], centres: pd.DataFrame, planted: Planted
                       ) -> tuple[dict[str, list[dict]], list[str]]:
        """Each centre's software: local records (entity, local_id, variant, defects), and
        the phone numbers registered on Bloctel."""
        rng = self.rng
        records: dict[str, list[dict]] = {c: [] for c in centres["code"]}
        counters = {c: 0 for c in centres["code"]}
        bloctel: list[str] = []
        for e in ents:
            for k, c in enumerate(e.centres):
                created_year = e.first_year if k == 0 else int(rng.choice([y for y in self.years if y >= e.first_year]))
                recs = [self._new_record(e, c, counters, created_year, variant=False)]
                planted.apply(recs[0], e.eid, c)
                if rng.random() < RATES["duplicate"]:
                    dup_year = int(rng.choice([y for y in self.years if y >= created_year]))
                    recs.append(self._new_record(e, c, counters, dup_year, variant=True))
                records[c].extend(recs)
            if e.kind == "B2C" and (e.phone or e.mobile) and rng.random() < RATES["bloctel"]:
                bloctel.append(write_phone(rng, e.mobile or e.phone))
        return records, bloctel

    def _write_centre_year(self, out: Path, y: int, code: str, d: dict, records: list[dict],
                           npai_rows: list[dict]) -> None:
        """One centre's export of year ``y`` (contacts and stays), with its truth rows."""
        rows, stays = [], []
        for r in records:
            if r["created_year"] > y or (r["vanish_year"] and r["vanish_year"] <= y):
                continue
            e = r["entity"]
            active = self._stays_for(e, code, y, r)
            rows.append(self._render(r, y, d, code))
            self._record_truth(r, y, code, e, npai_rows)
            for s in active:
                stays.append(self._render_stay(r, s, d))
        rows.extend(self._twin_rows(rows, y, code, d))
        self._write_export(out / "raw" / str(y) / code, d, rows, stays)

    def _record_truth(self, r: dict, y: int, code: str, e: Entity, npai_rows: list[dict]) -> None:
        """The truth of one exported record: its entity, its defects of year ``y``, NPAI."""
        self.truth_records.append({"year": y, "centre": code, "local_id": r["local_id"],
                                   "entity_id": e.eid, "duplicate_of_entity_record": r["variant"]})
        for defect in r["defects"]:
            if defect["from"] <= y and (defect["until"] is None or y < defect["until"]):
                self.truth_defects.append({"year": y, "centre": code, "local_id": r["local_id"],
                                           "field": defect["field"], "code": defect["code"]})
        if r["npai_year"] == y:
            npai_rows.append({"centre": code, "local_id": r["local_id"]})
            self.truth_defects.append({"year": y, "centre": code, "local_id": r["local_id"],
                                       "field": "address1", "code": "npai"})

    def _twin_rows(self, rows: list[dict], y: int, code: str, d: dict) -> list[dict]:
        """A local id exported twice (export bug): copies of some rows, listed in the truth."""
        n_dup = int(round(len(rows) * RATES["duplicate_local_id"]))
        twins = []
        for j in self.rng.choice(len(rows), size=min(n_dup, len(rows)), replace=False) if rows else []:
            twin = dict(rows[int(j)])
            idcol = next(k for k, v in d["columns"]["contacts"].items() if v == "local_id")
            self.truth_defects.append({"year": y, "centre": code, "local_id": twin[idcol],
                                       "field": "local_id", "code": "duplicate_local_id"})
            twins.append(twin)
        return twins

    def _write_network_files(self, out: Path, centres: pd.DataFrame, bloctel: list[str]) -> None:
        """Correspondence tables, the Bloctel list, the (empty) erasure requests, centres.csv."""
        for _, crow in centres.iterrows():
            self._write_table(out / "centres" / f"{crow['code']}.yaml", crow)
        (out / "bloctel.txt").write_text("\n".join(sorted(set(bloctel))) + "\n", encoding="utf-8")
        pd.DataFrame(columns=["centre", "local_id", "email"]).to_csv(out / "erasure_requests.csv", index=False)
        centres.drop(columns=["dialect"]).to_csv(out / "centres.csv", index=False)

    def _write_truth(self, out: Path, ents: list[Entity], planted: Planted) -> None:
        """The ground truth (``truth/``) that no pipeline step reads."""
        pd.DataFrame(self.truth_records).to_csv(out / "truth" / "records.csv", index=False)
        pd.DataFrame(self.truth_defects, columns=["year", "centre", "local_id", "field", "code"]).to_csv(
            out / "truth" / "defects.csv", index=False)
        entities = pd.DataFrame([{"entity_id": e.eid, "segment": e.segment, "kind": e.kind,
                                  "centres": ";".join(e.centres), "first_year": e.first_year,
                                  "email": e.email, "phone": e.phone, "mobile": e.mobile,
                                  "last_name": e.last, "first_name": e.first, "organisation": e.org}
                                 for e in ents])
        entities.to_csv(out / "truth" / "entities.csv", index=False)
        pd.DataFrame(planted.cases, columns=CASE_COLUMNS).to_csv(out / "truth" / "cases.csv", index=False)
        (out / "truth" / "README.md").write_text(
            "Vérité terrain du réseau de démonstration : entité de chaque enregistrement "
            "(records.csv), défauts introduits (defects.csv), clients (entities.csv), cas plantés "
            "de personnes et d'organisations (cases.csv : collègues, foyers, homonymes, adresse "
            "générique ; variantes d'une même personne).\n"
            "Aucune étape du traitement ne lit ce dossier.\n", encoding="utf-8")

    def _new_record(self, e: Entity, centre: str, counters: dict, created_year: int, variant: bool) -> dict:
        rng = self.rng
        counters[centre] += 1
        n = counters[centre]
        local_id = f"{centre}{n:05d}" if n % 3 else f"{n:06d}"
        rec = {"entity": e, "local_id": local_id, "created_year": created_year, "variant": variant,
               "defects": [], "vanish_year": None, "npai_year": None,
               "created": dt.date(created_year, int(rng.integers(1, 13)), int(rng.integers(1, 29))),
               "civ_style": int(rng.integers(0, 6)), "phone_seed": int(rng.integers(0, 2**31)),
               "first": e.first, "last": e.last, "org": e.org, "email": e.email,
               "phone": e.phone, "mobile": e.mobile, "segment_unknown": False,
               "dropped_zero": False}
        if variant:
            # the same client typed again: accents dropped, initial, swapped names, typo, missing field
            kinds = rng.choice(["accents", "initial", "swap", "typo", "missing_email", "civ"], size=2, replace=False)
            for k in kinds:
                if k == "accents":
                    rec["first"], rec["last"] = _ascii(rec["first"]), _ascii(rec["last"]).upper()
                    if rec["org"]:
                        rec["org"] = _ascii(rec["org"]).upper()
                elif k == "initial":
                    rec["first"] = rec["first"][0] + "."
                elif k == "swap" and e.kind == "B2C":
                    rec["first"], rec["last"] = rec["last"], rec["first"]
                elif k == "typo":
                    s = rec["last"]
                    if len(s) > 4:
                        j = int(rng.integers(1, len(s) - 2))
                        rec["last"] = s[:j] + s[j + 1] + s[j] + s[j + 2:]
                elif k == "missing_email":
                    rec["email"] = None
                elif k == "civ":
                    rec["civ_style"] = (rec["civ_style"] + 3) % 6
        # defects (persist until fixed)
        years_left = [y for y in self.years if y >= created_year]

        def plant(code: str, fld: str) -> None:
            fix = (int(rng.choice(years_left[1:])) if len(years_left) > 1 and rng.random() < RATES["fix"] else None)
            rec["defects"].append({"code": code, "field": fld, "from": created_year, "until": fix})

        if rec["email"] and rng.random() < RATES["invalid_email"]:
            plant("invalid_email", "email")
        elif rec["email"] and rec["email"].split("@")[1] in EMAIL_TYPOS and rng.random() < RATES["email_typo"] * 3:
            plant("email_typo", "email")
        if (rec["phone"] or rec["mobile"]) and rng.random() < RATES["invalid_phone"]:
            plant("invalid_phone", "mobile" if rec["mobile"] else "phone")
        if rng.random() < RATES["invalid_postcode"]:
            plant("invalid_postcode", "postcode")
        elif rng.random() < RATES["incomplete_address"]:
            plant("incomplete_address", "address1")
        if rng.random() < RATES["missing_name"]:
            plant("missing_name", "last_name")
        if rng.random() < RATES["unknown_code"]:
            plant("unknown_code", "segment")
        if rng.random() < RATES["vanish"] and len(years_left) > 1:
            rec["vanish_year"] = int(rng.choice(years_left[1:]))
        if rng.random() < RATES["npai"] * len(years_left):
            rec["npai_year"] = int(rng.choice(years_left))
        pc = self.communes.at[e.commune, "postcode"]
        rec["dropped_zero"] = pc.startswith("0") and rng.random() < 0.3
        return rec

    def _address(self, e: Entity, y: int) -> tuple[str, int]:
        street, commune = e.street, e.commune
        for my in sorted(e.moves):
            if my <= y:
                street, commune = e.moves[my]
        return street, commune

    def _stays_for(self, e: Entity, centre: str, y: int, rec: dict) -> list[dict]:
        """Stays of an entity at a centre in year y (only on its main record, not duplicates)."""
        if rec["variant"] or y < e.first_year:
            # duplicates sometimes carry a stay too (the booking made on the second card)
            if not (rec["variant"] and y >= rec["created_year"] and self._det(e.eid, centre, y, "dupstay") < 0.3):
                return []
        key = self._det(e.eid, centre, y, "active")
        years_since = y - e.first_year
        p_active = 0.9 if years_since == 0 else max(0.15, 0.75 - e.churn * years_since / 2)
        if centre != e.centres[0]:
            p_active *= 0.6
        if key > p_active:
            return []
        seg = SEGMENTS[e.segment]
        rng = np.random.default_rng(int(hashlib.sha1(f"{self.seed}{e.eid}{centre}{y}".encode()).hexdigest()[:12], 16))
        n = 1 + int(rng.random() < (0.35 if e.kind == "B2C" else 0.15))
        out = []
        months, mw = zip(*seg["months"].items(), strict=True)
        mw = np.array(mw, float) / sum(mw)
        for _ in range(n):
            m = int(rng.choice(months, p=mw))
            day = int(rng.integers(1, 29))
            date = dt.date(y, m, day)
            if seg.get("weekday"):
                while date.weekday() >= 5:
                    date += dt.timedelta(days=1)
            elif rng.random() < seg.get("weekend", 0):
                date += dt.timedelta(days=(4 - date.weekday()) % 7)  # arrive on Friday
            if date.year != y:
                date = dt.date(y, 12, 28)
            nights = int(rng.integers(seg["nights"][0], seg["nights"][1] + 1))
            persons = int(rng.integers(seg["persons"][0], seg["persons"][1] + 1))
            lo, hi = PRICE_PER_NIGHT[e.kind]
            amount = round(nights * persons * float(rng.uniform(lo, hi)), 2)
            out.append({"arrival": date, "nights": nights, "persons": persons, "amount": amount,
                        "product": str(rng.choice(PRODUCTS[e.segment])),
                        "ref": f"R{y}{int(rng.integers(0, 10**6)):06d}"})
        return out

    def _det(self, *parts) -> float:
        h = hashlib.sha1(("|".join(map(str, (self.seed, *parts)))).encode()).hexdigest()
        return int(h[:8], 16) / 0xFFFFFFFF

    def _render(self, r: dict, y: int, d: dict, code: str) -> dict:
        e: Entity = r["entity"]
        rng = np.random.default_rng(r["phone_seed"] + y * 7919)
        active_defects = {x["code"] for x in r["defects"] if x["from"] <= y and (x["until"] is None or y < x["until"])}
        street, commune = r.get("address") or self._address(e, y)
        town = self.communes.loc[commune]
        postcode, city = town["postcode"], town["city"]
        if r["dropped_zero"]:
            postcode = postcode.lstrip("0")
        if "invalid_postcode" in active_defects:
            postcode = ["7500", "750012", "69OO3", "00000", "ABCDE"][int(self._det(r["local_id"], "pc") * 5)]
        address1, address2 = street, e.addr2
        if "incomplete_address" in active_defects:
            address1 = address2 = None  # no street and no complement (a "BP 12" alone is deliverable)
        last, first, org = r["last"], r["first"], r["org"]
        if "missing_name" in active_defects:
            last, org = None, None
        civ = ["M", "M.", "Monsieur", "Mr", "", "M"][r["civ_style"]] if e.civility == "M" else \
            ["Mme", "MME", "Madame", "Mlle", "", "Melle"][r["civ_style"]]
        email = r["email"]
        if email and "invalid_email" in active_defects:
            local, dom = email.split("@")
            email = [f"{local}{dom}", f"{local}@@{dom}", f"{local} @{dom}", f"{local}@{dom.split('.')[0]}"][
                int(self._det(r["local_id"], "em") * 4)]
        elif email and "email_typo" in active_defects:
            local, dom = email.split("@")
            email = f"{local}@{EMAIL_TYPOS[dom]}"
        if email and self._det(r["local_id"], "case") < 0.1:
            email = email.upper()
        phone = write_phone(rng, r["phone"]) if r["phone"] else None
        mobile = write_phone(rng, r["mobile"]) if r["mobile"] else None
        if "invalid_phone" in active_defects:
            bad = ["01 23 45", "06 12 34 56 78 9", "00 00 00 00 00", "12345"][int(self._det(r["local_id"], "ph") * 4)]
            if mobile:
                mobile = bad
            else:
                phone = bad
        seg_local = d["codes"][e.segment]
        if "unknown_code" in active_defects:
            seg_local = d["unknown"][int(self._det(r["local_id"], "uc") * len(d["unknown"]))]
        yes, no = d["optin"]
        updated = max(r["created"], dt.date(y, 1, 1) if e.moves and min(e.moves) <= y else r["created"])
        values = {
            "local_id": r["local_id"], "civility": civ, "last_name": last, "first_name": first,
            "organisation": org, "position": e.position, "address1": address1, "address2": address2,
            "address3": None, "postcode": postcode, "city": city, "country": "FR" if self._det(r["local_id"], "cty") < 0.5 else "France",
            "phone": phone, "mobile": mobile, "email": email, "segment": seg_local,
            "optin_email": yes if e.optin_email else no, "optin_phone": yes if e.optin_phone else no,
            "created_at": r["created"], "updated_at": updated, "employees": e.employees,
            # a "ne pas contacter" recorded with its date (issue 20), where the software has it
            "objection": updated if self._det(r["local_id"], "objection") < 0.03 else None,
        }
        row = {}
        for local, common in d["columns"]["contacts"].items():
            row[local] = values.get(common)
        for extra in d.get("ignore", {}).get("contacts", []):
            row[extra] = "" if self._det(r["local_id"], "obs") < 0.9 else "Client fidèle"
        return row

    def _survey(self, r: dict, s: dict) -> dict:
        """A post-stay survey (only where the software exports it): sent after 9 stays in 10,
        answered 85 % of the time, the score lower for clients who drift away."""
        e: Entity = r["entity"]
        key = (e.eid, r["local_id"], s["ref"])
        if self._det(*key, "survey") >= 0.9:
            return {"surveyed": "non", "satisfaction": None}
        if self._det(*key, "answer") >= 0.85:
            return {"surveyed": "oui", "satisfaction": None}
        score = 8.6 - 4.0 * e.churn + 3.0 * (self._det(*key, "score") - 0.5)
        return {"surveyed": "oui",
                "satisfaction": f"{min(10.0, max(0.0, round(score, 1))):.1f}".replace(".", ",")}

    def _render_stay(self, r: dict, s: dict, d: dict) -> dict:
        values = {"contact_local_id": r["local_id"], **s}
        if "satisfaction" in d["columns"]["stays"].values():
            values.update(self._survey(r, s))
        row = {local: values.get(common) for local, common in d["columns"]["stays"].items()}
        for extra in d.get("ignore", {}).get("stays", []):
            row[extra] = s["arrival"] + dt.timedelta(days=s["nights"]) if extra == "Départ" else s["ref"]
        return row

    def _write_export(self, folder: Path, d: dict, rows: list[dict], stays: list[dict]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        ccols = list(d["columns"]["contacts"]) + list(d.get("ignore", {}).get("contacts", []))
        scols = list(d["columns"]["stays"]) + list(d.get("ignore", {}).get("stays", []))
        for kind, data, cols in (("contacts", rows, ccols), ("stays", stays, scols)):
            spec = d[kind]
            frame = pd.DataFrame(data, columns=cols)
            path = folder / spec["file"]
            if path.suffix == ".xlsx":
                write_xlsx(path, spec.get("sheet", "Feuil1"), cols, frame.itertuples(index=False, name=None))
                continue
            fmt = spec["date_format"]
            dec = spec.get("decimal", ".")

            def cell(v, fmt=fmt, dec=dec):
                if v is None or (isinstance(v, float) and math.isnan(v)):
                    return ""
                if isinstance(v, dt.date):
                    return v.strftime(fmt)
                if isinstance(v, float):
                    return f"{v:.2f}".replace(".", dec)
                return str(v)

            with open(path, "w", encoding=spec["encoding"], newline="") as fh:
                w = csv.writer(fh, delimiter=spec["sep"], quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
                w.writerow(cols)
                for rec in frame.itertuples(index=False):
                    w.writerow([cell(v) for v in rec])

    def _write_table(self, path: Path, crow: pd.Series) -> None:
        d = DIALECTS[crow["dialect"]]
        table = {
            "code": crow["code"], "name": crow["name"], "postcode": crow["postcode"],
            "city": crow["city"], "capacity": int(crow["capacity"]),
            "lat": round(float(crow["lat"]), 4), "lon": round(float(crow["lon"]), 4),
            "software": crow["dialect"],
            "exports": {"contacts": dict(d["contacts"]), "stays": dict(d["stays"])},
            "columns": d["columns"],
            "ignore": d.get("ignore", {}),
            "codes": {"segment": {v: k for k, v in d["codes"].items()}},
        }
        if crow["dialect"] in ("hestia", "sejourne"):  # forms telling clients of the soft opt-in
            table["soft_optin_told_since"] = f"{self.years[len(self.years) // 2]}-01-01"
        text = ("# Table de correspondance du centre (générée par grc generate)\n"
                + yaml.safe_dump(table, allow_unicode=True, sort_keys=False, width=120))
        path.write_text(text, encoding="utf-8")

    def _write_config(self, out: Path) -> None:
        last = self.years[-1]
        cfg = {
            "network": "Réseau démo des centres d'hébergement de groupes",
            "year": last, "reference_date": f"{last}-12-31", "first_year": self.years[0],
            "raw_dir": "raw", "centres_dir": "centres", "processed_dir": "processed",
            "reports_dir": "reports", "bloctel_file": "bloctel.txt",
            "npai_file": "npai/npai_{year}.csv", "erasure_file": "erasure_requests.csv",
        }
        text = ("# Configuration réseau générée par grc generate ; chemins relatifs à ce dossier.\n"
                + yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False))
        (out / "network.yaml").write_text(text, encoding="utf-8")


def write_xlsx(path: Path, sheet: str, columns: list[str], rows) -> None:
    """Write one sheet in a single pass (write-only mode), real date cells shown day-first."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    ws.append(list(columns))
    for values in rows:
        out = []
        for v in values:
            if v is None or (isinstance(v, float) and math.isnan(v)):
                out.append(None)
            elif isinstance(v, dt.date):
                c = WriteOnlyCell(ws, value=dt.datetime(v.year, v.month, v.day))
                c.number_format = "DD/MM/YYYY"
                out.append(c)
            else:
                out.append(v)
        ws.append(out)
    fixed = dt.datetime(2020, 1, 1)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.save(path)
    normalise_zip(path)


def normalise_zip(path: Path) -> None:
    """Rewrite a zip container (xlsx) with fixed entry dates so equal content gives equal bytes."""
    import zipfile

    with zipfile.ZipFile(path) as zin:
        items = [(i.filename, zin.read(i.filename)) for i in zin.infolist()]
    items = [(n, re.sub(rb"<dcterms:modified([^>]*)>[^<]*<", rb"<dcterms:modified\1>2020-01-01T00:00:00Z<", d))
             if n == "docProps/core.xml" else (n, d) for n, d in items]
    tmp = path.with_suffix(path.suffix + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in items:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(info, data)
    tmp.replace(path)


def generate(out: str | Path, centres: int = 50, contacts: int = 6000, years: str = "2022-2025",
             seed: int = 0) -> dict:
    """Write a demo network under ``out`` and return a summary."""
    y0, _, y1 = years.partition("-")
    return Generator(centres, contacts, (int(y0), int(y1 or y0)), seed).run(Path(out))
