"""Fixtures of the end-to-end suite: one depotd per test session, driven with the
official VCF SDK for Python.

    depotd              the running server (harness.DepotServer)
    catalog_pki         catalog signing material; its trust file is the server's --catalog-trust
    import_dir          the server's --import-dir (catalog files must lie under it)
    http                a plain requests.Session trusting it (raw calls, not recorded)
    sdk_session         a fresh requests.Session for SDK clients (JSON-RPC recorded)
    vsphere_login       factory: user, password -> logged-in VsphereClient
    vsphere_client      administrator's VsphereClient (JSON-RPC session)
    vsphere_stub_config that client's StubConfiguration, for com.vmware.* stubs
    bearer_token        administrator's access token from POST /v1/tokens
    sddc_stub_config    vmware.sddc_manager bindings, bearer-authenticated
    fleet_stub_config   vcf.fleet_lcm bindings, bearer-authenticated
    add_user            factory: role -> (name, password), through the CLI

Marker `run_last`: the marked tests run after all others (test_depot_sync.py).

Stores: with DEPOTD_E2E_STORES=postgres-s3 every depotd of the session (this one, the
modules' own servers, the CLI runs) works on a fresh PostgreSQL schema and a fresh S3
prefix of its own (harness.StoreSpace), dropped when it stops; the default is the
embedded SQLite database and `<data-dir>/blobs`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests

from harness import (ADMIN_PASSWORD, ADMIN_USER, REPO, REPORTED_SERVERS, STORES_POSTGRES_S3, CatalogPki,
                     CorpusRecorder, DepotServer, make_catalog_pki, rest_stub_config, stores_mode,
                     trusting_session)

# The server of this test session, for the report hook below.
_SERVER: DepotServer | None = None
_LOG_OFFSET = pytest.StashKey[int]()
_EXTRA_LOG_OFFSETS = pytest.StashKey[dict]()


# --------------------------------------------------------------------- ordering


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "run_last: run after every unmarked test of the session (a module whose catalog, "
        "synced from an upstream depot, carries a sequence number so high that catalog "
        "uploads of later tests would be refused as rollbacks)")


def pytest_report_header(config):
    mode = stores_mode()
    if mode == STORES_POSTGRES_S3:
        # Not the PostgreSQL URL: one of the user's own may carry a password.
        return (f"depotd stores: {mode} (a schema of $DEPOTD_TEST_POSTGRES_URL, a prefix of "
                f"{os.environ.get('DEPOTD_TEST_S3_ENDPOINT')}/{os.environ.get('DEPOTD_TEST_S3_BUCKET')})")
    return f"depotd stores: {mode} (SQLite and <data-dir>/blobs)"


def pytest_collection_modifyitems(session, config, items):
    """Moves the tests marked `run_last` to the end, keeping the order within both groups."""
    last = [item for item in items if item.get_closest_marker("run_last")]
    if last:
        items[:] = [item for item in items if not item.get_closest_marker("run_last")] + last


# --------------------------------------------------------------------- the server


@pytest.fixture(scope="session")
def catalog_pki(tmp_path_factory) -> CatalogPki:
    """A root CA (ECDSA P-256) with a signing leaf, and an Ed25519 key pair, generated
    for this session; `catalog_pki.trust` (CA certificate + Ed25519 public key) is the
    server's `--catalog-trust` file. See harness.CatalogPki."""
    return make_catalog_pki(tmp_path_factory.mktemp("catalog-pki"))


@pytest.fixture(scope="session")
def depotd(tmp_path_factory, catalog_pki) -> DepotServer:
    """`depotd serve` over HTTPS on a free 127.0.0.1 port with a scratch data dir,
    `--import-dir <data-dir>/import` and `--catalog-trust <catalog_pki.trust>`; on
    PostgreSQL and S3 with DEPOTD_E2E_STORES=postgres-s3 (see the top of this file).

    Binary: $DEPOTD_BIN or target/release/depotd. Log: target/e2e/depotd.log (the part
    written during a failing test is attached to its report). Stopped with SIGTERM at
    the end; anything but exit status 0 within 30 s fails the session.
    """
    global _SERVER
    binary = Path(os.environ.get("DEPOTD_BIN") or REPO / "target" / "release" / "depotd")
    if not os.access(binary, os.X_OK):
        pytest.exit(f"no depotd binary at {binary}: run `cargo build --release -p depotd` or set DEPOTD_BIN", 2)
    data_dir = tmp_path_factory.mktemp("depotd-data")
    server = DepotServer(binary=binary, data_dir=data_dir, import_dir=data_dir / "import",
                         catalog_trust=[catalog_pki.trust])
    problem = None
    try:
        server.start()
    except RuntimeError as e:
        problem = str(e)
    if problem:
        pytest.fail(problem, pytrace=False)
    _SERVER = server
    try:
        yield server
    finally:
        _SERVER = None
        complaint = server.stop(check=True)
        if complaint:
            pytest.fail(f"{complaint}\n{server.log_tail(50)}", pytrace=False)


@pytest.fixture(scope="session")
def import_dir(depotd) -> Path:
    """The server's import directory: catalog and signature paths must lie under it."""
    return depotd.import_dir


@pytest.fixture(autouse=True)
def _mark_log(request, depotd):
    """Remembers where the server log stood when the test began."""
    request.node.stash[_LOG_OFFSET] = depotd.log_size()
    request.node.stash[_EXTRA_LOG_OFFSETS] = {id(s): s.log_size() for s in REPORTED_SERVERS}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Attaches the server log written during a failing test to its report."""
    outcome = yield
    report = outcome.get_result()
    if report.failed and _SERVER is not None:
        start = item.stash.get(_LOG_OFFSET, 0)
        text = _SERVER.log_since(start) or "(nothing logged at level info during this test)"
        report.sections.append(("depotd log during this test", f"{text}\n(whole log: {_SERVER.log_file})"))
    if report.failed:
        offsets = item.stash.get(_EXTRA_LOG_OFFSETS, {})
        for server in REPORTED_SERVERS:
            text = server.log_since(offsets.get(id(server), 0), max_lines=60) or "(nothing logged)"
            report.sections.append((f"{server.log_file.name} during this test",
                                    f"{text}\n(whole log: {server.log_file})"))


# ------------------------------------------------------------------ HTTP sessions


@pytest.fixture(scope="session")
def corpus() -> CorpusRecorder:
    return CorpusRecorder()


@pytest.fixture
def http(depotd) -> requests.Session:
    """requests.Session trusting depotd's certificate; for hand-made calls."""
    with trusting_session(depotd.tls_verify) as s:
        yield s


@pytest.fixture
def sdk_session(depotd, corpus):
    """Factory of sessions for SDK clients, recording their JSON-RPC requests.

    One session per client: VsphereClient closes the session it was given when it is
    garbage-collected, and the SDK mounts its own connection-pool adapters on it.
    """
    made = []

    def make() -> requests.Session:
        s = trusting_session(depotd.tls_verify, recorder=corpus)
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


# ------------------------------------------------------------------------ users


@pytest.fixture
def add_user(depotd):
    """Factory: role ("Admin", "Operator", "ReadOnly") -> (name, password).

    `depotd user add NAME --role ROLE --data-dir DIR` with the password in
    DEPOTD_USER_PASSWORD; the CLI writes to the running server's database.
    """
    return depotd.add_user


# ----------------------------------------------------------------------- vSphere


@pytest.fixture
def vsphere_login(depotd, sdk_session):
    """Factory: (user, password) -> VsphereClient logged in over vAPI JSON-RPC.

    create_vsphere_client() posts com.vmware.cis.session/create to https://<server>/api
    with a user_pass security context, then sends the session id in every request body.
    Sessions still open at the end are deleted (errors ignored: a test may have ended
    them already).
    """
    from vmware.vapi.vsphere.client import create_vsphere_client

    clients = []

    def login(user: str, password: str):
        client = create_vsphere_client(server=depotd.hostport, username=user, password=password,
                                       session=sdk_session())
        clients.append(client)
        return client

    yield login
    for client in clients:
        try:
            client.session_svc.delete()
        except Exception:
            pass


@pytest.fixture
def vsphere_client(vsphere_login):
    """The administrator's VsphereClient."""
    return vsphere_login(ADMIN_USER, ADMIN_PASSWORD)


@pytest.fixture
def vsphere_stub_config(vsphere_client):
    """The StubConfiguration behind a VsphereClient, for stubs it does not expose
    (e.g. com.vmware.cis_client.Tasks). VsphereClient has no public accessor: its
    attribute lookups fall through to the top StubFactory, whose `_stub_config` is the
    JSON-RPC connector to https://<server>/api with the session security context."""
    return vsphere_client._stub_config


# ---------------------------------------------------------- SDDC Manager, fleet-lcm


@pytest.fixture
def bearer_token(depotd, http) -> str:
    """An access token for the administrator from `POST /v1/tokens`."""
    r = http.post(f"{depotd.url}/v1/tokens", json={"username": ADMIN_USER, "password": ADMIN_PASSWORD})
    assert r.status_code in (200, 201), r.text
    return r.json()["accessToken"]


@pytest.fixture
def sddc_stub_config(depotd, sdk_session, bearer_token):
    """vmware.sddc_manager bindings: base URL = host root (templates are /v1/...)."""
    return rest_stub_config(sdk_session(), depotd.url, bearer_token)


@pytest.fixture
def fleet_stub_config(depotd, sdk_session, bearer_token):
    """vcf.fleet_lcm bindings: base URL = https://host:port/fleet-lcm."""
    return rest_stub_config(sdk_session(), f"{depotd.url}/fleet-lcm", bearer_token)
