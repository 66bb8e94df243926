"""The server-side SVG bar chart (pirights.console.chart): well-formed, accessible, CSP-safe."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from pirights.console.chart import BOTTOM, HEIGHT, TOP, Bar, bar_chart

NS = "{http://www.w3.org/2000/svg}"


def draw(bars, **kw) -> ET.Element:
    """Render and parse."""
    args = {
        "title": "On-time rate",
        "description": "Share closed on time per week.",
        "element_id": "rate",
        "empty_label": "Nothing closed yet",
    } | kw
    return ET.fromstring(str(bar_chart(bars, **args)))


def rects(svg: ET.Element) -> list[ET.Element]:
    """The bars (and the dashes of weeks without data), left to right."""
    return [r for r in svg.iter(f"{NS}rect") if r.get("class") in ("bar", "empty")]


def tooltip(svg: ET.Element, n: int) -> str:
    """The tooltip of the n-th bar."""
    marks = [e for e in svg if e.tag in (f"{NS}g", f"{NS}rect")]
    return marks[n].find(f"{NS}title").text


def test_accessible_image_with_title_and_description():
    svg = draw([Bar("9/28", "Week of 28 Sep: 3 of 4 on time", 0.75)])
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "rate-title rate-desc"
    assert svg.find(f"{NS}title").get("id") == "rate-title"
    assert svg.find(f"{NS}title").text == "On-time rate"
    assert svg.find(f"{NS}desc").text == "Share closed on time per week."
    assert len(rects(svg)) == 1
    assert tooltip(svg, 0) == "Week of 28 Sep: 3 of 4 on time"


def test_heights_are_proportional_and_empty_weeks_differ_from_zero():
    svg = draw([Bar("", "a", 1.0), Bar("", "b", 0.5), Bar("", "c", None), Bar("", "d", 0.0)])
    full, half, empty, zero = (float(r.get("height")) for r in rects(svg))
    plot = HEIGHT - TOP - BOTTOM
    assert full == plot and half == plot / 2
    assert 0 < zero < empty  # 0 % is a sliver; "no data" is a grey dash
    colours = [r.get("fill") for r in rects(svg)]
    assert colours[2] != colours[0]
    tracks = [r for r in svg.iter(f"{NS}rect") if r.get("class") == "track"]
    assert len(tracks) == 3 and {float(t.get("height")) for t in tracks} == {plot}
    assert svg.find(f".//{NS}text[.='Nothing closed yet']") is None


def test_no_data_at_all_says_so():
    svg = draw([Bar("", "", None)] * 3)
    assert svg.find(f".//{NS}text[.='Nothing closed yet']") is not None


def test_texts_are_escaped():
    hostile = '</title><script>alert(1)</script>"&'
    text = str(
        bar_chart(
            [Bar(hostile, hostile, 0.5)],
            title=hostile,
            description=hostile,
            element_id='x" onload="y',
            empty_label=hostile,
        )
    )
    assert "<script" not in text and 'onload="' not in text
    svg = ET.fromstring(text)
    assert svg.find(f"{NS}title").text == hostile


def test_nothing_the_strict_csp_would_block():
    text = str(draw([Bar("w", "t", 0.3)] * 26))
    assert "style" not in text  # neither attribute nor element
    assert "<script" not in text and "href" not in text
    assert not re.search(r"\son\w+=", text)  # no event handler attributes


@given(
    st.lists(
        st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=True)),
        min_size=1,
        max_size=60,
    )
)
def test_any_shares_stay_inside_the_plot(shares):
    svg = draw([Bar(str(n), "", s) for n, s in enumerate(shares)])
    assert len(rects(svg)) == len(shares)
    for rect in rects(svg):
        y, height = float(rect.get("y")), float(rect.get("height"))
        assert y >= TOP - 0.05 and y + height <= HEIGHT - BOTTOM + 0.05
