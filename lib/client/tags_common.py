"""Tag commands shared by the gnt-* tools (cli.md 8.1-8.4: *-tags).

Layer 6 (entry points).  ``list-tags`` asks the master over LUXI
(QueryTags); ``add-tags`` and ``remove-tags`` submit OP_TAGS_SET and
OP_TAGS_DEL; ``gnt-cluster search-tags`` submits OP_TAGS_SEARCH.  Tags come
from the command line and, with ``--from FILE``, from a file (one per line,
``-`` for standard input).

`TagCommands` builds the three per-object command-table entries for one
tag kind, so a tool registers them with one line::

  commands.update(tags_common.TagCommands(constants.TAG_NODE))

Not a gnt-* tool itself (no ``commands`` table), and it must not change the
configuration other than through those opcodes.
"""

import sys
from typing import Any, Callable, Dict, List, Tuple

from ganeti import cli
from ganeti import constants
from ganeti import errors
from ganeti import opcodes
from ganeti.cli import (ArgGroup, ArgInstance, ArgNode, ArgUnknown,
                        PRIORITY_OPT, SUBMIT_OPTS, TAG_SRC_OPT)


#: per kind: (positional argument naming the object or None, usage word,
#: words describing the object in help texts)
_KIND_INFO = {
  constants.TAG_CLUSTER: (None, "", "the cluster"),
  constants.TAG_NODE: (ArgNode, "<node_name>", "the given node"),
  constants.TAG_NODEGROUP: (ArgGroup, "<group_name>",
                            "the given node group"),
  constants.TAG_INSTANCE: (ArgInstance, "<instance_name>",
                           "the given instance"),
  }


def ReadTagsSource(source: str) -> List[str]:
  """The tags of a ``--from`` file: stripped lines, empty ones skipped.

  @param source: a file name, or ``-`` for standard input
  @raise errors.OpPrereqError: the file cannot be read

  """
  if source == "-":
    lines = sys.stdin.read().splitlines()
  else:
    try:
      with open(source, encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    except (OSError, UnicodeDecodeError) as err:
      raise errors.OpPrereqError("Cannot read tags from '%s': %s" %
                                 (source, err), errors.ECODE_ENVIRON) from err
  return [line.strip() for line in lines if line.strip()]


def SplitTagArgs(kind: str, opts: Any, args: List[str]
                 ) -> Tuple[str, List[str]]:
  """(object name, tags) from a command's positional arguments and --from.

  The cluster is named ``cluster`` (the opcode ignores the name then);
  other kinds take the object's name as first argument.

  @raise errors.OpPrereqError: no object name where one is needed

  """
  args = list(args)
  if kind == constants.TAG_CLUSTER:
    name = constants.TAG_CLUSTER
  else:
    if not args:
      raise errors.OpPrereqError("No %s name given" % kind,
                                 errors.ECODE_INVAL)
    name = args.pop(0)
  source = getattr(opts, "tags_source", None)
  if source is not None:
    args.extend(ReadTagsSource(source))
  return (name, args)


def ListTags(kind: str, opts: Any, args: List[str]) -> int:
  """Print the tags of one object, sorted, one per line (LUXI QueryTags)."""
  (name, _) = SplitTagArgs(kind, opts, args)
  client = cli.GetClient()
  try:
    tags = client.QueryTags(kind, name)
  finally:
    client.Close()
  for tag in sorted(tags):
    cli.ToStdout("%s", tag)
  return constants.EXIT_SUCCESS


def AddTags(kind: str, opts: Any, args: List[str]) -> int:
  """Submit OP_TAGS_SET with the tags of the command line and --from."""
  (name, tags) = SplitTagArgs(kind, opts, args)
  if not tags:
    raise errors.OpPrereqError("No tags to be added", errors.ECODE_INVAL)
  cli.SubmitOrSend(opcodes.OpTagsSet(kind=kind, name=name, tags=tags), opts)
  return constants.EXIT_SUCCESS


def RemoveTags(kind: str, opts: Any, args: List[str]) -> int:
  """Submit OP_TAGS_DEL with the tags of the command line and --from."""
  (name, tags) = SplitTagArgs(kind, opts, args)
  if not tags:
    raise errors.OpPrereqError("No tags to be removed", errors.ECODE_INVAL)
  cli.SubmitOrSend(opcodes.OpTagsDel(kind=kind, name=name, tags=tags), opts)
  return constants.EXIT_SUCCESS


@cli.OpcodeCommand(opcodes.OpTagsSearch)
def SearchTags(opts: Any, args: List[str]) -> int:
  """gnt-cluster search-tags PATTERN: print ``<path> <tag>`` lines, sorted.

  Exit 1 when nothing matches (cli.md 8.1).

  """
  result = cli.SubmitOpCode(opcodes.OpTagsSearch(pattern=args[0]),
                            opts=opts)
  if not result:
    return constants.EXIT_FAILURE
  for (path, tag) in sorted(result):
    cli.ToStdout("%s %s", path, tag)
  return constants.EXIT_SUCCESS


def _Bind(fn: Callable, kind: str, op_class: Any) -> Callable:
  """``fn`` with its tag kind fixed, as a command function (opts, args)."""
  def command(opts, args):
    return fn(kind, opts, args)
  command.__name__ = "%s_%s" % (fn.__name__, kind)
  command.__qualname__ = command.__name__
  command.__doc__ = fn.__doc__
  if op_class is not None:
    command = cli.OpcodeCommand(op_class)(command)
  return command


def TagCommands(kind: str) -> Dict[str, tuple]:
  """The list-tags, add-tags and remove-tags command entries for one kind.

  @param kind: one of constants.VALID_TAG_TYPES
  @return: {command name: (function, args, options, usage, description)}

  """
  if kind not in _KIND_INFO:
    raise errors.ProgrammerError("Unknown tag kind '%s'" % (kind, ))
  (arg_class, usage_name, what) = _KIND_INFO[kind]
  if arg_class is None:
    name_args = []
    prefix = ""
  else:
    name_args = [arg_class(min=1, max=1)]
    prefix = usage_name + " "
  change_opts = [TAG_SRC_OPT, PRIORITY_OPT] + SUBMIT_OPTS
  return {
    "list-tags": (
      _Bind(ListTags, kind, None), list(name_args), [],
      usage_name, "List the tags of %s" % what),
    "add-tags": (
      _Bind(AddTags, kind, opcodes.OpTagsSet),
      name_args + [ArgUnknown()], list(change_opts),
      "%s[--from file] tag..." % prefix, "Add tags to %s" % what),
    "remove-tags": (
      _Bind(RemoveTags, kind, opcodes.OpTagsDel),
      name_args + [ArgUnknown()], list(change_opts),
      "%s[--from file] tag..." % prefix, "Remove tags from %s" % what),
    }


def SearchTagsCommand() -> Dict[str, tuple]:
  """The ``search-tags`` command entry (gnt-cluster only)."""
  return {
    "search-tags": (
      SearchTags, [ArgUnknown(min=1, max=1)], [PRIORITY_OPT],
      "<pattern>", "Searches the tags on all objects of the cluster"
      " (cluster, node groups, nodes, instances) for a regular"
      " expression"),
    }
