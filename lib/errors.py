"""Ganeti exception hierarchy and its wire encoding.

Layer 1 (base).  Every error a Ganeti component raises on purpose derives
from GenericError, so callers can tell "Ganeti said no" apart from bugs.
Errors cross process boundaries (LUXI, RPC, job files) as a two-element
list ``[class name, [args...]]``; this module encodes that form and turns
it back into the right exception class.

This module must not import anything from the ganeti package: every other
module imports it, so any dependency here would be a cycle.
"""

from typing import Any, Optional, Sequence


# Error codes carried as the second argument of OpPrereqError (and a few
# others); the strings are part of the LUXI and RAPI wire format.

#: name resolution failed
ECODE_RESOLVER = "resolver_error"
#: not enough resources (memory, disk, cpu...)
ECODE_NORES = "insufficient_resources"
#: resources temporarily unavailable (later Ganeti; accepted for compatibility)
ECODE_TEMP_NORES = "temp_insufficient_resources"
#: wrong arguments given by the caller
ECODE_INVAL = "wrong_input"
#: the object is in the wrong state for the operation
ECODE_STATE = "wrong_state"
#: the named entity does not exist
ECODE_NOENT = "unknown_entity"
#: the named entity already exists
ECODE_EXISTS = "already_exists"
#: a resource that must be unique is not
ECODE_NOTUNIQUE = "resource_not_unique"
#: an internal error (a bug)
ECODE_FAULT = "internal_error"
#: an environment problem (e.g. a node that is not reachable)
ECODE_ENVIRON = "environment_error"

#: every valid error code
ECODE_ALL = frozenset([
  ECODE_RESOLVER,
  ECODE_NORES,
  ECODE_TEMP_NORES,
  ECODE_INVAL,
  ECODE_STATE,
  ECODE_NOENT,
  ECODE_EXISTS,
  ECODE_NOTUNIQUE,
  ECODE_FAULT,
  ECODE_ENVIRON,
  ])


class GenericError(Exception):
  """Base class for all errors raised deliberately by Ganeti code.

  """


class LockError(GenericError):
  """A lock could not be acquired, released or was used wrongly.

  """


class PidFileLockError(LockError):
  """A daemon's PID file is locked by another running instance.

  """


class HypervisorError(GenericError):
  """A hypervisor operation failed.

  """


class HotplugError(HypervisorError):
  """Hot-plugging a device into a running instance failed.

  """


class ProgrammerError(GenericError):
  """Code was used in a way its author did not allow (a bug).

  Never the user's fault; raising it means the caller broke a contract.

  """


class BlockDeviceError(GenericError):
  """A block device operation failed.

  """


class ConfigurationError(GenericError):
  """The cluster configuration is inconsistent or cannot be used.

  """


class ConfigVersionMismatch(ConfigurationError):
  """The configuration file was written by an incompatible version.

  Args are (expected version, found version).

  """


class AddressPoolError(GenericError):
  """An operation on an address pool failed.

  """


class ReservationError(GenericError):
  """A temporary resource reservation (e.g. MAC, IP) failed.

  """


class RemoteError(GenericError):
  """A remote node answered with an error or could not be reached.

  """


class SignatureError(GenericError):
  """A signed message failed verification.

  """


class ParameterError(GenericError):
  """A parameter value is invalid.

  By convention the first argument names the parameter.

  """


class ResultValidationError(GenericError):
  """A result returned by some component did not have the expected form.

  """


class OpPrereqError(GenericError):
  """A prerequisite of an operation does not hold.

  Args are (message,) or (message, error code); the code is one of
  ECODE_ALL and is kept as ``args[1]`` because that is its wire position.

  """


class OpExecError(GenericError):
  """Executing an operation failed.

  """


class OpResultError(GenericError):
  """An opcode's result did not pass its result check.

  """


class OpCodeUnknown(GenericError):
  """An opcode was submitted that the master does not know.

  """


class JobLost(GenericError):
  """A job was asked about that is neither queued nor archived.

  """


class JobCanceled(GenericError):
  """A job was cancelled while it was being processed.

  """


class JobFileCorrupted(GenericError):
  """A job file cannot be parsed.

  """


class ResolverError(GenericError):
  """A host name could not be resolved.

  Args are (host name, error number, error message).

  """


class HooksFailure(GenericError):
  """Hooks could not be run at all (a general failure, not a hook's veto).

  """


class HooksAbort(HooksFailure):
  """A pre-hook vetoed the operation.

  The single argument is a list of (node, script, output) tuples.

  """


class UnitParseError(GenericError):
  """A size with unit (e.g. "10G") could not be parsed.

  """


class ParseError(GenericError):
  """Some data (a file, a message, an expression) could not be parsed.

  """


class QueryFilterParseError(ParseError):
  """A query2 filter expression could not be parsed.

  Args are (message, details); details is a list of lines describing
  where parsing stopped.

  """

  def GetDetails(self) -> list:
    """Return the message and the details lines, one item each."""
    result = []
    for line in self.args[1:2]:
      result.extend(line)
    return [self.args[0]] + result


class TypeEnforcementError(GenericError):
  """A value did not have the type a parameter schema required.

  """


class X509CertError(GenericError):
  """An X509 certificate is invalid or cannot be used.

  Args are (file name or description, message).

  """


class SshKeyError(GenericError):
  """An SSH key is invalid or cannot be handled.

  """


class TagError(GenericError):
  """A tag operation failed (bad tag, too many tags, ...).

  """


class CommandError(GenericError):
  """A gnt-* command was called with bad arguments.

  """


class StorageError(GenericError):
  """A storage unit operation failed.

  """


class FileStoragePathError(GenericError):
  """A file storage path is not allowed by the node's configuration.

  """


class InotifyError(GenericError):
  """Setting up or using inotify failed.

  """


class JobQueueError(GenericError):
  """The job queue is in a state that does not allow the request.

  """


class JobQueueDrainError(JobQueueError):
  """The job queue is being drained and refuses new jobs.

  """


class JobQueueFull(JobQueueError):
  """The job queue holds as many jobs as it may.

  """


class ConfdMagicError(GenericError):
  """A confd datagram did not start with the protocol magic.

  """


class ConfdClientError(GenericError):
  """The confd client library was used wrongly or failed.

  """


class UdpDataSizeError(GenericError):
  """A UDP payload is larger than a datagram can carry.

  """


class NoCtypesError(GenericError):
  """The ctypes module is needed but not available.

  """


class IPAddressError(GenericError):
  """An IP address is malformed or of the wrong family.

  """


class LuxiError(GenericError):
  """A LUXI protocol-level error (e.g. version mismatch).

  """


class QueryFilterError(GenericError):
  """A query filter is semantically invalid (unknown field, bad operand).

  """


class RapiTestResult(GenericError):
  """Carries the result of a RAPI test request back to the test.

  """


class QuitGanetiException(Exception):
  """Asks a daemon's RPC handler to quit after replying.

  Not a GenericError: it is control flow, not an error.  Args are
  (should_quit: bool, message).

  """


def _BuildRegistry() -> dict:
  """Map the names of all GenericError subclasses defined here to classes.

  Only these classes may be re-created from the wire, so a peer cannot make
  us instantiate arbitrary classes by naming them.

  """
  registry = {}
  for (name, value) in globals().items():
    if (isinstance(value, type) and issubclass(value, GenericError) and
        value.__module__ == __name__):
      registry[name] = value
  return registry


_ERROR_CLASSES = _BuildRegistry()


def GetErrorClass(name: Any) -> Optional[type]:
  """Return the Ganeti error class called ``name``, or None.

  Only subclasses of GenericError (including GenericError itself) are
  returned; any other name, or a non-string, gives None.

  """
  if not isinstance(name, str):
    return None
  return _ERROR_CLASSES.get(name)


def _ArgsToWire(args: Sequence) -> list:
  """Turn tuples in exception args into lists, as JSON would carry them."""
  result = []
  for arg in args:
    if isinstance(arg, (tuple, list)):
      arg = _ArgsToWire(arg)
    result.append(arg)
  return result


def EncodeException(err: BaseException) -> list:
  """Return the wire form ``[class name, [args...]]`` of an exception.

  Tuples inside the arguments become lists, so that the result compares
  equal to what the peer decodes from JSON.

  @raise ProgrammerError: if err is not an exception instance

  """
  if not isinstance(err, BaseException):
    raise ProgrammerError("EncodeException needs an exception instance,"
                          " got %r of type %s" % (err, type(err).__name__))
  return [err.__class__.__name__, _ArgsToWire(err.args)]


def GetEncodedError(result: Any) -> Optional[tuple]:
  """Recognise an encoded Ganeti error.

  @return: (error class, args tuple) if ``result`` is a two-element list or
    tuple whose first element names a known Ganeti error class and whose
    second element is a list or tuple; None otherwise

  """
  if (isinstance(result, (tuple, list)) and len(result) == 2 and
      isinstance(result[1], (tuple, list))):
    errcls = GetErrorClass(result[0])
    if errcls is not None:
      return (errcls, tuple(result[1]))
  return None


def MaybeRaise(result: Any) -> None:
  """Raise the encoded error in ``result``, if it is one.

  Anything that is not an encoded known error class is left alone, so the
  caller can handle it (LUXI clients raise a RequestError then).

  """
  error = GetEncodedError(result)
  if error is not None:
    (errcls, args) = error
    raise errcls(*args)


def DecodeException(data: Any) -> GenericError:
  """Turn the wire form of an error back into an exception instance.

  Known class names give that class with the original args.  Anything
  else (an unknown class name, a plain string, malformed data) gives a
  GenericError whose message keeps the original text, so no detail of
  the remote failure is lost.

  """
  error = GetEncodedError(data)
  if error is not None:
    (errcls, args) = error
    return errcls(*args)

  if (isinstance(data, (tuple, list)) and len(data) == 2 and
      isinstance(data[0], str) and isinstance(data[1], (tuple, list))):
    return GenericError("Unknown remote error class '%s': %s" %
                        (data[0], ", ".join(str(i) for i in data[1])),
                        data[0], list(data[1]))

  if isinstance(data, str):
    return GenericError(data)

  return GenericError("Malformed encoded error: %r" % (data, ))


def FormatError(err: BaseException) -> str:
  """Describe an error in one line, for logs and job results.

  OpPrereqError and friends with an error code show it in brackets; other
  errors show their arguments joined.

  """
  if not isinstance(err, BaseException):
    raise ProgrammerError("FormatError needs an exception instance,"
                          " got %r" % (err, ))
  name = err.__class__.__name__
  args = err.args
  if not args:
    return name
  if (len(args) == 2 and isinstance(args[0], str) and
      args[1] in ECODE_ALL):
    return "%s: %s [%s]" % (name, args[0], args[1])
  return "%s: %s" % (name, ", ".join(str(i) for i in args))
