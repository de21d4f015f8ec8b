"""Tests for ganeti.hypervisor.hv_base: checks, CPU masks, node facts."""

import os

import psutil
import pytest

from ganeti import constants
from ganeti import errors
from ganeti import objects
from ganeti import utils
from ganeti import vcluster
from ganeti.hypervisor import hv_base


# --- CPU masks ---

@pytest.mark.parametrize("mask,expected", [
  ("", []),
  ("all", [constants.CPU_PINNING_ALL_VAL]),
  ("3", [3]),
  ("0-2,5", [0, 1, 2, 5]),
  (" 1 - 3 , 7", [1, 2, 3, 7]),
  ])
def test_parse_cpu_mask(mask, expected):
  assert hv_base.ParseCpuMask(mask) == expected


@pytest.mark.parametrize("mask", ["a", "3-1", "1,,2", "-1", "1-", "99999"])
def test_parse_cpu_mask_invalid(mask):
  with pytest.raises(errors.ParseError):
    hv_base.ParseCpuMask(mask)


def test_parse_multi_cpu_mask():
  assert hv_base.ParseMultiCpuMask("0-1:all:3") == \
    [[0, 1], [constants.CPU_PINNING_ALL_VAL], [3]]
  assert hv_base.ParseMultiCpuMask("2,4") == [[2, 4]]
  with pytest.raises(errors.ParseError, match="Empty"):
    hv_base.ParseMultiCpuMask("1::2")
  with pytest.raises(errors.ParseError):
    hv_base.ParseMultiCpuMask(5)


# --- parameter checks ---

class _Hv(hv_base.BaseHypervisor):
  """A minimal complete hypervisor for the class-level tests."""
  PARAMETERS = {
    constants.HV_KERNEL_PATH: hv_base.REQ_FILE_CHECK,
    constants.HV_INITRD_PATH: hv_base.OPT_FILE_CHECK,
    constants.HV_MIGRATION_PORT: hv_base.NET_PORT_CHECK,
    constants.HV_MIGRATION_MODE: hv_base.MIGRATION_MODE_CHECK,
    constants.HV_CPU_MASK: hv_base.OPT_MULTI_CPU_MASK_CHECK,
    constants.HV_ACPI: hv_base.NO_CHECK,
    constants.HV_KERNEL_ARGS: hv_base.REQUIRED_CHECK,
    constants.HV_DISK_TYPE: hv_base.ParamInSet(False, ["a", "b"]),
    # the short form of a check tuple
    constants.HV_ROOT_PATH: (False, lambda v: v.startswith("/"),
                             "must start with /"),
    }

  def StartInstance(self, instance, block_devices, startup_paused):
    pass

  def StopInstance(self, instance, force=False, retry=False, name=None,
                   timeout=None):
    pass

  def RebootInstance(self, instance):
    pass

  def ListInstances(self):
    return []

  def GetInstanceInfo(self, instance_name):
    return None

  def GetAllInstancesInfo(self):
    return []

  def GetNodeInfo(self):
    return hv_base.GetLinuxNodeInfo()

  def Verify(self):
    return None


def _Params(**kwargs):
  params = {
    constants.HV_KERNEL_PATH: "/boot/vmlinuz",
    constants.HV_INITRD_PATH: "",
    constants.HV_MIGRATION_PORT: 8102,
    constants.HV_MIGRATION_MODE: constants.HT_MIGRATION_LIVE,
    constants.HV_CPU_MASK: "all",
    constants.HV_ACPI: False,
    constants.HV_KERNEL_ARGS: "ro",
    constants.HV_DISK_TYPE: "",
    constants.HV_ROOT_PATH: "/dev/vda1",
    }
  params.update(kwargs)
  return params


def test_check_syntax_accepts_good_values():
  assert _Hv.CheckParameterSyntax(_Params()) is None
  assert _Hv.CheckParameterSyntax(_Params(disk_type="b",
                                          cpu_mask="0-1:3")) is None


@pytest.mark.parametrize("changes,pattern", [
  ({"vnc_tls": True}, "Parameter 'vnc_tls' is not supported"),
  ({"kernel_path": ""}, "Parameter 'kernel_path' is required"),
  ({"kernel_args": ""}, "Parameter 'kernel_args' is required"),
  ({"kernel_path": "boot/x"}, "Parameter 'kernel_path' fails syntax check"
                              ": must be an absolute normalized path"),
  ({"kernel_path": "/boot/../x"}, "'kernel_path' fails syntax"),
  ({"migration_port": 0}, "'migration_port' is required"),
  ({"migration_port": 70000}, "'migration_port' fails syntax check"),
  ({"migration_port": "8102"}, "'migration_port' must be an integer"),
  ({"acpi": "yes"}, "'acpi' must be a boolean"),
  ({"migration_mode": "fast"}, "'migration_mode' fails syntax check: must"
                               " be one of: live, non-live"),
  ({"cpu_mask": "1-x"}, "'cpu_mask' fails syntax check"),
  ({"disk_type": "c"}, "'disk_type' fails syntax check: must be one of:"
                       " a, b"),
  ({"root_path": "dev"}, "'root_path' fails syntax check: must start"
                         " with /"),
  ])
def test_check_syntax_refuses(changes, pattern):
  with pytest.raises(errors.HypervisorError, match=pattern):
    _Hv.CheckParameterSyntax(_Params(**changes))


def test_check_syntax_missing_required_and_not_a_dict():
  params = _Params()
  del params[constants.HV_KERNEL_PATH]
  with pytest.raises(errors.HypervisorError, match="'kernel_path' is"
                     " required"):
    _Hv.CheckParameterSyntax(params)
  with pytest.raises(errors.HypervisorError, match="must be a dict"):
    _Hv.CheckParameterSyntax([])


def test_check_syntax_invalid_check_tuple():
  class _Bad(_Hv):
    PARAMETERS = {constants.HV_ACPI: (False, None)}
  with pytest.raises(errors.ProgrammerError, match="3 or 5"):
    _Bad.CheckParameterSyntax({constants.HV_ACPI: True})


def test_validate_parameters_checks_files(tmp_path):
  kernel = tmp_path / "vmlinuz"
  kernel.write_text("k")
  hyper = _Hv()
  assert hyper.ValidateParameters(_Params(kernel_path=str(kernel))) is None
  with pytest.raises(errors.HypervisorError,
                     match="'kernel_path' fails validation: must be an"
                           " existing regular file"):
    hyper.ValidateParameters(_Params(kernel_path=str(tmp_path / "none")))
  with pytest.raises(errors.HypervisorError, match="'initrd_path' fails"
                     " validation"):
    hyper.ValidateParameters(_Params(kernel_path=str(kernel),
                                     initrd_path=str(tmp_path)))
  # syntax is checked too
  with pytest.raises(errors.HypervisorError, match="not supported"):
    hyper.ValidateParameters(_Params(kernel_path=str(kernel), bogus=1))


def test_dir_checks(tmp_path):
  (_, syntax_fn, _, node_fn, _) = hv_base.REQ_DIR_CHECK
  assert syntax_fn(str(tmp_path)) and node_fn(str(tmp_path))
  assert not node_fn(str(tmp_path / "none"))
  assert hv_base.OPT_DIR_CHECK[0] is False


# --- the interface ---

def test_abstract_methods_are_enforced():
  class _Incomplete(hv_base.BaseHypervisor):
    def StartInstance(self, instance, block_devices, startup_paused):
      pass
  with pytest.raises(TypeError):
    _Incomplete()  # pylint: disable=E0110


def _Instance(**kwargs):
  values = dict(name="inst1.example.com", hypervisor="fake",
                primary_node="node1.example.com",
                beparams={constants.BE_MAXMEM: 512, constants.BE_MINMEM: 256,
                          constants.BE_VCPUS: 2},
                hvparams={}, nics=[], disks=[])
  values.update(kwargs)
  return objects.Instance(**values)


def test_default_console_is_a_message():
  console = _Hv.GetInstanceConsole(_Instance(), {}, {})
  assert console.kind == constants.CONS_MESSAGE
  assert console.instance == "inst1.example.com"
  assert "not available" in console.message
  assert console.Validate()


def test_default_migration_and_balloon():
  hyper = _Hv()
  inst = _Instance()
  assert hyper.MigrationInfo(inst) == ""
  assert hyper.AcceptInstance(inst, "", "1.2.3.4") is None
  assert hyper.FinalizeMigrationDst(inst, "", True) is None
  assert hyper.FinalizeMigrationSource(inst, True, True) is None
  with pytest.raises(errors.HypervisorError, match="Migration of instance"
                     " inst1.example.com is not supported"):
    hyper.MigrateInstance(inst, "1.2.3.4", True)
  with pytest.raises(errors.HypervisorError, match="ballooning"):
    hyper.BalloonInstanceMemory(inst, 128)
  status = hyper.GetMigrationStatus(inst)
  assert status.status == hv_base.HV_MIGRATION_COMPLETED
  assert status.status in hv_base.HV_MIGRATION_VALID_STATUSES
  assert hv_base.HV_MIGRATION_FAILED in hv_base.HV_MIGRATION_FAILED_STATUSES


def test_startup_memory():
  inst = _Instance()
  assert hv_base.BaseHypervisor._InstanceStartupMemory(inst, 10000) == 512
  assert hv_base.BaseHypervisor._InstanceStartupMemory(inst, 300) == 300
  with pytest.raises(errors.HypervisorError, match="Not enough memory to"
                     " start instance inst1.example.com: 100 MiB free, but"
                     " 256 MiB needed"):
    hv_base.BaseHypervisor._InstanceStartupMemory(inst, 100)


def test_ancillary_files():
  class _Files(_Hv):
    ANCILLARY_FILES = ["/etc/a", "/etc/b"]
    ANCILLARY_FILES_OPT = ["/etc/b"]
  assert _Files.GetAncillaryFiles() == (["/etc/a", "/etc/b"], ["/etc/b"])
  assert _Hv.GetAncillaryFiles() == ([], [])

  class _Relative(_Hv):
    ANCILLARY_FILES = ["etc/a"]
  with pytest.raises(errors.ProgrammerError, match="absolute"):
    _Relative.GetAncillaryFiles()

  class _Stray(_Hv):
    ANCILLARY_FILES = ["/etc/a"]
    ANCILLARY_FILES_OPT = ["/etc/c"]
  with pytest.raises(errors.ProgrammerError, match="not in its list"):
    _Stray.GetAncillaryFiles()


# --- node facts ---

def test_linux_node_info(tmp_path):
  cpuinfo = tmp_path / "cpuinfo"
  cpuinfo.write_text("processor\t: 0\nphysical id\t: 0\n\n"
                     "processor\t: 1\nphysical id\t: 1\n\n"
                     "processor\t: 2\nphysical id\t: 1\n")
  nodes = tmp_path / "node"
  for name in ("node0", "node1", "possible", "has_cpu"):
    (nodes / name).mkdir(parents=True)
  bootid = tmp_path / "boot_id"
  bootid.write_text("abc-def\n")
  info = hv_base.GetLinuxNodeInfo(_cpuinfo_file=str(cpuinfo),
                                  _node_dir=str(nodes),
                                  _boot_id_file=str(bootid))
  total = utils.BytesToMebibyte(psutil.virtual_memory().total)
  assert info["memory_total"] == total
  assert 0 < info["memory_free"] <= total
  assert info["memory_dom0"] == total - info["memory_free"]
  assert info["cpu_total"] == psutil.cpu_count(logical=True)
  assert info["cpu_sockets"] == 2
  assert info["cpu_nodes"] == 2
  assert info["bootid"] == "abc-def"


def test_linux_node_info_without_sources(tmp_path):
  info = hv_base.GetLinuxNodeInfo(_cpuinfo_file=str(tmp_path / "x"),
                                  _node_dir=str(tmp_path / "y"),
                                  _boot_id_file=str(tmp_path / "z"))
  assert info["cpu_sockets"] == 1
  assert info["cpu_nodes"] == 1
  assert "bootid" not in info
  # the real machine's files
  real = hv_base.GetLinuxNodeInfo()
  assert real["cpu_sockets"] >= 1 and real["cpu_nodes"] >= 1


def test_powercycle_refused_in_virtual_cluster(monkeypatch):
  monkeypatch.setattr(vcluster, "IsVirtualCluster", lambda: True)
  with pytest.raises(errors.HypervisorError, match="virtual cluster"):
    hv_base.LinuxPowercycle(_run_cmd=lambda cmd: pytest.fail("ran %s" % cmd))
  with pytest.raises(errors.HypervisorError, match="virtual cluster"):
    _Hv.PowercycleNode()


def test_powercycle_sysrq_then_reboot(monkeypatch, tmp_path):
  monkeypatch.setattr(vcluster, "IsVirtualCluster", lambda: False)
  trigger = tmp_path / "sysrq-trigger"
  calls = []

  def _Run(cmd):
    calls.append(cmd)
    return utils.RunResult(1, None, "", "no reboot here", " ".join(cmd),
                           None, None)
  with pytest.raises(errors.HypervisorError, match="no reboot here"):
    hv_base.LinuxPowercycle(_sysrq_file=str(trigger), _run_cmd=_Run)
  assert trigger.read_text() == "b"
  assert calls == [["reboot", "-n", "-f"]]
  # an unwritable trigger still falls back to reboot
  calls.clear()
  with pytest.raises(errors.HypervisorError):
    hv_base.LinuxPowercycle(_sysrq_file=str(tmp_path / "no" / "file"),
                            _run_cmd=_Run)
  assert calls == [["reboot", "-n", "-f"]]
  assert not os.path.exists(tmp_path / "no")
