"""The evaluation code of ``bench/`` (scoring against the demo's truth files), for the tests."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_PATH = Path(__file__).resolve().parents[1] / "bench" / "grc_truth.py"
_spec = importlib.util.spec_from_file_location("grc_truth", _PATH)
truth = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(truth)
