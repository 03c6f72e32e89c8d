"""Shared fixtures: a small generated demo network (made once per test session)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

SMALL = {"centres": 6, "contacts": 500, "years": "2022-2025", "seed": 7}


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    """A small demo network (6 centres, 500 clients, 2022–2025), never modified by tests."""
    from grc.demo.generator import generate

    out = tmp_path_factory.mktemp("demo")
    generate(out, **SMALL)
    return out


@pytest.fixture()
def demo_copy(demo_dir, tmp_path) -> Path:
    """A private copy of the small demo network that a test may modify."""
    dst = tmp_path / "demo"
    shutil.copytree(demo_dir, dst)
    return dst


def integrate(cfg_path: Path, years=(2022, 2023, 2024, 2025)) -> None:
    """Integrate the given years one at a time (pipeline only, no reports)."""
    from grc.config import load_config
    from grc.pipeline.integrate import run_pipeline

    cfg = load_config(cfg_path)
    for y in years:
        run_pipeline(cfg.with_year(y), progress=False)


@pytest.fixture(scope="session")
def integrated_dir(demo_dir, tmp_path_factory) -> Path:
    """The small demo network with 2022–2025 integrated one year at a time (read-only)."""
    dst = tmp_path_factory.mktemp("integrated") / "demo"
    shutil.copytree(demo_dir, dst)
    integrate(dst / "network.yaml")
    return dst


@pytest.fixture(scope="session")
def reported(integrated_dir, tmp_path_factory) -> Path:
    """The integrated demo network with every page written by ``grc run`` (tests of the
    ``pipeline`` xdist group share it; the e2e test re-runs one corrected centre in it)."""
    from grc.cli import main

    d = tmp_path_factory.mktemp("reported") / "net"
    shutil.copytree(integrated_dir, d)
    rc = main(["run", "--config", str(d / "network.yaml"), "--jobs", "2", "--quiet"])
    assert rc == 0
    return d


@pytest.fixture()
def integrated_copy(integrated_dir, tmp_path) -> Path:
    """A private, modifiable copy of the integrated network."""
    dst = tmp_path / "integrated"
    shutil.copytree(integrated_dir, dst)
    return dst


@pytest.fixture(scope="session")
def small_base(tmp_path_factory) -> Path:
    """4 centres, 300 clients, 2024 then 2025 integrated: the notebooks' test base (read-only)."""
    from grc.config import load_config
    from grc.demo.generator import generate
    from grc.pipeline.integrate import run_pipeline

    tmp = tmp_path_factory.mktemp("notebook_base")
    generate(tmp, centres=4, contacts=300, years="2024-2025", seed=3)
    cfg = load_config(tmp / "network.yaml")
    run_pipeline(cfg.with_year(2024), progress=False)
    run_pipeline(cfg, progress=False)
    return tmp
