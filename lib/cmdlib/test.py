"""Logical units for testing: OP_TEST_DELAY and OP_TEST_JQUEUE.

Layer 5 (master side).  ``LUTestDelay`` sleeps on the master and/or on
nodes (holding their locks), the tool for exercising locks and the queue;
a negative duration makes it fail on purpose.  ``LUTestJqueue`` talks to a
test client (``gnt-debug test-jobqueue``) through ``jqueue-test`` log
entries: each entry carries the path of a unix socket the LU listens on,
and the LU waits until the client has connected and closed it.

This module must not change the configuration.
"""

import logging
import os
import shutil
import socket
import tempfile
import time

from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti.cmdlib import base
from ganeti.cmdlib import common


#: Notification kinds sent by LUTestJqueue (Ganeti's constants.JQT_*)
JQT_MSGPREFIX = constants.JQT_MSGPREFIX
JQT_EXPANDNAMES = constants.JQT_EXPANDNAMES
JQT_EXEC = constants.JQT_EXEC
JQT_LOGMSG = constants.JQT_LOGMSG
JQT_STARTMSG = constants.JQT_STARTMSG
JQT_ALL = constants.JQT_ALL


class LUTestDelay(base.NoHooksLU):
  """Sleep for a while, on the master and/or on nodes.

  """
  REQ_BGL = False

  def ExpandNames(self):
    self.needed_locks = {}
    if self.op.on_nodes:
      self.op.on_nodes = common.GetWantedNodes(self, self.op.on_nodes)
      self.needed_locks[locking.LEVEL_NODE] = list(self.op.on_nodes)

  def _TestDelay(self):
    if self.op.duration < 0:
      raise errors.OpExecError("Invalid sleep duration %s: negative"
                               " durations make the test delay fail on"
                               " purpose" % (self.op.duration, ))
    if self.op.on_master:
      time.sleep(self.op.duration)
    if self.op.on_nodes:
      result = self.rpc.call_test_delay(self.op.on_nodes, self.op.duration)
      for node in self.op.on_nodes:
        node_result = result.get(node)
        if node_result is None:
          raise errors.OpExecError("Failure during rpc call to node %s: no"
                                   " answer" % node)
        node_result.Raise("Failure during rpc call to node %s" % node)

  def Exec(self, feedback_fn):
    if self.op.repeat == 0:
      self._TestDelay()
    else:
      top_value = self.op.repeat - 1
      for idx in range(self.op.repeat):
        self.LogInfo("Test delay iteration %d/%d", idx, top_value)
        self._TestDelay()


class LUTestJqueue(base.NoHooksLU):
  """Exercise the job queue's notification and logging paths.

  """
  REQ_BGL = False

  #: seconds the test client has to connect to a notification socket
  CLIENT_CONNECT_TIMEOUT = 20.0
  #: seconds the test client has to confirm (close the connection)
  CLIENT_CONFIRM_TIMEOUT = 60.0

  @classmethod
  def _NotifyUsingSocket(cls, send_fn, errcls):
    """Publish a fresh socket with ``send_fn`` and wait for the client.

    The client confirms by connecting and then closing the connection (or
    sending a byte).

    """
    tmpdir = tempfile.mkdtemp(prefix="ganeti-jqtest-")
    try:
      sock_path = os.path.join(tmpdir, "sock")
      logging.debug("Creating job queue test socket at %s", sock_path)
      listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
      try:
        listener.bind(sock_path)
        listener.listen(1)
        send_fn(sock_path)
        listener.settimeout(cls.CLIENT_CONNECT_TIMEOUT)
        try:
          (conn, _) = listener.accept()
        except OSError as err:
          raise errcls("Test client did not connect to %s within %s"
                       " seconds (%s)" %
                       (sock_path, cls.CLIENT_CONNECT_TIMEOUT, err))
      finally:
        listener.close()
    finally:
      shutil.rmtree(tmpdir, ignore_errors=True)

    try:
      conn.settimeout(cls.CLIENT_CONFIRM_TIMEOUT)
      try:
        conn.recv(1)
      except OSError as err:
        raise errcls("Test client failed to confirm the notification within"
                     " %s seconds (%s)" % (cls.CLIENT_CONFIRM_TIMEOUT, err))
    finally:
      conn.close()

  def _SendNotification(self, test, arg, sock_path):
    self.Log(constants.ELOG_JQUEUE_TEST, (sock_path, test, arg))

  def _Notify(self, prereq, test, arg):
    if prereq:
      errcls = errors.OpPrereqError
    else:
      errcls = errors.OpExecError
    return self._NotifyUsingSocket(
      lambda sock_path: self._SendNotification(test, arg, sock_path), errcls)

  def CheckArguments(self):
    self.checkargs_calls = getattr(self, "checkargs_calls", 0) + 1
    self.expandnames_calls = 0

  def ExpandNames(self):
    # mcpu must call the phases in order; this LU exists to notice if not
    if getattr(self, "checkargs_calls", 0) < 1:
      raise errors.ProgrammerError("CheckArguments was not called before"
                                   " ExpandNames")
    self.expandnames_calls += 1
    if self.op.notify_waitlock:
      self._Notify(True, JQT_EXPANDNAMES, None)
    self.LogInfo("Expanding names")
    # a lock on the master node, only to make the job wait for a lock
    self.needed_locks = {
      locking.LEVEL_NODE: [self.cfg.GetMasterNode()],
      }

  def Exec(self, feedback_fn):
    if self.expandnames_calls < 1:
      raise errors.ProgrammerError("ExpandNames was not called before Exec")
    if self.op.notify_exec:
      self._Notify(False, JQT_EXEC, None)
    self.LogInfo("Executing")
    if self.op.log_messages:
      self._Notify(False, JQT_STARTMSG, len(self.op.log_messages))
      for (idx, msg) in enumerate(self.op.log_messages):
        self.LogInfo("Sending log message %s", idx + 1)
        feedback_fn(JQT_MSGPREFIX + msg)
        # tell the client how many test messages it should have by now
        self._Notify(False, JQT_LOGMSG, idx + 1)
    if self.op.fail:
      raise errors.OpExecError("Opcode failure was requested")
    return True
