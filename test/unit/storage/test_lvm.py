"""Tests of ganeti.storage.lvm: exact LVM command lines, lvs parsing, and
what really works here (volume groups on a loop device; device-mapper is
missing, so logical volumes cannot be created or activated)."""

import os
import pathlib
import subprocess
import uuid

import pytest

from ganeti import constants
from ganeti import errors
from ganeti import utils
from ganeti.storage import lvm


SAMPLES = pathlib.Path(__file__).resolve().parents[3] / ".." / "shared" / \
  "samples"

LVS_ATTACH = ["lvs", "--noheadings", "--units=b", "--separator=;", "-o",
              "lv_attr,lv_kernel_major,lv_kernel_minor,lv_size,"
              "vg_extent_size,stripes,devices"]

PVS_CMD = ["pvs", "--noheadings", "--nosuffix", "--units=m", "--unbuffered",
           "--separator=|", "-o", "pv_name,vg_name,pv_size,pv_free,pv_attr"]

VGS_CMD = ["vgs", "--noheadings", "--nosuffix", "--units=m", "--unbuffered",
           "--separator=|", "-o", "vg_name,vg_size,vg_free"]

PVS_OUTPUT = """\
  /dev/sda5|xenvg|10236.00|1000.00|a--
  /dev/sdb1|xenvg|10236.00|4092.00|a--
  /dev/sdc1|xenvg|10236.00|10236.00|---
  /dev/sdd1|other|1024.00|1024.00|a--
"""

#: what lvs prints for an active, open two-stripe volume on two PVs
ATTACH_OUTPUT = ("  -wi-ao----;253;7;1073741824B;4194304B;2;"
                 "/dev/sda5(0),/dev/sdb1(0)\n")


def _Result(cmd, exit_code=0, stdout="", stderr=""):
  return utils.RunResult(exit_code, None, stdout, stderr,
                         utils.ShellQuoteArgs(cmd), 0, None)


class _Runner:
  """Answers LVM commands from a function and records every call."""

  def __init__(self, answer):
    self.answer = answer
    self.calls = []

  def __call__(self, cmd):
    self.calls.append(list(cmd))
    reply = self.answer(cmd)
    if isinstance(reply, str):
      reply = (0, reply, "")
    return _Result(cmd, *reply)


def _Lvm(attach=ATTACH_OUTPUT, pvs=PVS_OUTPUT, vgs="  xenvg|30708|6000\n",
         fail=()):
  """A runner for one logical volume; commands named in ``fail`` fail."""
  def _Answer(cmd):
    tool = cmd[0]
    if tool in fail:
      return (5, "", "  %s: simulated failure of %s" % (tool, cmd[-1]))
    if tool == "lvs":
      if attach is None:
        return (5, "", "  Failed to find logical volume \"%s\"" % cmd[-1])
      return attach
    if tool == "pvs":
      return pvs
    if tool == "vgs":
      return vgs
    return ""
  return _Runner(_Answer)


def _Sample(name):
  path = SAMPLES / name
  assert path.is_file(), "output sample %s is missing" % path
  return path.read_text()


# -- parsers ---------------------------------------------------------------

def test_lvs_report_sample_parses_field_by_field():
  rows = lvm.ParseLvsReport(_Sample("lvs_lv.txt"), lvm.LVS_REPORT_FIELDS)
  assert len(rows) == 2
  (data, meta) = rows
  assert data["lv_uuid"] == "nhasjL-cnZi-uqLS-WRLj-tkXI-nvCB-n0o2lj"
  assert data["lv_name"] == \
    "df9ff3f6-a833-48ff-8bd5-bff2eaeab759.disk0_data"
  assert data["lv_attr"] == "-wi-ao"
  assert (data["lv_major"], data["lv_minor"]) == (-1, -1)
  assert (data["lv_kernel_major"], data["lv_kernel_minor"]) == (253, 0)
  assert data["lv_size"] == 1073741824
  assert data["seg_count"] == 1
  assert data["lv_tags"] == "originstname+instance1.example.com"
  assert data["modules"] == ""
  assert data["vg_name"] == "xenvg"
  assert data["segtype"] == "linear"
  assert (data["seg_start"], data["seg_start_pe"]) == (0, 0)
  assert data["seg_size"] == 1073741824
  assert data["seg_pe_ranges"] == "/dev/sda5:0-15"
  assert data["devices"] == "/dev/sda5(0)"
  assert meta["lv_kernel_minor"] == 1
  assert meta["lv_size"] == 134217728
  assert meta["devices"] == "/dev/sda5(16)"


def test_lvs_report_sample_merges_per_volume():
  volumes = lvm.MergeLvsReport(
    lvm.ParseLvsReport(_Sample("lvs_lv.txt"), lvm.LVS_REPORT_FIELDS))
  prefix = "xenvg/df9ff3f6-a833-48ff-8bd5-bff2eaeab759.disk0_"
  assert sorted(volumes) == [prefix + "data", prefix + "meta"]
  data = volumes[prefix + "data"]
  assert data["size"] == 1024 and data["size_bytes"] == 1073741824
  assert volumes[prefix + "meta"]["size"] == 128
  assert data["tags"] == ["originstname+instance1.example.com"]
  assert data["pvs"] == ["/dev/sda5"]
  assert data["segtypes"] == ["linear"]
  assert data["active"] is True and data["open"] is True
  assert data["degraded"] is False
  assert (data["kernel_major"], data["kernel_minor"]) == (253, 0)


def test_lvs_report_merges_segments_and_skips_warnings(caplog):
  fields = ("vg_name", "lv_name", "lv_attr", "lv_size", "segtype", "devices")
  output = ("  WARNING: Failed to connect to lvmetad\n"
            "  vg;lv1;-wi-------;8388608B;striped;/dev/a(0),/dev/b(0)\n"
            "  vg;lv1;-wi-------;8388608B;linear;/dev/c(4)\n"
            "\n")
  volumes = lvm.MergeLvsReport(lvm.ParseLvsReport(output, fields))
  assert list(volumes) == ["vg/lv1"]
  assert volumes["vg/lv1"]["pvs"] == ["/dev/a", "/dev/b", "/dev/c"]
  assert volumes["vg/lv1"]["segtypes"] == ["striped", "linear"]
  assert volumes["vg/lv1"]["active"] is False
  assert "Failed to connect to lvmetad" in caplog.text


def test_lvs_report_refuses_bad_numbers():
  with pytest.raises(ValueError, match="Invalid size 'big' of field lv_size"):
    lvm.ParseLvsReport("  -wi-a-;big\n", ("lv_attr", "lv_size"))
  with pytest.raises(ValueError, match="field lv_kernel_major"):
    lvm.ParseLvsReport("  -wi-a-;x\n", ("lv_attr", "lv_kernel_major"))


def test_degraded_attributes():
  assert lvm.IsDegradedAttr("vwi-a-")
  assert lvm.IsDegradedAttr("-wi-a---p-")
  assert not lvm.IsDegradedAttr("-wi-ao----")


def test_vgs_and_pvs_parsers():
  assert lvm.ParseVgsOutput("  xenvg|10236.00|4092.50\n  d|1|0\n") == [
    ("xenvg", 10236, 4092), ("d", 1, 0)]
  assert lvm.ParsePvsOutput(PVS_OUTPUT)[0] == \
    ("/dev/sda5", "xenvg", 10236, 1000, "a--")
  with pytest.raises(ValueError, match="Invalid size 'lots'"):
    lvm.ParseVgsOutput("  xenvg|lots|1\n")


def test_pv_info_filters_group_and_allocatable():
  runner = _Lvm()
  assert lvm.GetPVInfo(["xenvg"], _run_cmd=runner) == [
    ("/dev/sda5", "xenvg", 10236, 1000, "a--"),
    ("/dev/sdb1", "xenvg", 10236, 4092, "a--")]
  assert runner.calls == [PVS_CMD]
  assert len(lvm.GetPVInfo(["xenvg"], filter_allocatable=False,
                           _run_cmd=runner)) == 3


def test_reports_fail_with_the_tool_output():
  with pytest.raises(errors.BlockDeviceError,
                     match="physical volumes.*simulated failure"):
    lvm.GetPVInfo(["xenvg"], _run_cmd=_Lvm(fail=("pvs",)))
  with pytest.raises(errors.BlockDeviceError,
                     match="volume groups.*simulated failure"):
    lvm.GetVGInfo(["xenvg"], _run_cmd=_Lvm(fail=("vgs",)))
  with pytest.raises(errors.BlockDeviceError, match="parse.*volume groups"):
    lvm.GetVGInfo(["xenvg"], _run_cmd=_Lvm(vgs="  xenvg|x|1\n"))


def test_list_logical_volumes_command_and_result():
  runner = _Runner(lambda cmd: _Sample("lvs_lv.txt"))
  volumes = lvm.ListLogicalVolumes(["xenvg"], _run_cmd=runner)
  assert runner.calls == [
    ["lvs", "--noheadings", "--units=b", "--separator=;", "-o",
     ",".join(lvm.LVS_REPORT_FIELDS), "xenvg"]]
  assert len(volumes) == 2


# -- the device --------------------------------------------------------------

def test_attach_reads_kernel_numbers_and_layout():
  runner = _Lvm()
  lv = lvm.LogicalVolume(("xenvg", "inst1.disk0"), None, 1024,
                         {constants.LDP_STRIPES: 2}, _run_cmd=runner)
  assert runner.calls == [LVS_ATTACH + ["/dev/xenvg/inst1.disk0"]]
  assert lv.attached
  assert lv.dev_path == "/dev/xenvg/inst1.disk0"
  assert lv.unique_id == ("xenvg", "inst1.disk0")
  assert (lv.major, lv.minor) == (253, 7)
  assert lv.pe_size == 4 * 1024 * 1024 and lv.stripe_count == 2
  assert lv.pv_names == ["/dev/sda5", "/dev/sdb1"]
  assert lv.active
  status = lv.GetSyncStatus()
  assert status.is_degraded is False
  assert status.ldisk_status == constants.LDS_OKAY
  assert (status.major, status.minor) == (253, 7)


def test_attach_of_inactive_and_degraded_volumes():
  lv = lvm.LogicalVolume(("xenvg", "lv"), None, 8, {}, _run_cmd=_Lvm(
    attach="  -wi-----p-;-1;-1;8388608B;4194304B;1;\n"))
  assert lv.attached and not lv.active
  assert lv.major is None and lv.minor is None
  status = lv.CombinedSyncStatus()
  assert status.is_degraded is True
  assert status.ldisk_status == constants.LDS_FAULTY


@pytest.mark.parametrize("attach", [None, "", "  -wi;253;7;1B;1B;1;\n",
                                    "  -wi-a-;x;7;1B;1B;1;/dev/a(0)\n"])
def test_attach_failures_leave_the_device_detached(attach):
  lv = lvm.LogicalVolume(("xenvg", "lv"), None, 8, {},
                         _run_cmd=_Lvm(attach=attach))
  assert not lv.attached


@pytest.mark.parametrize("unique_id", [
  ("xenvg", "bad name"), ("xenvg", ".."), ("xenvg", "snapshot"),
  ("xenvg", "a_mlog"), ("", "lv"), ("x/y", "lv"), ("xenvg",), "xenvg/lv",
  None])
def test_invalid_names_are_refused(unique_id):
  runner = _Lvm()
  with pytest.raises(errors.BlockDeviceError, match="Invalid"):
    lvm.LogicalVolume(unique_id, None, 8, {}, _run_cmd=runner)
  assert runner.calls == []


def test_create_command_line_with_stripes_over_pvs_by_free_space():
  runner = _Lvm()
  lv = lvm.LogicalVolume.Create(("xenvg", "inst1.disk0"), [], 1024,
                                {constants.LDP_STRIPES: 2}, False,
                                _run_cmd=runner)
  assert runner.calls == [
    PVS_CMD,
    ["lvcreate", "-L", "1024m", "-n", "inst1.disk0", "-i", "2", "xenvg",
     "/dev/sdb1", "/dev/sda5"],
    LVS_ATTACH + ["/dev/xenvg/inst1.disk0"],
    ]
  assert lv.attached and lv.size == 1024


def test_create_defaults_to_one_stripe_and_caps_at_pv_count():
  runner = _Lvm()
  lvm.LogicalVolume.Create(("xenvg", "a"), [], 100, {}, False,
                           _run_cmd=runner)
  assert runner.calls[1][-4:] == ["1", "xenvg", "/dev/sdb1", "/dev/sda5"]
  runner = _Lvm()
  lvm.LogicalVolume.Create(("xenvg", "b"), [], 100,
                           {constants.LDP_STRIPES: 5}, False,
                           _run_cmd=runner)
  assert runner.calls[1][5:8] == ["-i", "2", "xenvg"]


def test_create_falls_back_to_fewer_stripes():
  seen = []

  def _Answer(cmd):
    if cmd[0] == "lvcreate":
      seen.append(cmd[6])
      if cmd[6] != "1":
        return (5, "", "  Insufficient suitable allocatable extents")
      return ""
    return _Lvm().answer(cmd)

  runner = _Runner(_Answer)
  lvm.LogicalVolume.Create(("xenvg", "c"), [], 3000,
                           {constants.LDP_STRIPES: 2}, False,
                           _run_cmd=runner)
  assert seen == ["2", "1"]


def test_create_failure_names_volume_and_output():
  runner = _Runner(lambda cmd: (5, "", "  Volume group \"xenvg\" has"
                                " insufficient free space")
                   if cmd[0] == "lvcreate" else _Lvm().answer(cmd))
  with pytest.raises(errors.BlockDeviceError) as excinfo:
    lvm.LogicalVolume.Create(("xenvg", "d"), [], 100,
                             {constants.LDP_STRIPES: 1}, False,
                             _run_cmd=runner)
  message = str(excinfo.value)
  assert "xenvg/d" in message and "insufficient free space" in message
  assert "lvcreate" in message


def test_create_refuses_when_space_is_short():
  runner = _Lvm()
  with pytest.raises(errors.BlockDeviceError,
                     match="xenvg/e: required 6000 MiB, available 5092 MiB"):
    lvm.LogicalVolume.Create(("xenvg", "e"), [], 6000, {}, False,
                             _run_cmd=runner)
  assert [call[0] for call in runner.calls] == ["pvs"]


def test_create_with_exclusive_storage_uses_only_empty_pvs():
  pvs = PVS_OUTPUT + "  /dev/sde1|xenvg|512.00|512.00|a--\n"
  runner = _Lvm(pvs=pvs)
  lvm.LogicalVolume.Create(("xenvg", "f"), [], 100, {}, True,
                           _run_cmd=runner)
  assert runner.calls[1][-2:] == ["xenvg", "/dev/sde1"]
  with pytest.raises(errors.BlockDeviceError, match="no empty physical"):
    lvm.LogicalVolume.Create(("xenvg", "g"), [], 100, {}, True,
                             _run_cmd=_Lvm())


def test_create_refuses_children_and_bad_stripes():
  with pytest.raises(errors.BlockDeviceError, match="cannot have children"):
    lvm.LogicalVolume.Create(("xenvg", "h"), [object()], 10, {}, False,
                             _run_cmd=_Lvm())
  with pytest.raises(errors.BlockDeviceError, match="stripes"):
    lvm.LogicalVolume.Create(("xenvg", "h"), [], 10,
                             {constants.LDP_STRIPES: 0}, False,
                             _run_cmd=_Lvm())


def test_remove_command_line():
  runner = _Lvm()
  lv = lvm.LogicalVolume(("xenvg", "inst1.disk0"), None, 10, {},
                         _run_cmd=runner)
  lv.Remove()
  assert runner.calls[-1] == ["lvremove", "-f", "xenvg/inst1.disk0"]
  assert not lv.attached


def test_remove_of_a_missing_volume_does_nothing():
  runner = _Lvm(attach=None)
  lvm.LogicalVolume(("xenvg", "gone"), None, 10, {}, _run_cmd=runner).Remove()
  assert [call[0] for call in runner.calls] == ["lvs", "lvs"]


def test_remove_failure_carries_output():
  lv = lvm.LogicalVolume(("xenvg", "busy"), None, 10, {},
                         _run_cmd=_Lvm(fail=("lvremove",)))
  with pytest.raises(errors.BlockDeviceError,
                     match="/dev/xenvg/busy.*simulated failure of"
                     " xenvg/busy"):
    lv.Remove()


def test_rename_command_line_and_new_identity():
  runner = _Lvm()
  lv = lvm.LogicalVolume(("xenvg", "old"), None, 10, {}, _run_cmd=runner)
  lv.Rename(("xenvg", "new"))
  assert runner.calls[-1] == ["lvrename", "xenvg", "old", "new"]
  assert lv.unique_id == ("xenvg", "new")
  assert lv.dev_path == "/dev/xenvg/new"
  with pytest.raises(errors.BlockDeviceError, match="volume group othervg"):
    lv.Rename(("othervg", "new"))
  failing = lvm.LogicalVolume(("xenvg", "x"), None, 10, {},
                              _run_cmd=_Lvm(fail=("lvrename",)))
  with pytest.raises(errors.BlockDeviceError, match="simulated failure"):
    failing.Rename(("xenvg", "y"))
  assert failing.unique_id == ("xenvg", "x")


def test_grow_rounds_to_full_stripes_and_tries_policies():
  calls = []

  def _Answer(cmd):
    if cmd[0] == "lvextend":
      calls.append(cmd)
      if cmd[-2] != "normal":
        return (5, "", "  Insufficient suitable contiguous extents")
      return ""
    return ATTACH_OUTPUT

  lv = lvm.LogicalVolume(("xenvg", "g"), None, 1024, {},
                         _run_cmd=_Runner(_Answer))
  # two stripes of 4 MiB extents: 5 MiB becomes 8 MiB
  lv.Grow(5, False, True)
  assert calls == [
    ["lvextend", "-L", "+8m", "--alloc", "contiguous", "/dev/xenvg/g"],
    ["lvextend", "-L", "+8m", "--alloc", "cling", "/dev/xenvg/g"],
    ["lvextend", "-L", "+8m", "--alloc", "normal", "/dev/xenvg/g"],
    ]


def test_grow_dry_run_and_no_backing_store():
  runner = _Lvm()
  lv = lvm.LogicalVolume(("xenvg", "g"), None, 1024, {}, _run_cmd=runner)
  lv.Grow(16, False, False)
  assert [call[0] for call in runner.calls] == ["lvs"]
  lv.Grow(16, True, True)
  assert runner.calls[-1] == ["lvextend", "-L", "+16m", "--test", "--alloc",
                              "contiguous", "/dev/xenvg/g"]


def test_grow_failure_names_device():
  lv = lvm.LogicalVolume(("xenvg", "g"), None, 1024, {},
                         _run_cmd=_Lvm(fail=("lvextend",)))
  with pytest.raises(errors.BlockDeviceError,
                     match="Cannot grow logical volume /dev/xenvg/g by 8 MiB"
                     ".*simulated failure"):
    lv.Grow(8, False, True)


def test_assemble_and_deactivate_command_lines():
  runner = _Lvm()
  lv = lvm.LogicalVolume(("xenvg", "a"), None, 10, {}, _run_cmd=runner)
  lv.Assemble()
  assert runner.calls[1] == ["lvchange", "-ay", "/dev/xenvg/a"]
  lv.Shutdown()
  lv.Deactivate()
  assert runner.calls[3] == ["lvchange", "-an", "/dev/xenvg/a"]
  failing = lvm.LogicalVolume(("xenvg", "a"), None, 10, {},
                              _run_cmd=_Lvm(fail=("lvchange",)))
  with pytest.raises(errors.BlockDeviceError,
                     match="activate logical volume /dev/xenvg/a"):
    failing.Assemble()


def test_set_info_tags_with_a_valid_lvm_tag():
  runner = _Lvm()
  lv = lvm.LogicalVolume(("xenvg", "a"), None, 10, {}, _run_cmd=runner)
  lv.SetInfo("originstname+inst1.example.com")
  assert runner.calls[-1] == ["lvchange", "--addtag",
                              "originstname+inst1.example.com",
                              "/dev/xenvg/a"]
  lv.SetInfo("-bad name/é" + "x" * 200)
  tag = runner.calls[-1][2]
  assert tag.startswith("_bad_name__") and len(tag) == 128


def test_snapshot_command_line():
  def _Answer(cmd):
    if cmd[0] == "lvs" and cmd[-1].endswith(".snap"):
      return (5, "", "  Failed to find logical volume")
    return _Lvm().answer(cmd)

  runner = _Runner(_Answer)
  lv = lvm.LogicalVolume(("xenvg", "inst1.disk0"), None, 1024, {},
                         _run_cmd=runner)
  assert lv.Snapshot(512) == ("xenvg", "inst1.disk0.snap")
  assert runner.calls[1:] == [
    LVS_ATTACH + ["/dev/xenvg/inst1.disk0.snap"],
    VGS_CMD,
    ["lvcreate", "-L", "512m", "-s", "-n", "inst1.disk0.snap",
     "/dev/xenvg/inst1.disk0"],
    ]


def test_snapshot_replaces_an_old_one_and_checks_space():
  runner = _Lvm(vgs="  xenvg|30708|100\n")
  lv = lvm.LogicalVolume(("xenvg", "d"), None, 1024, {}, _run_cmd=runner)
  with pytest.raises(errors.BlockDeviceError,
                     match="snapshot /dev/xenvg/d: required 512 MiB,"
                     " available 100 MiB"):
    lv.Snapshot(512)
  assert ["lvremove", "-f", "xenvg/d.snap"] in runner.calls
  assert not any(call[0] == "lvcreate" for call in runner.calls)


# -- a real volume group ---------------------------------------------------

@pytest.fixture
def real_vg(tmp_path):
  """A 32 MiB volume group on a loop device, removed afterwards."""
  image = tmp_path / "pv.img"
  with open(image, "wb") as handle:
    handle.truncate(32 * 1024 * 1024)
  env = dict(os.environ, LVM_SUPPRESS_FD_WARNINGS="1")
  loop = subprocess.run(["losetup", "-f", "--show", str(image)], check=True,
                        capture_output=True, text=True).stdout.strip()
  vg_name = "s6test%s" % uuid.uuid4().hex[:8]
  try:
    subprocess.run(["pvcreate", "-q", loop], check=True, capture_output=True,
                   env=env)
    subprocess.run(["vgcreate", "-q", vg_name, loop], check=True,
                   capture_output=True, env=env)
    yield (vg_name, loop)
  finally:
    subprocess.run(["vgremove", "-q", "-f", vg_name], capture_output=True,
                   env=env)
    subprocess.run(["pvremove", "-q", "-f", loop], capture_output=True,
                   env=env)
    subprocess.run(["losetup", "-d", loop], check=True)


def test_real_volume_group_reports(real_vg):
  (vg_name, loop) = real_vg
  (size, free) = lvm.GetVGInfo([vg_name, "no-such-vg-s6"])[vg_name]
  assert 20 <= size <= 32 and free == size
  assert lvm.GetPVInfo([vg_name]) == [(loop, vg_name, size, free, "a--")]
  assert lvm.ListLogicalVolumes([vg_name]) == {}


def test_real_missing_volume(real_vg):
  (vg_name, _) = real_vg
  lv = lvm.LogicalVolume((vg_name, "absent"), None, 8, {})
  assert not lv.attached
  lv.Remove()
  with pytest.raises(errors.BlockDeviceError, match="Cannot list logical"):
    lvm.ListLogicalVolumes(["no-such-vg-s6"])


def test_real_create_refuses_more_than_the_group_holds(real_vg):
  (vg_name, _) = real_vg
  with pytest.raises(errors.BlockDeviceError,
                     match="%s/big: required 1000 MiB" % vg_name):
    lvm.LogicalVolume.Create((vg_name, "big"), [], 1000, {}, False)


def test_real_create_goes_as_far_as_the_kernel_allows(real_vg):
  (vg_name, _) = real_vg
  try:
    lv = lvm.LogicalVolume.Create((vg_name, "small"), [], 8, {}, False)
  except errors.BlockDeviceError as err:
    # without device-mapper lvcreate itself fails, and says why
    message = str(err)
    assert "%s/small" % vg_name in message and "lvcreate" in message
    assert lvm.ListLogicalVolumes([vg_name]) == {}
  else:
    assert lv.attached
    assert "%s/small" % vg_name in lvm.ListLogicalVolumes([vg_name])
    lv.Remove()
    assert lvm.ListLogicalVolumes([vg_name]) == {}


# -- repairing a volume group (captured LVM outputs) ---------------------------

def _RepairRunner(vgreduce, vgreduce_force, vgs, vgs_exit=0):
  def _Answer(cmd):
    if cmd[:2] == ["vgreduce", "--removemissing"]:
      if "--force" in cmd:
        return (0, "", vgreduce_force)
      # old releases fail even when they fixed the group
      return (5, "", vgreduce)
    if cmd[0] == "vgs":
      return (vgs_exit, "", vgs)
    raise AssertionError("unexpected command %s" % cmd)
  return _Runner(_Answer)


def test_remove_missing_old_lvm_fixes_the_group():
  runner = _RepairRunner(_Sample("vgreduce-removemissing-2.02.02.txt"), "",
                         "  xenvg   1  10   0 wz--n- 1.31t 1.07t\n")
  output = lvm.RemoveMissingPVs("xenvg", _run_cmd=runner)
  assert "Wrote out consistent volume group xenvg" in output
  assert runner.calls == [["vgreduce", "--removemissing", "xenvg"],
                          ["vgs", "--noheadings", "--nosuffix", "xenvg"]]


def test_remove_missing_new_lvm_forces_when_partial_lvs_remain():
  runner = _RepairRunner(_Sample("vgreduce-removemissing-2.02.66-fail.txt"),
                         _Sample("vgreduce-removemissing-2.02.66-ok.txt"),
                         "  xenvg   1  10   0 wz--n- 1.31t 1.07t\n")
  lvm.RemoveMissingPVs("xenvg", _run_cmd=runner)
  assert runner.calls == [
    ["vgreduce", "--removemissing", "xenvg"],
    ["vgreduce", "--removemissing", "--force", "xenvg"],
    ["vgs", "--noheadings", "--nosuffix", "xenvg"]]


@pytest.mark.parametrize("vgs_sample, exit_code", [
  ("vgs-missing-pvs-2.02.02.txt", 5),
  ("vgs-missing-pvs-2.02.66.txt", 0),
  ])
def test_remove_missing_reports_a_group_still_broken(vgs_sample, exit_code):
  runner = _RepairRunner(_Sample("vgreduce-removemissing-2.02.66-ok.txt"),
                         "", _Sample(vgs_sample), vgs_exit=exit_code)
  with pytest.raises(errors.BlockDeviceError,
                     match="xenvg is still not consistent.*Couldn't find"
                     " device with uuid"):
    lvm.RemoveMissingPVs("xenvg", _run_cmd=runner)
  assert len(runner.calls) == 2


def test_repair_output_classifiers_on_samples():
  assert not lvm.VgReduceNeedsForce(
    _Sample("vgreduce-removemissing-2.02.66-ok.txt"))
  assert lvm.VgReduceNeedsForce(
    _Sample("vgreduce-removemissing-2.02.66-fail.txt"))
  assert lvm.VgsReportsMissingPvs(_Sample("vgs-missing-pvs-2.02.66.txt"))
  assert not lvm.VgsReportsMissingPvs("  xenvg 1 2 0 wz--n- 1t 1t\n")


def test_real_remove_missing_on_a_whole_group(real_vg):
  (vg_name, _) = real_vg
  # nothing is missing: vgreduce says so, vgs reads the group fine
  lvm.RemoveMissingPVs(vg_name)
  assert vg_name in lvm.GetVGInfo([vg_name])
