"""Notebook runner: incremental runs, failures, reviewer HTML, warm kernel = fresh kernel."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from grc.reports import runner
from grc.reports.index_page import fr_number, fr_percent, write_index
from grc.reports.runner import NotebookJob, run_notebooks
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

LIGHT = ("pandas", "matplotlib.pyplot")  # modules preloaded in the tests' warm kernels
PARAMS_SOURCE = 'config = "params/network.yaml"\ncentre = "NETWORK"'
HEADER = {
    "network": "Réseau Démo",
    "centre": "C01 : Le Chalet",
    "year": 2025,
    "run_date": "2025-11-22T10:30:00",
    "data_version": "d41d8cd9",
    "title": "Qualification",
}


def make_notebook(path: Path, cells: list[str], title: str = "Classeur test") -> Path:
    """A small parameterised notebook (tagged parameters cell, as the real ones)."""
    params = new_code_cell(PARAMS_SOURCE)
    params.metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=[new_markdown_cell(f"# {title}\nTexte d'introduction."), params])
    nb.cells += [new_code_cell(src) for src in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


PLOT_CELLS = [
    "import matplotlib.pyplot as plt\nimport pandas as pd\nimport helpers\nmarker_code_token = 1",
    "df = pd.DataFrame({'segment': ['Scolaires', 'Sportifs', 'Familles'], 'contacts': [12345, 2300, 45]})\n"
    "print('centre =', centre, '|', helpers.greet())\ndf",
    "fig, ax = plt.subplots(figsize=(4, 3))\nax.bar(df['segment'], df['contacts'])\nplt.show()",
]
POLLUTER_CELLS = [
    "import warnings\nimport numpy as np\nimport pandas as pd\nimport seaborn as sns\n"
    "import matplotlib\nimport os, sys\n"
    "sns.set_theme(style='darkgrid')\nmatplotlib.rcParams['figure.figsize'] = (9, 2)\n"
    "pd.set_option('display.max_rows', 2)\nnp.set_printoptions(precision=1)\n"
    "warnings.simplefilter('ignore')\nos.environ['GRC_POLLUTED'] = '1'\nos.chdir('/')\n"
    "sys.path.insert(0, '/nonexistent')\npolluted = True",
]
TARGET_CELLS = [
    "import os, sys, warnings\nimport numpy as np\nimport pandas as pd\nimport matplotlib.pyplot as plt\n"
    "print(sorted(k for k in globals() if not k.startswith('_')))",
    "warnings.warn('attention : test')\nprint(os.path.basename(os.getcwd()), os.environ.get('GRC_POLLUTED'), "
    "'/nonexistent' in sys.path, np.array([1/3]))",
    "pd.DataFrame({'x': range(6), 'y': [v / 7 for v in range(6)]})",
    "fig, ax = plt.subplots()\nax.plot([1, 3, 2])\nplt.show()",
]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("runner")
    nbdir = root / "notebooks"
    make_notebook(nbdir / "01_plot.ipynb", PLOT_CELLS, "Tableau de bord")
    (nbdir / "helpers.py").write_text("def greet():\n    return 'bonjour'\n", encoding="utf-8")
    make_notebook(
        nbdir / "02_fail.ipynb",
        ["x = 1", "segment_col = 'segment'\nraise ValueError('colonne manquante : ' + segment_col)", "y = 2"],
    )
    make_notebook(nbdir / "03_plain.ipynb", ["print('réseau', centre)"])
    return root


def _jobs(project: Path, names: list[str], centre: str = "C01") -> list[NotebookJob]:
    return [
        NotebookJob(
            notebook=project / "notebooks" / name,
            params={"config": "params/network.yaml", "centre": centre},
            html_out=project / "reports" / "centres" / centre / name.replace(".ipynb", ".html"),
            header=HEADER,
            inputs_hash="abc",
        )
        for name in names
    ]


EXTERNAL = re.compile(
    r"<script[^>]*\bsrc=|<link[^>]*\bhref=|(?:src|href)=[\"']?(?:https?:)?//|url\(\s*[\"']?(?:https?:)?//|@import"
    r"|require\.js|mathjax|fonts\.googleapis",
    re.IGNORECASE,
)


def test_run_incremental_failures_and_html(project):
    manifest = project / "reports" / ".manifest.json"
    jobs = _jobs(project, ["01_plot.ipynb", "02_fail.ipynb", "03_plain.ipynb"])
    results = run_notebooks(jobs, n_jobs=2, force=False, with_code=False, manifest_path=manifest, progress=False, preload=LIGHT)
    assert [r.status for r in results] == ["ok", "failed", "ok"]
    assert [r.job for r in results] == jobs

    # the failing notebook is reported with its cell and the exception; the others succeeded
    err = results[1].error
    assert "cellule 4" in err
    assert "raise ValueError('colonne manquante : ' + segment_col)" in err
    assert "ValueError: colonne manquante : segment" in err
    assert not jobs[1].html_out.exists()

    html = jobs[0].html_out.read_text(encoding="utf-8")
    assert "centre = C01 | bonjour" in html  # injected parameter, cwd = notebook folder
    assert "marker_code_token" not in html  # code hidden
    assert 'config = "params/network.yaml"' not in html and "Parameters" not in html
    assert not EXTERNAL.search(html), EXTERNAL.search(html)
    assert re.search(r'<img[^>]+src="data:image/png;base64,', html)
    assert "<table" in html and "12345" in html
    for text in ("Réseau Démo", "C01 : Le Chalet", "2025", "22/11/2025", "Qualification"):
        assert text in html
    assert "<title>Qualification — C01 : Le Chalet</title>" in html
    assert "d41d8cd9" not in html  # the data version (a hash) is for the analysts' edition only
    assert '<html lang="fr">' in html

    data = json.loads(manifest.read_text(encoding="utf-8"))["outputs"]
    assert set(data) == {"centres/C01/01_plot.html", "centres/C01/03_plain.html"}

    # unchanged re-run: skipped without any kernel
    ok_jobs = [jobs[0], jobs[2]]
    t0 = time.perf_counter()
    again = run_notebooks(ok_jobs, n_jobs=2, force=False, with_code=False, manifest_path=manifest, progress=False, preload=LIGHT)
    assert [r.status for r in again] == ["skipped", "skipped"]
    assert time.perf_counter() - t0 < 2

    # changed inputs → re-run of that page only
    changed = [jobs[0], NotebookJob(**{**jobs[2].__dict__, "inputs_hash": "new"})]
    assert runner.job_hash(changed[1], False) != runner.job_hash(jobs[2], False)
    before = jobs[0].html_out.stat().st_mtime_ns
    res = run_notebooks(changed, n_jobs=1, force=False, with_code=False, manifest_path=manifest, progress=False, preload=LIGHT)
    assert [r.status for r in res] == ["skipped", "ok"]
    assert jobs[0].html_out.stat().st_mtime_ns == before


def test_with_code_force_and_fresh_kernel_identical(project):
    manifest = project / "reports" / ".manifest_code.json"
    jobs = _jobs(project, ["01_plot.ipynb", "03_plain.ipynb"], centre="C02")
    warm = run_notebooks(jobs, n_jobs=1, force=False, with_code=True, manifest_path=manifest, progress=False, preload=LIGHT)
    assert [r.status for r in warm] == ["ok", "ok"]
    warm_html = [j.html_out.read_text(encoding="utf-8") for j in jobs]
    assert "marker_code_token" in warm_html[0]  # code visible in this edition
    assert "d41d8cd9" in warm_html[0]  # and the data version, for the analysts
    assert 'config = "params/network.yaml"' not in warm_html[0]  # parameters still hidden
    assert not EXTERNAL.search(warm_html[0])

    fresh = run_notebooks(
        jobs, n_jobs=1, force=True, with_code=True, manifest_path=manifest, progress=False, kernel="fresh", preload=LIGHT
    )
    assert [r.status for r in fresh] == ["ok", "ok"]  # force recomputes unchanged pages
    assert [j.html_out.read_text(encoding="utf-8") for j in jobs] == warm_html


def _comparable(nb) -> list:
    runner.normalize_outputs(nb)
    cells = []
    for cell in nb.cells:
        outputs = []
        for out in cell.get("outputs", []):
            out = {k: v for k, v in out.items() if k != "execution_count"}
            outputs.append(json.loads(json.dumps(out)))
        cells.append((cell.cell_type, cell.source, outputs))
    return cells


def _in_worker(kernel: str, notebooks: list[Path], params: dict, preload=LIGHT) -> list:
    """The notebooks run one after the other by one worker's engine (in its own process, as in
    a run: the in-process engine resets the interpreter it runs in)."""
    with runner.WorkerPool(1, preload, kernel) as pool:
        return [pool.submit(runner.execute_warm, nb, params, kernel).result() for nb in notebooks]


@pytest.mark.parametrize("kernel", ["warm", "inproc"])
def test_warm_kernel_matches_fresh_papermill(tmp_path, kernel):
    nbdir = tmp_path / "nbs"
    polluter = make_notebook(nbdir / "polluter.ipynb", POLLUTER_CELLS)
    target = make_notebook(nbdir / "target.ipynb", TARGET_CELLS)
    params = {"centre": "C07"}
    _, warm = _in_worker(kernel, [polluter, target], params)
    fresh = runner.execute_fresh(target, params)
    assert _comparable(warm) == _comparable(fresh)
    text = json.dumps(_comparable(warm))
    assert "nbs None False" in text  # cwd, environment and sys.path restored
    assert "polluted" not in text  # namespace reset
    assert "attention : test" in text  # warnings filters restored
    execs = [c.execution_count for c in warm.cells if c.cell_type == "code"]
    assert execs == list(range(1, len(execs) + 1))
    job = NotebookJob(target, params, tmp_path / "t.html", HEADER, "x")
    assert runner.render_html(warm, job, False) == runner.render_html(fresh, job, False)


def test_french_formats_and_index(tmp_path):
    assert fr_number(12345) == "12 345"
    assert fr_percent(0.875) == "87,5 %"
    centres = pd.DataFrame(
        {"code": ["C01"], "name": ["Le Chalet"], "contacts": [1200], "qualified_share": [0.9],
         "status": ["ok"]}
    )
    network = {"name": "Réseau Démo", "year": 2025, "contacts": 12345, "qualified_share": 0.875,
               "segment_mix": {"SCO": 10, "SPO": 5}}
    out = write_index(tmp_path / "index.html", network, centres, {"C01": [("Qualification", "c.html")]})
    html = out.read_text(encoding="utf-8")
    # measures are written by grc.measures.read.figure_html (French format, no-break spaces)
    for text in ("12\u202f345", "87,5\u00a0%", "90,0\u00a0%", "Le Chalet", 'href="c.html"',
                 "Répartition par segment", 'data-measure="contacts" data-scope="NETWORK"',
                 'data-measure="qualified_share" data-scope="C01" data-year="2025" data-value="0.9"'):
        assert text in html
    assert not EXTERNAL.search(html)
    with pytest.raises(ValueError):
        write_index(tmp_path / "x.html", network, centres.assign(email="a@b.fr"), {})


@pytest.mark.parametrize("kernel", ["warm", "inproc"])
def test_open_figures_are_shown_in_warm_kernels(tmp_path, kernel):
    """A figure left open at the end of a cell (no plt.show) is displayed, as in a fresh kernel."""
    from grc.reports.runner import NotebookJob, run_notebooks

    src = make_notebook(tmp_path / "fig.ipynb",
                        ["import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.plot([1, 2])"])
    jobs = [NotebookJob(src, {"centre": c}, tmp_path / f"{c}.html") for c in ("A", "B")]
    res = run_notebooks(jobs, n_jobs=1, kernel=kernel, manifest_path=tmp_path / "m.json", progress=False)
    assert [r.status for r in res] == ["ok", "ok"]
    for j in jobs:
        assert "<img" in j.html_out.read_text(encoding="utf-8")


@pytest.mark.parametrize("kernel", ["warm", "inproc"])
def test_kept_project_modules_start_each_page_afresh(tmp_path, kernel):
    """The project's modules stay imported in a warm kernel, yet a page is the same whatever ran
    before it: two runs of a page that numbers its tables equal one fresh papermill run."""
    cells = ["import pandas as pd\nfrom grc.reports.charts import table\n"
             "df = pd.DataFrame({'segment': ['Scolaires'], 'contacts': [12]})",
             "display(table(df))", "table(df, caption='Deuxième')"]
    page = make_notebook(tmp_path / "nbs" / "page.ipynb", cells)
    first, second = _in_worker(kernel, [page, page], {"centre": "C07"}, (*LIGHT, "grc.reports.charts"))
    fresh = runner.execute_fresh(page, {"centre": "C07"})

    def seen(nb) -> str:  # what a page shows (an object's repr carries its memory address)
        return re.sub(r" at 0x[0-9a-f]+", "", json.dumps(_comparable(nb)))

    assert seen(first) == seen(second) == seen(fresh)
    assert "T_grc1" in seen(second) and "T_grc3" not in seen(second)  # numbering restarted


def test_early_pages_are_taken_once_or_dropped(tmp_path):
    """Pages started early (the course, during the pipeline) are not run a second time when the
    same pages are asked for; a page asked for differently is run again and no draft is left."""
    nbdir = tmp_path / "notebooks"
    log = tmp_path / "runs.log"
    make_notebook(nbdir / "count.ipynb", [f"open({str(log)!r}, 'a').write(centre + '\\n')\n"
                                          "print('page', centre)"])
    manifest = tmp_path / "reports" / ".manifest.json"
    jobs = [NotebookJob(nbdir / "count.ipynb", {"config": "x", "centre": c},
                        tmp_path / "reports" / f"{c}.html", HEADER, "h") for c in ("A", "B")]
    with runner.WorkerPool(1, LIGHT) as pool:
        early = runner.start_early(jobs, pool, manifest_path=manifest)
        assert len(early.pages) == 2
        other = NotebookJob(**{**jobs[1].__dict__, "header": {**HEADER, "title": "Autre"}})
        res = run_notebooks([jobs[0], other], n_jobs=1, manifest_path=manifest, progress=False,
                            pool=pool, early=early)
    assert [r.status for r in res] == ["ok", "ok"]
    # A ran once (early, taken); B ran early (dropped: another header) and again for "Autre"
    assert sorted(log.read_text().split()) == ["A", "B", "B"]
    assert "page A" in jobs[0].html_out.read_text(encoding="utf-8")
    assert "Autre" in jobs[1].html_out.read_text(encoding="utf-8")
    assert not list((tmp_path / "reports").glob(".*.early"))
    # unchanged now: nothing is started early
    with runner.WorkerPool(1, LIGHT) as pool:
        assert not runner.start_early([jobs[0]], pool, manifest_path=manifest).pages
