//! A bounded number of password hashes at once, and a bounded queue before them.
//!
//! Each argon2 check holds its memory cost (19 MiB) and a CPU core while it runs, so at
//! most `concurrent` run at once (by default one per core). Further checks wait in a
//! queue of at most `queued`; past that, a check is refused at once with
//! [`AuthError::Busy`] instead of piling up. Waiters are handed a slot one at a time, in
//! the order they came (a FIFO semaphore): a burst that arrives together still hashes
//! `concurrent` at a time. A check whose request is dropped while it hashes keeps its
//! slot until the hash ends, so dropped requests cannot push more hashes through.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, TryAcquireError};

use crate::AuthError;

/// Runs blocking hash jobs, `concurrent` at once, with at most `queued` waiting.
#[derive(Debug)]
pub(crate) struct HashGate {
    slots: Arc<Semaphore>,
    queued: usize,
    waiting: AtomicUsize,
}

impl HashGate {
    /// A gate for `concurrent` hashes (at least one) and `queued` waiting ones.
    pub(crate) fn new(concurrent: usize, queued: usize) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(concurrent.max(1))),
            queued,
            waiting: AtomicUsize::new(0),
        }
    }

    /// Runs `job` on the blocking pool once a slot is free; `Busy` when the queue is
    /// full.
    pub(crate) async fn run<T, F>(&self, job: F) -> Result<T, AuthError>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T, AuthError> + Send + 'static,
    {
        let slot = self.slot().await?;
        tokio::task::spawn_blocking(move || {
            let result = job();
            drop(slot);
            result
        })
        .await
        .map_err(|e| AuthError::Hash(e.to_string()))?
    }

    async fn slot(&self) -> Result<OwnedSemaphorePermit, AuthError> {
        match Arc::clone(&self.slots).try_acquire_owned() {
            Ok(slot) => return Ok(slot),
            Err(TryAcquireError::NoPermits) => {}
            Err(TryAcquireError::Closed) => return Err(AuthError::Busy),
        }
        let _place = self.queue()?;
        Arc::clone(&self.slots)
            .acquire_owned()
            .await
            .map_err(|_| AuthError::Busy)
    }

    /// A place in the queue, given back when dropped (also when the request is).
    fn queue(&self) -> Result<Place<'_>, AuthError> {
        let before = self.waiting.fetch_add(1, Ordering::AcqRel);
        let place = Place(&self.waiting);
        if before >= self.queued {
            return Err(AuthError::Busy);
        }
        Ok(place)
    }
}

struct Place<'a>(&'a AtomicUsize);

impl Drop for Place<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Condvar, Mutex};
    use std::time::Duration;

    use super::*;

    /// Jobs that block until released, counting how many run at once.
    #[derive(Default)]
    struct Load {
        running: Mutex<(usize, usize)>,
        released: Mutex<bool>,
        release: Condvar,
    }

    impl Load {
        fn job(self: &Arc<Self>) -> impl FnOnce() -> Result<(), AuthError> + use<> {
            let load = Arc::clone(self);
            move || {
                {
                    let mut n = load.running.lock().unwrap();
                    n.0 += 1;
                    n.1 = n.1.max(n.0);
                }
                let mut released = load.released.lock().unwrap();
                while !*released {
                    released = load.release.wait(released).unwrap();
                }
                drop(released);
                load.running.lock().unwrap().0 -= 1;
                Ok(())
            }
        }

        fn open(&self) {
            *self.released.lock().unwrap() = true;
            self.release.notify_all();
        }

        fn running(&self) -> usize {
            self.running.lock().unwrap().0
        }

        fn most(&self) -> usize {
            self.running.lock().unwrap().1
        }
    }

    fn waiting(gate: &HashGate) -> usize {
        gate.waiting.load(Ordering::Acquire)
    }

    /// Waits (10 s at most) until `cond` holds.
    async fn until(what: &str, cond: impl Fn() -> bool) {
        for _ in 0..2000 {
            if cond() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("timed out waiting until {what}");
    }

    fn spawn(
        gate: &Arc<HashGate>,
        load: &Arc<Load>,
    ) -> tokio::task::JoinHandle<Result<(), AuthError>> {
        let (gate, job) = (Arc::clone(gate), load.job());
        tokio::spawn(async move { gate.run(job).await })
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn at_most_concurrent_run_and_the_queue_is_bounded() {
        let gate = Arc::new(HashGate::new(2, 3));
        let load = Arc::new(Load::default());
        let tasks: Vec<_> = (0..5).map(|_| spawn(&gate, &load)).collect();
        until("two run and three wait", || {
            load.running() == 2 && waiting(&gate) == 3
        })
        .await;
        // The queue is full: more are refused at once, without running.
        for _ in 0..2 {
            assert!(matches!(gate.run(load.job()).await, Err(AuthError::Busy)));
        }
        load.open();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(load.most(), 2, "never more than two at once");
        assert_eq!(waiting(&gate), 0);
        gate.run(load.job()).await.expect("free again");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_dropped_request_keeps_its_slot_until_its_hash_ends() {
        let gate = Arc::new(HashGate::new(1, 0));
        let load = Arc::new(Load::default());
        let running = spawn(&gate, &load);
        until("the job runs", || load.running() == 1).await;
        running.abort();
        assert!(running.await.unwrap_err().is_cancelled());
        // The hash still runs, so its slot is taken (and no queue is allowed).
        assert!(matches!(gate.run(load.job()).await, Err(AuthError::Busy)));
        load.open();
        until("the job ends", || load.running() == 0).await;
        gate.run(load.job()).await.expect("the slot came back");
        assert_eq!(load.most(), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_waiter_that_gives_up_frees_its_place() {
        let gate = Arc::new(HashGate::new(1, 1));
        let load = Arc::new(Load::default());
        let first = spawn(&gate, &load);
        until("the first runs", || load.running() == 1).await;
        let waiter = spawn(&gate, &load);
        until("one waits", || waiting(&gate) == 1).await;
        waiter.abort();
        assert!(waiter.await.unwrap_err().is_cancelled());
        assert_eq!(waiting(&gate), 0);
        let second = spawn(&gate, &load);
        until("the place is taken again", || waiting(&gate) == 1).await;
        load.open();
        first.await.unwrap().unwrap();
        second.await.unwrap().unwrap();
        assert_eq!(load.most(), 1);
    }
}
