"""Tests for ganeti.pathutils: the runtime layout and its recomputation."""

import ast
import contextlib
import os
import pathlib
import subprocess
import sys

import pytest

from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti import vcluster


LIB = pathlib.Path(__file__).resolve().parents[2] / "lib"

# Paths of installed software: the same on every node of a virtual cluster
_SHARED = frozenset([
    "PKGLIBDIR", "TOOLSDIR", "SHAREDIR", "DAEMON_UTIL", "ENSURE_DIRS",
    "SETUP_SSH", "IMPORT_EXPORT_DAEMON", "KVM_IFUP", "KVM_CONSOLE_WRAPPER",
    "DEFAULT_MASTER_SETUP_SCRIPT", "SSH_CONFIG_DIR", "SSH_HOST_DSA_PRIV",
    "SSH_HOST_DSA_PUB", "SSH_HOST_RSA_PRIV", "SSH_HOST_RSA_PUB",
    ])
# Not single paths, or not below the node root by design
_SPECIAL = frozenset(["ETC_HOSTS", "OS_SEARCH_PATH", "IALLOCATOR_SEARCH_PATH",
                      "DAEMONS_LOGFILES", "ALL_CERT_FILES"])


@contextlib.contextmanager
def _Environment(**values):
    """Runs the body with GANETI_* set as given, then restores everything."""
    names = [vcluster.ROOTDIR_ENVNAME, vcluster.HOSTNAME_ENVNAME]
    saved = dict((name, os.environ.get(name)) for name in names)
    try:
        for name in names:
            os.environ.pop(name, None)
        os.environ.update(values)
        pathutils.Reload()
        yield
    finally:
        for (name, value) in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        pathutils.Reload()


def _VirtualNode(cluster_dir, node):
    return _Environment(GANETI_ROOTDIR=os.path.join(str(cluster_dir), node),
                        GANETI_HOSTNAME=node)


def _Physical():
    return _Environment()


def test_declared_names_match_computed_names():
    declared = set(pathutils.__annotations__)
    assert declared == set(pathutils.ComputePaths(""))
    for name in declared:
        assert hasattr(pathutils, name), name


def test_physical_layout_matches_ganeti_defaults():
    with _Physical():
        expected = {
            "DATA_DIR": "/var/lib/ganeti",
            "CLUSTER_CONF_FILE": "/var/lib/ganeti/config.data",
            "NODED_CERT_FILE": "/var/lib/ganeti/server.pem",
            "RAPI_CERT_FILE": "/var/lib/ganeti/rapi.pem",
            "SPICE_CERT_FILE": "/var/lib/ganeti/spice.pem",
            "SPICE_CACERT_FILE": "/var/lib/ganeti/spice-ca.pem",
            "CONFD_HMAC_KEY": "/var/lib/ganeti/hmac.key",
            "CLUSTER_DOMAIN_SECRET_FILE":
                "/var/lib/ganeti/cluster-domain-secret",
            "SSH_KNOWN_HOSTS_FILE": "/var/lib/ganeti/known_hosts",
            "KNOWN_HOSTS_FILE": "/var/lib/ganeti/known_hosts",
            "RAPI_USERS_FILE": "/var/lib/ganeti/rapi/users",
            "RAPI_USERS_FILE_PRE24": "/var/lib/ganeti/rapi_users",
            "QUEUE_DIR": "/var/lib/ganeti/queue",
            "JOB_QUEUE_LOCK_FILE": "/var/lib/ganeti/queue/lock",
            "JOB_QUEUE_VERSION_FILE": "/var/lib/ganeti/queue/version",
            "JOB_QUEUE_SERIAL_FILE": "/var/lib/ganeti/queue/serial",
            "JOB_QUEUE_ARCHIVE_DIR": "/var/lib/ganeti/queue/archive",
            "JOB_QUEUE_DRAIN_FILE": "/var/lib/ganeti/queue/drain",
            "WATCHER_PAUSEFILE": "/var/lib/ganeti/watcher.pause",
            "WATCHER_STATEFILE": "/var/lib/ganeti/watcher.data",
            "RUN_DIR": "/var/run/ganeti",
            "RUN_GANETI_DIR": "/var/run/ganeti",
            "SOCKET_DIR": "/var/run/ganeti/socket",
            "MASTER_SOCKET": "/var/run/ganeti/socket/ganeti-master",
            "INSTANCE_STATUS_FILE": "/var/run/ganeti/instance-status",
            "BDEV_CACHE_DIR": "/var/run/ganeti/bdev-cache",
            "DISK_LINKS_DIR": "/var/run/ganeti/instance-disks",
            "UIDPOOL_LOCKDIR": "/var/run/ganeti/uid-pool",
            "CRYPTO_KEYS_DIR": "/var/run/ganeti/crypto",
            "IMPORT_EXPORT_DIR": "/var/run/ganeti/import-export",
            "LOCK_DIR": "/var/lock",
            "SSCONF_LOCK_FILE": "/var/lock/ganeti-ssconf.lock",
            "WATCHER_LOCK_FILE": "/var/lock/ganeti-watcher.lock",
            "LOG_DIR": "/var/log/ganeti",
            "LOG_OS_DIR": "/var/log/ganeti/os",
            "LOG_CLEANER_DIR": "/var/log/ganeti/cleaner",
            "LOG_WATCHER": "/var/log/ganeti/watcher.log",
            "LOG_COMMANDS": "/var/log/ganeti/commands.log",
            "LOG_BURNIN": "/var/log/ganeti/burnin.log",
            "LOG_SETUP_SSH": "/var/log/ganeti/setup-ssh.log",
            "CONF_DIR": "/etc/ganeti",
            "HOOKS_BASE_DIR": "/etc/ganeti/hooks",
            "EXTERNAL_MASTER_SETUP_SCRIPT":
                "/etc/ganeti/scripts/master-ip-setup",
            "VNC_PASSWORD_FILE": "/etc/ganeti/vnc-cluster-password",
            "DEFAULT_FILE_STORAGE_DIR": "/srv/ganeti/file-storage",
            "DEFAULT_SHARED_FILE_STORAGE_DIR":
                "/srv/ganeti/shared-file-storage",
            "EXPORT_DIR": "/srv/ganeti/export",
            "OS_SEARCH_PATH": ["/srv/ganeti/os"],
            "IALLOCATOR_SEARCH_PATH": ["/usr/lib/ganeti/iallocators"],
            "ETC_HOSTS": "/etc/hosts",
            "DAEMON_UTIL": "/usr/lib/ganeti/daemon-util",
            "DEFAULT_MASTER_SETUP_SCRIPT":
                "/usr/lib/ganeti/tools/master-ip-setup",
        }
        for (name, value) in expected.items():
            assert getattr(pathutils, name) == value, name
        assert pathutils.WATCHER_GROUP_STATE_FILE % "uuid-1" == \
            "/var/lib/ganeti/watcher.uuid-1.data"
        assert pathutils.WATCHER_GROUP_INSTANCE_STATUS_FILE % "uuid-1" == \
            "/var/lib/ganeti/watcher.uuid-1.instance-status"
        assert pathutils.DAEMONS_LOGFILES == {
            constants.NODED: "/var/log/ganeti/node-daemon.log",
            constants.MASTERD: "/var/log/ganeti/master-daemon.log",
            constants.RAPI: "/var/log/ganeti/rapi-daemon.log",
            constants.CONFD: "/var/log/ganeti/conf-daemon.log",
        }
        assert pathutils.ALL_CERT_FILES == frozenset([
            pathutils.NODED_CERT_FILE, pathutils.RAPI_CERT_FILE,
            pathutils.SPICE_CERT_FILE, pathutils.SPICE_CACERT_FILE])


def test_every_path_is_absolute_and_normalised():
    def check(name, path):
        assert isinstance(path, str), name
        template = path.replace("%s", "x")
        assert os.path.isabs(template), name
        assert os.path.normpath(template) == template, name

    for (name, value) in pathutils.ComputePaths("/srv/vc/n1").items():
        if isinstance(value, dict):
            for path in value.values():
                check(name, path)
        elif isinstance(value, (list, frozenset)):
            for path in value:
                check(name, path)
        else:
            check(name, value)


def test_virtual_node_paths_are_below_the_node_root(tmp_path):
    physical = pathutils.ComputePaths("")
    with _VirtualNode(tmp_path, "node1"):
        root = str(tmp_path / "node1")
        for name in sorted(set(physical) - _SHARED - _SPECIAL):
            value = getattr(pathutils, name)
            assert value.startswith(root + "/"), name
            # same layout inside the root as on a physical node
            assert vcluster.RemoveNodePrefix(value) == physical[name], name
        for name in _SHARED:
            assert getattr(pathutils, name) == physical[name], name
        for (daemon, path) in pathutils.DAEMONS_LOGFILES.items():
            assert vcluster.RemoveNodePrefix(path) == \
                physical["DAEMONS_LOGFILES"][daemon]
        assert all(path.startswith(root) for path in pathutils.ALL_CERT_FILES)


def test_virtual_etc_hosts_is_the_cluster_hosts_file(tmp_path):
    with _VirtualNode(tmp_path, "node1"):
        assert pathutils.ETC_HOSTS == str(tmp_path / "hosts")
        assert pathutils.ETC_HOSTS == vcluster.GetHostsFile()


def test_virtual_search_paths_list_node_then_machine(tmp_path):
    with _VirtualNode(tmp_path, "n1"):
        root = str(tmp_path / "n1")
        assert pathutils.OS_SEARCH_PATH == [root + "/srv/ganeti/os",
                                            "/srv/ganeti/os"]
        assert pathutils.IALLOCATOR_SEARCH_PATH == [
            root + "/usr/lib/ganeti/iallocators",
            "/usr/lib/ganeti/iallocators"]


def test_reload_switches_between_nodes_and_back(tmp_path):
    with _Physical():
        physical_data = pathutils.DATA_DIR
        with _VirtualNode(tmp_path, "node1"):
            assert pathutils.DATA_DIR == str(tmp_path / "node1") + physical_data
            with _VirtualNode(tmp_path, "node2"):
                assert pathutils.MASTER_SOCKET.startswith(
                    str(tmp_path / "node2") + "/")
            assert pathutils.DATA_DIR == str(tmp_path / "node1") + physical_data
        assert pathutils.DATA_DIR == physical_data


def test_reload_with_bad_environment_keeps_paths(tmp_path):
    with _VirtualNode(tmp_path, "node1"):
        before = pathutils.ComputePaths(vcluster.GetRootDirectory())
        os.environ[vcluster.HOSTNAME_ENVNAME] = "somebody-else"
        with pytest.raises(errors.ConfigurationError,
                           match=vcluster.HOSTNAME_ENVNAME):
            pathutils.Reload()
        for (name, value) in before.items():
            assert getattr(pathutils, name) == value, name
        assert vcluster.GetHostname() == "node1"


def test_functions_read_paths_at_call_time(tmp_path):
    with _Physical():
        assert pathutils.GetLogFilename("watcher") == pathutils.LOG_WATCHER
        assert pathutils.GetPidFilename(constants.NODED) == \
            "/var/run/ganeti/ganeti-noded.pid"
    with _VirtualNode(tmp_path, "node3"):
        root = str(tmp_path / "node3")
        assert pathutils.GetLogFilename("cleaner") == \
            root + "/var/log/ganeti/cleaner.log"
        assert pathutils.GetPidFilename(constants.MASTERD) == \
            root + "/var/run/ganeti/ganeti-masterd.pid"


@pytest.mark.parametrize("func", [pathutils.GetLogFilename,
                                  pathutils.GetPidFilename])
@pytest.mark.parametrize("bad", ["", "../etc/passwd", "a/b", ".hidden",
                                 None, 5])
def test_file_name_helpers_refuse_bad_names(func, bad):
    with pytest.raises(errors.ProgrammerError) as excinfo:
        func(bad)
    assert repr(bad) in str(excinfo.value)


def test_import_computes_paths_from_environment(tmp_path):
    env = dict(os.environ)
    env[vcluster.ROOTDIR_ENVNAME] = str(tmp_path / "nodeX")
    env[vcluster.HOSTNAME_ENVNAME] = "nodeX"
    proc = subprocess.run(
        [sys.executable, "-c",
         "from ganeti import pathutils; print(pathutils.CLUSTER_CONF_FILE)"],
        env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == \
        str(tmp_path / "nodeX") + "/var/lib/ganeti/config.data"


def _CapturedPathutilsUses(source, filename):
    """Returns the places where a module freezes a pathutils attribute."""
    tree = ast.parse(source, filename=filename)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in (
                "ganeti.pathutils", "pathutils"):
            found.append("%s:%d imports names from pathutils"
                         % (filename, node.lineno))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                             ast.Lambda)):
            args = node.args
            for default in args.defaults + [d for d in args.kw_defaults if d]:
                for sub in ast.walk(default):
                    if (isinstance(sub, ast.Attribute) and
                            isinstance(sub.value, ast.Name) and
                            sub.value.id == "pathutils"):
                        found.append("%s:%d uses pathutils.%s as a default"
                                     % (filename, default.lineno, sub.attr))
    return found


def test_capture_checker_sees_violations():
    source = ("from ganeti.pathutils import DATA_DIR\n"
              "def f(path=pathutils.CLUSTER_CONF_FILE): pass\n"
              "def g(*, path=[pathutils.LOG_DIR]): pass\n"
              "def ok(path=None): return path or pathutils.DATA_DIR\n")
    found = _CapturedPathutilsUses(source, "x.py")
    assert len(found) == 3
    assert "CLUSTER_CONF_FILE" in found[1] or "CLUSTER_CONF_FILE" in found[2]


def test_no_module_freezes_paths_at_import():
    # Reload() only helps if nobody kept the old values around
    problems = []
    for path in sorted(LIB.rglob("*.py")):
        problems.extend(_CapturedPathutilsUses(path.read_text(),
                                               str(path.relative_to(LIB))))
    assert not problems, "\n".join(problems)
