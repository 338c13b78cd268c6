"""com.vmware.vcenter.datastore through the SDK (vAPI JSON-RPC), and the legacy /rest
session login whose id the SDK and /api accept."""

import pytest

from com.vmware.vapi.std.errors_client import NotFound, Unauthenticated
from com.vmware.vcenter_client import Datastore
from vmware.vapi.vsphere.client import create_vsphere_client

from harness import ADMIN_PASSWORD, ADMIN_USER, ADMIN_VSPHERE_NAME, trusting_session

DATASTORE_ID = "datastore-depot"
REST_SESSION = "/rest/com/vmware/cis/session"


def test_datastore_list_and_get(depotd, vsphere_client):
    summaries = vsphere_client.vcenter.Datastore.list()
    assert [s.datastore for s in summaries] == [DATASTORE_ID]
    summary = summaries[0]
    assert summary.name == "depot-blobs"
    # OTHER is not among the binding's seven values: the SDK keeps it as an unknown
    # value of the open enumeration instead of failing.
    assert summary.type == "OTHER"
    assert isinstance(summary.type, Datastore.Type) and summary.type.is_unknown()
    info = vsphere_client.vcenter.Datastore.get(DATASTORE_ID)
    assert info.name == summary.name
    assert info.accessible is True
    assert info.multiple_host_access is False
    if depotd.stores is None:
        # A local directory: the file system's size and free space.
        assert summary.capacity >= summary.free_space > 0
        assert 0 < info.free_space <= summary.capacity
    else:
        # An S3 bucket has no capacity: both optional fields are left out, the
        # datastore is still accessible.
        assert (summary.capacity, summary.free_space, info.free_space) == (None, None, None), (summary, info)


def test_datastore_list_filters(vsphere_client):
    datastores = vsphere_client.vcenter.Datastore
    by_name = datastores.list(Datastore.FilterSpec(names={"depot-blobs"}))
    assert [s.datastore for s in by_name] == [DATASTORE_ID]
    assert datastores.list(Datastore.FilterSpec(types={Datastore.Type.VMFS})) == []
    assert datastores.list(Datastore.FilterSpec(datacenters={"datacenter-1"})) == []


def test_unknown_datastore_is_not_found(vsphere_client):
    with pytest.raises(NotFound):
        vsphere_client.vcenter.Datastore.get("datastore-1")


def test_rest_login_gives_a_session_the_sdk_and_api_accept(depotd, sdk_session):
    with trusting_session(depotd.tls_verify) as rest:
        r = rest.post(f"{depotd.url}{REST_SESSION}", auth=(ADMIN_USER, ADMIN_PASSWORD))
        assert r.status_code == 200, r.text
        session_id = r.json()["value"]
        assert r.headers["Set-Cookie"] == f"vmware-api-session-id={session_id}; Path=/rest; Secure; HttpOnly"

        api = rest.get(f"{depotd.url}/api/session", headers={"vmware-api-session-id": session_id})
        assert api.status_code == 200, api.text
        assert api.json()["user"] == ADMIN_VSPHERE_NAME

        client = create_vsphere_client(server=depotd.hostport, session_id=session_id, session=sdk_session())
        assert client.session_svc.get().user == ADMIN_VSPHERE_NAME
        assert client.vcenter.Datastore.get(DATASTORE_ID).name == "depot-blobs"

        # The cookie requests kept from the login is the session on /rest.
        got = rest.get(f"{depotd.url}{REST_SESSION}")
        assert got.status_code == 200, got.text
        assert got.json()["value"]["user"] == ADMIN_VSPHERE_NAME
        ended = rest.delete(f"{depotd.url}{REST_SESSION}")
        assert ended.status_code == 200 and ended.content == b"", ended.text

        with pytest.raises(Unauthenticated):
            client.session_svc.get()
        gone = rest.get(f"{depotd.url}{REST_SESSION}")
        assert gone.status_code == 401
        assert gone.json()["type"] == "com.vmware.vapi.std.errors.unauthenticated"


def test_rest_errors_are_in_the_legacy_body(http, depotd):
    r = http.get(f"{depotd.url}/rest/com/vmware/nothing")
    assert r.status_code == 404
    assert r.json()["type"] == "com.vmware.vapi.std.errors.operation_not_found"
    r = http.put(f"{depotd.url}{REST_SESSION}", json={})
    assert r.status_code == 405
    assert r.json()["value"]["error_type"] == "INVALID_REQUEST"
