"""The head-office network base (DuckDB, ``processed_dir/network.duckdb``).

A run never writes into the live file: it copies the base to a work file, writes there, and
swaps it in with an atomic rename at the end. A run that fails or is killed leaves the base
exactly as it was before it.

Every table is declared in ``grc.store.catalogue``: tables are created from their declaration
(columns, types), a frame bringing a column the declaration does not have is refused, and a
base holding an undeclared table or column is not swapped in.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from grc.store import catalogue as cat

if TYPE_CHECKING:  # pandas is imported where frames are made: a run with nothing to do skips it
    import pandas as pd


class BaseError(Exception):
    """The network base refuses an operation (message in French)."""


def connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the base (read-only connections may be opened by several processes at once)."""
    if read_only and not Path(path).exists():
        raise BaseError(f"Base réseau absente : {path}. Lancez d'abord « grc run ».")
    if read_only:
        _keep_warm(path)
    return duckdb.connect(str(path), read_only=read_only)


def _keep_warm(path: Path) -> None:
    """In a ``grc run`` warm kernel, keep one read-only connection to the base open from page
    to page: DuckDB then reuses its database instance (opening one and loading the catalog
    costs more than most of a page's queries) instead of starting it again for each page. The
    data read is the same; a base file replaced since (another run) gets a new instance."""
    import sys

    warm = sys.modules.get("_grc_warm")  # only in the runner's warm kernels
    if warm is None:
        return
    keep = warm.__dict__.setdefault("duckdb_keep", {})
    key = str(path)
    st = os.stat(key)
    ident = (st.st_ino, st.st_mtime_ns, st.st_size)
    held = keep.get(key)
    if held is not None and held[0] == ident:
        return
    if held is not None:
        with contextlib.suppress(Exception):
            held[1].close()
    keep[key] = (ident, duckdb.connect(key, read_only=True))


# locks held by this process: lock file -> [descriptor, depth, pid]
_LOCKS: dict[str, list[int]] = {}


def _lock_path(path: Path) -> Path:
    return Path(path).with_name(f".{Path(path).name}.lock")


@contextlib.contextmanager
def base_lock(path: Path) -> Iterator[None]:
    """Only one process writes the base at a time; a second one stops at once with a message.

    Re-entrant within a process. Taking the lock also removes what a killed run left behind
    (:func:`clean_stale`): with the lock held, no other run can be using it.
    """
    import fcntl

    lock = _lock_path(path)
    key = str(lock.resolve())
    held = _LOCKS.get(key)
    if held is not None and held[2] == os.getpid():
        held[1] += 1
        try:
            yield
        finally:
            held[1] -= 1
        return
    lock.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        # a POSIX record lock: held by this process only (helpers it forks do not keep it
        # after it is killed) and released by the system when the process ends
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno not in (errno.EACCES, errno.EAGAIN):
            os.close(fd)
            raise
        other = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
        os.close(fd)
        raise BaseError(f"La base {path} est déjà en cours de mise à jour par un autre « grc run » "
                        f"(processus {other}) : attendez qu'il se termine, puis relancez. "
                        "Rien n'a été modifié.") from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    _LOCKS[key] = [fd, 1, os.getpid()]
    try:
        clean_stale(path)
        yield
    finally:
        _LOCKS.pop(key, None)
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        fcntl.lockf(fd, fcntl.LOCK_UN)
        os.close(fd)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale(path: Path) -> list[Path]:
    """Remove the working copies a killed run left beside the base (personal data outside it).

    ``.<base>.work-<pid>`` (and its WAL) of a process that is gone, and the ``.exports-work-…``,
    ``.retours-work-…``, ``.exports.old``, ``.retours.old`` folders. Call with the lock held.
    """
    path = Path(path)
    folder = path.parent
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for p in folder.glob(f".{path.name}.work-*"):
        pid = p.name.rsplit("-", 1)[-1].removesuffix(".wal")
        if pid.isdigit() and int(pid) != os.getpid() and _pid_alive(int(pid)):
            continue
        with contextlib.suppress(OSError):
            p.unlink()
            removed.append(p)
    for pattern in (".exports-work-*", ".retours-work-*", ".exports.old", ".retours.old"):
        for p in folder.glob(pattern):
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    return removed


@contextlib.contextmanager
def transaction(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Work on a copy of the base and swap it in only if the block succeeds (under the lock)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with base_lock(path):
        work = path.with_name(f".{path.name}.work-{os.getpid()}")
        con = None
        try:
            if path.exists():
                shutil.copy2(path, work)
            con = duckdb.connect(str(work))
            yield con
            _check(con)  # every table and column declared in the catalogue
            con.execute("CHECKPOINT")
            con.close()
            os.replace(work, path)
        except BaseException:
            if con is not None:
                with contextlib.suppress(Exception):
                    con.close()
            for p in (work, work.with_name(work.name + ".wal")):
                with contextlib.suppress(OSError):
                    p.unlink()
            raise


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchall()[0][0])


def read_table(con: duckdb.DuckDBPyConnection, name: str, where: str = "",
               params: list | None = None) -> pd.DataFrame:
    """A table as a DataFrame (empty frame if the table does not exist yet)."""
    try:  # the table is there but in a new base's first year: no catalogue lookup first
        return con.execute(f'SELECT * FROM "{name}" {where}', params or []).df()
    except duckdb.CatalogException:
        if has_table(con, name):
            raise
        import pandas as pd

        return pd.DataFrame()


def _prepare(frame: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    # a shallow copy: the converted columns are new arrays, the caller's frame is untouched
    out = frame.copy(deep=False)
    for i in range(frame.shape[1]):
        col = frame.iloc[:, i]
        if col.dtype == object:
            # mixed python objects (dates, lists) are stored as text
            sample = col.dropna()
            if not len(sample):
                out.isetitem(i, col.astype("string"))  # all missing: store as text, not NULL type
                continue
            if not all(isinstance(v, str) for v in sample.head(1000)):
                out.isetitem(i, col.map(lambda v: None if v is None or (isinstance(v, float) and pd.isna(v))
                                        else (v if isinstance(v, str) else str(v))))
    return out


def _declared(name: str, kind: str) -> cat.Table:
    """The catalogue's declaration of ``name``, checked to be written the way it says."""
    try:
        t = cat.table(name)
    except cat.CatalogueError as exc:
        raise BaseError(str(exc)) from None
    if t.kind != kind:
        raise BaseError(f"Table « {name} » déclarée « {t.kind} » au catalogue, écrite comme « {kind} ».")
    return t


def _check(con: duckdb.DuckDBPyConnection) -> None:
    cat.drop_retired(con)
    try:
        cat.check_base(con)
    except cat.CatalogueError as exc:
        raise BaseError(str(exc)) from None


def _frame_for(t: cat.Table, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` ready for DuckDB; a column the declaration does not have is refused."""
    extra = [str(c) for c in frame.columns if c not in t.types]
    if extra:
        raise BaseError(f"Table « {t.name} » : colonne(s) {extra} absente(s) du catalogue "
                        "(grc/store/catalogue.py) : déclarez-les (type, donnée personnelle ou non).")
    return _prepare(frame)


def replace_table(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    """Replace a whole table by ``frame`` (a ``replaced`` table of the catalogue)."""
    t = _declared(name, "replaced")
    df = _frame_for(t, frame)
    con.execute(f'CREATE OR REPLACE TABLE "{name}" ({t.ddl()})')
    _insert(con, name, df)


def replace_slice(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame,
                  keys: dict[str, object]) -> None:
    """Delete the rows matching ``keys`` then append ``frame`` (idempotent reload)."""
    t = _declared(name, "yearly")
    if not has_table(con, name):
        _create(con, t, frame)
        return
    cond = " AND ".join(f'"{k}" = ?' for k in keys)
    con.execute(f'DELETE FROM "{name}" WHERE {cond}', list(keys.values()))
    if len(frame):
        _append(con, t, frame)


def replace_centres(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame, year: int,
                    centres: list[str]) -> None:
    """Replace the ``year`` slice of several centres at once (one delete, one insert)."""
    import pandas as pd

    t = _declared(name, "yearly")
    if not centres:
        return
    if not has_table(con, name):
        if len(frame):
            _create(con, t, frame)
        return
    con.register("_centres", pd.DataFrame({"centre": centres}))
    con.execute(f'DELETE FROM "{name}" t USING _centres c WHERE t.year = ? AND t.centre = c.centre', [year])
    con.unregister("_centres")
    if len(frame):
        _append(con, t, frame)


def _create(con: duckdb.DuckDBPyConnection, t: cat.Table, frame: pd.DataFrame) -> None:
    df = _frame_for(t, frame)
    con.execute(f'CREATE TABLE "{t.name}" ({t.ddl()})')
    _insert(con, t.name, df)


def _insert(con: duckdb.DuckDBPyConnection, name: str, df: pd.DataFrame) -> None:
    if not len(df.columns):
        return
    con.register("_frame", df)
    con.execute(f'INSERT INTO "{name}" BY NAME SELECT * FROM _frame')
    con.unregister("_frame")


def append(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    """Append rows to a log table (created on first use)."""
    t = _declared(name, "log")
    if not has_table(con, name):
        _create(con, t, frame)
    elif len(frame):
        _append(con, t, frame)


def _append(con: duckdb.DuckDBPyConnection, t: cat.Table, frame: pd.DataFrame) -> None:
    """Insert ``frame`` into an existing table; a declared column the table lacks (a base made
    before it was declared) is added first."""
    df = _frame_for(t, frame)
    cols = {r[0] for r in con.execute(f'DESCRIBE "{t.name}"').fetchall()}
    for c, typ in t.types.items():
        if c not in cols:
            con.execute(f'ALTER TABLE "{t.name}" ADD COLUMN "{c}" {typ}')
    _insert(con, t.name, df)


def _json_values(values: pd.Series) -> list[str]:
    """Each cell as a JSON value (text as received, missing as null), each distinct one once."""
    import pandas as pd

    seen: dict[object, str] = {}
    out: list[str] = []
    for v in values.tolist():
        if v is None or (isinstance(v, float) and pd.isna(v)):
            out.append("null")
            continue
        if not isinstance(v, str):
            v = str(v)
        e = seen.get(v)
        if e is None:
            e = seen[v] = json.dumps(v, ensure_ascii=False)
        out.append(e)
    return out


def raw_as_json(raw: pd.DataFrame, centre: str, year: int, run_id: str, sha256: str) -> pd.DataFrame:
    """Raw rows as received: one JSON object of the file's own columns per row."""
    import pandas as pd

    cols = [c for c in raw.columns if c != "row"]
    if len(set(cols)) == len(cols) and all(isinstance(c, str) for c in cols):
        # the text json.dumps gives for {column: value, ...}, built column by column
        heads = [json.dumps(c, ensure_ascii=False) + ": " for c in cols]
        cells = [[h + v for v in _json_values(raw[c])] for h, c in zip(heads, cols, strict=True)]
        data = ["{" + ", ".join(row) + "}" for row in zip(*cells, strict=True)] if cols \
            else ["{}"] * len(raw)
    else:
        def enc(v: object) -> object:
            if v is None or (isinstance(v, float) and pd.isna(v)):
                return None
            return v if isinstance(v, str) else str(v)

        data = [json.dumps({c: enc(v) for c, v in zip(cols, vals, strict=True)}, ensure_ascii=False)
                for vals in raw[cols].itertuples(index=False, name=None)]
    return pd.DataFrame({"centre": centre, "year": year, "row": raw["row"].astype(int).to_numpy(),
                         "run_id": run_id, "sha256": sha256, "data": data})


def last_year(con: duckdb.DuckDBPyConnection) -> int | None:
    """The latest export year integrated successfully, or None for an empty base."""
    if not has_table(con, "runs"):
        return None
    row = con.execute("SELECT max(year) FROM runs WHERE status IN ('ok', 'partiel')").fetchall()[0]
    return int(row[0]) if row and row[0] is not None else None
