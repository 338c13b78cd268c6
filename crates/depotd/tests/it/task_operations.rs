//! `<op>$task` operations: one test operation registered beside the built-in ones
//! runs as a task; over JSON-RPC `run$task` returns the task id and `cis.tasks.get`
//! returns `Info.result` typed as the operation's result structure, as the SDK's task
//! helpers expect; over REST `?vmw-task=true` answers 202 with the id.

use std::sync::Arc;

use async_trait::async_trait;
use axum::http::{Method, StatusCode};
use depot_api_vsphere::vapi::registry::{Auth, Ctx, Operation, RestBody};
use depot_http::{Problem, Services};
use depot_model::{Message, Privilege, TaskId};
use depot_tasks::{Job, JobContext, JobError, NewTask};
use depotd::app::App;
use serde_json::{Value, json};

use crate::support::{ADMIN, ADMIN_PASSWORD, TestApp};

const SERVICE: &str = "com.vmware.depotd.test";

depot_api_vsphere::vapi_struct! {
    #[vapi("com.vmware.depotd.test.run_result")]
    struct RunResult {
        applied: bool,
        note: String,
    }
}

depot_api_vsphere::vapi_struct! {
    #[vapi("operation-input")]
    struct RunInput {
        note: String,
    }
}

fn run_operation() -> Operation<App> {
    Operation::new(SERVICE, "run", Auth::Session, run)
        .with_task(run_as_task)
        .privilege(Privilege::TaskManage)
        .rest(Method::POST, "/depotd-test/run", StatusCode::OK)
        .body(RestBody::Fields)
}

async fn run(_: Ctx<App>, input: RunInput) -> Result<RunResult, Problem> {
    Ok(RunResult {
        applied: true,
        note: input.note,
    })
}

async fn run_as_task(ctx: Ctx<App>, input: RunInput) -> Result<TaskId, Problem> {
    let mut task = NewTask::new(
        "test_apply",
        Message::new("test.apply", "Apply a note"),
        ctx.principal()?.user.as_str(),
    );
    task.service_operation = Some((SERVICE.to_owned(), "run".to_owned()));
    task.payload = json!({"note": input.note});
    let services: Services = ctx.get();
    Ok(services.tasks.submit(task).await?.id)
}

struct ApplyNote;

#[async_trait]
impl Job for ApplyNote {
    fn name(&self) -> &'static str {
        "test_apply"
    }

    async fn run(&self, ctx: &mut JobContext) -> Result<Option<Value>, JobError> {
        let note = ctx.task().payload["note"].clone();
        Ok(Some(json!({"applied": true, "note": note})))
    }
}

async fn app() -> TestApp {
    let mut t = TestApp::with(|_| {}, vec![Arc::new(ApplyNote) as Arc<dyn Job>]).await;
    t.app.extra_vsphere_operations = vec![run_operation()];
    t.router = t.app.router();
    t
}

fn rpc_body(id: &str, service: &str, operation: &str, input: &Value, session: &str) -> String {
    json!({"jsonrpc": "2.0", "method": "invoke", "id": id, "params": {
        "serviceId": service, "operationId": operation, "input": input,
        "ctx": {"appCtx": {"opId": "t"}, "securityCtx": {"schemeId": "com.vmware.vapi.std.security.session_id", "sessionId": session}}}})
    .to_string()
}

#[tokio::test]
async fn task_variant_over_json_rpc_returns_a_typed_result() {
    let t = app().await;
    let session = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let input = json!({"STRUCTURE": {"operation-input": {"note": "hello"}}});
    // The plain operation answers at once with the typed structure.
    let r = t
        .send(
            Method::POST,
            "/api",
            &[],
            Some(&rpc_body("1", SERVICE, "run", &input, &session)),
        )
        .await;
    assert_eq!(
        r.body["result"]["output"],
        json!({"STRUCTURE": {"com.vmware.depotd.test.run_result": {"applied": true, "note": "hello"}}}),
        "{}",
        r.text
    );
    // The task form answers with the task id.
    let r = t
        .send(
            Method::POST,
            "/api",
            &[],
            Some(&rpc_body("2", SERVICE, "run$task", &input, &session)),
        )
        .await;
    let task_id = r.body["result"]["output"]
        .as_str()
        .unwrap_or_else(|| panic!("{}", r.text))
        .to_owned();
    t.app.services.tasks.run_pending().await.unwrap();
    let get =
        json!({"STRUCTURE": {"operation-input": {"task": task_id, "spec": {"OPTIONAL": null}}}});
    let r = t
        .send(
            Method::POST,
            "/api",
            &[],
            Some(&rpc_body(
                "3",
                "com.vmware.cis.tasks",
                "get",
                &get,
                &session,
            )),
        )
        .await;
    let info = &r.body["result"]["output"]["STRUCTURE"]["com.vmware.cis.task.info"];
    assert_eq!(info["status"], "SUCCEEDED", "{}", r.text);
    assert_eq!(info["service"], SERVICE);
    assert_eq!(info["operation"], "run");
    assert_eq!(
        info["result"],
        json!({"OPTIONAL": {"STRUCTURE": {"com.vmware.depotd.test.run_result": {"applied": true, "note": "hello"}}}})
    );
    // Operations without a task form refuse `$task`.
    let r = t
        .send(
            Method::POST,
            "/api",
            &[],
            Some(&rpc_body(
                "4",
                "com.vmware.cis.tasks",
                "list$task",
                &json!({"STRUCTURE": {"operation-input": {}}}),
                &session,
            )),
        )
        .await;
    assert!(
        r.body["result"]["error"]["ERROR"]["com.vmware.vapi.std.errors.operation_not_found"]
            .is_object(),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn task_variant_over_rest_answers_202_with_the_id() {
    let t = app().await;
    let session = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let auth = [("vmware-api-session-id", session.as_str())];
    let r = t
        .send(
            Method::POST,
            "/api/depotd-test/run",
            &auth,
            Some(r#"{"note": "sync"}"#),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body, json!({"applied": true, "note": "sync"}));
    let r = t
        .send(
            Method::POST,
            "/api/depotd-test/run?vmw-task=true",
            &auth,
            Some(r#"{"note": "async"}"#),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let id = r.body.as_str().unwrap().to_owned();
    t.app.services.tasks.run_pending().await.unwrap();
    let r = t
        .send(Method::GET, &format!("/api/cis/tasks/{id}"), &auth, None)
        .await;
    assert_eq!(r.body["status"], "SUCCEEDED");
    assert_eq!(r.body["result"], json!({"applied": true, "note": "async"}));
    // The REST form checks the body against the input structure.
    let r = t
        .send(
            Method::POST,
            "/api/depotd-test/run",
            &auth,
            Some(r#"{"note": 5}"#),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["error_type"], "INVALID_ARGUMENT");
    let r = t
        .send(
            Method::POST,
            "/api/depotd-test/run",
            &auth,
            Some(r#"{"note": "x", "nope": 1}"#),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "unknown fields are refused: {}",
        r.text
    );
}
