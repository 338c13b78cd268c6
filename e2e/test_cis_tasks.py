"""com.vmware.cis.tasks over vAPI JSON-RPC, with a real task from `depotd blobs gc`."""

import datetime
import uuid

import pytest

from com.vmware.cis.task_client import Info, Status
from com.vmware.cis_client import Tasks
from com.vmware.vapi.std.errors_client import NotAllowedInCurrentState, NotFound, Unauthorized

from harness import ADMIN_PASSWORD, ADMIN_USER, wait_for

TERMINAL = (Status.SUCCEEDED, Status.FAILED)


@pytest.fixture
def tasks(vsphere_stub_config) -> Tasks:
    # com.vmware.cis_client.Tasks is not reachable from VsphereClient's attributes;
    # build it on the client's stub configuration (JSON-RPC + session id).
    return Tasks(vsphere_stub_config)


@pytest.fixture
def finished_gc(depotd, tasks):
    """A blob_gc task submitted through the CLI, polled with Tasks.get until it is done.
    Returns (task id, final Info)."""
    task_id = depotd.submit_blob_gc()

    def done():
        info = tasks.get(task_id)
        return info if info.status in TERMINAL else None

    info = wait_for(done, f"task {task_id} to finish")
    assert info.status == Status.SUCCEEDED, info
    return task_id, info


def rest_task_view(depotd, http, task_id) -> dict:
    """The same task through the /api REST form (session from POST /api/session)."""
    sid = http.post(f"{depotd.url}/api/session", auth=(ADMIN_USER, ADMIN_PASSWORD))
    assert sid.status_code == 201, sid.text
    headers = {"vmware-api-session-id": sid.json()}
    try:
        r = http.get(f"{depotd.url}/api/cis/tasks/{task_id}", headers=headers)
        assert r.status_code == 200, r.text
        return r.json()
    finally:
        http.delete(f"{depotd.url}/api/session", headers=headers)


def test_list_returns_a_map(tasks):
    listed = tasks.list()
    assert isinstance(listed, dict)
    for task_id, info in listed.items():
        assert isinstance(task_id, str) and task_id
        assert isinstance(info, Info)


def test_get_unknown_task_is_not_found(tasks):
    with pytest.raises(NotFound):
        tasks.get(str(uuid.uuid4()))


def test_cancel_unknown_task_is_not_found(tasks):
    with pytest.raises(NotFound):
        tasks.cancel(str(uuid.uuid4()))


def test_finished_task_info(depotd, http, finished_gc):
    task_id, info = finished_gc
    assert info.status == "SUCCEEDED"
    # Same service and operation as the REST view of the task; both must be set.
    rest = rest_task_view(depotd, http, task_id)
    assert info.service and info.service == rest["service"]
    assert info.operation and info.operation == rest["operation"]
    assert info.description.id and info.description.default_message
    assert info.progress is not None
    assert info.progress.total > 0
    assert info.progress.completed == info.progress.total
    assert isinstance(info.start_time, datetime.datetime)
    assert isinstance(info.end_time, datetime.datetime)
    assert info.start_time <= info.end_time
    assert info.cancelable is False
    assert info.error is None


def test_list_filters_by_status(tasks, finished_gc):
    task_id, _ = finished_gc
    succeeded = tasks.list(filter_spec=Tasks.FilterSpec(status=set([Status.SUCCEEDED])))
    assert task_id in succeeded
    assert all(i.status == Status.SUCCEEDED for i in succeeded.values())
    running = tasks.list(filter_spec=Tasks.FilterSpec(status=set([Status.RUNNING, Status.PENDING])))
    assert task_id not in running
    by_id = tasks.list(filter_spec=Tasks.FilterSpec(tasks=set([task_id])))
    assert list(by_id) == [task_id]


def test_cancel_finished_task_not_allowed(tasks, finished_gc):
    task_id, _ = finished_gc
    with pytest.raises(NotAllowedInCurrentState):
        tasks.cancel(task_id)


def test_read_only_user_reads_but_cannot_cancel(vsphere_login, add_user, finished_gc):
    task_id, _ = finished_gc
    name, password = add_user("ReadOnly")
    read_only = Tasks(vsphere_login(name, password)._stub_config)
    assert read_only.get(task_id).status == Status.SUCCEEDED
    with pytest.raises(Unauthorized):
        read_only.cancel(task_id)
