"""The pages' tables: pandas' ``Styler``, its HTML written without its Jinja templates.

A page shows some fifteen tables; pandas renders each through three nested Jinja templates,
about a third of the table's cost. :class:`ReportStyler` keeps everything pandas computes
(formats, bars, colours, ids: the ``Styler``'s own translation) and writes the same text the
templates would (``html.tpl``, ``html_style.tpl``, ``html_table.tpl`` of pandas 2.x, checked
character for character in ``tests/test_charts.py``). A document the templates write
differently (``doctype_html``, ``exclude_styles``) is left to them.
"""

from __future__ import annotations

from typing import Any

from pandas.io.formats.style import Styler


def _rules(uuid: str, styles: list[dict], out: list[str]) -> None:
    """Each CSS rule: its selectors (the cells' ids) and its properties."""
    for s in styles:
        out.append(", ".join(f"#T_{uuid}_{sel}" for sel in s["selectors"]) + " {\n")
        out.extend(f"  {p}: {v};\n" for p, v in s["props"])
        out.append("}\n")


def _rows(uuid: str, rows: list[list[dict]], out: list[str]) -> None:
    for row in rows:
        out.append("    <tr>\n")
        for c in row:
            if c.get("is_visible") is False:
                continue
            # a key a cell lacks is written as the templates write an undefined value: nothing
            tag, cid = c.get("type", ""), f' id="T_{uuid}_{c["id"]}"' if "id" in c else ""
            out.append(f'      <{tag}{cid} class="{c.get("class", "")}" {c.get("attributes", "")}>'
                       f'{c.get("display_value", "")}</{tag}>\n')
        out.append("    </tr>\n")


def styler_html(d: dict[str, Any]) -> str:
    """The HTML of a ``Styler`` from its translation ``d`` (``Styler._render``), as pandas'
    templates write it."""
    uuid = d["uuid"]
    out = ['<style type="text/css">\n']
    for s in d["table_styles"]:
        out.append(f"#T_{uuid} {s['selector']} {{\n")
        out.extend(f"  {p}: {v};\n" for p, v in s["props"])
        out.append("}\n")
    for styles in (d["cellstyle"], d["cellstyle_index"], d["cellstyle_columns"]):
        _rules(uuid, styles, out)
    attrs = d.get("table_attributes")
    out.append(f'</style>\n<table id="T_{uuid}"{" " + attrs if attrs else ""}>\n')
    caption = d.get("caption")
    if caption and isinstance(caption, str):
        out.append(f"  <caption>{caption}</caption>\n")
    elif caption and isinstance(caption, (list, tuple)):
        out.append(f"  <caption>{caption[0]}</caption>\n")
    out.append("  <thead>\n")
    _rows(uuid, d["head"], out)
    out.append("  </thead>\n  <tbody>\n")
    _rows(uuid, d["body"], out)
    out.append("  </tbody>\n</table>\n")
    return "".join(out)


class ReportStyler(Styler):
    """A ``Styler`` whose HTML is written by :func:`styler_html` (same text, no template)."""

    def _render_html(self, sparse_index: bool, sparse_columns: bool, max_rows: int | None = None,
                     max_cols: int | None = None, **kwargs) -> str:
        if kwargs.get("doctype_html") or kwargs.get("exclude_styles"):
            return super()._render_html(sparse_index, sparse_columns, max_rows, max_cols, **kwargs)
        return styler_html(self._render(sparse_index, sparse_columns, max_rows, max_cols, "&nbsp;"))
