"""ganeti-noded: the node daemon, answering the master's RPC calls.

Layer 6 (entry).  Serves ``POST /<call name>`` over HTTPS (the cluster
certificate ``server.pem`` on both ends: a client without it fails the TLS
handshake) with a JSON list of arguments as body, and answers
``[true, payload]`` or ``[false, reason]``.  The calls are those of
lib/rpc_defs.py; each runs the backend function its record names, with the
arguments spread as the record's encodings say.  Unknown calls get a 404,
malformed bodies a 400, oversized ones a 413 (JSON error bodies from the
HTTP server), and the daemon keeps serving.  A backend failure (RPCFail or
any other exception, whose traceback is logged) is a ``[false, reason]``
answer.  A QuitGanetiException (leave_cluster) is answered, then the
daemon shuts down cleanly.

Flags: the common daemon ones plus ``--no-mlock`` (by default the daemon
locks itself in RAM with mlockall, so it keeps answering when the node's
disks fail).  On a virtual node the daemon binds the node's own primary
address (ssconf node_primary_ips, else the cluster's hosts file) unless
``-b`` is given, so several virtual nodes share the port; a physical node
binds the address of the common flags' default (0.0.0.0 or ::).  Logs go to
the node daemon's own file, falling back to /dev/console when it cannot be
written (2.1 design).

This module must not implement node operations itself (the backend does)
and must not know about the configuration or the job queue.
"""

import logging
import optparse
import sys
from typing import Callable, Dict, List, Optional, Tuple

from ganeti import backend
from ganeti import constants
from ganeti import errors
from ganeti import http
from ganeti import netutils
from ganeti import rpc_defs
from ganeti import serializer
from ganeti import ssconf
from ganeti import utils
from ganeti import vcluster
from ganeti import pathutils
from ganeti.http import server as http_server
from ganeti.server import daemon


#: Largest request body accepted (config.data and job files are far
#: smaller; the limit stops a broken or hostile client from exhausting RAM)
MAX_BODY_SIZE = 64 * 1024 * 1024

#: Connections served at the same time
MAX_CLIENTS = 64

#: Seconds a shutdown waits for calls in progress
STOP_TIMEOUT = 10.0

#: Methods accepted for calls (Ganeti 2.6 takes PUT as well as POST)
_METHODS = frozenset([http.HTTP_POST, http.HTTP_PUT])

_Dispatch = Dict[str, Tuple[rpc_defs.RpcCall, Callable]]


def BuildDispatch(_backend=backend) -> _Dispatch:
  """Call name -> (record, backend function), from rpc_defs.

  @raise errors.ProgrammerError: a record names a missing backend function

  """
  result = {}
  for (name, cdef) in rpc_defs.CALLS.items():
    fn = getattr(_backend, cdef.backend_fn, None)
    if not callable(fn):
      raise errors.ProgrammerError("RPC call %s needs backend function %s,"
                                   " which does not exist" %
                                   (name, cdef.backend_fn))
    result[name] = (cdef, fn)
  return result


def DecodeArgs(cdef: rpc_defs.RpcCall, body) -> List:
  """The backend function's arguments from a request body's JSON value.

  @raise http.HttpBadRequest: not a list, wrong number of arguments, or a
      spread argument of the wrong shape

  """
  if not isinstance(body, list):
    raise http.HttpBadRequest("Body of call '%s' must be a JSON list of %d"
                              " argument(s), got %s" %
                              (cdef.name, len(cdef.args),
                               type(body).__name__))
  if len(body) != len(cdef.args):
    raise http.HttpBadRequest("Call '%s' takes %d argument(s) (%s), got %d" %
                              (cdef.name, len(cdef.args),
                               ", ".join(a.name for a in cdef.args),
                               len(body)))
  args = []
  for (arg, value) in zip(cdef.args, body):
    if arg.encoding in rpc_defs.SPREAD_ENCODINGS:
      if not isinstance(value, list):
        raise http.HttpBadRequest("Argument '%s' of call '%s' must be a"
                                  " list, got %s" % (arg.name, cdef.name,
                                                     type(value).__name__))
      args.extend(value)
    else:
      args.append(value)
  return args


class NodeRequestHandler:
  """Runs one RPC request (see the module docstring).

  @param quit_fn: called (from the handler thread) when a call asks the
      daemon to quit; the answer is still sent

  """
  def __init__(self, quit_fn: Optional[Callable[[], None]] = None,
               _backend=backend):
    self._dispatch = BuildDispatch(_backend)
    self._quit_fn = quit_fn

  def HandleRequest(self, req):
    if req.method not in _METHODS:
      raise http.HttpBadRequest("Method %s is not supported for RPC calls,"
                                " use POST" % req.method)
    name = req.path[1:] if req.path.startswith("/") else req.path
    entry = self._dispatch.get(name)
    if entry is None:
      raise http.HttpNotFound("Unknown RPC call '%s'" % name)
    (cdef, fn) = entry
    if not req.body:
      raise http.HttpBadRequest("Call '%s' needs a JSON list of arguments"
                                " as body, got an empty body" % name)
    args = DecodeArgs(cdef, req.ReadJson())
    answer = self._Execute(name, fn, args)
    try:
      return serializer.DumpJson(answer)
    except (TypeError, ValueError, errors.ProgrammerError) as err:
      logging.exception("Cannot encode the result of RPC call %s", name)
      return serializer.DumpJson([False, "Cannot encode the result of %s"
                                  " as JSON: %s" % (name, err)])

  def _Execute(self, name: str, fn: Callable, args: List) -> list:
    """Run the backend function; the [success, payload/reason] answer."""
    logging.debug("RPC call %s", name)
    try:
      return [True, fn(*args)]
    except backend.RPCFail as err:
      # the backend has logged the reason; keep where it came from too
      logging.debug("RPC call %s failed", name, exc_info=True)
      return [False, str(err)]
    except errors.QuitGanetiException as err:
      logging.info("RPC call %s asks the node daemon to shut down: %s",
                   name, err.args)
      if self._quit_fn is not None:
        self._quit_fn()
      if len(err.args) == 2:
        return [bool(err.args[0]), err.args[1]]
      return [True, None]
    except Exception as err:  # pylint: disable=W0703
      # Request boundary: report the failure, keep serving
      logging.exception("Error in RPC call %s", name)
      return [False, "Error while executing backend function %s: %s: %s" %
              (name, err.__class__.__name__, err)]


def CreateServer(address: str, port: int,
                 ssl_params: Optional[http.HttpSslParams],
                 quit_fn: Optional[Callable[[], None]] = None
                 ) -> http_server.HttpServer:
  """A node daemon HTTP(S) server (not started)."""
  return http_server.HttpServer(
    address, port, NodeRequestHandler(quit_fn=quit_fn),
    ssl_params=ssl_params, ssl_verify_peer=ssl_params is not None,
    max_clients=MAX_CLIENTS, max_body_size=MAX_BODY_SIZE, name="noded")


# Command line

def _HasBindOption(argv: List[str]) -> bool:
  for arg in argv:
    if arg.startswith("-b") or arg == "--bind" or arg.startswith("--bind="):
      return True
  return False


def VirtualNodeAddress() -> str:
  """The primary address of this virtual node.

  @raise errors.GenericError: the address cannot be found

  """
  name = vcluster.GetHostname()
  try:
    for line in ssconf.SimpleStore().GetNodePrimaryIPList():
      fields = line.split()
      if len(fields) == 2 and fields[0] == name:
        return fields[1]
  except errors.ConfigurationError:
    # a node not yet in a cluster has no ssconf: the hosts file knows it
    pass
  try:
    return netutils.Hostname.GetIP(name)
  except errors.ResolverError as err:
    raise errors.GenericError("Cannot find the address of virtual node %s"
                              " (neither in ssconf nor in %s): %s" %
                              (name, vcluster.GetHostsFile(), err.args[-1]))


def _CheckNoded(_options, _args):
  """Nothing beyond the common checks (kept for GenericMain's contract)."""


def _PrepNoded(options, _args):
  if options.mlock:
    try:
      utils.Mlockall()
    except errors.NoCtypesError as err:
      logging.warning("Running without memory lock: %s", err)
  ssl_params = None
  if options.ssl:
    ssl_params = http.HttpSslParams(ssl_key_path=options.ssl_key,
                                    ssl_cert_path=options.ssl_cert)
  mainloop = daemon.Mainloop()
  server = CreateServer(options.bind_address, options.port, ssl_params,
                        quit_fn=lambda: mainloop.RequestStop("leave_cluster"))
  server.Start()
  logging.info("Node daemon listening on %s port %s%s", server.address,
               server.port, "" if ssl_params else " (no SSL)")
  return (mainloop, server)


def _ExecNoded(_options, _args, prepared):
  (mainloop, server) = prepared
  try:
    mainloop.Run()
  finally:
    if not server.Stop(timeout=STOP_TIMEOUT):
      logging.warning("Some RPC calls were still running at shutdown")
    mainloop.Close()


def Main(argv: Optional[List[str]] = None) -> int:
  """Entry point of daemons/ganeti-noded; returns the exit code."""
  if argv is None:
    argv = sys.argv[1:]
  argv = list(argv)
  if vcluster.IsVirtualCluster() and not _HasBindOption(argv):
    try:
      argv = ["-b", VirtualNodeAddress()] + argv
    except errors.GenericError as err:
      sys.stderr.write("ganeti-noded: %s\n" % err)
      return constants.EXIT_FAILURE
  parser = optparse.OptionParser(
    description="Ganeti node daemon", usage="%prog [-f] [-d] [-b ADDRESS]"
    " [-p PORT] [--no-mlock]", version="%%prog (ganeti) %s" %
    constants.RELEASE_VERSION)
  parser.add_option("--no-mlock", dest="mlock", action="store_false",
                    default=True, help="Do not lock the node daemon's"
                    " memory into RAM")
  return daemon.GenericMain(constants.NODED, parser, _CheckNoded, _PrepNoded,
                            _ExecNoded, multithreaded=True,
                            console_logging=True,
                            default_ssl_cert=pathutils.NODED_CERT_FILE,
                            default_ssl_key=pathutils.NODED_CERT_FILE,
                            argv=argv)
