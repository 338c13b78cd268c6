"""Hostile logins against servers of this module's own (so their throttle counts and
memory are theirs alone), by hand with requests:

(a) a flood of failed logins, 8 in parallel × 150, each from its own forwarded address
    (the server trusts 127.0.0.1 as a proxy, so the throttle holds none back and every
    one is hashed): peak RSS grows by at most 150 MiB, and falls back when idle;
(b) 30 wrong passwords for X, then Y logs in from the same address in under 1 s, by
    token, vSphere session and Basic on /depot;
(c) 32 logins with 768 KB user names: a clean 401 in the family's dialect each, and
    the log grows by a few lines, not by the names;
(d) revoking a refresh token ends its access token; the revocation endpoint cannot end
    a vSphere session or an access token; a token and a session in use end at their
    maximum lifetime (3 s on a second server).
"""

from __future__ import annotations

import base64
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from harness import ADMIN_PASSWORD, ADMIN_USER, REPO, DepotServer, trusting_session

MIB = 1024 * 1024
LOG_DIR = REPO / "target" / "e2e"


def start_server(tmp_path_factory, name: str, *extra_args: str) -> DepotServer:
    binary = Path(os.environ.get("DEPOTD_BIN") or REPO / "target" / "release" / "depotd")
    server = DepotServer(binary=binary, data_dir=tmp_path_factory.mktemp(name),
                         log_file=LOG_DIR / f"depotd-{name}.log", extra_args=list(extra_args))
    server.start()
    return server


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A server trusting 127.0.0.1 as a proxy, so the flood can come from many
    addresses through X-Forwarded-For."""
    server = start_server(tmp_path_factory, "hostile-auth", "--trusted-proxy", "127.0.0.1")
    try:
        yield server
    finally:
        complaint = server.stop(check=True)
        assert complaint is None, f"{complaint}\n{server.log_tail(50)}"


@pytest.fixture(scope="module")
def short_lived(tmp_path_factory):
    """A server whose sessions and access tokens end 3 s after they were opened."""
    server = start_server(tmp_path_factory, "short-lived", "--session-max-lifetime-seconds", "3")
    try:
        yield server
    finally:
        complaint = server.stop(check=True)
        assert complaint is None, f"{complaint}\n{server.log_tail(50)}"


def http(server: DepotServer) -> requests.Session:
    return trusting_session(server.tls_verify)


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def status_kib(pid: int) -> dict:
    """VmRSS and VmHWM of `pid`, in KiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


def token_pair(server: DepotServer, s: requests.Session, user: str, password: str) -> dict:
    r = s.post(f"{server.url}/v1/tokens", json={"username": user, "password": password}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def bearer_status(server: DepotServer, s: requests.Session, access: str) -> int:
    return s.get(f"{server.url}/fleet-lcm/v1/tasks", headers={"Authorization": f"Bearer {access}"},
                 timeout=30).status_code


# ------------------------------------------------------------------------- (a)


def test_a_login_flood_keeps_memory_bounded_and_gives_it_back(hostile):
    pid = hostile.process.pid
    with http(hostile) as s:
        # Warm up: pools, threads and caches a server needs anyway.
        for i in range(16):
            s.post(f"{hostile.url}/v1/tokens", json={"username": f"warm{i}@x", "password": "wrong"},
                   headers={"X-Forwarded-For": f"10.255.0.{i}"}, timeout=60)
    time.sleep(1)
    before = status_kib(pid)["VmRSS"]

    peak = [before]
    done = threading.Event()

    def watch():
        while not done.is_set():
            peak[0] = max(peak[0], status_kib(pid)["VmRSS"])
            time.sleep(0.02)

    def flood(worker: int) -> dict:
        counts: dict = {}
        with http(hostile) as s:
            for i in range(150):
                headers = {"X-Forwarded-For": f"10.{worker}.{i // 256}.{i % 256}"}
                user = f"nobody-{worker}-{i}@vsphere.local"
                if worker % 2:
                    r = s.post(f"{hostile.url}/api/session", timeout=120,
                               headers={**headers, "Authorization": basic(user, "wrong password")})
                else:
                    r = s.post(f"{hostile.url}/v1/tokens", timeout=120, headers=headers,
                               json={"username": user, "password": "wrong password"})
                counts[r.status_code] = counts.get(r.status_code, 0) + 1
        return counts

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(flood, range(8)))
    finally:
        done.set()
        watcher.join()
    answered: dict = {}
    for counts in results:
        for status, n in counts.items():
            answered[status] = answered.get(status, 0) + n
    assert set(answered) <= {401, 503}, answered
    assert answered.get(401, 0) >= 1000, f"most are checked and refused: {answered}"

    hwm = status_kib(pid)["VmHWM"]
    growth = max(peak[0], hwm) - before
    assert growth <= 150 * 1024, f"RSS grew by {growth // 1024} MiB (from {before // 1024} MiB)"

    # Idle: the hashes' memory goes back (generous margin for allocator caches).
    def settled():
        rss = status_kib(pid)["VmRSS"]
        return rss if rss - before <= 32 * 1024 else None

    deadline = time.monotonic() + 30
    while settled() is None and time.monotonic() < deadline:
        time.sleep(0.5)
    rss = status_kib(pid)["VmRSS"]
    assert rss - before <= 32 * 1024, (
        f"RSS {rss // 1024} MiB idle after the flood, {before // 1024} MiB before, "
        f"peak {max(peak[0], hwm) // 1024} MiB")


# ------------------------------------------------------------------------- (b)


def test_b_thirty_wrong_passwords_for_x_do_not_slow_y(hostile):
    x, _ = hostile.add_user("ReadOnly")
    y, y_password = hostile.add_user("ReadOnly")

    def guess(_):
        with http(hostile) as s:
            r = s.post(f"{hostile.url}/v1/tokens", json={"username": x, "password": "wrong password"},
                       timeout=60)
            return r.status_code, r.json()

    with ThreadPoolExecutor(30) as pool:
        answers = list(pool.map(guess, range(30)))
    statuses = [status for status, _ in answers]
    assert set(statuses) <= {401, 503}, answers
    assert statuses.count(401) >= 6, statuses
    throttled = [body for status, body in answers if status == 503]
    assert throttled, "guesses past their turn are refused"
    assert all(b["errorCode"] == "LOGIN_THROTTLED" and b["errorType"] == "SYSTEM" for b in throttled), throttled

    with http(hostile) as s:
        started = time.monotonic()
        token_pair(hostile, s, y, y_password)
        took_token = time.monotonic() - started

        started = time.monotonic()
        r = s.post(f"{hostile.url}/api/session", headers={"Authorization": basic(y, y_password)}, timeout=30)
        took_session = time.monotonic() - started
        assert r.status_code == 201, r.text

        # Basic on the depot, never cached before: authenticated, so "no such file".
        started = time.monotonic()
        r = s.get(f"{hostile.url}/depot/PROD/no-such-file.json",
                  headers={"Authorization": basic(y, y_password)}, timeout=30)
        took_depot = time.monotonic() - started
        assert r.status_code == 404, r.text

        # X's own guesses from there are still held back, in vSphere's dialect too.
        r = s.post(f"{hostile.url}/api/session", headers={"Authorization": basic(x, "wrong again")},
                   timeout=30)
        assert r.status_code in (401, 503), r.text
    for what, took in (("token", took_token), ("session", took_session), ("depot", took_depot)):
        assert took < 1.0, f"Y's {what} login took {took:.2f} s"


# ------------------------------------------------------------------------- (c)


def test_c_huge_user_names_are_refused_without_filling_the_log(hostile):
    huge = "x" * (768 * 1024)
    before = hostile.log_size()
    with http(hostile) as s:
        for i in range(32):
            if i % 2:
                rpc = {"jsonrpc": "2.0", "method": "invoke", "id": str(i),
                       "params": {"serviceId": "com.vmware.cis.session", "operationId": "create",
                                  "input": {"STRUCTURE": {"operation-input": {}}},
                                  "ctx": {"appCtx": {"opId": "e2e"}, "securityCtx": {
                                      "schemeId": "com.vmware.vapi.std.security.user_pass",
                                      "userName": huge, "password": ADMIN_PASSWORD}}}}
                r = s.post(f"{hostile.url}/api", json=rpc, timeout=60)
                assert r.status_code == 200, r.text[:500]
                error = r.json()["result"]["error"]["ERROR"]
                assert list(error) == ["com.vmware.vapi.std.errors.unauthenticated"], r.text[:500]
            else:
                r = s.post(f"{hostile.url}/v1/tokens", json={"username": huge, "password": ADMIN_PASSWORD},
                           timeout=60)
                assert r.status_code == 401, r.text[:500]
                assert r.json()["errorType"] == "AUTHENTICATION"
            assert len(r.content) < 4096, "the name is not echoed back"
        # Nobody was slowed by them: the administrator logs in at once.
        token_pair(hostile, s, ADMIN_USER, ADMIN_PASSWORD)
    grown = hostile.log_size() - before
    assert grown < 1024 * 1024, f"the log grew by {grown} bytes"
    assert grown < 64 * 1024, f"the log grew by {grown} bytes: more than a few lines per login"


# ------------------------------------------------------------------------- (d)


def test_d_revoking_a_refresh_token_ends_its_access_token(hostile):
    with http(hostile) as s:
        pair = token_pair(hostile, s, ADMIN_USER, ADMIN_PASSWORD)
        other = token_pair(hostile, s, ADMIN_USER, ADMIN_PASSWORD)
        minted = s.patch(f"{hostile.url}/v1/tokens/access-token/refresh", json=pair["refreshToken"]["id"],
                         timeout=30).json()
        for access in (pair["accessToken"], minted, other["accessToken"]):
            assert bearer_status(hostile, s, access) == 200
        r = s.delete(f"{hostile.url}/v1/tokens/refresh-token", json=pair["refreshToken"], timeout=30)
        assert r.status_code in (200, 204), r.text
        assert bearer_status(hostile, s, pair["accessToken"]) == 401, "the paired access token ended"
        assert bearer_status(hostile, s, minted) == 401, "so did one minted from the refresh token"
        assert bearer_status(hostile, s, other["accessToken"]) == 200, "another pair lives on"


def test_d_the_revocation_endpoint_cannot_end_a_vsphere_session(hostile):
    with http(hostile) as s:
        r = s.post(f"{hostile.url}/api/session", headers={"Authorization": basic(ADMIN_USER, ADMIN_PASSWORD)},
                   timeout=30)
        assert r.status_code == 201, r.text
        session = r.json()
        pair = token_pair(hostile, s, ADMIN_USER, ADMIN_PASSWORD)
        for not_refresh in (session, pair["accessToken"]):
            r = s.delete(f"{hostile.url}/v1/tokens/refresh-token", json={"id": not_refresh}, timeout=30)
            assert r.status_code == 401, r.text
            assert r.json()["errorType"] == "AUTHENTICATION", r.text
        r = s.get(f"{hostile.url}/api/session", headers={"vmware-api-session-id": session}, timeout=30)
        assert r.status_code == 200, "the vSphere session still works"
        assert bearer_status(hostile, s, pair["accessToken"]) == 200, "so does the access token"


def test_d_a_token_and_a_session_in_use_end_at_their_max_lifetime(short_lived):
    with http(short_lived) as s:
        access = token_pair(short_lived, s, ADMIN_USER, ADMIN_PASSWORD)["accessToken"]
        r = s.post(f"{short_lived.url}/api/session",
                   headers={"Authorization": basic(ADMIN_USER, ADMIN_PASSWORD)}, timeout=30)
        assert r.status_code == 201, r.text
        session = r.json()
        opened = time.monotonic()

        def statuses():
            token = bearer_status(short_lived, s, access)
            vsphere = s.get(f"{short_lived.url}/api/session", headers={"vmware-api-session-id": session},
                            timeout=30).status_code
            return token, vsphere

        # In use every 200 ms: good at first, ended by the lifetime (3 s) plus a margin.
        assert statuses() == (200, 200)
        while time.monotonic() - opened < 8:
            if statuses() == (401, 401):
                break
            time.sleep(0.2)
        ended = time.monotonic() - opened
        assert statuses() == (401, 401), f"still in use {ended:.1f} s after opening"
        assert ended >= 2.0, f"ended after {ended:.1f} s, before its lifetime"
