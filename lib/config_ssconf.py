"""The ssconf values computed from the cluster configuration.

Layer 5 (master side), a helper of ``ganeti.config``: turns a ConfigData
into the 22 ``ssconf_*`` values (text, as written to the files). It must
not write the files or talk to nodes; ConfigWriter calls it under its lock
and the node daemon side distributes the result.
"""

from ganeti import constants
from ganeti import errors
from ganeti import ssconf
from ganeti import uidpool
from ganeti import utils


def ComputeSsconfValues(data):
  """The ssconf values of a configuration, node and instance lists nice-sorted.

  @type data: L{objects.ConfigData}
  @rtype: dict of str to str
  @raise errors.ConfigurationError: a value is missing (incomplete config)

  """
  cluster = data.cluster
  join = "\n".join
  node_names = utils.NiceSort(list(data.nodes))
  nodes = [data.nodes[name] for name in node_names]
  groups = utils.NiceSort(["%s %s" % (group.uuid, group.name)
                           for group in data.nodegroups.values()])
  values = {
    ssconf.SS_CLUSTER_NAME: cluster.cluster_name,
    ssconf.SS_CLUSTER_TAGS: join(sorted(cluster.GetTags())),
    ssconf.SS_FILE_STORAGE_DIR: cluster.file_storage_dir,
    ssconf.SS_SHARED_FILE_STORAGE_DIR: cluster.shared_file_storage_dir,
    ssconf.SS_MASTER_CANDIDATES: join(n.name for n in nodes
                                      if n.master_candidate),
    ssconf.SS_MASTER_CANDIDATES_IPS: join(n.primary_ip for n in nodes
                                          if n.master_candidate),
    ssconf.SS_MASTER_IP: cluster.master_ip,
    ssconf.SS_MASTER_NETDEV: cluster.master_netdev,
    ssconf.SS_MASTER_NETMASK: str(cluster.master_netmask),
    ssconf.SS_MASTER_NODE: cluster.master_node,
    ssconf.SS_NODE_LIST: join(node_names),
    ssconf.SS_NODE_PRIMARY_IPS: join("%s %s" % (n.name, n.primary_ip)
                                     for n in nodes),
    ssconf.SS_NODE_SECONDARY_IPS: join("%s %s" % (n.name, n.secondary_ip)
                                       for n in nodes),
    ssconf.SS_OFFLINE_NODES: join(n.name for n in nodes if n.offline),
    ssconf.SS_ONLINE_NODES: join(n.name for n in nodes if not n.offline),
    ssconf.SS_PRIMARY_IP_FAMILY: str(cluster.primary_ip_family),
    ssconf.SS_INSTANCE_LIST: join(utils.NiceSort(list(data.instances))),
    ssconf.SS_RELEASE_VERSION: constants.RELEASE_VERSION,
    ssconf.SS_HYPERVISOR_LIST: join(cluster.enabled_hypervisors),
    ssconf.SS_MAINTAIN_NODE_HEALTH: str(bool(cluster.maintain_node_health)),
    ssconf.SS_UID_POOL: uidpool.FormatUidPool(cluster.uid_pool or [],
                                              separator="\n"),
    ssconf.SS_NODEGROUPS: join(groups),
    }
  bad = sorted(key for key, value in values.items()
               if not isinstance(value, str))
  if bad:
    raise errors.ConfigurationError("Some ssconf values are not strings"
                                    " (%s), the configuration is"
                                    " incomplete" % ", ".join(bad))
  return values
