"""QEMU Machine Protocol (QMP) client used by the KVM hypervisor.

Layer 3 (node side).  QMP is a line based JSON protocol spoken over the unix
socket qemu opens with ``-qmp unix:<path>,server=on,wait=off``: the server
greets with a ``{"QMP": ...}`` object, the client must send
``qmp_capabilities`` before anything else, then each ``{"execute": ...}``
gets exactly one ``{"return": ...}`` or ``{"error": ...}`` answer.
Asynchronous ``{"event": ...}`` messages may arrive at any time in between;
they are collected in L{QmpConnection.events} and otherwise ignored.

Only the standard library is used, so the module is easy to test against a
fake server as well as against a real qemu.
"""

import errno
import json
import os
import socket
import stat
from typing import Any, Dict, List, Optional

from ganeti import errors


#: Default time (seconds) to wait for one answer of qemu
DEFAULT_TIMEOUT = 10.0

#: Longest path a unix socket address may have (sun_path minus the NUL)
MAX_UNIX_PATH = 107


class QmpCommandError(errors.HypervisorError):
  """qemu answered a command with an error object.

  The error class qemu reported (``CommandNotFound``, ``GenericError`` ...)
  is kept in L{error_class}.

  """
  def __init__(self, command: str, error_class: str, desc: str):
    errors.HypervisorError.__init__(self, "QMP command '%s' failed: %s (%s)" %
                                    (command, desc, error_class))
    self.command = command
    self.error_class = error_class
    self.desc = desc


def CheckSocketPath(path: str) -> None:
  """Refuse a unix socket path the kernel cannot bind or connect to.

  @raise errors.HypervisorError: the path is too long

  """
  if len(os.fsencode(path)) > MAX_UNIX_PATH:
    raise errors.HypervisorError("Unix socket path %s is %d bytes long, more"
                                 " than the %d the kernel allows; use a"
                                 " shorter node root or instance name" %
                                 (path, len(os.fsencode(path)), MAX_UNIX_PATH))


class QmpConnection(object):
  """One connection to the QMP socket of a qemu process.

  Use as a context manager::

    with QmpConnection(path) as qmp:
      status = qmp.Execute("query-status")

  """
  def __init__(self, path: str, timeout: float = DEFAULT_TIMEOUT):
    self.path = path
    self.timeout = timeout
    self.greeting: Optional[Dict[str, Any]] = None
    self.events: List[Dict[str, Any]] = []
    self._sock: Optional[socket.socket] = None
    self._buf = b""

  def __enter__(self) -> "QmpConnection":
    self.Connect()
    return self

  def __exit__(self, *_) -> None:
    self.Close()

  def _CheckPath(self) -> None:
    try:
      st = os.stat(self.path)
    except OSError as err:
      if err.errno == errno.ENOENT:
        raise errors.HypervisorError("QMP socket %s does not exist (is the"
                                     " instance running?)" % self.path)
      raise errors.HypervisorError("Cannot check QMP socket %s: %s" %
                                   (self.path, err))
    if not stat.S_ISSOCK(st.st_mode):
      raise errors.HypervisorError("QMP path %s is not a socket" % self.path)

  def Connect(self) -> None:
    """Connect, read the greeting and negotiate capabilities.

    @raise errors.HypervisorError: socket missing, refused, or a peer that
        does not speak QMP

    """
    if self._sock is not None:
      raise errors.ProgrammerError("QMP connection to %s is already open" %
                                   self.path)
    CheckSocketPath(self.path)
    self._CheckPath()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(self.timeout)
    try:
      sock.connect(self.path)
    except OSError as err:
      sock.close()
      raise errors.HypervisorError("Cannot connect to QMP socket %s: %s" %
                                   (self.path, err))
    self._sock = sock
    try:
      greeting = self._Recv()
      if "QMP" not in greeting:
        raise errors.HypervisorError("Peer at %s is not a QMP server: it"
                                     " greeted with %r" % (self.path,
                                                           greeting))
      self.greeting = greeting["QMP"]
      self.Execute("qmp_capabilities")
    except BaseException:
      self.Close()
      raise

  def Close(self) -> None:
    """Close the connection (idempotent)."""
    if self._sock is not None:
      try:
        self._sock.close()
      finally:
        self._sock = None
        self._buf = b""

  def _Recv(self) -> Dict[str, Any]:
    """Return the next JSON object sent by qemu.

    """
    assert self._sock is not None
    while True:
      pos = self._buf.find(b"\n")
      if pos >= 0:
        line = self._buf[:pos].strip()
        self._buf = self._buf[pos + 1:]
        if not line:
          continue
        try:
          msg = json.loads(line.decode("utf-8"))
        except ValueError as err:
          raise errors.HypervisorError("Invalid QMP message from %s: %s"
                                       " (%r)" % (self.path, err, line))
        if not isinstance(msg, dict):
          raise errors.HypervisorError("QMP message from %s is not an"
                                       " object: %r" % (self.path, msg))
        return msg
      try:
        data = self._sock.recv(65536)
      except socket.timeout:
        raise errors.HypervisorError("Timeout (%.1fs) waiting for an answer"
                                     " on QMP socket %s" %
                                     (self.timeout, self.path))
      except OSError as err:
        raise errors.HypervisorError("Error reading QMP socket %s: %s" %
                                     (self.path, err))
      if not data:
        raise errors.HypervisorError("QMP socket %s closed by qemu" %
                                     self.path)
      self._buf += data

  def Execute(self, command: str,
              arguments: Optional[Dict[str, Any]] = None) -> Any:
    """Run one command and return the content of its ``return`` member.

    @raise QmpCommandError: qemu answered with an error
    @raise errors.HypervisorError: communication failure

    """
    if self._sock is None:
      raise errors.ProgrammerError("QMP connection to %s is not open" %
                                   self.path)
    msg: Dict[str, Any] = {"execute": command}
    if arguments:
      msg["arguments"] = arguments
    data = (json.dumps(msg) + "\n").encode("utf-8")
    try:
      self._sock.sendall(data)
    except OSError as err:
      if err.errno in (errno.EPIPE, errno.ECONNRESET):
        raise errors.HypervisorError("QMP socket %s closed by qemu (sending"
                                     " '%s')" % (self.path, command))
      raise errors.HypervisorError("Cannot send '%s' on QMP socket %s: %s" %
                                   (command, self.path, err))
    while True:
      answer = self._Recv()
      if "event" in answer:
        self.events.append(answer)
        continue
      if "error" in answer:
        err = answer["error"] or {}
        raise QmpCommandError(command, str(err.get("class", "?")),
                              str(err.get("desc", err)))
      if "return" in answer:
        return answer["return"]
      raise errors.HypervisorError("Unexpected QMP answer to '%s' on %s: %r" %
                                   (command, self.path, answer))


def Execute(path: str, command: str,
            arguments: Optional[Dict[str, Any]] = None,
            timeout: float = DEFAULT_TIMEOUT) -> Any:
  """Open a connection, run one command, close; return its result."""
  with QmpConnection(path, timeout=timeout) as qmp:
    return qmp.Execute(command, arguments)
