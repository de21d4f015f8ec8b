"""Base classes of the configuration objects and the dict-filling rule.

Layer 2 (model); part of ganeti.objects, which re-exports every public
name here.  ConfigObject gives slot-based objects a plain-dict form (the
JSON written to config.data and sent over RPC), copying, equality and an
upgrade hook; TaggableObject adds validated tags.

It must not do I/O or know about specific objects; it imports only from
layer 1 (constants, errors).
"""

import copy
import re
from typing import Any, Dict, FrozenSet, Iterable, Optional, Tuple

from ganeti import constants
from ganeti import errors

# Per class: its attribute names (its slots and its bases') in declaration
# order, base classes first, and the same as a set for membership tests.
_SLOT_CACHE: Dict[type, Tuple[Tuple[str, ...], FrozenSet[str]]] = {}


def FillDict(defaults_dict: Dict[str, Any],
             custom_dict: Optional[Dict[str, Any]],
             skip_keys: Optional[Iterable[str]] = None) -> Dict[str, Any]:
  """Return defaults_dict updated with custom_dict, minus skip_keys.

  The result is a new dict; the defaults are deep-copied so callers may
  change nested values without touching the defaults (often constants).

  """
  if custom_dict is None:
    custom_dict = {}
  for (name, value) in (("defaults", defaults_dict), ("custom", custom_dict)):
    if not isinstance(value, dict):
      raise errors.ProgrammerError("FillDict: the %s must be a dict, got %s"
                                   " (%r)" % (name, type(value).__name__,
                                              value))
  result = copy.deepcopy(defaults_dict)
  result.update(custom_dict)
  for key in skip_keys or ():
    result.pop(key, None)
  return result


def _ToPlain(value: Any) -> Any:
  """Deep conversion of a value into JSON-friendly builtins.

  Objects become dicts, tuples become lists (JSON has no tuples) and sets
  become sorted lists, so the output is stable from one write to the next.

  """
  if isinstance(value, ConfigObject):
    return value.ToDict()
  if isinstance(value, (list, tuple)):
    return [_ToPlain(item) for item in value]
  if isinstance(value, (set, frozenset)):
    items = [_ToPlain(item) for item in value]
    try:
      return sorted(items)
    except TypeError:
      return items
  if isinstance(value, dict):
    return dict((key, _ToPlain(item)) for (key, item) in value.items())
  return value


class ConfigObject:
  """A configuration object with a fixed set of attributes.

  Attributes are __slots__; one that was never set reads as None, and None
  values are left out of the dict form (as in config.data).  Subclasses
  whose attributes hold other objects override FromDict to rebuild them.

  """
  __slots__ = ()

  def __init__(self, **kwargs):
    slots = self.GetAllSlots()
    for (key, value) in kwargs.items():
      if key not in slots:
        raise errors.ProgrammerError("%s has no attribute '%s' (known: %s)" %
                                     (self.__class__.__name__, key,
                                      ", ".join(sorted(slots))))
      setattr(self, key, value)

  def __getattr__(self, name):
    # Only reached when normal lookup failed: an unset slot reads as None.
    if name in self.GetAllSlots():
      return None
    raise AttributeError("'%s' object has no attribute '%s'" %
                         (self.__class__.__name__, name))

  @classmethod
  def _SlotInfo(cls) -> Tuple[Tuple[str, ...], FrozenSet[str]]:
    info = _SLOT_CACHE.get(cls)
    if info is None:
      ordered = []
      for klass in reversed(cls.__mro__):
        klass_slots = klass.__dict__.get("__slots__", ())
        if isinstance(klass_slots, str):
          klass_slots = (klass_slots,)
        ordered.extend(name for name in klass_slots if name not in ordered)
      info = (tuple(ordered), frozenset(ordered))
      _SLOT_CACHE[cls] = info
    return info

  @classmethod
  def GetAllSlots(cls) -> FrozenSet[str]:
    """Names of all attributes of this class, inherited ones included."""
    return cls._SlotInfo()[1]

  def ToDict(self) -> Dict[str, Any]:
    """The plain-dict form (deep: nested objects become dicts too).

    Keys follow the order the attributes are declared in, so the same
    object always gives the same text.

    """
    result = {}
    for name in self._SlotInfo()[0]:
      value = getattr(self, name)
      if value is not None:
        result[name] = _ToPlain(value)
    return result

  @classmethod
  def FromDict(cls, val: Dict[str, Any]):
    """Build an object from its dict form.

    @raise errors.ConfigurationError: val is not a dict or has a key that
        is not an attribute of the class

    """
    if not isinstance(val, dict):
      raise errors.ConfigurationError("Cannot build %s from %s (%r): expected"
                                      " a dict" % (cls.__name__,
                                                   type(val).__name__, val))
    slots = cls.GetAllSlots()
    for key in val:
      if key not in slots:
        raise errors.ConfigurationError("Unknown attribute %r in %s data" %
                                        (key, cls.__name__))
    return cls(**val)

  def Copy(self):
    """A deep copy, sharing nothing with the original."""
    return self.__class__.FromDict(copy.deepcopy(self.ToDict()))

  def UpgradeConfig(self) -> None:
    """Bring an object loaded from an older configuration up to date.

    Fills attributes added by later releases with their defaults; called
    once after loading.  The base version has nothing to upgrade.

    """

  def __eq__(self, other):
    if not isinstance(other, ConfigObject):
      return NotImplemented
    return type(self) is type(other) and self.ToDict() == other.ToDict()

  # Objects are mutable; equality by content rules out hashing.
  __hash__ = None

  def __repr__(self):
    return "%s(%r)" % (self.__class__.__name__, self.ToDict())


class TaggableObject(ConfigObject):
  """An object carrying a set of tags (cluster, group, node, instance)."""
  __slots__ = ["tags"]

  # The characters Ganeti allows in tags.
  VALID_TAG_RE = re.compile(r"^[\w.+*/:@-]+$", re.ASCII)

  @classmethod
  def ValidateTag(cls, tag: str) -> None:
    """Check one tag.

    @raise errors.TagError: the tag is not a string, is empty, too long or
        has characters outside letters, digits and ".+*/:@-_"

    """
    if not isinstance(tag, str):
      raise errors.TagError("Invalid tag %r: tags must be strings, not %s" %
                            (tag, type(tag).__name__))
    if not tag:
      raise errors.TagError("Tags cannot be empty")
    if len(tag) > constants.MAX_TAG_LEN:
      raise errors.TagError("Tag '%s...' is too long (%d characters, at most"
                            " %d allowed)" % (tag[:20], len(tag),
                                              constants.MAX_TAG_LEN))
    if not cls.VALID_TAG_RE.match(tag):
      raise errors.TagError("Tag '%s' contains invalid characters (allowed:"
                            " letters, digits and .+*/:@-_)" % tag)

  def GetTags(self) -> set:
    """The tag set, created empty on first use."""
    if self.tags is None:
      self.tags = set()
    return self.tags

  def AddTag(self, tag: str) -> None:
    """Add a valid tag.

    @raise errors.TagError: invalid tag, or the object already has
        constants.MAX_TAGS_PER_OBJ tags

    """
    self.ValidateTag(tag)
    tags = self.GetTags()
    if tag in tags:
      return
    if len(tags) >= constants.MAX_TAGS_PER_OBJ:
      raise errors.TagError("Too many tags on %s: at most %d allowed" %
                            (self.__class__.__name__,
                             constants.MAX_TAGS_PER_OBJ))
    tags.add(tag)

  def RemoveTag(self, tag: str) -> None:
    """Remove a tag.

    @raise errors.TagError: invalid tag, or the object does not have it

    """
    self.ValidateTag(tag)
    try:
      self.GetTags().remove(tag)
    except KeyError:
      raise errors.TagError("Tag '%s' not found on %s" %
                            (tag, self.__class__.__name__))

  @classmethod
  def FromDict(cls, val):
    obj = super().FromDict(val)
    if obj.tags is not None:
      if not isinstance(obj.tags, (list, tuple, set, frozenset)):
        raise errors.ConfigurationError("%s tags must be a list, got %s" %
                                        (cls.__name__,
                                         type(obj.tags).__name__))
      obj.tags = set(obj.tags)
    return obj
