"""The field tables of ganeti.query against the catalogue of query.md 6.

The spec file is parsed at test time, so a change on either side shows up
here: every field name, title and kind of section 6 must match.
"""

import pathlib
import re

import pytest

from ganeti import constants
from ganeti import query

SPEC = pathlib.Path("/work/shared/spec/query.md")

_KINDS = {
  "T": constants.QFT_TEXT, "B": constants.QFT_BOOL,
  "N": constants.QFT_NUMBER, "U": constants.QFT_UNIT,
  "TS": constants.QFT_TIMESTAMP, "O": constants.QFT_OTHER,
}

_SECTION_RE = re.compile(r"^### 6\.\d+ `(\w+)` \((\d+) fields")
_TICKED_RE = re.compile(r"`([^`]+)`")
_HV_ITEM_RE = re.compile(r"`([a-z0-9_]+)`(?: \(([^)]+)\))?")
_ALIAS_RE = re.compile(r"`([a-z0-9_/.]+)`=`([a-z0-9_/.]+)`")


def _Kinds(cell):
  """Allowed kinds of a cell like "T (2.6; [later] N)": both forms."""
  return frozenset(_KINDS[abbr] for abbr in re.findall(r"\b(TS|T|B|N|U|O)\b",
                                                       cell))


def _Expand(name, title, meaning):
  """Indexed rows (disk.size/N, N = 0…15) become one field per index."""
  if "/N" not in name:
    return [(name, title)]
  match = re.search(r"N = 0…(\d+)", meaning)
  assert match, "indexed row %s gives no index range" % name
  return [(name.replace("/N", "/%d" % idx), title.replace("/N", "/%d" % idx))
          for idx in range(int(match.group(1)) + 1)]


def _ParseCatalogue():
  """resource -> (declared count, {field: (title, allowed kinds)})."""
  if not SPEC.exists():
    pytest.fail("spec file %s is missing: cannot check the field catalogue"
                % SPEC)
  text = SPEC.read_text(encoding="utf-8")
  section = text.split("## 6. Field catalogue", 1)[1]
  result = {}
  resource = None
  aliases = []
  # Bullet items of the hv/ list wrap onto indented lines: join them first
  lines = []
  for line in section.splitlines():
    if line.startswith("  ") and lines and lines[-1].startswith("* kind "):
      lines[-1] += " " + line.strip()
    else:
      lines.append(line)
  for line in lines:
    head = _SECTION_RE.match(line)
    if head:
      resource = head.group(1)
      result[resource] = (int(head.group(2)), {})
      continue
    if resource is None:
      continue
    fields = result[resource][1]
    if line.startswith("| `"):
      cells = [cell.strip() for cell in line.strip("|").split("|")]
      names = _TICKED_RE.findall(cells[0])
      titles = [title.strip() for title in cells[1].split(",")]
      kinds = _Kinds(cells[2])
      assert kinds, "no kind in row %r" % line
      assert len(names) == len(titles), "names/titles differ in %r" % line
      meaning = cells[3] if len(cells) > 3 else ""
      for (name, title) in zip(names, titles):
        for (fname, ftitle) in _Expand(name, title, meaning):
          fields[fname] = (ftitle, kinds)
    elif line.startswith("* kind ") and resource == "instance":
      (head_text, items) = line[len("* kind "):].split(":", 1)
      kinds = _Kinds(head_text)
      for (param, title) in _HV_ITEM_RE.findall(items):
        fields["hv/" + param] = (title or "hv/" + param, kinds)
    elif resource == "instance":
      aliases.extend(_ALIAS_RE.findall(line))
  for (alias, target) in aliases:
    result["instance"][1][alias] = result["instance"][1][target]
  return result


CATALOGUE = _ParseCatalogue()


def test_catalogue_parse_covers_every_resource():
  assert set(CATALOGUE) == set(query.ALL_FIELDS)
  # The spec's own counts hold for what was parsed from it
  for (resource, (count, fields)) in CATALOGUE.items():
    assert len(fields) == count, resource


@pytest.mark.parametrize("resource", sorted(query.ALL_FIELDS))
def test_field_names_titles_kinds_match_spec(resource):
  (count, spec_fields) = CATALOGUE[resource]
  ours = query.ALL_FIELDS[resource]
  assert sorted(ours) == sorted(spec_fields)
  assert len(ours) == count
  for (name, (title, kinds)) in spec_fields.items():
    assert ours[name].title == title, name
    assert ours[name].kind in kinds, name


def test_hostname_fields_are_the_starred_ones():
  starred = {
    "node": {"name"}, "instance": {"name", "pnode"},
    "cluster": {"cluster_name", "name", "master_node"}, "export": {"node"},
  }
  for (resource, table) in query.ALL_FIELDS.items():
    found = {name for (name, field) in table.items() if field.hostname}
    assert found == starred.get(resource, set()), resource
