"""Tests of ganeti.storage.drbd_cmdgen: the exact drbdsetup/drbdmeta
argument lists of DRBD 8.0-8.3 and 8.4, from versions read off the real
/proc/drbd captures in <checkout>/../shared/samples."""

import pathlib

import pytest

from ganeti import constants
from ganeti import errors
from ganeti.storage import drbd_cmdgen
from ganeti.storage import drbd_info


SAMPLES = (pathlib.Path(__file__).resolve().parents[3] / ".." / "shared" /
           "samples")


def _Version(name):
  path = SAMPLES / name
  if not path.is_file():
    pytest.fail("Sample %s is missing (expected the shared samples beside"
                " the checkout)" % path)
  return drbd_info.DRBD8Info.CreateFromFile(str(path)).GetVersion()


def _Params(**kwargs):
  params = dict(constants.DISK_LD_DEFAULTS[constants.LD_DRBD8])
  for (key, value) in kwargs.items():
    params[key.replace("_", "-")] = value
  return params


def _Ver(major, minor, point):
  return {"k_major": major, "k_minor": minor, "k_point": point, "api": 88,
          "proto": 86}


@pytest.fixture
def gen83():
  gen = drbd_cmdgen.GetCmdGenerator(_Version("proc_drbd83_sync_want.txt"))
  assert isinstance(gen, drbd_cmdgen.DRBD83CmdGenerator)
  return gen


@pytest.fixture
def gen84():
  gen = drbd_cmdgen.GetCmdGenerator(_Version("proc_drbd84.txt"))
  assert isinstance(gen, drbd_cmdgen.DRBD84CmdGenerator)
  return gen


def testSelection():
  assert isinstance(drbd_cmdgen.GetCmdGenerator(_Version("proc_drbd8.txt")),
                    drbd_cmdgen.DRBD83CmdGenerator)
  assert isinstance(drbd_cmdgen.GetCmdGenerator(_Version("proc_drbd83.txt")),
                    drbd_cmdgen.DRBD83CmdGenerator)
  with pytest.raises(errors.BlockDeviceError, match="only DRBD 8"):
    drbd_cmdgen.GetCmdGenerator(_Ver(9, 0, 1))
  with pytest.raises(errors.BlockDeviceError):
    drbd_cmdgen.DRBD84CmdGenerator(_Ver(8, 3, 11))
  with pytest.raises(errors.BlockDeviceError):
    drbd_cmdgen.DRBD83CmdGenerator(_Ver(8, 4, 2))


def test83Simple(gen83):
  assert gen83.GenShowCmd(3) == ["drbdsetup", "/dev/drbd3", "show"]
  assert gen83.GenNewMinorCmds(3) == []
  assert gen83.GenInitMetaCmd(3, "/dev/xenvg/m") == \
    ["drbdmeta", "--force", "/dev/drbd3", "v08", "/dev/xenvg/m", "0",
     "create-md"]
  assert gen83.GenPrimaryCmd(3, False) == ["drbdsetup", "/dev/drbd3",
                                           "primary"]
  assert gen83.GenPrimaryCmd(3, True) == ["drbdsetup", "/dev/drbd3",
                                          "primary", "-o"]
  assert gen83.GenSecondaryCmd(3) == ["drbdsetup", "/dev/drbd3", "secondary"]
  assert gen83.GenDetachCmd(3) == ["drbdsetup", "/dev/drbd3", "detach"]
  assert gen83.GenDisconnectCmd(3, "ipv4", "192.0.2.1", 11000, "192.0.2.2",
                                11000) == \
    ["drbdsetup", "/dev/drbd3", "disconnect"]
  assert gen83.GenDownCmd(3) == ["drbdsetup", "/dev/drbd3", "down"]
  assert gen83.GenResizeCmd(3, 2048) == ["drbdsetup", "/dev/drbd3", "resize",
                                         "-s", "2048m"]
  assert gen83.GenPauseSyncCmd(3) == ["drbdsetup", "/dev/drbd3",
                                      "pause-sync"]
  assert gen83.GenResumeSyncCmd(3) == ["drbdsetup", "/dev/drbd3",
                                       "resume-sync"]


def test83LocalInit(gen83):
  assert gen83.GenLocalInitCmds(0, "/dev/xenvg/d", "/dev/xenvg/m", 1024,
                                _Params()) == \
    [["drbdsetup", "/dev/drbd0", "disk", "/dev/xenvg/d", "/dev/xenvg/m", "0",
      "-e", "detach", "--create-device", "-d", "1024m"]]
  params = _Params(disabled_barriers="bfd", disable_meta_flush=True,
                   disk_custom="--al-extents 3389")
  assert gen83.GenLocalInitCmds(0, "/dev/xenvg/d", "/dev/xenvg/m", None,
                                params) == \
    [["drbdsetup", "/dev/drbd0", "disk", "/dev/xenvg/d", "/dev/xenvg/m", "0",
      "-e", "detach", "--create-device", "--no-disk-barrier",
      "--no-disk-flushes", "--no-disk-drain", "--no-md-flushes",
      "--al-extents", "3389"]]


def test83NetInit(gen83):
  assert gen83.GenNetInitCmds(1, "ipv4", "192.0.2.1", 11000, "192.0.2.2",
                              11000, "C", False, "md5", "s3cr3t",
                              _Params()) == \
    [["drbdsetup", "/dev/drbd1", "net", "ipv4:192.0.2.1:11000",
      "ipv4:192.0.2.2:11000", "C", "-A", "discard-zero-changes", "-B",
      "consensus", "--create-device", "-a", "md5", "-x", "s3cr3t"]]
  assert gen83.GenNetInitCmds(1, "ipv6", "2001:db8::1", 11001,
                              "2001:db8::2", 11001, "C", True, None, None,
                              _Params(net_custom="--ko-count 2")) == \
    [["drbdsetup", "/dev/drbd1", "net", "ipv6:[2001:db8::1]:11001",
      "ipv6:[2001:db8::2]:11001", "C", "-A", "discard-zero-changes", "-B",
      "consensus", "--create-device", "-m", "--ko-count", "2"]]


def test83SyncParams(gen83):
  assert gen83.GenSyncParamsCmd(2, _Params(resync_rate=61440)) == \
    ["drbdsetup", "/dev/drbd2", "syncer", "-r", "61440", "--create-device"]
  assert gen83.GenSyncParamsCmd(2, _Params(
    dynamic_resync=True, c_plan_ahead=20, c_fill_target=0, c_delay_target=1,
    c_max_rate=61440, c_min_rate=4096)) == \
    ["drbdsetup", "/dev/drbd2", "syncer", "--c-plan-ahead", "20",
     "--c-fill-target", "0", "--c-delay-target", "1", "--c-max-rate",
     "61440", "--c-min-rate", "4096", "--create-device"]


def testDynamicResyncTooOld():
  gen = drbd_cmdgen.GetCmdGenerator(_Version("proc_drbd83.txt"))  # 8.3.1
  with pytest.raises(errors.BlockDeviceError, match="8.3.9"):
    gen.GenSyncParamsCmd(0, _Params(dynamic_resync=True))
  assert gen.GenSyncParamsCmd(0, _Params())[3:5] == ["-r", "61440"]


def testBarriersByVersion():
  old = drbd_cmdgen.DRBD83CmdGenerator(_Ver(8, 0, 11))
  assert old.GenDiskBarrierArgs(_Params()) == []
  with pytest.raises(errors.BlockDeviceError, match="disk flushes"):
    old.GenDiskBarrierArgs(_Params(disabled_barriers="f"))
  with pytest.raises(errors.BlockDeviceError, match="meta data flushes"):
    old.GenDiskBarrierArgs(_Params(disable_meta_flush=True))
  v80 = drbd_cmdgen.GetCmdGenerator(_Version("proc_drbd8.txt"))  # 8.0.12
  assert v80.GenDiskBarrierArgs(_Params(disabled_barriers="f",
                                        disable_meta_flush=True)) == \
    ["--no-disk-flushes", "--no-md-flushes"]
  with pytest.raises(errors.BlockDeviceError, match="disk barriers"):
    v80.GenDiskBarrierArgs(_Params(disabled_barriers="b"))
  with pytest.raises(errors.BlockDeviceError, match="disk drain"):
    v80.GenDiskBarrierArgs(_Params(disabled_barriers="d"))
  v82 = drbd_cmdgen.DRBD83CmdGenerator(_Ver(8, 2, 7))
  assert v82.GenDiskBarrierArgs(_Params(disabled_barriers="bd")) == \
    ["--no-disk-barrier", "--no-disk-drain"]


def testInvalidBarriers(gen83, gen84):
  for gen in (gen83, gen84):
    with pytest.raises(errors.BlockDeviceError, match="disabled-barriers"):
      gen.GenDiskBarrierArgs(_Params(disabled_barriers="bx"))
    with pytest.raises(errors.BlockDeviceError, match="disabled-barriers"):
      # "n" (none) cannot be combined with anything
      gen.GenDiskBarrierArgs(_Params(disabled_barriers="nb"))
  assert drbd_cmdgen.ParseBarriers("") == frozenset("n")
  assert drbd_cmdgen.ParseBarriers("fd") == frozenset("df")


def testInvalidCustom(gen83):
  with pytest.raises(errors.BlockDeviceError, match="custom"):
    gen83.GenLocalInitCmds(0, "d", "m", None, _Params(disk_custom="'open"))


def test84Simple(gen84):
  assert gen84.GenShowCmd(3) == ["drbdsetup", "show", "resource3"]
  assert gen84.GenNewMinorCmds(3) == \
    [["drbdsetup", "new-resource", "resource3"],
     ["drbdsetup", "new-minor", "resource3", "3", "0"]]
  assert gen84.GenInitMetaCmd(3, "/dev/xenvg/m") == \
    ["drbdmeta", "--force", "/dev/drbd3", "v08", "/dev/xenvg/m",
     "flex-external", "create-md"]
  assert gen84.GenPrimaryCmd(3, False) == ["drbdsetup", "primary", "3"]
  assert gen84.GenPrimaryCmd(3, True) == ["drbdsetup", "primary", "3",
                                          "--force"]
  assert gen84.GenSecondaryCmd(3) == ["drbdsetup", "secondary", "3"]
  assert gen84.GenDetachCmd(3) == ["drbdsetup", "detach", "3"]
  assert gen84.GenDisconnectCmd(3, "ipv4", "192.0.2.1", 11000, "192.0.2.2",
                                11000) == \
    ["drbdsetup", "disconnect", "ipv4:192.0.2.1:11000",
     "ipv4:192.0.2.2:11000"]
  assert gen84.GenDownCmd(3) == ["drbdsetup", "down", "resource3"]
  assert gen84.GenResizeCmd(3, 2048) == ["drbdsetup", "resize", "3",
                                         "--size", "2048m"]
  assert gen84.GenPauseSyncCmd(3) == ["drbdsetup", "pause-sync", "3"]
  assert gen84.GenResumeSyncCmd(3) == ["drbdsetup", "resume-sync", "3"]


def test84LocalInit(gen84):
  assert gen84.GenLocalInitCmds(0, "/dev/xenvg/d", "/dev/xenvg/m", 1024,
                                _Params()) == \
    [["drbdmeta", "/dev/drbd0", "v08", "/dev/xenvg/m", "flex-external",
      "apply-al"],
     ["drbdsetup", "attach", "0", "/dev/xenvg/d", "/dev/xenvg/m",
      "flexible", "--on-io-error=detach", "--size", "1024m"]]
  params = _Params(disabled_barriers="bfd", disable_meta_flush=True,
                   disk_custom="--al-extents=3389")
  assert gen84.GenLocalInitCmds(0, "/dev/xenvg/d", "/dev/xenvg/m", None,
                                params)[1] == \
    ["drbdsetup", "attach", "0", "/dev/xenvg/d", "/dev/xenvg/m", "flexible",
     "--on-io-error=detach", "--disk-barrier=no", "--disk-flushes=no",
     "--disk-drain=no", "--md-flushes=no", "--al-extents=3389"]


def test84NetInit(gen84):
  assert gen84.GenNetInitCmds(1, "ipv4", "192.0.2.1", 11000, "192.0.2.2",
                              11000, "C", True, "md5", "s3cr3t",
                              _Params()) == \
    [["drbdsetup", "connect", "resource1", "ipv4:192.0.2.1:11000",
      "ipv4:192.0.2.2:11000", "--protocol", "C", "--after-sb-0pri",
      "discard-zero-changes", "--after-sb-1pri", "consensus",
      "--allow-two-primaries", "--cram-hmac-alg", "md5", "--shared-secret",
      "s3cr3t"]]
  assert gen84.GenNetInitCmds(1, "ipv6", "2001:db8::1", 11001,
                              "2001:db8::2", 11001, "C", False, "md5", None,
                              _Params()) == \
    [["drbdsetup", "connect", "resource1", "ipv6:[2001:db8::1]:11001",
      "ipv6:[2001:db8::2]:11001", "--protocol", "C", "--after-sb-0pri",
      "discard-zero-changes", "--after-sb-1pri", "consensus"]]


def test84SyncParams(gen84):
  assert gen84.GenSyncParamsCmd(2, _Params(resync_rate=1024)) == \
    ["drbdsetup", "disk-options", "2", "--resync-rate", "1024"]
  assert gen84.GenSyncParamsCmd(2, _Params(dynamic_resync=True)) == \
    ["drbdsetup", "disk-options", "2", "--c-plan-ahead",
     str(constants.DRBD_PLAN_AHEAD_DEFAULT), "--c-fill-target",
     str(constants.DRBD_FILL_TARGET_DEFAULT), "--c-delay-target",
     str(constants.DRBD_DELAY_TARGET_DEFAULT), "--c-max-rate",
     str(constants.DRBD_MAX_RATE_DEFAULT), "--c-min-rate",
     str(constants.DRBD_MIN_RATE_DEFAULT)]


def testMissingParamsUseDefaults(gen83):
  assert gen83.GenSyncParamsCmd(0, {}) == \
    ["drbdsetup", "/dev/drbd0", "syncer", "-r",
     str(constants.CLASSIC_DRBD_SYNC_SPEED), "--create-device"]
  assert gen83.GenDiskBarrierArgs({}) == []
