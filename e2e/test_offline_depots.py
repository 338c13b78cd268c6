"""ESX offline depots (com.vmware.esx.settings.depots.offline) with the official SDK:
a bundle generated in the real layout is uploaded to /vum-fileupload and imported by
PUSH with create$task over JSON-RPC, waited for with the SDK's task helper, and read
back (get, list, content.get); the same content again is AlreadyExists carrying the
first depot's id; a bundle is pulled from a loopback web server with HEADER_AUTH; the
REST form does the same with curl-like requests; delete$task removes a depot; the
imported depots are served as one online depot at /depot/esx/; and bad bundles (made
from a good one with Python's zipfile) fail their task with InvalidArgument, leaving no
depot."""

import http.server
import io
import os
import subprocess
import threading
import time
import warnings
import zipfile
from pathlib import Path

import pytest

from com.vmware.cis.task_client import Status
from com.vmware.esx.settings.depots.offline_client import Content
from com.vmware.esx.settings.depots_client import Offline
from com.vmware.vapi.std.errors_client import AlreadyExists, InvalidArgument

from harness import ADMIN_PASSWORD, ADMIN_USER

ROOT = Path(__file__).resolve().parent.parent


def write_bundle(path: Path, seed: int, vibs: int = 9) -> bytes:
    """A bundle from depot-esx's generator (scripts/e2e.sh builds it): two vendors, a
    base image, an add-on, a solution, hardware support, `vibs` VIBs of 64 KiB."""
    tool = os.environ.get("DEPOTD_WRITE_BUNDLE", str(ROOT / "target/release/examples/write_bundle"))
    subprocess.run([tool, str(path), str(vibs), "64", str(seed)], check=True, capture_output=True)
    return path.read_bytes()


def session_headers(client) -> dict:
    return {"vmware-api-session-id": str(client.get_session_id())}


def upload(depotd, http, client, data: bytes) -> str:
    r = http.post(f"{depotd.url}/vum-fileupload", data=data,
                  headers={**session_headers(client), "Content-Type": "application/zip"})
    assert r.status_code == 200, r.text
    return r.text.strip()


def finish(task, timeout: float = 60):
    """Polls the SDK's task helper to the end; the final info."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = task.get_info()
        if info.status in (Status.SUCCEEDED, Status.FAILED):
            return info
        time.sleep(0.1)
    raise AssertionError(f"task {task.get_task_id()} did not finish")


@pytest.fixture
def offline(vsphere_stub_config) -> Offline:
    # Not reachable from VsphereClient's attributes: built on its stub configuration.
    return Offline(vsphere_stub_config)


class HeaderAuthDepot(http.server.BaseHTTPRequestHandler):
    """Serves one bundle at /bundle.zip to requests carrying `X-Depot-Token: secret`."""
    bundle = b""

    def do_GET(self):  # noqa: N802 (http.server's name)
        if self.headers.get("X-Depot-Token") != "secret":
            self.send_error(401)
            return
        if self.path != "/bundle.zip":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/zip")
        self.send_header("Content-Length", str(len(self.bundle)))
        self.end_headers()
        self.wfile.write(self.bundle)

    def log_message(self, *args):
        pass


@pytest.fixture
def bundle_server(tmp_path):
    def serve(bundle: bytes) -> str:
        HeaderAuthDepot.bundle = bundle
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), HeaderAuthDepot)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/bundle.zip"

    servers = []
    yield serve
    for s in servers:
        s.shutdown()


def test_push_import_content_and_already_exists(depotd, http, vsphere_client, offline,
                                                vsphere_stub_config, tmp_path):
    zip_bytes = write_bundle(tmp_path / "a.zip", seed=101)
    file_id = upload(depotd, http, vsphere_client, zip_bytes)
    task = offline.create_task(Offline.CreateSpec(
        source_type=Offline.SourceType.PUSH, file_id=file_id, description="ESXi bundle",
        ownerdata="e2e"))
    info = finish(task)
    assert info.status == Status.SUCCEEDED, info.error
    result = task.get_result()
    assert isinstance(result, Offline.CreateResult)
    depot = result.depot

    got = offline.get(depot)
    assert got.description == "ESXi bundle"
    assert got.source_type == Offline.SourceType.PUSH
    assert got.file_id == file_id
    assert got.owner == ADMIN_USER
    assert got.ownerdata == "e2e"
    assert got.create_time is not None
    listed = offline.list()
    assert depot in listed and listed[depot].file_id == file_id

    content = Content(vsphere_stub_config).get(depot)
    bundles = [m for ms in content.metadata_bundles.values() for m in ms]
    assert bundles, content
    assert any(m.base_images for m in bundles)
    assert any(m.addons for m in bundles)
    assert any(m.independent_components for m in bundles)

    # The same bytes under another file id: refused up front with the first depot.
    again = upload(depotd, http, vsphere_client, zip_bytes)
    with pytest.raises(AlreadyExists) as refused:
        offline.create_task(Offline.CreateSpec(source_type=Offline.SourceType.PUSH,
                                               file_id=again))
    assert refused.value.data is not None
    assert refused.value.data.to_dict()["depot"] == depot

    # An unknown file_id: InvalidArgument at once, no task. (The SDK itself refuses a
    # PUSH spec without file_id before sending it.)
    with pytest.raises(InvalidArgument):
        offline.create_task(Offline.CreateSpec(source_type=Offline.SourceType.PUSH,
                                               file_id="6f1f0c7e-0000-4c3e-8a52-c1f9e6b20d5c"))

    # Served in the online depot at /depot/esx/ (Basic auth).
    r = http.get(f"{depotd.url}/depot/esx/index.xml", auth=(ADMIN_USER, ADMIN_PASSWORD))
    assert r.status_code == 200, r.text
    assert f"<relativePath>{depot}/" in r.text

    # delete$task removes it.
    info = finish(offline.delete_task(depot, Offline.DeleteSpec(force=True)))
    assert info.status == Status.SUCCEEDED, info.error
    assert depot not in offline.list()


def test_pull_with_header_auth(depotd, http, offline, bundle_server, tmp_path):
    location = bundle_server(write_bundle(tmp_path / "b.zip", seed=202))
    # Without the header the server answers 401: the task fails, no depot.
    task = offline.create_task(Offline.CreateSpec(source_type=Offline.SourceType.PULL,
                                                  location=location))
    info = finish(task)
    assert info.status == Status.FAILED
    before = set(offline.list())

    auth = Offline.AuthenticationSpec(
        method=Offline.AuthenticationSpec.AuthenticationMethod.HEADER_AUTH,
        authentication_key="X-Depot-Token", authentication_value="secret")
    task = offline.create_task(Offline.CreateSpec(source_type=Offline.SourceType.PULL,
                                                  location=location,
                                                  authentication_spec=auth))
    info = finish(task)
    assert info.status == Status.SUCCEEDED, info.error
    depot = task.get_result().depot
    assert depot not in before
    got = offline.get(depot)
    assert got.location == location and got.source_type == Offline.SourceType.PULL

    # The same URL again: the content exists, the task fails with AlreadyExists.
    task = offline.create_task(Offline.CreateSpec(source_type=Offline.SourceType.PULL,
                                                  location=location,
                                                  authentication_spec=auth))
    info = finish(task)
    assert info.status == Status.FAILED
    assert type(info.error).__name__ == "AlreadyExists", info.error
    finish(offline.delete_task(depot, Offline.DeleteSpec(force=True)))


def test_rest_form_with_plain_requests(depotd, http, tmp_path):
    sid = http.post(f"{depotd.url}/api/session", auth=(ADMIN_USER, ADMIN_PASSWORD)).json()
    headers = {"vmware-api-session-id": sid}
    base = f"{depotd.url}/api/esx/settings/depots/offline"
    try:
        zip_bytes = write_bundle(tmp_path / "c.zip", seed=303)
        r = http.post(f"{depotd.url}/vum-fileupload", data=zip_bytes,
                      headers={**headers, "Content-Type": "application/zip"})
        file_id = r.text.strip()
        r = http.post(f"{base}?vmw-task=true", headers=headers,
                      json={"source_type": "PUSH", "file_id": file_id})
        assert r.status_code == 202, r.text
        task = r.json()
        deadline = time.monotonic() + 60
        while True:
            info = http.get(f"{depotd.url}/api/cis/tasks/{task}", headers=headers).json()
            if info["status"] in ("SUCCEEDED", "FAILED") or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert info["status"] == "SUCCEEDED", info
        depot = info["result"]["depot"]
        r = http.get(f"{base}/{depot}/content", headers=headers)
        assert r.status_code == 200 and r.json()["metadata_bundles"], r.text

        again = http.post(f"{depotd.url}/vum-fileupload", data=zip_bytes,
                          headers={**headers, "Content-Type": "application/zip"}).text.strip()
        r = http.post(f"{base}?vmw-task=true", headers=headers,
                      json={"source_type": "PUSH", "file_id": again})
        assert r.status_code == 400, r.text
        assert r.json()["error_type"] == "ALREADY_EXISTS"
        assert r.json()["data"] == {"depot": depot}

        r = http.post(f"{base}?vmw-task=true", headers=headers,
                      json={"source_type": "PULL", "location": "ftp://example.com/x.zip"})
        assert r.status_code == 400 and r.json()["error_type"] == "INVALID_ARGUMENT", r.text
        r = http.delete(f"{base}/{depot}", headers=headers)
        assert r.status_code == 204, r.text
    finally:
        http.delete(f"{depotd.url}/api/session", headers=headers)


LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<metaList><metadata><productId>&lol2;</productId><url>metadata.zip</url></metadata></metaList>"""


def rezipped(good: bytes, change) -> bytes:
    """`good`'s entries copied into a new zip by `change(source, target)`."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as source, zipfile.ZipFile(out, "w") as target:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zipfile warns about a duplicate name
            change(source, target)
    return out.getvalue()


def copy_all(source, target, skip=()):
    for info in source.infolist():
        if info.filename not in skip:
            target.writestr(info, source.read(info))


def with_symlink(source, target):
    copy_all(source, target)
    link = zipfile.ZipInfo("vib20/link.vib")
    link.create_system = 3
    link.external_attr = 0o120777 << 16
    target.writestr(link, "/etc/shadow")


# Case -> (the bad bundle made from a good one, words of the task's error message).
BAD_BUNDLES = {
    "not-a-zip": (lambda good: b"not a zip " * 100, "not a valid zip archive"),
    "truncated": (lambda good: good[: len(good) * 2 // 3], "not a valid zip archive"),
    "duplicate-index": (lambda good: rezipped(good, lambda s, t: (
        copy_all(s, t), t.writestr("index.xml", "<vendorList/>"))),
        "two entries with the same name"),
    "symlink": (lambda good: rezipped(good, with_symlink), "vib20/link.vib is a symbolic link"),
    "dot-dot-name": (lambda good: rezipped(good, lambda s, t: (
        copy_all(s, t), t.writestr("../evil.txt", "x"))), '"../evil.txt" is not allowed'),
    "entity-expansion": (lambda good: rezipped(good, lambda s, t: (
        copy_all(s, t, skip={"vendor-index.xml"}), t.writestr("vendor-index.xml", LAUGHS))),
        "vendor-index.xml declares a DOCTYPE"),
    "missing-vendor-index": (lambda good: rezipped(good, lambda s, t: (
        copy_all(s, t, skip={"dell-vendor-index.xml"}))),
        "dell-vendor-index.xml is missing from the offline depot (named by index.xml)"),
}


@pytest.fixture(scope="module")
def good_bundle(tmp_path_factory) -> bytes:
    return write_bundle(tmp_path_factory.mktemp("good") / "good.zip", seed=505, vibs=7)


@pytest.mark.parametrize("case", list(BAD_BUNDLES))
def test_a_bad_bundle_fails_its_task_and_leaves_no_depot(depotd, http, vsphere_client, offline,
                                                         good_bundle, case):
    before = set(offline.list())
    make, says = BAD_BUNDLES[case]
    file_id = upload(depotd, http, vsphere_client, make(good_bundle))
    task = offline.create_task(Offline.CreateSpec(source_type=Offline.SourceType.PUSH,
                                                  file_id=file_id))
    info = finish(task)
    assert info.status == Status.FAILED
    assert isinstance(info.error, InvalidArgument), info.error
    assert says in info.error.messages[0].default_message, info.error
    assert set(offline.list()) == before
