"""Draft a centre's correspondence table from its raw exports (``grc map``).

Each local column is matched to a field of the common schema from its header (names used by
booking software, French and English) and from its content (e-mails, phones, postcodes,
dates, amounts, civilities, yes/no consents, identifiers shared with the stays file). Each
local segment code is matched to the common code it most likely means, from the code's own
words and from what its records say (organisation names, positions, products, group sizes).
The draft is YAML; every line the analyst must decide carries a French comment.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from rapidfuzz.distance import OSA
from unidecode import unidecode

from grc.readers.dialect import ExportFile, detect_date_format, detect_decimal, read_export
from grc.schema import CONTACT_FIELDS, STAY_FIELDS

# --- headers ---------------------------------------------------------------------------------
_ID = ["id", "code client", "num cli", "numero client", "n client", "no client", "num client",
       "client id", "id client", "identifiant", "identifiant client", "ref client",
       "reference client", "customer id", "customer", "contact id", "id contact", "guest id",
       "code", "numero", "num", "client", "cle client", "code tiers", "tiers"]
HEADERS: dict[str, list[str]] = {
    "local_id": _ID,
    "contact_local_id": _ID,
    "civility": ["civ", "civilite", "title", "titre", "salutation", "civ contact", "genre"],
    "first_name": ["prenom", "first name", "forename", "firstname", "given name", "prenom contact",
                   "prenom client", "prenom du contact"],
    "last_name": ["nom", "surname", "last name", "lastname", "nom contact", "nom de famille",
                  "family name", "name", "nom client", "nom du contact", "contact"],
    "organisation": ["organisme", "structure", "raison sociale", "company", "societe",
                     "etablissement", "organisation", "organization", "entreprise", "groupe",
                     "nom structure", "collectivite", "company name", "account"],
    "position": ["fonction", "job", "poste", "job title", "role", "qualite", "fonction contact"],
    "address1": ["adresse", "adr1", "adr 1", "adresse 1", "adresse1", "street", "address",
                 "address 1", "address line 1", "rue", "voie", "adresse ligne 1", "line 1"],
    "address2": ["adr2", "adr 2", "adresse 2", "adresse2", "complement", "street2", "street 2",
                 "address 2", "complement d adresse", "complement adresse", "address line 2",
                 "line 2", "batiment", "adresse suite", "suite adresse", "suite"],
    "address3": ["adr3", "adr 3", "adresse 3", "adresse3", "lieu dit", "lieudit", "street3",
                 "street 3", "address 3", "address line 3", "line 3", "boite postale"],
    "postcode": ["cp", "code postal", "zip", "postcode", "postal code", "zip code", "codepostal",
                 "code post", "cpostal"],
    "city": ["ville", "commune", "town", "city", "localite", "bureau distributeur", "cite",
             "place", "locality"],
    "country": ["pays", "country", "code pays", "country code", "nation"],
    "phone": ["tel", "telephone", "phone", "telephone fixe", "tel fixe", "fixe", "tel domicile",
              "landline", "tel bureau", "phone number", "home phone", "work phone", "tel 1"],
    "mobile": ["portable", "mobile", "cell", "tel mobile", "telephone mobile", "gsm",
               "tel portable", "cellphone", "mobile phone", "cell phone", "tel 2"],
    "email": ["email", "e mail", "mail", "courriel", "adresse mail", "adresse email", "mel",
              "adresse electronique", "email address", "e mail address"],
    "segment": ["categorie", "client type", "type de clientele", "segment", "type client",
                "typologie", "famille client", "type", "category", "clientele", "type de client",
                "customer type", "categorie client", "cible", "marche", "customer group",
                "market segment", "guest type"],
    "optin_email": ["optin mail", "optin email", "opt in email", "newsletter", "accord courriel",
                    "accord mail", "accord email", "accepte mail", "accepte email",
                    "consentement email", "consentement mail", "abonne newsletter", "mailing",
                    "email ok", "mail ok", "optin courriel", "email consent", "marketing email"],
    "optin_phone": ["optin tel", "optin telephone", "opt in tel", "phone ok", "tel ok",
                    "accord telephone", "accord tel", "demarchage tel", "demarchage telephonique",
                    "consentement telephone", "accepte appel", "accepte telephone",
                    "phone consent", "marketing phone", "appel ok"],
    "created_at": ["date crea", "created", "cree le", "creation", "date creation",
                   "date de creation", "created at", "created on", "date ouverture",
                   "creation date", "first seen", "inscrit le", "date inscription"],
    "updated_at": ["date modif", "modified", "modifie le", "mise a jour", "date modification",
                   "updated", "updated at", "last update", "derniere modification", "maj",
                   "date maj", "last modified", "modification"],
    "objection": ["opposition prospection", "opposition", "ne pas contacter", "ne pas solliciter",
                  "do not contact", "stop prospection", "refus prospection", "opt out",
                  "desinscrit", "liste rouge"],
    "objection_email": ["opposition email", "opposition mail", "desabonne", "unsubscribed",
                        "email opt out"],
    "objection_phone": ["opposition telephone", "opposition tel", "ne pas appeler"],
    "objection_post": ["opposition courrier", "ne pas ecrire"],
    "soft_optin_told": ["informe prospection", "mention prospection", "informe opposition"],
    "employees": ["effectif", "employees", "nb salaries", "salaries", "headcount",
                  "nombre de salaries", "staff", "taille structure"],
    "arrival": ["date arr", "date arrivee", "checkin", "check in", "arrivee", "date d arrivee",
                "debut", "date debut", "arrival", "arrival date", "du", "date sejour",
                "start date", "date de debut", "arrive le"],
    "nights": ["nuits", "nights", "nuitees", "nb nuits", "nombre de nuits", "duree", "nb nuit",
               "length of stay", "los"],
    "persons": ["nb pers", "pax", "participants", "personnes", "nombre de personnes", "guests",
                "persons", "nb participants", "nb personnes", "effectif groupe", "adults",
                "occupants", "nombre participants"],
    "amount": ["montant ttc", "total", "montant", "amount", "prix", "ca", "chiffre d affaires",
               "total ttc", "price", "revenue", "montant total", "prix total", "total price",
               "ca ttc", "tarif"],
    "product": ["prestation", "package", "formule", "produit", "product", "offre", "type sejour",
                "type de sejour", "rate plan", "forfait", "prestation principale", "article",
                "item", "service", "room type"],
    "satisfaction": ["satisfaction", "note", "note satisfaction", "score", "note client",
                     "rating", "avis", "note enquete"],
    "surveyed": ["enquete", "enquete envoyee", "questionnaire", "survey", "survey sent",
                 "sondage", "enquete satisfaction"],
}
DATE_FIELDS = {"created_at", "updated_at", "arrival"}
CONSENT_VALUES = {"o", "n", "oui", "non", "1", "0", "x", "y", "yes", "no", "true", "false",
                  "vrai", "faux", "v", "f", "ok"}
CIVILITY_VALUES = {"m", "m.", "mr", "mr.", "monsieur", "mme", "mme.", "madame", "mlle", "melle",
                   "mademoiselle", "mrs", "mrs.", "ms", "ms.", "miss", "dr", "docteur"}
COUNTRY_VALUES = {"fr", "fra", "france", "be", "belgique", "belgium", "ch", "suisse", "de",
                  "allemagne", "germany", "es", "espagne", "spain", "it", "italie", "italy", "gb",
                  "uk", "royaume uni", "lu", "luxembourg", "nl", "pays bas"}
SURE, DOUBT = 0.85, 0.5


def header_key(name: Any) -> str:
    """A header for comparison: ascii lower case, words only ("Tél. fixe" -> "tel fixe")."""
    s = re.sub(r"[^a-z0-9]+", " ", unidecode(str(name)).lower())
    return " ".join(s.split())


def header_scores(name: str, fields: Iterable[str]) -> dict[str, float]:
    """Header evidence for each field: 1 exact synonym, 0.75 synonym words inside, fuzzy."""
    key = header_key(name)
    words = set(key.split())
    out: dict[str, float] = {}
    for f in fields:
        best = 0.0
        for syn in HEADERS.get(f, []) + [header_key(f)]:
            if key == syn:
                best = 1.0
                break
            sw = syn.split()
            if len(syn) >= 3 and set(sw) <= words:
                best = max(best, 0.6 + 0.3 * len(sw) / len(words))
            elif len(words) == 1 and len(key) >= 3 and " " not in syn and \
                    syn.startswith(key) and len(syn) > len(key) + 1:
                best = max(best, 0.55)  # an abbreviated header: "Cat" for catégorie
            elif len(key) >= 4 and len(syn) >= 4:
                sim = OSA.normalized_similarity(key, syn)
                if sim >= 0.8:
                    best = max(best, 0.9 * sim)
        out[f] = min(best, 0.95) if best < 1 else 1.0
    return out


# --- content ---------------------------------------------------------------------------------
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_PHONE_CHARS = re.compile(r"^[+\d][\d .\-/()]{7,}$")
_MOBILE = re.compile(r"^(?:\+33|0033|0)\s?[67]")
_POSTCODE = re.compile(r"^\d{4,5}$")
_INT = re.compile(r"^\d+$")


@dataclass
class ColumnFacts:
    """What a column's values look like (shares of non-empty values)."""

    filled: int
    distinct: int
    unique_share: float
    email: float = 0.0
    phone: float = 0.0
    mobile: float = 0.0
    postcode: float = 0.0
    date: float = 0.0
    date_format: str | None = None
    date_ambiguous: bool = False
    consent: float = 0.0
    civility: float = 0.0
    country: float = 0.0
    integer: float = 0.0
    decimal: str | None = None
    numeric: float = 0.0
    median: float | None = None
    text_words: float = 0.0
    median_date: pd.Timestamp | None = None
    town: float = 0.0  # share of values that are towns of the reference
    code_words: float = 0.0  # share of distinct values that name a common segment code


def column_facts(values: pd.Series, excel_date: str | None = None) -> ColumnFacts:
    v = values.dropna().astype(str).str.strip()
    v = v[v != ""]
    n = len(v)
    f = ColumnFacts(n, int(v.nunique()), float(v.nunique() / n) if n else 0.0)
    if not n:
        return f
    s = v.head(600)
    low = s.str.lower()
    f.email = float(s.str.match(_EMAIL).mean())
    ph = s.str.match(_PHONE_CHARS) & s.str.replace(r"\D", "", regex=True).str.len().between(9, 13)
    f.phone = float(ph.mean())
    f.mobile = float((ph & s.str.match(_MOBILE)).sum() / max(ph.sum(), 1))
    f.postcode = float(s.str.match(_POSTCODE).mean() * (s.str.len() == 5).mean() ** 0.25)
    f.consent = float(low.isin(CONSENT_VALUES).mean()) if f.distinct <= 3 else 0.0
    f.civility = float(low.isin(CIVILITY_VALUES).mean())
    f.country = float(low.map(header_key).isin(COUNTRY_VALUES).mean())
    f.integer = float(s.str.match(_INT).mean())
    f.decimal = detect_decimal(s)
    num = pd.to_numeric(s.str.replace(r"[\s\u00a0]", "", regex=True).str.replace(
        ",", ".", regex=False), errors="coerce")
    f.numeric = float(num.notna().mean())
    f.median = float(num.median()) if num.notna().any() else None
    f.text_words = float(s.str.contains(r"[A-Za-zÀ-ÿ]{2,}").mean())
    if f.text_words > 0.8:
        from grc.qualify.reference import city_key, city_key_postcodes

        known = city_key_postcodes()
        f.town = float(s.map(lambda t: city_key(t) in known).mean())
        if f.distinct <= 60:
            uniq = s.unique()
            f.code_words = float(np.mean([max(_word_score(u, c) for c in CODE_WORDS) >= 0.5
                                          for u in uniq]))
    if excel_date:
        iso = pd.to_datetime(s, format="ISO8601", errors="coerce")
        f.date, f.date_format = float(iso.notna().mean()), excel_date
        f.median_date = iso.dropna().sort_values().iloc[len(iso.dropna()) // 2] \
            if iso.notna().any() else None
    elif f.phone < 0.5 and f.postcode < 0.5:
        fmt, share, amb = detect_date_format(s)
        if fmt:
            d = pd.to_datetime(s, format=fmt, errors="coerce").dropna().sort_values()
            f.date, f.date_format, f.date_ambiguous = share, fmt, amb
            f.median_date = d.iloc[len(d) // 2]
    return f


def content_scores(f: ColumnFacts, kind: str) -> dict[str, float]:
    """Content evidence for each field of ``kind`` (0 when the content says nothing)."""
    if not f.filled:
        return {}
    sc: dict[str, float] = {}
    if f.email > 0.6:
        sc["email"] = f.email
    if f.phone > 0.6 and f.email < 0.1:
        sc["mobile"] = f.phone * (0.5 + 0.5 * f.mobile)
        sc["phone"] = f.phone * (1 - 0.5 * f.mobile)
    if f.postcode > 0.8 and f.median is not None and f.median >= 1000:
        sc["postcode"] = f.postcode
    if f.date > 0.8:
        for d in DATE_FIELDS:
            sc[d] = 0.7 * f.date
    if f.consent > 0.9:
        sc["optin_email"] = sc["optin_phone"] = 0.7
    if f.civility > 0.8:
        sc["civility"] = f.civility
    if f.country > 0.8:
        sc["country"] = f.country
    if kind == "stays" and f.numeric > 0.9 and f.date < 0.5:
        if f.decimal or (f.median or 0) > 150:
            sc["amount"] = 0.8
        elif f.integer > 0.95 and f.median is not None:
            sc["nights"] = 0.6 if f.median <= 14 else 0.1
            sc["persons"] = 0.6 if f.median > 2 else 0.3
    if kind == "contacts" and f.integer > 0.95 and f.median is not None and f.filled and \
            f.unique_share < 0.9 and f.postcode < 0.5:
        sc["employees"] = 0.4
    if f.town > 0.6 and (f.distinct >= 20 or f.unique_share >= 0.2):  # towns vary
        sc["city"] = f.town
    if f.text_words > 0.8 and f.distinct <= 60 and f.unique_share < 0.2 and f.civility < 0.5 \
            and f.country < 0.5 and f.consent < 0.5 and "city" not in sc:
        sc["segment" if kind == "contacts" else "product"] = 0.45
        if kind == "contacts" and f.code_words > 0.5:
            sc["segment"] = 0.6 + 0.3 * f.code_words
    return sc


@dataclass
class ColumnProposal:
    local: str
    field: str | None
    confidence: float
    note: str | None = None  # French: what the analyst must decide


def _scores_matrix(ef: ExportFile, kind: str, fields: list[str], ids: set[str] | None
                   ) -> tuple[list[str], np.ndarray, dict[str, ColumnFacts]]:
    cols = list(ef.frame.columns)
    m = np.zeros((len(cols), len(fields)))
    facts = {}
    for i, c in enumerate(cols):
        f = column_facts(ef.frame[c], ef.excel_dates.get(c))
        facts[c] = f
        h = header_scores(c, fields)
        cs = content_scores(f, kind)
        for j, fld in enumerate(fields):
            hv, cv = h.get(fld, 0.0), cs.get(fld, 0.0)
            m[i, j] = max(hv, 0.8 * cv) + 0.25 * min(hv, cv)
            if fld in DATE_FIELDS and f.date < 0.5 and f.filled:
                m[i, j] *= 0.3  # a date column must hold dates
            if fld in ("email", "phone", "mobile", "postcode") and f.filled and \
                    cs.get(fld, 0.0) == 0.0:
                m[i, j] *= 0.5
        if ids is not None and ("local_id" in fields or "contact_local_id" in fields):
            j = fields.index("contact_local_id" if kind == "stays" else "local_id")
            vals = set(ef.frame[c].dropna().astype(str).str.strip())
            share = len(vals & ids) / max(len(vals), 1)
            if share > 0.5 and len(vals) > min(20, len(ids) // 2):  # not nights or persons
                m[i, j] = max(m[i, j], 0.7 + 0.3 * share)
    return cols, m, facts


def _date_order(cols: list[str], m: np.ndarray, fields: list[str],
                facts: dict[str, ColumnFacts]) -> None:
    """Two contact date columns with no telling header: the older one is the creation."""
    if "created_at" not in fields:
        return
    jc, ju = fields.index("created_at"), fields.index("updated_at")
    dates = [i for i, c in enumerate(cols) if facts[c].date > 0.8 and
             max(m[i, jc], m[i, ju]) < SURE]
    if len(dates) == 2:
        a, b = sorted(dates, key=lambda i: facts[cols[i]].median_date or pd.Timestamp.min)
        m[a, jc] += 0.1
        m[b, ju] += 0.1


def propose_columns(ef: ExportFile, kind: str, ids: set[str] | None = None,
                    fields: list[str] | None = None) -> list[ColumnProposal]:
    """One proposal per local column of ``ef`` (field None: column to ignore)."""
    from scipy.optimize import linear_sum_assignment

    fields = list(fields or (CONTACT_FIELDS if kind == "contacts" else STAY_FIELDS))
    for opt in ("satisfaction", "surveyed"):
        if kind == "stays" and opt not in fields and opt in _schema_stay_fields():
            fields.append(opt)
    cols, m, facts = _scores_matrix(ef, kind, fields, ids)
    _date_order(cols, m, fields, facts)
    rows, cidx = linear_sum_assignment(-_lock_exact_headers(cols, fields, m))
    chosen = {cols[r]: (fields[c], float(m[r, c])) for r, c in zip(rows, cidx, strict=True)}
    out = []
    for i, c in enumerate(cols):
        fld, conf = chosen.get(c, (None, 0.0))
        if conf < 0.42:
            best = fields[int(np.argmax(m[i]))] if m.shape[1] else None
            note = (f"colonne non reconnue : ignorée ; si elle contient « {best} », la "
                    "déplacer dans columns" if best and m[i].max() > 0.25 else None)
            out.append(ColumnProposal(c, None, conf, note))
            continue
        out.append(ColumnProposal(c, fld, conf, _column_note(c, fld, conf, m[i], fields,
                                                             facts[c])))
    return out


def _lock_exact_headers(cols: list[str], fields: list[str], m: np.ndarray) -> np.ndarray:
    """Scores for the assignment: a header that is exactly a known name of one field keeps
    that field (the assignment may not trade it away for a better total: "Adresse" stays
    address1 even when "Adresse (suite)" would fit it too)."""
    out = m.copy()
    exact: dict[int, int] = {}
    for i, c in enumerate(cols):
        hits = [j for j, sc in enumerate(header_scores(c, fields).values()) if sc == 1.0]
        if len(hits) == 1:
            exact[i] = hits[0]
    taken = list(exact.values())
    for i, j in exact.items():
        if taken.count(j) == 1:
            out[i, j] += 1.0
    return out


def _schema_stay_fields() -> list[str]:
    from grc import schema

    return list(getattr(schema, "STAY_OPTIONAL", [])) + list(schema.STAY_FIELDS)


def _column_note(col: str, fld: str, conf: float, row: np.ndarray, fields: list[str],
                 f: ColumnFacts) -> str | None:
    order = np.argsort(-row)
    second = fields[int(order[1])] if len(order) > 1 else None
    close = second is not None and row[order[1]] > 0.8 * conf and second != fld
    if conf >= SURE and not close:
        return None
    if close:
        return f"à vérifier : « {fld} » ou « {second} » ?"
    return f"à vérifier : « {fld} » déduit du contenu de la colonne, l'en-tête ne le dit pas"


# --- segment codes ---------------------------------------------------------------------------
CODE_WORDS: dict[str, list[str]] = {
    "SCO-MAT": ["nursery", "kindergarten", "preschool", "maternelle", "ecole maternelle", "ecole mat", "petite section", "mat"],
    "SCO-PRIM": ["primary", "primary school", "elementary", "primaire", "elementaire", "ecole primaire", "ecole elementaire", "cm1", "cm2",
                 "ce1", "ce2", "cp", "classe decouverte", "classe de decouverte", "classe verte",
                 "classe de mer", "classe patrimoine", "prim", "ecole prim", "ecole elem"],
    "SCO-COL": ["secondary", "secondary school", "middle school", "college", "collegiens", "col", "6e", "5e", "4e", "3e"],
    "SCO-LYC": ["high school", "sixth form", "lycee", "lyceens", "lyc", "lycee professionnel", "bac"],
    "SCO-SUP": ["university", "college students", "students", "higher education", "universite", "univ", "iut", "bts", "etudiant", "etudiants", "ecole superieure",
                "superieur", "enseignement superieur", "sup", "faculte", "grande ecole",
                "integration", "bde"],
    "JEU-ACM": ["holiday camp", "summer camp", "youth centre", "day camp", "centre de loisirs", "accueil de loisirs", "acm", "alsh", "colonie",
                "colonie de vacances", "centre loisirs", "loisirs", "mini camp", "camp", "accueil",
                "periscolaire", "mjc", "scouts"],
    "SPO-CLUB": ["sports club", "sports", "team", "club", "club sportif", "club sport", "sport", "sportif", "football", "rugby",
                 "handball", "judo", "basket", "athletisme", "natation", "escalade", "tennis",
                 "as", "us", "stade", "stage sportif", "tournoi"],
    "SPO-FED": ["federation", "sports federation", "league", "committee", "federation", "comite", "ligue", "comite departemental", "federation sportive",
                "fed", "district", "cdos", "ffa"],
    "CUL-ASSO": ["cultural", "cultural association", "choir", "music", "arts", "culture", "culturel", "culturelle", "association culturelle", "chorale",
                 "troupe", "theatre", "musique", "harmonie", "ecole de musique", "cult", "choeur",
                 "artistique", "danse", "asso cult"],
    "SOC-ASSO": ["social association", "charity", "disability", "welfare", "social", "sociale", "association sociale", "solidaire", "handicap",
                 "vacances pour tous", "secours", "foyer", "aide", "familles", "apf", "adapte",
                 "sejour adapte", "soc", "asso sociale", "ccas", "insertion"],
    "PRO-SEM": ["company", "business", "corporate", "seminar", "training", "entreprise", "seminaire", "societe", "sas", "sarl", "sa", "formation", "ent",
                "pro", "professionnel", "affaires", "conseil", "eurl", "groupe sa"],
    "PRO-INST": ["public body", "public", "local authority", "council", "works council", "collectivite", "mairie", "administration", "cse", "ce", "comite d entreprise",
                 "communaute de communes", "conseil departemental", "conseil regional",
                 "institution", "coll", "public", "hopital", "commune"],
    "INT-GRP": ["foreign group", "international group", "foreign", "abroad", "international", "etranger", "groupe etranger", "echange", "echange de jeunes",
                "inter", "europe", "erasmus", "jugend", "youth", "gruppo", "grupo", "circuit",
                "foreign", "jugendgruppe", "exchange"],
    "IND-FAM": ["families", "famille", "familles", "fam", "family", "parents", "nuitee famille",
                "demi pension famille"],
    "IND-JEU": ["young traveller", "young", "youth hostel", "under 26", "jeune", "jeunes", "jeu", "youth traveller", "routard", "backpacker", "dortoir",
                "nuitee dortoir", "etudiant individuel", "moins de 26"],
    "IND-ADU": ["adults", "seniors", "individuals", "adulte", "adultes", "adu", "senior", "seniors", "individuel", "particulier",
                "demi pension", "adult", "individual"],
}
B2C = {"IND-FAM", "IND-JEU", "IND-ADU"}


def _word_score(text: str, code: str) -> float:
    """How well a text names a common code (1: a full phrase, 0.6: a word, 0.4: a prefix)."""
    key = header_key(text)
    if not key:
        return 0.0
    words = key.split()
    best = 0.0
    for w in CODE_WORDS[code]:
        ww = w.split()
        if key == w:
            return 1.0
        if len(ww) > 1 and f" {w} " in f" {key} ":
            best = max(best, 0.9)
        elif len(ww) == 1 and w in words and len(w) >= 3:
            best = max(best, 0.75 if len(w) >= 5 else 0.6)
        elif len(ww) == 1 and len(w) >= 2 and w in words:
            best = max(best, 0.35)
    # abbreviations: a local word that starts a code word ("PRIM" -> primaire)
    for lw in words:
        if len(lw) >= 3 and any(w.startswith(lw) and len(w) > len(lw) for w in CODE_WORDS[code]
                                if " " not in w):
            best = max(best, 0.5)
    return best


def _text_votes(texts: pd.Series, codes: list[str]) -> pd.Series:
    """Share of texts whose best-named code is each code (texts naming none are left out)."""
    uniq = texts.dropna().astype(str)
    if uniq.empty:
        return pd.Series(0.0, index=codes)
    counts = uniq.value_counts()
    votes = pd.Series(0.0, index=codes)
    total = 0
    for t, n in counts.items():
        sc = {c: _word_score(str(t), c) for c in codes}
        best = max(sc.values())
        if best >= 0.5:
            winners = [c for c, v in sc.items() if v == best]
            for c in winners:
                votes[c] += n / len(winners)
            total += n
    return votes / total if total else votes


@dataclass
class CodeProposal:
    local: str
    common: str | None
    confidence: float
    records: int
    note: str | None = None


def _code_evidence(sub: pd.DataFrame, st: pd.DataFrame | None, codes: list[str]
                   ) -> tuple[pd.Series, float]:
    """Votes from the records of one local code, and the share of them with an organisation."""
    ev = pd.Series(0.0, index=codes)
    org_share = float(sub["organisation"].notna().mean()) if "organisation" in sub else 0.0
    texts = []
    if "organisation" in sub:
        texts.append((_text_votes(sub["organisation"], codes), 1.0))
    if "position" in sub:
        texts.append((_text_votes(sub["position"], codes), 0.2))
    if st is not None and len(st) and "product" in st:
        texts.append((_text_votes(st["product"], codes), 0.5))
    weight = 0.0
    for votes, w in texts:
        if votes.sum() > 0:
            ev += w * votes
            weight += w
    if weight:
        ev /= weight
    if st is not None and len(st) and "persons" in st:
        persons = pd.to_numeric(st["persons"], errors="coerce").median()
        if persons == persons:
            if org_share < 0.3:
                ev["IND-FAM"] += 0.3 if 3 <= persons <= 8 else 0.0
                ev["IND-JEU"] += 0.15 if persons <= 2 else 0.0
                ev["IND-ADU"] += 0.15 if persons <= 2 else 0.0
    return ev, org_share


def propose_codes(contacts: pd.DataFrame, stays: pd.DataFrame | None,
                  segmentation: dict[str, dict]) -> list[CodeProposal]:
    """One proposal per local segment code (``contacts`` in the common schema's names;
    ``stays`` with ``contact_local_id``; ``segmentation`` from params/segmentation.yaml)."""
    codes = [c for c in segmentation if c in CODE_WORDS] or list(CODE_WORDS)
    seg = contacts["segment"].astype(object).where(contacts["segment"].notna(), None)
    counts = seg.value_counts()
    total = int(counts.sum())
    out = []
    for local, n in counts.items():
        sub = contacts[seg == local]
        st = None
        if stays is not None and "contact_local_id" in stays and "local_id" in sub:
            st = stays[stays["contact_local_id"].astype(str).isin(set(sub["local_id"].astype(str)))]
        label = pd.Series({c: _word_score(str(local), c) for c in codes})
        ev, org_share = _code_evidence(sub, st, codes)
        kind_fit = pd.Series({c: (1.0 - org_share if c in B2C else org_share) for c in codes})
        score = 0.55 * label + 0.45 * ev.clip(upper=1.0) + 0.15 * kind_fit
        order = score.sort_values(ascending=False)
        best, second = order.index[0], order.index[1]
        conf = float(order.iloc[0])
        margin = float(order.iloc[0] - order.iloc[1])
        purity = float(ev.max()) if ev.sum() > 0 else None
        rare = n < max(3, 0.01 * total)
        common, note = None, None
        lab = f"{best} ({segmentation.get(best, {}).get('label', '')})"
        agree = purity is None or ev[label.idxmax()] >= 0.8 * ev.max()
        if rare and not (label.max() >= 0.9 and agree):
            note = (f"code rare ({n} fiche(s)), à décider : {lab} ? Sans correspondance, ses "
                    "fiches seront signalées (unknown_code)")
        elif conf < 0.35 or (purity is not None and purity < 0.45 and label.max() < 0.9):
            note = (f"code à décider ({n} fiche(s)) : ses fiches ne disent pas clairement ce "
                    f"qu'il désigne ; le plus proche serait {lab}. Sans correspondance, ses "
                    "fiches seront signalées (unknown_code)")
        else:
            common = best
            if margin < 0.1 or conf < 0.55:
                note = (f"à vérifier ({n} fiche(s)) : {best} ou {second} "
                        f"({segmentation.get(second, {}).get('label', '')}) ?")
        out.append(CodeProposal(str(local), common, conf, int(n), note))
    return out


# --- the draft -------------------------------------------------------------------------------
@dataclass
class Draft:
    code: str
    exports: dict[str, dict[str, str]]
    columns: dict[str, list[ColumnProposal]]
    codes: list[CodeProposal]
    doubts: list[str] = field(default_factory=list)

    def table(self) -> dict[str, Any]:
        """The correspondence table as ``grc check`` reads it (uncertain codes left out)."""
        return {
            "code": self.code,
            "exports": self.exports,
            "columns": {k: {p.local: p.field for p in v if p.field} for k, v in
                        self.columns.items()},
            "ignore": {k: [p.local for p in v if not p.field] for k, v in self.columns.items()},
            "codes": {"segment": {p.local: p.common for p in self.codes if p.common}},
        }


def _file_spec(ef: ExportFile, kind: str, props: list[ColumnProposal]) -> dict[str, str]:
    spec = dict(ef.spec)
    mapped = {p.local: p.field for p in props if p.field}
    date_cols = [c for c, f in mapped.items() if f in DATE_FIELDS]
    fmts = {}
    for c in date_cols:
        if c in ef.excel_dates:
            fmts[c] = ef.excel_dates[c]
        else:
            fmt, _share, amb = detect_date_format(ef.frame[c])
            if fmt:
                fmts[c] = fmt
                if amb:
                    ef.doubts.append(f"{ef.path.name} : dates de « {c} » lisibles jour/mois ou "
                                     f"mois/jour ; {fmt} proposé, à vérifier")
    if fmts:
        spec["date_format"] = pd.Series(list(fmts.values())).mode().iloc[0]
        if len(set(fmts.values())) > 1:
            ef.doubts.append(f"{ef.path.name} : formats de date différents selon les colonnes "
                             f"({', '.join(sorted(set(fmts.values())))})")
    if kind == "stays" and "sheet" not in spec:
        num = [c for c, f in mapped.items() if f == "amount"]
        dec = detect_decimal(ef.frame[num[0]]) if num else None
        if dec:
            spec["decimal"] = dec
    return spec


def _renamed(ef: ExportFile, props: list[ColumnProposal]) -> pd.DataFrame:
    ren = {p.local: p.field for p in props if p.field}
    return ef.frame[list(ren)].rename(columns=ren)


def draft_table(contacts: str | Path, stays: str | Path | None, code: str,
                segmentation: dict[str, dict] | None = None) -> Draft:
    """Detect both exports and propose the whole table."""
    if segmentation is None:
        from grc.config import load_segmentation

        segmentation = load_segmentation(Path(__file__).resolve().parents[3] / "params"
                                         / "segmentation.yaml")
    cf = read_export(contacts, "contacts")
    sf = read_export(stays, "stays") if stays else None
    stay_ids = None
    if sf is not None:  # the values of the stays' likeliest client-id column
        hs = {c: header_scores(c, ["contact_local_id"])["contact_local_id"]
              for c in sf.frame.columns}
        best = max(hs, key=hs.get) if hs else None
        id_cols = [best] if best and hs[best] >= 0.5 else list(sf.frame.columns)
        stay_ids = {str(v).strip() for c in id_cols for v in sf.frame[c].dropna()
                    if str(v).strip()}
    cprops = propose_columns(cf, "contacts", stay_ids)
    ids = None
    lid = [p.local for p in cprops if p.field == "local_id"]
    if lid:
        ids = set(cf.frame[lid[0]].dropna().astype(str).str.strip())
    columns = {"contacts": cprops}
    exports = {"contacts": _file_spec(cf, "contacts", cprops)}
    sprops: list[ColumnProposal] = []
    if sf is not None:
        sprops = propose_columns(sf, "stays", ids)
        columns["stays"] = sprops
        exports["stays"] = _file_spec(sf, "stays", sprops)
    cframe = _renamed(cf, cprops)
    codes = []
    if "segment" in cframe:
        codes = propose_codes(cframe, _renamed(sf, sprops) if sf is not None else None,
                              segmentation)
    doubts = cf.doubts + (sf.doubts if sf is not None else [])
    return Draft(code, exports, columns, codes, doubts)


def _q(v: Any) -> str:
    return yaml.safe_dump(v, allow_unicode=True, default_flow_style=True, width=1000,
                          sort_keys=False).strip() \
        .removesuffix("...").strip()


def render_yaml(d: Draft, name: str | None = None) -> str:
    """The draft as commented YAML (French comments on every line to decide)."""
    lines = [f"# Table de correspondance du centre {d.code} : BROUILLON écrit par grc map.",
             "# Relire chaque ligne marquée « à vérifier » ou « à décider », puis lancer",
             f"#   grc check --config <network.yaml> --centre {d.code}",
             f"code: {_q(d.code)}", f"name: {_q(name or 'Centre ' + d.code)}",
             "postcode: null  # à compléter : code postal du centre"]
    for doubt in d.doubts:
        lines.append(f"# à vérifier : {doubt}")
    lines.append("exports:")
    for kind, spec in d.exports.items():
        lines.append(f"  {kind}: {_q(spec)}")
    lines.append("columns:")
    for kind, props in d.columns.items():
        lines.append(f"  {kind}:")
        for p in props:
            if p.field:
                com = f"  # {p.note}" if p.note else ""
                lines.append(f"    {_q(p.local)}: {p.field}{com}")
    lines.append("ignore:")
    for kind, props in d.columns.items():
        ign = [p for p in props if not p.field]
        lines.append(f"  {kind}:" + ("" if ign else " []"))
        for p in ign:
            com = f"  # {p.note}" if p.note else ""
            lines.append(f"    - {_q(p.local)}{com}")
    lines.append("codes:")
    lines.append("  segment:" + ("" if any(p.common for p in d.codes) else " {}"))
    for p in d.codes:
        if p.common:
            com = f"  # {p.note}" if p.note else ""
            lines.append(f"    {_q(p.local)}: {p.common}{com}")
    for p in d.codes:
        if not p.common:
            guess = re.search(r"([A-Z]{3}-[A-Z]{3,4})", p.note or "")
            lines.append(f"    # {_q(p.local)}: {guess.group(1) if guess else '???'}  # {p.note}")
    return "\n".join(lines) + "\n"


def summary_lines(d: Draft) -> list[str]:
    """French lines for the terminal: what was mapped, what is left to decide."""
    out = []
    for kind, props in d.columns.items():
        mapped = [p for p in props if p.field]
        doubt = [p for p in props if p.note]
        out.append(f"{kind} ({d.exports[kind].get('file')}) : {len(mapped)} colonne(s) sur "
                   f"{len(props)} rattachée(s), {len(doubt)} à vérifier")
    if d.codes:
        sure = sum(1 for p in d.codes if p.common and not p.note)
        out.append(f"codes segment : {len(d.codes)} code(s) local(aux), {sure} rattaché(s) "
                   f"sûrement, {len(d.codes) - sure} à vérifier ou à décider")
    out += [f"à vérifier : {x}" for x in d.doubts]
    return out
