"""Instance policies (ipolicy): filling, building from options, checking.

Layer 2 (model); part of ganeti.objects, which re-exports every public
name here.  An instance policy (2.6 layout) is a dict with the spec dicts
"min", "max" and "std" (keys memory-size, cpu-count, disk-count, disk-size,
nic-count, spindle-use), the list "disk-templates" and the floats
"vcpu-ratio" and "spindle-ratio".  The cluster holds a complete policy;
groups hold partial ones (no "std") filled from the cluster's.

It must not look at the configuration or at instances; checking an
instance against a policy is the master side's job.  It imports only from
layer 1 (constants, errors).
"""

import math
from typing import Any, Dict, Iterable, Optional

from ganeti import constants
from ganeti import errors

from ganeti.objects_base import ConfigObject, FillDict

# The ratio keys, as opposed to the spec dicts and the template list.
_IPOLICY_RATIOS = (constants.IPOLICY_VCPU_RATIO,
                   constants.IPOLICY_SPINDLE_RATIO)
_IPOLICY_SPECS = (constants.ISPECS_MIN, constants.ISPECS_MAX,
                  constants.ISPECS_STD)
_IPOLICY_KEYS = frozenset(_IPOLICY_SPECS + _IPOLICY_RATIOS +
                          (constants.IPOLICY_DTS,))


def MakeEmptyIPolicy() -> Dict[str, Dict[str, Any]]:
  """A policy overriding nothing (the starting point of a group's)."""
  return dict((key, {}) for key in _IPOLICY_SPECS)


def FillIPolicy(default_ipolicy: Dict[str, Any],
                custom_ipolicy: Optional[Dict[str, Any]],
                skip_keys: Optional[Iterable[str]] = None) -> Dict[str, Any]:
  """A complete policy: custom_ipolicy over default_ipolicy.

  Spec dicts are merged key by key; the template list and the ratios are
  taken whole from the custom policy when it has them.

  @raise errors.ConfigurationError: the default policy is not complete, or
      either policy is not a dict

  """
  if custom_ipolicy is None:
    custom_ipolicy = {}
  for (name, value) in (("default", default_ipolicy),
                        ("custom", custom_ipolicy)):
    if not isinstance(value, dict):
      raise errors.ConfigurationError("The %s instance policy must be a dict,"
                                      " got %s" % (name, type(value).__name__))
  missing = sorted(_IPOLICY_KEYS - set(default_ipolicy))
  if missing:
    raise errors.ConfigurationError("The default instance policy lacks the"
                                    " key(s) %s" % ", ".join(missing))
  result = {}
  for key in _IPOLICY_SPECS:
    result[key] = FillDict(default_ipolicy[key], custom_ipolicy.get(key, {}),
                           skip_keys=skip_keys)
  result[constants.IPOLICY_DTS] = list(
    custom_ipolicy.get(constants.IPOLICY_DTS,
                       default_ipolicy[constants.IPOLICY_DTS]))
  for key in _IPOLICY_RATIOS:
    result[key] = custom_ipolicy.get(key, default_ipolicy[key])
  return result


def _ToSpecValue(spec_name: str, limit: str, value: Any,
                 allowed_values: Iterable[Any]) -> Any:
  """Convert one ispec value from an option (int or int string)."""
  if value in allowed_values:
    return value
  if isinstance(value, bool):
    raise errors.ConfigurationError("Invalid %s value for %s: %r is not an"
                                    " integer" % (limit, spec_name, value))
  if isinstance(value, int):
    return value
  if isinstance(value, str):
    try:
      return int(value.strip())
    except ValueError:
      pass
  raise errors.ConfigurationError("Invalid %s value for %s: %r is not an"
                                  " integer" % (limit, spec_name, value))


def CreateIPolicyFromOpts(ispecs_mem_size: Optional[Dict[str, Any]] = None,
                          ispecs_cpu_count: Optional[Dict[str, Any]] = None,
                          ispecs_disk_count: Optional[Dict[str, Any]] = None,
                          ispecs_disk_size: Optional[Dict[str, Any]] = None,
                          ispecs_nic_count: Optional[Dict[str, Any]] = None,
                          ipolicy_disk_templates: Optional[list] = None,
                          ipolicy_vcpu_ratio: Optional[float] = None,
                          ipolicy_spindle_ratio: Optional[float] = None,
                          group_ipolicy: bool = False,
                          allowed_values: Optional[Iterable[Any]] = None,
                          fill_all: bool = False) -> Dict[str, Any]:
  """Build a policy from the command line's per-spec dicts.

  Each ispecs_* argument maps "min"/"max"/"std" to a value for one spec
  (the --specs-* options); group policies may not give "std".  Values in
  allowed_values (e.g. "default" when modifying) pass unchanged.  With
  fill_all (cluster creation) the result is completed from the built-in
  defaults and checked as a whole.

  @raise errors.ConfigurationError: unknown limit names, non-integer
      values, unknown disk templates or non-numeric ratios

  """
  if allowed_values is None:
    allowed_values = ()
  allowed_values = list(allowed_values)
  if group_ipolicy:
    allowed_limits = (constants.ISPECS_MIN, constants.ISPECS_MAX)
  else:
    allowed_limits = _IPOLICY_SPECS
  by_spec = [
    (constants.ISPEC_MEM_SIZE, ispecs_mem_size),
    (constants.ISPEC_CPU_COUNT, ispecs_cpu_count),
    (constants.ISPEC_DISK_COUNT, ispecs_disk_count),
    (constants.ISPEC_DISK_SIZE, ispecs_disk_size),
    (constants.ISPEC_NIC_COUNT, ispecs_nic_count),
    ]
  result = MakeEmptyIPolicy()
  for (spec_name, limits) in by_spec:
    if limits is None:
      continue
    if not isinstance(limits, dict):
      raise errors.ConfigurationError("Invalid specification for %s: expected"
                                      " a dict of %s, got %r" %
                                      (spec_name, "/".join(allowed_limits),
                                       limits))
    for (limit, value) in limits.items():
      if limit not in allowed_limits:
        raise errors.ConfigurationError("Invalid limit '%s' for %s; allowed"
                                        " for a %s policy: %s" %
                                        (limit, spec_name,
                                         "group" if group_ipolicy
                                         else "cluster",
                                         ", ".join(allowed_limits)))
      result[limit][spec_name] = _ToSpecValue(spec_name, limit, value,
                                              allowed_values)
  if group_ipolicy:
    del result[constants.ISPECS_STD]
  if ipolicy_disk_templates is not None:
    if ipolicy_disk_templates not in allowed_values:
      InstancePolicy.CheckDiskTemplates(ipolicy_disk_templates)
      ipolicy_disk_templates = list(ipolicy_disk_templates)
    result[constants.IPOLICY_DTS] = ipolicy_disk_templates
  for (key, value) in ((constants.IPOLICY_VCPU_RATIO, ipolicy_vcpu_ratio),
                       (constants.IPOLICY_SPINDLE_RATIO,
                        ipolicy_spindle_ratio)):
    if value is None:
      continue
    if value not in allowed_values:
      InstancePolicy.CheckParameter(key, value)
      value = float(value)
    result[key] = value
  if fill_all and not group_ipolicy:
    result = FillIPolicy(constants.IPOLICY_DEFAULTS, result)
    InstancePolicy.CheckParameterSyntax(result, True)
  return result


class InstancePolicy(ConfigObject):
  """Checks of instance policies (the policy itself is a plain dict)."""
  __slots__ = ()

  @classmethod
  def CheckParameterSyntax(cls, ipolicy: Dict[str, Any], check_std: bool,
                           group_policy: bool = False) -> None:
    """Check a (possibly partial) instance policy.

    Every spec value must be an integer with min <= std <= max where the
    values are present (std only when check_std); templates must be known,
    ratios numeric; no unknown keys.  A group policy (group_policy=True)
    may not set std at all: groups inherit it from the cluster.

    @raise errors.ConfigurationError: describing the first problem found

    """
    if not isinstance(ipolicy, dict):
      raise errors.ConfigurationError("Instance policy must be a dict, got %s"
                                      % type(ipolicy).__name__)
    wrong_keys = sorted(set(ipolicy) - _IPOLICY_KEYS)
    if wrong_keys:
      raise errors.ConfigurationError("Invalid keys in ipolicy: %s" %
                                      ", ".join(map(str, wrong_keys)))
    if group_policy and ipolicy.get(constants.ISPECS_STD):
      raise errors.ConfigurationError("A group instance policy cannot set the"
                                      " '%s' specs (got %r)" %
                                      (constants.ISPECS_STD,
                                       ipolicy[constants.ISPECS_STD]))
    for limit in _IPOLICY_SPECS:
      specs = ipolicy.get(limit, {})
      if not isinstance(specs, dict):
        raise errors.ConfigurationError("Instance policy '%s' must be a dict,"
                                        " got %r" % (limit, specs))
      unknown = sorted(set(specs) - set(constants.ISPECS_PARAMETERS))
      if unknown:
        raise errors.ConfigurationError("Unknown spec(s) in instance policy"
                                        " '%s': %s" %
                                        (limit, ", ".join(map(str, unknown))))
    for name in sorted(constants.ISPECS_PARAMETERS):
      cls.CheckISpecSyntax(ipolicy, name, check_std)
    if constants.IPOLICY_DTS in ipolicy:
      cls.CheckDiskTemplates(ipolicy[constants.IPOLICY_DTS])
    for key in _IPOLICY_RATIOS:
      if key in ipolicy:
        cls.CheckParameter(key, ipolicy[key])

  @classmethod
  def CheckISpecSyntax(cls, ipolicy: Dict[str, Any], name: str,
                       check_std: bool) -> None:
    """Check min <= std <= max for the spec name (where values exist).

    @raise errors.ConfigurationError: a value is not an integer or the
        order is violated

    """
    values = {}
    limits = [constants.ISPECS_MIN, constants.ISPECS_MAX]
    if check_std:
      limits.append(constants.ISPECS_STD)
    for limit in limits:
      value = (ipolicy.get(limit) or {}).get(name)
      if value is None:
        continue
      if not isinstance(value, int) or isinstance(value, bool):
        raise errors.ConfigurationError("Invalid %s value for %s: %r is not"
                                        " an integer" % (limit, name, value))
      values[limit] = value
    min_v = values.get(constants.ISPECS_MIN)
    max_v = values.get(constants.ISPECS_MAX)
    std_v = values.get(constants.ISPECS_STD)
    ordered = [v for v in (min_v, std_v, max_v) if v is not None]
    if ordered != sorted(ordered):
      raise errors.ConfigurationError(
        "Invalid specification of min/max/std values for %s: %s/%s/%s" %
        (name, "-" if min_v is None else min_v,
         "-" if max_v is None else max_v,
         "-" if std_v is None else std_v))

  @classmethod
  def CheckDiskTemplates(cls, disk_templates) -> None:
    """Check a policy's list of allowed disk templates.

    @raise errors.ConfigurationError: not a list, empty, or unknown names

    """
    if not isinstance(disk_templates, (list, tuple, set, frozenset)):
      raise errors.ConfigurationError("The instance policy's disk templates"
                                      " must be a list, got %r" %
                                      (disk_templates,))
    if not disk_templates:
      raise errors.ConfigurationError("Instance policy must contain at least"
                                      " one disk template")
    wrong = sorted(str(dt) for dt in set(disk_templates) -
                   set(constants.DISK_TEMPLATES))
    if wrong:
      raise errors.ConfigurationError("Invalid disk template(s) in instance"
                                      " policy: %s" % ", ".join(wrong))

  @classmethod
  def CheckParameter(cls, key: str, value: Any) -> None:
    """Check a ratio parameter (vcpu-ratio, spindle-ratio).

    @raise errors.ConfigurationError: unknown key or a value that is not a
        finite number

    """
    if key not in _IPOLICY_RATIOS:
      raise errors.ConfigurationError("Unknown instance policy parameter '%s'"
                                      % (key,))
    try:
      if isinstance(value, bool):
        raise ValueError("booleans are not ratios")
      number = float(value)
    except (TypeError, ValueError):
      raise errors.ConfigurationError("Invalid value for key %s: %r (only"
                                      " float values are allowed)" %
                                      (key, value))
    if not math.isfinite(number):
      raise errors.ConfigurationError("Invalid value for key %s: %r (must be"
                                      " finite)" % (key, value))
