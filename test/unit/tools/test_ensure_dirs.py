"""Tests of ganeti.tools.ensure_dirs."""

import os
import stat
import subprocess
import sys

import pytest

from ganeti import errors
from ganeti import pathutils
from ganeti.tools import ensure_dirs


TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
  os.path.abspath(__file__)))))


def _Mode(path):
  return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def paths(tmp_path):
  root = tmp_path / "node1"
  root.mkdir()
  return pathutils.ComputePaths(str(root))


def test_creates_every_directory_with_its_mode(paths):
  entries = ensure_dirs.GetPaths(paths)
  report = ensure_dirs.EnsureDirs(entries)
  assert any(line.startswith("Created directory") for line in report)
  assert not any(line.startswith("Fixed") for line in report)
  for (path, kind, mode, _, _) in entries:
    if kind == ensure_dirs.DIR:
      assert os.path.isdir(path), path
      assert _Mode(path) == mode, path
  assert _Mode(paths["QUEUE_DIR"]) == 0o700
  assert _Mode(paths["LOG_DIR"]) == 0o770
  assert _Mode(paths["SOCKET_DIR"]) == 0o750
  assert os.path.isdir(paths["OS_SEARCH_PATH"][0])
  # idempotent: nothing to do the second time
  assert ensure_dirs.EnsureDirs(entries) == []


def test_fixes_wrong_modes_of_dirs_and_existing_files(paths):
  entries = ensure_dirs.GetPaths(paths)
  ensure_dirs.EnsureDirs(entries)
  os.chmod(paths["QUEUE_DIR"], 0o777)
  with open(paths["CONFD_HMAC_KEY"], "w") as handle:
    handle.write("key\n")
  os.chmod(paths["CONFD_HMAC_KEY"], 0o666)
  report = ensure_dirs.EnsureDirs(entries)
  assert report == [
    "Fixed mode of %s: 0666 -> 0440" % paths["CONFD_HMAC_KEY"],
    "Fixed mode of %s: 0777 -> 0700" % paths["QUEUE_DIR"],
    ]
  assert _Mode(paths["QUEUE_DIR"]) == 0o700
  assert _Mode(paths["CONFD_HMAC_KEY"]) == 0o440


def test_dry_run_changes_nothing(paths):
  report = ensure_dirs.EnsureDirs(ensure_dirs.GetPaths(paths), dry_run=True)
  assert report
  assert not os.path.exists(paths["DATA_DIR"])


def test_wrong_types_are_refused(paths):
  os.makedirs(os.path.dirname(paths["QUEUE_DIR"]))
  with open(paths["QUEUE_DIR"], "w") as handle:
    handle.write("not a dir")
  with pytest.raises(errors.GenericError, match="exists but is not a"
                     " directory"):
    ensure_dirs.EnsureDirs(ensure_dirs.GetPaths(paths))
  os.unlink(paths["QUEUE_DIR"])
  os.makedirs(paths["CLUSTER_CONF_FILE"])
  with pytest.raises(errors.GenericError, match="not a regular file"):
    ensure_dirs.EnsureDirs(ensure_dirs.GetPaths(paths))


def test_physical_node_paths_do_not_include_the_os_dir():
  physical = pathutils.ComputePaths("")
  listed = [entry[0] for entry in ensure_dirs.GetPaths(physical)]
  assert "/var/lib/ganeti" in listed
  assert "/srv/ganeti/os" not in listed


def test_the_tool_on_a_virtual_node(tmp_path):
  root = tmp_path / "node9.example.com"
  root.mkdir()
  env = dict(os.environ, GANETI_ROOTDIR=str(root),
             GANETI_HOSTNAME="node9.example.com")
  tool = os.path.join(TOP, "tools", "ensure-dirs")
  out = subprocess.run([sys.executable, tool, "-v"], env=env,
                       capture_output=True, text=True, timeout=30)
  assert out.returncode == 0, out.stderr
  assert "Created directory %s/var/lib/ganeti/queue" % root in out.stdout
  os.chmod(root / "var/lib/ganeti/queue", 0o755)
  out = subprocess.run([sys.executable, tool], env=env, capture_output=True,
                       text=True, timeout=30)
  assert out.stdout == ("Fixed mode of %s/var/lib/ganeti/queue: 0755 ->"
                        " 0700\n" % root)
  out = subprocess.run([sys.executable, tool, "extra"], env=env,
                       capture_output=True, text=True, timeout=30)
  assert out.returncode == 2 and "no arguments expected" in out.stderr


def test_main_reports_errors(tmp_path, monkeypatch, capsys):
  root = tmp_path / "node9.example.com"
  (root / "var/lib").mkdir(parents=True)
  (root / "var/lib/ganeti").write_text("file in the way")
  monkeypatch.setenv("GANETI_ROOTDIR", str(root))
  monkeypatch.setenv("GANETI_HOSTNAME", "node9.example.com")
  try:
    assert ensure_dirs.Main(["-q"]) == 1
  finally:
    monkeypatch.undo()
    pathutils.Reload()
  assert "exists but is not a directory" in capsys.readouterr().err
