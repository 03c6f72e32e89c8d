"""Scoring: RFM grids and scores (`scores`), loyalty measures (`loyalty`).

`grc.rfm.load_grid` and `grc.rfm.score` are the public API named in the specification.
"""
from grc.rfm.scores import Grid, compute_rfm, load_grid, score

__all__ = ["Grid", "compute_rfm", "load_grid", "score"]
