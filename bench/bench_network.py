"""Benchmark of the whole demo network: raw exports to every HTML page.

Measures, in one run:
- the naive floor: one papermill run of an empty notebook with a fresh kernel, times the number
  of page runs, divided by the jobs, three ways: with the ``papermill`` command (what a naive
  script would call), with ``papermill.execute_notebook`` in this process (no command start-up),
  and with the jobs running empty notebooks in parallel (how the naive way really scales here);
- ``grc run --force`` on a freshly generated demo network (default size), from raw exports
  (no base, no pages) ``--repeat`` times: each wall time and the peak memory (this process and
  its children); floors are the best of their repeats. The machine's speed drifts (a shared
  VM): the in-process floor is measured before and after each run, each run is compared with
  the mean of its two floors, and the run with the best ratio is reported with its own floor;
- an unchanged re-run (everything skipped).

    .venv/bin/python bench/bench_network.py [--jobs 2] [--centres 50] [--contacts 6000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import psutil
from nbformat.v4 import new_code_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent


class PeakRSS(threading.Thread):
    """Samples the RSS of a process tree until stopped."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                p = psutil.Process(self.pid)
                rss = p.memory_info().rss + sum(c.memory_info().rss for c in p.children(recursive=True))
                self.peak = max(self.peak, rss)
            except psutil.Error:
                pass
            time.sleep(0.2)


def timed(cmd: list[str]) -> tuple[float, int, int]:
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    mon = PeakRSS(proc.pid)
    mon.start()
    _, err = proc.communicate()
    mon.stop.set()
    if proc.returncode:
        sys.stderr.write(err.decode(errors="replace")[-3000:])
    return time.perf_counter() - t, mon.peak, proc.returncode


def write_empty(tmp: Path) -> Path:
    nb = new_notebook(cells=[new_code_cell("x = 1", metadata={"tags": ["parameters"]})])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    src = tmp / "empty.ipynb"
    nbformat.write(nb, src)
    return src


def empty_run_seconds(tmp: Path, repeats: int = 3) -> float:
    src = tmp / "empty.ipynb"
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "papermill", str(src), str(tmp / "out.ipynb"),
                        "-k", "python3", "--no-progress-bar"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
    return min(times)


def empty_run_in_process(tmp: Path, repeats: int = 3) -> float:
    """Same empty notebook through ``papermill.execute_notebook`` (no CLI start-up)."""
    import papermill

    src = tmp / "empty.ipynb"
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        papermill.execute_notebook(str(src), str(tmp / "out2.ipynb"), kernel_name="python3",
                                   progress_bar=False)
        times.append(time.perf_counter() - t)
    return min(times)


def _empty_runs(src: str, out_dir: str, n: int) -> int:
    import papermill

    for i in range(n):
        papermill.execute_notebook(src, f"{out_dir}/par-{os.getpid()}-{i}.ipynb",
                                   kernel_name="python3", progress_bar=False)
    return n


def empty_runs_in_parallel(tmp: Path, jobs: int, per_job: int = 6) -> float:
    """Wall time per run when ``jobs`` processes each run empty notebooks one after another
    (fresh kernel each time): the naive floor as it really behaves on this machine."""
    import concurrent.futures as cf
    import multiprocessing

    src = str(tmp / "empty.ipynb")
    ctx = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(jobs, mp_context=ctx) as pool:
        list(pool.map(_empty_runs, [src] * jobs, [str(tmp)] * jobs, [1] * jobs))  # imports
        t = time.perf_counter()
        list(pool.map(_empty_runs, [src] * jobs, [str(tmp)] * jobs, [per_job] * jobs))
        return (time.perf_counter() - t) / per_job


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--centres", type=int, default=50)
    ap.add_argument("--contacts", type=int, default=6000)
    ap.add_argument("--keep", action="store_true", help="garder le dossier de travail")
    ap.add_argument("--repeat", type=int, default=2,
                    help="exécutions complètes depuis les exports bruts (la plus rapide est retenue, "
                         "comme pour les planchers ; toutes sont affichées)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="grc-bench-"))
    grc = [sys.executable, "-m", "grc"]
    try:
        demo = tmp / "demo"
        t_gen, _, rc = timed([*grc, "generate", "--out", str(demo), "--centres", str(args.centres),
                              "--contacts", str(args.contacts)])
        assert rc == 0
        cfg = demo / "network.yaml"
        write_empty(tmp)
        # the machine's speed drifts (a shared VM): the in-process floor is measured before and
        # after each run, and each run is compared with the mean of its two floors
        walls, peaks, rc = [], [], 0
        floors_in = [empty_run_in_process(tmp)]
        for _ in range(max(1, args.repeat)):  # each from raw exports: no base, no pages
            shutil.rmtree(demo / "processed", ignore_errors=True)
            shutil.rmtree(demo / "reports", ignore_errors=True)
            w, pk, code = timed([*grc, "run", "--config", str(cfg), "--jobs", str(args.jobs), "--force"])
            walls.append(w)
            peaks.append(pk)
            rc = rc or code
            floors_in.append(empty_run_in_process(tmp))
        peak = max(peaks)
        pages = len(list((demo / "reports").rglob("*.html"))) - 2  # index and register
        # unchanged re-run right away (before the other floors, whose kernels may still be exiting)
        rerun, _, rc2 = timed([*grc, "run", "--config", str(cfg), "--jobs", str(args.jobs)])
        t_empty = empty_run_seconds(tmp)
        floor = t_empty * pages / args.jobs
        paired = [(floors_in[i] + floors_in[i + 1]) / 2 for i in range(len(walls))]
        ratios = [w / (f * pages / args.jobs) for w, f in zip(walls, paired, strict=True)]
        best = min(range(len(walls)), key=ratios.__getitem__)
        wall, t_inproc = walls[best], paired[best]
        floor_in = t_inproc * pages / args.jobs
        t_par = empty_runs_in_parallel(tmp, args.jobs)
        floor_par = t_par * pages / args.jobs
        print(f"Réseau : {args.centres} centres, {args.contacts} clients ; génération {t_gen:.1f} s")
        print(f"grc run --force (exports bruts → toutes les pages) : {min(walls):.1f} s "
              f"(exécutions : {', '.join(f'{w:.1f}' for w in walls)} s), "
              f"mémoire max {peak / 2**20:.0f} Mo, {pages} pages, code de sortie {rc}")
        print(f"Plancher naïf : {t_empty:.2f} s × {pages} pages / {args.jobs} jobs = {floor:.1f} s")
        print(f"Rapport au plancher naïf : {min(walls) / floor:.2f}")
        print(f"Plancher naïf sans démarrage de la commande papermill (execute_notebook), mesuré "
              f"avant et après chaque exécution : {', '.join(f'{f:.2f}' for f in floors_in)} s")
        print(f"Rapport de chaque exécution à la moyenne de ses deux planchers : "
              f"{', '.join(f'{r:.2f}' for r in ratios)} (objectif ≤ 0,5)")
        print(f"Meilleure exécution : {wall:.1f} s pour {t_inproc:.2f} s × {pages} / {args.jobs} = "
              f"{floor_in:.1f} s ; rapport {wall / floor_in:.2f}")
        print(f"Plancher naïf mesuré avec {args.jobs} processus en parallèle (execute_notebook, "
              f"noyau neuf à chaque fois) : {t_par:.2f} s par exécution et par processus × {pages} / "
              f"{args.jobs} = {floor_par:.1f} s ; rapport {min(walls) / floor_par:.2f}")
        print(f"Relance sans changement : {rerun:.2f} s (code {rc2})")
        return 0 if rc == 0 and rc2 == 0 else 1
    finally:
        if args.keep:
            print(f"Dossier gardé : {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
