"""fleet-lcm tasks (vcf.fleet_lcm.v1.tasks) with a bearer token, and a real task from
`depotd blobs gc`."""

import datetime
import uuid

import pytest

from vcf.fleet_lcm.model_client import ErrorResponse, PageOfTaskSummary, Task
from vcf.fleet_lcm.v1_client import Health, Tasks
from vmware.vapi.bindings.error import UnresolvedError

from harness import rest_stub_config, wait_for

TERMINAL = ("SUCCEEDED", "FAILED", "CANCELED")


@pytest.fixture
def tasks(fleet_stub_config) -> Tasks:
    return Tasks(fleet_stub_config)


@pytest.fixture
def finished_gc(depotd, tasks) -> Task:
    """A blob_gc task submitted through the CLI, polled with get_task until it is done."""
    task_id = depotd.submit_blob_gc()

    def done():
        task = tasks.get_task(task_id)
        return task if task.status in TERMINAL else None

    task = wait_for(done, f"task {task_id} to finish")
    assert task.status == "SUCCEEDED", task
    return task


def all_task_ids(tasks: Tasks, **filters) -> list:
    """Every task id get_tasks lists, following the pages."""
    ids, page_number = [], 1
    while True:
        page = tasks.get_tasks(page_number=page_number, page_size=100, **filters)
        ids += [t.id for t in page.elements]
        if page_number >= page.page_metadata.total_pages:
            return ids
        page_number += 1


def test_get_tasks_returns_a_page(tasks):
    page = tasks.get_tasks()
    assert isinstance(page, PageOfTaskSummary)
    assert isinstance(page.elements, list)
    meta = page.page_metadata
    assert meta is not None
    assert meta.page_number == 1
    assert meta.page_size >= 1
    assert meta.total_elements >= len(page.elements)


def test_get_unknown_task_is_404(tasks):
    # get_task declares ErrorResponse for 404 and 500: the class is picked by status.
    with pytest.raises(ErrorResponse) as caught:
        tasks.get_task(str(uuid.uuid4()))
    assert caught.value.get_status_code() == 404
    assert caught.value.code


def test_finished_task(finished_gc):
    task = finished_gc
    assert isinstance(task, Task)
    uuid.UUID(task.id)
    assert task.name == "blob_gc"
    assert task.status == "SUCCEEDED"
    assert isinstance(task.create_time, datetime.datetime)
    assert isinstance(task.end_time, datetime.datetime)
    assert task.retriable is False
    assert task.cancellable is False
    assert task.stages, "a task with stages"
    for stage in task.stages:
        assert stage.id and stage.status == "SUCCEEDED"
        assert isinstance(stage.start_time, datetime.datetime)
        assert isinstance(stage.end_time, datetime.datetime)
    assert task.task_summary.total_steps == len(task.stages)
    assert isinstance(task.sub_tasks, list)


def test_system_task_listed_on_request(tasks, finished_gc):
    # blob_gc is a system task: listed only with includeSystemTasks=true.
    assert finished_gc.id in all_task_ids(tasks, include_system_tasks=True)
    assert finished_gc.id not in all_task_ids(tasks)
    assert finished_gc.id in all_task_ids(tasks, include_system_tasks=True, status="SUCCEEDED", name="blob_gc")


def test_retry_succeeded_task_is_400(tasks, finished_gc):
    with pytest.raises(ErrorResponse) as caught:
        tasks.retry_task(finished_gc.id)
    assert caught.value.get_status_code() == 400
    assert caught.value.code


def test_cancel_succeeded_task_is_400(tasks, finished_gc):
    with pytest.raises(ErrorResponse) as caught:
        tasks.cancel_task(finished_gc.id)
    assert caught.value.get_status_code() == 400
    assert caught.value.code


def test_bad_token_is_401(depotd, http, sdk_session):
    r = http.get(f"{depotd.url}/fleet-lcm/v1/tasks", headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401, r.text
    assert r.json()["code"]
    # get_tasks declares only 500, so the SDK reports the 401 as UnresolvedError.
    bad = Tasks(rest_stub_config(sdk_session(), f"{depotd.url}/fleet-lcm", "not-a-token"))
    with pytest.raises(UnresolvedError):
        bad.get_tasks()


def test_health(fleet_stub_config):
    assert Health(fleet_stub_config).get_health().up is True
