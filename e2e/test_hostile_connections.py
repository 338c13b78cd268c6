"""Hostile clients against a release depotd on its default `[http]` limits.

Each attack must stay within its limit:
- a request head sent one byte per second is cut within 30 s (header read timeout 20 s);
- a TLS connection that completed its handshake and sends nothing is closed (20 s);
- a half-sent request body is answered 408 and closed (16 KiB per 30 s window);
- an idle keep-alive connection is closed (idle timeout 60 s);
- more connections than the cap (512) do not shut out an honest client: past the cap a
  connection waits in the listen backlog, and is served once the silent ones are cut;
- 300 requests with made-up 4 KB methods at made-up paths leave /metrics about as
  long as it was (labels take values from closed sets only).

The server is this module's own (its own data dir and log, target/e2e/depotd-hostile.log),
so that saturating it disturbs no other test. The waits of the first four cases run in
parallel threads; the cap case runs last, alone. A reader at 256 KiB/s of a multi-MiB
/depot/ file is tested in Rust (crates/depotd/tests/it/connection_limits.rs), where the
file is easy to publish.
"""

from __future__ import annotations

import os
import resource
import socket
import ssl
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Optional

import pytest

from harness import REPO, DepotServer, trusting_session

# The defaults these cases are measured against (docs/config.example.toml, [http]).
HEADER_READ_TIMEOUT = 20
IDLE_TIMEOUT = 60
BODY_WINDOW = 30
MAX_CONNECTIONS = 512

# What the issue asks for, with room for a loaded machine.
SLOW_HEADER_LIMIT = 30
SLACK = 10


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> DepotServer:
    binary = Path(os.environ.get("DEPOTD_BIN") or REPO / "target" / "release" / "depotd")
    s = DepotServer(binary=binary, data_dir=tmp_path_factory.mktemp("hostile-data"),
                    log_file=REPO / "target" / "e2e" / "depotd-hostile.log")
    try:
        s.start()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)
    try:
        yield s
    finally:
        complaint = s.stop(check=True)
        if complaint:
            pytest.fail(f"{complaint}\n{s.log_tail(50)}", pytrace=False)


# ------------------------------------------------------------------ raw clients


def tls_connect(server: DepotServer) -> ssl.SSLSocket:
    """A TLS connection (HTTP/1.1 by ALPN), handshake done. Certificate not checked:
    these clients test the server's limits, not its identity."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["http/1.1"])
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    return context.wrap_socket(raw, server_hostname="localhost")


def wait_closed(sock: socket.socket, started: float, limit: float) -> tuple[Optional[float], bytes]:
    """Reads until the server ends the connection (EOF, reset, TLS EOF), at most until
    `limit` seconds after `started`. Returns (seconds since `started` when it ended, or
    None if it did not; the bytes read)."""
    data = b""
    sock.settimeout(1.0)
    while time.monotonic() - started < limit:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except OSError:
            return time.monotonic() - started, data
        if not chunk:
            return time.monotonic() - started, data
        data += chunk
    return None, data


def read_answer(sock: socket.socket) -> tuple[bytes, bytes]:
    """One answer with a Content-Length body: (head, body)."""
    buf = b""
    sock.settimeout(10)
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before an answer: {buf!r}"
        buf += chunk
    head, body = buf.split(b"\r\n\r\n", 1)
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed inside an answer"
        body += chunk
    return head, body


# ---------------------------------------------------------------------- attacks


def slow_header(server: DepotServer) -> tuple[Optional[float], bytes]:
    """Sends a request head one byte per second, forever; returns when it was cut."""
    limit = SLOW_HEADER_LIMIT + SLACK
    sock = tls_connect(server)
    started = time.monotonic()
    data = b""
    try:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        sock.settimeout(1.0)
        while time.monotonic() - started < limit:
            try:
                chunk = sock.recv(4096)
                if not chunk:
                    return time.monotonic() - started, data
                data += chunk
            except TimeoutError:
                pass
            sock.send(b"a")
    except OSError:
        return time.monotonic() - started, data
    finally:
        sock.close()
    return None, data


def idle_tls(server: DepotServer) -> tuple[Optional[float], bytes]:
    """Completes the TLS handshake, then sends nothing."""
    sock = tls_connect(server)
    try:
        return wait_closed(sock, time.monotonic(), HEADER_READ_TIMEOUT + SLACK)
    finally:
        sock.close()


def half_body(server: DepotServer) -> tuple[Optional[float], bytes]:
    """Announces a 1 MB body, sends 100 bytes of it, then nothing."""
    sock = tls_connect(server)
    try:
        sock.sendall(b"POST /v1/tokens HTTP/1.1\r\nHost: localhost\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n"
                     + b'{"username": "' + b"x" * 86)
        return wait_closed(sock, time.monotonic(), HEADER_READ_TIMEOUT + BODY_WINDOW + SLACK)
    finally:
        sock.close()


def idle_keep_alive(server: DepotServer) -> tuple[Optional[float], bytes]:
    """One request on a keep-alive connection, then nothing; times from the answer."""
    sock = tls_connect(server)
    try:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        head, _ = read_answer(sock)
        assert head.startswith(b"HTTP/1.1 200"), head
        assert b"connection: close" not in head.lower(), head
        return wait_closed(sock, time.monotonic(), IDLE_TIMEOUT + SLACK)
    finally:
        sock.close()


@pytest.fixture(scope="module")
def attacks(server):
    """The four waiting attacks, started together; each test collects its own."""
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="hostile") as pool:
        yield {f.__name__: pool.submit(f, server)
               for f in (slow_header, idle_tls, half_body, idle_keep_alive)}


def outcome(future: Future) -> tuple[Optional[float], bytes]:
    return future.result(timeout=IDLE_TIMEOUT + 3 * SLACK)


# ------------------------------------------------------------------------ tests


def test_made_up_methods_do_not_grow_metrics(server):
    """Runs first, before the attacks add series of their own (408, …)."""
    with trusting_session(server.tls_verify) as http:
        def metrics() -> str:
            r = http.get(f"{server.url}/metrics", timeout=10)
            assert r.status_code == 200, r.text
            return r.text

        metrics()  # the series of GET /metrics itself
        before = metrics()
        made_up = []
        for i in range(300):
            method = f"M{i:03d}" + uuid.uuid4().hex.upper() * 128  # 4 KB
            raw = uuid.uuid4().hex
            path = (f"/v1/product-version-catalogs/upload-tasks/{raw}" if i % 2 else f"/no-such/{raw}")
            r = http.request(method, f"{server.url}{path}", timeout=10)
            assert r.status_code in (404, 405), f"{r.status_code} {r.text[:200]}"
            made_up += [method[:40], raw]
        after = metrics()
    growth = len(after.encode()) - len(before.encode())
    assert growth < 8192, f"/metrics grew by {growth} bytes:\n{after}"
    leaked = [value for value in made_up if value in after]
    assert not leaked, f"client-chosen values became labels: {leaked[:3]}"
    assert 'method="OTHER"' in after, after


def test_a_head_sent_a_byte_per_second_is_cut_within_30_s(attacks):
    closed, data = outcome(attacks["slow_header"])
    assert closed is not None, "the slow head was still being read"
    assert closed <= SLOW_HEADER_LIMIT, f"cut after {closed:.1f} s"
    assert not data, f"answered: {data[:200]!r}"


def test_an_idle_tls_connection_is_closed(attacks):
    closed, data = outcome(attacks["idle_tls"])
    assert closed is not None, "the idle TLS connection is still open"
    assert closed <= HEADER_READ_TIMEOUT + SLACK, f"closed after {closed:.1f} s"


def test_a_half_sent_body_is_answered_408_and_closed(attacks):
    closed, data = outcome(attacks["half_body"])
    assert closed is not None, f"the half-sent body is still being waited for; got {data[:300]!r}"
    assert data.startswith(b"HTTP/1.1 408"), data[:300]
    assert b"REQUEST_TIMEOUT" in data, data[:500]


def test_an_idle_keep_alive_connection_is_closed(attacks):
    closed, _ = outcome(attacks["idle_keep_alive"])
    assert closed is not None, "the idle keep-alive connection is still open"
    assert closed <= IDLE_TIMEOUT + SLACK, f"closed after {closed:.1f} s"


def test_connections_past_the_cap_do_not_shut_out_an_honest_client(server, attacks):
    """Runs last: while the cap is full, this server serves no one else."""
    for future in attacks.values():
        future.exception(timeout=IDLE_TIMEOUT + 3 * SLACK)
    silent_count = MAX_CONNECTIONS + 20
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < silent_count + 200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, silent_count + 1000), hard))
    silent = [socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in range(silent_count)]
    try:
        time.sleep(1)
        # Every slot is held: a new connection is not even accepted (its handshake waits).
        probe = socket.create_connection(("127.0.0.1", server.port), timeout=3)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        with pytest.raises((TimeoutError, ssl.SSLError)):
            context.wrap_socket(probe, server_hostname="localhost")
        probe.close()
        # The silent connections are cut at the header timeout; an honest client gets in.
        started = time.monotonic()
        with trusting_session(server.tls_verify) as http:
            r = http.get(f"{server.url}/health", timeout=HEADER_READ_TIMEOUT + 3 * SLACK)
        assert r.status_code == 200, r.text
        assert time.monotonic() - started <= HEADER_READ_TIMEOUT + 2 * SLACK
    finally:
        for s in silent:
            s.close()
