"""Tests for the ganeti.cmdlib package (opcode -> LU dispatch)."""

import pytest

from ganeti import cmdlib
from ganeti import opcodes
from ganeti.cmdlib import base
from ganeti.cmdlib import test as cmdlib_test


def test_lu_name_for_opcode():
  assert cmdlib.LUNameForOpcode(opcodes.OpTestDelay) == "LUTestDelay"
  assert cmdlib.LUNameForOpcode(opcodes.OpNodeAdd) == "LUNodeAdd"


def test_lu_name_for_a_non_opcode_name():
  class Thing(object):
    pass

  class Op(object):
    pass
  for klass in (Thing, Op):
    with pytest.raises(ValueError, match="does not start with 'Op'"):
      cmdlib.LUNameForOpcode(klass)


def UnimplementedOpcode():
  """Some opcode of the catalogue that has no LU in this release yet."""
  table = cmdlib.GetDispatchTable()
  missing = sorted((op_class for op_class in opcodes.OP_MAPPING.values()
                    if op_class not in table and op_class.WITH_LU),
                   key=lambda op_class: op_class.OP_ID)
  assert missing, "every opcode has an LU: pick another negative example"
  return missing[0]


def test_get_lu():
  assert cmdlib.GetLU(opcodes.OpTestDelay) is cmdlib_test.LUTestDelay
  assert cmdlib.GetLU(opcodes.OpTestJqueue) is cmdlib_test.LUTestJqueue
  assert cmdlib.GetLU(UnimplementedOpcode()) is None
  assert cmdlib.GetLU(opcodes.OpTestDummy) is None
  assert cmdlib.GetLU(dict) is None


def test_dispatch_table_is_a_copy_of_this_releases_lus():
  table = cmdlib.GetDispatchTable()
  assert table[opcodes.OpTestDelay] is cmdlib_test.LUTestDelay
  assert table[opcodes.OpTestJqueue] is cmdlib_test.LUTestJqueue
  assert all(lu_class.__name__ == cmdlib.LUNameForOpcode(op_class)
             for (op_class, lu_class) in table.items())
  assert opcodes.OpTestDummy not in table
  table.clear()
  assert cmdlib.GetLU(opcodes.OpTestDelay) is cmdlib_test.LUTestDelay


@pytest.mark.parametrize("op_class, lu_class",
                         sorted(cmdlib.GetDispatchTable().items(),
                                key=lambda item: item[0].OP_ID))
def test_lus_agree_with_their_opcode_tables(op_class, lu_class):
  assert issubclass(lu_class, base.LogicalUnit)
  assert op_class.WITH_LU
  assert lu_class.HPATH == op_class.HPATH
  assert lu_class.HTYPE == op_class.HTYPE
  assert lu_class.REQ_BGL == op_class.REQ_BGL


def test_package_exports():
  assert cmdlib.LogicalUnit is base.LogicalUnit
  assert cmdlib.NoHooksLU is base.NoHooksLU
  assert cmdlib.Tasklet is base.Tasklet
  assert cmdlib.ResultWithJobs is base.ResultWithJobs
  for name in cmdlib.__all__:
    assert hasattr(cmdlib, name)


def test_every_lu_of_the_area_modules_is_dispatched():
  # area modules are found by scanning the package, so an LU written in a
  # new module is reachable from its opcode without any registration
  names = set(module.__name__.rsplit(".", 1)[1]
              for module in cmdlib._LU_MODULES)  # pylint: disable=W0212
  assert "test" in names
  assert not names & {"base", "common", "local_rpc"}
  found = 0
  for module in cmdlib._LU_MODULES:  # pylint: disable=W0212
    for (name, obj) in vars(module).items():
      if (name.startswith("LU") and isinstance(obj, type) and
          issubclass(obj, cmdlib.LogicalUnit) and
          obj.__module__ == module.__name__):
        op_class = getattr(opcodes, "Op" + name[2:])
        assert cmdlib.GetLU(op_class) is obj
        found += 1
  assert found >= 2
