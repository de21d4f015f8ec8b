"""Output helpers of the gnt-* tools: streams, tables, times, confirmations.

Layer 6 (entry points); part of `ganeti.cli`, which re-exports every public
name of this module.  It formats what the commands print: plain tables
(`GenerateTable`), query2 results (`FormatQueryResult`, with the special
values of cli.md 7.3), timestamps and time specs, and asks the user for
confirmation on the controlling terminal (`AskUser`).

It also maps every error class to the exit code and message of cli.md 6
(`FormatError`).  It must not talk to the master daemon; callers pass the
data in (luxi is imported only for its error classes).
"""

import errno
import os
import sys
import textwrap
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ganeti import constants
from ganeti import errors
from ganeti import luxi
from ganeti import netutils
from ganeti import utils


#: Status of a formatted query2 result: all values normal
QR_NORMAL = 0
#: Some requested field was unknown to the master
QR_UNKNOWN = 1
#: Some value was missing (no data, unavailable, offline)
QR_INCOMPLETE = 2

#: Result status -> (verbose text, terse text), cli.md 7.3
_RSTATUS_TO_TEXT = {
  constants.RS_UNKNOWN: ("(unknown)", "??"),
  constants.RS_NODATA: ("(nodata)", "?"),
  constants.RS_UNAVAIL: ("(unavail)", "-"),
  constants.RS_OFFLINE: ("(offline)", "*"),
  }

#: Units accepted by --units and FormatUnit
_VALID_UNITS = frozenset(["h", "m", "g", "t"])

#: Time spec suffixes (cli.md 3.4) -> seconds
_TIMESPEC_SUFFIXES = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

#: Path of the controlling terminal used for confirmations
_TTY_PATH = "/dev/tty"


def _ToStream(stream, txt: str, *args) -> None:
  """Write a line to a stream, ignoring a reader that went away.

  A broken pipe (``gnt-job list | head``) must not turn into a traceback;
  it is silently dropped, as in Ganeti.

  """
  try:
    if args:
      txt = txt % args
    stream.write(txt)
    stream.write("\n")
    stream.flush()
  except IOError as err:
    if err.errno != errno.EPIPE:
      raise


def ToStdout(txt: str, *args) -> None:
  """Print a line to standard output; ``txt % args`` when args are given."""
  _ToStream(sys.stdout, txt, *args)


def ToStderr(txt: str, *args) -> None:
  """Print a line to standard error; ``txt % args`` when args are given."""
  _ToStream(sys.stderr, txt, *args)


def _CheckUnits(units: str) -> None:
  if units not in _VALID_UNITS:
    raise errors.ProgrammerError("Invalid units '%s', expected one of %s" %
                                 (units, ", ".join(sorted(_VALID_UNITS))))


def GenerateTable(headers: Optional[Dict[str, str]], fields: Sequence[str],
                  separator: Optional[str], data: List[Optional[list]],
                  numfields: Sequence[str] = (),
                  unitfields: Sequence[str] = (),
                  units: Optional[str] = None) -> List[str]:
  """Format rows as text lines (cli.md 7.1).

  @param headers: field name -> column title, or None for no header row
  @param fields: field names, one per column
  @param separator: None to pad columns to their width (joined by one
    space), or a string put between values without padding
  @param data: rows, each a list with one value per field; a None row is
    printed as dashes; unit fields are replaced in place by their text
  @param numfields: fields aligned to the right
  @param unitfields: fields holding MiB, formatted with ``units``
  @param units: "h", "m", "g" or "t"; default "h" without separator and
    "m" with one
  @return: the lines, without newlines

  """
  if units is None:
    units = "m" if separator is not None else "h"
  _CheckUnits(units)
  if headers is not None:
    missing = [name for name in fields if name not in headers]
    if missing:
      raise errors.ProgrammerError("No header given for field(s) %s" %
                                   ", ".join(missing))
  numfields = frozenset(numfields)
  unitfields = frozenset(unitfields)

  rows = []
  for row in data:
    if row is None:
      rows.append(["-"] * len(fields))
      continue
    if len(row) != len(fields):
      raise errors.ProgrammerError("Row %r has %d values for %d fields" %
                                   (row, len(row), len(fields)))
    for idx, value in enumerate(row):
      if fields[idx] in unitfields:
        try:
          number = int(value)
        except (TypeError, ValueError):
          pass
        else:
          row[idx] = utils.FormatUnit(number, units)
    rows.append([str(value) for value in row])

  align_right = [name in numfields for name in fields]
  titles = [headers[name] for name in fields] if headers is not None else None
  return _JoinColumns(titles, rows, align_right, separator)


def _JoinColumns(titles: Optional[List[str]], rows: List[List[str]],
                 align_right: List[bool],
                 separator: Optional[str]) -> List[str]:
  """Lay out text cells; shared by the plain and the query2 tables."""
  lines = []
  if titles is not None:
    lines.append(list(titles))
  lines.extend(rows)
  if separator is not None:
    return [separator.join(line) for line in lines]

  widths = [0] * len(align_right)
  for line in lines:
    for idx, value in enumerate(line):
      widths[idx] = max(widths[idx], len(value))
  # A left-aligned last column would only gain trailing blanks.
  if align_right and not align_right[-1]:
    widths[-1] = 0
  result = []
  for line in lines:
    cells = []
    for (width, right, value) in zip(widths, align_right, line):
      cells.append(value.rjust(width) if right else value.ljust(width))
    result.append(" ".join(cells))
  return result


def FormatResultError(status: int, verbose: bool) -> str:
  """Text shown instead of a value whose query2 status is not normal.

  @raise errors.ProgrammerError: normal or unknown status code

  """
  try:
    (verbose_text, terse_text) = _RSTATUS_TO_TEXT[status]
  except KeyError:
    raise errors.ProgrammerError("No text for result status %r" %
                                 (status, )) from None
  return verbose_text if verbose else terse_text


def _FormatBool(value: Any) -> str:
  return "Y" if value else "N"


#: Default formatter and right-alignment per query2 field kind (cli.md 7.1);
#: unit fields are handled separately as they depend on --units
_DEFAULT_FORMAT_QUERY = {
  constants.QFT_TEXT: (str, False),
  constants.QFT_BOOL: (_FormatBool, False),
  constants.QFT_NUMBER: (str, True),
  constants.QFT_TIMESTAMP: (utils.FormatTime, False),
  constants.QFT_OTHER: (str, False),
  constants.QFT_UNKNOWN: (str, False),
  }


def _GetColumnFormatter(fdef: dict, override: dict,
                        units: str) -> Tuple[Callable[[Any], str], bool]:
  fmt = override.get(fdef["name"])
  if fmt is not None:
    return fmt
  if fdef["kind"] == constants.QFT_UNIT:
    return (lambda value: utils.FormatUnit(value, units), True)
  fmt = _DEFAULT_FORMAT_QUERY.get(fdef["kind"])
  if fmt is None:
    raise errors.ProgrammerError("Can't format field '%s' of kind '%s'" %
                                 (fdef["name"], fdef["kind"]))
  return fmt


def _CheckQueryResponse(response: Any) -> Tuple[list, list]:
  """Return (fields, data) of a query2 response after checking its shape.

  @raise errors.OpExecError: the master sent something malformed

  """
  if not (isinstance(response, dict) and
          isinstance(response.get("fields"), list) and
          isinstance(response.get("data"), list)):
    raise errors.OpExecError("Malformed query response from the master: %r"
                             % (response, ))
  for fdef in response["fields"]:
    if not (isinstance(fdef, dict) and "name" in fdef and "title" in fdef and
            "kind" in fdef):
      raise errors.OpExecError("Malformed field definition in query"
                               " response: %r" % (fdef, ))
  width = len(response["fields"])
  for row in response["data"]:
    if not (isinstance(row, list) and len(row) == width and
            all(isinstance(cell, list) and len(cell) == 2 for cell in row)):
      raise errors.OpExecError("Malformed row in query response (expected"
                               " %d [status, value] pairs): %r" % (width, row))
  return (response["fields"], response["data"])


def FormatQueryResult(response: dict, units: Optional[str] = None,
                      format_override: Optional[dict] = None,
                      separator: Optional[str] = None, header: bool = False,
                      verbose: bool = False) -> Tuple[int, List[str]]:
  """Format a query2 response (``{"fields": ..., "data": ...}``) as lines.

  @param format_override: field name -> (formatter, align right)
  @return: (QR_NORMAL, QR_UNKNOWN or QR_INCOMPLETE, lines)
  @raise errors.OpExecError: malformed response

  """
  (fields, data) = _CheckQueryResponse(response)
  if units is None:
    units = "m" if separator is not None else "h"
  _CheckUnits(units)
  if format_override is None:
    format_override = {}

  formatters = [_GetColumnFormatter(fdef, format_override, units)
                for fdef in fields]
  seen = set()
  rows = []
  for row in data:
    cells = []
    for ((status, value), (fn, _)) in zip(row, formatters):
      seen.add(status)
      if status == constants.RS_NORMAL:
        cells.append(fn(value))
      else:
        cells.append(FormatResultError(status, verbose))
    rows.append(cells)

  titles = [fdef["title"] for fdef in fields] if header else None
  lines = _JoinColumns(titles, rows, [right for (_, right) in formatters],
                       separator)
  if constants.RS_UNKNOWN in seen or any(fdef["kind"] == constants.QFT_UNKNOWN
                                         for fdef in fields):
    status = QR_UNKNOWN
  elif seen - set([constants.RS_NORMAL]):
    status = QR_INCOMPLETE
  else:
    status = QR_NORMAL
  return (status, lines)


def WarnUnknownFields(fdefs: List[dict]) -> bool:
  """Print a warning for unknown fields of a query response.

  @return: whether any field was unknown

  """
  unknown = [fdef["name"] for fdef in fdefs
             if fdef["kind"] == constants.QFT_UNKNOWN]
  if unknown:
    ToStderr("Warning: Queried for unknown fields %s",
             utils.CommaJoin(unknown))
  return bool(unknown)


def ParseFields(selected: Optional[str], default: List[str]) -> List[str]:
  """Turn the value of ``-o`` into a field list.

  None gives the default; a leading "+" appends to the default.

  """
  if selected is None:
    return list(default)
  if selected.startswith("+"):
    return list(default) + selected[1:].split(",")
  return selected.split(",")


def FormatTimestamp(ts: Any) -> str:
  """Format a ``[seconds, microseconds]`` pair; "?" if it is not one."""
  if (not isinstance(ts, (tuple, list)) or len(ts) != 2 or
      not all(isinstance(part, int) and not isinstance(part, bool)
              for part in ts)):
    return "?"
  (sec, usec) = ts
  return utils.FormatTime(sec, usecs=usec)


def ParseTimespec(value: Any) -> int:
  """Parse a time spec ("30", "30s", "5m", "2h", "1d", "1w") into seconds.

  @raise errors.OpPrereqError: empty, suffix only, not an integer, or
    negative

  """
  text = str(value).strip()
  if not text:
    raise errors.OpPrereqError("Empty time specification passed",
                               errors.ECODE_INVAL)
  multiplier = _TIMESPEC_SUFFIXES.get(text[-1])
  if multiplier is None:
    (number, multiplier) = (text, 1)
  else:
    number = text[:-1]
    if not number:
      raise errors.OpPrereqError("Invalid time specification '%s' (only"
                                 " suffix passed)" % text, errors.ECODE_INVAL)
  if not number.isdigit():
    raise errors.OpPrereqError("Invalid time specification '%s', expected"
                               " a non-negative integer with an optional"
                               " suffix s, m, h, d or w" % text,
                               errors.ECODE_INVAL)
  return int(number) * multiplier


def AskUser(text: str, choices: Optional[list] = None,
            _tty_path: Optional[str] = None) -> Any:
  """Ask a question on the controlling terminal (cli.md 5).

  @param choices: list of (input character, return value, description);
    the last one is the default, returned when there is no terminal or
    input ends; by default yes (True) / no (False)
  @return: the value of the chosen entry

  """
  if choices is None:
    choices = [("y", True, "Perform the operation"),
               ("n", False, "Do not perform the operation")]
  if not choices or not isinstance(choices, list):
    raise errors.ProgrammerError("AskUser needs a non-empty list of choices,"
                                 " got %r" % (choices, ))
  for entry in choices:
    if (not isinstance(entry, tuple) or len(entry) < 3 or
        not isinstance(entry[0], str) or len(entry[0]) != 1 or
        entry[0] == "?"):
      raise errors.ProgrammerError("Invalid AskUser choice %r: expected"
                                   " (one character other than '?', value,"
                                   " description)" % (entry, ))
  answer = choices[-1][1]
  wrapped = "\n".join(textwrap.fill(line, 70, replace_whitespace=False)
                      for line in text.splitlines())
  try:
    fd = os.open(_tty_path or _TTY_PATH, os.O_RDWR | os.O_NOCTTY)
  except EnvironmentError:
    return answer

  chars = [entry[0] for entry in choices]
  chars[-1] = "[%s]" % chars[-1]
  chars.append("?")
  values = dict((entry[0], entry[1]) for entry in choices)
  # Raw descriptor I/O: a terminal is not seekable, so Python's buffered
  # read/write file objects cannot be used on it.
  try:
    while True:
      _WriteAll(fd, "%s\n%s: " % (wrapped, "/".join(chars)))
      line = _ReadLine(fd)
      if line is None:
        # end of input: nobody is there to answer
        return answer
      reply = line.strip().lower()
      if reply in values:
        return values[reply]
      if reply == "?":
        _WriteAll(fd, "".join(" %s - %s\n" % (entry[0], entry[2])
                              for entry in choices) + "\n")
  finally:
    os.close(fd)


def _WriteAll(fd: int, text: str) -> None:
  data = text.encode("utf-8")
  while data:
    data = data[os.write(fd, data):]


def _ReadLine(fd: int) -> Optional[str]:
  """Read one line from a descriptor; None at end of input."""
  data = b""
  while not data.endswith(b"\n"):
    try:
      chunk = os.read(fd, 1)
    except OSError as err:
      if err.errno == errno.EIO:
        # the terminal's other side went away
        chunk = b""
      else:
        raise
    if not chunk:
      return data.decode("utf-8", "replace") if data else None
    data += chunk
  return data.decode("utf-8", "replace")

class JobSubmittedException(Exception):
  """Raised by ``--submit`` commands once the job is in the queue.

  ``args[0]`` is the job id; `GenericMain` prints ``JobID: <id>`` to
  stderr and exits with 0 (cli.md 4.2).

  """


def _FormatHooksAbort(err: errors.HooksAbort) -> str:
  lines = ["Failure: hooks execution failed:"]
  details = err.args[0] if err.args else []
  if not isinstance(details, (list, tuple)):
    details = [details]
  for item in details:
    if isinstance(item, (list, tuple)) and len(item) == 3:
      (node, script, output) = item
      if output:
        lines.append("  node: %s, script: %s, output: %s" %
                     (node, script, output))
      else:
        lines.append("  node: %s, script: %s (no output)" % (node, script))
    else:
      lines.append("  %s" % (item, ))
  return "\n".join(lines)


def _FormatResolverError(err: errors.ResolverError) -> str:
  name = err.args[0] if err.args else "?"
  try:
    myself = netutils.Hostname.GetSysName()
  except errors.GenericError:
    myself = None
  if name == myself:
    return "Failure: can't resolve my own hostname ('%s')" % name
  return "Failure: can't resolve hostname '%s'" % name


def _FormatPrereqError(err: errors.OpPrereqError) -> str:
  head = "Failure: prerequisites not met for this operation:"
  if len(err.args) == 2:
    return "%s\nerror type: %s, error details:\n%s" % (head, err.args[1],
                                                       err.args[0])
  return "%s\n%s" % (head, err)


def FormatError(err: BaseException) -> Tuple[int, str]:
  """Exit code and message of an error, as cli.md 6 describes.

  @return: (exit code, text without trailing newline)

  """
  msg = str(err)
  retcode = constants.EXIT_FAILURE
  # Order matters: subclasses before their bases.
  if isinstance(err, errors.ConfigurationError):
    text = "Corrupt configuration file: %s\nAborting." % msg
    retcode = 2
  elif isinstance(err, errors.HooksAbort):
    text = _FormatHooksAbort(err)
  elif isinstance(err, errors.HooksFailure):
    text = "Failure: hooks general failure: %s" % msg
  elif isinstance(err, errors.ResolverError):
    text = _FormatResolverError(err)
  elif isinstance(err, errors.OpPrereqError):
    text = _FormatPrereqError(err)
  elif isinstance(err, errors.OpExecError):
    text = "Failure: command execution error:\n%s" % msg
  elif isinstance(err, errors.TagError):
    text = "Failure: invalid tag(s) given:\n%s" % msg
  elif isinstance(err, errors.JobQueueDrainError):
    text = ("Failure: the job queue is marked for drain and doesn't accept"
            " new requests")
  elif isinstance(err, errors.JobQueueFull):
    text = ("Failure: the job queue is full and doesn't accept new job"
            " submissions until old jobs are archived")
  elif isinstance(err, errors.TypeEnforcementError):
    text = "Parameter Error: %s" % msg
  elif isinstance(err, errors.ParameterError):
    text = "Failure: unknown/wrong parameter name '%s'" % msg
  elif isinstance(err, luxi.NoMasterError):
    text = ("Cannot communicate with the master daemon.\nIs it running"
            " and listening for connections?")
  elif isinstance(err, luxi.TimeoutError):
    text = ("Timeout while talking to the master daemon. Jobs might have"
            " been submitted and will continue to run even if the call"
            " timed out. Useful commands in this situation are \"gnt-job"
            " list\", \"gnt-job cancel\" and \"gnt-job watch\". Error:\n%s"
            % msg)
  elif isinstance(err, luxi.PermissionError):
    text = ("It seems you don't have permissions to connect to the master"
            " daemon.\nPlease retry as a different user.")
  elif isinstance(err, luxi.ProtocolError):
    text = ("Unhandled protocol error while talking to the master daemon:\n%s"
            % msg)
  elif isinstance(err, errors.JobLost):
    text = "Error checking job status: %s" % msg
  elif isinstance(err, errors.QueryFilterParseError):
    details = err.GetDetails()
    text = "\n".join(["Error while parsing query filter: %s" % details[0]] +
                     [str(line) for line in details[1:]])
  elif isinstance(err, errors.GenericError):
    text = "Unhandled Ganeti error: %s" % msg
  elif isinstance(err, JobSubmittedException):
    text = "JobID: %s" % (err.args[0] if err.args else "?")
    retcode = constants.EXIT_SUCCESS
  else:
    text = "Unhandled exception: %s" % msg
  return (retcode, text.rstrip("\n"))


_ROMAN = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"),
          (90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"),
          (4, "IV"), (1, "I")]


def ToRoman(value: Any, convert: bool = True) -> Any:
  """An integer in roman numerals (1..3999); anything else unchanged."""
  if not convert or isinstance(value, bool) or not isinstance(value, int) \
      or not 0 < value < 4000:
    return value
  result = []
  for (number, letters) in _ROMAN:
    while value >= number:
      result.append(letters)
      value -= number
  return "".join(result)
