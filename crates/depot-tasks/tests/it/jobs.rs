//! Small real jobs the tests run.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use depot_model::{ErrorKind, Level, Message};
use depot_tasks::{Job, JobContext, JobError};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::watch;

/// The stages of [`Count`], in order.
pub const COUNT_STAGES: [&str; 3] = ["fetch", "verify", "commit"];

/// How often each stage body ran, shared between a job and its test.
#[derive(Debug, Clone, Default)]
pub struct StageRuns(Arc<Mutex<HashMap<String, u32>>>);

impl StageRuns {
    fn record(&self, stage: &str) {
        *self.lock().entry(stage.to_owned()).or_default() += 1;
    }

    /// How often the body of `stage` ran.
    pub fn of(&self, stage: &str) -> u32 {
        self.lock().get(stage).copied().unwrap_or(0)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, u32>> {
        self.0.lock().expect("stage counter lock")
    }
}

/// The input of [`Count`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CountInput {
    /// Steps per stage; each logs a line and reports progress.
    pub steps: u64,
    /// The stage that fails on the first attempt, after its steps.
    pub fail_at: Option<String>,
    /// Whether that failure is permanent rather than retriable.
    pub permanent: bool,
}

/// Counts through [`COUNT_STAGES`], logging each step, reporting progress and
/// checking for cancellation between steps. Skips stages that already succeeded.
#[derive(Debug, Default)]
pub struct Count {
    /// How often each stage body ran.
    pub runs: StageRuns,
}

impl Count {
    /// The job's name.
    pub const NAME: &'static str = "count";

    /// A count job and the handle on its stage counters.
    pub fn new() -> (Arc<Self>, StageRuns) {
        let job = Arc::new(Self::default());
        let runs = job.runs.clone();
        (job, runs)
    }
}

#[async_trait]
impl Job for Count {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    async fn run(&self, ctx: &mut JobContext) -> Result<Option<serde_json::Value>, JobError> {
        let input: CountInput = ctx.payload()?;
        let mut done = 0;
        for stage in COUNT_STAGES {
            if !ctx.begin_stage(stage).await? {
                done += input.steps;
                continue;
            }
            self.runs.record(stage);
            for step in 0..input.steps {
                ctx.checkpoint().await?;
                let line = Message::new("test.count.step", format!("{stage} step {step}"))
                    .arg("step", step);
                ctx.stage_log(stage, Level::Info, line).await?;
                done += 1;
                ctx.progress(
                    step + 1,
                    input.steps,
                    Some(Message::new("test.count.progress", "counting")),
                )
                .await?;
            }
            if input.fail_at.as_deref() == Some(stage) && ctx.task().attempts == 1 {
                let message = Message::new("test.count.failed", format!("{stage} failed"));
                return Err(if input.permanent {
                    JobError::permanent(ErrorKind::Invalid, "COUNT_BAD_INPUT", message)
                } else {
                    JobError::retriable(ErrorKind::Unavailable, "COUNT_FLAKY", message)
                });
            }
            ctx.finish_stage(stage).await?;
        }
        ctx.log(Level::Info, Message::new("test.count.done", "Counted"))
            .await?;
        Ok(Some(json!({ "counted": done })))
    }
}

/// The stages of [`Gate`].
pub const GATE_STAGES: [&str; 2] = ["wait", "after"];

/// Waits in its first stage until the test opens the gate, then runs a second stage.
pub struct Gate {
    name: &'static str,
    idempotent: bool,
    /// Whether it checks for cancellation and shutdown while waiting.
    checkpoints: bool,
    open: watch::Receiver<bool>,
    /// Runs whose future has been dropped (ended, or aborted).
    pub dropped: Arc<AtomicUsize>,
}

/// Opens a [`Gate`].
pub struct GateHandle {
    open: watch::Sender<bool>,
    /// Runs of the gate job whose future has been dropped.
    pub dropped: Arc<AtomicUsize>,
}

impl GateHandle {
    /// Lets every waiting and future run through.
    pub fn open(&self) {
        self.open.send_replace(true);
    }

    /// Runs whose future has been dropped so far.
    pub fn dropped(&self) -> usize {
        self.dropped.load(Ordering::SeqCst)
    }
}

impl Gate {
    /// An idempotent gate job that checks for cancellation and shutdown while waiting.
    pub const NAME: &'static str = "gate";
    /// A non-idempotent one.
    pub const ONCE: &'static str = "gate_once";
    /// One that never checks while waiting.
    pub const DEAF: &'static str = "gate_deaf";

    /// The gate job `name` (one of the constants above) and its handle.
    pub fn new(name: &'static str) -> (Arc<Self>, GateHandle) {
        let (tx, rx) = watch::channel(false);
        let dropped = Arc::new(AtomicUsize::new(0));
        let job = Arc::new(Self {
            name,
            idempotent: name != Self::ONCE,
            checkpoints: name != Self::DEAF,
            open: rx,
            dropped: Arc::clone(&dropped),
        });
        (job, GateHandle { open: tx, dropped })
    }

    async fn wait_open(&self, ctx: &mut JobContext) -> Result<(), JobError> {
        let mut open = self.open.clone();
        loop {
            if self.checkpoints {
                ctx.checkpoint().await?;
            }
            if *open.borrow_and_update() {
                return Ok(());
            }
            // Wake up now and then to check in, or when the gate opens.
            let _ = tokio::time::timeout(Duration::from_millis(20), open.changed()).await;
        }
    }
}

/// Counts a dropped run future.
struct DropCount(Arc<AtomicUsize>);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[async_trait]
impl Job for Gate {
    fn name(&self) -> &'static str {
        self.name
    }

    fn idempotent(&self) -> bool {
        self.idempotent
    }

    async fn run(&self, ctx: &mut JobContext) -> Result<Option<serde_json::Value>, JobError> {
        let _guard = DropCount(Arc::clone(&self.dropped));
        let [wait, after] = GATE_STAGES;
        if ctx.begin_stage(wait).await? {
            self.wait_open(ctx).await?;
            ctx.finish_stage(wait).await?;
        }
        if ctx.begin_stage(after).await? {
            ctx.finish_stage(after).await?;
        }
        Ok(Some(json!("passed")))
    }
}

/// Starts its one stage, then panics.
pub struct Panics;

impl Panics {
    /// The job's name.
    pub const NAME: &'static str = "panics";
}

#[async_trait]
impl Job for Panics {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    async fn run(&self, ctx: &mut JobContext) -> Result<Option<serde_json::Value>, JobError> {
        ctx.begin_stage("explode").await?;
        panic!("the panicking test job panics, as designed");
    }
}
