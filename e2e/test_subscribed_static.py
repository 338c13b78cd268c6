"""Subscribed libraries on a static VCSP tree (issue 13): the test writes a library in the
layout of VMware's make_vcsp_2018.py script (lib.json, items.json, one directory per
item with its item.json and files; versions as strings, hrefs relative, etags the MD5
of the item's folder) and serves it with nginx (Debian's nginx-light; .ci/run installs
it), plain HTTP and behind nginx's auth_basic. With the official SDK: an on-demand
subscribed library syncs metadata only, an item sync with force_sync_content=True
caches the bytes, evict drops them, a download session of an uncached file fetches it
on first use, and an item deleted from the tree (versions bumped) is deleted by the
next item sync."""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import subprocess
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest

from com.vmware.content.library.item.downloadsession_client import File as DownloadFile
from com.vmware.content.library.item_client import DownloadSession, DownloadSessionModel
from com.vmware.content.library_client import Item, SubscribedItem, SubscriptionInfo
from com.vmware.content_client import LibraryModel, SubscribedLibrary
from com.vmware.vapi.std.errors_client import NotFound

VCSP_USER, VCSP_PASSWORD = "vcsp", "Static-tree-1"
PHOTON = bytes((i * 13 + 7) % 253 for i in range(3 << 19))
TOOLS = b"tools " * 1000
TIME_FORMAT = "%Y-%m-%dT%H:%MZ"  # what make_vcsp_2018.py writes


def wait(predicate, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"never {what}")


class StaticTree:
    """A VCSP library on disk in make_vcsp_2018.py's layout, rewritten on each change
    with the script's rules: an item's version grows when its files change, the
    library's when any item is added, changed or removed."""

    def __init__(self, root: Path):
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self.lib_id = uuid.uuid4()
        self.created = datetime.now(timezone.utc).strftime(TIME_FORMAT)
        self.version = 1
        self.items: dict[str, dict] = {}

    def put(self, name: str, files: dict[str, bytes], vcsp_type: str = "vcsp.iso"):
        folder = self.root / name
        folder.mkdir(exist_ok=True)
        for file, content in files.items():
            (folder / file).write_bytes(content)
        md5 = hashlib.md5()
        for file in sorted(files):
            md5.update(files[file])
        old = self.items.get(name)
        entries = [{"name": file, "size": len(content), "etag": md5.hexdigest(),
                    "hrefs": [f"{name}/{file}"]} for file, content in sorted(files.items())]
        changed = old is None or old["files"] != entries
        self.items[name] = {
            "created": old["created"] if old else self.created,
            "description": "",
            "version": str(int(old["version"]) + 1) if old and changed else (old or {}).get("version", "2"),
            "files": entries,
            "id": old["id"] if old else f"urn:uuid:{uuid.uuid4()}",
            "name": name,
            "properties": {},
            "selfHref": f"{name}/item.json",
            "type": vcsp_type,
        }
        if changed:
            self.version += 1
        self.write()

    def remove(self, name: str):
        del self.items[name]
        shutil.rmtree(self.root / name)
        self.version += 1
        self.write()

    def write(self):
        for name, item in self.items.items():
            (self.root / name / "item.json").write_text(json.dumps(item, indent=2))
        (self.root / "items.json").write_text(json.dumps({"items": list(self.items.values())}, indent=2))
        (self.root / "lib.json").write_text(json.dumps({
            "vcspVersion": "2", "version": str(self.version), "contentVersion": "1",
            "name": "static-tree", "id": f"urn:uuid:{self.lib_id}", "created": self.created,
            "capabilities": {"transferIn": ["httpGet"], "transferOut": ["httpGet"]},
            "itemsHref": "items.json"}, indent=2))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


NGINX_CONF = """
user root;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    default_type application/octet-stream;
    server {{
        listen 127.0.0.1:{port};
        location /plain/ {{ alias {tree}/; }}
        location /secure/ {{
            alias {tree}/;
            auth_basic "VCSP";
            auth_basic_user_file {dir}/htpasswd;
        }}
    }}
}}
"""


@pytest.fixture(scope="module")
def nginx(tmp_path_factory):
    """nginx serving a StaticTree at /plain/ and, with Basic auth, at /secure/."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        pytest.fail("nginx is missing: apt-get install -y nginx-light (.ci/run does)")
    work = tmp_path_factory.mktemp("nginx")
    tree = StaticTree(work / "tree")
    port = free_port()
    # nginx's own plain-text password scheme: no htpasswd tool needed.
    (work / "htpasswd").write_text(f"{VCSP_USER}:{{PLAIN}}{VCSP_PASSWORD}\n")
    conf = work / "nginx.conf"
    conf.write_text(NGINX_CONF.format(dir=work, port=port, tree=tree.root))
    proc = subprocess.Popen([binary, "-p", str(work), "-c", str(conf), "-e", str(work / "error.log"),
                             "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        def listening():
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", port)) == 0
        wait(lambda: listening() or proc.poll() is not None, "nginx listening", 10)
        if proc.poll() is not None:
            pytest.fail(f"nginx did not start: {proc.stderr.read().decode()}")
        yield tree, f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


def subscribe(stub_config, url: str, basic: bool) -> str:
    info = SubscriptionInfo(subscription_url=url, on_demand=True, automatic_sync_enabled=False,
                            authentication_method=SubscriptionInfo.AuthenticationMethod.NONE)
    if basic:
        info.authentication_method = SubscriptionInfo.AuthenticationMethod.BASIC
        info.user_name, info.password = VCSP_USER, VCSP_PASSWORD
    return SubscribedLibrary(stub_config).create(client_token=str(uuid.uuid4()), create_spec=LibraryModel(
        name=f"static-{uuid.uuid4().hex[:8]}", type=LibraryModel.LibraryType.SUBSCRIBED,
        subscription_info=info))


def download(stub_config, http, item: str, name: str) -> bytes:
    """The bytes of file `name` of `item` through a download session (prepared once it
    is no longer PREPARING: an uncached file is fetched from the publisher first)."""
    sessions, files = DownloadSession(stub_config), DownloadFile(stub_config)
    session = sessions.create(create_spec=DownloadSessionModel(library_item_id=item),
                              client_token=str(uuid.uuid4()))
    info = files.prepare(session, name, DownloadFile.EndpointType.HTTPS)
    assert info.status in ("PREPARING", "PREPARED"), info
    info = wait(lambda: (lambda f: f if f.status != "PREPARING" else None)(files.get(session, name)),
                f"{name} prepared")
    assert info.status == "PREPARED", info.error_message
    got = http.get(info.download_endpoint.uri)
    assert got.status_code == 200, got.text
    sessions.delete(session)
    return got.content


def test_on_demand_subscription_to_a_static_tree(nginx, vsphere_stub_config, http):
    tree, base = nginx
    tree.put("photon", {"photon.iso": PHOTON})
    tree.put("tools", {"tools.iso": TOOLS})
    libraries, items = SubscribedLibrary(vsphere_stub_config), Item(vsphere_stub_config)
    subscribed_items = SubscribedItem(vsphere_stub_config)

    # Plain HTTP: metadata of both items.
    plain = subscribe(vsphere_stub_config, f"{base}/plain/lib.json", basic=False)
    libraries.sync(plain)
    assert len(wait(lambda: items.list(plain), "plain synced")) == 2
    libraries.delete(plain)

    # Behind Basic auth, on demand.
    lib_id = subscribe(vsphere_stub_config, f"{base}/secure/lib.json", basic=True)
    libraries.sync(lib_id)
    ids = wait(lambda: items.list(lib_id) if len(items.list(lib_id)) == 2 else None, "synced")
    by_name = {items.get(i).name: items.get(i) for i in ids}
    photon, tools = by_name["photon"], by_name["tools"]
    assert not photon.cached and photon.size == len(PHOTON) and photon.type == "iso"

    subscribed_items.sync(photon.id, force_sync_content=True)
    wait(lambda: items.get(photon.id).cached, "photon cached")
    assert download(vsphere_stub_config, http, photon.id, "photon.iso") == PHOTON

    subscribed_items.evict(photon.id)
    assert not items.get(photon.id).cached

    # First use: the download session fetches the evicted file from nginx.
    assert download(vsphere_stub_config, http, photon.id, "photon.iso") == PHOTON
    assert items.get(photon.id).cached

    # Gone from the tree (versions bumped): the next item sync deletes it here.
    tree.remove("tools")
    subscribed_items.sync(tools.id, force_sync_content=False)

    def deleted():
        try:
            items.get(tools.id)
            return False
        except NotFound:
            return True

    wait(deleted, "tools deleted after it left the tree")
    assert items.get(photon.id).name == "photon"
    libraries.delete(lib_id)
