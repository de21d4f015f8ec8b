"""Checksums of files and HMAC signatures.

Layer 1 (base). SHA1 fingerprints let the master compare files (ssconf,
certificates, ancillary files) across nodes; SHA1-HMAC signs confd packets
and certificates exchanged between clusters. Must not import anything
above the base layer.
"""

import hashlib
import hmac
import os


def _AsBytes(value, what):
  if isinstance(value, str):
    return value.encode("utf-8")
  if isinstance(value, (bytes, bytearray)):
    return bytes(value)
  raise TypeError("%s must be str or bytes, got %r" % (what, value))


def _FingerprintFile(filename):
  """SHA1 hex digest of a file's contents, or None if it is not a file."""
  if not os.path.isfile(filename):
    return None
  digest = hashlib.sha1()
  with open(filename, "rb") as handle:
    for block in iter(lambda: handle.read(65536), b""):
      digest.update(block)
  return digest.hexdigest()


def FingerprintFiles(files):
  """Map each existing regular file of ``files`` to its SHA1 hex digest.

  Missing files and non-files are left out of the result, so comparing two
  nodes' answers also shows which files exist where.

  @rtype: dict

  """
  result = {}
  for filename in files:
    checksum = _FingerprintFile(filename)
    if checksum:
      result[filename] = checksum
  return result


def Sha1Hmac(key, text, salt=None):
  """Hex SHA1-HMAC of ``salt + text`` under ``key``.

  @param key: the secret (str or bytes)
  @param text: the signed data (str or bytes)
  @param salt: optional string prepended to text

  """
  data = _AsBytes(text, "HMAC text")
  if salt:
    data = _AsBytes(salt, "HMAC salt") + data
  return hmac.new(_AsBytes(key, "HMAC key"), data, hashlib.sha1).hexdigest()


def VerifySha1Hmac(key, text, digest, salt=None):
  """Whether ``digest`` (hex, any case) is the SHA1-HMAC of salt + text."""
  if not isinstance(digest, str):
    return False
  expected = Sha1Hmac(key, text, salt=salt)
  return hmac.compare_digest(expected.encode("ascii"),
                             digest.lower().encode("utf-8"))
