"""HTTP basic authentication against a Ganeti RAPI users file.

Layer 4 (wire). Parses the users file (``USERNAME PASSWORD [OPTIONS]``,
passwords in clear text, ``{CLEARTEXT}...`` or ``{HA1}<md5 hex of
user:realm:password>``), keeps it current when the file changes, checks
the ``Authorization`` header of a request and decides 401 (who are you?)
versus 403 (you may not) for a resource's access list. Which resource
needs which access option is the caller's business (the RAPI resources);
this module must not know about resources, opcodes or LUXI.
"""

import base64
import binascii
import hashlib
import hmac
import logging
import os
import threading

from ganeti import errors
from ganeti import http
from ganeti import utils


#: The realm of the Remote API, used in HA1 digests and in challenges
RAPI_REALM = "Ganeti Remote API"

#: Access option allowing every modification (and every read)
RAPI_ACCESS_WRITE = "write"
#: Access option allowing reads that need authentication (later Ganeti)
RAPI_ACCESS_READ = "read"

_SCHEME_CLEARTEXT = "CLEARTEXT"
_SCHEME_HA1 = "HA1"


class PasswordFileUser:
  """One user of a users file.

  @ivar name: user name
  @ivar password: stored password, possibly with a {SCHEME} prefix
  @ivar options: list of access options, e.g. ["write"]

  """
  def __init__(self, name, password, options):
    self.name = name
    self.password = password
    self.options = list(options)

  def __repr__(self):
    return "<PasswordFileUser %s options=%s>" % (self.name, self.options)


def ParsePasswordFile(contents):
  """Parse a users file's text into {name: PasswordFileUser}.

  Empty lines and lines starting with "#" are ignored, as are lines with
  fewer than two fields; a later line for a user replaces an earlier one.

  """
  users = {}
  for line in contents.splitlines():
    line = line.strip()
    if not line or line.startswith("#"):
      continue
    parts = line.split(None, 2)
    if len(parts) < 2:
      logging.warning("Ignoring users file line without a password: %r",
                      parts[0])
      continue
    options = []
    if len(parts) > 2:
      options = [opt.strip() for opt in parts[2].split(",") if opt.strip()]
    users[parts[0]] = PasswordFileUser(parts[0], parts[1], options)
  return users


def _Equal(left, right):
  return hmac.compare_digest(left.encode("utf-8"), right.encode("utf-8"))


def VerifyBasicAuthPassword(username, password, expected, realm):
  """Check a password given by a client against the stored form.

  @param expected: the stored password: clear text, "{CLEARTEXT}text" or
      "{HA1}hex" (scheme names case-insensitive); other schemes never match
  @param realm: the realm used to compute HA1 digests
  @return: bool

  """
  if not expected.startswith("{"):
    return _Equal(password, expected)
  end = expected.find("}")
  if end < 1:
    logging.warning("Invalid password scheme in the users file entry for"
                    " %r", username)
    return False
  scheme = expected[1:end].upper()
  stored = expected[end + 1:]
  if scheme == _SCHEME_CLEARTEXT:
    return _Equal(password, stored)
  if scheme == _SCHEME_HA1:
    digest = hashlib.md5(("%s:%s:%s" % (username, realm, password))
                         .encode("utf-8")).hexdigest()
    return _Equal(digest, stored.lower())
  logging.warning("Unknown password scheme %r in the users file entry for"
                  " %r", scheme, username)
  return False


def ParseBasicAuthHeader(value):
  """Decode an ``Authorization`` header.

  @return: (user, password) for Basic credentials, None for any other
      scheme (Digest is recognised but not supported, so it never
      authenticates) or undecodable credentials
  @raise http.HttpBadRequest: "Basic" without credentials

  """
  (scheme, _, credentials) = value.strip().partition(" ")
  if scheme.lower() != http.HTTP_BASIC_AUTH.lower():
    return None
  credentials = credentials.strip()
  if not credentials:
    raise http.HttpBadRequest("Basic authentication header without"
                              " credentials")
  try:
    decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
  except (binascii.Error, ValueError):
    return None
  (user, sep, password) = decoded.partition(":")
  if not sep:
    return None
  return (user, password)


class UsersFile:
  """A users file, re-read when it changes on disk.

  The file's identity (inode, size, modification time) is checked on
  every access, which gives the reload-on-change behaviour of Ganeti 2.6
  without a watcher thread. A missing or unreadable file means no users.

  """
  def __init__(self, path):
    self.path = path
    self._lock = threading.Lock()
    self._file_id = None
    self._users = {}

  def _Identity(self):
    try:
      st = os.stat(self.path)
    except OSError:
      return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)

  def GetUsers(self):
    """The current {name: PasswordFileUser}."""
    identity = self._Identity()
    with self._lock:
      if identity == self._file_id:
        return self._users
      if identity is None:
        users = {}
      else:
        try:
          users = ParsePasswordFile(utils.ReadFile(self.path))
        except (EnvironmentError, errors.GenericError) as err:
          logging.warning("Cannot read users file %s: %s", self.path, err)
          users = {}
      logging.info("Loaded %d user(s) from %s", len(users), self.path)
      self._file_id = identity
      self._users = users
      return users


class BasicAuthenticator:
  """Authenticate requests and check access lists (RAPI's rules).

  @param users_fn: returns the current {name: PasswordFileUser}, e.g.
      ``UsersFile(path).GetUsers``
  @param realm: realm for challenges and HA1 digests

  """
  def __init__(self, users_fn, realm=RAPI_REALM):
    self._users_fn = users_fn
    self.realm = realm

  def _Challenge(self, message):
    return http.HttpUnauthorized(message, headers={
      http.HTTP_WWW_AUTHENTICATE: '%s realm="%s"' % (http.HTTP_BASIC_AUTH,
                                                     self.realm),
      })

  def Authenticate(self, req):
    """Who sent the request.

    Credentials, when present, are always checked: wrong ones fail even
    where anonymous access would be allowed.

    @return: the L{PasswordFileUser}, or None without an Authorization
        header
    @raise http.HttpUnauthorized: credentials present but wrong
    @raise http.HttpBadRequest: "Basic" without credentials

    """
    value = req.headers.Get(http.HTTP_AUTHORIZATION)
    if value is None:
      return None
    creds = ParseBasicAuthHeader(value)
    if creds is None:
      raise self._Challenge("Unsupported or malformed credentials")
    (username, password) = creds
    user = self._users_fn().get(username)
    if user is None or not VerifyBasicAuthPassword(username, password,
                                                   user.password,
                                                   self.realm):
      logging.info("Authentication failed for user %r from %s", username,
                   req.client_address)
      raise self._Challenge("Wrong user name or password")
    return user

  def CheckAccess(self, req, access, require_auth=False):
    """Authenticate, then check the user against an access list.

    A request passes when the access list is empty (and authentication is
    not required), or when the user holds one of the listed options.

    @param access: access options of the resource, e.g. ["write"]
    @param require_auth: demand a valid user even for an empty list
    @return: the user, or None for an allowed anonymous request
    @raise http.HttpUnauthorized: no or wrong credentials where needed
    @raise http.HttpForbidden: valid user without the needed option

    """
    user = self.Authenticate(req)
    if user is None:
      if access or require_auth:
        raise self._Challenge("Authentication required")
      return None
    if access and not set(access) & set(user.options):
      logging.info("User %r lacks access %s for %s %s", user.name,
                   "/".join(access), req.method, req.path)
      raise http.HttpForbidden("User %s lacks the access option(s) %s"
                               % (user.name, ", ".join(access)))
    return user
