"""Last touches to a rendered page, on its text (no HTML parser: pages are large).

* a table of contents of the page's sections (its ``h2`` headings) replaces ``<!--grc:toc-->``;
* every table goes into its own scrolling box (``role="region"``, focusable, named after the
  table's caption or the heading above it), so that a wide table scrolls inside the page
  instead of widening it;
* cells holding a number get the class ``num`` (right-aligned, not wrapped), and so do the
  header cells of all-number columns; text stays left-aligned and wraps;
* in the tables' own styles (pandas ``Styler`` heatmaps), a text colour too pale or too dark
  for its cell's background becomes black or white, whichever reads best (WCAG AA contrast).

The inline script ``templates/grc_report/static/site.js`` then adds sorting buttons, a filter
for long tables and a CSV download to each boxed table.
"""

from __future__ import annotations

import html as htmllib
import re

TOC_MARK = "<!--grc:toc-->"
TOC_MIN_SECTIONS = 2

_BLOCKS = re.compile(r"<(h[1-4])\b([^>]*)>(.*?)</\1\s*>|<table\b[^>]*>.*?</table\s*>", re.S | re.I)
_CAPTION = re.compile(r"<caption\b[^>]*>(.*?)</caption\s*>", re.S | re.I)
_ANCHOR = re.compile(r'<a\b[^>]*class="anchor-link"[^>]*>.*?</a\s*>', re.S | re.I)
_TAGS = re.compile(r"<[^>]*>")
_ID = re.compile(r'\sid\s*=\s*"([^"]*)"', re.I)
_CLASS = re.compile(r'(\sclass\s*=\s*")([^"]*)(")', re.I)
_SECTION = re.compile(r"<(thead|tbody|tfoot)\b[^>]*>(.*?)</\1\s*>", re.S | re.I)
_ROW = re.compile(r"<tr\b[^>]*>.*?</tr\s*>", re.S | re.I)
_CELL = re.compile(r"<(td|th)\b([^>]*)>(.*?)</\1\s*>", re.S | re.I)
_SPAN = re.compile(r"\s(rowspan|colspan)\s*=", re.I)
NUMBER = re.compile(
    r"^[-+−]?\s?(?:\d{1,3}(?:[\s\u00a0\u202f]\d{3})+|\d+)(?:[.,]\d+)?\s?(?:%|€|k€|pts?|points?|ans?)?$"
)
EMPTY = {"", "–", "-", "—", "nan", "NaN"}
_STYLE = re.compile(r"(<style\b[^>]*>)(.*?)(</style\s*>)", re.S | re.I)
_RULE = re.compile(r"\{([^{}]*)\}")
_BACKGROUND = re.compile(r"background-color\s*:\s*#([0-9a-f]{6}|[0-9a-f]{3})\b", re.I)
_COLOUR = re.compile(r"(?<![-\w])(color\s*:\s*)#([0-9a-f]{6}|[0-9a-f]{3})\b", re.I)
MIN_CONTRAST = 4.5  # WCAG AA, normal text


def text_of(fragment: str) -> str:
    """The visible text of an HTML fragment (tags removed, entities decoded, spaces collapsed)."""
    text = htmllib.unescape(_TAGS.sub(" ", _ANCHOR.sub("", fragment)))
    return " ".join(text.split())


def _attr_text(text: str) -> str:
    """Text for a double-quoted attribute (escaped as a serialiser would: &, <, >)."""
    return htmllib.escape(text.replace('"', "'"), quote=False)


def _with_class(attrs: str, name: str) -> str:
    m = _CLASS.search(attrs)
    if m is None:
        return f' class="{name}"{attrs}'
    classes = m.group(2).split()
    if name in classes:
        return attrs
    return attrs[: m.start(2)] + " ".join([*classes, name]) + attrs[m.end(2):]


def is_number(text: str) -> bool:
    return bool(NUMBER.match(text))


def _number_columns(table: str) -> set[int]:
    """Column positions whose body cells are all numbers (tables without merged cells)."""
    if _SPAN.search(table):
        return set()
    seen: dict[int, bool] = {}
    for section in _SECTION.finditer(table):
        if section.group(1).lower() != "tbody":
            continue
        for row in _ROW.finditer(section.group(2)):
            for pos, cell in enumerate(_CELL.finditer(row.group(0))):
                if cell.group(1).lower() != "td":
                    continue
                text = text_of(cell.group(3))
                if text in EMPTY:
                    continue
                seen[pos] = seen.get(pos, True) and is_number(text)
    return {pos for pos, ok in seen.items() if ok}


def _mark_row(row: str, header: bool, columns: set[int]) -> str:
    out, last = [], 0
    for pos, cell in enumerate(_CELL.finditer(row)):
        tag, attrs, inner = cell.group(1), cell.group(2), cell.group(3)
        numeric = pos in columns if header else (tag.lower() == "td" and is_number(text_of(inner)))
        if header and tag.lower() == "th" and not text_of(inner):
            tag = "td"  # an empty corner is not a header (screen readers would announce nothing)
        elif not numeric:
            continue
        out.append(row[last:cell.start()])
        out.append(f"<{tag}{_with_class(attrs, 'num') if numeric else attrs}>{inner}</{tag}>")
        last = cell.end()
    out.append(row[last:])
    return "".join(out)


def mark_number_cells(table: str) -> str:
    """Add the class ``num`` to number cells and to the header cells of number columns; empty
    header cells (a table's corner) become ordinary cells."""
    columns = _number_columns(table)

    def section(m: re.Match) -> str:
        header = m.group(1).lower() == "thead"
        return _ROW.sub(lambda r: _mark_row(r.group(0), header, columns), m.group(0))

    return _SECTION.sub(section, table)


def box_table(table: str, label: str) -> str:
    """The table in its own focusable scrolling region."""
    # attributes in alphabetical order, as an HTML serialiser (BeautifulSoup) writes them
    return (f'<div aria-label="{_attr_text(label)}" class="grc-table-box" role="region" tabindex="0">'
            f"{mark_number_cells(table)}</div>")


def _luminance(hex_colour: str) -> float:
    h = hex_colour if len(hex_colour) == 6 else "".join(c * 2 for c in hex_colour)
    channels = [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = ((c / 12.92) if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two ``rrggbb``/``rgb`` colours."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _readable_rule(m: re.Match) -> str:
    body = m.group(1)
    bg, fg = _BACKGROUND.search(body), _COLOUR.search(body)
    if bg is None or fg is None or contrast(bg.group(1), fg.group(2)) >= MIN_CONTRAST:
        return m.group(0)
    best = "000000" if contrast(bg.group(1), "000000") >= contrast(bg.group(1), "ffffff") else "ffffff"
    return "{" + body[: fg.start(2)] + best + body[fg.end(2):] + "}"


def readable_colours(css: str) -> str:
    """Text colours of CSS rules with a background colour, made readable on it."""
    return _RULE.sub(_readable_rule, css)


def finish_page(page: str) -> str:
    """Table of contents and boxed tables (see the module's docstring)."""
    start = page.find(TOC_MARK)
    head, body = (page[:start], page[start:]) if start >= 0 else ("", page)
    sections: list[tuple[str, str]] = []
    out: list[str] = []
    last, heading, count = 0, "", 0
    used: dict[str, int] = {}
    for m in _BLOCKS.finditer(body):
        if m.group(1):  # a heading
            heading = text_of(m.group(3))
            if m.group(1).lower() == "h2" and heading:
                found = _ID.search(m.group(2))
                anchor = found.group(1) if found else f"section-{len(sections) + 1}"
                if not found:
                    out.append(body[last:m.start()])
                    out.append(f'<h2{m.group(2)} id="{anchor}">{m.group(3)}</h2>')
                    last = m.end()
                sections.append((anchor, heading))
            continue
        count += 1
        caption = _CAPTION.search(m.group(0))
        label = (text_of(caption.group(1)) if caption else "") or heading or f"Tableau {count}"
        used[label] = used.get(label, 0) + 1
        if used[label] > 1:  # each region has its own name (screen readers list them)
            label = f"{label} (tableau {used[label]})"
        out.append(body[last:m.start()])
        out.append(box_table(m.group(0), label))
        last = m.end()
    out.append(body[last:])
    body = _STYLE.sub(lambda m: m.group(1) + readable_colours(m.group(2)) + m.group(3), "".join(out))
    if start >= 0:
        toc = toc_html(sections)
        body = re.sub(re.escape(TOC_MARK) + r"\s*", lambda m: toc + "\n" if toc else "", body, count=1)
    return head + body


def toc_html(sections: list[tuple[str, str]]) -> str:
    """The page's table of contents (empty below two sections)."""
    if len(sections) < TOC_MIN_SECTIONS:
        return ""
    items = "".join(f'<li><a href="#{_attr_text(anchor)}">{htmllib.escape(text, quote=False)}</a></li>'
                    for anchor, text in sections)
    return (f'<nav aria-label="Sommaire de la page" class="grc-toc"><p class="grc-toc-title">'
            f"Dans cette page</p><ol>{items}</ol></nav>")
