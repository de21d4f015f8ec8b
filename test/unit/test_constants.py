"""Consistency tests for ganeti.constants.

The constants are a table that other modules trust blindly, so these tests
look for the mistakes such a table invites: a default without a type, a type
without a default, a set that forgot a member, two names sharing a value,
and values that drifted from the Ganeti 2.6 interface facts.
"""

import ast
import pathlib

import pytest
from hypothesis import given, strategies as st

from ganeti import constants as C


# --- helpers -----------------------------------------------------------------

def _Scalars(prefix, exclude=()):
  """Module-level str/int constants whose name starts with prefix."""
  result = {}
  for name in dir(C):
    if not name.startswith(prefix) or name in exclude:
      continue
    value = getattr(C, name)
    if isinstance(value, bool) or not isinstance(value, (str, int)):
      continue
    result[name] = value
  return result


def _ValueMatchesVtype(value, vtype):
  """Tell whether a default value has the shape its vtype promises."""
  if vtype == C.VTYPE_STRING:
    return isinstance(value, str)
  if vtype == C.VTYPE_MAYBE_STRING:
    return value is None or isinstance(value, str)
  if vtype == C.VTYPE_BOOL:
    return isinstance(value, bool)
  if vtype in (C.VTYPE_INT, C.VTYPE_SIZE):
    return isinstance(value, int) and not isinstance(value, bool)
  raise AssertionError("Unknown vtype %r" % vtype)


def _CheckTypedDefaults(defaults, types, where):
  for key, value in defaults.items():
    assert key in types, "%s: default %r has no type" % (where, key)
    assert _ValueMatchesVtype(value, types[key]), \
      "%s: default %r=%r does not match vtype %s" % (where, key, value,
                                                      types[key])


# --- version arithmetic ------------------------------------------------------

class TestVersions:
  def test_release_and_protocol_versions_match_2_6(self):
    assert C.RELEASE_VERSION == "2.6.2"
    assert C.DIR_VERSION == "2.6"
    assert C.CONFIG_VERSION == 2060000
    assert C.PROTOCOL_VERSION == C.CONFIG_VERSION
    assert C.LUXI_VERSION == C.CONFIG_VERSION
    assert C.SplitVersion(C.CONFIG_VERSION) == (C.CONFIG_MAJOR,
                                                C.CONFIG_MINOR,
                                                C.CONFIG_REVISION)
    assert C.CONFIG_REVISION == 0

  def test_build_version_examples(self):
    assert C.BuildVersion(2, 6, 0) == 2060000
    assert C.BuildVersion(2, 5, 3) == 2050003
    assert C.BuildVersion(0, 0, 0) == 0
    assert C.BuildVersion(1, 99, 9999) == 1999999

  def test_split_version_examples(self):
    assert C.SplitVersion(2060000) == (2, 6, 0)
    assert C.SplitVersion(2050003) == (2, 5, 3)
    assert C.SplitVersion(0) == (0, 0, 0)

  @pytest.mark.parametrize("args, pattern", [
    ((2, 100, 0), "minor"),
    ((2, -1, 0), "minor"),
    ((2, 6, 10000), "revision"),
    ((2, 6, -1), "revision"),
    ((-1, 6, 0), "major"),
    (("2", 6, 0), "major"),
    ((2, 6.0, 0), "minor"),
    ((2, 6, None), "revision"),
    ((True, 6, 0), "major"),
    ])
  def test_build_version_rejects_bad_components(self, args, pattern):
    with pytest.raises(ValueError, match=pattern):
      C.BuildVersion(*args)

  @pytest.mark.parametrize("value", ["2060000", 2060000.0, None, True, -1,
                                     [2, 6, 0]])
  def test_split_version_rejects_bad_input(self, value):
    with pytest.raises(ValueError, match="Version"):
      C.SplitVersion(value)

  @given(st.integers(0, 500), st.integers(0, 99), st.integers(0, 9999))
  def test_build_split_round_trip(self, major, minor, revision):
    version = C.BuildVersion(major, minor, revision)
    assert C.SplitVersion(version) == (major, minor, revision)
    assert C.BuildVersion(*C.SplitVersion(version)) == version

  @given(st.tuples(st.integers(0, 50), st.integers(0, 99),
                   st.integers(0, 9999)),
         st.tuples(st.integers(0, 50), st.integers(0, 99),
                   st.integers(0, 9999)))
  def test_build_version_preserves_ordering(self, a, b):
    assert (a < b) == (C.BuildVersion(*a) < C.BuildVersion(*b))

  def test_os_api_versions(self):
    assert C.OS_API_VERSIONS == frozenset([10, 15, 20])
    assert C.OS_API_V10 < C.OS_API_V15 < C.OS_API_V20


# --- enumerations ------------------------------------------------------------

# (prefix, names to leave out, the aggregate that must list exactly them)
_ENUM_GROUPS = [
  ("JOB_STATUS_", (), "JOB_STATUS_ALL"),
  ("OP_STATUS_", (), "OP_STATUS_ALL"),
  ("DT_", (), "DISK_TEMPLATES"),
  ("LD_", (), "LOGICAL_DISK_TYPES"),
  ("HV_", ("HV_MIGRATION_NO_STATUS", "HV_MIGRATION_ACTIVE",
           "HV_MIGRATION_COMPLETED", "HV_MIGRATION_FAILED",
           "HV_MIGRATION_CANCELLED"), "HVS_PARAMETERS"),
  ("BE_", ("BE_MEMORY", ), "BES_PARAMETERS"),
  ("ND_", (), "NDS_PARAMETERS"),
  ("NIC_MODE_", (), "NIC_VALID_MODES"),
  ("ISPEC_", (), "ISPECS_PARAMETERS"),
  ("HVST_", (), "HVSTS_PARAMETERS"),
  ("DS_DISK_", (), "DSS_PARAMETERS"),
  ("LDP_", (), "DISK_LD_PARAMETERS"),
  ("NR_", (), "NR_ALL"),
  ("ALLOC_POLICY_", (), "VALID_ALLOC_POLICIES"),
  ("ADMINST_", (), "ADMINST_ALL"),
  ("INSTST_", (), "INSTST_ALL"),
  ("EXPORT_MODE_", (), "EXPORT_MODES"),
  ("REPLACE_DISK_", (), "REPLACE_MODES"),
  ("NODE_EVAC_", (), "NODE_EVAC_MODES"),
  ("ST_", (), "VALID_STORAGE_TYPES"),
  ("SF_", (), "VALID_STORAGE_FIELDS"),
  ("TAG_", (), "VALID_TAG_TYPES"),
  ("IALLOCATOR_MODE_", (), "VALID_IALLOCATOR_MODES"),
  ("IALLOCATOR_DIR_", (), "VALID_IALLOCATOR_DIRECTIONS"),
  ("HKR_", (), "HKR_ALL"),
  ("HTYPE_", (), "HTYPES"),
  ("HOOKS_PHASE_", (), "HOOKS_PHASES"),
  ("QR_", (), "QR_VIA_LUXI"),
  ("QFT_", (), "QFT_ALL"),
  ("RS_", (), "RS_ALL"),
  ("CONFD_REQ_", (), "CONFD_REQS"),
  ("CONFD_REPL_STATUS_", (), "CONFD_REPL_STATUSES"),
  ("ELOG_", (), "ELOG_TYPES"),
  ("OS_SCRIPT_", (), "OS_SCRIPTS"),
  ("CONS_", (), "CONS_ALL"),
  ("VTYPE_", (), "ENFORCEABLE_TYPES"),
  ("LUXI_REQ_", (), "LUXI_REQ_ALL"),
  ("QLANG_OP_", (), "QLANG_ALL_OPS"),
  ("OOB_STATUS_", (), "OOB_STATUSES"),
  ("SYSLOG_", ("SYSLOG_USAGE", ), "SYSLOG_USAGE_VALUES"),
  ("HT_MIGRATION_", (), "HT_MIGRATION_MODES"),
  ("HT_CACHE_", (), "HT_VALID_CACHE_TYPES"),
  ("HT_SM_", (), "HT_KVM_VALID_SM_TYPES"),
  ("HT_BO_", (), "HT_KVM_VALID_BO_TYPES"),
  ("HT_MOUSE_", (), "HT_KVM_VALID_MOUSE_TYPES"),
  ("HT_NIC_", (), "HT_KVM_VALID_NIC_TYPES"),
  ("INSTANCE_REBOOT_", ("INSTANCE_REBOOT_ALLOWED", "INSTANCE_REBOOT_EXIT"),
   "REBOOT_TYPES"),
  ("RPC_ENCODING_", (), "RPC_ENCODINGS"),
  ("RAPI_ACCESS_", (), "RAPI_ACCESS_ALL"),
  ("RUNPARTS_", ("RUNPARTS_STATUS", ), "RUNPARTS_STATUS"),
  ]


@pytest.mark.parametrize("prefix, exclude, aggregate", _ENUM_GROUPS,
                         ids=[g[0] for g in _ENUM_GROUPS])
def test_enum_group_is_unique_and_complete(prefix, exclude, aggregate):
  members = _Scalars(prefix, exclude)
  assert members, "no constants found with prefix %s" % prefix
  values = list(members.values())
  assert len(set(values)) == len(values), \
    "duplicate values among %s*: %r" % (prefix, members)
  assert set(values) == set(getattr(C, aggregate)), \
    "%s does not list exactly the %s* values" % (aggregate, prefix)


@pytest.mark.parametrize("prefix", ["EXIT_", "CONFD_NODE_ROLE_",
                                    "CONFD_ERROR_", "OOB_POWER_",
                                    "CONFD_REQQ_", "CONFD_REQFIELD_",
                                    "LDS_", "NV_", "INISECT_", "IEC_",
                                    "DAEMONS_"])
def test_enum_values_are_unique(prefix):
  members = _Scalars(prefix)
  assert members
  values = list(members.values())
  assert len(set(values)) == len(values), members


class TestJobsAndOpcodes:
  def test_status_sets_partition_all_statuses(self):
    assert C.JOBS_PENDING.isdisjoint(C.JOBS_FINALIZED)
    assert C.JOB_STATUS_RUNNING not in C.JOBS_PENDING | C.JOBS_FINALIZED
    assert C.JOB_STATUS_ALL == (C.JOBS_PENDING | C.JOBS_FINALIZED |
                                frozenset([C.JOB_STATUS_RUNNING]))
    assert len(C.JOB_STATUS_ALL) == 7

  def test_opcode_statuses_share_the_job_wire_strings(self):
    assert C.OP_STATUS_ALL == C.JOB_STATUS_ALL
    assert C.OPS_FINALIZED == C.JOBS_FINALIZED
    assert C.JOBS_FINALIZED == frozenset(["canceled", "success", "error"])
    assert C.JOB_DEP_STATUSES == C.JOBS_FINALIZED

  def test_priorities_are_ordered(self):
    assert (C.OP_PRIO_HIGHEST < C.OP_PRIO_HIGH < C.OP_PRIO_NORMAL <
            C.OP_PRIO_LOW < C.OP_PRIO_LOWEST)
    assert (C.OP_PRIO_HIGHEST, C.OP_PRIO_LOWEST) == (-20, 19)
    assert C.OP_PRIO_SUBMIT_VALID == frozenset([-10, 0, 10])
    assert C.OP_PRIO_DEFAULT == C.OP_PRIO_NORMAL == 0
    for prio in C.OP_PRIO_SUBMIT_VALID:
      assert C.OP_PRIO_HIGHEST <= prio <= C.OP_PRIO_LOWEST

  def test_queue_limits(self):
    assert C.JOB_QUEUE_SIZE_HARD_LIMIT == 5000
    assert C.JOBS_PER_ARCHIVE_DIRECTORY == 10000
    assert C.JOB_QUEUE_VERSION == 1

  @pytest.mark.parametrize("name, job_id", [("job-1", "1"),
                                            ("job-123456", "123456")])
  def test_job_file_re_accepts_job_files(self, name, job_id):
    match = C.JOB_FILE_RE.match(name)
    assert match and match.group(1) == job_id

  @pytest.mark.parametrize("name", ["job-", "job-12a", "xjob-1", "job-1.tmp",
                                    "serial", "job--1"])
  def test_job_file_re_rejects_other_files(self, name):
    assert C.JOB_FILE_RE.match(name) is None


# --- hypervisor parameters ---------------------------------------------------

class TestHypervisorParameters:
  def test_defaults_cover_every_hypervisor(self):
    assert set(C.HVC_DEFAULTS) == C.HYPER_TYPES
    assert len(C.HYPER_TYPES) == 6
    assert C.DEFAULT_ENABLED_HYPERVISOR in C.HYPER_TYPES

  @pytest.mark.parametrize("hv, count", [(C.HT_KVM, 45), (C.HT_XEN_PVM, 12),
                                         (C.HT_XEN_HVM, 16), (C.HT_CHROOT, 1),
                                         (C.HT_LXC, 1), (C.HT_FAKE, 0)])
  def test_parameter_counts_per_hypervisor(self, hv, count):
    assert len(C.HVC_DEFAULTS[hv]) == count

  def test_type_table_is_the_union_of_all_defaults(self):
    union = set()
    for hv, defaults in C.HVC_DEFAULTS.items():
      _CheckTypedDefaults(defaults, C.HVS_PARAMETER_TYPES, hv)
      union.update(defaults)
    assert union == set(C.HVS_PARAMETER_TYPES)
    assert C.HVS_PARAMETERS == frozenset(C.HVS_PARAMETER_TYPES)
    assert set(C.HVS_PARAMETER_TYPES.values()) <= C.ENFORCEABLE_TYPES

  def test_globals_are_known_parameters(self):
    assert C.HVC_GLOBALS <= C.HVS_PARAMETERS
    assert C.HVC_GLOBALS <= set(C.HVC_DEFAULTS[C.HT_KVM])
    for hv in (C.HT_XEN_PVM, C.HT_XEN_HVM):
      assert C.HVC_GLOBALS & set(C.HVC_DEFAULTS[hv]) == \
        frozenset([C.HV_MIGRATION_PORT, C.HV_MIGRATION_MODE])

  def test_titles_name_known_non_global_parameters(self):
    assert set(C.HVS_PARAMETER_TITLES) <= C.HVS_PARAMETERS - C.HVC_GLOBALS
    titles = list(C.HVS_PARAMETER_TITLES.values())
    assert len(set(titles)) == len(titles)
    assert all(" " not in title for title in titles)

  def test_kvm_enumerated_defaults_are_valid(self):
    kvm = C.HVC_DEFAULTS[C.HT_KVM]
    assert kvm[C.HV_BOOT_ORDER] in C.HT_KVM_VALID_BO_TYPES
    assert kvm[C.HV_NIC_TYPE] in C.HT_KVM_VALID_NIC_TYPES
    assert kvm[C.HV_DISK_TYPE] in C.HT_KVM_VALID_DISK_TYPES
    assert kvm[C.HV_DISK_CACHE] in C.HT_VALID_CACHE_TYPES
    assert kvm[C.HV_SECURITY_MODEL] in C.HT_KVM_VALID_SM_TYPES
    assert kvm[C.HV_KVM_SPICE_IP_VERSION] in C.HT_KVM_SPICE_VALID_IP_VERSIONS
    # empty means "not set" for these enumerations
    assert kvm[C.HV_KVM_FLAG] in C.HT_KVM_FLAG_VALUES | {""}
    assert kvm[C.HV_USB_MOUSE] in C.HT_KVM_VALID_MOUSE_TYPES | {""}
    assert kvm[C.HV_KVM_CDROM_DISK_TYPE] in C.HT_KVM_VALID_DISK_TYPES | {""}
    assert (kvm[C.HV_KVM_SPICE_LOSSLESS_IMG_COMPR] in
            C.HT_KVM_SPICE_VALID_LOSSLESS_IMG_COMPR_OPTIONS | {""})
    assert (kvm[C.HV_KVM_SPICE_JPEG_IMG_COMPR] in
            C.HT_KVM_SPICE_VALID_LOSSY_IMG_COMPR_OPTIONS | {""})
    assert (kvm[C.HV_KVM_SPICE_STREAMING_VIDEO_DETECTION] in
            C.HT_KVM_SPICE_VALID_VIDEO_STREAM_DETECTION_OPTIONS | {""})

  def test_xen_hvm_enumerated_defaults_are_valid(self):
    hvm = C.HVC_DEFAULTS[C.HT_XEN_HVM]
    assert set(hvm[C.HV_BOOT_ORDER]) <= C.HT_HVM_VALID_BO_CHARS
    assert hvm[C.HV_NIC_TYPE] in C.HT_HVM_VALID_NIC_TYPES
    assert hvm[C.HV_DISK_TYPE] in C.HT_HVM_VALID_DISK_TYPES
    assert C.HT_HVM_VALID_NIC_TYPES <= C.HT_KVM_VALID_NIC_TYPES

  @pytest.mark.parametrize("hv", [C.HT_KVM, C.HT_XEN_PVM, C.HT_XEN_HVM])
  def test_migration_and_reboot_defaults_are_valid(self, hv):
    params = C.HVC_DEFAULTS[hv]
    assert params[C.HV_MIGRATION_MODE] in C.HT_MIGRATION_MODES
    assert (C.MIGRATION_PORT_MIN <= params[C.HV_MIGRATION_PORT] <=
            C.MIGRATION_PORT_MAX)
    assert params[C.HV_REBOOT_BEHAVIOR] in C.REBOOT_BEHAVIORS
    assert params[C.HV_CPU_MASK] == C.CPU_PINNING_ALL

  @pytest.mark.parametrize("hv, param, value", [
    (C.HT_KVM, C.HV_KERNEL_PATH, "/boot/vmlinuz-3-kvmU"),
    (C.HT_KVM, C.HV_ROOT_PATH, "/dev/vda1"),
    (C.HT_KVM, C.HV_MIGRATION_PORT, 8102),
    (C.HT_KVM, C.HV_MIGRATION_BANDWIDTH, 32),
    (C.HT_KVM, C.HV_MIGRATION_DOWNTIME, 30),
    (C.HT_KVM, C.HV_KVM_SPICE_TLS_CIPHERS, "HIGH:-DES:-3DES:-EXPORT:-ADH"),
    (C.HT_KVM, C.HV_SERIAL_CONSOLE, True),
    (C.HT_XEN_PVM, C.HV_KERNEL_PATH, "/boot/vmlinuz-3-xenU"),
    (C.HT_XEN_PVM, C.HV_ROOT_PATH, "/dev/sda1"),
    (C.HT_XEN_PVM, C.HV_BLOCKDEV_PREFIX, "sd"),
    (C.HT_XEN_PVM, C.HV_MIGRATION_MODE, "live"),
    (C.HT_XEN_HVM, C.HV_KERNEL_PATH, "/usr/lib/xen/boot/hvmloader"),
    (C.HT_XEN_HVM, C.HV_DEVICE_MODEL, "/usr/lib/xen/bin/qemu-dm"),
    (C.HT_XEN_HVM, C.HV_VNC_PASSWORD_FILE,
     "/etc/ganeti/vnc-cluster-password"),
    (C.HT_XEN_HVM, C.HV_BOOT_ORDER, "cd"),
    (C.HT_XEN_HVM, C.HV_MIGRATION_MODE, "non-live"),
    (C.HT_XEN_HVM, C.HV_BLOCKDEV_PREFIX, "hd"),
    (C.HT_CHROOT, C.HV_INIT_SCRIPT, "/ganeti-chroot"),
    (C.HT_LXC, C.HV_CPU_MASK, ""),
    ])
  def test_documented_default_values(self, hv, param, value):
    assert C.HVC_DEFAULTS[hv][param] == value


# --- other parameter namespaces ----------------------------------------------

@pytest.mark.parametrize("defaults, types, params", [
  ("BEC_DEFAULTS", "BES_PARAMETER_TYPES", "BES_PARAMETERS"),
  ("NICC_DEFAULTS", "NICS_PARAMETER_TYPES", "NICS_PARAMETERS"),
  ("NDC_DEFAULTS", "NDS_PARAMETER_TYPES", "NDS_PARAMETERS"),
  ("HVST_DEFAULTS", "HVSTS_PARAMETER_TYPES", "HVSTS_PARAMETERS"),
  ("DS_DEFAULTS", "DSS_PARAMETER_TYPES", "DSS_PARAMETERS"),
  ])
def test_every_parameter_has_a_typed_default(defaults, types, params):
  defaults = getattr(C, defaults)
  types = getattr(C, types)
  assert set(defaults) == set(types) == getattr(C, params)
  _CheckTypedDefaults(defaults, types, "defaults")
  assert set(types.values()) <= C.ENFORCEABLE_TYPES


def test_backend_defaults_match_spec():
  assert C.BEC_DEFAULTS == {"maxmem": 128, "minmem": 128, "vcpus": 1,
                            "auto_balance": True, "always_failover": False,
                            "spindle_use": 1}
  assert C.BEC_DEFAULTS[C.BE_MINMEM] <= C.BEC_DEFAULTS[C.BE_MAXMEM]
  assert set(C.BES_PARAMETER_COMPAT) == C.BES_PARAMETERS | {C.BE_MEMORY}
  assert C.BE_MEMORY not in C.BEC_DEFAULTS


def test_nic_and_node_defaults_match_spec():
  assert C.NICC_DEFAULTS == {"mode": "bridged", "link": "xen-br0"}
  assert C.NICC_DEFAULTS[C.NIC_MODE] in C.NIC_VALID_MODES
  assert C.NDC_DEFAULTS == {"oob_program": None, "spindle_count": 1}
  assert C.HVST_DEFAULTS == {"mem_total": 0, "mem_node": 0, "mem_hv": 0,
                             "cpu_total": 1, "cpu_node": 1}
  assert C.DS_VALID_TYPES == frozenset([C.LD_LV])


@pytest.mark.parametrize("titles, params", [
  ("BES_PARAMETER_TITLES", "BES_PARAMETERS"),
  ("NDS_PARAMETER_TITLES", "NDS_PARAMETERS"),
  ])
def test_parameter_titles_name_known_parameters(titles, params):
  assert set(getattr(C, titles)) <= getattr(C, params)


def test_instance_disk_and_nic_spec_keys_are_typed():
  assert set(C.IDISK_PARAMS_TYPES.values()) <= C.ENFORCEABLE_TYPES
  assert set(C.INIC_PARAMS_TYPES.values()) <= C.ENFORCEABLE_TYPES
  assert C.IDISK_PARAMS == frozenset(["size", "mode", "adopt", "vg",
                                      "metavg"])
  assert C.INIC_PARAMS == frozenset(["mac", "ip", "mode", "link"])


# --- disk templates and disk parameters --------------------------------------

class TestDiskTemplates:
  def test_template_sets_are_subsets(self):
    for name in ("DTS_INT_MIRROR", "DTS_EXT_MIRROR", "DTS_MIRRORED",
                 "DTS_NOT_LVM", "DTS_LVM", "DTS_FILEBASED", "DTS_GROWABLE",
                 "DTS_MAY_ADOPT", "DTS_MUST_ADOPT"):
      assert getattr(C, name) <= C.DISK_TEMPLATES, name
    assert len(C.DISK_TEMPLATES) == 7

  def test_template_set_relations(self):
    assert C.DTS_INT_MIRROR.isdisjoint(C.DTS_EXT_MIRROR)
    assert C.DTS_MIRRORED == C.DTS_INT_MIRROR | C.DTS_EXT_MIRROR
    assert C.DTS_LVM.isdisjoint(C.DTS_NOT_LVM)
    assert C.DTS_LVM | C.DTS_NOT_LVM == C.DISK_TEMPLATES
    assert C.DTS_LVM == frozenset([C.DT_PLAIN, C.DT_DRBD8])
    assert C.DTS_MUST_ADOPT <= C.DTS_MAY_ADOPT
    assert C.DTS_FILEBASED <= C.DTS_NOT_LVM
    assert C.DT_DISKLESS not in C.DTS_GROWABLE
    assert C.DT_BLOCK not in C.DTS_GROWABLE
    assert C.DTS_INT_MIRROR == frozenset([C.DT_DRBD8])
    assert C.DTS_EXT_MIRROR == frozenset([C.DT_SHARED_FILE, C.DT_BLOCK,
                                          C.DT_RBD])

  def test_disk_template_defaults_are_typed(self):
    assert set(C.DISK_DT_DEFAULTS) == C.DISK_TEMPLATES
    union = set()
    for template, params in C.DISK_DT_DEFAULTS.items():
      _CheckTypedDefaults(params, C.DISK_DT_TYPES, template)
      union.update(params)
    assert union == C.DISK_DT_PARAMETERS == set(C.DISK_DT_TYPES)

  def test_logical_device_defaults_are_typed(self):
    assert set(C.DISK_LD_DEFAULTS) == C.LOGICAL_DISK_TYPES
    union = set()
    for ldtype, params in C.DISK_LD_DEFAULTS.items():
      _CheckTypedDefaults(params, C.DISK_LD_TYPES, ldtype)
      union.update(params)
    # LDP_STRIPES is shared by the LV and DRBD (via its LV children) code
    assert union == C.DISK_LD_PARAMETERS

  def test_drbd_defaults_match_spec(self):
    drbd = C.DISK_DT_DEFAULTS[C.DT_DRBD8]
    assert drbd == {
      "resync-rate": 61440, "data-stripes": 1, "meta-stripes": 1,
      "disk-barriers": "n", "meta-barriers": False, "metavg": "xenvg",
      "disk-custom": "", "net-custom": "", "dynamic-resync": False,
      "c-plan-ahead": 20, "c-fill-target": 0, "c-delay-target": 1,
      "c-max-rate": 61440, "c-min-rate": 4096,
      }
    assert C.DISK_DT_DEFAULTS[C.DT_PLAIN] == {"stripes": 1}
    assert C.DISK_DT_DEFAULTS[C.DT_RBD] == {"pool": "rbd"}
    assert frozenset(drbd[C.DRBD_DISK_BARRIERS]) in C.DRBD_VALID_BARRIER_OPT
    assert drbd[C.DRBD_MIN_RATE] <= drbd[C.DRBD_MAX_RATE]

  def test_disk_access_and_file_drivers(self):
    assert C.DISK_ACCESS_SET == frozenset(["rw", "ro"])
    assert C.FILE_DRIVER == frozenset(["loop", "blktap"])
    assert C.FD_DEFAULT in C.FILE_DRIVER
    assert C.LDS_BLOCK <= C.LOGICAL_DISK_TYPES
    assert C.DS_VALID_TYPES <= C.LOGICAL_DISK_TYPES


# --- instance policy ---------------------------------------------------------

class TestInstancePolicy:
  def test_keys(self):
    assert set(C.IPOLICY_DEFAULTS) == C.IPOLICY_ALL_KEYS
    for spec in C.IPOLICY_ISPECS:
      assert set(C.IPOLICY_DEFAULTS[spec]) == C.ISPECS_PARAMETERS, spec
    _CheckTypedDefaults(C.IPOLICY_DEFAULTS[C.ISPECS_STD],
                        C.ISPECS_PARAMETER_TYPES, "std")
    assert C.ISPECS_STD not in C.IPOLICY_GROUP_KEYS

  def test_min_std_max_are_ordered(self):
    low = C.IPOLICY_DEFAULTS[C.ISPECS_MIN]
    std = C.IPOLICY_DEFAULTS[C.ISPECS_STD]
    high = C.IPOLICY_DEFAULTS[C.ISPECS_MAX]
    for key in C.ISPECS_PARAMETERS:
      assert low[key] <= std[key] <= high[key], key

  def test_values_match_spec(self):
    assert C.IPOLICY_DEFAULTS[C.ISPECS_MAX] == {
      "memory-size": 32768, "cpu-count": 8, "disk-count": 16,
      "disk-size": 1048576, "nic-count": 8, "spindle-use": 12,
      }
    assert C.IPOLICY_DEFAULTS[C.ISPECS_MAX][C.ISPEC_DISK_COUNT] == C.MAX_DISKS
    assert C.IPOLICY_DEFAULTS[C.ISPECS_MAX][C.ISPEC_NIC_COUNT] == C.MAX_NICS
    assert C.IPOLICY_DEFAULTS[C.IPOLICY_VCPU_RATIO] == 4.0
    assert C.IPOLICY_DEFAULTS[C.IPOLICY_SPINDLE_RATIO] == 32.0
    assert isinstance(C.IPOLICY_DEFAULTS[C.IPOLICY_DTS], list)
    assert set(C.IPOLICY_DEFAULTS[C.IPOLICY_DTS]) == C.DISK_TEMPLATES


# --- daemons, ports, exit codes ----------------------------------------------

def test_daemon_ports_and_logs():
  assert set(C.DAEMONS_LOGBASE) == C.DAEMONS
  ports = [port for (_, port) in C.DAEMONS_PORTS.values()]
  assert len(set(ports)) == len(ports)
  protocols = set(proto for (proto, _) in C.DAEMONS_PORTS.values())
  assert protocols <= {"tcp", "udp"}
  assert (C.DEFAULT_NODED_PORT, C.DEFAULT_CONFD_PORT, C.DEFAULT_RAPI_PORT) == \
    (1811, 1814, 5080)
  assert C.DAEMONS_PORTS[C.CONFD][0] == "udp"
  assert C.FIRST_DRBD_PORT < C.LAST_DRBD_PORT
  assert C.SYSLOG_USAGE in C.SYSLOG_USAGE_VALUES


def test_exit_codes():
  assert (C.EXIT_SUCCESS, C.EXIT_FAILURE, C.EXIT_NOTCLUSTER, C.EXIT_NOTMASTER,
          C.EXIT_NODESETUP_ERROR, C.EXIT_CONFIRMATION,
          C.EXIT_UNKNOWN_FIELD) == (0, 1, 5, 11, 12, 13, 14)


def test_rpc_timeouts_increase():
  assert (C.RPC_TMO_URGENT < C.RPC_TMO_FAST < C.RPC_TMO_NORMAL <
          C.RPC_TMO_SLOW < C.RPC_TMO_4HRS < C.RPC_TMO_1DAY)
  assert C.RPC_CONNECT_TIMEOUT == 5
  # the client's cap on WaitForJobChange must fit within one read timeout
  assert 0 < C.LUXI_WFJC_TIMEOUT == 29 < C.LUXI_DEF_RWTO


# --- confd, query, hooks -----------------------------------------------------

def test_confd_constants_match_protocol():
  assert C.CONFD_MAGIC_FOURCC == "plj0"
  assert len(C.CONFD_MAGIC_FOURCC.encode("ascii")) == 4
  assert C.CONFD_PROTOCOL_VERSION == 1
  assert C.CONFD_REQS == frozenset(range(8))
  assert C.CONFD_MAX_CLOCK_SKEW == 300
  assert sorted(_Scalars("CONFD_NODE_ROLE_").values()) == list(range(5))
  assert sorted(_Scalars("CONFD_ERROR_").values()) == [1, 2, 3]
  # dict-form query keys travel as JSON object keys, hence strings
  for value in list(_Scalars("CONFD_REQQ_").values()) + \
      list(_Scalars("CONFD_REQFIELD_").values()):
    assert isinstance(value, str) and value.isdigit()


def test_query_resources():
  assert C.QR_VIA_OP < C.QR_VIA_LUXI
  assert C.QR_VIA_LUXI - C.QR_VIA_OP == frozenset([C.QR_LOCK, C.QR_JOB])
  assert set(C.RSS_DESCRIPTION) == C.RS_ALL - {C.RS_NORMAL}
  assert C.RS_NORMAL == 0


def test_filter_operators_accept_both_equality_spellings():
  assert {C.QLANG_OP_EQUAL, C.QLANG_OP_EQUAL_LEGACY} == {"==", "="}
  assert {C.QLANG_OP_EQUAL, C.QLANG_OP_EQUAL_LEGACY} <= C.QLANG_BINARY_OPS
  assert C.QLANG_LOGIC_OPS.isdisjoint(C.QLANG_UNARY_OPS | C.QLANG_BINARY_OPS)
  assert C.QLANG_UNARY_OPS.isdisjoint(C.QLANG_BINARY_OPS)


def test_hook_result_codes():
  assert (C.HKR_SKIP, C.HKR_FAIL, C.HKR_SUCCESS) == (0, 1, 2)
  assert C.HOOKS_PHASES == frozenset(["pre", "post"])
  assert C.HOOKS_POST_ENV_PREFIX.startswith(C.HOOKS_ENV_PREFIX)


@pytest.mark.parametrize("name, ok", [("create", True), ("00-check_a", True),
                                      ("foo.sh", False), ("foo~", False),
                                      ("", False), ("a b", False),
                                      ("x.dpkg-old", False)])
def test_ext_plugin_mask(name, ok):
  assert bool(C.EXT_PLUGIN_MASK.match(name)) is ok


def test_cluster_verify_codes():
  codes = [code for (_, code, _) in C.CV_ALL_ECODES]
  assert len(set(codes)) == len(codes)
  assert C.CV_ALL_ECODES_STRINGS == frozenset(codes)
  assert "ENODEHV" in C.CV_ALL_ECODES_STRINGS
  for (kind, code, desc) in C.CV_ALL_ECODES:
    assert kind in (C.CV_TCLUSTER, C.CV_TNODE, C.CV_TINSTANCE), code
    assert code.startswith("E") and code.isupper()
    assert desc


def test_misc_documented_values():
  assert C.DEFAULT_VG == "xenvg"
  assert C.DEFAULT_BRIDGE == "xen-br0"
  assert C.DEFAULT_MAC_PREFIX == "aa:00:00"
  assert C.MASTER_POOL_SIZE_DEFAULT == 10
  assert (C.MAX_TAG_LEN, C.MAX_TAGS_PER_OBJ) == (128, 4096)
  assert (C.MAX_DISKS, C.MAX_NICS) == (16, 8)
  assert C.DDMS_VALUES == frozenset(["add", "remove"])
  assert C.DDMS_VALUES_WITH_MODIFY == C.DDMS_VALUES | {"modify"}
  assert [_Scalars("VALUE_")[n] for n in
          ("VALUE_DEFAULT", "VALUE_AUTO", "VALUE_GENERATE", "VALUE_NONE",
           "VALUE_TRUE", "VALUE_FALSE")] == \
    ["default", "auto", "generate", "none", "true", "false"]
  assert C.VALID_ALLOC_POLICIES[0] == C.ALLOC_POLICY_PREFERRED
  assert C.UIDPOOL_UID_MIN < C.UIDPOOL_UID_MAX == 2 ** 32 - 1
  assert set(C.VALID_STORAGE_OPERATIONS) <= C.VALID_STORAGE_TYPES
  assert set(C.MODIFIABLE_STORAGE_FIELDS) <= C.VALID_STORAGE_TYPES
  for fields in C.MODIFIABLE_STORAGE_FIELDS.values():
    assert fields <= C.VALID_STORAGE_FIELDS
  assert C.IALLOCATOR_NEVAC_MODES == C.NODE_EVAC_MODES


# --- layering ----------------------------------------------------------------

def test_module_imports_nothing_from_ganeti():
  source = pathlib.Path(C.__file__).read_text()
  imported = set()
  for node in ast.walk(ast.parse(source)):
    if isinstance(node, ast.Import):
      imported.update(alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
      imported.add(node.module or "")
  assert not any(name.startswith("ganeti") for name in imported), imported
  assert imported <= {"re"}
