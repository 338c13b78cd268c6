//! What a connection's watchdog decides on: the requests in flight, when the connection
//! went quiet, when the next request head began, and which responses wait for the
//! client to take more of them.
//!
//! The clocks, each restarted by progress:
//! - a new connection must deliver its first request head within the header read
//!   timeout of being accepted (TLS handshake included);
//! - after a request, the connection may stay quiet for the idle timeout; once bytes of
//!   a next head arrive, it has the header read timeout to complete it;
//! - while requests are in flight, no clock runs except for responses that handed data
//!   to the connection and wait for it to ask for more: the client is not reading. Each
//!   has the send timeout, restarted every time the connection takes more.
//!
//! A request body that stalls is the body rate layer's business (`depot_http::body_rate`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// The limits a connection is held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Clocks {
    /// From accept to the first request head, and from a head's first byte to its end.
    pub header_read: Duration,
    /// From the end of a request to the first byte of the next.
    pub idle: Duration,
    /// Longest a response waits for the connection to take more of it.
    pub send: Duration,
}

/// Why a connection is closed.
pub(super) type Reason = &'static str;

const NO_FIRST_HEAD: Reason = "no complete request head in time after accept";
const SLOW_HEAD: Reason = "request head not complete in time";
const IDLE: Reason = "idle";
const NOT_READING: Reason = "the client stopped reading the response";
const STOPPING: Reason = "the server is stopping";

/// One connection's activity, shared by its I/O, its requests and its watchdog.
#[derive(Debug)]
pub(super) struct Activity {
    clocks: Clocks,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    in_flight: usize,
    /// Requests started on the connection.
    served: u64,
    /// Accept, or when the last request ended (or the last bytes of its answer left).
    quiet_since: Instant,
    /// The first byte received since the last request ended.
    head_since: Option<Instant>,
    next_id: u64,
    /// Responses waiting for the connection to ask for more, since when.
    sending: HashMap<u64, Instant>,
}

impl Activity {
    /// A connection accepted at `accepted`.
    pub(super) fn new(accepted: Instant, clocks: Clocks) -> Self {
        Self {
            clocks,
            state: Mutex::new(State {
                in_flight: 0,
                served: 0,
                quiet_since: accepted,
                head_since: None,
                next_id: 0,
                sending: HashMap::new(),
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Bytes arrived.
    pub(super) fn read(&self, now: Instant) {
        let mut s = self.state();
        if s.in_flight == 0 && s.head_since.is_none() {
            s.head_since = Some(now);
        }
    }

    /// Bytes left: while the connection is quiet, the tail of the last answer.
    pub(super) fn wrote(&self, now: Instant) {
        let mut s = self.state();
        if s.in_flight == 0 && s.served > 0 && s.head_since.is_none() {
            s.quiet_since = now;
        }
    }

    /// A request began; it is in flight until the guard (or the response body holding
    /// it) is dropped.
    pub(super) fn request_started(self: &Arc<Self>) -> InFlight {
        let mut s = self.state();
        s.in_flight += 1;
        s.served += 1;
        s.head_since = None;
        let id = s.next_id;
        s.next_id += 1;
        InFlight {
            activity: Arc::clone(self),
            id,
        }
    }

    /// When the connection is due to be closed, and why; `None` while requests are in
    /// flight and every response is read. `draining`: the server is stopping, so a
    /// connection with nothing in flight is due at once.
    pub(super) fn due(&self, now: Instant, draining: bool) -> Option<(Instant, Reason)> {
        let s = self.state();
        if s.in_flight > 0 {
            return s
                .sending
                .values()
                .min()
                .map(|since| (*since + self.clocks.send, NOT_READING));
        }
        Some(if draining {
            (now, STOPPING)
        } else if s.served == 0 {
            (s.quiet_since + self.clocks.header_read, NO_FIRST_HEAD)
        } else if let Some(since) = s.head_since {
            (since + self.clocks.header_read, SLOW_HEAD)
        } else {
            (s.quiet_since + self.clocks.idle, IDLE)
        })
    }
}

/// A request in flight on a connection.
#[derive(Debug)]
pub(super) struct InFlight {
    activity: Arc<Activity>,
    id: u64,
}

impl InFlight {
    /// Its response handed data to the connection at `now` and waits to be asked for
    /// more.
    pub(super) fn handed_over(&self, now: Instant) {
        self.activity.state().sending.insert(self.id, now);
    }

    /// Its response was asked for more (and has none yet, or has ended).
    pub(super) fn asked(&self) {
        self.activity.state().sending.remove(&self.id);
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut s = self.activity.state();
        s.sending.remove(&self.id);
        s.in_flight -= 1;
        if s.in_flight == 0 {
            s.quiet_since = Instant::now();
            s.head_since = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLOCKS: Clocks = Clocks {
        header_read: Duration::from_secs(20),
        idle: Duration::from_mins(1),
        send: Duration::from_mins(2),
    };

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn the_first_head_is_due_within_the_header_timeout_of_accept_whatever_arrives() {
        let t0 = Instant::now();
        let a = Activity::new(t0, CLOCKS);
        assert_eq!(a.due(t0, false), Some((t0 + secs(20), NO_FIRST_HEAD)));
        // A byte at a time does not move it, nor do writes (TLS, HTTP/2 settings).
        a.read(t0 + secs(5));
        a.wrote(t0 + secs(6));
        a.read(t0 + secs(15));
        assert_eq!(a.due(t0, false), Some((t0 + secs(20), NO_FIRST_HEAD)));
    }

    #[test]
    fn requests_in_flight_stop_the_clocks_and_idle_follows_them() {
        let a = Arc::new(Activity::new(Instant::now(), CLOCKS));
        let request = a.request_started();
        assert_eq!(a.due(Instant::now(), false), None);
        let before_end = Instant::now();
        drop(request);
        let (at, reason) = a.due(Instant::now(), false).unwrap();
        assert_eq!(reason, IDLE);
        assert!(at >= before_end + secs(60), "{at:?}");
        // The first byte of the next head starts its own clock.
        let byte = Instant::now() + secs(30);
        a.read(byte);
        assert_eq!(a.due(byte, false), Some((byte + secs(20), SLOW_HEAD)));
        // Later bytes do not restart it.
        a.read(byte + secs(10));
        assert_eq!(a.due(byte, false), Some((byte + secs(20), SLOW_HEAD)));
    }

    #[test]
    fn the_tail_of_an_answer_leaving_keeps_the_connection_quiet_not_idle() {
        let a = Arc::new(Activity::new(Instant::now(), CLOCKS));
        drop(a.request_started());
        let later = Instant::now() + secs(50);
        a.wrote(later);
        assert_eq!(a.due(later, false), Some((later + secs(60), IDLE)));
    }

    #[test]
    fn a_response_the_client_does_not_take_is_due_after_the_send_timeout() {
        let a = Arc::new(Activity::new(Instant::now(), CLOCKS));
        let first = a.request_started();
        let second = a.request_started();
        let t = Instant::now();
        first.handed_over(t);
        second.handed_over(t + secs(3));
        assert_eq!(a.due(t, false), Some((t + secs(120), NOT_READING)));
        // Asked for more: its clock stops; the other one's runs.
        first.asked();
        assert_eq!(a.due(t, false), Some((t + secs(123), NOT_READING)));
        second.handed_over(t + secs(100));
        assert_eq!(a.due(t, false), Some((t + secs(220), NOT_READING)));
        drop(second);
        assert_eq!(a.due(t, false), None, "the first is still in flight");
        drop(first);
        assert_eq!(a.due(t, false).unwrap().1, IDLE);
    }

    #[test]
    fn draining_closes_quiet_connections_at_once_and_waits_for_requests() {
        let t = Instant::now();
        let a = Arc::new(Activity::new(t, CLOCKS));
        assert_eq!(a.due(t, true), Some((t, STOPPING)));
        let request = a.request_started();
        assert_eq!(a.due(t, true), None);
        drop(request);
        assert_eq!(a.due(t, true), Some((t, STOPPING)));
    }
}
