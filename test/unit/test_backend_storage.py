"""Tests for ganeti.backend_storage: parsing and argument checks.

The LVM commands themselves run against a loop-device volume group in
test/integration/test_node_roles.py; here the parser of ``lvs`` output,
the file storage listing (a real directory) and the refusals are checked.
"""

import pytest

from ganeti import backend
from ganeti import backend_storage
from ganeti import constants


def test_lv_devices_parser_splits_segments_and_strips_extents():
  output = ("  data|1024.00|vg1|/dev/loop3(0)\n"
            "  meta|8.00|vg1|/dev/loop3(256),/dev/loop4(0)\n"
            "\n"
            "  broken|line\n")
  assert backend_storage.ParseLvDevicesOutput(output) == [
    {"name": "data", "size": 1024, "vg": "vg1", "dev": "/dev/loop3"},
    {"name": "meta", "size": 8, "vg": "vg1", "dev": "/dev/loop3"},
    {"name": "meta", "size": 8, "vg": "vg1", "dev": "/dev/loop4"},
    ]


def test_lv_devices_parser_refuses_bad_sizes():
  with pytest.raises(ValueError, match="Invalid size 'big'"):
    backend_storage.ParseLvDevicesOutput("lv|big|vg|/dev/x(0)\n")


def test_file_storage_lists_the_directory(tmp_path):
  rows = backend_storage.StorageList(constants.ST_FILE, [str(tmp_path)],
                                     None, ["name", "size", "used", "free",
                                            "allocatable"])
  assert len(rows) == 1
  (name, size, used, free, allocatable) = rows[0]
  assert name == str(tmp_path)
  assert size > 0 and size == used + free and allocatable is True


def test_file_storage_names_a_missing_directory(tmp_path):
  missing = str(tmp_path / "nope")
  with pytest.raises(backend.RPCFail, match="nope"):
    backend_storage.StorageList(constants.ST_FILE, [missing], None,
                                ["name"])


def test_list_refuses_unknown_fields_and_types(tmp_path):
  with pytest.raises(backend.RPCFail, match="Unknown storage field"):
    backend_storage.StorageList(constants.ST_FILE, [str(tmp_path)], None,
                                ["node"])
  with pytest.raises(backend.RPCFail, match="Unknown storage type 'tape'"):
    backend_storage.StorageList("tape", [], None, ["name"])


def test_modify_refuses_fields_other_than_pv_allocatable():
  with pytest.raises(backend.RPCFail,
                     match="type 'lvm-vg' cannot change field"):
    backend_storage.StorageModify(constants.ST_LVM_VG, [], "vg",
                                  {"allocatable": False})
  with pytest.raises(backend.RPCFail, match="expected a boolean"):
    backend_storage.StorageModify(constants.ST_LVM_PV, [], "/dev/x",
                                  {"allocatable": "no"})


def test_execute_refuses_unsupported_operations():
  with pytest.raises(backend.RPCFail,
                     match="'fix-consistency' is not supported on storage"
                     " units of type 'lvm-pv'"):
    backend_storage.StorageExecute(constants.ST_LVM_PV, [], "/dev/x",
                                   constants.SO_FIX_CONSISTENCY)


def test_backend_exports_the_storage_calls():
  for name in ("StorageList", "StorageModify", "StorageExecute",
               "NodeVolumes"):
    assert getattr(backend, name) is getattr(backend_storage, name)
