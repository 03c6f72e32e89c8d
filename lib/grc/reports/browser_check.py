"""Open generated reports in headless Chromium and check that they work offline.

Checks every page: no broken image, no console error, no request other than ``file:``/``data:``,
every link resolves to an existing file; saves screenshots under ``reports/screenshots/``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")


def find_chromium() -> str | None:
    """Path of the system Chromium (``GRC_CHROMIUM`` overrides), or None."""
    for candidate in (os.environ.get("GRC_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def _linked_pages(index: Path) -> list[Path]:
    """HTML files linked from a page (relative links only), in document order."""
    from html.parser import HTMLParser

    hrefs: list[str] = []

    class Links(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag == "a":
                href = dict(attrs).get("href")
                if href:
                    hrefs.append(href)

    Links().feed(index.read_text(encoding="utf-8"))
    out: list[Path] = []
    for href in hrefs:
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not parts.path.endswith(".html"):
            continue
        target = (index.parent / unquote(parts.path)).resolve()
        if target.exists() and target not in out:
            out.append(target)
    return out


def _shot_name(page: Path, root: Path) -> str:
    try:
        rel = page.resolve().relative_to(root.resolve())
    except ValueError:
        rel = Path(page.name)
    return "__".join(rel.with_suffix("").parts) + ".png"


#: links that other steps make (summary and glossary pages): reported apart while absent
RESERVED_PAGES = ("synthese.html", "glossaire.html")
WIDTHS = (1366, 390)
AXE_BLOCKING = ("serious", "critical")

_OVERFLOW_JS = """() => {
  const vw = document.documentElement.clientWidth;
  const where = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (p.classList.contains('grc-table-box')) { return 'table'; }
      const o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll') { return 'box'; }
    }
    return 'page';
  };
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if ((r.width === 0 && r.height === 0) || r.right <= vw + 1) { continue; }
    if (el.checkVisibility && !el.checkVisibility({visibilityProperty: true})) { continue; }
    const w = where(el);
    if (w !== 'table') { out.push(`${name(el)} (${Math.round(r.right)} px${w === 'box' ? ', boîte défilante hors tableau' : ''})`); }
  }
  return {width: vw, page: document.documentElement.scrollWidth, offenders: out};
}"""


def find_axe() -> Path | None:
    """axe-core's script (``GRC_AXE`` overrides; ``make axe`` installs it under ``.cache/axe``)."""
    from grc.config import project_root

    default = project_root() / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
    for candidate in (os.environ.get("GRC_AXE"), default):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def _new_report() -> dict[str, Any]:
    keys = ("pages", "broken_images", "console_errors", "external_requests", "broken_links",
            "external_links", "reserved_missing", "screenshots", "missing_nav", "bad_titles",
            "overflow", "axe_violations")
    report: dict[str, Any] = {k: [] for k in keys}
    report.update(images=0, links=0, axe_pages=0, widths=[])
    return report


def _check_links(page, path: Path, rel: str, report: dict[str, Any], first: bool) -> None:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    for href in hrefs:
        parts = urlsplit(href)
        if parts.scheme in ("http", "https") or parts.netloc:
            report["external_links"].append((rel, href))
            continue
        if parts.scheme in ("mailto", "javascript", "blob", "data") or not parts.path:
            continue  # in-page anchors
        if first:
            report["links"] += 1
        if parts.scheme == "file" or parts.path.startswith("/"):  # breaks once the site is moved
            if first:
                report["broken_links"].append((rel, href))
            continue
        target = path.parent / unquote(parts.path)
        if target.exists() or not first:
            continue
        if target.name in RESERVED_PAGES:
            report["reserved_missing"].append((rel, href))
        else:
            report["broken_links"].append((rel, href))


def _check_site(page, rel: str, report: dict[str, Any], nav: bool, title_has: str | None) -> None:
    if nav and not page.query_selector("nav.grc-nav a[href]"):
        report["missing_nav"].append(rel)
    title = page.title()
    if title_has is not None and (title_has not in title or not title.strip()):
        report["bad_titles"].append((rel, title))


def _run_axe(page, rel: str, axe: Path, report: dict[str, Any]) -> None:
    page.add_script_tag(content=axe.read_text(encoding="utf-8"))
    result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
                           ".map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length,"
                           " first: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))")
    report["axe_pages"] += 1
    report["axe_violations"] += [(rel, v) for v in result if v["impact"] in AXE_BLOCKING]


def check_pages_in_browser(
    pages: list[Path],
    *,
    screenshot_dir: Path | None = None,
    screenshot_pages: list[Path] | None = None,
    root: Path | None = None,
    timeout_ms: int = 30_000,
    widths: tuple[int, ...] = (1280,),
    site: bool = False,
    titles: dict[Path, str] | None = None,
    axe: Path | None = None,
) -> dict[str, Any]:
    """Load each page in headless Chromium at each width and report every problem found.

    Always checked: broken images, console errors, requests other than ``file:``/``data:``,
    links to missing files. ``site``: also the navigation bar and the width of the page (no
    element wider than the viewport outside a table's scrolling box). ``titles``: text each
    page's tab title must contain. ``axe``: axe-core's script, run on each page at the first
    width (serious and critical violations are reported). Screenshots (full page) of
    ``screenshot_pages`` go to ``screenshot_dir``, one per width when there are several.
    """
    from playwright.sync_api import sync_playwright

    chromium = find_chromium()
    if chromium is None:
        raise RuntimeError("Chromium introuvable (/usr/bin/chromium) : installer le paquet `chromium`.")
    pages = [Path(p).resolve() for p in pages]
    root = Path(root).resolve() if root else (pages[0].parent if pages else Path.cwd())
    shots = {Path(p).resolve() for p in (screenshot_pages if screenshot_pages is not None else pages)}
    titles = {Path(k).resolve(): v for k, v in (titles or {}).items()}
    report = _new_report()
    report["widths"] = list(widths)
    report["pages"] = [os.path.relpath(p, root) for p in pages]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        current: dict[str, str] = {"page": ""}

        def route(r):
            url = r.request.url
            if url.startswith(LOCAL_SCHEMES):
                r.continue_()
            else:
                report["external_requests"].append((current["page"], url))
                r.abort()

        try:
            for n, width in enumerate(widths):
                context = browser.new_context(viewport={"width": width, "height": 900}, locale="fr-FR")
                context.route("**/*", route)
                for path in pages:
                    rel = os.path.relpath(path, root)
                    current["page"] = rel
                    _check_page(context, path, rel, report, first=n == 0, width=width, site=site,
                                title_has=titles.get(path), axe=axe if n == 0 else None,
                                shot=_shot_path(screenshot_dir, path, root, width, len(widths))
                                if path in shots and screenshot_dir is not None else None)
                context.close()
        finally:
            browser.close()
    report["ok"] = not any(report[k] for k in (
        "broken_images", "console_errors", "external_requests", "broken_links", "missing_nav",
        "bad_titles", "overflow", "axe_violations"))
    return report


def _shot_path(folder: Path | None, path: Path, root: Path, width: int, n_widths: int) -> Path:
    name = _shot_name(path, root)
    if n_widths > 1:
        name = name[: -len(".png")] + f"-{width}.png"
    return Path(folder) / name


def _check_page(context, path: Path, rel: str, report: dict[str, Any], *, first: bool, width: int,
                site: bool, title_has: str | None, axe: Path | None, shot: Path | None) -> None:
    page = context.new_page()
    page.on("console", lambda msg: msg.type == "error" and report["console_errors"].append((rel, msg.text)))
    page.on("pageerror", lambda exc: report["console_errors"].append((rel, str(exc))))
    page.goto(path.as_uri(), wait_until="load", timeout=30_000)
    if first:
        images = page.eval_on_selector_all(
            "img", "els => els.map(e => [e.complete && e.naturalWidth > 0, (e.getAttribute('src') || '').slice(0, 80)])")
        report["images"] += len(images)
        report["broken_images"] += [(rel, src) for ok, src in images if not ok]
        _check_site(page, rel, report, site, title_has)
    _check_links(page, path, rel, report, first)
    if shot is not None:
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot), full_page=True)
        report["screenshots"].append(str(shot))
    if site:  # as the page opens, then with its menus open: both must fit
        for opened in (False, True):
            if opened:
                page.eval_on_selector_all("details", "els => els.forEach(d => { d.open = true; })")
            wide = page.evaluate(_OVERFLOW_JS)
            if wide["offenders"] or wide["page"] > wide["width"]:
                report["overflow"].append((rel, width, wide["page"], wide["offenders"][:8]))
    if axe is not None:
        _run_axe(page, rel, axe, report)
    page.close()


def check_reports_in_browser(reports_dir: Path, max_pages: int | None = None, **kwargs: Any) -> dict[str, Any]:
    """Check ``reports_dir/index.html`` and every page it links to (at most ``max_pages``).

    Screenshots of the index, the first network page and the first centre page are saved under
    ``reports_dir/screenshots/``. Returns the report dict (``ok`` is True when nothing is wrong).
    ``kwargs`` go to :func:`check_pages_in_browser` (``widths``, ``site``, ``titles``, ``axe``).
    """
    reports_dir = Path(reports_dir).resolve()
    index = reports_dir / "index.html"
    linked = _linked_pages(index)
    pages = [index, *linked]
    if max_pages is not None:
        pages = pages[:max_pages]
    shots = [index]
    for folder in ("network", "centres"):
        first = next((p for p in pages if folder in p.relative_to(reports_dir).parts[:1]), None)
        if first is not None:
            shots.append(first)
    kwargs.setdefault("screenshot_pages", shots)
    return check_pages_in_browser(pages, screenshot_dir=reports_dir / "screenshots", root=reports_dir, **kwargs)


def find_in_reports(reports_dir: Path, needles: list[str]) -> list[tuple[str, str]]:
    """(page, needle) for every needle (e-mail, phone, …) found in any HTML page, case-insensitive.

    Text is compared after HTML-unescaping, so ``&#64;`` or ``&amp;`` do not hide a match.
    """
    import html

    reports_dir = Path(reports_dir)
    wanted = sorted({n.strip().lower() for n in needles if n and n.strip()})
    hits: list[tuple[str, str]] = []
    for page in sorted(reports_dir.rglob("*.html")):
        text = html.unescape(page.read_text(encoding="utf-8", errors="replace")).lower()
        rel = page.relative_to(reports_dir).as_posix()
        hits += [(rel, n) for n in wanted if n in text]
    return hits
