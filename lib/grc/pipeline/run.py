"""``grc run``: the pipeline, then every workbook per centre and for the network, then the index.

Incremental at both levels: the pipeline is skipped when none of its inputs changed (exports,
correspondence tables, config, parameters, code), and each page is skipped when its notebook,
parameters and the data of its scope did not change (see :mod:`grc.reports.runner`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sys
from pathlib import Path

import pandas as pd

from grc import __version__
from grc.config import NetworkConfig, project_root
from grc.schema import NETWORK
from grc.store import base as db

# notebooks run for every centre and for the network: (file, French label, page name)
SCOPE_NOTEBOOKS = [
    ("01_qualification.ipynb", "Qualification", "qualification"),
    ("02_deduplication.ipynb", "Dédoublonnage", "dedoublonnage"),
    ("03_segmentation.ipynb", "Segmentation", "segmentation"),
    ("04_rfm_scoring.ipynb", "Scoring RFM et fidélisation", "rfm"),
]
COURSE_NOTEBOOK = ("05_exercise_walkthrough.ipynb", "Exercice Marielle Nature", "exercice")
EDITIONS = [("eleve", "édition élève"), ("formateur", "édition formateur")]
def notebooks_dir() -> Path:
    return project_root() / "notebooks"


def _hash_files(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        if p.is_file():
            h.update(str(p.name).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def pipeline_fingerprint(cfg: NetworkConfig) -> str:
    """Hash of everything the pipeline reads for the config's year."""
    from grc.pipeline.integrate import _fmt_path

    files: list[Path] = [cfg.path, cfg.segmentation, cfg.rfm_grid]
    files += sorted(cfg.centres_dir.glob("*.yaml"))
    year_dir = cfg.raw_dir / str(cfg.year)
    if year_dir.is_dir():
        files += sorted(p for p in year_dir.rglob("*") if p.is_file())
    for side in (cfg.bloctel_file, cfg.npai_file, cfg.erasure_file, cfg.decisions_file,
                 cfg.root / "params" / "dedup_decisions.csv"):
        p = _fmt_path(cfg, side)
        if p is not None:
            files.append(p)
    code = sorted(Path(__file__).resolve().parents[1].rglob("*.py"))
    h = hashlib.sha256(f"{cfg.year}|{cfg.reference_date}|{__version__}".encode())
    h.update(_hash_files(files).encode())
    h.update(_hash_files(code).encode())
    return h.hexdigest()


def _state_path(cfg: NetworkConfig) -> Path:
    return cfg.processed_dir / "pipeline_state.json"


def run_all(cfg: NetworkConfig, centres: list[str] | None = None, jobs: int | None = None,
            force: bool = False, reports: bool = True, with_code: bool = False,
            progress: bool = True) -> int:
    """The whole ``grc run``; returns the exit status (0 only if everything succeeded).

    The base is locked for the whole run: a second ``grc run`` on it stops with a message.
    """
    with db.base_lock(cfg.db_path):
        return _run_all(cfg, centres, jobs, force, reports, with_code, progress)


def _run_all(cfg: NetworkConfig, centres: list[str] | None, jobs: int | None, force: bool,
             reports: bool, with_code: bool, progress: bool) -> int:
    from grc.pipeline.integrate import run_pipeline
    from grc.reports.runner import PRELOAD_MODULES, WorkerPool

    years = catch_up_years(cfg)
    state_path = _state_path(cfg)
    # the catch-up writes the base: the fingerprint is taken after it (below) when there is one
    fp = None if years else pipeline_fingerprint(cfg)
    state = json.loads(state_path.read_text(encoding="utf-8")) if state_path.exists() else {}
    pool = None
    if reports and (years or force or centres or state.get("fingerprint") != fp or not cfg.db_path.exists()):
        # the base changes, so pages will be built: the workers start their kernels now and
        # import pandas, matplotlib, … on the other core while the pipeline runs
        pool = WorkerPool(jobs, PRELOAD_MODULES)
    try:
        catch_up(cfg, progress, years)
        if fp is None:
            fp = pipeline_fingerprint(cfg)
        failed: dict[str, str] = {}
        if not force and not centres and state.get("fingerprint") == fp and cfg.db_path.exists():
            if progress:
                print("Base réseau à jour (exports, paramètres et code inchangés) : traitement non relancé.")
            failed = state.get("failed", {})
        else:
            res = run_pipeline(cfg, centres, progress=progress)
            failed = res.failed
            if progress:
                t = res.timings
                print(f"Année {cfg.year} intégrée : {res.counts['records']} fiches, "
                      f"{res.counts['contacts']} contacts réseau, {res.counts['stays']} séjours "
                      f"({t['total']:.1f} s).")
            state = {"fingerprint": fp if not centres else None, "failed": failed, "run_id": res.run_id,
                     "year": cfg.year, "data_version": res.data_version}
            state_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = state_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(state, ensure_ascii=False, indent=1), encoding="utf-8")
            os.replace(tmp, state_path)
        nb_failed: list[str] = []
        if reports:
            nb_failed = build_reports(cfg, jobs=jobs, force=force, with_code=with_code, progress=progress,
                                      pool=pool)
    finally:
        if pool is not None:
            pool.shutdown(cancel=True)  # stops the workers and their kernels, also on error or Ctrl-C
    if failed or nb_failed:
        print("\nRésumé des échecs :", file=sys.stderr)
        for code, msg in sorted(failed.items()):
            print(f"- centre {code} :\n    " + msg.replace("\n", "\n    "), file=sys.stderr)
        for line in nb_failed:
            print(f"- {line}", file=sys.stderr)
        return 1
    return 0


def catch_up_years(cfg: NetworkConfig) -> list[int]:
    """The years before ``cfg.year`` that :func:`catch_up` would integrate (exports present)."""
    first = cfg.data.get("first_year")
    if not first:
        return []
    last = None
    if cfg.db_path.exists():
        con = db.connect(cfg.db_path, read_only=True)
        try:
            last = db.last_year(con)
        finally:
            con.close()
    start = last + 1 if last is not None else int(first)
    return [y for y in range(start, cfg.year) if (cfg.raw_dir / str(y)).is_dir()]


def catch_up(cfg: NetworkConfig, progress: bool = True, years: list[int] | None = None) -> list[int]:
    """Integrate, in order, the years before ``cfg.year`` that the base lacks.

    The config's ``first_year`` says where the network's history starts; a fresh base (a new
    machine, ``make reports``) thus gets every yearly export before the year of the config.
    ``years`` is :func:`catch_up_years` when the caller already has it.
    """
    from grc.pipeline.integrate import run_pipeline

    done = []
    for y in catch_up_years(cfg) if years is None else years:
        if progress:
            print(f"Intégration préalable de l'année {y} (historique du réseau)…", flush=True)
        run_pipeline(cfg.with_year(y), progress=progress, light=True)
        done.append(y)
    return done


def _scope_hashes(cfg: NetworkConfig) -> dict[str, str]:
    con = db.connect(cfg.db_path, read_only=True)
    try:
        h = db.read_table(con, "scope_hashes")
        runs = db.read_table(con, "runs")
    finally:
        con.close()
    out = dict(zip(h["scope"], h["hash"], strict=True)) if len(h) else {}
    out["_data_version"] = str(runs["data_version"].iloc[-1]) if len(runs) else ""
    return out


def build_jobs(cfg: NetworkConfig, hashes: dict[str, str], with_code: bool = False) -> list:
    """Every page to produce: 4 workbooks per centre and for the network, the course."""
    from grc.reports.runner import NotebookJob

    nbdir = notebooks_dir()
    run_date = dt.date.today().isoformat()
    jobs = []
    codes = [c for c in cfg.centre_codes() if c in hashes]
    cfg_path = str(cfg.path)
    course = []
    nb, label, page = COURSE_NOTEBOOK
    if (nbdir / nb).exists():
        course_hash = _hash_files([project_root() / "data" / "course" / "marielle_nature.xlsx",
                                   project_root() / "params" / "rfm" / "omnicom.yaml",
                                   project_root() / "params" / "rfm" / "dosettes.yaml"])
        for edition, elabel in EDITIONS:
            header = {"network": "Cours BTS NDRC", "centre": f"{label} ({elabel})", "year": cfg.year,
                      "title": label, "run_date": run_date, "data_version": course_hash[:12]}
            course.append(NotebookJob(nbdir / nb, {"edition": edition},
                                      cfg.reports_dir / "cours" / f"{page}_{edition}.html", header,
                                      course_hash))
    for scope in [NETWORK, *codes]:
        for nb, label, page in SCOPE_NOTEBOOKS:
            if not (nbdir / nb).exists():
                continue
            out = (cfg.reports_dir / "network" / f"{page}.html" if scope == NETWORK
                   else cfg.reports_dir / "centres" / scope / f"{page}.html")
            name = "Ensemble du réseau" if scope == NETWORK else f"{cfg.centre_name(scope)} ({scope})"
            # the version shown is that of the scope's own data: a page changes only with it
            header = {"network": cfg.network, "centre": name, "year": cfg.year, "title": label,
                      "run_date": run_date, "data_version": hashes.get(scope, "")[:12]}
            jobs.append(NotebookJob(nbdir / nb, {"config": cfg_path, "centre": scope}, out, header,
                                    hashes.get(scope, "")))
    # the longest pages first (network, then the course), so that no worker ends on one of them
    n_network = sum(1 for j in jobs if j.params.get("centre") == NETWORK)
    return jobs[:n_network] + course + jobs[n_network:]


def build_reports(cfg: NetworkConfig, jobs: int | None = None, force: bool = False,
                  with_code: bool = False, progress: bool = True, pool=None) -> list[str]:
    """Run the notebooks and write the index; returns one line per failed page.

    ``pool``: a :class:`grc.reports.runner.WorkerPool` whose kernels are already started (else the
    notebooks get their own workers, only if some page must be built).
    """
    from grc.reports.runner import run_notebooks

    hashes = _scope_hashes(cfg)
    todo = build_jobs(cfg, hashes, with_code)
    cfg.reports_dir.mkdir(parents=True, exist_ok=True)
    from grc.reports.runner import PRELOAD_MODULES

    results = run_notebooks(todo, n_jobs=jobs, force=force, with_code=with_code,
                            manifest_path=cfg.processed_dir / "reports_manifest.json", progress=progress,
                            preload=PRELOAD_MODULES, pool=pool)
    failed = [f"{Path(r.job.notebook).name} ({r.job.params.get('centre', r.job.params.get('edition'))}) : "
              + (r.error or "").strip().splitlines()[-1] if (r.error or "").strip() else "échec"
              for r in results if r.status == "failed"]
    if progress:
        done = sum(r.status == "ok" for r in results)
        skipped = sum(r.status == "skipped" for r in results)
        print(f"Pages : {done} produites, {skipped} inchangées, {len(failed)} en échec.")
    from grc.store.gdpr import write_register

    write_register(cfg)
    write_index(cfg, results)
    return failed


def _seg_label(cfg: NetworkConfig, code: str) -> str:
    from grc.config import load_segmentation

    seg = load_segmentation(cfg.segmentation)
    return f"{seg[code]['label']} ({code})" if code in seg else "Non segmenté"


def _fmt_status(status: str) -> str:
    return {"ok": "à jour", "échec": "échec", "inchangé": "inchangé"}.get(status, status)


def write_index(cfg: NetworkConfig, results: list | None = None) -> Path:
    """``reports/index.html``: the network at a glance and a table of centres."""
    from grc.measures.metrics import INDEX_COLUMNS
    from grc.reports import index_page

    index_page.COLUMN_LABELS.update(INDEX_COLUMNS)
    render_index = index_page.write_index

    con = db.connect(cfg.db_path, read_only=True)
    try:
        metrics = db.read_table(con, "metrics", "WHERE year = ?", [cfg.year])
        status = db.read_table(con, "centre_status", "WHERE year = ?", [cfg.year])
        runs = db.read_table(con, "runs")
    finally:
        con.close()
    wide = metrics.pivot_table(index="centre", columns="metric", values="value", aggfunc="first") \
        if len(metrics) else pd.DataFrame()
    failed_pages: dict[str, int] = {}
    for r in results or []:
        if r.status == "failed":
            scope = r.job.params.get("centre", "cours")
            failed_pages[scope] = failed_pages.get(scope, 0) + 1
    net = wide.loc[NETWORK] if NETWORK in wide.index else pd.Series(dtype=float)
    network = {
        "name": cfg.network, "year": cfg.year, "reference_date": cfg.reference_date.isoformat(),
        "records": net.get("records"), "contacts": net.get("contacts"),
        "qualified_share": net.get("qualified_share"), "duplicates": net.get("duplicates"),
        "retention": net.get("retention"),
        "multi_centre_share": (net.get("shared_contacts") / net.get("contacts"))
        if net.get("contacts") else None,
        "segment_mix": {_seg_label(cfg, k.split(":", 1)[1]): int(v) for k, v in net.items()
                        if k.startswith("segment:") and pd.notna(v)},
        "rfm_categories": {k.split(":", 1)[1]: int(v) for k, v in net.items()
                           if k.startswith("rfm:") and pd.notna(v)},
        "last_run": str(runs["started_at"].iloc[-1]) if len(runs) else "",
        "data_version": str(runs["data_version"].iloc[-1]) if len(runs) else "",
    }
    rows = []
    st = status.set_index("centre") if len(status) else pd.DataFrame()
    pages: dict[str, list[tuple[str, str]]] = {}
    for code in cfg.centre_codes():
        row = {"code": code, "name": cfg.centre_name(code)}
        for m in INDEX_COLUMNS:
            row[m] = wide.at[code, m] if code in wide.index and m in wide.columns else None
        s = st.loc[code] if code in st.index else None
        stat = _fmt_status(str(s["status"])) if s is not None else "absent"
        if failed_pages.get(code):
            stat += f" ; {failed_pages[code]} page(s) en échec"
        row["status"] = stat
        row["message"] = str(s["message"]).splitlines()[0] if s is not None else ""
        rows.append(row)
        pages[code] = [(label, f"centres/{code}/{page}.html") for _, label, page in SCOPE_NOTEBOOKS
                       if (cfg.reports_dir / "centres" / code / f"{page}.html").exists()]
    pages[NETWORK] = [(label, f"network/{page}.html") for _, label, page in SCOPE_NOTEBOOKS
                      if (cfg.reports_dir / "network" / f"{page}.html").exists()]
    pages["cours"] = [(f"{COURSE_NOTEBOOK[1]} ({el})", f"cours/{COURSE_NOTEBOOK[2]}_{ed}.html")
                      for ed, el in EDITIONS
                      if (cfg.reports_dir / "cours" / f"{COURSE_NOTEBOOK[2]}_{ed}.html").exists()]
    for extra in ("registre_traitements.html",):
        if (cfg.reports_dir / extra).exists():
            pages.setdefault("documents", []).append(("Registre des traitements", extra))
    return render_index(cfg.reports_dir / "index.html", network, pd.DataFrame(rows), pages)
