"""File contents on the RPC wire, and the node's upload target list.

Layer 3 (node side).  File contents travel between master and nodes as
``[encoding, content]`` (``constants.RPC_ENCODING_NONE``: the text itself,
``RPC_ENCODING_ZLIB_BASE64``: zlib-compressed then base64-encoded), so
that large files (config.data, job files) stay small and binary data
survives JSON.  ``PackFileData`` is the master's side, ``UnpackFileData``
the node's; both live here so the two ends cannot drift apart.

``UploadFile`` writes one of the files the master may push to a node
(certificates, config.data, known_hosts, ...); the list is computed from
pathutils at call time so that a virtual node only accepts its own paths.

This module must not import master-side or wire modules and must never
write a file that is not on the allowed list.
"""

import base64
import binascii
import grp
import os
import pwd
import zlib
from typing import FrozenSet, List, Optional, Union

from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti import utils
from ganeti import vcluster
from ganeti.backend_base import Fail


#: Contents shorter than this are sent as they are: compressing them saves
#: nothing worth the CPU time
COMPRESS_THRESHOLD = 512

#: zlib level: files are small, speed matters more than the last bytes
_ZLIB_LEVEL = 3


def PackFileData(data: Union[bytes, str],
                 compress: Optional[bool] = None) -> List:
  """Turns file contents into the ``[encoding, content]`` wire form.

  @param data: the contents (str is encoded as UTF-8)
  @param compress: force (True) or forbid (False) compression; by default
      contents of at least L{COMPRESS_THRESHOLD} bytes are compressed.
      Contents that are not valid UTF-8 are always compressed, since the
      plain encoding must be JSON text.
  @raise errors.ProgrammerError: for data of another type

  """
  if isinstance(data, str):
    raw = data.encode("utf-8")
  elif isinstance(data, (bytes, bytearray)):
    raw = bytes(data)
  else:
    raise errors.ProgrammerError("File data to pack must be bytes or str,"
                                 " not %s" % type(data).__name__)
  if compress is None:
    compress = len(raw) >= COMPRESS_THRESHOLD
  if not compress:
    try:
      return [constants.RPC_ENCODING_NONE, raw.decode("utf-8")]
    except UnicodeDecodeError:
      pass
  packed = base64.b64encode(zlib.compress(raw, _ZLIB_LEVEL)).decode("ascii")
  return [constants.RPC_ENCODING_ZLIB_BASE64, packed]


def UnpackFileData(data) -> bytes:
  """Decodes the ``[encoding, content]`` wire form into the raw bytes.

  @raise RPCFail: for anything but a valid two-element form

  """
  if not isinstance(data, (list, tuple)) or len(data) != 2:
    Fail("Invalid file data: expected [encoding, content], got %s",
         _Describe(data))
  (encoding, content) = data
  if isinstance(encoding, bool) or encoding not in constants.RPC_ENCODINGS:
    Fail("Unknown file data encoding %r (known: %s)", encoding,
         ", ".join(str(e) for e in sorted(constants.RPC_ENCODINGS)))
  if not isinstance(content, (str, bytes)):
    Fail("Invalid file data content: expected a string, got %s",
         type(content).__name__)
  if encoding == constants.RPC_ENCODING_NONE:
    if isinstance(content, str):
      return content.encode("utf-8")
    return bytes(content)
  try:
    return zlib.decompress(base64.b64decode(content, validate=True))
  except (binascii.Error, ValueError, zlib.error) as err:
    Fail("Invalid compressed file data (zlib+base64): %s", err)


def _Describe(value) -> str:
  text = repr(value)
  if len(text) > 60:
    text = text[:57] + "..."
  return "%s %s" % (type(value).__name__, text)


def GetAllowedUploadFiles() -> FrozenSet[str]:
  """Returns the files the master may push with UploadFile, as local paths.

  The ssconf files are not on the list: they have their own call
  (write_ssconf_files) that validates keys and values.

  """
  return frozenset([
    pathutils.CLUSTER_CONF_FILE,
    pathutils.ETC_HOSTS,
    pathutils.SSH_KNOWN_HOSTS_FILE,
    pathutils.VNC_PASSWORD_FILE,
    pathutils.NODED_CERT_FILE,
    pathutils.RAPI_CERT_FILE,
    pathutils.SPICE_CERT_FILE,
    pathutils.SPICE_CACERT_FILE,
    pathutils.RAPI_USERS_FILE,
    pathutils.CONFD_HMAC_KEY,
    pathutils.CLUSTER_DOMAIN_SECRET_FILE,
    ])


def LocalizePath(path) -> str:
  """Turns a path received from another node into this node's path.

  In a virtual cluster the master sends node-independent paths (see
  vcluster.MakeVirtualPath); plain absolute paths are taken as they are
  (they are this node's own paths, or will be refused by the caller's
  checks).

  @raise RPCFail: when the path is not an absolute path string

  """
  if not isinstance(path, str) or not path:
    Fail("Invalid path %s: not a non-empty string", _Describe(path))
  if not os.path.isabs(path):
    Fail("Path '%s' is not absolute", path)
  if vcluster.IsVirtualCluster():
    try:
      return vcluster.LocalizeVirtualPath(path)
    except errors.ProgrammerError:
      # not a virtual path: the node's own (already local) path
      return os.path.normpath(path)
  return os.path.normpath(path)


def _LookupId(value, kind: str) -> int:
  """Resolves a user or group given by name (Ganeti's form) or number."""
  if isinstance(value, bool):
    Fail("Invalid %s %r: booleans are not accepted", kind, value)
  if isinstance(value, int):
    if value < -1:
      Fail("Invalid %s id %d", kind, value)
    return value
  if not isinstance(value, str) or not value:
    Fail("Invalid %s %s: expected a name or a number", kind, _Describe(value))
  try:
    if kind == "user":
      return pwd.getpwnam(value).pw_uid
    return grp.getgrnam(value).gr_gid
  except KeyError:
    Fail("Unknown %s '%s' on this node", kind, value)


def _CheckTime(value, name: str) -> Optional[float]:
  if value is None:
    return None
  if isinstance(value, bool) or not isinstance(value, (int, float)):
    Fail("Invalid %s %s: expected a number of seconds", name,
         _Describe(value))
  return float(value)


def UploadFile(file_name, data, mode, uid, gid, atime, mtime) -> None:
  """Writes one of the allowed cluster files, atomically.

  @param file_name: target path (virtual path in a virtual cluster)
  @param data: contents in the ``[encoding, content]`` form
  @param mode: permission bits
  @param uid: owner, as a user name (Ganeti's form) or a uid (-1: keep)
  @param gid: group, as a group name or a gid (-1: keep)
  @param atime: access time to set, or None (together with mtime)
  @param mtime: modification time to set, or None
  @raise RPCFail: for targets outside the allowed list and any bad input

  """
  local_name = LocalizePath(file_name)
  allowed = GetAllowedUploadFiles()
  if local_name not in allowed:
    Fail("File '%s' is not an allowed upload target (allowed: %s)",
         file_name, ", ".join(sorted(allowed)))
  if isinstance(mode, bool) or not isinstance(mode, int) or \
      not 0 <= mode <= 0o7777:
    Fail("Invalid file mode %s for '%s'", _Describe(mode), local_name)
  atime = _CheckTime(atime, "atime")
  mtime = _CheckTime(mtime, "mtime")
  if (atime is None) != (mtime is None):
    Fail("Upload of '%s': atime and mtime must be given together",
         local_name)
  raw = UnpackFileData(data)
  uid_num = _LookupId(uid, "user")
  gid_num = _LookupId(gid, "group")
  try:
    utils.WriteFile(local_name, data=raw, mode=mode, uid=uid_num,
                    gid=gid_num, atime=atime, mtime=mtime)
  except EnvironmentError as err:
    Fail("Cannot write '%s': %s", local_name, err)
