"""HTTP/1.x message syntax for the server: parse request heads, build replies.

Layer 4 (wire). Pure functions over bytes, so the strict limits that keep a
daemon safe from malformed or hostile input (request line and header size,
header count, Content-Length syntax, no chunked bodies) can be tested
without sockets. Every refusal is an ``http.HttpException`` naming what was
wrong, which the server turns into a JSON error body. Must not do I/O,
threading or logging.
"""

import collections
import email.utils
import re
import time

from ganeti import http


#: Longest request line accepted (method, target and version)
MAX_REQUEST_LINE = 8192
#: Longest request head accepted (request line plus header lines)
MAX_HEAD_SIZE = 65536
#: Most header lines accepted in one request
MAX_HEADER_COUNT = 100

# RFC 7230 token characters, used for methods and header names
_TOKEN_RE = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+\Z")
_VERSION_RE = re.compile(r"^HTTP/(\d{1,3})\.(\d{1,3})\Z")
_DIGITS_RE = re.compile(r"^[0-9]{1,18}\Z")
# Control characters other than horizontal tab are not allowed in fields
_FIELD_CTL_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# Request targets must not contain whitespace or control characters
_TARGET_BAD_RE = re.compile(r"[\x00-\x20\x7f]")

RequestHead = collections.namedtuple("RequestHead",
                                     ["method", "uri", "version", "headers"])


def FindHeadEnd(buf):
  """Find the end of a request head in received bytes.

  Lines may end in CRLF or, tolerated as RFC 7230 suggests, a bare LF.

  @return: (head length, terminator length), or None if incomplete

  """
  crlf = buf.find(b"\r\n\r\n")
  lf = buf.find(b"\n\n")
  candidates = []
  if crlf >= 0:
    candidates.append((crlf, 4))
  if lf >= 0:
    candidates.append((lf, 2))
  mixed = buf.find(b"\n\r\n")
  if mixed >= 0:
    candidates.append((mixed, 3))
  if not candidates:
    return None
  return min(candidates)


def CheckIncompleteHead(buf):
  """Refuse a partial head that already exceeds the limits.

  Called while a head is still arriving, so an endless request line or
  header block is cut off early instead of filling memory.

  @raise http.HttpRequestUriTooLong: request line longer than the limit
  @raise http.HttpRequestHeaderFieldsTooLarge: head longer than the limit

  """
  first_nl = buf.find(b"\n")
  if (first_nl < 0 and len(buf) > MAX_REQUEST_LINE) or \
     first_nl > MAX_REQUEST_LINE:
    raise http.HttpRequestUriTooLong("Request line longer than %d bytes"
                                     % MAX_REQUEST_LINE)
  if len(buf) > MAX_HEAD_SIZE:
    raise http.HttpRequestHeaderFieldsTooLarge("Request head longer than"
                                               " %d bytes" % MAX_HEAD_SIZE)


def _ParseVersion(text):
  match = _VERSION_RE.match(text)
  if not match:
    raise http.HttpBadRequest("Bad request version %r" % text)
  (major, minor) = (int(match.group(1)), int(match.group(2)))
  if major != 1:
    raise http.HttpVersionNotSupported("HTTP version %s is not supported,"
                                       " only HTTP/1.x" % text[5:])
  if minor == 0:
    return http.HTTP_1_0
  return http.HTTP_1_1


def _ParseTarget(target):
  if not target or _TARGET_BAD_RE.search(target):
    raise http.HttpBadRequest("Bad request target %r" % target)
  if target.startswith("/"):
    return target
  # Absolute form (proxies send it): keep only path and query
  lowered = target.lower()
  for scheme in ("http://", "https://"):
    if lowered.startswith(scheme):
      rest = target[len(scheme):]
      slash = rest.find("/")
      query = rest.find("?")
      if slash < 0 or (0 <= query < slash):
        return "/" + (rest[query:] if query >= 0 else "")
      return rest[slash:]
  raise http.HttpBadRequest("Bad request target %r, expected an absolute"
                            " path" % target)


def ParseRequestHead(head):
  """Parse a request line and its header lines.

  @param head: the bytes before the empty line ending the head (leading
      empty lines allowed)
  @rtype: L{RequestHead}
  @raise http.HttpException: 400 for bad syntax, 414/431 for size limits,
      505 for an HTTP major version other than 1

  """
  if len(head) > MAX_HEAD_SIZE:
    raise http.HttpRequestHeaderFieldsTooLarge("Request head longer than"
                                               " %d bytes" % MAX_HEAD_SIZE)
  text = bytes(head).decode("iso-8859-1").lstrip("\r\n")
  lines = text.split("\n")
  request_line = lines[0].rstrip("\r")
  if len(request_line) > MAX_REQUEST_LINE:
    raise http.HttpRequestUriTooLong("Request line longer than %d bytes"
                                     % MAX_REQUEST_LINE)
  parts = request_line.split(" ")
  if len(parts) != 3 or not all(parts):
    raise http.HttpBadRequest("Bad request line %r, expected"
                              " 'METHOD /path HTTP/1.x'" % request_line)
  (method, target, version) = parts
  if not _TOKEN_RE.match(method):
    raise http.HttpBadRequest("Bad request method %r" % method)
  version = _ParseVersion(version)
  uri = _ParseTarget(target)

  header_lines = [line.rstrip("\r") for line in lines[1:]]
  while header_lines and not header_lines[-1]:
    header_lines.pop()
  if len(header_lines) > MAX_HEADER_COUNT:
    raise http.HttpRequestHeaderFieldsTooLarge("More than %d header lines"
                                               % MAX_HEADER_COUNT)
  headers = http.HttpHeaders()
  for line in header_lines:
    if not line:
      raise http.HttpBadRequest("Empty line inside the request head")
    if line[0] in " \t":
      raise http.HttpBadRequest("Folded header line %r is not supported"
                                % line)
    (name, sep, value) = line.partition(":")
    if not sep or not _TOKEN_RE.match(name):
      raise http.HttpBadRequest("Malformed header line %r" % line)
    value = value.strip(" \t")
    if _FIELD_CTL_RE.search(value):
      raise http.HttpBadRequest("Control character in header %r" % name)
    headers.Add(name, value)
  return RequestHead(method, uri, version, headers)


def GetBodyLength(headers):
  """How many body bytes follow the head, from Content-Length.

  Chunked (or any transfer-coded) request bodies are refused cleanly:
  the server cannot find where such a body ends, so the client is told to
  send a Content-Length instead.

  @raise http.HttpLengthRequired: Transfer-Encoding present
  @raise http.HttpBadRequest: bad or conflicting Content-Length values

  """
  transfer_encoding = headers.Get(http.HTTP_TRANSFER_ENCODING)
  if transfer_encoding is not None:
    raise http.HttpLengthRequired("Transfer-Encoding %r is not supported"
                                  " for request bodies, send a"
                                  " Content-Length" % transfer_encoding)
  values = set()
  for value in headers.GetAll(http.HTTP_CONTENT_LENGTH):
    values.update(item.strip() for item in value.split(","))
  if not values:
    return 0
  if len(values) > 1:
    raise http.HttpBadRequest("Conflicting Content-Length values %s"
                              % ", ".join(sorted(values)))
  value = values.pop()
  if not _DIGITS_RE.match(value):
    raise http.HttpBadRequest("Invalid Content-Length %r" % value)
  return int(value)


def _Tokens(value):
  return frozenset(item.strip().lower() for item in (value or "").split(",")
                   if item.strip())


def WantsKeepAlive(version, headers):
  """Whether the client asked for the connection to stay open.

  HTTP/1.1 keeps connections open unless ``Connection: close``; HTTP/1.0
  only with ``Connection: keep-alive``.

  """
  tokens = _Tokens(headers.Get(http.HTTP_CONNECTION))
  if version == http.HTTP_1_1:
    return "close" not in tokens
  return "keep-alive" in tokens


def WantsContinue(version, headers):
  """Whether the client waits for "100 Continue" before sending the body."""
  return (version == http.HTTP_1_1 and
          "100-continue" in _Tokens(headers.Get(http.HTTP_EXPECT)))


def FormatDate(now=None):
  """An HTTP date (RFC 7231 IMF-fixdate) for the Date header."""
  return email.utils.formatdate(time.time() if now is None else now,
                                usegmt=True)


def FormatResponse(status, headers, body, keep_alive, head_only=False,
                   server=http.HTTP_GANETI_VERSION, date=None):
  """Build a complete HTTP/1.1 response.

  ``Content-Length`` and ``Connection`` are always computed here; values
  for them in ``headers`` are ignored so a handler cannot break framing.

  @param headers: dict (or (name, value) pairs) of extra headers
  @param body: bytes
  @param head_only: answer to HEAD: headers as for the body, no body
  @return: bytes ready to send

  """
  (short, _) = http.GetStatusTexts(status)
  lines = ["HTTP/1.1 %d %s" % (status, short),
           "%s: %s" % (http.HTTP_SERVER, server),
           "%s: %s" % (http.HTTP_DATE, date or FormatDate())]
  if isinstance(headers, dict):
    headers = headers.items()
  for (name, value) in headers:
    if name.lower() in ("content-length", "connection", "server", "date"):
      continue
    value = str(value)
    if "\n" in value or "\r" in value or "\n" in name or "\r" in name:
      raise ValueError("Response header %r contains a line break" % name)
    lines.append("%s: %s" % (name, value))
  lines.append("%s: %d" % (http.HTTP_CONTENT_LENGTH, len(body)))
  lines.append("%s: %s" % (http.HTTP_CONNECTION,
                           "keep-alive" if keep_alive else "close"))
  lines.append("")
  lines.append("")
  head = "\r\n".join(lines).encode("iso-8859-1")
  if head_only:
    return head
  return head + body
