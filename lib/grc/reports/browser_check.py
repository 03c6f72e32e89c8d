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


def check_pages_in_browser(
    pages: list[Path],
    *,
    screenshot_dir: Path | None = None,
    screenshot_pages: list[Path] | None = None,
    root: Path | None = None,
    timeout_ms: int = 30_000,
) -> dict[str, Any]:
    """Load each page in headless Chromium and report every problem found."""
    from playwright.sync_api import sync_playwright

    chromium = find_chromium()
    if chromium is None:
        raise RuntimeError("Chromium introuvable (/usr/bin/chromium) : installer le paquet `chromium`.")
    pages = [Path(p).resolve() for p in pages]
    root = Path(root).resolve() if root else (pages[0].parent if pages else Path.cwd())
    shots = {Path(p).resolve() for p in (screenshot_pages if screenshot_pages is not None else pages)}
    report: dict[str, Any] = {
        "pages": [],
        "images": 0,
        "links": 0,
        "broken_images": [],
        "console_errors": [],
        "external_requests": [],
        "broken_links": [],
        "external_links": [],
        "screenshots": [],
    }
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
            current: dict[str, str] = {"page": ""}

            def route(r):
                url = r.request.url
                if url.startswith(LOCAL_SCHEMES):
                    r.continue_()
                else:
                    report["external_requests"].append((current["page"], url))
                    r.abort()

            context.route("**/*", route)
            for path in pages:
                rel = os.path.relpath(path, root)
                current["page"] = rel
                report["pages"].append(rel)
                page = context.new_page()
                page.on(
                    "console",
                    lambda msg, rel=rel: msg.type == "error"
                    and report["console_errors"].append((rel, msg.text)),
                )
                page.on("pageerror", lambda exc, rel=rel: report["console_errors"].append((rel, str(exc))))
                page.goto(path.as_uri(), wait_until="load", timeout=timeout_ms)
                images = page.eval_on_selector_all(
                    "img",
                    "els => els.map(e => [e.complete && e.naturalWidth > 0, (e.getAttribute('src') || '').slice(0, 80)])",
                )
                report["images"] += len(images)
                report["broken_images"] += [(rel, src) for ok, src in images if not ok]
                hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
                for href in hrefs:
                    parts = urlsplit(href)
                    if parts.scheme in ("http", "https") or parts.netloc:
                        report["external_links"].append((rel, href))
                        continue
                    if parts.scheme in ("mailto", "javascript") or not parts.path:
                        continue  # in-page anchors
                    report["links"] += 1
                    target = path.parent / unquote(parts.path)
                    if not target.exists():
                        report["broken_links"].append((rel, href))
                if path in shots and screenshot_dir is not None:
                    out = Path(screenshot_dir) / _shot_name(path, root)
                    out.parent.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(out), full_page=True)
                    report["screenshots"].append(str(out))
                page.close()
            context.close()
        finally:
            browser.close()
    report["ok"] = not (
        report["broken_images"]
        or report["console_errors"]
        or report["external_requests"]
        or report["broken_links"]
    )
    return report


def check_reports_in_browser(reports_dir: Path, max_pages: int | None = None) -> dict[str, Any]:
    """Check ``reports_dir/index.html`` and every page it links to (at most ``max_pages``).

    Screenshots of the index, the first network page and the first centre page are saved under
    ``reports_dir/screenshots/``. Returns the report dict (``ok`` is True when nothing is wrong).
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
    return check_pages_in_browser(
        pages, screenshot_dir=reports_dir / "screenshots", screenshot_pages=shots, root=reports_dir
    )


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
