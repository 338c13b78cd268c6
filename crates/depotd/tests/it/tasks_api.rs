//! Task views: fleet-lcm `Task`/`TaskSummary` and vSphere `cis.task.info`, with retry
//! and cancel, driven by a small job of the tests' own and the real `blob_gc` job.

use std::sync::Arc;

use async_trait::async_trait;
use axum::http::{Method, StatusCode};
use depot_model::{ErrorKind, Message, Stage, TaskId};
use depot_tasks::{Job, JobContext, JobError, NewTask};
use depotd::jobs::BlobGc;
use serde_json::Value;

use crate::support::{ADMIN, ADMIN_PASSWORD, TestApp};

/// Two stages; the second fails on the first attempt (retriable), succeeds after.
struct Flaky;

#[async_trait]
impl Job for Flaky {
    fn name(&self) -> &'static str {
        "flaky"
    }

    async fn run(&self, ctx: &mut JobContext) -> Result<Option<Value>, JobError> {
        if ctx.begin_stage("prepare").await? {
            ctx.finish_stage("prepare").await?;
        }
        if ctx.begin_stage("apply").await? {
            if ctx.task().attempts < 2 {
                return Err(JobError::retriable(
                    ErrorKind::Unavailable,
                    "UPSTREAM_DOWN",
                    Message::new("test.upstream.down", "Upstream is down")
                        .arg("host", "depot.example"),
                ));
            }
            ctx.finish_stage("apply").await?;
        }
        Ok(Some(serde_json::json!({"applied": true})))
    }
}

fn flaky_task() -> NewTask {
    let mut t = NewTask::new("flaky", Message::new("test.flaky", "Flaky test job"), ADMIN);
    "apply".clone_into(&mut t.task_type);
    t.service_operation = Some(("com.vmware.test.flaky".to_owned(), "run".to_owned()));
    t.stages = vec![
        Stage::new("prepare", Message::new("test.prepare", "Prepare")),
        Stage::new("apply", Message::new("test.apply", "Apply")),
    ];
    t
}

async fn app() -> TestApp {
    TestApp::with(|_| {}, vec![Arc::new(Flaky) as Arc<dyn Job>]).await
}

#[tokio::test]
async fn fleet_task_view_failure_retry_success() {
    let t = app().await;
    let bearer = format!("Bearer {}", t.bearer(ADMIN, ADMIN_PASSWORD).await);
    let auth = [("authorization", bearer.as_str())];
    let task = t.app.services.tasks.submit(flaky_task()).await.unwrap();
    let url = format!("/fleet-lcm/v1/tasks/{}", task.id);
    let r = t.send(Method::GET, &url, &auth, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["status"], "PENDING");
    assert_eq!(r.body["subTasks"], serde_json::json!([]));
    assert_eq!(r.body["additionalDetails"], serde_json::json!({}));
    assert_eq!(
        r.body["taskSummary"],
        serde_json::json!({"totalSubTasks": 0, "totalSteps": 2})
    );

    t.app.services.tasks.run_pending().await.unwrap();
    let r = t.send(Method::GET, &url, &auth, None).await;
    assert_eq!(r.body["status"], "FAILED", "{}", r.text);
    assert_eq!(r.body["retriable"], true);
    assert_eq!(r.body["cancellable"], false);
    assert_eq!(r.body["stages"][0]["status"], "SUCCEEDED");
    assert_eq!(r.body["stages"][1]["status"], "FAILED");
    assert_eq!(r.body["additionalDetails"]["errorCode"], "UPSTREAM_DOWN");
    let last = r.body["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["level"], "ERROR");
    assert_eq!(last["message"]["args"]["host"], "depot.example");
    assert!(r.body["endTime"].as_str().unwrap().ends_with('Z'));

    let r = t
        .send(Method::POST, &format!("{url}?action=retry"), &auth, None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "PENDING");
    t.app.services.tasks.run_pending().await.unwrap();
    let r = t.send(Method::GET, &url, &auth, None).await;
    assert_eq!(r.body["status"], "SUCCEEDED", "{}", r.text);
    assert_eq!(
        r.body["result"],
        serde_json::json!({"applied": true, "type": "apply"})
    );
    // A succeeded task is neither retriable nor cancellable.
    let r = t
        .send(Method::POST, &format!("{url}?action=retry"), &auth, None)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["code"], "TASK_NOT_RETRIABLE");
    let r = t
        .send(Method::POST, &format!("{url}?action=cancel"), &auth, None)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["code"], "TASK_NOT_CANCELLABLE");
}

#[tokio::test]
async fn cis_task_info_and_cancel() {
    let t = app().await;
    let session = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let auth = [("vmware-api-session-id", session.as_str())];
    let task = t.app.services.tasks.submit(flaky_task()).await.unwrap();
    let r = t
        .send(
            Method::GET,
            &format!("/api/cis/tasks/{}", task.id),
            &auth,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["status"], "PENDING");
    assert_eq!(r.body["service"], "com.vmware.test.flaky");
    assert_eq!(r.body["operation"], "run");
    assert_eq!(r.body["cancelable"], true);
    assert_eq!(r.body["description"]["default_message"], "Flaky test job");
    // vCenter-style ids (`<uuid>:<service>`) are accepted too.
    let r = t
        .send(
            Method::GET,
            &format!("/api/cis/tasks/{}:com.vmware.test.flaky", task.id),
            &auth,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = t
        .send(
            Method::POST,
            &format!("/api/cis/tasks/{}?action=cancel", task.id),
            &auth,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = t
        .send(
            Method::GET,
            &format!("/api/cis/tasks/{}", task.id),
            &auth,
            None,
        )
        .await;
    assert_eq!(r.body["status"], "FAILED");
    assert_eq!(r.body["error"]["error_type"], "CANCELED");
    let r = t
        .send(
            Method::POST,
            &format!("/api/cis/tasks/{}", task.id),
            &auth,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["error_type"], "NOT_ALLOWED_IN_CURRENT_STATE");
}

#[tokio::test]
async fn cis_info_of_a_succeeded_job_carries_its_result() {
    let t = app().await;
    let session = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let auth = [("vmware-api-session-id", session.as_str())];
    let task = t
        .app
        .services
        .tasks
        .submit(BlobGc::task(ADMIN))
        .await
        .unwrap();
    t.app.services.tasks.run_pending().await.unwrap();
    let r = t
        .send(
            Method::GET,
            &format!("/api/cis/tasks/{}", task.id),
            &auth,
            None,
        )
        .await;
    assert_eq!(r.body["status"], "SUCCEEDED", "{}", r.text);
    assert_eq!(r.body["progress"]["completed"], r.body["progress"]["total"]);
    assert_eq!(r.body["result"]["removed"], 0);
    assert!(r.body["start_time"].is_string() && r.body["end_time"].is_string());
    let r = t
        .send(
            Method::GET,
            &format!("/api/cis/tasks/{}?exclude_result=true", task.id),
            &auth,
            None,
        )
        .await;
    assert!(r.body.get("result").is_none());
    let r = t
        .send(Method::GET, "/api/cis/tasks?status=SUCCEEDED", &auth, None)
        .await;
    assert!(r.body.get(task.id.to_string()).is_some(), "{}", r.text);
    let r = t
        .send(Method::GET, "/api/cis/tasks?status=PENDING", &auth, None)
        .await;
    assert_eq!(r.body, serde_json::json!({}));
}

#[tokio::test]
async fn fleet_list_filters_and_pages() {
    let t = app().await;
    let bearer = format!("Bearer {}", t.bearer(ADMIN, ADMIN_PASSWORD).await);
    let auth = [("authorization", bearer.as_str())];
    let mut ids: Vec<TaskId> = Vec::new();
    for _ in 0..5 {
        ids.push(t.app.services.tasks.submit(flaky_task()).await.unwrap().id);
    }
    // The blob GC task is a system task: hidden unless asked for.
    t.app
        .services
        .tasks
        .submit(BlobGc::task("system"))
        .await
        .unwrap();
    let r = t
        .send(
            Method::GET,
            "/fleet-lcm/v1/tasks?pageSize=2&pageNumber=3",
            &auth,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.body["pageMetadata"],
        serde_json::json!({"pageNumber": 3, "pageSize": 2, "totalElements": 5, "totalPages": 3})
    );
    assert_eq!(r.body["elements"].as_array().unwrap().len(), 1);
    let summary = &r.body["elements"][0];
    assert!(summary.get("stages").is_none(), "summaries carry no stages");
    assert_eq!(summary["name"], "flaky");
    let r = t
        .send(
            Method::GET,
            "/fleet-lcm/v1/tasks?includeSystemTasks=true",
            &auth,
            None,
        )
        .await;
    assert_eq!(r.body["pageMetadata"]["totalElements"], 6);
    let r = t
        .send(
            Method::GET,
            "/fleet-lcm/v1/tasks?status=PENDING&type=apply&createdBy=nobody",
            &auth,
            None,
        )
        .await;
    assert_eq!(r.body["pageMetadata"]["totalElements"], 0);
    let r = t
        .send(
            Method::GET,
            "/fleet-lcm/v1/tasks?status=PENDING&type=apply&startTimeLt=2030-01-01T00:00:00.000Z",
            &auth,
            None,
        )
        .await;
    // Pending tasks have no start time, so a start-time bound excludes them.
    assert_eq!(r.body["pageMetadata"]["totalElements"], 0);
    let r = t
        .send(
            Method::GET,
            "/fleet-lcm/v1/tasks?status=PENDING&name=flaky",
            &auth,
            None,
        )
        .await;
    assert_eq!(r.body["pageMetadata"]["totalElements"], 5);
}

/// A flaky task on the resource `id` of type `kind`.
fn flaky_task_on(kind: &str, id: &str) -> NewTask {
    let mut t = flaky_task();
    t.resource = Some((id.to_owned(), kind.to_owned()));
    t
}

#[tokio::test]
async fn cis_list_filters_by_targets_over_rest_and_json_rpc() {
    let t = app().await;
    let session = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let auth = [("vmware-api-session-id", session.as_str())];
    let tasks = &t.app.services.tasks;
    let lib = tasks
        .submit(flaky_task_on("com.vmware.content.Library", "lib-1"))
        .await
        .unwrap();
    let other_lib = tasks
        .submit(flaky_task_on("com.vmware.content.Library", "lib-2"))
        .await
        .unwrap();
    let depot = tasks
        .submit(flaky_task_on("com.vmware.esx.settings.depot", "lib-1"))
        .await
        .unwrap();
    // Info shows the target.
    let r = t
        .send(
            Method::GET,
            &format!("/api/cis/tasks/{}", lib.id),
            &auth,
            None,
        )
        .await;
    assert_eq!(
        r.body["target"],
        serde_json::json!({"type": "com.vmware.content.Library", "id": "lib-1"})
    );
    // A list of structures has no flat query form: the SDK's JSON-RPC carries it.
    let rpc = |targets: Value| {
        serde_json::json!({"jsonrpc": "2.0", "method": "invoke", "id": "1", "params": {
            "serviceId": "com.vmware.cis.tasks", "operationId": "list",
            "input": {"STRUCTURE": {"operation-input": {
                "filter_spec": {"OPTIONAL": {"STRUCTURE": {"com.vmware.cis.tasks.filter_spec": {
                    "targets": {"OPTIONAL": targets}}}}},
                "result_spec": {"OPTIONAL": null}}}},
            "ctx": {"securityCtx": {"schemeId": "com.vmware.vapi.std.security.session_id",
                "sessionId": session}}}})
        .to_string()
    };
    let dynamic_id = |kind: &str, id: &str| serde_json::json!({"STRUCTURE": {"com.vmware.vapi.std.dynamic_ID": {"type": kind, "id": id}}});
    let listed = |r: &crate::support::Reply| {
        let mut ids: Vec<String> = r.body["result"]["output"]
            .as_array()
            .unwrap_or_else(|| panic!("{}", r.text))
            .iter()
            .map(|e| {
                e["STRUCTURE"]["map-entry"]["key"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        ids.sort();
        ids
    };
    let r = t
        .send(
            Method::POST,
            "/api",
            &[],
            Some(&rpc(serde_json::json!([dynamic_id(
                "com.vmware.content.Library",
                "lib-1"
            )]))),
        )
        .await;
    assert_eq!(
        listed(&r),
        vec![lib.id.to_string()],
        "type and id both match"
    );
    let r = t
        .send(
            Method::POST,
            "/api",
            &[],
            Some(&rpc(serde_json::json!([
                dynamic_id("com.vmware.content.Library", "lib-2"),
                dynamic_id("com.vmware.esx.settings.depot", "lib-1"),
            ]))),
        )
        .await;
    let mut expected = vec![other_lib.id.to_string(), depot.id.to_string()];
    expected.sort();
    assert_eq!(listed(&r), expected, "several targets are alternatives");
    let r = t
        .send(
            Method::POST,
            "/api",
            &[],
            Some(&rpc(serde_json::json!([dynamic_id("nothing", "lib-1")]))),
        )
        .await;
    assert_eq!(listed(&r), Vec::<String>::new());
}

#[tokio::test]
async fn cis_get_return_all_adds_the_stages() {
    let t = app().await;
    let session = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let auth = [("vmware-api-session-id", session.as_str())];
    let task = t.app.services.tasks.submit(flaky_task()).await.unwrap();
    t.app.services.tasks.run_pending().await.unwrap();
    let url = format!("/api/cis/tasks/{}", task.id);
    let r = t.send(Method::GET, &url, &auth, None).await;
    assert!(r.body.get("stages").is_none(), "{}", r.text);
    let r = t
        .send(Method::GET, &format!("{url}?return_all=true"), &auth, None)
        .await;
    let stages = r.body["stages"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", r.text));
    let seen: Vec<(&str, &str)> = stages
        .iter()
        .map(|s| (s["id"].as_str().unwrap(), s["status"].as_str().unwrap()))
        .collect();
    assert_eq!(seen, [("prepare", "SUCCEEDED"), ("apply", "FAILED")]);
    assert_eq!(stages[1]["description"]["default_message"], "Apply");
    assert!(stages[1]["messages"].is_array() && stages[1]["start_time"].is_string());
    // The same over list, through result_spec.
    let r = t
        .send(
            Method::GET,
            "/api/cis/tasks?result_spec.return_all=true",
            &auth,
            None,
        )
        .await;
    assert!(
        r.body[task.id.to_string()]["stages"].is_array(),
        "{}",
        r.text
    );
}
