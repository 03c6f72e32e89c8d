"""Run parameterised notebooks in parallel and export reviewer-ready HTML pages.

Each :class:`NotebookJob` is one notebook run with its parameters, rendered to one HTML page.
Runs are spread over worker processes; each worker runs the notebooks in its own IPython shell
(:mod:`grc.reports.inprocess`; or, with ``kernel="warm"``, in one long-lived Jupyter kernel),
with pandas, matplotlib and seaborn imported once, and resets it to a fresh-kernel state
between notebooks (user namespace, history, matplotlib/pandas/numpy settings, warnings, modules
imported from outside the Python installation, working directory). ``kernel="fresh"`` runs
each notebook with papermill in a brand-new kernel instead; the tests check that all give the
same page. A JSON manifest makes re-runs incremental: an output whose inputs did not change is
skipped without starting any kernel.
"""

from __future__ import annotations

import concurrent.futures as cf
import copy
import datetime as dt
import hashlib
import json
import multiprocessing
import os
import re
import shutil
import tempfile
import time
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from grc.reports.page_html import finish_page

TEMPLATES_DIR = Path(__file__).parent / "templates"


def _template_version() -> str:
    """Digest of the report template's files: editing the template invalidates every page."""
    digest = hashlib.sha256()
    for path in sorted((TEMPLATES_DIR / "grc_report").rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(TEMPLATES_DIR).as_posix().encode() + path.read_bytes())
    digest.update((Path(__file__).parent / "page_html.py").read_bytes())  # the pages' last touches
    return "grc-report-" + digest.hexdigest()[:12]


TEMPLATE_VERSION = _template_version()
KERNEL_NAME = "python3"
HIDDEN_CELL_TAGS = ("parameters", "injected-parameters")
#: Imported once per warm kernel and kept between notebooks. The project's own modules are kept
#: too (their import cost ≈0.1 s per page): any state they hold for one page is reset by their
#: ``reset_page_state()``, called before each notebook. Only what pages import (not
#: scikit-learn: the pipeline fits the typology, the pages read it); "module:function" is
#: called once (the communes' reference, which segmentation pages read, is loaded ahead).
PRELOAD_MODULES = ("numpy", "pandas", "matplotlib", "matplotlib.pyplot", "seaborn",
                   "grc.reports.views_quality", "grc.reports.views_marketing", "grc.reports.workbook",
                   "grc.reports.charts", "grc.reports.table_html", "grc.rfm.loyalty",
                   "grc.qualify.reference", "grc.campaigns", "grc.qualify.reference:load_communes")
CELL_TIMEOUT = 600
# a warm kernel grows by ≈1.5 MB per notebook (measured over 112 workbooks): it is restarted
# (≈4 s) only when its memory passes RECYCLE_RSS, or after RECYCLE_AFTER notebooks as a bound
RECYCLE_RSS = 1536 * 2**20
RECYCLE_AFTER = 500

Status = Literal["ok", "skipped", "failed"]


@dataclass(frozen=True)
class NotebookJob:
    """One notebook run: its parameters, its HTML page and the page header."""

    notebook: Path
    params: dict
    html_out: Path
    header: dict = field(default_factory=dict)
    inputs_hash: str = ""


@dataclass
class JobResult:
    """Outcome of one job; ``error`` holds the failing cell's excerpt and the exception."""

    job: NotebookJob
    status: Status
    error: str | None
    seconds: float


# --------------------------------------------------------------------------- hashing, manifest


def _file_digest(path: Path, _cache: dict[tuple[str, float, int], str] = {}) -> str:  # noqa: B006
    st = path.stat()
    key = (str(path), st.st_mtime, st.st_size)
    if key not in _cache:
        _cache[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return _cache[key]


def _stable_header(header: dict) -> dict:
    """Header fields that identify the page content (the run date is not one of them)."""
    return {k: v for k, v in header.items() if k not in ("run_date", "date")}


def job_hash(job: NotebookJob, with_code: bool) -> str:
    """Content hash of everything a page depends on."""
    payload = {
        "notebook": _file_digest(Path(job.notebook)),
        "params": job.params,
        "inputs": job.inputs_hash,
        "with_code": bool(with_code),
        "template": TEMPLATE_VERSION,
        "header": _stable_header(job.header),
    }
    blob = json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _manifest_key(html_out: Path, manifest_path: Path) -> str:
    out = Path(html_out).resolve()
    try:
        return out.relative_to(manifest_path.resolve().parent).as_posix()
    except ValueError:
        return out.as_posix()


def load_manifest(manifest_path: Path) -> dict[str, Any]:
    """Read the manifest; a missing or corrupt file gives an empty one."""
    try:
        data = json.loads(Path(manifest_path).read_text(encoding="utf-8"))
        if isinstance(data, dict) and isinstance(data.get("outputs"), dict):
            return data
    except (OSError, ValueError):
        pass
    return {"version": 1, "outputs": {}}


def atomic_write_text(path: Path, text: str) -> None:
    """Write a text file atomically (temporary file in the same folder, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        # mkstemp creates 0600 files: give reports the usual permissions (umask applies)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _save_manifest(manifest_path: Path, manifest: dict[str, Any]) -> None:
    atomic_write_text(manifest_path, json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False))


# --------------------------------------------------------------------------- header, HTML


def _fr_date(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y à %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, str):
        for parse in (dt.datetime.fromisoformat,):
            try:
                parsed = parse(value)
            except ValueError:
                continue
            if len(value) <= 10:
                return parsed.strftime("%d/%m/%Y")
            return parsed.strftime("%d/%m/%Y à %H:%M")
    return str(value)


HEADER_FIELDS = (
    ("run_date", "Produit le"),
    ("data_version", "Version des données"),  # analysts' edition only (a hash means nothing to a reviewer)
)
FOOTER = "Rapport du siège du réseau : agrégats uniquement, aucune donnée personnelle."


def _default_site(header: dict, title: str) -> dict[str, Any]:
    """The header of a page made outside a site (no :class:`grc.reports.site.SiteMap`)."""
    scope = str(header.get("centre") or "")
    index_href = header.get("index_href") or ""
    return {
        "network": str(header.get("network") or ""),
        "scope": scope,
        "year": header.get("year") or "",
        "title": title,
        "tab_title": f"{title} — {scope}" if scope else title,
        "index": {"label": "Sommaire", "href": index_href, "current": False} if index_href else None,
    }


def header_resources(job: NotebookJob, with_code: bool) -> dict[str, Any]:
    """Template variables for the page: the site header (``job.header["site"]``, see
    :meth:`grc.reports.site.SiteMap.header`, or one made from the header's fields)."""
    header = dict(job.header)
    title = str(header.get("title") or Path(job.notebook).stem.replace("_", " "))
    site = dict(header.get("site") or _default_site(header, title))
    fields = []
    for key, label in HEADER_FIELDS:
        if header.get(key) not in (None, "") and (with_code or key != "data_version"):
            value = header[key]
            fields.append((label, _fr_date(value) if key == "run_date" else str(value)))
    site["fields"] = fields
    site["edition"] = header.get("edition") or ("Édition avec code (analystes)" if with_code else "")
    site["footer"] = header.get("footer", FOOTER)
    if header.get("download"):  # (label, href): a file that goes with the page (the course's workbook)
        site["download"] = tuple(header["download"])
    return {
        "title": title,
        "site": site,
        "with_code": bool(with_code),
        "template_version": TEMPLATE_VERSION,
    }


_EXPORTERS: dict[Any, Any] = {}
_MEMO_MAX = 4096  # entries per memo table (markdown, highlighted code, cleaned HTML)


def _memo_put(memo: dict, key: Any, value: Any) -> Any:
    if len(memo) >= _MEMO_MAX:
        memo.clear()
    memo[key] = value
    return value


IMAGE_ALT = "Graphique (les chiffres figurent dans le texte et les tableaux de la page)"
_DIV_OR_IMG = re.compile(r"<(div|img)(\s[^>]*)?>")
_FOCUSABLE = {"jp-Cell-inputWrapper", "jp-OutputArea-output"}


def accessible_html(html: str) -> str:
    """Images get an ``alt`` text and cells a ``tabindex`` (keyboard reading), as nbconvert's
    HTML exporter does with BeautifulSoup, here without parsing the page."""

    def fix(m: re.Match) -> str:
        tag, attrs = m.group(1), m.group(2) or ""
        end = "/>" if attrs.endswith("/") else ">"
        body = attrs[:-1] if end == "/>" else attrs
        if tag == "img":
            if re.search(r"\salt\s*=", body):
                return m.group(0)
            return f'<img{body.rstrip()} alt="{IMAGE_ALT}"{end}'
        cls = re.search(r'\sclass="([^"]*)"', body)
        if cls is None or not _FOCUSABLE.intersection(cls.group(1).split()) \
                or re.search(r"\stabindex\s*=", body):
            return m.group(0)
        return f'<div{body.rstrip()} tabindex="0"{end}'

    return _DIV_OR_IMG.sub(fix, html)


def _export_without_soup(exporter, nb, resources, kw):
    """HTMLExporter.from_notebook_node without its last step, a BeautifulSoup parse and
    re-serialisation of the whole page (≈ 70 % of the export) that only adds an ``alt`` to
    images and ``tabindex`` to cells: done here on the text (same document)."""
    from nbconvert.exporters.html import WidgetsDataTypeFilter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML

    langinfo = nb.metadata.get("language_info", {})
    lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
    highlight_code = exporter.filters.get(
        "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=exporter))
    resources = exporter._init_resources(resources)
    filter_data_type = WidgetsDataTypeFilter(
        notebook_metadata=exporter._nb_metadata, parent=exporter, resources=resources)
    exporter.register_filter("highlight_code", highlight_code)
    exporter.register_filter("filter_data_type", filter_data_type)
    html, resources = TemplateExporter.from_notebook_node(exporter, nb, resources, **kw)
    return accessible_html(html), resources


def _preprocess_once(exporter, nb, resources):
    """``from_notebook_node`` has already deep-copied ``nb``: no second (and third, in
    ``validator.normalize``) copy; disabled preprocessors return their input unchanged."""
    from nbformat import validator

    resources = copy.deepcopy(resources)
    normalize = getattr(validator, "_normalize", None)
    if normalize is not None:
        version, minor = validator.get_version(nb)
        _, nb = normalize(nb, version, minor, True, relax_add_props=False, strip_invalid_metadata=False)
    elif hasattr(validator, "normalize"):
        _, nb = validator.normalize(nb)
    last = None
    for preprocessor in exporter._preprocessors:
        if getattr(preprocessor, "enabled", True):
            nb, resources = preprocessor(nb, resources)
            last = preprocessor
    exporter._validate_preprocessor(nb, last)
    return nb, resources


def _report_exporter_class():
    """``HTMLExporter`` without the work that cannot change a report page.

    Same document (``tests/test_runner_speed_features.py`` checks it against the stock
    exporter, whose final BeautifulSoup pass is replaced by :func:`accessible_html`): the
    notebook is deep-copied once instead of three times, validated once
    instead of after each of the ~13 registered (mostly disabled) preprocessors, and the
    narrative cells (markdown, identical for every scope), highlighted code and sanitised HTML
    are converted once per worker process, keyed by their text.
    """
    from nbconvert import HTMLExporter
    from nbconvert.exporters.html import contextfilter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.strings import clean_html

    md_memo: dict[tuple, str] = {}
    code_memo: dict[tuple, str] = {}
    clean_memo: dict[str, str] = {}

    def memo_clean_html(element):
        if not isinstance(element, str):
            return clean_html(element)
        key = str(element)
        hit = clean_memo.get(key)
        return hit if hit is not None else _memo_put(clean_memo, key, clean_html(element))

    def memo_highlight(highlight: Highlight2HTML):
        def highlight_code(source, language=None, metadata=None):
            magics = metadata.get("magics_language") if metadata else None
            key = (highlight.pygments_lexer, language, magics, source)
            hit = code_memo.get(key)
            if hit is None:
                hit = _memo_put(code_memo, key, highlight(source, language=language, metadata=metadata))
            return hit

        return highlight_code

    class ReportExporter(HTMLExporter):
        def default_filters(self):
            for name, value in super().default_filters():
                yield name, (memo_clean_html if value is clean_html else value)

        def register_filter(self, name, jinja_filter):
            if name == "highlight_code" and isinstance(jinja_filter, Highlight2HTML):
                jinja_filter = memo_highlight(jinja_filter)
            return super().register_filter(name, jinja_filter)

        @contextfilter
        def markdown2html(self, context, source):
            cell = context.get("cell", {})
            lowered = source.lower()
            if cell.get("attachments") or "![" in source or "<img" in lowered or "src=" in lowered:
                return super().markdown2html(context, source)  # may read image files: not memoised
            path = context.get("resources", {}).get("metadata", {}).get("path", "")
            key = (id(self), path, source)
            hit = md_memo.get(key)
            if hit is None:
                hit = _memo_put(md_memo, key, super().markdown2html(context, source))
            return hit

        def from_notebook_node(self, nb, resources=None, **kw):
            return _export_without_soup(self, nb, resources, kw)

        def _preprocess(self, nb, resources):
            return _preprocess_once(self, nb, resources)

    return ReportExporter


def _exporter(with_code: bool):
    if with_code not in _EXPORTERS:
        from nbconvert.preprocessors import TagRemovePreprocessor
        from traitlets.config import Config

        cfg = Config()
        # cells tagged "analyst" (commands, paths, statistics) only in the analysts' edition
        cfg.TagRemovePreprocessor.remove_cell_tags = set(HIDDEN_CELL_TAGS) | (
            set() if with_code else {"analyst"})
        cfg.TagRemovePreprocessor.enabled = True
        if "class" not in _EXPORTERS:
            _EXPORTERS["class"] = _report_exporter_class()
        exporter = _EXPORTERS["class"](
            config=cfg,
            template_name="grc_report",
            extra_template_basedirs=[str(TEMPLATES_DIR)],
            exclude_input=not with_code,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
            embed_images=True,
            sanitize_html=False,
        )
        exporter.register_preprocessor(TagRemovePreprocessor(config=cfg), enabled=True)
        _EXPORTERS[with_code] = exporter
    return _EXPORTERS[with_code]


def _shallow_copy(nb):
    """A copy whose top-level metadata and cells can be replaced (the exporter deep-copies)."""
    from nbformat import NotebookNode

    out = NotebookNode(nb)
    out["metadata"] = NotebookNode(nb.get("metadata", {}))
    out["cells"] = [NotebookNode(cell) for cell in nb.get("cells", [])]
    return out


def render_html(nb, job: NotebookJob, with_code: bool) -> str:
    """Export an executed notebook to the self-contained report HTML (``nb`` is not modified)."""
    grc = header_resources(job, with_code)
    nb = _shallow_copy(nb)
    nb.metadata["title"] = grc["title"]
    # cell ids end up in the HTML: a notebook saved without ids gets random ones on load, so
    # number them to keep pages byte-for-byte reproducible
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
    resources = {
        "metadata": {"name": grc["title"], "path": str(Path(job.notebook).parent)},
        "grc": grc,
    }
    body, _ = _exporter(with_code).from_notebook_node(nb, resources=resources)
    return finish_page(body)


# --------------------------------------------------------------------------- errors


def _excerpt(source: str, max_lines: int = 12) -> str:
    lines = source.splitlines()
    text = "\n".join(lines[:max_lines])
    if len(lines) > max_lines:
        text += "\n…"
    return text


def describe_failure(nb, exc: BaseException) -> str:
    """French error text: the failing cell's position and source excerpt, then the exception."""
    cell_index, source, ename, evalue = None, None, None, None
    if nb is not None:
        # number cells as in the source notebook (without papermill's injected cell)
        cells = [c for c in nb.cells if "injected-parameters" not in c.get("metadata", {}).get("tags", [])]
        for i, cell in enumerate(cells):
            for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
                if out.get("output_type") == "error":
                    cell_index, source = i, cell.source
                    ename, evalue = out.get("ename"), out.get("evalue")
                    break
            if cell_index is not None:
                break
    if cell_index is None and hasattr(exc, "cell_index"):  # papermill's PapermillExecutionError
        cell_index = exc.cell_index
        source = getattr(exc, "source", None)
        ename, evalue = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    if ename is None:
        ename, evalue = type(exc).__name__, str(exc).strip().splitlines()[-1:] or [""]
        evalue = evalue[0] if isinstance(evalue, list) else evalue
    parts = []
    if cell_index is not None:
        parts.append(f"Erreur dans la cellule {cell_index + 1} :")
        if source:
            parts.append(_excerpt(source))
    parts.append(f"{ename}: {evalue}")
    return "\n".join(parts)


# --------------------------------------------------------------------------- warm kernel

_WARMUP_CODE = """
def _grc_install(preload):
    import importlib, os, sys, tempfile, types, warnings
    # the project's modules are dropped at each reset and imported again by the next notebook:
    # keep their bytecode (in a private cache folder) so that re-import does not recompile
    sys.dont_write_bytecode = False
    sys.pycache_prefix = os.path.join(tempfile.gettempdir(), f"grc-pycache-{os.getuid()}")
    for name in preload:  # "module", or "module:function" to call once (a cache to fill)
        try:
            module, _, call = name.partition(":")
            module = importlib.import_module(module)
            if call:
                getattr(module, call)()
        except Exception:
            pass
    s = types.ModuleType("_grc_warm")
    s.filters = list(warnings.filters)
    s.path = list(sys.path)
    s.environ = dict(os.environ)
    s.prefixes = tuple(sorted({os.path.realpath(p) + os.sep
                               for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}))
    s.rc = None
    if "matplotlib" in sys.modules:
        import matplotlib as mpl
        import matplotlib.units as mu
        s.rc = {k: v for k, v in dict.items(mpl.rcParams) if k != "backend"}
        s.units = dict(mu.registry)
        s.inline = None
        try:
            from matplotlib_inline.backend_inline import InlineBackend
            cfg = InlineBackend.instance()
            s.inline = (set(cfg.figure_formats), dict(cfg.print_figure_kwargs), dict(cfg.rc))
        except Exception:
            pass
    s.np = None
    if "numpy" in sys.modules:
        import numpy as np
        s.np = (np.get_printoptions(), np.geterr())

    def reset(cwd):
        import gc
        ip = get_ipython()
        ip.reset(new_session=True)
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close("all")
        if s.rc is not None:
            import matplotlib as mpl
            import matplotlib.units as mu
            dict.update(mpl.rcParams, s.rc)
            mu.registry.clear()
            mu.registry.update(s.units)
            if "inline" in str(dict.get(mpl.rcParams, "backend", "")):
                # as in a fresh kernel, where importing pyplot turns interactive mode on, so
                # that figures left open at the end of a cell are shown
                mpl.interactive(True)
            if s.inline is not None:
                from matplotlib_inline.backend_inline import InlineBackend
                cfg = InlineBackend.instance()
                formats, kwargs, rc = s.inline
                if set(cfg.figure_formats) != formats or dict(cfg.print_figure_kwargs) != kwargs:
                    from IPython.core.pylabtools import select_figure_formats
                    cfg.figure_formats = formats
                    cfg.print_figure_kwargs = kwargs
                    select_figure_formats(ip, formats, **kwargs)
                cfg.rc = rc
        if "pandas" in sys.modules:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sys.modules["pandas"].reset_option("all")
        if s.np is not None:
            import numpy as np
            np.set_printoptions(**s.np[0])
            np.seterr(**s.np[1])
        for name in [m for m in list(sys.modules) if m not in s.modules]:
            path = getattr(sys.modules.get(name), "__file__", None)
            if path and not os.path.realpath(path).startswith(s.prefixes):
                del sys.modules[name]
            else:  # the installation's modules stay: not looked at again
                s.modules.add(name)
        sys.path[:] = s.path
        if dict(os.environ) != s.environ:
            os.environ.clear()
            os.environ.update(s.environ)
        warnings.filters[:] = s.filters
        warnings._filters_mutated()
        for name in s.hooks:  # the project's kept modules: their page state starts afresh
            sys.modules[name].reset_page_state()
        os.chdir(cwd)
        gc.freeze()  # what survives a reset is long-lived: keep it out of later collections

    s.reset = reset
    sys.modules["_grc_warm"] = s
    s.modules = set(sys.modules)
    s.hooks = [n for n in sorted(s.modules)
               if callable(getattr(sys.modules[n], "reset_page_state", None))]

_grc_install({preload!r})
"""


class WarmKernel:
    """One long-lived kernel with the heavy modules imported, reset between notebooks."""

    def __init__(self, cwd: Path | None = None, preload: tuple[str, ...] = PRELOAD_MODULES):
        self.preload = preload
        self.cwd = str(cwd or Path.cwd())
        self.km = None
        self.kc = None
        self.runs = 0

    def _run_code(self, code: str) -> None:
        """Run control code without touching the notebook's history or execution count."""
        from nbclient.util import run_sync

        async def run() -> dict:
            return await self.kc.execute_interactive(
                code, store_history=False, timeout=CELL_TIMEOUT, output_hook=lambda msg: None
            )

        reply = run_sync(run)()
        content = reply.get("content", {})
        if content.get("status") != "ok":
            raise RuntimeError(
                f"Noyau : {content.get('ename')}: {content.get('evalue')}"
            )

    def start(self) -> None:
        from jupyter_client.manager import AsyncKernelManager
        from nbclient.util import run_sync

        # IPC sockets in a private folder: no TCP port, no clash between worker processes
        self._sockets = tempfile.mkdtemp(prefix="grc-kernel-")
        self.km = AsyncKernelManager(
            kernel_name=KERNEL_NAME, transport="ipc", ip=os.path.join(self._sockets, "k")
        )
        run_sync(self.km.start_kernel)(cwd=self.cwd, extra_arguments=["--HistoryManager.hist_file=:memory:"])

        async def connect():  # one client for the kernel's whole life (a new one costs ~0.2 s)
            kc = self.km.client()
            kc.start_channels()
            await kc.wait_for_ready(timeout=120)
            kc.allow_stdin = False
            return kc

        self.kc = run_sync(connect)()
        self._run_code(_WARMUP_CODE.replace("{preload!r}", repr(list(self.preload))))
        self._run_code(f"__import__('sys').modules['_grc_warm'].reset({self.cwd!r})")
        self.runs = 0

    def shutdown(self) -> None:
        if self.km is None:
            return
        from nbclient.util import run_sync

        if getattr(self, "kc", None) is not None:
            self.kc.stop_channels()
            self.kc = None
        try:
            run_sync(self.km.shutdown_kernel)(now=False)
        except Exception:
            pass
        self.km = None
        shutil.rmtree(getattr(self, "_sockets", ""), ignore_errors=True)

    def restart(self) -> None:
        self.shutdown()
        self.start()

    def rss(self) -> int | None:
        """Resident memory of the kernel process in bytes (None when unknown)."""
        pid = getattr(getattr(getattr(self.km, "provisioner", None), "process", None), "pid", None)
        if pid is None:
            return None
        try:
            with open(f"/proc/{pid}/statm", encoding="ascii") as fh:
                return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            pass
        try:
            import psutil

            return psutil.Process(pid).memory_info().rss
        except Exception:
            return None

    def execute(self, nb, cwd: Path):
        """Reset the kernel to a fresh state in ``cwd`` then execute ``nb`` in place."""
        from nbclient import NotebookClient

        if self.km is None or self.runs >= RECYCLE_AFTER or (self.rss() or 0) > RECYCLE_RSS:
            self.restart()
        self._run_code(f"__import__('sys').modules['_grc_warm'].reset({str(cwd)!r})")
        self.runs += 1
        client = NotebookClient(
            nb,
            km=self.km,
            kernel_name=KERNEL_NAME,
            timeout=CELL_TIMEOUT,
            resources={"metadata": {"path": str(cwd)}},
        )
        client.kc = self.kc  # reuse the long-lived client: nbclient neither starts nor stops it
        client.execute()
        return nb


# --------------------------------------------------------------------------- execution

_VOLATILE = re.compile(r"[^\s'\"]*ipykernel_\d+[/\\]")


def normalize_outputs(nb):
    """Remove run-specific text from outputs (the kernel's temporary cell-file folder)."""
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if out.get("output_type") == "stream":
                out["text"] = _VOLATILE.sub("ipykernel/", out["text"])
            elif out.get("output_type") == "error":
                out["traceback"] = [_VOLATILE.sub("ipykernel/", t) for t in out.get("traceback", [])]
    return nb



def _declares_parameters(nb) -> bool:
    """The notebook has a cell tagged ``parameters`` (papermill injects values only then: a
    notebook without one, like the course's editions, runs as it is, without a warning)."""
    return any("parameters" in c.get("metadata", {}).get("tags", []) for c in nb.cells)


#: Notebooks already read and checked by this process, by (path, modification time, size).
_LOADED: dict[tuple[str, int, int], Any] = {}


def _load_notebook(notebook: Path):
    """A copy of ``notebook`` as papermill loads it, read once per worker (the same four
    notebooks serve every centre)."""
    from papermill.iorw import load_notebook_node

    st = Path(notebook).stat()
    key = (str(notebook), st.st_mtime_ns, st.st_size)
    if key not in _LOADED:
        if len(_LOADED) >= 16:
            _LOADED.pop(next(iter(_LOADED)))
        _LOADED[key] = load_notebook_node(str(notebook))
    return copy.deepcopy(_LOADED[key])


def _parameterize(notebook: Path, params: dict):
    import nbformat
    from papermill.parameterize import parameterize_notebook

    nb = _load_notebook(notebook)
    if not _declares_parameters(nb):
        return nbformat.v4.upgrade(nb)
    return parameterize_notebook(nb, params, kernel_name=KERNEL_NAME, language="python")


def execute_fresh(notebook: Path, params: dict):
    """Execute with papermill in a fresh kernel (cwd = the notebook's folder)."""
    import nbformat
    import papermill

    notebook = Path(notebook).resolve()
    if not _declares_parameters(nbformat.read(str(notebook), as_version=4)):
        params = None
    return papermill.execute_notebook(
        str(notebook),
        None,
        parameters=params,
        kernel_name=KERNEL_NAME,
        cwd=str(notebook.parent),
        progress_bar=False,
        log_output=False,
        request_save_on_cell_execute=False,
    )


_WORKER: dict[str, Any] = {}


def _worker_kernel(preload: tuple[str, ...] | None = None, kernel: str = "warm"):
    """This worker's engine for ``kernel`` (``"warm"``: a kernel; ``"inproc"``: its own shell)."""
    if kernel not in _WORKER:
        from multiprocessing.util import Finalize

        preload = PRELOAD_MODULES if preload is None else tuple(preload)
        if kernel == "inproc":
            from grc.reports.inprocess import InProcessShell

            engine = InProcessShell(preload=preload, timeout=CELL_TIMEOUT)
        else:
            engine = WarmKernel(preload=preload)
        _WORKER[kernel] = engine
        # at the worker's exit: a kernel is stopped; the in-process engine ends the process
        _WORKER[f"finalizer-{kernel}"] = Finalize(
            engine, engine.leave if kernel == "inproc" else engine.shutdown, exitpriority=10)
    return _WORKER[kernel]


def execute_warm(notebook: Path, params: dict, kernel: str = "warm"):
    """Execute with this process's engine for ``kernel`` (cwd = the notebook's folder)."""
    notebook = Path(notebook).resolve()
    nb = _parameterize(notebook, params)
    return _worker_kernel(kernel=kernel).execute(nb, notebook.parent)


def _is_cell_error(exc: BaseException) -> bool:
    """An ordinary exception raised by a cell: the kernel is idle and can be reset and reused."""
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    from grc.reports.inprocess import CellError

    return isinstance(exc, CellError) or (
        isinstance(exc, CellExecutionError) and not isinstance(exc, CellTimeoutError | DeadKernelError))


def run_one(
    job: NotebookJob, with_code: bool, kernel: str = "warm", preload: tuple[str, ...] | None = None
) -> tuple[str, str | None, float]:
    """Execute one job and write its HTML page (worker side). Returns (status, error, seconds)."""
    start = time.perf_counter()
    nb = None
    try:
        if kernel == "fresh":
            nb = execute_fresh(job.notebook, job.params)
        else:
            notebook = Path(job.notebook).resolve()
            nb = _parameterize(notebook, job.params)
            _worker_kernel(preload, kernel).execute(nb, notebook.parent)
    except Exception as exc:  # one failing notebook must not stop the others
        if kernel in _WORKER and not _is_cell_error(exc):
            # dead kernel, timeout, …: never reuse a kernel in an unknown state
            _WORKER[kernel].shutdown()  # restarted when the next notebook comes
        return "failed", describe_failure(nb, exc), time.perf_counter() - start
    try:
        html = render_html(normalize_outputs(nb), job, with_code)
        atomic_write_text(Path(job.html_out), html)
    except Exception as exc:
        msg = f"Export HTML impossible : {type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"
        return "failed", msg, time.perf_counter() - start
    return "ok", None, time.perf_counter() - start


#: Niceness of the workers started ahead of the pipeline (and of their kernels): their warm-up
#: takes only the CPU the pipeline leaves free (at 5, the four processes warming up took enough
#: of the pipeline's CPU to cost it about 10 s on the 50-centre network; at 19, none).
AHEAD_NICENESS = 19


def _leave_with_parent(parent: int | None) -> None:
    """Exit this worker as soon as the run ``parent`` that started it is gone (``kill -9``,
    even before this worker was up): no worker outlives its run; its kernel then stops by
    itself (ipykernel polls its parent)."""
    import threading

    if parent is None:
        parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="grc-parent-watch").start()


def _without_iri_grammar() -> None:
    """Do without jsonschema's "iri" format check in this process: jsonschema (which nbformat
    imports) builds rfc3987-syntax's Earley parsers as it is imported, about 1 s of CPU per
    process (python-jsonschema/jsonschema#1428), for a format that no notebook schema uses."""
    import sys

    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # its import then fails: check skipped


def _warm_worker() -> None:
    """Do ahead what a worker's first page would pay once (≈1 s): import papermill and
    nbconvert, build the page exporter and its templates (a small page), pandas' table
    template, matplotlib's fonts and renderer (a small table and chart, not kept)."""
    import matplotlib.pyplot as plt
    import pandas as pd
    import papermill.parameterize  # noqa: F401
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    from grc.reports.charts import figure_png, reset_page_state, table

    nb = new_notebook(cells=[new_markdown_cell("# Page\nTexte **préparé**."),
                             new_code_cell("1", outputs=[])])
    render_html(nb, NotebookJob(Path("page.ipynb"), {}, Path(os.devnull), {"title": "Page"}), False)
    table(pd.DataFrame({"segment": ["a"], "clients": [1.5]}), caption="Table").to_html()
    fig, ax = plt.subplots(figsize=(2, 1))
    ax.bar([0], [1], label="a")
    ax.set(title="Titre", ylabel="Clients")
    ax.legend()
    figure_png(fig)
    plt.close(fig)
    reset_page_state()


def _init_worker(preload: tuple[str, ...], niceness: int = 0, parent: int | None = None,
                 kernel: str = "inproc") -> None:
    """Pool initializer: start this worker's engine at once (retried at the first notebook)
    and prepare the page export."""
    _leave_with_parent(parent)
    _without_iri_grammar()
    if niceness:
        try:
            os.nice(niceness)
        except (AttributeError, OSError):  # not on this platform: start at normal priority
            pass
    try:
        _worker_kernel(preload, kernel).start()
        _warm_worker()
    except Exception:  # never break the pool: ``execute`` starts a missing engine
        pass


def _worker_pid() -> int:
    return os.getpid()


class WorkerPool:
    """Worker processes, each with its engine (``kernel``: its own shell, or a warm kernel),
    started ahead of the notebooks.

    The engines import pandas, matplotlib, … (≈2 to 4 s each) as soon as the pool is created,
    e.g. while the mostly single-threaded pipeline runs; :func:`run_notebooks` then uses the
    pool given to it. Use as a context manager, or call :meth:`shutdown`: the workers stop their
    kernels on exit.
    """

    def __init__(self, n_workers: int | None = None, preload: tuple[str, ...] | None = None,
                 kernel: Literal["inproc", "warm"] = "inproc"):
        self.preload = tuple(PRELOAD_MODULES if preload is None else preload)
        self.size = max(1, int(n_workers or os.cpu_count() or 1))
        self.kernel = kernel
        self.executor = cf.ProcessPoolExecutor(
            max_workers=self.size,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(self.preload, AHEAD_NICENESS, os.getpid(), kernel),
        )
        try:
            # one no-op task per worker: each submit spawns a process while none is idle yet
            self.ready = [self.executor.submit(_worker_pid) for _ in range(self.size)]
        except BaseException:
            self.shutdown(cancel=True)
            raise

    def submit(self, fn, *args) -> cf.Future:
        """Run ``fn(*args)`` in a worker (e.g. work that does not need the base, while the
        pipeline runs)."""
        return self.executor.submit(fn, *args)

    def shutdown(self, cancel: bool = False) -> None:
        """Stop the workers (and their kernels); ``cancel`` drops the tasks not started yet."""
        self.executor.shutdown(wait=True, cancel_futures=cancel)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.shutdown(cancel=exc_type is not None)


def _plan(jobs: list[NotebookJob], outputs: dict[str, Any], manifest_path: Path, with_code: bool,
          force: bool) -> tuple[list[JobResult | None], list[tuple[int, str, str]]]:
    """Results of the unchanged pages (skipped) and the pages to run, longest first (their
    last duration, from the manifest: the workers finish together instead of one waiting for
    the other's last long page; new pages keep the jobs' order)."""
    results: list[JobResult | None] = [None] * len(jobs)
    todo: list[tuple[int, str, str]] = []
    for i, job in enumerate(jobs):
        key = _manifest_key(job.html_out, manifest_path)
        digest = job_hash(job, with_code)
        entry = outputs.get(key)
        if (not force and entry is not None and entry.get("hash") == digest
                and entry.get("status") == "ok" and Path(job.html_out).exists()):
            results[i] = JobResult(job, "skipped", None, 0.0)
        else:
            todo.append((i, key, digest))
    last = {key: float((outputs.get(key) or {}).get("seconds") or 0.0) for _, key, _ in todo}
    todo.sort(key=lambda t: -last[t[1]])
    return results, todo


@dataclass
class EarlyPages:
    """Pages submitted to a pool's workers before :func:`run_notebooks` is called, because
    their inputs are known earlier (the course does not read the base: its pages are made while
    the pipeline runs, on the core it leaves free). Each is written as a draft beside its page;
    :func:`run_notebooks`, asked for the very same page, waits for it and moves it in instead
    of running it again. The drafts of pages not asked for are removed (:meth:`discard`)."""

    pages: dict[str, tuple[NotebookJob, cf.Future, Path]] = field(default_factory=dict)
    drafts: list[Path] = field(default_factory=list)

    def take(self, key: str, job: NotebookJob) -> tuple[cf.Future, Path] | None:
        """The early run of ``job`` (manifest ``key``), if the same page was started."""
        early = self.pages.pop(key, None)
        if early is None or early[0] != job:
            if early is not None:
                self.pages[key] = early
            return None
        return early[1], early[2]

    def discard(self) -> None:
        """Drop the pages not taken: cancelled, or waited for; then remove every draft left."""
        for _, fut, _ in self.pages.values():
            if not fut.cancel():
                try:
                    fut.result()
                except BaseException:  # noqa: BLE001 - its page is run again or not needed
                    pass
        self.pages.clear()
        for draft in self.drafts:
            draft.unlink(missing_ok=True)


def start_early(jobs: list[NotebookJob], pool: WorkerPool, *, with_code: bool = False,
                manifest_path: Path, force: bool = False) -> EarlyPages:
    """Submit to ``pool`` the ``jobs`` that :func:`run_notebooks` would run (changed, or
    ``force``), each writing a draft of its page (see :class:`EarlyPages`)."""
    from concurrent.futures.process import BrokenProcessPool

    manifest_path = Path(manifest_path)
    _, todo = _plan(jobs, load_manifest(manifest_path)["outputs"], manifest_path, with_code, force)
    early = EarlyPages()
    for i, key, _ in todo:
        job = jobs[i]
        draft = Path(job.html_out).with_name(f".{Path(job.html_out).name}.early")
        try:
            fut = pool.submit(run_one, replace(job, html_out=draft), with_code, pool.kernel,
                              pool.preload)
        except (BrokenProcessPool, RuntimeError):  # no worker left: run_notebooks will do it
            break
        early.pages[key] = (job, fut, draft)
        early.drafts.append(draft)
    return early


def _executor(pool: WorkerPool | None, kernel: str, workers: int,
              preload: tuple[str, ...] | None):
    """(executor, preload, shared): the pool's workers, new workers with their engines, or
    spawned processes for fresh kernels; ``shared`` executors are left running."""
    if pool is not None and kernel == pool.kernel:
        return pool.executor, pool.preload, True
    if kernel in ("warm", "inproc"):
        return WorkerPool(workers, preload, kernel).executor, preload, False
    ctx = multiprocessing.get_context("spawn")
    return cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx), preload, False


def _run_on(executor, shared: bool, todo: list[tuple[int, str, str]], jobs: list[NotebookJob],
            how: tuple, record, early: EarlyPages | None = None) -> list[tuple[int, str, str]]:
    """Submit every page (or take its early run), record each as it finishes; on error or
    Ctrl-C, drop the rest.

    Returns the pages that a crash of an in-process worker took down (to be run again in
    kernels, where a crash stops one page only)."""
    from concurrent.futures.process import BrokenProcessPool

    futures: dict[cf.Future, tuple[int, str, str]] = {}
    drafts: dict[int, Path] = {}
    lost: list[tuple[int, str, str]] = []
    try:
        for n, (i, key, digest) in enumerate(todo):
            taken = early.take(key, jobs[i]) if early is not None else None
            if taken is not None:
                futures[taken[0]], drafts[i] = (i, key, digest), taken[1]
                continue
            try:
                futures[executor.submit(run_one, jobs[i], *how)] = (i, key, digest)
            except BrokenProcessPool:
                if how[1] != "inproc":
                    raise
                lost.extend(todo[n:])
                break
        for fut in cf.as_completed(futures):
            i, key, digest = futures[fut]
            try:
                status, error, secs = fut.result()
            except Exception as exc:  # worker died
                if how[1] == "inproc" and isinstance(exc, BrokenProcessPool):
                    lost.append((i, key, digest))
                    continue
                status, error, secs = "failed", f"Processus interrompu : {exc!r}", 0.0
            if status == "ok" and i in drafts:
                os.replace(drafts[i], jobs[i].html_out)
            record(i, key, digest, status, error, secs)
    except BaseException:
        for fut in futures:  # error, Ctrl-C: drop what has not started
            fut.cancel()
        if not shared:
            executor.shutdown(wait=True, cancel_futures=True)
        raise
    if not shared:
        executor.shutdown(wait=True)
    return sorted(lost)


def run_notebooks(
    jobs: list[NotebookJob],
    *,
    n_jobs: int | None = None,
    force: bool = False,
    with_code: bool = False,
    manifest_path: Path,
    progress: bool = True,
    kernel: Literal["inproc", "warm", "fresh"] = "inproc",
    preload: tuple[str, ...] | None = None,
    pool: WorkerPool | None = None,
    early: EarlyPages | None = None,
) -> list[JobResult]:
    """Run every job over ``n_jobs`` worker processes; unchanged outputs are skipped.

    ``kernel="inproc"`` (default) runs the notebooks in each worker's own IPython shell,
    ``kernel="warm"`` in one kernel per worker; both are reset between notebooks, with
    ``preload`` modules imported once (default: numpy, pandas, matplotlib, seaborn, the
    project's report modules); ``kernel="fresh"`` runs papermill with a new kernel per notebook.
    Results come back in the order of ``jobs``. ``pool`` is a :class:`WorkerPool` started
    earlier, used (and left running) when its engine is ``kernel``; ``early``: pages it already
    started (:func:`start_early`), taken when they are the same pages. The manifest (JSON,
    written atomically after each finished run) maps each page to the hash of its inputs; a
    failed run is removed from it so that it is retried next time.
    """
    from tqdm.auto import tqdm

    manifest_path = Path(manifest_path)
    manifest = load_manifest(manifest_path)
    outputs: dict[str, Any] = manifest["outputs"]
    n_jobs = max(1, int(n_jobs or os.cpu_count() or 1))

    results, todo = _plan(jobs, outputs, manifest_path, with_code, force)

    bar = tqdm(
        total=len(jobs),
        initial=len(jobs) - len(todo),
        desc="Classeurs",
        unit="page",
        disable=not progress,
        dynamic_ncols=True,
    )

    def record(i: int, key: str, digest: str, status: str, error: str | None, secs: float) -> None:
        job = jobs[i]
        results[i] = JobResult(job, status, error, secs)  # type: ignore[arg-type]
        if status == "ok":
            outputs[key] = {
                "hash": digest,
                "status": "ok",
                "notebook": str(job.notebook),
                "seconds": round(secs, 3),
                "finished": dt.datetime.now().isoformat(timespec="seconds"),
            }
        else:
            outputs.pop(key, None)
        _save_manifest(manifest_path, manifest)
        bar.update(1)
        failed = sum(1 for r in results if r is not None and r.status == "failed")
        if failed:
            bar.set_postfix_str(f"échecs : {failed}")

    try:
        if todo and n_jobs == 1 and kernel == "fresh":
            for i, key, digest in todo:
                record(i, key, digest, *run_one(jobs[i], with_code, kernel, preload))
        elif todo:
            executor, preload, shared = _executor(pool, kernel, min(n_jobs, len(todo)), preload)
            lost = _run_on(executor, shared, todo, jobs, (with_code, kernel, preload), record,
                           early if shared else None)
            if lost:  # a page crashed its worker: the pages it took down run in kernels
                executor, preload, shared = _executor(None, "warm", min(n_jobs, len(lost)), preload)
                _run_on(executor, shared, lost, jobs, (with_code, "warm", preload), record)
    finally:
        bar.close()
        if early is not None:
            early.discard()
    return [r for r in results if r is not None]


def summarize(results: list[JobResult]) -> str:
    """One French line per failure plus the totals."""
    counts = {s: sum(1 for r in results if r.status == s) for s in ("ok", "skipped", "failed")}
    lines = [
        f"Classeurs : {counts['ok']} exécuté(s), {counts['skipped']} inchangé(s), "
        f"{counts['failed']} en échec."
    ]
    for r in results:
        if r.status == "failed":
            lines.append(f"- {Path(r.job.notebook).name} → {r.job.html_out} :")
            lines.extend("    " + line for line in (r.error or "").splitlines())
    return "\n".join(lines)
