"""The content-library workflow of a vSphere admin, end to end: with the official SDK
(JSON-RPC) a published local library is made, an ISO and an OVF (descriptor, disk,
manifest) are uploaded through update sessions, listed and downloaded through download
sessions; then a subscriber's view with curl and the library's `vcsp` credentials:
lib.json, items.json, item.json and the files, whole and by range."""

import hashlib
import json
import subprocess
import uuid
from pathlib import Path

import pytest

from com.vmware.content.library.item_client import (DownloadSession, DownloadSessionModel,
                                                     File as ItemFile, Storage, UpdateSession,
                                                     UpdateSessionModel)
from com.vmware.content.library.item.downloadsession_client import File as DownloadFile
from com.vmware.content.library.item.updatesession_client import File as UpdateFile
from com.vmware.content.library_client import Item, ItemModel, PublishInfo
from com.vmware.content_client import LibraryModel, LocalLibrary
from com.vmware.vapi.std.errors_client import NotAllowedInCurrentState

VCSP_PASSWORD = "Vcsp-subscriber-1"
ISO = bytes((i * 131 + 17) % 251 for i in range(5 << 20))  # 5 MiB, not a power of two
DISK = bytes((i * 7 + 3) % 253 for i in range(2 << 20))
OVF = b"""<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"
          xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1">
  <References>
    <File ovf:href="tiny-disk1.vmdk" ovf:id="file1" ovf:size="%d"/>
  </References>
  <DiskSection><Info>Virtual disks</Info>
    <Disk ovf:capacity="1" ovf:diskId="vmdisk1" ovf:fileRef="file1"/>
  </DiskSection>
  <VirtualSystem ovf:id="tiny"><Info>A tiny VM</Info></VirtualSystem>
</Envelope>
""" % len(DISK)


def manifest(files: dict) -> bytes:
    return "".join(f"SHA256({name})= {hashlib.sha256(data).hexdigest()}\n"
                   for name, data in files.items()).encode()


OVF_FILES = {"tiny.ovf": OVF, "tiny-disk1.vmdk": DISK}
OVF_FILES["tiny.mf"] = manifest(OVF_FILES)


def sha256_spec(data: bytes) -> ItemFile.ChecksumInfo:
    return ItemFile.ChecksumInfo(algorithm=ItemFile.ChecksumAlgorithm.SHA256,
                                 checksum=hashlib.sha256(data).hexdigest())


def upload(config, http, item_id: str, files: dict) -> str:
    """Pushes `files` (name -> bytes) through one update session and completes it."""
    sessions, session_files = UpdateSession(config), UpdateFile(config)
    session = sessions.create(create_spec=UpdateSessionModel(library_item_id=item_id),
                              client_token=str(uuid.uuid4()))
    for name, data in files.items():
        info = session_files.add(session, UpdateFile.AddSpec(
            name=name, source_type=UpdateFile.SourceType.PUSH, size=len(data),
            checksum_info=sha256_spec(data)))
        r = http.put(info.upload_endpoint.uri, data=data,
                     headers={"Content-Type": "application/octet-stream"})
        assert r.status_code == 200, r.text
    assert not session_files.validate(session).has_errors
    sessions.complete(session)
    assert sessions.get(session).state == "DONE"
    return session


def download(config, http, item_id: str) -> dict:
    """Every file of the item, through one download session: name -> bytes."""
    sessions, files = DownloadSession(config), DownloadFile(config)
    session = sessions.create(create_spec=DownloadSessionModel(library_item_id=item_id),
                              client_token=str(uuid.uuid4()))
    got = {}
    for f in files.list(session):
        prepared = files.prepare(session, f.name, DownloadFile.EndpointType.HTTPS)
        assert prepared.status == "PREPARED"
        r = http.get(prepared.download_endpoint.uri)
        assert r.status_code == 200, r.text
        assert int(r.headers["Content-Length"]) == f.size
        got[f.name] = r.content
    sessions.delete(session)
    return got


class Curl:
    """curl as a VCSP subscriber runs it, trusting depotd's certificate."""

    def __init__(self, depotd, tmp: Path):
        self.depotd, self.tmp = depotd, tmp

    def get(self, url: str, *extra: str) -> tuple:
        body, head = self.tmp / "body", self.tmp / "head"
        tls = ["--cacert", str(self.depotd.cert)] if self.depotd.tls_verify else ["-k"]
        run = subprocess.run(
            ["curl", "-sS", *tls, "-o", str(body), "-D", str(head), "-w", "%{http_code}",
             *extra, url], capture_output=True, text=True, timeout=60, check=True)
        headers = {}
        for line in head.read_text().splitlines()[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        return int(run.stdout), body.read_bytes(), headers

    def json(self, url: str, *extra: str):
        status, body, _ = self.get(url, *extra)
        assert status == 200, body
        return json.loads(body)


@pytest.fixture
def curl(depotd, tmp_path) -> Curl:
    return Curl(depotd, tmp_path)


def test_publish_upload_download_and_subscribe_with_curl(vsphere_stub_config, http, curl):
    local, items = LocalLibrary(vsphere_stub_config), Item(vsphere_stub_config)
    lib_id = local.create(client_token=str(uuid.uuid4()), create_spec=LibraryModel(
        name=f"workflow-{uuid.uuid4().hex[:8]}", type=LibraryModel.LibraryType.LOCAL,
        publish_info=PublishInfo(published=True, user_name="vcsp", password=VCSP_PASSWORD,
                                 authentication_method=PublishInfo.AuthenticationMethod.BASIC)))
    lib_url = local.get(lib_id).publish_info.publish_url
    root = lib_url.rsplit("/", 1)[0]
    vcsp = ("-u", f"vcsp:{VCSP_PASSWORD}")
    before = curl.json(lib_url, *vcsp)

    iso = items.create(create_spec=ItemModel(library_id=lib_id, name="installer", type="iso"))
    upload(vsphere_stub_config, http, iso, {"installer.iso": ISO})
    ovf = items.create(create_spec=ItemModel(library_id=lib_id, name="tiny", type="ovf"))
    upload(vsphere_stub_config, http, ovf, OVF_FILES)

    # The SDK's view: the items, their sizes, files and checksums.
    assert set(items.list(lib_id)) == {iso, ovf}
    got = items.get(ovf)
    assert got.size == sum(map(len, OVF_FILES.values())) and got.cached
    assert (got.content_version, got.metadata_version) == ("2", "1")
    files = {f.name: f for f in ItemFile(vsphere_stub_config).list(ovf)}
    assert set(files) == set(OVF_FILES)
    for name, data in OVF_FILES.items():
        assert files[name].size == len(data) and files[name].cached
        assert files[name].checksum_info.checksum == hashlib.sha256(data).hexdigest()
    storage = Storage(vsphere_stub_config).list(iso)
    assert [(s.name, s.size) for s in storage] == [("installer.iso", len(ISO))]
    assert download(vsphere_stub_config, http, iso) == {"installer.iso": ISO}
    assert download(vsphere_stub_config, http, ovf) == OVF_FILES

    # The subscriber's view: versions grew, every item and file is there.
    lib = curl.json(lib_url, *vcsp)
    assert lib["vcspVersion"] == "2" and lib["id"] == f"urn:uuid:{lib_id}"
    assert int(lib["version"]) > int(before["version"])
    assert int(lib["contentVersion"]) > int(before["contentVersion"])
    listed = curl.json(f"{root}/{lib['itemsHref']}", *vcsp)["items"]
    assert {i["id"]: i["type"] for i in listed} == {f"urn:uuid:{iso}": "vcsp.iso",
                                                   f"urn:uuid:{ovf}": "vcsp.ovf"}
    tiny = next(i for i in listed if i["name"] == "tiny")
    item_json = curl.json(f"{root}/{tiny['selfHref']}", *vcsp)
    assert item_json == tiny
    for f in item_json["files"]:
        status, body, headers = curl.get(f"{root}/{f['hrefs'][0]}", *vcsp)
        assert status == 200 and body == OVF_FILES[f["name"]] and f["size"] == len(body)
        assert f["etag"] in headers["etag"]
    (iso_file,) = next(i for i in listed if i["name"] == "installer")["files"]
    status, body, headers = curl.get(f"{root}/{iso_file['hrefs'][0]}", *vcsp,
                                     "-r", "1048576-2097151")
    assert status == 206 and body == ISO[1 << 20:2 << 20]
    assert headers["content-range"] == f"bytes 1048576-2097151/{len(ISO)}"

    # Without the publish password, and with it anywhere else, nothing is read.
    assert curl.get(lib_url)[0] == 401
    assert curl.get(lib_url, "-u", "vcsp:wrong")[0] == 401
    server = root.split("/cls/")[0]
    assert curl.get(f"{server}/api/content/library", *vcsp)[0] == 401

    local.delete(lib_id)
    assert curl.get(lib_url, *vcsp)[0] == 404


def test_an_ovf_without_its_disk_is_not_committed(vsphere_stub_config, http):
    local, items = LocalLibrary(vsphere_stub_config), Item(vsphere_stub_config)
    lib_id = local.create(create_spec=LibraryModel(
        name=f"ovf-{uuid.uuid4().hex[:8]}", type=LibraryModel.LibraryType.LOCAL))
    ovf = items.create(create_spec=ItemModel(library_id=lib_id, name="tiny", type="ovf"))
    sessions, files = UpdateSession(vsphere_stub_config), UpdateFile(vsphere_stub_config)
    session = sessions.create(create_spec=UpdateSessionModel(library_item_id=ovf))
    info = files.add(session, UpdateFile.AddSpec(name="tiny.ovf", size=len(OVF),
                                                 source_type=UpdateFile.SourceType.PUSH))
    assert http.put(info.upload_endpoint.uri, data=OVF).status_code == 200
    result = files.validate(session)
    assert result.has_errors and set(result.missing_files) == {"tiny-disk1.vmdk"}
    with pytest.raises(NotAllowedInCurrentState):
        sessions.complete(session)
    assert sessions.get(session).state == "ACTIVE"
    assert items.get(ovf).size == 0 and ItemFile(vsphere_stub_config).list(ovf) == []
    sessions.cancel(session)
    local.delete(lib_id)
