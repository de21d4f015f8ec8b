"""vcluster-setup: lay out a virtual cluster of N nodes in one directory.

Layer 6 (entry points).  Creates, in DIR, one node root per node
(``<prefix><i>.<domain>``, with its runtime directories, see ensure-dirs)
and in each a ``cmd`` script that runs a command as that node
(GANETI_ROOTDIR, GANETI_HOSTNAME and a PATH reaching this project's
daemons and scripts); a ``hosts`` file through which the node names and
the cluster name resolve (consecutive loopback addresses from the base
address, the cluster's master IP being the next free one); and the
``start-all``, ``stop-all``, ``restart-all`` and ``watcher-all`` scripts
acting on every node.  Re-running with the same arguments changes
nothing; a DIR holding anything else is refused.

This module must not change anything outside DIR (no /etc/hosts, no
addresses on interfaces: 127.0.0.0/8 needs none on Linux).
"""

import optparse
import os
import re
import signal
import stat
import sys
from typing import List, Optional, Tuple

from ganeti import constants
from ganeti import errors
from ganeti import netutils
from ganeti import pathutils
from ganeti import utils
from ganeti import vcluster
from ganeti.tools import ensure_dirs


DEFAULT_BASE_ADDRESS = "127.0.1.1"
DEFAULT_NAME_PREFIX = "node"
DEFAULT_DOMAIN = "vcluster.test"

#: Name (without domain) of the cluster's own entry in the hosts file
CLUSTER_SHORT_NAME = "cluster"

#: Scripts at the top of the cluster directory, acting on every node
_ALL_SCRIPTS = ("start-all", "stop-all", "restart-all", "watcher-all")

_LOOPBACK_NET = "127.0.0.0/8"

_LABEL_RE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?\Z")


def NodeNames(count: int, prefix: str, domain: str) -> List[str]:
  return ["%s%d.%s" % (prefix, i, domain) for i in range(1, count + 1)]


def Addresses(base: str, count: int) -> List[str]:
  """``count`` consecutive loopback addresses starting at ``base``.

  @raise errors.GenericError: base invalid or the range leaves 127.0.0.0/8

  """
  if not netutils.IP4Address.IsValid(base):
    raise errors.GenericError("Base address '%s' is not an IPv4 address" %
                              base)
  first = netutils.IP4Address.ToInt(base)
  result = []
  for offset in range(count):
    address = netutils.IP4Address.FromInt(first + offset)
    if not netutils.IP4Address.InNetwork(_LOOPBACK_NET, address) or \
        address.endswith(".255.255.255") or address == "127.0.0.0":
      raise errors.GenericError("Address range from %s for %d hosts leaves"
                                " the loopback network %s" %
                                (base, count, _LOOPBACK_NET))
    result.append(address)
  return result


def _CheckName(value: str, what: str) -> None:
  labels = value.split(".")
  if not value or not all(_LABEL_RE.match(label) for label in labels):
    raise errors.GenericError("Invalid %s '%s': use lower-case letters,"
                              " digits and '-' (dot-separated labels)" %
                              (what, value))


def ProjectPath() -> List[str]:
  """Directories the ``cmd`` script puts first on PATH, if they exist.

  The checkout's daemons/, scripts/ and tools/ (this package is installed
  in editable mode from lib/), then the interpreter's bin directory (the
  virtualenv), whose python3 thus runs the launchers.

  """
  lib_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  top = os.path.dirname(lib_dir)
  candidates = [os.path.join(top, name) for name in
                ("daemons", "scripts", "tools")]
  candidates.append(os.path.dirname(os.path.abspath(sys.executable)))
  result = []
  for path in candidates:
    if os.path.isdir(path) and path not in result:
      result.append(path)
  return result


def _CmdScript(node_root: str, node: str, path_dirs: List[str]) -> str:
  return """#!/bin/sh
# Runs a command as virtual node %(node)s (written by vcluster-setup)
if [ $# -lt 1 ]; then
  echo "Usage: $0 COMMAND [ARGS...]" >&2
  exit 1
fi
export %(rootvar)s=%(root)s
export %(hostvar)s=%(node_q)s
export PATH=%(path)s:"$PATH"
exec "$@"
""" % {
    "node": node,
    "rootvar": vcluster.ROOTDIR_ENVNAME,
    "hostvar": vcluster.HOSTNAME_ENVNAME,
    "root": utils.ShellQuote(node_root),
    "node_q": utils.ShellQuote(node),
    "path": utils.ShellQuote(":".join(path_dirs)),
    }


def _AllScript(name: str, cluster_dir: str, nodes: List[str]) -> str:
  quoted = " ".join(utils.ShellQuote(n) for n in nodes)
  if name == "start-all":
    body = 'run "Starting daemons" daemon-util start-all'
  elif name == "stop-all":
    body = 'run "Stopping daemons" daemon-util stop-all'
  elif name == "restart-all":
    body = ('run "Stopping daemons" daemon-util stop-all\n'
            'run "Starting daemons" daemon-util start-all')
  elif name == "watcher-all":
    body = 'run "Running the watcher" ganeti-watcher "$@"'
  else:
    raise errors.ProgrammerError("Unknown cluster script %r" % (name, ))
  return """#!/bin/sh
# %(name)s for the virtual cluster in %(dir)s (written by vcluster-setup)
dir=%(dir_q)s
rc=0
run() {
  what=$1
  shift
  for node in %(nodes)s; do
    echo "$what on $node"
    "$dir/$node/cmd" "$@" || rc=1
  done
}
%(body)s
exit $rc
""" % {"name": name, "dir": cluster_dir,
       "dir_q": utils.ShellQuote(cluster_dir), "nodes": quoted,
       "body": body}


def KillGuests(cluster_dir: str, _proc_dir: str = "/proc") -> List[int]:
  """Kill the virtual machines that the nodes below ``cluster_dir`` run.

  Stopping a node's daemons leaves its instances running, as on a real
  node; a virtual cluster that is thrown away must not leave its qemu
  processes behind.  They are found by their ``-pidfile`` argument, which
  lies below the node's root.

  @return: the process ids signalled

  """
  prefix = os.path.abspath(cluster_dir).rstrip("/") + "/"
  killed = []
  for entry in os.listdir(_proc_dir):
    if not entry.isdigit():
      continue
    try:
      with open(os.path.join(_proc_dir, entry, "cmdline"), "rb") as handle:
        argv = handle.read().decode("utf-8", "replace").split("\0")
    except EnvironmentError:
      continue
    pidfiles = [argv[idx + 1] for (idx, arg) in enumerate(argv[:-1])
                if arg == "-pidfile"]
    if pidfiles and pidfiles[0].startswith(prefix):
      try:
        os.kill(int(entry), signal.SIGKILL)
      except ProcessLookupError:
        continue
      killed.append(int(entry))
  return killed


def HostsContent(nodes: List[str], addresses: List[str],
                 cluster_name: str, cluster_ip: str) -> str:
  lines = ["# Virtual cluster hosts file (written by vcluster-setup)"]
  for (node, address) in zip(nodes, addresses):
    lines.append("%s %s %s" % (address, node, node.split(".")[0]))
  lines.append("%s %s %s" % (cluster_ip, cluster_name,
                             cluster_name.split(".")[0]))
  return "\n".join(lines) + "\n"


def _CheckClusterDir(cluster_dir: str, prefix: str, domain: str) -> None:
  """Refuses a directory holding anything vcluster-setup does not write."""
  if not os.path.exists(cluster_dir):
    return
  if not os.path.isdir(cluster_dir):
    raise errors.GenericError("%s exists and is not a directory" %
                              cluster_dir)
  node_re = re.compile(r"^%s\d+\.%s$" % (re.escape(prefix),
                                         re.escape(domain)))
  ours = set(_ALL_SCRIPTS) | set([vcluster.HOSTS_FILE_NAME])
  foreign = []
  for name in sorted(os.listdir(cluster_dir)):
    path = os.path.join(cluster_dir, name)
    if name in ours and os.path.isfile(path) and not os.path.islink(path):
      continue
    if node_re.match(name) and os.path.isdir(path) and \
        not os.path.islink(path):
      continue
    foreign.append(name)
  if foreign:
    raise errors.GenericError("Refusing to use %s: it holds entries that are"
                              " not part of a virtual cluster with prefix"
                              " '%s' and domain '%s': %s" %
                              (cluster_dir, prefix, domain,
                               ", ".join(foreign)))


def _WriteIfChanged(path: str, content: str, mode: int) -> bool:
  try:
    current = utils.ReadFile(path)
  except FileNotFoundError:
    current = None
  if current == content and \
      stat.S_IMODE(os.stat(path).st_mode) == mode:
    return False
  utils.WriteFile(path, data=content, mode=mode)
  return True


def SetupCluster(cluster_dir: str, count: int,
                 base_address: str = DEFAULT_BASE_ADDRESS,
                 prefix: str = DEFAULT_NAME_PREFIX,
                 domain: str = DEFAULT_DOMAIN
                 ) -> Tuple[List[str], List[str]]:
  """Creates (or completes) a virtual cluster layout in ``cluster_dir``.

  @return: (changes made, node names)
  @raise errors.GenericError: bad arguments or a foreign directory

  """
  if not os.path.isabs(cluster_dir):
    raise errors.GenericError("Cluster directory '%s' must be an absolute"
                              " path" % cluster_dir)
  cluster_dir = os.path.normpath(cluster_dir)
  if isinstance(count, bool) or not isinstance(count, int) or count < 1:
    raise errors.GenericError("Number of nodes must be a positive integer,"
                              " got %r" % (count, ))
  _CheckName(prefix, "node name prefix")
  _CheckName(domain, "domain")
  addresses = Addresses(base_address, count + 1)
  nodes = NodeNames(count, prefix, domain)
  cluster_name = "%s.%s" % (CLUSTER_SHORT_NAME, domain)
  _CheckClusterDir(cluster_dir, prefix, domain)

  changes = []
  if not os.path.isdir(cluster_dir):
    os.makedirs(cluster_dir, 0o755)
    changes.append("Created %s" % cluster_dir)

  hosts = os.path.join(cluster_dir, vcluster.HOSTS_FILE_NAME)
  if _WriteIfChanged(hosts, HostsContent(nodes, addresses[:count],
                                         cluster_name, addresses[count]),
                     0o644):
    changes.append("Wrote %s" % hosts)

  path_dirs = ProjectPath()
  for node in nodes:
    node_root = vcluster.MakeNodeRoot(cluster_dir, node)
    if not os.path.isdir(node_root):
      os.mkdir(node_root, 0o755)
      changes.append("Created node root %s" % node_root)
    paths = pathutils.ComputePaths(node_root)
    for line in ensure_dirs.EnsureDirs(ensure_dirs.GetPaths(paths)):
      changes.append("%s: %s" % (node, line))
    cmd = os.path.join(node_root, "cmd")
    if _WriteIfChanged(cmd, _CmdScript(node_root, node, path_dirs), 0o755):
      changes.append("Wrote %s" % cmd)

  for name in _ALL_SCRIPTS:
    script = os.path.join(cluster_dir, name)
    if _WriteIfChanged(script, _AllScript(name, cluster_dir, nodes), 0o755):
      changes.append("Wrote %s" % script)
  return (changes, nodes)


def _ParseOptions(argv):
  parser = optparse.OptionParser(
    usage="%prog [-a BASE_ADDRESS] [-n NAME_PREFIX] [-d DOMAIN] DIR N",
    prog="vcluster-setup",
    description="Creates a virtual cluster of N nodes in DIR")
  parser.add_option("-a", "--base-address", dest="base_address",
                    default=DEFAULT_BASE_ADDRESS,
                    help="Address of the first node (default %default)")
  parser.add_option("-n", "--name-prefix", dest="prefix",
                    default=DEFAULT_NAME_PREFIX,
                    help="Node name prefix (default %default)")
  parser.add_option("-d", "--domain", dest="domain", default=DEFAULT_DOMAIN,
                    help="Domain of the node names (default %default)")
  parser.add_option("-v", "--verbose", dest="verbose", action="store_true",
                    default=False, help="List every change")
  (options, args) = parser.parse_args(argv)
  if len(args) != 2:
    parser.error("expected DIR and N, got %d argument(s)" % len(args))
  try:
    count = int(args[1])
  except ValueError:
    parser.error("N must be a number, got '%s'" % args[1])
  return (options, os.path.abspath(args[0]), count)


def Main(argv: Optional[List[str]] = None) -> int:
  """Entry point of tools/vcluster-setup; returns the exit code."""
  (options, cluster_dir, count) = \
    _ParseOptions(sys.argv[1:] if argv is None else argv)
  try:
    (changes, nodes) = SetupCluster(cluster_dir, count,
                                    base_address=options.base_address,
                                    prefix=options.prefix,
                                    domain=options.domain)
  except (errors.GenericError, EnvironmentError) as err:
    sys.stderr.write("vcluster-setup: %s\n" % err)
    return constants.EXIT_FAILURE
  if options.verbose:
    for line in changes:
      sys.stdout.write("%s\n" % line)
  sys.stdout.write("Virtual cluster in %s: %d node(s): %s\n" %
                   (cluster_dir, len(nodes), ", ".join(nodes)))
  return constants.EXIT_SUCCESS
