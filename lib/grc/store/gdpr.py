"""GDPR: erasure requests, retention purge, processing register (CNIL).

Erasure requests (``erasure_file``: ``centre,local_id,email``) remove the person from every
table of the base, network-wide (all centres and years, through the network contact), and from
every later output. The erasure itself is logged without personal data: only salted hashes
of the identifiers are kept, so that a later export bringing the person back is detected and
flagged instead of silently re-imported.

The tables reached are those of the catalogue (``grc.store.catalogue``) with a ``person`` rule:
a table declared there with personal data is erased without any change here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pandas as pd

from grc import rules
from grc.store import base as db
from grc.store import catalogue as cat

SALT = "grc-erasure-v1"


def _h(value: str) -> str:
    return hashlib.sha256(f"{SALT}|{value}".encode()).hexdigest()


def email_hash(email: str) -> str:
    return _h("email:" + email.strip().lower())


def key_hash(centre: str, local_id: str) -> str:
    return _h(f"key:{centre}:{local_id}")


def load_erasures(path: Path | None) -> pd.DataFrame:
    """Erasure requests as ``centre, local_id, email`` (empty frame if no file)."""
    cols = ["centre", "local_id", "email"]
    if path is None or not Path(path).exists():
        return pd.DataFrame(columns=cols)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise ValueError(f"{path} : colonnes manquantes {missing} ; attendu : centre,local_id,email.")
    frame = frame[cols].apply(lambda s: s.str.strip())
    bad = frame[(frame["local_id"] == "") & (frame["email"] == "")]
    if len(bad):
        raise ValueError(f"{path}, ligne {int(bad.index[0]) + 2} : indiquez au moins local_id ou email.")
    return frame


def _requested_hashes(erasures: pd.DataFrame) -> tuple[set[str], set[str]]:
    keys = {key_hash(c, i) for c, i in zip(erasures["centre"], erasures["local_id"], strict=True) if i}
    mails = {email_hash(e) for e in erasures["email"] if e}
    return keys, mails


def _logged_hashes(con) -> tuple[set[str], set[str]]:
    log = db.read_table(con, "erasure_hashes")
    if log.empty:
        return set(), set()
    return (set(log.loc[log["kind"] == "key", "hash"]), set(log.loc[log["kind"] == "email", "hash"]))


def apply_erasures(con, erasures: pd.DataFrame, run_id: str) -> set[tuple[str, str]]:
    """Erase every record of each requested person; return the erased (centre, local_id)."""
    req_keys, req_mails = _requested_hashes(erasures)
    old_keys, old_mails = _logged_hashes(con)
    all_keys, all_mails = req_keys | old_keys, req_mails | old_mails
    rec = db.read_table(con, "records")
    if rec.empty:
        return set()
    kh = [key_hash(c, i) for c, i in zip(rec["centre"], rec["local_id"], strict=True)]
    eh = [email_hash(e) if isinstance(e, str) and e else "" for e in rec["email"]]
    hit = pd.Series([a in all_keys or b in all_mails for a, b in zip(kh, eh, strict=True)], index=rec.index)
    keys = set(zip(rec.loc[hit, "centre"], rec.loc[hit, "local_id"], strict=True))
    # network-wide: every record linked to the same network contact
    links = db.read_table(con, "record_links")
    contact_ids: set[str] = set()
    if not links.empty and keys:
        lk = links.set_index(["centre", "local_id"])["contact_id"]
        contact_ids = {lk[k] for k in keys if k in lk.index}
        more = links[links["contact_id"].isin(contact_ids)]
        keys |= set(zip(more["centre"], more["local_id"], strict=True))
    if not keys:
        return set()
    # returning persons: erased before, present again in a new export
    returned = [k for k in keys if key_hash(*k) in old_keys or
                any(email_hash(e) in old_mails for e in rec.loc[
                    (rec["centre"] == k[0]) & (rec["local_id"] == k[1]), "email"].dropna())]
    erase_persons(con, pd.DataFrame(sorted(keys), columns=["centre", "local_id"]), contact_ids)
    new_hashes = pd.DataFrame(
        [{"kind": "key", "hash": key_hash(*k)} for k in sorted(keys)]
        + [{"kind": "email", "hash": h} for h in sorted(req_mails)])
    new_hashes = new_hashes[~new_hashes["hash"].isin(old_keys | old_mails)]
    db.append(con, "erasure_hashes", new_hashes)
    db.append(con, "erasures", pd.DataFrame([{
        "run_id": run_id, "date": dt.date.today().isoformat(), "records_erased": len(keys),
        "returned": len(returned),
        "centres": json.dumps(sorted({k[0] for k in keys})),
    }]))
    if returned:
        db.append(con, "erasure_returns", pd.DataFrame(
            [{"run_id": run_id, "centre": c, "key_hash": key_hash(c, i)} for c, i in returned]))
    return keys


def erase_persons(con, keys: pd.DataFrame, contact_ids: set[str]) -> dict[str, int]:
    """Delete, in every table of the catalogue holding rows about persons, the rows about these
    records (``keys``: centre, local_id) and network contacts; return the rows deleted per table."""
    done: dict[str, int] = {}
    with cat.persons(con, keys, contact_ids):
        for t in cat.person_tables():
            if not cat.present(con, t):
                continue
            for src, cond in cat.person_matches(t):
                n = con.execute(f'DELETE FROM "{t.name}" t USING {src} WHERE {cond}').fetchall()[0][0]
                done[t.name] = done.get(t.name, 0) + int(n)
    return done


# --- processing register ("registre des traitements", RGPD art. 30) ---------------------------
def register_entries(cfg) -> list[dict[str, str]]:
    """The processing activities of the network base, described from the config."""
    centres = cfg.centre_codes()
    return [
        {
            "Traitement": "Base clients et prospects du réseau (gestion de la relation client)",
            "Responsable": f"Tête de réseau « {cfg.network} », responsable conjoint avec chaque centre "
                           f"adhérent pour ses propres clients ({len(centres)} centres)",
            "Finalités": "Gestion des séjours et de la relation client ; qualification et "
                         "dédoublonnage des fichiers ; segmentation et statistiques ; prospection "
                         "(courrier, e-mail, téléphone) dans le respect des consentements et oppositions",
            # the legal bases and rights are the rule book's own words (grc.rules)
            "Base légale": rules.register_legal_basis(),
            "Personnes concernées": "Clients et prospects : établissements scolaires, associations, "
                                    "clubs, entreprises, collectivités (contacts professionnels) et "
                                    "particuliers (familles, individuels)",
            "Données": "Identité (civilité, nom, prénom), fonction, organisme, coordonnées postales, "
                       "téléphone, e-mail, segment, consentements, séjours (dates, nuitées, "
                       "effectifs, montants, prestations) ; aucune donnée sensible",
            "Destinataires": "Siège du réseau (service CRM) ; chaque centre pour ses seuls clients "
                             "(fichiers de retour, rapports) ; aucun transfert hors UE",
            "Durée de conservation": f"{rules.RETENTION.text} ({rules.RETENTION.source}) ; "
                                     "signalement des fiches concernées puis anonymisation par le siège",
            "Droits": rules.register_rights(),
            "Sécurité": "Base unique au siège, mise à jour tout ou rien (une erreur laisse la base "
                        "intacte), rapports HTML sans donnée "
                        "personnelle brute (agrégats, exemples masqués), cloisonnement par centre, "
                        "historique des modifications et des exécutions",
        },
    ]


def write_register(cfg, path=None, site: dict | None = None):
    """Write ``reports/registre_traitements.html`` (no personal data); ``site``: the page's
    header in the report site (:meth:`grc.reports.site.SiteMap.header`)."""
    import html

    from grc.reports.runner import atomic_write_text
    from grc.reports.site import render_page

    path = Path(path or cfg.reports_dir / "registre_traitements.html")
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = []
    for entry in register_entries(cfg):
        rows.append("<table>" + "".join(
            f"<tr><th>{html.escape(k)}</th><td>{html.escape(v).replace(chr(10), '<br>')}</td></tr>"
            for k, v in entry.items())
            + "</table>")
    intro = (f"<p>{html.escape(cfg.network)} — établi à partir des paramètres du réseau, "
             f"année {cfg.year}, date de référence {cfg.reference_date:%d/%m/%Y}.</p>")
    title = "Registre des activités de traitement"
    site = site or {"network": cfg.network, "year": cfg.year, "title": title,
                    "tab_title": f"{title} — {cfg.network}",
                    "index": {"label": "Sommaire", "href": "index.html", "current": False}}
    doc = render_page(site, intro + "".join(rows))
    atomic_write_text(path, doc)
    return path
