"""Network helpers: name resolution, IP address classes, reachability.

Layer 1 (base).  Resolves host names to an FQDN and an address (through the
virtual cluster's hosts file first when running as a virtual node, then the
system resolver), validates and compares IPv4/IPv6 addresses and networks,
checks TCP reachability and local ownership of addresses with real sockets,
and reads the credentials of Unix socket peers.

This module must not import anything above the base layer, must not change
the host's network configuration and must not cache resolver answers (the
virtual cluster's hosts file changes while processes run).
"""

import errno
import re
import socket
import struct
from typing import Dict, List, Optional, Tuple

import psutil

from ganeti import constants
from ganeti import errors
from ganeti import vcluster


#: struct ucred as returned by SO_PEERCRED: pid, uid, gid
_STRUCT_UCRED = "iII"
_STRUCT_UCRED_SIZE = struct.calcsize(_STRUCT_UCRED)

#: Linux limits interface names to IFNAMSIZ - 1 bytes
_MAX_IFNAME_LEN = 15

#: Sysfs directory with one entry per network interface
_SYS_CLASS_NET = "/sys/class/net"

#: Ganeti's historical default timeout for TcpPing, in seconds
_TCP_PING_TIMEOUT = 10


def GetSocketCredentials(sock: socket.socket) -> Tuple[int, int, int]:
  """Returns the (pid, uid, gid) of the process at the other end of ``sock``.

  @raise errors.ProgrammerError: if ``sock`` is not a Unix socket

  """
  if getattr(sock, "family", None) != socket.AF_UNIX:
    raise errors.ProgrammerError("GetSocketCredentials needs a Unix socket,"
                                 " got %r" % (sock, ))
  peercred = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                             _STRUCT_UCRED_SIZE)
  return struct.unpack(_STRUCT_UCRED, peercred)


def _CheckInterfaceName(ifname) -> bool:
  return (isinstance(ifname, str) and 0 < len(ifname) <= _MAX_IFNAME_LEN and
          "/" not in ifname and "\0" not in ifname and
          not any(ch.isspace() for ch in ifname) and
          ifname not in (".", ".."))


def IsValidInterface(ifname: str) -> bool:
  """Tells whether a network interface of that name exists on this host.

  """
  if not _CheckInterfaceName(ifname):
    return False
  try:
    socket.if_nametoindex(ifname)
  except OSError:
    return False
  return True


def GetInterfaceIpAddresses(ifname: str) -> Dict[int, List[str]]:
  """Returns the addresses configured on an interface, by IP version.

  IPv6 link-local addresses are returned without their "%<ifname>" scope.

  @return: {4: [IPv4 addresses], 6: [IPv6 addresses]}
  @raise errors.OpPrereqError: if the interface does not exist

  """
  if not IsValidInterface(ifname):
    raise errors.OpPrereqError("Network interface %r does not exist" %
                               (ifname, ), errors.ECODE_NOENT)
  result: Dict[int, List[str]] = {4: [], 6: []}
  for addr in psutil.net_if_addrs().get(ifname, []):
    if addr.family == socket.AF_INET:
      result[4].append(addr.address)
    elif addr.family == socket.AF_INET6:
      result[6].append(addr.address.split("%", 1)[0])
  return result


# Hosts file (/etc/hosts format) handling

def ParseHostsFile(content: str) -> List[Tuple[str, List[str]]]:
  """Parses /etc/hosts-style text into (address, [names]) entries.

  Comments ("#" to end of line) and blank lines are skipped.  Like the C
  library, lines that do not start with a valid IP address or carry no
  name are ignored rather than failing the whole file.

  """
  if not isinstance(content, str):
    raise errors.ProgrammerError("ParseHostsFile needs text, got %r" %
                                 (type(content).__name__, ))
  entries = []
  for line in content.splitlines():
    fields = line.split("#", 1)[0].split()
    if len(fields) < 2 or not IPAddress.IsValid(fields[0]):
      continue
    entries.append((fields[0], fields[1:]))
  return entries


def _ReadVirtualHosts(name) -> List[Tuple[str, List[str]]]:
  """Returns the virtual cluster's hosts entries (empty if not virtual).

  A missing hosts file just means no virtual names are known yet.

  @param name: the name being resolved, for the error report
  @raise errors.ResolverError: if the hosts file exists but is unreadable

  """
  path = vcluster.GetHostsFile()
  if not path:
    return []
  try:
    with open(path, encoding="utf-8", errors="replace") as fd:
      content = fd.read()
  except FileNotFoundError:
    return []
  except OSError as err:
    raise errors.ResolverError(name, err.errno or 0,
                               "Cannot read virtual cluster hosts file"
                               " '%s': %s" % (path, err.strerror))
  return ParseHostsFile(content)


def _LookupHostsByName(name: str, family: Optional[int]):
  """Finds (canonical name, address) for ``name`` in the virtual hosts file.

  """
  wanted = name.lower().rstrip(".")
  for (address, names) in _ReadVirtualHosts(name):
    if family is not None and IPAddress.GetAddressFamily(address) != family:
      continue
    if wanted in (n.lower() for n in names):
      return (names[0], address)
  return None


def _LookupHostsByAddress(address: str) -> Optional[str]:
  """Returns the canonical name of an address in the virtual hosts file.

  """
  number = IPAddress.ToInt(address)
  family = IPAddress.GetAddressFamily(address)
  for (entry, names) in _ReadVirtualHosts(address):
    if (IPAddress.GetAddressFamily(entry) == family and
        IPAddress.ToInt(entry) == number):
      return names[0]
  return None


def _CheckFamily(family) -> None:
  if family not in (None, socket.AF_INET, socket.AF_INET6):
    raise errors.ProgrammerError("Invalid address family %r, expected"
                                 " socket.AF_INET, socket.AF_INET6 or None" %
                                 (family, ))


class Hostname:
  """A resolved host name: ``name`` (normalised FQDN) and ``ip``.

  Resolution asks the virtual cluster's hosts file first (when this process
  is a virtual node and the name is listed there), then the system resolver.

  """
  _VALID_LABEL_RE = re.compile(r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?")
  _MAX_NAME_LEN = 255

  def __init__(self, name: Optional[str] = None,
               family: Optional[int] = None):
    """Resolves ``name`` (default: this host).

    @param family: socket.AF_INET or AF_INET6 to restrict the address
    @raise errors.OpPrereqError: the name is syntactically invalid
    @raise errors.ResolverError: the name does not resolve

    """
    _CheckFamily(family)
    self.name = self.GetNormalizedName(self.GetFqdn(name))
    self.ip = self.GetIP(self.name, family=family)

  def __repr__(self):
    return "<%s name=%r ip=%r>" % (self.__class__.__name__, self.name,
                                   self.ip)

  @staticmethod
  def GetSysName() -> str:
    """Returns this host's own name (the virtual node's name if virtual).

    """
    return vcluster.GetHostname() or socket.gethostname()

  @staticmethod
  def GetFqdn(hostname: Optional[str] = None) -> str:
    """Returns the fully qualified name for ``hostname`` (default: own).

    Never fails: an unknown name is returned as given, as the system's
    getfqdn does; resolving the address afterwards reports the problem.

    """
    if hostname is None:
      hostname = vcluster.GetHostname()
      if not hostname:
        return socket.getfqdn()
    if not isinstance(hostname, str):
      raise errors.OpPrereqError("Invalid hostname %r: not a string" %
                                 (hostname, ), errors.ECODE_INVAL)
    if IPAddress.IsValid(hostname):
      canonical = _LookupHostsByAddress(hostname)
    else:
      found = _LookupHostsByName(hostname, None)
      canonical = found[0] if found else None
    if canonical is not None:
      return canonical
    try:
      return socket.getfqdn(hostname)
    except (UnicodeError, ValueError):
      # names the resolver cannot even encode (overlong labels, NUL bytes)
      # are left for GetNormalizedName to reject
      return hostname

  @classmethod
  def GetNormalizedName(cls, hostname: str) -> str:
    """Lower-cases a host name and checks its DNS syntax.

    One trailing dot (the absolute form) is dropped.

    @raise errors.OpPrereqError: (ECODE_INVAL) if the name is invalid

    """
    if not isinstance(hostname, str):
      raise errors.OpPrereqError("Invalid hostname %r: not a string" %
                                 (hostname, ), errors.ECODE_INVAL)
    name = hostname.lower()
    if name.endswith("."):
      name = name[:-1]
    if (not name or len(name) > cls._MAX_NAME_LEN or
        not all(cls._VALID_LABEL_RE.fullmatch(label)
                for label in name.split("."))):
      raise errors.OpPrereqError("Invalid hostname '%s'" % hostname,
                                 errors.ECODE_INVAL)
    return name

  @staticmethod
  def GetIP(hostname: str, family: Optional[int] = None) -> str:
    """Returns the first address ``hostname`` resolves to.

    @param family: socket.AF_INET or AF_INET6 to restrict the answer
    @raise errors.ResolverError: (name, error number, message)

    """
    _CheckFamily(family)
    if not isinstance(hostname, str) or not hostname:
      raise errors.ResolverError(hostname, 0, "Invalid host name %r" %
                                 (hostname, ))
    found = _LookupHostsByName(hostname, family)
    if found is not None:
      return found[1]
    try:
      result = socket.getaddrinfo(hostname, None, family or socket.AF_UNSPEC,
                                  socket.SOCK_STREAM)
    except socket.gaierror as err:
      raise errors.ResolverError(hostname, err.errno, err.strerror)
    except (UnicodeError, ValueError) as err:
      raise errors.ResolverError(hostname, 0, "Cannot encode host name: %s" %
                                 err)
    except OSError as err:
      raise errors.ResolverError(hostname, err.errno or 0,
                                 err.strerror or str(err))
    for (res_family, _, _, _, sockaddr) in result:
      if res_family in (socket.AF_INET, socket.AF_INET6):
        return sockaddr[0]
    raise errors.ResolverError(hostname, 0, "No IPv4 or IPv6 address for"
                               " host name '%s'" % hostname)


def GetHostname(name: Optional[str] = None,
                family: Optional[int] = None) -> Hostname:
  """Resolves a name for callers that report problems to the user.

  @raise errors.OpPrereqError: with ECODE_RESOLVER if the name does not
    resolve, ECODE_INVAL if it is malformed

  """
  try:
    return Hostname(name=name, family=family)
  except errors.ResolverError as err:
    raise errors.OpPrereqError("The given name (%s) does not resolve: %s" %
                               (err.args[0], err.args[2]),
                               errors.ECODE_RESOLVER)


def ValidatePortNumber(port) -> int:
  """Returns ``port`` as an int if it is a valid TCP/UDP port (1-65535).

  @raise errors.ProgrammerError: otherwise

  """
  if isinstance(port, bool):
    raise errors.ProgrammerError("Invalid port number %r" % (port, ))
  try:
    value = int(port)
  except (TypeError, ValueError):
    raise errors.ProgrammerError("Invalid port number %r: not numeric" %
                                 (port, ))
  if not 0 < value < 2 ** 16:
    raise errors.ProgrammerError("Invalid port number %r: out of range"
                                 " 1-65535" % (port, ))
  return value


def GetDaemonPort(daemon_name: str) -> int:
  """Returns the port of a daemon (or ssh).

  The system's services database wins (entries named like the daemon, with
  its protocol), so administrators can move a port without configuring
  Ganeti; otherwise the built-in default applies.

  @raise errors.ProgrammerError: if the daemon has no port

  """
  if daemon_name not in constants.DAEMONS_PORTS:
    raise errors.ProgrammerError("Unknown daemon %r, no port known (known:"
                                 " %s)" % (daemon_name,
                                           ", ".join(sorted(
                                             constants.DAEMONS_PORTS))))
  (proto, default_port) = constants.DAEMONS_PORTS[daemon_name]
  try:
    return socket.getservbyname(daemon_name, proto)
  except OSError:
    return default_port


def TcpPing(target: str, port: int, timeout: float = _TCP_PING_TIMEOUT,
            live_port_needed: bool = False,
            source: Optional[str] = None) -> bool:
  """Checks whether ``target`` answers on a TCP port.

  A refused connection still proves the host is up, so it counts as
  success unless ``live_port_needed`` asks for a listening port.

  @param target: IP address to connect to
  @param source: local address to connect from; False is returned if it
    cannot be used
  @raise errors.IPAddressError: if target (or source) is not an address

  """
  family = IPAddress.GetAddressFamily(target)
  port = ValidatePortNumber(port)
  if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or \
      timeout <= 0:
    raise errors.ProgrammerError("Invalid TcpPing timeout %r" % (timeout, ))
  if source is not None and IPAddress.GetAddressFamily(source) != family:
    return False
  with socket.socket(family, socket.SOCK_STREAM) as sock:
    if source is not None:
      try:
        sock.bind((source, 0))
      except OSError:
        return False
    sock.settimeout(timeout)
    try:
      sock.connect((target, port))
    except socket.timeout:
      return False
    except OSError as err:
      return (not live_port_needed) and err.errno == errno.ECONNREFUSED
  return True


def OwnIpAddress(address: str) -> bool:
  """Tells whether ``address`` is assigned to this host (a bind test).

  @raise errors.IPAddressError: if address is not an IP address

  """
  family = IPAddress.GetAddressFamily(address)
  with socket.socket(family, socket.SOCK_DGRAM) as sock:
    try:
      sock.bind((address, 0))
    except OSError:
      return False
  return True


def FormatAddress(address, family: Optional[int] = None) -> str:
  """Formats a socket address for messages and logs.

  (host, port) becomes "host:port" ("[host]:port" for IPv6, no port part if
  port is None); a Unix peer given as (pid, uid, gid) becomes
  "pid=.., uid=.., gid=..".

  @raise errors.ParameterError: if the address does not fit the family

  """
  if not isinstance(address, (tuple, list)) or not address:
    raise errors.ParameterError("Cannot format address %r" % (address, ))
  if family is None:
    try:
      family = IPAddress.GetAddressFamily(address[0])
    except errors.IPAddressError:
      raise errors.ParameterError("Cannot format address %r: unknown"
                                  " address family" % (address, ))
  if family == socket.AF_UNIX and len(address) == 3:
    return "pid=%s, uid=%s, gid=%s" % tuple(address)
  if family in (socket.AF_INET, socket.AF_INET6) and len(address) == 2:
    (host, port) = address
    text = "[%s]" % host if family == socket.AF_INET6 else str(host)
    if port is not None:
      text += ":%s" % port
    return text
  raise errors.ParameterError("Cannot format address %r for family %r" %
                              (address, family))


class IPAddress:
  """Helpers for IP addresses of any version; see IP4Address/IP6Address.

  Methods called on this class accept either version; on a subclass they
  accept only that version.

  """
  iplen = 0
  family: Optional[int] = None
  loopback_cidr: Optional[str] = None
  _LABEL = "IP"

  @staticmethod
  def _Classes():
    return (IP4Address, IP6Address)

  @classmethod
  def _ClassFor(cls, address):
    """Returns the concrete class for ``address``, or raises IPAddressError.

    """
    candidates = (cls, ) if cls.family is not None else cls._Classes()
    for klass in candidates:
      if klass._Pack(address) is not None:
        return klass
    raise errors.IPAddressError("Invalid %s address %r" % (cls._LABEL,
                                                           address))

  @classmethod
  def _Pack(cls, address) -> Optional[bytes]:
    if not isinstance(address, str):
      return None
    try:
      return socket.inet_pton(cls.family, address)
    except (OSError, ValueError, TypeError):
      return None

  @classmethod
  def IsValid(cls, address) -> bool:
    """Tells whether ``address`` is a valid address (of this class).

    """
    try:
      cls._ClassFor(address)
    except errors.IPAddressError:
      return False
    return True

  @classmethod
  def ToInt(cls, address: str) -> int:
    """Returns the address as an unsigned integer.

    @raise errors.IPAddressError: if the address is invalid

    """
    klass = cls._ClassFor(address)
    return int.from_bytes(klass._Pack(address), "big")

  @classmethod
  def FromInt(cls, value: int) -> str:
    """Returns the canonical text form of an address given as an integer.

    @raise errors.ProgrammerError: if called on IPAddress itself
    @raise errors.IPAddressError: if the value is out of range

    """
    if cls.family is None:
      raise errors.ProgrammerError("FromInt needs a version: use IP4Address"
                                   " or IP6Address")
    if (isinstance(value, bool) or not isinstance(value, int) or
        not 0 <= value < 2 ** cls.iplen):
      raise errors.IPAddressError("Value %r does not fit an %s address" %
                                  (value, cls._LABEL))
    return socket.inet_ntop(cls.family, value.to_bytes(cls.iplen // 8, "big"))

  @classmethod
  def Normalize(cls, address: str) -> str:
    """Returns the canonical text form of an address ("::0:1" -> "::1").

    """
    klass = cls._ClassFor(address)
    return klass.FromInt(klass.ToInt(address))

  @classmethod
  def ValidateNetmask(cls, netmask) -> bool:
    """Tells whether ``netmask`` is a valid prefix length for this class.

    On IPAddress itself, the IPv6 range (1-128) applies.

    """
    if isinstance(netmask, bool) or not isinstance(netmask, int):
      return False
    iplen = cls.iplen or IP6Address.iplen
    return 0 < netmask <= iplen

  @classmethod
  def IsValidNetmask(cls, netmask) -> bool:
    """Tells whether ``netmask`` is a netmask in address form.

    E.g. "255.255.255.0" is valid, "255.0.255.0" (holes) is not.

    """
    try:
      klass = cls._ClassFor(netmask)
    except errors.IPAddressError:
      return False
    value = klass.ToInt(netmask)
    inverted = (2 ** klass.iplen - 1) ^ value
    # a contiguous mask inverts into a block of low ones: 2**k - 1
    return value != 0 and (inverted & (inverted + 1)) == 0

  @classmethod
  def _ParseCidr(cls, cidr):
    if not isinstance(cidr, str) or cidr.count("/") != 1:
      raise errors.IPAddressError("Invalid network %r: expected"
                                  " 'address/prefix'" % (cidr, ))
    (address, prefix) = cidr.split("/")
    try:
      klass = cls._ClassFor(address)
    except errors.IPAddressError as err:
      raise errors.IPAddressError("Invalid network %r: %s" % (cidr, err))
    if not prefix.isdigit() or not 0 <= int(prefix) <= klass.iplen:
      raise errors.IPAddressError("Invalid prefix length in network %r" %
                                  (cidr, ))
    return (klass, klass.ToInt(address), int(prefix))

  @classmethod
  def InNetwork(cls, cidr: str, address: str) -> bool:
    """Tells whether ``address`` lies in network ``cidr`` ("net/len").

    Addresses of another IP version are never inside.

    @raise errors.IPAddressError: if cidr or address is malformed

    """
    (klass, network, prefix) = cls._ParseCidr(cidr)
    other = cls._ClassFor(address)
    if other is not klass:
      return False
    mask = ((2 ** prefix) - 1) << (klass.iplen - prefix)
    return (network & mask) == (klass.ToInt(address) & mask)

  @classmethod
  def IsLoopback(cls, address: str) -> bool:
    """Tells whether ``address`` is a loopback address.

    """
    klass = cls._ClassFor(address)
    return klass.InNetwork(klass.loopback_cidr, address)

  @classmethod
  def Own(cls, address: str) -> bool:
    """Tells whether ``address`` is assigned to this host.

    """
    cls._ClassFor(address)
    return OwnIpAddress(address)

  @staticmethod
  def GetAddressFamily(address: str) -> int:
    """Returns socket.AF_INET or AF_INET6 for an address.

    @raise errors.IPAddressError: if it is neither

    """
    for klass in IPAddress._Classes():
      if klass._Pack(address) is not None:
        return klass.family
    raise errors.IPAddressError("Invalid address %r: neither IPv4 nor IPv6" %
                                (address, ))

  @staticmethod
  def GetVersionFromAddressFamily(family: int) -> int:
    """Maps socket.AF_INET to 4 and socket.AF_INET6 to 6.

    @raise errors.ProgrammerError: for any other family

    """
    if family == socket.AF_INET and not isinstance(family, bool):
      return 4
    if family == socket.AF_INET6 and not isinstance(family, bool):
      return 6
    raise errors.ProgrammerError("%r is not a valid IP address family" %
                                 (family, ))

  @staticmethod
  def GetAddressFamilyFromVersion(version: int) -> int:
    """Maps 4 to socket.AF_INET and 6 to socket.AF_INET6.

    @raise errors.ProgrammerError: for any other version

    """
    if version == 4 and not isinstance(version, bool):
      return socket.AF_INET
    if version == 6 and not isinstance(version, bool):
      return socket.AF_INET6
    raise errors.ProgrammerError("%r is not a valid IP version" % (version, ))

  @staticmethod
  def GetClassFromIpVersion(version: int):
    """Returns IP4Address or IP6Address for an IP version.

    """
    return IPAddress.GetClassFromIpFamily(
      IPAddress.GetAddressFamilyFromVersion(version))

  @staticmethod
  def GetClassFromIpFamily(family: int):
    """Returns IP4Address or IP6Address for an address family.

    """
    version = IPAddress.GetVersionFromAddressFamily(family)
    return IP4Address if version == 4 else IP6Address


class IP4Address(IPAddress):
  """IPv4 addresses ("192.0.2.1"); loopback is 127.0.0.0/8.

  """
  iplen = 32
  family = socket.AF_INET
  _LABEL = "IPv4"
  loopback_cidr = "127.0.0.0/8"


class IP6Address(IPAddress):
  """IPv6 addresses ("2001:db8::1"); loopback is ::1.

  """
  iplen = 128
  family = socket.AF_INET6
  _LABEL = "IPv6"
  loopback_cidr = "::1/128"
