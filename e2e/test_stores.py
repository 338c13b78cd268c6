"""The stores the suite was asked for ($DEPOTD_E2E_STORES) are the ones the session's
depotd uses: `/health` names its backends, and on PostgreSQL + S3 its tables are in
the schema made for it and its blobs under the prefix made for it."""

import hashlib
import uuid

from harness import ADMIN_PASSWORD, ADMIN_USER, STORES_POSTGRES_S3, stores_mode


def test_health_names_the_stores_of_the_mode(depotd, http):
    r = http.get(f"{depotd.url}/health")
    assert r.status_code == 200, r.text
    health = r.json()
    if stores_mode() == STORES_POSTGRES_S3:
        assert (health["databaseBackend"], health["blobStoreBackend"]) == ("postgres", "s3"), health
    else:
        assert (health["databaseBackend"], health["blobStoreBackend"]) == ("sqlite", "filesystem"), health
    assert (health["database"], health["blobStore"]) == ("ok", "ok"), health


def test_an_uploaded_file_lands_in_the_mode_s_blob_store(depotd, http):
    """A library file pushed over REST is found under its digest where the mode says:
    `<data-dir>/blobs` or the server's S3 prefix (listed through the S3 API)."""
    content = uuid.uuid4().bytes * 4096  # 64 KiB, new every run
    digest = hashlib.sha256(content).hexdigest()
    sid = http.post(f"{depotd.url}/api/session", auth=(ADMIN_USER, ADMIN_PASSWORD)).json()
    h = {"vmware-api-session-id": sid}
    api = f"{depotd.url}/api/content"
    lib = http.post(f"{api}/local-library", headers=h,
                    json={"name": f"stores-{uuid.uuid4().hex[:8]}", "type": "LOCAL"}).json()
    item = http.post(f"{api}/library/item", headers=h, json={"library_id": lib, "name": "f", "type": "iso"}).json()
    session = http.post(f"{api}/library/item/update-session", headers=h, json={"library_item_id": item}).json()
    r = http.post(f"{api}/library/item/update-session/{session}/file", headers=h,
                  json={"name": "f.iso", "source_type": "PUSH", "size": len(content)})
    assert r.status_code == 200, r.text
    put = http.put(r.json()["upload_endpoint"]["uri"], data=content,
                   headers={"Content-Type": "application/octet-stream"})
    assert put.status_code == 200, put.text
    done = http.post(f"{api}/library/item/update-session/{session}?action=complete", headers=h)
    assert done.status_code == 204, done.text

    if depotd.stores is not None:
        assert digest in depotd.stores.blob_digests()
        tables = depotd.stores.sql("SELECT count(*) FROM information_schema.tables "
                                   f"WHERE table_schema = '{depotd.stores.schema}'")
        assert int(tables[0][0]) > 0, tables
    else:
        assert stores_mode() != STORES_POSTGRES_S3
        blob = depotd.data_dir / "blobs" / "sha256" / digest[:2] / digest
        assert blob.is_file(), f"no blob file {blob}"
    http.delete(f"{depotd.url}/api/session", headers=h)
