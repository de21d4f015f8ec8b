"""Tests for ganeti.http.auth (users file, basic auth, access checks)."""

import base64
import hashlib
import http.client as std_http
import json
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ganeti import http
from ganeti.http import auth
from ganeti.http import server


def _Ha1(user, password, realm=auth.RAPI_REALM):
  return hashlib.md5(("%s:%s:%s" % (user, realm, password))
                     .encode("utf-8")).hexdigest()


_USERS_TEXT = """
# comment line
  reader   readpw
writer {CLEARTEXT}wr:it,e  write
hashed {HA1}%s write, read ,
nopass
mixed {ha1}%s
weird {SHA}whatever write
broken {nobrace write
dup first
dup second write
""" % (_Ha1("hashed", "s3cret"), _Ha1("mixed", "pw").upper())


class _Req:
  """Just enough of a request for the authenticator."""

  def __init__(self, authorization=None):
    headers = []
    if authorization is not None:
      headers.append((http.HTTP_AUTHORIZATION, authorization))
    self.headers = http.HttpHeaders(headers)
    self.client_address = ("127.0.0.1", 1)
    self.method = "PUT"
    self.path = "/2/x"


def _Basic(user, password):
  return "Basic " + base64.b64encode(("%s:%s" % (user, password))
                                     .encode("utf-8")).decode("ascii")


def test_parse_password_file():
  users = auth.ParsePasswordFile(_USERS_TEXT)
  assert sorted(users) == ["broken", "dup", "hashed", "mixed", "reader",
                           "weird", "writer"]
  assert users["reader"].password == "readpw"
  assert users["reader"].options == []
  assert users["writer"].password == "{CLEARTEXT}wr:it,e"
  assert users["writer"].options == ["write"]
  assert users["hashed"].options == ["write", "read"]
  assert users["dup"].password == "second"
  assert users["dup"].options == ["write"]
  assert "nopass" not in users
  assert "reader" in repr(users["reader"])


@pytest.mark.parametrize("user,password,expected", [
  ("reader", "readpw", True), ("reader", "readpW", False),
  ("writer", "wr:it,e", True), ("writer", "{CLEARTEXT}wr:it,e", False),
  ("hashed", "s3cret", True), ("hashed", "secret", False),
  ("mixed", "pw", True),
  ("weird", "whatever", False), ("broken", "write", False),
  ])
def test_verify_passwords(user, password, expected):
  stored = auth.ParsePasswordFile(_USERS_TEXT)[user].password
  assert auth.VerifyBasicAuthPassword(user, password, stored,
                                      auth.RAPI_REALM) is expected


def test_verify_cleartext_scheme_is_case_insensitive():
  assert auth.VerifyBasicAuthPassword("u", "x", "{cleartext}x", "r")
  assert not auth.VerifyBasicAuthPassword("u", "x", "{}x", "r")


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=1, max_size=20).filter(lambda u: ":" not in u),
       st.text(max_size=30), st.text(max_size=30))
def test_ha1_matches_only_the_right_password(user, password, other):
  stored = "{HA1}" + _Ha1(user, password)
  assert auth.VerifyBasicAuthPassword(user, password, stored,
                                      auth.RAPI_REALM)
  assert auth.VerifyBasicAuthPassword(user, other, stored,
                                      auth.RAPI_REALM) == (other == password)


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=1, max_size=20).filter(lambda u: ":" not in u),
       st.text(max_size=30))
def test_basic_header_round_trip(user, password):
  assert auth.ParseBasicAuthHeader(_Basic(user, password)) == (user,
                                                               password)


def test_parse_basic_header_edge_cases():
  assert auth.ParseBasicAuthHeader("basic " + base64.b64encode(
    b"u:p:q").decode()) == ("u", "p:q")
  assert auth.ParseBasicAuthHeader("Digest username=x") is None
  assert auth.ParseBasicAuthHeader("Basic !!!") is None
  assert auth.ParseBasicAuthHeader("Basic " + base64.b64encode(
    b"nocolon").decode()) is None
  assert auth.ParseBasicAuthHeader("Basic " + base64.b64encode(
    b"\xff:x").decode()) is None
  with pytest.raises(http.HttpBadRequest, match="without credentials"):
    auth.ParseBasicAuthHeader("Basic   ")


def test_users_file_reloads_on_change(tmp_path):
  path = tmp_path / "users"
  users_file = auth.UsersFile(str(path))
  assert users_file.GetUsers() == {}
  path.write_text("alice pw1\n")
  assert users_file.GetUsers()["alice"].password == "pw1"
  first = users_file.GetUsers()
  assert users_file.GetUsers() is first
  path.write_text("alice pw2 write\nbob x\n")
  # make sure the identity changes even on coarse timestamps
  os.utime(path, ns=(1, 2))
  assert sorted(users_file.GetUsers()) == ["alice", "bob"]
  assert users_file.GetUsers()["alice"].options == ["write"]
  path.write_bytes(b"\xff\xfe bad utf8\n")
  os.utime(path, ns=(3, 4))
  assert users_file.GetUsers() == {}
  path.unlink()
  assert users_file.GetUsers() == {}


def test_authenticator_rules():
  users = auth.ParsePasswordFile(_USERS_TEXT)
  authn = auth.BasicAuthenticator(lambda: users)
  # anonymous
  assert authn.Authenticate(_Req()) is None
  assert authn.CheckAccess(_Req(), []) is None
  with pytest.raises(http.HttpUnauthorized) as err:
    authn.CheckAccess(_Req(), [auth.RAPI_ACCESS_WRITE])
  assert err.value.headers[http.HTTP_WWW_AUTHENTICATE] == \
    'Basic realm="Ganeti Remote API"'
  with pytest.raises(http.HttpUnauthorized):
    authn.CheckAccess(_Req(), [], require_auth=True)
  # good credentials
  user = authn.CheckAccess(_Req(_Basic("writer", "wr:it,e")), ["write"])
  assert user.name == "writer"
  assert authn.CheckAccess(_Req(_Basic("reader", "readpw")), []).name == \
    "reader"
  assert authn.CheckAccess(_Req(_Basic("hashed", "s3cret")),
                           ["read"]).name == "hashed"
  # wrong credentials fail even where anonymous access is fine
  for header in (_Basic("reader", "nope"), _Basic("ghost", "x"),
                 "Digest username=reader", "Basic ####"):
    with pytest.raises(http.HttpUnauthorized):
      authn.CheckAccess(_Req(header), [])
  # valid user without the option
  with pytest.raises(http.HttpForbidden, match="reader lacks .*write"):
    authn.CheckAccess(_Req(_Basic("reader", "readpw")), ["write"])
  with pytest.raises(http.HttpBadRequest):
    authn.CheckAccess(_Req("Basic"), [])


@pytest.fixture
def auth_server(tmp_path):
  users_path = tmp_path / "users"
  users_path.write_text("reader readpw\nwriter {HA1}%s write\n"
                        % _Ha1("writer", "wpw"))
  authn = auth.BasicAuthenticator(auth.UsersFile(str(users_path)).GetUsers)

  def Handler(req):
    access = [] if req.method == http.HTTP_GET else [auth.RAPI_ACCESS_WRITE]
    user = authn.CheckAccess(req, access)
    return json.dumps(user.name if user else None)

  srv = server.HttpServer("127.0.0.1", 0, Handler)
  srv.Start()
  yield srv
  assert srv.Stop(timeout=5)


@pytest.mark.parametrize("method,creds,status,answer", [
  ("GET", None, 200, None),
  ("GET", ("reader", "readpw"), 200, "reader"),
  ("GET", ("reader", "bad"), 401, None),
  ("PUT", None, 401, None),
  ("PUT", ("reader", "readpw"), 403, None),
  ("PUT", ("writer", "wpw"), 200, "writer"),
  ("PUT", ("writer", "readpw"), 401, None),
  ])
def test_basic_auth_over_http(auth_server, method, creds, status, answer):
  conn = std_http.HTTPConnection(auth_server.address, auth_server.port,
                                 timeout=5)
  headers = {}
  if creds:
    headers[http.HTTP_AUTHORIZATION] = _Basic(*creds)
  try:
    conn.request(method, "/2/resource", body=b"" if method == "PUT" else None,
                 headers=headers)
    resp = conn.getresponse()
    body = json.loads(resp.read())
  finally:
    conn.close()
  assert resp.status == status
  if status == 200:
    assert body == answer
  else:
    assert body["code"] == status
  if status == 401:
    assert resp.getheader("WWW-Authenticate") == \
      'Basic realm="Ganeti Remote API"'
