"""Upload timeouts at the server's default settings, over real TLS connections: a slow
but steady upload (1 MiB/s for three minutes) is never cut off, while a stalled one
is ended after the body-rate window and leaves no partial data behind. Both run at
once, so the honest one also shows the stalled one's cleanup does not touch it."""

import socket
import ssl
import threading
import time
import uuid
from urllib.parse import urlsplit

from harness import ADMIN_PASSWORD, ADMIN_USER

MIB = 1 << 20
SLOW_SECONDS = 180
SLOW_SIZE = SLOW_SECONDS * MIB
STALL_AFTER = 2 * MIB
# The default rate floor is 16 KiB per 30 s window: a stall ends within two windows.
STALL_LIMIT = 75


def open_file(depotd, http, name: str, size: int) -> tuple:
    """A new item with an update session and one PUSH file: (headers, session, uri)."""
    sid = http.post(f"{depotd.url}/api/session", auth=(ADMIN_USER, ADMIN_PASSWORD)).json()
    h = {"vmware-api-session-id": sid}
    lib = http.post(f"{depotd.url}/api/content/local-library", headers=h,
                    json={"name": f"slow-{uuid.uuid4().hex[:8]}", "type": "LOCAL"}).json()
    item = http.post(f"{depotd.url}/api/content/library/item", headers=h,
                     json={"library_id": lib, "name": name, "type": "iso"}).json()
    session = http.post(f"{depotd.url}/api/content/library/item/update-session", headers=h,
                        json={"library_item_id": item}).json()
    r = http.post(f"{depotd.url}/api/content/library/item/update-session/{session}/file",
                  headers=h,
                  json={"name": name, "source_type": "PUSH", "size": size})
    assert r.status_code == 200, r.text
    return h, session, r.json()["upload_endpoint"]["uri"]


def put_head(depotd, uri: str, size: int) -> ssl.SSLSocket:
    context = ssl.create_default_context()
    if depotd.tls_verify:
        context.load_verify_locations(str(depotd.cert))
    else:
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    parts = urlsplit(uri)
    raw = socket.create_connection((parts.hostname, parts.port), timeout=SLOW_SECONDS + 60)
    s = context.wrap_socket(raw, server_hostname=parts.hostname)
    s.sendall(f"PUT {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
              "Content-Type: application/octet-stream\r\n"
              f"Content-Length: {size}\r\n\r\n".encode())
    return s


def status_line(s: ssl.SSLSocket) -> str:
    """The answer's status line, or "" when the server closed without one."""
    data = b""
    while b"\r\n" not in data:
        try:
            chunk = s.recv(4096)
        except (ConnectionError, ssl.SSLError):
            break
        if not chunk:
            break
        data += chunk
    return data.split(b"\r\n", 1)[0].decode(errors="replace")


def slow_upload(s: ssl.SSLSocket, result: dict) -> None:
    piece = bytes(range(256)) * 256  # 64 KiB
    started = time.monotonic()
    for i in range(SLOW_SIZE // len(piece)):
        # 16 pieces a second: 1 MiB/s, on schedule rather than after each send.
        delay = started + (i + 1) / 16 - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        s.sendall(piece)
    result["status"] = status_line(s)
    result["seconds"] = time.monotonic() - started


def stalled_upload(s: ssl.SSLSocket, result: dict) -> None:
    s.sendall(b"\0" * STALL_AFTER)
    started = time.monotonic()
    result["status"] = status_line(s)
    result["seconds"] = time.monotonic() - started


def temp_files(depotd) -> list:
    """Blob writes in progress: temporary files, or upload markers and staged data on S3."""
    return depotd.blob_writes_in_progress()


def test_a_slow_upload_passes_and_a_stalled_one_is_ended(depotd, http):
    slow_h, slow_session, slow_uri = open_file(depotd, http, "slow.iso", SLOW_SIZE)
    stall_h, stall_session, stall_uri = open_file(depotd, http, "stalled.iso", 10 * MIB)
    slow, stalled = {}, {}
    threads = [
        threading.Thread(target=slow_upload, args=(put_head(depotd, slow_uri, SLOW_SIZE), slow)),
        threading.Thread(target=stalled_upload,
                         args=(put_head(depotd, stall_uri, 10 * MIB), stalled)),
    ]
    for t in threads:
        t.start()
    threads[1].join(STALL_LIMIT + 30)
    assert "status" in stalled, "the stalled upload is still open"
    assert stalled["seconds"] < STALL_LIMIT, stalled
    assert stalled["status"] == "HTTP/1.1 408 Request Timeout", stalled
    base = f"{depotd.url}/api/content/library/item/update-session"
    info = http.get(f"{base}/{stall_session}/file/stalled.iso", headers=stall_h).json()
    assert (info["status"], info["bytes_transferred"]) == ("WAITING_FOR_TRANSFER", 0), info
    # Only the slow upload's file is being written now.
    assert len(temp_files(depotd)) <= 1, temp_files(depotd)

    threads[0].join(SLOW_SECONDS + 90)
    assert slow.get("status") == "HTTP/1.1 200 OK", slow
    assert slow["seconds"] >= SLOW_SECONDS - 5, slow
    info = http.get(f"{base}/{slow_session}/file/slow.iso", headers=slow_h).json()
    assert (info["status"], info["bytes_transferred"]) == ("READY", SLOW_SIZE), info
    for h, session in ((slow_h, slow_session), (stall_h, stall_session)):
        http.post(f"{base}/{session}?action=cancel", headers=h)
    assert temp_files(depotd) == []
