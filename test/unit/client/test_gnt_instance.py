"""Tests of ganeti.client.gnt_instance (gnt-instance, cli.md 8.4).

Layer 6 (entry points).  The command lines are parsed with the real
parser and the opcodes they submit are checked field by field; the
master is a fake LUXI client that records submitted jobs, answers them
with canned opcode results, and answers queries like the master does
(lib/query.py's field tables over real objects.Instance/Node objects,
through a JSON round trip).  The printed list and info layouts are
compared byte for byte with golden files in test/data/cli/.  The
commands run against real daemons in the integration tests.
"""

import copy
import json
import os
import shlex
import time

import pytest

from ganeti import cli
from ganeti import cli_jobs
from ganeti import cli_output
from ganeti import constants
from ganeti import errors
from ganeti import objects
from ganeti import query
from ganeti import serializer
from ganeti.client import gnt_instance


_GOLDEN_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           os.pardir, os.pardir, "data", "cli")

MASTER = "node1.example.com"
GROUP_UUID = "11111111-2222-3333-4444-000000000001"


def _Golden(name):
  with open(os.path.join(_GOLDEN_DIR, name), encoding="utf-8") as handle:
    return handle.read()


# --- a fake master -----------------------------------------------------------

def _Cluster():
  cluster = objects.Cluster(
    cluster_name="cluster.example.com", master_node=MASTER,
    enabled_hypervisors=[constants.HT_KVM, constants.HT_FAKE],
    volume_group_name="xenvg",
    nicparams={constants.PP_DEFAULT: dict(constants.NICC_DEFAULTS)},
    ctime=100.0, mtime=200.0, serial_no=1)
  cluster.UpgradeConfig()
  return cluster


def _Node(name, number, **kwargs):
  node = objects.Node(name=name, primary_ip="192.0.2.%d" % number,
                      secondary_ip="192.0.2.%d" % number,
                      uuid="node-uuid-%d" % number, group=GROUP_UUID,
                      ctime=1.0, mtime=2.0, serial_no=1, **kwargs)
  node.UpgradeConfig()
  return node


def _LV(name, size):
  return objects.Disk(dev_type=constants.LD_LV, size=size,
                      logical_id=("xenvg", name), mode="rw")


def _Instance(name, pnode, template, disks, admin_state, **kwargs):
  inst = objects.Instance(
    name=name, primary_node=pnode, os="debian+default",
    hypervisor=kwargs.pop("hypervisor", constants.HT_KVM),
    hvparams={}, beparams=kwargs.pop("beparams", {}), osparams={},
    admin_state=admin_state, disk_template=template, disks=disks,
    nics=kwargs.pop("nics", []), network_port=None, uuid="uuid-" + name,
    ctime=10.0, mtime=20.0, serial_no=3, **kwargs)
  inst.UpgradeConfig()
  return inst


def _Instances():
  drbd = objects.Disk(dev_type=constants.LD_DRBD8, size=1024, mode="rw",
                      iv_name="disk/0",
                      logical_id=(MASTER, "node2.example.com", 11000, 0, 0,
                                  "secret"),
                      children=[_LV("data", 1024), _LV("meta", 128)])
  nic = objects.NIC(mac="aa:00:00:11:22:33", ip=None, nicparams={})
  return [
    _Instance("inst1.example.com", MASTER, constants.DT_DRBD8, [drbd],
              constants.ADMINST_UP, nics=[nic], tags=set(["web"])),
    _Instance("inst2.example.com", "node2.example.com", constants.DT_PLAIN,
              [_LV("inst2-disk0", 2048), _LV("inst2-disk1", 512)],
              constants.ADMINST_DOWN, hypervisor=constants.HT_FAKE,
              tags=set(["db", "web"])),
    _Instance("inst3.example.com", "node3.example.com",
              constants.DT_DISKLESS, [], constants.ADMINST_UP),
    _Instance("inst10.example.com", MASTER, constants.DT_DISKLESS, [],
              constants.ADMINST_UP),
    ]


class FakeMaster:
  """The LUXI side of a master: queries, job submission and results.

  ``jobs`` records every submitted job as a list of opcode dicts (as the
  wire would carry them); ``results`` maps an OP_ID to the result the
  opcode returns (a callable gets the opcode dict); ``failures`` maps an
  instance name to an error message for its jobs.

  """
  def __init__(self):
    self.cluster = _Cluster()
    group = objects.NodeGroup(name="default", uuid=GROUP_UUID)
    group.UpgradeConfig()
    self.groups = {GROUP_UUID: group}
    self.nodes = [_Node(MASTER, 1, tags=set(["rack1"])),
                  _Node("node2.example.com", 2, tags=set(["rack2"])),
                  _Node("node3.example.com", 3, offline=True,
                        tags=set(["rack1"]))]
    self.instances = _Instances()
    self.live = {"inst1.example.com": {"memory": 512, "vcpus": 1}}
    self.console = {}
    self.jobs = []
    self.results = {}
    self.failures = {}
    self.queries = []

  # queries

  def _Expand(self, items, name):
    for item in items:
      if item.name == name or item.name.startswith(name + "."):
        return item
    raise errors.OpPrereqError("'%s' not known" % name, errors.ECODE_NOENT)

  def _Selected(self, items, q):
    names = q.RequestedNames()
    if names is None:
      return list(items)
    return [self._Expand(items, name) for name in names]

  def Query(self, what, fields, qfilter):
    self.queries.append((what, list(fields), qfilter))
    q = query.MakeQuery(what, fields, qfilter)
    if what == constants.QR_INSTANCE:
      ctx = query.InstanceQueryData(
        self._Selected(self.instances, q), self.cluster, disk_usage={},
        offline_nodes=["node3.example.com"], bad_nodes=[],
        live_data=self.live, wrongnode_inst=[], console=self.console,
        nodes=dict((node.name, node) for node in self.nodes),
        groups=self.groups)
    elif what == constants.QR_NODE:
      primary = {}
      secondary = {}
      for inst in self.instances:
        primary.setdefault(inst.primary_node, []).append(inst.name)
        for snode in inst.secondary_nodes:
          secondary.setdefault(snode, []).append(inst.name)
      nodes = self._Selected(self.nodes, q)
      ctx = query.NodeQueryData(nodes, {}, MASTER, primary, secondary,
                                self.groups,
                                dict((node.name, False) for node in nodes),
                                self.cluster)
    else:
      raise AssertionError("Unexpected query resource %r" % what)
    return serializer.LoadJson(serializer.DumpJson(
      query.GetQueryResponse(q, ctx)))

  def QueryFields(self, what, fields):
    return serializer.LoadJson(serializer.DumpJson(
      query.QueryFields(query.ALL_FIELDS[what], fields)))

  def QueryConfigValues(self, fields):
    assert fields == ["cluster_name"]
    return ["cluster.example.com"]

  # jobs

  def SubmitJob(self, ops):
    self.jobs.append([serializer.LoadJson(serializer.DumpJson(op.ToDict()))
                      for op in ops])
    return str(len(self.jobs))

  def SubmitManyJobs(self, jobs):
    return [[True, self.SubmitJob(ops)] for ops in jobs]

  def WaitForJobChangeOnce(self, job_id, fields, prev_job_info,
                           prev_log_serial):
    if prev_log_serial is None:
      return [[self._Status(job_id)],
              [[1, [1357652380, 0], "message", "job %s ran" % job_id]]]
    return [[self._Status(job_id)], []]

  def _Op(self, job_id):
    return self.jobs[int(job_id) - 1][0]

  def _Status(self, job_id):
    if self._Op(job_id).get("instance_name") in self.failures:
      return constants.JOB_STATUS_ERROR
    return constants.JOB_STATUS_SUCCESS

  def QueryJobs(self, job_ids, fields):
    answers = []
    for job_id in job_ids:
      status = self._Status(job_id)
      if fields == ["status"]:
        answers.append([status])
        continue
      op = self._Op(job_id)
      if status == constants.JOB_STATUS_ERROR:
        err = errors.OpExecError(self.failures[op["instance_name"]])
        answers.append([status, [constants.OP_STATUS_ERROR],
                        [errors.EncodeException(err)]])
        continue
      result = self.results.get(op["OP_ID"])
      if callable(result):
        result = result(op)
      answers.append([status, [constants.OP_STATUS_SUCCESS], [result]])
    return serializer.LoadJson(serializer.DumpJson(answers))


@pytest.fixture
def master(monkeypatch):
  fake = FakeMaster()
  monkeypatch.setattr(cli, "GetClient", lambda: fake)
  monkeypatch.setattr(cli_jobs, "GetClient", lambda: fake)
  # no terminal: every question gets its default answer ("no")
  monkeypatch.setattr(cli, "AskUser", _Refuse)
  return fake


def _Refuse(text, choices=None):  # pylint: disable=W0613
  return False if choices is None else choices[-1][1]


@pytest.fixture
def utc(monkeypatch):
  monkeypatch.setenv("TZ", "UTC")
  time.tzset()
  yield
  monkeypatch.undo()
  time.tzset()


def _Parse(argv):
  return cli.ParseArgs("gnt-instance", ["gnt-instance"] + argv,
                       gnt_instance.commands, aliases=gnt_instance.aliases,
                       env_override={"list"})


def _Run(argv):
  (func, opts, args) = _Parse(argv)
  return func(opts, args)


def _Main(argv):
  """Run through GenericMain, which prints errors and gives exit codes."""
  return gnt_instance.cli.GenericMain(
    gnt_instance.commands, aliases=gnt_instance.aliases,
    argv=["gnt-instance"] + argv)


def _Op(job):
  """The only opcode of a recorded job, without the generic fields."""
  assert len(job) == 1
  op = dict(job[0])
  for name in ("debug_level", "dry_run", "priority", "depends",
               "comment", "reason"):
    op.pop(name, None)
  return op


# --- the command table -------------------------------------------------------

def test_every_command_of_the_issue_is_registered():
  assert sorted(gnt_instance.commands) == [
    "activate-disks", "add", "add-tags", "batch-create", "console",
    "deactivate-disks", "grow-disk", "info", "list", "list-fields",
    "list-tags", "modify", "reboot", "recreate-disks", "reinstall",
    "remove", "remove-tags", "rename", "shutdown", "startup"]
  assert gnt_instance.aliases == {"start": "startup", "stop": "shutdown",
                                  "show": "info"}


def test_aliases_reach_their_commands():
  assert _Parse(["start", "i1"])[0] is gnt_instance.StartupInstance
  assert _Parse(["stop", "i1"])[0] is gnt_instance.ShutdownInstance
  assert _Parse(["show", "i1"])[0] is gnt_instance.ShowInstanceConfig


def test_launcher_runs_the_tool(tmp_path):
  import subprocess
  import sys
  script = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        os.pardir, os.pardir, os.pardir, "scripts",
                        "gnt-instance")
  result = subprocess.run([sys.executable, script, "--version"],
                          capture_output=True, text=True, timeout=60)
  assert result.returncode == 0, result.stderr
  assert result.stdout.startswith("gnt-instance (ganeti v")


# --- add ---------------------------------------------------------------------

def test_add_builds_the_full_opcode(master):
  assert _Run(["add", "-t", "drbd", "-n", "node1:node2",
               "-o", "debian+default",
               "--disk", "0:size=10G,mode=ro,vg=xenvg",
               "--disk", "1:size=130,metavg=metavg",
               "--net", "0:mac=generate,ip=auto,mode=routed,link=100",
               "--net", "1:link=br1",
               "-H", "kvm:kernel_path=/boot/vmlinuz,acpi=false",
               "-B", "maxmem=1G,vcpus=2,auto_balance=false",
               "-O", "dhcp=yes", "--no-start", "--no-ip-check",
               "--no-name-check", "--no-wait-for-sync",
               "--file-storage-dir", "sub", "--file-driver", "blktap",
               "--identify-defaults", "--force-variant",
               "--ignore-ipolicy", "--tags", "a,b",
               "--dry-run", "--priority", "high", "-d",
               "inst5.example.com"]) == constants.EXIT_SUCCESS
  assert len(master.jobs) == 1
  job = master.jobs[0]
  assert (job[0]["dry_run"], job[0]["priority"], job[0]["debug_level"]) == \
    (True, constants.OP_PRIO_HIGH, 1)
  assert _Op(job) == {
    "OP_ID": "OP_INSTANCE_CREATE",
    "instance_name": "inst5.example.com",
    "mode": constants.INSTANCE_CREATE,
    "disk_template": "drbd",
    "disks": [{"size": 10240, "mode": "ro", "vg": "xenvg"},
              {"size": 132, "metavg": "metavg"}],
    "nics": [{"mac": "generate", "ip": "auto", "mode": "routed",
              "link": "100"},
             {"link": "br1"}],
    "pnode": "node1", "snode": "node2",
    "hypervisor": "kvm",
    "hvparams": {"kernel_path": "/boot/vmlinuz", "acpi": False},
    "beparams": {"maxmem": 1024, "vcpus": 2, "auto_balance": False},
    "osparams": {"dhcp": "yes"},
    "os_type": "debian+default", "force_variant": True,
    "start": False, "no_install": False,
    "ip_check": False, "name_check": False, "wait_for_sync": False,
    "file_storage_dir": "sub", "file_driver": "blktap",
    "iallocator": None, "identify_defaults": True,
    "ignore_ipolicy": True, "tags": ["a", "b"],
    }


def test_add_defaults(master):
  _Run(["add", "-t", "plain", "-s", "1.5G", "-o", "dummy", "-n", "node1",
        "inst5"])
  op = _Op(master.jobs[0])
  assert op["disks"] == [{"size": 1536}]
  # one NIC with the cluster's defaults, started, checked, loop driver
  assert op["nics"] == [{}]
  assert (op["start"], op["no_install"], op["ip_check"], op["name_check"],
          op["wait_for_sync"]) == (True, False, True, True, True)
  assert (op["pnode"], op["snode"], op["hypervisor"], op["hvparams"],
          op["beparams"], op["osparams"], op["tags"]) == \
    ("node1", None, None, {}, {}, {}, [])
  assert (op["file_driver"], op["file_storage_dir"], op["identify_defaults"],
          op["iallocator"]) == ("loop", None, False, None)
  assert "dry_run" not in master.jobs[0][0] or \
    master.jobs[0][0]["dry_run"] is False


def test_add_no_install_means_no_start_and_no_nics(master):
  _Run(["add", "-t", "diskless", "-o", "dummy", "-n", "node1",
        "--no-install", "--no-nics", "-I", "hail", "inst5"])
  op = _Op(master.jobs[0])
  assert (op["no_install"], op["start"], op["nics"], op["disks"],
          op["iallocator"]) == (True, False, [], [], "hail")


def test_add_adoption_and_index_gaps(master):
  _Run(["add", "-t", "plain", "-o", "dummy", "-n", "node1",
        "--disk", "0:adopt=lv0", "--disk", "2:adopt=lv2", "inst5"])
  assert _Op(master.jobs[0])["disks"] == [
    {"adopt": "lv0", "size": 0}, {}, {"adopt": "lv2", "size": 0}]


def test_add_hypervisor_without_parameters(master):
  _Run(["add", "-t", "file", "-s", "1", "-o", "dummy", "-n", "node1",
        "-H", "fake", "inst5"])
  op = _Op(master.jobs[0])
  assert (op["hypervisor"], op["hvparams"], op["disks"]) == \
    ("fake", {}, [{"size": 4}])


@pytest.mark.parametrize("argv, message", [
  (["-t", "diskless", "-s", "1G"], "Diskless instance but disk information"),
  (["-t", "diskless", "--disk", "0:size=1G"],
   "Diskless instance but disk information"),
  (["-t", "plain"], "No disk information specified"),
  (["-t", "plain", "-s", "1G", "--disk", "0:size=1G"],
   "either the '--disk' or '-s'"),
  (["-t", "plain", "--disk", "0:size=1G,adopt=lv"],
   "Only one of 'size' and 'adopt'"),
  (["-t", "plain", "--disk", "0:mode=rw"],
   "Missing size or adoption source for disk 0"),
  (["-t", "plain", "--disk", "x:size=1G"], "Invalid disk index"),
  (["-t", "plain", "--disk", "0:size=huge"], "Invalid disk size"),
  (["-t", "plain", "-s", "1G", "--net", "a:link=br0"], "Invalid nic index"),
  (["-t", "plain", "-s", "1G", "-H", "kvm:migration_port=1"],
   "cluster-wide"),
  (["-s", "1G"], "No disk template given"),
  ])
def test_add_client_side_checks(master, argv, message):
  base = ["add", "-o", "dummy", "-n", "node1"]
  with pytest.raises(errors.OpPrereqError, match=message):
    _Run(base + argv + ["inst5"])
  assert master.jobs == []


def test_add_needs_an_os(master):
  with pytest.raises(errors.OpPrereqError, match="No OS given"):
    _Run(["add", "-t", "plain", "-s", "1G", "-n", "node1", "inst5"])


def test_add_bad_backend_value_is_a_parameter_error(master, capsys):
  assert _Main(["add", "-t", "plain", "-s", "1G", "-o", "dummy", "-n",
                "node1", "-B", "vcpus=many", "inst5"]) == \
    constants.EXIT_FAILURE
  assert capsys.readouterr().err.startswith("Parameter Error: ")


def test_add_bad_template_is_a_usage_error(capsys):
  with pytest.raises(SystemExit) as exc:
    _Parse(["add", "-t", "floppy", "inst5"])
  assert exc.value.code == 2
  assert "invalid choice" in capsys.readouterr().err


def test_add_submit_prints_the_job_id(master, capsys):
  assert _Main(["add", "-t", "plain", "-s", "1G", "-o", "dummy", "-n",
                "node1", "--submit", "inst5"]) == constants.EXIT_SUCCESS
  captured = capsys.readouterr()
  assert captured.err.strip() == "JobID: 1"
  assert len(master.jobs) == 1


def test_add_print_jobid_and_job_log(master, capsys, utc):
  assert _Main(["add", "-t", "plain", "-s", "1G", "-o", "dummy", "-n",
                "node1", "--print-jobid", "inst5"]) == constants.EXIT_SUCCESS
  assert capsys.readouterr().out == \
    "1\nTue Jan  8 13:39:40 2013 job 1 ran\n"


# --- batch-create ------------------------------------------------------------

def _WriteJson(tmp_path, data):
  path = tmp_path / "instances.json"
  path.write_text(json.dumps(data))
  return str(path)


def test_batch_create_one_job_per_instance_in_natural_order(master, capsys,
                                                            tmp_path):
  path = _WriteJson(tmp_path, {
    "web10": {"template": "drbd", "os": "debian", "primary_node": "node1",
              "secondary_node": "node2", "disk_size": ["1G", 512],
              "backend": {"maxmem": "512", "vcpus": 2},
              "hypervisor": "kvm", "hvparams": {"acpi": "true"},
              "mac": "aa:00:00:00:00:01", "ip": "192.0.2.10",
              "start": False, "file_driver": "blktap"},
    "web2": {"template": "diskless", "os": "debian",
             "iallocator": "hail", "name_check": False, "ip_check": False,
             "nics": [{"link": "br1"}, {"mode": "routed", "ip": "auto"}]},
    "web1": {"template": "plain", "os": "debian+small",
             "primary_node": "node2", "force_variant": True,
             "file_storage_dir": "x"},
    })
  assert _Run(["batch-create", "--priority", "low", path]) == \
    constants.EXIT_SUCCESS
  assert capsys.readouterr().out.splitlines() == ["1: web1", "2: web2",
                                                  "3: web10"]
  ops = [_Op(job) for job in master.jobs]
  assert [job[0]["priority"] for job in master.jobs] == \
    [constants.OP_PRIO_LOW] * 3
  assert ops[0]["disks"] == [{"size": 20480}]
  assert (ops[0]["os_type"], ops[0]["force_variant"], ops[0]["pnode"],
          ops[0]["file_storage_dir"], ops[0]["file_driver"],
          ops[0]["nics"], ops[0]["start"]) == \
    ("debian+small", True, "node2", "x", "loop", [{}], True)
  assert (ops[1]["disks"], ops[1]["iallocator"], ops[1]["pnode"],
          ops[1]["name_check"], ops[1]["ip_check"], ops[1]["nics"]) == \
    ([], "hail", None, False, False,
     [{"link": "br1"}, {"mode": "routed", "ip": "auto"}])
  assert ops[2] == {
    "OP_ID": "OP_INSTANCE_CREATE", "instance_name": "web10",
    "mode": "create", "disk_template": "drbd", "os_type": "debian",
    "force_variant": False, "pnode": "node1", "snode": "node2",
    "disks": [{"size": 1024}, {"size": 512}],
    "nics": [{"ip": "192.0.2.10", "mac": "aa:00:00:00:00:01"}],
    "start": False, "ip_check": True, "name_check": True,
    "wait_for_sync": True, "iallocator": None, "hypervisor": "kvm",
    "hvparams": {"acpi": True}, "beparams": {"maxmem": 512, "vcpus": 2},
    "file_storage_dir": None, "file_driver": "blktap",
    }


@pytest.mark.parametrize("spec, message", [
  ({"template": "plain", "os": "x"}, "primary_node or an iallocator"),
  ({"os": "x", "primary_node": "n"}, "Missing key\\(s\\) template"),
  ({"template": "plain", "os": "x", "primary_node": "n",
    "nics": [{}], "mac": "aa:00:00:00:00:01"}, "'nics' list incompatible"),
  ({"template": "plain", "os": "x", "primary_node": "n", "hvparams": "a"},
   "must be a dict"),
  ({"template": "plain", "os": "x", "primary_node": "n", "memory": 1},
   "Unknown key"),
  ])
def test_batch_create_refuses_bad_specs(master, tmp_path, spec, message):
  path = _WriteJson(tmp_path, {"i1": spec})
  with pytest.raises(errors.OpPrereqError, match=message):
    _Run(["batch-create", path])
  assert master.jobs == []


def test_batch_create_unparsable_file(master, capsys, tmp_path):
  path = tmp_path / "bad.json"
  path.write_text("{not json")
  assert _Run(["batch-create", str(path)]) == constants.EXIT_FAILURE
  assert capsys.readouterr().err.startswith(
    "Can't parse the instance definition file: ")
  path.write_text("[1, 2]")
  assert _Run(["batch-create", str(path)]) == constants.EXIT_FAILURE
  assert "not in dict format" in capsys.readouterr().err
  assert master.jobs == []


# --- remove, rename, reinstall -----------------------------------------------

def test_remove_with_force(master):
  assert _Run(["remove", "-f", "--ignore-failures", "--shutdown-timeout",
               "30", "inst2"]) == constants.EXIT_SUCCESS
  assert _Op(master.jobs[0]) == {"OP_ID": "OP_INSTANCE_REMOVE",
                                 "instance_name": "inst2",
                                 "ignore_failures": True,
                                 "shutdown_timeout": 30}


def test_remove_asks_and_checks_existence_first(master, monkeypatch):
  assert _Run(["remove", "inst2"]) == constants.EXIT_FAILURE
  assert master.jobs == []
  with pytest.raises(errors.OpPrereqError,
                     match="Instance 'nosuch' does not exist"):
    _Run(["remove", "nosuch"])
  questions = []
  monkeypatch.setattr(cli, "AskUser",
                      lambda text, choices=None: questions.append(text) or
                      True)
  assert _Run(["remove", "inst2"]) == constants.EXIT_SUCCESS
  assert "inst2" in questions[0] and "removing all the data" in questions[0]
  assert _Op(master.jobs[0])["shutdown_timeout"] == \
    constants.DEFAULT_SHUTDOWN_TIMEOUT


def test_rename_prints_the_new_name(master, capsys):
  master.results["OP_INSTANCE_RENAME"] = "inst9.example.com"
  assert _Run(["rename", "--no-ip-check", "inst2", "inst9"]) == 0
  assert _Op(master.jobs[0]) == {"OP_ID": "OP_INSTANCE_RENAME",
                                 "instance_name": "inst2",
                                 "new_name": "inst9", "ip_check": False,
                                 "name_check": True}
  assert capsys.readouterr().out.splitlines()[-1] == \
    "Instance 'inst2' renamed to 'inst9.example.com'"


def test_rename_without_name_check_must_be_confirmed(master):
  assert _Run(["rename", "--no-name-check", "--no-ip-check", "inst2",
               "inst9"]) == constants.EXIT_FAILURE
  assert master.jobs == []


def test_reinstall_single_with_force(master):
  assert _Run(["reinstall", "-f", "-o", "debian+big", "--force-variant",
               "-O", "a=1", "inst2"]) == constants.EXIT_SUCCESS
  assert _Op(master.jobs[0]) == {
    "OP_ID": "OP_INSTANCE_REINSTALL", "instance_name": "inst2.example.com",
    "os_type": "debian+big", "force_variant": True,
    "osparams": {"a": "1"}}


def test_reinstall_needs_confirmation(master):
  assert _Run(["reinstall", "inst2"]) == constants.EXIT_FAILURE
  assert _Run(["reinstall", "-f", "--primary", "node1"]) == \
    constants.EXIT_FAILURE
  assert master.jobs == []
  assert _Run(["reinstall", "--force-multiple", "--primary", "node1"]) == 0
  assert [_Op(job)["instance_name"] for job in master.jobs] == \
    ["inst1.example.com", "inst10.example.com"]
  assert _Op(master.jobs[0])["os_type"] is None
  assert _Op(master.jobs[0])["osparams"] is None


def test_reinstall_select_os(master, monkeypatch, capsys):
  master.results["OP_OS_DIAGNOSE"] = [["debian", ["small", "big"]],
                                      ["dummy", []]]
  seen = []

  def _Choose(text, choices=None):
    seen.append([entry[1] for entry in choices])
    return choices[1][1]
  monkeypatch.setattr(cli, "AskUser", _Choose)
  assert _Run(["reinstall", "--select-os", "-f", "inst2"]) == 0
  assert seen[0] == ["debian+small", "debian+big", "dummy", None]
  out = capsys.readouterr().out
  assert "Available OS templates:\n  0: debian+small\n  1: debian+big\n"\
    "  2: dummy\n" in out
  assert _Op(master.jobs[-1])["os_type"] == "debian+big"
  monkeypatch.setattr(cli, "AskUser", lambda text, choices=None: None)
  assert _Run(["reinstall", "--select-os", "-f", "inst2"]) == 1
  assert "User aborted reinstall" in capsys.readouterr().err


# --- startup, shutdown, reboot and the selection modes -----------------------

def test_startup_single_instance_with_temporary_parameters(master, capsys):
  assert _Run(["startup", "-f", "--ignore-offline", "--no-remember",
               "--paused", "-H", "kernel_args=single,acpi=false",
               "-B", "maxmem=256", "inst1"]) == constants.EXIT_SUCCESS
  assert _Op(master.jobs[0]) == {
    "OP_ID": "OP_INSTANCE_STARTUP", "instance_name": "inst1.example.com",
    "force": True, "ignore_offline_nodes": True, "no_remember": True,
    "startup_paused": True,
    "hvparams": {"kernel_args": "single", "acpi": False},
    "beparams": {"maxmem": 256}}
  # one instance by name: not verbose, no question
  out = capsys.readouterr().out
  assert "Submitted jobs" not in out
  assert out.splitlines()[0] == "Waiting for job 1 for inst1.example.com ..."


def test_startup_defaults(master):
  _Run(["start", "inst1"])
  assert _Op(master.jobs[0]) == {
    "OP_ID": "OP_INSTANCE_STARTUP", "instance_name": "inst1.example.com",
    "force": False, "ignore_offline_nodes": False, "no_remember": False,
    "startup_paused": False}


def test_shutdown_and_reboot_opcodes(master):
  _Run(["shutdown", "--timeout", "5", "--no-remember", "--ignore-offline",
        "inst2"])
  _Run(["reboot", "-t", "full", "--ignore-secondaries",
        "--shutdown-timeout", "7", "inst2"])
  _Run(["reboot", "inst2"])
  assert _Op(master.jobs[0]) == {
    "OP_ID": "OP_INSTANCE_SHUTDOWN", "instance_name": "inst2.example.com",
    "timeout": 5, "no_remember": True, "ignore_offline_nodes": True}
  assert _Op(master.jobs[1]) == {
    "OP_ID": "OP_INSTANCE_REBOOT", "instance_name": "inst2.example.com",
    "reboot_type": "full", "ignore_secondaries": True,
    "shutdown_timeout": 7}
  assert (_Op(master.jobs[2])["reboot_type"],
          _Op(master.jobs[2])["shutdown_timeout"]) == \
    ("hard", constants.DEFAULT_SHUTDOWN_TIMEOUT)


def test_reboot_type_must_be_known(capsys):
  with pytest.raises(SystemExit) as exc:
    _Parse(["reboot", "-t", "warm", "inst1"])
  assert exc.value.code == 2


@pytest.mark.parametrize("argv, expected", [
  (["inst2", "inst1"], ["inst2.example.com", "inst1.example.com"]),
  (["--all"], ["inst1.example.com", "inst2.example.com",
               "inst3.example.com", "inst10.example.com"]),
  (["--node", "node2"], ["inst2.example.com", "inst1.example.com"]),
  (["--primary", "node1"], ["inst1.example.com", "inst10.example.com"]),
  (["--secondary", "node2"], ["inst1.example.com"]),
  (["--tags", "web"], ["inst1.example.com", "inst2.example.com"]),
  (["--tags", "db", "nosuch"], ["inst2.example.com"]),
  (["--node-tags", "rack1"], ["inst1.example.com", "inst10.example.com",
                              "inst3.example.com"]),
  (["--pri-node-tags", "rack2"], ["inst2.example.com"]),
  (["--sec-node-tags", "rack2"], ["inst1.example.com"]),
  (["--node", "--instance", "inst3"], ["inst3.example.com"]),
  ])
def test_selection_modes(master, argv, expected):
  assert _Run(["shutdown", "--force-multiple"] + argv) == \
    constants.EXIT_SUCCESS
  assert [_Op(job)["instance_name"] for job in master.jobs] == expected


def test_multiple_instances_need_confirmation(master, monkeypatch):
  assert _Run(["shutdown", "inst1", "inst2"]) == constants.EXIT_FAILURE
  assert _Run(["shutdown", "--primary", "node2"]) == constants.EXIT_FAILURE
  assert master.jobs == []
  asked = []

  def _Agree(text, choices=None):
    asked.append(text)
    return True
  monkeypatch.setattr(cli, "AskUser", _Agree)
  assert _Run(["reboot", "inst1", "inst2"]) == constants.EXIT_SUCCESS
  assert asked == ["The reboot will operate on 2 instances.\n"
                   "Do you want to continue?\n"
                   "Affected instances:\n"
                   "  inst1.example.com\n"
                   "  inst2.example.com"]
  assert len(master.jobs) == 2


def test_multiple_jobs_verbose_output_and_failures(master, capsys):
  master.failures["inst2.example.com"] = "node down"
  assert _Run(["startup", "--force-multiple", "inst1", "inst2"]) == \
    constants.EXIT_FAILURE
  captured = capsys.readouterr()
  lines = captured.out.splitlines()
  assert lines[0] == "Submitted jobs 1, 2"
  assert "Waiting for job 1 for inst1.example.com ..." in lines
  assert "Waiting for job 2 for inst2.example.com ..." in lines
  assert "Job 2 for inst2.example.com has failed: " in captured.err
  assert "node down" in captured.err


def test_multiple_jobs_submit_only(master, capsys):
  assert _Run(["shutdown", "--submit", "--force-multiple", "--all"]) == 0
  assert capsys.readouterr().out.splitlines() == [
    "1: inst1.example.com", "2: inst2.example.com", "3: inst3.example.com",
    "4: inst10.example.com"]


def test_selection_errors(master, capsys):
  with pytest.raises(errors.OpPrereqError, match="No instance names"):
    _Run(["startup"])
  with pytest.raises(errors.OpPrereqError, match="takes no arguments"):
    _Run(["startup", "--all", "inst1"])
  with pytest.raises(errors.OpPrereqError, match="does not match any"):
    _Run(["startup", "--tags", "nosuch"])
  master.instances = []
  assert _Run(["shutdown", "--all"]) == constants.EXIT_SUCCESS
  assert capsys.readouterr().out == \
    "Cluster is empty, no instances to shutdown\n"
  assert master.jobs == []


# --- disks -------------------------------------------------------------------

def test_activate_disks_prints_devices(master, capsys):
  master.results["OP_INSTANCE_ACTIVATE_DISKS"] = [
    [MASTER, "disk/0", "/dev/drbd0"], [MASTER, "disk/1", "/dev/drbd1"]]
  assert _Run(["activate-disks", "--ignore-size", "inst1"]) == 0
  assert _Op(master.jobs[0]) == {"OP_ID": "OP_INSTANCE_ACTIVATE_DISKS",
                                 "instance_name": "inst1",
                                 "ignore_size": True}
  assert capsys.readouterr().out.splitlines()[-2:] == [
    "node1.example.com:disk/0:/dev/drbd0",
    "node1.example.com:disk/1:/dev/drbd1"]


def test_deactivate_disks(master):
  _Run(["deactivate-disks", "-f", "inst1"])
  _Run(["deactivate-disks", "inst1"])
  assert [_Op(job) for job in master.jobs] == [
    {"OP_ID": "OP_INSTANCE_DEACTIVATE_DISKS", "instance_name": "inst1",
     "force": True},
    {"OP_ID": "OP_INSTANCE_DEACTIVATE_DISKS", "instance_name": "inst1",
     "force": False}]


def test_grow_disk(master):
  _Run(["grow-disk", "inst1", "1", "2G"])
  _Run(["grow-disk", "--absolute", "--no-wait-for-sync", "inst1", "0",
        "130"])
  assert [_Op(job) for job in master.jobs] == [
    {"OP_ID": "OP_INSTANCE_GROW_DISK", "instance_name": "inst1", "disk": 1,
     "amount": 2048, "absolute": False, "wait_for_sync": True},
    {"OP_ID": "OP_INSTANCE_GROW_DISK", "instance_name": "inst1", "disk": 0,
     "amount": 132, "absolute": True, "wait_for_sync": False}]
  with pytest.raises(errors.OpPrereqError, match="Invalid disk index"):
    _Run(["grow-disk", "inst1", "first", "2G"])
  with pytest.raises(errors.OpPrereqError, match="Can't parse the given"):
    _Run(["grow-disk", "inst1", "0", "lots"])


def test_recreate_disks(master):
  _Run(["recreate-disks", "inst1"])
  _Run(["recreate-disks", "--disk", "0:size=2G,mode=ro", "--disk", "2",
        "-n", "node3:node4", "inst1"])
  _Run(["recreate-disks", "-n", "node3", "inst1"])
  assert [_Op(job) for job in master.jobs] == [
    {"OP_ID": "OP_INSTANCE_RECREATE_DISKS", "instance_name": "inst1",
     "disks": [], "nodes": []},
    {"OP_ID": "OP_INSTANCE_RECREATE_DISKS", "instance_name": "inst1",
     "disks": [[0, {"size": 2048, "mode": "ro"}], [2, {}]],
     "nodes": ["node3", "node4"]},
    {"OP_ID": "OP_INSTANCE_RECREATE_DISKS", "instance_name": "inst1",
     "disks": [], "nodes": ["node3"]}]
  with pytest.raises(errors.OpPrereqError, match="Invalid disk index"):
    _Run(["recreate-disks", "--disk", "a:size=1", "inst1"])


# --- modify ------------------------------------------------------------------

def test_modify_everything_and_result_lines(master, capsys):
  master.results["OP_INSTANCE_SET_PARAMS"] = [
    ["be/maxmem", 512], ["disk/2", "add:size=1024,mode=rw"],
    ["nic.ip/0", "192.0.2.7"]]
  assert _Run(["modify", "-B", "maxmem=512,vcpus=Default",
               "-H", "kernel_args=ro,acpi=DEFAULT", "-O", "p=v",
               "-o", "debian+big", "--force-variant",
               "--disk", "add:size=1G", "--disk", "1:mode=ro",
               "--disk", "0:remove", "--disk", "3:add,size=130,vg=vg2",
               "--net", "add:link=br1", "--net", "0:ip=192.0.2.7",
               "--net", "remove", "--net", "2:modify,mac=aa:00:00:00:00:09",
               "-m", "300", "-f", "--ignore-ipolicy", "inst1"]) == 0
  assert _Op(master.jobs[0]) == {
    "OP_ID": "OP_INSTANCE_SET_PARAMS", "instance_name": "inst1",
    "beparams": {"maxmem": 512, "vcpus": "default"},
    "hvparams": {"kernel_args": "ro", "acpi": "default"},
    "osparams": {"p": "v"}, "os_name": "debian+big", "force_variant": True,
    "disks": [["add", -1, {"size": 1024}], ["modify", 1, {"mode": "ro"}],
              ["remove", 0, {}], ["add", 3, {"size": 132, "vg": "vg2"}]],
    "nics": [["add", -1, {"link": "br1"}],
             ["modify", 0, {"ip": "192.0.2.7"}], ["remove", -1, {}],
             ["modify", 2, {"mac": "aa:00:00:00:00:09"}]],
    "runtime_mem": 300, "force": True, "ignore_ipolicy": True,
    "disk_template": None, "remote_node": None, "wait_for_sync": True,
    "offline": None}
  lines = capsys.readouterr().out.splitlines()
  assert lines[-5:-1] == ["Modified instance inst1",
                          " - be/maxmem -> 512",
                          " - disk/2 -> add:size=1024,mode=rw",
                          " - nic.ip/0 -> 192.0.2.7"]
  assert lines[-1].startswith("Please don't forget that most parameters")


def test_modify_template_conversion_and_offline(master):
  _Run(["modify", "-t", "drbd", "-n", "node2", "--no-wait-for-sync",
        "inst2"])
  _Run(["modify", "-t", "plain", "inst1"])
  _Run(["modify", "--offline", "inst2"])
  _Run(["modify", "--online", "inst2"])
  ops = [_Op(job) for job in master.jobs]
  assert (ops[0]["disk_template"], ops[0]["remote_node"],
          ops[0]["wait_for_sync"]) == ("drbd", "node2", False)
  assert (ops[1]["disk_template"], ops[1]["remote_node"]) == ("plain", None)
  assert (ops[2]["offline"], ops[3]["offline"]) == (True, False)
  assert ops[2]["osparams"] is None and ops[2]["beparams"] == {}


@pytest.mark.parametrize("argv, message", [
  (["-t", "drbd"], "requires specifying a secondary node"),
  (["--disk", "add:mode=rw"], "Missing required parameter 'size'"),
  (["--disk", "0:remove,mode=ro"], "Not accepting parameters on removal"),
  (["--net", "0:add,remove"], "more than one of"),
  (["--disk", "first:mode=ro"], "Non-numeric index"),
  (["--offline", "--online"], "--offline and --online"),
  (["-B", "vcpus=lots"], "vcpus"),
  ])
def test_modify_refuses(master, argv, message):
  with pytest.raises(errors.GenericError, match=message):
    _Run(["modify"] + argv + ["inst1"])
  assert master.jobs == []


def test_modify_without_changes(master, capsys):
  assert _Run(["modify", "inst1"]) == constants.EXIT_FAILURE
  assert capsys.readouterr().err == \
    "Please give at least one of the parameters.\n"
  assert master.jobs == []


# --- tags --------------------------------------------------------------------

def test_tag_commands_use_the_instance_kind(master):
  _Run(["add-tags", "inst1", "a", "b"])
  _Run(["remove-tags", "inst1", "a"])
  assert [_Op(job) for job in master.jobs] == [
    {"OP_ID": "OP_TAGS_SET", "kind": "instance", "name": "inst1",
     "tags": ["a", "b"]},
    {"OP_ID": "OP_TAGS_DEL", "kind": "instance", "name": "inst1",
     "tags": ["a"]}]


# --- list, list-fields -------------------------------------------------------

@pytest.mark.parametrize("argv, golden", [
  (["list"], "gnt-instance-list-default.txt"),
  (["list", "--separator=|", "--no-headers"],
   "gnt-instance-list-separator.txt"),
  (["list", "-o", "+snodes,tags,disk.sizes,nic.macs,disk_template",
    "--units", "g"], "gnt-instance-list-fields.txt"),
  ])
def test_list_matches_golden_file(master, capsys, argv, golden):
  assert _Run(argv) == constants.EXIT_SUCCESS
  assert capsys.readouterr().out == _Golden(golden)


def test_list_asks_the_default_fields(master):
  _Run(["list"])
  assert master.queries == [(constants.QR_INSTANCE,
                             ["name", "hypervisor", "os", "pnode", "status",
                              "oper_ram"], None)]


def test_list_status_values(master, capsys):
  master.live["inst2.example.com"] = {"memory": 128, "vcpus": 1}
  _Run(["list", "--no-headers", "-o", "name,status,oper_state,admin_state",
        "-v"])
  assert [line.split() for line in capsys.readouterr().out.splitlines()] == [
    ["inst1.example.com", "running", "Y", "up"],
    ["inst2.example.com", "ERROR_up", "Y", "down"],
    ["inst3.example.com", "ERROR_nodeoffline", "(nodata)", "up"],
    ["inst10.example.com", "ERROR_down", "N", "up"]]


def test_list_names_and_filters(master, capsys):
  _Run(["list", "--no-headers", "-o", "name", "inst1", "inst3"])
  assert capsys.readouterr().out.split() == ["inst1.example.com",
                                             "inst3.example.com"]
  _Run(["list", "--no-headers", "-o", "name", "pnode == \"%s\"" % MASTER])
  assert capsys.readouterr().out.split() == ["inst1.example.com",
                                             "inst10.example.com"]
  _Run(["list", "--no-headers", "-o", "name", "-F", "admin_state == \"down\""])
  assert capsys.readouterr().out.split() == ["inst2.example.com"]


def test_list_unknown_field_and_environment(master, capsys, monkeypatch):
  assert _Run(["list", "-o", "name,nosuch"]) == constants.EXIT_UNKNOWN_FIELD
  assert "Warning: Queried for unknown fields nosuch" in \
    capsys.readouterr().err
  monkeypatch.setenv("GNT_INSTANCE_LIST", "--no-headers -o name")
  assert _Run(["list", "inst2"]) == constants.EXIT_SUCCESS
  assert capsys.readouterr().out == "inst2.example.com\n"


def test_list_fields(master, capsys):
  assert _Run(["list-fields", "--no-headers", "--separator=|", "status",
               "oper_ram"]) == 0
  rows = [line.split("|") for line in capsys.readouterr().out.splitlines()]
  assert [row[:2] for row in rows] == [["status", "Status"],
                                       ["oper_ram", "Memory"]]
  assert all(row[2] for row in rows)


# --- info --------------------------------------------------------------------

def _InfoResult():
  """Two OP_INSTANCE_QUERY_DATA entries: a running DRBD one (with live disk
  status, as lists and as dicts) and a down plain one queried statically."""
  hv_actual = {"acpi": True, "kernel_path": "/boot/vmlinuz",
               "vnc_bind_address": "0.0.0.0"}
  be_actual = {"maxmem": 512, "minmem": 256, "vcpus": 2,
               "auto_balance": True, "always_failover": False,
               "spindle_use": 1}
  drbd = {
    "iv_name": "disk/0", "dev_type": "drbd8", "size": 1024, "mode": "rw",
    "logical_id": [MASTER, "node2.example.com", 11000, 0, 1, "secret"],
    "physical_id": None,
    "pstatus": ["/dev/drbd0", 147, 0, 45.5, 60, True, 1],
    "sstatus": {"dev_path": "/dev/drbd1", "major": 147, "minor": 1,
                "sync_percent": None, "estimated_time": None,
                "is_degraded": False, "ldisk_status": 3},
    "children": [
      {"iv_name": None, "dev_type": "lvm", "size": 1024, "mode": "rw",
       "logical_id": ["xenvg", "abc.disk0_data"], "physical_id": None,
       "pstatus": ["/dev/xenvg/abc.disk0_data", 253, 0, None, None, False,
                   1],
       "sstatus": None, "children": []},
      {"iv_name": None, "dev_type": "lvm", "size": 128, "mode": "rw",
       "logical_id": ["xenvg", "abc.disk0_meta"], "physical_id": None,
       "pstatus": None, "sstatus": ["/dev/xenvg/abc.disk0_meta", None,
                                    None, None, None, False, 3],
       "children": []}],
    }
  return {
    "inst1.example.com": {
      "name": "inst1.example.com", "uuid": "uuid-inst1", "serial_no": 7,
      "ctime": 1357652380.0, "mtime": 1357652480.5,
      "config_state": "up", "run_state": "up",
      "pnode": MASTER, "pnode_group_name": "default",
      "pnode_group_uuid": GROUP_UUID,
      "snodes": ["node2.example.com"], "snodes_group_names": ["default"],
      "snodes_group_uuids": [GROUP_UUID],
      "os": "debian+default", "os_instance": {"dhcp": "yes"},
      "os_actual": {"dhcp": "yes", "root_size": "1G"},
      "network_port": 5901, "hypervisor": "kvm",
      "hv_instance": {"acpi": True}, "hv_actual": hv_actual,
      "be_instance": {"maxmem": 512}, "be_actual": be_actual,
      "disk_template": "drbd",
      "nics": [[None, "aa:00:00:11:22:33", "bridged", "br0"],
               ["192.0.2.9", "aa:00:00:11:22:34", "routed", "100"]],
      "disks": [drbd],
      },
    "inst2.example.com": {
      "name": "inst2.example.com", "uuid": "uuid-inst2", "serial_no": 1,
      "ctime": 1357652380.0, "mtime": 1357652380.0,
      "config_state": "down", "run_state": None,
      "pnode": "node2.example.com", "pnode_group_name": "default",
      "pnode_group_uuid": GROUP_UUID, "snodes": [],
      "snodes_group_names": [], "snodes_group_uuids": [],
      "os": "dummy", "os_instance": {}, "os_actual": {},
      "network_port": None, "hypervisor": "fake",
      "hv_instance": {}, "hv_actual": {},
      "be_instance": {}, "be_actual": be_actual,
      "disk_template": "plain", "nics": [],
      "disks": [
        {"iv_name": "disk/0", "dev_type": "lvm", "size": 2560, "mode": "ro",
         "logical_id": ["xenvg", "def.disk0"], "physical_id": None,
         "pstatus": None, "sstatus": None, "children": []},
        {"iv_name": "disk/1", "dev_type": "file", "size": 4,
         "mode": "rw", "logical_id": ["loop", "/srv/inst2/disk1"],
         "physical_id": None, "pstatus": None, "sstatus": None,
         "children": []}],
      },
    }


def test_info_matches_golden_file(master, capsys, utc):
  master.results["OP_INSTANCE_QUERY_DATA"] = _InfoResult()
  assert _Run(["info", "inst2", "inst1"]) == constants.EXIT_SUCCESS
  out = capsys.readouterr().out
  # the job log comes first, then the instances in the requested order
  (log, info) = out.split("\n", 1)
  assert log.endswith(" job 1 ran")
  assert info == _Golden("gnt-instance-info.txt")
  assert _Op(master.jobs[0]) == {"OP_ID": "OP_INSTANCE_QUERY_DATA",
                                 "instances": ["inst2", "inst1"],
                                 "static": False, "use_locking": True}


def test_info_static_all_and_roman(master, capsys, utc):
  master.results["OP_INSTANCE_QUERY_DATA"] = _InfoResult()
  assert _Run(["show", "-s", "--all", "--roman"]) == constants.EXIT_SUCCESS
  out = capsys.readouterr().out
  assert out.index("Instance name: inst1") < out.index("Instance name: inst2")
  assert "Serial number: VII\n" in out
  # beyond 3999 there are no roman numerals: the number stays
  assert "  Allocated network port: 5901\n" in out
  assert "nodeB:        node2.example.com, minor=I\n" in out
  assert "port:         11000\n" in out
  assert "(CXLVII:0)" in out and "(CXLVII:I)" in out
  assert _Op(master.jobs[0]) == {"OP_ID": "OP_INSTANCE_QUERY_DATA",
                                 "instances": [], "static": True,
                                 "use_locking": False}


def test_info_needs_names_or_all(master, capsys):
  assert _Run(["info"]) == constants.EXIT_FAILURE
  assert "Please pass in --all" in capsys.readouterr().err
  assert _Run(["info", "--all", "inst1"]) == constants.EXIT_FAILURE
  assert "Cannot use --all" in capsys.readouterr().err
  assert master.jobs == []


def test_info_vnc_console_text():
  info = copy.deepcopy(_InfoResult()["inst1.example.com"])
  info["hv_actual"]["vnc_bind_address"] = "192.0.2.1"
  assert "    - console connection: vnc to 192.0.2.1:5901 (node %s)"\
    " (display 1)" % MASTER in gnt_instance.FormatInstanceInfo(info)
  info["hv_actual"]["vnc_bind_address"] = "/var/run/vnc.sock"
  assert "    - console connection: vnc to %s:/var/run/vnc.sock" % MASTER \
    in gnt_instance.FormatInstanceInfo(info)


# --- console -----------------------------------------------------------------

def _Console(**kwargs):
  data = {"instance": "inst1.example.com", "kind": constants.CONS_SSH,
          "host": MASTER, "user": "root",
          "command": ["socat", "STDIO,raw", "UNIX-CONNECT:/run/inst1.serial"]}
  data.update(kwargs)
  return data


def test_console_show_cmd_over_ssh(master, capsys, monkeypatch):
  master.console["inst1.example.com"] = _Console()
  monkeypatch.setattr(gnt_instance, "_IsLocalNode", lambda node: False)
  assert _Run(["console", "--show-cmd", "inst1"]) == 0
  argv = shlex.split(capsys.readouterr().out)
  assert argv[0] == "ssh"
  assert "-oHostKeyAlias=cluster.example.com" in argv
  assert "-oStrictHostKeyChecking=yes" in argv
  assert argv[-5:-1] == ["-t", "-l", "root", MASTER]
  assert shlex.split(argv[-1]) == ["socat", "STDIO,raw",
                                   "UNIX-CONNECT:/run/inst1.serial"]


def test_console_show_cmd_local(master, capsys, monkeypatch):
  master.console["inst1.example.com"] = _Console()
  monkeypatch.setattr(gnt_instance, "_IsLocalNode", lambda node: True)
  assert _Run(["console", "--show-cmd", "inst1"]) == 0
  assert shlex.split(capsys.readouterr().out) == \
    ["socat", "STDIO,raw", "UNIX-CONNECT:/run/inst1.serial"]


def test_console_runs_the_command_with_exec():
  ran = []
  gnt_instance.DoConsole(_Console(command="echo hi"), False, "c",
                         _exec_fn=lambda prog, argv: ran.append(argv),
                         _local_fn=lambda node: True)
  assert ran == [["/bin/sh", "-c", "echo hi"]]


def test_console_exec_failure_is_an_exec_error():
  def _Fail(prog, argv):
    raise FileNotFoundError(2, "No such file", prog)
  with pytest.raises(errors.OpExecError, match="cannot run nosuchprog"):
    gnt_instance.DoConsole(_Console(command=["nosuchprog"]), False, "c",
                           _exec_fn=_Fail, _local_fn=lambda node: True)


def test_console_vnc_spice_and_message(master, capsys):
  master.console["inst1.example.com"] = _Console(
    kind=constants.CONS_VNC, host="node1.example.com", port=5901, display=1)
  _Run(["console", "inst1"])
  assert capsys.readouterr().out == (
    "Instance inst1.example.com has VNC listening on node1.example.com:5901"
    " (display 1), URL <vnc://node1.example.com:5901/>\n")
  master.console["inst1.example.com"] = _Console(
    kind=constants.CONS_SPICE, host="192.0.2.1", port=6000)
  _Run(["console", "inst1"])
  assert capsys.readouterr().out == \
    "Instance inst1.example.com has SPICE listening on 192.0.2.1:6000\n"
  master.console["inst1.example.com"] = _Console(
    kind=constants.CONS_MESSAGE, message="Console not available")
  _Run(["console", "inst1"])
  assert capsys.readouterr().out == "Console not available\n"


def test_console_of_stopped_instance(master, capsys):
  assert _Main(["console", "inst2"]) == constants.EXIT_FAILURE
  assert capsys.readouterr().err == (
    "Failure: command execution error:\n"
    "Instance inst2.example.com is not running, can't get console\n")
  assert master.jobs == []


# --- the confirmation helper (lib/cli.py) ------------------------------------

def test_confirm_operation_offers_the_list_above_twenty(monkeypatch):
  names = ["inst%d" % idx for idx in range(21)]
  asked = []

  def _Answer(text, choices=None):
    asked.append((text, [entry[0] for entry in choices]))
    return "v" if len(asked) == 1 else True
  monkeypatch.setattr(cli, "AskUser", _Answer)
  assert cli.ConfirmOperation(names, "instances", "startup",
                              extra="Careful.\n") is True
  assert asked[0] == ("The startup will operate on 21 instances.\n"
                      "Careful.\nDo you want to continue?", ["y", "v", "n"])
  assert asked[1][1] == ["y", "n"]
  assert asked[1][0].endswith("Affected instances:\n" +
                              "\n".join("  %s" % name for name in names))


def test_confirm_operation_without_terminal_says_no(monkeypatch, tmp_path):
  # the real AskUser: no terminal means the default answer, "no"
  monkeypatch.setattr(cli_output, "_TTY_PATH", str(tmp_path / "no-tty"))
  assert cli.ConfirmOperation(["a", "b"], "instances", "shutdown") is False
  names = ["i%d" % idx for idx in range(30)]
  assert cli.ConfirmOperation(names, "instances", "shutdown") is False
