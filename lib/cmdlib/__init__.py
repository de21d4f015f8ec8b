"""Logical units: the master-side implementation of every opcode.

Layer 5 (master side).  ``OpFooBar`` is carried out by ``LUFooBar``; the
LUs live in one module per area (found by `_ImportLUModules`) on top of the base
classes in `base` and the shared helpers in `common`.  `GetLU` is mcpu's
way from an opcode class to its LU.  `local_rpc` holds the in-process node
call runner used until the node daemon exists.

This package must not acquire cluster locks (mcpu does) and must not be
imported by lower layers.
"""

import importlib
import pkgutil

from ganeti import opcodes
from ganeti.cmdlib.base import (LogicalUnit, NoHooksLU, Tasklet,
                                ResultWithJobs, LOCKS_REPLACE, LOCKS_APPEND)

__all__ = ["LogicalUnit", "NoHooksLU", "Tasklet", "ResultWithJobs",
           "LOCKS_REPLACE", "LOCKS_APPEND", "GetLU", "LUNameForOpcode",
           "GetDispatchTable"]

#: modules of this package that hold shared machinery, not LUs
_NON_LU_MODULES = frozenset(["base", "common", "local_rpc"])


def _ImportLUModules():
  """Every module of this package that may hold LUs, imported.

  A new area module is picked up by being there: there is no list to keep
  in step with the files.

  """
  names = sorted(info.name for info in pkgutil.iter_modules(__path__)
                 if not info.name.startswith("_") and
                 info.name not in _NON_LU_MODULES)
  return tuple(importlib.import_module("%s.%s" % (__name__, name))
               for name in names)


#: modules holding LUs; an LU is found there by its name
_LU_MODULES = _ImportLUModules()


def LUNameForOpcode(op_class):
  """The LU class name for an opcode class (``OpFooBar`` -> ``LUFooBar``)."""
  name = op_class.__name__
  if not name.startswith("Op") or len(name) < 3:
    raise ValueError("Opcode class name %r does not start with 'Op'" % name)
  return "LU" + name[2:]


def _BuildDispatchTable():
  table = {}
  for op_class in opcodes.OP_MAPPING.values():
    lu_name = LUNameForOpcode(op_class)
    for module in _LU_MODULES:
      lu_class = getattr(module, lu_name, None)
      if lu_class is not None:
        table[op_class] = lu_class
        break
  return table


_DISPATCH_TABLE = _BuildDispatchTable()


def GetDispatchTable():
  """A copy of the opcode class -> LU class table of this release."""
  return dict(_DISPATCH_TABLE)


def GetLU(op_class):
  """The LU class implementing an opcode class, or None if there is none."""
  return _DISPATCH_TABLE.get(op_class)
