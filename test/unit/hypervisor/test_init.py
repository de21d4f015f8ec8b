"""Tests for ganeti.hypervisor: name -> class mapping and the per-process
instances."""

import pytest

from ganeti import constants
from ganeti import errors
from ganeti import hypervisor
from ganeti.hypervisor import hv_base
from ganeti.hypervisor import hv_fake
from ganeti.hypervisor import hv_xen


@pytest.fixture(autouse=True)
def _fresh():
  hypervisor.ResetHypervisors()
  yield
  hypervisor.ResetHypervisors()


def test_classes():
  assert hypervisor.GetHypervisorClass(constants.HT_FAKE) is \
    hv_fake.FakeHypervisor
  assert hypervisor.GetHypervisorClass(constants.HT_XEN_PVM) is \
    hv_xen.XenPvmHypervisor
  assert hypervisor.GetHypervisorClass(constants.HT_XEN_HVM) is \
    hv_xen.XenHvmHypervisor


def test_kvm_class():
  """Needs helper K's hv_kvm module: fails loudly while it is missing."""
  cls = hypervisor.GetHypervisorClass(constants.HT_KVM)
  assert cls.__name__ == "KVMHypervisor"
  assert cls.__module__ == "ganeti.hypervisor.hv_kvm"
  assert issubclass(cls, hv_base.BaseHypervisor)


@pytest.mark.parametrize("kind", [constants.HT_LXC, constants.HT_CHROOT])
def test_unsupported(kind):
  with pytest.raises(errors.HypervisorError, match="Hypervisor '%s' is not"
                     " supported" % kind):
    hypervisor.GetHypervisorClass(kind)
  with pytest.raises(errors.HypervisorError, match="not supported"):
    hypervisor.GetHypervisor(kind)


@pytest.mark.parametrize("kind", ["vmware", "", None])
def test_unknown(kind):
  with pytest.raises(errors.HypervisorError, match="Unknown hypervisor"
                     " type"):
    hypervisor.GetHypervisorClass(kind)


def test_every_known_name_is_mapped_or_refused():
  for kind in constants.HYPER_TYPES:
    try:
      cls = hypervisor.GetHypervisorClass(kind)
    except errors.HypervisorError as err:
      assert "not supported" in str(err) or "Cannot load" in str(err)
    else:
      assert issubclass(cls, hv_base.BaseHypervisor)


def test_one_instance_per_kind():
  first = hypervisor.GetHypervisor(constants.HT_FAKE)
  assert isinstance(first, hv_fake.FakeHypervisor)
  assert hypervisor.GetHypervisor(constants.HT_FAKE) is first
  pvm = hypervisor.GetHypervisor(constants.HT_XEN_PVM)
  assert isinstance(pvm, hv_xen.XenPvmHypervisor)
  assert pvm is not first
  hypervisor.ResetHypervisors()
  assert hypervisor.GetHypervisor(constants.HT_FAKE) is not first


def test_broken_module(monkeypatch):
  monkeypatch.setitem(hypervisor._HYPERVISOR_MAP, "broken",
                      ("hv_does_not_exist", "X"))
  with pytest.raises(errors.HypervisorError, match="Cannot load hypervisor"
                     " 'broken'"):
    hypervisor.GetHypervisorClass("broken")
  monkeypatch.setitem(hypervisor._HYPERVISOR_MAP, "noclass",
                      ("hv_fake", "NoSuchClass"))
  with pytest.raises(errors.HypervisorError, match="does not provide"
                     " NoSuchClass"):
    hypervisor.GetHypervisorClass("noclass")


def test_parameter_tables_match_the_defaults():
  """Each provided hypervisor accepts exactly its default parameters."""
  for kind in (constants.HT_FAKE, constants.HT_XEN_PVM, constants.HT_XEN_HVM):
    cls = hypervisor.GetHypervisorClass(kind)
    assert set(cls.PARAMETERS) == set(constants.HVC_DEFAULTS[kind])
    cls.CheckParameterSyntax(dict(constants.HVC_DEFAULTS[kind]))
