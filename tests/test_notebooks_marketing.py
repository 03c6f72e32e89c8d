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


def _smallest_centre(tmp: Path) -> str:
    from grc.config import load_config
    from grc.reports.workbook import open_workbook

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
        expected = 'config = "params/network.yaml"\ncentre = "NETWORK"'
        if name.startswith("04"):
            expected += '\ngrid = ""'  # empty: the config's rfm_grid
        assert params[0].source.strip() == expected
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        # pages read the stored typology and never whole network tables
        assert "read_network_table" not in code and "network_cluster_quality" not in code
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


def test_load_scope_reads_the_scope_and_aggregates_only(small_base):
    from grc.config import load_config
    from grc.reports import views_marketing as vm
    from grc.reports.workbook import open_workbook

    cfg = load_config(small_base / "network.yaml")
    centre = _smallest_centre(small_base)
    wb = open_workbook(small_base / "network.yaml", centre)
    data = vm.load_scope(cfg, centre)
    assert len(data.stays) and set(data.stays["centre"]) == {centre}
    assert set(data.segments["contact_id"]) == set(wb.segments["contact_id"])
    assert set(data.scores["scope"]) == {centre} and len(data.scores) == len(wb.scores)
    # the segment mix is the year's contacts: it adds up to the contacts measure
    for scope in (centre, "NETWORK"):
        mix = vm.segment_mix_table(wb.metrics, wb.segmentation, scope, wb.year)
        assert mix["Contacts"].sum() == wb.metric("contacts", scope) > 0
    assert set(data.n_centres.index) <= set(data.stays["contact_id"])
    assert data.n_centres.min() >= 1
    assert data.cluster_quality is not None and data.cluster_quality["k"] >= 2
    assert data.cluster_quality["clients"] == int(data.clusters["size"].sum())
    assert data.contacts["centres"].str.split(";").map(lambda c: centre in c).all()
    net = vm.load_scope(cfg, "NETWORK", ["stays", "n_centres"])
    assert net.segments.empty and len(net.stays) > len(data.stays)
    multi = net.n_centres[net.n_centres.index.isin(data.n_centres.index)]
    assert multi.sort_index().equals(data.n_centres.sort_index())  # same counts, network-wide


@pytest.mark.parametrize("scope", ["centre", "NETWORK"])
def test_page_extraction_agrees_with_grc_extract(small_base, scope):
    from grc.campaigns.extract import extract, load_frames
    from grc.config import load_config
    from grc.reports import views_marketing as vm

    cfg = load_config(small_base / "network.yaml")
    centre = _smallest_centre(small_base) if scope == "centre" else "NETWORK"
    data = vm.load_scope(cfg, centre, ["extraction"])
    page = vm.extraction_example(data.contacts, data.criteria, data.extract_scores,
                                 cfg.reference_date, centre)
    cli = extract(*load_frames(cfg), vm.example_selection(centre), cfg.reference_date)
    assert page.selected == cli.selected and page.kept == cli.kept
    assert page.frame["contact_id"].tolist() == cli.frame["contact_id"].tolist()
    pd.testing.assert_frame_equal(page.excluded.reset_index(drop=True),
                                  cli.excluded.reset_index(drop=True))


def test_grid_parameter_resolution_and_rescoring(small_base):
    from grc.config import ConfigError, load_config, project_root
    from grc.reports import views_marketing as vm
    from grc.rfm import scores as rfm

    cfg = load_config(small_base / "network.yaml")
    assert vm.grid_path(cfg, "") == cfg.rfm_grid and vm.grid_path(cfg, None) == cfg.rfm_grid
    omni = vm.grid_path(cfg, "params/rfm/omnicom.yaml")  # not in the network folder: project's
    assert omni == project_root() / "params" / "rfm" / "omnicom.yaml"
    assert vm.grid_path(cfg, str(omni)) == omni
    with pytest.raises(ConfigError, match="introuvable"):
        vm.grid_path(cfg, "params/rfm/nope.yaml")
    centre = _smallest_centre(small_base)
    data = vm.load_scope(cfg, centre, ["stays", "scores"])
    ref = cfg.reference_date
    same = vm.scope_scores(data.scores, data.stays, ref, rfm.load_grid(cfg.rfm_grid),
                           cfg.rfm_grid, cfg.rfm_grid, centre)
    assert same is data.scores
    grid = rfm.load_grid(omni)
    got = vm.scope_scores(data.scores, data.stays, ref, grid, omni, cfg.rfm_grid, centre)
    want = rfm.rfm_table(data.stays, ref, grid, [centre])
    want = want[want["scope"] == centre].reset_index(drop=True)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want, check_dtype=False)
    assert set(got["category"].dropna()) <= set(grid.category_order())
