"""Algorithms on sequences and dictionaries, plus a running-timeout helper.

Layer 1 (base). Pure functions without I/O: natural ("nice") sorting of
names, duplicate detection, dictionary joins and inversions. Must not
import anything above the base layer.
"""

import re
import time

from ganeti import errors
from ganeti.utils import text as utils_text


_NICESORT_SPLIT_RE = re.compile(r"([0-9]+)")

# Key components: a missing component sorts first (shorter names first), a
# number before text at the same position, as in Ganeti's ordering.
_KIND_NUMBER = 1
_KIND_TEXT = 2


def UniqueSequence(seq):
  """Return the elements of seq without duplicates, keeping first positions.

  @type seq: iterable of hashable values
  @rtype: list

  """
  seen = set()
  result = []
  for item in seq:
    if item not in seen:
      seen.add(item)
      result.append(item)
  return result


def FindDuplicates(seq):
  """Return the values appearing more than once in seq.

  Each duplicate is listed once, in the order its second occurrence is met.

  @rtype: list

  """
  seen = set()
  reported = set()
  duplicates = []
  for item in seq:
    if item in seen:
      if item not in reported:
        reported.add(item)
        duplicates.append(item)
    else:
      seen.add(item)
  return duplicates


def JoinDisjointDicts(dict_a, dict_b):
  """Merge two dictionaries that must not share a key.

  @raise ValueError: a key is present in both

  """
  common = set(dict_a) & set(dict_b)
  if common:
    raise ValueError("Dictionaries are not disjoint, common keys: %s"
                     % utils_text.CommaJoin(sorted(map(str, common))))
  result = dict(dict_a)
  result.update(dict_b)
  return result


def NiceSortKey(value):
  """Sort key splitting a string into text and number parts.

  "node10" becomes ((2, "node"), (1, 10)), so it sorts after "node9".

  @raise TypeError: value is not a string

  """
  if not isinstance(value, str):
    raise TypeError("NiceSort works on strings, got %r" % (value, ))
  key = []
  for part in _NICESORT_SPLIT_RE.split(value):
    if not part:
      continue
    if part[0] in "0123456789":
      key.append((_KIND_NUMBER, int(part)))
    else:
      key.append((_KIND_TEXT, part))
  return tuple(key)


def NiceSort(values, key=None):
  """Sort strings in natural order: "node2" before "node10".

  @param values: the strings (or objects, with ``key``)
  @param key: function returning the string to sort an object by
  @rtype: list

  """
  if key is None:
    keyfn = NiceSortKey
  else:
    keyfn = lambda value: NiceSortKey(key(value))
  return sorted(values, key=keyfn)


def InvertDict(dict_in):
  """Swap keys and values; values must be hashable.

  With repeated values, the last key (in iteration order) wins.

  """
  return dict((value, key) for (key, value) in dict_in.items())


def SequenceToDict(seq, key=lambda item: item[0]):
  """Index a sequence by a key taken from each element.

  @param key: function returning an element's key (default: its first item)
  @raise ValueError: two elements have the same key

  """
  items = list(seq)
  keys = [key(item) for item in items]
  duplicates = FindDuplicates(keys)
  if duplicates:
    raise ValueError("Duplicate keys found: %s"
                     % utils_text.CommaJoin(duplicates))
  return dict(zip(keys, items))


def FlatToDict(data, field_sep="/"):
  """Turn {"a/b": 1, "a/c": 2} into {"a": {"b": 1, "c": 2}}.

  @raise ValueError: a key is both a value and a prefix of another key

  """
  if not field_sep:
    raise ValueError("FlatToDict needs a non-empty field separator")
  result = {}
  for flat_key, value in data.items():
    parts = flat_key.split(field_sep)
    node = result
    for (idx, part) in enumerate(parts[:-1]):
      child = node.setdefault(part, {})
      if not isinstance(child, dict):
        raise ValueError("Key '%s' conflicts with value at '%s'"
                         % (flat_key, field_sep.join(parts[:idx + 1])))
      node = child
    if parts[-1] in node and isinstance(node[parts[-1]], dict):
      raise ValueError("Key '%s' is also a prefix of other keys" % flat_key)
    node[parts[-1]] = value
  return result


class RunningTimeout:
  """The time left of a timeout that starts counting on first use.

  Lets a function pass "whatever is left" of one overall timeout to the
  several blocking calls it makes.

  """
  __slots__ = ["_allow_negative", "_start_time", "_time_fn", "_timeout"]

  def __init__(self, timeout, allow_negative, _time_fn=time.time):
    """
    @param timeout: seconds, or None for no timeout
    @param allow_negative: whether Remaining may go below zero
    @raise ValueError: negative timeout

    """
    if timeout is not None:
      if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise ValueError("Timeout must be a number or None, got %r"
                         % (timeout, ))
      if timeout < 0.0:
        raise ValueError("Timeout must not be negative, got %r" % (timeout, ))
    self._timeout = timeout
    self._allow_negative = allow_negative
    self._time_fn = _time_fn
    self._start_time = None

  def Remaining(self):
    """Seconds left, None without timeout; the first call starts the clock."""
    if self._timeout is None:
      return None
    now = self._time_fn()
    if self._start_time is None:
      self._start_time = now
    remaining = self._start_time + self._timeout - now
    if self._allow_negative:
      return remaining
    return max(0.0, remaining)


def SplitTime(value):
  """Split a time stamp into ``[seconds, microseconds]``, the wire form.

  Rounding may carry into the seconds, so the pair never goes backwards.

  """
  seconds = int(value)
  micro = int(round((value - seconds) * 1000000))
  if micro >= 1000000:
    (seconds, micro) = (seconds + 1, micro - 1000000)
  return [seconds, micro]


def MergeTime(timetuple):
  """Turn a ``[seconds, microseconds]`` pair back into float seconds.

  @raise errors.ProgrammerError: not such a pair

  """
  if (not isinstance(timetuple, (tuple, list)) or len(timetuple) != 2 or
      not all(isinstance(part, int) and not isinstance(part, bool)
              for part in timetuple) or
      not 0 <= timetuple[1] < 1000000):
    raise errors.ProgrammerError("Invalid timestamp %r, expected"
                                 " [seconds, microseconds]" % (timetuple, ))
  return timetuple[0] + timetuple[1] / 1000000.0

