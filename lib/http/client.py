"""HTTP(S) client on pycurl: many requests in parallel, connections reused.

Layer 4 (wire). The master's RPC runner sends one call to many nodes at
once: ``ProcessRequests`` puts every ``HttpClientRequest`` on one pycurl
multi handle and waits until all have finished or timed out; each request
then carries its outcome (``success``, ``error``, ``resp_status_code``,
``resp_body``). Each request has a connect timeout and a total timeout.

Connection reuse: libcurl keeps open connections in the cache of the multi
handle that ran them. An ``HttpClientPool`` keeps multi handles (with their
easy handles) between calls, one per caller at a time, so the next call
from any thread finds open, already authenticated connections to the same
(host, port) pairs. Without a pool, a call uses a private multi handle and
closes its connections at the end.

TLS for node RPC is set up by ``CurlTlsConfig``: the cluster certificate
as client certificate, and the server's certificate verified against the
cluster certificate and pinned to its public key (host names are not
checked: every node presents the same self-signed certificate).

This module must not know about RPC procedures, node names or the
configuration; callers build the requests.
"""

import base64
import hashlib
import io
import logging
import threading

import pycurl

from cryptography.hazmat.primitives import serialization

from ganeti import constants
from ganeti import errors
from ganeti import http
from ganeti import utils


#: Seconds to establish a connection (TCP and TLS)
DEFAULT_CONNECT_TIMEOUT = constants.RPC_CONNECT_TIMEOUT
#: Seconds for a whole request when the caller gives no timeout
DEFAULT_READ_TIMEOUT = constants.RPC_TMO_NORMAL
#: Connections idle longer than this are not reused; kept below the
#: server's keep-alive timeout so the client gives up a connection first
DEFAULT_MAX_CONNECTION_AGE = 50
#: Open connections kept per multi handle
DEFAULT_MAX_CONNECTIONS = 256
#: Multi handles (with their connections) a pool keeps while unused
DEFAULT_MAX_IDLE_SLOTS = 16

# Longest wait inside the multi loop; libcurl usually asks for less
_MAX_SELECT_WAIT = 1.0


def _CheckTimeout(name, value):
  if value is None:
    return
  if isinstance(value, bool) or not isinstance(value, (int, float)) or \
     value <= 0:
    raise errors.ProgrammerError("HTTP client %s must be a positive number"
                                 " of seconds, got %r" % (name, value))


class HttpClientRequest:
  """One HTTP request and, after processing, its outcome.

  @ivar success: True when an HTTP response was received (whatever its
      status), False on a transport error (connect, TLS, timeout)
  @ivar error: the transport error message, or None
  @ivar resp_status_code: HTTP status of the response (None if none)
  @ivar resp_body: response body decoded as UTF-8 (invalid bytes replaced)
  @ivar resp_body_raw: response body as bytes

  """
  def __init__(self, host, port, method, path, headers=None, post_data=None,
               read_timeout=None, curl_config_fn=None, nicename=None,
               completion_cb=None, connect_timeout=DEFAULT_CONNECT_TIMEOUT,
               scheme="https"):
    """Describe a request.

    @param host: IP address or host name
    @param port: TCP port
    @param method: HTTP method, e.g. "POST"
    @param path: absolute path (with query string if wanted)
    @param headers: list of "Name: value" strings, or a dict
    @param post_data: body (str or bytes); sent with every method, empty
        when None
    @param read_timeout: seconds for the whole request (default
        L{DEFAULT_READ_TIMEOUT})
    @param curl_config_fn: called with the curl handle after the standard
        options, e.g. a L{CurlTlsConfig}
    @param nicename: name of the target for logs and lock information
        (e.g. the node name); the host when None
    @param completion_cb: called with the request when it has finished
    @param scheme: "https" or "http"

    """
    if not isinstance(host, str) or not host:
      raise errors.ProgrammerError("HTTP request host must be a non-empty"
                                   " string, got %r" % (host, ))
    if isinstance(port, bool) or not isinstance(port, int) or \
       not 0 < port < 65536:
      raise errors.ProgrammerError("HTTP request port must be an integer in"
                                   " 1..65535, got %r" % (port, ))
    if not isinstance(method, str) or not method or not method.isalpha():
      raise errors.ProgrammerError("HTTP request method must be a word such"
                                   " as POST, got %r" % (method, ))
    if not isinstance(path, str) or not path.startswith("/"):
      raise errors.ProgrammerError("HTTP request path must start with '/',"
                                   " got %r" % (path, ))
    if scheme not in ("http", "https"):
      raise errors.ProgrammerError("HTTP request scheme must be 'http' or"
                                   " 'https', got %r" % (scheme, ))
    _CheckTimeout("read_timeout", read_timeout)
    _CheckTimeout("connect_timeout", connect_timeout)
    if curl_config_fn is not None and not callable(curl_config_fn):
      raise errors.ProgrammerError("curl_config_fn must be callable, got %r"
                                   % (curl_config_fn, ))
    if completion_cb is not None and not callable(completion_cb):
      raise errors.ProgrammerError("completion_cb must be callable, got %r"
                                   % (completion_cb, ))

    if headers is None:
      headers = []
    elif isinstance(headers, dict):
      headers = ["%s: %s" % (name, value) for (name, value) in
                 headers.items()]
    else:
      headers = list(headers)
    for header in headers:
      if not isinstance(header, str) or ":" not in header or \
         "\n" in header or "\r" in header:
        raise errors.ProgrammerError("HTTP request header must be a"
                                     " 'Name: value' line, got %r"
                                     % (header, ))
    if post_data is None:
      post_data = b""
    elif isinstance(post_data, str):
      post_data = post_data.encode("utf-8")
    elif isinstance(post_data, (bytearray, memoryview)):
      post_data = bytes(post_data)
    elif not isinstance(post_data, bytes):
      raise errors.ProgrammerError("HTTP request body must be str or bytes,"
                                   " got %s" % type(post_data).__name__)

    self.host = host
    self.port = port
    self.method = method.upper()
    self.path = path
    self.headers = headers
    self.post_data = post_data
    self.read_timeout = (DEFAULT_READ_TIMEOUT if read_timeout is None
                         else read_timeout)
    self.connect_timeout = connect_timeout
    self.curl_config_fn = curl_config_fn
    self.nicename = nicename
    self.completion_cb = completion_cb
    self.scheme = scheme

    self.success = None
    self.error = None
    self.resp_status_code = None
    self.resp_body = None
    self.resp_body_raw = None

  @property
  def url(self):
    """The full URL of the request."""
    host = self.host
    if ":" in host and not host.startswith("["):
      host = "[%s]" % host
    return "%s://%s:%d%s" % (self.scheme, host, self.port, self.path)

  def __repr__(self):
    status = ("pending" if self.success is None else
              "status %s" % self.resp_status_code if self.success else
              "failed: %s" % self.error)
    return "<HttpClientRequest %s %s (%s)>" % (self.method, self.url, status)


def _PublicKeyPin(cert):
  """curl's pinned-public-key form ("sha256//BASE64") for a certificate."""
  spki = cert.public_key().public_bytes(
    serialization.Encoding.DER,
    serialization.PublicFormat.SubjectPublicKeyInfo)
  return "sha256//" + base64.b64encode(hashlib.sha256(spki).digest()) \
    .decode("ascii")


class CurlTlsConfig:
  """A ``curl_config_fn`` for HTTPS between nodes (or to RAPI).

  @param cert_file: PEM file with our client certificate (None: send no
      certificate)
  @param key_file: PEM file with its key (default: cert_file, as in
      Ganeti's server.pem)
  @param ca_file: certificate(s) the server's certificate must verify
      against (default: cert_file, the cluster certificate)
  @param verify_peer: check the server certificate at all
  @param pin_peer: also require the server's public key to be the one in
      ca_file, so only the cluster certificate itself is accepted

  """
  def __init__(self, cert_file, key_file=None, ca_file=None,
               verify_peer=True, pin_peer=True):
    if key_file is None:
      key_file = cert_file
    if ca_file is None:
      ca_file = cert_file
    if cert_file is not None:
      # Checks both files and that they fit together; clear errors now
      # rather than an obscure curl error per request later
      http.HttpSslParams(key_file, cert_file)
    self.cert_file = cert_file
    self.key_file = key_file
    self.ca_file = ca_file
    self.verify_peer = verify_peer
    self.pin = None
    if verify_peer:
      if ca_file is None:
        raise errors.ProgrammerError("Verifying the server certificate needs"
                                     " a ca_file (or a cert_file)")
      ca_cert = utils.LoadX509CertificateFile(ca_file)
      if pin_peer:
        self.pin = _PublicKeyPin(ca_cert)

  def __call__(self, curl):
    if self.cert_file is not None:
      curl.setopt(pycurl.SSLCERTTYPE, "PEM")
      curl.setopt(pycurl.SSLCERT, self.cert_file)
      curl.setopt(pycurl.SSLKEYTYPE, "PEM")
      curl.setopt(pycurl.SSLKEY, self.key_file)
    if self.verify_peer:
      curl.setopt(pycurl.SSL_VERIFYPEER, 1)
      curl.setopt(pycurl.CAINFO, self.ca_file)
      if self.pin:
        curl.setopt(pycurl.PINNEDPUBLICKEY, self.pin)
    else:
      curl.setopt(pycurl.SSL_VERIFYPEER, 0)
    # All nodes share one self-signed certificate: names cannot match
    curl.setopt(pycurl.SSL_VERIFYHOST, 0)


class _PendingRequest:
  """A request on a curl handle, collecting the response."""

  def __init__(self, curl, req):
    self.curl = curl
    self.req = req
    self._buffer = io.BytesIO()

  def Start(self):
    """Configure the curl handle for the request."""
    req = self.req
    curl = self.curl
    curl.setopt(pycurl.VERBOSE, False)
    curl.setopt(pycurl.NOSIGNAL, True)
    curl.setopt(pycurl.NOPROGRESS, True)
    curl.setopt(pycurl.FOLLOWLOCATION, False)
    # Never send node traffic through a proxy from the environment
    curl.setopt(pycurl.PROXY, "")
    curl.setopt(pycurl.USERAGENT, http.HTTP_GANETI_VERSION)
    curl.setopt(pycurl.URL, req.url)
    curl.setopt(pycurl.MAXAGE_CONN, DEFAULT_MAX_CONNECTION_AGE)
    # An empty Expect header stops curl from waiting for "100 Continue"
    curl.setopt(pycurl.HTTPHEADER, ["Expect:"] + req.headers)
    if req.method == http.HTTP_HEAD:
      curl.setopt(pycurl.NOBODY, True)
    else:
      curl.setopt(pycurl.POSTFIELDS, req.post_data)
      curl.setopt(pycurl.CUSTOMREQUEST, req.method)
    curl.setopt(pycurl.WRITEFUNCTION, self._buffer.write)
    curl.setopt(pycurl.CONNECTTIMEOUT_MS,
                int(req.connect_timeout * 1000))
    curl.setopt(pycurl.TIMEOUT_MS, int(req.read_timeout * 1000))
    if req.curl_config_fn:
      req.curl_config_fn(curl)

  def Done(self, errmsg):
    """Record the outcome; errmsg is None on success."""
    req = self.req
    raw = self._buffer.getvalue()
    req.resp_body_raw = raw
    req.resp_body = raw.decode("utf-8", "replace")
    code = self.curl.getinfo(pycurl.RESPONSE_CODE)
    req.resp_status_code = code or None
    req.success = errmsg is None
    req.error = errmsg
    if errmsg is not None:
      logging.debug("HTTP request %s %s failed: %s", req.method, req.url,
                    errmsg)
    if req.completion_cb:
      req.completion_cb(req)


class _PendingRequestMonitor:
  """Lock-monitor view of the requests a thread is waiting for.

  ``GetLockInfo`` lists every unfinished request as "rpc/<name><path>",
  owned by the waiting thread, so lock queries show what a job is
  blocked on.

  """
  def __init__(self, owner_name, pending_fn):
    self._owner_name = owner_name
    self._pending_fn = pending_fn

  def GetLockInfo(self, requested):  # pylint: disable=W0613
    """Entries for pending requests, in the lock manager's dict form."""
    result = []
    for req in self._pending_fn():
      name = req.nicename if req.nicename is not None else req.host
      result.append({
        "name": "rpc/%s%s" % (name, req.path),
        "mode": None,
        "owner": [self._owner_name],
        "pending": [],
        })
    return sorted(result, key=lambda entry: entry["name"])


class _CurlSlot:
  """A multi handle (owning a connection cache) and spare easy handles."""

  def __init__(self, curl_fn, curl_multi_fn, max_connections):
    self._curl_fn = curl_fn
    self.multi = curl_multi_fn()
    self.multi.setopt(pycurl.M_MAXCONNECTS, max_connections)
    self._spare = []

  def GetHandle(self):
    if self._spare:
      return self._spare.pop()
    return self._curl_fn()

  def PutHandle(self, curl):
    # Drops the body buffer and callbacks; connections stay in the multi
    curl.reset()
    self._spare.append(curl)

  def Close(self):
    for curl in self._spare:
      curl.close()
    self._spare = []
    self.multi.close()


def _RunMulti(multi, pending, lock):
  """Drive the multi handle until every handle in ``pending`` finished.

  @param pending: {curl handle: L{_PendingRequest}}; entries are removed
      (under ``lock``, as the lock monitor reads the dict) as they finish

  """
  def _Finish(curl, errmsg):
    with lock:
      item = pending.pop(curl)
    if errmsg is not None:
      errmsg = ("Request %s %s failed: %s" %
                (item.req.method, item.req.url, errmsg))
    item.Done(errmsg)

  while pending:
    while True:
      (ret, _) = multi.perform()
      if ret != pycurl.E_CALL_MULTI_PERFORM:
        break
    while True:
      (queued, ok_list, err_list) = multi.info_read()
      for curl in ok_list:
        _Finish(curl, None)
      for (curl, errnum, errmsg) in err_list:
        _Finish(curl, "curl error %d: %s" % (errnum, errmsg))
      if not queued:
        break
    if not pending:
      break
    wait_ms = multi.timeout()
    if wait_ms < 0 or wait_ms > _MAX_SELECT_WAIT * 1000:
      wait = _MAX_SELECT_WAIT
    else:
      wait = wait_ms / 1000.0
    if wait > 0:
      multi.select(wait)


def _ProcessOnSlot(slot, requests, lock_monitor_cb):
  pending = {}
  started = []
  lock = threading.Lock()

  def _Unfinished():
    with lock:
      return [item.req for item in pending.values()]

  try:
    for req in requests:
      curl = slot.GetHandle()
      item = _PendingRequest(curl, req)
      try:
        item.Start()
      except pycurl.error as err:
        slot.PutHandle(curl)
        req.success = False
        req.error = "Cannot set up request %s %s: %s" % (req.method,
                                                          req.url, err)
        if req.completion_cb:
          req.completion_cb(req)
        continue
      slot.multi.add_handle(curl)
      started.append(curl)
      with lock:
        pending[curl] = item
    if lock_monitor_cb:
      lock_monitor_cb(_PendingRequestMonitor(
        threading.current_thread().name, _Unfinished))
    _RunMulti(slot.multi, pending, lock)
  finally:
    for curl in started:
      slot.multi.remove_handle(curl)
      slot.PutHandle(curl)


class HttpClientPool:
  """Multi handles and their open connections, kept between calls.

  Thread-safe: each ``ProcessRequests`` call takes a slot (a multi handle
  with its connection cache) for itself and gives it back at the end.

  """
  def __init__(self, max_idle_slots=DEFAULT_MAX_IDLE_SLOTS,
               max_connections=DEFAULT_MAX_CONNECTIONS,
               _curl=pycurl.Curl, _curl_multi=pycurl.CurlMulti):
    for (name, value) in (("max_idle_slots", max_idle_slots),
                          ("max_connections", max_connections)):
      if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise errors.ProgrammerError("HttpClientPool %s must be a positive"
                                     " integer, got %r" % (name, value))
    self._max_idle = max_idle_slots
    self._max_connections = max_connections
    self._curl = _curl
    self._curl_multi = _curl_multi
    self._lock = threading.Lock()
    self._idle = []
    self._closed = False

  def _GetSlot(self):
    with self._lock:
      if self._closed:
        raise errors.ProgrammerError("HttpClientPool used after Close()")
      if self._idle:
        return self._idle.pop()
    return _CurlSlot(self._curl, self._curl_multi, self._max_connections)

  def _PutSlot(self, slot):
    with self._lock:
      if not self._closed and len(self._idle) < self._max_idle:
        self._idle.append(slot)
        return
    slot.Close()

  def ProcessRequests(self, requests, lock_monitor_cb=None):
    """Run requests in parallel, reusing this pool's connections.

    See L{ProcessRequests}.

    """
    requests = list(requests)
    if not requests:
      return requests
    slot = self._GetSlot()
    try:
      _ProcessOnSlot(slot, requests, lock_monitor_cb)
    except BaseException:
      # Half-run handles: do not hand this slot to the next caller
      slot.Close()
      raise
    self._PutSlot(slot)
    return requests

  def GetIdleSlotCount(self):
    """How many multi handles wait for the next call."""
    with self._lock:
      return len(self._idle)

  def Close(self):
    """Close every kept connection; the pool cannot be used afterwards."""
    with self._lock:
      self._closed = True
      idle = self._idle
      self._idle = []
    for slot in idle:
      slot.Close()


def ProcessRequests(requests, lock_monitor_cb=None, _curl=pycurl.Curl,
                    _curl_multi=pycurl.CurlMulti, pool=None):
  """Run HTTP requests in parallel and wait for all of them.

  Every request ends with ``success`` set; transport errors (refused
  connection, TLS failure, timeout) are reported in ``error``, not raised.

  @param requests: L{HttpClientRequest} objects
  @param lock_monitor_cb: called once with an object whose
      ``GetLockInfo(requested)`` lists the unfinished requests
  @param pool: an L{HttpClientPool} to reuse connections from; without
      one, connections are closed at the end
  @return: the list of requests

  """
  if pool is not None:
    return pool.ProcessRequests(requests, lock_monitor_cb=lock_monitor_cb)
  requests = list(requests)
  if not requests:
    return requests
  slot = _CurlSlot(_curl, _curl_multi, DEFAULT_MAX_CONNECTIONS)
  try:
    _ProcessOnSlot(slot, requests, lock_monitor_cb)
  finally:
    slot.Close()
  return requests
