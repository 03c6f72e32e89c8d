"""Shared fixtures: a small generated demo network (made once per test session)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

SMALL = {"centres": 6, "contacts": 500, "years": "2022-2025", "seed": 7}


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    """A small demo network (6 centres, 500 clients, 2022–2025), never modified by tests."""
    from grc.demo import generate

    out = tmp_path_factory.mktemp("demo")
    generate(out, **SMALL)
    return out


@pytest.fixture()
def demo_copy(demo_dir, tmp_path) -> Path:
    """A private copy of the small demo network that a test may modify."""
    dst = tmp_path / "demo"
    shutil.copytree(demo_dir, dst)
    return dst
