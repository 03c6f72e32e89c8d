"""The evaluation code of ``bench/`` for the tests: scoring against the demo's truth files
(``truth``) and the reference comparison features that prove the coded ones (``reference``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

_BENCH = Path(__file__).resolve().parents[1] / "bench"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, _BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


truth = _load("grc_truth")
reference = _load("dedup_reference")
