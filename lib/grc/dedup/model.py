"""Unsupervised Fellegi-Sunter model: u from random pairs, m priors, prior (stage 3)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from grc.dedup.compare import M_PRIORS, CodedKeys, _compare, _levels
from grc.dedup.keys import _kept_pairs


@dataclass
class FSModel:
    """Fellegi-Sunter parameters: m and u per comparison level, prior over all pairs."""

    m: dict[str, np.ndarray]
    u: dict[str, np.ndarray]
    prior: float = 1e-6
    tf: dict[str, pd.Series] = field(default_factory=dict)

    def weights(self, lv: pd.DataFrame, c: pd.DataFrame | None = None) -> np.ndarray:
        """Sum of log2 Bayes factors per pair (missing comparisons weigh 0)."""
        total = np.zeros(len(lv))
        for name in self.m:
            g = lv[name].to_numpy()
            bf = np.log2(self.m[name] / self.u[name])
            w = np.where(g >= 0, bf[np.clip(g, 0, None)], 0.0)
            if c is not None and name in self.tf:
                # term-frequency adjusted exact name: BF = m_exact / p(value)
                top = len(self.m[name]) - 1
                val = c["first_val" if name == "first" else "last_val"]
                p = val.map(self.tf[name]).to_numpy(float)
                adj = np.log2(self.m[name][top] / np.clip(p, 1e-9, None))
                use = (g == top) & ~np.isnan(p)
                w = np.where(use, np.minimum(adj, bf[top] + 4.0), w)
            total += w
        return total

    def score(self, lv: pd.DataFrame, c: pd.DataFrame | None = None) -> np.ndarray:
        """Posterior log2-odds of a match."""
        return np.log2(self.prior / (1 - self.prior)) + self.weights(lv, c)


def _random_pairs(k: pd.DataFrame, n: int, link_only: bool, seed: int) -> pd.MultiIndex:
    rng = np.random.default_rng(seed)
    size = len(k)
    a = rng.integers(0, size, n * 2)
    b = rng.integers(0, size, n * 2)
    keep = _kept_pairs(k, a, b, link_only)
    a, b = a[keep][:n], b[keep][:n]
    return pd.MultiIndex.from_arrays([np.minimum(a, b), np.maximum(a, b)])


# u priors (random pairs of different people), blended with the observed random pairs
U_PRIORS: dict[str, list[float]] = {
    "last": [0.975, 0.02, 0.003, 0.002],
    "first": [0.94, 0.005, 0.03, 0.005, 0.02],
    "org": [0.97, 0.02, 0.01],
    "place": [0.98, 0.015, 0.003, 0.002],
    "addr": [0.97, 0.029, 0.001],
    "email": [0.999, 0.0009, 0.0001],
    "phone": [0.999, 0.0009, 0.0001],
}
U_PRIOR_WEIGHT = 1000.0


def _fit(k: pd.DataFrame, lv: pd.DataFrame, comp: pd.DataFrame, *, link_only: bool,
         n_random: int, em_iterations: int, seed: int,
         coded: CodedKeys | None = None) -> FSModel:
    """u from random pairs, m from priors (optional EM), prior from the candidates."""
    n = len(k)
    if link_only:
        counts = k["centre"].value_counts().to_numpy(float)
        total = (counts.sum() ** 2 - (counts ** 2).sum()) / 2
    else:
        total = n * (n - 1) / 2
    if total <= n_random:  # small data: every pair
        a, b = np.triu_indices(n, 1)
        if link_only:
            centre = k["centre"].to_numpy()
            a, b = a[centre[a] != centre[b]], b[centre[a] != centre[b]]
        rnd = pd.MultiIndex.from_arrays([a, b])
    else:
        rnd = _random_pairs(k, n_random, link_only, seed)
    rlv = _levels(_compare(k, rnd, coded))
    u, m, counts = {}, {}, {}
    for name, prior_m in M_PRIORS.items():
        g = rlv[name].to_numpy()
        g = g[g >= 0]
        counts[name] = np.bincount(g, minlength=len(prior_m)).astype(float)
        m[name] = np.asarray(prior_m, dtype=float)

    def u_from(counts_: dict[str, np.ndarray], prior: float) -> dict[str, np.ndarray]:
        out = {}
        for name, c in counts_.items():
            # the random pairs hold about prior * N true matches: take them out
            c = np.clip(c - prior * c.sum() * m[name], 0, None)
            u0 = np.asarray(U_PRIORS[name])
            out[name] = (c + U_PRIOR_WEIGHT * u0) / (c.sum() + U_PRIOR_WEIGHT)
        return out

    u = u_from(counts, 0.0)
    tf = {}
    for name, col in (("first", "fk"), ("last", "lk")):
        freq = k[col].value_counts(normalize=True)
        tf[name] = freq
    model = FSModel(m=m, u=u, tf=tf)
    # prior match rate on the candidates (lambda-only EM, then optional m EM)
    w = model.weights(lv, comp)
    lam = 0.3
    for it in range(30 + em_iterations):
        logit = np.log2(lam / (1 - lam)) + w
        post = 1.0 / (1.0 + np.exp2(-np.clip(logit, -60, 60)))
        lam = float(np.clip(post.mean(), 1e-6, 1 - 1e-6))
        if it >= 30:
            for name in model.m:
                g = lv[name].to_numpy()
                ok = g >= 0
                num = np.bincount(g[ok], weights=post[ok], minlength=len(model.m[name]))
                model.m[name] = np.clip((num + 1.0) / (post[ok].sum() + len(num)), 1e-4, None)
            w = model.weights(lv, comp)
    expected = lam * len(lv)
    model.prior = float(np.clip(expected / max(total, 1.0), 1e-12, 0.5))
    model.u = u_from(counts, model.prior)
    return model


