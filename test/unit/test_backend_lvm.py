"""Tests of ganeti.backend_lvm: LVM output parsers and the real tools."""

import os
import subprocess
import uuid

import pytest

from ganeti import backend
from ganeti import backend_lvm
from ganeti import backend_verify
from ganeti import constants
from ganeti import pathutils


VGS_SAMPLE = """\
  xenvg|10236.00|4092.50
  data|476937.00|0
"""

PVS_SAMPLE = """\
  /dev/sda5|xenvg|10236.00|4092.00|a--
  /dev/sdb1|data|476937.00|0|---
  /dev/sdc1||1024.00|1024.00|---
"""

LVS_SAMPLE = """\
  xenvg|inst1.disk0|1024.00|-wi-ao
  xenvg|inst1.disk1|512.00|-wi---
  xenvg|thinpool|2048.00|twi-a-
  xenvg|virtual1|100.00|vwi-a-
  xenvg|short|100.00|-wi
"""


def test_parse_vgs():
  assert backend_lvm.ParseVgsOutput(VGS_SAMPLE) == [
    ("xenvg", 10236, 4092), ("data", 476937, 0)]


def test_parse_vgs_ignores_malformed_lines(caplog):
  output = VGS_SAMPLE + "  WARNING: something odd\n\n"
  assert len(backend_lvm.ParseVgsOutput(output)) == 2
  assert "WARNING: something odd" in caplog.text


def test_parse_vgs_rejects_bad_sizes():
  with pytest.raises(ValueError, match="Invalid size 'lots'"):
    backend_lvm.ParseVgsOutput("  xenvg|lots|1\n")


def test_parse_pvs():
  assert backend_lvm.ParsePvsOutput(PVS_SAMPLE) == [
    ("/dev/sda5", "xenvg", 10236, 4092, "a--"),
    ("/dev/sdb1", "data", 476937, 0, "---"),
    ("/dev/sdc1", "", 1024, 1024, "---")]


def test_parse_lvs_skips_virtual_and_short_lines():
  assert backend_lvm.ParseLvsOutput(LVS_SAMPLE) == {
    "xenvg/inst1.disk0": (1024, False, True),
    "xenvg/inst1.disk1": (512, True, False),
    "xenvg/thinpool": (2048, False, False),
    }


def test_parse_empty_output():
  assert backend_lvm.ParseVgsOutput("") == []
  assert backend_lvm.ParsePvsOutput("\n") == []
  assert backend_lvm.ParseLvsOutput("") == {}


def test_missing_tool_fails_clearly(monkeypatch):
  monkeypatch.setenv("PATH", "/nonexistent")
  with pytest.raises(backend.RPCFail, match="Cannot list volume groups"):
    backend_lvm.ListVolumeGroups()


@pytest.fixture
def real_vg(tmp_path):
  """A real 32 MiB volume group on a loop device, removed afterwards."""
  image = tmp_path / "pv.img"
  with open(image, "wb") as handle:
    handle.truncate(32 * 1024 * 1024)
  env = dict(os.environ, LVM_SUPPRESS_FD_WARNINGS="1")

  def run(*args):
    subprocess.run(args, check=True, capture_output=True, env=env)

  loop = subprocess.run(["losetup", "-f", "--show", str(image)], check=True,
                        capture_output=True, text=True).stdout.strip()
  vg_name = "f2test%s" % uuid.uuid4().hex[:8]
  try:
    run("pvcreate", "-q", loop)
    run("vgcreate", "-q", vg_name, loop)
    yield (vg_name, loop)
  finally:
    subprocess.run(["vgremove", "-q", "-f", vg_name], capture_output=True,
                   env=env)
    subprocess.run(["pvremove", "-q", "-f", loop], capture_output=True,
                   env=env)
    subprocess.run(["losetup", "-d", loop], check=True)


def test_real_volume_group(real_vg):
  (vg_name, loop) = real_vg
  (size, free) = backend_lvm.ListVolumeGroups()[vg_name]
  assert 20 <= size <= 32 and free == size
  assert backend.ListVolumeGroups()[vg_name] == size
  assert backend_lvm.GetPVInfo([vg_name]) == [(free, loop, vg_name)]
  assert backend_lvm.GetVolumeList([vg_name]) == {}
  info = backend.GetNodeInfo([vg_name, "no-such-vg-f2"])
  assert info["vg_info"] == [
    {"name": vg_name, "vg_size": size, "vg_free": free},
    {"name": "no-such-vg-f2", "vg_size": None, "vg_free": None}]


def test_real_volume_group_in_node_verify(real_vg, tmp_path, monkeypatch):
  (vg_name, loop) = real_vg
  node = "node1.example.com"
  (tmp_path / node).mkdir()
  monkeypatch.setenv("GANETI_ROOTDIR", str(tmp_path / node))
  monkeypatch.setenv("GANETI_HOSTNAME", node)
  pathutils.Reload()
  try:
      result = backend_verify.VerifyNode({
      constants.NV_VGLIST: None,
      constants.NV_PVLIST: [vg_name],
      constants.NV_LVLIST: vg_name,
      }, "cluster.example.com")
  finally:
    monkeypatch.undo()
    pathutils.Reload()
  assert result[constants.NV_VGLIST][vg_name] >= 20
  assert [(pv, vg) for (_, pv, vg) in result[constants.NV_PVLIST]] == \
    [(loop, vg_name)]
  assert result[constants.NV_LVLIST] == {}
