//! Write announcements between replicas on one PostgreSQL database.
//!
//! After each committed write a store sends `NOTIFY` on its channel, naming itself;
//! each store `LISTEN`s on a connection of its own and, when another store announces a
//! write, advances its epochs (its read caches and those following
//! [`RemoteWrites`](crate::RemoteWrites) start over). Announcements are coalesced:
//! writers that commit while one is being sent share the next one. While the listening
//! connection is lost (PostgreSQL restarting), announcements go unheard, so the epochs
//! are unknown and nothing is served from memory; once it listens again they move on.
//! An announcement can still be lost: its writer died between its commit and its
//! `NOTIFY`. So the epochs also move every [`BACKSTOP`], which bounds how long such a
//! write can go unseen.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;
use tracing::{info, warn};

use crate::Result;
use crate::remote_writes::Generation;
use crate::sql::{Announce, connect_error};

/// The channel of stores whose tables live in the `search_path`'s first schema.
const CHANNEL: &str = "depotd_epoch";

/// How often the epochs move regardless of announcements (see the module doc).
pub(crate) const BACKSTOP: Duration = Duration::from_secs(30);

/// The longest wait between attempts to listen again.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// The channel of the stores whose connections use `options`: one per schema named
/// first in a `search_path` option (so that stores isolated in schemas of one database,
/// as tests are, do not hear each other), else the default. The channel is cut to
/// PostgreSQL's 63 bytes.
pub(super) fn channel(options: &PgConnectOptions) -> String {
    let schema = options.get_options().and_then(|o| {
        let value = o.split("search_path=").nth(1)?;
        let first = value.split([' ', ',']).next()?.trim_matches('"');
        super::is_plain_identifier(first).then_some(first)
    });
    let mut name = match schema {
        Some(schema) => format!("{CHANNEL}_{schema}"),
        None => CHANNEL.to_owned(),
    };
    name.truncate(63);
    name
}

/// One store's side of the channel: it announces this store's writes and, while it
/// lives, listens for the others'.
#[derive(Debug)]
pub(crate) struct Replication {
    pool: PgPool,
    channel: String,
    /// This store's name on the channel (its own announcements are not news).
    node: String,
    /// Writes committed so far (each announcement covers all of them).
    wanted: AtomicU64,
    /// Writes covered by the last announcement sent; held while one is sent.
    sent: Mutex<u64>,
    listener: JoinHandle<()>,
    /// Moves the epochs every [`BACKSTOP`].
    backstop: JoinHandle<()>,
}

impl Replication {
    /// Starts listening on `channel` (returns once the first `LISTEN` is in place) with
    /// a connection of its own made from `options`, and announces through another one
    /// (so that announcements never wait behind the writers they announce). Each
    /// announcement heard from another store advances the `generations`.
    pub(super) async fn start(
        options: &PgConnectOptions,
        channel: String,
        generations: Vec<Arc<Generation>>,
    ) -> Result<Self> {
        let node = uuid::Uuid::new_v4().simple().to_string();
        let own = single_connection(options);
        let first = subscribe(&own, &channel).await.map_err(connect_error)?;
        let backstop = tokio::spawn(backstop(generations.clone()));
        let heard = Heard {
            node: node.clone(),
            generations,
        };
        let listener = tokio::spawn(listen(own, channel.clone(), first, heard));
        Ok(Self {
            pool: single_connection(options),
            channel,
            node,
            wanted: AtomicU64::new(0),
            sent: Mutex::new(0),
            listener,
            backstop,
        })
    }

    /// Sends one announcement covering every write committed before the call, unless
    /// one sent meanwhile already did.
    async fn send(&self) {
        let mine = self.wanted.fetch_add(1, Ordering::AcqRel) + 1;
        let mut sent = self.sent.lock().await;
        if *sent >= mine {
            return;
        }
        let upto = self.wanted.load(Ordering::Acquire);
        // Once more on a failure: the first try may have met a connection that died
        // with a database restart (the pool then makes a new one).
        for attempt in 1..=2 {
            let done = sqlx::query("SELECT pg_notify($1, $2)")
                .bind(&self.channel)
                .bind(&self.node)
                .execute(&self.pool)
                .await;
            match done {
                Ok(_) => break,
                // The write stands; the others see it when their caches next start over
                // (at the latest after `BACKSTOP`).
                Err(error) if attempt == 2 => {
                    warn!(%error, "could not announce a write to the other replicas");
                }
                Err(_) => {}
            }
        }
        *sent = upto;
    }
}

impl Announce for Replication {
    fn announce(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(self.send())
    }
}

impl Drop for Replication {
    fn drop(&mut self) {
        self.listener.abort();
        self.backstop.abort();
    }
}

/// What the listener does with an announcement.
struct Heard {
    node: String,
    generations: Vec<Arc<Generation>>,
}

impl Heard {
    fn each(&self, f: impl Fn(&Generation)) {
        self.generations.iter().for_each(|g| f(g));
    }
}

/// A pool of one connection, made when first needed and again after it is lost.
fn single_connection(options: &PgConnectOptions) -> PgPool {
    PgPoolOptions::new()
        .max_connections(1)
        .min_connections(0)
        .max_lifetime(None)
        .idle_timeout(None)
        .acquire_timeout(Duration::from_secs(5))
        .connect_lazy_with(options.clone())
}

/// Advances `generations` every [`BACKSTOP`], forever.
async fn backstop(generations: Vec<Arc<Generation>>) {
    let mut every = tokio::time::interval(BACKSTOP);
    every.tick().await;
    loop {
        every.tick().await;
        for g in &generations {
            g.advance();
        }
    }
}

/// A listener on `channel`, its `LISTEN` in place.
async fn subscribe(own: &PgPool, channel: &str) -> sqlx::Result<PgListener> {
    let mut listener = PgListener::connect_with(own).await?;
    // A lost connection is reported (`Ok(None)`), not silently replaced.
    listener.eager_reconnect(false);
    listener.listen(channel).await?;
    Ok(listener)
}

/// Hears announcements until aborted; while the connection is lost the generations
/// are unknown, and once it listens again they move on.
async fn listen(own: PgPool, channel: String, first: PgListener, heard: Heard) {
    let mut current = first;
    loop {
        let error = loop {
            match current.try_recv().await {
                Ok(Some(n)) if n.payload() != heard.node => heard.each(Generation::advance),
                Ok(Some(_)) => {}
                Ok(None) => break None,
                Err(e) => break Some(e),
            }
        };
        heard.each(Generation::lose);
        drop(current);
        warn!(
            error = error.map(|e| e.to_string()),
            "lost the connection that hears the other replicas' writes: caches are \
             bypassed until it is back"
        );
        current = subscribe_again(&own, &channel).await;
        heard.each(Generation::regain);
        info!("listening to the other replicas' writes again");
    }
}

/// A new listener on `channel`, tried again (waits growing to [`MAX_BACKOFF`]) until
/// the database answers.
async fn subscribe_again(own: &PgPool, channel: &str) -> PgListener {
    let mut backoff = Duration::from_millis(50);
    loop {
        if let Ok(listener) = subscribe(own, channel).await {
            return listener;
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    #[test]
    fn each_schema_has_its_channel() {
        let plain = PgConnectOptions::from_str("postgres://depot@127.0.0.1/depot").unwrap();
        assert_eq!(channel(&plain), "depotd_epoch");
        let schema = plain.clone().options([("search_path", "depot_test_1")]);
        assert_eq!(channel(&schema), "depotd_epoch_depot_test_1");
        let url = "postgres://depot@127.0.0.1/depot?options[search_path]=it_2";
        assert_eq!(
            channel(&PgConnectOptions::from_str(url).unwrap()),
            "depotd_epoch_it_2"
        );
        let long = plain.options([("search_path", "a".repeat(63).as_str())]);
        assert_eq!(channel(&long).len(), 63);
    }
}
