"""gnt-cluster renew-crypto on a live two-node virtual cluster.

Every daemon is stopped, the requested certificates and keys are replaced
on the master and copied to the other nodes, and the daemons start again;
afterwards the nodes talk to each other with the new cluster certificate
only (verify and instance operations go through node RPC).
"""

import os

from ganeti import utils


_FILES = ["NODED_CERT_FILE", "RAPI_CERT_FILE", "CONFD_HMAC_KEY",
          "CLUSTER_DOMAIN_SECRET_FILE"]


def _Contents(cluster, node):
  return dict((name, utils.ReadFile(cluster.Path(node, name)))
              for name in _FILES)


def test_renew_crypto_replaces_and_distributes_everything(virtual_cluster):
  cluster = virtual_cluster(2)
  (master, other) = (cluster.master,
                     [n for n in cluster.nodes if n != cluster.master][0])
  before = _Contents(cluster, master)
  assert _Contents(cluster, other) == before
  old_pid = cluster.NodedPid(other)

  result = cluster.Run(master, [
    "gnt-cluster", "renew-crypto", "-f", "--new-cluster-certificate",
    "--new-rapi-certificate", "--new-confd-hmac-key",
    "--new-cluster-domain-secret"], check=True)
  assert "All requested certificates and keys have been replaced" in \
    result.stdout

  after = _Contents(cluster, master)
  for name in _FILES:
    assert after[name] != before[name], name
  # every node got the same new files
  assert _Contents(cluster, other) == after
  # the daemons were restarted and serve with the new certificate
  new_pid = cluster.NodedPid(other)
  assert new_pid and new_pid != old_pid
  cluster.Run(master, ["gnt-cluster", "verify"], check=True)
  listing = cluster.Run(master, ["gnt-node", "list", "--no-headers", "-o",
                                 "name,mfree"], check=True).stdout
  assert len(listing.splitlines()) == 2
  assert "?" not in listing


def test_renew_crypto_refuses_conflicting_options(virtual_cluster):
  cluster = virtual_cluster(1)
  cert = cluster.Path(cluster.master, "NODED_CERT_FILE")
  before = utils.ReadFile(cert)
  result = cluster.Run(cluster.master, [
    "gnt-cluster", "renew-crypto", "-f", "--new-rapi-certificate",
    "--rapi-certificate", cert])
  assert result.returncode == 1
  assert "Only one of the --new-rapi-certificate and --rapi-certificate" \
    in result.stderr
  result = cluster.Run(cluster.master, [
    "gnt-cluster", "renew-crypto", "-f", "--rapi-certificate",
    os.path.join(cluster.dir, "no-such-file.pem")])
  assert result.returncode == 1
  assert utils.ReadFile(cert) == before
