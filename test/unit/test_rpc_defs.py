"""Tests for ganeti.rpc_defs: the call records."""

import pytest

from ganeti import backend
from ganeti import constants
from ganeti import errors
from ganeti import rpc_defs


CONTRACT_CALLS = {
  "version": (rpc_defs.MULTI, []),
  "node_info": (rpc_defs.MULTI, ["vg_names", "hv_names"]),
  "node_verify": (rpc_defs.MULTI, ["checkdict", "cluster_name"]),
  "upload_file": (rpc_defs.MULTI, ["file_name"]),
  "write_ssconf_files": (rpc_defs.MULTI, ["values"]),
  "jobqueue_update": (rpc_defs.MULTI, ["file_name", "content"]),
  "jobqueue_rename": (rpc_defs.MULTI, ["rename"]),
  "jobqueue_purge": (rpc_defs.SINGLE, []),
  "hooks_runner": (rpc_defs.MULTI, ["hpath", "phase", "env"]),
  "node_start_master_daemons": (rpc_defs.SINGLE, ["no_voting"]),
  "node_stop_master": (rpc_defs.SINGLE, []),
  "node_activate_master_ip": (rpc_defs.SINGLE, ["master_params",
                                                "use_external_mip_script"]),
  "node_deactivate_master_ip": (rpc_defs.SINGLE,
                                ["master_params",
                                 "use_external_mip_script"]),
  "node_leave_cluster": (rpc_defs.SINGLE, ["modify_ssh_setup"]),
  "master_info": (rpc_defs.MULTI, []),
  "node_tcp_ping": (rpc_defs.SINGLE, ["source", "target", "port", "timeout",
                                      "live_port_needed"]),
  "node_has_ip_address": (rpc_defs.SINGLE, ["address"]),
  "node_powercycle": (rpc_defs.SINGLE, ["hypervisor"]),
  "os_diagnose": (rpc_defs.MULTI, []),
  "export_list": (rpc_defs.MULTI, []),
  "test_delay": (rpc_defs.MULTI, ["duration"]),
  "node_demote_from_mc": (rpc_defs.SINGLE, []),
  "etc_hosts_modify": (rpc_defs.SINGLE, ["mode", "name", "ip"]),
  "vg_list": (rpc_defs.MULTI, []),
  "lv_list": (rpc_defs.MULTI, ["vg_name"]),
  "storage_list": (rpc_defs.MULTI, ["su_name", "su_args", "name", "fields"]),
  "storage_modify": (rpc_defs.SINGLE, ["su_name", "su_args", "name",
                                       "changes"]),
  "storage_execute": (rpc_defs.SINGLE, ["su_name", "su_args", "name", "op"]),
  "node_volumes": (rpc_defs.MULTI, []),
  }


def test_every_contract_call_is_defined_with_its_kind_and_arguments():
  assert set(rpc_defs.CALLS) == set(CONTRACT_CALLS)
  for (name, (kind, args)) in CONTRACT_CALLS.items():
    cdef = rpc_defs.GetCall(name)
    assert cdef.kind == kind, name
    assert [a.name for a in cdef.args] == args, name


@pytest.mark.parametrize("name", sorted(rpc_defs.CALLS))
def test_record_is_complete(name):
  cdef = rpc_defs.CALLS[name]
  assert cdef.description and all(a.description for a in cdef.args)
  assert callable(getattr(backend, cdef.backend_fn))
  timeout = cdef.GetTimeout([1] * len(cdef.args))
  assert isinstance(timeout, int) and timeout > 0


def test_file_contents_travel_encoded():
  enc = dict((c.name, [a.encoding for a in c.args])
             for c in rpc_defs.CALLS.values())
  assert enc["upload_file"] == [rpc_defs.ED_FILE_DETAILS]
  assert enc["jobqueue_update"] == [rpc_defs.ED_VIRT_PATH,
                                    rpc_defs.ED_COMPRESS]
  assert enc["jobqueue_rename"] == [rpc_defs.ED_VIRT_PATH_PAIRS]
  assert enc["node_activate_master_ip"][0] == rpc_defs.ED_OBJECT_DICT
  assert rpc_defs.SPREAD_ENCODINGS == frozenset([rpc_defs.ED_FILE_DETAILS])


def test_timeout_classes():
  assert rpc_defs.CALLS["version"].GetTimeout([]) == constants.RPC_TMO_URGENT
  assert rpc_defs.CALLS["hooks_runner"].GetTimeout([None] * 3) == \
    constants.HOOKS_RPC_TIMEOUT
  delay = rpc_defs.CALLS["test_delay"]
  assert delay.GetTimeout([100]) == 100 + rpc_defs.TEST_DELAY_MARGIN
  assert delay.GetTimeout(["junk"]) == rpc_defs.TEST_DELAY_MARGIN


def test_postprocessors():
  hooks = rpc_defs.CALLS["hooks_runner"].postproc
  assert hooks([["d/s", 2, "out"]]) == [("d/s", 2, "out")]
  assert rpc_defs.CALLS["master_info"].postproc([1, 2, 3, 4, 5]) == \
    (1, 2, 3, 4, 5)


@pytest.mark.parametrize("kwargs,what", [
  (dict(name="bad name"), "Invalid RPC call name"),
  (dict(kind="both"), "invalid kind"),
  (dict(timeout=0), "invalid timeout"),
  (dict(timeout=True), "invalid timeout"),
  (dict(args=[("x", None, "d")]), "is not an RpcArg"),
  (dict(args=[rpc_defs.RpcArg("x", "zip", "d")]), "unknown encoding"),
  (dict(args=[rpc_defs.RpcArg("x", None, "d")] * 2), "must be unique"),
  (dict(args=[rpc_defs.RpcArg("node", None, "d")]), "must be unique"),
  (dict(description=""), "needs a description"),
  ])
def test_invalid_records_are_refused(kwargs, what):
  params = dict(name="some_call", kind=rpc_defs.MULTI,
                timeout=constants.RPC_TMO_FAST, args=[],
                backend_fn="GetVersion", description="Does something")
  params.update(kwargs)
  with pytest.raises(errors.ProgrammerError, match=what):
    rpc_defs.RpcCall(**params)


def test_call_names_sorted():
  assert list(rpc_defs.CallNames()) == sorted(rpc_defs.CALLS)
  assert rpc_defs.GetCall("nope") is None
