"""X509 certificates: generation, loading, validity checks, signatures.

Layer 1 (base). The cluster certificate (server.pem: RSA key followed by a
self-signed certificate), the RAPI certificate and the per-transfer
certificates of instance import/export are made and checked here, with
the ``cryptography`` package. Must not import anything above the base
layer and must not decide file locations (callers pass paths).
"""

import datetime
import re
import time

from ganeti import constants
from ganeti import errors
from ganeti.utils import hash as utils_hash
from ganeti.utils import io as utils_io
from ganeti.utils import text as utils_text


#: VerifyX509Certificate result: usable but to be looked at
CERT_WARNING = 1
#: VerifyX509Certificate result: not usable (or about to expire)
CERT_ERROR = 2

_PEM_CERT_BEGIN = "-----BEGIN CERTIFICATE-----"

_SIGNATURE_RE = re.compile(r"^%s:\s*([a-zA-Z0-9]+)/([0-9a-fA-F]+)$"
                           % re.escape(constants.X509_CERT_SIGNATURE_HEADER))

#: Signature hashes. Ganeti 2.6 signed with SHA1; the cryptography package
#: and OpenSSL's default security level refuse SHA1 signatures today, so
#: SHA256 is the default and SHA1 is rejected with a clear error instead of
#: a library exception.
DEFAULT_SIGN_DIGEST = constants.X509_CERT_SIGN_DIGEST

_DIGESTS = frozenset(["SHA256", "SHA384", "SHA512"])

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def _Crypto():
  """The cryptography modules, imported on first use.

  They cost about 50 ms to import, which every command line tool would pay
  through ``utils`` although few of them touch a certificate.

  """
  # pylint: disable=C0415
  from cryptography import x509 as crypto_x509
  from cryptography.hazmat.primitives import hashes
  from cryptography.hazmat.primitives import serialization
  from cryptography.hazmat.primitives.asymmetric import rsa
  from cryptography.x509.oid import NameOID
  return (crypto_x509, hashes, serialization, rsa, NameOID)


def _DigestFor(name):
  (_, hashes, _, _, _) = _Crypto()
  try:
    if name.upper() not in _DIGESTS:
      raise KeyError(name)
    return getattr(hashes, name.upper())()
  except (KeyError, AttributeError):
    raise errors.ProgrammerError("Unsupported certificate digest %r,"
                                 " expected one of %s"
                                 % (name, ", ".join(sorted(_DIGESTS)))) \
      from None


def GenerateSelfSignedX509Cert(common_name, validity, serial_no=1,
                               digest=DEFAULT_SIGN_DIGEST,
                               key_bits=constants.RSA_KEY_BITS,
                               _time_fn=time.time):
  """Create an RSA key and a self-signed certificate for it.

  @param common_name: subject (and issuer) CN
  @param validity: seconds the certificate is valid from now
  @param serial_no: certificate serial number
  @param digest: signature hash name (SHA256, SHA384 or SHA512)
  @return: (key PEM, certificate PEM), both str
  @raise errors.ProgrammerError: bad common name, validity or digest

  """
  if not isinstance(common_name, str) or not common_name:
    raise errors.ProgrammerError("Certificate common name must be a"
                                 " non-empty string, got %r" % (common_name, ))
  if isinstance(validity, bool) or not isinstance(validity, (int, float)) \
      or validity <= 0:
    raise errors.ProgrammerError("Certificate validity must be a positive"
                                 " number of seconds, got %r" % (validity, ))
  if isinstance(serial_no, bool) or not isinstance(serial_no, int) or \
      serial_no < 1:
    raise errors.ProgrammerError("Certificate serial number must be a"
                                 " positive integer, got %r" % (serial_no, ))
  algorithm = _DigestFor(digest)
  (crypto_x509, _, serialization, rsa, NameOID) = _Crypto()

  key = rsa.generate_private_key(public_exponent=65537, key_size=key_bits)
  name = crypto_x509.Name([
    crypto_x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
  not_before = datetime.datetime.fromtimestamp(int(_time_fn()),
                                               datetime.timezone.utc)
  not_after = not_before + datetime.timedelta(seconds=validity)
  cert = (crypto_x509.CertificateBuilder()
          .subject_name(name)
          .issuer_name(name)
          .public_key(key.public_key())
          .serial_number(serial_no)
          .not_valid_before(not_before)
          .not_valid_after(not_after)
          .sign(key, algorithm))
  key_pem = key.private_bytes(serialization.Encoding.PEM,
                              serialization.PrivateFormat.TraditionalOpenSSL,
                              serialization.NoEncryption())
  cert_pem = cert.public_bytes(serialization.Encoding.PEM)
  return (key_pem.decode("ascii"), cert_pem.decode("ascii"))


def GenerateSelfSignedSslCert(filename, common_name=constants.X509_CERT_CN,
                              validity=constants.X509_CERT_DEFAULT_VALIDITY,
                              mode=0o400, uid=-1, gid=-1):
  """Write a new key and self-signed certificate to one PEM file.

  The key comes first, then the certificate (the server.pem layout).

  @param validity: days the certificate is valid
  @param mode: permissions of the file (ensure-dirs may later relax it to
      0440 for a group)
  @return: (key PEM, certificate PEM)

  """
  if isinstance(validity, bool) or not isinstance(validity, (int, float)) \
      or validity <= 0:
    raise errors.ProgrammerError("Certificate validity must be a positive"
                                 " number of days, got %r" % (validity, ))
  (key_pem, cert_pem) = GenerateSelfSignedX509Cert(common_name,
                                                   validity * 24 * 60 * 60)
  utils_io.WriteFile(filename, mode=mode, uid=uid, gid=gid,
                     data=key_pem + cert_pem)
  return (key_pem, cert_pem)


def _CertPemFromText(text):
  """The certificate part of a PEM text that may start with a key."""
  if isinstance(text, (bytes, bytearray)):
    text = bytes(text).decode("ascii", "replace")
  if not isinstance(text, str):
    raise TypeError("Certificate data must be str or bytes, got %r"
                    % (text, ))
  start = text.find(_PEM_CERT_BEGIN)
  return text if start < 0 else text[start:]


def LoadX509Certificate(cert_pem, source="<data>"):
  """Parse the first certificate of a PEM text (a key before it is fine).

  @param source: name of where the text came from, for error messages
  @raise errors.X509CertError: no valid certificate in the text

  """
  try:
    pem = _CertPemFromText(cert_pem)
  except TypeError as err:
    raise errors.X509CertError(source, str(err)) from err
  if _PEM_CERT_BEGIN not in pem:
    raise errors.X509CertError(source, "No PEM certificate found")
  crypto_x509 = _Crypto()[0]
  try:
    return crypto_x509.load_pem_x509_certificate(pem.encode("ascii",
                                                            "replace"))
  except ValueError as err:
    raise errors.X509CertError(source, "Unable to load certificate: %s"
                               % err) from err


def LoadX509CertificateFile(filename):
  """Read and parse the certificate in a PEM file (e.g. server.pem).

  @raise errors.X509CertError: unreadable file or no valid certificate

  """
  try:
    text = utils_io.ReadFile(filename)
  except (EnvironmentError, errors.GenericError) as err:
    raise errors.X509CertError(filename, "Unable to read certificate: %s"
                               % err) from err
  return LoadX509Certificate(text, source=filename)


def DumpX509Certificate(cert):
  """The PEM text (str) of a certificate."""
  serialization = _Crypto()[2]
  return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def GetX509CertValidity(cert):
  """Return (not_before, not_after) of a certificate as Unix timestamps."""
  not_before = cert.not_valid_before_utc
  not_after = cert.not_valid_after_utc
  return ((not_before - _EPOCH).total_seconds(),
          (not_after - _EPOCH).total_seconds())


def GetCertificateDigest(cert):
  """SHA1 fingerprint like "AB:CD:...", as ``openssl x509 -fingerprint``.

  @param cert: a certificate object or PEM text

  """
  if isinstance(cert, (str, bytes, bytearray)):
    cert = LoadX509Certificate(cert)
  hashes = _Crypto()[1]
  raw = cert.fingerprint(hashes.SHA1())
  return ":".join("%02X" % byte for byte in raw)


def _VerifyCertificateInner(expired, not_before, not_after, now, warn_days,
                            error_days):
  """Judge validity dates.

  @return: (None, None) if fine, else (CERT_WARNING or CERT_ERROR, message)

  """
  if expired:
    msg = "Certificate is expired"
    if not_before is not None and not_after is not None:
      msg += (" (valid from %s to %s)" % (utils_text.FormatTime(not_before),
                                          utils_text.FormatTime(not_after)))
    elif not_before is not None:
      msg += " (valid from %s)" % utils_text.FormatTime(not_before)
    elif not_after is not None:
      msg += " (valid until %s)" % utils_text.FormatTime(not_after)
    return (CERT_ERROR, msg)

  if not_before is not None and not_before > now:
    return (CERT_WARNING, "Certificate not yet valid (valid from %s)"
            % utils_text.FormatTime(not_before))

  if not_after is not None:
    remaining_days = int((not_after - now) / (24 * 3600))
    msg = "Certificate expires in about %d days" % remaining_days
    if error_days is not None and remaining_days <= error_days:
      return (CERT_ERROR, msg)
    if warn_days is not None and remaining_days <= warn_days:
      return (CERT_WARNING, msg)

  return (None, None)


def VerifyX509Certificate(cert, warn_days, error_days, _now_fn=time.time):
  """Check a certificate's validity period.

  @param warn_days: warn when it expires within this many days (or None)
  @param error_days: error when it expires within this many days (or None)
  @return: (None, None), or (CERT_WARNING/CERT_ERROR, message)

  """
  (not_before, not_after) = GetX509CertValidity(cert)
  now = _now_fn()
  return _VerifyCertificateInner(now > not_after, not_before, not_after, now,
                                 warn_days, error_days)


def SignX509Certificate(cert, key, salt):
  """Prefix a certificate's PEM with an HMAC signature header.

  Used between clusters (instance moves) with the cluster domain secret
  as key: "X-Ganeti-Signature: <salt>/<hmac>", a blank line, the PEM.

  @raise errors.GenericError: the salt is not alphanumeric

  """
  if not isinstance(salt, str) or not re.match(r"^[a-zA-Z0-9]+$", salt):
    raise errors.GenericError("Invalid salt %r for certificate signature"
                              % (salt, ))
  cert_pem = DumpX509Certificate(cert)
  return ("%s: %s/%s\n\n%s"
          % (constants.X509_CERT_SIGNATURE_HEADER, salt,
             utils_hash.Sha1Hmac(key, cert_pem, salt=salt), cert_pem))


def _ExtractX509CertificateSignature(cert_pem):
  for line in cert_pem.splitlines():
    if line.startswith(_PEM_CERT_BEGIN):
      break
    match = _SIGNATURE_RE.match(line)
    if match:
      return match.groups()
  raise errors.GenericError("X509 certificate signature is missing")


def LoadSignedX509Certificate(cert_pem, key):
  """Load a certificate signed by SignX509Certificate and check it.

  @return: (certificate, salt)
  @raise errors.GenericError: missing or wrong signature
  @raise errors.X509CertError: no valid certificate

  """
  if isinstance(cert_pem, (bytes, bytearray)):
    cert_pem = bytes(cert_pem).decode("ascii", "replace")
  if not isinstance(cert_pem, str):
    raise errors.X509CertError("<data>", "Certificate data must be a string")
  (salt, signature) = _ExtractX509CertificateSignature(cert_pem)
  cert = LoadX509Certificate(cert_pem)
  if not utils_hash.VerifySha1Hmac(key, DumpX509Certificate(cert), signature,
                                   salt=salt):
    raise errors.GenericError("X509 certificate signature is invalid")
  return (cert, salt)
