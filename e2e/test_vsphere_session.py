"""com.vmware.cis.session over vAPI JSON-RPC (POST /api), as the Python SDK uses it."""

import datetime

import pytest

from com.vmware.cis_client import Session
from com.vmware.vapi.std.errors_client import Unauthenticated
from vmware.vapi.vsphere.client import create_vsphere_client

from harness import ADMIN_PASSWORD, ADMIN_USER, ADMIN_VSPHERE_NAME


def test_login_and_get_session(vsphere_client):
    # create_vsphere_client() already ran session.create with user_pass credentials.
    assert vsphere_client.get_session_id()
    info = vsphere_client.session_svc.get()
    assert info.user == ADMIN_VSPHERE_NAME
    assert isinstance(info.created_time, datetime.datetime)
    assert isinstance(info.last_accessed_time, datetime.datetime)
    assert info.last_accessed_time >= info.created_time


def test_session_stub_on_client_config(vsphere_client, vsphere_stub_config):
    # The same service through a stub built on the client's configuration.
    assert Session(vsphere_stub_config).get().user == ADMIN_VSPHERE_NAME


def test_wrong_password_is_unauthenticated(depotd, sdk_session):
    # Counts as a failed login for 127.0.0.1 (see test_sddc_manager's note on throttling).
    with pytest.raises(Unauthenticated):
        create_vsphere_client(server=depotd.hostport, username=ADMIN_USER, password="not-the-password",
                              session=sdk_session())


def test_deleted_session_is_unauthenticated(depotd, vsphere_client, sdk_session):
    session_id = vsphere_client.get_session_id()
    vsphere_client.session_svc.delete()
    with pytest.raises(Unauthenticated):
        vsphere_client.session_svc.get()
    # The same id in a new client (no login: session_id skips session.create).
    stale = create_vsphere_client(server=depotd.hostport, session_id=session_id, session=sdk_session())
    with pytest.raises(Unauthenticated):
        stale.session_svc.get()


def test_existing_session_id_can_be_reused(depotd, vsphere_client, sdk_session):
    # A second client over its own HTTP connection pool, given only the session id.
    # (Quirk: VsphereClient.__del__ calls session.delete, so when this client is
    # garbage-collected the shared vSphere session ends too.)
    reused = create_vsphere_client(server=depotd.hostport, session_id=vsphere_client.get_session_id(),
                                   session=sdk_session())
    assert reused.get_session_id() == vsphere_client.get_session_id()
    assert reused.session_svc.get().user == ADMIN_VSPHERE_NAME
    # The original client is still logged in.
    assert vsphere_client.session_svc.get().user == ADMIN_VSPHERE_NAME


def test_sessions_are_per_login(vsphere_login):
    first = vsphere_login(ADMIN_USER, ADMIN_PASSWORD)
    second = vsphere_login(ADMIN_USER, ADMIN_PASSWORD)
    assert first.get_session_id() != second.get_session_id()
    first.session_svc.delete()
    # Ending one session leaves the other alone.
    assert second.session_svc.get().user == ADMIN_VSPHERE_NAME


def test_session_of_other_user(vsphere_login, add_user):
    name, password = add_user("ReadOnly")
    client = vsphere_login(name, password)
    local, domain = name.split("@")
    assert client.session_svc.get().user == f"{domain.upper()}\\{local}"
