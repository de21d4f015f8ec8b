"""HTTP pieces shared by the server and the client: names, errors, TLS files.

Layer 4 (wire). The node daemon's RPC, the Remote API and the master's
RPC client all speak HTTP(S) through this package: ``server`` (a threaded
HTTPS server that daemons embed), ``client`` (parallel requests on pycurl)
and ``auth`` (HTTP basic authentication against a RAPI users file). This
module holds what both ends need: method and header names, the
``HttpException`` family that handlers raise to answer with a status code,
the JSON error body, a case-insensitive header map and the TLS key and
certificate files (``HttpSslParams``). It must not know about RPC
procedures, RAPI resources, opcodes or the configuration.
"""

import html
import ssl

from ganeti import constants
from ganeti import errors
from ganeti import serializer
from ganeti import utils


HTTP_GANETI_VERSION = "Ganeti %s" % constants.RELEASE_VERSION

HTTP_OK = 200
HTTP_NO_CONTENT = 204
HTTP_NOT_MODIFIED = 304

HTTP_0_9 = "HTTP/0.9"
HTTP_1_0 = "HTTP/1.0"
HTTP_1_1 = "HTTP/1.1"

HTTP_GET = "GET"
HTTP_HEAD = "HEAD"
HTTP_POST = "POST"
HTTP_PUT = "PUT"
HTTP_DELETE = "DELETE"

HTTP_ETAG = "ETag"
HTTP_HOST = "Host"
HTTP_SERVER = "Server"
HTTP_DATE = "Date"
HTTP_USER_AGENT = "User-Agent"
HTTP_CONTENT_TYPE = "Content-Type"
HTTP_CONTENT_LENGTH = "Content-Length"
HTTP_CONNECTION = "Connection"
HTTP_KEEP_ALIVE = "Keep-Alive"
HTTP_TRANSFER_ENCODING = "Transfer-Encoding"
HTTP_EXPECT = "Expect"
HTTP_WWW_AUTHENTICATE = "WWW-Authenticate"
HTTP_AUTHORIZATION = "Authorization"
HTTP_AUTHENTICATION_INFO = "Authentication-Info"
HTTP_ALLOW = "Allow"

HTTP_APP_OCTET_STREAM = "application/octet-stream"
HTTP_APP_JSON = "application/json"

HTTP_BASIC_AUTH = "Basic"
HTTP_DIGEST_AUTH = "Digest"

#: (short reason, long explanation) per status code; the texts of Python's
#: historical status table, which Ganeti's error bodies carry
RESPONSES = {
  100: ("Continue", "Request received, please continue"),
  200: ("OK", "Request fulfilled, document follows"),
  204: ("No Content", "Request fulfilled, nothing follows"),
  304: ("Not Modified", "Document has not changed since given time"),
  400: ("Bad Request", "Bad request syntax or unsupported method"),
  401: ("Unauthorized", "No permission -- see authorization schemes"),
  403: ("Forbidden", "Request forbidden -- authorization will not help"),
  404: ("Not Found", "Nothing matches the given URI"),
  405: ("Method Not Allowed",
        "Specified method is invalid for this resource."),
  406: ("Not Acceptable", "URI not available in preferred format."),
  408: ("Request Timeout", "Request timed out; try again later."),
  409: ("Conflict", "Request conflict."),
  410: ("Gone", "URI no longer exists and has been permanently removed."),
  411: ("Length Required", "Client must specify Content-Length."),
  412: ("Precondition Failed", "Precondition in headers is false."),
  413: ("Request Entity Too Large", "Entity is too large."),
  414: ("Request-URI Too Long", "URI is too long."),
  415: ("Unsupported Media Type", "Entity body in unsupported format."),
  431: ("Request Header Fields Too Large",
        "The server is unwilling to process the request because its header"
        " fields are too large."),
  500: ("Internal Server Error", "Server got itself in trouble"),
  501: ("Not Implemented", "Server does not support this operation"),
  502: ("Bad Gateway", "Invalid responses from another server/proxy."),
  503: ("Service Unavailable",
        "The server cannot process the request due to a high load"),
  504: ("Gateway Timeout",
        "The gateway server did not receive a timely response"),
  505: ("HTTP Version Not Supported", "Cannot fulfill request."),
  }


def GetStatusTexts(code):
  """Return (short reason, explanation) for a status code.

  Unknown codes get generic texts derived from their class, so a handler
  using an unusual code still produces a well-formed status line.

  """
  try:
    return RESPONSES[code]
  except KeyError:
    if 400 <= code < 500:
      return ("Client Error", "The request could not be handled.")
    if 500 <= code < 600:
      return ("Server Error", "The server failed to handle the request.")
    return ("Unknown", "Unknown status code.")


class HttpError(Exception):
  """Transport-level problem of a connection (not an HTTP status)."""


class HttpException(Exception):
  """An HTTP error answer; raise a subclass from a request handler.

  @ivar code: the HTTP status code (class attribute)
  @ivar message: text for the ``message`` key of the error body; the
      status's short reason when not given
  @ivar headers: extra response headers (e.g. ``WWW-Authenticate``)

  """
  code = None

  def __init__(self, message=None, headers=None):
    Exception.__init__(self)
    if message is not None and not isinstance(message, str):
      message = str(message)
    self.message = message
    self.headers = dict(headers or {})

  def __str__(self):
    (short, _) = GetStatusTexts(self.code)
    if self.message:
      return "%s %s: %s" % (self.code, short, self.message)
    return "%s %s" % (self.code, short)


class HttpBadRequest(HttpException):
  """400: malformed request (syntax, JSON, parameters)."""
  code = 400


class HttpUnauthorized(HttpException):
  """401: authentication needed or the credentials were wrong.

  Pass the ``WWW-Authenticate`` challenge in ``headers``.

  """
  code = 401


class HttpForbidden(HttpException):
  """403: authenticated, but not allowed to do this."""
  code = 403


class HttpNotFound(HttpException):
  """404: nothing at this path."""
  code = 404


class HttpMethodNotAllowed(HttpException):
  """405: the resource exists but not with this method.

  Pass the ``Allow`` header in ``headers``.

  """
  code = 405


class HttpNotAcceptable(HttpException):
  """406: the resource cannot produce an accepted representation."""
  code = 406


class HttpRequestTimeout(HttpException):
  """408: the client did not send a complete request in time."""
  code = 408


class HttpConflict(HttpException):
  """409: the request conflicts with the resource's state."""
  code = 409


class HttpGone(HttpException):
  """410: the resource is gone for good."""
  code = 410


class HttpLengthRequired(HttpException):
  """411: the request body must be sent with a Content-Length."""
  code = 411


class HttpPreconditionFailed(HttpException):
  """412: a precondition in the request headers is false."""
  code = 412


class HttpRequestEntityTooLarge(HttpException):
  """413: the request body is larger than the server accepts."""
  code = 413


class HttpRequestUriTooLong(HttpException):
  """414: the request line is longer than the server accepts."""
  code = 414


class HttpUnsupportedMediaType(HttpException):
  """415: the request body has a content type the resource refuses."""
  code = 415


class HttpRequestHeaderFieldsTooLarge(HttpException):
  """431: too many or too long header lines."""
  code = 431


class HttpInternalServerError(HttpException):
  """500: the handler failed."""
  code = 500


class HttpNotImplemented(HttpException):
  """501: method or feature not supported."""
  code = 501


class HttpBadGateway(HttpException):
  """502: a backend (e.g. the master daemon) gave no usable answer."""
  code = 502


class HttpServiceUnavailable(HttpException):
  """503: temporarily unable to serve (e.g. job queue full or drained)."""
  code = 503


class HttpGatewayTimeout(HttpException):
  """504: a backend did not answer in time."""
  code = 504


class HttpVersionNotSupported(HttpException):
  """505: HTTP major version other than 1."""
  code = 505


def FormatErrorBody(code, message=None):
  """The JSON error body for a status: ``{"code", "message", "explain"}``.

  The message is HTML-escaped as in Ganeti (``&``, ``<``, ``>``), so an
  error body echoed into a web page cannot inject markup.

  @return: the body as bytes (JSON text ending with a newline)

  """
  (short, explain) = GetStatusTexts(code)
  if not message:
    message = short
  return serializer.DumpJson({
    "code": code,
    "message": html.escape(message, quote=False),
    "explain": explain,
    }).encode("ascii")


class HttpHeaders:
  """Header fields with case-insensitive names, in arrival order.

  Repeated fields are kept; ``Get`` joins them with ", " as HTTP allows
  for list-valued fields, ``GetAll`` returns them separately.

  """
  def __init__(self, items=None):
    self._items = []
    self._index = {}
    if items:
      if isinstance(items, dict):
        items = items.items()
      for (name, value) in items:
        self.Add(name, value)

  def Add(self, name, value):
    """Append a field (an existing one with the same name is kept)."""
    if not isinstance(name, str) or not name:
      raise errors.ProgrammerError("Header name must be a non-empty string,"
                                   " got %r" % (name, ))
    value = str(value)
    self._items.append((name, value))
    self._index.setdefault(name.lower(), []).append(value)

  def Get(self, name, default=None):
    """The field's value (repeats joined with ", "), or ``default``."""
    values = self._index.get(name.lower())
    if not values:
      return default
    return ", ".join(values)

  def GetAll(self, name):
    """Every value of the field, in arrival order."""
    return list(self._index.get(name.lower(), []))

  def __contains__(self, name):
    return name.lower() in self._index

  def __getitem__(self, name):
    value = self.Get(name)
    if value is None:
      raise KeyError(name)
    return value

  def __len__(self):
    return len(self._items)

  def __iter__(self):
    return iter(self._items)

  def items(self):
    """(name, value) pairs as received."""
    return list(self._items)

  def __repr__(self):
    return "HttpHeaders(%r)" % (self._items, )


class HttpSslParams:
  """The key and certificate files of a TLS endpoint.

  Ganeti's cluster certificate ``server.pem`` holds both the key and the
  certificate, so the two paths are often the same file. The files are
  read and checked here, once, so that a daemon fails at start-up with a
  clear error instead of at the first connection.

  @ivar ssl_key_path: path of the PEM private key
  @ivar ssl_cert_path: path of the PEM certificate

  """
  def __init__(self, ssl_key_path, ssl_cert_path):
    for (what, path) in (("key", ssl_key_path), ("certificate",
                                                  ssl_cert_path)):
      if not isinstance(path, str) or not path:
        raise errors.ProgrammerError("SSL %s path must be a non-empty"
                                     " string, got %r" % (what, path))
    self.ssl_key_path = ssl_key_path
    self.ssl_cert_path = ssl_cert_path
    try:
      key_text = utils.ReadFile(ssl_key_path)
    except (EnvironmentError, errors.GenericError) as err:
      raise errors.X509CertError(ssl_key_path, "Unable to read SSL key: %s"
                                 % err) from err
    if "PRIVATE KEY-----" not in key_text:
      raise errors.X509CertError(ssl_key_path, "No PEM private key found")
    self._cert = utils.LoadX509CertificateFile(ssl_cert_path)
    self._cert_pem = utils.DumpX509Certificate(self._cert)
    self._cert_der = ssl.PEM_cert_to_DER_cert(self._cert_pem)
    # Loading the pair into a context proves the key matches the cert
    try:
      ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(
        ssl_cert_path, ssl_key_path)
    except (ssl.SSLError, OSError) as err:
      raise errors.X509CertError(ssl_cert_path, "Key %s does not fit the"
                                 " certificate or is unusable: %s" %
                                 (ssl_key_path, err)) from err

  def GetCertificate(self):
    """The certificate (a cryptography x509 object)."""
    return self._cert

  def GetCertificatePem(self):
    """The certificate alone, as PEM text."""
    return self._cert_pem

  def GetCertificateDer(self):
    """The certificate in DER form, as TLS peers present it."""
    return self._cert_der

  def GetCertificateDigest(self):
    """SHA1 fingerprint ("AB:CD:..."), as Ganeti compares certificates."""
    return utils.GetCertificateDigest(self._cert)

  def MakeServerContext(self, verify_peer):
    """An SSLContext for a server using this key and certificate.

    @param verify_peer: require a client certificate signed by (in practice:
        equal to) our own certificate; a client without one fails the
        handshake. Equality itself is checked after the handshake by the
        server, since OpenSSL only checks the signature chain.

    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(constants.OPENSSL_CIPHERS)
    ctx.load_cert_chain(self.ssl_cert_path, self.ssl_key_path)
    if verify_peer:
      ctx.verify_mode = ssl.CERT_REQUIRED
      ctx.load_verify_locations(cafile=self.ssl_cert_path)
    else:
      ctx.verify_mode = ssl.CERT_NONE
    return ctx
