"""Common schema (SPEC §5): column names shared by every stage.

Reader output (one frame per centre and year), all text columns as ``object`` with ``None``
for missing values:

- contacts: ``centre``, ``year``, ``row`` (line number in the export, header = 1) and
  ``CONTACT_FIELDS``; ``segment_local`` holds the centre's own code, ``segment`` the common
  code (``None`` when unmapped); ``created_at``/``updated_at`` are ``datetime64``;
  ``optin_email``/``optin_phone`` stay as written (qualification parses them).
- stays: ``centre``, ``year``, ``row`` and ``STAY_FIELDS``; ``arrival`` is ``datetime64``,
  ``nights``/``persons`` are ``Int64``, ``amount`` is ``float``.

A record is identified across the whole network by ``(centre, local_id)``.
"""

from __future__ import annotations

CONTACT_FIELDS: list[str] = [
    "local_id",
    "civility",
    "first_name",
    "last_name",
    "organisation",
    "position",
    "address1",
    "address2",
    "address3",
    "postcode",
    "city",
    "country",
    "phone",
    "mobile",
    "email",
    "segment",
    "optin_email",
    "optin_phone",
    "created_at",
    "updated_at",
    # optional extension: headcount of the organisation where the centre knows it
    "employees",
    # optional extensions for the prospecting rules (grc.rules): an objection recorded by the
    # centre, as a flag (oui/1/x) or the date it was made: to every channel ("ne pas
    # contacter"), to e-mail (unsubscribe), to the phone, to post; and whether the contact was
    # told of the centre's e-mail offers and could object when the address was collected
    # (soft opt-in, flag or date). Text as written; grc.rules.recorded reads them.
    "objection",
    "objection_email",
    "objection_phone",
    "objection_post",
    "soft_optin_told",
]
PROSPECTING_FIELDS = ["objection", "objection_email", "objection_phone", "objection_post",
                      "soft_optin_told"]
CONTACT_DATE_FIELDS = ["created_at", "updated_at"]
CONTACT_REQUIRED = ["local_id"]  # plus one of last_name / organisation

STAY_FIELDS: list[str] = [
    "contact_local_id",
    "arrival",
    "nights",
    "persons",
    "amount",
    "product",
    # optional: the client's score in a post-stay survey (out of 10) and whether it was sent
    "satisfaction",
    "surveyed",
]
STAY_REQUIRED = ["contact_local_id", "arrival"]

KEY = ["centre", "local_id"]

ISSUE_COLUMNS = ["centre", "local_id", "field", "code", "message"]

ISSUE_CODES: dict[str, str] = {
    "missing_name": "Nom ou organisation manquant",
    "incomplete_address": "Adresse postale incomplète",
    "invalid_postcode": "Code postal invalide",
    "invalid_email": "E-mail invalide",
    "invalid_phone": "Téléphone invalide",
    "npai": "N'habite pas à l'adresse indiquée (retour courrier)",
    "no_email_consent": "Particulier sans consentement e-mail",
    "bloctel": "Numéro inscrit sur Bloctel (particulier)",
    "no_phone_consent": "Pas de consentement préalable au démarchage téléphonique",
    "unknown_code": "Code local inconnu de la table de correspondance",
    "duplicate_local_id": "Identifiant local exporté plusieurs fois",
    "no_channel": "Aucun canal utilisable (adresse, e-mail ou téléphone)",
    "retention_expired": "Durée de conservation dépassée (CNIL)",
    # reading the export (grc.readers.exports): the row is kept, the value flagged
    "negative_value": "Nuits, personnes ou montant négatif (écarté des calculs)",
    "rounded_value": "Nombre de nuits ou de personnes non entier (arrondi)",
    "date_out_of_range": "Date hors de la période plausible (ignorée)",
    "control_character": "Caractère de contrôle invisible dans une valeur",
    "invalid_date": "Date illisible",
    "invalid_number": "Nombre illisible (nuits, personnes ou montant)",
    "missing_id": "Ligne sans identifiant",
    "unknown_contact": "Séjour d'un client absent de l'export des contacts",
    "mixed_encoding": "Ligne dans un autre encodage que le fichier",
    "formula_without_value": "Formule Excel enregistrée sans sa valeur",
}

# issues a centre fixes in its booking software (its return file's « À corriger » sheet, the
# follow-up next year, the summaries' actions); NPAI has its own sheet
CENTRE_FIXES: frozenset[str] = frozenset({
    "missing_name", "incomplete_address", "invalid_postcode", "invalid_email", "invalid_phone",
    "unknown_code", "duplicate_local_id", "no_channel", "invalid_date", "negative_value",
    "rounded_value", "date_out_of_range", "control_character", "mixed_encoding",
    "formula_without_value", "invalid_number", "unknown_contact"})

# French labels of the fields, as a centre's staff know them (return files, messages)
FIELD_LABELS: dict[str, str] = {
    "local_id": "Identifiant", "civility": "Civilité", "first_name": "Prénom",
    "last_name": "Nom", "organisation": "Organisation", "position": "Fonction",
    "address1": "Adresse (ligne 1)", "address2": "Adresse (ligne 2)",
    "address3": "Adresse (ligne 3)", "postcode": "Code postal", "city": "Ville",
    "country": "Pays", "phone": "Téléphone", "mobile": "Téléphone portable", "email": "E-mail",
    "segment": "Type de client", "segment_local": "Type de client", "optin_email":
    "Accord pour les e-mails", "optin_phone": "Accord pour le démarchage téléphonique",
    "created_at": "Date de création de la fiche", "updated_at": "Date de mise à jour de la fiche",
    "employees": "Effectif de l'organisation", "arrival": "Date d'arrivée", "nights": "Nuitées",
    "persons": "Personnes", "amount": "Montant", "product": "Prestation",
    "satisfaction": "Note de satisfaction", "surveyed": "Questionnaire envoyé",
    "contact_local_id": "Identifiant du client", "contact_id": "Contact réseau",
}


def field_label(field: str | None) -> str:
    """The French label of a common-schema field (the field itself when unknown)."""
    return FIELD_LABELS.get(str(field), str(field)) if field else ""


NETWORK = "NETWORK"

# --- Qualified records (output of grc.qualify.records.qualify) -------------------------------------
# One row per input contact row, same index, every reader column kept, plus:
#   <field>_raw        value as received for civility, first_name, last_name, organisation,
#                      phone, mobile, email, postcode, city (the plain column is normalised)
#   civility           "M" / "MME" / None
#   first_name, last_name, organisation   display form (trimmed, consistent case)
#   first_key, last_key, org_key          match keys: ascii lower-case, no particles or
#                      punctuation ("Élise" -> "elise", "de la Fontaine" -> "fontaine")
#   phone, mobile      E.164 ("+33612345678") or None; phone_type / mobile_type: fixed|mobile|other
#   email              lower-cased, syntactically valid, or None; email_suggestion (typo fix)
#   postcode           five digits or None; department ("75", "2A", "971"); region (name)
#   city               upper-case, no accents
#   rnvp1..rnvp6       AFNOR NF Z 10-011 address lines (<= 38 chars, upper case)
#   kind               "B2B" / "B2C" (from the common segment, else organisation present)
#   optin_email, optin_phone   bool
#   npai, bloctel, retention_expired   bool
#   mailable, emailable, phoneable      bool (usable channels)
QUALIFIED_EXTRA = [
    "first_key", "last_key", "org_key", "phone_type", "mobile_type", "email_suggestion",
    "department", "region", "rnvp1", "rnvp2", "rnvp3", "rnvp4", "rnvp5", "rnvp6", "kind",
    "npai", "bloctel", "retention_expired", "mailable", "emailable", "phoneable",
]

# --- Network base tables (DuckDB, processed_dir/network.duckdb) -----------------------------
# Declared once, with their columns, types, personal data and owning centre, in
# grc.store.catalogue (TABLES).

# --- What became of a correction a centre sent back (returns files, summaries) --------------
CORRECTION_STATUS_LABELS = {
    "appliquée": "corrigée dans le nouvel export",
    "en attente": "toujours à corriger",
    "contredite": "annoncée corrigée par le centre, toujours fausse dans le nouvel export",
    "maintenue": "valeur confirmée exacte par le centre",
    "retirée": "fiche absente du nouvel export",
}
