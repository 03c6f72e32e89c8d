"""Figures in the workbooks: laid out once and drawn once, same framing as IPython's default."""

from __future__ import annotations

import base64
import io

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from grc.reports.charts import figure_png, setup_plots
from IPython.core.interactiveshell import InteractiveShell
from PIL import Image


def _figure(layout=None):
    fig, ax = plt.subplots(figsize=(6, 3), layout=layout)
    ax.barh(np.arange(3), [0.2, 0.5, 0.9], label="Périmètre")
    ax.set_yticks(np.arange(3), ["Courrier", "E-mail", "Un libellé de catégorie très long"])
    ax.set_title("Titre de la figure")
    ax.set_xlabel("part des fiches exportées")
    ax.legend(bbox_to_anchor=(1.01, 1), loc="upper left")
    return fig


def _draws(fig) -> list:
    events = []
    fig.canvas.mpl_connect("draw_event", lambda ev: events.append(ev))
    return events


@pytest.fixture(autouse=True)
def _style():
    setup_plots()
    yield
    plt.close("all")
    matplotlib.rcdefaults()


def test_figure_is_drawn_once_and_fits_its_labels():
    fig = _figure()
    events = _draws(fig)
    data, meta = figure_png(fig)
    png = base64.b64decode(data)
    assert len(events) == 1  # IPython's default (bbox_inches="tight") draws twice
    # the page's alternative text says what the chart shows (title, axes, series)
    alt = meta["alt"]
    assert fig.axes[0].get_title() in alt and "axe horizontal" in alt
    img = Image.open(io.BytesIO(png))
    assert img.size == (480, 240)  # the figure's own size at 80 dpi: laid out, not cropped
    assert plt.rcParams["savefig.bbox"] == "tight"  # a student's own savefig still crops
    # every label and the outside legend lie inside the figure
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    for artist in [*fig.axes[0].get_yticklabels(), fig.axes[0].title, fig.axes[0].xaxis.label,
                   fig.axes[0].get_legend()]:
        ext = artist.get_window_extent(renderer)
        assert ext.x0 >= box.x0 - 1 and ext.x1 <= box.x1 + 1, artist
        assert ext.y0 >= box.y0 - 1 and ext.y1 <= box.y1 + 1, artist


def test_default_path_for_figures_with_their_own_layout():
    fig = _figure(layout="constrained")
    events = _draws(fig)
    png = base64.b64decode(figure_png(fig)[0])
    assert len(events) == 2  # printed the default way: cropped to the content
    assert Image.open(io.BytesIO(png)).size != (480, 240)


def test_empty_figure_gives_nothing():
    fig = plt.figure()
    assert figure_png(fig) is None


def test_formatter_installed_only_over_the_inline_defaults():
    from matplotlib.figure import Figure
    from matplotlib_inline.backend_inline import InlineBackend

    shell = InteractiveShell.instance()
    try:
        png = shell.display_formatter.formatters["image/png"]
        cfg = InlineBackend.instance()
        cfg.figure_formats, cfg.print_figure_kwargs = {"png"}, {"bbox_inches": "tight"}
        png.pop(Figure, None)
        setup_plots()
        assert png.lookup_by_type(Figure) is figure_png
        png.pop(Figure, None)
        cfg.print_figure_kwargs = {"bbox_inches": "tight", "dpi": 150}  # a user's own choice
        setup_plots()
        with pytest.raises(KeyError):
            png.lookup_by_type(Figure)
    finally:
        InlineBackend.clear_instance()
        InteractiveShell.clear_instance()


def test_measure_backed_table_cells_carry_their_measure():
    """A table drawn from measures writes each such cell as a measure element, in the
    column's usual French format; plain cells stay plain."""
    import pandas as pd
    from grc.measures.read import cells_frame
    from grc.reports.charts import table

    stored = pd.DataFrame({"scope": ["C1", "C1"], "year": [2025, 2025],
                           "measure": ["issue:npai", "issue_share:npai"], "value": [12.0, 0.125]})
    frame = cells_frame(stored, [{"problème": "NPAI", "fiches": ("issue:npai", "C1", 2025),
                                  "part": ("issue_share:npai", "C1", 2025)},
                                 {"problème": "Autre", "fiches": ("issue:absent", "C1", 2025),
                                  "part": 0.5}])
    html = table(frame, pct=["part"]).to_html()
    assert 'data-measure="issue:npai" data-scope="C1" data-year="2025" data-value="12.0"' in html
    assert 'data-measure="issue_share:npai"' in html and "12,5\u00a0%" in html
    assert "50,0\u00a0%" in html and html.count('data-measure=') == 2  # a plain cell stays plain


def test_report_tables_are_written_as_pandas_templates_write_them():
    """The pages' tables skip pandas' Jinja templates: same text, character for character,
    for every kind the pages make (formats, bars, colours, captions, kept index, measure cells,
    escaping, a hidden row, two-level headers, table styles)."""
    import pandas as pd
    from grc.measures.read import cells_frame
    from grc.reports.charts import heat_table, table
    from pandas.io.formats.style import Styler

    df = pd.DataFrame({"family": ["Scolaires", "<b>Clubs</b> & co", "Familles"],
                       "clients_prev": [10, 20, 0], "share_last": [0.5, 0.25, float("nan")],
                       "amount": [1000.5, 2000.0, 3.25]})
    measures = pd.DataFrame({"scope": ["C01", "C01"], "year": [2025, 2025],
                             "measure": ["contacts", "clients_year"], "value": [12.0, 7.0]})
    cells = cells_frame(measures, [{"Indicateur": "Contacts", "Valeur": ("contacts", "C01", 2025)},
                                   {"Indicateur": "Clients", "Valeur": ("clients_year", "C01", 2025)}])
    wide = pd.DataFrame([[1, 2], [3, 4]], index=pd.Index(["a", "b"], name="centre"),
                        columns=pd.MultiIndex.from_tuples([("x", "1"), ("x", "2")]))
    stylers = [
        table(df, pct=["share_last"], eur=["amount"], caption="Test <i>", bars=["clients_prev"]),
        table(df, bars=["clients_prev", "amount"], same_scale=True),
        table(cells),
        heat_table(pd.DataFrame([[1, 5], [9, 0]], index=["A", "B"], columns=["m1", "m2"]),
                   caption="Carte"),
        heat_table(wide),
        table(df).hide([1], axis="index").set_table_styles([{"selector": "td", "props": "color: red"}]),
        table(df.iloc[:0]),
    ]
    for sty in stylers:
        ours = sty.to_html()
        assert type(sty).__name__ == "ReportStyler"
        assert ours == Styler._render_html(sty, True, True, None, None, exclude_styles=False,
                                           doctype_html=False, encoding="utf-8"), ours
    # a whole document is still written by the templates
    assert stylers[0].to_html(doctype_html=True).startswith("<!DOCTYPE html>")
