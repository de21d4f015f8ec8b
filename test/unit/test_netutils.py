"""Tests for ganeti.netutils.

Sockets are real but stay on loopback addresses (127.0.0.0/8 and ::1).  A
few tests bind to an address from a documentation range (198.51.100.0/24)
only to see the bind fail; no packet is ever sent there.
"""

import errno
import ipaddress
import os
import socket

import pytest
from hypothesis import given, strategies as st

from ganeti import constants
from ganeti import errors
from ganeti import netutils
from ganeti import vcluster


NOT_OWNED = "198.51.100.7"


def _HasIPv6Loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


needs_ipv6 = pytest.mark.skipif(not _HasIPv6Loopback(),
                                reason="no IPv6 loopback on this host")


# --- socket credentials and interfaces ------------------------------------

def test_get_socket_credentials_of_peer():
    (left, right) = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    with left, right:
        assert netutils.GetSocketCredentials(left) == \
            (os.getpid(), os.getuid(), os.getgid())


@pytest.mark.parametrize("bad", [None, "socket", 3])
def test_get_socket_credentials_refuses_non_sockets(bad):
    with pytest.raises(errors.ProgrammerError, match="Unix socket"):
        netutils.GetSocketCredentials(bad)


def test_get_socket_credentials_refuses_inet_socket():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        with pytest.raises(errors.ProgrammerError, match="Unix socket"):
            netutils.GetSocketCredentials(sock)


def test_is_valid_interface():
    assert netutils.IsValidInterface("lo")
    assert not netutils.IsValidInterface("nosuchif0")


@pytest.mark.parametrize("bad", ["", ".", "..", "a/b", "x" * 16, "a b",
                                 "a\0b", None, 7])
def test_is_valid_interface_rejects_bad_names(bad):
    assert not netutils.IsValidInterface(bad)


def test_get_interface_ip_addresses_of_loopback():
    result = netutils.GetInterfaceIpAddresses("lo")
    assert set(result) == {4, 6}
    assert "127.0.0.1" in result[4]
    for address in result[4]:
        assert netutils.IP4Address.IsValid(address)
    for address in result[6]:
        assert netutils.IP6Address.IsValid(address)


@pytest.mark.parametrize("bad", ["nosuchif0", "", None])
def test_get_interface_ip_addresses_unknown_interface(bad):
    with pytest.raises(errors.OpPrereqError) as excinfo:
        netutils.GetInterfaceIpAddresses(bad)
    assert repr(bad) in str(excinfo.value)
    assert excinfo.value.args[1] == errors.ECODE_NOENT


# --- hosts file parsing ----------------------------------------------------

def test_parse_hosts_file():
    content = ("# comment line\n"
               "\n"
               "127.0.0.11\tnode1.example.com node1   # trailing comment\n"
               "  ::1 ip6-localhost ip6-loopback\n"
               "not-an-ip somename\n"
               "127.0.0.12\n"
               "999.1.1.1 broken\n"
               "127.0.0.13 node3 # x y z\n")
    assert netutils.ParseHostsFile(content) == [
        ("127.0.0.11", ["node1.example.com", "node1"]),
        ("::1", ["ip6-localhost", "ip6-loopback"]),
        ("127.0.0.13", ["node3"]),
    ]
    assert netutils.ParseHostsFile("") == []


@pytest.mark.parametrize("bad", [None, b"127.0.0.1 x", ["127.0.0.1 x"]])
def test_parse_hosts_file_needs_text(bad):
    with pytest.raises(errors.ProgrammerError, match=type(bad).__name__):
        netutils.ParseHostsFile(bad)


_HOSTNAMES = st.from_regex(
    r"\A[a-z][a-z0-9-]{0,10}(\.[a-z][a-z0-9]{0,6}){0,3}\Z")


@given(entries=st.lists(
    st.tuples(st.integers(0, 2 ** 32 - 1),
              st.lists(_HOSTNAMES, min_size=1, max_size=4)),
    max_size=8))
def test_parse_hosts_file_round_trip_property(entries):
    lines = ["# generated"]
    expected = []
    for (number, names) in entries:
        address = netutils.IP4Address.FromInt(number)
        lines.append("%s\t%s  # note" % (address, " ".join(names)))
        expected.append((address, names))
    assert netutils.ParseHostsFile("\n".join(lines)) == expected


# --- resolution through the virtual cluster's hosts file --------------------

@pytest.fixture
def virtual_node(tmp_path, monkeypatch):
    """Makes this process node1.example.com of a virtual cluster."""
    node = "node1.example.com"
    monkeypatch.setenv(vcluster.ROOTDIR_ENVNAME, str(tmp_path / node))
    monkeypatch.setenv(vcluster.HOSTNAME_ENVNAME, node)
    vcluster.Reload()
    hosts = tmp_path / "hosts"
    hosts.write_text("# virtual cluster\n"
                     "127.0.0.11 node1.example.com node1\n"
                     "127.0.0.12 Node2.Example.COM node2 n2alias\n"
                     "::1 node6.example.com node6\n"
                     "127.0.0.16 node6.example.com node6\n")
    yield hosts
    monkeypatch.undo()
    vcluster.Reload()


def test_hostname_resolves_through_hosts_file(virtual_node):
    host = netutils.Hostname("node1")
    assert (host.name, host.ip) == ("node1.example.com", "127.0.0.11")
    host = netutils.Hostname("N2ALIAS")
    assert (host.name, host.ip) == ("node2.example.com", "127.0.0.12")
    assert "node2.example.com" in repr(host)


def test_own_name_in_virtual_cluster(virtual_node):
    host = netutils.Hostname()
    assert (host.name, host.ip) == ("node1.example.com", "127.0.0.11")
    assert netutils.Hostname.GetSysName() == "node1.example.com"
    assert netutils.Hostname.GetFqdn() == "node1.example.com"


def test_hosts_file_family_selection(virtual_node):
    assert netutils.Hostname("node6").ip == "::1"
    assert netutils.Hostname("node6", family=socket.AF_INET).ip == \
        "127.0.0.16"
    assert netutils.Hostname.GetIP("node6", family=socket.AF_INET6) == "::1"


def test_hosts_file_reverse_lookup(virtual_node):
    # GetFqdn keeps the spelling of the file; Hostname normalises it
    assert netutils.Hostname.GetFqdn("127.0.0.12") == "Node2.Example.COM"
    assert netutils.Hostname("127.0.0.12").name == "node2.example.com"
    assert netutils.Hostname("127.0.0.11").name == "node1.example.com"


def test_hosts_file_changes_are_seen_at_once(virtual_node):
    with pytest.raises(errors.ResolverError):
        netutils.Hostname("node9.invalid")
    with open(virtual_node, "a") as fd:
        fd.write("127.0.0.19 node9.invalid\n")
    assert netutils.Hostname("node9.invalid").ip == "127.0.0.19"


def test_names_missing_from_hosts_file_use_system_resolver(virtual_node):
    host = netutils.Hostname("localhost", family=socket.AF_INET)
    assert IPv4Loopback(host.ip)


def test_missing_hosts_file_falls_back_to_system(virtual_node):
    virtual_node.unlink()
    assert IPv4Loopback(netutils.Hostname("localhost",
                                          family=socket.AF_INET).ip)
    with pytest.raises(errors.ResolverError):
        netutils.Hostname("node1")


def test_unreadable_hosts_file_is_a_resolver_error(virtual_node):
    virtual_node.unlink()
    virtual_node.mkdir()
    with pytest.raises(errors.ResolverError) as excinfo:
        netutils.Hostname.GetIP("node1")
    assert excinfo.value.args[0] == "node1"
    assert str(virtual_node) in excinfo.value.args[2]


def IPv4Loopback(address):
    return netutils.IP4Address.IsLoopback(address)


# --- resolution through the system resolver ---------------------------------

def test_physical_own_name(monkeypatch):
    monkeypatch.delenv(vcluster.ROOTDIR_ENVNAME, raising=False)
    monkeypatch.delenv(vcluster.HOSTNAME_ENVNAME, raising=False)
    vcluster.Reload()
    try:
        assert netutils.Hostname.GetSysName() == socket.gethostname()
        assert netutils.Hostname.GetFqdn() == socket.getfqdn()
    finally:
        monkeypatch.undo()
        vcluster.Reload()


def test_localhost_resolves():
    host = netutils.Hostname("localhost", family=socket.AF_INET)
    assert host.name == netutils.Hostname.GetNormalizedName(
        socket.getfqdn("localhost"))
    assert IPv4Loopback(host.ip)
    assert netutils.GetHostname("localhost", family=socket.AF_INET).ip == \
        host.ip


def test_unresolvable_name_raises_resolver_error():
    with pytest.raises(errors.ResolverError) as excinfo:
        netutils.Hostname("no-such-host.invalid")
    (name, number, message) = excinfo.value.args
    assert name == "no-such-host.invalid"
    assert isinstance(number, int) and number != 0
    assert message


def test_get_hostname_turns_resolver_errors_into_prereq_errors():
    with pytest.raises(errors.OpPrereqError) as excinfo:
        netutils.GetHostname("no-such-host.invalid")
    assert excinfo.value.args[1] == errors.ECODE_RESOLVER
    assert "no-such-host.invalid" in excinfo.value.args[0]


def test_get_hostname_passes_syntax_errors_as_invalid():
    with pytest.raises(errors.OpPrereqError) as excinfo:
        netutils.GetHostname("bad..name")
    assert excinfo.value.args[1] == errors.ECODE_INVAL


@pytest.mark.parametrize("family", [socket.AF_UNIX, 99, "inet", True])
def test_bad_family_is_a_programmer_error(family):
    with pytest.raises(errors.ProgrammerError, match="address family"):
        netutils.Hostname("localhost", family=family)
    with pytest.raises(errors.ProgrammerError, match="address family"):
        netutils.Hostname.GetIP("localhost", family=family)


@pytest.mark.parametrize("bad", ["", None, 5])
def test_get_ip_refuses_non_names(bad):
    with pytest.raises(errors.ResolverError) as excinfo:
        netutils.Hostname.GetIP(bad)
    assert excinfo.value.args[0] == bad


def test_get_ip_with_unencodable_name():
    with pytest.raises(errors.ResolverError):
        netutils.Hostname.GetIP("a" * 70 + ".example.com")


def test_get_fqdn_refuses_non_strings():
    with pytest.raises(errors.OpPrereqError, match="not a string"):
        netutils.Hostname.GetFqdn(17)


@pytest.mark.parametrize("name, expected", [
    ("node1", "node1"),
    ("Node1.Example.COM", "node1.example.com"),
    ("node1.example.com.", "node1.example.com"),
    ("a-b_c.d9", "a-b_c.d9"),
    ("x" * 63 + ".com", "x" * 63 + ".com"),
    (".".join(["abcdefg"] * 32), ".".join(["abcdefg"] * 32)),
    ("1.2.3.4", "1.2.3.4"),
])
def test_get_normalized_name_accepts(name, expected):
    assert netutils.Hostname.GetNormalizedName(name) == expected


@pytest.mark.parametrize("name", [
    "", ".", "a..b", ".a", "-a", "a-", "a.-b", "x" * 64,
    ".".join(["abcdefg"] * 33), "a b", "a/b", "a\0b", "n\u00e9", "a:b",
    "a..",
])
def test_get_normalized_name_rejects(name):
    with pytest.raises(errors.OpPrereqError) as excinfo:
        netutils.Hostname.GetNormalizedName(name)
    assert excinfo.value.args[1] == errors.ECODE_INVAL
    assert name in excinfo.value.args[0]


@pytest.mark.parametrize("bad", [None, 5, b"host"])
def test_get_normalized_name_rejects_non_strings(bad):
    with pytest.raises(errors.OpPrereqError, match="not a string"):
        netutils.Hostname.GetNormalizedName(bad)


@given(labels=st.lists(st.from_regex(r"\A[a-zA-Z0-9]([a-zA-Z0-9_-]{0,20}"
                                     r"[a-zA-Z0-9])?\Z"),
                       min_size=1, max_size=6))
def test_get_normalized_name_property(labels):
    name = ".".join(labels)
    normal = netutils.Hostname.GetNormalizedName(name)
    assert normal == name.lower()
    assert netutils.Hostname.GetNormalizedName(normal) == normal


@given(name=st.text(min_size=1, max_size=30))
def test_get_normalized_name_only_accepts_dns_characters(name):
    try:
        normal = netutils.Hostname.GetNormalizedName(name)
    except errors.OpPrereqError:
        return
    assert set(normal) <= set("abcdefghijklmnopqrstuvwxyz0123456789._-")
    assert ".." not in normal and not normal.startswith(".")


# --- ports, ping and ownership ----------------------------------------------

@pytest.mark.parametrize("port, expected", [(1, 1), (65535, 65535),
                                            ("80", 80), (1811.0, 1811)])
def test_validate_port_number(port, expected):
    assert netutils.ValidatePortNumber(port) == expected


@pytest.mark.parametrize("bad", [0, -1, 65536, None, "http", [], True])
def test_validate_port_number_rejects(bad):
    with pytest.raises(errors.ProgrammerError) as excinfo:
        netutils.ValidatePortNumber(bad)
    assert repr(bad) in str(excinfo.value)


def test_get_daemon_port():
    for (daemon, (proto, default)) in constants.DAEMONS_PORTS.items():
        try:
            expected = socket.getservbyname(daemon, proto)
        except OSError:
            expected = default
        assert netutils.GetDaemonPort(daemon) == expected


def test_get_daemon_port_unknown_daemon():
    with pytest.raises(errors.ProgrammerError, match="ganeti-nosuchd"):
        netutils.GetDaemonPort("ganeti-nosuchd")


@pytest.fixture
def listener():
    """A listening TCP socket on a loopback address other than 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.42", 0))
        sock.listen(8)
        yield sock.getsockname()


@pytest.fixture
def closed_port():
    """A bound but not listening socket's address: connects are refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.43", 0))
        yield sock.getsockname()


def test_tcp_ping_listening_port(listener):
    (host, port) = listener
    assert netutils.TcpPing(host, port, timeout=5)
    assert netutils.TcpPing(host, port, timeout=5, live_port_needed=True)


def test_tcp_ping_with_source(listener):
    (host, port) = listener
    assert netutils.TcpPing(host, port, timeout=5, source="127.0.0.1")
    # a source this host does not own cannot be used: no connection tried
    assert not netutils.TcpPing(host, port, timeout=5, source=NOT_OWNED)
    # nor can a source of another address family
    assert not netutils.TcpPing(host, port, timeout=5, source="::1")


def test_tcp_ping_refused_port(closed_port):
    (host, port) = closed_port
    # a refusal proves the host is alive, but not that the port is
    assert netutils.TcpPing(host, port, timeout=5)
    assert not netutils.TcpPing(host, port, timeout=5, live_port_needed=True)


@needs_ipv6
def test_tcp_ping_ipv6_loopback():
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
        sock.bind(("::1", 0))
        sock.listen(1)
        port = sock.getsockname()[1]
        assert netutils.TcpPing("::1", port, timeout=5,
                                live_port_needed=True)


def test_tcp_ping_bad_arguments(listener):
    (host, port) = listener
    with pytest.raises(errors.IPAddressError, match="localhost"):
        netutils.TcpPing("localhost", port)
    with pytest.raises(errors.ProgrammerError, match="port"):
        netutils.TcpPing(host, 0)
    for timeout in (0, -1, "5", None, True):
        with pytest.raises(errors.ProgrammerError, match="timeout"):
            netutils.TcpPing(host, port, timeout=timeout)
    with pytest.raises(errors.IPAddressError):
        netutils.TcpPing(host, port, source="not-an-address")


def test_own_ip_address():
    assert netutils.OwnIpAddress("127.0.0.1")
    assert netutils.OwnIpAddress("127.0.0.99")
    assert not netutils.OwnIpAddress(NOT_OWNED)
    assert netutils.IP4Address.Own("127.0.0.1")
    assert not netutils.IPAddress.Own(NOT_OWNED)
    with pytest.raises(errors.IPAddressError):
        netutils.OwnIpAddress("localhost")
    with pytest.raises(errors.IPAddressError):
        netutils.IP6Address.Own("127.0.0.1")


@needs_ipv6
def test_own_ipv6_loopback():
    assert netutils.OwnIpAddress("::1")


# --- address formatting ------------------------------------------------------

@pytest.mark.parametrize("address, family, expected", [
    (("192.0.2.1", 80), None, "192.0.2.1:80"),
    (("192.0.2.1", None), None, "192.0.2.1"),
    (("2001:db8::1", 443), None, "[2001:db8::1]:443"),
    (("::1", None), socket.AF_INET6, "[::1]"),
    ((123, 0, 1000), socket.AF_UNIX, "pid=123, uid=0, gid=1000"),
    (["10.0.0.1", 1], socket.AF_INET, "10.0.0.1:1"),
])
def test_format_address(address, family, expected):
    assert netutils.FormatAddress(address, family=family) == expected


@pytest.mark.parametrize("address, family", [
    (("hostname", 80), None),
    ((123, 0, 1000), None),
    (("192.0.2.1", 80, 1), socket.AF_INET),
    ((1, 2), socket.AF_UNIX),
    ("192.0.2.1", None),
    ((), None),
    (None, None),
])
def test_format_address_rejects(address, family):
    with pytest.raises(errors.ParameterError) as excinfo:
        netutils.FormatAddress(address, family=family)
    assert repr(address) in str(excinfo.value)


@given(number=st.integers(0, 2 ** 128 - 1), port=st.integers(1, 65535))
def test_format_address_ipv6_round_trip_property(number, port):
    host = netutils.IP6Address.FromInt(number)
    text = netutils.FormatAddress((host, port))
    (bracketed, _, port_text) = text.rpartition(":")
    assert bracketed == "[%s]" % host and int(port_text) == port


# --- address classes ---------------------------------------------------------

@pytest.mark.parametrize("address", ["0.0.0.0", "192.0.2.1",
                                     "255.255.255.255", "127.0.0.1"])
def test_ipv4_valid(address):
    assert netutils.IP4Address.IsValid(address)
    assert netutils.IPAddress.IsValid(address)
    assert not netutils.IP6Address.IsValid(address)
    assert netutils.IPAddress.GetAddressFamily(address) == socket.AF_INET


@pytest.mark.parametrize("address", ["::", "::1", "2001:db8::1",
                                     "::ffff:192.0.2.1", "fe80::1:2:3:4"])
def test_ipv6_valid(address):
    assert netutils.IP6Address.IsValid(address)
    assert netutils.IPAddress.IsValid(address)
    assert not netutils.IP4Address.IsValid(address)
    assert netutils.IPAddress.GetAddressFamily(address) == socket.AF_INET6


@pytest.mark.parametrize("bad", ["", "1.2.3", "1.2.3.4.5", "256.1.1.1",
                                 "01.2.3.4", "1.2.3.4 ", " 1.2.3.4",
                                 "::g", "1:2:3:4:5:6:7:8:9", "fe80::1%lo",
                                 "localhost", "1.2.3.4/24", None, 12,
                                 b"1.2.3.4", ["1.2.3.4"]])
def test_invalid_addresses(bad):
    for klass in (netutils.IPAddress, netutils.IP4Address,
                  netutils.IP6Address):
        assert not klass.IsValid(bad)
    with pytest.raises(errors.IPAddressError) as excinfo:
        netutils.IPAddress.GetAddressFamily(bad)
    assert repr(bad) in str(excinfo.value)
    with pytest.raises(errors.IPAddressError):
        netutils.IPAddress.ToInt(bad)


def test_to_int_and_from_int():
    assert netutils.IPAddress.ToInt("192.0.2.1") == 0xC0000201
    assert netutils.IP4Address.FromInt(0xC0000201) == "192.0.2.1"
    assert netutils.IPAddress.ToInt("::1") == 1
    assert netutils.IP6Address.FromInt(1) == "::1"
    with pytest.raises(errors.IPAddressError, match="IPv4"):
        netutils.IP4Address.ToInt("::1")
    with pytest.raises(errors.ProgrammerError, match="IP4Address"):
        netutils.IPAddress.FromInt(1)
    for bad in (-1, 2 ** 32, "1", None, True, 1.0):
        with pytest.raises(errors.IPAddressError) as excinfo:
            netutils.IP4Address.FromInt(bad)
        assert repr(bad) in str(excinfo.value)
    with pytest.raises(errors.IPAddressError):
        netutils.IP6Address.FromInt(2 ** 128)


def test_normalize():
    assert netutils.IPAddress.Normalize("2001:0db8:0:0::0001") == "2001:db8::1"
    assert netutils.IP4Address.Normalize("10.0.0.1") == "10.0.0.1"
    with pytest.raises(errors.IPAddressError):
        netutils.IP6Address.Normalize("10.0.0.1")


@given(number=st.integers(0, 2 ** 32 - 1))
def test_ipv4_int_round_trip_property(number):
    text = netutils.IP4Address.FromInt(number)
    assert text == str(ipaddress.IPv4Address(number))
    assert netutils.IP4Address.ToInt(text) == number
    assert netutils.IPAddress.GetAddressFamily(text) == socket.AF_INET


@given(number=st.integers(0, 2 ** 128 - 1))
def test_ipv6_int_round_trip_property(number):
    text = netutils.IP6Address.FromInt(number)
    assert netutils.IP6Address.ToInt(text) == number
    assert int(ipaddress.IPv6Address(text)) == number
    # any other spelling of the same address parses to the same number
    exploded = ipaddress.IPv6Address(number).exploded
    assert netutils.IPAddress.ToInt(exploded) == number
    assert netutils.IPAddress.Normalize(exploded) == text


@pytest.mark.parametrize("klass, good, bad", [
    (netutils.IP4Address, [1, 24, 32], [0, 33, -1]),
    (netutils.IP6Address, [1, 64, 128], [0, 129]),
    (netutils.IPAddress, [1, 128], [0, 129]),
])
def test_validate_netmask(klass, good, bad):
    for value in good:
        assert klass.ValidateNetmask(value)
    for value in bad + [None, "24", 24.0, True]:
        assert not klass.ValidateNetmask(value)


def test_is_valid_netmask():
    for mask in ("255.255.255.0", "255.255.255.255", "128.0.0.0",
                 "ffff:ffff::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"):
        assert netutils.IPAddress.IsValidNetmask(mask), mask
    for mask in ("255.0.255.0", "0.0.0.0", "0.255.255.255", "::",
                 "ffff::ffff", "24", None, 24):
        assert not netutils.IPAddress.IsValidNetmask(mask), mask
    assert not netutils.IP6Address.IsValidNetmask("255.255.255.0")


def test_in_network():
    assert netutils.IPAddress.InNetwork("192.0.2.0/24", "192.0.2.77")
    assert not netutils.IPAddress.InNetwork("192.0.2.0/24", "192.0.3.1")
    assert netutils.IP4Address.InNetwork("0.0.0.0/0", "203.0.113.9")
    assert netutils.IP4Address.InNetwork("192.0.2.5/32", "192.0.2.5")
    # host bits in the network part are ignored, as in Ganeti
    assert netutils.IP4Address.InNetwork("192.0.2.5/24", "192.0.2.200")
    assert netutils.IP6Address.InNetwork("2001:db8::/32", "2001:db8:1::1")
    assert not netutils.IPAddress.InNetwork("2001:db8::/32", "192.0.2.1")
    assert not netutils.IPAddress.InNetwork("192.0.2.0/24", "::1")


@pytest.mark.parametrize("cidr", ["192.0.2.0", "192.0.2.0/33", "192.0.2.0/x",
                                  "192.0.2.0/-1", "192.0.2.0/24/1",
                                  "nonsense/24", "::/129", None, 24])
def test_in_network_rejects_malformed_networks(cidr):
    with pytest.raises(errors.IPAddressError) as excinfo:
        netutils.IPAddress.InNetwork(cidr, "192.0.2.1")
    assert repr(cidr).strip("'") in str(excinfo.value)


def test_in_network_rejects_malformed_address():
    with pytest.raises(errors.IPAddressError, match="nonsense"):
        netutils.IPAddress.InNetwork("192.0.2.0/24", "nonsense")
    with pytest.raises(errors.IPAddressError, match="IPv4"):
        netutils.IP4Address.InNetwork("::/0", "::1")


@given(network=st.integers(0, 2 ** 32 - 1), prefix=st.integers(0, 32),
       address=st.integers(0, 2 ** 32 - 1))
def test_in_network_ipv4_property(network, prefix, address):
    cidr = "%s/%d" % (netutils.IP4Address.FromInt(network), prefix)
    text = netutils.IP4Address.FromInt(address)
    expected = ipaddress.IPv4Address(address) in \
        ipaddress.IPv4Network(cidr, strict=False)
    assert netutils.IP4Address.InNetwork(cidr, text) == expected


@given(network=st.integers(0, 2 ** 128 - 1), prefix=st.integers(0, 128),
       address=st.integers(0, 2 ** 128 - 1))
def test_in_network_ipv6_property(network, prefix, address):
    cidr = "%s/%d" % (netutils.IP6Address.FromInt(network), prefix)
    text = netutils.IP6Address.FromInt(address)
    expected = ipaddress.IPv6Address(address) in \
        ipaddress.IPv6Network(cidr, strict=False)
    assert netutils.IPAddress.InNetwork(cidr, text) == expected


def test_is_loopback():
    for address in ("127.0.0.1", "127.255.0.9", "::1"):
        assert netutils.IPAddress.IsLoopback(address), address
    for address in ("128.0.0.1", "192.0.2.1", "::2", "::"):
        assert not netutils.IPAddress.IsLoopback(address), address
    assert netutils.IP4Address.IsLoopback("127.0.0.5")
    with pytest.raises(errors.IPAddressError):
        netutils.IP4Address.IsLoopback("::1")
    with pytest.raises(errors.IPAddressError):
        netutils.IPAddress.IsLoopback("loopback")


def test_family_and_version_mapping():
    ipa = netutils.IPAddress
    assert ipa.GetVersionFromAddressFamily(socket.AF_INET) == 4
    assert ipa.GetVersionFromAddressFamily(socket.AF_INET6) == 6
    assert ipa.GetAddressFamilyFromVersion(4) == socket.AF_INET
    assert ipa.GetAddressFamilyFromVersion(6) == socket.AF_INET6
    assert ipa.GetClassFromIpVersion(4) is netutils.IP4Address
    assert ipa.GetClassFromIpVersion(6) is netutils.IP6Address
    assert ipa.GetClassFromIpFamily(socket.AF_INET) is netutils.IP4Address
    assert ipa.GetClassFromIpFamily(socket.AF_INET6) is netutils.IP6Address
    for bad in (socket.AF_UNIX, 0, None, "2", True):
        with pytest.raises(errors.ProgrammerError, match="family"):
            ipa.GetVersionFromAddressFamily(bad)
        with pytest.raises(errors.ProgrammerError, match="family"):
            ipa.GetClassFromIpFamily(bad)
    for bad in (5, 0, None, "4", True):
        with pytest.raises(errors.ProgrammerError, match="version"):
            ipa.GetAddressFamilyFromVersion(bad)
        with pytest.raises(errors.ProgrammerError, match="version"):
            ipa.GetClassFromIpVersion(bad)


def test_address_class_attributes():
    assert netutils.IP4Address.iplen == 32
    assert netutils.IP6Address.iplen == 128
    assert netutils.IP4Address.loopback_cidr == "127.0.0.0/8"
    assert netutils.IP6Address.loopback_cidr == "::1/128"


def test_connection_refused_is_what_tcp_ping_tolerates(closed_port):
    # guards the assumption behind test_tcp_ping_refused_port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        err = sock.connect_ex(closed_port)
    assert err == errno.ECONNREFUSED
