//! Test data.

use depot_metadata::{MetadataStore, PageRequest, TaskFilter};
use depot_model::{
    ErrorKind, Level, Message, Progress, Role, Session, SessionKind, Stage, StageMessage,
    StageStatus, Task, TaskError, TaskId, TaskMessage, TaskStatus, Timestamp, TokenHash, User,
    UserName,
};

/// A fixed instant plus `ms` milliseconds, so tests can order times freely.
pub fn at(ms: i64) -> Timestamp {
    chrono::DateTime::from_timestamp_millis(1_780_000_000_000 + ms).expect("in range")
}

/// A minimal pending task of job `name`, created at `at(created_ms)`.
pub fn task(name: &str, created_ms: i64) -> Task {
    Task::new(
        name,
        Message::new(format!("com.vmware.depotd.{name}"), format!("Run {name}")),
        "administrator@vsphere.local",
        at(created_ms),
    )
}

/// A pending task holding concurrency key `key`.
pub fn keyed_task(key: &str, created_ms: i64) -> Task {
    let mut t = task("depot_metadata_sync", created_ms);
    t.concurrency_key = Some(key.to_owned());
    t
}

/// A task in `status`, ended at `at(end_ms)` when that status is terminal.
pub fn task_in(status: TaskStatus, created_ms: i64, end_ms: i64) -> Task {
    let mut t = task("job", created_ms);
    t.status = status;
    if status.is_terminal() {
        t.end_time = Some(at(end_ms));
    }
    t
}

/// A task with every field set, including stages with messages, a result and an error.
pub fn full_task() -> Task {
    let msg = |id: &str| {
        Message::new(id, format!("text of {id}"))
            .arg("remote", "r1")
            .arg("n", 3)
    };
    let stage_msg = |ms, level| StageMessage {
        time: at(ms),
        level,
        message: msg("com.vmware.depotd.stage.line"),
    };
    let mut download = Stage::new("download-pvc", msg("com.vmware.depotd.stage.download"));
    download.name = "Download PVC".into();
    download.status = StageStatus::Succeeded;
    download.start_time = Some(at(10));
    download.update_time = Some(at(20));
    download.end_time = Some(at(30));
    download.messages = vec![stage_msg(11, Level::Info), stage_msg(12, Level::Warn)];
    let mut verify = Stage::new("verify", msg("com.vmware.depotd.stage.verify"));
    verify.status = StageStatus::Failed;
    verify.start_time = Some(at(31));
    verify.messages = vec![stage_msg(32, Level::Error)];
    Task {
        id: TaskId::new(),
        name: "depot_metadata_sync".to_owned(),
        description: msg("com.vmware.depotd.task.sync"),
        task_type: "sync".to_owned(),
        status: TaskStatus::Failed,
        created_by: "administrator@vsphere.local".to_owned(),
        updated_by: "operator@vsphere.local".to_owned(),
        resource_id: Some("remote-1".to_owned()),
        resource_type: Some("Remote".to_owned()),
        create_time: at(0),
        start_time: Some(at(5)),
        update_time: at(40),
        end_time: Some(at(41)),
        correlation_id: Some("corr-123".to_owned()),
        parent_task_id: Some(TaskId::new()),
        retriable: true,
        cancellable: false,
        system: true,
        service: Some("com.vmware.esx.settings.depots.offline".to_owned()),
        operation: Some("create".to_owned()),
        stages: vec![download, verify],
        messages: vec![TaskMessage {
            time: at(6),
            level: Level::Warn,
            message: msg("com.vmware.depotd.task.slow"),
        }],
        progress: Progress {
            total: 200,
            completed: 150,
            message: Some(msg("com.vmware.depotd.progress")),
        },
        result: Some(serde_json::json!({"files": 3, "names": ["a", "b"], "nested": {"ok": true}})),
        error: Some(TaskError {
            kind: ErrorKind::Unavailable,
            code: "DEPOT_UNREACHABLE".to_owned(),
            message: msg("com.vmware.depotd.error.unreachable"),
            resolution: Some(msg("com.vmware.depotd.error.check_network")),
            data: None,
        }),
        payload: serde_json::json!({"remote": "r1", "full": false, "limit": 10}),
        concurrency_key: Some("remote:r1".to_owned()),
        attempts: 4,
        version: 7,
    }
}

/// A user called `name` with `role`.
pub fn user(name: &str, role: Role) -> User {
    User {
        name: UserName::parse(name).expect("valid name"),
        role,
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$salt${name}"),
        created: at(0),
    }
}

/// A session of `kind` for `user`, last used at `at(last_ms)`.
pub fn session(hash: &str, kind: SessionKind, user: &str, last_ms: i64) -> Session {
    Session {
        token_hash: TokenHash(hash.to_owned()),
        kind,
        user: UserName::parse(user).expect("valid name"),
        created: at(0),
        last_accessed: at(last_ms),
        refresh: None,
    }
}

/// The ids listed for `filter` on one large page, and the total.
pub async fn listed(store: &dyn MetadataStore, filter: &TaskFilter) -> (Vec<TaskId>, u64) {
    let page = store
        .list_tasks(
            filter,
            PageRequest {
                number: 1,
                size: 1000,
            },
        )
        .await
        .expect("list");
    (page.items.iter().map(|t| t.id).collect(), page.total)
}
