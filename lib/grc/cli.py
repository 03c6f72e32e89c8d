"""Command line: ``grc generate | run | check | map | extract | history | purge | pdf |
returns import | course release``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from grc import __version__


def _cmd_generate(args: argparse.Namespace) -> int:
    from grc.demo.generator import generate

    out = Path(args.out)
    summary = generate(out, centres=args.centres, contacts=args.contacts, years=args.years, seed=args.seed)
    print(f"Réseau de démonstration écrit dans {out} : {summary['centres']} centres, "
          f"{summary['entities']} clients, {summary['records']} fiches, années "
          f"{summary['years'][0]}–{summary['years'][-1]}.")
    print(f"Configuration : {out / 'network.yaml'} ; vérité terrain (non lue par le traitement) : "
          f"{out / 'truth'}")
    return 0


def _where(problem: object) -> str:
    """A problem's text without its own severity tag (the caller prints its own)."""
    text = str(problem)
    return text.split("] ", 1)[1] if text.startswith("[") and "] " in text else text


def _cmd_check(args: argparse.Namespace) -> int:
    """Exit 0: nothing to fix; 1: blocking (the run would refuse the export); 2: warnings only."""
    from grc.config import ConfigError, load_config
    from grc.readers.exports import ExportError, read_centre

    year = args.year
    try:
        cfg = load_config(args.config)
        year = args.year or cfg.year
        centre = cfg.centre(args.centre)
        ex = read_centre(centre, cfg.export_dir(centre.code, year), year)
    except ConfigError as exc:
        print(f"BLOQUANT : {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"BLOQUANT : fichier illisible ({exc.strerror}) : {exc.filename}. Vérifiez ses droits "
              "d'accès ou recopiez-le.", file=sys.stderr)
        return 1
    except ExportError as exc:
        print(f"Export {args.centre} {year} refusé : {len(exc.problems)} problème(s) BLOQUANT(S) "
              "(« grc run » garderait les données de l'an dernier pour ce centre) :", file=sys.stderr)
        for p in exc.problems[: args.max]:
            print(f"  BLOQUANT {_where(p)}", file=sys.stderr)
        return 1
    print(f"Centre {centre.code} ({centre.name}), export {year} : {len(ex.contacts)} contacts, "
          f"{len(ex.stays)} séjours.")
    errors = [p for p in ex.problems if p.severity == "erreur"]
    warnings = [p for p in ex.problems if p.severity != "erreur"]
    for label, probs in (("BLOQUANT", errors), ("AVERTISSEMENT", warnings)):
        for p in probs[: args.max]:
            print(f"  {label} {_where(p)}")
        if len(probs) > args.max:
            print(f"  … et {len(probs) - args.max} autres (--max pour en voir plus)")
    if errors:
        print(f"{len(errors)} problème(s) bloquant(s) et {len(warnings)} avertissement(s).")
        return 1
    if warnings:
        print(f"Aucun problème bloquant ; {len(warnings)} avertissement(s) : lignes intégrées mais à "
              "corriger par le centre (voir ci-dessus et le fichier de retour).")
        return 2
    print("Aucun problème : l'export est conforme à la table de correspondance.")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    import duckdb

    from grc.config import ConfigError, load_config
    from grc.pipeline import PipelineError
    from grc.pipeline.run import run_all
    from grc.store.base import BaseError

    previous = _interrupt_on_sigterm()
    try:
        cfg = load_config(args.config)
        if args.year:
            cfg = cfg.with_year(args.year)
        return run_all(cfg, centres=args.centre or None, jobs=args.jobs, force=args.force,
                       reports=not args.no_reports, with_code=args.with_code,
                       progress=not args.quiet)
    except (ConfigError, PipelineError, BaseError) as exc:
        print(f"ERREUR : {exc}", file=sys.stderr)
        return 1
    except (OSError, duckdb.IOException) as exc:
        print(f"ERREUR : {_write_failure(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("ERREUR : traitement interrompu ; la base réseau reste dans son dernier état validé "
              "et les copies de travail ont été supprimées.", file=sys.stderr)
        return 130
    finally:
        import signal

        signal.signal(signal.SIGTERM, previous)


def _interrupt_on_sigterm():
    """SIGTERM (a stopped service, a time limit) ends the run as Ctrl-C does: every clean-up
    runs (working copies removed, notebook workers stopped). Returns the previous handler."""
    import signal

    main_pid = os.getpid()

    def handler(signum, frame):
        if os.getpid() != main_pid:  # a helper forked by the run: leave at once
            os._exit(128 + signum)
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, handler)


def _write_failure(exc: Exception) -> str:
    """French message for a folder that cannot be written (read-only, full disk)."""
    import errno

    reasons = {errno.ENOSPC: "disque plein", errno.EDQUOT: "quota disque dépassé",
               errno.EROFS: "disque en lecture seule", errno.EACCES: "dossier en lecture seule ou "
               "droits insuffisants", errno.EPERM: "droits insuffisants"}
    code = getattr(exc, "errno", None)
    reason = reasons.get(code) if code else None
    if reason is None:
        low = str(exc).lower()
        reason = "disque plein" if "no space" in low else "écriture ou lecture impossible"
    where = getattr(exc, "filename", None)
    return (f"{reason}{f' ({where})' if where else ''} : le traitement s'est arrêté et la base "
            "réseau n'a pas été modifiée. Libérez de la place ou rendez le dossier inscriptible, "
            "puis relancez « grc run ».")


def _cmd_history(args: argparse.Namespace) -> int:
    from grc.config import load_config
    from grc.store.history import contact_history, format_history

    cfg = load_config(args.config)
    frames = contact_history(cfg, args.contact_id)
    if frames["records"].empty:
        print(f"Contact inconnu : {args.contact_id}", file=sys.stderr)
        return 1
    print(format_history(args.contact_id, frames))
    return 0


def _cmd_purge(args: argparse.Namespace) -> int:
    from grc.config import load_config
    from grc.store.base import BaseError
    from grc.store.retention import purge

    cfg = load_config(args.config)
    try:
        res = purge(cfg, before=args.before, dry_run=args.dry_run)
    except BaseError as exc:  # e.g. a « grc run » is writing the base
        print(f"ERREUR : {exc}", file=sys.stderr)
        return 1
    print(res.summary())
    return 0


def _cmd_pdf(args: argparse.Namespace) -> int:
    from grc.config import ConfigError, load_config
    from grc.reports.pdf import PdfError, write_centre_pdfs

    try:
        cfg = load_config(args.config)
        codes = args.centre or cfg.centre_codes()
        unknown = sorted(set(codes) - set(cfg.centre_codes()))
        if unknown:
            raise ConfigError(f"Centre inconnu : {', '.join(unknown)}")
        written = write_centre_pdfs(cfg.reports_dir, codes, progress=not args.quiet)
    except (ConfigError, PdfError) as exc:
        print(f"ERREUR : {exc}", file=sys.stderr)
        return 1
    if not written:
        print("ERREUR : aucune page de centre à imprimer ; lancez d'abord « grc run ».",
              file=sys.stderr)
        return 1
    print(f"{len(written)} PDF écrits dans {written[0].parent}")
    return 0


def _cmd_returns_import(args: argparse.Namespace) -> int:
    from grc.config import ConfigError, load_config
    from grc.returns.imports import import_returns
    from grc.store.base import BaseError

    try:
        cfg = load_config(args.config)
        res = import_returns(cfg, args.files, expected_centre=args.centre)
    except (ConfigError, BaseError) as exc:
        print(f"ERREUR : {exc}", file=sys.stderr)
        return 1
    print(res.summary())
    if res.log_file:
        print(f"Suivi des retours : {res.log_file}")
    return 1 if res.problems else 0


def _cmd_extract(argv: list[str]) -> int:
    from grc.campaigns.extract import cli_extract

    return cli_extract(argv)


def _cmd_map(args: argparse.Namespace) -> int:
    from grc.readers.mapping import draft_table, render_yaml, summary_lines

    out = Path(args.out)
    if out.exists() and not args.force:
        print(f"ERREUR : {out} existe déjà (table relue ?) ; --force pour l'écraser.",
              file=sys.stderr)
        return 1
    try:
        draft = draft_table(args.contacts, args.stays, args.code)
    except (OSError, ValueError) as exc:
        print(f"ERREUR : {exc}", file=sys.stderr)
        return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_yaml(draft, args.name), encoding="utf-8")
    print(f"Brouillon de table de correspondance écrit dans {out}.")
    for line in summary_lines(draft):
        print(f"  {line}")
    print(f"Relire les lignes « à vérifier » / « à décider », placer la table dans le dossier "
          f"des tables du réseau, puis : grc check --config <network.yaml> --centre {args.code}")
    return 0


def _add_map_parser(sub: argparse._SubParsersAction) -> None:
    m = sub.add_parser("map", help="rédiger le brouillon de table de correspondance d'un centre")
    m.add_argument("--contacts", required=True, help="export des contacts (.csv ou .xlsx)")
    m.add_argument("--stays", help="export des séjours (.csv ou .xlsx)")
    m.add_argument("--code", required=True, help="code du centre (nom du fichier de table)")
    m.add_argument("--out", required=True, help="table à écrire, par exemple CODE.yaml")
    m.add_argument("--name", help="nom du centre")
    m.add_argument("--force", action="store_true", help="écraser une table existante")
    m.set_defaults(func=_cmd_map)


def _cmd_course(args: argparse.Namespace) -> int:
    """``grc course release --out DIR``: the Marielle Nature course as an nbgrader course folder."""
    from grc.course.release import ReleaseError, release

    try:
        paths = release(Path(args.out))
    except ReleaseError as exc:
        print(f"ERREUR : {exc}", file=sys.stderr)
        return 1
    print(f"Cours écrit dans {args.out} :")
    for label, path in paths.items():
        print(f"  {label} : {path}")
    print(f"Puis, dans {args.out} : nbgrader generate_assignment marielle_nature")
    return 0


def _add_course_parser(sub) -> None:
    co = sub.add_parser("course", help="cours Marielle Nature (BTS NDRC) pour nbgrader")
    co_sub = co.add_subparsers(dest="course_command", required=True)
    rel = co_sub.add_parser("release", help="écrire le dossier de cours nbgrader")
    rel.add_argument("--out", required=True, help="dossier du cours (source/marielle_nature, nbgrader_config.py)")
    rel.set_defaults(func=_cmd_course)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="grc", description="Base réseau des centres : qualification, "
                                "dédoublonnage, segmentation, RFM et rapports.")
    p.add_argument("--version", action="version", version=f"grc {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    g = sub.add_parser("generate", help="générer un réseau de démonstration")
    g.add_argument("--out", required=True, help="dossier de sortie")
    g.add_argument("--centres", type=int, default=50, help="nombre de centres (50)")
    g.add_argument("--contacts", type=int, default=6000, help="nombre de clients du réseau (6000)")
    g.add_argument("--years", default="2022-2025", help="années des exports (2022-2025)")
    g.add_argument("--seed", type=int, default=0, help="graine aléatoire (0)")
    g.set_defaults(func=_cmd_generate)

    r = sub.add_parser("run", help="intégrer l'année et produire les rapports")
    r.add_argument("--config", required=True)
    r.add_argument("--centre", action="append", help="ne relire que ce centre (répétable)")
    r.add_argument("--year", type=int, help="année à intégrer (défaut : celle de la config)")
    r.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="exécutions en parallèle")
    r.add_argument("--force", action="store_true", help="tout recalculer")
    r.add_argument("--no-reports", action="store_true", help="sans les carnets ni le HTML")
    r.add_argument("--with-code", action="store_true", help="HTML avec le code (étudiants, analystes)")
    r.add_argument("--quiet", action="store_true")
    r.set_defaults(func=_cmd_run)

    c = sub.add_parser("check", help="vérifier l'export d'un centre (n'écrit rien ; code de sortie 0 : "
                       "conforme, 1 : problème bloquant, 2 : avertissements seulement)")
    c.add_argument("--config", required=True)
    c.add_argument("--centre", required=True)
    c.add_argument("--year", type=int)
    c.add_argument("--max", type=int, default=50, help="nombre de problèmes affichés")
    c.set_defaults(func=_cmd_check)

    h = sub.add_parser("history", help="lignée d'un contact du réseau")
    h.add_argument("contact_id")
    h.add_argument("--config", default="params/network.yaml")
    h.set_defaults(func=_cmd_history)

    pg = sub.add_parser("purge", help="anonymiser les contacts au-delà de la durée de conservation")
    pg.add_argument("--config", required=True)
    pg.add_argument("--before", required=True, help="date AAAA-MM-JJ : fin de relation avant cette date")
    pg.add_argument("--dry-run", action="store_true", help="dire ce qui partirait, sans rien changer")
    pg.set_defaults(func=_cmd_purge)

    pdf = sub.add_parser("pdf", help="un PDF par centre (synthèse et quatre pages)")
    pdf.add_argument("--config", required=True)
    pdf.add_argument("--centre", action="append", help="ce centre seulement (répétable)")
    pdf.add_argument("--quiet", action="store_true")
    pdf.set_defaults(func=_cmd_pdf)

    rt = sub.add_parser("returns", help="fichiers retour des centres")
    rt_sub = rt.add_subparsers(dest="returns_command", required=True)
    ri = rt_sub.add_parser("import", help="lire les fichiers retour renvoyés par les centres "
                           "(décisions appliquées au prochain grc run)")
    ri.add_argument("--config", required=True)
    ri.add_argument("--centre", help="centre attendu (défaut : le nom du fichier, CODE.xlsx)")
    ri.add_argument("files", nargs="+", metavar="FICHIER", help="fichiers .xlsx renvoyés")
    ri.set_defaults(func=_cmd_returns_import)

    _add_course_parser(sub)

    sub.add_parser("extract", help="extraire un fichier ciblé (voir grc extract --help)", add_help=False)
    _add_map_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "extract":
        return _cmd_extract(argv[1:])
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
