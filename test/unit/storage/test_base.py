"""Tests of ganeti.storage.base: errors, command running, sync status."""

import pytest

from ganeti import constants
from ganeti import errors
from ganeti import objects
from ganeti import utils
from ganeti.storage import base


def _Result(cmd, exit_code=0, stdout="", stderr=""):
  return utils.RunResult(exit_code, None, stdout, stderr,
                         utils.ShellQuoteArgs(cmd), 0, None)


class _Recorder:
  """Command runner answering from a table and recording every call."""

  def __init__(self, answers):
    self.answers = answers
    self.calls = []

  def __call__(self, cmd):
    self.calls.append(list(cmd))
    (exit_code, stdout, stderr) = self.answers(cmd)
    return _Result(cmd, exit_code, stdout, stderr)


class _FixedDev(base.BlockDev):
  """A device whose own status is given, to test the combination."""

  def __init__(self, status, children=None, **kwargs):
    base.BlockDev.__init__(self, ("fixed", id(self)), children, 10, {},
                           **kwargs)
    self.dev_path = "/dev/fixed%d" % (len(children or []))
    self._status = status
    self.sync_params = []
    self.paused = None

  def GetSyncStatus(self):
    return self._status

  def SetSyncParams(self, params):
    self.sync_params.append(params)
    return (base.BlockDev.SetSyncParams(self, params) +
            ["error of %s" % self.dev_path])

  def PauseResumeSync(self, pause):
    self.paused = pause
    return base.BlockDev.PauseResumeSync(self, pause) and pause


def _Status(percent, est, degraded, ldisk):
  return objects.BlockDevStatus(
    dev_path="/dev/x", major=1, minor=2, sync_percent=percent,
    estimated_time=est, is_degraded=degraded, ldisk_status=ldisk)


def test_throw_error_formats_and_raises(caplog):
  with pytest.raises(errors.BlockDeviceError,
                     match=r"^device /dev/a failed: boom$"):
    base.ThrowError("device %s failed: %s", "/dev/a", "boom")
  assert "device /dev/a failed: boom" in caplog.text
  # a message without arguments is used verbatim, even with a percent sign
  with pytest.raises(errors.BlockDeviceError, match="100% full"):
    base.ThrowError("100% full")


def test_ignore_error_reports_success():
  def _Fail():
    base.ThrowError("no")
  assert base.IgnoreError(_Fail) is False
  seen = []
  assert base.IgnoreError(seen.append, 1) is True
  assert seen == [1]


def test_run_command_with_missing_program_names_it():
  with pytest.raises(errors.BlockDeviceError,
                     match="Cannot run 'no-such-tool-s6 --x'"):
    base.RunCommand(["no-such-tool-s6", "--x"])


def test_run_command_real_and_injected():
  result = base.RunCommand(["sh", "-c", "echo $MARK; exit 3"],
                           env={"MARK": "hello"})
  assert result.failed and result.exit_code == 3
  assert result.stdout == "hello\n"
  assert "exited with exit code 3" in base.FormatFailure(result)
  runner = _Recorder(lambda cmd: (0, "out", ""))
  assert base.RunCommand(["x", "y"], runner=runner).stdout == "out"
  assert runner.calls == [["x", "y"]]


def test_default_status_of_a_plain_device():
  dev = _FixedDev(None)
  status = base.BlockDev.GetSyncStatus(dev)
  assert status.dev_path == dev.dev_path
  assert status.sync_percent is None and status.estimated_time is None
  assert status.is_degraded is False
  assert status.ldisk_status == constants.LDS_OKAY


def test_combined_status_takes_the_worst_of_children():
  child1 = _FixedDev(_Status(40.0, 100, False, constants.LDS_OKAY))
  child2 = _FixedDev(_Status(None, None, True, constants.LDS_FAULTY))
  child3 = _FixedDev(_Status(70.5, 300, False, constants.LDS_UNKNOWN))
  parent = _FixedDev(_Status(90.0, 10, False, constants.LDS_OKAY),
                     children=[child1, None, child2, child3])
  parent.major = 147
  parent.minor = 3
  status = parent.CombinedSyncStatus()
  assert status.dev_path == parent.dev_path
  assert (status.major, status.minor) == (147, 3)
  assert status.sync_percent == 40.0
  assert status.estimated_time == 300
  assert status.is_degraded is True
  assert status.ldisk_status == constants.LDS_FAULTY


def test_combined_status_without_values_stays_empty():
  parent = _FixedDev(_Status(None, None, False, None),
                     children=[_FixedDev(_Status(None, None, False, None))])
  status = parent.CombinedSyncStatus()
  assert status.sync_percent is None and status.estimated_time is None
  assert status.is_degraded is False and status.ldisk_status is None


def test_sync_params_and_pause_reach_every_child():
  child = _FixedDev(None)
  parent = _FixedDev(None, children=[child, None])
  errs = parent.SetSyncParams({"resync-rate": 100})
  assert errs == ["error of /dev/fixed0", "error of /dev/fixed2"]
  assert child.sync_params == [{"resync-rate": 100}]
  assert parent.PauseResumeSync(True) is True
  assert child.paused is True
  assert parent.PauseResumeSync(False) is False


def test_unsupported_operations_name_the_device():
  dev = _FixedDev(None)
  for call in (lambda: dev.Rename(("a", "b")),
               lambda: dev.Grow(10, False, True),
               lambda: dev.Snapshot(10)):
    with pytest.raises(errors.BlockDeviceError, match="/dev/fixed0"):
      call()


def test_actual_size_uses_blockdev_getsize64():
  runner = _Recorder(lambda cmd: (0, "1073741824\n", ""))
  dev = _FixedDev(None, _run_cmd=runner)
  with pytest.raises(errors.BlockDeviceError, match="not attached"):
    dev.GetActualSize()
  assert runner.calls == []
  dev.attached = True
  assert dev.GetActualSize() == 1073741824
  assert runner.calls == [["blockdev", "--getsize64", "/dev/fixed0"]]


def test_actual_size_failure_carries_the_output():
  runner = _Recorder(lambda cmd: (1, "", "blockdev: cannot open /dev/fixed0"))
  dev = _FixedDev(None, _run_cmd=runner)
  dev.attached = True
  with pytest.raises(errors.BlockDeviceError,
                     match="/dev/fixed0.*cannot open /dev/fixed0"):
    dev.GetActualSize()
  garbage = _FixedDev(None, _run_cmd=_Recorder(lambda cmd: (0, "lots", "")))
  garbage.attached = True
  with pytest.raises(errors.BlockDeviceError, match="invalid output"):
    garbage.GetActualSize()
