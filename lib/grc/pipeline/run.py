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
import re
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from grc import __version__
from grc.config import NetworkConfig, project_root, year_path
from grc.reports.site import SiteMap, load_pages, scope_page_path
from grc.schema import NETWORK
from grc.store import base as db

if TYPE_CHECKING:  # pandas only where frames are made: an unchanged run does without it
    import pandas as pd

# the site's pages are declared once, in params/pages.yaml (read here and by the navigation)
PAGES = load_pages()
# notebooks run for every centre and for the network: (file, French label, page name)
SCOPE_NOTEBOOKS = PAGES.scope_notebooks()
COURSE_NOTEBOOK = (PAGES.course.notebook, PAGES.course.label, PAGES.course.page) if PAGES.course else None
EDITIONS = list(PAGES.course.editions) if PAGES.course else []
COURSE_FOOTER = ("Cas d'entraînement : personnes, entreprises, adresses, e-mails (domaines example) et "
                 "téléphones (tranches ARCEP réservées à la fiction) sont fictifs.")


def course_notebooks(cfg: NetworkConfig, trainer: Path) -> dict[str, Path]:
    """The trainer's notebook (answers, guide) and the student version nbgrader makes of it
    (made again only when the trainer's notebook or the release code is newer)."""
    student = cfg.processed_dir / "cours" / "marielle_nature_eleve.ipynb"
    sources = [trainer, Path(__file__).resolve().parents[1] / "course" / "release.py"]
    if student.exists() and all(student.stat().st_mtime >= s.stat().st_mtime for s in sources):
        return {"eleve": student, "formateur": trainer}
    from grc.course.release import ReleaseError, write_student_notebook

    try:
        student = write_student_notebook(student, trainer)
    except ReleaseError as exc:  # nbgrader missing: the trainer's page is still made
        print(f"AVERTISSEMENT : édition élève du cours non produite ({exc})", file=sys.stderr)
        return {"formateur": trainer}
    return {"eleve": student, "formateur": trainer}


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
    files: list[Path] = [cfg.path, cfg.segmentation, cfg.rfm_grid]
    files += sorted(cfg.centres_dir.glob("*.yaml"))
    year_dir = cfg.raw_dir / str(cfg.year)
    if year_dir.is_dir():
        files += sorted(p for p in year_dir.rglob("*") if p.is_file())
    for side in (cfg.bloctel_file, cfg.npai_file, cfg.erasure_file, cfg.decisions_file,
                 cfg.root / "params" / "dedup_decisions.csv"):
        p = year_path(cfg, side)
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
    course = _prepare_course(cfg, pool)
    prefetched, early = {}, None

    def start_course_pages() -> None:  # once the student edition is made: the course's pages
        nonlocal early                 # do not read the base, they are made while it is built
        if early is None and reports and course is not None and course.done() \
                and course.exception() is None:
            early = _start_course_pages(cfg, pool, force, with_code)

    try:
        if pool is not None:  # the workers read the exports ahead, while this process integrates
            from grc.pipeline.integrate import prefetch_exports

            all_codes = cfg.centre_codes()
            prefetched = prefetch_exports(cfg, [*((y, all_codes) for y in years),
                                                (cfg.year, centres or all_codes)], pool)
        catch_up(cfg, progress, years, prefetched, after_year=start_course_pages)
        start_course_pages()
        if fp is None:
            fp = pipeline_fingerprint(cfg)
        failed: dict[str, str] = {}
        if not force and not centres and state.get("fingerprint") == fp and cfg.db_path.exists():
            if progress:
                print("Base réseau à jour (exports, paramètres et code inchangés) : traitement non relancé.")
            failed = state.get("failed", {})
        else:
            from grc.pipeline.integrate import run_pipeline

            res = run_pipeline(cfg, centres, progress=progress, prefetched=prefetched.get(cfg.year))
            failed = res.failed
            if progress:
                print(_integrated_line(cfg, res.timings["total"]))
            state = {"fingerprint": fp if not centres else None, "failed": failed, "run_id": res.run_id,
                     "year": cfg.year, "data_version": res.data_version}
            state_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = state_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(state, ensure_ascii=False, indent=1), encoding="utf-8")
            os.replace(tmp, state_path)
        nb_failed: list[str] = []
        if course is not None:
            course.exception()  # made while the pipeline ran; a failure is told when the page is built
        if reports:
            nb_failed = build_reports(cfg, jobs=jobs, force=force, with_code=with_code, progress=progress,
                                      pool=pool, early=early)
    finally:
        if prefetched:
            from grc.pipeline.integrate import cancel_prefetch

            cancel_prefetch(prefetched)
        if pool is not None:
            pool.shutdown(cancel=True)  # stops the workers and their kernels, also on error or Ctrl-C
        if early is not None:
            early.discard()  # drafts of early pages not used (an error, another site)
    if failed or nb_failed:
        print("\nRésumé des échecs :", file=sys.stderr)
        for code, msg in sorted(failed.items()):
            print(f"- centre {code} :\n    " + msg.replace("\n", "\n    "), file=sys.stderr)
        for line in nb_failed:
            print(f"- {line}", file=sys.stderr)
        return 1
    return 0


def _prepare_course(cfg: NetworkConfig, pool):
    """The course's student edition made by a worker while the pipeline runs (it does not read
    the base): the core the pipeline leaves free does it, not the pages' critical path."""
    course = PAGES.course
    if pool is None or course is None or not (notebooks_dir() / course.notebook).exists():
        return None
    return pool.submit(course_notebooks, cfg, notebooks_dir() / course.notebook)


def _start_course_pages(cfg: NetworkConfig, pool, force: bool, with_code: bool):
    """The course's pages submitted to the pool's workers (:func:`grc.reports.runner.start_early`),
    with the site of every centre: taken by :func:`build_reports` if the site is the same."""
    from grc.reports.runner import start_early

    jobs = _course_jobs(cfg, site_map(cfg), dt.date.today().isoformat())
    return start_early(jobs, pool, with_code=with_code, force=force,
                       manifest_path=cfg.processed_dir / "reports_manifest.json")


def _integrated_line(cfg: NetworkConfig, seconds: float) -> str:
    """The end-of-run line, with the network's measures (the figures the pages show)."""
    from grc.measures.catalogue import measure
    from grc.measures.read import format_value, measure_value, read_measures

    m = read_measures(cfg.db_path, cfg.year)
    figures = ", ".join(
        f"{measure(n).label.lower()} : {format_value(n, measure_value(m, n, NETWORK, cfg.year))}"
        for n in ("records", "contacts", "stays_year"))
    return f"Année {cfg.year} intégrée ({seconds:.1f} s) : {figures}."


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


def catch_up(cfg: NetworkConfig, progress: bool = True, years: list[int] | None = None,
             prefetched: dict | None = None, after_year=None) -> list[int]:
    """Integrate, in order, the years before ``cfg.year`` that the base lacks.

    The config's ``first_year`` says where the network's history starts; a fresh base (a new
    machine, ``make reports``) thus gets every yearly export before the year of the config.
    ``years`` is :func:`catch_up_years` when the caller already has it; ``prefetched``: the
    years' exports already being read by worker processes (by year); ``after_year``: called
    after each year. A centre whose export of a past year could not be read is told on the
    error output (it stays recorded in the base's ``centre_status``; the other centres go on).
    """
    done = []
    for y in catch_up_years(cfg) if years is None else years:
        from grc.pipeline.integrate import run_pipeline  # (pandas…: only when there is a year)

        if progress:
            print(f"Intégration préalable de l'année {y} (historique du réseau)…", flush=True)
        res = run_pipeline(cfg.with_year(y), progress=progress, light=True,
                           prefetched=(prefetched or {}).get(y))
        for code, msg in sorted(res.failed.items()):
            first = (msg or "").strip().splitlines()[0] if (msg or "").strip() else "échec"
            print(f"AVERTISSEMENT : année {y}, centre {code} non intégré : {first}", file=sys.stderr)
        done.append(y)
        if after_year is not None:
            after_year()
    return done


def _scope_hashes(cfg: NetworkConfig) -> dict[str, str]:
    con = db.connect(cfg.db_path, read_only=True)
    try:  # rows, not frames: an unchanged run needs no pandas
        out = dict(con.execute("SELECT scope, hash FROM scope_hashes").fetchall()) \
            if db.has_table(con, "scope_hashes") else {}
        last = con.execute("SELECT data_version FROM runs ORDER BY rowid DESC LIMIT 1").fetchall() \
            if db.has_table(con, "runs") else []
    finally:
        con.close()
    out["_data_version"] = str(last[0][0]) if last else ""
    return out


def site_map(cfg: NetworkConfig, codes: list[str] | None = None) -> SiteMap:
    """The report site of ``cfg``: its centres (``codes``, default all) and declared pages."""
    codes = cfg.centre_codes() if codes is None else codes
    return SiteMap(cfg.network, cfg.year, tuple((c, cfg.centre_name(c)) for c in codes), PAGES)


def _course_jobs(cfg: NetworkConfig, site: SiteMap, run_date: str) -> list:
    """The course's two editions: the trainer's notebook and the student version nbgrader
    makes of it (no solution), each with the site header."""
    from grc.reports.runner import NotebookJob

    course = PAGES.course
    if course is None or not (notebooks_dir() / course.notebook).exists():
        return []
    code = Path(__file__).resolve().parents[1]
    course_hash = _hash_files([project_root() / "data" / "course" / "marielle_nature.xlsx",
                               project_root() / "data" / "course" / "marielle_nature_corrige.xlsx",
                               project_root() / "params" / "rfm" / "omnicom.yaml",
                               code / "rules.py", *sorted((code / "course").glob("*.py"))])
    notebooks = course_notebooks(cfg, notebooks_dir() / course.notebook)
    jobs = []
    for edition, elabel in [(e, el) for e, el in course.editions if e in notebooks]:
        title = course.title(elabel)
        header = {"network": course.network, "centre": title, "year": cfg.year, "title": course.label,
                  "run_date": run_date, "data_version": course_hash[:12],
                  "edition": elabel.capitalize(), "footer": COURSE_FOOTER,
                  "site": site.header(course.path(edition), title, scope_label=course.network)}
        extra = course.extra(edition)  # declared in params/pages.yaml
        if extra.get("note"):
            header["edition"] = extra["note"]
        if extra.get("download"):
            header["download"] = (f"Télécharger le classeur de l'exercice ({extra['download']})",
                                  extra["download"])
        jobs.append(NotebookJob(notebooks[edition], {"edition": edition},
                                cfg.reports_dir / course.path(edition), header, course_hash))
    return jobs


def _copy_course_files(cfg: NetworkConfig) -> None:
    """The files an edition's page links to (``download`` in ``params/pages.yaml``, from
    ``data/course/``), copied beside the page: only what is declared (never the answer key)."""
    import shutil

    course = PAGES.course
    for edition, _ in course.editions if course is not None else []:
        name = course.extra(edition).get("download")
        source = project_root() / "data" / "course" / str(name)
        if name and Path(name).name == name and source.is_file():  # a file of that folder only
            target = cfg.reports_dir / Path(course.path(edition)).parent / source.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


def build_jobs(cfg: NetworkConfig, hashes: dict[str, str], with_code: bool = False) -> list:
    """Every page made by a notebook (``params/pages.yaml``): per centre, for the network, the course."""
    from grc.reports.runner import NotebookJob

    nbdir = notebooks_dir()
    run_date = dt.date.today().isoformat()
    jobs = []
    codes = [c for c in cfg.centre_codes() if c in hashes]
    site = site_map(cfg, codes)
    cfg_path = str(cfg.path)
    for scope in [NETWORK, *codes]:
        for nb, label, page in SCOPE_NOTEBOOKS:
            if not (nbdir / nb).exists():
                continue
            rel = scope_page_path(scope, page)
            # the version shown is that of the scope's own data: a page changes only with it
            header = {"network": cfg.network, "centre": site.scope_name(scope), "year": cfg.year,
                      "title": label, "run_date": run_date, "data_version": hashes.get(scope, "")[:12],
                      "site": site.header(rel, label, scope=scope, page=page)}
            jobs.append(NotebookJob(nbdir / nb, {"config": cfg_path, "centre": scope},
                                    cfg.reports_dir / rel, header, hashes.get(scope, "")))
    # the longest pages first (network, then the course), so that no worker ends on one of them
    n_network = sum(1 for j in jobs if j.params.get("centre") == NETWORK)
    return jobs[:n_network] + _course_jobs(cfg, site, run_date) + jobs[n_network:]


def build_reports(cfg: NetworkConfig, jobs: int | None = None, force: bool = False,
                  with_code: bool = False, progress: bool = True, pool=None, early=None) -> list[str]:
    """Run the notebooks and write the index; returns one line per failed page.

    ``pool``: a :class:`grc.reports.runner.WorkerPool` whose kernels are already started (else the
    notebooks get their own workers, only if some page must be built); ``early``: pages
    already started in it (:func:`_start_course_pages`).
    """
    from grc.reports.runner import run_notebooks

    hashes = _scope_hashes(cfg)
    todo = build_jobs(cfg, hashes, with_code)
    cfg.reports_dir.mkdir(parents=True, exist_ok=True)
    _copy_course_files(cfg)
    from grc.reports.runner import PRELOAD_MODULES

    started = time.perf_counter()
    results = run_notebooks(todo, n_jobs=jobs, force=force, with_code=with_code,
                            manifest_path=cfg.processed_dir / "reports_manifest.json", progress=progress,
                            preload=PRELOAD_MODULES, pool=pool, early=early)
    failed = [f"{Path(r.job.notebook).name} ({r.job.params.get('centre', r.job.params.get('edition'))}) : "
              + (r.error or "").strip().splitlines()[-1] if (r.error or "").strip() else "échec"
              for r in results if r.status == "failed"]
    if progress:
        done = sum(r.status == "ok" for r in results)
        skipped = sum(r.status == "skipped" for r in results)
        print(f"Pages : {done} produites, {skipped} inchangées, {len(failed)} en échec "
              f"({time.perf_counter() - started:.1f} s).")
    site = site_map(cfg, [c for c in cfg.centre_codes() if c in hashes])
    key = _documents_key(cfg, hashes, results, with_code)
    if force or key is None or key != _documents_state(cfg).get("key") or not _documents_exist(cfg):
        write_documents(cfg, results, site)
        _documents_state(cfg, key)
    return failed


def write_documents(cfg: NetworkConfig, results: list, site: SiteMap) -> None:
    """The site's pages made without a notebook: the register, the glossary, the summaries and
    the index."""
    from grc.reports.glossary import write_glossary
    from grc.store.gdpr import write_register

    write_register(cfg, site=site.header("registre_traitements.html", "Registre des activités de traitement",
                                         scope_label=cfg.network))
    write_glossary(cfg.reports_dir, cfg.network, site=site.header("glossaire.html", "Glossaire des indicateurs", scope_label=cfg.network))
    write_index(cfg, results, site)


def _documents_key(cfg: NetworkConfig, hashes: dict[str, str], results: list, with_code: bool) -> str | None:
    """What the register, glossary, summaries and index are made of: the pipeline's inputs and
    code (its fingerprint), the scopes' data, each page's status, the templates, the page list
    and the day (the index is dated). None when unknown (a partial run): made again."""
    from grc.reports.runner import TEMPLATE_VERSION
    from grc.reports.site import pages_file

    state_path = _state_path(cfg)
    state = json.loads(state_path.read_text(encoding="utf-8")) if state_path.exists() else {}
    if not state.get("fingerprint"):
        return None
    pages = sorted((str(r.job.html_out), r.status == "failed") for r in results)  # made or kept: same
    parts = [state["fingerprint"], json.dumps(hashes, sort_keys=True), json.dumps(pages), TEMPLATE_VERSION,
             _hash_files([pages_file()]), str(with_code), dt.date.today().isoformat()]
    return hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()


def _documents_state(cfg: NetworkConfig, key: str | None = None) -> dict:
    """The key of the documents last written (``key`` given: record it)."""
    path = cfg.processed_dir / "documents_state.json"
    if key is None:
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    from grc.reports.runner import atomic_write_text

    atomic_write_text(path, json.dumps({"key": key}))
    return {"key": key}


def _documents_exist(cfg: NetworkConfig) -> bool:
    from grc.reports.site import SUMMARY_PAGE as PAGE

    wanted = [cfg.reports_dir / n for n in ("index.html", "glossaire.html", "registre_traitements.html")]
    wanted += [cfg.reports_dir / scope_page_path(s, PAGE.removesuffix(".html"))
               for s in [NETWORK, *cfg.centre_codes()]]
    return all(p.exists() for p in wanted)


def _seg_label(cfg: NetworkConfig, code: str) -> str:
    from grc.config import load_segmentation

    seg = load_segmentation(cfg.segmentation)
    return f"{seg[code]['label']} ({code})" if code in seg else "Non segmenté"


def _fmt_status(status: str) -> str:
    return {"ok": "à jour", "échec": "échec", "inchangé": "inchangé"}.get(status, status)


def _index_network(cfg: NetworkConfig, net: pd.Series, runs: pd.DataFrame) -> dict:
    import pandas as pd

    """The index's headline: the network's measures, segment mix and RFM categories."""
    from grc.measures.metrics import INDEX_HEADLINE

    return {
        "name": cfg.network, "year": cfg.year, "reference_date": cfg.reference_date.isoformat(),
        **{m: net.get(m) for m in INDEX_HEADLINE},
        "segment_mix": {_seg_label(cfg, k.split(":", 1)[1]): int(v) for k, v in net.items()
                        if k.startswith("segment:") and pd.notna(v)},
        "rfm_categories": _grid_order(cfg, {k.split(":", 1)[1]: int(v) for k, v in net.items()
                                            if k.startswith("rfm:") and pd.notna(v)}),
        "last_run": str(runs["started_at"].iloc[-1]) if len(runs) else "",
    }


def _grid_order(cfg: NetworkConfig, counts: dict[str, int]) -> dict[str, int]:
    """The RFM categories from the grid's best one to its last (others after, by name)."""
    from grc.rfm import load_grid

    order = load_grid(cfg.rfm_grid).category_order()
    rank = {c: i for i, c in enumerate(order)}
    return dict(sorted(counts.items(), key=lambda kv: (rank.get(kv[0], len(order)), kv[0])))


def _centre_status(cfg: NetworkConfig, code: str, s: pd.Series | None, both: pd.DataFrame,
                   failed_pages: int) -> str:
    """A status that means something: refused, corrections to make, or up to date."""
    from grc.measures.alerts import return_counts

    if s is None:
        return "absent : pas d'export cette année"
    message = str(s["message"]).splitlines()[0] if str(s["message"] or "").strip() else ""
    if str(s["status"]) == "échec":
        text = f"échec : {message}" if message else "échec"
    else:
        n_fix = sum(n for _, _, n in return_counts(both, code, cfg.year))
        text = f"à corriger : {int(n_fix)} fiche{'s' if n_fix > 1 else ''}" if n_fix else "à jour"
        warned = re.search(r"(\d+) avertissement", message)
        if warned:
            n = int(warned.group(1))
            text += (f" · {n} avertissement{'s' if n > 1 else ''} de lecture, "
                     "détaillé" + ("s" if n > 1 else "") + " dans le fichier retour")
    if failed_pages:
        text += f" · {failed_pages} page(s) en échec"
    return text


def _centre_alerts(both: pd.DataFrame, code: str, year: int) -> str:
    from grc.measures.alerts import alerts

    bad = [a.text for a in alerts(both, code, year) if a.tone == "bad"]
    if not bad:
        return ""
    more = len(bad) - 1
    return "⚠ " + bad[0] + (f" Et {more} autre{'s' if more > 1 else ''} alerte{'s' if more > 1 else ''} "
                            "sur sa synthèse." if more else "")


def write_index(cfg: NetworkConfig, results: list | None = None, site: SiteMap | None = None) -> Path:
    """``reports/index.html``: the network at a glance and a compact table of centres (key
    measures, alerts, a status that says what to do)."""
    import pandas as pd

    from grc.measures.metrics import INDEX_COLUMNS, INDEX_SHORT_LABELS
    from grc.measures.read import read_measures
    from grc.reports import index_page

    index_page.COLUMN_LABELS.update(INDEX_SHORT_LABELS)
    render_index = index_page.write_index
    both = read_measures(cfg.db_path, since=cfg.year - 1)
    both = both[both["year"].isin([cfg.year - 1, cfg.year])]
    metrics = both[both["year"] == cfg.year]
    con = db.connect(cfg.db_path, read_only=True)
    try:
        status = db.read_table(con, "centre_status", "WHERE year = ?", [cfg.year])
        runs = db.read_table(con, "runs")
    finally:
        con.close()
    from grc.measures.metrics import INDEX_HEADLINE

    shown = metrics["measure"].isin([*INDEX_COLUMNS, *INDEX_HEADLINE]) | metrics["measure"].str.match(
        r"(?:segment|rfm):")  # the index's figures only (the base holds every breakdown too)
    metrics = metrics[shown]
    wide = metrics.pivot_table(index="scope", columns="measure", values="value", aggfunc="first",
                               dropna=False) if len(metrics) else pd.DataFrame()
    failed_pages: dict[str, int] = {}
    for r in results or []:
        if r.status == "failed":
            scope = r.job.params.get("centre", "cours")
            failed_pages[scope] = failed_pages.get(scope, 0) + 1
    net = wide.loc[NETWORK] if NETWORK in wide.index else pd.Series(dtype=float)
    network = _index_network(cfg, net, runs)
    rows = []
    st = status.set_index("centre") if len(status) else pd.DataFrame()
    pages: dict[str, list[tuple[str, str]]] = {}
    for code in cfg.centre_codes():
        row = {"code": code, "name": cfg.centre_name(code)}
        for m in INDEX_COLUMNS:
            row[m] = wide.at[code, m] if code in wide.index and m in wide.columns else None
        row["alertes"] = _centre_alerts(both, code, cfg.year)
        row["status"] = _centre_status(cfg, code, st.loc[code] if code in st.index else None,
                                       both, failed_pages.get(code, 0))
        rows.append(row)
    for scope in [*cfg.centre_codes(), NETWORK]:
        pages[scope] = [(p.label, scope_page_path(scope, p.page)) for p in PAGES.scope_pages
                        if p.notebook and (cfg.reports_dir / scope_page_path(scope, p.page)).exists()]
    if PAGES.course:
        pages["cours"] = [(PAGES.course.title(el), PAGES.course.path(ed)) for ed, el in EDITIONS
                          if (cfg.reports_dir / PAGES.course.path(ed)).exists()]
    for extra in PAGES.root_pages:
        if (cfg.reports_dir / f"{extra.page}.html").exists():
            pages.setdefault("documents", []).append((extra.label, f"{extra.page}.html"))
    site = site or site_map(cfg)
    from grc.reports.summary import PAGE, write_summaries

    write_summaries(cfg, both, pages, site)
    for code in cfg.centre_codes():
        pages[code] = [("Synthèse", scope_page_path(code, PAGE.removesuffix(".html")))]
    pages[NETWORK] = [("Synthèse", scope_page_path(NETWORK, PAGE.removesuffix(".html"))),
                      *pages.get(NETWORK, [])]
    return render_index(cfg.reports_dir / "index.html", network, pd.DataFrame(rows), pages,
                        site=site.header("index.html", "Sommaire des rapports"))
