"""daemon-util and the backend's master daemon calls with the real masterd.

Uses the ``virtual_node`` fixture of this directory's conftest (a one-node
virtual cluster with config.data and ssconf, no daemon running).
"""

import os
import subprocess
import sys

from ganeti import backend
from ganeti import constants
from ganeti import pathutils
from ganeti import utils


_REPO = os.path.dirname(os.path.dirname(os.path.dirname(
  os.path.abspath(__file__))))
DAEMON_UTIL = os.path.join(_REPO, "daemons", "daemon-util")


def _DaemonUtil(node, *args):
  return subprocess.run([sys.executable, DAEMON_UTIL] + list(args),
                        env=node.env, capture_output=True, text=True,
                        timeout=120)


def _MasterdPid():
  return utils.ReadLockedPidFile(pathutils.GetPidFilename(constants.MASTERD))


def _NodedPid():
  return utils.ReadLockedPidFile(pathutils.GetPidFilename(constants.NODED))


def test_start_check_stop_real_masterd(virtual_node):
  try:
    result = _DaemonUtil(virtual_node, "start", constants.MASTERD)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _DaemonUtil(virtual_node, "check",
                       constants.MASTERD).returncode == 0
    pid = _MasterdPid()
    assert pid
    client = virtual_node.Client()
    try:
      assert client.QueryConfigValues(["master_node"]) == [virtual_node.node]
    finally:
      client.Close()
    result = _DaemonUtil(virtual_node, "stop", constants.MASTERD)
    assert result.returncode == 0, result.stderr
    assert _MasterdPid() is None
    assert _DaemonUtil(virtual_node, "check",
                       constants.MASTERD).returncode == 1
  finally:
    _DaemonUtil(virtual_node, "stop-all")


def test_start_all_on_the_master_node(virtual_node):
  try:
    # the node daemon needs the cluster certificate, as after init
    utils.GenerateSelfSignedSslCert(pathutils.NODED_CERT_FILE)
    result = _DaemonUtil(virtual_node, "start-all")
    assert result.returncode == 0, result.stdout + result.stderr
    assert _MasterdPid()
    assert _NodedPid()
    result = _DaemonUtil(virtual_node, "stop-all")
    assert result.returncode == 0, result.stderr
    assert _MasterdPid() is None
    assert _NodedPid() is None
  finally:
    _DaemonUtil(virtual_node, "stop-all")


def test_backend_master_daemon_calls(virtual_node):
  try:
    # voting: a one-node cluster accepts at once (masterd has no
    # --no-voting yet, see the report)
    backend.StartMasterDaemons(False)
    assert _MasterdPid()
    backend.StopMasterDaemons()
    assert _MasterdPid() is None
  finally:
    _DaemonUtil(virtual_node, "stop-all")
