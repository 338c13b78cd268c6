"""Hostile request bodies against a release depotd of this module's own, by hand with
requests and curl:

(a) 64 MiB bodies on every family (SDDC Manager, fleet-lcm, vSphere REST, vSphere
    JSON-RPC), each answered in its family's dialect, 8 in parallel × 3 rounds: peak
    RSS grows by at most 150 MiB and the server serves on;
(b) malformed bodies on every family (truncated, wrong types, unknown fields, 100 000
    nested arrays, invalid UTF-8, NUL bytes, a huge number, a bare string): a 4xx in
    the family's dialect each, never a 5xx;
(c) a body that does not say it is JSON: 415 in each family's dialect;
(d) a body over the limit over HTTP/2 gets its 413, not a stream reset (curl --http2).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from harness import ADMIN_PASSWORD, ADMIN_USER, REPO, DepotServer, trusting_session

MIB = 1024 * 1024
BIG = 64 * MIB
# One buffer shared by every sender (a generator would make requests send chunked).
BIG_BODY = b" " * BIG
RSS_LIMIT_KIB = 150 * 1024
JSONRPC_GET_SESSION = {
    "jsonrpc": "2.0", "id": "1", "method": "invoke",
    "params": {"serviceId": "com.vmware.cis.session", "operationId": "get",
               "input": {"STRUCTURE": {"operation-input": {}}}, "ctx": {"appCtx": {}}},
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    binary = Path(os.environ.get("DEPOTD_BIN") or REPO / "target" / "release" / "depotd")
    s = DepotServer(binary=binary, data_dir=tmp_path_factory.mktemp("hostile-bodies"),
                    log_file=REPO / "target" / "e2e" / "depotd-hostile-bodies.log")
    s.start()
    try:
        yield s
    finally:
        complaint = s.stop(check=True)
        assert complaint is None, f"{complaint}\n{s.log_tail(50)}"


@pytest.fixture(scope="module")
def creds(server):
    with trusting_session(server.tls_verify) as s:
        r = s.post(f"{server.url}/v1/tokens", json={"username": ADMIN_USER, "password": ADMIN_PASSWORD},
                   timeout=30)
        assert r.status_code == 200, r.text
        bearer = f"Bearer {r.json()['accessToken']}"
        r = s.post(f"{server.url}/api/session", auth=(ADMIN_USER, ADMIN_PASSWORD), timeout=30)
        assert r.status_code == 201, r.text
        return {"bearer": bearer, "session": r.json()}


def family_error(family: str, body: dict) -> str:
    """The error code in the family's own error body."""
    if family == "sddc":
        return body["errorCode"]
    if family == "fleet":
        return body["code"]
    if family == "vsphere":
        return body["error_type"]
    error = body["result"]["error"]["ERROR"]
    (name,) = error.keys()
    return name


def targets(server: DepotServer, creds: dict) -> list:
    """(family, method, url, headers) of a body-taking endpoint of each family."""
    bearer = {"Authorization": creds["bearer"]}
    session = {"vmware-api-session-id": creds["session"]}
    return [
        ("sddc", "POST", f"{server.url}/v1/tokens", {}),
        ("sddc", "PUT", f"{server.url}/v1/system/settings/depot", bearer),
        ("sddc", "POST", f"{server.url}/v1/product-version-catalogs", bearer),
        ("sddc", "PATCH", f"{server.url}/v1/product-version-catalogs", bearer),
        ("fleet", "POST", f"{server.url}/fleet-lcm/v1/depot-metadata?action=sync", bearer),
        ("vsphere", "POST", f"{server.url}/api/cis/tasks/{uuid.uuid4()}?action=cancel", session),
        ("jsonrpc", "POST", f"{server.url}/api", {}),
    ]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def chunks(total: int, piece: int = MIB):
    block = b" " * piece
    sent = 0
    while sent < total:
        n = min(piece, total - sent)
        yield block[:n]
        sent += n


# ------------------------------------------------------------------------- (a)


def send_big(server: DepotServer, family: str, method: str, url: str, headers: dict) -> tuple:
    with trusting_session(server.tls_verify) as s:
        try:
            r = s.request(method, url, data=BIG_BODY,
                          headers={**headers, "Content-Type": "application/json"}, timeout=120)
        except requests.ConnectionError as e:
            # The server may close once it has answered; the answer is what counts, and
            # requests cannot read it after a failed send. Counted, not hidden.
            return (family, url, None, str(e))
        return (family, url, r.status_code, r.text)


def test_a_oversized_bodies_keep_memory_bounded_in_every_family(server, creds):
    pid = server.process.pid
    cases = targets(server, creds)
    # Warm up: one of each, so pools and caches a server needs anyway are there.
    for family, method, url, headers in cases:
        send_big(server, family, method, url, headers)
    time.sleep(1)
    before = rss_kib(pid)
    peak = [before]
    done = threading.Event()

    def watch():
        while not done.is_set():
            peak[0] = max(peak[0], rss_kib(pid))
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda c: send_big(server, *c), cases * 3))
    finally:
        done.set()
        watcher.join()
    answered = [r for r in results if r[2] is not None]
    assert len(answered) == len(results), [r for r in results if r[2] is None][:3]
    for family, url, status, text in answered:
        assert status < 500, (url, status, text[:300])
        body = json.loads(text)
        if family == "fleet":
            # The sync route reads no body: the request is answered as it would be
            # without one (the depot is not configured), and the body is discarded.
            assert 400 <= status < 500 and family_error(family, body), (url, status, text[:300])
        elif family == "jsonrpc":
            assert family_error(family, body) == "com.vmware.vapi.std.errors.invalid_request", text
        else:
            assert status == 413, (url, status, text[:300])
    grown = peak[0] - before
    print(f"RSS grew by {grown // 1024} MiB; answers: {sorted(set((r[0], r[2]) for r in answered))}")
    assert grown <= RSS_LIMIT_KIB, f"RSS grew by {grown // 1024} MiB (limit 150)"
    with trusting_session(server.tls_verify) as s:
        assert s.get(f"{server.url}/health", timeout=10).status_code == 200


# ------------------------------------------------------------------------- (b)

MALFORMED = [
    b'{"username": "a"',
    b"[1, 2]",
    b'{"username": 5, "password": "x"}',
    b'{"username": "a", "password": "b", "pasword": "c"}',
    b'{"a": 1} trailing',
    b"[" * 100_000 + b"]" * 100_000,
    b'{"username": "\xff\xfe", "password": "x"}',
    b'{"username": "a\x00b", "password": "x"}',
    b'{"depotType": 1' + b"0" * 10_000 + b"}",
    b'"just a string"',
    b"null",
    b"{" + b'"k": 1, ' * 20_000 + b'"k": 2}',
]


def test_b_malformed_bodies_get_a_4xx_in_the_family_dialect(server, creds):
    with trusting_session(server.tls_verify) as s:
        for family, method, url, headers in targets(server, creds):
            if family == "fleet":
                continue  # fleet-lcm takes no request body
            for body in MALFORMED:
                payload = body
                if family == "jsonrpc":
                    # The envelope is fine; the operation input is what is malformed.
                    payload = (b'{"jsonrpc": "2.0", "id": "1", "method": "invoke", "params": '
                               b'{"serviceId": "com.vmware.cis.tasks", "operationId": "list", '
                               b'"input": ' + body + b', "ctx": {"appCtx": {}}}}')
                r = s.request(method, url, data=payload,
                              headers={**headers, "Content-Type": "application/json"}, timeout=30)
                what = f"{method} {url} {body[:40]!r}"
                assert r.status_code < 500, f"{what}: {r.status_code} {r.text[:300]}"
                assert r.headers.get("content-type", "").startswith("application/json"), what
                error = family_error(family, r.json())
                assert error, f"{what}: {r.text[:300]}"
                if family != "jsonrpc":
                    assert 400 <= r.status_code < 500, f"{what}: {r.status_code}"
                # The server answered from the text, not by echoing it back whole.
                assert len(r.content) < 4096, f"{what}: {len(r.content)} bytes answered"
        assert s.get(f"{server.url}/health", timeout=10).status_code == 200


# ------------------------------------------------------------------------- (c)


def test_c_a_body_not_declared_json_gets_415_in_the_family_dialect(server, creds):
    expected = {"sddc": "UNSUPPORTED_MEDIA_TYPE", "jsonrpc": "com.vmware.vapi.std.errors.invalid_request"}
    with trusting_session(server.tls_verify) as s:
        for family, method, url, headers in targets(server, creds):
            if family in ("fleet", "vsphere"):
                continue  # no body taken there yet (cancel reads none)
            for content_type in ("application/x-www-form-urlencoded", "text/plain"):
                r = s.request(method, url, data=json.dumps(JSONRPC_GET_SESSION),
                              headers={**headers, "Content-Type": content_type}, timeout=30)
                what = f"{method} {url} as {content_type}"
                assert r.status_code == 415, f"{what}: {r.status_code} {r.text[:300]}"
                assert family_error(family, r.json()) == expected[family], f"{what}: {r.text}"


# ------------------------------------------------------------------------- (d)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_d_an_http2_body_over_the_limit_gets_its_413(server, tmp_path):
    big = tmp_path / "big.json"
    with open(big, "wb") as f:
        for piece in chunks(8 * MIB):
            f.write(piece)
    verify = ["--cacert", str(server.tls_verify)] if server.tls_verify not in (True, False) else ["-k"]
    for _ in range(3):
        done = subprocess.run(
            ["curl", "-sS", "--http2", *verify, "-o", "-", "-w", "\n%{http_code} %{http_version}",
             "-H", "Content-Type: application/json", "--data-binary", f"@{big}",
             f"{server.url}/v1/tokens"],
            capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr.decode()
        body, _, tail = done.stdout.decode().rpartition("\n")
        assert tail == "413 2", tail
        assert json.loads(body)["errorCode"] == "PAYLOAD_TOO_LARGE", body
