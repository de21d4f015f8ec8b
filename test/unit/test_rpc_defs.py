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
  "bridges_exist": (rpc_defs.SINGLE, ["bridges_list"]),
  # block devices
  "blockdev_create": (rpc_defs.SINGLE, ["bdev", "size", "owner", "on_primary",
                                        "info", "excl_stor"]),
  "blockdev_wipe": (rpc_defs.SINGLE, ["bdev", "offset", "size"]),
  "blockdev_remove": (rpc_defs.SINGLE, ["bdev"]),
  "blockdev_rename": (rpc_defs.SINGLE, ["devlist"]),
  "blockdev_assemble": (rpc_defs.SINGLE, ["disk", "owner", "on_primary",
                                          "idx"]),
  "blockdev_shutdown": (rpc_defs.SINGLE, ["disk"]),
  "blockdev_find": (rpc_defs.SINGLE, ["disk"]),
  "blockdev_getmirrorstatus": (rpc_defs.SINGLE, ["disks"]),
  "blockdev_getsize": (rpc_defs.SINGLE, ["disks"]),
  "blockdev_grow": (rpc_defs.SINGLE, ["disk", "amount", "dryrun",
                                      "backingstore"]),
  "blockdev_close": (rpc_defs.SINGLE, ["instance_name", "disks"]),
  "file_storage_dir_create": (rpc_defs.SINGLE, ["file_storage_dir"]),
  "file_storage_dir_remove": (rpc_defs.SINGLE, ["file_storage_dir"]),
  "file_storage_dir_rename": (rpc_defs.SINGLE, ["old_file_storage_dir",
                                                "new_file_storage_dir"]),
  "drbd_disconnect_net": (rpc_defs.MULTI, ["nodes_ip", "disks"]),
  "drbd_attach_net": (rpc_defs.MULTI, ["nodes_ip", "disks", "instance_name",
                                       "multimaster"]),
  "drbd_wait_sync": (rpc_defs.MULTI, ["nodes_ip", "disks"]),
  # instances
  "instance_info": (rpc_defs.SINGLE, ["instance_name", "hname"]),
  "instance_list": (rpc_defs.MULTI, ["hypervisor_list"]),
  "all_instances_info": (rpc_defs.MULTI, ["hypervisor_list"]),
  "instance_start": (rpc_defs.SINGLE, ["instance", "startup_paused"]),
  "instance_shutdown": (rpc_defs.SINGLE, ["instance", "timeout"]),
  "instance_reboot": (rpc_defs.SINGLE, ["instance", "reboot_type",
                                        "shutdown_timeout"]),
  "instance_os_add": (rpc_defs.SINGLE, ["instance", "reinstall", "debug"]),
  "instance_run_rename": (rpc_defs.SINGLE, ["instance", "old_name",
                                            "debug"]),
  "instance_balloon_memory": (rpc_defs.SINGLE, ["instance", "memory"]),
  "instance_migratable": (rpc_defs.SINGLE, ["instance"]),
  "migration_info": (rpc_defs.SINGLE, ["instance"]),
  "accept_instance": (rpc_defs.SINGLE, ["instance", "info", "target"]),
  "instance_finalize_migration_dst": (rpc_defs.SINGLE, ["instance", "info",
                                                        "success"]),
  "instance_migrate": (rpc_defs.SINGLE, ["instance", "target", "live"]),
  "instance_finalize_migration_src": (rpc_defs.SINGLE, ["instance",
                                                        "success", "live"]),
  "instance_get_migration_status": (rpc_defs.SINGLE, ["instance"]),
  "hypervisor_validate_params": (rpc_defs.MULTI, ["hvname", "hvfull"]),
  # OS definitions
  "os_validate": (rpc_defs.MULTI, ["required", "name", "checks", "params"]),
  "os_get": (rpc_defs.SINGLE, ["name"]),
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


def test_instance_and_disk_objects_travel_as_dicts():
  enc = dict((c.name, [a.encoding for a in c.args])
             for c in rpc_defs.CALLS.values())
  for name in ("instance_start", "instance_shutdown", "instance_reboot",
               "instance_os_add", "instance_run_rename",
               "instance_balloon_memory", "instance_migratable",
               "migration_info", "accept_instance",
               "instance_finalize_migration_dst", "instance_migrate",
               "instance_finalize_migration_src",
               "instance_get_migration_status"):
    assert enc[name][0] == rpc_defs.ED_OBJECT_DICT, name
    assert set(enc[name][1:]) <= set([None]), name
  for name in ("blockdev_create", "blockdev_wipe", "blockdev_remove",
               "blockdev_assemble", "blockdev_shutdown", "blockdev_find",
               "blockdev_grow"):
    assert enc[name][0] == rpc_defs.ED_OBJECT_DICT, name
  for name in ("blockdev_getmirrorstatus", "blockdev_getsize"):
    assert enc[name] == [rpc_defs.ED_OBJECT_DICT_LIST], name
  assert enc["blockdev_close"] == [None, rpc_defs.ED_OBJECT_DICT_LIST]
  for name in ("drbd_disconnect_net", "drbd_attach_net", "drbd_wait_sync"):
    assert enc[name][:2] == [None, rpc_defs.ED_OBJECT_DICT_LIST], name
  assert enc["blockdev_rename"] == [rpc_defs.ED_BLOCKDEV_RENAME]
  assert enc["instance_info"] == [None, None]


def test_instance_call_timeouts():
  calls = rpc_defs.CALLS
  assert calls["instance_os_add"].GetTimeout([None] * 3) == \
    constants.RPC_TMO_1DAY
  assert calls["instance_list"].GetTimeout([None]) == \
    constants.RPC_TMO_URGENT
  assert calls["instance_migrate"].GetTimeout([None] * 3) == \
    constants.RPC_TMO_SLOW
  assert calls["drbd_wait_sync"].GetTimeout([None] * 2) == \
    constants.RPC_TMO_SLOW
  # a shutdown may take its own timeout, then the forced stop
  shutdown = calls["instance_shutdown"]
  assert shutdown.GetTimeout([None, 300]) == 300 + rpc_defs.SHUTDOWN_MARGIN
  assert shutdown.GetTimeout([None, None]) == \
    constants.DEFAULT_SHUTDOWN_TIMEOUT + rpc_defs.SHUTDOWN_MARGIN
  assert calls["instance_reboot"].GetTimeout([None, "hard", 60]) == \
    60 + rpc_defs.SHUTDOWN_MARGIN


def test_wipe_timeout_grows_with_the_range():
  wipe = rpc_defs.CALLS["blockdev_wipe"]
  assert wipe.GetTimeout([None, 0, 1024]) == constants.RPC_TMO_SLOW
  big = 10 * 1024 * 1024
  assert wipe.GetTimeout([None, 0, big]) == big // rpc_defs.WIPE_MIN_SPEED
  assert wipe.GetTimeout([None, 0, "junk"]) == constants.RPC_TMO_SLOW
