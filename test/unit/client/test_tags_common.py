"""Tests for ganeti.client.tags_common: tag sources, arguments, entries.

The commands themselves run against a live cluster in
test/integration/test_tags.py.
"""

import io

import pytest

from ganeti import cli
from ganeti import constants
from ganeti import errors
from ganeti import opcodes
from ganeti.client import gnt_cluster
from ganeti.client import tags_common


class _Opts(object):
  def __init__(self, tags_source=None):
    self.tags_source = tags_source


def test_read_tags_source_strips_and_skips_empty_lines(tmp_path):
  path = tmp_path / "tags"
  path.write_text("  a \n\n\tb:c\n   \nd")
  assert tags_common.ReadTagsSource(str(path)) == ["a", "b:c", "d"]


def test_read_tags_source_from_stdin(monkeypatch):
  monkeypatch.setattr("sys.stdin", io.StringIO("x\ny\n"))
  assert tags_common.ReadTagsSource("-") == ["x", "y"]


def test_read_tags_source_names_the_missing_file(tmp_path):
  missing = str(tmp_path / "nope")
  with pytest.raises(errors.OpPrereqError,
                     match="Cannot read tags from '%s'" % missing):
    tags_common.ReadTagsSource(missing)


def test_split_args_for_cluster_and_node(tmp_path):
  path = tmp_path / "tags"
  path.write_text("f1\n")
  assert tags_common.SplitTagArgs(constants.TAG_CLUSTER, _Opts(str(path)),
                                  ["a"]) == ("cluster", ["a", "f1"])
  assert tags_common.SplitTagArgs(constants.TAG_NODE, _Opts(),
                                  ["node1", "a", "b"]) == ("node1",
                                                           ["a", "b"])
  with pytest.raises(errors.OpPrereqError, match="No node name given"):
    tags_common.SplitTagArgs(constants.TAG_NODE, _Opts(), [])


def test_add_and_remove_refuse_empty_tag_lists():
  with pytest.raises(errors.OpPrereqError, match="No tags to be added"):
    tags_common.AddTags(constants.TAG_CLUSTER, _Opts(), [])
  with pytest.raises(errors.OpPrereqError, match="No tags to be removed"):
    tags_common.RemoveTags(constants.TAG_NODE, _Opts(), ["node1"])


@pytest.mark.parametrize("kind", sorted(constants.VALID_TAG_TYPES))
def test_tag_commands_entries(kind):
  entries = tags_common.TagCommands(kind)
  assert sorted(entries) == ["add-tags", "list-tags", "remove-tags"]
  assert entries["add-tags"][0].opcode_class is opcodes.OpTagsSet
  assert entries["remove-tags"][0].opcode_class is opcodes.OpTagsDel
  names = 0 if kind == constants.TAG_CLUSTER else 1
  assert len(entries["list-tags"][1]) == names
  for (fn, args_def, options, usage, description) in entries.values():
    assert callable(fn) and usage is not None and description
  cli.CheckArguments("add-tags", entries["add-tags"][1],
                     ["obj"] * names + ["t1", "t2"])
  with pytest.raises(cli.ArgumentCountError):
    cli.CheckArguments("list-tags", entries["list-tags"][1],
                       ["obj"] * (names + 1))


def test_tag_commands_refuse_unknown_kinds():
  with pytest.raises(errors.ProgrammerError, match="Unknown tag kind"):
    tags_common.TagCommands("widget")


def test_gnt_cluster_registers_the_tag_commands():
  for name in ("list-tags", "add-tags", "remove-tags", "search-tags"):
    assert name in gnt_cluster.commands
  (fn, options, args) = cli.ParseArgs(
    "gnt-cluster", ["gnt-cluster", "add-tags", "--from", "f", "--submit",
                    "a", "b"], gnt_cluster.commands,
    aliases=gnt_cluster.aliases)
  assert fn is gnt_cluster.commands["add-tags"][0]
  assert options.tags_source == "f" and options.submit_only
  assert args == ["a", "b"]
  (fn, _, args) = cli.ParseArgs(
    "gnt-cluster", ["gnt-cluster", "search-tags", "^env:"],
    gnt_cluster.commands, aliases=gnt_cluster.aliases)
  assert fn is tags_common.SearchTags and args == ["^env:"]
