"""The measures: every figure a page, the index or the CLI shows, defined once.

A measure has a name, a French label, a one-sentence French definition (it feeds the
glossary) and a unit. Families (``issue:<code>``, ``rfm:<category>``, ``segment:<code>``,
``followup:<status>``) are one definition with a parameter. The pipeline computes every
measure of every scope (a centre code or ``NETWORK``) once per run into the base table
``measures(scope, year, measure, value)``; pages read them from there.
"""

from __future__ import annotations

from dataclasses import dataclass

from grc.schema import ISSUE_CODES

COUNT, SHARE, EUROS, SCORE = "nombre", "part", "euros", "note sur 10"


@dataclass(frozen=True)
class Measure:
    """One named figure: French label and definition, unit (nombre, part or euros)."""

    name: str
    label: str
    definition: str
    unit: str = COUNT

    @property
    def anchor(self) -> str:
        """The measure's anchor on the glossary page (a family's member: its family's entry)."""
        family, sep, _ = self.name.partition(":")
        entry = next((f.name for f in FAMILY_DEFINITIONS if sep and f.name.startswith(family + ":")),
                     self.name)
        return "m-" + "".join(ch if ch.isalnum() else "-" for ch in entry.lower())


_FIXED = [
    Measure("records", "Fiches reçues",
            "Nombre de fiches contacts présentes dans les exports de l'année (une fiche par "
            "identifiant local et par centre), avant dédoublonnage."),
    Measure("contacts", "Contacts",
            "Nombre de contacts distincts après dédoublonnage parmi les fiches reçues de l'année "
            "(une personne présente dans deux exports compte une fois)."),
    Measure("duplicates", "Doublons fusionnés",
            "Fiches reçues moins contacts : nombre de fiches de l'année qui désignent un contact "
            "déjà représenté par une autre fiche."),
    Measure("shared_contacts", "Clients partagés entre centres",
            "Nombre de contacts du périmètre dont des fiches figurent dans les exports d'au "
            "moins deux centres du réseau."),
    Measure("shared_share", "Part de contacts partagés entre centres",
            "Clients partagés entre centres rapportés au nombre de contacts du périmètre.", SHARE),
    Measure("mailable_rate", "Joignables par courrier",
            "Part des fiches reçues dont l'adresse postale est complète, valide et non revenue "
            "en NPAI.", SHARE),
    Measure("emailable_rate", "Joignables par e-mail",
            "Part des fiches reçues qui ont un e-mail valide et utilisable pour une campagne du "
            "réseau : consentement préalable pour un particulier, adresse professionnelle ou "
            "générique d'organisation sinon (règles du glossaire).", SHARE),
    Measure("phoneable_rate", "Joignables par téléphone",
            "Part des fiches reçues qui ont un numéro valide utilisable selon la règle de "
            "démarchage téléphonique en vigueur à la date de référence.", SHARE),
    Measure("qualified_share", "Joignables par au moins un canal",
            "Part des fiches reçues joignables par courrier, par e-mail ou par téléphone "
            "(au moins un des trois).", SHARE),
    Measure("records_with_issue", "Fiches avec au moins un problème",
            "Nombre de fiches reçues qui portent au moins une anomalie de qualité (toutes "
            "anomalies confondues, y compris consentement manquant)."),
    Measure("issue_rate", "Part de fiches avec au moins un problème",
            "Fiches avec au moins un problème rapportées aux fiches reçues.", SHARE),
    Measure("stays_year", "Séjours de l'année",
            "Nombre de séjours dont la date d'arrivée tombe dans l'année intégrée, jusqu'à la "
            "date de référence (les réservations à venir ne comptent pas)."),
    Measure("revenue_year", "Chiffre d'affaires de l'année",
            "Somme des montants TTC des séjours de l'année (même règle que les séjours de "
            "l'année).", EUROS),
    Measure("clients_year", "Clients ayant séjourné dans l'année",
            "Nombre de contacts distincts ayant au moins un séjour arrivé dans l'année."),
    Measure("retention", "Rétention d'une année sur l'autre",
            "Part des clients de l'année précédente (N-1) revenus séjourner dans l'année (N) : "
            "dans le même centre pour un centre, dans n'importe quel centre pour le réseau.",
            SHARE),
    Measure("clients_prev_year", "Clients de l'année précédente",
            "Nombre de clients ayant séjourné dans le périmètre l'année précédente (N-1), base "
            "de la rétention."),
    Measure("returning_clients", "Clients revenus",
            "Nombre de clients de l'année précédente (N-1) revenus séjourner dans l'année (N) "
            "(numérateur de la rétention)."),
    Measure("org_retention", "Rétention des organisations clientes",
            "Part des organisations (écoles, clubs, comités d'entreprise…) ayant séjourné l'année "
            "précédente (N-1) qui sont revenues dans l'année (N), quelle que soit la personne qui "
            "a réservé : dans le même centre pour un centre, dans le réseau pour le réseau.",
            SHARE),
    Measure("org_clients_prev_year", "Organisations clientes l'année précédente",
            "Nombre d'organisations dont un contact a séjourné dans le périmètre l'année "
            "précédente (N-1), base de la rétention des organisations."),
    Measure("org_returning", "Organisations revenues",
            "Nombre d'organisations clientes l'année précédente (N-1) revenues dans l'année (N), "
            "avec la même personne ou une autre."),
    Measure("surveys_sent", "Questionnaires de satisfaction envoyés",
            "Nombre de séjours de l'année après lesquels un questionnaire de satisfaction a été "
            "envoyé (d'après l'export du centre)."),
    Measure("survey_answers", "Questionnaires de satisfaction reçus",
            "Nombre de séjours de l'année dont le questionnaire de satisfaction a reçu une note."),
    Measure("survey_response_rate", "Taux de réponse à l'enquête de satisfaction",
            "Questionnaires reçus rapportés aux questionnaires envoyés.", SHARE),
    Measure("satisfaction_mean", "Satisfaction moyenne",
            "Moyenne des notes de satisfaction (sur 10) données après les séjours de l'année.",
            SCORE),
    Measure("satisfaction_returning", "Satisfaction des clients revenus",
            "Note moyenne donnée l'année précédente par les clients qui sont revenus cette "
            "année.", SCORE),
    Measure("satisfaction_not_returning", "Satisfaction des clients non revenus",
            "Note moyenne donnée l'année précédente par les clients qui ne sont pas revenus "
            "cette année.", SCORE),
    Measure("clients_total", "Clients (toutes années)",
            "Nombre de contacts ayant au moins un séjour dans le périmètre, toutes années "
            "connues de la base jusqu'à la date de référence."),
    Measure("repeat_rate", "Taux de retour (au moins deux séjours)",
            "Part des clients (toutes années) qui ont séjourné au moins deux fois dans le "
            "périmètre, quelle que soit l'année.", SHARE),
    Measure("multi_centre_share", "Clients de plusieurs centres",
            "Part des clients (toutes années) du périmètre qui ont séjourné dans au moins deux "
            "centres du réseau.", SHARE),
    Measure("new_clients", "Nouveaux clients",
            "Clients ayant séjourné dans l'année dont c'est le premier séjour dans le "
            "périmètre."),
]
MEASURES: dict[str, Measure] = {m.name: m for m in _FIXED}

FOLLOWUP_STATUS = {"corrigé": "corrigés", "toujours": "toujours en anomalie",
                   "retiré": "retirés de l'export"}


def _family(name: str) -> Measure | None:
    family, _, key = name.partition(":")
    if not key:
        return None
    if family == "issue":
        label = ISSUE_CODES.get(key, key)
        return Measure(name, f"Fiches : {label.lower()}",
                       f"Nombre de fiches reçues qui portent l'anomalie « {label} ».")
    if family == "rfm":
        return Measure(name, f"Clients « {key} »",
                       f"Nombre de clients du périmètre classés « {key} » par la grille RFM du "
                       "réseau à la date de référence.")
    if family == "org_rfm":
        return Measure(name, f"Organisations « {key} »",
                       f"Nombre d'organisations clientes (B2B) du périmètre classées « {key} » par "
                       "la grille RFM du réseau, tous leurs contacts réunis (une école reste fidèle "
                       "quand l'enseignant change).")
    if family == "satisfaction":
        return Measure(name, f"Satisfaction moyenne, segment {key}",
                       f"Moyenne des notes de satisfaction (sur 10) des séjours de l'année des "
                       f"clients du segment {key}.", SCORE)
    if family == "segment":
        return Measure(name, f"Contacts du segment {key}",
                       f"Nombre de contacts de l'année rattachés au segment commun {key}.")
    if family == "correction":
        return Measure(name, f"Corrections renvoyées par les centres : {key}",
                       "Parmi les corrections que le centre a indiquées dans son fichier retour, "
                       f"nombre de celles dont le statut est « {key} » dans l'export de l'année "
                       "(appliquée : l'export porte la valeur corrigée ; en attente : pas encore "
                       "d'export qui la montre ; contredite : le nouvel export est toujours faux).")
    if family == "followup":
        status = FOLLOWUP_STATUS.get(key, key)
        return Measure(name, f"Anomalies signalées l'an dernier : {status}",
                       "Parmi les anomalies corrigeables envoyées au centre l'an dernier dans "
                       f"son fichier retour, nombre de celles {status} cette année.")
    return None


def measure(name: str) -> Measure:
    """The definition of ``name`` (a fixed measure or a member of a family)."""
    if name in MEASURES:
        return MEASURES[name]
    found = _family(name)
    if found is None:
        raise KeyError(f"Mesure inconnue : {name!r} (à déclarer dans grc.measures.catalogue)")
    return found


FAMILY_DEFINITIONS = [
    Measure("issue:<code>", "Fiches par anomalie",
            "Pour chaque anomalie de qualité, nombre de fiches reçues qui la portent."),
    Measure("rfm:<catégorie>", "Clients par catégorie RFM",
            "Pour chaque catégorie de la grille RFM du réseau, nombre de clients du périmètre "
            "qui y sont classés à la date de référence."),
    Measure("org_rfm:<catégorie>", "Organisations par catégorie RFM",
            "Pour chaque catégorie de la grille RFM du réseau, nombre d'organisations clientes "
            "(écoles, clubs, comités d'entreprise…) qui y sont classées, tous contacts réunis."),
    Measure("satisfaction:<segment>", "Satisfaction par segment",
            "Pour chaque segment commun, moyenne des notes de satisfaction (sur 10) de l'année.",
            SCORE),
    Measure("segment:<code>", "Contacts par segment",
            "Pour chaque segment commun, nombre de contacts de l'année qui y sont rattachés."),
    Measure("correction:<statut>", "Corrections renvoyées par les centres",
            "Devenir des corrections que chaque centre a indiquées dans son fichier retour : "
            "appliquées, en attente, contredites par le nouvel export, maintenues ou retirées."),
    Measure("followup:<statut>", "Suivi du fichier retour",
            "Devenir des anomalies corrigeables signalées l'an dernier : corrigées, toujours "
            "présentes, ou fiches retirées de l'export."),
]
