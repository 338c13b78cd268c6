//! Running a long step of a job in a task of its own while the job reports its
//! progress and checks for cancellation.

use std::time::Duration;

use depot_model::Message;
use depot_tasks::{JobContext, JobError};

/// How often a running step reports progress and checks for a cancel.
const TICK: Duration = Duration::from_millis(250);

/// Runs `work` in a task of its own; every tick writes `read()` (bytes done, total)
/// to the task as `what` and checks for cancellation. A cancel or shutdown aborts
/// `work` (dropping it: its staged data is removed) and returns the job's stop.
pub(crate) async fn watched<T: Send + 'static>(
    ctx: &mut JobContext,
    work: impl Future<Output = T> + Send + 'static,
    what: &str,
    read: impl Fn() -> (u64, u64) + Send,
) -> Result<T, JobError> {
    let mut task = Aborting(tokio::spawn(work));
    let mut tick = tokio::time::interval(TICK);
    loop {
        tokio::select! {
            joined = &mut task.0 => {
                return joined.map_err(|e| JobError::permanent(
                    depot_model::ErrorKind::Internal,
                    "INTERNAL_SERVER_ERROR",
                    Message::new("com.vmware.depotd.esx.import_stopped", format!("the import stopped: {e}")),
                ));
            }
            _ = tick.tick() => {
                let (done, total) = read();
                let step = if total > 0 {
                    let message = Message::new(
                        "com.vmware.esx.settings.depots.offline.create.progress",
                        format!("{what}: {done} of {total} bytes"),
                    );
                    ctx.progress(done, total, Some(message)).await
                } else {
                    Ok(())
                };
                if let Err(stop) = step.and(ctx.checkpoint().await) {
                    task.0.abort();
                    let _ = (&mut task.0).await;
                    return Err(stop);
                }
            }
        }
    }
}

/// A spawned step, aborted when the job's future is dropped (engine shutdown).
struct Aborting<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for Aborting<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}
