"""Fixtures shared by the whole suite."""

import os

import pytest


@pytest.fixture(autouse=True)
def _no_virtual_node_leak(monkeypatch):
  """Keep a developer's shell from turning every test into a virtual node.

  Tests that want a virtual node set GANETI_ROOTDIR and GANETI_HOSTNAME
  themselves (with monkeypatch, so they are restored afterwards).
  """
  for name in ("GANETI_ROOTDIR", "GANETI_HOSTNAME"):
    if name in os.environ:
      monkeypatch.delenv(name)


@pytest.fixture
def as_node(tmp_path):
  """Factory: make this process the virtual node ``name`` below tmp_path.

  ``as_node(name)`` creates ``<tmp_path>/<name>`` as the node's root, sets
  GANETI_ROOTDIR and GANETI_HOSTNAME, reloads pathutils and returns the
  root; after the test the environment and pathutils are restored.

  """
  from ganeti import pathutils
  saved = dict((name, os.environ.get(name))
               for name in ("GANETI_ROOTDIR", "GANETI_HOSTNAME"))

  def _Switch(name):
    root = tmp_path / name
    root.mkdir(exist_ok=True)
    os.environ["GANETI_ROOTDIR"] = str(root)
    os.environ["GANETI_HOSTNAME"] = name
    pathutils.Reload()
    return root

  try:
    yield _Switch
  finally:
    for (name, value) in saved.items():
      if value is None:
        os.environ.pop(name, None)
      else:
        os.environ[name] = value
    pathutils.Reload()
