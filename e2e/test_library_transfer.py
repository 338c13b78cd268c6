"""Content-library transfers with the official SDK (vAPI JSON-RPC): an ISO-like file
pushed through an update session (bytes PUT to the upload endpoint with requests),
committed, then downloaded through a download session, whole and by range."""

import hashlib
import uuid

import pytest

from com.vmware.content.library.item_client import (DownloadSession, DownloadSessionModel,
                                                     UpdateSession, UpdateSessionModel)
from com.vmware.content.library.item.downloadsession_client import File as DownloadFile
from com.vmware.content.library.item.updatesession_client import File as UpdateFile
from com.vmware.vapi.std.errors_client import NotAllowedInCurrentState, ResourceBusy

from harness import ADMIN_PASSWORD, ADMIN_USER

CONTENT = bytes((i * 31 + 7) % 256 for i in range(3 << 20))  # 3 MiB


@pytest.fixture
def item_id(depotd, http) -> str:
    """An empty item of a new local library, created through /api REST."""
    sid = http.post(f"{depotd.url}/api/session", auth=(ADMIN_USER, ADMIN_PASSWORD)).json()
    headers = {"vmware-api-session-id": sid}
    try:
        r = http.post(f"{depotd.url}/api/content/local-library", headers=headers,
                      json={"name": f"transfer-{uuid.uuid4()}", "type": "LOCAL"})
        assert r.status_code == 201, r.text
        r = http.post(f"{depotd.url}/api/content/library/item", headers=headers,
                      json={"library_id": r.json(), "name": "media", "type": "iso"})
        assert r.status_code == 201, r.text
        return r.json()
    finally:
        http.delete(f"{depotd.url}/api/session", headers=headers)


def test_push_complete_and_download(vsphere_stub_config, http, item_id):
    sessions = UpdateSession(vsphere_stub_config)
    files = UpdateFile(vsphere_stub_config)
    token = str(uuid.uuid4())
    session = sessions.create(create_spec=UpdateSessionModel(library_item_id=item_id),
                              client_token=token)
    assert sessions.create(create_spec=UpdateSessionModel(library_item_id=item_id),
                           client_token=token) == session
    with pytest.raises(ResourceBusy):
        sessions.create(create_spec=UpdateSessionModel(library_item_id=item_id))
    info = files.add(session, UpdateFile.AddSpec(
        name="media.iso", source_type=UpdateFile.SourceType.PUSH, size=len(CONTENT)))
    assert info.status == "WAITING_FOR_TRANSFER"
    uri = info.upload_endpoint.uri
    assert "/cls/data/" in uri
    with pytest.raises(NotAllowedInCurrentState):
        sessions.complete(session)

    # The client PUTs the bytes, without the session header: the URI is the capability.
    r = http.put(uri, data=CONTENT, headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 200, r.text
    info = files.get(session, "media.iso")
    assert info.status == "READY" and info.bytes_transferred == len(CONTENT)
    result = files.validate(session)
    assert not result.has_errors, result
    sessions.keep_alive(session, client_progress=100)
    sessions.complete(session)
    assert sessions.get(session).state == "DONE"
    assert session in sessions.list(library_item_id=item_id)

    downloads = DownloadSession(vsphere_stub_config)
    dfiles = DownloadFile(vsphere_stub_config)
    download = downloads.create(create_spec=DownloadSessionModel(library_item_id=item_id),
                                client_token=str(uuid.uuid4()))
    listed = dfiles.list(download)
    assert [(f.name, f.size, f.status) for f in listed] == \
        [("media.iso", len(CONTENT), "UNPREPARED")]
    prepared = dfiles.prepare(download, "media.iso", DownloadFile.EndpointType.HTTPS)
    assert prepared.status == "PREPARED"
    assert prepared.checksum_info.checksum == hashlib.sha256(CONTENT).hexdigest()
    got = http.get(prepared.download_endpoint.uri)
    assert got.status_code == 200 and got.content == CONTENT
    part = http.get(prepared.download_endpoint.uri, headers={"Range": "bytes=1000-1999"})
    assert part.status_code == 206 and part.content == CONTENT[1000:2000]
    assert dfiles.get(download, "media.iso").status == "PREPARED"
    downloads.cancel(download)
    assert http.get(prepared.download_endpoint.uri).status_code == 404
    downloads.delete(download)
    sessions.delete(session)


def test_a_checksum_mismatch_fails_the_file_and_a_retry_works(vsphere_stub_config, http,
                                                              item_id):
    from com.vmware.content.library.item_client import File as ItemFile
    sessions = UpdateSession(vsphere_stub_config)
    files = UpdateFile(vsphere_stub_config)
    session = sessions.create(create_spec=UpdateSessionModel(library_item_id=item_id))
    checksum = ItemFile.ChecksumInfo(algorithm=ItemFile.ChecksumAlgorithm.SHA256,
                                     checksum=hashlib.sha256(b"right").hexdigest())
    info = files.add(session, UpdateFile.AddSpec(
        name="small.bin", source_type=UpdateFile.SourceType.PUSH, size=5,
        checksum_info=checksum))
    r = http.put(info.upload_endpoint.uri, data=b"wrong")
    assert r.status_code == 400, r.text
    assert files.get(session, "small.bin").status == "ERROR"
    assert http.put(info.upload_endpoint.uri, data=b"right").status_code == 200
    sessions.cancel(session)
    assert http.put(info.upload_endpoint.uri, data=b"right").status_code == 409
