"""House style for charts, and the few chart builders the analyses share.

Rules (issue 3, item 5): every chart is saved as PNG and SVG with a caption and
alt text stored beside it, in a colour-blind-safe palette (Okabe & Ito 2008,
"Color Universal Design"), with the data behind it as a CSV, and never with
colour alone carrying meaning: a RAG rating is always also written as its word
and drawn with its own hatching or marker; special-cause points differ by
marker shape as well as colour; heatmap cells carry their answer as text.

Figures are built as bare ``matplotlib.figure.Figure`` objects rendered by the
Agg canvas, so nothing here touches pyplot's global state or backend, and the
saved files are byte-identical from one run to the next (fixed SVG hash salt,
no dates or software versions in the metadata).
"""
from __future__ import annotations

import json
import re
import textwrap
from contextlib import contextmanager
from pathlib import Path

from io import BytesIO
from xml.sax.saxutils import escape

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from pipeline import stats
from pipeline.outputs import neutralise

__all__ = [
    "OKABE_ITO",
    "PALETTE",
    "RAG",
    "HOUSE_RC",
    "house_style",
    "new_figure",
    "code_label",
    "MIN_FONT_PT",
    "rag_label",
    "save_figure",
    "pct_bar_chart",
    "xmr_chart",
    "category_heatmap",
    "stacked_pct_bar",
]

#: Okabe & Ito (2008) palette, distinguishable under the common colour-vision deficiencies.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
#: Order in which series take colours (black last: it is kept for reference lines).
PALETTE = [OKABE_ITO[k] for k in ("blue", "orange", "bluish_green", "vermillion", "sky_blue", "reddish_purple",
                                  "yellow", "black")]
NEUTRAL = "#7F7F7F"

#: RAG ratings: colour, the word, a hatch and a marker, so the rating survives greyscale and colour blindness.
RAG = {
    "green": {"colour": OKABE_ITO["bluish_green"], "label": "Green", "hatch": "", "marker": "o"},
    "amber": {"colour": OKABE_ITO["orange"], "label": "Amber", "hatch": "//", "marker": "s"},
    "red": {"colour": OKABE_ITO["vermillion"], "label": "Red", "hatch": "xx", "marker": "^"},
}

#: The smallest text any chart writes, in points at the saved size. The papers place a
#: 7 in wide figure across the A4 text width of the Board paper (21 cm less 2 x 2.2 cm
#: margins = 6.5 in), a scale of 0.93, so 8 pt prints at 7.4 pt: never under 7 pt.
MIN_FONT_PT = 8.0
#: Widest a chart is saved, in inches (wider ones would be shrunk below MIN_FONT_PT).
MAX_WIDTH_IN = 7.0

#: rcParams of the house style; the svg/png settings make saved bytes reproducible.
HOUSE_RC = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": mpl.cycler(color=PALETTE),
    "axes.grid": False,
    "hatch.linewidth": 0.8,
    "legend.frameon": False,
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "svg.hashsalt": "cp-review",
    "svg.fonttype": "path",
    "path.simplify": True,
    "text.parse_math": False,  # data is data: a $ in a label is a dollar sign, never mathtext
}

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@contextmanager
def house_style():
    """Apply the house rcParams within a block (artists read them when created)."""
    with mpl.rc_context(HOUSE_RC):
        yield


def new_figure(width: float = 7.0, height: float = 4.0) -> Figure:
    """A bare Agg-backed Figure in the house style (inches; fits an A4 page at 7 in wide)."""
    with house_style():
        fig = Figure(figsize=(width, height), layout="constrained")
        FigureCanvasAgg(fig)
    return fig


def rag_label(rating) -> str:
    """The words of a RAG rating ("Green", "Amber", "Red"; "" when not rated)."""
    if rating is None or (not isinstance(rating, str) and pd.isna(rating)):
        return ""
    return RAG[str(rating).lower()]["label"]


# --------------------------------------------------------------------------
# Saving
# --------------------------------------------------------------------------


def _svg_with_text_alternative(svg: bytes, title: str, alt: str) -> bytes:
    """Insert <title> and <desc> as the first children of the root <svg>, for screen readers."""
    text = svg.decode("utf-8")
    m = re.search(r"<svg\b[^>]*>", text)
    if m is None:  # pragma: no cover - matplotlib always writes one
        return svg
    insert = f"\n <title>{escape(title)}</title>\n <desc>{escape(alt)}</desc>"
    text = text[: m.end()] + insert + text[m.end():]
    return text.encode("utf-8")


@contextmanager
def _layout_done(fig: Figure):
    """Within the block, draw ``fig`` with the layout its last draw computed, without computing it again.

    Constrained layout measures every text's extent on each draw, and was half
    the cost of saving a chart (issue 14). The PNG's draw has placed the axes
    (in fractions of the figure, so the same at any resolution); the SVG is
    drawn with those positions kept ("none" engine), and the figure's own
    engine is put back afterwards.
    """
    engine = fig.get_layout_engine()
    if engine is None:
        yield
        return
    fig.set_layout_engine("none")
    try:
        yield
    finally:
        fig.set_layout_engine(engine)


def save_figure(fig: Figure, out_dir, name: str, caption: str, alt: str, data: pd.DataFrame) -> dict[str, Path]:
    """Write ``<name>.png``, ``<name>.svg``, ``<name>.csv`` and ``<name>.json`` into ``out_dir``.

    Rule (issue 3, item 5; interfaces "Processed outputs"): each chart is saved
    as PNG and SVG with its caption and alt text stored beside it in
    ``<name>.json`` = {"name", "caption", "alt", "data": "<name>.csv"}, and the
    data behind it as ``<name>.csv``. The alt text is also embedded in the SVG
    (``<title>``/``<desc>``) and the PNG ("Description" chunk).

    The files are byte-identical when the same figure is saved again, in this or
    another process: the SVG id salt is fixed and neither file records a date
    or a software version. Returns the four paths by kind.
    """
    if not _NAME_RE.match(name or ""):
        raise ValueError(f"figure name must be letters, digits, '_', '-' or '.', got {name!r}")
    if not isinstance(caption, str) or not caption.strip():
        raise ValueError(f"figure {name}: a caption is required")
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError(f"figure {name}: alt text is required (say what the chart shows)")
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"figure {name}: data must be the DataFrame behind the chart")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {kind: out_dir / f"{name}.{kind}" for kind in ("png", "svg", "csv", "json")}

    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    with house_style():
        fig.savefig(
            paths["png"],
            format="png",
            metadata={"Software": None, "Title": name, "Description": alt},
        )
        buf = BytesIO()
        with _layout_done(fig):
            fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Description": alt})
    paths["svg"].write_bytes(_svg_with_text_alternative(buf.getvalue(), caption, alt))

    frame = data if isinstance(data.index, pd.RangeIndex) else data.reset_index()
    neutralise(frame).to_csv(paths["csv"], index=False, lineterminator="\n")  # no text runs as a formula
    meta = {"name": name, "caption": caption, "alt": alt, "data": paths["csv"].name}
    paths["json"].write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return paths


# --------------------------------------------------------------------------
# Chart builders
# --------------------------------------------------------------------------


def code_label(code, text=None, width: int = 46, max_lines: int = 3) -> str:
    """An axis label that carries a code with its wording: "C03 Were checks with other agencies ...".

    Rule (issue 12, item 3): a reader never meets a bare code. The wording
    (from ``questions.csv`` / ``audit_criteria.csv``) loses a closing "?" or
    ".", and is wrapped onto at most ``max_lines`` lines of ``width``
    characters; only wording longer than that is shortened, at a word, with
    an ellipsis. No wording (None, blank): the code alone.
    """
    code = str(code)
    if text is None or (not isinstance(text, str) and pd.isna(text)) or not str(text).strip():
        return code
    words = str(text).strip().rstrip("?.").strip()
    lines = textwrap.wrap(f"{code}  {words}", width=width)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = textwrap.shorten(lines[-1] + " x" * width, width=width, placeholder=" …")
    return "\n".join(lines)


def _fmt_pct(v: float) -> str:
    return "" if pd.isna(v) else f"{stats.format_rounded(v)}%"


def pct_bar_chart(
    data: pd.DataFrame,
    label: str,
    value: str,
    low: str | None = None,
    high: str | None = None,
    n: str | None = None,
    rag: str | None = None,
    title: str = "",
    xlabel: str = "Per cent",
    reference: float | None = None,
    wording: str | None = None,
) -> Figure:
    """Horizontal bars of percentages (0-100), one per row of ``data``, top to bottom in row order.

    For compliance per criterion or positive share per question. ``low``/``high``
    name interval columns drawn as whiskers; each bar is labelled with its
    value (and "n=" when ``n`` is given). With ``rag``, bars take the RAG colour
    *and* hatch, and the rating's word is written in the value label; a legend
    names all three. ``reference`` draws a dashed vertical line (e.g. a threshold).
    ``wording`` names a column of text shown with each code (:func:`code_label`).
    """
    rows = data.reset_index(drop=True)
    k = len(rows)
    ticks = [code_label(c, rows[wording].iloc[i] if wording else None)
             for i, c in enumerate(rows[label].astype(str))]
    lines = sum(t.count("\n") + 1 for t in ticks)
    fig = new_figure(MAX_WIDTH_IN, max(2.0, 0.15 * lines + 0.06 * k + 0.9))
    with house_style():
        ax = fig.add_subplot()
        y = np.arange(k)[::-1]
        vals = rows[value].astype("float64").to_numpy()
        if rag:
            ratings = rows[rag].map(lambda r: None if pd.isna(r) else str(r).lower())
            colours = [RAG[r]["colour"] if r in RAG else NEUTRAL for r in ratings]
            hatches = [RAG[r]["hatch"] if r in RAG else "" for r in ratings]
        else:
            ratings = pd.Series([None] * k)
            colours, hatches = [PALETTE[0]] * k, [""] * k
        bars = ax.barh(y, np.nan_to_num(vals), color=colours, edgecolor="black", linewidth=0.5, height=0.7)
        for bar, h in zip(bars, hatches):
            bar.set_hatch(h)
        if low and high:
            lo = rows[low].astype("float64").to_numpy()
            hi = rows[high].astype("float64").to_numpy()
            err = np.vstack([vals - lo, hi - vals])
            ax.errorbar(vals, y, xerr=np.nan_to_num(err), fmt="none", ecolor="black", elinewidth=0.9, capsize=2.5)
            label_x = np.where(np.isnan(hi), np.nan_to_num(vals), hi)
        else:
            label_x = np.nan_to_num(vals)
        for i in range(k):
            parts = [_fmt_pct(vals[i]) or "no data"]
            if n:
                parts.append(f"n={rows[n].iloc[i]}")
            if rag and rag_label(ratings.iloc[i]):
                parts.append(rag_label(ratings.iloc[i]))
            ax.text(label_x[i] + 1.5, y[i], "  ".join(parts), va="center", ha="left", fontsize=8,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0}, zorder=4)
        if reference is not None:
            ax.axvline(reference, color="black", linestyle="--", linewidth=0.9)
        ax.set_yticks(y, ticks, fontsize=MIN_FONT_PT)
        ax.set_xlim(0, 125)
        ax.set_xticks([0, 20, 40, 60, 80, 100])
        ax.set_xlabel(xlabel)
        if title:
            ax.set_title(title, loc="left")
        if rag:
            handles = [Patch(facecolor=v["colour"], hatch=v["hatch"], edgecolor="black", label=v["label"])
                       for v in RAG.values()]
            ax.legend(handles=handles, loc="lower right", fontsize=8)
    return fig


def xmr_chart(chart: pd.DataFrame, title: str = "", ylabel: str = "", x=None) -> Figure:
    """Line chart of an XmR frame (:func:`pipeline.stats.xmr`) with its mean and process limits.

    Common-cause points are grey circles; special-cause points are orange
    upward triangles when high and blue downward triangles when low, so the
    direction is carried by shape as well as colour. The mean is a solid line,
    the limits dashed; the legend names each. Where the frame has a
    ``period`` column (limits recalculated after a sustained shift) each
    period's mean and limits are drawn as their own level, so they step.
    ``x`` gives the x values (the frame's index by default, e.g. months).
    """
    xs = chart.index if x is None else x
    xs = np.asarray(xs)
    fig = new_figure(7.0, 3.6)
    with house_style():
        ax = fig.add_subplot()
        ax.plot(xs, chart["value"], color=NEUTRAL, linewidth=1.2, zorder=1)
        period = chart["period"].to_numpy() if "period" in chart else np.ones(len(chart), dtype=int)
        for i, p in enumerate(dict.fromkeys(period)):  # one level per period: the limits step
            sel = period == p
            extra = {} if i else {"mean": "Mean (baseline)", "limits": "Process limits"}
            ax.plot(xs[sel], chart["mean"].to_numpy()[sel], color="black", linewidth=1.0,
                    label=extra.get("mean"))
            ax.plot(xs[sel], chart["ucl"].to_numpy()[sel], color="black", linewidth=0.9, linestyle="--",
                    label=extra.get("limits"))
            ax.plot(xs[sel], chart["lcl"].to_numpy()[sel], color="black", linewidth=0.9, linestyle="--")
        label = chart["special_cause_label"].astype(str).to_numpy()
        styles = [
            ("", "o", NEUTRAL, "Common cause"),
            ("high", "^", OKABE_ITO["orange"], "Special cause, high"),
            ("low", "v", OKABE_ITO["blue"], "Special cause, low"),
        ]
        for code, marker, colour, text in styles:
            sel = label == code
            if sel.any():
                ax.scatter(xs[sel], chart["value"].to_numpy()[sel], marker=marker, s=36 if code else 18,
                           color=colour, edgecolor="black", linewidth=0.5, label=text, zorder=3)
        ax.set_ylabel(ylabel)
        if title:
            ax.set_title(title, loc="left")
        ax.legend(loc="upper left", fontsize=MIN_FONT_PT, ncols=2)
    return fig


def category_heatmap(table: pd.DataFrame, styles: dict, title: str = "", missing_text: str = "") -> Figure:
    """Heatmap of codes (rows x columns, e.g. team x question) with each answer written in its cell.

    ``styles`` maps a code to ``(text, colour)``, e.g. ``{"agree": ("A", ...)}``;
    the legend gives each code's text and colour, so a reader never has to
    match colours. Missing cells are white and carry ``missing_text``.
    """
    nrow, ncol = table.shape
    # never wider than MAX_WIDTH_IN, so the letters print at MIN_FONT_PT or more
    fig = new_figure(min(MAX_WIDTH_IN, max(4.0, 0.45 * ncol + 2.5)), max(2.0, 0.3 * nrow + 1.6))
    with house_style():
        ax = fig.add_subplot()
        for i in range(nrow):
            for j in range(ncol):
                code = table.iat[i, j]
                is_missing = code is None or (not isinstance(code, str) and pd.isna(code))
                text, colour = ("", "white") if is_missing else styles.get(code, (str(code), NEUTRAL))
                if is_missing:
                    text = missing_text
                ax.add_patch(Rectangle((j, nrow - 1 - i), 1, 1, facecolor=colour, edgecolor="white", linewidth=1))
                ax.text(j + 0.5, nrow - 0.5 - i, text, ha="center", va="center", fontsize=MIN_FONT_PT,
                        color=_text_colour(colour))
        ax.set_xlim(0, ncol)
        ax.set_ylim(0, nrow)
        ax.set_xticks(np.arange(ncol) + 0.5, [str(c) for c in table.columns], rotation=90)
        ax.set_yticks(np.arange(nrow)[::-1] + 0.5, [str(r) for r in table.index])
        ax.tick_params(length=0)
        for side in ("left", "bottom"):
            ax.spines[side].set_visible(False)
        if title:
            ax.set_title(title, loc="left")
        handles = [Patch(facecolor=c, edgecolor="black", label=f"{t} = {str(code).replace('_', ' ')}")
                   for code, (t, c) in styles.items()]
        # below the grid, so the cells keep the page's width
        fig.legend(handles=handles, loc="outside lower center", ncols=4, fontsize=MIN_FONT_PT)
    return fig


def _text_colour(colour: str) -> str:
    """Black or white text, whichever contrasts more with the fill (WCAG relative luminance)."""
    r, g, b = mpl.colors.to_rgb(colour)
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    lum = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return "black" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "white"


_HATCHES = ["", "//", "..", "xx", "\\\\", "oo", "--", "++"]


def stacked_pct_bar(counts: pd.DataFrame, colours: dict | None = None, title: str = "",
                    xlabel: str = "Per cent") -> Figure:
    """Horizontal 100% stacked bars: one bar per row of ``counts``, one segment per column, in column order.

    For grade distributions per domain. Each segment takes a colour *and* a
    hatch, and its percentage is written in it when the segment is wide enough
    (>= 6%); each bar is labelled with its total n. ``colours`` maps a column
    to a colour (the palette by default).
    """
    counts = counts.fillna(0)
    totals = counts.sum(axis=1).astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = counts.div(totals.replace(0, np.nan), axis=0) * 100
    k = len(counts)
    fig = new_figure(7.0, max(2.0, 0.4 * k + 1.3))
    with house_style():
        ax = fig.add_subplot()
        y = np.arange(k)[::-1]
        left = np.zeros(k)
        for j, col in enumerate(counts.columns):
            colour = (colours or {}).get(col, PALETTE[j % len(PALETTE)])
            w = np.nan_to_num(shares[col].to_numpy(dtype="float64"))
            ax.barh(y, w, left=left, color=colour, hatch=_HATCHES[j % len(_HATCHES)], edgecolor="black",
                    linewidth=0.5, height=0.7, label=str(col).replace("_", " ").capitalize())
            for i in range(k):
                if w[i] >= 6:
                    ax.text(left[i] + w[i] / 2, y[i], f"{stats.format_rounded(w[i])}%", ha="center", va="center",
                            fontsize=MIN_FONT_PT, bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0})
            left += w
        for i in range(k):
            ax.text(101, y[i], f"n={int(totals.iloc[i])}", va="center", ha="left", fontsize=MIN_FONT_PT)
        ax.set_yticks(y, [str(r) for r in counts.index])
        ax.set_xlim(0, 110)
        ax.set_xticks([0, 20, 40, 60, 80, 100])
        ax.set_xlabel(xlabel)
        if title:
            ax.set_title(title, loc="left")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25 if k < 4 else -0.12),
                  ncols=min(len(counts.columns), 5), fontsize=MIN_FONT_PT)
    return fig
