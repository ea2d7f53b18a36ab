"""Rows sorted as text by code point (contract §1), whichever way a column is ranked.

``sort_rows`` ranks a column of one plain type (text, dates, booleans, integers) in
Arrow and anything else in Python; both must give the order of sorting the rows' tuples
of texts, stably.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from builders import examples
from caseaudit.io.writer import _sort_text, sort_rows


def _sorted_by_text(frame: pd.DataFrame) -> list[int]:
    """The positions in the order the contract asks for, by plain ``sorted`` (stable)."""
    rows = frame.to_dict("records")
    return sorted(range(len(rows)), key=lambda i: tuple(_sort_text(v) for v in rows[i].values()))


def _order(frame: pd.DataFrame) -> list[int]:
    labelled = frame.assign(_position=range(len(frame)))
    return sort_rows(labelled, list(frame.columns))["_position"].tolist()


def test_integers_sort_as_text() -> None:
    # As text "" (None) < "-1" < "10" < "9": not by number.
    frame = pd.DataFrame({"n": pd.Series([10, 9, None, -1], dtype=object)})
    assert _order(frame) == [2, 3, 0, 1]


def test_text_sorts_by_code_point_and_none_ties_with_the_empty_text() -> None:
    # "" and None are both the text "" and keep their order; then "Z" (U+005A),
    # "z" (U+007A), "é" (U+00E9), "😀" (U+1F600).
    frame = pd.DataFrame({"t": pd.Series(["é", "z", "", None, "Z", "😀"], dtype=object)})
    assert _order(frame) == [2, 3, 4, 1, 0, 5]


def test_dates_and_booleans_sort_as_their_texts() -> None:
    # ISO dates: "" < "0999-01-01" < "2026-03-01"; booleans: "" < "false" < "true".
    dates = pd.Series([dt.date(2026, 3, 1), None, dt.date(999, 1, 1)], dtype=object)
    assert _order(pd.DataFrame({"d": dates})) == [1, 2, 0]
    flags = pd.Series([True, None, False], dtype=object)
    assert _order(pd.DataFrame({"b": flags})) == [1, 2, 0]


def test_columns_arrow_cannot_hold_sort_in_python() -> None:
    # A lone surrogate (U+DC80) is above "z" and below U+1F600; an integer past 64 bits
    # is text too: "1180591620717411303424" < "5".
    text = pd.Series(["😀", "\udc80", "z"], dtype=object)
    assert _order(pd.DataFrame({"t": text})) == [2, 1, 0]
    big = pd.Series([5, 2**70], dtype=object)
    assert _order(pd.DataFrame({"n": big})) == [1, 0]


def test_a_later_column_breaks_ties_and_equal_rows_keep_their_order() -> None:
    # ("a", 2) twice keeps positions 0 and 2 in order; ("a", 10) before them ("10" < "2").
    frame = pd.DataFrame(
        {
            "k": pd.Series(["a", "b", "a", "a"], dtype=object),
            "n": pd.Series([2, 1, 2, 10], dtype=object),
        }
    )
    assert _order(frame) == [3, 0, 2, 1]


_VALUES = st.one_of(
    st.none(),
    st.text(max_size=3),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.booleans(),
    st.dates(),
)


@settings(max_examples=examples(200), deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.text(alphabet="aAé😀0", max_size=2)),
            st.one_of(st.none(), st.integers(-20, 20)),
            st.one_of(st.none(), st.dates(min_value=dt.date(990, 1, 1))),
            st.one_of(st.none(), st.booleans()),
            _VALUES,  # a column of mixed types, ranked in Python
        ),
        max_size=30,
    )
)
def test_sort_rows_is_sorting_the_tuples_of_texts(rows: list[tuple[object, ...]]) -> None:
    frame = pd.DataFrame(
        {name: pd.Series([r[i] for r in rows], dtype=object) for i, name in enumerate("tndbm")}
    )
    assert _order(frame) == _sorted_by_text(frame)


def test_many_wide_columns_sort_as_their_tuples_of_texts() -> None:
    # Thirteen columns of up to 64 distinct numbers need more than 63 bits of ranks
    # together, and every row is there twice, so no first few columns tell the rows
    # apart: they are ordered column by column, to the same order.
    rng = np.random.default_rng(0)
    columns = {f"c{i}": rng.integers(0, 64, size=150).tolist() for i in range(13)}
    columns["c0"] = [n % 2 for n in columns["c0"]]  # many ties in the first column
    once = pd.DataFrame({name: pd.Series(v, dtype=object) for name, v in columns.items()})
    frame = pd.concat([once, once.iloc[::-1]], ignore_index=True)
    assert _order(frame) == _sorted_by_text(frame)


def test_an_id_first_settles_the_order_whatever_follows() -> None:
    # Ids all differ, so the later columns change nothing: "C1" < "C10" < "C2".
    frame = pd.DataFrame(
        {
            "id": pd.Series(["C2", "C10", "C1"], dtype=object),
            "n": pd.Series([1, 3, 2], dtype=object),
        }
    )
    assert _order(frame) == [2, 1, 0]
