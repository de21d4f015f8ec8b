"""Unit tests of lib/client/gnt_cluster.py: option parsing and output."""

import pytest

from ganeti import cli
from ganeti import constants
from ganeti import errors
from ganeti import opcodes
from ganeti.client import gnt_cluster


def _Parse(*argv):
  return cli.ParseArgs("gnt-cluster", ["gnt-cluster"] + list(argv),
                       gnt_cluster.commands, aliases=gnt_cluster.aliases)


def test_init_defaults():
  (fn, opts, args) = _Parse("init", "cluster.example.com")
  assert fn is gnt_cluster.InitCluster
  params = gnt_cluster.BuildInitParams(opts, args[0])
  assert params["cluster_name"] == "cluster.example.com"
  assert params["vg_name"] == constants.DEFAULT_VG
  assert params["drbd_helper"] == constants.DEFAULT_DRBD_HELPER
  assert params["master_netdev"] == constants.DEFAULT_BRIDGE
  assert params["enabled_hypervisors"] == [
    constants.DEFAULT_ENABLED_HYPERVISOR]
  assert params["candidate_pool_size"] == 10
  assert params["mac_prefix"] == constants.DEFAULT_MAC_PREFIX
  assert params["master_netmask"] is None
  assert params["primary_ip_version"] == 4
  assert params["modify_etc_hosts"] and params["modify_ssh_setup"]
  # every hypervisor and disk template gets its filled defaults
  assert set(params["hvparams"]) == constants.HYPER_TYPES
  assert set(params["diskparams"]) == constants.DISK_TEMPLATES
  assert params["ipolicy"][constants.IPOLICY_DTS]


def test_init_options():
  (_, opts, args) = _Parse(
    "init", "--no-lvm-storage", "--no-drbd-storage", "--master-netdev", "lo",
    "--enabled-hypervisors", "fake,kvm", "-H", "fake:migration_mode=live",
    "-B", "vcpus=2", "-N", "link=br1", "-C", "3", "--uid-pool",
    "1000-1009,2000", "--master-netmask", "24", "--mac-prefix", "aa:bb:cc",
    "--no-etc-hosts", "--no-ssh-init", "-s", "10.0.0.1",
    "--node-parameters", "spindle_count=2", "--use-external-mip-script",
    "yes", "--specs-mem-size", "min=64", "--ipolicy-vcpu-ratio", "2.5",
    "-D", "plain:stripes=2", "cluster.example.com")
  params = gnt_cluster.BuildInitParams(opts, args[0])
  assert params["vg_name"] is None and params["drbd_helper"] is None
  assert params["master_netdev"] == "lo"
  assert params["enabled_hypervisors"] == ["fake", "kvm"]
  assert params["hvparams"]["fake"]["migration_mode"] == "live"
  assert params["beparams"]["vcpus"] == 2
  assert params["nicparams"]["link"] == "br1"
  assert params["candidate_pool_size"] == 3
  assert params["uid_pool"] == [(1000, 1009), (2000, 2000)]
  assert params["master_netmask"] == 24
  assert params["mac_prefix"] == "aa:bb:cc"
  assert not params["modify_etc_hosts"] and not params["modify_ssh_setup"]
  assert params["secondary_ip"] == "10.0.0.1"
  assert params["ndparams"]["spindle_count"] == 2
  assert params["use_external_mip_script"] is True
  assert params["ipolicy"]["min"]["memory-size"] == 64
  assert params["ipolicy"]["vcpu-ratio"] == 2.5
  assert params["diskparams"]["plain"]["stripes"] == 2


@pytest.mark.parametrize("argv, match", [
  (["--no-lvm-storage", "--vg-name", "vg"], "--no-lvm-storage and --vg-name"),
  (["--no-drbd-storage", "--drbd-usermode-helper", "/bin/x"],
   "--no-drbd-storage and --drbd-usermode-helper"),
  (["-D", "nosuch:a=b"], "Disk templates unknown: nosuch"),
  (["--master-netmask", "abc"], "Invalid master netmask value 'abc'"),
  (["--primary-ip-version", "x"], "Invalid primary ip version value 'x'"),
  ])
def test_init_conflicts(argv, match):
  (_, opts, args) = _Parse("init", *(argv + ["c.example.com"]))
  with pytest.raises(errors.OpPrereqError, match=match):
    gnt_cluster.BuildInitParams(opts, args[0])


def test_modify_nothing_given():
  (fn, opts, _) = _Parse("modify")
  assert fn is gnt_cluster.SetClusterParams
  assert gnt_cluster.BuildSetParamsOpcode(opts) is None


def test_modify_builds_opcode():
  (_, opts, _) = _Parse("modify", "-C", "5", "--add-uids", "100-110",
                        "--remove-uids", "7", "--uid-pool", "1-3",
                        "-I", "", "--master-netdev", "eth1",
                        "--enabled-hypervisors", "kvm", "--no-lvm-storage",
                        "--reserved-lvs", "", "--no-drbd-storage")
  op = gnt_cluster.BuildSetParamsOpcode(opts)
  assert isinstance(op, opcodes.OpClusterSetParams)
  assert op.candidate_pool_size == 5
  assert op.add_uids == [[100, 110]]
  assert op.remove_uids == [[7, 7]]
  assert op.uid_pool == [[1, 3]]
  assert op.default_iallocator == ""
  assert op.master_netdev == "eth1"
  assert op.enabled_hypervisors == ["kvm"]
  assert op.vg_name == "" and op.drbd_helper == ""
  assert op.reserved_lvs == []
  assert getattr(op, "hvparams", None) is None
  assert getattr(op, "beparams", None) is None
  op.Validate(True)


def test_aliases_and_argument_counts():
  assert _Parse("show")[0] is gnt_cluster.ShowClusterConfig
  assert _Parse("masterfailover")[0] is gnt_cluster.MasterFailover
  with pytest.raises(cli.ArgumentCountError):
    _Parse("getmaster", "extra")
  with pytest.raises(cli.ArgumentCountError):
    _Parse("queue")


def test_format_grouped_params():
  lines = gnt_cluster.FormatGroupedParams({"b": 1, "a": {"y": 4, "x": "v"}},
                                          roman=True)
  assert lines == ["  - a:", "      x: v", "      y: IV", "    b: I"]


def test_to_roman():
  assert gnt_cluster.ToRoman(1994) == "MCMXCIV"
  assert gnt_cluster.ToRoman(0) == 0
  assert gnt_cluster.ToRoman(True) is True
  assert gnt_cluster.ToRoman(7, convert=False) == 7


def _Info():
  return {
    "name": "c.example.com", "uuid": "u-1", "ctime": 0, "mtime": 0,
    "master": "n1", "architecture": ["64bit", "x86_64"], "tags": ["b", "a"],
    "default_hypervisor": "fake", "enabled_hypervisors": ["fake"],
    "hvparams": {"fake": {"migration_mode": "live"}}, "os_hvp": {},
    "osparams": {}, "hidden_os": [], "blacklisted_os": [],
    "candidate_pool_size": 10, "master_netdev": "lo", "master_netmask": 32,
    "use_external_mip_script": False, "volume_group_name": "",
    "reserved_lvs": [], "drbd_usermode_helper": "", "file_storage_dir": "/f",
    "shared_file_storage_dir": "/s", "maintain_node_health": False,
    "uid_pool": [[1, 3]], "default_iallocator": "", "primary_ip_version": 4,
    "prealloc_wipe_disks": False, "ndparams": {"spindle_count": 1},
    "beparams": {"default": {"vcpus": 1}}, "nicparams": {"default": {}},
    "diskparams": {"plain": {"stripes": 1}},
    "ipolicy": {"min": {"cpu-count": 1}, "max": {"cpu-count": 8},
                "std": {"cpu-count": 1}, "disk-templates": ["plain"],
                "vcpu-ratio": 4.0, "spindle-ratio": 32.0},
    }


def test_format_cluster_info():
  lines = gnt_cluster.FormatClusterInfo(_Info(), roman=True)
  for expected in ["Cluster name: c.example.com", "Cluster UUID: u-1",
                   "Master node: n1", "Architecture (this node): 64bit"
                   " (x86_64)", "Tags: a, b", "Hypervisor parameters:",
                   "  - fake:", "      migration_mode: live",
                   "  - candidate pool size: X",
                   "  - lvm reserved volumes: (none)", "  - uid pool: 1-3",
                   "  - primary ip version: 4", "Default instance parameters:",
                   "  - default:", "      vcpus: I",
                   "Instance policy - limits for instances:", "  - min",
                   "    cpu-count: I", "  - enabled disk templates: plain",
                   "  - spindle-ratio: 32.0", "  - vcpu-ratio: 4.0"]:
    assert expected in lines, expected
  assert lines.index("  - min") < lines.index("  - max") < \
    lines.index("  - std")


def test_format_watcher_pause():
  assert gnt_cluster.FormatWatcherPause(None) == "The watcher is not paused."
  assert gnt_cluster.FormatWatcherPause(10, now=20) == \
    "The watcher is not paused."
  assert gnt_cluster.FormatWatcherPause(30, now=20).startswith(
    "The watcher is paused until ")


def test_destroy_without_yes_do_it(capsys):
  (fn, opts, args) = _Parse("destroy")
  assert fn(opts, args) == constants.EXIT_FAILURE
  assert "--yes-do-it" in capsys.readouterr().err
