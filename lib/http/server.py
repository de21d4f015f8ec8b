"""An embeddable HTTP(S) server with bounded concurrency and strict limits.

Layer 4 (wire). The node daemon (RPC) and later the RAPI daemon create an
``HttpServer`` with a handler object and call ``Start``/``Stop``. One
acceptor thread watches the listening socket; each accepted connection is
served by a thread from a pool of at most ``max_clients`` threads, which
reads requests (keep-alive: many per connection), calls the handler and
writes the answers. Every request is bounded: the head must arrive within
``request_timeout`` seconds and fit the limits of ``http.message``, the
body must have a Content-Length not above ``max_body_size``; anything
malformed gets a JSON error body, and the server goes on serving.

With TLS and ``ssl_verify_peer`` the client must present the server's own
certificate (Ganeti's cluster certificate, the same on every node): a
client without a certificate, or with another one, fails the handshake.

When all ``max_clients`` slots are taken and another client is waiting to
connect, the connection that has been idle (between keep-alive requests)
longest is closed to make room, so parked keep-alive connections cannot
lock clients out; HTTP clients reconnect transparently in that case.

This module must not know about RPC procedures or RAPI resources (that is
the handler's business) and must not fork.
"""

import logging
import os
import queue
import selectors
import socket
import ssl
import threading
import time
import urllib.parse

from ganeti import errors
from ganeti import http
from ganeti import serializer
from ganeti.http import message


DEFAULT_MAX_CLIENTS = 64
DEFAULT_MAX_BODY_SIZE = 128 * 1024 * 1024
#: Seconds for the TLS handshake, and for a whole request head to arrive
DEFAULT_REQUEST_TIMEOUT = 10.0
#: Seconds an open connection may wait for its next request
DEFAULT_KEEPALIVE_TIMEOUT = 60.0
#: Seconds for sending one response
DEFAULT_WRITE_TIMEOUT = 60.0
#: Seconds Stop() waits for requests in progress to finish
DEFAULT_STOP_TIMEOUT = 10.0

# Bodies arrive at least this fast (bytes per second) or are cut off; the
# head's request_timeout alone would refuse large uploads on slow links
_MIN_BODY_RATE = 1024 * 1024
_RECV_SIZE = 256 * 1024
_LISTEN_BACKLOG = 128
# After an error that ends a connection, unread request bytes are drained
# this long so the client sees the error instead of a connection reset
_LINGER_TIMEOUT = 1.0
_LINGER_MAX_BYTES = 4 * 1024 * 1024

# Connection states
_ST_NEW = "new"
_ST_IDLE = "idle"
_ST_READING = "reading"
_ST_HANDLING = "handling"
_ST_WRITING = "writing"


class _ConnectionClosed(Exception):
  """The peer closed the connection (or it was shut down locally)."""


class _Timeout(Exception):
  """A socket operation missed its deadline."""


class HttpServerRequest:
  """One request as the handler sees it.

  @ivar method: request method, e.g. "POST"
  @ivar uri: request target as sent (path and query, not decoded)
  @ivar path: ``uri`` up to the first "?"
  @ivar query: ``uri`` after the first "?" ("" if none)
  @ivar version: "HTTP/1.0" or "HTTP/1.1"
  @ivar headers: L{http.HttpHeaders} (case-insensitive names)
  @ivar body: the request body, bytes (b"" if none)
  @ivar client_address: (host, port) of the peer
  @ivar peer_cert: the client's certificate in DER form, or None
  @ivar resp_headers: headers the handler wants in the response
  @ivar resp_status_code: status of a successful answer (default 200)
  @ivar private: free for the handler's own use

  """
  def __init__(self, method, uri, version, headers, body,
               client_address=None, peer_cert=None):
    self.method = method
    self.uri = uri
    (self.path, _, self.query) = uri.partition("?")
    self.version = version
    self.headers = headers
    self.body = body
    self.client_address = client_address
    self.peer_cert = peer_cert
    self.resp_headers = {}
    self.resp_status_code = http.HTTP_OK
    self.private = None

  def GetQueryArgs(self):
    """The query string as {name: [values]} (empty values are dropped)."""
    return urllib.parse.parse_qs(self.query, keep_blank_values=False)

  def HasBody(self):
    """Whether the request carried a non-empty body."""
    return bool(self.body)

  def ReadJson(self, check_content_type=False):
    """Decode the body as JSON; None when there is no body.

    @param check_content_type: refuse a body whose Content-Type is not
        exactly application/json (case-insensitive), as the Remote API does
    @raise http.HttpUnsupportedMediaType: wrong content type
    @raise http.HttpBadRequest: the body is not JSON

    """
    if not self.body:
      return None
    if check_content_type:
      ctype = self.headers.Get(http.HTTP_CONTENT_TYPE,
                               http.HTTP_APP_OCTET_STREAM)
      if ctype.strip().lower() != http.HTTP_APP_JSON:
        raise http.HttpUnsupportedMediaType("Unsupported Content-Type %r,"
                                            " expected %s" %
                                            (ctype, http.HTTP_APP_JSON))
    try:
      return serializer.LoadJson(self.body)
    except errors.ParseError as err:
      logging.debug("Bad JSON body from %s: %s", self.client_address, err)
      raise http.HttpBadRequest("Unable to parse JSON data") from err

  def __repr__(self):
    return "<HttpServerRequest %s %s from %s>" % (self.method, self.uri,
                                                 self.client_address)


class _Connection:
  """A client connection and its receive buffer; used by one worker."""

  def __init__(self, sock, address):
    self.sock = sock
    # The socket for shutdown() from other threads and for lingering
    self.raw_sock = sock
    self.address = address
    self.buf = bytearray()
    self.state = _ST_NEW
    self.idle_since = time.monotonic()
    self.reclaimed = False
    self.peer_cert = None
    self.requests = 0

  def SetDeadline(self, deadline):
    remaining = deadline - time.monotonic()
    if remaining <= 0:
      raise _Timeout()
    self.sock.settimeout(remaining)

  def Recv(self, deadline):
    """Receive more bytes into the buffer before the deadline."""
    self.SetDeadline(deadline)
    try:
      data = self.sock.recv(_RECV_SIZE)
    except socket.timeout:
      raise _Timeout() from None
    except (ssl.SSLError, OSError) as err:
      raise _ConnectionClosed(str(err)) from err
    if not data:
      raise _ConnectionClosed("closed by peer")
    self.buf += data

  def ReadHead(self, deadline):
    """Receive up to the end of a request head; return the head bytes."""
    while True:
      found = message.FindHeadEnd(self.buf)
      if found is not None:
        (length, term) = found
        head = bytes(self.buf[:length])
        del self.buf[:length + term]
        return head
      message.CheckIncompleteHead(self.buf)
      self.Recv(deadline)

  def ReadBody(self, length, deadline):
    while len(self.buf) < length:
      self.Recv(deadline)
    body = bytes(self.buf[:length])
    del self.buf[:length]
    return body

  def SendAll(self, data, timeout):
    self.sock.settimeout(timeout)
    try:
      self.sock.sendall(data)
    except socket.timeout:
      raise _Timeout() from None
    except (ssl.SSLError, OSError) as err:
      raise _ConnectionClosed(str(err)) from err

  def Shutdown(self):
    """Wake up a worker blocked on this connection (from another thread).

    The plain socket method is used even for TLS: ``SSLSocket.shutdown``
    would drop the TLS state under the feet of the worker.

    """
    try:
      socket.socket.shutdown(self.raw_sock, socket.SHUT_RDWR)
    except OSError:
      pass

  def Linger(self):
    """Half-close, then drain what the client still sends, briefly.

    Closing a socket with unread data makes the kernel send a reset, which
    can destroy the error response before the client reads it.

    """
    try:
      socket.socket.shutdown(self.raw_sock, socket.SHUT_WR)
      self.raw_sock.settimeout(_LINGER_TIMEOUT)
      deadline = time.monotonic() + _LINGER_TIMEOUT
      drained = 0
      while drained < _LINGER_MAX_BYTES and time.monotonic() < deadline:
        data = socket.socket.recv(self.raw_sock, 65536)
        if not data:
          break
        drained += len(data)
    except OSError:
      pass

  def Close(self):
    try:
      self.sock.close()
    except OSError:
      pass


def _CheckPositive(name, value, kind=(int, float)):
  if isinstance(value, bool) or not isinstance(value, kind) or value <= 0:
    raise errors.ProgrammerError("HttpServer %s must be a positive number,"
                                 " got %r" % (name, value))


class HttpServer:
  """A threaded HTTP/1.1 server (optionally TLS) calling one handler.

  The handler is an object with ``HandleRequest(req)`` (or a plain
  callable taking the request). It returns the response body (bytes or
  str, sent with ``req.resp_status_code`` and ``req.resp_headers``), or a
  (status, body) pair, or None for an empty body. It raises an
  L{http.HttpException} to answer with an error status; any other
  exception is logged with its traceback and answered with 500.

  """
  def __init__(self, address, port, handler, ssl_params=None,
               ssl_verify_peer=False, max_clients=DEFAULT_MAX_CLIENTS,
               max_body_size=DEFAULT_MAX_BODY_SIZE,
               request_timeout=DEFAULT_REQUEST_TIMEOUT,
               keepalive_timeout=DEFAULT_KEEPALIVE_TIMEOUT,
               write_timeout=DEFAULT_WRITE_TIMEOUT, keep_alive=True,
               default_content_type=http.HTTP_APP_JSON, name="http"):
    """Prepare a server; nothing is bound until L{Start}.

    @param address: IP address to bind (IPv4 or IPv6 literal)
    @param port: TCP port; 0 picks a free one (see L{port} after Start)
    @param ssl_params: L{http.HttpSslParams} to serve HTTPS, None for HTTP
    @param ssl_verify_peer: require the client to present our certificate
    @param max_clients: most connections served at the same time
    @param max_body_size: largest request body accepted (bytes)
    @param keep_alive: allow several requests per connection; without it
        every response carries "Connection: close" (RAPI's behaviour)

    """
    if not isinstance(address, str) or not address:
      raise errors.ProgrammerError("HttpServer address must be a non-empty"
                                   " string, got %r" % (address, ))
    if isinstance(port, bool) or not isinstance(port, int) or \
       not 0 <= port <= 65535:
      raise errors.ProgrammerError("HttpServer port must be an integer in"
                                   " 0..65535, got %r" % (port, ))
    if hasattr(handler, "HandleRequest"):
      self._handle_fn = handler.HandleRequest
    elif callable(handler):
      self._handle_fn = handler
    else:
      raise errors.ProgrammerError("HttpServer handler must have a"
                                   " HandleRequest method or be callable,"
                                   " got %r" % (handler, ))
    if ssl_params is not None and not isinstance(ssl_params,
                                                 http.HttpSslParams):
      raise errors.ProgrammerError("ssl_params must be http.HttpSslParams,"
                                   " got %r" % (ssl_params, ))
    if ssl_verify_peer and ssl_params is None:
      raise errors.ProgrammerError("ssl_verify_peer needs ssl_params")
    _CheckPositive("max_clients", max_clients, kind=int)
    if isinstance(max_body_size, bool) or \
       not isinstance(max_body_size, int) or max_body_size < 0:
      raise errors.ProgrammerError("HttpServer max_body_size must be a"
                                   " non-negative integer, got %r" %
                                   (max_body_size, ))
    _CheckPositive("request_timeout", request_timeout)
    _CheckPositive("keepalive_timeout", keepalive_timeout)
    _CheckPositive("write_timeout", write_timeout)

    self.address = address
    self.port = port
    self.handler = handler
    self.name = name
    self._ssl_params = ssl_params
    self._ssl_verify_peer = ssl_verify_peer
    self._ssl_ctx = None
    if ssl_params is not None:
      self._ssl_ctx = ssl_params.MakeServerContext(ssl_verify_peer)
      self._own_cert_der = ssl_params.GetCertificateDer()
    self.max_clients = max_clients
    self.max_body_size = max_body_size
    self.request_timeout = request_timeout
    self.keepalive_timeout = keepalive_timeout
    self.write_timeout = write_timeout
    self.keep_alive = keep_alive
    self.default_content_type = default_content_type

    self._lock = threading.Lock()
    self._conns = set()
    self._workers = []
    self._idle_workers = 0
    self._queue = queue.SimpleQueue()
    self._stopping = False
    self._started = False
    self._waiting_for_slot = False
    self._listen_sock = None
    self._acceptor = None
    self._wake_r = None
    self._wake_w = None
    # Counters, mostly for tests and benchmarks
    self.connections_accepted = 0
    self.requests_handled = 0

  def Start(self):
    """Bind, listen and start the acceptor thread.

    @raise errors.GenericError: the address cannot be bound (names it)

    """
    if self._started:
      raise errors.ProgrammerError("HttpServer %s already started"
                                   % self.name)
    family = socket.AF_INET6 if ":" in self.address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
      sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
      sock.bind((self.address, self.port))
      sock.listen(_LISTEN_BACKLOG)
    except OSError as err:
      sock.close()
      raise errors.GenericError("Cannot listen on %s port %s: %s" %
                                (self.address, self.port, err)) from err
    sock.setblocking(False)
    self.port = sock.getsockname()[1]
    self._listen_sock = sock
    (self._wake_r, self._wake_w) = os.pipe()
    os.set_blocking(self._wake_r, False)
    os.set_blocking(self._wake_w, False)
    self._started = True
    self._acceptor = threading.Thread(target=self._AcceptLoop,
                                      name="%s-acceptor" % self.name,
                                      daemon=True)
    self._acceptor.start()
    logging.debug("HTTP server %s listening on %s:%s%s", self.name,
                  self.address, self.port,
                  " (TLS)" if self._ssl_ctx else "")

  def Stop(self, timeout=DEFAULT_STOP_TIMEOUT):
    """Stop accepting, finish requests in progress, close everything.

    Idle and half-read connections are closed at once; a request being
    handled gets up to ``timeout`` seconds to finish and be answered.

    @return: True if every thread ended, False if some handler was still
        running at the deadline (its thread is abandoned, and logged)

    """
    if not self._started:
      return True
    with self._lock:
      if self._stopping:
        return not self._AnyAlive()
      self._stopping = True
      conns = list(self._conns)
    self._Wake()
    self._acceptor.join(timeout)
    for conn in conns:
      # Requests being handled or answered are given time to finish
      if conn.state not in (_ST_HANDLING, _ST_WRITING):
        conn.Shutdown()
    with self._lock:
      workers = list(self._workers)
    for _ in workers:
      self._queue.put(None)
    deadline = time.monotonic() + timeout
    for worker in workers:
      worker.join(max(0.0, deadline - time.monotonic()))
    with self._lock:
      leftover = list(self._conns)
    for conn in leftover:
      conn.Shutdown()
    for worker in workers:
      worker.join(0.5)
    all_done = not self._AnyAlive()
    if not all_done:
      logging.warning("HTTP server %s: handler threads still running after"
                      " %.1f seconds, abandoning them", self.name, timeout)
    self._listen_sock.close()
    os.close(self._wake_r)
    os.close(self._wake_w)
    return all_done

  def _AnyAlive(self):
    return (self._acceptor.is_alive() or
            any(w.is_alive() for w in self._workers))

  def GetConnectionCount(self):
    """Number of connections currently open."""
    with self._lock:
      return len(self._conns)

  def _Wake(self):
    try:
      os.write(self._wake_w, b"\0")
    except (BlockingIOError, OSError):
      pass

  # --- acceptor ------------------------------------------------------------

  def _AcceptLoop(self):
    sel = selectors.DefaultSelector()
    sel.register(self._wake_r, selectors.EVENT_READ)
    listening = False
    try:
      while True:
        with self._lock:
          if self._stopping:
            return
          full = len(self._conns) >= self.max_clients
          idle = self._OldestIdleUnlocked() if full else None
          self._waiting_for_slot = full
        # When full, look at the listening socket only if an idle
        # connection could be reclaimed for a waiting client
        want_listen = not full or idle is not None
        if want_listen and not listening:
          sel.register(self._listen_sock, selectors.EVENT_READ)
          listening = True
        elif not want_listen and listening:
          sel.unregister(self._listen_sock)
          listening = False
        events = sel.select()
        ready = set(key.fileobj for (key, _) in events)
        if self._wake_r in ready:
          self._DrainWake()
        if self._listen_sock not in ready:
          continue
        if full:
          self._Reclaim()
        else:
          self._AcceptSome()
    except Exception:  # pylint: disable=W0703
      # The acceptor is a thread boundary: log, never die silently
      logging.exception("HTTP server %s: acceptor failed", self.name)
    finally:
      sel.close()

  def _DrainWake(self):
    try:
      while os.read(self._wake_r, 4096):
        pass
    except BlockingIOError:
      pass

  def _OldestIdleUnlocked(self):
    # Only parked keep-alive connections: a new one is about to send its
    # first request, closing it would lose that request
    idle = [conn for conn in self._conns
            if conn.state == _ST_IDLE and conn.requests and
            not conn.reclaimed]
    if not idle:
      return None
    return min(idle, key=lambda conn: conn.idle_since)

  def _Reclaim(self):
    with self._lock:
      conn = self._OldestIdleUnlocked()
      if conn is None:
        return
      conn.reclaimed = True
    logging.debug("HTTP server %s full: closing idle connection from %s",
                  self.name, conn.address)
    conn.Shutdown()

  def _AcceptSome(self):
    while True:
      with self._lock:
        if len(self._conns) >= self.max_clients or self._stopping:
          return
      try:
        (sock, address) = self._listen_sock.accept()
      except (BlockingIOError, InterruptedError):
        return
      except OSError as err:
        # e.g. EMFILE: keep serving the connections we have
        logging.error("HTTP server %s: accept failed: %s", self.name, err)
        time.sleep(0.05)
        return
      sock.setblocking(True)
      try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
      except OSError:
        pass
      conn = _Connection(sock, address)
      with self._lock:
        self._conns.add(conn)
        self.connections_accepted += 1
        start_worker = self._idle_workers == 0
        if start_worker:
          worker = threading.Thread(target=self._WorkerLoop,
                                    name="%s-worker-%d" %
                                    (self.name, len(self._workers)),
                                    daemon=True)
          self._workers.append(worker)
        else:
          self._idle_workers -= 1
      self._queue.put(conn)
      if start_worker:
        worker.start()

  # --- workers -------------------------------------------------------------

  def _WorkerLoop(self):
    while True:
      conn = self._queue.get()
      if conn is None:
        return
      try:
        self._ServeConnection(conn)
      except Exception:  # pylint: disable=W0703
        # Thread boundary: one broken connection must not kill the worker
        logging.exception("HTTP server %s: error serving %s", self.name,
                          conn.address)
      finally:
        conn.Close()
        with self._lock:
          self._conns.discard(conn)
          self._idle_workers += 1
          wake = self._waiting_for_slot
        if wake:
          self._Wake()

  def _SetState(self, conn, state):
    """Change a connection's state; False if it was reclaimed meanwhile."""
    with self._lock:
      if conn.reclaimed:
        return False
      conn.state = state
      if state == _ST_IDLE:
        conn.idle_since = time.monotonic()
        wake = self._waiting_for_slot
      else:
        wake = False
    if wake:
      self._Wake()
    return True

  def _ServeConnection(self, conn):
    if self._ssl_ctx is not None and not self._Handshake(conn):
      return
    while True:
      with self._lock:
        if self._stopping:
          return
      if not self._SetState(conn, _ST_IDLE):
        return
      if not conn.buf:
        # A new connection must start its request promptly; a used one
        # may wait for the next request up to the keep-alive timeout
        if conn.requests:
          wait = self.keepalive_timeout
        else:
          wait = self.request_timeout
        try:
          conn.Recv(time.monotonic() + wait)
        except (_ConnectionClosed, _Timeout):
          return
      if not self._SetState(conn, _ST_READING):
        return
      if not self._ServeRequest(conn):
        return

  def _Handshake(self, conn):
    try:
      # wrap_socket detaches the plain socket object: from now on the TLS
      # socket is also the one shut down with the plain socket methods
      conn.sock = self._ssl_ctx.wrap_socket(conn.raw_sock, server_side=True,
                                            do_handshake_on_connect=False)
      conn.raw_sock = conn.sock
      conn.sock.settimeout(self.request_timeout)
      conn.sock.do_handshake()
    except (ssl.SSLError, OSError) as err:
      logging.info("HTTP server %s: TLS handshake with %s failed: %s",
                   self.name, conn.address, err)
      return False
    if self._ssl_verify_peer:
      peer = conn.sock.getpeercert(binary_form=True)
      if peer != self._own_cert_der:
        # OpenSSL only checked the signature; Ganeti wants the very same
        # (cluster) certificate on both ends
        logging.warning("HTTP server %s: refusing %s, its certificate is"
                        " not the cluster certificate", self.name,
                        conn.address)
        return False
      conn.peer_cert = peer
    return True

  def _ServeRequest(self, conn):
    """Read, handle and answer one request; True to keep the connection."""
    version = http.HTTP_1_1
    try:
      deadline = time.monotonic() + self.request_timeout
      head = message.ParseRequestHead(conn.ReadHead(deadline))
      version = head.version
      length = message.GetBodyLength(head.headers)
      if length > self.max_body_size:
        raise http.HttpRequestEntityTooLarge("Request body of %d bytes is"
                                             " larger than the limit of %d"
                                             " bytes" %
                                             (length, self.max_body_size))
      if length and message.WantsContinue(version, head.headers) and \
         not conn.buf:
        conn.SendAll(b"HTTP/1.1 100 Continue\r\n\r\n", self.write_timeout)
      body_deadline = deadline + float(length) / _MIN_BODY_RATE
      body = conn.ReadBody(length, body_deadline)
    except http.HttpException as err:
      logging.info("HTTP server %s: bad request from %s: %s", self.name,
                   conn.address, err)
      self._SendError(conn, err, closing=True)
      return False
    except _Timeout:
      if conn.buf:
        self._SendError(conn, http.HttpRequestTimeout(
          "Request not received completely within %s seconds" %
          self.request_timeout), closing=True)
      return False
    except _ConnectionClosed:
      return False

    req = HttpServerRequest(head.method, head.uri, version, head.headers,
                            body, client_address=conn.address,
                            peer_cert=conn.peer_cert)
    keep_alive = (self.keep_alive and
                  message.WantsKeepAlive(version, head.headers))
    self._SetState(conn, _ST_HANDLING)
    conn.requests += 1
    (status, headers, resp_body) = self._RunHandler(req)
    with self._lock:
      self.requests_handled += 1
      if self._stopping:
        keep_alive = False
    self._SetState(conn, _ST_WRITING)
    try:
      data = message.FormatResponse(status, headers, resp_body, keep_alive,
                                    head_only=(req.method == http.HTTP_HEAD))
    except ValueError as err:
      logging.error("HTTP server %s: handler produced a bad header: %s",
                    self.name, err)
      self._SendError(conn, http.HttpInternalServerError(str(err)),
                      closing=not keep_alive)
      return keep_alive
    try:
      conn.SendAll(data, self.write_timeout)
    except (_Timeout, _ConnectionClosed) as err:
      logging.info("HTTP server %s: sending to %s failed: %s", self.name,
                   conn.address, err or "timeout")
      return False
    logging.debug("HTTP %s %s %s from %s -> %d", req.method, req.uri,
                  version, conn.address, status)
    return keep_alive

  def _RunHandler(self, req):
    """Call the handler; return (status, headers, body bytes)."""
    try:
      result = self._handle_fn(req)
    except http.HttpException as err:
      return self._ErrorParts(err)
    except Exception as err:  # pylint: disable=W0703
      # Request boundary: log the traceback, answer 500, keep serving
      logging.exception("HTTP server %s: handler failed for %s %s",
                        self.name, req.method, req.path)
      return self._ErrorParts(http.HttpInternalServerError(str(err)))
    status = req.resp_status_code
    if isinstance(result, tuple) and len(result) == 2:
      (status, result) = result
    if result is None:
      body = b""
    elif isinstance(result, str):
      body = result.encode("utf-8")
    elif isinstance(result, (bytes, bytearray, memoryview)):
      body = bytes(result)
    else:
      logging.error("HTTP server %s: handler returned %s for %s %s, not a"
                    " body", self.name, type(result).__name__, req.method,
                    req.path)
      return self._ErrorParts(http.HttpInternalServerError(
        "Handler returned %s instead of a body" % type(result).__name__))
    if isinstance(status, bool) or not isinstance(status, int) or \
       not 100 <= status <= 599:
      return self._ErrorParts(http.HttpInternalServerError(
        "Handler returned invalid status %r" % (status, )))
    headers = dict(req.resp_headers)
    if not any(name.lower() == "content-type" for name in headers):
      headers[http.HTTP_CONTENT_TYPE] = self.default_content_type
    return (status, headers, body)

  @staticmethod
  def _ErrorParts(err):
    headers = dict(err.headers)
    headers[http.HTTP_CONTENT_TYPE] = http.HTTP_APP_JSON
    code = err.code if isinstance(err.code, int) else 500
    return (code, headers, http.FormatErrorBody(code, err.message))

  def _SendError(self, conn, err, closing):
    (code, headers, body) = self._ErrorParts(err)
    data = message.FormatResponse(code, headers, body, not closing)
    try:
      conn.SendAll(data, self.write_timeout)
    except (_Timeout, _ConnectionClosed):
      return
    if closing:
      conn.Linger()
