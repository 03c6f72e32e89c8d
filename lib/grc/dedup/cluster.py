"""Review decisions, clustering with cannot-links and bridges, stable ids (stage 4)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from grc.dedup.keys import DECISION_COLUMNS


def load_decisions(path: str | Path) -> pd.DataFrame:
    """Review decisions (``params/dedup_decisions.csv``): ``same`` / ``different`` per pair."""
    p = Path(path)
    if not p.exists():
        return pd.DataFrame(columns=DECISION_COLUMNS)
    d = pd.read_csv(p, dtype=str, keep_default_na=False)
    missing = [c for c in DECISION_COLUMNS if c not in d.columns]
    if missing:
        raise ValueError(f"{p} : colonnes manquantes {missing} (attendu : {DECISION_COLUMNS})")
    d = d[DECISION_COLUMNS].apply(lambda s: s.str.strip())
    d["decision"] = d["decision"].str.lower()
    bad = ~d["decision"].isin(["same", "different"])
    if bad.any():
        raise ValueError(f"{p} : décision inconnue {sorted(set(d.loc[bad, 'decision']))}, "
                         "utilisez 'same' ou 'different'")
    return d.reset_index(drop=True)


def _decision_positions(k: pd.DataFrame, decisions: pd.DataFrame | None) -> pd.DataFrame:
    cols = ["a", "b", "decision"]
    if decisions is None or len(decisions) == 0:
        return pd.DataFrame(columns=cols)
    pos = pd.Series(np.arange(len(k)), index=k["centre"] + ":" + k["local_id"])
    pos = pos[~pos.index.duplicated()]
    d = decisions.astype(str)
    a = (d["centre_a"] + ":" + d["local_id_a"]).map(pos)
    b = (d["centre_b"] + ":" + d["local_id_b"]).map(pos)
    ok = a.notna() & b.notna() & (a != b)
    out = pd.DataFrame({"a": np.minimum(a[ok], b[ok]).astype(np.int64),
                        "b": np.maximum(a[ok], b[ok]).astype(np.int64),
                        "decision": d.loc[ok, "decision"].str.lower().to_numpy()})
    # the last decision on a pair wins
    return out.drop_duplicates(["a", "b"], keep="last").reset_index(drop=True)


# ----------------------------------------------------------------------------- clustering
def _components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    g = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    return connected_components(g, directed=False)[1]


def _cluster(k: pd.DataFrame, a: np.ndarray, b: np.ndarray, cap: np.ndarray, strong: np.ndarray,
             cannot: set[tuple[int, int]], max_component: int = 300) -> tuple[np.ndarray, dict]:
    """Cluster labels per record; components are split on cannot-link/contradictions/bridges."""
    n = len(k)
    labels = _components(n, a, b)
    sizes = np.bincount(labels)
    info = {"components_checked": 0, "edges_cut": 0}
    by_comp: dict[int, list[tuple[int, int]]] = {}  # cannot-links inside one component
    for x, y in sorted(cannot):
        if labels[x] == labels[y]:
            by_comp.setdefault(int(labels[x]), []).append((x, y))
    cannot_comp = set(by_comp)
    n_edges = np.bincount(labels[a], minlength=len(sizes)) if len(a) else np.zeros(len(sizes))
    incomplete = (sizes >= 3) & (n_edges < sizes * (sizes - 1) // 2)
    todo = set(np.flatnonzero(incomplete)) | cannot_comp
    if not todo:
        return labels, info
    email = k["email"].to_numpy(object)
    phone = k["phone"].to_numpy(object)
    mobile = k["mobile"].to_numpy(object)
    edge_comp = labels[a]
    todo_mask = np.zeros(len(sizes), dtype=bool)
    todo_mask[list(todo)] = True
    sel = todo_mask[edge_comp]
    edges = pd.DataFrame({"a": a[sel], "b": b[sel], "cap": cap[sel], "strong": strong[sel],
                          "comp": edge_comp[sel]})
    removed: list[tuple[int, int]] = []
    for comp, grp in edges.groupby("comp", sort=True):
        info["components_checked"] += 1
        g = nx.Graph()
        for x, y, c, s in zip(grp["a"], grp["b"], grp["cap"], grp["strong"], strict=True):
            g.add_edge(int(x), int(y), cap=float(c), strong=bool(s))
        nodes = sorted(g.nodes)
        separate = list(by_comp.get(int(comp), []))
        if len(nodes) <= max_component:
            idx = np.array(nodes)
            e, p, mo = email[idx], phone[idx], mobile[idx]
            for i in range(len(idx)):
                for j in range(i + 1, len(idx)):
                    if g.has_edge(nodes[i], nodes[j]):
                        continue
                    if e[i] is None or e[j] is None or e[i] == e[j]:
                        continue
                    ti = {v for v in (p[i], mo[i]) if v is not None}
                    tj = {v for v in (p[j], mo[j]) if v is not None}
                    if ti and tj and not ti & tj:
                        separate.append((nodes[i], nodes[j]))
        for x, y in separate:
            if not nx.has_path(g, x, y):
                continue
            _, (side_x, side_y) = nx.minimum_cut(g, x, y, capacity="cap")
            cut = [(u, v) for u, v in g.edges if (u in side_x) != (v in side_x)]
            g.remove_edges_from(cut)
            removed.extend(cut)
        # weak bridges joining two groups of at least two records
        for u, v in sorted(nx.bridges(g)):
            if g[u][v]["strong"]:
                continue
            data = g[u][v]
            g.remove_edge(u, v)
            if len(nx.node_connected_component(g, u)) >= 2 and \
                    len(nx.node_connected_component(g, v)) >= 2:
                removed.append((u, v))
            else:
                g.add_edge(u, v, **data)
    info["edges_cut"] = len(removed)
    if removed:
        rem = np.array([min(x, y) * n + max(x, y) for x, y in removed], dtype=np.int64)
        keep = ~np.isin(np.minimum(a, b).astype(np.int64) * n + np.maximum(a, b), rem)
        labels = _components(n, a[keep], b[keep])
    return labels, info


def _new_id(key: str, used: set[str]) -> str:
    salt = 0
    while True:
        text = key if salt == 0 else f"{key}#{salt}"
        cid = "C" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]
        if cid not in used:
            return cid
        salt += 1


def _assign_ids(k: pd.DataFrame, labels: np.ndarray,
                previous_links: pd.DataFrame | None) -> np.ndarray:
    """Stable contact ids: majority previous id (ties: smallest), else a hash of the cluster."""
    rk = (k["centre"] + ":" + k["local_id"]).to_numpy(object)
    n_lab = int(labels.max()) + 1 if len(labels) else 0
    size = np.bincount(labels, minlength=n_lab)
    # smallest record key of each cluster: itself for singletons, sorted keys for the others
    min_key = np.empty(n_lab, dtype=object)
    min_key[labels] = rk  # right for singletons
    multi = size[labels] > 1
    if multi.any():
        sub_lab, sub_rk = labels[multi], rk[multi].astype(str)
        order = np.lexsort((sub_rk, sub_lab))
        first = order[np.r_[True, sub_lab[order][1:] != sub_lab[order][:-1]]]
        min_key[sub_lab[first]] = rk[multi][first]
    ids = np.empty(n_lab, dtype=object)
    used: set[str] = set()
    if previous_links is not None and len(previous_links):
        df = pd.DataFrame({"label": labels, "rk": rk})
        prev = previous_links.astype({"centre": str, "local_id": str, "contact_id": str})
        prev = pd.Series(prev["contact_id"].to_numpy(),
                         index=prev["centre"] + ":" + prev["local_id"])
        prev = prev[~prev.index.duplicated(keep="last")]
        used |= set(prev.to_numpy())
        df["prev"] = df["rk"].map(prev)
        votes = df.dropna(subset=["prev"]).groupby(["label", "prev"]).size().rename("n")
        votes = votes.reset_index()
        votes["size"] = size[votes["label"].to_numpy()]
        votes["min_key"] = min_key[votes["label"].to_numpy()]
        # each cluster's preferred old id
        votes = votes.sort_values(["label", "n", "prev"], ascending=[True, False, True])
        best = votes.drop_duplicates("label")
        # an old id claimed by several clusters goes to the larger part
        best = best.sort_values(["prev", "n", "size", "min_key"],
                                ascending=[True, False, False, True])
        winners = best.drop_duplicates("prev")
        ids[winners["label"].to_numpy()] = winners["prev"].to_numpy()
    todo = np.flatnonzero(pd.isna(ids)) if n_lab else np.zeros(0, dtype=np.int64)
    hashed = np.array(["C" + hashlib.sha1(x.encode("utf-8")).hexdigest()[:10]
                       for x in min_key[todo]], dtype=object)
    clash = pd.Series(hashed).duplicated(keep=False).to_numpy()
    if used:
        clash |= np.isin(hashed, np.array(sorted(used), dtype=object))
    if not clash.any():  # the usual case: no salt needed, same ids as the ordered loop
        ids[todo] = hashed
    else:  # clusters in key order, salted until free
        for label in todo[np.argsort(min_key[todo].astype(str), kind="stable")]:
            cid = _new_id(min_key[label], used)
            ids[label] = cid
            used.add(cid)
    return ids[labels] if len(labels) else np.zeros(0, dtype=object)


