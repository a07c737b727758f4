"""Walking one array of a large JSON document item by item, as `json.loads` would read it."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from botdeck.core.json_items import NotOneValue, WrongShape, array_items

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(
    items=st.lists(JSON, max_size=5),
    before=st.dictionaries(st.text(), JSON, max_size=3),
    after=st.dictionaries(st.text(), JSON, max_size=3),
    indent=st.sampled_from([None, 0, 2]),
)
def test_the_items_are_those_json_loads_reads(items, before, after, indent):
    before.pop("comments", None)
    after.pop("comments", None)
    text = json.dumps({**before, "comments": items, **after}, indent=indent)
    assert list(array_items(text, "comments")) == json.loads(text)["comments"]


@pytest.mark.parametrize(
    ("text", "shape"),
    [
        ("[1, 2]", "an array"),
        ('"x"', "a string"),
        ("{}", 'an object without "comments"'),
        ('{"a": {"comments": []}}', 'an object without "comments"'),
        ('{"comments": 5}', '"comments" is a number, not an array'),
        ('{"comments": {"a": 1}}', '"comments" is an object, not an array'),
    ],
)
def test_json_of_another_shape(text, shape):
    with pytest.raises(WrongShape, match=shape):
        list(array_items(text, "comments"))


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('{"comments": [1, 2', "line 1 column 19"),
        ('{"comments": [1 2]}', "line 1 column 17"),
        ('{"comments": []} x', "line 1 column 18"),
        ('{\n"comments": [],\n}', "line 3 column 1"),
        ('{"comments": []', "line 1 column 16"),
        ("{1: 2}", "line 1 column 2"),
        ('{"comments": [' + "[" * 100_000, "line 1 column 15"),
    ],
    ids=["cut", "no comma", "extra", "trailing comma", "unclosed", "number key", "deep"],
)
def test_text_that_is_not_one_value_says_where(text, where):
    with pytest.raises(NotOneValue) as info:
        list(array_items(text, "comments"))
    assert str(info.value).startswith(f"{where}: not JSON")
