"""Tests for ganeti.http (shared names, errors, headers, TLS files)."""

import json
import ssl

import pytest

from ganeti import errors
from ganeti import http
from ganeti import utils


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
  base = tmp_path_factory.mktemp("certs")
  one = str(base / "one.pem")
  two = str(base / "two.pem")
  utils.GenerateSelfSignedSslCert(one)
  utils.GenerateSelfSignedSslCert(two)
  return (one, two)


def test_status_texts_known_and_unknown_codes():
  assert http.GetStatusTexts(404) == ("Not Found",
                                      "Nothing matches the given URI")
  assert http.GetStatusTexts(499)[0] == "Client Error"
  assert http.GetStatusTexts(599)[0] == "Server Error"
  assert http.GetStatusTexts(299)[0] == "Unknown"


@pytest.mark.parametrize("cls,code", [
  (http.HttpBadRequest, 400), (http.HttpUnauthorized, 401),
  (http.HttpForbidden, 403), (http.HttpNotFound, 404),
  (http.HttpMethodNotAllowed, 405), (http.HttpNotAcceptable, 406),
  (http.HttpRequestTimeout, 408), (http.HttpConflict, 409),
  (http.HttpGone, 410), (http.HttpLengthRequired, 411),
  (http.HttpPreconditionFailed, 412),
  (http.HttpRequestEntityTooLarge, 413),
  (http.HttpRequestUriTooLong, 414),
  (http.HttpUnsupportedMediaType, 415),
  (http.HttpRequestHeaderFieldsTooLarge, 431),
  (http.HttpInternalServerError, 500), (http.HttpNotImplemented, 501),
  (http.HttpBadGateway, 502), (http.HttpServiceUnavailable, 503),
  (http.HttpGatewayTimeout, 504), (http.HttpVersionNotSupported, 505),
  ])
def test_exception_codes_and_texts(cls, code):
  err = cls("it broke", headers={"X-A": "1"})
  assert err.code == code
  assert err.message == "it broke"
  assert err.headers == {"X-A": "1"}
  assert str(err) == "%d %s: it broke" % (code, http.RESPONSES[code][0])
  assert str(cls()) == "%d %s" % (code, http.RESPONSES[code][0])
  assert isinstance(err, http.HttpException)


def test_exception_message_is_converted_to_text():
  assert http.HttpBadRequest(ValueError("x")).message == "x"


def test_error_body_shape_and_escaping():
  body = json.loads(http.FormatErrorBody(400, "bad <b>&</b>"))
  assert body == {"code": 400, "message": "bad &lt;b&gt;&amp;&lt;/b&gt;",
                  "explain": "Bad request syntax or unsupported method"}
  body = json.loads(http.FormatErrorBody(404))
  assert body["message"] == "Not Found"


def test_headers_case_insensitive_and_repeated():
  hdrs = http.HttpHeaders([("Content-Type", "a/b"), ("X-Tag", "1"),
                           ("x-tag", "2")])
  assert hdrs.Get("content-type") == "a/b"
  assert hdrs["CONTENT-TYPE"] == "a/b"
  assert hdrs.Get("X-TAG") == "1, 2"
  assert hdrs.GetAll("x-Tag") == ["1", "2"]
  assert "x-tag" in hdrs and "missing" not in hdrs
  assert hdrs.Get("missing", "dflt") == "dflt"
  assert len(hdrs) == 3
  assert hdrs.items()[0] == ("Content-Type", "a/b")
  assert list(hdrs)[2] == ("x-tag", "2")
  with pytest.raises(KeyError):
    hdrs["missing"]  # pylint: disable=W0104
  assert "Content-Type" in repr(hdrs)
  assert http.HttpHeaders({"A": 1}).Get("a") == "1"


def test_headers_refuse_bad_names():
  with pytest.raises(errors.ProgrammerError, match="Header name"):
    http.HttpHeaders().Add("", "x")
  with pytest.raises(errors.ProgrammerError, match="Header name"):
    http.HttpHeaders().Add(None, "x")


def test_ssl_params_load_and_describe(certs):
  params = http.HttpSslParams(certs[0], certs[0])
  assert params.ssl_key_path == certs[0]
  assert params.GetCertificatePem().startswith("-----BEGIN CERTIFICATE")
  assert params.GetCertificateDer() == ssl.PEM_cert_to_DER_cert(
    params.GetCertificatePem())
  assert params.GetCertificateDigest() == utils.GetCertificateDigest(
    params.GetCertificate())
  ctx = params.MakeServerContext(True)
  assert ctx.verify_mode == ssl.CERT_REQUIRED
  assert params.MakeServerContext(False).verify_mode == ssl.CERT_NONE


def test_ssl_params_bad_paths(tmp_path, certs):
  with pytest.raises(errors.ProgrammerError, match="key path"):
    http.HttpSslParams("", certs[0])
  with pytest.raises(errors.ProgrammerError, match="certificate path"):
    http.HttpSslParams(certs[0], None)
  with pytest.raises(errors.X509CertError, match="Unable to read SSL key"):
    http.HttpSslParams(str(tmp_path / "nokey.pem"), certs[0])


def test_ssl_params_file_without_key_or_cert(tmp_path, certs):
  text = open(certs[0]).read()
  key_only = tmp_path / "key.pem"
  key_only.write_text(text[:text.index("-----BEGIN CERTIFICATE")])
  cert_only = tmp_path / "cert.pem"
  cert_only.write_text(text[text.index("-----BEGIN CERTIFICATE"):])
  with pytest.raises(errors.X509CertError, match="No PEM private key"):
    http.HttpSslParams(str(cert_only), str(cert_only))
  with pytest.raises(errors.X509CertError, match="No PEM certificate"):
    http.HttpSslParams(str(key_only), str(key_only))
  # separate key and certificate files work
  params = http.HttpSslParams(str(key_only), str(cert_only))
  assert params.ssl_cert_path == str(cert_only)


def test_ssl_params_key_not_matching_certificate(tmp_path, certs):
  text_one = open(certs[0]).read()
  text_two = open(certs[1]).read()
  mixed = tmp_path / "mixed.pem"
  mixed.write_text(text_one[:text_one.index("-----BEGIN CERTIFICATE")] +
                   text_two[text_two.index("-----BEGIN CERTIFICATE"):])
  with pytest.raises(errors.X509CertError, match="does not fit"):
    http.HttpSslParams(str(mixed), str(mixed))
