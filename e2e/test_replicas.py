"""Three `depotd serve` replicas on one PostgreSQL schema and one S3 prefix, driven
round-robin with the official SDK (issue 15, point 4).

The module fixture `cluster` starts replicas A, B and C (HTTPS on free ports, each its
own data dir and log `target/e2e/depotd-replica-<a|b|c>.log`), all with
`--database-url` naming a fresh schema of `$DEPOTD_TEST_POSTGRES_URL` and `--blob-store`
naming a fresh prefix of the S3 test server's bucket (`scripts/s3.sh`): one
`harness.StoreSpace`, its schema created with psql, migrated by the first replica and
dropped at the end with the prefix's objects; one `--secret-key-file`, the
session's `--catalog-trust` and a short `--task-lease-seconds`. Without PostgreSQL or
S3 the module is skipped, unless `DEPOTD_REQUIRE_POSTGRES=1` / `DEPOTD_REQUIRE_S3=1`
(then it fails). A bearer token minted by one replica is used on the others.

1. a signed product version catalog uploaded through A (SDDC Manager SDK) is read
   through B and C;
2. the depot (an upstream served by this process, see test_depot_sync.py) configured
   and synced through B; the synced files downloaded from C's `/depot/`;
3. a content-library item file pushed through A is downloaded through C;
4. 300 concurrent sync triggers spread over the three make one task;
5. the replica running a held sync is killed with SIGKILL: another one finishes it (or
   fails it as retriable) once its lease ended;
6. after a blob GC the bucket's `sha256/` keys (listed through the S3 API) are exactly
   the digests of `blob_refs`.
   GC keeps unreferenced blobs younger than its grace period (one hour): the test ages
   the prefix's objects by setting their files' modification times in the S3 server's
   root directory (`$DEPOTD_TEST_S3_ROOT`; s3s-fs answers them as Last-Modified).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import pytest
import requests

from com.vmware.content.library.item_client import (DownloadSession, DownloadSessionModel,
                                                     UpdateSession, UpdateSessionModel)
from com.vmware.content.library.item.downloadsession_client import File as DownloadFile
from com.vmware.content.library.item.updatesession_client import File as UpdateFile
from com.vmware.content.library_client import Item, ItemModel, StorageBacking
from com.vmware.content_client import LibraryModel, LocalLibrary
from vcf.fleet_lcm.model_client import Task
from vcf.fleet_lcm.v1_client import DepotMetadata, Tasks
from vmware.sddc_manager.model_client import ProductVersionCatalogWithSignatureSpec
from vmware.sddc_manager.v1.product_version_catalogs_client import UploadTasks
from vmware.sddc_manager.v1.system.settings_client import Depot
from vmware.sddc_manager.v1_client import ProductVersionCatalogs
from vmware.vapi.bindings.stub import StubConfiguration

from harness import (ADMIN_PASSWORD, ADMIN_USER, REPO, REPORTED_SERVERS, DepotServer, StoreSpace,
                     StoresUnavailable, catalog_document, catalog_patch, rest_stub_config, trusting_session,
                     wait_for, write_catalog)
from test_depot_sync import (CATALOG, COMPATIBILITY, DEPOT_PASSWORD, DEPOT_USER, FILES, MANIFEST,
                             MANIFEST_BYTES, TERMINAL, Publisher, Upstream, all_sync_task_ids,
                             assert_succeeded, offline_settings)
from test_product_version_catalogs import document_patches, sdk_patches

LEASE_SECONDS = 3
SYNC = "/fleet-lcm/v1/depot-metadata?action=sync"
TRIGGERS = 300


# ------------------------------------------------------------------- environment


def required(name: str) -> bool:
    return os.environ.get(name) == "1"


def skip_or_fail(reason: str, require: str) -> None:
    if required(require):
        pytest.fail(f"{require}=1 but {reason}", pytrace=False)
    pytest.skip(reason)


# ------------------------------------------------------------------------ replicas


@dataclass
class Node:
    """One replica: its server and the SDK clients made for it."""

    name: str
    server: DepotServer
    killed: bool = False
    _sessions: list = field(default_factory=list)
    # VsphereClients close their session when collected: kept while their stubs are used.
    _clients: list = field(default_factory=list)

    def session(self) -> requests.Session:
        s = trusting_session(self.server.tls_verify)
        self._sessions.append(s)
        return s

    @property
    def url(self) -> str:
        return self.server.url

    def token(self) -> str:
        r = self.session().post(f"{self.url}/v1/tokens", json={"username": ADMIN_USER, "password": ADMIN_PASSWORD})
        assert r.status_code in (200, 201), r.text
        return r.json()["accessToken"]

    def sddc(self, token: str) -> StubConfiguration:
        return rest_stub_config(self.session(), self.url, token)

    def fleet(self, token: str) -> StubConfiguration:
        return rest_stub_config(self.session(), f"{self.url}/fleet-lcm", token)

    def vsphere(self) -> StubConfiguration:
        """A vAPI JSON-RPC stub configuration with an administrator's session on this replica."""
        from vmware.vapi.vsphere.client import create_vsphere_client

        client = create_vsphere_client(server=self.server.hostport, username=ADMIN_USER, password=ADMIN_PASSWORD,
                                       session=self.session())
        self._clients.append(client)
        return client._stub_config

    def node_id(self) -> str:
        return (self.server.data_dir / "node-id").read_text().strip()

    def close(self) -> None:
        for s in self._sessions:
            s.close()


@dataclass
class Cluster:
    """The replicas and what they share: one StoreSpace (schema and prefix)."""

    nodes: list
    stores: StoreSpace

    @property
    def schema(self) -> str:
        return self.stores.schema

    def alive(self) -> list:
        return [n for n in self.nodes if not n.killed]

    def sql(self, query: str) -> list:
        """Rows of `query` (tables qualified with `self.schema`), as lists of strings."""
        return self.stores.sql(query)

    def referenced_digests(self) -> set:
        rows = self.sql(f"SELECT DISTINCT digest FROM {self.schema}.blob_refs")
        return {row[0].removeprefix("sha256:") for row in rows}

    def bucket_digests(self) -> set:
        """The digests of the committed blobs: the prefix's `sha256/<2 hex>/<64 hex>` keys."""
        return self.stores.blob_digests()

    def staging_files(self) -> list:
        return self.stores.staging_keys()


def start_cluster(binary: Path, pki_trust: Path, directory: Path) -> Cluster:
    try:
        stores = StoreSpace.create()
    except StoresUnavailable as e:
        skip_or_fail(e.reason, e.require)
    cluster = Cluster(nodes=[], stores=stores)
    key = directory / "secret.key"
    key.write_text(os.urandom(32).hex() + "\n")
    key.chmod(0o600)
    flags = ["--secret-key-file", str(key), "--task-lease-seconds", str(LEASE_SECONDS)]
    for name in "abc":
        data_dir = directory / f"replica-{name}"
        server = DepotServer(binary=binary, data_dir=data_dir, import_dir=data_dir / "import",
                             log_file=REPO / "target" / "e2e" / f"depotd-replica-{name}.log",
                             catalog_trust=[pki_trust], stores=stores, extra_args=flags)
        cluster.nodes.append(Node(name.upper(), server))
    return cluster


@pytest.fixture(scope="module")
def cluster(depotd, catalog_pki, tmp_path_factory) -> Cluster:
    """Replicas A, B and C, healthy. A starts (and migrates the schema) first."""
    cluster = start_cluster(depotd.binary, catalog_pki.trust, tmp_path_factory.mktemp("replicas"))
    complaints = []
    try:
        for node in cluster.nodes:
            REPORTED_SERVERS.append(node.server)
            node.server.start()
        yield cluster
    finally:
        for node in cluster.nodes:
            if node.server in REPORTED_SERVERS:
                REPORTED_SERVERS.remove(node.server)
            node.close()
            complaint = node.server.stop(check=not node.killed)
            if complaint:
                complaints.append(f"replica {node.name}: {complaint}\n{node.server.log_tail(30)}")
        cluster.stores.drop()
    if complaints:
        pytest.fail("\n".join(complaints), pytrace=False)


@pytest.fixture(scope="module")
def upstream() -> Upstream:
    depot = Upstream(DEPOT_USER, DEPOT_PASSWORD).start()
    yield depot
    depot.stop()


@pytest.fixture(scope="module")
def depot(cluster, catalog_pki, upstream, tmp_path_factory) -> Publisher:
    """The upstream publishes a signed catalog; the depot settings, stored through B,
    name it."""
    a, b, c = cluster.nodes
    publisher = Publisher(a.server, catalog_pki, upstream, tmp_path_factory.mktemp("replica-upstream"))
    publisher.publish()
    upstream.files[MANIFEST] = MANIFEST_BYTES
    upstream.files[COMPATIBILITY] = b'{"compatibility": []}\n'
    stored = Depot(b.sddc(b.token())).update_depot_settings(offline_settings(upstream.url))
    assert stored.offline_account.status == "DEPOT_CONNECTION_SUCCESSFUL", stored
    return publisher


# ----------------------------------------------------------------------- helpers


def finish(tasks: list, task_id: str, timeout: float = 60.0) -> Task:
    """Polls get_task through each of `tasks` (one Tasks service per replica) in turn
    until the task is terminal."""
    turn = itertools.count()

    def probe():
        task = tasks[next(turn) % len(tasks)].get_task(task_id)
        return task if task.status in TERMINAL else None

    return wait_for(probe, f"task {task_id}", timeout=timeout, interval=0.1)


def local_library(stub: StubConfiguration) -> str:
    spec = LibraryModel(name=f"replicas-{uuid.uuid4().hex[:8]}", type=LibraryModel.LibraryType.LOCAL,
                        storage_backings=[StorageBacking(type=StorageBacking.Type.DATASTORE,
                                                         datastore_id="datastore-depot")])
    return LocalLibrary(stub).create(create_spec=spec, client_token=str(uuid.uuid4()))


def push_item(node: Node, stub: StubConfiguration, library_id: str, name: str, content: bytes) -> str:
    """A new ISO item of `library_id` holding `content`, pushed through an update session
    on `node`; returns the item id."""
    item = Item(stub).create(create_spec=ItemModel(library_id=library_id, name=name, type="iso"),
                             client_token=str(uuid.uuid4()))
    sessions, files = UpdateSession(stub), UpdateFile(stub)
    session = sessions.create(create_spec=UpdateSessionModel(library_item_id=item), client_token=str(uuid.uuid4()))
    info = files.add(session, UpdateFile.AddSpec(name=f"{name}.iso", source_type=UpdateFile.SourceType.PUSH,
                                                 size=len(content)))
    r = node.session().put(info.upload_endpoint.uri, data=content,
                           headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 200, r.text
    assert not files.validate(session).has_errors
    sessions.complete(session)
    assert sessions.get(session).state == "DONE"
    return item


def owner_of(cluster: Cluster, task_id: str) -> Optional[Node]:
    rows = cluster.sql(f"SELECT owner FROM {cluster.schema}.tasks WHERE id = '{task_id}' AND status = 'RUNNING'")
    owner = rows[0][0] if rows else None
    return next((n for n in cluster.nodes if owner and n.node_id() == owner), None)


# ------------------------------------------------------------------------- tests


def test_a_catalog_uploaded_through_a_is_read_through_b_and_c(cluster, catalog_pki):
    a, b, c = cluster.nodes
    token = a.token()
    document = catalog_document(5000, {
        "VCENTER": [catalog_patch("VCENTER", "9.0.0.0.7001"), catalog_patch("VCENTER", "9.0.0.0.7002")],
        "ESX_HOST": [catalog_patch("ESX_HOST", "9.0.0.0.7003")],
    })
    catalog = write_catalog(a.server.import_dir, "pvc-replicas.json", document)
    signature = a.server.sign_catalog(catalog, catalog_pki.signer_key, cert=catalog_pki.signer_cert)
    task = ProductVersionCatalogs(a.sddc(token)).upload_product_version_catalog_with_signature(
        ProductVersionCatalogWithSignatureSpec(product_version_catalog_file_path=str(catalog),
                                               signature_file_path=str(signature)))
    polls = [UploadTasks(n.sddc(token)) for n in (b, c)]
    turn = itertools.count()

    def probe():
        now = polls[next(turn) % 2].get_product_version_catalog_upload_task(task.task_id)
        return now if now.status != "IN_PROGRESS" else None

    done = wait_for(probe, f"upload task {task.task_id} through B and C")
    assert done.status == "SUCCEEDED", done

    for node in (b, c):
        content = ProductVersionCatalogs(node.sddc(token)).get_product_version_catalog_content()
        assert (content.version, content.sequence_number, content.creation_time) == \
            (document["version"], document["sequenceNumber"], document["creationTime"]), (node.name, content)
        assert sdk_patches(content) == document_patches(document), node.name


def test_a_depot_synced_through_b_is_served_by_c(cluster, depot, upstream):
    a, b, c = cluster.nodes
    token = c.token()
    shown = Depot(c.sddc(token)).get_depot_settings()
    assert shown.depot_configuration.url == upstream.url, shown
    assert shown.offline_account.username == DEPOT_USER, shown

    task = DepotMetadata(b.fleet(token)).sync_depot_metadata()
    done = finish([Tasks(n.fleet(token)) for n in (c, a, b)], task.id)
    assert_succeeded(done)

    with c.session() as http:
        for path in FILES:
            r = http.get(f"{c.url}/depot/{path}", auth=(ADMIN_USER, ADMIN_PASSWORD))
            assert r.status_code == 200, (path, r.status_code, r.text)
            assert r.content == upstream.files[path], path
    # The synced catalog is current on A too.
    current = ProductVersionCatalogs(a.sddc(token)).get_product_version_catalog_content()
    assert current.sequence_number == json.loads(upstream.files[CATALOG])["sequenceNumber"], current


def test_a_library_item_pushed_through_a_is_downloaded_through_c(cluster):
    a, b, c = cluster.nodes
    content = os.urandom(1 << 20) + bytes(range(256)) * 4096  # 2 MiB, part random
    stub_a = a.vsphere()
    library = local_library(stub_a)
    item = push_item(a, stub_a, library, "media", content)

    stub_c = c.vsphere()
    got = Item(stub_c).get(item)
    assert (got.name, got.size) == ("media", len(content)), got
    downloads, files = DownloadSession(stub_c), DownloadFile(stub_c)
    download = downloads.create(create_spec=DownloadSessionModel(library_item_id=item),
                                client_token=str(uuid.uuid4()))
    prepared = files.prepare(download, "media.iso", DownloadFile.EndpointType.HTTPS)
    assert prepared.status == "PREPARED", prepared
    assert prepared.checksum_info.checksum == hashlib.sha256(content).hexdigest()
    assert prepared.download_endpoint.uri.startswith(c.url), prepared.download_endpoint.uri
    with c.session() as http:
        whole = http.get(prepared.download_endpoint.uri)
        assert whole.status_code == 200 and whole.content == content
        part = http.get(prepared.download_endpoint.uri, headers={"Range": "bytes=1048000-1049999"})
        assert part.status_code == 206 and part.content == content[1048000:1050000]
    downloads.delete(download)


def test_three_hundred_concurrent_sync_triggers_make_one_task(cluster, depot, upstream):
    nodes = cluster.nodes
    token = nodes[0].token()
    tasks = Tasks(nodes[1].fleet(token))
    known = all_sync_task_ids(tasks)
    barrier = threading.Barrier(TRIGGERS)
    answers: list = [None] * TRIGGERS

    def trigger(i: int) -> None:
        node = nodes[i % 3]
        with trusting_session(node.server.tls_verify) as http:
            try:
                barrier.wait(30)
                r = http.post(f"{node.url}{SYNC}", headers={"Authorization": f"Bearer {token}"}, timeout=60)
                answers[i] = (r.status_code, r.json().get("id") if r.status_code == 202 else r.text)
            except Exception as e:  # reported below
                answers[i] = (None, repr(e))

    # The sync is held at its first request to the upstream while the triggers arrive.
    arrived, _ = upstream.gate(CATALOG)
    try:
        threads = [threading.Thread(target=trigger, args=(i,)) for i in range(TRIGGERS)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(90)
        took = time.monotonic() - started
        refused = [a for a in answers if a is None or a[0] != 202]
        assert not refused, refused[:5]
        ids = {a[1] for a in answers}
        assert len(ids) == 1, ids
        task_id = ids.pop()
        assert arrived.wait(30), "no sync reached the upstream"
        assert tasks.get_task(task_id).status == "RUNNING"
    finally:
        upstream.ungate(CATALOG)
    print(f"{TRIGGERS} triggers over 3 replicas answered in {took:.1f} s, one task")
    assert_succeeded(finish([Tasks(n.fleet(token)) for n in nodes], task_id))
    assert all_sync_task_ids(tasks) - known == {task_id}


def test_the_task_of_a_killed_replica_is_finished_by_another(cluster, depot, upstream):
    token = cluster.nodes[0].token()
    arrived, _ = upstream.gate(CATALOG)
    try:
        task = DepotMetadata(cluster.nodes[2].fleet(token)).sync_depot_metadata()
        assert arrived.wait(30), "the sync never reached the upstream"
        victim = owner_of(cluster, task.id)
        assert victim is not None, cluster.sql(
            f"SELECT status, owner FROM {cluster.schema}.tasks WHERE id = '{task.id}'")
        victim.server.process.kill()  # SIGKILL: no drain, the lease left behind
        victim.server.process.wait(10)
        victim.killed = True
        killed = time.monotonic()
    finally:
        upstream.ungate(CATALOG)
    survivors = cluster.alive()
    assert len(survivors) == 2
    done = finish([Tasks(n.fleet(token)) for n in survivors], task.id, timeout=60)
    took = time.monotonic() - killed
    print(f"replica {victim.name} killed; task {done.status} {took:.1f} s later")
    if done.status == "FAILED":
        assert done.retriable is True, done
    else:
        assert_succeeded(done)
        attempts = cluster.sql(f"SELECT attempts FROM {cluster.schema}.tasks WHERE id = '{task.id}'")[0][0]
        assert int(attempts) >= 2, attempts
    # Not before the lease ended (renewed a moment before the kill at the latest).
    assert took >= 1.0, took


def test_after_blob_gc_the_bucket_holds_exactly_the_referenced_blobs(cluster):
    if cluster.stores.s3_root is None:
        skip_or_fail("the S3 server's root directory is unknown (DEPOTD_TEST_S3_ROOT)", "DEPOTD_REQUIRE_S3")
    first, second = cluster.alive()[:2]
    # Two items pushed through one replica; one of them deleted through another: its
    # file is garbage, the other one's is referenced.
    kept_content, garbage_content = os.urandom(150_000), os.urandom(200_000)
    kept, garbage = (hashlib.sha256(c).hexdigest() for c in (kept_content, garbage_content))
    stub = first.vsphere()
    library = local_library(stub)
    push_item(first, stub, library, "kept", kept_content)
    item = push_item(first, stub, library, "garbage", garbage_content)
    Item(second.vsphere()).delete(item)

    before = cluster.bucket_digests()
    referenced = cluster.referenced_digests()
    assert garbage in before and garbage not in referenced
    assert kept in before and kept in referenced
    assert referenced <= before, referenced - before
    # Everything in the prefix is older than the GC's grace period now.
    old = time.time() - 2 * 3600
    for path in cluster.stores.prefix_dir().rglob("*"):
        if path.is_file():
            os.utime(path, (old, old))

    task_id = first.server.cli("blobs", "gc").split()[0]
    token = second.token()
    done = finish([Tasks(n.fleet(token)) for n in (second, first)], task_id)
    assert done.status == "SUCCEEDED", done
    result = done.result.to_dict()
    assert result["removed"] == len(before - referenced) and result["removed"] >= 1, (result, before - referenced)

    after = cluster.bucket_digests()
    assert after == cluster.referenced_digests(), (after ^ cluster.referenced_digests())
    assert garbage not in after and kept in after, after
    assert [p for p in cluster.staging_files() if not p.startswith("probe-")] == [], cluster.staging_files()
