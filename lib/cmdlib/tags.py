"""Logical units for tags: OP_TAGS_{GET,SET,DEL,SEARCH} (all tag kinds).

Layer 5 (master side).  Tags live on four kinds of configuration objects:
the cluster, node groups, nodes and instances (objects.TaggableObject).
The get/set/del LUs expand the object's name, lock that one object (nothing
for the cluster, whose changes the configuration's own lock serialises) and
read or change its tag set; the search LU looks at every object without
cluster locks, as a read-only snapshot.

The limits (characters, length, count per object) are the model's
(objects.TaggableObject.ValidateTag, constants.MAX_TAGS_PER_OBJ); they are
checked in CheckPrereq, before any object is touched, so a refused request
leaves the configuration as it was.  This module must not talk to nodes.
"""

import re

from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti import objects
from ganeti import utils
from ganeti.cmdlib import base
from ganeti.cmdlib import common


class _TagsLU(base.NoHooksLU):
  """Common part of the LUs acting on one tagged object.

  ExpandNames canonicalises ``op.name`` (node and instance names expanded,
  a group resolved to its UUID) and declares the object's lock unless the
  opcode says ``use_locking=False``; CheckPrereq sets ``self.target`` to
  the live configuration object.

  """
  REQ_BGL = False

  def ExpandNames(self):
    self.group_uuid = None
    self.needed_locks = {}
    kind = self.op.kind
    if kind == constants.TAG_CLUSTER:
      lock_level = lock_name = None
    elif kind == constants.TAG_NODE:
      self.op.name = common.ExpandNodeName(self.cfg, self.op.name)
      (lock_level, lock_name) = (locking.LEVEL_NODE, self.op.name)
    elif kind == constants.TAG_INSTANCE:
      self.op.name = common.ExpandInstanceName(self.cfg, self.op.name)
      (lock_level, lock_name) = (locking.LEVEL_INSTANCE, self.op.name)
    elif kind == constants.TAG_NODEGROUP:
      if not isinstance(self.op.name, str) or not self.op.name:
        raise errors.OpPrereqError("Invalid node group name %r" %
                                   (self.op.name, ), errors.ECODE_INVAL)
      self.group_uuid = self.cfg.LookupNodeGroup(self.op.name)
      (lock_level, lock_name) = (locking.LEVEL_NODEGROUP, self.group_uuid)
    else:
      raise errors.OpPrereqError("Invalid tag kind '%s', expected one of %s" %
                                 (kind, utils.CommaJoin(
                                   sorted(constants.VALID_TAG_TYPES))),
                                 errors.ECODE_INVAL)
    if lock_level is not None and getattr(self.op, "use_locking", True):
      self.needed_locks[lock_level] = [lock_name]

  def _Describe(self):
    """Human name of the tagged object, for messages."""
    if self.op.kind == constants.TAG_CLUSTER:
      return "the cluster"
    if self.op.kind == constants.TAG_NODEGROUP:
      return "node group %s" % self.op.name
    return "%s %s" % (self.op.kind, self.op.name)

  def CheckPrereq(self):
    kind = self.op.kind
    if kind == constants.TAG_CLUSTER:
      target = self.cfg.GetClusterInfo()
    elif kind == constants.TAG_NODE:
      target = self.cfg.GetNodeInfo(self.op.name)
    elif kind == constants.TAG_INSTANCE:
      target = self.cfg.GetInstanceInfo(self.op.name)
    else:
      target = self.cfg.GetNodeGroup(self.group_uuid)
    if target is None:
      # removed between ExpandNames and now (the lock was not held yet)
      raise errors.OpPrereqError("Cannot find %s in the configuration" %
                                 self._Describe(), errors.ECODE_NOENT)
    self.target = target


class LUTagsGet(_TagsLU):
  """Return the sorted tags of one object (shared locks only)."""

  def ExpandNames(self):
    super().ExpandNames()
    self.share_locks = common.ShareAll()

  def Exec(self, feedback_fn):
    return sorted(self.target.GetTags())


class LUTagsSet(_TagsLU):
  """Add tags to one object.

  Every tag is checked, and so is the resulting count, before the first
  one is added: a refused request changes nothing.

  @raise errors.TagError: an invalid tag, or too many tags for the object

  """

  def CheckPrereq(self):
    super().CheckPrereq()
    for tag in self.op.tags:
      objects.TaggableObject.ValidateTag(tag)
    current = self.target.GetTags()
    new_tags = frozenset(self.op.tags) - current
    if len(current) + len(new_tags) > constants.MAX_TAGS_PER_OBJ:
      raise errors.TagError("Cannot add %d tag(s) to %s: it has %d tag(s)"
                            " and at most %d are allowed per object" %
                            (len(new_tags), self._Describe(), len(current),
                             constants.MAX_TAGS_PER_OBJ))
    self.new_tags = sorted(new_tags)

  def Exec(self, feedback_fn):
    if not self.new_tags:
      return None
    for tag in self.new_tags:
      self.target.AddTag(tag)
    self.cfg.Update(self.target, feedback_fn)
    return None


class LUTagsDel(_TagsLU):
  """Remove tags from one object; every tag given must be present.

  @raise errors.TagError: an invalid tag
  @raise errors.OpPrereqError: some tags are not on the object (ECODE_NOENT)

  """

  def CheckPrereq(self):
    super().CheckPrereq()
    for tag in self.op.tags:
      objects.TaggableObject.ValidateTag(tag)
    missing = frozenset(self.op.tags) - self.target.GetTags()
    if missing:
      raise errors.OpPrereqError("Tag(s) %s not found on %s" %
                                 (utils.CommaJoin("'%s'" % tag
                                                  for tag in sorted(missing)),
                                  self._Describe()),
                                 errors.ECODE_NOENT)

  def Exec(self, feedback_fn):
    for tag in sorted(frozenset(self.op.tags)):
      self.target.RemoveTag(tag)
    self.cfg.Update(self.target, feedback_fn)
    return None


class LUTagsSearch(base.NoHooksLU):
  """Find the tags matching a regular expression on every tagged object.

  The result is a list of ``[path, tag]`` with paths ``/cluster``,
  ``/instances/<name>``, ``/nodes/<name>`` and ``/nodegroup/<name>``, in
  that order of kinds, objects and tags sorted.  No locks: tags are read
  from the configuration as they are at that moment.

  """
  REQ_BGL = False

  def ExpandNames(self):
    self.needed_locks = {}

  def CheckPrereq(self):
    try:
      self.regex = re.compile(self.op.pattern)
    except re.error as err:
      raise errors.OpPrereqError("Invalid search pattern '%s': %s" %
                                 (self.op.pattern, err), errors.ECODE_INVAL)

  def _TaggedObjects(self):
    """(path, object) of every tagged object, in result order."""
    cfg = self.cfg
    result = [("/cluster", cfg.GetClusterInfo())]
    instances = cfg.GetAllInstancesInfo()
    result.extend(("/instances/%s" % name, instances[name])
                  for name in utils.NiceSort(instances))
    nodes = cfg.GetAllNodesInfo()
    result.extend(("/nodes/%s" % name, nodes[name])
                  for name in utils.NiceSort(nodes))
    groups = dict((group.name, group)
                  for group in cfg.GetAllNodeGroupsInfo().values())
    result.extend(("/nodegroup/%s" % name, groups[name])
                  for name in utils.NiceSort(groups))
    return result

  def Exec(self, feedback_fn):
    found = []
    for (path, obj) in self._TaggedObjects():
      # list() copies the set in one step, before another job changes it
      for tag in sorted(list(obj.GetTags())):
        if self.regex.search(tag):
          found.append([path, tag])
    return found
