"""Helpers shared by logical units of several areas (LU mechanics only).

Layer 5 (master side).  Name expansion against the configuration and lock
declaration shortcuts used by ExpandNames/DeclareLocks of many LUs.

This module must not hold domain arithmetic (that belongs to the model
layer), must not acquire locks and must not talk to nodes.
"""

from ganeti import errors
from ganeti import locking
from ganeti import utils


def ShareAll():
  """A ``share_locks`` value sharing every level."""
  return dict.fromkeys(locking.LEVELS, 1)


def ExpandNodeName(cfg, name):
  """The full name of a node given by a unique (short) name.

  @raise errors.OpPrereqError: no node (or more than one) matches

  """
  if not isinstance(name, str) or not name:
    raise errors.OpPrereqError("Invalid node name %r" % (name, ),
                               errors.ECODE_INVAL)
  full = cfg.ExpandNodeName(name)
  if full is None:
    raise errors.OpPrereqError("Node '%s' not known" % name,
                               errors.ECODE_NOENT)
  return full


def GetWantedNodes(lu, nodes):
  """Expand a list of node names, nicely sorted and without duplicates.

  @raise errors.OpPrereqError: one of the names is unknown

  """
  return utils.NiceSort(set(ExpandNodeName(lu.cfg, name) for name in nodes))


def ExpandInstanceName(cfg, name):
  """The full name of an instance given by a unique (short) name.

  @raise errors.OpPrereqError: no instance (or more than one) matches

  """
  if not isinstance(name, str) or not name:
    raise errors.OpPrereqError("Invalid instance name %r" % (name, ),
                               errors.ECODE_INVAL)
  full = cfg.ExpandInstanceName(name)
  if full is None:
    raise errors.OpPrereqError("Instance '%s' not known" % name,
                               errors.ECODE_NOENT)
  return full
