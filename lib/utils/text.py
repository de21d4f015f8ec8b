"""Text parsing and formatting: sizes, shell quoting, names, times, secrets.

Layer 1 (base). Pure string functions used by the command line, the RPC
layer and the hook environment. Must not import anything above the base
layer and must not touch files or processes.
"""

import decimal
import os
import re
import time

from ganeti import errors


#: Characters allowed in a shell word that needs no quoting
_SHELLPARAM_REGEX = re.compile(r"^[-a-zA-Z0-9._+/:%@]+\Z")

#: A size: digits and dots, optional blanks, optional unit letters
_PARSEUNIT_REGEX = re.compile(r"^([.0-9]+)\s*([a-zA-Z]+)?\Z")

_MAC_CHECK_RE = re.compile(r"^([0-9a-f]{2}:){5}[0-9a-f]{2}\Z", re.I)

_ASCII_ELLIPSIS = "..."

#: Units accepted by ParseUnit, as multipliers to MiB
_UNIT_FACTORS = {
  "m": 1, "mb": 1, "mib": 1,
  "g": 1024, "gb": 1024, "gib": 1024,
  "t": 1024 * 1024, "tb": 1024 * 1024, "tib": 1024 * 1024,
  }

#: Units accepted by FormatUnit
VALID_FORMAT_UNITS = frozenset(["h", "m", "g", "t"])


def _RoundHalfUp(value, digits):
  """Round like Ganeti's Python 2 did: halves away from zero.

  Python 3's round() rounds halves to even, which would print 256 MiB as
  "0.2" GiB instead of Ganeti's "0.3".

  """
  exponent = decimal.Decimal(1).scaleb(-digits)
  return decimal.Decimal(value).quantize(exponent,
                                         rounding=decimal.ROUND_HALF_UP)


def FormatUnit(value, units):
  """Format a number of MiB for display.

  @param value: size in MiB
  @param units: 'h' (human: "512M", "1.5G", "2.0T"), 'm' (integer MiB),
      'g' (GiB, one decimal) or 't' (TiB, one decimal); no suffix except
      with 'h'
  @raise errors.ProgrammerError: unknown unit or non-numeric value

  """
  if units not in VALID_FORMAT_UNITS:
    raise errors.ProgrammerError("Invalid unit specified '%s', expected one"
                                 " of h, m, g, t" % (units, ))
  if isinstance(value, bool) or not isinstance(value, (int, float)):
    raise errors.ProgrammerError("Invalid value specified for FormatUnit:"
                                 " %r (%s)" % (value, type(value).__name__))

  if units == "m" or (units == "h" and abs(value) < 1024):
    suffix = "M" if units == "h" else ""
    return "%s%s" % (_RoundHalfUp(value, 0), suffix)

  if units == "g" or (units == "h" and abs(value) < 1024 * 1024):
    suffix = "G" if units == "h" else ""
    return "%s%s" % (_RoundHalfUp(value / 1024.0, 1), suffix)

  suffix = "T" if units == "h" else ""
  return "%s%s" % (_RoundHalfUp(value / (1024.0 * 1024.0), 1), suffix)


def ParseUnit(input_string):
  """Parse a size with an optional unit into MiB.

  Accepts "512", "512M", "1.5g", "2 TiB" and so on (units m, mb, mib, g,
  gb, gib, t, tb, tib in any case; no unit means MiB). The result is
  rounded up to an integer, then up to a multiple of 4, as LVM needs.

  @rtype: int
  @raise errors.UnitParseError: not a size, or an unknown unit

  """
  if isinstance(input_string, bool):
    raise errors.UnitParseError("Invalid size '%s': booleans are not sizes"
                                % (input_string, ))
  text = str(input_string)
  match = _PARSEUNIT_REGEX.match(text)
  if not match:
    raise errors.UnitParseError("Invalid format for size '%s'" % text)
  (number, unit) = match.groups()
  try:
    value = decimal.Decimal(number)
  except decimal.InvalidOperation:
    raise errors.UnitParseError("Invalid number '%s' in size '%s'"
                                % (number, text)) from None

  if unit is None:
    factor = 1
  else:
    factor = _UNIT_FACTORS.get(unit.lower())
    if factor is None:
      raise errors.UnitParseError("Unknown unit '%s' in size '%s'"
                                  % (unit, text))

  # Decimal arithmetic keeps "1.1G" exact before rounding up.
  mib = int((value * factor).to_integral_value(rounding=decimal.ROUND_CEILING))
  if mib % 4:
    mib += 4 - mib % 4
  return mib


def ShellQuote(value):
  """Quote a string for a POSIX shell, leaving safe words as they are."""
  if not isinstance(value, str):
    raise TypeError("ShellQuote needs a string, got %r" % (value, ))
  if _SHELLPARAM_REGEX.match(value):
    return value
  return "'%s'" % value.replace("'", "'\\''")


def ShellQuoteArgs(args):
  """Quote each argument and join them with spaces."""
  return " ".join(ShellQuote(arg) for arg in args)


def IsValidShellParam(word):
  """Whether word can be used on a shell command line without quoting."""
  return isinstance(word, str) and bool(_SHELLPARAM_REGEX.match(word))


def BuildShellCmd(template, *args):
  """Fill a %-template with arguments that need no shell quoting.

  @raise errors.ProgrammerError: an argument holds shell metacharacters

  """
  for word in args:
    if not IsValidShellParam(word):
      raise errors.ProgrammerError("Shell argument '%s' contains invalid"
                                   " characters" % (word, ))
  return template % args


def SafeEncode(text):
  """Make a string printable: control and non-ASCII characters escaped.

  Tab, newline and carriage return become \\t, \\n and \\r; other control
  bytes \\xNN; non-ASCII characters their backslash escapes. Meant for
  logging data of unknown origin (command output, names from the wire).

  @param text: str or bytes

  """
  if isinstance(text, str):
    raw = text.encode("ascii", "backslashreplace")
  elif isinstance(text, (bytes, bytearray)):
    raw = bytes(text)
  else:
    raise TypeError("SafeEncode needs str or bytes, got %r" % (text, ))
  out = []
  for code in raw:
    if code == 9:
      out.append(r"\t")
    elif code == 10:
      out.append(r"\n")
    elif code == 13:
      out.append(r"\r")
    elif code < 32 or code >= 127:
      out.append("\\x%02x" % code)
    else:
      out.append(chr(code))
  return "".join(out)


def UnescapeAndSplit(text, sep=","):
  """Split on sep, where a backslash escapes a separator or a backslash.

  "a\\,b,c" gives ["a,b", "c"]; "a\\\\,b" gives ["a\\", "b"].

  """
  if not isinstance(text, str):
    raise TypeError("UnescapeAndSplit needs a string, got %r" % (text, ))
  if len(sep) != 1 or sep == "\\":
    raise ValueError("Separator must be a single character other than a"
                     " backslash, got %r" % (sep, ))
  result = []
  current = []
  chars = iter(text)
  for char in chars:
    if char == "\\":
      escaped = next(chars, None)
      if escaped is None:
        # A lone trailing backslash stands for itself.
        current.append(char)
      else:
        current.append(escaped)
    elif char == sep:
      result.append("".join(current))
      current = []
    else:
      current.append(char)
  result.append("".join(current))
  return result


def CommaJoin(names):
  """Join the string forms of the items with ", "."""
  return ", ".join(str(name) for name in names)


def NormalizeAndValidateMac(mac):
  """Check a MAC address (six colon-separated hex pairs), return it lower case.

  @raise errors.OpPrereqError: malformed address (ECODE_INVAL)

  """
  if not isinstance(mac, str) or not _MAC_CHECK_RE.match(mac):
    raise errors.OpPrereqError("Invalid MAC address '%s'" % (mac, ),
                               errors.ECODE_INVAL)
  return mac.lower()


def MatchNameComponent(key, name_list, case_sensitive=True):
  """Find the one name of which key is the full name or the first component.

  "node1" matches "node1.example.com". An exact match always wins; with
  case_sensitive=False a case-insensitive exact match wins over prefix
  matches.

  @return: the matching name, or None if none or several match

  """
  if key in name_list:
    return key
  flags = 0 if case_sensitive else re.IGNORECASE
  pattern = re.compile(r"^%s(\..*)?\Z" % re.escape(key), flags)
  matches = [name for name in name_list if pattern.match(name)]
  if not case_sensitive:
    exact = [name for name in matches if name.upper() == key.upper()]
    if len(exact) == 1:
      return exact[0]
  if len(matches) == 1:
    return matches[0]
  return None


def FormatTime(val, usecs=None):
  """Format a Unix timestamp as local "YYYY-MM-DD HH:MM:SS", or "N/A".

  @param usecs: microseconds to append as ".NNNNNN"

  """
  if isinstance(val, bool) or not isinstance(val, (int, float)):
    return "N/A"
  result = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(val))
  if usecs is not None:
    result += ".%06d" % usecs
  return result


def FormatSeconds(secs):
  """Format a duration like "1d 2h 3m 4s" (leading zero units left out)."""
  remaining = int(_RoundHalfUp(secs, 0))
  parts = []
  if remaining > 0:
    for (unit, length) in (("d", 86400), ("h", 3600), ("m", 60)):
      (count, remaining) = divmod(remaining, length)
      if count or parts:
        parts.append("%d%s" % (count, unit))
  parts.append("%ds" % remaining)
  return " ".join(parts)


def GenerateSecret(numbytes=20):
  """Return ``numbytes`` random bytes as a lower-case hex string."""
  if isinstance(numbytes, bool) or not isinstance(numbytes, int) or \
      numbytes < 1:
    raise ValueError("Secret length must be a positive integer, got %r"
                     % (numbytes, ))
  return os.urandom(numbytes).hex()


def Truncate(text, length):
  """Shorten text to at most length characters, ending in "..." if cut.

  Non-strings are converted with str() first.

  """
  if isinstance(length, bool) or not isinstance(length, int) or \
      length <= len(_ASCII_ELLIPSIS):
    raise ValueError("Truncation length must be an integer greater than %d,"
                     " got %r" % (len(_ASCII_ELLIPSIS), length))
  if not isinstance(text, str):
    text = str(text)
  if len(text) <= length:
    return text
  return text[:length - len(_ASCII_ELLIPSIS)] + _ASCII_ELLIPSIS


def FilterEmptyLinesAndComments(text):
  """Return the stripped lines of text that are neither empty nor comments."""
  lines = (line.strip() for line in text.splitlines())
  return [line for line in lines if line and not line.startswith("#")]


def FormatOrdinal(value):
  """Format an integer as an English ordinal: 1st, 2nd, 3rd, 11th, 22nd."""
  if isinstance(value, bool) or not isinstance(value, int):
    raise TypeError("FormatOrdinal needs an integer, got %r" % (value, ))
  if abs(value) % 100 in (11, 12, 13):
    suffix = "th"
  else:
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(abs(value) % 10, "th")
  return "%d%s" % (value, suffix)
