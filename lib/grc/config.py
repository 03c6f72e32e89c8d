"""Network configuration and correspondence tables (SPEC §4)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PACKAGE_DIR = Path(__file__).resolve().parent
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ConfigError(Exception):
    """A configuration file is missing or wrong; the message says which and how to fix it."""


def project_root() -> Path:
    """The project's top folder (the one holding ``pyproject.toml`` above ``lib/grc``)."""
    root = PACKAGE_DIR.parent.parent
    if (root / "pyproject.toml").exists():
        return root
    return Path.cwd()


def find_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` holding ``pyproject.toml``."""
    for p in [start, *start.parents]:
        if (p / "pyproject.toml").exists() and (p / "lib" / "grc").exists():
            return p
    return None


# a configuration file larger than this is refused (correspondence tables are a few kB)
YAML_MAX_BYTES = 2_000_000
# nodes of a YAML document once every alias is expanded ("billion laughs" stops here)
YAML_MAX_NODES = 200_000


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key: Any, first: int, second: int):
        super().__init__(f"duplicate key {key!r}")
        self.key, self.first, self.second = key, first, second


class _StrictLoader(_Loader):  # type: ignore[misc, valid-type]
    """The safe loader, refusing a key written twice in the same mapping (no silent last-wins)."""

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    if key in seen:
                        raise _DuplicateKey(key, seen[key], key_node.start_mark.line + 1)
                    seen[key] = key_node.start_mark.line + 1
                except TypeError:  # an unhashable key: the constructor reports it
                    pass
        return super().construct_mapping(node, deep)


def _expanded_nodes(node: Any, limit: int) -> int:
    """Number of nodes of the document with aliases expanded (stops counting past ``limit``)."""
    memo: dict[int, int] = {}

    def count(n: Any) -> int:
        key = id(n)
        if key in memo:
            return memo[key]
        memo[key] = 1  # a recursive structure counts once
        total = 1
        if isinstance(n, yaml.SequenceNode):
            for child in n.value:
                total += count(child)
                if total > limit:
                    break
        elif isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                total += count(k) + count(v)
                if total > limit:
                    break
        memo[key] = total
        return total

    return count(node) if node is not None else 0


def load_yaml_text(text: str, source: str = "<texte>") -> Any:
    """Parse YAML safely: no Python tags, no duplicate key, bounded alias expansion."""
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        if _expanded_nodes(node, YAML_MAX_NODES) > YAML_MAX_NODES:
            raise ConfigError(
                f"{source} : trop d'alias YAML (le document développé dépasse {YAML_MAX_NODES} "
                "éléments, motif « billion laughs ») : écrivez les valeurs sans « & » ni « * ».")
        return loader.construct_document(node) if node is not None else None
    except _DuplicateKey as exc:
        raise ConfigError(
            f"{source} : clé « {exc.key} » écrite deux fois (lignes {exc.first} et {exc.second}) ; "
            "la seconde écraserait la première. Gardez une seule ligne pour cette clé.") from exc
    except yaml.constructor.ConstructorError as exc:
        where = f" ligne {exc.problem_mark.line + 1}" if exc.problem_mark else ""
        raise ConfigError(
            f"{source} :{where} valeur YAML refusée ({exc.problem}) : seuls les textes, nombres, "
            "listes et tableaux simples sont permis (pas de balise « !! »).") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" ligne {mark.line + 1}, colonne {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{source} :{where} YAML invalide ({problem}). "
                          "Corrigez la syntaxe du fichier.") from exc
    finally:
        loader.dispose()


def read_yaml(path: Path) -> Any:
    """Read a YAML file safely (see :func:`load_yaml_text`) with a French message on failure."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > YAML_MAX_BYTES:
            raise ConfigError(f"{path} : fichier de {size:,} octets, trop gros pour une table de "
                              f"configuration (limite {YAML_MAX_BYTES:,}) : vérifiez le fichier."
                              .replace(",", "\u202f"))
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError as exc:
        raise ConfigError(f"Fichier introuvable : {path}") from exc
    except IsADirectoryError as exc:
        raise ConfigError(f"{path} est un dossier, pas un fichier YAML.") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} : fichier non lisible en UTF-8 (octet {exc.start}) : "
                          "réenregistrez-le en UTF-8.") from exc
    return load_yaml_text(text, str(path))


@dataclass
class Centre:
    """One centre's correspondence table (``params/centres/<CODE>.yaml``)."""

    code: str
    name: str
    postcode: str | None
    exports: dict[str, dict[str, Any]]
    columns: dict[str, dict[str, str]]
    codes: dict[str, dict[str, str]]
    path: Path
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def capacity(self) -> int | None:
        return self.extra.get("capacity")

    @property
    def city(self) -> str | None:
        return self.extra.get("city")


def load_centre(path: Path) -> Centre:
    """Load and check one correspondence table (cached while the file is unchanged)."""
    path = Path(path)
    try:
        st = path.stat()
        key = (str(path), st.st_mtime_ns, st.st_size)
    except OSError:
        key = None
    if key is not None and key in _CENTRE_CACHE:
        return _CENTRE_CACHE[key]
    centre = _load_centre(path)
    if key is not None:
        _CENTRE_CACHE[key] = centre
    return centre


_CENTRE_CACHE: dict[tuple, Centre] = {}


def _load_centre(path: Path) -> Centre:
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path} : table de correspondance vide ou mal formée.")
    for key in ("code", "exports", "columns"):
        if key not in data:
            raise ConfigError(f"{path} : clé obligatoire « {key} » absente.")
    code = str(data["code"])
    if path.stem != code:
        raise ConfigError(
            f"{path} : le code « {code} » ne correspond pas au nom du fichier ({path.stem}.yaml)."
        )
    exports = data.get("exports") or {}
    if "contacts" not in exports:
        raise ConfigError(f"{path} : « exports.contacts » absent (fichier des contacts).")
    known = {"code", "name", "postcode", "exports", "columns", "codes"}
    return Centre(
        code=code,
        name=str(data.get("name") or code),
        postcode=str(data["postcode"]) if data.get("postcode") is not None else None,
        exports=exports,
        columns=data.get("columns") or {},
        codes=data.get("codes") or {},
        path=path,
        extra={k: v for k, v in data.items() if k not in known},
    )


def _date(value: Any, name: str, path: Path) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise ConfigError(f"{path} : « {name} » doit être une date AAAA-MM-JJ ({value!r}).") from exc


@dataclass
class NetworkConfig:
    """The network config (``params/network.yaml``) with every path resolved."""

    path: Path
    root: Path
    network: str
    year: int
    reference_date: dt.date
    raw_dir: Path
    centres_dir: Path
    processed_dir: Path
    reports_dir: Path
    rfm_grid: Path
    segmentation: Path
    bloctel_file: Path | None = None
    npai_file: Path | None = None
    erasure_file: Path | None = None
    decisions_file: Path | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def centre_codes(self) -> list[str]:
        """Codes of every centre with a correspondence table, sorted."""
        if not self.centres_dir.is_dir():
            raise ConfigError(f"Dossier des tables de correspondance introuvable : {self.centres_dir}")
        return sorted(p.stem for p in self.centres_dir.glob("*.yaml"))

    def centre(self, code: str) -> Centre:
        if not CENTRE_CODE.fullmatch(str(code)):
            raise ConfigError(f"Code centre « {code} » refusé : lettres, chiffres, « - » ou « _ » "
                              f"seulement (le nom d'une table de {self.centres_dir}, sans .yaml).")
        path = self.centres_dir / f"{code}.yaml"
        if not path.exists():
            known = ", ".join(self.centre_codes()[:10])
            raise ConfigError(f"Centre inconnu « {code} » : {path} absent. Centres connus : {known}…")
        return load_centre(path)

    def centre_name(self, code: str) -> str:
        """The centre's name, or its code when its table cannot be read (that centre fails alone)."""
        try:
            return self.centre(code).name
        except ConfigError:
            return code

    def export_dir(self, code: str, year: int | None = None) -> Path:
        return self.raw_dir / str(year or self.year) / code

    @property
    def db_path(self) -> Path:
        return self.processed_dir / "network.duckdb"

    @property
    def exports_dir(self) -> Path:
        return self.processed_dir / "exports"

    def with_year(self, year: int, reference_date: dt.date | None = None) -> NetworkConfig:
        """A copy for another export year (reference date defaults to 31 December)."""
        import dataclasses

        return dataclasses.replace(
            self, year=year, reference_date=reference_date or dt.date(year, 12, 31)
        )


CENTRE_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")


def inside(folder: Path, name: Any, what: str, source: Path | str) -> Path:
    """``folder / name``, refused unless it stays inside ``folder`` (no ``..``, no absolute path).

    The message names the setting and the file only: never anything read from the target.
    """
    text = str(name or "").strip()
    candidate = Path(text)
    if (not text or candidate.is_absolute() or ".." in candidate.parts or "\\" in text
            or not (folder.resolve() / candidate).resolve().is_relative_to(folder.resolve())):
        raise ConfigError(f"{source} : « {what} » vaut « {text} », un chemin hors du dossier "
                          f"{folder} : indiquez seulement le nom du fichier (ex. contacts.csv), "
                          "placé dans ce dossier.")
    return folder / candidate


def resolve(root: Path, value: Any) -> Path | None:
    if value in (None, ""):
        return None
    p = Path(str(value)).expanduser()
    return p if p.is_absolute() else (root / p)


def load_config(path: str | Path) -> NetworkConfig:
    """Load the network config; relative paths are taken from the project root.

    A config inside the project resolves from the project root (whatever the working
    directory, so JupyterLab kernels started in ``notebooks/`` work too); a config outside
    any project (a test's or an analyst's own network) resolves from its own folder.
    """
    path = Path(path).expanduser()
    if not path.is_absolute():
        cand = Path.cwd() / path
        path = cand if cand.exists() else project_root() / path
    path = path.resolve()
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path} : configuration réseau vide ou mal formée.")
    root = resolve(path.parent, data["root"]) if data.get("root") else (find_root(path.parent) or path.parent)
    for key in ("year", "raw_dir", "centres_dir", "processed_dir"):
        if key not in data:
            raise ConfigError(f"{path} : clé obligatoire « {key} » absente.")
    year = int(data["year"])
    ref = _date(data.get("reference_date", f"{year}-12-31"), "reference_date", path)
    pkg_params = project_root() / "params"
    return NetworkConfig(
        path=path,
        root=root,
        network=str(data.get("network") or "Réseau"),
        year=year,
        reference_date=ref,
        raw_dir=resolve(root, data["raw_dir"]),
        centres_dir=resolve(root, data["centres_dir"]),
        processed_dir=resolve(root, data["processed_dir"]),
        reports_dir=resolve(root, data.get("reports_dir", "reports")),
        rfm_grid=resolve(root, data.get("rfm_grid")) or pkg_params / "rfm" / "network.yaml",
        segmentation=resolve(root, data.get("segmentation")) or pkg_params / "segmentation.yaml",
        bloctel_file=resolve(root, data.get("bloctel_file")),
        npai_file=resolve(root, data.get("npai_file")),
        erasure_file=resolve(root, data.get("erasure_file")),
        decisions_file=resolve(root, data.get("decisions_file")),
        data=data,
    )


def load_segmentation(path: Path) -> dict[str, dict[str, str]]:
    """The common segmentation: ``{code: {family, label, kind}}``."""
    data = read_yaml(path)
    segs = data.get("segments", data) if isinstance(data, dict) else data
    out: dict[str, dict[str, str]] = {}
    for item in segs:
        out[str(item["code"])] = {
            "family": str(item["family"]),
            "label": str(item["label"]),
            "kind": str(item["kind"]),
        }
    return out


def year_path(cfg: NetworkConfig, p: Path | None) -> Path | None:
    """A side file's path for the config's year (``{year}`` in it replaced), None stays None."""
    if p is None:
        return None
    return Path(str(p).replace("{year}", str(cfg.year)))
