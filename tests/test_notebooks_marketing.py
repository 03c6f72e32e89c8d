"""The marketing workbooks (03 segmentation, 04 RFM) run with papermill on a small base
(one small centre and the network) and show no personal data of the generated truth."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest

pytestmark = pytest.mark.xdist_group("notebooks")

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
MARKETING = ["03_segmentation.ipynb", "04_rfm_scoring.ipynb"]


@pytest.fixture(scope="module")
def small_base(tmp_path_factory) -> Path:
    """4 centres, 300 clients, 2024 then 2025 integrated; returns the demo folder."""
    from grc.config import load_config
    from grc.demo import generate
    from grc.pipeline import run_pipeline

    tmp = tmp_path_factory.mktemp("mkt")
    generate(tmp, centres=4, contacts=300, years="2024-2025", seed=3)
    cfg = load_config(tmp / "network.yaml")
    run_pipeline(cfg.with_year(2024), progress=False)
    run_pipeline(cfg, progress=False)
    return tmp


def _smallest_centre(tmp: Path) -> str:
    from grc.config import load_config
    from grc.workbook import open_workbook

    cfg = load_config(tmp / "network.yaml")
    links = open_workbook(tmp / "network.yaml").links
    counts = links.groupby("centre")["contact_id"].nunique()
    return str(counts.reindex(cfg.centre_codes()).fillna(0).sort_values(kind="stable").index[0])


def _outputs_text(nb) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                parts.append(out.get("text", ""))
            for mime, value in out.get("data", {}).items():
                if mime.startswith("text/"):
                    parts.append(value if isinstance(value, str) else "".join(value))
            if out.get("output_type") == "error":
                parts.append(" ".join(out.get("traceback", [])))
    return "\n".join(parts)


def test_notebook_sources_follow_the_rules():
    for name in MARKETING:
        nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        assert nb.metadata["kernelspec"]["name"] == "python3"
        assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
        params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(params) == 1
        assert params[0].source.strip() == 'config = "params/network.yaml"\ncentre = "NETWORK"'
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.get("outputs", []) == [] and cell.get("execution_count") is None, name


@pytest.fixture(scope="module")
def executed(small_base, tmp_path_factory) -> dict[tuple[str, str], Path]:
    """Both notebooks for the smallest centre and for the network, run concurrently
    (each papermill run has its own kernel; most of the time is kernel start-up)."""
    from concurrent.futures import ThreadPoolExecutor

    import papermill as pm

    out_dir = tmp_path_factory.mktemp("executed")
    centre = _smallest_centre(small_base)
    runs = [(name, scope) for name in MARKETING for scope in (centre, "NETWORK")]

    def run(item: tuple[str, str]) -> Path:
        name, scope = item
        out = out_dir / f"{scope}_{name}"
        pm.execute_notebook(str(NOTEBOOKS / name), str(out), kernel_name="python3",
                            cwd=str(NOTEBOOKS), progress_bar=False,
                            parameters={"config": str(small_base / "network.yaml"), "centre": scope})
        return out

    with ThreadPoolExecutor(max_workers=2) as pool:
        paths = list(pool.map(run, runs))
    return dict(zip(runs, paths, strict=True))


@pytest.mark.parametrize("name", MARKETING)
def test_marketing_notebooks_run_without_personal_data(small_base, executed, name):
    truth = pd.read_csv(small_base / "truth" / "entities.csv", dtype=str)
    emails = {e.lower() for e in truth["email"].dropna()}
    phones = {re.sub(r"\D", "", p) for col in ("phone", "mobile") for p in truth[col].dropna()}
    phones = {p for p in phones if len(p) >= 9}
    names = {n for n in truth["last_name"].dropna() if len(n) >= 4}
    assert emails and phones and names  # the truth really holds what is looked for
    scopes = [scope for (nb_name, scope) in executed if nb_name == name]
    assert len(scopes) == 2 and "NETWORK" in scopes
    for scope in scopes:
        nb = nbformat.read(executed[(name, scope)], as_version=4)
        errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
        assert not errors, json.dumps(errors)[:2000]
        text = _outputs_text(nb)
        assert wb_title_shown(text, scope)
        assert sum(o.get("output_type") == "display_data" for c in nb.cells
                   for o in c.get("outputs", [])) >= 8, "figures and tables expected"
        low = text.lower()
        assert not [e for e in emails if e in low], f"e-mail in {scope} {name}"
        digits = re.sub(r"[\s.\-\u202f\u00a0]", "", text)
        assert not [p for p in phones if p in digits or "+33" + p[1:] in digits], f"phone in {scope}"
        found = [n for n in names if re.search(rf"(?<!\w){re.escape(n)}(?!\w)", text)]
        assert not found, f"last names {found[:5]} in {scope} {name}"
    if name.startswith("04"):
        # the win-back list, when there is one, lives in a file: identifiers only
        from grc.config import load_config

        cfg = load_config(small_base / "network.yaml")
        for f in (cfg.processed_dir / "cibles").glob("reconquete_*.csv"):
            head = f.read_text(encoding="utf-8-sig").splitlines()[0]
            assert "email" not in head and "last_name" not in head


def wb_title_shown(text: str, scope: str) -> bool:
    """The first cell prints the scope title (network or the centre's code)."""
    return ("ensemble du réseau" in text) if scope == "NETWORK" else (f"({scope})" in text)
