"""Tests for ganeti.http.message (request head parsing, response format)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ganeti import http
from ganeti.http import message


def _Head(text):
  return message.ParseRequestHead(text.encode("iso-8859-1"))


def test_parse_simple_request():
  head = _Head("POST /version?x=1 HTTP/1.1\r\nHost: a\r\n"
               "Content-Length: 3\r\nX-Empty:\r\n")
  assert head.method == "POST"
  assert head.uri == "/version?x=1"
  assert head.version == http.HTTP_1_1
  assert head.headers.Get("host") == "a"
  assert head.headers.Get("x-empty") == ""


def test_parse_tolerates_bare_lf_and_leading_empty_lines():
  head = _Head("\r\n\nGET / HTTP/1.0\nA:  b \t\n")
  assert (head.method, head.uri, head.version) == ("GET", "/",
                                                    http.HTTP_1_0)
  assert head.headers.Get("a") == "b"


def test_parse_versions():
  assert _Head("GET / HTTP/1.5").version == http.HTTP_1_1
  with pytest.raises(http.HttpVersionNotSupported, match="2.0"):
    _Head("GET / HTTP/2.0")
  with pytest.raises(http.HttpBadRequest, match="version"):
    _Head("GET / HTTP/x")
  with pytest.raises(http.HttpBadRequest, match="version"):
    _Head("GET / FTP/1.0")


def test_parse_absolute_form_targets():
  assert _Head("GET http://h:1/a/b?q HTTP/1.1").uri == "/a/b?q"
  assert _Head("GET HTTPS://h HTTP/1.1").uri == "/"
  assert _Head("GET http://h?x=1 HTTP/1.1").uri == "/?x=1"


@pytest.mark.parametrize("line", [
  "GET /", "GET  / HTTP/1.1", "GET / HTTP/1.1 extra", "", "GET",
  ])
def test_parse_bad_request_lines(line):
  with pytest.raises(http.HttpBadRequest, match="request line"):
    _Head(line)


@pytest.mark.parametrize("line,what", [
  ("G(T / HTTP/1.1", "method"),
  ("GET foo HTTP/1.1", "target"),
  ("GET /\x01 HTTP/1.1", "target"),
  ("GET ftp://x/ HTTP/1.1", "target"),
  ])
def test_parse_bad_method_or_target(line, what):
  with pytest.raises(http.HttpBadRequest, match=what):
    _Head(line)


@pytest.mark.parametrize("lines,what", [
  ("No colon here", "Malformed header"),
  ("Bad Name: x", "Malformed header"),
  (": x", "Malformed header"),
  ("A: b\r\n folded", "Folded header"),
  ("A: b\x01c", "Control character"),
  ("A: b\r\n\r\nB: c", "Empty line"),
  ])
def test_parse_bad_headers(lines, what):
  with pytest.raises(http.HttpBadRequest, match=what):
    _Head("GET / HTTP/1.1\r\n" + lines)


def test_parse_limits():
  with pytest.raises(http.HttpRequestUriTooLong):
    _Head("GET /" + "a" * message.MAX_REQUEST_LINE + " HTTP/1.1")
  many = "".join("H%d: v\r\n" % i for i in range(message.MAX_HEADER_COUNT
                                                  + 1))
  with pytest.raises(http.HttpRequestHeaderFieldsTooLarge, match="header"):
    _Head("GET / HTTP/1.1\r\n" + many)
  with pytest.raises(http.HttpRequestHeaderFieldsTooLarge, match="head"):
    message.ParseRequestHead(b"x" * (message.MAX_HEAD_SIZE + 1))


def test_find_head_end():
  assert message.FindHeadEnd(b"GET / HTTP/1.1\r\nA: b\r\n") is None
  assert message.FindHeadEnd(b"GET / HTTP/1.1\r\n\r\nbody") == (14, 4)
  assert message.FindHeadEnd(b"GET / HTTP/1.1\n\nbody") == (14, 2)
  assert message.FindHeadEnd(b"GET / HTTP/1.1\n\r\nbody") == (14, 3)


def test_check_incomplete_head():
  message.CheckIncompleteHead(b"GET /abc")
  with pytest.raises(http.HttpRequestUriTooLong):
    message.CheckIncompleteHead(b"G" * (message.MAX_REQUEST_LINE + 1))
  with pytest.raises(http.HttpRequestUriTooLong):
    message.CheckIncompleteHead(b"G" * (message.MAX_REQUEST_LINE + 1) +
                                b"\n")
  with pytest.raises(http.HttpRequestHeaderFieldsTooLarge):
    message.CheckIncompleteHead(b"GET / HTTP/1.1\r\n" +
                                b"A" * message.MAX_HEAD_SIZE)


def _Headers(*items):
  return http.HttpHeaders(list(items))


def test_body_length():
  assert message.GetBodyLength(_Headers()) == 0
  assert message.GetBodyLength(_Headers(("Content-Length", "12"))) == 12
  assert message.GetBodyLength(_Headers(("Content-Length", "5"),
                                        ("content-length", "5, 5"))) == 5


@pytest.mark.parametrize("values,what", [
  (["-1"], "Invalid Content-Length"), (["1e3"], "Invalid Content-Length"),
  ([""], "Invalid Content-Length"), (["1" * 19], "Invalid Content-Length"),
  (["1", "2"], "Conflicting"), (["1, 2"], "Conflicting"),
  ])
def test_body_length_bad_values(values, what):
  hdrs = _Headers(*[("Content-Length", v) for v in values])
  with pytest.raises(http.HttpBadRequest, match=what):
    message.GetBodyLength(hdrs)


def test_body_length_refuses_chunked():
  with pytest.raises(http.HttpLengthRequired, match="chunked"):
    message.GetBodyLength(_Headers(("Transfer-Encoding", "chunked"),
                                   ("Content-Length", "3")))


def test_keep_alive_rules():
  assert message.WantsKeepAlive(http.HTTP_1_1, _Headers())
  assert not message.WantsKeepAlive(http.HTTP_1_1,
                                    _Headers(("Connection", "Close")))
  assert not message.WantsKeepAlive(http.HTTP_1_0, _Headers())
  assert message.WantsKeepAlive(http.HTTP_1_0,
                                _Headers(("Connection", "Keep-Alive")))


def test_wants_continue():
  hdrs = _Headers(("Expect", "100-continue"))
  assert message.WantsContinue(http.HTTP_1_1, hdrs)
  assert not message.WantsContinue(http.HTTP_1_0, hdrs)
  assert not message.WantsContinue(http.HTTP_1_1, _Headers(("Expect", "")))


def test_format_date():
  assert message.FormatDate(0) == "Thu, 01 Jan 1970 00:00:00 GMT"
  assert message.FormatDate().endswith(" GMT")


def test_format_response():
  data = message.FormatResponse(200, {"Content-Type": "a/b",
                                      "Content-Length": "999",
                                      "Connection": "upgrade"},
                                b"body", True, date="D")
  (head, body) = data.split(b"\r\n\r\n", 1)
  lines = head.decode().split("\r\n")
  assert lines[0] == "HTTP/1.1 200 OK"
  assert "Server: %s" % http.HTTP_GANETI_VERSION in lines
  assert "Date: D" in lines
  assert "Content-Type: a/b" in lines
  assert "Content-Length: 4" in lines
  assert "Connection: keep-alive" in lines
  assert "Content-Length: 999" not in lines
  assert body == b"body"
  head_only = message.FormatResponse(404, [("X", "1")], b"body", False,
                                     head_only=True)
  assert head_only.endswith(b"Content-Length: 4\r\nConnection: close\r\n\r\n")


def test_format_response_refuses_header_injection():
  with pytest.raises(ValueError, match="line break"):
    message.FormatResponse(200, {"X": "a\r\nSet-Cookie: x"}, b"", True)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_parse_random_bytes_only_raises_http_errors(data):
  try:
    head = message.ParseRequestHead(data)
  except http.HttpException as err:
    assert 400 <= err.code < 600
  else:
    assert head.uri.startswith("/")
    assert head.version in (http.HTTP_1_0, http.HTTP_1_1)


_TOKEN = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJ-_0123456789",
                 min_size=1, max_size=20)
_VALUE = st.text(alphabet=st.characters(min_codepoint=0x21,
                                        max_codepoint=0x7e), max_size=30)


@settings(max_examples=200, deadline=None)
@given(_TOKEN, st.lists(st.tuples(_TOKEN, _VALUE), max_size=10),
       st.sampled_from(["HTTP/1.0", "HTTP/1.1"]))
def test_parse_round_trip(path, headers, version):
  text = "PUT /%s %s\r\n" % (path, version)
  text += "".join("%s: %s\r\n" % item for item in headers)
  head = _Head(text)
  assert head.method == "PUT"
  assert head.uri == "/" + path
  assert head.version == version
  assert head.headers.items() == headers
