//! Running a long step of a job in a task of its own while the job reports its
//! progress and checks for cancellation.

use std::time::Duration;

use depot_model::Message;
use depot_tasks::{JobContext, JobError};

/// How often a running step reports progress and checks for a cancel.
const TICK: Duration = Duration::from_millis(250);

/// The share of the task's progress (a percentage, as vCenter's tasks report it) a
/// step covers: from `from` when it starts to `to` when it is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    /// Where the step starts, in percent.
    pub(crate) from: u64,
    /// Where it ends, in percent.
    pub(crate) to: u64,
}

impl Span {
    /// The whole task (the parse of a bundle already at hand).
    pub(crate) const ALL: Span = Span { from: 0, to: 100 };
    /// A `PULL` import's download: the first half.
    pub(crate) const DOWNLOAD: Span = Span { from: 0, to: 50 };
    /// The parse after a download: the second half.
    pub(crate) const AFTER_DOWNLOAD: Span = Span { from: 50, to: 100 };

    /// The task's percentage when the step has done `done` of `total` (`total` > 0).
    fn percent(self, done: u64, total: u64) -> u64 {
        let within = u128::from(done.min(total)) * u128::from(self.to - self.from)
            / u128::from(total.max(1));
        self.from + u64::try_from(within).unwrap_or(self.to - self.from)
    }
}

/// Runs `work` in a task of its own; every tick writes `read()` (bytes done, total)
/// to the task as `what` (the bytes in the message, the percentage within `span` as
/// the progress) and checks for cancellation. A cancel or shutdown aborts `work`
/// (dropping it: its staged data is removed) and returns the job's stop.
pub(crate) async fn watched<T: Send + 'static>(
    ctx: &mut JobContext,
    work: impl Future<Output = T> + Send + 'static,
    (what, span): (&str, Span),
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
                    ctx.progress(span.percent(done, total), 100, Some(message)).await
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

#[cfg(test)]
mod tests {
    use super::Span;

    #[test]
    fn a_span_maps_bytes_to_its_share_of_the_percentage() {
        let second_half = Span::AFTER_DOWNLOAD;
        assert_eq!(second_half.percent(0, 1000), 50);
        assert_eq!(second_half.percent(500, 1000), 75);
        assert_eq!(second_half.percent(1000, 1000), 100);
        assert_eq!(second_half.percent(2000, 1000), 100, "capped");
        assert_eq!(Span::ALL.percent(16 << 30, 16 << 30), 100, "no overflow");
        assert_eq!(Span::ALL.percent(1, 3), 33);
    }
}
