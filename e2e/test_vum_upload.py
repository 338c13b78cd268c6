"""The vLCM file upload (`POST /vum-fileupload`, vCenter's :9087/vum-fileupload): a
client logged in with the official SDK (create_vsphere_client, JSON-RPC) uploads an
offline bundle with requests, using the SDK's session id, as a raw body and as
multipart/form-data, and gets a file_id for an offline-depot import (PUSH)."""

import uuid

from harness import ADMIN_PASSWORD, ADMIN_USER

CONTENT = bytes((i * 131 + 17) % 256 for i in range(4 << 20))  # 4 MiB


def session_headers(client) -> dict:
    return {"vmware-api-session-id": str(client.get_session_id())}


def test_raw_and_multipart_uploads_answer_file_ids(depotd, http, vsphere_client):
    url = f"{depotd.url}/vum-fileupload"
    headers = session_headers(vsphere_client)

    r = http.post(url, data=CONTENT,
                  headers={**headers, "Content-Type": "application/octet-stream"})
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/plain")
    raw_id = str(uuid.UUID(r.text))

    r = http.post(url, headers=headers,
                  files={"file": ("VMware-ESXi-9.0-depot.zip", CONTENT, "application/zip")},
                  data={"description": "uploaded bundle"})
    assert r.status_code == 200, r.text
    multipart_id = str(uuid.UUID(r.text))
    assert multipart_id != raw_id

    # A client asking for JSON gets the id as a JSON string.
    r = http.post(url, data=CONTENT[:1000],
                  headers={**headers, "Accept": "application/json",
                           "Content-Type": "application/zip"})
    assert r.status_code == 200, r.text
    uuid.UUID(r.json())


def test_refusals_use_the_vsphere_error_body(depotd, http, add_user, vsphere_login):
    url = f"{depotd.url}/vum-fileupload"
    r = http.post(url, data=b"PK\x03\x04")
    assert r.status_code == 401, r.text
    assert r.json()["error_type"] == "UNAUTHENTICATED"

    user, password = add_user("ReadOnly")
    reader = vsphere_login(user, password)
    r = http.post(url, data=b"PK\x03\x04", headers=session_headers(reader))
    assert r.status_code == 403, r.text
    assert r.json()["error_type"] == "UNAUTHORIZED"

    admin = vsphere_login(ADMIN_USER, ADMIN_PASSWORD)
    r = http.post(url, headers={**session_headers(admin),
                                "Content-Type": "multipart/form-data; boundary=xyz"},
                  data=b"--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--xyz--\r\n")
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["error_type"] == "INVALID_ARGUMENT"
    assert "no file part" in body["messages"][0]["default_message"]
