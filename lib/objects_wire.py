"""Small objects carried over the wire (RPC, LUXI, confd, query2).

Layer 2 (model); part of ganeti.objects, which re-exports every public
name here.  These are plain ConfigObjects whose dict form is the message
format: block device status, import/export status and options, migration
status, instance consoles, the query2 request/response structures and
the confd inner request/reply.

It must not send or receive anything itself; it imports only from layer 1
(constants, errors).
"""

from ganeti import constants
from ganeti import errors

from ganeti.objects_base import ConfigObject

_TIMESTAMPS = ["ctime", "mtime"]


class BlockDevStatus(ConfigObject):
  """Status of a block device on a node (mirror state, sync progress)."""
  __slots__ = ["dev_path", "major", "minor", "sync_percent", "estimated_time",
               "is_degraded", "ldisk_status"]


class ImportExportStatus(ConfigObject):
  """Progress of one import or export daemon."""
  __slots__ = ["recent_output", "listen_port", "connected", "progress_mbytes",
               "progress_throughput", "progress_eta", "progress_percent",
               "exit_status", "error_message"] + _TIMESTAMPS


class ImportExportOptions(ConfigObject):
  """Options of an import/export transfer.

  key_name: X509 key of the transfer (None for the cluster certificate);
  ca_pem: the peer's CA; compress: compression method; magic: a value both
  ends must agree on; ipv6: whether to use IPv6; connect_timeout: seconds.

  """
  __slots__ = ["key_name", "ca_pem", "compress", "magic", "ipv6",
               "connect_timeout"]


class MigrationStatus(ConfigObject):
  """Progress of a live migration as reported by the hypervisor."""
  __slots__ = ["status", "transferred_ram", "total_ram"]


class MasterNetworkParameters(ConfigObject):
  """What a node needs to bring the master IP up or down."""
  __slots__ = ["name", "ip", "netmask", "netdev", "ip_family"]


class InstanceConsole(ConfigObject):
  """How to reach an instance's console (ssh command, VNC, SPICE, message)."""
  __slots__ = ["instance", "kind", "message", "host", "port", "user",
               "command", "display"]

  # For each console kind: attributes that must be set.
  _REQUIRED = {
    constants.CONS_MESSAGE: ("message",),
    constants.CONS_SSH: ("host", "user", "command"),
    constants.CONS_SPICE: ("host", "port"),
    constants.CONS_VNC: ("host", "port", "display"),
    }

  def Validate(self) -> bool:
    """Check the attributes needed for this kind of console are set.

    @raise errors.ConfigurationError: unknown kind, no instance name or a
        missing attribute (named in the message)

    """
    if self.kind not in self._REQUIRED:
      raise errors.ConfigurationError("Unknown console kind %r for instance"
                                      " %s; expected one of %s" %
                                      (self.kind, self.instance,
                                       ", ".join(sorted(self._REQUIRED))))
    if not self.instance:
      raise errors.ConfigurationError("Console description has no instance"
                                      " name")
    for attr in self._REQUIRED[self.kind]:
      if getattr(self, attr) in (None, ""):
        raise errors.ConfigurationError("Console of kind '%s' for instance %s"
                                        " lacks '%s'" %
                                        (self.kind, self.instance, attr))
    return True


class QueryFieldDefinition(ConfigObject):
  """A query2 field: name, title (column header), kind and doc."""
  __slots__ = ["name", "title", "kind", "doc"]


class _QueryResponseBase(ConfigObject):
  """A query2 answer carrying field definitions."""
  __slots__ = ["fields"]

  @classmethod
  def FromDict(cls, val):
    obj = super().FromDict(val)
    if obj.fields is not None:
      if not isinstance(obj.fields, (list, tuple)):
        raise errors.ConfigurationError("%s.fields must be a list, got %s" %
                                        (cls.__name__,
                                         type(obj.fields).__name__))
      obj.fields = [QueryFieldDefinition.FromDict(field)
                    for field in obj.fields]
    return obj


class QueryRequest(ConfigObject):
  """A query2 request: resource (what), field names and a filter."""
  __slots__ = ["what", "fields", "qfilter"]


class QueryResponse(_QueryResponseBase):
  """A query2 result: field definitions and rows of [status, value]."""
  __slots__ = ["data"]


class QueryFieldsRequest(ConfigObject):
  """A request for field definitions (fields None: all of them)."""
  __slots__ = ["what", "fields"]


class QueryFieldsResponse(_QueryResponseBase):
  """The answer to QueryFieldsRequest."""
  __slots__ = []


class ConfdRequest(ConfigObject):
  """The inner message of a confd request."""
  __slots__ = ["protocol", "type", "query", "rsalt"]


class ConfdReply(ConfigObject):
  """The inner message of a confd reply."""
  __slots__ = ["protocol", "status", "answer", "serial"]
