"""LUXI: the local JSON protocol between clients and the master daemon.

Layer 4 (wire).  Messages are JSON texts ended by the ETX byte (0x03) on a
Unix stream socket: a request ``{"method", "args", "version"}`` gets one
response ``{"success", "result", "version"}``.  Failures carry Ganeti
errors as ``[class name, [args...]]`` and are re-raised on the client side
as the same class.  This module holds the framing, the message formats,
the client transport (connect and read timeouts, reconnection after the
master went away) and the `Client` with one method per LUXI call.

It must not know how the master answers a call (that is
ganeti.server.masterd) and must not import anything above the wire layer.
"""

import errno
import select
import socket
import threading
import time
from typing import Any, Callable, List, Optional, Tuple

from ganeti import constants
from ganeti import errors
from ganeti import opcodes
from ganeti import pathutils
from ganeti import serializer


KEY_METHOD = constants.LUXI_KEY_METHOD
KEY_ARGS = constants.LUXI_KEY_ARGS
KEY_SUCCESS = constants.LUXI_KEY_SUCCESS
KEY_RESULT = constants.LUXI_KEY_RESULT
KEY_VERSION = constants.LUXI_KEY_VERSION

REQ_SUBMIT_JOB = constants.LUXI_REQ_SUBMIT_JOB
REQ_SUBMIT_MANY_JOBS = constants.LUXI_REQ_SUBMIT_MANY_JOBS
REQ_WAIT_FOR_JOB_CHANGE = constants.LUXI_REQ_WAIT_FOR_JOB_CHANGE
REQ_CANCEL_JOB = constants.LUXI_REQ_CANCEL_JOB
REQ_ARCHIVE_JOB = constants.LUXI_REQ_ARCHIVE_JOB
REQ_AUTO_ARCHIVE_JOBS = constants.LUXI_REQ_AUTO_ARCHIVE_JOBS
REQ_QUERY = constants.LUXI_REQ_QUERY
REQ_QUERY_FIELDS = constants.LUXI_REQ_QUERY_FIELDS
REQ_QUERY_JOBS = constants.LUXI_REQ_QUERY_JOBS
REQ_QUERY_INSTANCES = constants.LUXI_REQ_QUERY_INSTANCES
REQ_QUERY_NODES = constants.LUXI_REQ_QUERY_NODES
REQ_QUERY_GROUPS = constants.LUXI_REQ_QUERY_GROUPS
REQ_QUERY_EXPORTS = constants.LUXI_REQ_QUERY_EXPORTS
REQ_QUERY_CONFIG_VALUES = constants.LUXI_REQ_QUERY_CONFIG_VALUES
REQ_QUERY_CLUSTER_INFO = constants.LUXI_REQ_QUERY_CLUSTER_INFO
REQ_QUERY_TAGS = constants.LUXI_REQ_QUERY_TAGS
REQ_SET_DRAIN_FLAG = constants.LUXI_REQ_SET_DRAIN_FLAG
REQ_SET_WATCHER_PAUSE = constants.LUXI_REQ_SET_WATCHER_PAUSE
REQ_ALL = constants.LUXI_REQ_ALL

#: The end-of-message byte
ETX = constants.LUXI_EOM.encode("ascii")

DEF_CTMO = constants.LUXI_DEF_CTMO
DEF_RWTO = constants.LUXI_DEF_RWTO
WFJC_TIMEOUT = constants.LUXI_WFJC_TIMEOUT

#: Largest request the master accepts; anything bigger is a broken or
#: hostile client (5000 jobs of a few opcodes stay far below this)
MAX_REQUEST_SIZE = 16 * 1024 * 1024

_RECV_SIZE = 65536


class ProtocolError(errors.LuxiError):
  """The peer broke the LUXI protocol (bad framing or message form)."""


class ConnectionClosedError(ProtocolError):
  """The connection was closed before a complete reply arrived."""


class TimeoutError(ProtocolError):  # pylint: disable=W0622
  """Connecting, sending or waiting for a reply took too long."""


class RequestError(ProtocolError):
  """The master refused a request with a non-Ganeti error message."""


class NoMasterError(ProtocolError):
  """No master daemon listens at the socket (missing or refused)."""


class PermissionError(ProtocolError):  # pylint: disable=W0622
  """The socket exists but we may not connect to it."""


class MessageTooLarge(ProtocolError):
  """A message grew beyond the size limit before its terminator came."""


# -- framing -----------------------------------------------------------------


class FrameBuffer:
  """Splits a byte stream into ETX-terminated messages.

  Bytes after the last terminator are kept for the next message, so one
  read may carry several messages and one message may span many reads.

  """
  def __init__(self, max_size: Optional[int] = None):
    """
    @param max_size: largest message (without terminator) accepted; None
        means no limit

    """
    self._buffer = bytearray()
    self._max_size = max_size

  def Feed(self, data: bytes) -> List[bytes]:
    """Add received bytes; return the messages they complete.

    @raise MessageTooLarge: an unterminated message passed the limit

    """
    self._buffer.extend(data)
    messages = []
    while True:
      pos = self._buffer.find(ETX)
      if pos < 0:
        break
      messages.append(bytes(self._buffer[:pos]))
      del self._buffer[:pos + 1]
    for msg in messages:
      self._CheckSize(len(msg))
    self._CheckSize(len(self._buffer))
    return messages

  def _CheckSize(self, size: int) -> None:
    if self._max_size is not None and size > self._max_size:
      raise MessageTooLarge("LUXI message too large: more than %d bytes"
                            " (limit %d bytes)" % (size, self._max_size))

  @property
  def pending(self) -> int:
    """Bytes received after the last complete message."""
    return len(self._buffer)


def EncodeMessage(text: str) -> bytes:
  """Turn a message text into its wire form (UTF-8 plus ETX).

  @raise ProtocolError: the text contains the terminator itself

  """
  if not isinstance(text, str):
    raise errors.ProgrammerError("LUXI messages are text, got %s" %
                                 type(text).__name__)
  data = text.encode("utf-8")
  if ETX in data:
    raise ProtocolError("Message contains the LUXI end-of-message byte"
                        " (0x03) and cannot be sent")
  return data + ETX


# -- message formats ---------------------------------------------------------


def _LoadMessage(msg: Any, what: str) -> dict:
  try:
    data = serializer.LoadJson(msg)
  except errors.ParseError as err:
    raise ProtocolError("Invalid LUXI %s: %s" % (what, err))
  if not isinstance(data, dict):
    raise ProtocolError("Invalid LUXI %s: expected a JSON object, got %s" %
                        (what, type(data).__name__))
  return data


def _CheckVersion(version: Any, what: str) -> None:
  if version is not None and (isinstance(version, bool) or
                              not isinstance(version, int)):
    raise ProtocolError("Invalid LUXI %s: version must be an integer, got"
                        " %r" % (what, version))


def ParseRequest(msg: Any) -> Tuple[str, list, Optional[int]]:
  """Parse a request text (str or bytes, without the terminator).

  @return: (method, args, version or None)
  @raise ProtocolError: not JSON, not an object, a missing or mistyped
      method or args (args must be a list), or a non-integer version

  """
  data = _LoadMessage(msg, "request")
  try:
    method = data[KEY_METHOD]
    args = data[KEY_ARGS]
  except KeyError as err:
    raise ProtocolError("Invalid LUXI request: key %s missing" % err)
  if not isinstance(method, str):
    raise ProtocolError("Invalid LUXI request: method must be a string, got"
                        " %r" % (method, ))
  if not isinstance(args, list):
    raise ProtocolError("Invalid LUXI request: invalid arguments type '%s'"
                        " (must be a list)" % type(args).__name__)
  version = data.get(KEY_VERSION, None)
  _CheckVersion(version, "request")
  return (method, args, version)


def ParseResponse(msg: Any) -> Tuple[bool, Any, Optional[int]]:
  """Parse a response text (str or bytes, without the terminator).

  @return: (success, result, version or None)
  @raise ProtocolError: not JSON, not an object, success or result missing,
      success not a boolean, or a non-integer version

  """
  data = _LoadMessage(msg, "response")
  if KEY_SUCCESS not in data or KEY_RESULT not in data:
    raise ProtocolError("Invalid LUXI response: it needs both '%s' and '%s',"
                        " got keys %s" % (KEY_SUCCESS, KEY_RESULT,
                                          ", ".join(sorted(data)) or "none"))
  success = data[KEY_SUCCESS]
  if not isinstance(success, bool):
    raise ProtocolError("Invalid LUXI response: '%s' must be a boolean, got"
                        " %r" % (KEY_SUCCESS, success))
  version = data.get(KEY_VERSION, None)
  _CheckVersion(version, "response")
  return (success, data[KEY_RESULT], version)


def FormatRequest(method: str, args: Any, version: Optional[int] = None) -> str:
  """Build a request text (without the terminator).

  @raise errors.ProgrammerError: method not a string or args not a list

  """
  if not isinstance(method, str) or not method:
    raise errors.ProgrammerError("LUXI method must be a non-empty string,"
                                 " got %r" % (method, ))
  if not isinstance(args, (list, tuple)):
    raise errors.ProgrammerError("LUXI arguments must be a list, got %s" %
                                 type(args).__name__)
  request = {KEY_METHOD: method, KEY_ARGS: list(args)}
  if version is not None:
    request[KEY_VERSION] = version
  return serializer.DumpJson(request)


def FormatResponse(success: bool, result: Any,
                   version: Optional[int] = None) -> str:
  """Build a response text (without the terminator)."""
  response = {KEY_SUCCESS: bool(success), KEY_RESULT: result}
  if version is not None:
    response[KEY_VERSION] = version
  return serializer.DumpJson(response)


def CallLuxiMethod(transport_cb: Callable[[str], Any], method: str, args: Any,
                   version: Optional[int] = None) -> Any:
  """Send one request through ``transport_cb`` and decode the answer.

  @param transport_cb: function sending a request text and returning the
      response text
  @return: the method's result
  @raise errors.LuxiError: the response carries another protocol version
  @raise errors.GenericError: (a subclass) the master raised that error
  @raise RequestError: the master failed with a non-Ganeti error

  """
  request = FormatRequest(method, args, version=version)
  response = transport_cb(request)
  (success, result, resp_version) = ParseResponse(response)
  if (version is not None and resp_version is not None and
      resp_version != version):
    raise errors.LuxiError("LUXI version mismatch, client %s, response %s" %
                           (version, resp_version))
  if success:
    return result
  errors.MaybeRaise(result)
  raise RequestError(result)


# -- client transport --------------------------------------------------------


class Transport:
  """One connection to a LUXI server.

  Connecting retries while the server's backlog is full (EAGAIN) until the
  connect timeout; a missing socket or a refused connection means there is
  no master.  Each `Call` must get its complete reply within the
  read/write timeout.

  """
  def __init__(self, address: str, timeouts: Optional[Tuple] = None,
               max_size: Optional[int] = None):
    """
    @param address: path of the Unix socket
    @param timeouts: (connect timeout, read/write timeout) in seconds
    @param max_size: refuse replies larger than this (None: no limit)
    @raise NoMasterError: nothing listens at address
    @raise PermissionError: connecting is not allowed
    @raise TimeoutError: the connection could not be made in time

    """
    if timeouts is None:
      timeouts = (DEF_CTMO, DEF_RWTO)
    (self._ctimeout, self._rwtimeout) = timeouts
    self.address = address
    self._frames = FrameBuffer(max_size=max_size)
    self._ready: List[bytes] = []
    self.socket: Optional[socket.socket] = None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
      self._Connect(sock)
    except BaseException:
      sock.close()
      raise
    self.socket = sock

  def _Connect(self, sock: socket.socket) -> None:
    deadline = time.monotonic() + self._ctimeout
    while True:
      remaining = deadline - time.monotonic()
      if remaining <= 0:
        raise TimeoutError("Connection to %s timed out after %s seconds" %
                           (self.address, self._ctimeout))
      sock.settimeout(remaining)
      try:
        sock.connect(self.address)
        return
      except socket.timeout:
        raise TimeoutError("Connection to %s timed out after %s seconds" %
                           (self.address, self._ctimeout))
      except OSError as err:
        if err.errno in (errno.ENOENT, errno.ECONNREFUSED):
          raise NoMasterError(self.address)
        if err.errno in (errno.EPERM, errno.EACCES):
          raise PermissionError(self.address)
        if err.errno != errno.EAGAIN:
          raise ProtocolError("Cannot connect to %s: %s" %
                              (self.address, err))
      # the backlog is full: the master is busy, try again shortly
      time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))

  def IsStale(self) -> bool:
    """Whether the server has closed this connection while it was idle."""
    if self.socket is None:
      return True
    try:
      (readable, _, _) = select.select([self.socket], [], [], 0)
    except (OSError, ValueError):
      return True
    # Readable while idle means EOF or unsolicited data: either way the
    # connection cannot carry a new request/reply pair.
    return bool(readable)

  def Send(self, msg: str) -> None:
    """Send one message (the terminator is added here).

    @raise ConnectionClosedError: the connection is gone
    @raise TimeoutError: the server did not take the data in time

    """
    data = EncodeMessage(msg)
    if self.socket is None:
      raise ConnectionClosedError("Connection to %s is closed" %
                                  (self.address, ))
    self.socket.settimeout(self._rwtimeout)
    try:
      self.socket.sendall(data)
    except socket.timeout:
      raise TimeoutError("Sending a request to %s timed out" %
                         (self.address, ))
    except OSError as err:
      raise ConnectionClosedError("Connection to %s lost while sending: %s" %
                                  (self.address, err))

  def Recv(self) -> str:
    """Wait for one complete message.

    @raise ConnectionClosedError: the server closed the connection first
    @raise TimeoutError: no complete message within the read timeout
    @raise MessageTooLarge: the reply exceeds the size limit

    """
    if self.socket is None:
      raise ConnectionClosedError("Connection to %s is closed" %
                                  (self.address, ))
    deadline = time.monotonic() + self._rwtimeout
    while not self._ready:
      remaining = deadline - time.monotonic()
      if remaining <= 0:
        raise TimeoutError("No complete reply from %s within %s seconds" %
                           (self.address, self._rwtimeout))
      self.socket.settimeout(remaining)
      try:
        data = self.socket.recv(_RECV_SIZE)
      except socket.timeout:
        raise TimeoutError("No complete reply from %s within %s seconds" %
                           (self.address, self._rwtimeout))
      except OSError as err:
        raise ConnectionClosedError("Connection to %s lost while reading: %s"
                                    % (self.address, err))
      if not data:
        raise ConnectionClosedError("Connection to %s closed by the server" %
                                    (self.address, ))
      self._ready.extend(self._frames.Feed(data))
    return self._ready.pop(0).decode("utf-8", "replace")

  def Call(self, msg: str) -> str:
    """Send a message and return the reply."""
    self.Send(msg)
    return self.Recv()

  def Close(self) -> None:
    """Close the connection (idempotent)."""
    if self.socket is not None:
      self.socket.close()
      self.socket = None


# -- client ------------------------------------------------------------------


def _JobIdToWire(job_id: Any) -> int:
  """Job ids are sent as integers; decimal strings are accepted too."""
  if isinstance(job_id, bool):
    raise errors.ParameterError("Invalid job ID %r: not a number" % (job_id, ))
  if isinstance(job_id, int) and job_id >= 0:
    return job_id
  if isinstance(job_id, str) and job_id.isdigit() and job_id.isascii():
    return int(job_id)
  raise errors.ParameterError("Invalid job ID %r: expected a non-negative"
                              " integer or decimal string" % (job_id, ))


def _OpToWire(op: Any) -> dict:
  """Opcodes travel as their ToDict() form; dicts are passed as given."""
  if isinstance(op, opcodes.OpCode):
    return op.ToDict()
  if isinstance(op, dict):
    return op
  raise errors.ProgrammerError("Opcodes must be OpCode objects or dicts,"
                               " got %r" % (op, ))


def _OpsToWire(ops: Any) -> list:
  if not isinstance(ops, (list, tuple)):
    raise errors.ProgrammerError("A job is a list of opcodes, got %r" %
                                 (ops, ))
  return [_OpToWire(op) for op in ops]


class Client:
  """A LUXI client, usually talking to the master daemon.

  The connection is made on the first call and kept.  A connection that the
  server closed while we were idle (a master restart) is replaced before
  the next request is sent; after a failure during a call the connection
  is dropped and the error raised, so a request is never sent twice.
  Calls are serialised, so one Client may be shared by threads.

  """
  def __init__(self, address: Optional[str] = None,
               timeouts: Optional[Tuple] = None,
               transport: Callable[..., Any] = Transport):
    """
    @param address: socket path; default pathutils.MASTER_SOCKET (read at
        connection time)
    @param timeouts: (connect, read/write) timeouts for the transport
    @param transport: transport class (tests may pass another)

    """
    self._address = address
    self._timeouts = timeouts
    self._transport_class = transport
    self._transport = None
    self._lock = threading.RLock()

  @property
  def address(self) -> str:
    if self._address is not None:
      return self._address
    return pathutils.MASTER_SOCKET

  def _InitTransport(self) -> None:
    if self._transport is not None:
      stale = getattr(self._transport, "IsStale", None)
      if stale is not None and stale():
        self._CloseTransport()
    if self._transport is None:
      self._transport = self._transport_class(self.address,
                                              timeouts=self._timeouts)

  def _CloseTransport(self) -> None:
    if self._transport is not None:
      try:
        self._transport.Close()
      finally:
        self._transport = None

  def Close(self) -> None:
    """Close the connection; the next call opens a new one."""
    with self._lock:
      self._CloseTransport()

  def _SendMethod(self, request: str) -> str:
    self._InitTransport()
    try:
      return self._transport.Call(request)
    except BaseException:
      # the stream state is unknown after any failure
      self._CloseTransport()
      raise

  def CallMethod(self, method: str, args: Any) -> Any:
    """Call a LUXI method and return its result (or raise its error)."""
    with self._lock:
      return CallLuxiMethod(self._SendMethod, method, args,
                            version=constants.LUXI_VERSION)

  # job submission and control

  def SetQueueDrainFlag(self, drain_flag: bool) -> Any:
    """Ganeti 2.6's name for SetDrainFlag."""
    return self.SetDrainFlag(drain_flag)

  def SetDrainFlag(self, drain_flag: bool) -> Any:
    return self.CallMethod(REQ_SET_DRAIN_FLAG, [drain_flag])

  def SetWatcherPause(self, until: Any) -> Any:
    return self.CallMethod(REQ_SET_WATCHER_PAUSE, [until])

  def SubmitJob(self, ops: Any) -> Any:
    return self.CallMethod(REQ_SUBMIT_JOB, [_OpsToWire(ops)])

  def SubmitManyJobs(self, jobs: Any) -> Any:
    if not isinstance(jobs, (list, tuple)):
      raise errors.ProgrammerError("SubmitManyJobs needs a list of jobs, got"
                                   " %r" % (jobs, ))
    return self.CallMethod(REQ_SUBMIT_MANY_JOBS,
                           [[_OpsToWire(ops) for ops in jobs]])

  def CancelJob(self, job_id: Any) -> Any:
    return self.CallMethod(REQ_CANCEL_JOB, [_JobIdToWire(job_id)])

  def ArchiveJob(self, job_id: Any) -> Any:
    return self.CallMethod(REQ_ARCHIVE_JOB, [_JobIdToWire(job_id)])

  def AutoArchiveJobs(self, age: Any) -> Any:
    # the server stops early so that the answer beats our read timeout
    timeout = (DEF_RWTO - 1) // 2
    return self.CallMethod(REQ_AUTO_ARCHIVE_JOBS, [age, timeout])

  def WaitForJobChangeOnce(self, job_id: Any, fields: Any,
                           prev_job_info: Any, prev_log_serial: Any,
                           timeout: Any = WFJC_TIMEOUT) -> Any:
    """Wait at most ``timeout`` (capped at WFJC_TIMEOUT) for a change.

    @return: [job_info, log_entries], constants.JOB_NOTCHANGED or None

    """
    timeout = min(timeout, WFJC_TIMEOUT)
    return self.CallMethod(REQ_WAIT_FOR_JOB_CHANGE,
                           [_JobIdToWire(job_id), fields, prev_job_info,
                            prev_log_serial, timeout])

  def WaitForJobChange(self, job_id: Any, fields: Any, prev_job_info: Any,
                       prev_log_serial: Any) -> Any:
    """Wait until the job changes, however long that takes."""
    while True:
      result = self.WaitForJobChangeOnce(job_id, fields, prev_job_info,
                                         prev_log_serial)
      if result != constants.JOB_NOTCHANGED:
        return result

  # queries

  def Query(self, what: str, fields: Any, qfilter: Any) -> Any:
    """Query2: returns {"fields": [...], "data": [[[status, value]...]...]}."""
    return self.CallMethod(REQ_QUERY, [what, fields, qfilter])

  def QueryFields(self, what: str, fields: Any) -> Any:
    return self.CallMethod(REQ_QUERY_FIELDS, [what, fields])

  def QueryJobs(self, job_ids: Any, fields: Any) -> Any:
    if job_ids is not None:
      job_ids = [_JobIdToWire(job_id) for job_id in job_ids]
    return self.CallMethod(REQ_QUERY_JOBS, [job_ids, fields])

  def QueryInstances(self, names: Any, fields: Any, use_locking: Any) -> Any:
    return self.CallMethod(REQ_QUERY_INSTANCES, [names, fields, use_locking])

  def QueryNodes(self, names: Any, fields: Any, use_locking: Any) -> Any:
    return self.CallMethod(REQ_QUERY_NODES, [names, fields, use_locking])

  def QueryGroups(self, names: Any, fields: Any, use_locking: Any) -> Any:
    return self.CallMethod(REQ_QUERY_GROUPS, [names, fields, use_locking])

  def QueryExports(self, nodes: Any, use_locking: Any) -> Any:
    return self.CallMethod(REQ_QUERY_EXPORTS, [nodes, use_locking])

  def QueryClusterInfo(self) -> Any:
    return self.CallMethod(REQ_QUERY_CLUSTER_INFO, [])

  def QueryConfigValues(self, fields: Any) -> Any:
    return self.CallMethod(REQ_QUERY_CONFIG_VALUES, [fields])

  def QueryTags(self, kind: str, name: Any) -> Any:
    return self.CallMethod(REQ_QUERY_TAGS, [kind, name])
