"""Tests of ganeti.backend_os: OS definitions written in the test."""

import os

import pytest

from ganeti import backend
from ganeti import backend_os
from ganeti import constants
from ganeti import objects
from ganeti import pathutils


SCRIPTS = ("create", "import", "export", "rename")


def _MakeOS(top, name, api="20\n", scripts=SCRIPTS + ("verify", ),
            variants=None, parameters="", mode=0o755):
  path = top / name
  path.mkdir(parents=True)
  if api is not None:
    (path / constants.OS_API_FILE).write_text(api)
  for script in scripts:
    (path / script).write_text("#!/bin/sh\nexit 0\n")
    os.chmod(path / script, mode)
  if variants is not None:
    (path / constants.OS_VARIANTS_FILE).write_text(variants)
  if parameters is not None:
    (path / constants.OS_PARAMETERS_FILE).write_text(parameters)
  return str(path)


def _ByName(entries):
  return dict((entry[0], entry) for entry in entries)


def test_diagnose_reports_valid_and_invalid_definitions(tmp_path):
  top = tmp_path / "os"
  good = _MakeOS(top, "debootstrap", variants="default\n\nminimal\n",
                 parameters="dhcp Use DHCP\nproxy  The proxy to use\nflag\n")
  old = _MakeOS(top, "legacy", api="10\n", scripts=SCRIPTS,
                parameters=None)
  _MakeOS(top, "noverify", scripts=SCRIPTS)
  _MakeOS(top, "badapi", api="twenty\n")
  _MakeOS(top, "oldapi", api="5\n")
  _MakeOS(top, "noapi", api=None)
  _MakeOS(top, "noexec", mode=0o644)
  _MakeOS(top, "noparams", parameters=None)
  _MakeOS(top, "dir.name")
  (top / "README").write_text("not an OS")
  (top / ".hidden").mkdir()

  result = _ByName(backend.DiagnoseOS([str(top)]))
  assert sorted(result) == ["README", "badapi", "debootstrap", "dir.name",
                            "legacy", "noapi", "noexec", "noparams",
                            "noverify", "oldapi"]
  assert result["debootstrap"] == (
    "debootstrap", good, True, "", ["default", "minimal"],
    [["dhcp", "Use DHCP"], ["proxy", "The proxy to use"], ["flag", ""]],
    [20])
  assert result["legacy"] == ("legacy", old, True, "", [], [], [10])

  def diag(name):
    entry = result[name]
    assert entry[2] is False and entry[4:] == ([], [], [])
    return entry[3]

  assert "File 'verify' under path" in diag("noverify")
  assert "is missing" in diag("noverify")
  assert "can't be converted to integer" in diag("badapi")
  assert "API version mismatch" in diag("oldapi")
  assert "found 5, want 10, 15, 20" in diag("oldapi")
  assert "Required file 'ganeti_api_version' not found" in diag("noapi")
  assert "is not executable" in diag("noexec")
  assert "'parameters.list'" in diag("noparams")
  assert "not found in search path" in diag("dir.name")
  assert "not found in search path" in diag("README")


def test_variants_need_api_15(tmp_path):
  top = tmp_path / "os"
  _MakeOS(top, "v10", api="10\n", scripts=SCRIPTS, variants="a\nb\n",
          parameters=None)
  _MakeOS(top, "v15", api="10\n15\n", scripts=SCRIPTS, variants="a\nb\n",
          parameters=None)
  result = _ByName(backend.DiagnoseOS([str(top)]))
  assert result["v10"][4] == []
  assert result["v15"][4] == ["a", "b"]
  assert result["v15"][6] == [10, 15]


def test_unsupported_higher_version_still_requires_its_files(tmp_path):
  top = tmp_path / "os"
  _MakeOS(top, "future", api="20\n30\n", scripts=SCRIPTS)
  entry = backend.DiagnoseOS([str(top)])[0]
  assert entry[2] is False and "'verify'" in entry[3]


def test_non_regular_files_are_refused(tmp_path):
  top = tmp_path / "os"
  path = _MakeOS(top, "weird")
  os.unlink(os.path.join(path, "rename"))
  os.mkdir(os.path.join(path, "rename"))
  os.mkdir(top / "weird2")
  os.mkdir(top / "weird2" / constants.OS_API_FILE)
  result = _ByName(backend.DiagnoseOS([str(top)]))
  assert "'rename' under path" in result["weird"][3]
  assert "not a regular file" in result["weird"][3]
  assert "not a regular file" in result["weird2"][3]


def test_symlinked_scripts_are_fine(tmp_path):
  top = tmp_path / "os"
  path = _MakeOS(top, "linked")
  os.rename(os.path.join(path, "create"), tmp_path / "real-create")
  os.symlink(tmp_path / "real-create", os.path.join(path, "create"))
  assert backend.DiagnoseOS([str(top)])[0][2] is True


def test_shadowed_definitions_are_listed_from_each_directory(tmp_path):
  first = tmp_path / "a"
  second = tmp_path / "b"
  _MakeOS(first, "image")
  _MakeOS(second, "image", api="bad\n")
  entries = backend.DiagnoseOS([str(first), str(tmp_path / "missing"),
                                str(second)])
  assert [(e[1], e[2]) for e in entries] == [
    (str(first / "image"), True), (str(second / "image"), False)]


def test_default_search_path_is_the_node_s(tmp_path, monkeypatch):
  node = "node1.example.com"
  root = tmp_path / node
  root.mkdir()
  monkeypatch.setenv("GANETI_ROOTDIR", str(root))
  monkeypatch.setenv("GANETI_HOSTNAME", node)
  pathutils.Reload()
  try:
    _MakeOS(root / "srv/ganeti", "os/noop")
    entries = [e for e in backend.DiagnoseOS() if e[1].startswith(str(root))]
    assert entries[0][:3] == ("noop", str(root / "srv/ganeti/os/noop"),
                              True)
    found = backend.ReadOSFromDisk("noop+variant")
    assert isinstance(found, objects.OS)
    assert found.path == str(root / "srv/ganeti/os/noop")
    assert found.verify_script == found.path + "/verify"
    assert found.api_versions == [20]
  finally:
    monkeypatch.undo()
    pathutils.Reload()


def test_read_os_from_disk_failures(tmp_path):
  _MakeOS(tmp_path, "broken", api="1\n")
  with pytest.raises(backend.RPCFail, match="API version mismatch"):
    backend.ReadOSFromDisk("broken", base_dir=str(tmp_path))
  with pytest.raises(backend.RPCFail, match="Directory for OS nothere"):
    backend.ReadOSFromDisk("nothere", base_dir=str(tmp_path))
  obj = backend_os.TryReadOSFromDisk("broken", base_dir=str(tmp_path))
  assert isinstance(obj, str)


def test_api_file_edge_cases(tmp_path):
  _MakeOS(tmp_path, "empty", api="\n\n")
  _MakeOS(tmp_path, "binary", api=None)
  (tmp_path / "binary" / constants.OS_API_FILE).write_bytes(b"\xff\xfe\n")
  _MakeOS(tmp_path, "spaces", api="  20  \n\n 15\n")
  result = _ByName(backend.DiagnoseOS([str(tmp_path)]))
  assert "lists no version" in result["empty"][3]
  assert "not text" in result["binary"][3]
  assert result["spaces"][2] is True and result["spaces"][6] == [15, 20]
