"""`make bench`: every benchmark with sizes that fit a 2-core machine; figures printed.

    .venv/bin/python bench/run_all.py [--full]   # --full: the 1M-contact sizes as well
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--full", action="store_true")
    args = ap.parse_args()
    big = ["1000000"] if args.full else []
    runs = [
        ("Qualification", ["bench_qualify.py", "--sizes", "100000", *big]),
        ("Dédoublonnage", ["bench_dedup.py", "--sizes", "10000", "100000", *big]),
        ("Classeurs (moteur d'exécution)", ["bench_run.py", "--per-notebook", "50"]),
        ("Réseau complet", ["bench_network.py"]),
    ]
    failed = []
    for title, cmd in runs:
        print(f"\n=== {title} ===", flush=True)
        rc = subprocess.call([sys.executable, str(HERE / cmd[0]), *cmd[1:]])
        if rc:
            failed.append(title)
    if failed:
        print(f"\nÉchecs : {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
