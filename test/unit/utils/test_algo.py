"""Tests for ganeti.utils.algo, with hypothesis properties for NiceSort."""

import random

import pytest
from hypothesis import given, strategies as st

from ganeti import errors
from ganeti.utils import algo


def test_unique_sequence_keeps_first_positions():
  assert algo.UniqueSequence([3, 1, 3, 2, 1]) == [3, 1, 2]
  assert algo.UniqueSequence("abca") == ["a", "b", "c"]
  assert algo.UniqueSequence([]) == []


def test_unique_sequence_unhashable():
  with pytest.raises(TypeError):
    algo.UniqueSequence([[1], [1]])


def test_find_duplicates():
  assert algo.FindDuplicates([1, 2, 3]) == []
  assert algo.FindDuplicates(["b", "a", "b", "a", "b"]) == ["b", "a"]
  assert algo.FindDuplicates([]) == []


def test_join_disjoint_dicts():
  a = {"x": 1}
  b = {"y": 2}
  assert algo.JoinDisjointDicts(a, b) == {"x": 1, "y": 2}
  assert a == {"x": 1} and b == {"y": 2}
  with pytest.raises(ValueError, match="not disjoint.*x"):
    algo.JoinDisjointDicts({"x": 1}, {"x": 2})


def test_nice_sort_examples():
  names = ["node10", "node2", "node1", "a", "node1.example.com", "Node3",
           "x10y2", "x10y10", "x9", ""]
  assert algo.NiceSort(names) == ["", "Node3", "a", "node1",
                                  "node1.example.com", "node2", "node10",
                                  "x9", "x10y2", "x10y10"]


def test_nice_sort_numbers_before_text():
  assert algo.NiceSort(["a", "1", "b2", "b"]) == ["1", "a", "b", "b2"]


def test_nice_sort_with_key():
  items = [("node10", 1), ("node9", 2)]
  assert algo.NiceSort(items, key=lambda i: i[0]) == [("node9", 2),
                                                       ("node10", 1)]


def test_nice_sort_rejects_non_strings():
  with pytest.raises(TypeError, match="strings"):
    algo.NiceSort(["a", 1])
  with pytest.raises(TypeError, match="strings"):
    algo.NiceSortKey(None)


_NAMES = st.lists(st.text(alphabet="ab01.9-", max_size=8), max_size=20)


@given(_NAMES)
def test_nice_sort_is_a_sorted_permutation(names):
  result = algo.NiceSort(names)
  assert sorted(result) == sorted(names)
  keys = [algo.NiceSortKey(n) for n in result]
  assert keys == sorted(keys)


@given(_NAMES, st.randoms())
def test_nice_sort_independent_of_input_order(names, rnd):
  shuffled = list(names)
  rnd.shuffle(shuffled)
  assert [algo.NiceSortKey(n) for n in algo.NiceSort(shuffled)] == \
    [algo.NiceSortKey(n) for n in algo.NiceSort(names)]


@given(st.text(alphabet="abc-", min_size=1, max_size=5),
       st.integers(0, 10**6), st.integers(0, 10**6))
def test_nice_sort_orders_numeric_suffixes(prefix, a, b):
  (low, high) = sorted([a, b])
  result = algo.NiceSort(["%s%d" % (prefix, high), "%s%d" % (prefix, low)])
  assert result == ["%s%d" % (prefix, low), "%s%d" % (prefix, high)]


def test_invert_dict():
  assert algo.InvertDict({"a": 1, "b": 2}) == {1: "a", 2: "b"}
  assert algo.InvertDict({}) == {}
  with pytest.raises(TypeError):
    algo.InvertDict({"a": [1]})


def test_sequence_to_dict():
  seq = [("a", 1), ("b", 2)]
  assert algo.SequenceToDict(seq) == {"a": ("a", 1), "b": ("b", 2)}
  assert algo.SequenceToDict([1, 2], key=str) == {"1": 1, "2": 2}
  with pytest.raises(ValueError, match="Duplicate keys found: a"):
    algo.SequenceToDict([("a", 1), ("a", 2)])


def test_flat_to_dict():
  assert algo.FlatToDict({"a/b": 1, "a/c": 2, "d": 3}) == \
    {"a": {"b": 1, "c": 2}, "d": 3}
  assert algo.FlatToDict({"a.b": 1}, field_sep=".") == {"a": {"b": 1}}
  with pytest.raises(ValueError, match="conflicts"):
    algo.FlatToDict({"a": 1, "a/b": 2})
  with pytest.raises(ValueError, match="prefix"):
    algo.FlatToDict(dict([("a/b", 2), ("a", 1)]))
  with pytest.raises(ValueError, match="separator"):
    algo.FlatToDict({"a": 1}, field_sep="")


def test_running_timeout_counts_from_first_use():
  now = [100.0]
  rt = algo.RunningTimeout(10, False, _time_fn=lambda: now[0])
  now[0] = 500.0
  assert rt.Remaining() == 10.0
  now[0] = 504.0
  assert rt.Remaining() == 6.0
  now[0] = 520.0
  assert rt.Remaining() == 0.0


def test_running_timeout_negative_allowed_and_none():
  now = [0.0]
  rt = algo.RunningTimeout(1, True, _time_fn=lambda: now[0])
  rt.Remaining()
  now[0] = 3.0
  assert rt.Remaining() == -2.0
  assert algo.RunningTimeout(None, False).Remaining() is None


@pytest.mark.parametrize("timeout", [-1, "5", True])
def test_running_timeout_bad_values(timeout):
  with pytest.raises(ValueError, match="Timeout"):
    algo.RunningTimeout(timeout, False)


def test_unique_sequence_random_property():
  rnd = random.Random(4)
  data = [rnd.randint(0, 20) for _ in range(200)]
  result = algo.UniqueSequence(data)
  assert len(result) == len(set(data))
  assert sorted(result, key=data.index) == result


def test_split_time_carries_rounding_into_seconds():
  assert algo.SplitTime(10.5) == [10, 500000]
  assert algo.SplitTime(7.0) == [7, 0]
  assert algo.SplitTime(1.9999999) == [2, 0]


def test_merge_time_round_trips_and_refuses_garbage():
  assert algo.MergeTime([10, 500000]) == 10.5
  assert algo.MergeTime(algo.SplitTime(1234.25)) == 1234.25
  for bad in ([1], [1, 1000000], None, [1.0, 0], (True, 1)):
    with pytest.raises(errors.ProgrammerError, match="Invalid timestamp"):
      algo.MergeTime(bad)

