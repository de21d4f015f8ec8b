"""Tests of ganeti.storage.drbd_info: /proc/drbd and ``drbdsetup show``
parsing over the real captures in <checkout>/../shared/samples."""

import pathlib

import pytest

from ganeti import errors
from ganeti.storage import drbd_info


SAMPLES = (pathlib.Path(__file__).resolve().parents[3] / ".." / "shared" /
           "samples")


def _Sample(name):
  path = SAMPLES / name
  if not path.is_file():
    pytest.fail("Sample %s is missing (expected the shared samples beside"
                " the checkout)" % path)
  return str(path)


def _Info(name):
  return drbd_info.DRBD8Info.CreateFromFile(_Sample(name))


def _Show(name):
  with open(_Sample(name)) as handle:
    return drbd_info.DRBD8ShowInfo.GetDevInfo(handle.read())


# -- /proc/drbd -----------------------------------------------------------

@pytest.mark.parametrize("name,version,text", [
  ("proc_drbd8.txt",
   {"k_major": 8, "k_minor": 0, "k_point": 12, "api": 86, "proto": 86},
   "8.0.12 (api:86/proto:86)"),
  ("proc_drbd83.txt",
   {"k_major": 8, "k_minor": 3, "k_point": 1, "api": 88, "proto": 86,
    "proto2": 89},
   "8.3.1 (api:88/proto:86-89)"),
  ("proc_drbd83_sync_want.txt",
   {"k_major": 8, "k_minor": 3, "k_point": 11, "api": 88, "proto": 86,
    "proto2": 96},
   "8.3.11 (api:88/proto:86-96)"),
  ("proc_drbd84.txt",
   {"k_major": 8, "k_minor": 4, "k_point": 2, "api": 1, "proto": 86,
    "proto2": 101},
   "8.4.2 (api:1/proto:86-101)"),
  ])
def testVersion(name, version, text):
  info = _Info(name)
  assert info.GetVersion() == version
  assert info.GetVersionString() == text


def testEmptyVersion():
  info = _Info("proc_drbd80-emptyversion.txt")
  with pytest.raises(errors.BlockDeviceError, match="version"):
    info.GetVersion()
  # the minors are still there
  assert info.GetMinors() == [0, 1, 2, 5, 6]


def testMissingFile(tmp_path):
  with pytest.raises(errors.BlockDeviceError, match="kernel module"):
    drbd_info.DRBD8Info.CreateFromFile(str(tmp_path / "nonexistent"))


@pytest.mark.parametrize("name,minors,used", [
  ("proc_drbd8.txt", [0, 1, 2, 4, 5, 6, 7, 8], [0, 1, 4, 5, 6, 7, 8]),
  ("proc_drbd80-emptyline.txt", [0, 1, 2, 5, 6], [0]),
  ("proc_drbd83.txt", [0, 1, 2, 4, 5, 6, 7, 8], [0, 1, 4, 5, 6, 7, 8]),
  ("proc_drbd83_sync.txt", [0, 1, 2, 3, 4], [0, 1, 3, 4]),
  ("proc_drbd84.txt", [0, 1, 2, 4, 6, 8], [0, 1, 4, 6, 8]),
  ("proc_drbd84_emptyfirst.txt", [1, 2, 4, 6, 8], [1, 4, 6, 8]),
  ("proc_drbd84_sync.txt", [0, 3, 5], [0, 5]),
  ])
def testMinors(name, minors, used):
  info = _Info(name)
  assert info.GetMinors() == minors
  assert info.GetUsedMinors() == used
  for minor in minors:
    assert info.HasMinorStatus(minor)
  assert not info.HasMinorStatus(3 if 3 not in minors else 99)


@pytest.mark.parametrize("name", ["proc_drbd8.txt", "proc_drbd83.txt",
                                  "proc_drbd84.txt"])
def testStates(name):
  info = _Info(name)
  st0 = info.GetMinorStatus(0)
  assert (st0.cstatus, st0.lrole, st0.rrole, st0.ldisk, st0.rdisk) == \
    ("Connected", "Primary", "Secondary", "UpToDate", "UpToDate")
  assert st0.is_connected and st0.is_primary and st0.peer_secondary
  assert st0.is_disk_uptodate and st0.peer_disk_uptodate
  assert not st0.is_in_resync and st0.sync_percent is None
  assert st0.est_time is None and st0.is_in_use

  st1 = info.GetMinorStatus(1)
  assert st1.is_secondary and st1.peer_primary and not st1.both_primary

  st2 = info.GetMinorStatus(2)
  assert st2.is_unconfigured and not st2.is_in_use
  assert st2.lrole is None and st2.ldisk is None

  st4 = info.GetMinorStatus(4)
  assert st4.is_wfconn and not st4.is_connected and st4.rrole == "Unknown"
  assert st4.rdisk == "DUnknown"

  st6 = info.GetMinorStatus(6)
  assert st6.is_diskless and not st6.is_disk_uptodate
  assert st6.peer_disk_uptodate

  st8 = info.GetMinorStatus(8)
  assert st8.is_standalone and not st8.is_connected and st8.is_in_use


def testPeerDiskless():
  for name in ("proc_drbd8.txt", "proc_drbd83.txt"):
    st5 = _Info(name).GetMinorStatus(5)
    assert st5.rdisk == "Diskless" and st5.is_disk_uptodate


@pytest.mark.parametrize("name,minor,cstatus,percent,est_time,speed", [
  ("proc_drbd83_sync.txt", 3, "SyncTarget", 34.9, 5, 59392),
  ("proc_drbd83_sync_krnl2.6.39.txt", 3, "SyncSource", 2.4, 248, 61736),
  ("proc_drbd83_sync_want.txt", 0, "SyncTarget", 44.4, 8, 65736),
  ("proc_drbd84_sync.txt", 5, "SyncSource", 68.5, 5, 64800),
  ])
def testSync(name, minor, cstatus, percent, est_time, speed):
  status = _Info(name).GetMinorStatus(minor)
  assert status.cstatus == cstatus
  assert status.is_in_resync and not status.is_connected
  assert status.sync_percent == percent
  assert status.est_time == est_time
  assert status.sync_speed == speed


def testSyncStateWithoutProgress():
  info = drbd_info.DRBD8Info.CreateFromLines(
    "version: 8.3.11 (api:88/proto:86-96)\n"
    " 7: cs:WFBitMapT ro:Secondary/Primary ds:Inconsistent/UpToDate C r---\n"
    "    ns:0 nr:0 dw:0 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f\n")
  status = info.GetMinorStatus(7)
  assert status.is_in_resync
  assert status.sync_percent == 0.0 and status.est_time is None


def testStandaloneInSyncSample():
  status = _Info("proc_drbd84_sync.txt").GetMinorStatus(0)
  assert status.is_standalone and status.is_primary
  assert status.sync_percent is None


def testUnknownMinor():
  with pytest.raises(errors.BlockDeviceError, match="Minor 3 not found"):
    _Info("proc_drbd84.txt").GetMinorStatus(3)


def testBadStatusLine():
  with pytest.raises(errors.BlockDeviceError):
    drbd_info.DRBD8Status("garbage")


# -- drbdsetup show -------------------------------------------------------

@pytest.mark.parametrize("name", ["bdev-drbd-8.0.txt", "bdev-drbd-8.3.txt",
                                  "bdev-drbd-8.4.txt"])
def testShowBoth(name):
  info = _Show(name)
  assert info["local_dev"] == "/dev/xenvg/test.data"
  assert info["meta_dev"] == "/dev/xenvg/test.meta"
  assert info["meta_index"] == 0
  assert info["local_addr"] == ("192.0.2.1", 11000)
  assert info["remote_addr"] == ("192.0.2.2", 11000)


def testShow80Details():
  info = _Show("bdev-drbd-8.0.txt")
  assert info["device"] == "/dev/drbd63"
  assert info["protocol"] == "A"
  assert info["syncer"]["rate"] == "30720k"
  assert info["disk"]["on-io-error"] == "detach"
  assert info["net"]["max-buffers"] == "16384"


def testShow83Details():
  info = _Show("bdev-drbd-8.3.txt")
  assert info["minor"] == 0
  assert info["protocol"] == "C"
  assert info["net"]["after-sb-0pri"] == "discard-zero-changes"
  assert info["net"]["after-sb-2pri"] == "disconnect"
  assert info["syncer"]["rate"] == "61440k"


def testShow84Details():
  info = _Show("bdev-drbd-8.4.txt")
  assert info["resource"] == "resource0"
  assert info["minor"] == 0
  assert info["volume"] == "0"
  assert info["net"]["shared-secret"] == "shared_secret_123"
  assert info["disk"] == {"size": "2097152s", "resync-rate": "61440k"}


def testShow84NoDiskParams():
  info = _Show("bdev-drbd-8.4-no-disk-params.txt")
  assert info["local_dev"] == "/dev/xenvg/test.data"
  assert info["meta_dev"] == "/dev/xenvg/test.meta"
  # flexible external meta data: no index
  assert info["meta_index"] is None
  assert info["disk"] == {}
  assert info["local_addr"] == ("192.0.2.1", 11000)
  assert info["remote_addr"] == ("192.0.2.2", 11000)


def testShowDiskOnly():
  info = _Show("bdev-drbd-disk.txt")
  assert info["local_dev"] == "/dev/xenvg/test.data"
  assert info["meta_dev"] == "/dev/xenvg/test.meta"
  assert info["meta_index"] == 0
  assert info["device"] == "/dev/drbd58"
  assert "local_addr" not in info and "remote_addr" not in info


def testShowNetIp4():
  info = _Show("bdev-drbd-net-ip4.txt")
  assert info["local_addr"] == ("192.0.2.1", 11002)
  assert info["remote_addr"] == ("192.0.2.2", 11002)
  assert "local_dev" not in info and "meta_dev" not in info
  assert info["syncer"]["al-extents"] == "127"


def testShowNetIp6():
  info = _Show("bdev-drbd-net-ip6.txt")
  assert info["local_addr"] == ("2001:db8:65::1", 11048)
  assert info["remote_addr"] == ("2001:db8:66::1", 11048)
  assert info["net"]["cram-hmac-alg"] == "md5"
  assert "local_dev" not in info


def testShowEmpty():
  assert drbd_info.DRBD8ShowInfo.GetDevInfo("") == {}
  assert drbd_info.DRBD8ShowInfo.GetDevInfo(None) == {}
  assert drbd_info.DRBD8ShowInfo.GetDevInfo("# minor 5 not configured\n") \
    == {}


def testShowGarbage():
  with pytest.raises(errors.BlockDeviceError, match="Cannot parse"):
    drbd_info.DRBD8ShowInfo.GetDevInfo("disk {\n\tsize 0s;\n")


# -- usermode helper ------------------------------------------------------

def testUsermodeHelper():
  path = _Sample("sys_drbd_usermode_helper.txt")
  assert drbd_info.GetUsermodeHelper(path) == "/bin/true"
  assert drbd_info.CheckUsermodeHelper("/bin/true", path) == "/bin/true"
  with pytest.raises(errors.BlockDeviceError, match="cluster wants"):
    drbd_info.CheckUsermodeHelper("/usr/lib/drbd/notify.sh", path)


def testUsermodeHelperMissing(tmp_path):
  with pytest.raises(errors.BlockDeviceError, match="usermode helper"):
    drbd_info.GetUsermodeHelper(str(tmp_path / "usermode_helper"))
  empty = tmp_path / "empty"
  empty.write_text("\n")
  with pytest.raises(errors.BlockDeviceError, match="empty"):
    drbd_info.GetUsermodeHelper(str(empty))
