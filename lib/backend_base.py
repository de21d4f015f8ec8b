"""Shared pieces of the node backend: the failure type and node identity.

Layer 3 (node side).  Every backend function reports a failure by raising
``RPCFail`` whose message is the reason shown to the master; this module
defines it, a helper that logs and raises it, and the few facts about
"this node" (its name, whether it is a master candidate) that several
backend modules need.

It must not import master-side or wire modules, must not run commands and
must not write files.
"""

import logging
import time
from typing import List, NoReturn

from ganeti import errors
from ganeti import netutils
from ganeti import objects
from ganeti import ssconf
from ganeti import utils


class RPCFail(Exception):
  """A backend call failed; ``str(err)`` is the reason for the master.

  Raised instead of returning half results: the node daemon turns it into
  the ``[false, reason]`` answer of the RPC.

  """


def Fail(msg: str, *args, log: bool = True, exc: bool = False) -> NoReturn:
  """Log and raise an RPCFail with ``msg % args``.

  @param log: whether to log the message (with the traceback if ``exc``)
  @raise RPCFail: always

  """
  if args:
    msg = msg % args
  if log:
    if exc:
      logging.exception(msg)
    else:
      logging.error(msg)
  raise RPCFail(msg)


def GetMyName() -> str:
  """Returns this node's name (the virtual node's name in a vcluster)."""
  return netutils.Hostname.GetSysName()


def NowSplit() -> List[int]:
  """The current time in wire form."""
  return utils.SplitTime(time.time())


def ReadMasterCandidates() -> List[str]:
  """Returns the master candidates according to this node's ssconf.

  @raise RPCFail: when the ssconf file cannot be read

  """
  try:
    return ssconf.SimpleStore().GetMasterCandidates()
  except errors.ConfigurationError as err:
    Fail("Cannot read the list of master candidates: %s", err)


def RequireMasterCandidate(what: str) -> None:
  """Refuses ``what`` unless this node is a master candidate.

  @raise RPCFail: naming the operation and this node

  """
  myself = GetMyName()
  if myself not in ReadMasterCandidates():
    Fail("%s refused: this node (%s) is not a master candidate", what, myself)


def ToConfigObject(cls, value, what: str):
  """A configuration object from its wire form (a dict), or ``value`` itself
  when it already is one.

  @param cls: the objects class (objects.Disk, objects.Instance, ...)
  @param what: how the caller's error messages name it ("disk", ...)
  @raise RPCFail: not a valid description

  """
  if isinstance(value, cls):
    return value
  if not isinstance(value, dict):
    Fail("Invalid %s description: expected a dict, got %s", what,
         type(value).__name__)
  try:
    return cls.FromDict(value)
  except (errors.GenericError, TypeError, ValueError, KeyError,
          AttributeError) as err:
    Fail("Invalid %s description %r: %s", what, value, err)
