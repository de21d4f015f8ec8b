"""gnt-os and the os query against a live two-node virtual cluster.

Every node gets a valid OS definition (API 20, two variants) in the first
directory of its OS search path; the second node also gets a broken one
(no create script).  The master asks both node daemons (os_diagnose) for
LUXI Query("os"), gnt-os list and gnt-os diagnose.
"""

import os

from ganeti import constants


def _WriteOs(top, name, with_create=True):
  os_dir = os.path.join(top, name)
  os.makedirs(os_dir)
  with open(os.path.join(os_dir, constants.OS_API_FILE), "w") as handle:
    handle.write("20\n")
  for script in sorted(constants.OS_SCRIPTS):
    if script == constants.OS_SCRIPT_CREATE and not with_create:
      continue
    path = os.path.join(os_dir, script)
    with open(path, "w") as handle:
      handle.write("#!/bin/sh\nexit 0\n")
    os.chmod(path, 0o755)
  with open(os.path.join(os_dir, constants.OS_VARIANTS_FILE), "w") as handle:
    handle.write("default\nminimal\n")
  with open(os.path.join(os_dir, constants.OS_PARAMETERS_FILE),
            "w") as handle:
    handle.write("mirror The package mirror\n")
  return os_dir


def test_os_list_and_diagnose(virtual_cluster):
  cluster = virtual_cluster(2)
  master = cluster.master
  other = [node for node in cluster.nodes if node != master][0]
  for node in cluster.nodes:
    _WriteOs(cluster.Path(node, "OS_SEARCH_PATH")[0], "debootstrap")
  broken = _WriteOs(cluster.Path(other, "OS_SEARCH_PATH")[0], "broken",
                    with_create=False)

  client = cluster.Client()
  try:
    response = client.Query(constants.QR_OS, ["name", "valid", "variants",
                                              "api_versions"], None)
  finally:
    client.Close()
  assert [fdef["name"] for fdef in response["fields"]] == [
    "name", "valid", "variants", "api_versions"]
  assert response["data"] == [
    [[0, "broken"], [0, False], [0, []], [0, []]],
    [[0, "debootstrap"], [0, True], [0, ["default", "minimal"]], [0, [20]]]]

  result = cluster.Run(master, ["gnt-os", "list"], check=True)
  assert result.stdout == "Name\ndebootstrap+default\ndebootstrap+minimal\n"

  result = cluster.Run(master, ["gnt-os", "diagnose"])
  assert result.returncode == 1, result.stderr
  lines = result.stdout.splitlines()
  assert "OS: broken [global status: invalid]" in lines
  assert "  Node: %s, status: OS not found" % master in lines
  assert ("  Node: %s, status: invalid - File 'create' under path '%s' is"
          " missing (path: %s) [no API versions declared]" %
          (other, broken, broken)) in lines
  assert "OS: debootstrap [global status: valid]" in lines
  assert "  Variants: [default, minimal]" in lines
  for node in cluster.nodes:
    path = os.path.join(cluster.Path(node, "OS_SEARCH_PATH")[0],
                        "debootstrap")
    assert ("  Node: %s, status: valid (path: %s) [API versions: 20]"
            " [variants: default, minimal] [parameters: mirror]" %
            (node, path)) in lines
