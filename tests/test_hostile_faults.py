"""Hostile conditions, faults family: concurrent runs, killed runs, unwritable folders, broken CSV.

The concurrency and kill cases run real ``grc run`` processes. The base never changes unless
a run completes; what a killed run leaves behind is removed by the next one; a file the csv
module cannot parse fails its centre alone with a French message naming file and line.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.hostile import (  # noqa: F401
    assert_refused,
    by_software,
    db_path,
    export_file,
    hostile_base_fixture,
    net_fixture,
    record_counts,
    run,
    sha,
)


def _grc(net, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "grc", *args, "--config", str(net / "network.yaml")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})


def _leftovers(folder) -> list[str]:
    """Working copies and swapped-out folders in ``processed/``."""
    return sorted(p.name for p in folder.iterdir()
                  if ".work-" in p.name or "-work-" in p.name or p.name.endswith(".old"))


HOLD = """
import sys, time
from grc.store.base import base_lock
with base_lock(sys.argv[1]):
    print("held", flush=True)
    time.sleep(60)
"""


def test_second_run_on_a_locked_base_stops_with_a_message(net):
    base = sha(db_path(net))
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(db_path(net))], stdout=subprocess.PIPE,
                              text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    try:
        assert holder.stdout.readline().strip() == "held"
        second = _grc(net, "run", "--no-reports", "--quiet")
        out, err = second.communicate(timeout=120)
        assert second.returncode == 1
        assert "déjà en cours de mise à jour par un autre « grc run »" in err
        assert f"processus {holder.pid}" in err and "Traceback" not in err
        assert sha(db_path(net)) == base
    finally:
        holder.kill()
        holder.wait()


def test_two_runs_at_once_never_break_each_other(net):
    first = _grc(net, "run", "--no-reports", "--quiet")
    second = _grc(net, "run", "--no-reports", "--quiet")
    results = [p.communicate(timeout=300) + (p.returncode,) for p in (first, second)]
    assert any(rc == 0 for _, _, rc in results), results
    for _, err, rc in results:
        assert "Traceback" not in err
        if rc:
            assert "déjà en cours de mise à jour" in err
    assert all((c, 2025) in record_counts(net) for c, _ in record_counts(net))
    assert not _leftovers(db_path(net).parent)


def test_killed_run_leaves_base_intact_and_next_run_cleans_up(net):
    base = sha(db_path(net))
    processed = db_path(net).parent
    # copies left by an earlier killed run (a process that no longer exists)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (processed / f".network.duckdb.work-{dead.pid}").write_bytes(b"personal data")
    (processed / ".exports-work-20250101T000000-abcdef").mkdir()
    (processed / ".exports-work-20250101T000000-abcdef" / "contacts.csv").write_text("x")
    (processed / ".retours-work-20250101T000000-abcdef").mkdir()

    victim = _grc(net, "run", "--no-reports", "--quiet")
    work = processed / f".network.duckdb.work-{victim.pid}"
    deadline = time.monotonic() + 120
    while not work.exists() and victim.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    if victim.poll() is not None:
        pytest.fail("the run ended before its working copy could be seen")
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    assert sha(db_path(net)) == base
    assert work.exists()  # what the kill left behind

    again = _grc(net, "run", "--no-reports", "--quiet")
    _, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    assert _leftovers(processed) == []
    assert all((c, 2025) in record_counts(net) for c, _ in record_counts(net))


def test_killed_run_leaves_no_notebook_worker_behind(net):
    import psutil

    victim = _grc(net, "run", "--quiet", "--jobs", "2")
    proc = psutil.Process(victim.pid)
    deadline = time.monotonic() + 120
    kids: list = []
    while victim.poll() is None and time.monotonic() < deadline:
        kids = proc.children(recursive=True)
        if sum("spawn_main" in " ".join(k.cmdline()) for k in kids) >= 1:
            break
        time.sleep(0.05)
    assert kids and victim.poll() is None, "no notebook worker seen"
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            alive = [k for k in kids if k.is_running() and k.status() != psutil.STATUS_ZOMBIE]
            if not alive:
                break
            time.sleep(0.2)
        assert not alive, [" ".join(k.cmdline())[:80] for k in alive]
    finally:
        for k in kids:
            with contextlib.suppress(psutil.Error):
                k.kill()


def test_terminated_run_cleans_up_after_itself(net):
    base = sha(db_path(net))
    processed = db_path(net).parent
    victim = _grc(net, "run", "--no-reports", "--quiet")
    work = processed / f".network.duckdb.work-{victim.pid}"
    deadline = time.monotonic() + 120
    while not work.exists() and victim.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    if victim.poll() is not None:
        pytest.fail("the run ended before its working copy could be seen")
    victim.send_signal(signal.SIGTERM)
    _, err = victim.communicate(timeout=120)
    assert victim.returncode == 130, err
    assert "traitement interrompu" in err and "Traceback" not in err
    assert sha(db_path(net)) == base
    assert _leftovers(processed) == []


@pytest.mark.parametrize("err_no, words", [(errno.ENOSPC, "disque plein"),
                                           (errno.EACCES, "dossier en lecture seule"),
                                           (errno.EROFS, "disque en lecture seule")])
def test_unwritable_folder_or_full_disk_gives_a_french_message(net, capsys, monkeypatch, err_no, words):
    from grc.pipeline import integrate

    base = sha(db_path(net))
    processed = db_path(net).parent

    def fail(folder, *args, **kwargs):
        raise OSError(err_no, os.strerror(err_no), str(folder / "contacts.csv"))

    # the failure comes once the base work copy is written, while the files are written
    monkeypatch.setattr(integrate, "_write_exports", fail)
    rc, out, err = run(net, capsys)
    assert rc == 1
    assert words in err and "la base réseau n'a pas été modifiée" in err and "contacts.csv" in err
    assert "Traceback" not in err
    assert sha(db_path(net)) == base
    assert not _leftovers(processed)


def test_copy_of_the_base_failing_leaves_nothing_behind(net, capsys, monkeypatch):
    import shutil

    from grc.store import base as db

    base = sha(db_path(net))

    def full(src, dst, *a, **k):
        with open(dst, "wb") as fh:
            fh.write(b"partial")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))

    monkeypatch.setattr(db.shutil, "copy2", full)
    rc, _, err = run(net, capsys)
    monkeypatch.setattr(db.shutil, "copy2", shutil.copy2)
    assert rc == 1 and "disque plein" in err
    assert sha(db_path(net)) == base
    assert not _leftovers(db_path(net).parent)


def test_csv_the_csv_module_cannot_parse_fails_its_centre_alone(net, capsys):
    soft = by_software(net)
    hestia, groupbook = soft["hestia"], soft["groupbook"]
    before = record_counts(net)
    # a bare carriage return inside an unquoted value (line 4)
    path = export_file(net, hestia)
    lines = path.read_bytes().split(b"\r\n")
    lines[3] = lines[3].replace(b";", b"\rX;", 1)
    path.write_bytes(b"\r\n".join(lines))
    # a 1 000 000-character cell (an unclosed quote swallows the file), line 3
    path2 = export_file(net, groupbook)
    data = path2.read_bytes()
    eol = b"\r\n" if b"\r\n" in data else b"\n"
    lines = data.split(eol)
    lines[2] = lines[2] + b',"' + b"x" * 1_000_000
    path2.write_bytes(eol.join(lines))

    rc, out, err = run(net, capsys)
    assert rc == 1 and "Traceback" not in err and "_csv" not in err
    assert f"centre {hestia}" in err and "contacts.csv, ligne 4" in err and "retour chariot isolé" in err
    assert f"centre {groupbook}" in err and "ligne 3" in err and "131\u202f072 caractères" in err
    assert len(err) < 20_000
    assert_refused(net, {hestia, groupbook}, before)
