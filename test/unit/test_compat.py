"""Tests for ganeti.compat."""

import functools
import hashlib

import pytest
from hypothesis import given, strategies as st

from ganeti import compat
from ganeti import errors


def test_unique_frozenset_builds_a_frozenset():
  result = compat.UniqueFrozenset(["a", "b", "c"])
  assert result == frozenset(["a", "b", "c"])
  assert isinstance(result, frozenset)
  assert compat.UniqueFrozenset([]) == frozenset()
  assert compat.UniqueFrozenset(i for i in range(3)) == frozenset([0, 1, 2])


def test_unique_frozenset_names_duplicates():
  with pytest.raises(errors.ProgrammerError) as info:
    compat.UniqueFrozenset(["a", "b", "a", 1, 1, "a"])
  assert str(info.value) == "Duplicate values in set: 'a', 1"


@pytest.mark.parametrize("value", ["abc", b"abc"])
def test_unique_frozenset_refuses_strings(value):
  with pytest.raises(errors.ProgrammerError, match="not the string"):
    compat.UniqueFrozenset(value)


def test_unique_frozenset_refuses_unhashable_items():
  with pytest.raises(errors.ProgrammerError, match="hashable.*list"):
    compat.UniqueFrozenset([[1], [2]])


def test_unique_frozenset_refuses_non_iterables():
  with pytest.raises(errors.ProgrammerError, match="iterable, got 5"):
    compat.UniqueFrozenset(5)


def test_aliases():
  assert compat.partial is functools.partial
  assert compat.partial(max, 3)(1) == 3
  assert compat.sha1_hash(b"x").hexdigest() == \
    hashlib.sha1(b"x").hexdigest()
  assert compat.md5_hash(b"x").hexdigest() == hashlib.md5(b"x").hexdigest()


@given(st.lists(st.integers(min_value=-5, max_value=5), max_size=8))
def test_property_unique_frozenset_agrees_with_set(items):
  if len(set(items)) == len(items):
    assert compat.UniqueFrozenset(items) == frozenset(items)
  else:
    with pytest.raises(errors.ProgrammerError, match="Duplicate"):
      compat.UniqueFrozenset(items)
