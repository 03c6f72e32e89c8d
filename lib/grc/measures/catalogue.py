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
SIMILARITY = "score de ressemblance"
MONTHS = "mois"


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
        entry = next((f.name for f in FAMILY_DEFINITIONS if sep and any(
            part.strip().startswith(family + ":") for part in f.name.split(","))), self.name)
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
    Measure("duplicates_within", "Doublons à l'intérieur des centres",
            "Fiches reçues moins, pour chaque centre, ses contacts distincts : fiches d'un même "
            "centre qui désignent un client déjà présent sous une autre fiche de ce centre (à "
            "fusionner dans son logiciel)."),
    Measure("duplicates_between", "Doublons entre centres",
            "Somme des contacts distincts de chaque centre moins les contacts distincts du "
            "réseau : fiches de clients déjà connus d'un autre centre (un client de trois centres "
            "compte deux fois)."),
    Measure("duplicate_rate", "Taux de doublons",
            "Doublons fusionnés rapportés aux fiches reçues.", SHARE),
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
    Measure("new_clients", "Nouveaux clients de l'année",
            "Clients ayant séjourné dans l'année dont c'est le premier séjour dans le "
            "périmètre."),
    Measure("win_back_clients", "Clients de forte valeur à relancer",
            "Clients à forte valeur (deux meilleures catégories de la grille RFM du réseau, ou "
            "montant moyen d'un séjour parmi les 20 % les plus élevés du périmètre) sans séjour "
            "depuis plus de 12 mois à la date de référence."),
    Measure("win_back_amount", "Chiffre d'affaires passé des clients de forte valeur à relancer",
            "Somme des montants TTC de tous les séjours passés des clients de forte valeur à "
            "relancer (distincts de la catégorie RFM « Clients à reconquérir »).",
            EUROS),
    Measure("fix_rate", "Taux de correction des anomalies signalées",
            "Parmi les anomalies corrigeables signalées l'an dernier dans le fichier retour et "
            "dont la fiche est toujours exportée, part de celles qui sont corrigées.", SHARE),
    Measure("no_channel_share", "Joignables par aucun canal",
            "Part des fiches reçues joignables ni par courrier, ni par e-mail, ni par "
            "téléphone.", SHARE),
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
    return _breakdown(name, family, key)


def _words(family: str, key: str) -> dict[str, str]:
    """The French words a breakdown member's label and definition use (``key`` may carry
    two parts: ``<segment>:<product>``, ``<r>:<f>``...)."""
    first, _, second = key.partition(":")
    words = {"key": key, "a": first, "b": second}
    if family in ("filled", "valid", "valid_if_filled"):
        from grc.measures.breakdowns import QUALITY_FIELDS

        words["key"] = QUALITY_FIELDS[key][0] if key in QUALITY_FIELDS else key
    elif family == "channel":
        words["key"] = CHANNEL_WORDS.get(key, key)
    elif family == "issue_share":
        words["key"] = ISSUE_CODES.get(key, key)
    elif family in ("criterion", "criterion_share"):
        from grc.measures.breakdowns import CRITERIA_TITLES

        words["a"] = CRITERIA_TITLES.get(first, first)
    elif family in ("field_changes", "field_completed", "field_emptied"):
        from grc.schema import field_label

        words["key"] = field_label(key)
    elif family in ("followup_code", "followup_fix_rate"):
        words["a"] = ISSUE_CODES.get(first, first)
        words["b"] = FOLLOWUP_CODE_WORDS.get(second, second)
    elif family in ("pairs", "pair_share", "pair_score"):
        words["key"] = PAIR_WORDS.get(key, key)
    elif family == "pair_bin":
        words["a"] = PAIR_WORDS.get(first, first)
        words["b"] = _score_bin(second)
    elif family == "changes":
        words["key"] = HISTORY_WORDS.get(key, key)
    elif family == "season":
        words["b"] = MONTH_NAMES[int(second) - 1] if second.isdigit() and 0 < int(second) < 13 \
            else second
    return words


def _score_bin(lower: str) -> str:
    """French words of a ``pair_bin:`` bin: « de 2 à 3 » (its width:
    :data:`grc.measures.breakdowns.PAIR_BIN_WIDTH`)."""
    from grc.measures.breakdowns import PAIR_BIN_WIDTH

    try:
        low = float(lower)
    except ValueError:
        return lower
    return f"de {low:g} à {low + PAIR_BIN_WIDTH:g}".replace("-", "−")


def _breakdown(name: str, family: str, key: str) -> Measure | None:
    """A member of a breakdown family of :data:`BREAKDOWNS` (None for an unknown family)."""
    if family not in BREAKDOWNS:
        return None
    label, definition, unit = BREAKDOWNS[family]
    words = _words(family, key)
    return Measure(name, label.format(**words), definition.format(**words), unit)


CHANNEL_WORDS = {"mailable": "courrier", "emailable": "e-mail", "phoneable": "téléphone",
                 "any": "au moins un canal", "none": "aucun canal"}
PAIR_WORDS = {"match": "même client (fusionné)", "review": "à vérifier",
              "non-match": "clients distincts"}
FOLLOWUP_CODE_WORDS = {"signalé": "signalées l'an dernier", "corrigé": "corrigées",
                       "toujours": "toujours à corriger", "retiré": "plus exportées"}
HISTORY_WORDS = {"nouveau": "nouvelles fiches", "modification": "fiches modifiées",
                 "plus_exporte": "fiches plus exportées",
                 "reexporte": "fiches de retour dans l'export",
                 "fusion": "fiches rattachées à un autre contact"}
MONTH_NAMES = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
               "septembre", "octobre", "novembre", "décembre"]
_PAST = "séjours arrivés jusqu'à la date de référence, toutes années"
_WINDOW = "sur la fenêtre d'observation de la grille RFM du réseau"
# breakdown families: (label, definition, unit); {key}, {a} and {b} are the member's words
BREAKDOWNS: dict[str, tuple[str, str, str]] = {
    "filled": ("Champ renseigné : {key}",
               "Part des fiches reçues dont le champ « {key} » est renseigné.", SHARE),
    "valid": ("Champ valide : {key}",
              "Part des fiches reçues dont le champ « {key} » est renseigné et valide (sans "
              "anomalie de qualité sur ce champ).", SHARE),
    "valid_if_filled": ("Champ valide quand il est renseigné : {key}",
                        "Parmi les fiches reçues dont le champ « {key} » est renseigné, part de "
                        "celles où il est valide.", SHARE),
    "channel": ("Fiches joignables par {key}",
                "Nombre de fiches reçues joignables par {key} (mêmes règles que les parts de "
                "fiches joignables par canal).", COUNT),
    "changes": ("Historique de l'année : {key}",
                "Nombre de fiches de l'année concernées par l'événement « {key} » de "
                "l'historique (comparaison avec l'export de l'année précédente).", COUNT),
    "field_changes": ("Modifications du champ {key}",
                      "Nombre de modifications du champ « {key} » entre l'export de l'année "
                      "précédente et celui de l'année.", COUNT),
    "field_completed": ("Champ {key} complété",
                        "Parmi les modifications du champ « {key} », nombre de valeurs "
                        "ajoutées à un champ vide l'année précédente.", COUNT),
    "field_emptied": ("Champ {key} effacé",
                      "Parmi les modifications du champ « {key} », nombre de valeurs effacées "
                      "(champ vide dans le nouvel export).", COUNT),
    "followup_code": ("Anomalies « {a} » {b}",
                      "Parmi les fiches signalées l'an dernier dans le fichier retour pour "
                      "l'anomalie « {a} », nombre de celles {b} cette année.", COUNT),
    "followup_fix_rate": ("Taux de correction : {a}",
                          "Parmi les fiches signalées l'an dernier pour l'anomalie « {a} » et "
                          "toujours exportées, part de celles qui sont corrigées.", SHARE),
    "pairs": ("Paires candidates : {key}",
              "Nombre de paires de fiches comparées par le dédoublonnage (les deux fiches dans le "
              "centre pour un centre) dont la décision est « {key} ».", COUNT),
    "pair_share": ("Part des paires candidates : {key}",
                   "Paires de décision « {key} » rapportées à toutes les paires candidates du "
                   "périmètre.", SHARE),
    "pair_score": ("Score médian des paires : {key}",
                   "Score de ressemblance médian (plus il est haut, plus les deux fiches "
                   "désignent le même client) des paires de décision « {key} ».", SIMILARITY),
    "pair_bin": ("Paires candidates « {a} » au score {b}",
                 "Nombre de paires de fiches comparées par le dédoublonnage (les deux fiches dans "
                 "le centre pour un centre), de décision « {a} », dont le score de ressemblance "
                 "va {b} (borne haute exclue).", COUNT),
    "cluster": ("Contacts du groupe de comportement {key}",
                "Nombre de contacts du périmètre (ayant des fiches dans le centre, toutes années, "
                "pour un centre) classés dans le groupe de comportement {key} de la typologie de "
                "l'année.", COUNT),
    "cluster_share": ("Part des contacts du groupe de comportement {key}",
                      "Contacts du groupe de comportement {key} rapportés aux contacts classés "
                      "du périmètre.", SHARE),
    "shared_pair": ("Clients partagés par {a} et {b}",
                    "Nombre de contacts du réseau dont des fiches figurent dans les exports des "
                    "centres {a} et {b} (toutes années).", COUNT),
    "issue_share": ("Part des fiches : {key}",
                    "Part des fiches reçues qui portent l'anomalie « {key} ».", SHARE),
    "segment_share": ("Part des contacts du segment {key}",
                      "Part des contacts de l'année rattachés au segment commun {key}.", SHARE),
    "criterion": ("Contacts : {a} « {b} »",
                  "Nombre de contacts de l'année dont le critère « {a} » vaut « {b} ».", COUNT),
    "criterion_share": ("Part des contacts : {a} « {b} »",
                        "Part des contacts de l'année dont le critère « {a} » vaut « {b} ».",
                        SHARE),
    "family_clients": ("Clients de la famille {key}",
                       "Nombre de clients distincts ayant séjourné dans l'année (arrivée dans "
                       "l'année, jusqu'à la date de référence) dont le segment appartient à la "
                       "famille « {key} ».", COUNT),
    "family_share": ("Part des clients de la famille {key}",
                     "Clients de la famille « {key} » rapportés aux clients ayant séjourné dans "
                     "l'année.", SHARE),
    "product_stays": ("Séjours « {b} » du segment {a}",
                      f"Nombre de {_PAST}, du produit « {{b}} » réservés par des clients du "
                      "segment « {a} ».", COUNT),
    "product_share": ("Part des séjours du segment {a} : « {b} »",
                      "Séjours du produit « {b} » rapportés à tous les séjours des clients du "
                      f"segment « {{a}} » ({_PAST}).", SHARE),
    "product_amount": ("Chiffre d'affaires « {b} » du segment {a}",
                       f"Somme des montants TTC des {_PAST}, du produit « {{b}} » réservés par "
                       "des clients du segment « {a} ».", EUROS),
    "department": ("Clients du département {key}",
                   "Nombre de clients du périmètre (contacts ayant au moins un séjour) dont "
                   "l'adresse est dans le département {key}.", COUNT),
    "department_share": ("Part des clients du département {key}",
                         "Clients du département {key} rapportés aux clients du périmètre.",
                         SHARE),
    "region": ("Clients de la région {key}",
               "Nombre de clients du périmètre (contacts ayant au moins un séjour) dont "
               "l'adresse est dans la région « {key} ».", COUNT),
    "region_share": ("Part des clients de la région {key}",
                     "Clients de la région « {key} » rapportés aux clients du périmètre.", SHARE),
    "season": ("Séjours du segment {a} arrivés en {b}",
               f"Nombre de {_PAST}, des clients du segment « {{a}} » dont l'arrivée tombe en "
               "{b}.", COUNT),
    "rf": ("Clients à {a} points de récence et {b} points de fréquence",
           "Nombre de clients du périmètre qui ont {a} points de récence et {b} points de "
           "fréquence dans la grille RFM du réseau à la date de référence.", COUNT),
    "rfm_share": ("Part des clients « {key} »",
                  "Clients classés « {key} » par la grille RFM du réseau rapportés aux clients "
                  "scorés du périmètre.", SHARE),
    "rfm_stays": ("Séjours des clients « {key} »",
                  f"Nombre de séjours des clients classés « {{key}} », {_WINDOW}.", COUNT),
    "rfm_amount": ("Chiffre d'affaires des clients « {key} »",
                   f"Somme des montants TTC des séjours des clients classés « {{key}} », "
                   f"{_WINDOW}.", EUROS),
    "rfm_amount_share": ("Part du chiffre d'affaires des clients « {key} »",
                         "Chiffre d'affaires des clients classés « {key} » rapporté à celui de "
                         f"tous les clients scorés du périmètre, {_WINDOW}.", SHARE),
    "rfm_amount_per_client": ("Chiffre d'affaires par client « {key} »",
                              "Chiffre d'affaires des clients classés « {key} » divisé par leur "
                              f"nombre, {_WINDOW}.", EUROS),
    "rank_profile": ("Clients du profil « {key} » (variante par quantiles)",
                     "Nombre de clients scorés du périmètre classés dans le profil « {key} » par "
                     "la variante par quantiles (récence et fréquence notées de 1 à 5 selon le "
                     "rang du client parmi les clients scorés du périmètre, à la date de "
                     "référence).", COUNT),
    "rank_share": ("Part des clients du profil « {key} » (variante par quantiles)",
                   "Clients du profil « {key} » de la variante par quantiles rapportés aux clients "
                   "scorés du périmètre.", SHARE),
    "rank_recency": ("Récence médiane du profil « {key} »",
                     "Médiane, parmi les clients du profil « {key} » de la variante par quantiles, "
                     "du nombre de mois écoulés depuis leur dernière arrivée à la date de "
                     "référence.", MONTHS),
    "rank_frequency": ("Fréquence médiane du profil « {key} »",
                       "Médiane, parmi les clients du profil « {key} » de la variante par quantiles, "
                       "de leur fréquence de séjour dans l'unité de la grille RFM du réseau "
                       "(séjours par an, par mois ou sur la fenêtre d'observation).", COUNT),
    "rank_monetary": ("Montant médian du profil « {key} »",
                      "Médiane, parmi les clients du profil « {key} » de la variante par quantiles, "
                      "de leur montant TTC dans l'unité de la grille RFM du réseau (total sur la "
                      "fenêtre d'observation, montant moyen ou montant du dernier séjour).", EUROS),
    "family_retention": ("Rétention de la famille {key}",
                         "Part des clients de la famille « {key} » de l'année précédente (N-1) "
                         "revenus séjourner dans l'année (N) : dans le même centre pour un "
                         "centre, dans n'importe quel centre pour le réseau.", SHARE),
    "family_clients_prev": ("Clients N-1 de la famille {key}",
                            "Nombre de clients de la famille « {key} » ayant séjourné dans le "
                            "périmètre l'année précédente (N-1).", COUNT),
    "family_returning": ("Clients revenus de la famille {key}",
                         "Nombre de clients de la famille « {key} » de l'année précédente (N-1) "
                         "revenus séjourner dans l'année (N).", COUNT),
}


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
    Measure("filled:<champ>, valid:<champ>, valid_if_filled:<champ>",
            "Qualité des champs",
            "Pour chaque champ de la fiche, part des fiches reçues où il est renseigné, où il "
            "est valide, et part de valeurs valides parmi les valeurs renseignées.", SHARE),
    Measure("channel:<canal>", "Fiches joignables par canal",
            "Pour chaque canal (courrier, e-mail, téléphone, au moins un, aucun), nombre de "
            "fiches reçues joignables par ce canal."),
    Measure("changes:<événement>, field_changes:<champ>, field_completed:…, field_emptied:…",
            "Ce qui a changé depuis l'an dernier",
            "Fiches par événement de l'historique (nouvelles, modifiées, plus exportées, de "
            "retour, rattachées à un autre contact) et, par champ, modifications, valeurs "
            "ajoutées et valeurs effacées."),
    Measure("followup_code:<code>:<statut>, followup_fix_rate:<code>",
            "Suivi du fichier retour par anomalie",
            "Pour chaque anomalie signalée l'an dernier : fiches signalées, corrigées, toujours "
            "à corriger, plus exportées, et taux de correction."),
    Measure("pairs:<décision>, pair_share:<décision>, pair_score:<décision>",
            "Décisions du dédoublonnage",
            "Pour chaque décision (même client, à vérifier, clients distincts), nombre et part "
            "des paires de fiches comparées, et leur score de ressemblance médian."),
    Measure("pair_bin:<décision>:<score>", "Distribution des scores des paires",
            "Pour chaque décision du dédoublonnage et chaque tranche d'un point du score de "
            "ressemblance (de 2 à 3, de 3 à 4…), nombre de paires de fiches comparées dont le "
            "score tombe dans la tranche : l'histogramme de la page de dédoublonnage."),
    Measure("cluster:<groupe>, cluster_share:<groupe>", "Groupes de comportement",
            "Pour chaque groupe de la typologie comportementale, nombre et part des contacts "
            "classés du périmètre qui y appartiennent."),
    Measure("shared_pair:<centre>:<centre>", "Clients partagés par deux centres",
            "Pour chaque couple de centres, nombre de contacts dont des fiches figurent dans les "
            "exports des deux centres (toutes années)."),
    Measure("issue_share:<code>", "Part des fiches par anomalie",
            "Pour chaque anomalie de qualité, part des fiches reçues qui la portent.", SHARE),
    Measure("segment_share:<code>", "Part des contacts par segment",
            "Pour chaque segment commun, part des contacts de l'année qui y sont rattachés.",
            SHARE),
    Measure("criterion:<critère>:<valeur>, criterion_share:<critère>:<valeur>",
            "Contacts par critère dérivé",
            "Pour chaque critère dérivé (cycle de vie, distance, taille…) et chacune de ses "
            "valeurs, nombre et part des contacts de l'année qui ont cette valeur."),
    Measure("family_clients:<famille>, family_share:<famille>", "Clients par famille",
            "Pour chaque famille de segments, nombre et part des clients ayant séjourné dans "
            "l'année (une ligne par année intégrée : l'évolution se lit d'une année à l'autre)."),
    Measure("product_stays:<segment>:<produit>, product_share:…, product_amount:…",
            "Produits par segment",
            "Pour chaque segment et chaque produit, séjours passés (toutes années jusqu'à la "
            "date de référence), part des séjours du segment et chiffre d'affaires : les "
            "produits phares."),
    Measure("department:<code>, region:<région> (et leurs parts)", "Clients par territoire",
            "Pour chaque département et chaque région, nombre et part des clients du périmètre "
            "(contacts ayant au moins un séjour) qui y habitent."),
    Measure("season:<segment>:<mois>", "Saisonnalité par segment",
            "Pour chaque segment et chaque mois, nombre de séjours passés (toutes années "
            "jusqu'à la date de référence) dont l'arrivée tombe dans ce mois."),
    Measure("rf:<récence>:<fréquence>", "Clients par note de récence et de fréquence",
            "Pour chaque couple de points de récence et de fréquence de la grille RFM du "
            "réseau, nombre de clients du périmètre qui l'obtiennent."),
    Measure("rfm_share:, rfm_stays:, rfm_amount:, rfm_amount_share:, "
            "rfm_amount_per_client:<catégorie>", "Catégories RFM et chiffre d'affaires",
            "Pour chaque catégorie de la grille RFM du réseau : part des clients, séjours, "
            "chiffre d'affaires, part du chiffre d'affaires et chiffre d'affaires par client, "
            "sur la fenêtre d'observation de la grille."),
    Measure("rank_profile:<profil>, rank_share:…, rank_recency:…, rank_frequency:…, "
            "rank_monetary:…", "Variante par quantiles",
            "Pour chaque profil de la variante par quantiles (récence et fréquence classées en "
            "quintiles parmi les clients scorés du périmètre), nombre et part des clients, et "
            "médianes de leur récence (mois), fréquence et montant (euros TTC) dans les unités "
            "de la grille RFM du réseau."),
    Measure("family_retention:<famille>, family_clients_prev:…, family_returning:…",
            "Rétention par famille",
            "Pour chaque famille de segments, clients de l'année précédente, clients revenus "
            "et rétention (même règle que la rétention d'une année sur l'autre).", SHARE),
]
