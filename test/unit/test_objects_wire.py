"""Tests of ganeti.objects_wire: query2, confd and status objects."""

import pytest
import simplejson

from ganeti import constants
from ganeti import errors
from ganeti import objects


def _JsonRoundTrip(obj):
  return obj.__class__.FromDict(simplejson.loads(simplejson.dumps(
    obj.ToDict())))


@pytest.mark.parametrize("obj", [
  objects.BlockDevStatus(dev_path="/dev/drbd0", major=147, minor=0,
                         sync_percent=55.5, estimated_time=30,
                         is_degraded=True, ldisk_status=1),
  objects.ImportExportStatus(recent_output=["a", "b"], listen_port=1234,
                             connected=True, progress_mbytes=10,
                             progress_throughput=1.5, progress_eta=3,
                             progress_percent=20, exit_status=0,
                             error_message=None, ctime=1.0, mtime=2.0),
  objects.ImportExportOptions(key_name="k", ca_pem="PEM", compress="gzip",
                              magic="m", ipv6=False, connect_timeout=60),
  objects.MigrationStatus(status="active", transferred_ram=10, total_ram=20),
  objects.MasterNetworkParameters(name="node1", ip="192.0.2.1", netmask=24,
                                  netdev="eth0", ip_family=2),
  objects.QueryRequest(what="node", fields=["name"],
                       qfilter=["=", "name", "node1"]),
  objects.QueryFieldsRequest(what="instance", fields=None),
  objects.ConfdRequest(protocol=1, type=1, query="node1", rsalt="salt"),
  objects.ConfdReply(protocol=1, status=0, answer={"a": [1]}, serial=5),
  ])
def test_simple_objects_round_trip(obj):
  assert _JsonRoundTrip(obj) == obj


def test_query_response_fields_become_objects():
  resp = objects.QueryResponse(
    fields=[objects.QueryFieldDefinition(name="name", title="Node",
                                         kind="text", doc="Node name")],
    data=[[[0, "node1"]], [[0, "node2"]]])
  data = resp.ToDict()
  assert data == {
    "fields": [{"name": "name", "title": "Node", "kind": "text",
                "doc": "Node name"}],
    "data": [[[0, "node1"]], [[0, "node2"]]],
    }
  loaded = objects.QueryResponse.FromDict(simplejson.loads(
    simplejson.dumps(data)))
  assert isinstance(loaded.fields[0], objects.QueryFieldDefinition)
  assert loaded.fields[0].title == "Node"
  assert loaded == resp


def test_query_fields_response_round_trip():
  resp = objects.QueryFieldsResponse(fields=[
    objects.QueryFieldDefinition(name="a", title="A", kind="number", doc="x"),
    objects.QueryFieldDefinition(name="b", title="B", kind="bool", doc="y"),
    ])
  assert _JsonRoundTrip(resp) == resp


def test_query_response_refuses_bad_fields():
  with pytest.raises(errors.ConfigurationError,
                     match="QueryResponse.fields must be a list"):
    objects.QueryResponse.FromDict({"fields": "name", "data": []})
  with pytest.raises(errors.ConfigurationError,
                     match="Unknown attribute 'size' in QueryFieldDefinition"):
    objects.QueryFieldsResponse.FromDict({"fields": [{"size": 1}]})


@pytest.mark.parametrize("kwargs", [
  dict(kind=constants.CONS_MESSAGE, message="Instance is down"),
  dict(kind=constants.CONS_SSH, host="node1", user="root",
       command=["xm", "console", "inst1"]),
  dict(kind=constants.CONS_SPICE, host="192.0.2.1", port=5900),
  dict(kind=constants.CONS_VNC, host="node1", port=5901, display=1),
  ])
def test_console_validate_accepts_complete(kwargs):
  console = objects.InstanceConsole(instance="inst1", **kwargs)
  assert console.Validate() is True
  assert _JsonRoundTrip(console) == console


@pytest.mark.parametrize("kwargs, message", [
  (dict(instance="inst1", kind="telnet"), "Unknown console kind 'telnet'"),
  (dict(instance="inst1", kind=None), "Unknown console kind None"),
  (dict(kind=constants.CONS_MESSAGE, message="x"), "has no instance name"),
  (dict(instance="inst1", kind=constants.CONS_MESSAGE), "lacks 'message'"),
  (dict(instance="inst1", kind=constants.CONS_SSH, host="n", user="root"),
   "lacks 'command'"),
  (dict(instance="inst1", kind=constants.CONS_VNC, host="n", port=5900),
   "lacks 'display'"),
  (dict(instance="inst1", kind=constants.CONS_SPICE, port=5900),
   "lacks 'host'"),
  ])
def test_console_validate_refuses_incomplete(kwargs, message):
  with pytest.raises(errors.ConfigurationError, match=message):
    objects.InstanceConsole(**kwargs).Validate()
