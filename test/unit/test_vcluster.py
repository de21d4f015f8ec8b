"""Tests for ganeti.vcluster: the virtual cluster path and environment rules."""

import os
import subprocess
import sys

import pytest
from hypothesis import given, strategies as st

from ganeti import errors
from ganeti import vcluster


ROOT = vcluster.ROOTDIR_ENVNAME
HOST = vcluster.HOSTNAME_ENVNAME


@pytest.fixture(autouse=True)
def _restore_state():
    """Every test may load other settings; put the process's own back."""
    yield
    vcluster.Reload()


def _Virtual(basedir="/srv/vc", node="node1.example.com"):
    vcluster.Reload({ROOT: "%s/%s" % (basedir, node), HOST: node})


def test_physical_node_helpers_are_identity():
    vcluster.Reload({})
    assert not vcluster.IsVirtualCluster()
    assert vcluster.GetRootDirectory() == ""
    assert vcluster.GetHostname() is None
    assert vcluster.GetVirtualHostname() is None
    assert vcluster.GetClusterDirectory() is None
    assert vcluster.GetHostsFile() is None
    assert vcluster.AddNodePrefix("/var/lib/ganeti") == "/var/lib/ganeti"
    assert vcluster.RemoveNodePrefix("/var/lib//ganeti/") == "/var/lib/ganeti"
    assert vcluster.ExchangeNodeRoot("node2", "/var/x") == "/var/x"
    assert vcluster.EnvironmentForHost("node2") == {}
    assert vcluster.MakeVirtualPath("/var/x") == "/var/x"
    assert vcluster.LocalizeVirtualPath("/var/x") == "/var/x"


def test_empty_variables_mean_physical():
    vcluster.Reload({ROOT: "", HOST: ""})
    assert not vcluster.IsVirtualCluster()


def test_virtual_node_settings():
    _Virtual("/srv/vc", "node1.example.com")
    assert vcluster.IsVirtualCluster()
    assert vcluster.GetRootDirectory() == "/srv/vc/node1.example.com"
    assert vcluster.GetHostname() == "node1.example.com"
    assert vcluster.GetVirtualHostname() == "node1.example.com"
    assert vcluster.GetClusterDirectory() == "/srv/vc"
    assert vcluster.GetHostsFile() == "/srv/vc/hosts"


def test_root_directory_is_normalised():
    vcluster.Reload({ROOT: "//srv//vc/./node1/", HOST: "node1"})
    assert vcluster.GetRootDirectory() == "/srv/vc/node1"
    assert vcluster.GetClusterDirectory() == "/srv/vc"


@pytest.mark.parametrize("environ, names", [
    ({ROOT: "/srv/vc/node1"}, [ROOT, HOST]),
    ({HOST: "node1"}, [ROOT, HOST]),
    ({ROOT: "/srv/vc/node1", HOST: "node2"}, [ROOT, HOST, "node1", "node2"]),
    ({ROOT: "relative/node1", HOST: "node1"}, [ROOT, "absolute"]),
    ({ROOT: "/", HOST: "node1"}, [ROOT]),
])
def test_inconsistent_environment_is_refused(environ, names):
    with pytest.raises(errors.ConfigurationError) as excinfo:
        vcluster.Reload(environ)
    for name in names:
        assert name in str(excinfo.value)


def test_failed_reload_keeps_previous_settings():
    _Virtual("/srv/vc", "node1")
    with pytest.raises(errors.ConfigurationError):
        vcluster.Reload({HOST: "node2"})
    assert vcluster.GetHostname() == "node1"
    assert vcluster.GetRootDirectory() == "/srv/vc/node1"


def test_read_environment_defaults_to_os_environ(monkeypatch):
    monkeypatch.setenv(ROOT, "/tmp/vc/n1")
    monkeypatch.setenv(HOST, "n1")
    assert vcluster.ReadEnvironment() == ("/tmp/vc/n1", "n1")
    monkeypatch.delenv(ROOT)
    monkeypatch.delenv(HOST)
    assert vcluster.ReadEnvironment() == ("", None)


def test_import_refuses_inconsistent_environment():
    env = dict(os.environ)
    env[ROOT] = "/tmp/vc/node1"
    env[HOST] = "other"
    proc = subprocess.run([sys.executable, "-c", "import ganeti.vcluster"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "ConfigurationError" in proc.stderr
    assert HOST in proc.stderr


def test_import_reads_environment():
    env = dict(os.environ)
    env[ROOT] = "/tmp/vc/node7"
    env[HOST] = "node7"
    code = ("from ganeti import vcluster; "
            "print(vcluster.GetHostsFile(), vcluster.GetHostname())")
    proc = subprocess.run([sys.executable, "-c", code], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["/tmp/vc/hosts", "node7"]


def test_add_node_prefix():
    _Virtual("/srv/vc", "node1")
    assert vcluster.AddNodePrefix("/var/lib/ganeti") == \
        "/srv/vc/node1/var/lib/ganeti"
    assert vcluster.AddNodePrefix("/") == "/srv/vc/node1"
    assert vcluster.AddNodePrefix("//a/../b/") == "/srv/vc/node1/b"
    # the machine's hosts file is never per node
    assert vcluster.AddNodePrefix(vcluster.ETC_HOSTS) == "/etc/hosts"
    assert vcluster.AddNodePrefix("/x", _noderoot="/other/n2") == "/other/n2/x"


@pytest.mark.parametrize("func", [vcluster.AddNodePrefix,
                                  vcluster.RemoveNodePrefix,
                                  vcluster.MakeVirtualPath,
                                  vcluster.LocalizeVirtualPath])
@pytest.mark.parametrize("bad", ["relative/path", "", None, 42, b"/bytes"])
def test_path_helpers_refuse_non_absolute_paths(func, bad):
    _Virtual()
    with pytest.raises(errors.ProgrammerError) as excinfo:
        func(bad)
    assert repr(bad) in str(excinfo.value)


def test_remove_node_prefix():
    _Virtual("/srv/vc", "node1")
    assert vcluster.RemoveNodePrefix("/srv/vc/node1/var/run") == "/var/run"
    assert vcluster.RemoveNodePrefix("/srv/vc/node1") == "/"
    assert vcluster.RemoveNodePrefix("/srv/vc/node1/") == "/"
    assert vcluster.RemoveNodePrefix("/srv/vc/node1/a/../b") == "/b"


@pytest.mark.parametrize("path", ["/srv/vc/node10/var", "/srv/vc/node2/x",
                                  "/var/lib", "/srv/vc"])
def test_remove_node_prefix_refuses_paths_outside_the_root(path):
    _Virtual("/srv/vc", "node1")
    with pytest.raises(errors.ProgrammerError, match="not below node root"):
        vcluster.RemoveNodePrefix(path)


def test_exchange_node_root():
    _Virtual("/srv/vc", "node1")
    assert vcluster.ExchangeNodeRoot("node2", "/srv/vc/node1/var/lib/x") == \
        "/srv/vc/node2/var/lib/x"
    assert vcluster.ExchangeNodeRoot("node1", "/srv/vc/node1/y") == \
        "/srv/vc/node1/y"
    with pytest.raises(errors.ProgrammerError):
        vcluster.ExchangeNodeRoot("node2", "/elsewhere/y")
    with pytest.raises(errors.ProgrammerError, match="Invalid node name"):
        vcluster.ExchangeNodeRoot("../evil", "/srv/vc/node1/y")


def test_exchange_node_root_physical_checks_path():
    vcluster.Reload({})
    with pytest.raises(errors.ProgrammerError):
        vcluster.ExchangeNodeRoot("node2", "relative")


def test_environment_for_host_round_trips():
    _Virtual("/srv/vc", "node1")
    env = vcluster.EnvironmentForHost("node2")
    assert env == {ROOT: "/srv/vc/node2", HOST: "node2"}
    assert vcluster.ReadEnvironment(env) == ("/srv/vc/node2", "node2")


@pytest.mark.parametrize("name", ["", ".", "..", ".hidden", "a/b", "a\0b",
                                  None, 3])
def test_make_node_root_refuses_bad_names(name):
    with pytest.raises(errors.ProgrammerError, match="Invalid node name"):
        vcluster.MakeNodeRoot("/srv/vc", name)
    _Virtual()
    with pytest.raises(errors.ProgrammerError):
        vcluster.EnvironmentForHost(name)


def test_make_node_root():
    assert vcluster.MakeNodeRoot("/srv/vc/", "n1") == "/srv/vc/n1"
    with pytest.raises(errors.ProgrammerError, match="absolute"):
        vcluster.MakeNodeRoot("srv", "n1")


def test_virtual_path_travels_between_nodes():
    _Virtual("/srv/vc", "node1")
    vpath = vcluster.MakeVirtualPath("/srv/vc/node1/srv/ganeti/export/i1")
    assert vpath != "/srv/ganeti/export/i1"
    assert vcluster.LocalizeVirtualPath(vpath) == \
        "/srv/vc/node1/srv/ganeti/export/i1"
    _Virtual("/srv/vc", "node2")
    assert vcluster.LocalizeVirtualPath(vpath) == \
        "/srv/vc/node2/srv/ganeti/export/i1"
    with pytest.raises(errors.ProgrammerError, match="not a virtual path"):
        vcluster.LocalizeVirtualPath("/srv/vc/node2/x")


_COMPONENT = st.text(alphabet="abcxyz019-_.", min_size=1, max_size=8).filter(
    lambda c: c not in (".", ".."))
_PATHS = st.lists(_COMPONENT, max_size=6).map(
    lambda parts: "/" + "/".join(parts))


@given(path=_PATHS, node=st.sampled_from(["n1", "node-2", "x.example.com"]))
def test_prefix_round_trip_property(path, node):
    root = "/srv/vc/" + node
    prefixed = vcluster.AddNodePrefix(path, _noderoot=root)
    assert prefixed == root or prefixed.startswith(root + "/")
    assert vcluster.RemoveNodePrefix(prefixed, _noderoot=root) == \
        os.path.normpath(path)


@given(path=_PATHS)
def test_exchange_there_and_back_property(path):
    root1 = "/srv/vc/n1"
    here = vcluster.AddNodePrefix(path, _noderoot=root1)
    there = vcluster.ExchangeNodeRoot("n2", here, _basedir="/srv/vc",
                                      _noderoot=root1)
    assert there.startswith("/srv/vc/n2")
    back = vcluster.ExchangeNodeRoot("n1", there, _basedir="/srv/vc",
                                     _noderoot="/srv/vc/n2")
    assert back == here


def test_add_shared_prefix_physical_is_identity():
    vcluster.Reload({})
    assert vcluster.AddSharedPrefix("/srv/ganeti/shared-file-storage/i1") == \
        "/srv/ganeti/shared-file-storage/i1"


def test_add_shared_prefix_virtual_uses_cluster_shared_dir():
    _Virtual("/srv/vc", "node1")
    assert vcluster.AddSharedPrefix("/srv/sfs/inst1/disk0") == \
        "/srv/vc/shared/srv/sfs/inst1/disk0"
    assert vcluster.AddSharedPrefix("/") == "/srv/vc/shared"
    assert vcluster.AddSharedPrefix("//a/../b/") == "/srv/vc/shared/b"
    # every node of the cluster sees the same directory
    _Virtual("/srv/vc", "node2")
    assert vcluster.AddSharedPrefix("/srv/sfs/inst1/disk0") == \
        "/srv/vc/shared/srv/sfs/inst1/disk0"
    assert vcluster.AddSharedPrefix("/x", _basedir="/other") == \
        "/other/shared/x"


@pytest.mark.parametrize("bad", ["relative/path", "", None, 42])
def test_add_shared_prefix_refuses_non_absolute_paths(bad):
    _Virtual()
    with pytest.raises(errors.ProgrammerError) as excinfo:
        vcluster.AddSharedPrefix(bad)
    assert repr(bad) in str(excinfo.value)
