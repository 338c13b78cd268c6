"""ESX online depots (com.vmware.esx.settings.depots.online) with the official SDK: a
first depotd imports a generated bundle and serves it at /depot/esx/ (anonymous
downstream); a second depotd, trusting the first one's certificate, gets that URL as
an online depot with `Online.create`, syncs it with `Depots.sync_task` (waited for with
the SDK's task helper) and reads the same metadata back with `online.Content.get`.

Two module-scoped servers of their own: the suite's depotd serves /depot/esx/ only with
Basic auth (an online depot location carries no credentials) and trusts no other
server's certificate."""

import os
import time
from pathlib import Path

import pytest

from com.vmware.cis.task_client import Status
from com.vmware.esx.settings.depots.online_client import Content as OnlineContent
from com.vmware.esx.settings.depots_client import Online
from com.vmware.esx.settings_client import Depots
from harness import ADMIN_PASSWORD, ADMIN_USER, REPO, DepotServer, trusting_session
from test_offline_depots import finish, write_bundle

BINARY = Path(os.environ.get("DEPOTD_BIN") or REPO / "target" / "release" / "depotd")


def started(server: DepotServer):
    server.start()
    try:
        yield server
    finally:
        complaint = server.stop(check=True)
        assert complaint is None, f"{complaint}\n{server.log_tail(50)}"


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    """Serves its imported offline depots at /depot/esx/ without credentials."""
    yield from started(DepotServer(
        binary=BINARY, data_dir=tmp_path_factory.mktemp("esx-first"),
        log_file=REPO / "target" / "e2e" / "depotd-esx-first.log",
        extra_args=["--downstream-anonymous", "true"]))


@pytest.fixture(scope="module")
def second(tmp_path_factory, first):
    """Trusts the first one's certificate for depots (`[depot] trusted_certificates`)."""
    config = tmp_path_factory.mktemp("esx-second-config") / "depotd.toml"
    config.write_text(f'[depot]\ntrusted_certificates = ["{first.cert}"]\n')
    yield from started(DepotServer(
        binary=BINARY, data_dir=tmp_path_factory.mktemp("esx-second"),
        log_file=REPO / "target" / "e2e" / "depotd-esx-second.log",
        extra_args=["--config", str(config)]))


def rest_import(server: DepotServer, zip_bytes: bytes) -> tuple[str, dict]:
    """Uploads and imports `zip_bytes` over REST; the depot id and its content."""
    http = trusting_session(server.tls_verify)
    sid = http.post(f"{server.url}/api/session", auth=(ADMIN_USER, ADMIN_PASSWORD)).json()
    http.headers["vmware-api-session-id"] = sid
    file_id = http.post(f"{server.url}/vum-fileupload", data=zip_bytes,
                        headers={"Content-Type": "application/zip"}).text.strip()
    base = f"{server.url}/api/esx/settings/depots/offline"
    r = http.post(f"{base}?vmw-task=true", json={"source_type": "PUSH", "file_id": file_id})
    assert r.status_code == 202, r.text
    deadline = time.monotonic() + 60
    while True:
        info = http.get(f"{server.url}/api/cis/tasks/{r.json()}").json()
        if info["status"] in ("SUCCEEDED", "FAILED") or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert info["status"] == "SUCCEEDED", info
    depot = info["result"]["depot"]
    content = http.get(f"{base}/{depot}/content").json()
    http.delete(f"{server.url}/api/session")
    return depot, content


def release_names(bundles) -> set:
    """The add-ons and independent components of every metadata bundle, by name (SDK
    objects or JSON, where an empty one is left out)."""
    names = set()
    for infos in bundles.values():
        for info in infos:
            for field in ("addons", "independent_components"):
                found = info.get(field) if isinstance(info, dict) else getattr(info, field)
                names.update(f"{field}:{name}" for name in (found or {}))
    return names


def test_a_second_depotd_syncs_the_first_ones_online_depot(first, second, tmp_path):
    from vmware.vapi.vsphere.client import create_vsphere_client

    _, offline_content = rest_import(first, write_bundle(tmp_path / "served.zip", seed=404))
    client = create_vsphere_client(server=second.hostport, username=ADMIN_USER,
                                   password=ADMIN_PASSWORD,
                                   session=trusting_session(second.tls_verify))
    stub_config = client._stub_config  # no esx attribute on VsphereClient
    online = Online(stub_config)
    location = f"{first.url}/depot/esx/index.xml"
    depot = online.create(Online.CreateSpec(location=location, description="first depotd"))
    got = online.get(depot)
    assert got.location == location and got.enabled and got.owner == ADMIN_USER
    assert depot in online.list()

    task = Depots(stub_config).sync_task(Depots.SyncSpec(cleanup=False))
    info = finish(task)
    assert info.status == Status.SUCCEEDED, info.error

    content = OnlineContent(stub_config).get(depot)
    bundles = [m for ms in content.metadata_bundles.values() for m in ms]
    assert any(m.base_images for m in bundles), content
    assert any(m.addons for m in bundles), content
    expected = release_names(offline_content["metadata_bundles"])
    assert "addons:DEL-ESXi" in expected, expected
    assert release_names(content.metadata_bundles) == expected

    # delete$task takes it away with its content.
    info = finish(online.delete_task(depot, Online.DeleteSpec(force=False)))
    assert info.status == Status.SUCCEEDED, info.error
    assert depot not in online.list()
    client.session_svc.delete()
