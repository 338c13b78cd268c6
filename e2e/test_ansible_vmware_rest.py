"""Ansible's `vmware.vmware_rest` collection against depotd, beside the SDK.

The collection's modules log in through the legacy `POST /rest/com/vmware/cis/session`
(Basic, answer `{"value": "<session id>"}`) and then call `/api` REST with that id in
`vmware-api-session-id`, one login per module run. The tests write a playbook (JSON,
which is YAML) and an inventory into a scratch directory and run `ansible-playbook`
from the suite's venv on localhost; every task registers its result and a last task
writes them all to a JSON file the test reads.

Nothing is read from the home directory or /etc/ansible: ANSIBLE_CONFIG names an empty
file, HOME and Ansible's directories are scratch ones, and collections are looked up
only in the venv. TLS: the modules verify the server against its own certificate only
(SSL_CERT_FILE, read by the ssl module aiohttp uses; SSL_CERT_DIR dropped), or do not
verify at all in the harness's verify=False fallback.

`content_library_item_info` is driven with `library_item_id` (a get). Its list form
(`library_id`) sends `GET /api/content/library/item?library_id?library_id=<id>`, a
query without a `library_id` parameter, which depotd refuses like any list without
one (400 INVALID_ARGUMENT).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import uuid
from pathlib import Path

from com.vmware.content.library_client import Item, ItemModel

from harness import ADMIN_PASSWORD, ADMIN_USER

VENV_BIN = Path(sys.executable).parent
COLLECTION = "vmware.vmware_rest"
DATASTORE_ID = "datastore-depot"
DATASTORE_BACKING = [{"type": "DATASTORE", "datastore_id": DATASTORE_ID}]
REST_LOGIN = 'route="/rest/com/vmware/cis/session",method="POST",status="200"'


# ------------------------------------------------------------------ running Ansible


def ansible_env(depotd, workdir: Path, user: str, password: str) -> dict:
    """The environment of ansible-playbook and of the modules it runs on localhost:
    ours without ANSIBLE_*/VMWARE_*/CA bundle variables, scratch Ansible directories,
    and the modules' connection options (their VMWARE_* fallbacks)."""
    drop = ("ANSIBLE_", "VMWARE_", "SSL_CERT_", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    home = workdir / "home"
    home.mkdir(exist_ok=True)
    config = workdir / "ansible.cfg"
    config.write_text("")
    env.update({
        "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        "HOME": str(home),
        "ANSIBLE_CONFIG": str(config),
        "ANSIBLE_HOME": str(home / ".ansible"),
        "ANSIBLE_LOCAL_TEMP": str(home / ".ansible" / "tmp"),
        "ANSIBLE_REMOTE_TEMP": str(home / ".ansible" / "tmp"),
        "ANSIBLE_COLLECTIONS_PATH": sysconfig.get_paths()["purelib"],
        "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "false",
        "ANSIBLE_LOCALHOST_WARNING": "false",
        # The collection's content modules are deprecated in favour of vmware.vmware.
        "ANSIBLE_DEPRECATION_WARNINGS": "false",
        "VMWARE_HOST": depotd.hostport,
        "VMWARE_USER": user,
        "VMWARE_PASSWORD": password,
        # Every request and answer the modules exchange, for failure reports.
        "VMWARE_REST_LOG_FILE": str(workdir / "rest.log"),
    })
    if depotd.tls_verify:
        env["VMWARE_VALIDATE_CERTS"] = "true"
        env["SSL_CERT_FILE"] = str(depotd.cert)
    else:
        env["VMWARE_VALIDATE_CERTS"] = "false"
    return env


def run_playbook(depotd, workdir: Path, tasks: list, *, user: str = ADMIN_USER,
                 password: str = ADMIN_PASSWORD) -> dict:
    """Runs `tasks` — (name, module of the collection, arguments[, task keywords]) — as
    one play on localhost; returns {name: registered result}. Fails the test when
    ansible-playbook fails, with its output and the modules' HTTP log."""
    workdir.mkdir(parents=True, exist_ok=True)
    results = workdir / "results.json"
    names = [task[0] for task in tasks]
    play_tasks = [{"name": name, f"{COLLECTION}.{module}": args, "register": name, **(extra[0] if extra else {})}
                  for name, module, args, *extra in tasks]
    gathered = "{" + ", ".join(f"'{n}': {n}" for n in names) + "}"
    play_tasks.append({"name": "results", "ansible.builtin.copy": {
        "dest": str(results), "content": "{{ " + gathered + " | to_nice_json }}"}})
    playbook = workdir / "playbook.yml"
    playbook.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": play_tasks}], indent=1))
    inventory = workdir / "inventory.ini"
    inventory.write_text(f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n")
    done = subprocess.run([str(VENV_BIN / "ansible-playbook"), "-i", str(inventory), str(playbook)],
                          cwd=workdir, env=ansible_env(depotd, workdir, user, password),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600)
    if done.returncode != 0 or not results.is_file():
        log = workdir / "rest.log"
        http_log = log.read_text()[-20000:] if log.is_file() else "(none)"
        raise AssertionError(f"ansible-playbook exited with {done.returncode}\n{done.stdout}\n{done.stderr}\n"
                             f"--- requests of the modules ---\n{http_log}")
    return json.loads(results.read_text())


# ------------------------------------------------------------------ depotd's view


def rest_logins(http, depotd) -> int:
    """How many legacy /rest session logins depotd has answered with 200."""
    r = http.get(f"{depotd.url}/metrics")
    assert r.status_code == 200, r.text
    return sum(int(float(line.rsplit(" ", 1)[1])) for line in r.text.splitlines()
               if line.startswith("depotd_http_requests_total{") and REST_LOGIN in line)


def api_call(http, depotd, method: str, path: str, **kwargs):
    """One /api REST call as the administrator, in a session of its own."""
    sid = http.post(f"{depotd.url}/api/session", auth=(ADMIN_USER, ADMIN_PASSWORD)).json()
    try:
        return http.request(method, f"{depotd.url}/api{path}", headers={"vmware-api-session-id": sid},
                            **kwargs)
    finally:
        http.delete(f"{depotd.url}/api/session", headers={"vmware-api-session-id": sid})


def library_spec(name: str, **changes) -> dict:
    spec = {"name": name, "description": "made by Ansible", "storage_backings": DATASTORE_BACKING,
            "publish_info": {"published": True, "authentication_method": "NONE"}, "state": "present"}
    return {**spec, **changes}


# --------------------------------------------------------------------------- tests


def test_local_library_lifecycle(depotd, http, vsphere_stub_config, tmp_path):
    name = f"ansible-{uuid.uuid4().hex[:8]}"
    logins = rest_logins(http, depotd)

    made = run_playbook(depotd, tmp_path / "create", [
        ("created", "content_locallibrary", library_spec(name)),
        ("again", "content_locallibrary", library_spec(name)),
        ("updated", "content_locallibrary", library_spec(name, description="changed by Ansible")),
    ])
    created = made["created"]
    assert created["changed"] is True and not created["failed"], created
    lib_id = created["id"]
    lib = created["value"]
    assert lib["id"] == lib_id and lib["name"] == name and lib["type"] == "LOCAL"
    assert lib["storage_backings"] == DATASTORE_BACKING
    assert lib["publish_info"]["published"] is True
    assert lib["publish_info"]["publish_url"].endswith(f"/{lib_id}/lib.json")
    # The re-run finds the library by name and sees nothing to change: no PATCH.
    assert made["again"]["changed"] is False and made["again"]["id"] == lib_id, made["again"]
    assert made["updated"]["changed"] is True and made["updated"]["id"] == lib_id, made["updated"]
    r = api_call(http, depotd, "GET", f"/content/local-library/{lib_id}")
    assert r.status_code == 200 and r.json()["description"] == "changed by Ansible", r.text

    # An item made with the SDK (vAPI JSON-RPC) in the library Ansible made.
    item_id = Item(vsphere_stub_config).create(create_spec=ItemModel(
        library_id=lib_id, name="media", type="iso", description="made by the SDK"))

    read = run_playbook(depotd, tmp_path / "read-and-delete", [
        ("libraries", "content_library_info", {}),
        ("library", "content_locallibrary_info", {"library_id": lib_id}),
        ("item", "content_library_item_info", {"library_item_id": item_id}),
        ("datastores", "vcenter_datastore_info", {}),
        ("datastore", "vcenter_datastore_info", {"datastore": DATASTORE_ID}),
        ("deleted", "content_locallibrary", {"library_id": lib_id, "state": "absent"}),
        ("deleted_again", "content_locallibrary", {"library_id": lib_id, "state": "absent"}),
    ])
    for task in ("libraries", "library", "item", "datastores", "datastore"):
        assert read[task]["changed"] is False and not read[task]["failed"], read[task]
    listed = [lib for lib in read["libraries"]["value"] if lib["id"] == lib_id]
    assert len(listed) == 1 and listed[0]["name"] == name
    assert listed[0]["description"] == "changed by Ansible"
    library = read["library"]["value"]
    assert read["library"]["id"] == lib_id and library["name"] == name
    assert library["storage_backings"] == DATASTORE_BACKING
    assert {"creation_time", "last_modified_time", "version"} <= library.keys()
    item = read["item"]["value"]
    assert item["id"] == item_id and item["library_id"] == lib_id
    assert (item["name"], item["type"], item["description"]) == ("media", "iso", "made by the SDK")
    assert item["cached"] is True and item["size"] == 0
    assert [d["datastore"] for d in read["datastores"]["value"]] == [DATASTORE_ID]
    datastore = read["datastore"]["value"]
    assert datastore["name"] == "depot-blobs" and datastore["accessible"] is True
    assert read["deleted"]["changed"] is True and not read["deleted"]["failed"], read["deleted"]
    # Absent stays absent: the 404 NOT_FOUND of the second delete is "no change".
    again = read["deleted_again"]
    assert again["changed"] is False and not again["failed"], again
    assert again["value"]["error_type"] == "NOT_FOUND"

    assert api_call(http, depotd, "GET", f"/content/library/{lib_id}").status_code == 404
    assert api_call(http, depotd, "GET", f"/content/library/item/{item_id}").status_code == 404
    # One legacy login per module run (3 + 7), none through /api/session.
    assert rest_logins(http, depotd) - logins == 10


def test_read_only_user_reads_but_cannot_create(depotd, http, add_user, tmp_path):
    user, password = add_user("ReadOnly")
    name = f"ansible-ro-{uuid.uuid4().hex[:8]}"
    out = run_playbook(depotd, tmp_path, [
        ("datastores", "vcenter_datastore_info", {}),
        ("refused", "content_locallibrary", library_spec(name), {"ignore_errors": True}),
    ], user=user, password=password)
    assert [d["datastore"] for d in out["datastores"]["value"]] == [DATASTORE_ID]
    refused = out["refused"]
    assert refused["failed"] is True and refused["changed"] is False, refused
    assert refused["value"]["error_type"] == "UNAUTHORIZED", refused
    r = api_call(http, depotd, "POST", "/content/library?action=find", json={"name": name})
    assert r.status_code == 200 and r.json() == [], r.text
