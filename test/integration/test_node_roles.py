"""Integration tests of gnt-node modify and the storage commands.

Roles: a 4-node virtual cluster (candidate pool size 3) with real
daemons; ``gnt-node modify`` demotes and promotes candidates, refuses
impossible role combinations, and the node daemons act on it (a demoted
node drops config.data).  Storage: a real LVM volume group on a loop
device built inside the test (sparse file in a temporary directory,
``losetup``, ``pvcreate``, ``vgcreate`` with a unique name); the virtual
nodes share this machine's LVM, so it is queried through node1.  The
volume group, physical volume and loop device are always removed.
"""

import os
import random
import subprocess
import tempfile

import pytest


def _Ok(cluster, argv):
  return cluster.Run(cluster.master, argv, check=True)


def _Fails(cluster, argv, message):
  result = cluster.Run(cluster.master, argv)
  assert result.returncode != 0, result.stdout
  assert message in result.stderr, result.stderr
  return result


def _Candidates(cluster, node=None):
  """The candidates in the ssconf of node (default: the master)."""
  path = os.path.join(cluster.Path(node or cluster.master, "DATA_DIR"),
                      "ssconf_master_candidates")
  with open(path) as fd:
    return sorted(fd.read().split())


def _RoleFlags(cluster, node):
  """(master_candidate, drained, offline, master_capable) from the config."""
  out = cluster.Run(cluster.master,
                    ["python3", "-c",
                     "from ganeti import config;"
                     "n = config.ConfigWriter().GetNodeInfo(%r);"
                     "print(n.master_candidate, n.drained, n.offline,"
                     " n.master_capable)" % node], check=True)
  return tuple(value == "True" for value in out.stdout.split())


def test_node_roles_on_a_four_node_cluster(virtual_cluster):
  cluster = virtual_cluster(4, init_options=("--candidate-pool-size", "3"))
  master = cluster.nodes[0]
  assert cluster.master == master
  candidates = _Candidates(cluster)
  assert len(candidates) == 3 and master in candidates
  (victim, other) = [n for n in candidates if n != master]
  (spare, ) = [n for n in cluster.nodes if n not in candidates]

  # the pool would shrink: refused without --auto-promote
  _Fails(cluster, ["gnt-node", "modify", "-C", "no", victim],
         "Not enough master candidates, please pass auto promote option")
  result = _Ok(cluster, ["gnt-node", "modify", "-C", "no", "--auto-promote",
                         victim])
  assert "Modified node %s" % victim in result.stdout
  assert " - master_candidate -> False" in result.stdout
  assert _Candidates(cluster) == sorted([master, other, spare])
  # the demoted node dropped the candidates' copy of the configuration
  cluster.WaitFor(lambda: not os.path.exists(
    cluster.Path(victim, "CLUSTER_CONF_FILE")), what="config.data removal")

  # exclusive roles, and the master's role is not for modify
  _Fails(cluster, ["gnt-node", "modify", "-D", "yes", "-O", "yes", victim],
         "Can't set the node into more than one state at the same time")
  _Fails(cluster, ["gnt-node", "modify", "-O", "yes", master],
         "The master role can be changed only via master failover")
  _Fails(cluster, ["gnt-node", "modify", victim],
         "Please give at least one of the parameters.")

  # drained, then offline: one role replaces the other
  result = _Ok(cluster, ["gnt-node", "modify", "-D", "yes", victim])
  assert " - drained -> True" in result.stdout
  result = _Ok(cluster, ["gnt-node", "modify", "-O", "yes", victim])
  assert " - drained -> False" in result.stdout
  assert " - offline -> True" in result.stdout
  assert _RoleFlags(cluster, victim)[:3] == (False, False, True)

  # while the node is offline the pool changes (nobody left to promote)
  _Ok(cluster, ["gnt-node", "modify", "-C", "no", "--auto-promote", other])
  assert _Candidates(cluster) == sorted([master, spare])

  # back online it joins the pool with room and gets the files it missed
  result = _Ok(cluster, ["gnt-node", "modify", "-O", "no", victim])
  assert " - master_candidate -> True" in result.stdout
  assert " - offline -> False" in result.stdout
  assert _RoleFlags(cluster, victim)[:3] == (True, False, False)
  assert _Candidates(cluster, victim) == sorted([master, spare, victim])
  assert os.path.exists(cluster.Path(victim, "CLUSTER_CONF_FILE"))

  # master_capable=no demotes a candidate; another one takes its place
  result = _Ok(cluster, ["gnt-node", "modify", "--master-capable", "no",
                         "--auto-promote", spare])
  assert " - master_capable -> False" in result.stdout
  assert " - master_candidate -> False" in result.stdout
  assert _RoleFlags(cluster, spare) == (False, False, False, False)
  assert _Candidates(cluster) == sorted([master, other, victim])
  _Fails(cluster, ["gnt-node", "modify", "-C", "yes", spare],
         "is not master capable")

  # powercycle: the master needs force, and virtual nodes refuse
  _Fails(cluster, ["gnt-node", "powercycle", "--yes", master],
         "The node is the master and the force parameter was not set")
  _Fails(cluster, ["gnt-node", "powercycle", "--yes", spare],
         "part of a virtual cluster")


def _Cmd(argv):
  result = subprocess.run(argv, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
  if result.returncode != 0:
    raise AssertionError("'%s' failed (%s): %s%s; LVM on loop devices is"
                         " required for this test" %
                         (" ".join(argv), result.returncode, result.stdout,
                          result.stderr))
  return result.stdout


@pytest.fixture
def loop_vg():
  """(volume group name, physical volume) on a fresh loop device."""
  tmpdir = tempfile.mkdtemp(prefix="gnt-r2-lvm")
  image = os.path.join(tmpdir, "pv.img")
  with open(image, "wb") as fd:
    fd.truncate(64 * 1024 * 1024)
  vg_name = "gntr2vg%06d" % random.randint(0, 999999)
  device = None
  pv_done = vg_done = False
  try:
    device = _Cmd(["losetup", "--find", "--show", image]).strip()
    _Cmd(["pvcreate", "-qq", device])
    pv_done = True
    _Cmd(["vgcreate", "-qq", vg_name, device])
    vg_done = True
    yield (vg_name, device)
  finally:
    if vg_done:
      subprocess.run(["vgremove", "-f", vg_name], capture_output=True)
    if pv_done:
      subprocess.run(["pvremove", "-ff", "-y", device], capture_output=True)
    if device:
      subprocess.run(["losetup", "-d", device], capture_output=True)
    os.unlink(image)
    os.rmdir(tmpdir)


def _Rows(output, key, column=2):
  return [line.split("|") for line in output.splitlines()
          if line.split("|")[column] == key]


def test_storage_units_on_a_loop_device_volume_group(virtual_cluster,
                                                     loop_vg):
  (vg_name, device) = loop_vg
  cluster = virtual_cluster(2)
  node = cluster.nodes[0]
  table = ["--no-headers", "--separator", "|", "--units", "m"]

  out = _Ok(cluster, ["gnt-node", "list-storage", "-t", "lvm-vg"] + table +
            [node]).stdout
  (row, ) = _Rows(out, vg_name)
  assert row[:3] == [node, "lvm-vg", vg_name]
  (size, used, free) = [int(value) for value in row[3:6]]
  assert 50 <= size <= 64 and used == 0 and free == size and row[6] == "Y"

  out = _Ok(cluster, ["gnt-node", "physical-volumes"] + table +
            [node]).stdout
  (row, ) = _Rows(out, device)
  assert row[1] == "lvm-pv" and row[6] == "Y"

  # headers and default columns
  out = _Ok(cluster, ["gnt-node", "list-storage", node]).stdout
  assert out.splitlines()[0].split() == ["Node", "Type", "Name", "Size",
                                         "Used", "Free", "Allocatable"]

  _Ok(cluster, ["gnt-node", "modify-storage", "--allocatable", "no", node,
                "lvm-pv", device])
  out = _Ok(cluster, ["gnt-node", "list-storage", "-t", "lvm-pv", "-o",
                      "name,allocatable"] + table + [node]).stdout
  assert [device, "N"] in [line.split("|") for line in out.splitlines()]
  attr = _Cmd(["pvs", "--noheadings", "-o", "pv_attr", device]).strip()
  assert attr.startswith("u")
  _Ok(cluster, ["gnt-node", "modify-storage", "--allocatable", "yes", node,
                "lvm-pv", device])
  attr = _Cmd(["pvs", "--noheadings", "-o", "pv_attr", device]).strip()
  assert attr.startswith("a")

  result = cluster.Run(node, ["gnt-node", "modify-storage", node, "lvm-pv",
                              device])
  assert result.returncode == 0
  assert "No changes to perform, exiting." in result.stderr
  _Fails(cluster, ["gnt-node", "modify-storage", "--allocatable", "no",
                   node, "lvm-vg", vg_name],
         "Storage units of type 'lvm-vg' can not be modified")

  _Ok(cluster, ["gnt-node", "repair-storage", node, "lvm-vg", vg_name])
  _Fails(cluster, ["gnt-node", "repair-storage", node, "lvm-vg",
                   "gntr2missing"], "Failed to repair storage unit")

  # no logical volume can be activated here; the listing still works
  out = _Ok(cluster, ["gnt-node", "volumes", node]).stdout
  assert out.splitlines()[0].split() == ["Node", "PhysDev", "VG", "Name",
                                         "Size", "Instance"]
  assert vg_name not in out
