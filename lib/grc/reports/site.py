"""The report site: its list of pages (``params/pages.yaml``) and each page's navigation.

Every page of the site (the index, the network's and each centre's pages, the course editions,
the pages at the root) gets the same header, built here as plain data for the templates:
network, scope and year; a navigation bar (index, the scope's own pages, the network's pages,
a centre picker, the glossary and the other documents); a breadcrumb; previous/next links.
All links are relative to the page, so the site works offline from any folder it is copied to.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import yaml

from grc.config import project_root

NETWORK = "NETWORK"
INDEX = "index.html"
SUMMARY_PAGE = "synthese.html"  # each scope's summary (grc.reports.summary)
NETWORK_SCOPE_NAME = "Ensemble du réseau"


@dataclass(frozen=True)
class PageSpec:
    """One page: its file name (without ``.html``), its French label, the notebook making it."""

    page: str
    label: str
    notebook: str | None = None


@dataclass(frozen=True)
class CourseSpec:
    """The course notebook, rendered once per edition."""

    page: str
    label: str
    notebook: str
    network: str
    editions: tuple[tuple[str, str], ...]  # (edition, French label)
    # per edition, optional: "note" (a line under the title), "download" (a file of
    # data/course/ copied beside the page and linked from it)
    extras: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()

    def extra(self, edition: str) -> dict[str, str]:
        return dict(dict(self.extras).get(edition, ()))

    def path(self, edition: str) -> str:
        return f"cours/{self.page}_{edition}.html"

    def title(self, edition_label: str) -> str:
        return f"{self.label} ({edition_label})"


@dataclass(frozen=True)
class SitePages:
    """The pages declared in ``params/pages.yaml``."""

    scope_pages: tuple[PageSpec, ...]
    course: CourseSpec | None
    root_pages: tuple[PageSpec, ...]

    def scope_notebooks(self) -> list[tuple[str, str, str]]:
        """(notebook, label, page) of the scope pages made by a notebook, in site order."""
        return [(p.notebook, p.label, p.page) for p in self.scope_pages if p.notebook]


def pages_file() -> Path:
    return project_root() / "params" / "pages.yaml"


def _spec(entry: dict, where: str) -> PageSpec:
    try:
        return PageSpec(str(entry["page"]), str(entry["label"]), entry.get("notebook") or None)
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{where} : chaque page doit avoir « page » et « label » ({entry!r}).") from exc


def load_pages(path: Path | None = None) -> SitePages:
    """Read the page list (default ``params/pages.yaml`` of the project)."""
    path = Path(path or pages_file())
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    where = path.name
    scope = tuple(_spec(e, f"{where}, scope_pages") for e in data.get("scope_pages") or [])
    root = tuple(_spec(e, f"{where}, root_pages") for e in data.get("root_pages") or [])
    course = None
    if data.get("course"):
        c = data["course"]
        course = CourseSpec(
            page=str(c["page"]), label=str(c["label"]), notebook=str(c["notebook"]),
            network=str(c.get("network", "Cours")),
            editions=tuple((str(e["edition"]), str(e["label"])) for e in c.get("editions") or []),
            extras=tuple((str(e["edition"]), tuple((k, str(e[k])) for k in ("note", "download") if e.get(k)))
                         for e in c.get("editions") or []),
        )
    return SitePages(scope, course, root)


def scope_folder(scope: str) -> str:
    """Folder of a scope's pages, relative to the site root."""
    return "network" if scope == NETWORK else f"centres/{scope}"


def scope_page_path(scope: str, page: str) -> str:
    return f"{scope_folder(scope)}/{page}.html"


def relative_href(target: str, current: str) -> str:
    """``target`` (site-relative) as seen from the page ``current`` (site-relative), e.g.
    ``index.html`` from ``centres/LAT/rfm.html`` is ``../../index.html``."""
    here = current.split("/")[:-1]
    there = target.split("/")
    common = 0
    while common < min(len(here), len(there) - 1) and here[common] == there[common]:
        common += 1
    return "../" * (len(here) - common) + "/".join(there[common:])


@dataclass(frozen=True)
class SiteMap:
    """The whole site of one network and year: what every page's header links to."""

    network: str
    year: int
    centres: tuple[tuple[str, str], ...]  # (code, name), in the network's order
    pages: SitePages

    def scope_name(self, scope: str) -> str:
        if scope == NETWORK:
            return NETWORK_SCOPE_NAME
        return next((f"{name} ({code})" for code, name in self.centres if code == scope), scope)

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {path: i for i, (path, _) in enumerate(self.ordered)}

    @cached_property
    def ordered(self) -> list[tuple[str, str]]:
        """(path, label) of every page in reading order (the previous/next chain)."""
        out = [(INDEX, "Sommaire")]
        for scope in [NETWORK, *(code for code, _ in self.centres)]:
            name = self.scope_name(scope)
            out += [(scope_page_path(scope, p.page), f"{p.label} — {name}") for p in self.pages.scope_pages]
        if self.pages.course:
            c = self.pages.course
            out += [(c.path(ed), c.title(label)) for ed, label in c.editions]
        out += [(f"{p.page}.html", p.label) for p in self.pages.root_pages]
        return out

    def _link(self, target: str, label: str, current: str) -> dict[str, Any]:
        return {"label": label, "href": relative_href(target, current), "current": target == current}

    def _scope_links(self, scope: str, current: str) -> list[dict[str, Any]]:
        return [self._link(scope_page_path(scope, p.page), p.label, current) for p in self.pages.scope_pages]

    def _picker(self, current: str, page: str | None) -> list[dict[str, Any]]:
        names = {p.page for p in self.pages.scope_pages}
        home = self.pages.scope_pages[0].page if self.pages.scope_pages else ""
        target = page if page in names else home
        return [self._link(scope_page_path(code, target), f"{name} ({code})", current)
                for code, name in self.centres]

    def _documents(self, current: str) -> list[dict[str, Any]]:
        docs = [self._link(f"{p.page}.html", p.label, current) for p in self.pages.root_pages]
        if self.pages.course:
            c = self.pages.course
            docs += [self._link(c.path(ed), c.title(label), current) for ed, label in c.editions]
        return docs

    def header(self, current: str, title: str, scope: str | None = None,
               scope_label: str | None = None, page: str | None = None) -> dict[str, Any]:
        """Everything a page's header and footer show; ``current`` is the page's site path.

        ``scope``: a centre code or ``NETWORK`` for a scope page, None for the index, the
        course and the root pages (``scope_label`` then names what the page is about).
        """
        scope_label = scope_label or (self.scope_name(scope) if scope else self.network)
        index = {"label": self.network, "href": relative_href(INDEX, current)}
        crumbs = [index if current != INDEX else {"label": self.network, "href": None}]
        if scope:
            first = self.pages.scope_pages[0].page if self.pages.scope_pages else page or ""
            crumbs.append({"label": self.scope_name(scope),
                           "href": relative_href(scope_page_path(scope, first), current)})
        if current != INDEX:
            crumbs.append({"label": title, "href": None})
        chain = self.ordered
        at = self._positions.get(current)

        def neighbour(i: int) -> dict[str, Any] | None:
            if at is None or not 0 <= i < len(chain):
                return None
            return {"label": chain[i][1], "href": relative_href(chain[i][0], current)}

        glossary = next((p for p in self.pages.root_pages if p.page == "glossaire"), None)
        return {
            "network": self.network,
            "scope": scope_label,
            "year": self.year,
            "title": title,
            "tab_title": f"{title} — {scope_label}",
            "index": {**index, "label": "Sommaire", "current": current == INDEX},
            "scope_links": self._scope_links(scope, current) if scope else [],
            "scope_heading": "Pages du réseau" if scope == NETWORK else (
                f"Pages du centre {self.scope_name(scope)}" if scope else ""),
            "network_links": self._scope_links(NETWORK, current) if scope != NETWORK else [],
            "centres": self._picker(current, page if scope else None),
            "glossary": self._link(f"{glossary.page}.html", glossary.label, current) if glossary else None,
            "documents": [d for d in self._documents(current)
                          if not glossary or d["label"] != glossary.label],
            "breadcrumb": crumbs,
            "prev": neighbour(at - 1) if at is not None else None,
            "next": neighbour(at + 1) if at is not None else None,
        }


@lru_cache(maxsize=1)
def template_env():
    """The Jinja environment of the site's own pages (index, documents): autoescaped, with the
    report templates' partials and ``include_static`` (raw text of a file under ``static/``)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape
    from markupsafe import Markup

    from grc.reports.runner import TEMPLATES_DIR

    env = Environment(
        loader=FileSystemLoader([str(TEMPLATES_DIR), str(TEMPLATES_DIR / "grc_report")]),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True, default=True),
        keep_trailing_newline=True,
    )
    env.globals["include_static"] = lambda name: Markup(env.loader.get_source(env, name)[0])  # noqa: S704
    return env


def render_page(site: dict[str, Any], body_html: str) -> str:
    """A page of the site made outside the notebooks (e.g. the register): the site's header,
    ``body_html`` (already escaped HTML) and footer, tables boxed as on every page."""
    from markupsafe import Markup

    from grc.reports.page_html import finish_page

    html = template_env().get_template("page.html.j2").render(site=site, body=Markup(body_html))  # noqa: S704
    return finish_page(html)
