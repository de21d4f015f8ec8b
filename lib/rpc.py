"""Calling node daemons: the RPC runners and their results.

Layer 4 (wire).  A call goes to one node (``SINGLE`` calls) or to many at
once (``MULTI``) as ``POST https://<primary ip>:<noded port>/<call>`` with
a JSON list of the encoded arguments; all nodes of one call are contacted
in parallel on one pycurl multi handle, over connections kept open by the
runner's `http.client.HttpClientPool`, with the cluster certificate
(``pathutils.NODED_CERT_FILE``) on both ends.  Each node's answer becomes an
`RpcResult`; transport errors, HTTP errors and backend failures alike end
up in its ``fail_msg`` and are never raised.  Nodes flagged offline are not
contacted at all and answer ``offline`` at once (the 2.0 design).

`RpcRunner` finds nodes through the configuration (a ConfigWriter);
`BootstrapRunner` through ssconf, for callers without a configuration
(bootstrap, master voting, node-to-node calls).  Both get one
``call_<name>`` method per record of lib/rpc_defs.py.

This module must not import master-side modules (it receives the
ConfigWriter as an object), must not take cluster locks and must not
raise for a node's failure: callers decide what a failure means.
"""

import inspect
import logging
import os
import pwd
import grp
import threading
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from ganeti import constants
from ganeti import errors
from ganeti import netutils
from ganeti import objects
from ganeti import pathutils
from ganeti import rpc_defs
from ganeti import serializer
from ganeti import ssconf
from ganeti import vcluster
from ganeti.backend_files import PackFileData
from ganeti.http import client as http_client


#: fail_msg of nodes marked offline
OFFLINE_MSG = "Node is marked offline"

#: Headers of every RPC request (an empty Expect is added by the client)
_HEADERS = ["Content-Type: application/json"]

#: (name, primary IP or None, offline, why the IP is unknown)
_NodeTarget = Tuple[str, Optional[str], bool, Optional[str]]


class RpcResult(object):
  """One node's answer to one call.

  Built from the node's reply ``[success, payload_or_message]`` (``data``),
  or from a local failure (``failed``, with the reason in ``data``), or for
  an offline node.

  @ivar data: what was received (the raw reply), or the failure reason
  @ivar fail_msg: None on success, else why the call failed
  @ivar payload: the call's return value (None on failure)
  @ivar offline: the node is marked offline and was not contacted
  @ivar node: the node's name
  @ivar call: the call's name

  """
  def __init__(self, data=None, failed=False, offline=False, call=None,
               node=None):
    self.offline = offline
    self.call = call
    self.node = node
    self.data = data
    self.payload = None
    if offline:
      self.fail_msg = OFFLINE_MSG
    elif failed:
      self.fail_msg = self._EnsureErr(data)
    elif not isinstance(data, (list, tuple)) or len(data) != 2:
      self.fail_msg = ("Invalid result type from node %s for call %s: %s" %
                       (node, call, _Describe(data)))
    elif not data[0]:
      self.fail_msg = self._EnsureErr(data[1])
    else:
      self.fail_msg = None
      self.payload = data[1]

  @staticmethod
  def _EnsureErr(value) -> str:
    """A non-empty error text, whatever the failure was given as."""
    if value:
      return str(value)
    return "No error information"

  def Raise(self, msg, prereq=False, ecode=None):
    """Raise an error if the call failed, with the caller's context.

    @param msg: what the caller tried; the node's reason is appended as
        ``"<msg>: <fail_msg>"``.  When empty, the message names the call
        and the node.
    @param prereq: raise errors.OpPrereqError instead of errors.OpExecError
    @param ecode: error code of the exception (errors.ECODE_*)

    """
    if not self.fail_msg:
      return
    if msg:
      text = "%s: %s" % (msg, self.fail_msg)
    else:
      text = ("Call '%s' to node '%s' has failed: %s" %
              (self.call, self.node, self.fail_msg))
    if prereq:
      ecls = errors.OpPrereqError
    else:
      ecls = errors.OpExecError
    if ecode is None:
      raise ecls(text)
    raise ecls(text, ecode)

  def Warn(self, msg, feedback_fn):
    """Report a failure through ``feedback_fn`` instead of raising."""
    if not self.fail_msg:
      return
    feedback_fn("%s: %s" % (msg, self.fail_msg))

  def __repr__(self):
    return ("<RpcResult call=%s node=%s fail_msg=%r offline=%s>" %
            (self.call, self.node, self.fail_msg, self.offline))


def _Describe(value) -> str:
  text = repr(value)
  if len(text) > 80:
    text = text[:77] + "..."
  return "%s %s" % (type(value).__name__, text)


# Argument encoders (caller side), one per rpc_defs.ED_* encoding

def _VirtualPath(path) -> str:
  """A path of this node as the node daemons of the cluster expect it.

  In a virtual cluster paths below our node root travel in their
  node-independent form; other absolute paths (the cluster's shared hosts
  file) travel as they are.

  """
  if not isinstance(path, str) or not os.path.isabs(path):
    raise errors.ProgrammerError("RPC path argument must be an absolute"
                                 " path, got %r" % (path, ))
  if not vcluster.IsVirtualCluster():
    return path
  root = vcluster.GetRootDirectory().rstrip("/") + "/"
  if not os.path.normpath(path).startswith(root):
    return path
  return vcluster.MakeVirtualPath(path)


def _OwnerName(uid: int) -> object:
  try:
    return pwd.getpwuid(uid).pw_name
  except KeyError:
    return uid


def _GroupName(gid: int) -> object:
  try:
    return grp.getgrgid(gid).gr_name
  except KeyError:
    return gid


def _EncodeFileDetails(file_name) -> list:
  """Reads a local file for upload_file.

  @return: [path, packed data, mode, owner, group, atime, mtime]; owner and
      group by name (as Ganeti sends them), numeric when unnamed
  @raise errors.OpExecError: the file cannot be read

  """
  wire_name = _VirtualPath(file_name)
  try:
    with open(file_name, "rb") as handle:
      st = os.fstat(handle.fileno())
      data = handle.read()
  except EnvironmentError as err:
    raise errors.OpExecError("Cannot read %s to upload it: %s" %
                             (file_name, err)) from err
  return [wire_name, PackFileData(data), st.st_mode & 0o7777,
          _OwnerName(st.st_uid), _GroupName(st.st_gid), st.st_atime,
          st.st_mtime]


def _EncodeObjectDict(value):
  if isinstance(value, objects.ConfigObject):
    return value.ToDict()
  if isinstance(value, dict):
    return value
  raise errors.ProgrammerError("RPC argument must be a configuration object"
                               " or its dict, got %s" % _Describe(value))


def _EncodeObjectDictList(values) -> list:
  if isinstance(values, (str, dict)) or not isinstance(values,
                                                       (list, tuple)):
    raise errors.ProgrammerError("RPC argument must be a list of"
                                 " configuration objects, got %s" %
                                 _Describe(values))
  return [_EncodeObjectDict(value) for value in values]


def _EncodeBlockdevRename(devlist) -> list:
  if isinstance(devlist, (str, dict)) or not isinstance(devlist,
                                                        (list, tuple)):
    raise errors.ProgrammerError("RPC rename list must be a list of"
                                 " (disk, new unique id), got %s" %
                                 _Describe(devlist))
  result = []
  for entry in devlist:
    if not isinstance(entry, (list, tuple)) or len(entry) != 2 or \
        not isinstance(entry[1], (list, tuple)):
      raise errors.ProgrammerError("RPC rename entry must be (disk, new"
                                   " unique id), got %s" % _Describe(entry))
    result.append([_EncodeObjectDict(entry[0]), list(entry[1])])
  return result


def _EncodePathPairs(pairs) -> list:
  if isinstance(pairs, str) or not isinstance(pairs, (list, tuple)):
    raise errors.ProgrammerError("RPC rename list must be a list of"
                                 " (old, new) paths, got %s" %
                                 _Describe(pairs))
  result = []
  for pair in pairs:
    if not isinstance(pair, (list, tuple)) or len(pair) != 2:
      raise errors.ProgrammerError("RPC rename entry must be (old, new),"
                                   " got %s" % _Describe(pair))
    result.append([_VirtualPath(pair[0]), _VirtualPath(pair[1])])
  return result


_ENCODERS: Dict[str, Callable] = {
  rpc_defs.ED_OBJECT_DICT: _EncodeObjectDict,
  rpc_defs.ED_FILE_DETAILS: _EncodeFileDetails,
  rpc_defs.ED_COMPRESS: PackFileData,
  rpc_defs.ED_VIRT_PATH: _VirtualPath,
  rpc_defs.ED_VIRT_PATH_PAIRS: _EncodePathPairs,
  rpc_defs.ED_OBJECT_DICT_LIST: _EncodeObjectDictList,
  rpc_defs.ED_BLOCKDEV_RENAME: _EncodeBlockdevRename,
  }

if set(_ENCODERS) != rpc_defs.ENCODINGS:
  raise errors.ProgrammerError("rpc encoders do not match rpc_defs")


def EncodeArgs(cdef: rpc_defs.RpcCall, args: Sequence) -> list:
  """The wire form of a call's arguments (the JSON list's elements)."""
  if len(args) != len(cdef.args):
    raise errors.ProgrammerError("RPC call %s takes %d argument(s) (%s), got"
                                 " %d" % (cdef.name, len(cdef.args),
                                          ", ".join(a.name for a in
                                                    cdef.args), len(args)))
  encoded = []
  for (arg, value) in zip(cdef.args, args):
    if arg.encoding is None:
      encoded.append(value)
    else:
      encoded.append(_ENCODERS[arg.encoding](value))
  return encoded


# TLS set-up, cached per certificate file version

class _TlsConfigCache:
  """The curl TLS set-up for the current cluster certificate.

  Building a CurlTlsConfig reads and checks the certificate; it is rebuilt
  only when the file changes (renew-crypto), keyed by its stat data.

  """
  def __init__(self):
    self._lock = threading.Lock()
    self._key = None
    self._config = None

  def Get(self, cert_file: str) -> http_client.CurlTlsConfig:
    try:
      st = os.stat(cert_file)
    except OSError as err:
      raise errors.OpExecError("Cannot use the cluster certificate %s for"
                               " RPC: %s" % (cert_file, err)) from err
    key = (cert_file, st.st_ino, st.st_size, st.st_mtime_ns)
    with self._lock:
      if key != self._key:
        try:
          self._config = http_client.CurlTlsConfig(cert_file)
        except errors.GenericError as err:
          raise errors.OpExecError("Cannot use the cluster certificate %s"
                                   " for RPC: %s" % (cert_file, err)) from err
        self._key = key
      return self._config


# Node resolution

def _ResolveByName(name: str) -> _NodeTarget:
  """A node unknown to the caller's records: look its name up."""
  try:
    return (name, netutils.Hostname.GetIP(name), False, None)
  except errors.ResolverError as err:
    return (name, None, False,
            "Cannot resolve node name '%s': %s" % (name, err.args[-1]))


def _CheckName(name) -> None:
  if not isinstance(name, str) or not name:
    raise errors.ProgrammerError("RPC node name must be a non-empty string,"
                                 " got %r" % (name, ))


class _ConfigResolver:
  """Primary IPs and offline flags from a ConfigWriter."""

  def __init__(self, cfg):
    self._cfg = cfg

  def __call__(self, names: Sequence[str]) -> List[_NodeTarget]:
    infos = self._cfg.GetMultiNodeInfo(names)
    result = []
    for (name, info) in zip(names, [i for (_, i) in infos]):
      if info is None:
        result.append(_ResolveByName(name))
      else:
        result.append((name, info.primary_ip, bool(info.offline), None))
    return result


class _SsconfResolver:
  """Primary IPs and offline flags from this node's ssconf files."""

  def __call__(self, names: Sequence[str]) -> List[_NodeTarget]:
    store = ssconf.SimpleStore()
    ips = {}
    offline = frozenset()
    try:
      for line in store.GetNodePrimaryIPList():
        fields = line.split()
        if len(fields) == 2:
          ips[fields[0]] = fields[1]
    except errors.ConfigurationError as err:
      logging.debug("No ssconf primary IPs, resolving by name: %s", err)
    try:
      offline = frozenset(store.GetOfflineNodeList())
    except errors.ConfigurationError as err:
      logging.debug("No ssconf offline node list: %s", err)
    result = []
    for name in names:
      if name in ips:
        result.append((name, ips[name], name in offline, None))
      else:
        target = _ResolveByName(name)
        result.append((target[0], target[1], name in offline, target[3]))
    return result


# The runners

def _ErrorMessage(req) -> str:
  """The reason in a non-200 answer (noded's JSON error body)."""
  try:
    body = serializer.LoadJson(req.resp_body)
  except errors.ParseError:
    return req.resp_body.strip()[:200] or "empty body"
  if isinstance(body, dict) and body.get("message"):
    return str(body["message"])
  return _Describe(body)


class _RpcClientBase:
  """Sends calls and turns answers into RpcResults; see the module doc.

  The ``call_<name>`` methods are added to this class from rpc_defs.

  """
  def __init__(self, resolver, lock_monitor_cb=None, _req_process_fn=None,
               _port=None):
    self._resolver = resolver
    self._lock_monitor_cb = lock_monitor_cb
    self._pool = None
    if _req_process_fn is None:
      self._pool = http_client.HttpClientPool()
      _req_process_fn = self._pool.ProcessRequests
    self._req_process_fn = _req_process_fn
    if _port is None:
      _port = netutils.GetDaemonPort(constants.NODED)
    self._port = _port
    self._tls = _TlsConfigCache()

  def Close(self):
    """Close the kept connections (the runner can still be used)."""
    if self._pool is not None:
      self._pool.Close()
      self._pool = http_client.HttpClientPool()
      self._req_process_fn = self._pool.ProcessRequests

  def _Call(self, cdef: rpc_defs.RpcCall, node_list: Sequence[str],
            args: Sequence) -> Dict[str, RpcResult]:
    for name in node_list:
      _CheckName(name)
    targets = self._resolver(list(node_list))
    results = {}
    online = []
    for (name, address, offline, error) in targets:
      if offline:
        results[name] = RpcResult(offline=True, call=cdef.name, node=name)
      elif address is None:
        results[name] = RpcResult(data=error, failed=True, call=cdef.name,
                                  node=name)
      else:
        online.append((name, address))
    if not online:
      return results

    body = serializer.DumpJson(EncodeArgs(cdef, args))
    timeout = cdef.GetTimeout(args)
    tls = self._tls.Get(pathutils.NODED_CERT_FILE)
    requests = []
    for (name, address) in online:
      requests.append(http_client.HttpClientRequest(
        address, self._port, "POST", "/%s" % cdef.name, headers=_HEADERS,
        post_data=body, read_timeout=timeout, curl_config_fn=tls,
        nicename=name))
    self._req_process_fn(requests, lock_monitor_cb=self._lock_monitor_cb)
    for ((name, _), req) in zip(online, requests):
      results[name] = self._ProcessAnswer(cdef, name, req)
    return results

  @staticmethod
  def _ProcessAnswer(cdef: rpc_defs.RpcCall, name: str, req) -> RpcResult:
    if not req.success:
      msg = ("Error while contacting the node daemon of %s (%s:%s) for"
             " '%s': %s" % (name, req.host, req.port, cdef.name, req.error))
    elif req.resp_status_code != 200:
      msg = ("Node daemon of %s answered HTTP %s to '%s': %s" %
             (name, req.resp_status_code, cdef.name, _ErrorMessage(req)))
    else:
      try:
        data = serializer.LoadJson(req.resp_body)
      except errors.ParseError as err:
        msg = ("Invalid answer from the node daemon of %s to '%s': %s" %
               (name, cdef.name, err))
      else:
        result = RpcResult(data=data, call=cdef.name, node=name)
        if result.fail_msg is None and cdef.postproc is not None:
          try:
            result.payload = cdef.postproc(result.payload)
          except (TypeError, ValueError) as err:
            result = RpcResult(data="Malformed payload from %s for '%s':"
                               " %s" % (name, cdef.name, err), failed=True,
                               call=cdef.name, node=name)
        return result
    logging.error("RPC call %s to node %s failed: %s", cdef.name, name, msg)
    return RpcResult(data=msg, failed=True, call=cdef.name, node=name)


def _MakeCallMethod(cdef: rpc_defs.RpcCall):
  """A ``call_<name>`` method for one call record."""
  first = "node" if cdef.kind == rpc_defs.SINGLE else "node_list"
  params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY),
            inspect.Parameter(first,
                              inspect.Parameter.POSITIONAL_OR_KEYWORD)]
  params += [inspect.Parameter(arg.name,
                               inspect.Parameter.POSITIONAL_OR_KEYWORD)
             for arg in cdef.args]
  signature = inspect.Signature(params)

  def _Method(*args, **kwargs):
    try:
      bound = signature.bind(*args, **kwargs)
    except TypeError as err:
      raise errors.ProgrammerError("Bad arguments for RPC call %s: %s" %
                                   (cdef.name, err)) from err
    values = list(bound.arguments.values())
    (runner, nodes, call_args) = (values[0], values[1], values[2:])
    if cdef.kind == rpc_defs.SINGLE:
      _CheckName(nodes)
      return runner._Call(cdef, [nodes], call_args)[nodes]
    if isinstance(nodes, str) or not isinstance(nodes, (list, tuple, set,
                                                        frozenset)):
      raise errors.ProgrammerError("RPC call %s needs a list of node names,"
                                   " got %r" % (cdef.name, nodes))
    return runner._Call(cdef, list(nodes), call_args)

  _Method.__name__ = "call_%s" % cdef.name
  _Method.__qualname__ = "_RpcClientBase.call_%s" % cdef.name
  _Method.__signature__ = signature
  lines = ["%s (%s call, timeout %s)." %
           (cdef.description, cdef.kind,
            "computed" if callable(cdef.timeout) else "%ss" % cdef.timeout)]
  for arg in cdef.args:
    lines.append("@param %s: %s%s" % (arg.name, arg.description,
                                      " [%s]" % arg.encoding
                                      if arg.encoding else ""))
  if cdef.kind == rpc_defs.SINGLE:
    lines.append("@return: RpcResult")
  else:
    lines.append("@return: {node name: RpcResult}")
  _Method.__doc__ = "\n".join(lines)
  return _Method


for _cdef in rpc_defs.CALLS.values():
  setattr(_RpcClientBase, "call_%s" % _cdef.name, _MakeCallMethod(_cdef))
del _cdef


class RpcRunner(_RpcClientBase):
  """The master's runner: nodes are found in the configuration.

  A name that is not (yet) in the configuration, such as a node being
  added, is looked up with netutils.

  """
  def __init__(self, cfg, lock_monitor_cb=None, _req_process_fn=None,
               _port=None):
    if cfg is None:
      raise errors.ProgrammerError("RpcRunner needs a configuration; use"
                                   " BootstrapRunner without one")
    _RpcClientBase.__init__(self, _ConfigResolver(cfg),
                            lock_monitor_cb=lock_monitor_cb,
                            _req_process_fn=_req_process_fn, _port=_port)
    self._cfg = cfg


class BootstrapRunner(_RpcClientBase):
  """A runner for callers without a configuration.

  Nodes are found through this node's ssconf files (node_primary_ips,
  offline_nodes), names missing there through netutils.

  """
  def __init__(self, lock_monitor_cb=None, _req_process_fn=None,
               _port=None):
    _RpcClientBase.__init__(self, _SsconfResolver(),
                            lock_monitor_cb=lock_monitor_cb,
                            _req_process_fn=_req_process_fn, _port=_port)
