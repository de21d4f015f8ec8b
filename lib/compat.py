"""Small helpers that Ganeti code expects under ``ganeti.compat``.

Layer 1 (base).  Ganeti used this module to bridge Python versions; on
Python 3.11 most of that is built in, so only what callers still use is
kept: UniqueFrozenset (catches duplicated constants early), and the names
partial, sha1_hash and md5_hash as thin aliases of the standard library.

This module must not import anything from the ganeti package except
errors, and must not grow general utilities (those belong in utils/).
"""

import functools
import hashlib
from typing import Hashable, Iterable

from ganeti import errors


#: functools.partial, under the name Ganeti code uses
partial = functools.partial

#: hash constructors, under the names Ganeti code uses
sha1_hash = hashlib.sha1
md5_hash = hashlib.md5


def UniqueFrozenset(seq: Iterable[Hashable]) -> frozenset:
  """Build a frozenset, refusing sequences that hold an item twice.

  Constant sets are written out by hand; a repeated item there is almost
  always a typo that silently hides the value really meant.

  @raise errors.ProgrammerError: naming the duplicated items

  """
  if isinstance(seq, (str, bytes)):
    raise errors.ProgrammerError("UniqueFrozenset needs a collection of"
                                 " items, not the string %r" % (seq, ))
  try:
    items = list(seq)
  except TypeError:
    raise errors.ProgrammerError("UniqueFrozenset needs an iterable, got %r"
                                 % (seq, ))
  try:
    result = frozenset(items)
  except TypeError as err:
    raise errors.ProgrammerError("UniqueFrozenset needs hashable items: %s" %
                                 err)
  if len(result) != len(items):
    seen = set()
    dups = []
    for item in items:
      if item in seen and item not in dups:
        dups.append(item)
      seen.add(item)
    raise errors.ProgrammerError("Duplicate values in set: %s" %
                                 ", ".join(repr(i) for i in dups))
  return result
