"""Tests of ganeti.client.gnt_node: option parsing and opcode building.

The commands run against a real virtual cluster in
test/integration/test_node_add.py; here the parsing, the opcodes built
from it and the SSH setup script (run by a real shell) are checked.
"""

import os
import subprocess

import pytest

from ganeti import cli
from ganeti import errors
from ganeti import opcodes
from ganeti.client import gnt_node


def _Parse(argv):
  (func, options, args) = cli.ParseArgs("gnt-node", ["gnt-node"] + argv,
                                        gnt_node.commands,
                                        aliases=gnt_node.aliases)
  return (func, options, args)


def test_only_complete_commands_are_registered():
  assert sorted(gnt_node.commands) == [
    "add", "add-tags", "info", "list", "list-fields", "list-storage",
    "list-tags", "modify", "modify-storage", "physical-volumes",
    "powercycle", "remove", "remove-tags", "repair-storage", "volumes"]
  assert gnt_node.aliases == {"show": "info"}


def test_add_options_build_the_opcode():
  (func, opts, args) = _Parse(["add", "-s", "192.0.2.5", "-g", "rack1",
                               "--master-capable", "no", "--vm-capable",
                               "yes", "--node-parameters", "spindle_count=2",
                               "--hypervisor-state", "fake:mem_total=1024",
                               "--disk-state", "lvm/xenvg:disk_total=100",
                               "node5"])
  assert func is gnt_node.AddNode
  op = gnt_node._BuildAddOp(opts, args)  # pylint: disable=W0212
  assert isinstance(op, opcodes.OpNodeAdd)
  assert (op.node_name, op.secondary_ip, op.group, op.readd) == \
    ("node5", "192.0.2.5", "rack1", False)
  assert (op.master_capable, op.vm_capable) == (False, True)
  assert op.ndparams == {"spindle_count": "2"}
  assert op.hv_state == {"fake": {"mem_total": "1024"}}
  assert op.disk_state == {"lvm": {"xenvg": {"disk_total": "100"}}}
  # the client-only options stay out of the opcode
  assert (opts.ssh_key_check, opts.force_join, opts.node_setup) == \
    (True, False, True)


def test_add_defaults_leave_capabilities_to_the_master():
  (_, opts, args) = _Parse(["add", "--readd", "--no-ssh-key-check",
                            "--force-join", "--no-node-setup", "node5"])
  op = gnt_node._BuildAddOp(opts, args)  # pylint: disable=W0212
  assert op.readd
  assert (op.master_capable, op.vm_capable, op.group, op.ndparams,
          op.hv_state, op.disk_state) == (None, None, None, None, None, None)
  assert (opts.ssh_key_check, opts.force_join, opts.node_setup) == \
    (False, True, False)


def test_disk_state_needs_a_storage_type_and_name():
  with pytest.raises(errors.OpPrereqError, match="<storage type>/<name>"):
    gnt_node._ParseDiskState([("xenvg", {})])  # pylint: disable=W0212


def test_bad_boolean_is_refused():
  with pytest.raises(errors.ParameterError, match="maybe"):
    _Parse(["add", "--vm-capable", "maybe", "node5"])


def test_remove_builds_its_opcode():
  (func, opts, args) = _Parse(["remove", "--dry-run", "--priority", "high",
                               "node5"])
  assert func is gnt_node.RemoveNode
  assert opts.dry_run and opts.priority == "high"
  assert args == ["node5"]


def _RunSetupScript(tmp_path, force_join, records, existing_cert=False):
  """Run the SSH setup script with a local shell, as sshd would."""
  env = dict(os.environ, HOME=str(tmp_path))
  script = gnt_node._SshSetupScript(force_join)  # pylint: disable=W0212
  cert = gnt_node.pathutils.NODED_CERT_FILE
  if existing_cert:
    script = script.replace(cert, str(tmp_path / "server.pem"))
    (tmp_path / "server.pem").write_text("x")
  else:
    script = script.replace(cert, str(tmp_path / "no-such-cert"))
  data = b"".join(b"%s %o %d\n%s" % (path.encode(), mode, len(body), body)
                  for (path, mode, body) in records)
  return subprocess.run(["sh", "-c", script], input=data, env=env,
                        capture_output=True, timeout=30)


def test_ssh_setup_script_writes_the_records(tmp_path):
  target = tmp_path / "key"
  other = tmp_path / "key.pub"
  result = _RunSetupScript(tmp_path, False,
                           [(str(target), 0o600, b"secret\nkey\n"),
                            (str(other), 0o644, b"public")])
  assert result.returncode == 0, result.stderr
  assert target.read_bytes() == b"secret\nkey\n"
  assert other.read_bytes() == b"public"
  assert (os.stat(target).st_mode & 0o777,
          os.stat(other).st_mode & 0o777) == (0o600, 0o644)


def test_ssh_setup_script_refuses_a_node_of_another_cluster(tmp_path):
  target = tmp_path / "key"
  result = _RunSetupScript(tmp_path, False, [(str(target), 0o600, b"k")],
                           existing_cert=True)
  assert result.returncode == 1
  assert b"use --force-join to join anyway" in result.stderr
  assert not target.exists()
  result = _RunSetupScript(tmp_path, True, [(str(target), 0o600, b"k")],
                           existing_cert=True)
  assert result.returncode == 0, result.stderr
  assert target.read_bytes() == b"k"
