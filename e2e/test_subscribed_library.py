"""Subscribed libraries with the official SDK (issue 13): a second depotd publishes a
library; the suite's depotd subscribes to its publish_url on demand, syncs metadata,
syncs one item with force_sync_content=True (cached), evicts it, and after the item is
deleted at the publisher the next item sync deletes it locally."""

import hashlib
import os
import ssl
import time
import uuid
from pathlib import Path

import pytest

from com.vmware.content.library_client import Item, SubscribedItem, SubscriptionInfo
from com.vmware.content_client import LibraryModel, SubscribedLibrary
from com.vmware.vapi.std.errors_client import InvalidElementType, NotFound
from harness import ADMIN_PASSWORD, ADMIN_USER, REPO, DepotServer, trusting_session

VCSP_PASSWORD = "Vcsp-publisher-1"
ISO = bytes((i * 37 + 11) % 251 for i in range(1 << 20))


def wait(predicate, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"never {what}")


class PublisherApi:
    """The publishing depotd over /api REST with an administrator session."""

    def __init__(self, server: DepotServer):
        self.server = server
        self.http = trusting_session(server.tls_verify)
        r = self.http.post(f"{server.url}/api/session", auth=(ADMIN_USER, ADMIN_PASSWORD))
        assert r.status_code == 201, r.text
        self.http.headers["vmware-api-session-id"] = r.json()

    def call(self, method: str, path: str, body=None, status: int = 200):
        r = self.http.request(method, f"{self.server.url}/api{path}", json=body)
        assert r.status_code == status, r.text
        return r.json() if r.content else None

    def library(self) -> str:
        return self.call("POST", "/content/local-library", {
            "name": f"pub-{uuid.uuid4().hex[:8]}", "type": "LOCAL",
            "publish_info": {"published": True, "authentication_method": "BASIC",
                             "user_name": "vcsp", "password": VCSP_PASSWORD}}, 201)

    def item_with_iso(self, library: str) -> str:
        item = self.call("POST", "/content/library/item",
                         {"library_id": library, "name": "installer", "type": "iso"}, 201)
        session = self.call("POST", "/content/library/item/update-session",
                            {"library_item_id": item}, 201)
        info = self.call("POST", f"/content/library/item/update-session/{session}/file",
                         {"name": "installer.iso", "source_type": "PUSH", "size": len(ISO)})
        r = self.http.put(info["upload_endpoint"]["uri"], data=ISO,
                          headers={"Content-Type": "application/octet-stream"})
        assert r.status_code == 200, r.text
        self.call("POST", f"/content/library/item/update-session/{session}?action=complete", None, 204)
        return item


@pytest.fixture(scope="module")
def publisher(tmp_path_factory):
    binary = Path(os.environ.get("DEPOTD_BIN") or REPO / "target" / "release" / "depotd")
    server = DepotServer(binary=binary, data_dir=tmp_path_factory.mktemp("publisher"),
                         log_file=REPO / "target" / "e2e" / "depotd-publisher.log")
    server.start()
    try:
        yield server
    finally:
        complaint = server.stop(check=True)
        assert complaint is None, f"{complaint}\n{server.log_tail(50)}"


def thumbprint(server: DepotServer) -> str:
    der = ssl.PEM_cert_to_DER_cert(server.cert.read_text())
    digest = hashlib.sha1(der).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def test_on_demand_subscription_to_another_depotd(publisher, vsphere_stub_config):
    pub = PublisherApi(publisher)
    pub_library = pub.library()
    pub_item = pub.item_with_iso(pub_library)
    publish_url = pub.call("GET", f"/content/local-library/{pub_library}")["publish_info"]["publish_url"]

    libraries = SubscribedLibrary(vsphere_stub_config)
    items, subscribed_items = Item(vsphere_stub_config), SubscribedItem(vsphere_stub_config)
    lib_id = libraries.create(client_token=str(uuid.uuid4()), create_spec=LibraryModel(
        name=f"mirror-{uuid.uuid4().hex[:8]}", type=LibraryModel.LibraryType.SUBSCRIBED,
        subscription_info=SubscriptionInfo(
            subscription_url=publish_url, on_demand=True, automatic_sync_enabled=False,
            authentication_method=SubscriptionInfo.AuthenticationMethod.BASIC,
            user_name="vcsp", password=VCSP_PASSWORD, ssl_thumbprint=thumbprint(publisher))))
    got = libraries.get(lib_id)
    assert got.type == LibraryModel.LibraryType.SUBSCRIBED and got.subscription_info.on_demand

    libraries.sync(lib_id)
    ids = wait(lambda: items.list(lib_id), "synced")
    assert len(ids) == 1
    item = items.get(ids[0])
    assert item.source_id == pub_item and not item.cached and item.size == len(ISO)

    subscribed_items.sync(ids[0], force_sync_content=True)
    wait(lambda: items.get(ids[0]).cached, "cached")

    subscribed_items.evict(ids[0])
    assert not items.get(ids[0]).cached

    with pytest.raises(InvalidElementType):
        items.delete(ids[0])

    pub.call("DELETE", f"/content/library/item/{pub_item}", None, 204)
    subscribed_items.sync(ids[0], force_sync_content=False)

    def deleted():
        try:
            items.get(ids[0])
            return False
        except NotFound:
            return True

    wait(deleted, "deleted after the publisher deleted it")
    libraries.delete(lib_id)
