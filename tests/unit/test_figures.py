"""Unit tests of pipeline.figures: files, text alternatives, determinism, meaning not by colour alone."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from pipeline import figures
from pipeline.paths import PROJ_ROOT


def _bar_data():
    return pd.DataFrame(
        {
            "criterion_id": ["C01", "C02", "C03"],
            "compliance_pct": [85.0, 65.0, 40.0],
            "ci_low_pct": [70.0, 50.0, 25.0],
            "ci_high_pct": [93.0, 78.0, 57.0],
            "n": [40, 40, 40],
            "rag": ["green", "amber", "red"],
        }
    )


def _texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def _save_bar(out_dir):
    data = _bar_data()
    fig = figures.pct_bar_chart(
        data, "criterion_id", "compliance_pct", "ci_low_pct", "ci_high_pct", n="n", rag="rag", title="Compliance"
    )
    return figures.save_figure(
        fig, out_dir, "case_audit__compliance", "Compliance by criterion",
        "Bar chart: C01 85% (green), C02 65% (amber), C03 40% (red).", data,
    )


def test_save_figure_writes_four_files_with_caption_alt_and_data(tmp_path):
    paths = _save_bar(tmp_path)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "case_audit__compliance.csv", "case_audit__compliance.json",
        "case_audit__compliance.png", "case_audit__compliance.svg",
    ]
    meta = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert meta == {
        "name": "case_audit__compliance",
        "caption": "Compliance by criterion",
        "alt": "Bar chart: C01 85% (green), C02 65% (amber), C03 40% (red).",
        "data": "case_audit__compliance.csv",
    }
    pd.testing.assert_frame_equal(pd.read_csv(paths["csv"]), _bar_data())
    assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = paths["svg"].read_text(encoding="utf-8")
    assert "<desc>Bar chart: C01 85% (green), C02 65% (amber), C03 40% (red).</desc>" in svg
    assert "<title>Compliance by criterion</title>" in svg


def test_saved_files_have_no_date_or_version(tmp_path):
    import matplotlib

    paths = _save_bar(tmp_path)
    svg = paths["svg"].read_text(encoding="utf-8")
    assert "<dc:date>" not in svg
    assert matplotlib.__version__ not in svg
    assert matplotlib.__version__.encode() not in paths["png"].read_bytes()


def test_save_figure_is_byte_identical_when_saved_twice(tmp_path):
    first = _save_bar(tmp_path / "a")
    second = _save_bar(tmp_path / "b")
    for kind in ("png", "svg", "csv", "json"):
        assert first[kind].read_bytes() == second[kind].read_bytes(), kind


def test_save_figure_is_byte_identical_across_processes(tmp_path):
    # A fresh interpreter picks a fresh random SVG salt unless the house style fixes it.
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(PROJ_ROOT)!r})
        sys.path.insert(0, {str(PROJ_ROOT / 'tests' / 'unit')!r})
        from test_figures import _save_bar
        _save_bar(sys.argv[1])
        """
    )
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "sub")], check=True)
    here = _save_bar(tmp_path / "here")
    for kind in ("png", "svg", "csv", "json"):
        assert (tmp_path / "sub" / here[kind].name).read_bytes() == here[kind].read_bytes(), kind


@pytest.mark.parametrize("alt", ["", "   ", None])
def test_save_figure_requires_alt_text(tmp_path, alt):
    fig = figures.new_figure()
    with pytest.raises(ValueError, match="alt text"):
        figures.save_figure(fig, tmp_path, "x", "Caption", alt, pd.DataFrame({"a": [1]}))


def test_save_figure_requires_a_caption_and_a_safe_name(tmp_path):
    fig = figures.new_figure()
    with pytest.raises(ValueError, match="caption"):
        figures.save_figure(fig, tmp_path, "x", "", "alt", pd.DataFrame({"a": [1]}))
    with pytest.raises(ValueError, match="name"):
        figures.save_figure(fig, tmp_path, "../x", "c", "alt", pd.DataFrame({"a": [1]}))


def test_save_figure_writes_a_named_index_as_a_column(tmp_path):
    data = pd.DataFrame({"value": [1.0, 2.0]}, index=pd.Index(["2009-01", "2009-02"], name="month"))
    paths = figures.save_figure(figures.new_figure(), tmp_path, "m", "c", "a", data)
    assert paths["csv"].read_text() == "month,value\n2009-01,1.0\n2009-02,2.0\n"


def test_rag_is_written_as_words_and_hatched_not_colour_alone():
    fig = figures.pct_bar_chart(_bar_data(), "criterion_id", "compliance_pct", "ci_low_pct", "ci_high_pct",
                                n="n", rag="rag")
    assert _texts(fig) == ["85%  n=40  Green", "65%  n=40  Amber", "40%  n=40  Red"]
    bars = fig.axes[0].patches
    assert [b.get_hatch() or "" for b in bars[:3]] == ["", "//", "xx"]
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["Green", "Amber", "Red"]


def test_rag_hatches_and_markers_are_all_different():
    hatches = [v["hatch"] for v in figures.RAG.values()]
    markers = [v["marker"] for v in figures.RAG.values()]
    assert len(set(hatches)) == 3 and len(set(markers)) == 3
    assert figures.rag_label("AMBER") == "Amber"
    assert figures.rag_label(None) == ""


def test_xmr_chart_marks_special_cause_by_shape():
    chart = pd.DataFrame(
        {
            "value": [10.0, 11.0, 20.0, 2.0],
            "mean": 10.0, "mr": [None, 1.0, 9.0, 18.0], "ucl": 15.0, "lcl": 5.0,
            "is_outside_limits": [False, False, True, True], "is_shift": False, "is_trend": False,
            "is_two_of_three": False, "is_special_cause": [False, False, True, True],
            "special_cause_label": ["", "", "high", "low"],
        }
    )
    fig = figures.xmr_chart(chart, title="Referrals")
    ax = fig.axes[0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["Mean (baseline)", "Process limits", "Common cause", "Special cause, high", "Special cause, low"]
    # one scatter collection per kind of point, each with its own marker path
    paths = [c.get_paths()[0].vertices.round(3).tolist() for c in ax.collections]
    assert len(ax.collections) == 3
    assert len({str(p) for p in paths}) == 3


def test_xmr_chart_steps_the_limits_by_period():
    chart = pd.DataFrame(
        {
            "value": [10.0, 11.0, 20.0, 21.0],
            "mean": [10.5, 10.5, 20.5, 20.5], "mr": [None, 1.0, 9.0, 1.0],
            "ucl": [13.0, 13.0, 23.0, 23.0], "lcl": [8.0, 8.0, 18.0, 18.0],
            "is_outside_limits": False, "is_shift": False, "is_trend": False,
            "is_two_of_three": False, "is_special_cause": False, "special_cause_label": "",
            "period": [1, 1, 2, 2], "is_period_start": [False, False, True, False],
        }
    )
    ax = figures.xmr_chart(chart).axes[0]
    means = [ln for ln in ax.get_lines() if ln.get_linestyle() == "-" and ln.get_color() == "black"]
    # one mean line per period, each flat at its own level: no diagonal across the step
    assert [sorted(set(ln.get_ydata())) for ln in means] == [[10.5], [20.5]]
    uppers = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--" and max(ln.get_ydata()) in (13.0, 23.0)]
    assert sorted(max(ln.get_ydata()) for ln in uppers) == [13.0, 23.0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend.count("Mean (baseline)") == 1 and legend.count("Process limits") == 1


def test_heatmap_writes_each_answer_in_its_cell():
    table = pd.DataFrame(
        [["agree", "disagree", None], ["strongly_agree", "na", "agree"]],
        index=["T1", "T2"], columns=["Q1", "Q2", "Q3"],
    )
    styles = {
        "strongly_agree": ("SA", figures.OKABE_ITO["blue"]),
        "agree": ("A", figures.OKABE_ITO["sky_blue"]),
        "disagree": ("D", figures.OKABE_ITO["orange"]),
        "na": ("NA", "#DDDDDD"),
    }
    fig = figures.category_heatmap(table, styles, missing_text="-")
    assert _texts(fig) == ["A", "D", "-", "SA", "NA", "A"]
    # white text on the dark blue fill, black on the light ones
    colours = [t.get_color() for t in fig.axes[0].texts]
    assert colours[3] == "white" and colours[0] == "black"


def test_stacked_bar_labels_segments_and_totals():
    counts = pd.DataFrame(
        {"good": [3, 0], "requires_improvement": [1, 2], "inadequate": [0, 2]},
        index=["Assessment", "Planning"],
    )
    fig = figures.stacked_pct_bar(counts)
    # Assessment 3/4 = 75%, 1/4 = 25%; Planning 2/4 = 50%, 2/4 = 50%; totals n=4, n=4.
    assert _texts(fig) == ["75%", "25%", "50%", "50%", "n=4", "n=4"]
    hatches = {p.get_hatch() or "" for p in fig.axes[0].patches}
    assert len(hatches) == 3


# ---------------------------------------------------------------- issue 12: words with every code, A4 sizes

def test_code_label_keeps_the_words():
    assert figures.code_label("C03", "Were checks with other agencies completed?") == \
        "C03  Were checks with other agencies completed"
    assert figures.code_label("Q7", None) == "Q7" and figures.code_label("Q7", "  ") == "Q7"
    long = figures.code_label("C10", "word " * 60, width=20, max_lines=2)
    lines = long.split("\n")
    assert len(lines) == 2 and lines[0].startswith("C10") and lines[-1].endswith("…")
    assert all(len(line) <= 20 for line in lines)


def test_pct_bar_chart_labels_carry_code_and_wording():
    data = pd.DataFrame({"code": ["Q1", "Q7"], "pct": [90.0, 50.0],
                         "text": ["Thresholds are clear.", "Caseloads allow safe practice"]})
    ax = figures.pct_bar_chart(data, label="code", value="pct", wording="text").axes[0]
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks == ["Q1  Thresholds are clear", "Q7  Caseloads allow safe practice"]


def _smallest_text_pt(fig):
    fig.canvas.draw()
    sizes = [t.get_fontsize() for t in fig.findobj(lambda a: hasattr(a, "get_fontsize") and hasattr(a, "get_text"))
             if t.get_text().strip() and t.get_visible()]
    return min(sizes)


def test_charts_print_no_text_under_7pt_at_a4_width():
    """A chart placed across the Board paper's text width (6.5 in) is scaled by 6.5 / its width."""
    grid = pd.DataFrame([["agree"] * 29] * 24, index=[f"T{i:02d}" for i in range(24)],
                        columns=[f"Q{j}" for j in range(1, 30)])
    heat = figures.category_heatmap(grid, {"agree": ("A", "#56B4E9")})
    bars = figures.pct_bar_chart(pd.DataFrame({"c": ["Q1"], "v": [50.0], "t": ["words"]}), "c", "v",
                                 n="v", wording="t")
    for fig in (heat, bars):
        width = fig.get_figwidth()
        assert width <= 7.0
        assert _smallest_text_pt(fig) * min(1.0, 6.5 / width) >= 7.0
