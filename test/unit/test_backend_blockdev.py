"""Tests of ganeti.backend_blockdev: the blockdev_* calls of a node.

File disks are real sparse files below a virtual node root in tmp_path
(the cluster's file storage directory comes from the node's ssconf).  The
tree walks over LVs and DRBD, which cannot be activated in this kernel,
use a recording device class registered for those types in the storage
dispatcher; their own command lines are tested in test/unit/storage.
"""

import os

import pytest

from ganeti import backend
from ganeti import backend_blockdev
from ganeti import constants
from ganeti import objects
from ganeti import pathutils
from ganeti import ssconf
from ganeti import utils
from ganeti import vcluster
from ganeti.storage import base as storage_base
from ganeti.storage import bdev
from ganeti.storage import filestorage
from ganeti.tools import ensure_dirs


NODE = "node1.example.com"
INSTANCE = "inst1.example.com"
FILE_DIR = "/srv/ganeti/file-storage"
SHARED_DIR = "/srv/ganeti/shared-file-storage"
MIB = 1024 * 1024


@pytest.fixture
def node(as_node):
  root = as_node(NODE)
  ensure_dirs.EnsureDirs(ensure_dirs.GetPaths())
  ssconf.SimpleStore().WriteFiles({
    ssconf.SS_FILE_STORAGE_DIR: FILE_DIR,
    ssconf.SS_SHARED_FILE_STORAGE_DIR: SHARED_DIR,
    })
  return root


def FileDisk(name="disk0", size=8, iv_name="disk/0", directory=FILE_DIR):
  path = "%s/%s/%s" % (directory, INSTANCE, name)
  return objects.Disk(dev_type=constants.LD_FILE,
                      logical_id=(constants.FD_LOOP, path),
                      physical_id=(constants.FD_LOOP, path), size=size,
                      iv_name=iv_name, mode=constants.DISK_RDWR, params={},
                      children=[])


def _Local(disk):
  return vcluster.AddNodePrefix(disk.logical_id[1])


def _Wire(disk):
  """What the node daemon hands the backend: the disk's dict."""
  return disk.ToDict()


# File disks, the whole cycle -----------------------------------------------

def test_create_assemble_find_and_remove_a_file_disk(node):
  disk = FileDisk()
  local = _Local(disk)
  uid = backend.BlockdevCreate(_Wire(disk), 8, INSTANCE, True, "inst1",
                               False)
  assert uid == [constants.FD_LOOP, disk.logical_id[1]]
  assert local.startswith(str(node))
  assert os.path.getsize(local) == 8 * MIB
  # sparse: nothing written yet
  assert os.stat(local).st_blocks * 512 < MIB

  (dev_path, link) = backend.BlockdevAssemble(_Wire(disk), INSTANCE, True, 0)
  assert dev_path == local
  assert link == os.path.join(pathutils.DISK_LINKS_DIR, INSTANCE + ":0")
  assert os.readlink(link) == local
  assert backend_blockdev.ReadDevCache(local) == [INSTANCE, "primary",
                                                  "disk/0"]

  status = backend.BlockdevFind(_Wire(disk))
  assert status["dev_path"] == local
  assert status["is_degraded"] is False
  assert objects.BlockDevStatus.FromDict(status).dev_path == local
  assert backend.BlockdevGetsize([_Wire(disk)]) == [8 * MIB]
  mirror = backend.BlockdevGetmirrorstatus([_Wire(disk)])
  assert mirror[0][0] is True and mirror[0][1]["dev_path"] == local

  backend.BlockdevShutdown(_Wire(disk))
  assert backend_blockdev.ReadDevCache(local) is None
  backend.BlockdevClose(INSTANCE, [_Wire(disk)])
  assert not os.path.lexists(link)

  backend.BlockdevRemove(_Wire(disk))
  assert not os.path.exists(local)
  # a missing device is not an error for removal
  backend.BlockdevRemove(_Wire(disk))


def test_secondary_assemble_answers_true(node):
  disk = FileDisk()
  backend.BlockdevCreate(_Wire(disk), 8, INSTANCE, True, "", False)
  assert backend.BlockdevAssemble(_Wire(disk), INSTANCE, False, 0) is True
  assert not os.path.lexists(backend_blockdev.GetDiskLinkPath(INSTANCE, 0))


def test_missing_devices(node):
  disk = FileDisk()
  assert backend.BlockdevFind(_Wire(disk)) is None
  assert backend.BlockdevGetsize([_Wire(disk)]) == [None]
  (ok, msg) = backend.BlockdevGetmirrorstatus([_Wire(disk)])[0]
  assert ok is False and "Cannot find block device" in msg
  with pytest.raises(backend.RPCFail, match="not found on node %s" % NODE):
    backend.BlockdevGrow(_Wire(disk), 1, False, False)
  with pytest.raises(backend.RPCFail, match="not found"):
    backend.BlockdevClose(INSTANCE, [_Wire(disk)])
  with pytest.raises(backend.RPCFail, match="Cannot assemble block device"):
    backend.BlockdevAssemble(_Wire(disk), INSTANCE, True, 0)
  with pytest.raises(backend.RPCFail, match="device not found"):
    backend.BlockdevWipe(_Wire(disk), 0, 1)
  # shutting down what is not there is fine
  backend.BlockdevShutdown(_Wire(disk))


def test_create_refuses_existing_files_and_keeps_them(node):
  disk = FileDisk()
  backend.BlockdevCreate(_Wire(disk), 8, INSTANCE, True, "", False)
  with pytest.raises(backend.RPCFail, match="Cannot create block device.*"
                     "exists already"):
    backend.BlockdevCreate(_Wire(disk), 8, INSTANCE, True, "", False)
  assert os.path.getsize(_Local(disk)) == 8 * MIB


def test_paths_outside_the_storage_dirs_are_refused(node):
  for path in ["/etc/evil", FILE_DIR + "/../escape/disk0"]:
    disk = FileDisk()
    disk.logical_id = disk.physical_id = (constants.FD_LOOP, path)
    with pytest.raises(backend.RPCFail, match="not below the file storage"):
      backend.BlockdevCreate(_Wire(disk), 1, INSTANCE, True, "", False)
  assert not os.path.exists(vcluster.AddNodePrefix("/etc/evil"))


def test_shared_file_disk_lives_in_the_cluster_shared_dir(node):
  disk = FileDisk(directory=SHARED_DIR)
  backend.BlockdevCreate(_Wire(disk), 2, INSTANCE, True, "", False)
  local = vcluster.AddSharedPrefix(disk.logical_id[1])
  assert local == os.path.join(os.path.dirname(str(node)), "shared",
                               disk.logical_id[1].lstrip("/"))
  assert os.path.getsize(local) == 2 * MIB
  backend.BlockdevRemove(_Wire(disk))
  assert not os.path.exists(local)


def test_grow_and_rename(node):
  disk = FileDisk()
  backend.BlockdevCreate(_Wire(disk), 8, INSTANCE, True, "", False)
  backend.BlockdevGrow(_Wire(disk), 4, True, True)
  assert os.path.getsize(_Local(disk)) == 8 * MIB
  # the backing store (the file) grows; the device on top has nothing to do
  backend.BlockdevGrow(_Wire(disk), 4, False, True)
  backend.BlockdevGrow(_Wire(disk), 4, False, False)
  assert backend.BlockdevGetsize([_Wire(disk)]) == [12 * MIB]
  with pytest.raises(backend.RPCFail, match="negative amount"):
    backend.BlockdevGrow(_Wire(disk), -1, False, False)

  new_path = "%s/%s/renamed" % (FILE_DIR, INSTANCE)
  backend.BlockdevRename([[_Wire(disk), [constants.FD_LOOP, new_path]]])
  assert not os.path.exists(_Local(disk))
  assert os.path.getsize(vcluster.AddNodePrefix(new_path)) == 12 * MIB
  with pytest.raises(backend.RPCFail, match="Cannot find device .* to"
                     " rename"):
    backend.BlockdevRename([[_Wire(disk), [constants.FD_LOOP, new_path]]])
  with pytest.raises(backend.RPCFail, match="Invalid rename entry"):
    backend.BlockdevRename([[_Wire(disk)]])


@pytest.mark.parametrize("value,match", [
  ("disk", "expected a dict"),
  ({"dev_type": "file", "children": "x"}, "Invalid disk description"),
  ])
def test_bad_disk_descriptions(node, value, match):
  with pytest.raises(backend.RPCFail, match=match):
    backend.BlockdevFind(value)


def test_disk_lists_must_be_lists(node):
  with pytest.raises(backend.RPCFail, match="Invalid disk list"):
    backend.BlockdevGetsize(FileDisk().ToDict())


# Wiping --------------------------------------------------------------------

def test_wipe_chunks_and_command_lines():
  assert backend_blockdev.WipeChunkSize(100) == 10
  assert backend_blockdev.WipeChunkSize(5) == 1
  assert backend_blockdev.WipeChunkSize(10 ** 6) == \
    backend_blockdev.MAX_WIPE_CHUNK
  cmds = backend_blockdev.WipeCommands("/dev/xenvg/disk0", 3, 25, True)
  assert cmds == [
    ["dd", "if=/dev/zero", "of=/dev/xenvg/disk0", "bs=1048576",
     "seek=%d" % seek, "count=%d" % count, "oflag=direct", "conv=notrunc"]
    for (seek, count) in [(3, 2)] + [(5 + 2 * i, 2) for i in range(11)] +
    [(27, 1)]]
  assert sum(int(c[5].split("=")[1]) for c in cmds) == 25
  plain = backend_blockdev.WipeCommands("/f", 0, 1, False)
  assert plain == [["dd", "if=/dev/zero", "of=/f", "bs=1048576", "seek=0",
                    "count=1", "conv=notrunc"]]


def test_wipe_zeroes_exactly_the_range(node):
  disk = FileDisk(size=6)
  backend.BlockdevCreate(_Wire(disk), 6, INSTANCE, True, "", False)
  local = _Local(disk)
  with open(local, "r+b") as handle:
    handle.write(b"\xab" * (6 * MIB))
  backend.BlockdevWipe(_Wire(disk), 2, 3)
  with open(local, "rb") as handle:
    data = handle.read()
  assert len(data) == 6 * MIB
  assert data[:2 * MIB] == b"\xab" * (2 * MIB)
  assert data[2 * MIB:5 * MIB] == bytes(3 * MIB)
  assert data[5 * MIB:] == b"\xab" * MIB
  # a zero-sized wipe at the end is allowed and does nothing
  backend.BlockdevWipe(_Wire(disk), 6, 0)
  with pytest.raises(backend.RPCFail, match="beyond the device's size"):
    backend.BlockdevWipe(_Wire(disk), 7, 0)
  with pytest.raises(backend.RPCFail, match="go beyond"):
    backend.BlockdevWipe(_Wire(disk), 4, 3)
  with pytest.raises(backend.RPCFail, match="negative offset"):
    backend.BlockdevWipe(_Wire(disk), -1, 1)
  with pytest.raises(backend.RPCFail, match="negative size"):
    backend.BlockdevWipe(_Wire(disk), 0, -1)
  with pytest.raises(backend.RPCFail, match="Invalid size"):
    backend.BlockdevWipe(_Wire(disk), 0, "1")


def test_wipe_failure_names_the_command(node, monkeypatch):
  disk = FileDisk(size=2)
  backend.BlockdevCreate(_Wire(disk), 2, INSTANCE, True, "", False)
  monkeypatch.setattr(backend_blockdev, "DD_CMD", "false")
  with pytest.raises(backend.RPCFail, match="Wipe command 'false 'if=/dev/zero'"
                     ".*failed \\(exited with exit code 1\\)"):
    backend.BlockdevWipe(_Wire(disk), 0, 1)


# Symlinks and cache --------------------------------------------------------

def test_disk_links_are_replaced_and_removed(node, tmp_path):
  (one, two) = (tmp_path / "one", tmp_path / "two")
  link = backend_blockdev.LinkDisk(INSTANCE, str(one), 1)
  assert os.readlink(link) == str(one)
  assert backend_blockdev.LinkDisk(INSTANCE, str(one), 1) == link
  backend_blockdev.LinkDisk(INSTANCE, str(two), 1)
  assert os.readlink(link) == str(two)
  backend_blockdev.RemoveDiskLinks(INSTANCE, 3)
  assert not os.path.lexists(link)


def test_cache_file_names(node):
  backend_blockdev.UpdateDevCache("/dev/xenvg/abc.disk0", "i1", False, None)
  path = os.path.join(pathutils.BDEV_CACHE_DIR, "bdev_xenvg_abc.disk0")
  assert utils.ReadFile(path) == "i1 secondary not_visible\n"
  backend_blockdev.RemoveDevCache("/dev/xenvg/abc.disk0")
  assert not os.path.exists(path)
  # no path: nothing recorded, nothing raised
  backend_blockdev.UpdateDevCache(None, "i1", True, "disk/0")


# Trees (LV and DRBD through a recording device class) ----------------------

class _Recorder(storage_base.BlockDev):
  """A device that exists while its unique_id is in ``_Recorder.live``."""

  live = {}
  log = []
  fail_create = frozenset()

  def __init__(self, unique_id, children, size, params, _run_cmd=None):
    storage_base.BlockDev.__init__(self, tuple(unique_id), children, size,
                                   params)
    self.dev_path = "/dev/rec/%s" % "_".join(str(p) for p in unique_id)
    self.attached = self.unique_id in self.live

  @classmethod
  def Create(cls, unique_id, children, size_mib, params, excl_stor,
             _run_cmd=None):
    key = tuple(unique_id)
    if key in cls.fail_create:
      storage_base.ThrowError("cannot create %s", key)
    cls.log.append(("create", key, [c.unique_id for c in children]))
    cls.live[key] = "created"
    return cls(key, children, size_mib, params)

  def Attach(self):
    self.attached = self.unique_id in self.live
    return self.attached

  def Assemble(self):
    if self.unique_id not in self.live:
      storage_base.ThrowError("%s does not exist", self.unique_id)
    self.log.append(("assemble", self.unique_id))
    self.live[self.unique_id] = "active"

  def Open(self, force=False):
    self.log.append(("open", self.unique_id))

  def Shutdown(self):
    self.log.append(("shutdown", self.unique_id))
    self.live[self.unique_id] = "created"

  def Remove(self):
    self.log.append(("remove", self.unique_id))
    del self.live[self.unique_id]

  def SetInfo(self, text):
    self.log.append(("info", self.unique_id, text))


@pytest.fixture
def recorder(node, monkeypatch):
  _Recorder.live = {}
  _Recorder.log = []
  _Recorder.fail_create = frozenset()
  monkeypatch.setattr(bdev, "DEV_MAP", {
    constants.LD_LV: _Recorder,
    constants.LD_DRBD8: _Recorder,
    constants.LD_FILE: filestorage.FileStorage,
    })
  return _Recorder


def _Lv(name, size=128):
  return objects.Disk(dev_type=constants.LD_LV, logical_id=("xenvg", name),
                      physical_id=("xenvg", name), size=size, children=[],
                      params={})


def _Drbd():
  pid = ("10.0.0.1", 11000, "10.0.0.2", 11000, 0, "secret")
  return objects.Disk(dev_type=constants.LD_DRBD8,
                      logical_id=(NODE, "node2", 11000, 0, 0, "secret"),
                      physical_id=pid, size=128, iv_name="disk/0",
                      mode=constants.DISK_RDWR, params={},
                      children=[_Lv("data"), _Lv("meta", 128)])


DRBD_ID = ("10.0.0.1", 11000, "10.0.0.2", 11000, 0, "secret")


def test_drbd_create_makes_children_first_and_reuses_existing(recorder):
  uid = backend.BlockdevCreate(_Drbd().ToDict(), 128, INSTANCE, False,
                               "tag", False)
  assert uid == list(DRBD_ID)
  creates = [entry for entry in recorder.log if entry[0] == "create"]
  assert creates == [
    ("create", ("xenvg", "data"), []),
    ("create", ("xenvg", "meta"), []),
    ("create", DRBD_ID, [("xenvg", "data"), ("xenvg", "meta")]),
    ]
  # secondary: the DRBD device is assembled but not opened
  assert ("assemble", DRBD_ID) in recorder.log
  assert ("open", DRBD_ID) not in recorder.log
  assert ("info", DRBD_ID, "tag") in recorder.log

  # children created by an earlier call are reused, not created again
  del recorder.live[DRBD_ID]
  recorder.log[:] = []
  backend.BlockdevCreate(_Drbd().ToDict(), 128, INSTANCE, True, "", False)
  assert [e for e in recorder.log if e[0] == "create"] == [
    ("create", DRBD_ID, [("xenvg", "data"), ("xenvg", "meta")])]
  assert ("open", DRBD_ID) in recorder.log


def test_failed_create_removes_what_it_made(recorder):
  recorder.fail_create = frozenset([DRBD_ID])
  with pytest.raises(backend.RPCFail, match="Cannot create block device"
                     ".*cannot create"):
    backend.BlockdevCreate(_Drbd().ToDict(), 128, INSTANCE, True, "", False)
  assert recorder.live == {}
  assert [e[0] for e in recorder.log if e[0] == "remove"] == ["remove"] * 2


def test_shutdown_and_remove_walk_parent_then_children(recorder):
  backend.BlockdevCreate(_Drbd().ToDict(), 128, INSTANCE, True, "", False)
  recorder.log[:] = []
  backend.BlockdevShutdown(_Drbd().ToDict())
  assert recorder.log == [("shutdown", DRBD_ID),
                          ("shutdown", ("xenvg", "data")),
                          ("shutdown", ("xenvg", "meta"))]
  recorder.log[:] = []
  assert backend.BlockdevAssemble(_Drbd().ToDict(), INSTANCE, True, 0) == \
    ["/dev/rec/" + "_".join(map(str, DRBD_ID)),
     backend_blockdev.GetDiskLinkPath(INSTANCE, 0)]
  assert recorder.log[:2] == [("assemble", ("xenvg", "data")),
                              ("open", ("xenvg", "data"))]
  recorder.log[:] = []
  backend.BlockdevRemove(_Drbd().ToDict())
  assert recorder.log == [("remove", DRBD_ID), ("remove", ("xenvg", "data")),
                          ("remove", ("xenvg", "meta"))]
  assert recorder.live == {}


def test_drbd_assemble_survives_one_missing_child(recorder):
  backend.BlockdevCreate(_Drbd().ToDict(), 128, INSTANCE, True, "", False)
  del recorder.live[("xenvg", "meta")]
  # DRBD needs no child (diskless mode): the missing one is skipped
  result = backend.BlockdevAssemble(_Drbd().ToDict(), INSTANCE, True, 0)
  assert result[0].startswith("/dev/rec/")
  # an LV child of nothing cannot be skipped
  with pytest.raises(backend.RPCFail, match="does not exist"):
    backend.BlockdevAssemble(_Lv("meta").ToDict(), INSTANCE, True, 0)


def test_plain_disk_is_not_created_on_a_secondary_as_a_child_of_a_file(node):
  disk = FileDisk()
  disk.children = [FileDisk(name="child")]
  with pytest.raises(backend.RPCFail, match="Child device .* is not created"
                     " on secondary nodes"):
    backend.BlockdevCreate(disk.ToDict(), 8, INSTANCE, False, "", False)
  assert not os.path.exists(_Local(disk))


def test_unsupported_disk_type(node):
  disk = objects.Disk(dev_type=constants.LD_RBD, logical_id=("rbd", "x"),
                      physical_id=("rbd", "x"), size=1, children=[],
                      params={})
  with pytest.raises(backend.RPCFail, match="not supported"):
    backend.BlockdevCreate(disk.ToDict(), 1, INSTANCE, True, "", False)


# DRBD network calls (the device's side is storage/drbd's) --------------------

class _Status(object):
  def __init__(self, connected=False, resync=False, standalone=False,
               percent=None):
    self.is_connected = connected
    self.is_in_resync = resync
    self.is_standalone = standalone
    self.sync_percent = percent


class _Peer(_Recorder):
  """A DRBD device whose /proc/drbd states come from ``states``."""

  states = []

  def GetProcStatus(self):
    if len(self.states) > 1:
      return self.states.pop(0)
    return self.states[0]

  def AttachNet(self, multimaster):
    self.log.append(("attach", self.unique_id, multimaster))

  def DisconnectNet(self):
    self.log.append(("disconnect", self.unique_id))


NODES_IP = {NODE: "10.0.0.1", "node2": "10.0.0.2"}


@pytest.fixture
def peers(recorder, monkeypatch):
  bdev.DEV_MAP[constants.LD_DRBD8] = _Peer
  backend.BlockdevCreate(_Drbd().ToDict(), 128, INSTANCE, True, "", False)
  recorder.log[:] = []
  return _Peer


def _Unset(disk):
  """The disk as the drbd_* calls get it: no physical ids yet."""
  disk.physical_id = None
  for child in disk.children:
    child.physical_id = child.logical_id
  return disk.ToDict()


def test_drbd_disconnect_and_attach(peers):
  backend.DrbdDisconnectNet(NODES_IP, [_Unset(_Drbd())])
  assert peers.log == [("disconnect", DRBD_ID)]
  peers.log[:] = []
  # standalone at first (peer reconfiguring): attached again, then connects
  peers.states = [_Status(standalone=True), _Status(connected=True)]
  backend.DrbdAttachNet(NODES_IP, [_Unset(_Drbd())], INSTANCE, True)
  assert peers.log == [("attach", DRBD_ID, True), ("attach", DRBD_ID, True),
                       ("open", DRBD_ID)]
  link = backend_blockdev.GetDiskLinkPath(INSTANCE, 0)
  assert os.readlink(link) == "/dev/rec/" + "_".join(map(str, DRBD_ID))


def test_drbd_attach_times_out(peers):
  peers.states = [_Status()]
  with pytest.raises(backend.RPCFail, match="Timeout while waiting for the"
                     " DRBD devices to connect"):
    backend.DrbdAttachNet(NODES_IP, [_Unset(_Drbd())], INSTANCE, False,
                          _timeout=0.2)


def test_drbd_wait_sync(peers):
  peers.states = [_Status(resync=True, percent=42.5)]
  assert backend.DrbdWaitSync(NODES_IP, [_Unset(_Drbd())]) == [False, 42.5]
  peers.states = [_Status(connected=True)]
  assert backend.DrbdWaitSync(NODES_IP, [_Unset(_Drbd())]) == [True, 100]
  peers.states = [_Status()]
  with pytest.raises(backend.RPCFail, match="neither connected nor"
                     " resyncing"):
    backend.DrbdWaitSync(NODES_IP, [_Unset(_Drbd())], _wait=0.1)


def test_drbd_calls_need_the_node_addresses(peers):
  with pytest.raises(backend.RPCFail, match="Cannot compute the local view"):
    backend.DrbdDisconnectNet({NODE: "10.0.0.1"}, [_Unset(_Drbd())])
  with pytest.raises(backend.RPCFail, match="expected a dict"):
    backend.DrbdDisconnectNet(["10.0.0.1"], [_Unset(_Drbd())])
