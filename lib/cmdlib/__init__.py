"""Logical units: the master-side implementation of every opcode.

Layer 5 (master side).  ``OpFooBar`` is carried out by ``LUFooBar``; the
LUs live in one module per area (``test`` for now) on top of the base
classes in `base` and the shared helpers in `common`.  `GetLU` is mcpu's
way from an opcode class to its LU.  `local_rpc` holds the in-process node
call runner used until the node daemon exists.

This package must not acquire cluster locks (mcpu does) and must not be
imported by lower layers.
"""

from ganeti import opcodes
from ganeti.cmdlib import test
from ganeti.cmdlib.base import (LogicalUnit, NoHooksLU, Tasklet,
                                ResultWithJobs, LOCKS_REPLACE, LOCKS_APPEND)

__all__ = ["LogicalUnit", "NoHooksLU", "Tasklet", "ResultWithJobs",
           "LOCKS_REPLACE", "LOCKS_APPEND", "GetLU", "LUNameForOpcode",
           "GetDispatchTable"]

#: modules holding LUs; an LU is found there by its name
_LU_MODULES = (test, )


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
