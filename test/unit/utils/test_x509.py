"""Tests for ganeti.utils.x509."""

import os
import ssl
import stat
import subprocess
import time

import pytest
from cryptography import x509 as crypto_x509
from cryptography.hazmat.primitives import hashes, serialization

from ganeti import constants
from ganeti import errors
from ganeti.utils import x509


@pytest.fixture(scope="module")
def key_and_cert():
  return x509.GenerateSelfSignedX509Cert("node1.example.com", 3600,
                                         serial_no=7)


def test_generate_self_signed(key_and_cert):
  (key_pem, cert_pem) = key_and_cert
  assert key_pem.startswith("-----BEGIN RSA PRIVATE KEY-----")
  assert cert_pem.startswith("-----BEGIN CERTIFICATE-----")
  cert = crypto_x509.load_pem_x509_certificate(cert_pem.encode())
  key = serialization.load_pem_private_key(key_pem.encode(), None)
  assert key.key_size == constants.RSA_KEY_BITS
  assert cert.public_key().public_numbers() == key.public_key().public_numbers()
  assert cert.serial_number == 7
  cn = cert.subject.get_attributes_for_oid(crypto_x509.NameOID.COMMON_NAME)
  assert cn[0].value == "node1.example.com"
  assert cert.issuer == cert.subject
  assert isinstance(cert.signature_hash_algorithm, hashes.SHA256)
  (not_before, not_after) = x509.GetX509CertValidity(cert)
  assert not_after - not_before == 3600
  assert abs(not_before - time.time()) < 60


def test_generate_bad_arguments():
  for (cn, validity, serial, digest, match) in [
      ("", 10, 1, "SHA256", "common name"),
      (None, 10, 1, "SHA256", "common name"),
      ("a", 0, 1, "SHA256", "validity"),
      ("a", "10", 1, "SHA256", "validity"),
      ("a", 10, 0, "SHA256", "serial"),
      ("a", 10, 1, "SHA1", "Unsupported certificate digest 'SHA1'"),
      ("a", 10, 1, "MD5", "Unsupported"),
      ("a", 10, 1, None, "Unsupported")]:
    with pytest.raises(errors.ProgrammerError, match=match):
      x509.GenerateSelfSignedX509Cert(cn, validity, serial_no=serial,
                                      digest=digest)


def test_generate_ssl_cert_file(tmp_path):
  target = tmp_path / "server.pem"
  (key_pem, cert_pem) = x509.GenerateSelfSignedSslCert(str(target))
  assert target.read_text() == key_pem + cert_pem
  assert stat.S_IMODE(os.stat(target).st_mode) == 0o400
  cert = x509.LoadX509CertificateFile(str(target))
  cn = cert.subject.get_attributes_for_oid(crypto_x509.NameOID.COMMON_NAME)
  assert cn[0].value == constants.X509_CERT_CN
  (not_before, not_after) = x509.GetX509CertValidity(cert)
  assert not_after - not_before == \
    constants.X509_CERT_DEFAULT_VALIDITY * 86400
  x509.GenerateSelfSignedSslCert(str(tmp_path / "rapi.pem"), mode=0o440,
                                 validity=1, common_name="rapi")
  assert stat.S_IMODE(os.stat(tmp_path / "rapi.pem").st_mode) == 0o440
  with pytest.raises(errors.ProgrammerError, match="days"):
    x509.GenerateSelfSignedSslCert(str(tmp_path / "x.pem"), validity=0)


def test_generated_pem_usable_for_tls(tmp_path):
  # The cluster certificate must work in both roles of a TLS connection.
  target = tmp_path / "server.pem"
  x509.GenerateSelfSignedSslCert(str(target))
  server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
  server.load_cert_chain(str(target))
  server.load_verify_locations(str(target))
  server.verify_mode = ssl.CERT_REQUIRED
  client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
  client.check_hostname = False
  client.load_cert_chain(str(target))
  client.load_verify_locations(str(target))
  import socket
  import threading
  (left, right) = socket.socketpair()
  errors_seen = []

  def serve():
    try:
      with server.wrap_socket(left, server_side=True) as conn:
        conn.sendall(conn.recv(10))
    except Exception as err:  # pylint: disable=W0703
      errors_seen.append(err)
  thread = threading.Thread(target=serve)
  thread.start()
  with client.wrap_socket(right) as conn:
    conn.sendall(b"ping")
    assert conn.recv(10) == b"ping"
  thread.join(10)
  assert not errors_seen


def test_load_certificate(key_and_cert):
  (key_pem, cert_pem) = key_and_cert
  cert = x509.LoadX509Certificate(cert_pem)
  assert x509.LoadX509Certificate(key_pem + cert_pem) == cert
  assert x509.LoadX509Certificate(cert_pem.encode()) == cert
  assert x509.DumpX509Certificate(cert) == cert_pem


@pytest.mark.parametrize("data, match", [
  ("", "No PEM certificate"), ("garbage", "No PEM certificate"),
  ("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
   "Unable to load"),
  (None, "must be str or bytes"), (42, "must be str or bytes"),
])
def test_load_certificate_garbage(data, match):
  with pytest.raises(errors.X509CertError, match=match) as info:
    x509.LoadX509Certificate(data, source="test-source")
  assert info.value.args[0] == "test-source"


def test_load_certificate_file_errors(tmp_path):
  with pytest.raises(errors.X509CertError, match="Unable to read") as info:
    x509.LoadX509CertificateFile(str(tmp_path / "missing.pem"))
  assert info.value.args[0] == str(tmp_path / "missing.pem")
  garbage = tmp_path / "garbage.pem"
  garbage.write_bytes(b"\xff\xfe")
  with pytest.raises(errors.X509CertError, match="Unable to read"):
    x509.LoadX509CertificateFile(str(garbage))
  garbage.write_text("key only")
  with pytest.raises(errors.X509CertError, match="No PEM"):
    x509.LoadX509CertificateFile(str(garbage))


def test_certificate_digest_matches_openssl(tmp_path, key_and_cert):
  (_, cert_pem) = key_and_cert
  digest = x509.GetCertificateDigest(cert_pem)
  assert len(digest) == 59 and digest == digest.upper()
  cert = x509.LoadX509Certificate(cert_pem)
  assert x509.GetCertificateDigest(cert) == digest
  pem = tmp_path / "c.pem"
  pem.write_text(cert_pem)
  try:
    out = subprocess.run(["openssl", "x509", "-noout", "-fingerprint",
                          "-sha1", "-in", str(pem)], capture_output=True,
                         text=True, check=True).stdout
  except FileNotFoundError:
    pytest.skip("openssl binary not installed")
  assert out.strip().split("=", 1)[1] == digest


def test_verify_certificate_validity():
  (_, cert_pem) = x509.GenerateSelfSignedX509Cert("x", 100 * 86400)
  cert = x509.LoadX509Certificate(cert_pem)
  (not_before, not_after) = x509.GetX509CertValidity(cert)
  assert x509.VerifyX509Certificate(cert, 30, 7) == (None, None)
  (status, msg) = x509.VerifyX509Certificate(
    cert, 30, 7, _now_fn=lambda: not_after - 20 * 86400)
  assert status == x509.CERT_WARNING
  assert msg == "Certificate expires in about 20 days"
  (status, msg) = x509.VerifyX509Certificate(
    cert, 30, 7, _now_fn=lambda: not_after - 3 * 86400)
  assert (status, msg) == (x509.CERT_ERROR,
                           "Certificate expires in about 3 days")
  (status, msg) = x509.VerifyX509Certificate(
    cert, 30, 7, _now_fn=lambda: not_after + 1)
  assert status == x509.CERT_ERROR
  assert msg.startswith("Certificate is expired (valid from ")
  (status, msg) = x509.VerifyX509Certificate(
    cert, 30, 7, _now_fn=lambda: not_before - 3600)
  assert status == x509.CERT_WARNING
  assert msg.startswith("Certificate not yet valid (valid from ")
  assert x509.VerifyX509Certificate(
    cert, None, None, _now_fn=lambda: not_after - 86400) == (None, None)


def test_verify_inner_partial_dates():
  assert x509._VerifyCertificateInner(True, None, None, 0, 1, 1) == \
    (x509.CERT_ERROR, "Certificate is expired")
  assert "valid from" in x509._VerifyCertificateInner(True, 5, None, 0, 1,
                                                      1)[1]
  assert "valid until" in x509._VerifyCertificateInner(True, None, 5, 0, 1,
                                                       1)[1]


def test_sign_and_load_signed(key_and_cert):
  (_, cert_pem) = key_and_cert
  cert = x509.LoadX509Certificate(cert_pem)
  signed = x509.SignX509Certificate(cert, "domain-secret", "abc123")
  assert signed.startswith("%s: abc123/" % constants.X509_CERT_SIGNATURE_HEADER)
  (loaded, salt) = x509.LoadSignedX509Certificate(signed, "domain-secret")
  assert loaded == cert and salt == "abc123"
  with pytest.raises(errors.GenericError, match="signature is invalid"):
    x509.LoadSignedX509Certificate(signed, "other-secret")
  tampered = signed.replace("abc123/", "abc124/")
  with pytest.raises(errors.GenericError, match="signature is invalid"):
    x509.LoadSignedX509Certificate(tampered, "domain-secret")
  with pytest.raises(errors.GenericError, match="signature is missing"):
    x509.LoadSignedX509Certificate(cert_pem, "domain-secret")
  with pytest.raises(errors.X509CertError, match="must be a string"):
    x509.LoadSignedX509Certificate(None, "domain-secret")
  for bad_salt in ["", "a/b", None, "sp ace"]:
    with pytest.raises(errors.GenericError, match="Invalid salt"):
      x509.SignX509Certificate(cert, "k", bad_salt)
