"""Return files: written for a centre's reception, filled as a receptionist would, imported
back, applied at the next run (grc.returns.write, grc.returns.imports, ``grc returns import``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from grc.cli import main
from grc.config import load_config
from grc.pipeline.integrate import run_pipeline
from grc.returns import imports as I
from grc.returns import write as W
from grc.schema import FIELD_LABELS
from openpyxl import load_workbook


@pytest.fixture(scope="module")
def net(tmp_path_factory) -> Path:
    """2 centres, 400 clients, 2024 integrated (2025 waiting): read-only for the tests."""
    from grc.demo.generator import generate

    out = tmp_path_factory.mktemp("returns") / "net"
    generate(out, centres=2, contacts=400, years="2024-2025", seed=0)
    run_pipeline(load_config(out / "network.yaml").with_year(2024), progress=False)
    return out


def _con(d: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(d / "processed" / "network.duckdb"), read_only=True)


def _busiest(d: Path) -> str:
    """The centre with the most probable duplicates in its return file."""
    con = _con(d)
    p = con.execute("SELECT * FROM dedup_pairs").df()
    con.close()
    counts = {c: len(W.centre_pairs(p, c) if W.centre_pairs(p, c) is not None else [])
              for c in load_config(d / "network.yaml").centre_codes()}
    return max(counts, key=counts.get)


def _cols(ws) -> dict[str, int]:
    return {c.value: c.column for c in ws[1]}


def test_return_file_speaks_the_centres_language(net):
    code = _busiest(net)
    wb = load_workbook(net / "processed" / "retours" / f"{code}.xlsx")
    assert wb.sheetnames == ["Mode d'emploi", "À corriger", "NPAI", "Doublons probables",
                             "Synthèse", "_grc"]
    assert wb["_grc"].sheet_state == "hidden"
    guide = " ".join(str(v) for row in wb["Mode d'emploi"].values for v in row if v)
    assert "Ce que vous renvoyez" in guide and f"{code}.xlsx" in guide
    fix = wb["À corriger"]
    head = [c.value for c in fix[1]]
    assert head[:6] == ["Identifiant", "Nom", "Champ", "Valeur reçue", "Motif", "Correction proposée"]
    rows = list(fix.iter_rows(min_row=2, values_only=True))
    assert rows and {r[2] for r in rows} <= set(FIELD_LABELS.values()) | {"Fiche entière"}
    assert any(r[5] for r in rows), "a proposed correction where the product knows it"
    assert fix.freeze_panes == "A2" and fix.auto_filter.ref.startswith("A1:")
    assert fix.column_dimensions["I"].hidden  # the key column
    dup = wb["Doublons probables"]
    dh = _cols(dup)
    assert "Nom (fiche 1)" in dh and "Dernier séjour (fiche 2)" in dh and "Décision" in dh
    text = " ".join(str(c) for c in dh)
    for internal in ("centre_a", "local_id_b", "lvl_", "first_sim", "override", "score"):
        assert internal not in text
    dv = dup.data_validations.dataValidation
    assert len(dv) == 1 and dv[0].formula1 == '"même client,clients différents,je ne sais pas"'
    assert str(dv[0].sqref).startswith("A2:A")
    assert any(c.fill.fgColor.rgb.endswith("FCE4D6") for row in dup.iter_rows(min_row=2)
               for c in row), "differences highlighted"
    syn = wb["Synthèse"]
    assert [c.value for c in syn[1]] == ["Indicateur", "Export 2023", "Export 2024", "Évolution"]


def test_hostile_values_stay_text(tmp_path):
    q = pd.DataFrame([{"centre": "LAT", "local_id": "=1+1", "year": 2025, "exported": True,
                       "last_name": "=HYPERLINK(\"http://x\")", "first_name": "A\x0bB",
                       "npai": True, "address1": "@SUM(A1)", "postcode": "86000",
                       "city": "-2+3"}])
    iss = pd.DataFrame([{"centre": "LAT", "local_id": "=1+1", "field": "email",
                         "code": "invalid_email", "message": "+33 invalide",
                         "value": "=cmd|' /C calc'!A0", "suggestion": None}])
    p = W.write_return_file(tmp_path, "LAT", q, iss)
    wb = load_workbook(p)
    for ws in wb:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
    assert wb["À corriger"]["D2"].value == "=cmd|' /C calc'!A0"
    assert "A[U+000B]B" in wb["NPAI"]["B2"].value


def _pairs_to_ask(d: Path, code: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, str]:
    """The file's pairs (pipeline's) plus one candidate pair the model left apart (asked "à
    vérifier"), the centre's records and issues, and the key of two records that are not a
    candidate pair at all."""
    con = _con(d)
    pairs = con.execute("SELECT * FROM dedup_pairs").df()
    q = con.execute("SELECT * FROM qualified WHERE centre = ? AND exported", [code]).df()
    iss = con.execute("SELECT * FROM quality_issues WHERE centre = ? AND year = 2024", [code]).df()
    con.close()
    asked = W.centre_pairs(pairs, code)
    apart = pairs[(pairs["centre_a"] == code) & (pairs["centre_b"] == code)
                  & (pairs["decision"] == "non-match") & ~pairs["same_contact"]]
    apart = apart.sort_values("score", ascending=False)
    extra = apart.head(1).assign(decision="review")
    assert len(extra) == 1, "a candidate pair the model kept apart"
    cands = {W.pair_key(*r) for r in pairs[["centre_a", "local_id_a", "centre_b", "local_id_b"]]
             .astype(str).itertuples(index=False)}
    ids = sorted(q["local_id"])
    spare = next(W.pair_key(code, ids[0], code, x) for x in ids[1:]
                 if W.pair_key(code, ids[0], code, x) not in cands)
    return pd.concat([asked, extra], ignore_index=True), q, iss, spare


def _rows(ws) -> list[list]:
    return [[c.value for c in row] for row in ws.iter_rows(min_row=2)]


def _rewrite(ws, rows: list[list]) -> None:
    """Put rows back in a new order (what "Trier" does), cell values only."""
    for i, row in enumerate(rows, start=2):
        for j, v in enumerate(row, start=1):
            ws.cell(i, j).value = v
    for i in range(len(rows) + 2, ws.max_row + 1):
        for j in range(1, ws.max_column + 1):
            ws.cell(i, j).value = None


def _fill_like_reception(path: Path, code: str, apart_key: str, other_key: str) -> dict:
    """Answer the file as a receptionist: drop-down choices, a row deleted, rows re-sorted,
    a filter hiding rows, and a few mistakes. Returns what was answered.

    ``apart_key``: the pair the model kept apart (answered "même client"); ``other_key``: two
    records that are no candidate pair (a stale row)."""
    wb = load_workbook(path)
    dup = wb["Doublons probables"]
    h = _cols(dup)
    key_col, dec_col = h[W.KEY_HEADER] - 1, h["Décision"] - 1
    rows = _rows(dup)
    same = next(r for r in rows if r[key_col] == apart_key)
    assert same[h["Avis du siège"] - 1] == "à vérifier"
    others = sorted((r for r in rows if r is not same),
                    key=lambda r: not r[h["Avis du siège"] - 1].startswith("fusionnés"))
    assert len(others) >= 4 and others[0][h["Avis du siège"] - 1].startswith("fusionnés")
    different, unsure, bad, unknown = others[:4]
    same[dec_col], different[dec_col], unsure[dec_col] = "même client", "Clients différents ", \
        "je ne sais pas"
    bad[dec_col] = "peut-être"
    unknown[dec_col] = "même client"
    unknown[key_col] = f"{code}:INCONNU|" + unknown[key_col].split("|")[1]
    stale = list(others[-1])  # a row pointing at a pair that is not proposed any more
    stale[dec_col], stale[key_col] = "même client", other_key
    gone = others[4] if len(others) > 5 else None
    rows = [stale] + [r for r in reversed(rows) if r is not gone]  # sorted, one row deleted
    _rewrite(dup, rows)
    dup.row_dimensions[3].hidden = True  # a filter left on: hidden rows are still read
    answered = {"same": same[key_col], "different": different[key_col], "bad": bad[key_col],
                "rows": {r[key_col]: i for i, r in enumerate(rows, start=2)}}
    fix = wb["À corriger"]
    fh = _cols(fix)
    frows = _rows(fix)
    for r in frows[:3]:
        r[fh["Votre réponse"] - 1] = "corrigé dans le logiciel"
    frows[3][fh["Votre réponse"] - 1] = "la valeur est exacte"
    frows[4][fh["Votre réponse"] - 1] = "le client demande l'effacement"
    answered["fixed"] = [r[fh[W.KEY_HEADER] - 1] for r in frows[:3]]
    frows = sorted(frows[:-2], key=lambda r: str(r[fh["Champ"] - 1]), reverse=True)  # 2 deleted
    _rewrite(fix, frows)
    npai = wb["NPAI"]
    nh = _cols(npai)
    npai.cell(2, nh["Votre réponse"]).value = "adresse vérifiée, exacte"
    npai.cell(2, nh["Commentaire"]).value = "appelé le client, adresse confirmée"
    answered["npai"] = npai.cell(2, nh[W.KEY_HEADER]).value
    wb.save(path)
    return answered


def test_round_trip_next_year(net, tmp_path, capsys):
    d = tmp_path / "net"
    shutil.copytree(net, d)
    cfg = load_config(d / "network.yaml")
    code = _busiest(d)
    other = next(c for c in cfg.centre_codes() if c != code)
    pairs, q, iss, spare_key = _pairs_to_ask(d, code)
    sent = W.write_return_file(tmp_path / "envoyé", code, q, iss, pairs, year=2024)
    back = tmp_path / "reçus" / f"{code}.xlsx"
    back.parent.mkdir()
    shutil.copy(sent, back)
    apart_key = W.pair_key(*pairs[["centre_a", "local_id_a", "centre_b", "local_id_b"]].iloc[-1])
    answered = _fill_like_reception(back, code, apart_key, spare_key)
    wrong = tmp_path / "reçus" / f"{other}.xlsx"  # the centre sent its file under another name
    shutil.copy(back, wrong)

    rc = main(["returns", "import", "--config", str(d / "network.yaml"), str(back), str(wrong)])
    out = capsys.readouterr().out
    assert rc == 1  # some answers refused, the others recorded
    where = f"Fichier {code}.xlsx, feuille « Doublons probables », ligne"
    rows = answered["rows"]
    unknown = next(k for k in rows if ":INCONNU|" in k)
    assert f"{where} {rows[unknown]} : la paire n'existe plus : identifiant « INCONNU » inconnu" in out
    assert f"{where} {rows[spare_key]} : la paire" in out and "n'est plus proposée" in out
    assert "réponse « peut-être » non prévue" in out
    assert "1 demande(s) d'effacement transmise(s)" in out and "rien n'est effacé d'office" in out
    assert f"Fichier {other}.xlsx : ce fichier est le fichier retour du centre {code}, pas celui " \
           f"de {other}" in out

    again = main(["returns", "import", "--config", str(d / "network.yaml"), str(back)])
    assert again == 1 and f"Fichier {code}.xlsx : déjà importé le" in capsys.readouterr().out
    dec = pd.read_csv(I.decisions_path(cfg), dtype=str)
    assert sorted(dec["decision"]) == ["different", "same"]
    assert set(dec["decided_by"]) == {f"centre {code}"} and dec["decided_at"].str.len().min() >= 19
    assert set(dec["pair_key"]) == {answered["same"], answered["different"]}

    # a client of an answered pair asks to be erased: the centre's answer goes with the record
    erased = answered["bad"].split("|")[0].split(":", 1)
    with open(d / "erasure_requests.csv", "a", encoding="utf-8") as f:
        f.write(f"{erased[0]},{erased[1]},\n")
    run_pipeline(cfg, progress=False)  # the next year
    con = _con(d)
    links = con.execute("SELECT centre, local_id, contact_id FROM record_links").df()
    base_dec = con.execute("SELECT * FROM dedup_decisions").df()
    answers = con.execute("SELECT * FROM return_answers").df()
    fu = I.correction_followup(con, 2025)
    fu_detail = I.correction_followup(con, 2025, detail=True)
    # the follow-up is also a measure family: the summary and pages read it from there
    stored = con.execute("SELECT scope, measure, value FROM measures WHERE year = 2025 "
                         "AND measure LIKE 'correction:%'").df()
    want = {(c, f"correction:{s}"): float(n)
            for (c, s), n in fu.groupby(["centre", "status"])["count"].sum().items()}
    assert {(r.scope, r.measure): r.value for r in stored.itertuples()
            if r.scope != "NETWORK"} == want and want
    erased_ids = set(iss["local_id"]) - set(con.execute(
        "SELECT local_id FROM records WHERE centre = ?", [code]).df()["local_id"])
    con.close()
    cid = links.set_index(["centre", "local_id"])["contact_id"]

    def ids(key: str) -> tuple[str, str]:
        a, b = (x.split(":", 1) for x in key.split("|"))
        return cid[tuple(a)], cid[tuple(b)]

    a, b = ids(answered["same"])
    assert a == b, "« même client » merges the pair"
    a, b = ids(answered["different"])
    assert a != b, "« clients différents » separates the pair"
    # the base keeps who decided what and when, and that the run applied it
    assert set(base_dec["decided_by"]) == {f"centre {code}"}
    assert base_dec["applied"].astype(bool).all() and base_dec["decided_at"].notna().all()
    assert {"enregistrée", "refusée"} <= set(answers["status"])
    assert (answers["decided_by"] == f"centre {code}").all()
    assert erased[1] not in set(answers["local_id_a"]) | set(answers["local_id_b"])
    npai = answers[answers["kind"] == "npai"].iloc[0]
    assert npai["key"] == answered["npai"] and npai["answer"] == "adresse vérifiée, exacte"
    assert npai["comment"] == "appelé le client, adresse confirmée"
    # decided pairs are not asked again next year
    wb = load_workbook(d / "processed" / "retours" / f"{code}.xlsx")
    keys = {r[-1] for r in wb["Doublons probables"].iter_rows(min_row=2, values_only=True)}
    assert answered["same"] not in keys and answered["different"] not in keys
    syn = {r[0]: r[1:] for r in wb["Synthèse"].iter_rows(min_row=2, values_only=True)}
    assert syn["Contacts exportés"][0] is not None  # last year's figure beside this year's
    mine_fu = dict(zip(fu.loc[fu["centre"] == code, "status"], fu.loc[fu["centre"] == code, "count"],
                       strict=True))
    assert syn[W.CORRECTION_ROWS["appliquée"]][1] == mine_fu.get("appliquée", 0)
    assert syn[W.CORRECTION_ROWS["contredite"]][1] == mine_fu.get("contredite", 0)
    # next year's figures on the returned corrections
    assert list(fu.columns) == ["centre", "year", "status", "label", "count"]
    assert set(fu["status"]) <= set(I.FOLLOWUP_LABELS)
    # every correction sent (but the erased client's) has one status
    sent = iss[iss["code"].isin(W.TO_FIX)].drop_duplicates(["local_id", "field", "code"])
    kept = sent[~sent["local_id"].isin(erased_ids)]
    assert int(fu.loc[fu["centre"] == code, "count"].sum()) == len(kept)
    # the erased client's corrections are followed no more (whether or not they had any)
    assert not set(fu_detail.loc[fu_detail["centre"] == code, "local_id"]) & set(erased_ids)
    mine = fu_detail[fu_detail["answer"].eq("corrigé dans le logiciel")]
    assert len(mine) == 3 and set(mine["status"]) <= {"appliquée", "contredite", "retirée"}
    # the head office's log
    log = pd.read_csv(d / "processed" / "exports" / "returns_log.csv")
    row = log[(log["centre"] == code) & (log["annee_export"] == 2024)].iloc[0]
    assert row["decisions_meme_client"] == 1 and row["decisions_clients_differents"] == 1
    # refused: the unknown identifier and the stale pair (the "peut-être" went with the erasure)
    assert row["decisions_appliquees"] == 2 and row["reponses_refusees"] == 2
    assert row["corrections_annoncees"] == 3 and row["valeurs_confirmees"] == 1
    assert row["demandes_effacement"] == 1

    run_pipeline(cfg, progress=False)  # and the run after: never merged again
    con = _con(d)
    cid = con.execute("SELECT centre, local_id, contact_id FROM record_links").df() \
        .set_index(["centre", "local_id"])["contact_id"]
    con.close()
    a, b = ids(answered["different"])
    assert a != b


# ----------------------------------------------------------------------------- LibreOffice
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_soffice = pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice absent (soffice introuvable) : « make libreoffice » "
    "installe le paquet Debian libreoffice-calc")
LAPTOP_WIDTH = 1366


def _convert(src: Path, fmt: str, out: Path, profile: Path) -> Path:
    """``soffice --headless --convert-to fmt``; fails the test on any error."""
    import subprocess

    out.mkdir(parents=True, exist_ok=True)
    res = subprocess.run([SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                          "--convert-to", fmt, "--outdir", str(out), str(src)],
                         capture_output=True, text=True, timeout=300)
    target = out / (src.stem + "." + fmt.split(":")[0])
    assert res.returncode == 0 and target.exists(), (res.stdout, res.stderr)
    assert "Error" not in res.stderr, res.stderr
    return target


def _artifacts() -> Path:
    import os

    from grc.config import project_root

    d = Path(os.environ.get("GRC_ARTIFACTS_DIR") or project_root() / "reports" / "screenshots")
    d = d / "retours"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _png(pdf: Path, dest: Path, profile: Path) -> None:
    """The first page of ``pdf`` as a PNG ``LAPTOP_WIDTH`` pixels wide."""
    import subprocess

    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-singlefile", "-f", "1", "-l", "1", "-scale-to-x",
                        str(LAPTOP_WIDTH), "-scale-to-y", "-1", str(pdf), str(dest.with_suffix(""))],
                       check=True, timeout=120)
    else:  # LibreOffice draws the first page itself
        shutil.copy(_convert(pdf, "png", pdf.parent / "png", profile), dest)
    assert dest.exists() and dest.stat().st_size > 1000


@needs_soffice
def test_libreoffice_opens_converts_and_resaves(net, tmp_path):
    code = _busiest(net)
    src = tmp_path / f"{code}.xlsx"
    shutil.copy(net / "processed" / "retours" / f"{code}.xlsx", src)
    wb = load_workbook(src)
    dup = wb["Doublons probables"]
    dup["A2"] = "clients différents"
    wb.save(src)
    profile = tmp_path / "lo-profile"
    # re-saved by LibreOffice: the drop-down, the hidden sheet and the answers survive
    resaved = _convert(src, "xlsx", tmp_path / "libreoffice", profile)
    lo = load_workbook(resaved)
    assert lo["_grc"].sheet_state == "hidden"
    assert any("même client" in (v.formula1 or "") for v in
               lo["Doublons probables"].data_validations.dataValidation)
    known = set(load_config(net / "network.yaml").centre_codes())
    a = I.read_return_file(src, known)
    b = I.read_return_file(resaved, known, expected_centre=code)
    assert not a.problems and not b.problems and b.centre == code
    assert [(x["key"], x["answer"]) for x in a.answers] == \
        [(x["key"], x["answer"]) for x in b.answers] != []
    # each sheet as a centre sees it, laptop width
    shots = _artifacts()
    names = [ws.title for ws in wb.worksheets if ws.sheet_state == "visible"]
    for n, title in enumerate(names, start=1):
        one = load_workbook(src)
        for ws in one.worksheets:
            ws.sheet_state = "visible" if ws.title == title else "hidden"
        one.active = one.sheetnames.index(title)
        single = tmp_path / "sheets" / f"{code}_{n}.xlsx"
        single.parent.mkdir(exist_ok=True)
        one.save(single)
        pdf = _convert(single, "pdf", tmp_path / "pdf", profile)
        _png(pdf, shots / f"{code}__{n}_{title.replace(' ', '_')}.png", profile)
    print(f"Captures des feuilles du fichier retour : {shots}")
    assert len(list(shots.glob(f"{code}__*.png"))) >= len(names) == 5


def test_unreadable_or_anonymous_files(tmp_path):
    known = {"LAT", "CAP"}
    bad = tmp_path / "LAT.xlsx"
    bad.write_text("pas un classeur")
    assert "Fichier LAT.xlsx : illisible" in I.read_return_file(bad, known).problems[0]
    assert "introuvable" in I.read_return_file(tmp_path / "absent.xlsx", known).problems[0]
    from openpyxl import Workbook

    wb = Workbook()
    wb.save(tmp_path / "copie.xlsx")
    rf = I.read_return_file(tmp_path / "copie.xlsx", known)
    assert rf.centre is None and "impossible de savoir de quel centre" in rf.problems[0]
    q = pd.DataFrame([{"centre": "LAT", "local_id": "1", "year": 2025, "npai": False}])
    p = W.write_return_file(tmp_path / "out", "LAT", q, pd.DataFrame(columns=["centre", "code"]))
    rf = I.read_return_file(p, known, expected_centre="CAP")
    assert rf.centre is None and "pas celui de CAP" in rf.problems[0]
    assert I.read_return_file(p, known).centre == "LAT"


def test_differences_highlighted_on_what_differs(tmp_path):
    """"M." and "Monsieur", "01 23…" and "+33 1 23…" are the same; "Duval" and "Dvual" are not."""
    rec = {"centre": "LAT", "year": 2025, "civility": "M", "first_key": "alain",
           "phone": "+33123456789", "email": "a.duval@free.fr", "npai": False}
    q = pd.DataFrame([
        {**rec, "local_id": "1", "civility_raw": "M.", "first_name_raw": "Alain",
         "last_name_raw": "Duval", "last_key": "duval", "phone_raw": "01 23 45 67 89"},
        {**rec, "local_id": "2", "civility_raw": "Monsieur", "first_name_raw": "Alain",
         "last_name_raw": "DUVAL", "last_key": "duval", "phone_raw": "+33 1 23 45 67 89",
         "email": "alain.duval@free.fr"},
        {**rec, "local_id": "3", "civility_raw": "M", "first_name_raw": "Alain",
         "last_name_raw": "Dvual", "last_key": "dvual", "phone_raw": "0123456789"}])
    pairs = pd.DataFrame({"centre_a": "LAT", "local_id_a": ["1", "1"], "centre_b": "LAT",
                          "local_id_b": ["2", "3"], "score": [9.0, 8.0], "decision": "review"})
    p = W.write_return_file(tmp_path, "LAT", q, pd.DataFrame(columns=["centre", "code"]), pairs)
    ws = load_workbook(p)["Doublons probables"]
    h = _cols(ws)

    def lit(row: int, head: str) -> bool:
        return ws.cell(row, h[head]).fill.fgColor.rgb.endswith("FCE4D6")

    assert ws.cell(2, h["Nom (fiche 2)"]).value == "Monsieur Alain DUVAL"  # as the software has it
    assert not lit(2, "Nom (fiche 1)") and not lit(2, "Téléphone (fiche 2)")
    assert lit(2, "E-mail (fiche 1)") and lit(2, "E-mail (fiche 2)")
    assert lit(3, "Nom (fiche 1)") and lit(3, "Nom (fiche 2)") and not lit(3, "E-mail (fiche 2)")
