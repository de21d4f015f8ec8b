"""Tests for ganeti.opcodes (with opcodes_base and opcodes_params).

The catalogue is compared with the interface notes in
../shared/spec/opcodes.md, parsed at test time, so the tables and the
spec cannot drift apart silently.
"""

import contextlib
import copy
import pathlib
import pickle
import re

import pytest
from hypothesis import given, settings, strategies as st

from ganeti import constants
from ganeti import errors
from ganeti import ht
from ganeti import opcodes
from ganeti import opcodes_base
from ganeti import opcodes_params
from ganeti import serializer


SPEC_PATH = (pathlib.Path(__file__).resolve().parents[3] / "shared" / "spec" /
             "opcodes.md")


# Reading the spec

_HEADER_RE = re.compile(r"^\*\*(OP_[A-Z_]+)\*\*(?: \([^)]*\))? — (.*)$",
                        re.M)
_LITERALS = {"true": True, "false": False, "null": None, "[]": [], "{}": {}}


def _SpecText():
  if not SPEC_PATH.exists():
    pytest.fail("spec file %s not present: the suite expects shared/ beside"
                " the checkout" % SPEC_PATH)
  return SPEC_PATH.read_text()


def _SpecIndex():
  """Rows (OP_ID, class, LU, hooks path or None) of section 3.8."""
  text = _SpecText()
  section = text[text.index("### 3.8 Index"):]
  section = section[:section.index("\n\n68 opcodes")]
  rows = []
  for line in section.splitlines():
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if (len(cells) != 4 or cells[1] == "Class" or
        not re.fullmatch(r"OP_[A-Z_]+", cells[0])):
      continue
    hpath = None if cells[3] == "—" else cells[3]
    lu = None if cells[2] == "(none)" else cells[2]
    rows.append((cells[0], cells[1], lu, hpath))
  return rows


def _SpecBglExclusive():
  text = _SpecText()
  match = re.search(r"BGL-exclusive LUs: ([A-Z_, ]+)\(", text)
  return {"OP_" + name.strip() for name in match.group(1).split(",")
          if name.strip()}


def _StripParens(text):
  previous = None
  while previous != text:
    previous = text
    text = re.sub(r"\([^()]*\)", "", text)
  return text


def _Literal(token):
  """(True, value) if ``token`` is a default written as a literal."""
  token = token.strip().strip("*")
  if token in _LITERALS:
    return True, _LITERALS[token]
  if re.fullmatch(r"-?\d+", token):
    return True, int(token)
  if re.fullmatch(r"-?\d+\.\d+", token):
    return True, float(token)
  if re.fullmatch(r"`[^`]+`", token):
    return True, token.strip("`")
  return False, None


def _SpecBlocks():
  """(OP_ID, header text, body text) of every opcode in section 3."""
  text = _SpecText()
  section = text[text.index("## 3. Opcode catalog"):
                 text.index("### 3.8 Index")]
  matches = list(_HEADER_RE.finditer(section))
  for idx, match in enumerate(matches):
    end = matches[idx + 1].start() if idx + 1 < len(matches) else len(section)
    body = section[match.end():end].split("\n###")[0]
    yield match.group(1), match.group(2), body


def _SpecParams(header, body):
  """Yield (name, required, has_literal_default, default) from the spec.

  ``required`` is None where the spec does not say ("as above").

  """
  lines = body.splitlines()
  idx = 0
  while idx < len(lines):
    if not lines[idx].startswith("| Param"):
      idx += 1
      continue
    columns = [c.strip() for c in lines[idx].strip("|").split("|")]
    dcol = columns.index("Default") if "Default" in columns else None
    idx += 2
    while idx < len(lines) and lines[idx].startswith("|"):
      cells = [c.strip() for c in lines[idx].strip("|").split("|")]
      for name in re.findall(r"`(\w+)`", cells[0]):
        if dcol is None:
          # A table without defaults lists optional parameters only
          yield name, False, True, None
        elif "**R**" in cells[dcol]:
          yield name, True, False, None
        else:
          tokens = _StripParens(cells[dcol]).split()
          ok, value = _Literal(tokens[0] if tokens else "")
          yield name, False, ok, value
      idx += 1
  match = re.search(r"\b[Pp]arams:? (`.*)$", header + "\n" + body, re.M)
  if match:
    text = _StripParens(match.group(1))
    text = re.split(r"\.\s+[A-Z]|\.\s*$", text)[0]
    for segment in re.split(r"[,;]\s*(?=`)", text):
      found = re.match(r"\s*`(\w+)`(.*)", segment, re.S)
      if not found:
        continue
      name, rest = found.groups()
      if "**R**" in rest:
        yield name, True, False, None
        continue
      tokens = rest.split()
      ok, value = _Literal(tokens[-1]) if tokens else (False, None)
      yield name, (False if ok else None), ok, value


def _SampleOpcode(op_class):
  """An opcode of ``op_class`` with every required parameter set."""
  kwargs = {}
  for param in op_class.GetAllParams():
    if param.required:
      key = (op_class.OP_ID, param.name)
      value = _SAMPLES[key] if key in _SAMPLES else _SAMPLES[param.name]
      kwargs[param.name] = copy.deepcopy(value)
  return op_class(**kwargs)


# Values for required parameters; (OP_ID, name) entries override by opcode
_SAMPLES = {
  "instance_name": "inst1.example.com",
  "node_name": "node1.example.com",
  "group_name": "default",
  "output_fields": ["name"],
  "fields": ["name", "status"],
  "what": constants.QR_INSTANCE,
  "command": constants.OOB_POWER_STATUS,
  "storage_type": constants.ST_LVM_VG,
  "name": "xenvg",
  "changes": {"allocatable": False},
  "new_name": "renamed.example.com",
  "target_node": "node2.example.com",
  "reboot_type": constants.INSTANCE_REBOOT_HARD,
  "disk": 0,
  "amount": 1024,
  "nodes": ["node2.example.com"],
  "kind": constants.TAG_INSTANCE,
  "tags": ["web", "prod"],
  "pattern": "^web",
  "duration": 0.5,
  "direction": constants.IALLOCATOR_DIR_IN,
  "disk_template": constants.DT_PLAIN,
  "result": None,
  "messages": [],
  "fail": False,
  ("OP_INSTANCE_CREATE", "mode"): constants.INSTANCE_CREATE,
  ("OP_INSTANCE_CREATE", "disks"): [{"size": 1024, "mode": "rw"}],
  ("OP_INSTANCE_CREATE", "nics"): [{"mac": "auto", "ip": None}],
  ("OP_INSTANCE_REPLACE_DISKS", "mode"): constants.REPLACE_DISK_AUTO,
  ("OP_NODE_EVACUATE", "mode"): constants.NODE_EVAC_ALL,
  ("OP_BACKUP_PREPARE", "mode"): constants.EXPORT_MODE_LOCAL,
  ("OP_TEST_ALLOCATOR", "mode"): constants.IALLOCATOR_MODE_ALLOC,
  ("OP_TEST_ALLOCATOR", "disks"): [{"size": 1024, "mode": "rw"}],
  ("OP_TEST_ALLOCATOR", "nics"): [{"mac": "auto", "ip": None,
                                   "bridge": None}],
  }

@contextlib.contextmanager
def _AssertPrereqError(pattern):
  """Expect an OpPrereqError(ECODE_INVAL) whose message matches ``pattern``.

  """
  with pytest.raises(errors.OpPrereqError) as err:
    yield err
  assert re.search(pattern, err.value.args[0]), err.value.args[0]
  assert err.value.args[1] == errors.ECODE_INVAL


ALL_CLASSES = sorted(opcodes.OP_MAPPING.values(), key=lambda c: c.OP_ID)


def _IdsOf(op_class):
  return op_class.OP_ID


# The catalogue against the spec

def test_mapping_equals_spec_index():
  index = _SpecIndex()
  assert len(index) == 69
  assert len(opcodes.OP_MAPPING) >= 69
  assert sorted(opcodes.OP_MAPPING) == sorted(row[0] for row in index)
  for op_id, class_name, lu_name, hpath in index:
    op_class = opcodes.OP_MAPPING[op_id]
    assert op_class.__name__ == class_name, op_id
    assert op_class.HPATH == hpath, op_id
    if lu_name is None:
      assert not op_class.WITH_LU, op_id
    else:
      assert op_class.WITH_LU, op_id
      assert lu_name == "LU" + class_name[len("Op"):], op_id


def test_bgl_flags_match_spec():
  exclusive = _SpecBglExclusive()
  assert len(exclusive) == 9
  for op_id, op_class in opcodes.OP_MAPPING.items():
    assert op_class.REQ_BGL == (op_id in exclusive), op_id


@pytest.mark.parametrize("op_id,header,body",
                         list(_SpecBlocks()) if SPEC_PATH.exists() else [],
                         ids=lambda v: v if isinstance(v, str) and
                         v.startswith("OP_") else "")
def test_opcode_header_matches_spec(op_id, header, body):
  op_class = opcodes.OP_MAPPING[op_id]
  bgl = re.search(r"BGL (?:\*\*)?(true|false)", header)
  if bgl:
    assert op_class.REQ_BGL == (bgl.group(1) == "true")
  else:
    # Only an opcode without LU may leave its lock needs unsaid
    assert "no LU" in header and not op_class.REQ_BGL
  dsc = re.search(r"dsc `(\w+)`", header)
  assert op_class.OP_DSC_FIELD == (dsc.group(1) if dsc else None)
  hooks = re.search(r"`([a-z-]+)`/([A-Z]+)", header)
  if hooks:
    assert (op_class.HPATH, op_class.HTYPE) == hooks.groups()
  else:
    assert op_class.HPATH is None and op_class.HTYPE is None


@pytest.mark.parametrize("op_id,header,body",
                         list(_SpecBlocks()) if SPEC_PATH.exists() else [],
                         ids=lambda v: v if isinstance(v, str) and
                         v.startswith("OP_") else "")
def test_opcode_params_match_spec(op_id, header, body):
  op_class = opcodes.OP_MAPPING[op_id]
  own = op_class.GetParamNames(include_common=False)
  if op_id == "OP_GROUP_SET_PARAMS":
    # "as OP_GROUP_ADD (all optional except group_name)"
    expected = opcodes.OpGroupAdd.GetParamNames(include_common=False)
    assert own == expected
    return
  specified = list(_SpecParams(header, body))
  if "No params" in header + body:
    assert not specified
    assert own == []
    return
  assert specified, "spec lists no parameters for %s" % op_id
  assert sorted(own) == sorted({s[0] for s in specified})
  for name, required, has_default, default in specified:
    param = op_class.GetParam(name)
    if required is not None:
      assert param.required == required, (op_id, name)
    if has_default and not param.required:
      assert param.default == default, (op_id, name)
      assert type(param.default) is type(default), (op_id, name)


def test_hook_types_follow_hook_paths():
  for op_class in ALL_CLASSES:
    hpath = op_class.HPATH
    if hpath is None:
      assert op_class.HTYPE is None
    elif hpath.startswith("cluster-"):
      assert op_class.HTYPE == constants.HTYPE_CLUSTER
    elif hpath.startswith("node-"):
      assert op_class.HTYPE == constants.HTYPE_NODE
    elif hpath.startswith("group-"):
      assert op_class.HTYPE == constants.HTYPE_GROUP
    else:
      assert (hpath.startswith("instance-") or
              hpath in ("mirrors-replace", "disk-grow")), hpath
      assert op_class.HTYPE == constants.HTYPE_INSTANCE


def test_only_test_dummy_has_no_lu():
  assert [c.OP_ID for c in ALL_CLASSES if not c.WITH_LU] == ["OP_TEST_DUMMY"]


def test_results_are_checked_except_for_test_opcodes():
  unchecked = sorted(c.OP_ID for c in ALL_CLASSES if c.OP_RESULT is None)
  assert unchecked == ["OP_TEST_ALLOCATOR", "OP_TEST_DELAY", "OP_TEST_DUMMY",
                       "OP_TEST_JQUEUE"]
  for op_class in ALL_CLASSES:
    assert op_class.OP_RESULT is None or callable(op_class.OP_RESULT)


def test_common_params_present_everywhere():
  common = [p.name for p in opcodes.COMMON_PARAMS]
  assert common == ["dry_run", "debug_level", "priority", "depends",
                    "comment", "reason"]
  for op_class in ALL_CLASSES:
    assert op_class.GetParamNames()[:len(common)] == common


# OP_ID derivation

@pytest.mark.parametrize("name,op_id", [
  ("OpInstanceQueryData", "OP_INSTANCE_QUERY_DATA"),
  ("OpNodeQueryvols", "OP_NODE_QUERYVOLS"),
  ("OpOobCommand", "OP_OOB_COMMAND"),
  ("OpClusterActivateMasterIp", "OP_CLUSTER_ACTIVATE_MASTER_IP"),
  ("OpTestDummy", "OP_TEST_DUMMY"),
  ("OpQuery", "OP_QUERY"),
  ])
def test_name_to_id(name, op_id):
  assert opcodes.NameToId(name) == op_id


@pytest.mark.parametrize("name", ["InstanceCreate", "Opfoo", "op_x", "", None,
                                  "OpFoo-Bar"])
def test_name_to_id_refuses_bad_names(name):
  with pytest.raises(errors.ProgrammerError, match="Op<CamelCaseName>"):
    opcodes.NameToId(name)


def test_every_class_op_id_is_derived_from_its_name():
  for op_id, op_class in opcodes.OP_MAPPING.items():
    assert opcodes.NameToId(op_class.__name__) == op_id


# Metaclass rules

def test_metaclass_refuses_explicit_op_id():
  with pytest.raises(errors.ProgrammerError, match="OpFoo must not define"):
    class OpFoo(opcodes.OpCode):  # pylint: disable=unused-variable
      OP_ID = "OP_BAR"


def test_metaclass_refuses_duplicate_params():
  with pytest.raises(errors.ProgrammerError,
                     match=r"OpFoo declares parameter\(s\) x more than once"):
    class OpFoo(opcodes.OpCode):  # pylint: disable=unused-variable
      OP_PARAMS = [opcodes.Param("x", 1, ht.TInt, "x"),
                   opcodes.Param("x", 2, ht.TInt, "x")]


def test_metaclass_refuses_redeclaring_common_params():
  with pytest.raises(errors.ProgrammerError, match="redeclares.*priority"):
    class OpFoo(opcodes.OpCode):  # pylint: disable=unused-variable
      OP_PARAMS = [opcodes.Param("priority", 1, ht.TInt, "p")]


def test_metaclass_refuses_unknown_dsc_field():
  with pytest.raises(errors.ProgrammerError, match="OP_DSC_FIELD 'nope'"):
    class OpFoo(opcodes.OpCode):  # pylint: disable=unused-variable
      OP_DSC_FIELD = "nope"


def test_metaclass_refuses_non_param_entries():
  with pytest.raises(errors.ProgrammerError, match="is not a Param"):
    class OpFoo(opcodes.OpCode):  # pylint: disable=unused-variable
      OP_PARAMS = [("x", 1, ht.TInt, "x")]


def test_metaclass_refuses_non_callable_check():
  with pytest.raises(errors.ProgrammerError, match="'x' has no callable"):
    class OpFoo(opcodes.OpCode):  # pylint: disable=unused-variable
      OP_PARAMS = [opcodes.Param("x", 1, "int", "x")]


def test_slots_forbid_other_attributes():
  op = opcodes.OpTestDelay(duration=1)
  with pytest.raises(AttributeError):
    op.no_such_param = 1  # pylint: disable=assigning-non-slot


def test_register_refuses_non_opcodes_and_duplicates():
  with pytest.raises(errors.ProgrammerError, match="is not an opcode"):
    opcodes.RegisterOpcodes([dict])

  class OpTestDelay(opcodes.OpCode):  # same OP_ID as the real one
    pass

  with pytest.raises(errors.ProgrammerError,
                     match="OP_TEST_DELAY used by OpTestDelay and"):
    opcodes.RegisterOpcodes([OpTestDelay])
  assert opcodes.OP_MAPPING["OP_TEST_DELAY"] is opcodes.OpTestDelay


# Parameter records and introspection

def test_param_record():
  param = opcodes.Param("x", [1], ht.TListOf(ht.TInt), "doc")
  name, default, check, doc = param
  assert (name, default, doc) == ("x", [1], "doc") and check is param.check
  assert not param.required
  first = param.GetDefault()
  first.append(2)
  assert param.GetDefault() == [1]
  required = param.WithDefault(opcodes.REQUIRED)
  assert required.required and required.name == "x"
  assert opcodes.REQUIRED is ht.NoDefault
  with pytest.raises(errors.ProgrammerError, match="'x' has no default"):
    required.GetDefault()
  assert param.WithDoc("other").doc == "other"


def test_get_param_and_is_required():
  op_class = opcodes.OpInstanceReboot
  assert op_class.GetParam("reboot_type").check("soft")
  assert op_class.IsRequired("reboot_type")
  assert op_class.IsRequired("instance_name")
  assert not op_class.IsRequired("shutdown_timeout")
  assert not op_class.IsRequired("priority")
  with pytest.raises(KeyError, match="OP_INSTANCE_REBOOT has no parameter"
                     " 'nope'"):
    op_class.GetParam("nope")
  with pytest.raises(KeyError):
    op_class.IsRequired("nope")


def test_get_all_params():
  params = opcodes.OpInstanceRemove.GetAllParams()
  assert all(isinstance(p, opcodes.Param) for p in params)
  assert params[:len(opcodes.COMMON_PARAMS)] == opcodes.COMMON_PARAMS
  assert [p.name for p in params] == opcodes.OpInstanceRemove.GetParamNames()
  assert opcodes.OpCode.GetAllParams() == opcodes.COMMON_PARAMS


def test_get_param_names():
  names = opcodes.OpInstanceRemove.GetParamNames(include_common=False)
  assert names == ["instance_name", "shutdown_timeout", "ignore_failures"]
  assert opcodes.OpInstanceRemove.GetParamNames()[-3:] == names
  assert opcodes.OpClusterDestroy.GetParamNames(include_common=False) == []


def test_shared_params_are_the_same_objects():
  # Written once: every opcode with an instance_name uses the shared record
  for op_class in ALL_CLASSES:
    if "instance_name" in op_class.GetParamNames():
      assert op_class.GetParam("instance_name") is \
        opcodes_params._PInstanceName  # pylint: disable=protected-access


# Construction and validation

def test_init_refuses_unknown_params_naming_them():
  with pytest.raises(errors.OpPrereqError) as err:
    opcodes.OpTestDelay(duration=1, bogus=2, other=3)
  assert err.value.args[0] == ("Opcode OP_TEST_DELAY does not accept"
                               " parameter(s) 'bogus', 'other'")
  assert err.value.args[1] == errors.ECODE_INVAL


def test_validate_reports_missing_required():
  op = opcodes.OpInstanceReboot(instance_name="inst1")
  for set_defaults in (True, False):
    with pytest.raises(errors.OpPrereqError) as err:
      op.Validate(set_defaults)
    assert err.value.args == ("Required parameter"
                              " 'OP_INSTANCE_REBOOT.reboot_type' missing",
                              errors.ECODE_INVAL)


def test_required_nullable_param_must_be_present_but_may_be_null():
  op = opcodes.OpTagsGet(kind=constants.TAG_CLUSTER)
  with _AssertPrereqError(r"^Required parameter 'OP_TAGS_GET.name' missing"):
    op.Validate(True)
  op.name = None
  op.Validate(True)
  assert op.use_locking is True


@pytest.mark.parametrize("op_class,kwargs,name", [
  (opcodes.OpTestDelay, {"duration": "1"}, "duration"),
  (opcodes.OpTestDelay, {"duration": True}, "duration"),
  (opcodes.OpTestDelay, {"duration": 1, "repeat": -1}, "repeat"),
  (opcodes.OpTestDelay, {"duration": 1, "on_nodes": "node1"}, "on_nodes"),
  (opcodes.OpTestDelay, {"duration": 1, "on_nodes": [""]}, "on_nodes"),
  (opcodes.OpInstanceStartup, {"instance_name": ""}, "instance_name"),
  (opcodes.OpInstanceStartup, {"instance_name": 5}, "instance_name"),
  (opcodes.OpInstanceStartup, {"instance_name": "i", "force": 1}, "force"),
  (opcodes.OpInstanceStartup, {"instance_name": "i", "hvparams": []},
   "hvparams"),
  (opcodes.OpInstanceReboot, {"instance_name": "i", "reboot_type": "cold"},
   "reboot_type"),
  (opcodes.OpInstanceSetParams, {"instance_name": "i", "runtime_mem": 0},
   "runtime_mem"),
  (opcodes.OpQuery, {"what": "job", "fields": ["id"]}, "what"),
  (opcodes.OpQuery, {"what": "node", "fields": ["name"], "qfilter": "x"},
   "qfilter"),
  (opcodes.OpOobCommand, {"command": "power-on", "power_delay": 2},
   "power_delay"),
  (opcodes.OpOobCommand, {"command": "reboot"}, "command"),
  (opcodes.OpClusterSetParams, {"enabled_hypervisors": []},
   "enabled_hypervisors"),
  (opcodes.OpClusterSetParams, {"enabled_hypervisors": ["vmware"]},
   "enabled_hypervisors"),
  (opcodes.OpClusterSetParams, {"candidate_pool_size": 0},
   "candidate_pool_size"),
  (opcodes.OpClusterSetParams, {"hvparams": {"kvm": "x"}}, "hvparams"),
  (opcodes.OpClusterSetParams, {"os_hvp": {"debian": {"kvm": 1}}}, "os_hvp"),
  (opcodes.OpClusterVerify, {"skip_checks": ["nplustwo"]}, "skip_checks"),
  (opcodes.OpClusterVerify, {"ignore_errors": ["ENOSUCH"]}, "ignore_errors"),
  (opcodes.OpGroupAdd, {"group_name": "g", "alloc_policy": "sometimes"},
   "alloc_policy"),
  (opcodes.OpGroupAdd, {"group_name": "g", "diskparams": {"lvm": {}}},
   "diskparams"),
  (opcodes.OpNodeQueryStorage, {"output_fields": ["name"],
                                "storage_type": "zfs"}, "storage_type"),
  (opcodes.OpTagsSet, {"kind": "network", "tags": ["a"], "name": "n"},
   "kind"),
  (opcodes.OpBackupExport, {"instance_name": "i", "target_node": 5},
   "target_node"),
  ])
def test_validate_refuses_wrong_types(op_class, kwargs, name):
  op = op_class(**kwargs)
  prefix = "Parameter '%s.%s' fails validation" % (op_class.OP_ID, name)
  for set_defaults in (True, False):
    if not set_defaults and any(op_class.IsRequired(p.name) and
                                not hasattr(op, p.name)
                                for p in op_class.GetAllParams()):
      continue
    with pytest.raises(errors.OpPrereqError) as err:
      op.Validate(set_defaults)
    assert err.value.args[0].startswith(prefix + ": expected ")
    assert err.value.args[1] == errors.ECODE_INVAL


def test_validation_message_names_expected_type_and_value():
  op = opcodes.OpInstanceShutdown(instance_name="i", timeout=-1)
  with pytest.raises(errors.OpPrereqError) as err:
    op.Validate(True)
  assert err.value.args[0] == ("Parameter 'OP_INSTANCE_SHUTDOWN.timeout'"
                               " fails validation: expected non-negative"
                               " integer, got -1")


def test_validate_fills_defaults_as_private_copies():
  first = opcodes.OpInstanceStartup(instance_name="a")
  second = opcodes.OpInstanceStartup(instance_name="b")
  first.Validate(True)
  second.Validate(True)
  assert first.hvparams == {} and first.force is False
  assert first.priority == constants.OP_PRIO_DEFAULT
  assert first.reason == [] and first.depends is None
  first.hvparams["kernel_path"] = "/boot/x"
  first.reason.append(["gnt:client", "", 1])
  assert second.hvparams == {} and second.reason == []
  assert opcodes.OpInstanceStartup.GetParam("hvparams").default == {}


def test_validate_without_defaults_leaves_unset_params_unset():
  op = opcodes.OpInstanceStartup(instance_name="a", force=True)
  op.Validate(False)
  assert op.ToDict() == {"OP_ID": "OP_INSTANCE_STARTUP",
                         "instance_name": "a", "force": True}
  assert not op.IsSet("hvparams")


def test_validate_checks_given_common_params():
  for kwargs in ({"dry_run": "yes"}, {"debug_level": -1},
                 {"comment": ""}, {"reason": [["a", "b"]]},
                 {"depends": [[1]]}, {"priority": 19}):
    op = opcodes.OpClusterRedistConf(**kwargs)
    name = list(kwargs)[0]
    with _AssertPrereqError(r"^Parameter 'OP_CLUSTER_REDIST_CONF\.%s' fails"
                       r" validation" % name):
      op.Validate(False)


# Priorities

@pytest.mark.parametrize("priority", [constants.OP_PRIO_LOW,
                                      constants.OP_PRIO_NORMAL,
                                      constants.OP_PRIO_HIGH])
def test_submit_priorities_accepted(priority):
  op = opcodes.OpTestDelay(duration=0, priority=priority)
  op.Validate(True)
  opcodes.CheckSubmitPriority(op, 0)
  assert sorted(constants.OP_PRIO_SUBMIT_VALID) == [-10, 0, 10]


def test_default_priority_accepted_at_submission():
  assert opcodes.CheckSubmitPriority(opcodes.OpTestDelay(duration=0),
                                     3) is None


@pytest.mark.parametrize("priority", [constants.OP_PRIO_LOWEST,
                                      constants.OP_PRIO_HIGHEST, 5, -1,
                                      True, "0", None, 0.5])
def test_other_priorities_refused(priority):
  op = opcodes.OpTestDelay(duration=0, priority=priority)
  with _AssertPrereqError(r"^Parameter 'OP_TEST_DELAY.priority' fails"):
    op.Validate(True)
  with pytest.raises(errors.GenericError) as err:
    opcodes.CheckSubmitPriority(op, 2)
  assert str(err.value) == ("Opcode 2 has invalid priority %s, allowed are"
                            " -10, 0, 10" % (priority, ))


# Dependencies

@pytest.mark.parametrize("depends", [
  None, [], [[1, []]], [["17", ["success"]]],
  [[0, ["success", "error", "canceled"]], [2, []]],
  ])
def test_absolute_dependencies_accepted_everywhere(depends):
  opcodes.OpTestDelay(duration=0, depends=depends).Validate(True)
  opcodes.CheckDependencies(depends, allow_relative=False)
  opcodes.CheckDependencies(depends, allow_relative=True)
  assert opcodes.TNoRelativeJobDependencies(depends)


def test_relative_dependencies_only_where_allowed():
  depends = [[-1, ["success"]], [4, []]]
  opcodes.OpTestDelay(duration=0, depends=depends).Validate(True)
  opcodes.CheckDependencies(depends, allow_relative=True)
  with pytest.raises(errors.GenericError,
                     match="invalid dependencies .relative job ids are not"
                     " allowed."):
    opcodes.CheckDependencies(depends, allow_relative=False)


@pytest.mark.parametrize("depends", [
  "1", [1], [[1]], [[1, [], 2]], [[1, ["running"]]], [[1, "success"]],
  [["x1", []]], [[True, []]], [[1.5, []]], {"1": []},
  ])
def test_malformed_dependencies_refused(depends):
  op = opcodes.OpTestDelay(duration=0, depends=depends)
  with _AssertPrereqError(r"^Parameter 'OP_TEST_DELAY.depends' fails"):
    op.Validate(True)
  for allow_relative in (True, False):
    with pytest.raises(errors.GenericError, match="invalid dependencies"):
      opcodes.CheckDependencies(depends, allow_relative)


def test_resolve_relative_dependencies():
  depends = [[-1, ["success"]], [-3, []], [7, ["error"]], ["8", []]]
  resolved = opcodes.ResolveRelativeDependencies(depends, ["10", "11", "12"])
  assert resolved == [["12", ["success"]], ["10", []], [7, ["error"]],
                      ["8", []]]
  assert opcodes.TNoRelativeJobDependencies(resolved)
  assert depends[0][0] == -1
  assert opcodes.ResolveRelativeDependencies(None, []) is None


def test_resolve_relative_dependency_out_of_range():
  with pytest.raises(errors.GenericError) as err:
    opcodes.ResolveRelativeDependencies([[-3, []]], [5, 6])
  assert str(err.value) == "Unable to resolve relative job ID -3"


# Reason trail (accepted as in Ganeti 2.8+)

def test_reason_trail_accepted_and_checked():
  good = [["gnt:client:gnt-instance", "maintenance", 1349949216123456789],
          ["gnt:library:rlib2:instances_name_reboot", "", 1]]
  opcodes.OpTestDelay(duration=0, reason=good).Validate(True)
  opcodes.OpTestDelay(duration=0, reason=None).Validate(True)
  for bad in (["x"], [["", "r", 1]], [["s", "r", "1"]], [["s", "r"]], "x"):
    with _AssertPrereqError(r"^Parameter 'OP_TEST_DELAY.reason' fails"):
      opcodes.OpTestDelay(duration=0, reason=bad).Validate(True)


# Wire form

@pytest.mark.parametrize("op_class", ALL_CLASSES, ids=_IdsOf)
def test_every_opcode_round_trips_through_json(op_class):
  op = _SampleOpcode(op_class)
  sparse = op.ToDict()
  assert sparse["OP_ID"] == op_class.OP_ID
  assert set(sparse) - {"OP_ID"} == {p.name for p in op_class.GetAllParams()
                                     if p.required}
  op.Validate(True)
  data = op.ToDict()
  assert set(data) == set(op_class.GetParamNames()) | {"OP_ID"}
  loaded = opcodes.OpCode.LoadOpCode(serializer.LoadJson(
    serializer.DumpJson(data)))
  assert type(loaded) is op_class
  assert loaded == op
  assert loaded.ToDict() == data
  loaded.Validate(False)
  assert opcodes.LoadOpCode(data) == op
  assert op_class.FromDict(data) == op


@pytest.mark.parametrize("op_class", ALL_CLASSES, ids=_IdsOf)
def test_every_opcode_pickles(op_class):
  op = _SampleOpcode(op_class)
  op.Validate(True)
  assert pickle.loads(pickle.dumps(op)) == op


def test_to_dict_contains_only_set_params():
  op = opcodes.OpTestDelay(duration=2.5, on_master=True, priority=0)
  assert op.ToDict() == {"OP_ID": "OP_TEST_DELAY", "duration": 2.5,
                         "on_master": True, "priority": 0}
  assert op.__getstate__() == {"duration": 2.5, "on_master": True,
                               "priority": 0}


def test_load_accepts_job_file_from_ganeti_26():
  # As written by 2.6 tools: defaults filled, no reason trail
  data = {"OP_ID": "OP_INSTANCE_STARTUP", "instance_name": "web1",
          "force": False, "ignore_offline_nodes": False, "hvparams": {},
          "beparams": {}, "no_remember": False, "startup_paused": False,
          "dry_run": False, "debug_level": 0, "priority": 0,
          "depends": None, "comment": None}
  op = opcodes.OpCode.LoadOpCode(data)
  op.Validate(True)
  assert op.reason == []
  assert op.Summary() == "INSTANCE_STARTUP(web1)"
  assert data["OP_ID"] == "OP_INSTANCE_STARTUP"


def test_load_replaces_previous_state():
  op = opcodes.OpTestDelay(duration=1, repeat=3)
  op.__setstate__({"duration": 2})
  assert op.ToDict() == {"OP_ID": "OP_TEST_DELAY", "duration": 2}


@pytest.mark.parametrize("data,message", [
  ({"OP_ID": "OP_NO_SUCH_THING"},
   "Invalid data to LoadOpCode: OP_ID OP_NO_SUCH_THING unsupported"),
  ({"OP_ID": "OP_CODE"},
   "Invalid data to LoadOpCode: OP_ID OP_CODE unsupported"),
  ({"OP_ID": 5}, "Invalid data to LoadOpCode: OP_ID 5 unsupported"),
  ({"OP_ID": None}, "Invalid data to LoadOpCode: OP_ID None unsupported"),
  ({"duration": 1}, "Invalid data to LoadOpCode (no OP_ID)"),
  ([["OP_ID", "OP_TEST_DELAY"]],
   "Invalid data to LoadOpCode (expected a dict, got list)"),
  ("OP_TEST_DELAY", "Invalid data to LoadOpCode (expected a dict, got str)"),
  (None, "Invalid data to LoadOpCode (expected a dict, got NoneType)"),
  ({"OP_ID": "OP_TEST_DELAY", "duration": 1, "size": 2},
   "Opcode OP_TEST_DELAY does not accept parameter(s) 'size'"),
  ])
def test_load_refuses_bad_data(data, message):
  with pytest.raises(errors.OpPrereqError) as err:
    opcodes.OpCode.LoadOpCode(data)
  assert err.value.args == (message, errors.ECODE_INVAL)


def test_setstate_refuses_non_dict():
  op = opcodes.OpTestDelay(duration=1)
  with _AssertPrereqError("Invalid data for opcode OP_TEST_DELAY: expected a"
                     " dict, got list"):
    op.__setstate__([1])


def test_equality_and_repr():
  first = opcodes.OpTestDelay(duration=1)
  assert first == opcodes.OpTestDelay(duration=1)
  assert first != opcodes.OpTestDelay(duration=2)
  assert first != opcodes.OpTestJqueue()
  assert first != {"OP_ID": "OP_TEST_DELAY", "duration": 1}
  assert repr(first) == "OpTestDelay(duration=1)"


# Summaries

@pytest.mark.parametrize("op,summary,tiny", [
  (opcodes.OpInstanceStartup(instance_name="web1.example.com"),
   "INSTANCE_STARTUP(web1.example.com)", "I_STARTUP"),
  (opcodes.OpTestDelay(duration=2.5), "TEST_DELAY(2.5)", "TEST_DELAY"),
  (opcodes.OpClusterVerify(), "CLUSTER_VERIFY", "C_VERIFY"),
  (opcodes.OpClusterVerifyGroup(group_name="g1"),
   "CLUSTER_VERIFY_GROUP(g1)", "C_VERIFY_GROUP"),
  (opcodes.OpGroupAdd(group_name="rack2"), "GROUP_ADD(rack2)", "G_ADD"),
  (opcodes.OpNodeAdd(node_name="node3"), "NODE_ADD(node3)", "N_ADD"),
  (opcodes.OpQuery(what="node", fields=["name"]), "QUERY(node)", "QUERY"),
  (opcodes.OpTagsSearch(pattern="^a"), "TAGS_SEARCH(^a)", "TAGS_SEARCH"),
  (opcodes.OpInstanceRename(instance_name="a", new_name="b"),
   "INSTANCE_RENAME", "I_RENAME"),
  (opcodes.OpRepairNodeStorage(node_name="n1"), "REPAIR_NODE_STORAGE(n1)",
   "REPAIR_NODE_STORAGE"),
  (opcodes.OpTestAllocator(allocator="hail"), "TEST_ALLOCATOR(hail)",
   "TEST_ALLOCATOR"),
  ])
def test_summaries(op, summary, tiny):
  assert op.Summary() == summary
  assert op.TinySummary() == tiny


def test_summary_joins_list_values():
  class OpTestListSummary(opcodes.OpCode):
    OP_DSC_FIELD = "names"
    OP_PARAMS = [opcodes.Param("names", [], ht.TListOf(ht.TString), "n")]

  assert OpTestListSummary(names=["a", "b", "c"]).Summary() == \
    "TEST_LIST_SUMMARY(a,b,c)"
  assert OpTestListSummary(names=[1, 2]).Summary() == "TEST_LIST_SUMMARY(1,2)"
  assert OpTestListSummary().Summary() == "TEST_LIST_SUMMARY(None)"


# Structured values

@pytest.mark.parametrize("disk,valid", [
  ({"size": 1024}, True),
  ({"size": "2G", "mode": "ro", "vg": "xenvg", "metavg": "metavg"}, True),
  ({"adopt": "lv1", "size": 0}, True),
  ({}, True),
  ({"size": 1024, "spindles": 2}, False),
  ({"size": None}, False),
  ({"size": ""}, False),
  ({"size": 1.5}, False),
  (["size", 1024], False),
  ])
def test_disk_dicts(disk, valid):
  assert bool(opcodes.TDiskParams(disk)) == valid
  op = opcodes.OpInstanceCreate(instance_name="i", mode="create",
                                disk_template="plain", disks=[disk], nics=[])
  if valid:
    op.Validate(True)
  else:
    with _AssertPrereqError("'OP_INSTANCE_CREATE.disks' fails validation"):
      op.Validate(True)


@pytest.mark.parametrize("nic,valid", [
  ({}, True),
  ({"mac": "auto", "ip": None, "mode": "bridged", "link": "br0"}, True),
  ({"mac": "aa:00:00:11:22:33", "ip": "192.0.2.1"}, True),
  ({"ip": ""}, False),
  ({"ip": 5}, False),
  ({"bridge": "br0"}, False),
  ({"network": "net1"}, False),
  ])
def test_nic_dicts(nic, valid):
  assert bool(opcodes.TNicDef(nic)) == valid


@pytest.mark.parametrize("mods,valid", [
  ([], True),
  ([["add", -1, {"size": 1024}]], True),
  ([["modify", 0, {"mode": "ro"}], ["remove", 2, {}]], True),
  ([["add", {"size": 1024}]], True),
  ([[0, {"mode": "ro"}], ["remove", {}]], True),
  ([["modify", {"mode": "ro"}]], False),
  ([[-1, {"mode": "ro"}]], False),
  ([["add", "last", {}]], False),
  ([["grow", 0, {}]], False),
  ([["add", -1, {"bogus": 1}]], False),
  ([["add", -1, {}], ["add", {}]], False),
  ([["add", -1]], False),
  ("add", False),
  ])
def test_disk_modification_lists(mods, valid):
  assert bool(opcodes.TDiskModifications(mods)) == valid


def test_nic_modification_lists():
  assert opcodes.TNicModifications([["add", -1, {"mac": "generate"}]])
  assert opcodes.TNicModifications([["add", {"ip": None}]])
  assert not opcodes.TNicModifications([["add", -1, {"size": 1}]])
  op = opcodes.OpInstanceSetParams(instance_name="i",
                                   nics=[["add", -1, {"size": "1"}]])
  with _AssertPrereqError("'OP_INSTANCE_SET_PARAMS.nics' fails validation"):
    op.Validate(True)


@pytest.mark.parametrize("legacy,current", [
  ([["add", {"size": 1024}]], [["add", -1, {"size": 1024}]]),
  ([["remove", {}]], [["remove", -1, {}]]),
  ([[2, {"mode": "ro"}]], [["modify", 2, {"mode": "ro"}]]),
  ([[0, {"mode": "ro"}], [1, {"mode": "rw"}], ["add", {"size": 5}]],
   [["modify", 0, {"mode": "ro"}], ["modify", 1, {"mode": "rw"}],
    ["add", -1, {"size": 5}]]),
  ([], []),
  (None, []),
  ])
def test_upgrade_legacy_modification_lists(legacy, current):
  upgraded = opcodes.UpgradeModificationList("disk", legacy)
  assert upgraded == current
  assert opcodes.TDiskModifications(upgraded)
  # Upgrading is idempotent and does not share the caller's lists
  assert opcodes.UpgradeModificationList("disk", upgraded) == current
  assert opcodes.UpgradeModificationList("disk", upgraded) is not upgraded


def test_upgrade_refuses_two_legacy_adds_or_removes():
  with pytest.raises(errors.OpPrereqError) as err:
    opcodes.UpgradeModificationList("NIC", [["add", {}], ["remove", {}]])
  assert err.value.args == ("Only one NIC add or remove operation is"
                            " supported at a time", errors.ECODE_INVAL)
  # The current format has no such limit
  assert len(opcodes.UpgradeModificationList(
    "NIC", [["add", -1, {}], ["add", -1, {}], ["remove", 0, {}]])) == 3


def test_upgrade_refuses_mixed_formats_and_removal_settings():
  with _AssertPrereqError(r"disk modification \['add', -1, \{\}\] does not"
                     " have the format"):
    opcodes.UpgradeModificationList("disk", [[0, {}], ["add", -1, {}]])
  with _AssertPrereqError("No settings should be passed when removing a"
                     " disk"):
    opcodes.UpgradeModificationList("disk", [["remove", 0, {"size": 1}]])
  with _AssertPrereqError("disk modifications must be a list"):
    opcodes.UpgradeModificationList("disk", "add")


@pytest.mark.parametrize("disks,valid", [
  ([], True), ([0, 2], True), ([[0, {"size": 1024}], [1, {"mode": "ro"}]],
                               True),
  ([-1], False), ([[0, {"bogus": 1}]], False), ([[0]], False),
  ([0, [1, {}]], False), (None, False),
  ])
def test_recreate_disks(disks, valid):
  op = opcodes.OpInstanceRecreateDisks(instance_name="i", disks=disks)
  if valid:
    op.Validate(True)
  else:
    with _AssertPrereqError("'OP_INSTANCE_RECREATE_DISKS.disks' fails"):
      op.Validate(True)


@pytest.mark.parametrize("value,valid", [
  (None, True), ([], True), ([["add", "debian"], ["remove", "lenny"]], True),
  ([["modify", "debian"]], False), ([["add", ""]], False),
  ([["add"]], False), (["add", "debian"], False),
  ])
def test_os_list_edits(value, valid):
  for name in ("hidden_os", "blacklisted_os"):
    op = opcodes.OpClusterSetParams(**{name: value})
    if valid:
      op.Validate(True)
    else:
      with _AssertPrereqError("'OP_CLUSTER_SET_PARAMS.%s' fails" % name):
        op.Validate(True)


@pytest.mark.parametrize("ipolicy,valid", [
  (None, True),
  ({}, True),
  ({"min": {"memory-size": 128, "cpu-count": 1}, "vcpu-ratio": 4.0}, True),
  ({"max": {"disk-size": "default"}, "spindle-ratio": 32}, True),
  ({"disk-templates": ["plain", "drbd"], "std": {"nic-count": 1}}, True),
  ({"disk-templates": "default", "min": "default"}, True),
  ({"minmax": []}, False),
  ({"min": {"memory": 128}}, False),
  ({"min": {"memory-size": None}}, False),
  ({"disk-templates": ["lvm"]}, False),
  ({"vcpu-ratio": None}, False),
  ([], False),
  ])
def test_ipolicy(ipolicy, valid):
  for op in (opcodes.OpClusterSetParams(ipolicy=ipolicy),
             opcodes.OpGroupAdd(group_name="g", ipolicy=ipolicy),
             opcodes.OpGroupSetParams(group_name="g", ipolicy=ipolicy)):
    if valid:
      op.Validate(True)
    else:
      with _AssertPrereqError(r"'%s\.ipolicy' fails validation" % op.OP_ID):
        op.Validate(True)


def test_parameter_dicts():
  op = opcodes.OpClusterSetParams(
    hvparams={"kvm": {"kernel_path": ""}, "xen-pvm": {}},
    os_hvp={"debian": {"kvm": {"kernel_args": "ro"}}},
    osparams={"debian": {"dhcp": "yes"}},
    diskparams={"drbd": {"resync-rate": 1024}, "plain": {}},
    beparams={"maxmem": 512}, nicparams={"mode": "bridged"},
    ndparams={"oob_program": ""},
    hv_state={"kvm": {"mem_total": "1024"}},
    disk_state={"lvm": {"xenvg": {"disk_total": 100}}},
    vg_name="", drbd_helper="", default_iallocator="",
    reserved_lvs=[], uid_pool=[[1000, 2000]], master_netmask=24)
  op.Validate(True)
  for kwargs in ({"diskparams": {"drbd": 5}},
                 {"hv_state": {"kvm": 5}},
                 {"disk_state": {"lvm": {"xenvg": 5}}},
                 {"osparams": {"debian": []}},
                 {"beparams": []},
                 {"reserved_lvs": [""]},
                 {"master_netmask": "24"}):
    with _AssertPrereqError("fails validation"):
      opcodes.OpClusterSetParams(**kwargs).Validate(True)


def test_query_filters():
  for qfilter in (None, [], ["|", ["=", "name", "a"], ["=~", "name", "^b"]]):
    opcodes.OpQuery(what="node", fields=["name"], qfilter=qfilter).Validate(
      True)
  for qfilter in ({"op": "="}, "name"):
    with _AssertPrereqError("'OP_QUERY.qfilter' fails validation"):
      opcodes.OpQuery(what="node", fields=["name"],
                      qfilter=qfilter).Validate(True)


def test_tags():
  opcodes.OpTagsSet(kind="node", name="n1", tags=["a", "b:c"]).Validate(True)
  for tags in ("a", [""], [1], None):
    with _AssertPrereqError("'OP_TAGS_SET.tags' fails validation"):
      opcodes.OpTagsSet(kind="node", name="n1", tags=tags).Validate(True)


def test_backup_export_target_forms():
  local = opcodes.OpBackupExport(instance_name="i", target_node="node2")
  local.Validate(True)
  assert local.mode == constants.EXPORT_MODE_LOCAL
  remote = opcodes.OpBackupExport(
    instance_name="i", mode="remote",
    target_node=[["host", 1234, "hmac", "salt"]],
    x509_key_name=["key", "hmac", "salt"], destination_x509_ca="PEM")
  remote.Validate(True)
  assert remote.target_node == [["host", 1234, "hmac", "salt"]]


# Result checks

def test_jobs_result_type():
  check = opcodes.OpClusterVerify.OP_RESULT
  assert check({"jobs": [[True, "12"], [False, "queue is drained"]]})
  assert check({"jobs": [[True, 12]]})
  assert check({"jobs": []})
  assert not check({"jobs": [[True]]})
  assert not check({"jobs": [["yes", "1"]]})
  assert not check({"jobs": [], "other": 1})
  assert not check({})
  assert not check([[True, "1"]])


@pytest.mark.parametrize("op_class,good,bad", [
  (opcodes.OpClusterDestroy, "node1", None),
  (opcodes.OpInstanceCreate, ["node1", "node2"], "node1"),
  (opcodes.OpInstanceSetParams, [["be/maxmem", 512], ["disk/1", "remove"]],
   [["be/maxmem"]]),
  (opcodes.OpGroupVerifyDisks, [{}, ["inst1"], {"inst2": [["n1", "xenvg/lv"]]}],
   [{}, []]),
  (opcodes.OpClusterRepairDiskSizes, [["inst1", 0, 1024]], [["inst1", -1, 5]]),
  (opcodes.OpInstanceActivateDisks, [["node1", "disk/0", "/dev/drbd0"]],
   [["node1", "disk/0"]]),
  (opcodes.OpBackupExport, [True, [True, False]], [True, True]),
  (opcodes.OpBackupQuery, {"node1": False, "node2": ["inst1"]},
   {"node1": True}),
  (opcodes.OpTagsSearch, [["/instances/i1", "web"]], [["/cluster"]]),
  (opcodes.OpQuery, {"fields": [{"name": "name", "title": "Name",
                                 "kind": "text", "doc": "Name"}],
                     "data": [[[0, "node1"]], [[4, None]]]},
   {"fields": [], "data": [[[7, None]]]}),
  (opcodes.OpQueryFields, {"fields": []}, {"fields": [{"name": "x"}]}),
  (opcodes.OpOobCommand, [[[0, "node1"], [0, {"powered": True}]]],
   [[["x", "node1"]]]),
  (opcodes.OpNodePowercycle, None, 5),
  (opcodes.OpClusterSetParams, None, True),
  ])
def test_result_checks(op_class, good, bad):
  assert op_class.OP_RESULT(good)
  assert not op_class.OP_RESULT(bad)


# Property tests

_NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789.-",
                 min_size=1, max_size=20)
_PRIORITIES = st.sampled_from(sorted(constants.OP_PRIO_SUBMIT_VALID))
_DEPENDS = st.one_of(
  st.none(),
  st.lists(st.tuples(st.one_of(st.integers(min_value=0, max_value=10**9),
                               st.integers(min_value=0).map(str)),
                     st.lists(st.sampled_from(sorted(
                       constants.JOBS_FINALIZED)), unique=True))
           .map(list), max_size=3))
_COMMON = {
  "priority": _PRIORITIES,
  "depends": _DEPENDS,
  "dry_run": st.one_of(st.none(), st.booleans()),
  "debug_level": st.one_of(st.none(), st.integers(min_value=0, max_value=5)),
  "comment": st.one_of(st.none(), _NAMES),
  "reason": st.lists(st.tuples(_NAMES, st.text(max_size=10),
                               st.integers(min_value=0)).map(list),
                     max_size=3),
  }


def _OpStrategy(op_class, required, optional):
  optional = dict(optional)
  optional.update(_COMMON)
  return st.fixed_dictionaries(required, optional=optional).map(
    lambda kwargs: op_class(**kwargs))


_NIC_DICT = st.dictionaries(st.sampled_from(sorted(constants.INIC_PARAMS)),
                            st.one_of(st.none(), _NAMES), max_size=4)
_DISK_DICT = st.dictionaries(st.sampled_from(sorted(constants.IDISK_PARAMS)),
                             st.one_of(_NAMES,
                                       st.integers(min_value=0)), max_size=5)


def _CurrentMods(settings_strategy):
  item = st.tuples(st.sampled_from(sorted(constants.DDMS_VALUES_WITH_MODIFY)),
                   st.integers(min_value=-1, max_value=16),
                   settings_strategy).map(list)
  return st.lists(item, max_size=4)


_VALID_OPS = st.one_of(
  _OpStrategy(opcodes.OpTestDelay,
              {"duration": st.one_of(
                st.floats(allow_nan=False, allow_infinity=False),
                st.integers(min_value=-100, max_value=10**6))},
              {"on_master": st.booleans(),
               "on_nodes": st.lists(_NAMES, max_size=3),
               "repeat": st.integers(min_value=0, max_value=1000)}),
  _OpStrategy(opcodes.OpInstanceShutdown,
              {"instance_name": _NAMES},
              {"timeout": st.integers(min_value=0),
               "ignore_offline_nodes": st.booleans(),
               "no_remember": st.booleans()}),
  _OpStrategy(opcodes.OpNodeSetParams,
              {"node_name": _NAMES},
              {"master_candidate": st.one_of(st.none(), st.booleans()),
               "offline": st.one_of(st.none(), st.booleans()),
               "secondary_ip": st.one_of(st.none(), _NAMES),
               "ndparams": st.one_of(st.none(),
                                     st.dictionaries(_NAMES, _NAMES))}),
  _OpStrategy(opcodes.OpInstanceSetParams,
              {"instance_name": _NAMES},
              {"nics": _CurrentMods(_NIC_DICT),
               "disks": _CurrentMods(_DISK_DICT),
               "runtime_mem": st.one_of(st.none(),
                                        st.integers(min_value=1)),
               "disk_template": st.one_of(
                 st.none(), st.sampled_from(sorted(
                   constants.DISK_TEMPLATES)))}),
  _OpStrategy(opcodes.OpQuery,
              {"what": st.sampled_from(sorted(constants.QR_VIA_OP)),
               "fields": st.lists(_NAMES, max_size=5)},
              {"use_locking": st.booleans(),
               "qfilter": st.one_of(st.none(),
                                    st.lists(_NAMES, max_size=3))}),
  _OpStrategy(opcodes.OpInstanceCreate,
              {"instance_name": _NAMES,
               "mode": st.sampled_from(sorted(
                 constants.INSTANCE_CREATE_MODES)),
               "disk_template": st.sampled_from(sorted(
                 constants.DISK_TEMPLATES)),
               "disks": st.lists(_DISK_DICT, max_size=3),
               "nics": st.lists(_NIC_DICT, max_size=3)},
              {"pnode": st.one_of(st.none(), _NAMES),
               "tags": st.lists(_NAMES, max_size=3),
               "start": st.booleans()}),
  )


@settings(max_examples=200, deadline=None)
@given(_VALID_OPS)
def test_generated_opcodes_validate_and_round_trip(op):
  op.Validate(False)
  given_data = op.ToDict()
  loaded = opcodes.OpCode.LoadOpCode(
    serializer.LoadJson(serializer.DumpJson(given_data)))
  assert loaded == op
  opcodes.CheckSubmitPriority(loaded, 0)
  opcodes.CheckDependencies(loaded.depends if loaded.IsSet("depends")
                            else None, allow_relative=False)
  loaded.Validate(True)
  assert set(loaded.ToDict()) == set(type(op).GetParamNames()) | {"OP_ID"}
  for name, value in given_data.items():
    assert loaded.ToDict()[name] == value
  assert loaded.Summary().startswith(op.OP_ID[3:])


@settings(max_examples=100, deadline=None)
@given(st.integers(max_value=-1), _NAMES)
def test_generated_negative_timeouts_refused(timeout, name):
  op = opcodes.OpInstanceShutdown(instance_name=name, timeout=timeout)
  with pytest.raises(errors.OpPrereqError) as err:
    op.Validate(True)
  assert err.value.args[0] == ("Parameter 'OP_INSTANCE_SHUTDOWN.timeout'"
                               " fails validation: expected non-negative"
                               " integer, got %d" % timeout)


_LEGACY_MODS = st.tuples(
  st.lists(st.tuples(st.integers(min_value=0, max_value=16), _DISK_DICT)
           .map(list), max_size=4),
  st.one_of(st.none(), st.sampled_from([constants.DDM_ADD,
                                        constants.DDM_REMOVE])),
  st.integers(min_value=0, max_value=4))


@settings(max_examples=200, deadline=None)
@given(_LEGACY_MODS)
def test_generated_legacy_lists_upgrade_to_current_format(data):
  modifies, addremove, position = data
  mods = list(modifies)
  if addremove is not None:
    params = {} if addremove == constants.DDM_REMOVE else {"size": 1024}
    mods.insert(min(position, len(mods)), [addremove, params])
  assert opcodes.TDiskModifications(mods)
  upgraded = opcodes.UpgradeModificationList("disk", mods)
  assert len(upgraded) == len(mods)
  if mods:
    assert all(len(item) == 3 for item in upgraded)
  assert opcodes.TDiskModifications(upgraded)
  for old, new in zip(mods, upgraded):
    if old[0] in (constants.DDM_ADD, constants.DDM_REMOVE):
      assert new == [old[0], -1, old[1]]
    else:
      assert new == [constants.DDM_MODIFY, old[0], old[1]]
  op = opcodes.OpInstanceSetParams(instance_name="i", disks=upgraded)
  op.Validate(True)


def test_module_split_is_reexported():
  # Users import only ganeti.opcodes
  assert opcodes.OpCode is opcodes_base.OpCode
  assert opcodes.UpgradeModificationList is \
    opcodes_params.UpgradeModificationList
