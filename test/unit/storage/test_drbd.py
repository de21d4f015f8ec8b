"""Tests of ganeti.storage.drbd (DRBD8Dev).

This kernel has no DRBD module, so the device runs against a simulated
kernel at the process boundary: _FakeDrbd answers drbdsetup, drbdmeta,
blockdev and dd (8.3 or 8.4 syntax), keeps per-minor state, and writes
/proc/drbd and ``drbdsetup show`` output in the formats of the real
captures in <checkout>/../shared/samples (which the parsers are checked
against in test_drbd_info.py; the tests here also replay those samples
as the device's /proc/drbd).  The tests assert the exact argument lists.
"""

import pathlib
import shutil

import pytest

from ganeti import constants
from ganeti import errors
from ganeti import utils
from ganeti.storage import base
from ganeti.storage import bdev
from ganeti.storage import drbd


SAMPLES = (pathlib.Path(__file__).resolve().parents[3] / ".." / "shared" /
           "samples")

MIB = 1024 * 1024
DATA = "/dev/xenvg/inst1.disk0_data"
META = "/dev/xenvg/inst1.disk0_meta"
LHOST = "192.0.2.1"
RHOST = "192.0.2.2"
PORT = 11000
SECRET = "a6526cb6118297c9c82c7003924e236ceac0d867"


def _Sample(name):
  path = SAMPLES / name
  if not path.is_file():
    pytest.fail("Sample %s is missing (expected the shared samples beside"
                " the checkout)" % path)
  return path


def _Result(cmd, exit_code=0, stdout="", stderr=""):
  return utils.RunResult(exit_code, None, stdout, stderr,
                         utils.ShellQuoteArgs(cmd), 0, None)


def _ParseAddr(text):
  (family, rest) = text.split(":", 1)
  if family == "ipv6":
    (host, port) = rest[1:].split("]:")
  else:
    (host, port) = rest.rsplit(":", 1)
  return (family, host, int(port))


class _Minor(object):
  def __init__(self):
    self.disk = None        # (data, meta, index)
    self.net = None         # (family, lhost, lport, rhost, rport)
    self.dual = False
    self.role = "Secondary"
    self.size = None
    self.sync = {}


class _FakeDrbd(object):
  """A simulated DRBD kernel module and its tools."""

  VERSIONS = {
    "8.3": "version: 8.3.11 (api:88/proto:86-96)",
    "8.4": "version: 8.4.2 (api:1/proto:86-101)",
    }

  def __init__(self, tmp_path, release="8.3"):
    self.release = release
    self.proc = tmp_path / ("proc_drbd-" + release)
    self.minors = {}
    self.calls = []
    self.fail = {}
    self.meta_size = 128 * MIB
    self.peer_connects = True
    self.ignore_disconnect = False
    self.Write()

  # -- rendering ---------------------------------------------------------

  def _CState(self, m):
    if m.net is None:
      return "StandAlone"
    return "Connected" if self.peer_connects else "WFConnection"

  def Write(self):
    lines = [self.VERSIONS[self.release],
             "GIT-hash: 0000 build by test@example.com"]
    for minor in range(max(list(self.minors) + [3]) + 1):
      m = self.minors.get(minor)
      if m is None:
        lines.append("%2d: cs:Unconfigured" % minor)
        continue
      cstate = self._CState(m)
      connected = cstate == "Connected"
      rrole = ("Primary" if m.dual else "Secondary") if connected \
        else "Unknown"
      ldisk = "UpToDate" if m.disk else "Diskless"
      rdisk = "UpToDate" if connected else "DUnknown"
      if m.sync:
        cstate = m.sync["cs"]
        ldisk = m.sync["ldisk"]
      lines.append("%2d: cs:%s ro:%s/%s ds:%s/%s C r-----" %
                   (minor, cstate, m.role, rrole, ldisk, rdisk))
      lines.append("    ns:0 nr:0 dw:0 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0"
                   " ep:1 wo:f oos:0")
      if m.sync.get("lines"):
        lines.extend(m.sync["lines"])
    self.proc.write_text("\n".join(lines) + "\n")

  @staticmethod
  def _Addr(family, host, port):
    if family == "ipv6":
      return "ipv6 [%s]:%d" % (host, port)
    return "ipv4 %s:%d" % (host, port)

  def Show(self, minor):
    m = self.minors.get(minor)
    if m is None:
      return ""
    if self.release == "8.3":
      out = ["disk {", "\tsize            \t0s _is_default; # bytes",
             "\ton-io-error     \tdetach;", "}"]
      if m.net:
        out += ["net {", "\tafter-sb-0pri   \tdiscard-zero-changes;", "}",
                "protocol C;"]
      out += ["_this_host {", "\tdevice\t\t\tminor %d;" % minor]
      if m.disk:
        out += ['\tdisk\t\t\t"%s";' % m.disk[0],
                '\tmeta-disk\t\t"%s" [ %d ];' % (m.disk[1], m.disk[2])]
      if m.net:
        out.append("\taddress\t\t\t%s;" % self._Addr(m.net[0], m.net[1],
                                                     m.net[2]))
      out.append("}")
      if m.net:
        out += ["_remote_host {",
                "\taddress\t\t\t%s;" % self._Addr(m.net[0], m.net[3],
                                                  m.net[4]),
                "}"]
      return "\n".join(out) + "\n"
    out = ["resource resource%d {" % minor, "    options {", "    }"]
    if m.net:
      out += ["    net {", "        cram-hmac-alg           \"md5\";",
              "    }", "    _remote_host {",
              "        address                 %s;" %
              self._Addr(m.net[0], m.net[3], m.net[4]), "    }"]
    out.append("    _this_host {")
    if m.net:
      out.append("        address                 %s;" %
                 self._Addr(m.net[0], m.net[1], m.net[2]))
    out += ["        volume 0 {",
            "            device                      minor %d;" % minor]
    if m.disk:
      out += ['            disk                        "%s";' % m.disk[0],
              '            meta-disk                   "%s";' % m.disk[1],
              "            disk {", "            }"]
    out += ["        }", "    }", "}"]
    return "\n".join(out) + "\n"

  # -- commands ------------------------------------------------------------

  def __call__(self, cmd):
    self.calls.append(list(cmd))
    for (word, message) in self.fail.items():
      if word in cmd:
        return _Result(cmd, 10, "", message)
    try:
      stdout = self._Do(list(cmd))
    except KeyError as err:
      return _Result(cmd, 10, "", "Minor or resource not found: %s" % err)
    self.Write()
    return _Result(cmd, 0, stdout or "", "")

  def _Do(self, cmd):
    if cmd[0] == "blockdev":
      return "%d\n" % self.meta_size
    if cmd[0] in ("dd", "drbdmeta"):
      return ""
    assert cmd[0] == "drbdsetup", cmd
    if self.release == "8.3":
      minor = int(cmd[1][len("/dev/drbd"):])
      action = cmd[2]
      args = cmd[3:]
      if action == "show":
        return self.Show(minor)
      if "--create-device" in args:
        self.minors.setdefault(minor, _Minor())
    else:
      action = cmd[1]
      args = cmd[3:]
      if action == "new-resource":
        return ""
      if action == "new-minor":
        self.minors[int(cmd[3])] = _Minor()
        return ""
      if action == "disconnect":
        (_, host, port) = _ParseAddr(cmd[2])
        minor = [num for (num, m) in self.minors.items()
                 if m.net and m.net[1:3] == (host, port)][0]
      elif cmd[2].startswith("resource"):
        minor = int(cmd[2][len("resource"):])
      else:
        minor = int(cmd[2])
      if action == "show":
        if minor not in self.minors:
          raise KeyError(cmd[2])
        return self.Show(minor)
    m = self.minors[minor]
    if action in ("disk", "attach"):
      index = 0 if action == "disk" else None
      m.disk = (args[0], args[1], index)
    elif action in ("net", "connect"):
      local = _ParseAddr(args[0])
      remote = _ParseAddr(args[1])
      m.net = (local[0], local[1], local[2], remote[1], remote[2])
      m.dual = "-m" in args or "--allow-two-primaries" in args
    elif action == "disconnect":
      if not self.ignore_disconnect:
        m.net = None
    elif action == "primary":
      m.role = "Primary"
    elif action == "secondary":
      m.role = "Secondary"
    elif action == "detach":
      m.disk = None
    elif action == "down":
      del self.minors[minor]
    elif action == "resize":
      m.size = args[-1]
    return ""

  def DrbdCalls(self):
    return [call for call in self.calls if call[0] in ("drbdsetup",
                                                       "drbdmeta", "dd",
                                                       "blockdev")]


class _Volume(base.BlockDev):
  """A backing volume; logical volumes cannot be activated here."""

  def __init__(self, path, grow_log=None):
    base.BlockDev.__init__(self, ("xenvg", path.rsplit("/", 1)[1]), [],
                           1024, {})
    self.dev_path = path
    self.grow_log = grow_log if grow_log is not None else []
    self.attached = True
    self.assembled = False

  def Attach(self):
    return True

  def Assemble(self):
    self.assembled = True

  def Grow(self, amount_mib, dryrun, backingstore):
    self.grow_log.append((self.dev_path, amount_mib, dryrun, backingstore))


def _Id(minor=0, lhost=LHOST, rhost=RHOST, port=PORT, secret=SECRET):
  return (lhost, port, rhost, port, minor, secret)


def _Children(grow_log=None):
  return [_Volume(DATA, grow_log), _Volume(META)]


def _Params(**kwargs):
  params = dict(constants.DISK_LD_DEFAULTS[constants.LD_DRBD8])
  for (key, value) in kwargs.items():
    params[key.replace("_", "-")] = value
  return params


def _Dev(fake, unique_id=None, children=None, size=1024, params=None):
  return drbd.DRBD8Dev(unique_id or _Id(), _Children() if children is None
                       else children, size, params or _Params(),
                       _run_cmd=fake, _proc_file=str(fake.proc))


@pytest.fixture
def fake83(tmp_path):
  return _FakeDrbd(tmp_path, "8.3")


@pytest.fixture
def fake84(tmp_path):
  return _FakeDrbd(tmp_path, "8.4")


# -- construction and Attach --------------------------------------------

def testNoModule(tmp_path):
  with pytest.raises(errors.BlockDeviceError, match="kernel module"):
    drbd.DRBD8Dev(_Id(), _Children(), 1024, _Params(),
                  _run_cmd=_FakeDrbd(tmp_path),
                  _proc_file=str(tmp_path / "missing"))


def testBadIds(fake83):
  for bad in [("a", 1), _Id(minor=-1), _Id(port=0), _Id(port="11000"),
              _Id(rhost=LHOST)]:
    with pytest.raises(errors.BlockDeviceError):
      _Dev(fake83, unique_id=bad)
  with pytest.raises(errors.BlockDeviceError, match="two children"):
    _Dev(fake83, children=[_Volume(DATA)])


def testMissingChildMeansDiskless(fake83):
  dev = _Dev(fake83, children=[_Volume(DATA), None])
  assert dev.children == []


def testAttachFromSamples(tmp_path):
  for (name, minor, attached) in [("proc_drbd83.txt", 0, True),
                                  ("proc_drbd83.txt", 2, False),
                                  ("proc_drbd83.txt", 3, False),
                                  ("proc_drbd84.txt", 8, True),
                                  ("proc_drbd8.txt", 7, True)]:
    proc = tmp_path / name
    shutil.copyfile(_Sample(name), proc)
    dev = drbd.DRBD8Dev(_Id(minor=minor), _Children(), 1024, _Params(),
                        _run_cmd=_FakeDrbd(tmp_path),
                        _proc_file=str(proc))
    assert dev.attached is attached
    if attached:
      assert (dev.dev_path, dev.major, dev.minor) == \
        ("/dev/drbd%d" % minor, 147, minor)
    else:
      assert dev.dev_path is None and dev.minor is None


def testSyncStatusFromSamples(tmp_path):
  cases = [
    ("proc_drbd83_sync.txt", 3, 34.9, 5, True, constants.LDS_UNKNOWN),
    ("proc_drbd84_sync.txt", 5, 68.5, 5, True, constants.LDS_OKAY),
    ("proc_drbd84_sync.txt", 0, None, None, True, constants.LDS_OKAY),
    ("proc_drbd83.txt", 0, None, None, False, constants.LDS_OKAY),
    ("proc_drbd83.txt", 6, None, None, True, constants.LDS_FAULTY),
    ("proc_drbd8.txt", 4, None, None, True, constants.LDS_OKAY),
    ]
  for (name, minor, percent, est, degraded, ldisk) in cases:
    proc = tmp_path / name
    shutil.copyfile(_Sample(name), proc)
    dev = drbd.DRBD8Dev(_Id(minor=minor), _Children(), 1024, _Params(),
                        _run_cmd=_FakeDrbd(tmp_path), _proc_file=str(proc))
    status = dev.GetSyncStatus()
    assert (status.dev_path, status.major, status.minor) == \
      ("/dev/drbd%d" % minor, 147, minor)
    assert status.sync_percent == percent
    assert status.estimated_time == est
    assert status.is_degraded is degraded, (name, minor)
    assert status.ldisk_status == ldisk, (name, minor)


def testSyncStatusNotAttached(fake83):
  dev = _Dev(fake83)
  with pytest.raises(errors.BlockDeviceError, match="not attached"):
    dev.GetSyncStatus()
  with pytest.raises(errors.BlockDeviceError, match="not attached"):
    dev.GetProcStatus()


def testMinorHelpers(tmp_path):
  proc = _Sample("proc_drbd83.txt")
  assert drbd.GetUsedMinors(str(proc)) == [0, 1, 4, 5, 6, 7, 8]
  assert drbd.FindUnusedMinor(str(proc)) == 2
  full = tmp_path / "full"
  full.write_text("version: 8.3.11 (api:88/proto:86-96)\n" +
                  "".join(" %d: cs:StandAlone ro:Secondary/Unknown"
                          " ds:UpToDate/DUnknown   r---\n" % minor
                          for minor in range(drbd.MAX_MINORS + 1)))
  with pytest.raises(errors.BlockDeviceError, match="No free DRBD minor"):
    drbd.FindUnusedMinor(str(full))


def testUsermodeHelper():
  path = str(_Sample("sys_drbd_usermode_helper.txt"))
  assert drbd.GetUsermodeHelper(path) == constants.DEFAULT_DRBD_HELPER
  assert drbd.CheckUsermodeHelper(constants.DEFAULT_DRBD_HELPER, path) == \
    "/bin/true"
  with pytest.raises(errors.BlockDeviceError):
    drbd.CheckUsermodeHelper("/sbin/drbd-helper", path)


# -- Create -----------------------------------------------------------------

def testCreate83(fake83):
  children = _Children()
  dev = drbd.DRBD8Dev.Create(_Id(minor=1), children, 1024, _Params(), False,
                             _run_cmd=fake83, _proc_file=str(fake83.proc))
  assert children[1].assembled
  assert fake83.DrbdCalls() == [
    ["blockdev", "--getsize64", META],
    ["dd", "if=/dev/zero", "of=%s" % META, "bs=1M", "count=128",
     "oflag=direct"],
    ["drbdmeta", "--force", "/dev/drbd1", "v08", META, "0", "create-md"],
    ]
  assert not dev.attached


def testCreate84(fake84):
  drbd.DRBD8Dev.Create(_Id(minor=1), _Children(), 1024, _Params(), False,
                       _run_cmd=fake84, _proc_file=str(fake84.proc))
  assert fake84.calls[-1] == ["drbdmeta", "--force", "/dev/drbd1", "v08",
                              META, "flex-external", "create-md"]


def testCreateChecks(fake83):
  def _Create(**kwargs):
    args = dict(unique_id=_Id(), children=_Children(), size_mib=1024,
                params=_Params(), excl_stor=False, _run_cmd=fake83,
                _proc_file=str(fake83.proc))
    args.update(kwargs)
    return drbd.DRBD8Dev.Create(**args)

  with pytest.raises(errors.BlockDeviceError, match="exclusive storage"):
    _Create(excl_stor=True)
  with pytest.raises(errors.BlockDeviceError, match="data and meta"):
    _Create(children=[_Volume(DATA)])
  fake83.meta_size = 64 * MIB
  with pytest.raises(errors.BlockDeviceError, match="too small"):
    _Create()
  fake83.meta_size = 2048 * MIB
  with pytest.raises(errors.BlockDeviceError, match="too big"):
    _Create()
  fake83.meta_size = 128 * MIB
  fake83.fail["create-md"] = "Operation refused."
  with pytest.raises(errors.BlockDeviceError,
                     match="initialise the meta data.*Operation refused"):
    _Create()
  del fake83.fail["create-md"]
  _Dev(fake83).Assemble()
  with pytest.raises(errors.BlockDeviceError, match="already in use"):
    _Create()


# -- Assemble ---------------------------------------------------------------

def testAssemble83(fake83):
  dev = _Dev(fake83)
  assert not dev.attached
  dev.Assemble()
  assert dev.attached and dev.dev_path == "/dev/drbd0"
  assert fake83.calls == [
    ["drbdsetup", "/dev/drbd0", "disk", DATA, META, "0", "-e", "detach",
     "--create-device", "-d", "1024m"],
    ["drbdsetup", "/dev/drbd0", "net", "ipv4:%s:%d" % (LHOST, PORT),
     "ipv4:%s:%d" % (RHOST, PORT), "C", "-A", "discard-zero-changes", "-B",
     "consensus", "--create-device", "-a", "md5", "-x", SECRET],
    ["drbdsetup", "/dev/drbd0", "show"],
    ["drbdsetup", "/dev/drbd0", "syncer", "-r", "61440", "--create-device"],
    ]
  status = dev.GetSyncStatus()
  assert not status.is_degraded and status.ldisk_status == constants.LDS_OKAY
  # a second Assemble finds everything in place
  del fake83.calls[:]
  dev.Assemble()
  assert fake83.calls == [
    ["drbdsetup", "/dev/drbd0", "show"],
    ["drbdsetup", "/dev/drbd0", "syncer", "-r", "61440", "--create-device"],
    ]


def testAssemble84(fake84):
  params = _Params(disabled_barriers="bf", disable_meta_flush=True,
                   dynamic_resync=True)
  dev = _Dev(fake84, unique_id=_Id(minor=2, secret=None), params=params)
  dev.Assemble()
  assert dev.attached and dev.minor == 2
  assert fake84.calls == [
    ["drbdsetup", "new-resource", "resource2"],
    ["drbdsetup", "new-minor", "resource2", "2", "0"],
    ["drbdmeta", "/dev/drbd2", "v08", META, "flex-external", "apply-al"],
    ["drbdsetup", "attach", "2", DATA, META, "flexible",
     "--on-io-error=detach", "--size", "1024m", "--disk-barrier=no",
     "--disk-flushes=no", "--md-flushes=no"],
    ["drbdsetup", "connect", "resource2", "ipv4:%s:%d" % (LHOST, PORT),
     "ipv4:%s:%d" % (RHOST, PORT), "--protocol", "C", "--after-sb-0pri",
     "discard-zero-changes", "--after-sb-1pri", "consensus"],
    ["drbdsetup", "show", "resource2"],
    ["drbdsetup", "disk-options", "2", "--c-plan-ahead", "20",
     "--c-fill-target", "0", "--c-delay-target", "1", "--c-max-rate",
     "61440", "--c-min-rate", "4096"],
    ]


def testAssembleIpv6(fake84):
  dev = _Dev(fake84, unique_id=_Id(lhost="2001:db8:65::1",
                                   rhost="2001:db8:66::1"))
  dev.Assemble()
  assert fake84.calls[4][3:5] == ["ipv6:[2001:db8:65::1]:11000",
                                  "ipv6:[2001:db8:66::1]:11000"]
  assert dev.attached
  with pytest.raises(errors.BlockDeviceError, match="different families"):
    _Dev(fake84, unique_id=_Id(minor=3, rhost="2001:db8:66::1")).Assemble()


def testAssembleDiskless(fake83):
  dev = _Dev(fake83, children=[])
  dev.Assemble()
  assert [call[2] for call in fake83.calls] == ["net", "show", "syncer"]
  assert dev.GetSyncStatus().ldisk_status == constants.LDS_FAULTY
  assert dev.GetSyncStatus().is_degraded


def testAssembleNoNetwork(fake83):
  dev = _Dev(fake83, unique_id=(None, None, None, None, 0, None))
  dev.Assemble()
  assert [call[2] for call in fake83.calls] == ["disk", "syncer"]
  assert dev.GetProcStatus().is_standalone


def testSlowAssembleAddsNetwork(fake83):
  fake83.minors[0] = drbd_minor = _Minor()
  drbd_minor.disk = (DATA, META, 0)
  fake83.Write()
  dev = _Dev(fake83)
  assert dev.attached
  dev.Assemble()
  assert [call[2] for call in fake83.calls] == ["show", "net", "show",
                                                "syncer"]


def testSlowAssembleAddsDisk(fake83):
  fake83.minors[0] = drbd_minor = _Minor()
  drbd_minor.net = ("ipv4", LHOST, PORT, RHOST, PORT)
  fake83.Write()
  dev = _Dev(fake83)
  dev.Assemble()
  assert [call[2] for call in fake83.calls] == ["show", "disk", "show",
                                                "syncer"]
  assert fake83.minors[0].disk == (DATA, META, 0)


def testSlowAssembleWrongPeer(fake83):
  fake83.minors[0] = drbd_minor = _Minor()
  drbd_minor.disk = (DATA, META, 0)
  drbd_minor.net = ("ipv4", LHOST, PORT, "192.0.2.9", PORT)
  fake83.Write()
  dev = _Dev(fake83)
  dev.Assemble()
  assert [call[2] for call in fake83.calls] == ["show", "disconnect", "net",
                                                "show", "syncer"]
  assert fake83.minors[0].net[3] == RHOST


def testSlowAssembleForeignDisk(fake83):
  fake83.minors[0] = drbd_minor = _Minor()
  drbd_minor.disk = ("/dev/xenvg/other_data", META, 0)
  fake83.Write()
  with pytest.raises(errors.BlockDeviceError, match="another local disk"):
    _Dev(fake83).Assemble()


def testAssembleFailures(fake83):
  fake83.fail["disk"] = "Failure: (114) Lower device is already claimed"
  with pytest.raises(errors.BlockDeviceError,
                     match="drbd0: cannot attach the local disk.*claimed"):
    _Dev(fake83).Assemble()
  del fake83.fail["disk"]
  fake83.fail["syncer"] = "bad rate"
  with pytest.raises(errors.BlockDeviceError,
                     match="synchronization parameters.*bad rate"):
    _Dev(fake83, unique_id=_Id(minor=1)).Assemble()


def testAssembleNetTimeout(fake83, monkeypatch):
  monkeypatch.setattr(drbd.DRBD8Dev, "NET_CHECK_TIMEOUT", 0.05)
  dev = _Dev(fake83)
  # the kernel "forgets" the network configuration
  fake83.fail["show"] = "no show"
  with pytest.raises(errors.BlockDeviceError, match="timeout"):
    dev.Assemble()


# -- roles, network, shutdown -------------------------------------------------

def testOpenClose(fake83, fake84):
  for (fake, primary, primary_force, secondary) in [
      (fake83, ["drbdsetup", "/dev/drbd0", "primary"],
       ["drbdsetup", "/dev/drbd0", "primary", "-o"],
       ["drbdsetup", "/dev/drbd0", "secondary"]),
      (fake84, ["drbdsetup", "primary", "0"],
       ["drbdsetup", "primary", "0", "--force"],
       ["drbdsetup", "secondary", "0"])]:
    dev = _Dev(fake)
    with pytest.raises(errors.BlockDeviceError, match="not attached"):
      dev.Open()
    dev.Assemble()
    del fake.calls[:]
    dev.Open()
    assert dev.GetProcStatus().is_primary
    dev.Open(force=True)
    dev.Close()
    assert dev.GetProcStatus().is_secondary
    assert fake.calls == [primary, primary_force, secondary]
    fake.fail["primary"] = "Refusing to be Primary while peer is not outdated"
    with pytest.raises(errors.BlockDeviceError, match="primary.*Refusing"):
      dev.Open()


def testDisconnectAttachNet(fake83):
  dev = _Dev(fake83)
  dev.Assemble()
  del fake83.calls[:]
  dev.DisconnectNet()
  assert fake83.calls == [["drbdsetup", "/dev/drbd0", "disconnect"]]
  assert dev.GetProcStatus().is_standalone
  del fake83.calls[:]
  dev.AttachNet(True)
  assert fake83.calls == [
    ["drbdsetup", "/dev/drbd0", "net", "ipv4:%s:%d" % (LHOST, PORT),
     "ipv4:%s:%d" % (RHOST, PORT), "C", "-A", "discard-zero-changes", "-B",
     "consensus", "--create-device", "-m", "-a", "md5", "-x", SECRET],
    ["drbdsetup", "/dev/drbd0", "show"],
    ]
  assert dev.GetProcStatus().is_connected
  with pytest.raises(errors.BlockDeviceError, match="not standalone"):
    dev.AttachNet(False)


def testDisconnectNet84(fake84):
  dev = _Dev(fake84)
  dev.Assemble()
  del fake84.calls[:]
  dev.DisconnectNet()
  assert fake84.calls == [["drbdsetup", "disconnect",
                           "ipv4:%s:%d" % (LHOST, PORT),
                           "ipv4:%s:%d" % (RHOST, PORT)]]


def testDisconnectNetRetries(fake83, monkeypatch):
  monkeypatch.setattr(drbd.DRBD8Dev, "NET_RECONFIG_TIMEOUT", 0.3)
  dev = _Dev(fake83)
  dev.Assemble()
  fake83.ignore_disconnect = True
  del fake83.calls[:]
  with pytest.raises(errors.BlockDeviceError, match="did not react"):
    dev.DisconnectNet()
  assert len(fake83.calls) > 1
  assert all(call == ["drbdsetup", "/dev/drbd0", "disconnect"]
             for call in fake83.calls)


def testNetReconfigChecks(fake83):
  dev = _Dev(fake83)
  with pytest.raises(errors.BlockDeviceError, match="not attached"):
    dev.DisconnectNet()
  with pytest.raises(errors.BlockDeviceError, match="not attached"):
    dev.AttachNet(False)
  nonet = _Dev(fake83, unique_id=(None, None, None, None, 1, None))
  nonet.Assemble()
  with pytest.raises(errors.BlockDeviceError, match="no network data"):
    nonet.DisconnectNet()


def testShutdownRemove(fake83, fake84):
  for (fake, down) in [(fake83, ["drbdsetup", "/dev/drbd0", "down"]),
                       (fake84, ["drbdsetup", "down", "resource0"])]:
    dev = _Dev(fake)
    dev.Shutdown()  # not there: nothing to do
    assert fake.calls == []
    dev.Assemble()
    del fake.calls[:]
    dev.Shutdown()
    assert fake.calls == [down]
    assert not dev.attached and 0 not in fake.minors
    dev = _Dev(fake)
    dev.Assemble()
    del fake.calls[:]
    dev.Remove()
    assert fake.calls == [down]
    assert not _Dev(fake).attached


# -- grow, rename, sync params ------------------------------------------------

def testGrow(fake83):
  log = []
  dev = _Dev(fake83, children=_Children(log))
  with pytest.raises(errors.BlockDeviceError, match="not attached"):
    dev.Grow(512, False, True)
  dev.Assemble()
  del fake83.calls[:]
  dev.Grow(512, True, True)
  dev.Grow(512, False, True)
  assert fake83.calls == []
  dev.Grow(512, False, False)
  assert fake83.calls == [["drbdsetup", "/dev/drbd0", "resize", "-s",
                           "1536m"]]
  assert log == [(DATA, 512, True, True), (DATA, 512, False, True),
                 (DATA, 512, False, False)]
  assert dev.size == 1536
  diskless = _Dev(fake83, unique_id=_Id(minor=1), children=[])
  diskless.Assemble()
  with pytest.raises(errors.BlockDeviceError, match="diskless"):
    diskless.Grow(512, False, False)


def testGrow84(fake84):
  dev = _Dev(fake84)
  dev.Assemble()
  del fake84.calls[:]
  dev.Grow(1024, False, False)
  assert fake84.calls == [["drbdsetup", "resize", "0", "--size", "2048m"]]


def testRename(fake83):
  dev = _Dev(fake83)
  with pytest.raises(errors.BlockDeviceError, match="minor"):
    dev.Rename(_Id(minor=5))
  # not configured: the new peer is taken on directly
  dev.Rename(_Id(rhost="192.0.2.3", secret="new"))
  assert dev.unique_id == (LHOST, PORT, "192.0.2.3", PORT, 0, "new")
  dev.Assemble()
  assert fake83.minors[0].net[3] == "192.0.2.3"
  with pytest.raises(errors.BlockDeviceError, match="disconnect it"):
    dev.Rename(_Id())
  dev.DisconnectNet()
  dev.Rename(_Id())
  dev.AttachNet(False)
  assert fake83.minors[0].net[3] == RHOST
  # changing only the secret of a connected device is fine
  dev.Rename(_Id(secret="other"))
  assert dev.unique_id[5] == "other"


def testSetSyncParams(fake83):
  dev = _Dev(fake83)
  assert dev.SetSyncParams(_Params()) == \
    ["drbd0: not attached during SetSyncParams"]
  dev.Assemble()
  del fake83.calls[:]
  assert dev.SetSyncParams(_Params(resync_rate=1000)) == []
  assert fake83.calls == [["drbdsetup", "/dev/drbd0", "syncer", "-r", "1000",
                           "--create-device"]]
  fake83.fail["syncer"] = "kernel says no"
  msgs = dev.SetSyncParams(_Params())
  assert len(msgs) == 1 and "kernel says no" in msgs[0]


def testDynamicResyncOnOldRelease(tmp_path):
  proc = tmp_path / "proc"
  shutil.copyfile(_Sample("proc_drbd83.txt"), proc)  # 8.3.1, minor 0 used
  dev = drbd.DRBD8Dev(_Id(), _Children(), 1024, _Params(),
                      _run_cmd=_FakeDrbd(tmp_path), _proc_file=str(proc))
  msgs = dev.SetSyncParams(_Params(dynamic_resync=True))
  assert len(msgs) == 1 and "8.3.9" in msgs[0]


def testPauseResumeSync(fake83, fake84):
  for (fake, pause, resume) in [
      (fake83, ["drbdsetup", "/dev/drbd0", "pause-sync"],
       ["drbdsetup", "/dev/drbd0", "resume-sync"]),
      (fake84, ["drbdsetup", "pause-sync", "0"],
       ["drbdsetup", "resume-sync", "0"])]:
    dev = _Dev(fake)
    assert dev.PauseResumeSync(True) is False
    dev.Assemble()
    del fake.calls[:]
    assert dev.PauseResumeSync(True) is True
    assert dev.PauseResumeSync(False) is True
    assert fake.calls == [pause, resume]
    fake.fail["pause-sync"] = "not syncing"
    assert dev.PauseResumeSync(True) is False


def testSyncStatusWhileSyncing(fake83):
  dev = _Dev(fake83)
  dev.Assemble()
  fake83.minors[0].sync = {
    "cs": "SyncTarget", "ldisk": "Inconsistent",
    "lines": ["    [=======>............] sync'ed: 44.4% (588416/1048576)K",
              "    finish: 0:01:08 speed: 65,736 (65,736) want: 61,440"
              " K/sec"]}
  fake83.Write()
  status = dev.GetSyncStatus()
  assert status.sync_percent == 44.4 and status.estimated_time == 68
  assert status.is_degraded and status.ldisk_status == constants.LDS_UNKNOWN
  combined = dev.CombinedSyncStatus()
  assert combined.sync_percent == 44.4 and combined.is_degraded
  with pytest.raises(errors.BlockDeviceError, match="still resyncing"):
    dev.WaitForSync(0.05)
  assert dev.WaitForConnect(0.05).is_in_resync
  fake83.minors[0].sync = {}
  fake83.Write()
  final = dev.WaitForSync(1.0)
  assert final.sync_percent is None and not final.is_degraded


def testWaitForConnect(fake83):
  fake83.peer_connects = False
  dev = _Dev(fake83)
  dev.Assemble()
  assert dev.GetProcStatus().is_wfconn
  with pytest.raises(errors.BlockDeviceError, match="not connected"):
    dev.WaitForConnect(0.05)
  fake83.peer_connects = True
  fake83.Write()
  assert dev.WaitForConnect(1.0).is_connected


def testAddRemoveChildren(fake83):
  dev = _Dev(fake83, children=[])
  dev.Assemble()
  del fake83.calls[:]
  dev.AddChildren(_Children())
  assert fake83.calls == [
    ["drbdsetup", "/dev/drbd0", "show"],
    ["blockdev", "--getsize64", META],
    ["drbdsetup", "/dev/drbd0", "disk", DATA, META, "0", "-e", "detach",
     "--create-device", "-d", "1024m"],
    ]
  assert dev.GetSyncStatus().ldisk_status == constants.LDS_OKAY
  with pytest.raises(errors.BlockDeviceError, match="has a local disk"):
    dev.AddChildren(_Children())
  with pytest.raises(errors.BlockDeviceError, match="not a child"):
    dev.RemoveChildren([_Volume("/dev/xenvg/x"), _Volume(META)])
  del fake83.calls[:]
  dev.RemoveChildren(dev.children)
  assert fake83.calls[-1] == ["drbdsetup", "/dev/drbd0", "detach"]
  assert dev.children == []
  assert dev.GetSyncStatus().ldisk_status == constants.LDS_FAULTY


# -- dispatcher ---------------------------------------------------------------

def testDispatcherUsesDrbd8Dev():
  assert bdev.GetDeviceClass(constants.LD_DRBD8) is drbd.DRBD8Dev
  assert issubclass(drbd.DRBD8Dev, base.BlockDev)

