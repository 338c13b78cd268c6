"""Shared plumbing of the end-to-end suite: the depotd process, HTTP sessions that
trust it, stub configurations for the VCF SDK's bindings, the JSON-RPC corpus
recorder and a polling helper.

Fixtures live in conftest.py; tests import the plain helpers from here.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import time
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, TypeVar, Union

import requests
import urllib3

from vmware.vapi.bindings.stub import StubConfiguration
from vmware.vapi.lib.connect import get_requests_connector
from vmware.vapi.security.oauth import create_oauth_security_context
from vmware.vapi.stdlib.client.factories import StubConfigurationFactory

REPO = Path(__file__).resolve().parent.parent
CORPUS_DIR = REPO / "target" / "e2e-corpus"
LOG_FILE = REPO / "target" / "e2e" / "depotd.log"

ADMIN_USER = "administrator@vsphere.local"
ADMIN_PASSWORD = "E2e-Adm1n-Passw0rd!"
# How the vSphere session service names the administrator (DOMAIN\user).
ADMIN_VSPHERE_NAME = "VSPHERE.LOCAL\\administrator"

# Replaces every securityCtx.sessionId in recorded requests.
DUMMY_SESSION_ID = "0" * 64
# Replaces appCtx.opId (a fresh UUID per call) so identical calls dedupe.
DUMMY_OP_ID = "00000000-0000-0000-0000-000000000000"

# Environment variables through which `requests` picks a CA bundle. They win over
# `Session.verify` whenever `Session.trust_env` is true (the default), even over
# verify=False: requests merges them into every request's `verify` argument.
CA_BUNDLE_ENV = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")

T = TypeVar("T")
Verify = Union[str, bool]


# --------------------------------------------------------------------------- HTTP


def trusting_session(verify: Verify, recorder: Optional["CorpusRecorder"] = None) -> requests.Session:
    """A `requests.Session` that trusts the server under test.

    `verify` is the path of the server's own self-signed certificate (pinned: real
    verification, host name included, against that certificate only) or False in the
    fallback mode. `trust_env = False` is what makes either setting stick: with it,
    requests ignores REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE (and proxy variables, which
    must not apply to 127.0.0.1 anyway).
    """
    session = requests.Session()
    session.trust_env = False
    session.verify = verify
    if recorder is not None:
        # Session-level hooks run for every request sent through this session,
        # including those of the SDK, which calls session.request(...) itself.
        session.hooks["response"].append(recorder.hook)
    return session


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------- stub configs


def rest_stub_config(session: requests.Session, base_url: str, access_token: Optional[str] = None) -> StubConfiguration:
    """Stub configuration for the plain-REST bindings (vcf.fleet_lcm, vmware.sddc_manager).

    These bindings are generated with `is_vapi_rest=False`: they only work over a REST
    connector (`msg_protocol='rest'`; with the default 'json' connector every call fails
    with "JSON-RPC unsupported"), and their URL templates start with `/v1/...`, so the
    base URL is the family's mount point: the host root for SDDC Manager,
    `https://host:port/fleet-lcm` for fleet-lcm.

    Authentication: an OAuth security context makes the REST serializer send
    `Authorization: Bearer <token>`. The connector installs a LegacySecurityContextFilter
    by itself; `set_security_context` hands it the context for every later call. (A vAPI
    session-id context is refused by the serializer for this wire style.)
    """
    connector = get_requests_connector(session=session, msg_protocol="rest", url=base_url)
    if access_token is not None:
        connector.set_security_context(create_oauth_security_context(access_token))
    # new_std_configuration also registers the vAPI standard errors; for these bindings
    # the error class is chosen by HTTP status from each operation's throws clause.
    return StubConfigurationFactory.new_std_configuration(connector)


# ----------------------------------------------------------------------- polling


def wait_for(probe: Callable[[], Optional[T]], what: str, timeout: float = 30.0, interval: float = 0.2) -> T:
    """Calls `probe` until it returns something truthy; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


# ------------------------------------------------------------------- JSON-RPC corpus


# Task ids and other UUIDs, masked in the corpus dedupe key.
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class CorpusRecorder:
    """Writes the distinct vAPI JSON-RPC requests the SDK sends to target/e2e-corpus.

    One file per distinct request: sessionId and opId are replaced by fixed dummies,
    and the file name hashes the normalised body without the JSON-RPC `id` (a per-
    connector counter) and with UUIDs (task ids) masked, so reruns find the same
    names and the corpus does not grow with every run. An existing file is kept.
    The body keeps the SDK's own key order and separators.
    """

    def __init__(self, directory: Path = CORPUS_DIR):
        self.directory = directory

    def hook(self, response: requests.Response, *args, **kwargs) -> None:
        request = response.request
        if request.method != "POST" or not request.url.split("?")[0].endswith("/api"):
            return
        body = request.body
        if isinstance(body, str):
            body = body.encode()
        try:
            message = json.loads(body or b"")
        except ValueError:
            return
        if not isinstance(message, dict) or "jsonrpc" not in message:
            return
        self.record(message)

    def record(self, message: dict) -> Path:
        message = normalise_jsonrpc(message)
        params = message.get("params") if isinstance(message.get("params"), dict) else {}
        key = json.dumps({k: v for k, v in message.items() if k != "id"}, sort_keys=True)
        digest = hashlib.sha256(UUID.sub("<uuid>", key).encode()).hexdigest()[:12]
        stem = f"{params.get('serviceId', 'unknown')}.{params.get('operationId', 'unknown')}"
        stem = re.sub(r"[^A-Za-z0-9._$-]", "_", stem)
        path = self.directory / f"{stem}-{digest}.json"
        if not path.exists():
            self.directory.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(message) + "\n")
        return path


def normalise_jsonrpc(message: dict) -> dict:
    """A copy of a JSON-RPC request with sessionId and opId replaced by dummies."""
    message = copy.deepcopy(message)
    ctx = (message.get("params") or {}).get("ctx") if isinstance(message.get("params"), dict) else None
    if isinstance(ctx, dict):
        security = ctx.get("securityCtx")
        if isinstance(security, dict) and "sessionId" in security:
            security["sessionId"] = DUMMY_SESSION_ID
        app = ctx.get("appCtx")
        if isinstance(app, dict) and "opId" in app:
            app["opId"] = DUMMY_OP_ID
    return message


# ------------------------------------------------------------------------ depotd

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(repr=False)
class DepotServer:
    """One `depotd serve` process on a free loopback port with its own data dir."""

    binary: Path
    data_dir: Path
    log_file: Path = LOG_FILE
    port: int = field(default_factory=free_port)
    process: Optional[subprocess.Popen] = None
    # Path of the pinned certificate, or False in the fallback mode (see _wait_healthy).
    tls_verify: Verify = True
    _saved_env: dict = field(default_factory=dict)
    _users_added: int = 0

    def __repr__(self) -> str:
        return f"DepotServer({self.url}, data_dir={self.data_dir}, log={self.log_file})"

    @property
    def hostport(self) -> str:
        """What create_vsphere_client() calls `server`."""
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"https://{self.hostport}"

    @property
    def cert(self) -> Path:
        return self.data_dir / "tls" / "server.crt"

    # ---------------------------------------------------------------- processes

    def env(self, **extra: str) -> dict:
        """The environment for depotd: ours without DEPOTD_* (an inherited DEPOTD_PLAIN_HTTP
        or DEPOTD_DATABASE_URL would change what is tested), plus `extra`."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("DEPOTD_")}
        env["NO_COLOR"] = "1"  # plain text log
        env.update(extra)
        return env

    def start(self, timeout: float = 60.0) -> None:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_file, "wb")
        try:
            self.process = subprocess.Popen(
                [str(self.binary), "serve", "--listen", self.hostport, "--data-dir", str(self.data_dir),
                 # Bounds the drain on SIGTERM well inside the 30 s the suite allows.
                 "--shutdown-grace-seconds", "10"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env=self.env(DEPOTD_ADMIN_PASSWORD=ADMIN_PASSWORD, DEPOTD_LOG_LEVEL="info"),
            )
        finally:
            log.close()  # the child holds its own descriptor
        self._wait_healthy(timeout)

    def _wait_healthy(self, timeout: float) -> None:
        """Waits for GET /health = 200, deciding on the way how clients verify TLS."""
        deadline = time.monotonic() + timeout
        last_error = "no attempt yet"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"depotd exited with status {self.process.returncode} before it was healthy\n"
                                   + self.log_tail())
            # The certificate is generated at start; until it exists there is nothing to pin.
            if self.cert.is_file():
                try:
                    status = self._health(str(self.cert))
                    if status == 200:
                        self.tls_verify = str(self.cert)
                        return
                    last_error = f"GET /health answered {status}"
                except requests.exceptions.SSLError as e:
                    # OpenSSL may refuse a self-signed leaf as its own trust anchor (it
                    # does not here: rcgen's certificate carries the SANs and verifies).
                    # If the server answers without verification, fall back to that.
                    last_error = f"TLS: {e}"
                    try:
                        if self._health(False) == 200:
                            self._fall_back_to_unverified(e)
                            return
                    except requests.RequestException:
                        pass
                except requests.RequestException as e:
                    last_error = str(e)
            time.sleep(0.1)
        self.stop(check=False)
        raise RuntimeError(f"depotd did not become healthy within {timeout:.0f} s ({last_error})\n" + self.log_tail())

    def _health(self, verify: Verify) -> int:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
            return trusting_session(verify).get(f"{self.url}/health", timeout=5).status_code

    def _fall_back_to_unverified(self, error: Exception) -> None:
        warnings.warn(f"OpenSSL refuses the pinned certificate {self.cert} ({error}); "
                      "testing with verify=False")
        self.tls_verify = False
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        # Belt and braces: sessions made here already ignore these (trust_env=False).
        for name in CA_BUNDLE_ENV:
            if name in os.environ:
                self._saved_env[name] = os.environ.pop(name)

    def stop(self, check: bool = True, timeout: float = 30.0) -> Optional[str]:
        """SIGTERM, then wait. Returns a complaint (or None) when `check` and the exit
        was not clean within `timeout` seconds."""
        os.environ.update(self._saved_env)
        self._saved_env.clear()
        if self.process is None or self.process.poll() is not None:
            if check and self.process is not None and self.process.returncode != 0:
                return f"depotd had already exited with status {self.process.returncode}"
            return None
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return f"depotd did not exit within {timeout:.0f} s of SIGTERM (killed)" if check else None
        if check and code != 0:
            return f"depotd exited with status {code} after SIGTERM"
        return None

    def cli(self, *args: str, password: Optional[str] = None) -> str:
        """Runs `depotd <args> --data-dir DIR` (the CLI shares the server's database)."""
        extra = {"DEPOTD_USER_PASSWORD": password} if password is not None else {}
        done = subprocess.run([str(self.binary), *args, "--data-dir", str(self.data_dir)],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
                              env=self.env(**extra))
        if done.returncode != 0:
            raise AssertionError(f"depotd {' '.join(args)} exited with {done.returncode}:\n{done.stdout}{done.stderr}")
        return done.stdout

    # ---------------------------------------------------------------- CLI helpers

    def add_user(self, role: str) -> tuple[str, str]:
        """Adds a user with `role` (Admin, Operator, ReadOnly); returns (name, password).
        Names and passwords are numbered per server, so each run records the same
        requests (the data dir is new every run)."""
        self._users_added += 1
        name = f"e2e-{role.lower()}-{self._users_added}@vsphere.local"
        password = f"E2e-Passw0rd-{self._users_added}"
        self.cli("user", "add", name, "--role", role, password=password)
        return name, password

    def submit_blob_gc(self) -> str:
        """`depotd blobs gc`: queues a blob_gc task for the running server's workers.
        Prints `<task id>\\t<status>` (the already active pass, if one is)."""
        out = self.cli("blobs", "gc").split()
        task_id = out[0]
        uuid.UUID(task_id)  # a plain UUID
        return task_id

    # ----------------------------------------------------------------------- log

    def log_size(self) -> int:
        try:
            return self.log_file.stat().st_size
        except FileNotFoundError:
            return 0

    def log_since(self, offset: int, max_lines: int = 200) -> str:
        try:
            with open(self.log_file, "rb") as f:
                f.seek(offset)
                text = f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return f"(no log at {self.log_file})"
        lines = ANSI.sub("", text).splitlines()
        if len(lines) > max_lines:
            lines = [f"... ({len(lines) - max_lines} earlier lines in {self.log_file})"] + lines[-max_lines:]
        return "\n".join(lines)

    def log_tail(self, max_lines: int = 200) -> str:
        return f"--- {self.log_file} ---\n" + self.log_since(0, max_lines)
