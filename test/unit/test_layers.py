"""Keeps the layering of DESIGN.md honest: a module of lib/ imports only
modules of its own layer or a lower one."""

import ast
import pathlib

import pytest

LIB = pathlib.Path(__file__).resolve().parents[2] / "lib"

LAYERS = {
  "base": 1, "model": 2, "node": 3, "wire": 4, "master": 5, "entry": 6,
}

# Top-level module or package name under lib/ -> layer.  A helper module
# named "<owner>_<part>" (config_verify, opcodes_params ...) belongs to the
# layer of its owner.
MODULE_LAYERS = {
  "__init__": "base",
  "constants": "base", "errors": "base", "serializer": "base", "ht": "base",
  "pathutils": "base", "vcluster": "base", "compat": "base",
  "netutils": "base", "utils": "base",
  "objects": "model", "opcodes": "model", "query": "model", "qlang": "model",
  "storage": "node", "hypervisor": "node", "backend": "node",
  "ssconf": "node", "uidpool": "node",
  "http": "wire", "rpc": "wire", "luxi": "wire", "confd": "wire",
  "rapi": "wire", "ssh": "wire",
  "locking": "master", "workerpool": "master", "jqueue": "master",
  "jstore": "master", "mcpu": "master", "hooksmaster": "master",
  "config": "master", "cmdlib": "master", "iallocator": "master",
  "bootstrap": "master", "watcher": "master",
  "server": "entry", "client": "entry", "cli": "entry", "tools": "entry",
}


def _LayerOf(top_name):
  if top_name in MODULE_LAYERS:
    return LAYERS[MODULE_LAYERS[top_name]]
  owner = top_name.split("_", 1)[0]
  if owner in MODULE_LAYERS:
    return LAYERS[MODULE_LAYERS[owner]]
  return None


def _TopName(path):
  rel = path.relative_to(LIB)
  return rel.parts[0][:-3] if len(rel.parts) == 1 else rel.parts[0]


def _ImportedTopNames(source, rel):
  """Yield (line, top-level ganeti module) for every import of the package.

  ``rel`` is the module's path relative to lib/, needed for relative imports.
  """
  tree = ast.parse(source, filename=str(rel))
  depth = len(rel.parts) - 1  # packages the file is nested in
  for node in ast.walk(tree):
    if isinstance(node, ast.Import):
      for alias in node.names:
        parts = alias.name.split(".")
        if parts[0] == "ganeti" and len(parts) > 1:
          yield node.lineno, parts[1]
    elif isinstance(node, ast.ImportFrom):
      if node.level:
        # Relative import: climb from the file's package.
        up = node.level - 1
        base = list(rel.parts[:depth])
        if up > len(base):
          continue
        base = base[:len(base) - up]
        parts = base + (node.module.split(".") if node.module else [])
        if parts:
          yield node.lineno, parts[0]
        else:
          for alias in node.names:
            yield node.lineno, alias.name
      elif node.module == "ganeti":
        for alias in node.names:
          yield node.lineno, alias.name
      elif node.module and node.module.startswith("ganeti."):
        yield node.lineno, node.module.split(".")[1]


def _AllModules():
  return sorted(p for p in LIB.rglob("*.py"))


def test_every_module_has_a_layer():
  unknown = sorted({_TopName(p) for p in _AllModules()
                      if _LayerOf(_TopName(p)) is None})
  assert not unknown, "modules without a layer in test_layers: %s" % unknown


@pytest.mark.parametrize("path", _AllModules(),
                         ids=lambda p: str(p.relative_to(LIB)))
def test_imports_respect_layers(path):
  rel = path.relative_to(LIB)
  violations = _Violations(path.read_text(), rel)
  assert not violations, "\n".join(violations)


def _Violations(source, rel):
  own = _LayerOf(rel.parts[0][:-3] if len(rel.parts) == 1 else rel.parts[0])
  found = []
  for lineno, name in _ImportedTopNames(source, rel):
    other = _LayerOf(name)
    if other is not None and other > own:
      found.append("%s:%d imports %s (layer %d > %d)"
                         % (rel, lineno, name, other, own))
  return found


def test_layer_checker_sees_violations():
  # The checker must notice upward imports in every spelling, or the tests
  # above would pass vacuously.
  source = ("from ganeti import config\n"
              "import ganeti.rpc\n"
              "from ganeti.cmdlib import cluster\n"
              "from ganeti import constants\n")
  found = _Violations(source, pathlib.PurePath("objects.py"))
  assert [v.split(" imports ")[1].split()[0] for v in found] == \
    ["config", "rpc", "cmdlib"]
  # Relative imports inside a package resolve against that package.
  nested = _Violations("from .. import jqueue\nfrom . import io\n",
                         pathlib.PurePath("utils", "retry.py"))
  assert len(nested) == 1 and "jqueue" in nested[0]
  assert _LayerOf("config_verify") == _LayerOf("config")
