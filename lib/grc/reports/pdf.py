"""One PDF per centre (its summary and its four workbook pages), printed by headless Chromium
with the pages' print stylesheet: ``reports/pdf/<CODE>.pdf``."""

from __future__ import annotations

import io
from pathlib import Path

from grc.reports.browser_check import CHROMIUM_ARGS, find_chromium

CENTRE_PAGES = ["synthese", "qualification", "dedoublonnage", "segmentation", "rfm"]


class PdfError(Exception):
    """PDF printing is impossible here (message in French)."""


def _merge(parts: list[bytes], out: Path) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for data in parts:
        writer.append(io.BytesIO(data))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".pdf.tmp")
    with open(tmp, "wb") as fh:
        writer.write(fh)
    tmp.replace(out)


def write_centre_pdfs(reports_dir: Path, codes: list[str], progress: bool = True) -> list[Path]:
    """Print each centre's pages that exist into ``reports_dir/pdf/<CODE>.pdf``."""
    chromium = find_chromium()
    if chromium is None:
        raise PdfError("Chromium introuvable : installez le paquet Debian « chromium » "
                       "(make chromium) pour produire les PDF.")
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            for code in codes:
                folder = Path(reports_dir) / "centres" / code
                parts = []
                for name in CENTRE_PAGES:
                    html = folder / f"{name}.html"
                    if html.exists():
                        page.goto(html.resolve().as_uri(), wait_until="load")
                        parts.append(page.pdf(format="A4", print_background=True,
                                              margin={"top": "12mm", "bottom": "12mm",
                                                      "left": "10mm", "right": "10mm"}))
                if parts:
                    out = Path(reports_dir) / "pdf" / f"{code}.pdf"
                    _merge(parts, out)
                    written.append(out)
                    if progress:
                        print(f"PDF : {out.name} ({len(parts)} pages HTML)")
        finally:
            browser.close()
    return written
