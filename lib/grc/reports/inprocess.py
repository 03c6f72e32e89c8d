"""Notebooks run in the worker's own IPython shell: a warm kernel without the kernel.

A page's fifty cells cost about 6 ms each in messages between a worker and its kernel (both on
the same two cores): the worker's own :class:`IPython.core.interactiveshell.InteractiveShell`
runs them instead and records each cell's outputs as nbclient would have stored them (streams,
displays, results, errors; the inline matplotlib backend, the execution counts, the notebook's
``language_info``). The shell is reset between notebooks like a warm kernel
(:data:`grc.reports.runner._WARMUP_CODE`). A cell running longer than the timeout is stopped
with an error. A crash of the process itself (a C library, the memory) takes the worker down:
:func:`grc.reports.runner.run_notebooks` then runs the remaining pages in kernels.
"""

from __future__ import annotations

import io
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from ipykernel.compiler import XCachingCompiler
from IPython.core.displayhook import DisplayHook
from IPython.core.displaypub import DisplayPublisher
from IPython.core.interactiveshell import InteractiveShell
from nbformat import NotebookNode
from traitlets import Type

INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


def new_output(output_type: str, data: dict | None = None, **kwargs) -> NotebookNode:
    """An output as :func:`nbformat.v4.new_output` makes it, without validating it against
    the schema at each display (nbconvert validates the page's whole notebook once, when it
    turns it into HTML)."""
    out = NotebookNode(output_type=output_type)
    if output_type in ("display_data", "execute_result"):
        out.metadata, out.data = NotebookNode(), NotebookNode()
        if output_type == "execute_result":
            out.execution_count = None
    elif output_type == "stream":
        out.name, out.text = "stdout", ""
    elif output_type == "error":
        out.ename, out.evalue, out.traceback = "NotImplementedError", "", []
    out.update(kwargs)
    if data is not None:
        out.data = data
    return out


class CellError(Exception):
    """A cell raised (its error output is in the cell, as nbclient leaves it)."""

    def __init__(self, cell_index: int, source: str, ename: str, evalue: str):
        super().__init__(f"{ename}: {evalue}")
        self.cell_index, self.source, self.ename, self.evalue = cell_index, source, ename, evalue


class CellTimeout(Exception):
    """Raised inside a cell that runs longer than the timeout."""


class _Publisher(DisplayPublisher):
    """``display()`` outputs appended to the running cell's outputs."""

    def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kw):
        self.shell.grc_flush()
        display_id = (transient or {}).get("display_id")
        out = new_output("display_data", data=data, metadata=metadata or {})
        if update and display_id:
            for outs in self.shell.grc_displays.get(display_id, []):
                for i, old in enumerate(outs):
                    if old.get("grc_display_id") == display_id:
                        outs[i] = new_output(old["output_type"], data=data, metadata=metadata or {},
                                             **({"execution_count": old["execution_count"]}
                                                if "execution_count" in old else {}))
                        outs[i]["grc_display_id"] = display_id
            return
        self.shell.grc_append(out, display_id)

    def clear_output(self, wait=False):
        self.shell.grc_flush()
        if wait:
            self.shell.grc_clear_next = True
        else:
            del self.shell.grc_sink[:]


class _Hook(DisplayHook):
    """A cell's last expression as an ``execute_result`` with the cell's execution count."""

    def start_displayhook(self):
        self.grc_data = None

    def write_output_prompt(self):
        pass

    def write_format_data(self, format_dict, md_dict=None):
        self.grc_data = (format_dict, md_dict or {})

    def finish_displayhook(self):
        self.shell.grc_flush()
        if self.grc_data is not None:
            data, md = self.grc_data
            self.shell.grc_append(new_output("execute_result", data=data, metadata=md,
                                             execution_count=self.prompt_count))
        self.grc_data = None


class _Stream(io.TextIOBase):
    """``sys.stdout``/``sys.stderr`` of a cell: text buffered, then one stream output per run of
    writes between two displays (as ipykernel flushes its streams before a display)."""

    def __init__(self, shell: PageShell, name: str):
        self.shell, self.name, self.parts = shell, name, []

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if text:
            self.parts.append(text)
        return len(text)

    def flush(self) -> None:
        if self.parts:
            text, self.parts = "".join(self.parts), []
            self.shell.grc_append(new_output("stream", name=self.name, text=text))


class PageShell(InteractiveShell):
    """The worker's shell: outputs go to the running cell instead of the terminal."""

    display_pub_class = Type(_Publisher)
    displayhook_class = Type(_Hook)
    compiler_class = Type(XCachingCompiler)  # cells named as in ipykernel (tracebacks, warnings)

    def grc_start(self) -> None:
        self.grc_sink: list = []
        self.grc_displays: dict[str, list] = {}
        self.grc_clear_next = False
        self.grc_streams = (_Stream(self, "stdout"), _Stream(self, "stderr"))

    def grc_append(self, out, display_id: str | None = None) -> None:
        if self.grc_clear_next:
            del self.grc_sink[:]
            self.grc_clear_next = False
        if display_id:
            out["grc_display_id"] = display_id
            self.grc_displays.setdefault(display_id, []).append(self.grc_sink)
        self.grc_sink.append(out)

    def grc_flush(self) -> None:
        for stream in self.grc_streams:
            stream.flush()

    def _showtraceback(self, etype, evalue, stb):
        self.grc_flush()
        self.grc_append(new_output("error", ename=str(etype.__name__), evalue=str(evalue),
                                   traceback=list(stb)))


def _language_info() -> dict[str, Any]:
    """What a Python kernel reports about its language (the pages' code highlighting reads it)."""
    from ipykernel.ipkernel import IPythonKernel

    return dict(IPythonKernel.language_info)


class InProcessShell:
    """A worker's engine like :class:`grc.reports.runner.WarmKernel` (``start``, ``execute``,
    ``shutdown``), in this process. Unlike a kernel it is not restarted when its memory grows:
    on the 50-centre demo a run's peak stays at the warm kernels' (1.5 to 1.7 GB in all)."""

    def __init__(self, preload: tuple[str, ...] = (), timeout: int = 600):
        self.preload, self.timeout = tuple(preload), timeout
        self.shell: PageShell | None = None
        self.runs = 0

    def start(self) -> None:
        from traitlets.config import Config

        from grc.reports.runner import _WARMUP_CODE

        if self.shell is not None:
            return
        os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)  # as ipykernel does
        if "" not in sys.path:  # a notebook imports the modules beside it, as in a kernel
            sys.path.insert(0, "")
        cfg = Config()
        cfg.HistoryManager.hist_file = ":memory:"
        self.shell = PageShell.instance(config=cfg)
        self.shell.grc_start()
        self.language_info = _language_info()
        here = os.getcwd()
        try:
            self._control(_WARMUP_CODE.replace("{preload!r}", repr(list(self.preload))))
        finally:
            os.chdir(here)
        self.runs = 0

    def _control(self, code: str) -> None:
        """Run set-up code outside any notebook (not counted, not in the history)."""
        self.shell.grc_sink = []
        res = self.shell.run_cell(code, store_history=False, silent=True)
        if not res.success:
            err = res.error_in_exec or res.error_before_exec
            raise RuntimeError(f"Interpréteur : {type(err).__name__}: {err}")

    def shutdown(self) -> None:
        """Nothing runs outside this process: the next notebook starts from a reset anyway."""
        self.runs = 0

    def leave(self) -> None:
        """End this worker process at once, without tearing its interpreter down (a worker's
        exit otherwise spends seconds freeing the last pages' objects one by one, and C
        libraries then report the objects they still held): it holds no file or temporary
        folder to close, only its output to flush."""
        for stream in (sys.__stdout__, sys.__stderr__, sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001 - a closed stream: nothing left to write
                pass
        os._exit(0)

    def execute(self, nb, cwd: Path):
        """Reset the shell to a fresh state in ``cwd``, then run ``nb``'s cells in place."""
        self.start()
        here = os.getcwd()
        try:
            self._control(f"__import__('sys').modules['_grc_warm'].reset({str(cwd)!r})")
            self.runs += 1
            nb.metadata["language_info"] = dict(self.language_info)
            self.shell.grc_displays = {}
            for index, cell in enumerate(nb.cells):
                if cell.cell_type == "code" and cell.source.strip():
                    self._run_cell(index, cell)
        finally:
            os.chdir(here)
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                out.pop("grc_display_id", None)
        return nb

    def _run_cell(self, index: int, cell) -> None:
        shell = self.shell
        cell.outputs = []
        shell.grc_sink, shell.grc_clear_next = cell.outputs, False
        count = shell.execution_count
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = shell.grc_streams
        try:
            with _time_limit(self.timeout):
                result = shell.run_cell(cell.source, store_history=True)
        finally:
            shell.grc_flush()
            sys.stdout, sys.stderr = saved
        cell.execution_count = count
        if result.success or "raises-exception" in cell.metadata.get("tags", []):
            return
        errors = [o for o in cell.outputs if o["output_type"] == "error"]
        ename = errors[-1]["ename"] if errors else "Erreur"
        evalue = errors[-1]["evalue"] if errors else ""
        raise CellError(index, cell.source, ename, evalue)


class _time_limit:  # noqa: N801 - used as a context manager
    """Raise :class:`CellTimeout` in the cell after ``seconds`` (main thread only)."""

    def __init__(self, seconds: int):
        self.seconds = seconds
        self.active = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")

    def _fire(self, signum, frame):
        raise CellTimeout(f"Cellule arrêtée : plus de {self.seconds} s d'exécution.")

    def __enter__(self):
        if self.active:
            self.old = signal.signal(signal.SIGALRM, self._fire)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    def __exit__(self, *exc):
        if self.active:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.old)
        return False
