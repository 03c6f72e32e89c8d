"""Benchmark of the notebook runner against the naive papermill floor.

(a) naive floor: one papermill run of an empty notebook (fresh kernel), times the number of
    runs, divided by the jobs; also one fresh run of a bench notebook (imports + plot), scaled
    the same way ("naive realistic");
(b) the runner on N notebook runs (4 small notebooks importing pandas/seaborn/sklearn and
    plotting × params), wall time and peak memory (psutil, children included);
(c) an unchanged re-run (everything skipped).

    .venv/bin/python bench/bench_run.py [--per-notebook 50] [--jobs N] [--out bench/out/run]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import threading
import time
from pathlib import Path

import nbformat
import psutil
from grc.reports.runner import NotebookJob, execute_fresh, run_notebooks
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

PARAMS = 'config = "params/network.yaml"\ncentre = "NETWORK"'
IMPORTS = (
    "import numpy as np\nimport pandas as pd\nimport matplotlib.pyplot as plt\nimport seaborn as sns\n"
    "rng = np.random.default_rng(sum(map(ord, centre)))"
)
BODIES = {
    "b1_qualification": [
        IMPORTS,
        "df = pd.DataFrame({'code': rng.choice(['ok', 'npai', 'email', 'tel'], 500)})\n"
        "t = df['code'].value_counts().rename_axis('anomalie').reset_index(name='n')\nt",
        "fig, ax = plt.subplots(figsize=(5, 3))\nsns.barplot(data=t, x='anomalie', y='n', ax=ax)\nplt.show()",
    ],
    "b2_segments": [
        IMPORTS + "\nfrom sklearn.cluster import KMeans",
        "X = rng.normal(size=(300, 3))\nlab = KMeans(n_clusters=4, n_init=1, random_state=0).fit_predict(X)\n"
        "pd.Series(lab).value_counts().sort_index()",
        "fig, ax = plt.subplots(figsize=(4, 3))\nax.scatter(X[:, 0], X[:, 1], c=lab, s=6)\nplt.show()",
    ],
    "b3_rfm": [
        IMPORTS,
        "r = pd.DataFrame({'R': rng.integers(1, 6, 400), 'F': rng.integers(1, 6, 400)})\n"
        "pivot = r.pivot_table(index='R', columns='F', aggfunc='size', fill_value=0)\npivot",
        "fig, ax = plt.subplots(figsize=(4, 3))\nsns.heatmap(pivot, annot=True, fmt='d', ax=ax)\nplt.show()",
    ],
    "b4_loyalty": [
        IMPORTS,
        "y = pd.DataFrame({'année': [2022, 2023, 2024, 2025], 'rétention': rng.uniform(0.2, 0.6, 4)})\ny",
        "fig, ax = plt.subplots(figsize=(4, 3))\nsns.lineplot(data=y, x='année', y='rétention', ax=ax)\nplt.show()",
    ],
}


def write_notebook(path: Path, cells: list[str]) -> Path:
    params = new_code_cell(PARAMS)
    params.metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=[new_markdown_cell(f"# {path.stem}"), params, *map(new_code_cell, cells)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


class PeakMemory:
    """Peak RSS of this process and all its children, sampled every 0.1 s."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        me = psutil.Process()
        total = 0
        for proc in [me, *me.children(recursive=True)]:
            try:
                total += proc.memory_info().rss
            except psutil.Error:
                pass
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(0.1)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-notebook", type=int, default=50, help="runs per bench notebook (4 notebooks)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--out", type=Path, default=Path("bench/out/run"))
    args = ap.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)

    out = args.out.resolve()
    shutil.rmtree(out, ignore_errors=True)
    nbdir = out / "notebooks"
    empty = write_notebook(nbdir / "empty.ipynb", [])
    notebooks = [write_notebook(nbdir / f"{name}.ipynb", cells) for name, cells in BODIES.items()]
    centres = [f"C{i:02d}" for i in range(1, args.per_notebook)] + ["NETWORK"]
    jobs = [
        NotebookJob(
            nb,
            {"centre": c},
            out / "reports" / ("network" if c == "NETWORK" else f"centres/{c}") / f"{nb.stem}.html",
            {"network": "Réseau bench", "centre": c, "year": 2025, "run_date": "2025-11-22", "data_version": "bench"},
            "bench",
        )
        for c in centres
        for nb in notebooks
    ]
    n = len(jobs)
    print(f"Bench runner : {n} exécutions ({len(notebooks)} classeurs × {len(centres)}), {args.jobs} processus")

    # (a) naive floor
    execute_fresh(empty, {"centre": "C00"})  # warm the file caches
    t0 = time.perf_counter()
    execute_fresh(empty, {"centre": "C00"})
    empty_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    execute_fresh(notebooks[1], {"centre": "C00"})
    heavy_s = time.perf_counter() - t0
    floor = empty_s * n / args.jobs
    realistic = heavy_s * n / args.jobs
    print(f"(a) papermill, classeur vide, noyau neuf : {empty_s:.2f} s → plancher naïf {floor:.1f} s")
    print(f"    papermill, classeur du bench, noyau neuf : {heavy_s:.2f} s → naïf réaliste {realistic:.1f} s")

    # (b) the runner
    manifest = out / "reports" / ".manifest.json"
    with PeakMemory() as mem:
        t0 = time.perf_counter()
        results = run_notebooks(jobs, n_jobs=args.jobs, force=False, with_code=False, manifest_path=manifest)
        wall = time.perf_counter() - t0
    failed = [r for r in results if r.status != "ok"]
    print(
        f"(b) runner : {wall:.1f} s ({wall / n:.3f} s/exécution), mémoire max {mem.peak / 2**20:.0f} Mo, "
        f"échecs {len(failed)}"
    )
    for r in failed[:3]:
        print("   ", r.error)

    # (c) unchanged re-run
    t0 = time.perf_counter()
    again = run_notebooks(jobs, n_jobs=args.jobs, force=False, with_code=False, manifest_path=manifest,
                          progress=False)
    rerun = time.perf_counter() - t0
    skipped = sum(r.status == "skipped" for r in again)
    print(f"(c) relance sans changement : {rerun:.2f} s ({skipped}/{n} inchangées)")

    print(f"Ratio runner / plancher naïf : {wall / floor:.2f} (objectif ≤ 0,5)")
    print(f"Ratio runner / naïf réaliste : {wall / realistic:.2f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
