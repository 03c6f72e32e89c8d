"""The way back: read the return files centres send back and record their answers.

``grc returns import --config CONFIG FILE...`` reads each file (as written by
:mod:`grc.returns.write`, possibly re-saved by Excel or LibreOffice with rows sorted, filtered
or deleted), checks every answer against the network base, and records:

- the duplicate decisions ("même client" / "clients différents") in the network's decision
  file (``decisions_file`` of the config, else ``params/dedup_decisions.csv`` beside it), with
  who decided (the centre) and when; the next ``grc run`` applies them;
- every answer, accepted or refused, in the base table ``return_answers``;
- the head office's log ``exports/returns_log.csv`` (see :func:`returns_log`).

Problems are French sentences naming the file, the sheet and the row.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from grc.config import NetworkConfig
from grc.returns import write as W
from grc.schema import CORRECTION_STATUS_LABELS
from grc.store import base as db

ANSWER_COLUMNS = ["centre", "year", "file", "sheet", "row", "kind", "key", "local_id", "field",
                  "code", "centre_a", "local_id_a", "centre_b", "local_id_b", "answer",
                  "comment", "decided_by", "decided_at", "imported_at", "status", "message",
                  "file_sha256"]
DECISION_FILE_COLUMNS = ["centre_a", "local_id_a", "centre_b", "local_id_b", "decision",
                         "decided_by", "decided_at", "source", "export_year", "pair_key"]
_KIND = {W.SHEET_DUP: "doublon", W.SHEET_FIX: "correction", W.SHEET_NPAI: "npai"}
_CHOICES = {W.SHEET_DUP: W.DECISIONS, W.SHEET_FIX: W.FIX_ANSWERS, W.SHEET_NPAI: W.NPAI_ANSWERS}


def _fold(text: Any) -> str:
    """Lower case, no accents, single spaces: how answers are compared."""
    s = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode()
    return " ".join(s.replace("’", "'").lower().split())


@dataclass
class ReturnFile:
    """What one returned file holds."""

    path: Path
    sha256: str = ""
    centre: str | None = None
    year: int | None = None
    decided_at: str | None = None
    answers: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def decisions_path(cfg: NetworkConfig) -> Path:
    """The network's decision file (the one the pipeline reads)."""
    return Path(cfg.decisions_file or (cfg.root / "params" / "dedup_decisions.csv"))


def _where(path: Path, sheet: str | None = None, row: int | None = None) -> str:
    out = f"Fichier {path.name}"
    if sheet:
        out += f", feuille « {sheet} »"
    if row:
        out += f", ligne {row}"
    return out


def _meta(wb: Any) -> dict[str, str]:
    if W.META_SHEET not in wb.sheetnames:
        return {}
    return {str(k): (None if v is None else str(v)) for k, v, *_ in
            wb[W.META_SHEET].iter_rows(min_row=1, max_col=2, values_only=True) if k}


def _file_centre(rf: ReturnFile, meta: dict[str, str], known: set[str],
                 expected: str | None) -> None:
    """Which centre the file comes from; a file of another centre is refused."""
    stem = rf.path.stem.upper()
    centre = meta.get("centre")
    if centre is None and stem in known:
        centre = stem
    if centre is None:
        rf.problems.append(f"{_where(rf.path)} : impossible de savoir de quel centre il vient "
                           f"(feuille cachée « {W.META_SHEET} » absente, nom de fichier inconnu). "
                           "Demandez au centre de renvoyer le fichier reçu, sans le recopier.")
        return
    if centre not in known:
        rf.problems.append(f"{_where(rf.path)} : centre « {centre} » inconnu du réseau.")
        return
    want = expected or (stem if stem in known else None)
    if want and want != centre:
        rf.problems.append(f"{_where(rf.path)} : ce fichier est le fichier retour du centre "
                           f"{centre}, pas celui de {want}. Réponses ignorées : renvoyez-le au "
                           f"centre {want} ou enregistrez-le sous le nom {centre}.xlsx.")
        return
    rf.centre = centre
    rf.year = int(meta["year"]) if (meta.get("year") or "").isdigit() else None


def _headers(ws: Any) -> dict[str, int]:
    first = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ())
    return {_fold(h): j for j, h in enumerate(first) if h is not None}


def _key_of(sheet: str, vals: tuple, cols: dict[str, int], centre: str) -> str | None:
    """The row's hidden key; rebuilt from the identifiers when the key column was removed."""
    j = cols.get(_fold(W.KEY_HEADER))
    if j is not None and j < len(vals) and vals[j] not in (None, ""):
        return str(vals[j]).strip()
    ids = [cols.get(_fold(h)) for h in ("Identifiant (fiche 1)", "Identifiant (fiche 2)")]
    if sheet == W.SHEET_DUP and None not in ids and all(vals[j] for j in ids):
        return W.pair_key(centre, str(vals[ids[0]]), centre, str(vals[ids[1]]))
    j = cols.get(_fold("Identifiant"))
    if sheet == W.SHEET_NPAI and j is not None and vals[j]:
        return f"{centre}:{vals[j]}"
    return None


def _parse_key(sheet: str, key: str) -> dict[str, Any] | None:
    """The record(s) a key names: ``{centre_a, local_id_a, centre_b, local_id_b}`` for a pair,
    ``{centre, local_id, field, code}`` otherwise; None when the key is not ours."""
    try:
        if sheet == W.SHEET_DUP:
            a, b = key.split("|")
            (ca, la), (cb, lb) = a.split(":", 1), b.split(":", 1)
            return {"centre_a": ca, "local_id_a": la, "centre_b": cb, "local_id_b": lb}
        rec, *rest = key.split("|")
        c, lid = rec.split(":", 1)
        out = {"centre": c, "local_id": lid, "field": None, "code": None}
        if sheet == W.SHEET_FIX:
            out["field"], out["code"] = rest
        return out
    except ValueError:
        return None


def _read_sheet(rf: ReturnFile, ws: Any, sheet: str) -> None:
    cols = _headers(ws)
    answer_head = W.DECISION_HEADER if sheet == W.SHEET_DUP else W.ANSWER_HEADER
    ja, jc = cols.get(_fold(answer_head)), cols.get(_fold(W.COMMENT_HEADER))
    if ja is None:
        rf.problems.append(f"{_where(rf.path, sheet)} : colonne « {answer_head} » introuvable, "
                           "réponses de cette feuille ignorées.")
        return
    choices = {_fold(c): c for c in _CHOICES[sheet]}
    for i, vals in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
        raw = vals[ja] if ja < len(vals) else None
        comment = vals[jc] if jc is not None and jc < len(vals) else None
        if raw in (None, "") and comment in (None, ""):
            continue
        rec = {"sheet": sheet, "row": i, "kind": _KIND[sheet], "answer": None,
               "comment": None if comment in (None, "") else str(comment), "message": None}
        key = _key_of(sheet, vals, cols, rf.centre or "")
        rec["key"] = key
        if raw not in (None, "") and _fold(raw) not in choices:
            rec["message"] = (f"{_where(rf.path, sheet, i)} : réponse « {raw} » non prévue ; "
                              f"choisissez dans la liste : {', '.join(_CHOICES[sheet])}.")
        elif raw not in (None, ""):
            rec["answer"] = choices[_fold(raw)]
        parsed = _parse_key(sheet, key) if key else None
        if parsed is None and rec["message"] is None:
            rec["message"] = (f"{_where(rf.path, sheet, i)} : la colonne « {W.KEY_HEADER} » "
                              "est vide ou modifiée ; impossible de savoir de quelle fiche il "
                              "s'agit.")
        rec.update(parsed or {})
        rf.answers.append(rec)


def read_return_file(path: str | Path, known_centres: set[str],
                     expected_centre: str | None = None) -> ReturnFile:
    """Read one returned file: its centre, year and the answers of each sheet (not checked
    against the base yet, see :func:`check_answers`)."""
    import hashlib

    from openpyxl import load_workbook

    rf = ReturnFile(Path(path))
    if not rf.path.is_file():
        rf.problems.append(f"{_where(rf.path)} : introuvable ({rf.path}).")
        return rf
    try:
        rf.sha256 = hashlib.sha256(rf.path.read_bytes()).hexdigest()
        wb = load_workbook(rf.path, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is reported, the others go on
        rf.problems.append(f"{_where(rf.path)} : illisible ({type(exc).__name__}). Un fichier "
                           "retour .xlsx est attendu, enregistré avec Excel ou LibreOffice.")
        return rf
    _file_centre(rf, _meta(wb), known_centres, expected_centre)
    if rf.centre is None:
        return rf
    modified = wb.properties.modified
    rf.decided_at = modified.isoformat(timespec="seconds") if modified else None
    for sheet in (W.SHEET_DUP, W.SHEET_FIX, W.SHEET_NPAI):
        if sheet in wb.sheetnames:
            _read_sheet(rf, wb[sheet], sheet)
    return rf


@dataclass
class BaseView:
    """What the answers are checked against: the records and the pairs of the last run."""

    records: set[tuple[str, str]]
    pairs: set[str]


def base_view(con: Any) -> BaseView:
    links = db.read_table(con, "record_links")
    recs = set(zip(links["centre"].astype(str), links["local_id"].astype(str), strict=True)) \
        if len(links) else set()
    p = db.read_table(con, "dedup_pairs")
    pairs = set()
    if len(p):
        pairs = {W.pair_key(*v) for v in p[["centre_a", "local_id_a", "centre_b",
                                            "local_id_b"]].astype(str).itertuples(index=False)}
    return BaseView(recs, pairs)


def _check_one(rf: ReturnFile, a: dict, view: BaseView) -> str | None:
    """The French message refusing answer ``a``, or None when it can be recorded."""
    where = _where(rf.path, a["sheet"], a["row"])
    if a.get("message"):
        return a["message"]
    if a["kind"] == "doublon":
        ends = [(a["centre_a"], a["local_id_a"]), (a["centre_b"], a["local_id_b"])]
    else:
        ends = [(a["centre"], a["local_id"])]
    for c, lid in ends:
        if c != rf.centre:
            return (f"{where} : la fiche {lid} appartient au centre {c}, pas à {rf.centre} ; "
                    "ce fichier mélange les réponses de deux centres, ligne ignorée.")
    for c, lid in ends:
        if (c, lid) not in view.records:
            what = "la paire n'existe plus : " if a["kind"] == "doublon" else ""
            return (f"{where} : {what}identifiant « {lid} » inconnu dans la base du réseau "
                    f"(fiche supprimée ou identifiant modifié) ; ligne ignorée.")
    if a["kind"] == "doublon" and a["answer"] in (W.SAME, W.DIFFERENT) and a["key"] not in view.pairs:
        return (f"{where} : la paire {a['local_id_a']} / {a['local_id_b']} n'est plus proposée "
                "(une des fiches a changé depuis l'envoi du fichier) ; décision ignorée, elle "
                "reviendra dans le prochain fichier si le doute demeure.")
    return None


def check_answers(rf: ReturnFile, view: BaseView, imported_at: str) -> pd.DataFrame:
    """Every answer of ``rf`` as an ``ANSWER_COLUMNS`` row, ``status`` "enregistrée" or
    "refusée" (with its ``message``)."""
    rows = []
    for a in rf.answers:
        msg = _check_one(rf, a, view)
        rows.append({**a, "centre": rf.centre, "year": rf.year, "file": rf.path.name,
                     "decided_by": f"centre {rf.centre}", "decided_at": rf.decided_at or imported_at,
                     "imported_at": imported_at, "status": "refusée" if msg else "enregistrée",
                     "message": msg, "file_sha256": rf.sha256})
    out = pd.DataFrame(rows, columns=ANSWER_COLUMNS)
    out = out.astype({c: object for c in ANSWER_COLUMNS if c not in ("row", "year")})
    out["year"] = pd.array(out["year"].tolist(), dtype="Int64")
    return out.astype({"row": "int64"})


def decision_rows(answers: pd.DataFrame) -> pd.DataFrame:
    """Accepted duplicate decisions in the decision file's columns (``same`` / ``different``)."""
    ok = answers[(answers["kind"] == "doublon") & (answers["status"] == "enregistrée")
                 & answers["answer"].isin([W.SAME, W.DIFFERENT])]
    out = pd.DataFrame({
        "centre_a": ok["centre_a"], "local_id_a": ok["local_id_a"], "centre_b": ok["centre_b"],
        "local_id_b": ok["local_id_b"],
        "decision": ok["answer"].map({W.SAME: "same", W.DIFFERENT: "different"}),
        "decided_by": ok["decided_by"], "decided_at": ok["decided_at"],
        "source": ok["file"] + " ligne " + ok["row"].astype(str),
        "export_year": ok["year"].astype(str), "pair_key": ok["key"]})
    return out.reset_index(drop=True)


def append_decisions(path: Path, rows: pd.DataFrame) -> int:
    """Append decisions to the network's decision file (earlier lines kept: the last decision
    on a pair wins, the file keeps who decided what and when). Returns rows written."""
    if rows.empty:
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    old = pd.read_csv(path, dtype=str, keep_default_na=False) if path.exists() else \
        pd.DataFrame(columns=DECISION_FILE_COLUMNS)
    cols = list(old.columns) + [c for c in DECISION_FILE_COLUMNS if c not in old.columns]
    new = pd.concat([old, rows], ignore_index=True).reindex(columns=cols)
    tmp = path.with_name(f".{path.name}.tmp")
    new.fillna("").to_csv(tmp, index=False)
    tmp.replace(path)
    return len(rows)


@dataclass
class ImportResult:
    """What ``grc returns import`` did."""

    answers: pd.DataFrame
    problems: list[str]
    decisions_written: int
    decisions_file: Path
    log_file: Path | None = None

    def summary(self) -> str:
        a = self.answers
        ok = a[a["status"] == "enregistrée"] if len(a) else a
        lines = []
        for (c, f), g in (ok.groupby(["centre", "file"]) if len(ok) else []):
            lines.append(f"{f} (centre {c}) : {len(g)} réponse(s) enregistrée(s).")
        erase = ok[ok["answer"] == W.ERASE] if len(ok) else ok
        if len(erase):
            lines.append(f"{len(erase)} demande(s) d'effacement transmise(s) par les centres "
                         "(table return_answers) : à vérifier puis à ajouter au fichier des "
                         "demandes d'effacement (erasure_file) ; rien n'est effacé d'office.")
        lines.append(f"{self.decisions_written} décision(s) de doublon ajoutée(s) à "
                     f"{self.decisions_file} ; appliquées au prochain « grc run ».")
        if self.problems:
            lines.append(f"{len(self.problems)} réponse(s) ou fichier(s) refusé(s) :")
            lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


def import_returns(cfg: NetworkConfig, files: list[str | Path], *,
                   expected_centre: str | None = None,
                   now: dt.datetime | None = None) -> ImportResult:
    """Read the returned files, check them, record the answers (see module docstring)."""
    imported_at = (now or dt.datetime.now()).isoformat(timespec="seconds")
    known = set(cfg.centre_codes())
    if not Path(cfg.db_path).exists():
        raise db.BaseError(f"Base réseau absente : {cfg.db_path}. Lancez d'abord « grc run ».")
    con = db.connect(cfg.db_path, read_only=True)
    try:
        view = base_view(con)
        done = db.read_table(con, "return_answers")
    finally:
        con.close()
    seen = dict(zip(done["file_sha256"], done["imported_at"], strict=True)) \
        if "file_sha256" in done else {}
    frames, problems = [], []
    for f in files:
        rf = read_return_file(f, known, expected_centre)
        problems += rf.problems
        if rf.centre is None:
            continue
        if rf.sha256 in seen:
            problems.append(f"{_where(rf.path)} : déjà importé le {seen[rf.sha256]} (même "
                            "contenu) ; ignoré.")
            continue
        seen[rf.sha256] = imported_at
        ans = check_answers(rf, view, imported_at)
        problems += [m for m in ans["message"] if m]
        frames.append(ans)
    answers = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=ANSWER_COLUMNS)
    dpath = decisions_path(cfg)
    written, log = 0, None
    with db.transaction(cfg.db_path) as con:  # the base and the decision file change together
        if len(answers):
            db.append(con, "return_answers", answers)
            written = append_decisions(dpath, decision_rows(answers))
    if cfg.exports_dir.exists():
        log = cfg.exports_dir / "returns_log.csv"
        con = db.connect(cfg.db_path, read_only=True)
        try:
            write_log(returns_log(con), log)
        finally:
            con.close()
    return ImportResult(answers, problems, written, dpath, log)


# ----------------------------------------------------------------------------- after the run
def applied_decisions(path: Path, links: pd.DataFrame) -> pd.DataFrame:
    """The decision file as the base keeps it: every line (who decided what and when), with
    ``in_force`` (the last decision on its pair) and ``applied`` (the run's links agree)."""
    cols = DECISION_FILE_COLUMNS + ["in_force", "applied"]
    if not Path(path).exists():
        return pd.DataFrame(columns=cols)
    d = pd.read_csv(path, dtype=str, keep_default_na=False)
    for c in DECISION_FILE_COLUMNS:
        if c not in d:
            d[c] = ""
    d = d[DECISION_FILE_COLUMNS].copy()
    d["pair_key"] = [k or W.pair_key(ca, la, cb, lb) for k, ca, la, cb, lb in
                     d[["pair_key", "centre_a", "local_id_a", "centre_b", "local_id_b"]]
                     .itertuples(index=False)]
    d["in_force"] = ~d.duplicated("pair_key", keep="last")
    cid = links.astype({"centre": str, "local_id": str}).set_index(["centre", "local_id"])["contact_id"]
    cid = cid[~cid.index.duplicated()]
    a = pd.MultiIndex.from_frame(d[["centre_a", "local_id_a"]]).map(cid)
    b = pd.MultiIndex.from_frame(d[["centre_b", "local_id_b"]]).map(cid)
    same = pd.Series(a == b, index=d.index) & pd.notna(a) & pd.notna(b)
    d["applied"] = d["in_force"] & pd.notna(a) & pd.notna(b) & \
        ((d["decision"].str.lower() == "same") == same)
    return d[cols].reset_index(drop=True)


FOLLOWUP_LABELS = CORRECTION_STATUS_LABELS  # declared once in grc.schema


def _no_followup() -> pd.DataFrame:
    return pd.DataFrame({"centre": pd.Series(dtype=object), "year": pd.Series(dtype="int64"),
                         "status": pd.Series(dtype=object), "label": pd.Series(dtype=object),
                         "count": pd.Series(dtype="int64")})


def correction_followup(con: Any, year: int, detail: bool = False) -> pd.DataFrame:
    """What became, in the ``year`` export, of the corrections sent in the ``year - 1`` return
    files: per centre, ``centre, year, status, label, count`` (``detail``: one row per
    correction with the centre's answer).

    ``appliquée``: the anomaly is gone; ``en attente``: still there, the centre said nothing
    (or "je ne sais pas"); ``contredite``: the centre answered "corrigé dans le logiciel" (or
    sent a new value) yet the new export still carries the anomaly; ``maintenue``: the centre
    says the value is right; ``retirée``: the record is no longer exported.
    """
    cols = ["centre", "year", "status", "label", "count"]
    if not db.has_table(con, "quality_issues") or not db.has_table(con, "records"):
        return _no_followup()
    codes = ", ".join(f"'{c}'" for c in sorted(W.TO_FIX))
    pick = ("SELECT DISTINCT ON (centre, local_id, field, code) centre, local_id, field, code, "
            f"value FROM quality_issues WHERE year = ? AND code IN ({codes})")
    sent = con.execute(pick, [year - 1]).df()
    if sent.empty:
        return _no_followup()
    now = con.execute(pick, [year]).df()
    recs = con.execute("SELECT DISTINCT centre, local_id FROM records WHERE year = ?", [year]).df()
    exported = pd.MultiIndex.from_frame(recs[["centre", "local_id"]])
    sent = sent[sent["centre"].isin(set(recs["centre"]))]  # a centre without a new export: nothing
    still = now.rename(columns={"value": "new_value"})
    out = sent.merge(still, on=["centre", "local_id", "field", "code"], how="left", indicator=True)
    ans = db.read_table(con, "return_answers", "WHERE kind = 'correction' AND status = 'enregistrée' "
                        "AND year = ?", [year - 1])
    if len(ans):
        ans = ans.sort_values("imported_at").drop_duplicates(["centre", "local_id", "field", "code"],
                                                             keep="last")
        out = out.merge(ans[["centre", "local_id", "field", "code", "answer"]],
                        on=["centre", "local_id", "field", "code"], how="left")
    else:
        out["answer"] = None
    there = out["_merge"].eq("both")
    changed = there & (out["value"].astype(str) != out["new_value"].astype(str))
    out["status"] = "appliquée"
    out.loc[there, "status"] = "en attente"
    out.loc[there & (out["answer"].eq(W.FIXED) | changed), "status"] = "contredite"
    out.loc[there & out["answer"].eq(W.RIGHT), "status"] = "maintenue"
    gone = ~pd.MultiIndex.from_frame(out[["centre", "local_id"]]).isin(exported)
    out.loc[gone, "status"] = "retirée"
    out["year"] = year
    if detail:
        return out.drop(columns="_merge").reset_index(drop=True)
    n = out.groupby(["centre", "status"]).size().rename("count").reset_index()
    n["year"] = year
    n["label"] = n["status"].map(FOLLOWUP_LABELS)
    return n[cols].sort_values(["centre", "status"]).reset_index(drop=True)


LOG_COLUMNS = ["centre", "annee_export", "fichier_envoye", "lignes_a_corriger", "npai",
               "doublons_proposes", "reponses_recues", "reponses_refusees", "fichiers_recus",
               "decisions_meme_client", "decisions_clients_differents", "corrections_annoncees",
               "valeurs_confirmees", "demandes_effacement", "decisions_appliquees",
               "corrections_appliquees", "corrections_en_attente", "corrections_contredites"]


def _count(frame: pd.DataFrame, by: list[str], name: str) -> pd.DataFrame:
    return frame.groupby(by).size().rename(name).reset_index() if len(frame) else \
        pd.DataFrame(columns=[*by, name])


def returns_log(con: Any) -> pd.DataFrame:
    """The head office's view: per centre and export year, the return file sent, the answers
    received and what they changed (decisions applied by the next run, corrections found in
    the next export). One row per centre and year (``LOG_COLUMNS``)."""
    summ = db.read_table(con, "return_summary")
    if summ.empty:
        return pd.DataFrame(columns=LOG_COLUMNS)
    wide = summ.pivot_table(index=["centre", "year"], columns="indicator", values="value",
                            aggfunc="sum").reset_index()
    out = pd.DataFrame({"centre": wide["centre"], "annee_export": wide["year"].astype(int)})
    out["fichier_envoye"] = "retours/" + out["centre"] + ".xlsx (export " + out["annee_export"].astype(str) + ")"
    for col, label in (("lignes_a_corriger", "Fiches à corriger"),
                       ("npai", "Fiches NPAI (retour courrier)"),
                       ("doublons_proposes", "Doublons probables à examiner")):
        out[col] = wide[label].fillna(0).astype(int) if label in wide else 0
    ans = db.read_table(con, "return_answers")
    if len(ans):
        ans = ans.assign(annee_export=pd.to_numeric(ans["year"], errors="coerce"))
        ok, key = ans[ans["status"] == "enregistrée"], ["centre", "annee_export"]
        parts = [_count(ok, key, "reponses_recues"),
                 _count(ans[ans["status"] == "refusée"], key, "reponses_refusees"),
                 ans.groupby(key)["file"].nunique().rename("fichiers_recus").reset_index()]
        for col, value in (("decisions_meme_client", W.SAME),
                           ("decisions_clients_differents", W.DIFFERENT),
                           ("corrections_annoncees", W.FIXED), ("valeurs_confirmees", W.RIGHT),
                           ("demandes_effacement", W.ERASE)):
            parts.append(_count(ok[ok["answer"] == value], key, col))
        for p in parts:
            out = out.merge(p.astype({"annee_export": int}), on=key, how="left")
    dec = db.read_table(con, "dedup_decisions")
    if len(dec) and "applied" in dec:
        dec = dec[dec["applied"].astype(str).str.lower() == "true"]
        dec = dec.assign(centre=dec["decided_by"].str.replace("centre ", "", regex=False),
                         annee_export=pd.to_numeric(dec["export_year"], errors="coerce"))
        dec = dec.dropna(subset=["annee_export"]).astype({"annee_export": int})
        out = out.merge(_count(dec, ["centre", "annee_export"], "decisions_appliquees"),
                        on=["centre", "annee_export"], how="left")
    fu = [correction_followup(con, int(y) + 1) for y in sorted(out["annee_export"].unique())]
    fu = pd.concat([f for f in fu if len(f)] or [pd.DataFrame(columns=["centre", "year", "status",
                                                                       "count"])])
    if len(fu):
        w = fu.pivot_table(index=["centre", "year"], columns="status", values="count",
                           aggfunc="sum").reset_index()
        w["annee_export"] = w["year"].astype(int) - 1
        w = w.rename(columns={"appliquée": "corrections_appliquees",
                              "en attente": "corrections_en_attente",
                              "contredite": "corrections_contredites"})
        keep = [c for c in ("corrections_appliquees", "corrections_en_attente",
                            "corrections_contredites") if c in w]
        out = out.merge(w[["centre", "annee_export", *keep]], on=["centre", "annee_export"], how="left")
    out = out.reindex(columns=LOG_COLUMNS)
    num = LOG_COLUMNS[3:]
    out[num] = out[num].apply(pd.to_numeric, errors="coerce").fillna(0).astype(int)
    return out.sort_values(["annee_export", "centre"]).reset_index(drop=True)


def write_log(log: pd.DataFrame, path: Path) -> None:
    """The head office's log as CSV (spreadsheet-safe)."""
    from grc.safefiles import write_csv

    path.parent.mkdir(parents=True, exist_ok=True)
    write_csv(log, path)
