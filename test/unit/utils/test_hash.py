"""Tests for ganeti.utils.hash."""

import hashlib
import hmac

import pytest

from ganeti.utils import hash as utils_hash


def test_fingerprint_files(tmp_path):
  one = tmp_path / "one"
  one.write_bytes(b"hello")
  big = tmp_path / "big"
  big.write_bytes(b"x" * 200000)
  files = [str(one), str(big), str(tmp_path / "missing"), str(tmp_path)]
  result = utils_hash.FingerprintFiles(files)
  assert result == {
    str(one): hashlib.sha1(b"hello").hexdigest(),
    str(big): hashlib.sha1(b"x" * 200000).hexdigest(),
    }
  assert utils_hash.FingerprintFiles([]) == {}


def test_fingerprint_unreadable_file_raises(tmp_path, monkeypatch):
  target = tmp_path / "f"
  target.write_text("data")

  def _Deny(*_args, **_kwargs):
    raise PermissionError(13, "Permission denied", str(target))
  monkeypatch.setattr("builtins.open", _Deny)
  with pytest.raises(PermissionError):
    utils_hash.FingerprintFiles([str(target)])


def test_sha1_hmac_matches_reference():
  expected = hmac.new(b"key", b"text", hashlib.sha1).hexdigest()
  assert utils_hash.Sha1Hmac("key", "text") == expected
  assert utils_hash.Sha1Hmac(b"key", b"text") == expected
  salted = hmac.new(b"key", b"salttext", hashlib.sha1).hexdigest()
  assert utils_hash.Sha1Hmac("key", "text", salt="salt") == salted
  assert utils_hash.Sha1Hmac("key", "text", salt="") == expected


@pytest.mark.parametrize("key, text, salt", [
  (None, "t", None), ("k", 5, None), ("k", "t", 7)])
def test_sha1_hmac_bad_types(key, text, salt):
  with pytest.raises(TypeError, match="must be str or bytes"):
    utils_hash.Sha1Hmac(key, text, salt=salt)


def test_verify_sha1_hmac():
  digest = utils_hash.Sha1Hmac("k", "msg", salt="s1")
  assert utils_hash.VerifySha1Hmac("k", "msg", digest, salt="s1")
  assert utils_hash.VerifySha1Hmac("k", "msg", digest.upper(), salt="s1")
  assert not utils_hash.VerifySha1Hmac("k", "msg", digest, salt="s2")
  assert not utils_hash.VerifySha1Hmac("other", "msg", digest, salt="s1")
  assert not utils_hash.VerifySha1Hmac("k", "msg2", digest, salt="s1")
  assert not utils_hash.VerifySha1Hmac("k", "msg", "", salt="s1")
  assert not utils_hash.VerifySha1Hmac("k", "msg", None)
  assert not utils_hash.VerifySha1Hmac("k", "msg", "\u00e9" * 40)
