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
