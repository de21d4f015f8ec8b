"""Utility functions, one topic per sub-module, re-exported flat.

Layer 1 (base). ``utils.WriteFile`` and friends work as in Ganeti: each
sub-module (io, process, retry, filelock, text, algo, hash, x509, log,
mlock, wrapper) holds one kind of helper and this package exports all their
public names. This package must not import anything above the base layer
(no objects, no config, no rpc); it only knows constants, errors and the
standard library. Parameter-dict type enforcement lives here because it
ties together constants and unit parsing.
"""

# pylint: disable=W0401,W0614
from ganeti.utils.algo import *
from ganeti.utils.filelock import *
from ganeti.utils.hash import *
from ganeti.utils.io import *
from ganeti.utils.log import *
from ganeti.utils.mlock import *
from ganeti.utils.process import *
from ganeti.utils.retry import *
from ganeti.utils.text import *
from ganeti.utils.wrapper import *
from ganeti.utils.x509 import *

from ganeti import constants
from ganeti import errors
from ganeti.utils import text as _text


def _EnforceString(key, value, maybe):
  if value is None and maybe:
    return None
  if isinstance(value, str):
    return value
  # Command line parsing turns "no_key" into False; for strings that means
  # an empty value.
  if value is False:
    return ""
  raise errors.TypeEnforcementError("'%s' (value %r) is not a valid string"
                                    % (key, value))


def _EnforceBool(key, value):
  if isinstance(value, str) and value:
    lowered = value.lower()
    if lowered == constants.VALUE_FALSE:
      return False
    if lowered == constants.VALUE_TRUE:
      return True
    raise errors.TypeEnforcementError("'%s' (value %r) is not a valid"
                                      " boolean" % (key, value))
  return bool(value)


def _EnforceSize(key, value):
  try:
    return _text.ParseUnit(value)
  except errors.UnitParseError as err:
    raise errors.TypeEnforcementError("'%s' (value %r) is not a valid size."
                                      " error: %s" % (key, value, err)) \
      from err


def _EnforceInt(key, value):
  if isinstance(value, float) and not value.is_integer():
    raise errors.TypeEnforcementError("'%s' (value %r) is not a valid"
                                      " integer" % (key, value))
  try:
    return int(value)
  except (ValueError, TypeError):
    raise errors.TypeEnforcementError("'%s' (value %r) is not a valid"
                                      " integer" % (key, value)) from None


def ForceDictType(target, key_types, allowed_values=None):
  """Check and convert, in place, the values of a parameter dict.

  Strings "true"/"false" become booleans, sizes like "2G" become MiB,
  numeric strings become integers, False becomes "" for string parameters.

  @param target: the dict to check (modified in place)
  @param key_types: parameter name to constants.VTYPE_* type
  @param allowed_values: values accepted as-is for any key (for example
      constants.VALUE_DEFAULT)
  @raise errors.TypeEnforcementError: not a dict, unknown key, or a value
      of the wrong type
  @raise errors.ProgrammerError: a type in key_types is not enforceable

  """
  if allowed_values is None:
    allowed_values = []
  if not isinstance(target, dict):
    raise errors.TypeEnforcementError("Expected dictionary, got '%s'"
                                      % (target, ))
  for key in target:
    if key not in key_types:
      raise errors.TypeEnforcementError("Unknown parameter '%s'" % (key, ))
    value = target[key]
    if value in allowed_values:
      continue
    ktype = key_types[key]
    if ktype not in constants.ENFORCEABLE_TYPES:
      raise errors.ProgrammerError("'%s' has non-enforceable type %s"
                                   % (key, ktype))
    if ktype == constants.VTYPE_STRING:
      target[key] = _EnforceString(key, value, False)
    elif ktype == constants.VTYPE_MAYBE_STRING:
      target[key] = _EnforceString(key, value, True)
    elif ktype == constants.VTYPE_BOOL:
      target[key] = _EnforceBool(key, value)
    elif ktype == constants.VTYPE_SIZE:
      target[key] = _EnforceSize(key, value)
    elif ktype == constants.VTYPE_INT:
      target[key] = _EnforceInt(key, value)
    else:
      raise errors.ProgrammerError("No enforcement rule for type %s of '%s'"
                                   % (ktype, key))


def TryConvert(fn, val):
  """Return fn(val), or val unchanged if fn raises ValueError/TypeError."""
  try:
    return fn(val)
  except (ValueError, TypeError):
    return val
