"""Tests of ganeti.objects_ipolicy: instance policy fill, build and checks."""

import copy

import pytest
from hypothesis import given, strategies as st

from ganeti import constants
from ganeti import errors
from ganeti import objects

MIN, MAX, STD = constants.ISPECS_MIN, constants.ISPECS_MAX, constants.ISPECS_STD
MEM = constants.ISPEC_MEM_SIZE
CPU = constants.ISPEC_CPU_COUNT
DTS = constants.IPOLICY_DTS
VCPU = constants.IPOLICY_VCPU_RATIO
SPINDLE = constants.IPOLICY_SPINDLE_RATIO


def _Defaults():
  return copy.deepcopy(constants.IPOLICY_DEFAULTS)


def test_make_empty_ipolicy():
  assert objects.MakeEmptyIPolicy() == {MIN: {}, MAX: {}, STD: {}}
  first = objects.MakeEmptyIPolicy()
  first[MIN]["x"] = 1
  assert objects.MakeEmptyIPolicy()[MIN] == {}


def test_fill_ipolicy_empty_custom_gives_defaults():
  filled = objects.FillIPolicy(constants.IPOLICY_DEFAULTS, {})
  assert filled == constants.IPOLICY_DEFAULTS
  filled[MIN][MEM] = 1
  filled[DTS].append("x")
  assert constants.IPOLICY_DEFAULTS[MIN][MEM] == 128
  assert "x" not in constants.IPOLICY_DEFAULTS[DTS]


def test_fill_ipolicy_merges_specs_and_replaces_lists():
  custom = {MIN: {MEM: 256}, DTS: ["plain"], VCPU: 2.0}
  filled = objects.FillIPolicy(_Defaults(), custom)
  assert filled[MIN][MEM] == 256
  assert filled[MIN][CPU] == constants.IPOLICY_DEFAULTS[MIN][CPU]
  assert filled[MAX] == constants.IPOLICY_DEFAULTS[MAX]
  assert filled[DTS] == ["plain"]
  assert filled[VCPU] == 2.0
  assert filled[SPINDLE] == constants.IPOLICY_DEFAULTS[SPINDLE]
  # The result's list is a copy
  filled[DTS].append("drbd")
  assert custom[DTS] == ["plain"]


def test_fill_ipolicy_skip_keys():
  filled = objects.FillIPolicy(_Defaults(), None, skip_keys=[MEM])
  for limit in (MIN, MAX, STD):
    assert MEM not in filled[limit]


def test_fill_ipolicy_refuses_incomplete_defaults_and_non_dicts():
  partial = _Defaults()
  del partial[VCPU]
  with pytest.raises(errors.ConfigurationError, match="lacks the key.*"
                     "vcpu-ratio"):
    objects.FillIPolicy(partial, {})
  with pytest.raises(errors.ConfigurationError, match="custom instance"
                     " policy must be a dict"):
    objects.FillIPolicy(_Defaults(), [1])
  with pytest.raises(errors.ConfigurationError, match="default instance"
                     " policy must be a dict"):
    objects.FillIPolicy("x", {})


def test_check_parameter_syntax_accepts_defaults():
  objects.InstancePolicy.CheckParameterSyntax(_Defaults(), True)
  objects.InstancePolicy.CheckParameterSyntax(_Defaults(), False)


def test_check_parameter_syntax_min_above_max():
  policy = _Defaults()
  policy[MIN][MEM] = 65536
  with pytest.raises(errors.ConfigurationError,
                     match="min/max/std values for memory-size:"
                     " 65536/32768/128"):
    objects.InstancePolicy.CheckParameterSyntax(policy, True)


def test_check_parameter_syntax_std_outside_range_only_with_check_std():
  policy = _Defaults()
  policy[STD][CPU] = 20
  with pytest.raises(errors.ConfigurationError, match="cpu-count: 1/8/20"):
    objects.InstancePolicy.CheckParameterSyntax(policy, True)
  # Groups have their std from the cluster: not compared
  objects.InstancePolicy.CheckParameterSyntax(policy, False)


def test_check_parameter_syntax_group_may_not_set_std():
  with pytest.raises(errors.ConfigurationError, match="group instance policy"
                     " cannot set the 'std'"):
    objects.InstancePolicy.CheckParameterSyntax({STD: {MEM: 128}}, False,
                                                group_policy=True)
  # An empty std is the same as none
  objects.InstancePolicy.CheckParameterSyntax(objects.MakeEmptyIPolicy(),
                                              False, group_policy=True)


def test_check_parameter_syntax_partial_policy():
  objects.InstancePolicy.CheckParameterSyntax({MIN: {MEM: 256}}, False)
  objects.InstancePolicy.CheckParameterSyntax({MAX: {MEM: 256}}, True)
  with pytest.raises(errors.ConfigurationError, match="512/256/-"):
    objects.InstancePolicy.CheckParameterSyntax({MIN: {MEM: 512},
                                                 MAX: {MEM: 256}}, False)


@pytest.mark.parametrize("policy, message", [
  ({"bogus": 1}, "Invalid keys in ipolicy: bogus"),
  ({MIN: {"bogus-size": 1}}, "Unknown spec.*'min': bogus-size"),
  ({MIN: [1]}, "'min' must be a dict"),
  ({MIN: {MEM: "128"}}, "Invalid min value for memory-size: '128'"),
  ({MAX: {CPU: True}}, "Invalid max value for cpu-count: True"),
  ({DTS: []}, "at least one disk template"),
  ({DTS: ["plain", "floppy"]}, "Invalid disk template.*floppy"),
  ({DTS: "plain"}, "disk templates must be a list"),
  ({VCPU: "fast"}, "Invalid value for key vcpu-ratio: 'fast'"),
  ({SPINDLE: None}, "Invalid value for key spindle-ratio: None"),
  ({SPINDLE: float("inf")}, "must be finite"),
  ])
def test_check_parameter_syntax_refuses(policy, message):
  with pytest.raises(errors.ConfigurationError, match=message):
    objects.InstancePolicy.CheckParameterSyntax(policy, True)


def test_check_parameter_syntax_refuses_non_dict():
  with pytest.raises(errors.ConfigurationError, match="must be a dict, got"
                     " list"):
    objects.InstancePolicy.CheckParameterSyntax([], True)


def test_check_parameter_single():
  objects.InstancePolicy.CheckParameter(VCPU, "2.5")
  objects.InstancePolicy.CheckParameter(SPINDLE, 16)
  with pytest.raises(errors.ConfigurationError, match="Unknown instance"
                     " policy parameter 'min'"):
    objects.InstancePolicy.CheckParameter(MIN, 1.0)
  with pytest.raises(errors.ConfigurationError, match="only float"):
    objects.InstancePolicy.CheckParameter(VCPU, True)


def test_check_disk_templates():
  objects.InstancePolicy.CheckDiskTemplates(list(constants.DISK_TEMPLATES))
  with pytest.raises(errors.ConfigurationError, match="nope"):
    objects.InstancePolicy.CheckDiskTemplates(["nope"])


def test_check_ispec_syntax_direct():
  policy = {MIN: {MEM: 1}, MAX: {MEM: 2}, STD: {MEM: 3}}
  objects.InstancePolicy.CheckISpecSyntax(policy, MEM, False)
  with pytest.raises(errors.ConfigurationError, match="1/2/3"):
    objects.InstancePolicy.CheckISpecSyntax(policy, MEM, True)


@given(st.lists(st.integers(min_value=0, max_value=10**6), min_size=3,
                max_size=3))
def test_check_ispec_order_property(values):
  (low, mid, high) = sorted(values)
  policy = {MIN: {MEM: low}, STD: {MEM: mid}, MAX: {MEM: high}}
  objects.InstancePolicy.CheckISpecSyntax(policy, MEM, True)
  if low < high:
    bad = {MIN: {MEM: high}, STD: {MEM: mid}, MAX: {MEM: low}}
    with pytest.raises(errors.ConfigurationError):
      objects.InstancePolicy.CheckISpecSyntax(bad, MEM, True)


# CreateIPolicyFromOpts

def test_create_ipolicy_cluster_filled():
  policy = objects.CreateIPolicyFromOpts(
    ispecs_mem_size={MIN: "256", MAX: 4096, STD: "512"},
    ispecs_cpu_count={MAX: "4"},
    ipolicy_disk_templates=("drbd", "plain"),
    ipolicy_vcpu_ratio="2.5",
    fill_all=True)
  expected = _Defaults()
  expected[MIN][MEM] = 256
  expected[MAX][MEM] = 4096
  expected[STD][MEM] = 512
  expected[MAX][CPU] = 4
  expected[DTS] = ["drbd", "plain"]
  expected[VCPU] = 2.5
  assert policy == expected


def test_create_ipolicy_unfilled_has_only_given():
  policy = objects.CreateIPolicyFromOpts(ispecs_disk_count={MIN: 2},
                                         ipolicy_spindle_ratio=8)
  assert policy == {MIN: {constants.ISPEC_DISK_COUNT: 2}, MAX: {}, STD: {},
                    SPINDLE: 8.0}


def test_create_ipolicy_group_has_no_std_and_allows_default():
  policy = objects.CreateIPolicyFromOpts(
    ispecs_nic_count={MIN: "2", MAX: constants.VALUE_DEFAULT},
    ipolicy_vcpu_ratio=constants.VALUE_DEFAULT,
    group_ipolicy=True, allowed_values=[constants.VALUE_DEFAULT],
    fill_all=True)
  assert policy == {MIN: {constants.ISPEC_NIC_COUNT: 2},
                    MAX: {constants.ISPEC_NIC_COUNT: constants.VALUE_DEFAULT},
                    VCPU: constants.VALUE_DEFAULT}


@pytest.mark.parametrize("kwargs, message", [
  (dict(ispecs_mem_size={STD: 128}, group_ipolicy=True),
   "Invalid limit 'std' for memory-size.*group"),
  (dict(ispecs_mem_size={"avg": 128}), "Invalid limit 'avg'"),
  (dict(ispecs_cpu_count={MIN: "many"}), "Invalid min value for cpu-count"),
  (dict(ispecs_cpu_count={MIN: True}), "Invalid min value for cpu-count"),
  (dict(ispecs_cpu_count={MIN: 1.5}), "Invalid min value for cpu-count"),
  (dict(ispecs_disk_size=[1, 2]), "Invalid specification for disk-size"),
  (dict(ipolicy_disk_templates=["bogus"]), "Invalid disk template.*bogus"),
  (dict(ipolicy_vcpu_ratio="x"), "Invalid value for key vcpu-ratio"),
  (dict(ispecs_mem_size={MIN: 100000}, fill_all=True),
   "min/max/std values for memory-size: 100000/32768/128"),
  (dict(ispecs_cpu_count={MIN: constants.VALUE_DEFAULT}),
   "Invalid min value for cpu-count"),
  ])
def test_create_ipolicy_refuses(kwargs, message):
  with pytest.raises(errors.ConfigurationError, match=message):
    objects.CreateIPolicyFromOpts(**kwargs)
