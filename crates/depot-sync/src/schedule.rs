//! Scheduled syncs: a cron expression evaluated in UTC. The last slot that fired is kept
//! in the database and claimed by compare-and-set, so among several replicas exactly one
//! starts each sync, and after downtime the missed slots give one sync, not one each.

use std::sync::Arc;
use std::time::Duration;

use croner::Cron;
use croner::parser::{CronParser, Seconds};
use depot_model::{Clock, Timestamp};
use tokio::sync::watch;
use tracing::{info, warn};

use crate::SyncError;
use crate::service::{DepotService, SYSTEM_USER};

/// The longest sleep between checks: a changed clock or a slot claimed by another
/// replica is noticed within this time.
const MAX_SLEEP: Duration = Duration::from_mins(1);

/// A parsed sync schedule.
#[derive(Debug, Clone)]
pub struct Schedule {
    cron: Cron,
    expression: String,
}

impl Schedule {
    /// Parses a cron expression: six fields with seconds first, or five (minutes first).
    /// Empty (or blank): no schedule.
    pub fn parse(expression: &str) -> Result<Option<Self>, SyncError> {
        let expression = expression.trim();
        if expression.is_empty() {
            return Ok(None);
        }
        let cron = CronParser::builder()
            .seconds(Seconds::Optional)
            .build()
            .parse(expression)
            .map_err(|e| SyncError::InvalidSettings {
                field: "depot.schedule".to_owned(),
                reason: format!("{expression:?} is not a cron expression: {e}"),
            })?;
        Ok(Some(Self {
            cron,
            expression: expression.to_owned(),
        }))
    }

    /// The expression as given.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The latest slot at or before `now`.
    pub fn latest_slot(&self, now: Timestamp) -> Option<Timestamp> {
        self.cron.find_previous_occurrence(&now, true).ok()
    }

    /// The first slot after `now`.
    pub fn next_slot(&self, now: Timestamp) -> Option<Timestamp> {
        self.cron.find_next_occurrence(&now, false).ok()
    }
}

/// Starts scheduled syncs until `stop` turns true; which slot is due is decided by
/// `clock`. At start-up a slot missed while no replica ran fires once. Slots are
/// claimed even when no depot is configured (nothing to sync then), so configuring one
/// later does not fire a backlog.
pub async fn run_schedule(
    service: Arc<DepotService>,
    store: Arc<dyn depot_metadata::MetadataStore>,
    schedule: Schedule,
    clock: Arc<dyn Clock>,
    mut stop: watch::Receiver<bool>,
) {
    info!(
        schedule = schedule.expression(),
        "scheduled depot syncs enabled"
    );
    loop {
        if let Err(e) = run_due(&service, store.as_ref(), &schedule, clock.now()).await {
            warn!(error = %e, "scheduled depot sync check failed");
        }
        let now = clock.now();
        let wait = schedule
            .next_slot(now)
            .and_then(|next| (next - now).to_std().ok())
            .unwrap_or(MAX_SLEEP)
            .min(MAX_SLEEP)
            // Land just after the slot, not a hair before it.
            + Duration::from_millis(20);
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
    }
}

/// Fires the latest slot at or before `now` if no replica claimed it yet (however many
/// slots passed since the last one); true when this call started a sync.
pub async fn run_due(
    service: &DepotService,
    store: &dyn depot_metadata::MetadataStore,
    schedule: &Schedule,
    now: Timestamp,
) -> Result<bool, SyncError> {
    let Some(slot) = schedule.latest_slot(now) else {
        return Ok(false);
    };
    let last = store.last_sync_slot().await?;
    if last.is_some_and(|last| last >= slot) {
        return Ok(false);
    }
    if !store.claim_sync_slot(last, slot).await? {
        return Ok(false);
    }
    if !service.is_configured().await? {
        return Ok(false);
    }
    let task = service.sync(SYSTEM_USER).await?;
    info!(task_id = %task.id, %slot, "scheduled depot sync started");
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn parses_six_and_five_fields_and_empty() {
        let six = Schedule::parse("0 0 */6 * * *").unwrap().unwrap();
        assert_eq!(
            six.latest_slot(at("2026-11-24T13:59:59Z")),
            Some(at("2026-11-24T12:00:00Z"))
        );
        assert_eq!(
            six.next_slot(at("2026-11-24T12:00:00Z")),
            Some(at("2026-11-24T18:00:00Z"))
        );
        let five = Schedule::parse("30 2 * * *").unwrap().unwrap();
        assert_eq!(
            five.latest_slot(at("2026-11-24T13:00:00Z")),
            Some(at("2026-11-24T02:30:00Z"))
        );
        assert!(Schedule::parse("  ").unwrap().is_none());
        let err = Schedule::parse("every hour").unwrap_err();
        assert!(err.to_string().contains("depot.schedule"), "{err}");
    }
}
