"""Exact qemu command lines built by ganeti.hypervisor.hv_kvm_cmd."""

import pytest

from ganeti import constants
from ganeti import errors
from ganeti import objects
from ganeti import pathutils
from ganeti.hypervisor import hv_kvm_cmd


KVM = "/usr/bin/kvm"


def _Hvp(**overrides):
  hvp = dict(constants.HVC_DEFAULTS[constants.HT_KVM])
  hvp[constants.HV_KERNEL_PATH] = ""
  hvp.update(overrides)
  return hvp


def _Instance(hvp, name="inst1", port=None, nics=None, mem=64, vcpus=2):
  return objects.Instance(name=name, primary_node="node1",
                          hypervisor=constants.HT_KVM, hvparams=hvp,
                          beparams={constants.BE_MAXMEM: mem,
                                    constants.BE_MINMEM: mem,
                                    constants.BE_VCPUS: vcpus},
                          nics=nics or [], disks=[], network_port=port)


def _Disk(mode=constants.DISK_RDWR):
  return objects.Disk(dev_type=constants.LD_FILE, size=1024, mode=mode)


@pytest.fixture
def paths(tmp_path, monkeypatch):
  root = tmp_path / "node1"
  root.mkdir()
  monkeypatch.setenv("GANETI_ROOTDIR", str(root))
  monkeypatch.setenv("GANETI_HOSTNAME", "node1")
  pathutils.Reload()
  yield hv_kvm_cmd.InstancePaths("inst1")
  monkeypatch.delenv("GANETI_ROOTDIR")
  monkeypatch.delenv("GANETI_HOSTNAME")
  pathutils.Reload()


def _Head(paths, mem=64, vcpus=2, name="inst1"):
  return [KVM, "-name", name, "-m", str(mem), "-smp", str(vcpus),
          "-pidfile", paths.pidfile, "-daemonize"]


def _Tail(paths, serial=True):
  tail = ["-monitor", "unix:%s,server=on,wait=off" % paths.monitor,
          "-qmp", "unix:%s,server=on,wait=off" % paths.qmp]
  if serial:
    tail += ["-serial", "unix:%s,server=on,wait=off" % paths.serial]
  else:
    tail += ["-serial", "none"]
  return tail


BALLOON = ["-device", "virtio-balloon"]


def testInstancePathsFollowTheNodeRoot(paths):
  root = pathutils.KVM_HYPERVISOR_DIR
  assert root.startswith(pathutils.RUN_DIR)
  assert paths.pidfile == root + "/pid/inst1"
  assert paths.runtime == root + "/conf/inst1.runtime"
  assert paths.qmp == root + "/ctrl/inst1.qmp"
  assert paths.monitor == root + "/ctrl/inst1.monitor"
  assert paths.serial == root + "/ctrl/inst1.serial"
  assert paths.nics_dir == root + "/nic/inst1"
  assert paths.uidfile == root + "/uid/inst1"
  assert paths.chroot == root + "/chroot/inst1"
  assert paths.Sockets() == [paths.monitor, paths.qmp, paths.serial]


def testDefaultsWithOneDisk(paths):
  hvp = _Hvp()
  cmd = hv_kvm_cmd.BuildStaticCommand(_Instance(hvp), [(_Disk(), "/dev/x")],
                                      hvp, paths, kvm_path=KVM)
  assert cmd == (_Head(paths) + BALLOON +
                 ["-drive", "file=/dev/x,format=raw,if=virtio",
                  "-display", "none"] + _Tail(paths))


def testKernelBoot(paths):
  hvp = _Hvp(kernel_path="/boot/vmlinuz", initrd_path="/boot/initrd",
             root_path="/dev/vda1", kernel_args="ro quiet")
  cmd = hv_kvm_cmd.BuildStaticCommand(_Instance(hvp), [], hvp, paths,
                                      kvm_path=KVM)
  assert cmd == (_Head(paths) + BALLOON +
                 ["-kernel", "/boot/vmlinuz", "-initrd", "/boot/initrd",
                  "-append", "root=/dev/vda1 ro quiet console=ttyS0,38400",
                  "-display", "none"] + _Tail(paths))


def testKernelBootWithoutSerialAndCustomSpeed(paths):
  hvp = _Hvp(kernel_path="/boot/vmlinuz", root_path="/dev/sda2",
             kernel_args="", serial_console=False)
  cmd = hv_kvm_cmd.BuildStaticCommand(_Instance(hvp), [], hvp, paths,
                                      kvm_path=KVM)
  assert cmd == (_Head(paths) + BALLOON +
                 ["-kernel", "/boot/vmlinuz", "-append", "root=/dev/sda2",
                  "-display", "none"] + _Tail(paths, serial=False))
  hvp = _Hvp(kernel_path="/boot/vmlinuz", root_path="/dev/vda1",
             **{hv_kvm_cmd.HV_SERIAL_SPEED: 115200})
  cmd = hv_kvm_cmd.BuildStaticCommand(_Instance(hvp), [], hvp, paths,
                                      kvm_path=KVM)
  assert cmd[cmd.index("-append") + 1] == \
    "root=/dev/vda1 ro console=ttyS0,115200"


def testKernelIgnoredWhenBootingFromCdrom(paths):
  hvp = _Hvp(kernel_path="/boot/vmlinuz", boot_order="cdrom",
             cdrom_image_path="/srv/iso/debian.iso")
  cmd = hv_kvm_cmd.BuildStaticCommand(_Instance(hvp), [(_Disk(), "/dev/x")],
                                      hvp, paths, kvm_path=KVM)
  assert "-kernel" not in cmd
  assert cmd == (_Head(paths) + BALLOON +
                 ["-boot", "d",
                  "-drive", "file=/dev/x,format=raw,if=virtio",
                  "-drive", "file=/srv/iso/debian.iso,format=raw,media=cdrom,"
                  "if=ide,readonly=on",
                  "-display", "none"] + _Tail(paths))


@pytest.mark.parametrize("order,letter", [("network", "n"), ("cdrom", "d"),
                                          ("floppy", "a")])
def testBootOrders(paths, order, letter):
  hvp = _Hvp(boot_order=order, cdrom_image_path="/iso",
             floppy_image_path="/fd.img")
  cmd = hv_kvm_cmd.BuildStaticCommand(_Instance(hvp), [], hvp, paths,
                                      kvm_path=KVM)
  idx = cmd.index("-boot")
  assert cmd[idx + 1] == letter
  assert ["-drive", "file=/fd.img,format=raw,if=floppy"] == \
    cmd[cmd.index("file=/fd.img,format=raw,if=floppy") - 1:][:2]


def testInvalidBootOrder(paths):
  hvp = _Hvp(boot_order="usb")
  with pytest.raises(errors.HypervisorError, match="boot order 'usb'"):
    hv_kvm_cmd.BuildStaticCommand(_Instance(hvp), [], hvp, paths)


def testCdromDiskTypesAndSecondCdrom(paths):
  hvp = _Hvp(cdrom_image_path="/a.iso", cdrom2_image_path="/b.iso",
             cdrom_disk_type="paravirtual")
  cmd = hv_kvm_cmd.BuildStaticCommand(_Instance(hvp), [], hvp, paths,
                                      kvm_path=KVM)
  drives = [cmd[i + 1] for (i, a) in enumerate(cmd) if a == "-drive"]
  assert drives == [
    "file=/a.iso,format=raw,media=cdrom,if=virtio,readonly=on",
    "file=/b.iso,format=raw,media=cdrom,if=virtio,readonly=on",
    ]
  hvp = _Hvp(cdrom_image_path="/a.iso", cdrom_disk_type="scsi")
  cmd = hv_kvm_cmd.BuildStaticCommand(_Instance(hvp), [], hvp, paths,
                                      kvm_path=KVM)
  assert "file=/a.iso,format=raw,media=cdrom,if=scsi,readonly=on" in cmd


@pytest.mark.parametrize("disk_type,interface", [
  ("paravirtual", "virtio"), ("ide", "ide"), ("scsi", "scsi"), ("sd", "sd"),
  ("mtd", "mtd"), ("pflash", "pflash")])
def testDiskTypes(paths, disk_type, interface):
  hvp = _Hvp(disk_type=disk_type)
  cmd = hv_kvm_cmd.BuildStaticCommand(
    _Instance(hvp), [(_Disk(), "/dev/a"), (_Disk(), "/dev/b")], hvp, paths,
    kvm_path=KVM)
  drives = [cmd[i + 1] for (i, a) in enumerate(cmd) if a == "-drive"]
  assert drives == ["file=/dev/a,format=raw,if=%s" % interface,
                    "file=/dev/b,format=raw,if=%s" % interface]


@pytest.mark.parametrize("cache,suffix", [
  ("default", ""), ("none", ",cache=none"),
  ("writethrough", ",cache=writethrough"), ("writeback", ",cache=writeback")])
def testDiskCache(paths, cache, suffix):
  hvp = _Hvp(disk_cache=cache)
  cmd = hv_kvm_cmd.BuildStaticCommand(_Instance(hvp), [(_Disk(), "/dev/a")],
                                      hvp, paths, kvm_path=KVM)
  assert "file=/dev/a,format=raw,if=virtio" + suffix in cmd


def testReadOnlyDisk(paths):
  hvp = _Hvp()
  cmd = hv_kvm_cmd.BuildStaticCommand(
    _Instance(hvp), [(_Disk(constants.DISK_RDONLY), "/dev/a")], hvp, paths,
    kvm_path=KVM)
  assert "file=/dev/a,format=raw,if=virtio,readonly=on" in cmd


def testVncOnAddressWithPasswordAndTls(paths):
  hvp = _Hvp(vnc_bind_address="0.0.0.0", vnc_password_file="/etc/pw",
             vnc_tls=True, vnc_x509_path="/etc/x509", vnc_x509_verify=True)
  cmd = hv_kvm_cmd.BuildStaticCommand(_Instance(hvp, port=5903), [], hvp,
                                      paths, kvm_path=KVM)
  assert cmd == (_Head(paths) + BALLOON +
                 ["-object", "tls-creds-x509,id=vnctls0,dir=/etc/x509,"
                  "endpoint=server,verify-peer=yes",
                  "-vnc", "0.0.0.0:3,tls-creds=vnctls0,password=on"] +
                 _Tail(paths))


def testVncTlsWithoutCertificates(paths):
  hvp = _Hvp(vnc_bind_address="127.0.0.1", vnc_tls=True)
  cmd = hv_kvm_cmd.BuildStaticCommand(_Instance(hvp, port=5910), [], hvp,
                                      paths, kvm_path=KVM)
  idx = cmd.index("-object")
  assert cmd[idx:idx + 4] == ["-object",
                              "tls-creds-anon,id=vnctls0,endpoint=server",
                              "-vnc", "127.0.0.1:10,tls-creds=vnctls0"]


def testVncX509WithoutVerify(paths):
  hvp = _Hvp(vnc_bind_address="127.0.0.1", vnc_tls=True,
             vnc_x509_path="/x509")
  cmd = hv_kvm_cmd.BuildStaticCommand(_Instance(hvp, port=5900), [], hvp,
                                      paths, kvm_path=KVM)
  assert ("tls-creds-x509,id=vnctls0,dir=/x509,endpoint=server,"
          "verify-peer=no") in cmd
  assert "127.0.0.1:0,tls-creds=vnctls0" in cmd


def testVncUnixSocketDirectory(paths):
  hvp = _Hvp(vnc_bind_address="/var/run/vnc")
  cmd = hv_kvm_cmd.BuildStaticCommand(_Instance(hvp), [], hvp, paths,
                                      kvm_path=KVM)
  assert cmd[cmd.index("-vnc") + 1] == "unix:/var/run/vnc/inst1.vnc"
  assert "-display" not in cmd


def testVncNeedsPort(paths):
  hvp = _Hvp(vnc_bind_address="0.0.0.0")
  with pytest.raises(errors.HypervisorError, match="network port"):
    hv_kvm_cmd.BuildStaticCommand(_Instance(hvp, port=None), [], hvp, paths)


def testVncRejectsHostName(paths):
  hvp = _Hvp(vnc_bind_address="example.com")
  with pytest.raises(errors.HypervisorError, match="Invalid VNC bind"):
    hv_kvm_cmd.BuildStaticCommand(_Instance(hvp, port=5901), [], hvp, paths)


def testSpice(paths):
  hvp = _Hvp(spice_bind="192.0.2.1", spice_ip_version=4,
             spice_image_compression="auto_glz",
             spice_jpeg_wan_compression="never",
             spice_zlib_glz_wan_compression="always",
             spice_streaming_video="filter",
             spice_playback_compression=False, spice_use_vdagent=True)
  cmd = hv_kvm_cmd.BuildStaticCommand(_Instance(hvp, port=11002), [], hvp,
                                      paths, kvm_path=KVM)
  assert cmd == (_Head(paths) + BALLOON + [
    "-spice", "addr=192.0.2.1,port=11002,ipv4=on,disable-ticketing=on,"
    "image-compression=auto_glz,jpeg-wan-compression=never,"
    "zlib-glz-wan-compression=always,streaming-video=filter,"
    "playback-compression=off",
    "-device", "virtio-serial-pci",
    "-device", "virtserialport,chardev=spicechannel0,"
    "name=com.redhat.spice.0",
    "-chardev", "spicevmc,id=spicechannel0,name=vdagent",
    ] + _Tail(paths))


def testSpiceTlsAndPassword(paths):
  hvp = _Hvp(spice_bind="::1", spice_ip_version=6, spice_use_tls=True,
             spice_password_file="/etc/spice-pw", spice_use_vdagent=False)
  cmd = hv_kvm_cmd.BuildStaticCommand(_Instance(hvp, port=11003), [], hvp,
                                      paths, kvm_path=KVM)
  assert cmd[cmd.index("-spice") + 1] == (
    "addr=::1,tls-port=11003,x509-cacert-file=%s,x509-key-file=%s,"
    "x509-cert-file=%s,tls-ciphers=%s,ipv6=on" %
    (pathutils.SPICE_CACERT_FILE, pathutils.SPICE_CERT_FILE,
     pathutils.SPICE_CERT_FILE, constants.OPENSSL_CIPHERS))
  assert "virtio-serial-pci" not in cmd


def testManyFlags(paths):
  hvp = _Hvp(acpi=False, kvm_flag="enabled", mem_path="/hugepages",
             use_localtime=True, reboot_behavior="exit", keymap="de",
             usb_mouse="tablet", use_chroot=True, security_model="user",
             security_domain="kvmuser",
             **{hv_kvm_cmd.HV_KVM_MACHINE_VERSION: "pc-i440fx-7.2"})
  cmd = hv_kvm_cmd.BuildStaticCommand(_Instance(hvp, mem=512, vcpus=4), [],
                                      hvp, paths, kvm_path="/opt/qemu")
  assert cmd == ["/opt/qemu", "-name", "inst1", "-m", "512", "-smp", "4",
                 "-pidfile", paths.pidfile, "-daemonize",
                 "-M", "pc-i440fx-7.2", "-enable-kvm", "-no-acpi",
                 "-no-reboot", "-rtc", "base=localtime",
                 "-mem-path", "/hugepages"] + BALLOON + [
                 "-k", "de", "-usb", "-device", "usb-tablet",
                 "-display", "none"] + _Tail(paths) + [
                 "-chroot", paths.chroot, "-runas", "kvmuser"]


def testKvmDisabledUsesTcg(paths):
  hvp = _Hvp(kvm_flag="disabled")
  cmd = hv_kvm_cmd.BuildStaticCommand(_Instance(hvp), [], hvp, paths)
  idx = cmd.index("-accel")
  assert cmd[idx + 1] == "tcg"
  assert "-enable-kvm" not in cmd


def testPoolSecurityHasNoStaticRunas(paths):
  hvp = _Hvp(security_model="pool")
  cmd = hv_kvm_cmd.BuildStaticCommand(_Instance(hvp), [], hvp, paths)
  assert "-runas" not in cmd


def testLegacyMemoryParameter(paths):
  hvp = _Hvp()
  inst = _Instance(hvp)
  inst.beparams = {constants.BE_MEMORY: 48, constants.BE_VCPUS: 1}
  cmd = hv_kvm_cmd.BuildStaticCommand(inst, [], hvp, paths)
  assert cmd[cmd.index("-m") + 1] == "48"


def testNicArgs():
  nics = [objects.NIC(mac="aa:00:00:00:00:01", nicparams={}),
          objects.NIC(mac="aa:00:00:00:00:02", nicparams={})]
  assert hv_kvm_cmd.BuildNicArgs(nics, "paravirtual", [7, 9]) == [
    "-netdev", "tap,id=netdev0,fd=7",
    "-device", "virtio-net-pci,netdev=netdev0,mac=aa:00:00:00:00:01",
    "-netdev", "tap,id=netdev1,fd=9",
    "-device", "virtio-net-pci,netdev=netdev1,mac=aa:00:00:00:00:02",
    ]
  assert hv_kvm_cmd.BuildNicArgs(nics[:1], "e1000", [3], vhost=True) == [
    "-netdev", "tap,id=netdev0,fd=3,vhost=on",
    "-device", "e1000,netdev=netdev0,mac=aa:00:00:00:00:01",
    ]


@pytest.mark.parametrize("nic_type", sorted(constants.HT_KVM_VALID_NIC_TYPES))
def testEveryNicTypeHasAModel(nic_type):
  nic = objects.NIC(mac="aa:00:00:00:00:01", nicparams={})
  args = hv_kvm_cmd.BuildNicArgs([nic], nic_type, [5])
  assert args[3] == "%s,netdev=netdev0,mac=aa:00:00:00:00:01" % \
    hv_kvm_cmd.NIC_MODELS[nic_type]


def testNoNics():
  assert hv_kvm_cmd.BuildNicArgs([], "paravirtual", []) == ["-net", "none"]


def testNicArgErrors():
  nic = objects.NIC(mac="aa:00:00:00:00:01", nicparams={})
  with pytest.raises(errors.ProgrammerError):
    hv_kvm_cmd.BuildNicArgs([nic], "paravirtual", [])
  with pytest.raises(errors.HypervisorError, match="Unknown NIC type"):
    hv_kvm_cmd.BuildNicArgs([nic], "tulip", [3])


def testRuntimeArgs():
  assert hv_kvm_cmd.BuildRuntimeArgs(True) == ["-S"]
  assert hv_kvm_cmd.BuildRuntimeArgs(False) == []
  assert hv_kvm_cmd.BuildRuntimeArgs(True, ("192.0.2.7", 8102)) == \
    ["-incoming", "tcp:192.0.2.7:8102"]
  assert hv_kvm_cmd.BuildRuntimeArgs(False, ("2001:db8::1", 8102),
                                     runas="ganeti-u1") == \
    ["-incoming", "tcp:[2001:db8::1]:8102", "-runas", "ganeti-u1"]


def testParseCommandValue():
  cmd = ["kvm", "-name", "a", "-m", "128", "-name", "b"]
  assert hv_kvm_cmd.ParseCommandValue(cmd, "-name") == "b"
  assert hv_kvm_cmd.ParseCommandValue(cmd, "-m") == "128"
  assert hv_kvm_cmd.ParseCommandValue(cmd, "-smp") is None
  assert hv_kvm_cmd.ParseCommandValue(["kvm", "-smp"], "-smp") is None
