"""Shared plumbing of the end-to-end suite: the depotd process, HTTP sessions that
trust it, stub configurations for the VCF SDK's bindings, the JSON-RPC corpus
recorder and a polling helper.

Fixtures live in conftest.py; tests import the plain helpers from here.
"""

from __future__ import annotations

import copy
import glob
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.parse
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, TypeVar, Union
from xml.etree import ElementTree

import requests
import urllib3

from vmware.vapi.bindings.stub import StubConfiguration
from vmware.vapi.lib.connect import get_requests_connector
from vmware.vapi.security.oauth import create_oauth_security_context
from vmware.vapi.stdlib.client.factories import StubConfigurationFactory

REPO = Path(__file__).resolve().parent.parent
CORPUS_DIR = REPO / "target" / "e2e-corpus"
LOG_FILE = REPO / "target" / "e2e" / "depotd.log"

# More servers (a module's own, e.g. test_replicas.py's replicas) whose log written
# during a failing test is attached to its report; modules add and remove them.
REPORTED_SERVERS: list = []

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


# ------------------------------------------------------------------------ stores

# Which stores the suite's servers use: "embedded" (the default: SQLite and
# <data-dir>/blobs) or "postgres-s3" (each server, or group of replicas, on a fresh
# schema of $DEPOTD_TEST_POSTGRES_URL and a fresh prefix of the S3 test bucket).
STORES_ENV = "DEPOTD_E2E_STORES"
STORES_EMBEDDED = "embedded"
STORES_POSTGRES_S3 = "postgres-s3"

# SHA-256 of an empty payload: the x-amz-content-sha256 of the bodiless S3 requests made here.
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
S3_NAMESPACE = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def stores_mode() -> str:
    """The value of $DEPOTD_E2E_STORES (default `embedded`); anything else is refused."""
    mode = os.environ.get(STORES_ENV) or STORES_EMBEDDED
    if mode not in (STORES_EMBEDDED, STORES_POSTGRES_S3):
        raise ValueError(f"{STORES_ENV}={mode!r}: expected {STORES_EMBEDDED!r} or {STORES_POSTGRES_S3!r}")
    return mode


class StoresUnavailable(RuntimeError):
    """PostgreSQL or the S3 test server is not there. `require` names the variable
    (DEPOTD_REQUIRE_POSTGRES / DEPOTD_REQUIRE_S3) that makes a test fail instead of skip."""

    def __init__(self, reason: str, require: str):
        super().__init__(reason)
        self.reason = reason
        self.require = require


def psql_binary() -> Optional[str]:
    """psql from PATH, else the newest of the PostgreSQL installation."""
    found = shutil.which("psql")
    if found:
        return found
    installed = sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"),
                       key=lambda p: [int(x) for x in Path(p).parts[-3].split(".") if x.isdigit()])
    return installed[-1] if installed else None


def s3_quote(text: str, safe: str = "-_.~") -> str:
    """URI-encoding as Signature Version 4 wants it (every byte but the unreserved)."""
    return urllib.parse.quote(text, safe=safe)


@dataclass
class StoreSpace:
    """A fresh PostgreSQL schema and a fresh S3 prefix: the database and the blob store of
    one depotd (or of replicas sharing them). Made with `create()`, removed with `drop()`.

    The bucket is read through the S3 API (ListObjectsV2, signed with the AWS_* test
    credentials), so any S3-compatible test server works; `s3_root` ($DEPOTD_TEST_S3_ROOT,
    s3s-fs's directory) is known only for the throwaway server of scripts/s3.sh.
    """

    psql: str
    postgres_url: str
    schema: str
    endpoint: str
    bucket: str
    prefix: str
    access_key: str
    secret_key: str
    s3_root: Optional[Path] = None
    region: str = "us-east-1"  # depotd's default --s3-region

    @classmethod
    def create(cls) -> "StoreSpace":
        """A new schema (created with psql, migrated by the first server) and a new prefix
        name; raises StoresUnavailable when PostgreSQL, psql or the S3 server is missing."""
        postgres_url = os.environ.get("DEPOTD_TEST_POSTGRES_URL")
        if not postgres_url:
            raise StoresUnavailable("no PostgreSQL (source scripts/postgres.sh)", "DEPOTD_REQUIRE_POSTGRES")
        endpoint, bucket = os.environ.get("DEPOTD_TEST_S3_ENDPOINT"), os.environ.get("DEPOTD_TEST_S3_BUCKET")
        access_key, secret_key = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
        if not (endpoint and bucket and access_key and secret_key):
            raise StoresUnavailable("no S3 test server (source scripts/s3.sh)", "DEPOTD_REQUIRE_S3")
        psql = psql_binary()
        if psql is None:
            raise StoresUnavailable("psql is not installed", "DEPOTD_REQUIRE_POSTGRES")
        root = os.environ.get("DEPOTD_TEST_S3_ROOT")
        space = cls(psql=psql, postgres_url=postgres_url, schema=f"depotd_e2e_{uuid.uuid4().hex}",
                    endpoint=endpoint.rstrip("/"), bucket=bucket, prefix=f"depotd-e2e-{uuid.uuid4().hex[:12]}",
                    access_key=access_key, secret_key=secret_key, s3_root=Path(root) if root else None)
        space.sql(f"CREATE SCHEMA {space.schema}")
        return space

    @property
    def database_url(self) -> str:
        """$DEPOTD_TEST_POSTGRES_URL with the schema as its search path."""
        separator = "&" if "?" in self.postgres_url else "?"
        return f"{self.postgres_url}{separator}options[search_path]={self.schema}"

    @property
    def blob_store(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def flags(self) -> list:
        """The `depotd serve` / CLI flags that put a server on this schema and prefix."""
        return ["--database-url", self.database_url, "--blob-store", self.blob_store,
                "--s3-endpoint", self.endpoint]

    def sql(self, query: str) -> list:
        """Rows of `query` (tables qualified with `self.schema`), as lists of strings."""
        done = subprocess.run([self.psql, self.postgres_url, "-X", "-q", "-A", "-t", "-F", "\t",
                               "-v", "ON_ERROR_STOP=1", "-c", query],
                              capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, f"psql: {query}\n{done.stderr}"
        return [line.split("\t") for line in done.stdout.splitlines() if line]

    # --------------------------------------------------------------------- bucket

    def _s3(self, method: str, key: str = "", query: Optional[dict] = None) -> requests.Response:
        """One bodiless path-style request to the bucket (`key` "" = the bucket itself),
        signed with AWS Signature Version 4."""
        now = time.gmtime()
        stamp, day = time.strftime("%Y%m%dT%H%M%SZ", now), time.strftime("%Y%m%d", now)
        path = f"/{s3_quote(self.bucket)}" + (f"/{s3_quote(key, safe='-_.~/')}" if key else "")
        canonical_query = "&".join(f"{s3_quote(k)}={s3_quote(v)}" for k, v in sorted((query or {}).items()))
        host = urllib.parse.urlsplit(self.endpoint).netloc
        headers = {"host": host, "x-amz-content-sha256": EMPTY_SHA256, "x-amz-date": stamp}
        signed = ";".join(sorted(headers))
        canonical = "\n".join([method, path, canonical_query,
                               "".join(f"{k}:{headers[k]}\n" for k in sorted(headers)), signed, EMPTY_SHA256])
        scope = f"{day}/{self.region}/s3/aws4_request"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
        key_bytes = f"AWS4{self.secret_key}".encode()
        for part in (day, self.region, "s3", "aws4_request"):
            key_bytes = hmac.new(key_bytes, part.encode(), hashlib.sha256).digest()
        signature = hmac.new(key_bytes, to_sign.encode(), hashlib.sha256).hexdigest()
        headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={self.access_key}/{scope}, "
                                    f"SignedHeaders={signed}, Signature={signature}")
        del headers["host"]  # requests sends it, the same
        url = f"{self.endpoint}{path}" + (f"?{canonical_query}" if canonical_query else "")
        with requests.Session() as s:
            s.trust_env = False  # no proxy for the test server
            return s.request(method, url, headers=headers, timeout=30)

    def keys(self, under: str = "") -> list:
        """The keys of the prefix that start with `under`, relative to the prefix, sorted."""
        found, token = [], None
        while True:
            query = {"list-type": "2", "prefix": f"{self.prefix}/{under}"}
            if token:
                query["continuation-token"] = token
            r = self._s3("GET", query=query)
            assert r.status_code == 200, f"ListObjectsV2 {query}: {r.status_code} {r.text}"
            listing = ElementTree.fromstring(r.content)
            found += [k.text.removeprefix(f"{self.prefix}/")
                      for k in listing.iter(f"{S3_NAMESPACE}Key")]
            token = listing.findtext(f"{S3_NAMESPACE}NextContinuationToken")
            if listing.findtext(f"{S3_NAMESPACE}IsTruncated") != "true" or not token:
                return sorted(found)

    def blob_digests(self) -> set:
        """The digests of the committed blobs: the prefix's `sha256/<2 hex>/<64 hex>` keys."""
        return {key.rsplit("/", 1)[-1] for key in self.keys("sha256/")}

    def staging_keys(self) -> list:
        """The prefix's `staging/` keys (upload markers, staged data, write probes),
        relative to `staging/`."""
        return [key.removeprefix("staging/") for key in self.keys("staging/")]

    def writes_in_progress(self) -> list:
        """Upload markers and staged data: the writes not yet committed (or not yet cleaned
        up). Write probes (`staging/probe-*`, a start-up check) do not count."""
        return [key for key in self.staging_keys() if not key.startswith("probe-")]

    def prefix_dir(self) -> Path:
        """The prefix's directory in s3s-fs's root (objects' files, whose modification
        times the server answers as Last-Modified)."""
        assert self.s3_root is not None, "the S3 server's root directory is unknown (DEPOTD_TEST_S3_ROOT)"
        return self.s3_root / self.bucket / self.prefix

    def drop(self) -> None:
        """Drops the schema and removes the prefix's objects."""
        self.sql(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")
        if self.s3_root is not None:
            shutil.rmtree(self.prefix_dir(), ignore_errors=True)
            return
        for key in self.keys():
            r = self._s3("DELETE", f"{self.prefix}/{key}")
            assert r.status_code in (200, 204), f"DELETE {key}: {r.status_code} {r.text}"


# ------------------------------------------------------------------------ depotd

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(repr=False)
class DepotServer:
    """One `depotd serve` process on a free loopback port with its own data dir.

    Its database and blob store: `stores` when given (replicas sharing one space; the
    caller drops it), else in the `postgres-s3` mode of $DEPOTD_E2E_STORES a StoreSpace
    of its own, made at `start()` and dropped at `stop()`, else the embedded default
    (SQLite and `<data-dir>/blobs`). The CLI runs (`cli_run`) get the same flags.
    """

    binary: Path
    data_dir: Path
    log_file: Path = LOG_FILE
    # `--import-dir`: product version catalog files are read only under it. None: the
    # server's default, <data-dir>/import.
    import_dir: Optional[Path] = None
    # `--catalog-trust` files (PEM CA certificates and public keys), one flag each.
    catalog_trust: list = field(default_factory=list)
    # More `depotd serve` arguments (a module's own server with its own settings).
    extra_args: list = field(default_factory=list)
    stores: Optional[StoreSpace] = None
    port: int = field(default_factory=free_port)
    process: Optional[subprocess.Popen] = None
    # Path of the pinned certificate, or False in the fallback mode (see _wait_healthy).
    tls_verify: Verify = True
    _saved_env: dict = field(default_factory=dict)
    _users_added: int = 0
    _owns_stores: bool = False

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

    def store_flags(self) -> list:
        """`--database-url`, `--blob-store`, `--s3-endpoint` of `stores`, or none."""
        return self.stores.flags() if self.stores is not None else []

    def catalog_flags(self) -> list:
        """`--import-dir` and `--catalog-trust` as configured (also what `catalog verify`
        needs to find the trust anchors)."""
        flags = []
        if self.import_dir is not None:
            flags += ["--import-dir", str(self.import_dir)]
        for path in self.catalog_trust:
            flags += ["--catalog-trust", str(path)]
        return flags

    def start(self, timeout: float = 60.0) -> None:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        if self.import_dir is not None:
            self.import_dir.mkdir(parents=True, exist_ok=True)
        if self.stores is None and stores_mode() == STORES_POSTGRES_S3:
            self.stores = StoreSpace.create()
            self._owns_stores = True
        log = open(self.log_file, "wb")
        try:
            self.process = subprocess.Popen(
                [str(self.binary), "serve", "--listen", self.hostport, "--data-dir", str(self.data_dir),
                 # Bounds the drain on SIGTERM well inside the 30 s the suite allows.
                 "--shutdown-grace-seconds", "10",
                 # No scheduled depot syncs: the suite triggers its own and counts requests.
                 "--depot-schedule", "",
                 *self.store_flags(), *self.catalog_flags(), *self.extra_args],
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
        """SIGTERM, then wait; then drops a StoreSpace of its own. Returns a complaint (or
        None) when `check` and the exit was not clean within `timeout` seconds."""
        try:
            return self._stop_process(check, timeout)
        finally:
            if self._owns_stores and self.stores is not None:
                self.stores.drop()
                self.stores, self._owns_stores = None, False

    def _stop_process(self, check: bool, timeout: float) -> Optional[str]:
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

    def cli_run(self, *args: str, password: Optional[str] = None) -> subprocess.CompletedProcess:
        """Runs `depotd <args> --data-dir DIR` and the server's store flags (the CLI shares
        its database and blob store) and returns the finished process whatever its exit
        status (text output captured)."""
        extra = {"DEPOTD_USER_PASSWORD": password} if password is not None else {}
        return subprocess.run([str(self.binary), *args, "--data-dir", str(self.data_dir), *self.store_flags()],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
                              env=self.env(**extra))

    def cli(self, *args: str, password: Optional[str] = None) -> str:
        """Runs `depotd <args> --data-dir DIR`; returns its standard output, fails on a
        non-zero exit status."""
        done = self.cli_run(*args, password=password)
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

    def blob_writes_in_progress(self) -> list:
        """The blob writes not yet committed or cleaned up: the temporary files of
        `<data-dir>/blobs/tmp`, or on S3 the prefix's upload markers and staged data."""
        if self.stores is not None:
            return self.stores.writes_in_progress()
        return sorted(p.name for p in (self.data_dir / "blobs" / "tmp").glob("*"))

    def submit_blob_gc(self) -> str:
        """`depotd blobs gc`: queues a blob_gc task for the running server's workers.
        Prints `<task id>\\t<status>` (the already active pass, if one is)."""
        out = self.cli("blobs", "gc").split()
        task_id = out[0]
        uuid.UUID(task_id)  # a plain UUID
        return task_id

    def sign_catalog(self, catalog: Path, key: Path, cert: Optional[Path] = None,
                     out: Optional[Path] = None) -> Path:
        """`depotd catalog sign FILE --key KEY [--cert CERT] --out SIG`: with a certificate,
        an envelope (`SHA256(<file name>)= <hex>` + the PEM chain); without, a bare base64
        signature. Returns the signature file (default FILE.sig)."""
        out = out or catalog.with_name(catalog.name + ".sig")
        args = ["catalog", "sign", str(catalog), "--key", str(key), "--out", str(out)]
        if cert is not None:
            args += ["--cert", str(cert)]
        self.cli(*args)
        return out

    def verify_catalog(self, catalog: Path, signature: Path, trust: Path) -> subprocess.CompletedProcess:
        """`depotd catalog verify FILE --signature SIG --catalog-trust PEM` (any exit status)."""
        return self.cli_run("catalog", "verify", str(catalog), "--signature", str(signature),
                            "--catalog-trust", str(trust))

    def catalog_history(self) -> list:
        """`depotd catalog history`: the accepted catalog versions, oldest first, as dicts
        keyed by the header line (version, sequence, change, accepted_at, accepted_by,
        task, content_sha256)."""
        lines = self.cli("catalog", "history").splitlines()
        header = lines[0].split("\t")
        return [dict(zip(header, line.split("\t"))) for line in lines[1:] if line]

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


# ------------------------------------------------------- product version catalogs


@dataclass(frozen=True)
class CatalogPki:
    """Signing material for product version catalogs, as PEM files in `directory`.

    - `ca_cert`: a root CA (ECDSA P-256; basicConstraints CA=true, keyUsage keyCertSign
      and cRLSign), the trust anchor of envelope signatures;
    - `signer_cert` / `signer_key`: a signing leaf issued by it (ECDSA P-256;
      basicConstraints CA=false, keyUsage digitalSignature), key in PKCS#8;
    - `ed25519_key` / `ed25519_public`: a key pair for bare signatures (PKCS#8 and
      SubjectPublicKeyInfo);
    - `trust`: what the server gets as `--catalog-trust`: the CA certificate and the
      Ed25519 public key, two PEM blocks in one file.

    Everything is valid from yesterday to a year from now.
    """

    directory: Path
    ca_cert: Path
    signer_cert: Path
    signer_key: Path
    ed25519_key: Path
    ed25519_public: Path
    trust: Path


def make_catalog_pki(directory: Path) -> CatalogPki:
    """Generates a CatalogPki in `directory` with the `cryptography` package."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    not_before, not_after = now - datetime.timedelta(days=1), now + datetime.timedelta(days=365)

    def name(common_name: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "depotd e2e"),
                          x509.NameAttribute(NameOID.COMMON_NAME, common_name)])

    def key_usage(**set_bits: bool) -> x509.KeyUsage:
        bits = dict(digital_signature=False, content_commitment=False, key_encipherment=False,
                    data_encipherment=False, key_agreement=False, key_cert_sign=False,
                    crl_sign=False, encipher_only=False, decipher_only=False)
        bits.update(set_bits)
        return x509.KeyUsage(**bits)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = name("depotd e2e catalog root CA")
    ca_cert = (x509.CertificateBuilder()
               .subject_name(ca_name).issuer_name(ca_name)
               .public_key(ca_key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(not_before).not_valid_after(not_after)
               .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
               .add_extension(key_usage(key_cert_sign=True, crl_sign=True), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
               .sign(ca_key, hashes.SHA256()))

    signer_key = ec.generate_private_key(ec.SECP256R1())
    signer_cert = (x509.CertificateBuilder()
                   .subject_name(name("depotd e2e catalog signer")).issuer_name(ca_name)
                   .public_key(signer_key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(not_before).not_valid_after(not_after)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(key_usage(digital_signature=True), critical=True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(signer_key.public_key()),
                                  critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                                  critical=False)
                   .sign(ca_key, hashes.SHA256()))

    ed_key = ed25519.Ed25519PrivateKey.generate()

    def pkcs8(key) -> bytes:
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())

    ca_pem = ca_cert.public_bytes(serialization.Encoding.PEM)
    ed_public_pem = ed_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo)
    pki = CatalogPki(directory=directory, ca_cert=directory / "ca.crt",
                     signer_cert=directory / "signer.crt", signer_key=directory / "signer.key",
                     ed25519_key=directory / "ed25519.key", ed25519_public=directory / "ed25519.pub",
                     trust=directory / "catalog-trust.pem")
    directory.mkdir(parents=True, exist_ok=True)
    pki.ca_cert.write_bytes(ca_pem)
    pki.signer_cert.write_bytes(signer_cert.public_bytes(serialization.Encoding.PEM))
    pki.signer_key.write_bytes(pkcs8(signer_key))
    pki.ed25519_key.write_bytes(pkcs8(ed_key))
    pki.ed25519_public.write_bytes(ed_public_pem)
    pki.trust.write_bytes(ca_pem + ed_public_pem)
    for private in (pki.signer_key, pki.ed25519_key):
        private.chmod(0o600)
    return pki


def catalog_time(when: Optional[float] = None) -> str:
    """A catalog timestamp as the seed writes them: `2025-03-21T09:42:55.024Z`."""
    when = time.time() if when is None else when
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(when)) + f".{int(when * 1000) % 1000:03d}Z"


def catalog_patch(product_type: str, product_version: str, *, description: Optional[str] = None,
                  bundle_types: tuple = ("PATCH", "INSTALL"), release_date: Optional[str] = None) -> dict:
    """One seed-like patch entry: a bundle per entry of `bundle_types` (PATCH, INSTALL),
    each with a fresh uuid4 id (also its name) and one binary with a random SHA-256."""
    bundles = []
    for bundle_type in bundle_types:
        bundle_id = str(uuid.uuid4())
        extension = "iso" if bundle_type == "PATCH" else "zip"
        bundles.append({
            "id": bundle_id,
            "type": bundle_type,
            "name": bundle_id,
            "binaries": [{
                "fileName": f"VMware-{product_type}-{product_version}.x86_64.{extension}",
                "size": 100_000_000 + int.from_bytes(os.urandom(3), "big"),
                "checksum": os.urandom(32).hex(),
            }],
        })
    return {
        "releaseDate": release_date or catalog_time(),
        "description": description or f"{product_type} {product_version}",
        "productVersion": product_version,
        "artifacts": {"bundles": bundles},
    }


def catalog_document(sequence_number: int, patches: dict, *, version: int = 1,
                     creation_time: Optional[str] = None, published_time: Optional[str] = None) -> dict:
    """A seed-like product version catalog: `patches` maps product type -> [catalog_patch()]."""
    created = creation_time or catalog_time()
    return {
        "version": version,
        "sequenceNumber": sequence_number,
        "creationTime": created,
        "publishedTime": published_time or created,
        "patches": patches,
    }


def write_catalog(directory: Path, name: str, document: dict) -> Path:
    """Writes `document` as `directory/name` (pretty JSON, as the depot publishes it)."""
    path = directory / name
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path
