"""Depot metadata sync from an upstream depot served by the test itself.

An offline depot (plain HTTP, Basic auth) runs in a thread of this process (`Upstream`,
module fixture `upstream`): the test writes its files — the product version catalog
(PVC) signed with the session PKI (`depotd catalog sign`), its signature, the release
manifest (URM) and the compatibility data — and the depot answers them with an ETag
(the SHA-256 of the content), honours If-None-Match with 304 and logs every request.

Driven through the SDK wherever a binding exists:
- vmware.sddc_manager: depot settings (GET/PUT/DELETE), depot-sync-info (GET, PATCH
  starts a sync), machine-details, the product version catalog the sync made current;
- vcf.fleet_lcm: `depot-metadata?action=sync`, the sync task (get_task, retry_task),
  release-versions.
Hand-made requests only for the downstream depot (`GET /depot/<path>`, Basic auth).

The sync lands its catalog in the server's one catalog store, under the same rollback
rule as uploads, so the catalogs published here carry sequence numbers far above those
of test_product_version_catalogs.py (which counts from 1000). For the same reason this
module runs after every other one (marker `run_last`, see conftest.py): a catalog test
running afterwards would have its uploads refused as rollbacks.

The module fixture `depot` stores the depot settings and syncs once; every test leaves
the upstream and the settings as it found them, and the settings are deleted at the end.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import itertools
import json
import threading
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Optional
from urllib.parse import unquote, urlsplit

import pytest

from vcf.fleet_lcm.model_client import ErrorResponse, PageOfReleaseVersions, Task
from vcf.fleet_lcm.v1_client import DepotMetadata, ReleaseVersions, Tasks
from vmware.sddc_manager.model_client import (DepotAccount, DepotConfiguration, DepotSettings, Error,
                                              ProductVersionCatalog, ProductVersionCatalogWithSignatureSpec)
from vmware.sddc_manager.model_client import DepotSyncInfo as SyncInfo
from vmware.sddc_manager.v1.product_version_catalogs_client import UploadTasks
from vmware.sddc_manager.v1.system.settings.depot_client import DepotSyncInfo, MachineDetails
from vmware.sddc_manager.v1.system.settings_client import Depot
from vmware.sddc_manager.v1_client import ProductVersionCatalogs

from harness import (ADMIN_PASSWORD, ADMIN_USER, CatalogPki, DepotServer, catalog_document, catalog_patch,
                     free_port, make_catalog_pki, rest_stub_config, trusting_session, wait_for)

pytestmark = pytest.mark.run_last

CATALOG = "PROD/metadata/productVersionCatalog/v1/productVersionCatalog.json"
SIGNATURE = "PROD/metadata/productVersionCatalog/v1/productVersionCatalog.sig"
MANIFEST = "PROD/metadata/manifest/v1/vcfManifest.json"
COMPATIBILITY = "PROD/metadata/Compatibility/VmwareCompatibilityData.json"
FILES = (CATALOG, SIGNATURE, MANIFEST, COMPATIBILITY)

STAGES = ["connect", "download-pvc", "verify-pvc", "download-urm", "validate-urm", "apply"]
TERMINAL = ("SUCCEEDED", "FAILED", "CANCELED")

DEPOT_USER = "depot-reader"
DEPOT_PASSWORD = "Upstream-Passw0rd!"

# Catalog sequence numbers: above anything the catalog tests upload, always increasing.
SEQUENCE = itertools.count(10**9 + 1)

MANIFEST_DOCUMENT = {
    "version": 1,
    "sequenceNumber": 1,
    "releases": [
        {"product": "VCF", "version": "9.1.0.0",
         "bom": [{"name": "VCENTER", "version": "9.1.0.0.100", "publicName": "vCenter"},
                 {"name": "NSX_T_MANAGER", "version": "9.1.0.0.300", "publicName": "NSX"}]},
        {"product": "VCF", "version": "9.0.0.0",
         "bom": [{"name": "VCENTER", "version": "9.0.0.0.10", "publicName": "vCenter"}]},
    ],
}
MANIFEST_BYTES = json.dumps(MANIFEST_DOCUMENT, indent=2).encode() + b"\n"


# ------------------------------------------------------------------ the upstream


class Upstream:
    """An offline depot on 127.0.0.1 (plain HTTP, Basic auth), serving `files`
    (depot path -> bytes) with ETag = the quoted SHA-256 of the content; If-None-Match
    naming it answers 304. Every request is logged as (path, status). A path can be
    gated: its requests wait until the test releases the gate."""

    def __init__(self, username: str, password: str):
        self.username = username
        self.password = password
        self.files: dict[str, bytes] = {}
        self.log: list[tuple[str, int]] = []
        self._lock = threading.Lock()
        self._gates: dict[str, tuple[threading.Event, threading.Event]] = {}
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 (http.server's naming)
                upstream._serve(self, head=False)

            def do_HEAD(self):  # noqa: N802
                upstream._serve(self, head=True)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="upstream-depot", daemon=True)

    # ------------------------------------------------------------ lifecycle

    def start(self) -> "Upstream":
        self._thread.start()
        return self

    def stop(self) -> None:
        for _, release in list(self._gates.values()):
            release.set()
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        """The depot URL as the settings name it (`.../PROD`, as in the contract)."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/PROD"

    # ------------------------------------------------------------ test controls

    def etag(self, path: str) -> str:
        return f'"{hashlib.sha256(self.files[path]).hexdigest()}"'

    def mark(self) -> int:
        """Where the request log stands now (for `since`)."""
        with self._lock:
            return len(self.log)

    def since(self, mark: int) -> list[tuple[str, int]]:
        with self._lock:
            return list(self.log[mark:])

    def gate(self, path: str) -> tuple[threading.Event, threading.Event]:
        """Makes requests for `path` wait: returns (arrived, release); `arrived` is set
        when such a request came in, setting `release` lets it (and later ones) through."""
        arrived, release = threading.Event(), threading.Event()
        self._gates[path] = (arrived, release)
        return arrived, release

    def ungate(self, path: str) -> None:
        gate = self._gates.pop(path, None)
        if gate:
            gate[1].set()

    # ------------------------------------------------------------ serving

    def _serve(self, handler: BaseHTTPRequestHandler, head: bool) -> None:
        path = unquote(urlsplit(handler.path).path).lstrip("/")
        status, headers, body = self._answer(handler, path)
        with self._lock:
            self.log.append((path, status))
        try:
            handler.send_response(status)
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(body)) if status != 304 else "0")
            handler.end_headers()
            if not head and status != 304:
                handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the connection check reads the headers only

    def _answer(self, handler: BaseHTTPRequestHandler, path: str) -> tuple[int, dict, bytes]:
        expected = "Basic " + base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        if handler.headers.get("Authorization") != expected:
            return 401, {"WWW-Authenticate": 'Basic realm="depot"'}, b"unauthorized\n"
        gate = self._gates.get(path)
        if gate:
            gate[0].set()
            gate[1].wait(timeout=60)
        body = self.files.get(path)
        if body is None:
            return 404, {"Content-Type": "text/plain"}, b"not found\n"
        etag = f'"{hashlib.sha256(body).hexdigest()}"'
        headers = {"ETag": etag}
        wanted = handler.headers.get("If-None-Match")
        if wanted is not None:
            tags = [t.strip().removeprefix("W/") for t in wanted.split(",")]
            if etag in tags or "*" in tags:
                return 304, headers, b""
        headers["Content-Type"] = "application/json" if path.endswith(".json") else "application/octet-stream"
        return 200, headers, body


@dataclass
class Published:
    """A catalog as the upstream serves it."""
    document: dict
    catalog: bytes
    signature: bytes

    @property
    def sequence(self) -> int:
        return self.document["sequenceNumber"]


class Publisher:
    """Writes catalogs, signs them with `depotd catalog sign` and puts them on the
    upstream."""

    def __init__(self, depotd: DepotServer, pki: CatalogPki, upstream: Upstream, directory: Path):
        self.depotd = depotd
        self.pki = pki
        self.upstream = upstream
        self.directory = directory

    def make(self) -> Published:
        """A fresh catalog (next sequence number), signed with the session PKI: an
        envelope with the signing certificate."""
        sequence = next(SEQUENCE)
        document = catalog_document(sequence, {
            # Release versions list a component's patches on the same release line (first
            # three numbers) that are not older than the release's bill of materials.
            "VCENTER": [catalog_patch("VCENTER", "9.1.0.0.200"), catalog_patch("VCENTER", "9.1.0.0.50"),
                        catalog_patch("VCENTER", "9.2.0.0.1")],
            "NSX_T_MANAGER": [catalog_patch("NSX_T_MANAGER", "9.1.0.0.400")],
        })
        directory = self.directory / f"pvc-{sequence}-{uuid.uuid4().hex[:8]}"
        directory.mkdir()
        catalog = directory / "productVersionCatalog.json"
        catalog.write_text(json.dumps(document, indent=2) + "\n")
        signature = self.depotd.sign_catalog(catalog, self.pki.signer_key, cert=self.pki.signer_cert,
                                             out=directory / "productVersionCatalog.sig")
        return Published(document, catalog.read_bytes(), signature.read_bytes())

    def put(self, published: Published) -> Published:
        self.upstream.files[CATALOG] = published.catalog
        self.upstream.files[SIGNATURE] = published.signature
        return published

    def publish(self) -> Published:
        return self.put(self.make())


# ------------------------------------------------------------------ the server's APIs


class Api:
    """The SDK services this module uses, with a fresh bearer token; for module-scoped
    fixtures, which cannot use the function-scoped stub configurations of conftest."""

    def __init__(self, depotd: DepotServer, corpus):
        self.sessions = [trusting_session(depotd.tls_verify, recorder=corpus) for _ in range(2)]
        r = self.sessions[0].post(f"{depotd.url}/v1/tokens", json={"username": ADMIN_USER, "password": ADMIN_PASSWORD})
        assert r.status_code in (200, 201), r.text
        token = r.json()["accessToken"]
        sddc = rest_stub_config(self.sessions[0], depotd.url, token)
        fleet = rest_stub_config(self.sessions[1], f"{depotd.url}/fleet-lcm", token)
        self.settings = Depot(sddc)
        self.fleet_tasks = Tasks(fleet)
        self.depot_metadata = DepotMetadata(fleet)

    def close(self) -> None:
        for s in self.sessions:
            s.close()


def offline_settings(url: Optional[str] = None, username: Optional[str] = DEPOT_USER,
                     password: Optional[str] = DEPOT_PASSWORD, **configuration) -> DepotSettings:
    """Offline depot settings (Basic auth); `configuration`: more DepotConfiguration fields."""
    return DepotSettings(offline_account=DepotAccount(username=username, password=password),
                         depot_configuration=DepotConfiguration(is_offline_depot=True, url=url, **configuration))


def finish(tasks: Tasks, task_id: str, timeout: float = 60.0) -> Task:
    """Polls get_task until the task is terminal."""
    def probe():
        task = tasks.get_task(task_id)
        return task if task.status in TERMINAL else None

    return wait_for(probe, f"depot sync task {task_id}", timeout=timeout, interval=0.1)


def stage_statuses(task: Task) -> dict:
    return {s.id: s.status for s in task.stages}


def assert_succeeded(task: Task) -> None:
    assert task.status == "SUCCEEDED", task
    assert task.name == "depot_metadata_sync", task
    assert [s.id for s in task.stages] == STAGES, task
    assert all(s.status == "SUCCEEDED" for s in task.stages), stage_statuses(task)
    assert task.retriable is False and task.cancellable is False, task


def details(struct) -> dict:
    """A dynamic struct of the SDK (Task.result, Task.additional_details) as a dict."""
    return struct.to_dict() if struct is not None else {}


def wire_time(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


# ------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def upstream() -> Upstream:
    depot = Upstream(DEPOT_USER, DEPOT_PASSWORD).start()
    yield depot
    depot.stop()


@pytest.fixture(scope="module")
def publisher(depotd, catalog_pki, upstream, tmp_path_factory) -> Publisher:
    publisher = Publisher(depotd, catalog_pki, upstream, tmp_path_factory.mktemp("upstream-depot"))
    publisher.publish()
    upstream.files[MANIFEST] = MANIFEST_BYTES
    upstream.files[COMPATIBILITY] = b'{"compatibility": []}\n'
    return publisher


@pytest.fixture(scope="module")
def depot(depotd, corpus, upstream, publisher) -> Upstream:
    """The depot settings name the upstream and one sync succeeded; at the end the
    settings are deleted (other modules see no depot)."""
    api = Api(depotd, corpus)
    try:
        stored = api.settings.update_depot_settings(offline_settings(upstream.url))
        assert stored.offline_account.status == "DEPOT_CONNECTION_SUCCESSFUL", stored
        task = api.depot_metadata.sync_depot_metadata()
        assert_succeeded(finish(api.fleet_tasks, task.id))
    finally:
        api.close()
    yield upstream
    api = Api(depotd, corpus)
    try:
        api.settings.delete_depot_settings()
    finally:
        api.close()


@pytest.fixture
def sddc(sddc_stub_config):
    """The SDDC Manager services of this module."""
    class Services:
        settings = Depot(sddc_stub_config)
        sync_info = DepotSyncInfo(sddc_stub_config)
        machine = MachineDetails(sddc_stub_config)
        catalogs = ProductVersionCatalogs(sddc_stub_config)
        upload_tasks = UploadTasks(sddc_stub_config)
    return Services


@pytest.fixture
def fleet(fleet_stub_config):
    """The fleet-lcm services of this module."""
    class Services:
        tasks = Tasks(fleet_stub_config)
        depot_metadata = DepotMetadata(fleet_stub_config)
        release_versions = ReleaseVersions(fleet_stub_config)
    return Services


@pytest.fixture
def restore_settings(depot, sddc):
    """Puts the module's depot settings back after the test."""
    yield
    stored = sddc.settings.update_depot_settings(offline_settings(depot.url))
    assert stored.offline_account.status == "DEPOT_CONNECTION_SUCCESSFUL", stored


def downstream(depotd, http, path: str, auth=(ADMIN_USER, ADMIN_PASSWORD), **headers):
    return http.get(f"{depotd.url}/depot/{path}", auth=auth, headers=headers)


# -------------------------------------------------------------------- 1. settings


def test_depot_settings(depot, sddc, depotd, http, bearer_token, restore_settings):
    shown = sddc.settings.get_depot_settings()
    assert isinstance(shown, DepotSettings), shown
    assert shown.offline_account.username == DEPOT_USER, shown
    assert shown.offline_account.password is None, shown
    assert shown.depot_configuration.is_offline_depot is True, shown
    assert shown.depot_configuration.url == depot.url, shown
    raw = http.get(f"{depotd.url}/v1/system/settings/depot", headers={"Authorization": f"Bearer {bearer_token}"})
    assert raw.status_code == 200, raw.text
    assert DEPOT_PASSWORD not in raw.text and "password" not in raw.json()["offlineAccount"], raw.text

    # PUT tests the connection and answers the settings as stored, without the password.
    mark = depot.mark()
    stored = sddc.settings.update_depot_settings(offline_settings(depot.url))
    assert stored.offline_account.status == "DEPOT_CONNECTION_SUCCESSFUL", stored
    assert stored.offline_account.message, stored
    assert stored.offline_account.username == DEPOT_USER and stored.offline_account.password is None, stored
    assert depot.since(mark) == [(CATALOG, 200)]  # one connection check, authenticated

    wrong = sddc.settings.update_depot_settings(offline_settings(depot.url, password="not-the-password"))
    assert wrong.offline_account.status == "DEPOT_INVALID_CREDENTIAL", wrong
    assert wrong.offline_account.message, wrong
    assert wrong.offline_account.password is None, wrong
    assert depot.since(mark)[-1] == (CATALOG, 401)
    shown = sddc.settings.get_depot_settings()
    assert shown.offline_account.status == "DEPOT_INVALID_CREDENTIAL", shown

    # Nothing listens on this port: stored, with the status saying why.
    closed = f"http://127.0.0.1:{free_port()}/PROD"
    unreachable = sddc.settings.update_depot_settings(offline_settings(closed))
    assert unreachable.offline_account.status == "DEPOT_NOT_AVAILABLE", unreachable
    assert unreachable.offline_account.message, unreachable
    assert sddc.settings.get_depot_settings().depot_configuration.url == closed


def test_put_without_password_keeps_the_stored_one(depot, sddc, restore_settings):
    """A GET never shows the password, so a PUT of what was read must not erase it."""
    shown = sddc.settings.get_depot_settings()
    assert shown.offline_account.password is None
    shown.offline_account.status = shown.offline_account.message = None
    mark = depot.mark()
    stored = sddc.settings.update_depot_settings(shown)
    assert stored.offline_account.status == "DEPOT_CONNECTION_SUCCESSFUL", stored
    assert depot.since(mark) == [(CATALOG, 200)]


def test_machine_details(sddc):
    first = sddc.machine.get_machine_details()
    assert first.machine_id, first
    assert sddc.machine.get_machine_details().machine_id == first.machine_id


UNUSABLE = {
    # case: (settings, errorCode)
    "ftp-url": (lambda depot: offline_settings("ftp://127.0.0.1:21/PROD"), "DEPOT_BAD_URL"),
    "not-a-url": (lambda depot: offline_settings("not a url"), "DEPOT_BAD_URL"),
    "port-out-of-range": (lambda depot: offline_settings(hostname="127.0.0.1", port=70000), "DEPOT_SETTINGS_INVALID"),
    "certificate-not-pem": (lambda depot: offline_settings(depot.url, trusted_certificates=["MIIB"]), "DEPOT_SETTINGS_INVALID"),
    "offline-without-url": (lambda depot: offline_settings(), "DEPOT_SETTINGS_INVALID"),
    "password-without-user": (lambda depot: offline_settings(depot.url, username=None), "DEPOT_SETTINGS_INVALID"),
}


@pytest.mark.parametrize("case", list(UNUSABLE))
def test_unusable_settings_are_refused_and_not_stored(depot, sddc, case):
    settings, code = UNUSABLE[case]
    before = sddc.settings.get_depot_settings()
    mark = depot.mark()
    # update_depot_settings declares Error for 400 and 500.
    with pytest.raises(Error) as refused:
        sddc.settings.update_depot_settings(settings(depot))
    assert refused.value.error_code == code, repr(refused.value)
    assert refused.value.message, repr(refused.value)
    assert sddc.settings.get_depot_settings() == before
    assert depot.since(mark) == []


def test_delete_one_account(depot, sddc, restore_settings):
    with pytest.raises(Error) as refused:
        sddc.settings.delete_depot_settings(depot_type="NO_SUCH_TYPE")
    assert refused.value.error_code == "DEPOT_SETTINGS_INVALID", repr(refused.value)

    sddc.settings.delete_depot_settings(depot_type="OFFLINE")
    shown = sddc.settings.get_depot_settings()
    assert shown.offline_account is None, shown
    assert shown.depot_configuration.url == depot.url, shown


# ------------------------------------------------------------------------ 2. sync


def test_sync_makes_the_upstream_catalog_and_manifest_current(depot, publisher, sddc, fleet):
    published = publisher.publish()
    before = sddc.sync_info.get_depot_sync_info()
    mark = depot.mark()

    task = fleet.depot_metadata.sync_depot_metadata()
    assert isinstance(task, Task), task
    uuid.UUID(task.id)
    assert task.name == "depot_metadata_sync", task
    assert task.status in ("PENDING", "RUNNING", "SUCCEEDED"), task
    assert [s.id for s in task.stages] == STAGES, task

    done = finish(fleet.tasks, task.id)
    assert_succeeded(done)
    result = details(done.result)
    assert result.get("catalogSequenceNumber") == published.sequence, result
    assert set(result.get("changedFiles", [])) == {CATALOG, SIGNATURE}, result
    fetched = depot.since(mark)
    assert (CATALOG, 200) in fetched and (SIGNATURE, 200) in fetched, fetched
    assert (MANIFEST, 304) in fetched, fetched

    content = sddc.catalogs.get_product_version_catalog_content()
    assert isinstance(content, ProductVersionCatalog), content
    assert content.sequence_number == published.sequence
    assert content.creation_time == published.document["creationTime"]
    assert sorted(content.patches) == ["NSX_T_MANAGER", "VCENTER"]

    info = sddc.sync_info.get_depot_sync_info()
    assert isinstance(info, SyncInfo), info
    assert info.sync_status == "SYNC_SUCCEEDED", info
    assert info.error_message is None, info
    assert info.last_sync_completion_timestamp, info
    assert wire_time(info.last_sync_completion_timestamp) > wire_time(before.last_sync_completion_timestamp), info


def test_release_versions(depot, fleet):
    page = fleet.release_versions.get_release_versions(page_number=1, page_size=20)
    assert isinstance(page, PageOfReleaseVersions), page
    versions = {r.version: r for r in page.elements}
    assert set(versions) == {"9.1.0.0", "9.0.0.0"}, page
    assert page.page_metadata.total_elements == 2, page

    components = {c.type: c for c in versions["9.1.0.0"].components}
    assert set(components) == {"VCENTER", "NSX_T_MANAGER"}, versions["9.1.0.0"]
    vcenter = components["VCENTER"]
    assert vcenter.public_name == "vCenter"
    # The bill of materials' version and the catalog's not-older patches of the same line.
    assert vcenter.versions == ["9.1.0.0.100", "9.1.0.0.200"], vcenter
    assert components["NSX_T_MANAGER"].versions == ["9.1.0.0.300", "9.1.0.0.400"], components
    assert [c.versions for c in versions["9.0.0.0"].components] == [["9.0.0.0.10"]]

    pages = [fleet.release_versions.get_release_versions(page_number=n, page_size=1) for n in (1, 2)]
    assert [len(p.elements) for p in pages] == [1, 1], pages
    assert {p.elements[0].version for p in pages} == {"9.1.0.0", "9.0.0.0"}, pages
    assert all(p.page_metadata.total_pages == 2 and p.page_metadata.total_elements == 2 for p in pages), pages


# --------------------------------------------------------- 3. one sync at a time


def test_second_trigger_returns_the_running_task(depot, publisher, sddc, fleet):
    published = publisher.publish()
    arrived, release = depot.gate(MANIFEST)
    try:
        first = fleet.depot_metadata.sync_depot_metadata()
        assert arrived.wait(30), "the sync never asked the upstream for the manifest"
        second = fleet.depot_metadata.sync_depot_metadata()
        assert second.id == first.id, (first, second)
        assert second.status == "RUNNING", second

        # The SDDC Manager trigger joins the same sync.
        joined = sddc.sync_info.sync_depot_metadata()
        assert joined.sync_status == "SYNC_IN_PROGRESS", joined
        assert sddc.sync_info.get_depot_sync_info().sync_status == "SYNC_IN_PROGRESS"

        running = fleet.tasks.get_task(first.id)
        assert running.status == "RUNNING", running
        assert stage_statuses(running) == {
            "connect": "SUCCEEDED", "download-pvc": "SUCCEEDED", "verify-pvc": "SUCCEEDED",
            "download-urm": "RUNNING", "validate-urm": "PENDING", "apply": "PENDING"}, running
        assert running.cancellable is True, running
    finally:
        depot.ungate(MANIFEST)
    assert release.is_set()
    assert_succeeded(finish(fleet.tasks, first.id))
    assert sddc.catalogs.get_product_version_catalog_content().sequence_number == published.sequence

    # Once it is done, a trigger starts a new sync.
    third = fleet.depot_metadata.sync_depot_metadata()
    assert third.id != first.id
    assert_succeeded(finish(fleet.tasks, third.id))


def test_cancel_a_running_sync_changes_nothing(depot, publisher, sddc, fleet):
    before = sddc.catalogs.get_product_version_catalog_content().sequence_number
    published = publisher.publish()
    arrived, _ = depot.gate(MANIFEST)
    try:
        task = fleet.depot_metadata.sync_depot_metadata()
        assert arrived.wait(30), "the sync never asked the upstream for the manifest"
        canceled = fleet.tasks.cancel_task(task.id)
        assert canceled.id == task.id, canceled
    finally:
        depot.ungate(MANIFEST)
    # The running stage finishes; the later ones do not run.
    done = finish(fleet.tasks, task.id)
    assert done.status == "CANCELED", done
    assert stage_statuses(done) == {
        "connect": "SUCCEEDED", "download-pvc": "SUCCEEDED", "verify-pvc": "SUCCEEDED",
        "download-urm": "SUCCEEDED", "validate-urm": "CANCELED", "apply": "CANCELED"}, done
    assert sddc.catalogs.get_product_version_catalog_content().sequence_number == before
    info = sddc.sync_info.get_depot_sync_info()
    assert info.sync_status == "SYNC_FAILED" and "cancel" in info.error_message, info

    assert_succeeded(finish(fleet.tasks, fleet.depot_metadata.sync_depot_metadata().id))
    assert sddc.catalogs.get_product_version_catalog_content().sequence_number == published.sequence


# ------------------------------------------------- 4. SDDC Manager trigger (PATCH)


def all_sync_task_ids(tasks: Tasks) -> set:
    ids, page_number = set(), 1
    while True:
        page = tasks.get_tasks(name="depot_metadata_sync", include_system_tasks=True,
                               page_number=page_number, page_size=100)
        ids |= {t.id for t in page.elements}
        if page_number >= page.page_metadata.total_pages:
            return ids
        page_number += 1


def test_patch_sync_info_starts_a_sync_of_an_unchanged_depot(depot, publisher, sddc, fleet):
    # Settle first: the upstream's current files are synced.
    assert_succeeded(finish(fleet.tasks, fleet.depot_metadata.sync_depot_metadata().id))
    before = sddc.sync_info.get_depot_sync_info()
    assert before.sync_status == "SYNC_SUCCEEDED", before
    sequence = sddc.catalogs.get_product_version_catalog_content().sequence_number
    known = all_sync_task_ids(fleet.tasks)
    mark = depot.mark()

    started = sddc.sync_info.sync_depot_metadata()
    assert isinstance(started, SyncInfo), started
    assert started.sync_status in ("SYNC_IN_PROGRESS", "SYNC_SUCCEEDED"), started

    def synced():
        info = sddc.sync_info.get_depot_sync_info()
        return info if info.sync_status != "SYNC_IN_PROGRESS" else None

    after = wait_for(synced, "the PATCH-triggered sync", timeout=60, interval=0.1)
    assert after.sync_status == "SYNC_SUCCEEDED", after
    assert wire_time(after.last_sync_completion_timestamp) > wire_time(before.last_sync_completion_timestamp)

    new = all_sync_task_ids(fleet.tasks) - known
    assert len(new) == 1, new
    task = fleet.tasks.get_task(new.pop())
    assert_succeeded(task)
    assert details(task.result).get("changedFiles") == [], details(task.result)

    # The connection check fetches the catalog; every file then comes back 304.
    requests = depot.since(mark)
    assert requests[0] == (CATALOG, 200), requests
    assert sorted(requests[1:]) == sorted((path, 304) for path in FILES), requests
    assert sddc.catalogs.get_product_version_catalog_content().sequence_number == sequence


# ------------------------------------------------------------ 5. upstream faults


def break_upstream(fault: str, depot: Upstream, publisher: Publisher, tmp_path: Path) -> Published:
    """Publishes a new catalog with `fault`; returns the correctly signed catalog that
    fixes it."""
    good = publisher.make()
    if fault == "signature-missing":
        depot.files[CATALOG] = good.catalog
        del depot.files[SIGNATURE]
    elif fault == "untrusted-signer":
        stranger = make_catalog_pki(tmp_path / "stranger")
        depot.files[CATALOG] = good.catalog
        bad_directory = tmp_path / "bad"
        bad_directory.mkdir()
        catalog = bad_directory / "productVersionCatalog.json"
        catalog.write_bytes(good.catalog)
        depot.files[SIGNATURE] = publisher.depotd.sign_catalog(
            catalog, stranger.signer_key, cert=stranger.signer_cert).read_bytes()
    elif fault == "manifest-invalid":
        publisher.put(good)
        depot.files[MANIFEST] = b'{"releases": [{"version": 9}]}\n'
    elif fault == "credentials-rotated":
        publisher.put(good)
        depot.password = "Rotated-Passw0rd!"
    else:
        raise ValueError(fault)
    return good


FAULTS = {
    # fault: (failed stage, errorCode, a phrase of the error message)
    "signature-missing": ("download-pvc", "DEPOT_FILE_NOT_FOUND", "productVersionCatalog.sig"),
    "untrusted-signer": ("verify-pvc", "PRODUCT_VERSION_CATALOG_SIGNER_UNTRUSTED", "catalog"),
    "manifest-invalid": ("validate-urm", "DEPOT_MANIFEST_INVALID", "$.releases[0].version"),
    "credentials-rotated": ("connect", "DEPOT_INVALID_CREDENTIAL", ""),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_upstream_fault_fails_the_sync_and_retry_resumes(depot, publisher, sddc, fleet, depotd, http,
                                                        tmp_path, fault):
    stage, code, phrase = FAULTS[fault]
    before_info = sddc.sync_info.get_depot_sync_info()
    before_sequence = sddc.catalogs.get_product_version_catalog_content().sequence_number
    before_catalog = downstream(depotd, http, CATALOG)
    assert before_catalog.status_code == 200, before_catalog.text

    good = break_upstream(fault, depot, publisher, tmp_path)
    try:
        failed = finish(fleet.tasks, fleet.depot_metadata.sync_depot_metadata().id)
        assert failed.status == "FAILED", failed
        assert failed.retriable is True, failed
        assert details(failed.additional_details).get("errorCode") == code, failed
        statuses = stage_statuses(failed)
        at = STAGES.index(stage)
        assert [statuses[s] for s in STAGES] == ["SUCCEEDED"] * at + ["FAILED"] + ["PENDING"] * (5 - at), statuses
        errors = [m.message.default_message for m in failed.messages if m.level == "ERROR"]
        assert errors and phrase in errors[-1], failed.messages

        info = sddc.sync_info.get_depot_sync_info()
        assert info.sync_status == "SYNC_FAILED", info
        assert info.error_message and phrase in info.error_message, info
        # The last successful sync is still the last one.
        assert info.last_sync_completion_timestamp == before_info.last_sync_completion_timestamp, info
        if fault == "credentials-rotated":
            status = sddc.settings.get_depot_settings().offline_account.status
            assert status == "DEPOT_INVALID_CREDENTIAL", status

        # Nothing changed downstream: the previous catalog is still current and served.
        assert sddc.catalogs.get_product_version_catalog_content().sequence_number == before_sequence
        still = downstream(depotd, http, CATALOG)
        assert still.status_code == 200 and still.content == before_catalog.content
    finally:
        depot.password = DEPOT_PASSWORD
        depot.files[MANIFEST] = MANIFEST_BYTES
        publisher.put(good)

    retried = fleet.tasks.retry_task(failed.id)
    assert retried.id == failed.id, retried
    assert retried.status in ("PENDING", "RUNNING", "SUCCEEDED"), retried
    done = finish(fleet.tasks, failed.id)
    assert_succeeded(done)
    assert "errorCode" not in details(done.additional_details), done
    assert sddc.catalogs.get_product_version_catalog_content().sequence_number == good.sequence
    info = sddc.sync_info.get_depot_sync_info()
    assert info.sync_status == "SYNC_SUCCEEDED" and info.error_message is None, info
    assert downstream(depotd, http, CATALOG).content == good.catalog
    assert sddc.settings.get_depot_settings().offline_account.status == "DEPOT_CONNECTION_SUCCESSFUL"


def test_absent_compatibility_data_is_skipped(depot, fleet):
    compatibility = depot.files.pop(COMPATIBILITY)
    try:
        done = finish(fleet.tasks, fleet.depot_metadata.sync_depot_metadata().id)
        assert_succeeded(done)
        stage = next(s for s in done.stages if s.id == "download-urm")
        assert any(m.level == "WARN" and "VmwareCompatibilityData.json" in m.message.default_message
                   for m in stage.messages), stage.messages
    finally:
        depot.files[COMPATIBILITY] = compatibility
    assert_succeeded(finish(fleet.tasks, fleet.depot_metadata.sync_depot_metadata().id))


def upload(sddc, import_dir: Path, published: Published) -> None:
    """Makes `published` current through the SDDC Manager upload API."""
    catalog = import_dir / f"depot-sync-{published.sequence}.json"
    catalog.write_bytes(published.catalog)
    signature = import_dir / f"depot-sync-{published.sequence}.json.sig"
    signature.write_bytes(published.signature)
    task = sddc.catalogs.upload_product_version_catalog_with_signature(ProductVersionCatalogWithSignatureSpec(
        product_version_catalog_file_path=str(catalog), signature_file_path=str(signature)))

    def probe():
        now = sddc.upload_tasks.get_product_version_catalog_upload_task(task.task_id)
        return now if now.status != "IN_PROGRESS" else None

    done = wait_for(probe, f"upload task {task.task_id}")
    assert done.status == "SUCCEEDED", done


def test_retry_after_a_refused_rollback_picks_up_the_fixed_depot(depot, publisher, sddc, fleet, import_dir,
                                                                 depotd, http):
    """The depot still publishes catalog N while N+1 was uploaded by hand: the sync
    refuses to roll back, and changes nothing. Once the depot publishes N+2, a retry of
    the failed task syncs it."""
    before = downstream(depotd, http, CATALOG).content
    publisher.publish()                          # N, on the depot
    uploaded = publisher.make()                  # N+1, current
    upload(sddc, import_dir, uploaded)
    try:
        failed = finish(fleet.tasks, fleet.depot_metadata.sync_depot_metadata().id)
        assert failed.status == "FAILED", failed
        assert failed.retriable is True, failed
        assert details(failed.additional_details).get("errorCode") == "PRODUCT_VERSION_CATALOG_ROLLBACK", failed
        assert "FAILED" in stage_statuses(failed).values(), failed
        assert sddc.catalogs.get_product_version_catalog_content().sequence_number == uploaded.sequence
        assert downstream(depotd, http, CATALOG).content == before

        fixed = publisher.publish()              # N+2, on the depot
        fleet.tasks.retry_task(failed.id)
        assert_succeeded(finish(fleet.tasks, failed.id))
        assert sddc.catalogs.get_product_version_catalog_content().sequence_number == fixed.sequence
        assert downstream(depotd, http, CATALOG).content == fixed.catalog
    finally:
        # Whatever happened, the depot's catalog is the newest again and synced.
        publisher.publish()
        finish(fleet.tasks, fleet.depot_metadata.sync_depot_metadata().id)


# -------------------------------------------------------------- 6. downstream


def test_downstream_serves_the_synced_files(depot, publisher, depotd, http, fleet):
    assert_succeeded(finish(fleet.tasks, fleet.depot_metadata.sync_depot_metadata().id))
    for path in FILES:
        r = downstream(depotd, http, path)
        assert r.status_code == 200, (path, r.status_code, r.text)
        assert r.content == depot.files[path], path
        assert r.headers.get("ETag"), (path, r.headers)

    manifest = downstream(depotd, http, MANIFEST)
    assert manifest.headers["Content-Type"].startswith("application/json"), manifest.headers
    etag = manifest.headers["ETag"]

    part = downstream(depotd, http, MANIFEST, Range="bytes=0-9")
    assert part.status_code == 206, part.status_code
    assert part.content == depot.files[MANIFEST][:10]
    assert part.headers["Content-Range"] == f"bytes 0-9/{len(depot.files[MANIFEST])}", part.headers
    assert part.headers["ETag"] == etag

    cached = downstream(depotd, http, MANIFEST, **{"If-None-Match": etag})
    assert cached.status_code == 304, cached.status_code
    assert cached.content == b""
    assert cached.headers["ETag"] == etag

    size = len(depot.files[MANIFEST])
    suffix = downstream(depotd, http, MANIFEST, Range="bytes=-5")
    assert suffix.status_code == 206 and suffix.content == depot.files[MANIFEST][-5:], suffix.headers
    beyond = downstream(depotd, http, MANIFEST, Range=f"bytes={size}-")
    assert beyond.status_code == 416, beyond.status_code
    assert beyond.headers["Content-Range"] == f"bytes */{size}", beyond.headers
    weak = downstream(depotd, http, MANIFEST, **{"If-None-Match": f'"other", W/{etag}'})
    assert weak.status_code == 304, weak.status_code  # If-None-Match compares weakly
    head = http.head(f"{depotd.url}/depot/{MANIFEST}", auth=(ADMIN_USER, ADMIN_PASSWORD))
    assert head.status_code == 200 and head.content == b"", head.status_code
    assert head.headers["Content-Length"] == str(size) and head.headers["ETag"] == etag, head.headers

    anonymous = http.get(f"{depotd.url}/depot/{MANIFEST}")
    assert anonymous.status_code == 401, anonymous.status_code
    assert anonymous.headers.get("WWW-Authenticate", "").lower().startswith("basic"), anonymous.headers
    assert depot.files[MANIFEST] not in anonymous.content

    missing = downstream(depotd, http, "PROD/metadata/no-such-file.json")
    assert missing.status_code == 404, missing.status_code


def test_downstream_accepts_any_depotd_user(depot, depotd, http, add_user):
    user = add_user("ReadOnly")
    r = downstream(depotd, http, MANIFEST, auth=user)
    assert r.status_code == 200, r.status_code
    assert r.content == depot.files[MANIFEST]


# ------------------------------------------------------------ no depot settings


def test_without_settings_a_sync_is_refused(depot, sddc, fleet, restore_settings):
    sddc.settings.delete_depot_settings()
    shown = sddc.settings.get_depot_settings()
    assert shown is None or (shown.offline_account is None and shown.vmware_account is None), shown

    with pytest.raises(ErrorResponse) as caught:
        fleet.depot_metadata.sync_depot_metadata()
    assert caught.value.get_status_code() == 400
    assert caught.value.code, repr(caught.value)

    with pytest.raises(Error) as refused:
        sddc.sync_info.sync_depot_metadata()
    assert refused.value.error_code, repr(refused.value)

