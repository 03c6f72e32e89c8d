"""The yearly pipeline: read → qualify → deduplicate → segment → score → export.

``run_pipeline`` integrates one export year into the network base. Everything is computed
here once; the notebooks only read the results and plot them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from grc import __version__
from grc.config import ConfigError, NetworkConfig, load_segmentation, year_path
from grc.pipeline import PipelineError
from grc.readers.exports import ExportError, read_centre
from grc.safefiles import write_csv
from grc.schema import ISSUE_COLUMNS, NETWORK
from grc.store import base as db

# fields whose changes are kept in the history table
TRACKED = ["civility", "first_name", "last_name", "organisation", "position", "address1",
           "address2", "address3", "postcode", "city", "country", "phone", "mobile", "email",
           "segment", "optin_email", "optin_phone"]


@dataclass
class RunResult:
    """What a pipeline run did."""

    run_id: str
    year: int
    status: dict[str, dict] = field(default_factory=dict)  # centre -> {status, message}
    counts: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    data_version: str = ""

    @property
    def failed(self) -> dict[str, str]:
        return {c: s["message"] for c, s in self.status.items() if s["status"] == "échec"}


_fmt_path = year_path  # a side file's path for the year


def _log(progress: bool, msg: str) -> None:
    if progress:
        print(msg, flush=True)


# below this many centres the exports are read in this process only
PARALLEL_READ_MIN = 4
# below this many files they are written in this process only
PARALLEL_JOBS_MIN = 4


def _cores() -> int:
    """Cores this process may use for helper processes (1: work alone)."""
    import multiprocessing

    if multiprocessing.current_process().daemon:
        return 1  # a daemonic process may not start helpers
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _flush() -> None:
    """Flush the standard streams before a fork (else a helper may print them again)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()


def _read_one(cfg: NetworkConfig, code: str, run_id: str) -> tuple[dict[str, pd.DataFrame] | None, str]:
    """One centre's export as the frames to store and its status message (None: failed)."""
    try:
        centre = cfg.centre(code)
        ex = read_centre(centre, cfg.export_dir(code), cfg.year)
    except ExportError as exc:
        return None, str(exc)
    except Exception as exc:  # noqa: BLE001 - any config problem fails that centre only
        return None, f"centre {code} : {exc}"
    files = pd.DataFrame(ex.files)
    files["file"] = [Path(f).relative_to(cfg.raw_dir).as_posix() if Path(f).is_relative_to(cfg.raw_dir)
                     else Path(f).name for f in files["file"]]
    sha = {r["kind"]: r["sha256"] for r in ex.files}
    out = {"raw_contacts": db.raw_as_json(ex.raw_contacts, code, cfg.year, run_id, sha["contacts"])}
    if len(ex.raw_stays):
        out["raw_stays"] = db.raw_as_json(ex.raw_stays, code, cfg.year, run_id, sha.get("stays", ""))
    files.insert(0, "year", cfg.year)
    files.insert(0, "centre", code)
    files.insert(0, "run_id", run_id)
    out["files"] = files
    out["records"] = ex.contacts
    out["stays"] = ex.stays
    out["export_problems"] = pd.DataFrame(
        [{"centre": p.centre, "year": cfg.year, "local_id": p.local_id,
          "field": p.field or p.column, "code": p.code, "message": str(p.message),
          "row": p.row, "severity": p.severity} for p in ex.problems],
        columns=["centre", "year", "local_id", "field", "code", "message", "row", "severity"])
    warn = len(ex.problems)
    return out, (f"{len(ex.contacts)} contacts, {len(ex.stays)} séjours"
                 + (f", {warn} avertissements" if warn else ""))


def _exit_with_parent(parent: int) -> None:
    """Worker initializer: leave as soon as the parent process is gone (e.g. SIGKILL)."""
    import threading

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def _read_all(cfg: NetworkConfig, codes: list[str], run_id: str, workers: int | None,
              futures: dict | None = None):
    """``(code, frames, message)`` for each centre, in ``codes`` order.

    ``futures``: the centres' reads already submitted to worker processes
    (:func:`prefetch_exports`). Else, with a second core, one worker process reads from the
    last centre backwards while this process reads from the first one onwards. Either way a
    centre no worker has started yet is read here instead, and so is any centre a worker
    could not read.
    """
    if futures is not None:
        _import_stages()
        yield from _collect(cfg, codes, run_id, futures)
        return
    workers = (1 if _cores() > 1 and len(codes) >= PARALLEL_READ_MIN else 0) if workers is None else workers
    if workers < 1:
        for code in codes:
            yield code, *_read_one(cfg, code, run_id)
        return
    pool = _forked_readers(workers)
    try:
        futures = {code: pool.submit(_read_one, cfg, code, run_id) for code in reversed(codes)}
        _import_stages()
        yield from _collect(cfg, codes, run_id, futures)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _import_stages() -> None:
    """Import the next stages' modules (deduplication: recordlinkage, scikit-learn, ≈1.4 s)
    and build the qualification's reference lookups (≈1 s) while reader processes read the
    exports, instead of after the reading; the centres no reader has started meanwhile are
    then read here."""
    import grc.dedup.link  # noqa: F401
    import grc.qualify.records  # noqa: F401
    import grc.returns.imports  # noqa: F401
    from grc.qualify.reference import warm_up

    warm_up()


def _forked_readers(workers: int = 1):
    """Reader processes forked from this one: ready at once (no imports to redo), unlike the
    report workers."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    _flush()
    return ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork"),
                               initializer=_exit_with_parent, initargs=(os.getpid(),))


def _collect(cfg: NetworkConfig, codes: list[str], run_id: str, futures: dict):
    """Each centre's read from its worker's future, or read here (not started, or failed)."""
    import pickle
    from concurrent.futures import BrokenExecutor

    for code in codes:
        fut = futures.get(code)
        res = None
        if fut is not None and not fut.cancel():
            try:
                res = fut.result()
            except (BrokenExecutor, OSError, EOFError, TypeError, AttributeError,
                    pickle.PicklingError):
                res = None  # the worker could not do it: read it here
        yield code, *(res if res is not None else _read_one(cfg, code, run_id))


@dataclass(frozen=True)
class Prefetched:
    """A year's exports submitted to worker processes before its integration; ``owner``: the
    reader processes to stop once the year is read (the forked reader of the first years)."""

    run_id: str
    futures: dict
    owner: Any = None

    def release(self, cancel: bool = False) -> None:
        """The year is read (or will not be): stop the reader processes it owns."""
        if cancel:
            for fut in self.futures.values():
                fut.cancel()
        if self.owner is not None:
            self.owner.shutdown(wait=False, cancel_futures=True)


def new_run_id() -> str:
    return dt.datetime.now().strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]


def prefetch_exports(cfg: NetworkConfig, plan: list[tuple[int, list[str]]],
                     pool) -> dict[int, Prefetched]:
    """Submit the reading of each year's exports (``plan``: year, centres, in the order of
    integration) to ``pool`` (a :class:`grc.reports.runner.WorkerPool`): the worker processes,
    idle while this one integrates a year, read the next years ahead. The workers are still
    starting during the first two years: a reader forked at once shares the first year with
    this process (from its last centre backwards) and reads the second one ahead. A single
    year is left to :func:`run_pipeline`'s own forked reader."""
    out: dict[int, Prefetched] = {}
    if len(plan) > 1:
        reader = _forked_readers()
        for k, (year, codes) in enumerate(plan[:2]):
            ycfg, run_id = cfg.with_year(year), new_run_id()
            futures = {code: reader.submit(_read_one, ycfg, code, run_id)
                       for code in (reversed(codes) if k == 0 else codes)}
            out[year] = Prefetched(run_id, futures, reader if k == 1 else None)
    for year, codes in plan[2:]:
        ycfg, run_id = cfg.with_year(year), new_run_id()
        out[year] = Prefetched(run_id, {code: pool.submit(_read_one, ycfg, code, run_id)
                                        for code in codes})
    return out


def cancel_prefetch(prefetched: dict[int, Prefetched]) -> None:
    """Drop the reads not started (a year not integrated after all), stop the forked reader."""
    for pre in prefetched.values():
        pre.release(cancel=True)


def read_stage(cfg: NetworkConfig, codes: list[str], run_id: str, con, result: RunResult,
               progress: bool, workers: int | None = None, futures: dict | None = None) -> None:
    """Read each centre's export and store it as received (one broken centre stops nobody).

    ``workers``: reader processes besides this one (None: one if there is a second core);
    ``futures``: the reads already submitted (see :func:`_read_all`).
    """
    from tqdm.auto import tqdm

    from grc.store.catalogue import export_tables

    acc: dict[str, list[pd.DataFrame]] = {t: [] for t in export_tables()}
    done: list[str] = []
    for code, frames, message in tqdm(_read_all(cfg, codes, run_id, workers, futures), total=len(codes),
                                      desc="Lecture des exports", unit="centre", disable=not progress):
        if frames is None:
            result.status[code] = {"status": "échec", "message": message}
            continue
        done.append(code)
        for table, frame in frames.items():
            acc[table].append(frame)
        result.status[code] = {"status": "ok", "message": message}
    for table, frames in acc.items():
        frames = [f for f in frames if len(f)]
        frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        db.replace_centres(con, table, frame, cfg.year, done)


def current_records(con, year: int) -> pd.DataFrame:
    """Latest version of every source record up to ``year`` with its ``exported`` flag."""
    rec = db.read_table(con, "records", "WHERE year <= ?", [year])
    if rec.empty:
        return rec
    rec = rec.sort_values(["centre", "local_id", "year"])
    latest = rec.drop_duplicates(["centre", "local_id"], keep="last").copy()
    centre_last = rec.groupby("centre")["year"].max()
    latest["exported"] = latest["year"].to_numpy() == latest["centre"].map(centre_last).to_numpy()
    first = rec.groupby(["centre", "local_id"])["year"].min()
    latest["first_year"] = pd.MultiIndex.from_frame(latest[["centre", "local_id"]]).map(first)
    for c in ("created_at", "updated_at"):
        latest[c] = pd.to_datetime(latest[c], errors="coerce")
    return latest.reset_index(drop=True)


def all_stays(con, year: int) -> pd.DataFrame:
    """Every stay received up to ``year`` (a stay re-exported in a later year counts once)."""
    st = db.read_table(con, "stays", "WHERE year <= ?", [year])
    if st.empty:
        return pd.DataFrame(columns=["centre", "year", "contact_local_id", "arrival", "nights",
                                     "persons", "amount", "product"])
    st["arrival"] = pd.to_datetime(st["arrival"])
    st = st.sort_values(["centre", "contact_local_id", "arrival", "year"])
    st = st.drop_duplicates(["centre", "contact_local_id", "arrival", "nights", "persons", "amount",
                             "product"], keep="last")
    return st.reset_index(drop=True)


def _history(prev: pd.DataFrame, cur: pd.DataFrame, prev_links: pd.DataFrame, links: pd.DataFrame,
             year: int, run_id: str) -> pd.DataFrame:
    """Changes since the last run: new records, changed fields, vanished records, merges."""
    cols = ["contact_id", "centre", "local_id", "year", "event", "field", "old_value", "new_value",
            "run_id"]
    link = links.set_index(["centre", "local_id"])["contact_id"]
    rows: list[pd.DataFrame] = []
    cur_k = cur.set_index(["centre", "local_id"])
    if prev.empty:
        new = cur_k.index
    else:
        prev_k = prev.set_index(["centre", "local_id"])
        new = cur_k.index.difference(prev_k.index)
        common = cur_k.index.intersection(prev_k.index)
        fields = [f for f in TRACKED if f in cur_k and f in prev_k]
        prev_c = prev_k.loc[common, fields]  # the common rows, looked up once for every field
        cur_c = cur_k.loc[common, fields]
        for f in fields:
            a = prev_c[f].astype(object).where(prev_c[f].notna(), None)
            b = cur_c[f].astype(object).where(cur_c[f].notna(), None)
            diff = a.map(str) != b.map(str)
            if diff.any():
                idx = common[diff.to_numpy()]
                rows.append(pd.DataFrame({"centre": idx.get_level_values(0), "local_id": idx.get_level_values(1),
                                          "event": "modification", "field": f,
                                          "old_value": a[diff].to_numpy(), "new_value": b[diff].to_numpy()}))
        if "exported" in prev_k:
            was = prev_k.loc[common, "exported"].astype(bool)
            now = cur_k.loc[common, "exported"].astype(bool)
            gone = common[(was & ~now).to_numpy()]
            back = common[(~was & now).to_numpy()]
            for idx, ev in ((gone, "plus_exporte"), (back, "reexporte")):
                if len(idx):
                    rows.append(pd.DataFrame({"centre": idx.get_level_values(0),
                                              "local_id": idx.get_level_values(1), "event": ev}))
    if len(new):
        rows.append(pd.DataFrame({"centre": new.get_level_values(0), "local_id": new.get_level_values(1),
                                  "event": "nouveau"}))
    if not prev_links.empty:
        pl = prev_links.set_index(["centre", "local_id"])["contact_id"]
        both = pl.index.intersection(link.index)
        changed = pl.loc[both] != link.loc[both]
        if changed.any():
            idx = both[changed.to_numpy()]
            rows.append(pd.DataFrame({"centre": idx.get_level_values(0), "local_id": idx.get_level_values(1),
                                      "event": "fusion", "field": "contact_id",
                                      "old_value": pl.loc[idx].to_numpy(), "new_value": link.loc[idx].to_numpy()}))
    if not rows:
        return pd.DataFrame(columns=cols)
    out = pd.concat(rows, ignore_index=True)
    out["contact_id"] = pd.MultiIndex.from_frame(out[["centre", "local_id"]]).map(link)
    out["year"] = year
    out["run_id"] = run_id
    for c in cols:
        if c not in out:
            out[c] = None
    return out[cols].astype({"old_value": object, "new_value": object})


def _erasure(cfg: NetworkConfig) -> pd.DataFrame:
    from grc.store import gdpr

    return gdpr.load_erasures(_fmt_path(cfg, cfg.erasure_file))


@dataclass
class Run:
    """One integration of a year: its settings, and what each stage hands to the next."""

    cfg: NetworkConfig
    codes: list[str]
    all_codes: list[str]
    light: bool
    progress: bool
    result: RunResult
    prefetched: Prefetched | None = None
    con: Any = None
    erased_keys: set = field(default_factory=set)
    qualified: pd.DataFrame | None = None
    issues: pd.DataFrame | None = None
    stays: pd.DataFrame | None = None
    last_stay: pd.Series | None = None
    dd: Any = None  # grc.dedup.link.DedupResult
    links: pd.DataFrame | None = None
    organisations: pd.DataFrame | None = None
    contact_org: pd.Series | None = None
    contacts: pd.DataFrame | None = None
    segments: pd.DataFrame | None = None
    clusters: Any = None
    scores: pd.DataFrame | None = None
    org_scores: pd.DataFrame | None = None
    hist: pd.DataFrame | None = None
    followup: pd.DataFrame | None = None
    corrections: pd.DataFrame | None = None
    returns_before: dict = field(default_factory=dict)

    @property
    def run_id(self) -> str:
        return self.result.run_id


def run_pipeline(cfg: NetworkConfig, centres: list[str] | None = None, *, progress: bool = True,
                 light: bool = False, prefetched: Prefetched | None = None) -> RunResult:
    """Integrate ``cfg.year`` into the base and write the exports (SPEC §6), stage by stage.

    ``light`` (catching up past years before the config's year) keeps everything the base
    accumulates (raw rows, records, links, history, issues, measures) but skips what the next
    year replaces anyway: the behavioural clustering, the pages' data fingerprints, the exported
    files and return files.
    ``prefetched``: the year's exports already being read by worker processes
    (:func:`prefetch_exports`, for these centres).
    """
    run = _new_run(cfg, centres, light, progress, prefetched)
    with db.transaction(cfg.db_path) as con:
        run.con = con
        _check_year(run)
        _timed(run, "lecture", read_exports)
        erase_requested(run)            # GDPR requests, before anything is derived
        _timed(run, "qualification", qualify_records)
        _timed(run, "dédoublonnage", deduplicate_records)
        _timed(run, "segmentation_rfm", segment_and_score)
        store_tables(run)
        store_measures(run)
        record_run(run)
        record_return_figures(run)
        if not light:
            _timed(run, "fichiers", write_files)
    if not light:  # the base is committed: swap the files in
        _swap(_work_dir(run, "exports"), cfg.exports_dir)
        _swap(_work_dir(run, "retours"), cfg.processed_dir / "retours")
    return _finish(run)


def _new_run(cfg: NetworkConfig, centres: list[str] | None, light: bool, progress: bool,
             prefetched: Prefetched | None = None) -> Run:
    run_id = prefetched.run_id if prefetched is not None else new_run_id()
    all_codes = cfg.centre_codes()
    codes = centres or all_codes
    unknown = [c for c in codes if c not in all_codes]
    if unknown:
        raise PipelineError(f"Centre(s) inconnu(s) : {', '.join(unknown)} (aucune table dans "
                            f"{cfg.centres_dir}).")
    result = RunResult(run_id=run_id, year=cfg.year)
    result.timings["_start"] = time.perf_counter()
    return Run(cfg, codes, all_codes, light, progress, result, prefetched)


def _timed(run: Run, name: str, stage) -> None:
    t = time.perf_counter()
    stage(run)
    run.result.timings[name] = time.perf_counter() - t


def _check_year(run: Run) -> None:
    """Years are integrated in order, one after the other."""
    cfg, last = run.cfg, db.last_year(run.con)
    if last is not None and cfg.year < last:
        raise PipelineError(
            f"Année {cfg.year} refusée : la base contient déjà {last}. Les années s'intègrent "
            f"dans l'ordre ; pour refaire {cfg.year}, repartez d'une sauvegarde de la base.")
    if last is not None and cfg.year > last + 1:
        raise PipelineError(
            f"Année {cfg.year} refusée : la dernière année intégrée est {last} ; intégrez "
            f"d'abord {last + 1}.")


def read_exports(run: Run) -> None:
    """Read each centre's export and store it as received (one broken centre stops nobody)."""
    read_stage(run.cfg, run.codes, run.run_id, run.con, run.result, run.progress,
               futures=run.prefetched.futures if run.prefetched is not None else None)
    if run.prefetched is not None:
        run.prefetched.release()
    for c in run.all_codes:
        if c not in run.codes:
            run.result.status[c] = {"status": "inchangé", "message": "non relu (option --centre)"}


def erase_requested(run: Run) -> None:
    """Apply the GDPR erasure requests of the erasure file to the whole base."""
    from grc.store import gdpr

    erasures = _erasure(run.cfg)
    if len(erasures):
        run.erased_keys = gdpr.apply_erasures(run.con, erasures, run.run_id)


def qualify_records(run: Run) -> None:
    """Qualify the current records; reader problems tied to a record join their issues."""
    from grc.qualify import records as qualify

    cfg, con = run.cfg, run.con
    recs = current_records(con, cfg.year)
    if recs.empty:
        raise PipelineError("Aucun export lisible : rien à intégrer. Voir les erreurs ci-dessus.")
    run.stays = all_stays(con, cfg.year)
    ctx = qualify.network_context(cfg, run.stays, cfg.reference_date,
                                  _fmt_path(cfg, cfg.npai_file))
    run.last_stay = ctx.last_stay
    qualified, issues = qualify.qualify(recs, ctx)
    probs = db.read_table(con, "export_problems", "WHERE local_id IS NOT NULL AND year <= ?",
                          [cfg.year])
    if len(probs):
        probs = probs.merge(qualified[["centre", "local_id", "year"]], on=["centre", "local_id", "year"])
        probs = probs.assign(value=None, suggestion=None)[[c for c in issues.columns if c in probs.columns]]
        issues = pd.concat([issues, probs], ignore_index=True)
    run.qualified, run.issues = qualified, issues


def deduplicate_records(run: Run) -> None:
    """Link every record to its network contact, and each contact to its organisation."""
    from grc.dedup import link as dedup

    prev_links = db.read_table(run.con, "record_links")
    q = run.qualified
    run.dd = dedup.deduplicate(q, prev_links[["centre", "local_id", "contact_id"]]
                               if not prev_links.empty else None, _decisions(run.cfg),
                               progress=False)
    links = run.dd.links.merge(q[["centre", "local_id", "exported", "first_year", "year"]],
                               on=["centre", "local_id"], how="left")
    links = links.rename(columns={"year": "last_year"})
    record_org, run.organisations, run.contact_org = _organisations(q, run.dd.links)
    run.links = links.merge(record_org[["centre", "local_id", "organisation_id"]],
                            on=["centre", "local_id"], how="left")


def segment_and_score(run: Run) -> None:
    """Golden records, stays of each contact, segments, behaviour groups and RFM scores."""
    from grc.rfm import scores as rfm
    from grc.segment import segmentation as segment

    cfg, dd, stays = run.cfg, run.dd, run.stays
    link_map = dd.links.set_index(["centre", "local_id"])["contact_id"]
    stays["contact_id"] = pd.MultiIndex.from_frame(stays[["centre", "contact_local_id"]]).map(link_map)
    stays = stays[stays["contact_id"].notna()].copy()
    contacts = golden_flags(dd.contacts, run.qualified, dd.links)
    contacts["organisation_id"] = contacts["contact_id"].map(run.contact_org)
    stays["organisation_id"] = _b2b_organisation(stays, contacts)
    feats = segment.behaviour_features(stays, cfg.reference_date)
    seg, places = load_segmentation(cfg.segmentation), _centre_locations(cfg, run.all_codes)
    grid = rfm.load_grid(cfg.rfm_grid)
    centres = sorted(stays["centre"].unique())
    criteria, run.scores, run.org_scores = run_parts([  # independent: on two cores
        lambda: segment.derive_criteria(contacts, stays, seg, cfg.reference_date, places,
                                        behaviour=feats),
        lambda: rfm.rfm_table(stays, cfg.reference_date, grid, centres),
        lambda: rfm.organisation_rfm_table(stays, cfg.reference_date, grid, centres)])
    run.clusters = (segment.behaviour_clusters(feats, run=run_parts)
                    if len(feats) >= 50 and not run.light else None)
    run.segments = segment.segment_table(criteria, run.clusters)
    run.stays, run.contacts = stays, contacts


def store_tables(run: Run) -> None:
    """History of changes, then every table the run rewrites (store catalogue)."""
    from grc.measures.metrics import issue_followup
    from grc.returns import imports as returned

    cfg, con, dd = run.cfg, run.con, run.dd
    prev_qualified = db.read_table(con, "qualified")
    prev_links = db.read_table(con, "record_links")
    run.hist = _history(prev_qualified, run.qualified, prev_links, dd.links, cfg.year, run.run_id)
    db.append(con, "history", run.hist)
    prev_issues = db.read_table(con, "quality_issues", "WHERE year = ?", [cfg.year - 1])
    run.followup = issue_followup(prev_issues, run.issues, run.qualified, cfg.year)
    db.replace_slice(con, "issue_followup", run.followup, {"year": cfg.year})
    db.replace_slice(con, "quality_issues", run.issues.assign(year=cfg.year), {"year": cfg.year})
    decisions = returned.applied_decisions(returned.decisions_path(cfg), dd.links)
    for name, frame in (("qualified", run.qualified), ("record_links", run.links),
                        ("contacts", run.contacts), ("dedup_pairs", dd.pairs),
                        ("dedup_decisions", decisions), ("dedup_review", dd.review),
                        ("segments", run.segments), ("scores", run.scores),
                        ("organisations", run.organisations),
                        ("scores_organisation", run.org_scores), ("stays_linked", run.stays)):
        db.replace_table(con, name, frame)
    if run.clusters is not None:
        _store_clusters(con, run.clusters)


def _store_clusters(con, clusters) -> None:
    db.replace_table(con, "clusters", clusters.profiles.reset_index(drop=True))
    db.replace_table(con, "cluster_quality", pd.DataFrame([{
        "k": clusters.k, "method": clusters.method, "ari_mean": clusters.ari_mean,
        "ari_min": clusters.ari_min, "caveat": clusters.caveat,
        "features": ";".join(clusters.features),
        "silhouette": json.dumps({str(k): float(v) for k, v in clusters.silhouette.items()}),
        "silhouette_chosen": float(clusters.silhouette.get(clusters.k, float("nan")))
        if clusters.k else None}]))


def store_measures(run: Run) -> None:
    """Every measure of every scope, once (grc.measures), and the pages' data fingerprints."""
    from grc.measures.metrics import compute_measures, scope_hashes
    from grc.returns import imports as returned
    from grc.rfm import scores as rfm

    cfg, con = run.cfg, run.con
    # what became of the corrections centres sent back (a measure family, like the rest)
    run.corrections = returned.correction_followup(con, cfg.year)
    db.replace_slice(con, "correction_followup", run.corrections, {"year": cfg.year})
    measures = compute_measures(run.qualified, run.issues, run.links, run.stays, run.scores,
                                run.segments, cfg.year, followup=run.followup,
                                reference_date=cfg.reference_date, corrections=run.corrections,
                                org_scores=run.org_scores, grid=rfm.load_grid(cfg.rfm_grid),
                                history=db.read_table(con, "history", "WHERE year = ?", [cfg.year]),
                                pairs=run.dd.pairs, run=run_parts)
    db.replace_slice(con, "measures", measures, {"year": cfg.year})
    # the behavioural typology is refitted each year (not when catching up past years), and
    # its table replaced: its figures are kept for the current typology only
    con.execute("DELETE FROM measures WHERE year < ? AND (starts_with(measure, 'cluster:') "
                "OR starts_with(measure, 'cluster_share:'))", [cfg.year])
    if run.light:  # the pages' fingerprints: replaced by the next year's before any page reads them
        return
    hashes = scope_hashes({"qualified": run.qualified, "issues": run.issues, "links": run.links,
                           "stays": run.stays, "scores": run.scores}, run.all_codes,
                          f"{cfg.year}|{cfg.reference_date}|{__version__}",
                          shown_everywhere=measures[measures["scope"] == NETWORK])
    db.replace_table(con, "scope_hashes", pd.DataFrame(
        {"scope": list(hashes), "hash": list(hashes.values())}))


def record_run(run: Run) -> None:
    """Each centre's status and the run's line in the log; all centres failed: nothing kept."""
    cfg, con, result = run.cfg, run.con, run.result
    status = pd.DataFrame([{"centre": c, "year": cfg.year, "run_id": run.run_id, **s}
                           for c, s in sorted(result.status.items())])
    db.replace_slice(con, "centre_status", status, {"year": cfg.year})
    failed = result.failed
    run_status = "ok" if not failed else ("partiel" if len(failed) < len(run.codes) else "échec")
    result.data_version = _data_version(con, cfg.year)
    db.append(con, "runs", pd.DataFrame([{
        "run_id": run.run_id, "year": cfg.year, "reference_date": str(cfg.reference_date),
        "started_at": dt.datetime.now().isoformat(timespec="seconds"), "status": run_status,
        "centres": ";".join(run.codes), "failed": ";".join(sorted(failed)),
        "data_version": result.data_version, "code_version": __version__,
        "dedup_stats": json.dumps(_jsonable(run.dd.stats), ensure_ascii=False),
    }]))
    if run_status == "échec":
        raise PipelineError("Tous les centres ont échoué : la base reste inchangée.\n"
                            + "\n".join(f"- {c} : {m}" for c, m in failed.items()))


def record_return_figures(run: Run) -> None:
    """This year's return-file counts, kept so that next year's file compares with them."""
    from grc.returns import write as returns

    cfg, con = run.cfg, run.con
    db.replace_slice(con, "return_summary", returns.summary_frame(
        run.qualified, run.issues, run.dd.pairs, cfg.year), {"year": cfg.year})
    run.returns_before = returns.previous_counts(
        db.read_table(con, "return_summary", "WHERE year = ?", [cfg.year - 1]))


def _work_dir(run: Run, kind: str) -> Path:
    return run.cfg.processed_dir / f".{kind}-work-{run.run_id}"


def write_files(run: Run) -> None:
    """Exports, return files and the returns log, written beside and swapped in after the base;
    a failure leaves no copy of personal data behind."""
    from grc.returns import imports as returned
    from grc.rfm import scores as rfm

    work, retours = _work_dir(run, "exports"), _work_dir(run, "retours")
    fixed_by = {c: dict(zip(g["status"], g["count"], strict=True))
                for c, g in run.corrections.groupby("centre")}
    back = {"last_stay": run.last_stay, "previous": run.returns_before, "fixed_by": fixed_by,
            "log": returned.returns_log(run.con),
            "rfm": rfm.rfm_export(run.scores, run.org_scores, run.contact_org),
            "organisations": run.organisations}
    try:
        _write_files(run.cfg, run.codes, run.all_codes, work, retours, run.qualified, run.issues,
                     run.links, run.contacts, run.scores, run.segments, run.dd, run.erased_keys, back)
    except BaseException:
        for folder in (work, retours):
            shutil.rmtree(folder, ignore_errors=True)
        raise


def _finish(run: Run) -> RunResult:
    result = run.result
    result.counts = {"records": int(run.qualified["exported"].sum()),
                     "all_records": len(run.qualified), "contacts": len(run.contacts),
                     "stays": len(run.stays), "issues": len(run.issues), "history": len(run.hist)}
    result.timings["total"] = time.perf_counter() - result.timings.pop("_start")
    return result


def _write_files(cfg: NetworkConfig, codes: list[str], all_codes: list[str], work: Path, retours: Path,
                 qualified: pd.DataFrame, issues: pd.DataFrame, links: pd.DataFrame,
                 contacts: pd.DataFrame, scores: pd.DataFrame, segments: pd.DataFrame, dd,
                 erased_keys: set, back: dict) -> None:
    """The exports, the return files and the returns log, written in the work folders ``work``
    and ``retours``; ``back``: last stays, last year's return-file counts, the corrections
    followed per centre, the returns log (see :mod:`grc.returns`), the RFM rows of both levels
    and the organisations."""
    from grc.returns import imports as returned
    from grc.returns import write as returns

    jobs = [lambda: _write_exports(work, cfg, qualified, issues, links, contacts, back["rfm"],
                                   segments, dd, erased_keys, back["organisations"])]
    retours.mkdir(parents=True, exist_ok=True)
    old_retours = cfg.processed_dir / "retours"
    exported_q = qualified[qualified["exported"].astype(bool)]
    q_by = dict(tuple(exported_q.groupby("centre", sort=False)))
    i_by = dict(tuple(issues.groupby("centre", sort=False))) if len(issues) else {}
    for code in all_codes:
        if code not in codes and (old_retours / f"{code}.xlsx").exists():
            shutil.copy2(old_retours / f"{code}.xlsx", retours / f"{code}.xlsx")
            continue
        q = q_by.get(code)
        if q is None or q.empty:
            continue
        iss = i_by.get(code, issues.iloc[:0])
        jobs.append(lambda code=code, q=q, iss=iss: returns.write_return_file(
            retours / f"{code}.xlsx", code, q, iss, _centre_duplicates(dd, code),
            last_stay=back["last_stay"], previous=back["previous"].get(code), year=cfg.year,
            centre_name=cfg.centre_name(code), corrections=back["fixed_by"].get(code)))
    jobs.append(lambda: returned.write_log(back["log"], work / "returns_log.csv"))
    run_jobs(jobs)


def run_jobs(jobs: list, workers: int | None = None) -> None:
    """Run independent jobs (file writers), shared with a forked helper process when there is
    a second core (:func:`run_parts`, from ``PARALLEL_JOBS_MIN`` jobs). A job the helper could
    not finish is run again here, so an error is raised here as if the jobs had run one after
    the other."""
    run_parts(jobs, workers, min_jobs=PARALLEL_JOBS_MIN)


def run_parts(jobs: list, workers: int | None = None, min_jobs: int = 2) -> list:
    """The results of independent jobs (functions of this process's data, or writers of
    separate files), computed here and in a forked helper process when there is a second core
    and at least ``min_jobs`` jobs; the results come back in the jobs' order. A job the helper
    could not finish (an error, the helper gone) is run again here, so an error is raised here
    as if run here."""
    workers = (1 if _cores() > 1 and len(jobs) >= min_jobs else 0) if workers is None else workers
    if workers < 1:
        return [job() for job in jobs]
    import threading
    from multiprocessing import get_context

    ctx = get_context("fork")
    nxt = ctx.Value("i", 0)
    results: dict[int, Any] = {}

    def take() -> int:
        with nxt.get_lock():
            i = nxt.value
            nxt.value += 1
        return i

    def helper(conn) -> None:
        while (i := take()) < len(jobs):
            try:
                conn.send((i, jobs[i]()))
            except Exception:  # noqa: BLE001 - the main process runs it again and reports
                continue

    def drain(conn) -> None:  # results are read as they come: the helper never waits on us
        while True:
            try:
                i, value = conn.recv()
            except (EOFError, OSError):
                return
            results[i] = value

    readers = []
    _flush()
    for _ in range(workers):
        recv, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=helper, args=(send,), daemon=True)
        proc.start()
        send.close()  # the helper's end only: its exit ends the reader
        reader = threading.Thread(target=drain, args=(recv,), daemon=True)
        reader.start()
        readers.append((proc, reader, recv))
    try:
        while (i := take()) < len(jobs):
            results[i] = jobs[i]()
    finally:
        for proc, reader, recv in readers:
            proc.join()
            reader.join()
            recv.close()
    return [results[i] if i in results else job() for i, job in enumerate(jobs)]


def golden_flags(contacts: pd.DataFrame, qualified: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """Consent, opposition and channel flags of each golden record, from its source records.

    Consents follow the most recently updated record (the latest known choice); an opposition
    (Bloctel, NPAI on the golden address) on any record counts; the retention limit is passed
    only when every source record has passed it.
    """
    q = qualified.merge(links[["centre", "local_id", "contact_id"]], on=["centre", "local_id"])
    q = q.sort_values(["contact_id", "updated_at", "created_at", "year"], na_position="first")
    last = q.groupby("contact_id").tail(1).set_index("contact_id")
    out = contacts.copy()
    cid = out["contact_id"]
    for c in ("optin_email", "optin_phone"):
        out[c] = cid.map(last[c]).fillna(False).astype(bool)
    g = q.groupby("contact_id")
    out["bloctel"] = cid.map(g["bloctel"].any()).fillna(False).astype(bool)
    out["phoneable"] = cid.map(g["phoneable"].any()).fillna(False).astype(bool)
    out["retention_expired"] = cid.map(g["retention_expired"].all()).fillna(False).astype(bool)
    if "employees" in q:
        emp = pd.to_numeric(q["employees"], errors="coerce").groupby(q["contact_id"]).max()
        out["employees"] = cid.map(emp)
    # postal flags on the golden address
    gold = out.set_index("contact_id")["address1"] if "address1" in out else None
    if gold is not None:
        same = q["address1"].fillna("") == q["contact_id"].map(gold).fillna("")
        qa = q[same]
        out["npai"] = cid.map(qa.groupby("contact_id")["npai"].any()).fillna(False).astype(bool)
        out["mailable"] = cid.map(qa.groupby("contact_id")["mailable"].any()).fillna(False).astype(bool)
    else:
        out["npai"] = cid.map(g["npai"].any()).fillna(False).astype(bool)
        out["mailable"] = cid.map(g["mailable"].any()).fillna(False).astype(bool)
    # e-mail as qualification decided it (rule book: consent for private persons only), on
    # the latest record, like the consents
    latest = cid.map(last["emailable"]).fillna(False).astype(bool)
    out["emailable"] = out["email"].notna() & latest if "email" in out else False
    return out


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    return obj


def _swap(new: Path, target: Path) -> None:
    old = target.with_name(f".{target.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        target.rename(old)
    new.rename(target)
    if old.exists():
        shutil.rmtree(old)


def _decisions(cfg: NetworkConfig) -> pd.DataFrame | None:
    from grc.dedup import link as dedup
    from grc.returns.imports import decisions_path

    p = decisions_path(cfg)
    return dedup.load_decisions(p) if p.exists() else None


def _centre_locations(cfg: NetworkConfig, codes: list[str]) -> pd.DataFrame:
    from grc.qualify.reference import load_communes

    com = load_communes().drop_duplicates("postcode").set_index("postcode")
    rows = []
    for c in codes:
        try:
            t = cfg.centre(c)
        except ConfigError:  # a broken table fails its centre only (see read_stage)
            rows.append({"centre": c, "lat": None, "lon": None})
            continue
        lat, lon = t.extra.get("lat"), t.extra.get("lon")
        if (lat is None or lon is None) and t.postcode in com.index:
            lat, lon = com.at[t.postcode, "lat"], com.at[t.postcode, "lon"]
        rows.append({"centre": c, "lat": lat, "lon": lon})
    return pd.DataFrame(rows)


def _centre_duplicates(dd, code: str) -> pd.DataFrame | None:
    """Likely duplicates inside one centre (both records of that centre only)."""
    from grc.returns.write import centre_pairs

    return centre_pairs(dd.pairs, code)


def _data_version(con, year: int) -> str:
    files = db.read_table(con, "files", "WHERE year <= ? ORDER BY centre, year, kind", [year])
    h = hashlib.sha256()
    for r in files.itertuples(index=False):
        h.update(f"{r.centre}|{r.year}|{r.kind}|{r.sha256}".encode())
    return h.hexdigest()[:12]


def _write_exports(folder: Path, cfg: NetworkConfig, qualified: pd.DataFrame, issues: pd.DataFrame,
                   links: pd.DataFrame, contacts: pd.DataFrame, scores: pd.DataFrame,
                   segments: pd.DataFrame, dd, erased: set,
                   organisations: pd.DataFrame | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    run_links = links[links["last_year"] == cfg.year].sort_values(["centre", "local_id"])
    write_csv(run_links[["centre", "local_id", "contact_id"]], folder / "record_links.csv")
    exported = qualified.loc[qualified["exported"], ["centre", "local_id"]]
    iss = issues.merge(exported, on=["centre", "local_id"])
    write_csv(iss.sort_values(["centre", "local_id", "field", "code"])[ISSUE_COLUMNS],
              folder / "quality_issues.csv")
    write_csv(contacts.sort_values("contact_id"), folder / "contacts.csv")
    write_csv(scores, folder / "rfm.csv")
    if organisations is not None:
        write_csv(organisations.sort_values("organisation_id"), folder / "organisations.csv")
    write_csv(segments.sort_values("contact_id"), folder / "segments.csv")
    if dd.review is not None and len(dd.review):
        write_csv(dd.review, folder / "dedup_review.csv")


def _organisations(qualified: pd.DataFrame, links: pd.DataFrame):
    """Organisations (issue 21): per record, the table, and each contact's organisation."""
    from grc.dedup import organisations as orgs

    record_org, table = orgs.organise(qualified, links)
    return record_org, table, orgs.contact_organisation(record_org)


def _b2b_organisation(stays: pd.DataFrame, contacts: pd.DataFrame) -> pd.Series:
    """Organisation of each stay's contact when the contact is a B2B client (else empty)."""
    c = contacts.set_index("contact_id")
    org = c["organisation_id"]
    if "kind" in c:
        org = org.where(c["kind"].eq("B2B"))
    return stays["contact_id"].map(org)


__all__ = ["run_pipeline", "RunResult", "PipelineError", "current_records", "all_stays", NETWORK]
