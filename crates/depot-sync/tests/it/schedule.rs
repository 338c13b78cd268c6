//! Scheduled syncs: missed slots fire once, a claimed slot never fires again, and the
//! scheduled sync shares the one-at-a-time rule with manual ones.

use chrono::Duration as Span;
use depot_metadata::{DepotStore, PageRequest, TaskFilter};
use depot_sync::{JOB_NAME, SYSTEM_USER, Schedule, run_due};

use crate::harness::{Harness, quick_config};
use crate::upstream::{Access, Upstream};

async fn sync_tasks(h: &Harness) -> Vec<depot_model::Task> {
    let filter = TaskFilter {
        names: vec![JOB_NAME.to_owned()],
        include_system: true,
        ..TaskFilter::default()
    };
    let page = PageRequest {
        number: 1,
        size: 100,
    };
    h.engine.list(&filter, page).await.unwrap().items
}

#[tokio::test]
async fn missed_slots_after_downtime_fire_once() {
    let h = Harness::offline().await;
    let hourly = Schedule::parse("0 0 * * * *").unwrap().unwrap();
    // The last slot any replica claimed was three days ago: 72 slots were missed.
    let now = depot_model::now();
    let long_ago = now - Span::days(3);
    assert!(h.store.claim_sync_slot(None, long_ago).await.unwrap());

    assert!(
        run_due(&h.service, h.store.as_ref(), &hourly, now)
            .await
            .unwrap()
    );
    let tasks = sync_tasks(&h).await;
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].created_by, SYSTEM_USER);
    let slot = h.store.last_sync_slot().await.unwrap().unwrap();
    assert_eq!(Some(slot), hourly.latest_slot(now));
    // The same slot does not fire again, on this replica or another.
    assert!(
        !run_due(&h.service, h.store.as_ref(), &hourly, now)
            .await
            .unwrap()
    );
    assert_eq!(sync_tasks(&h).await.len(), 1);

    // A manual trigger while the scheduled sync is pending joins it.
    let manual = h.service.sync("admin").await.unwrap();
    assert_eq!(manual.id, tasks[0].id);
    h.engine.run_pending().await.unwrap();
    let done = h.engine.get(manual.id).await.unwrap();
    assert_eq!(
        done.status,
        depot_model::TaskStatus::Succeeded,
        "{:?}",
        done.error
    );
}

#[tokio::test]
async fn slots_without_a_depot_are_claimed_but_start_nothing() {
    let access = Access::Basic("u".to_owned(), "p".to_owned());
    let h = Harness::without_settings(quick_config(), Upstream::start(access).await).await;
    let every_minute = Schedule::parse("0 * * * * *").unwrap().unwrap();
    assert!(
        !run_due(
            &h.service,
            h.store.as_ref(),
            &every_minute,
            depot_model::now()
        )
        .await
        .unwrap()
    );
    assert!(h.store.last_sync_slot().await.unwrap().is_some());
    assert!(sync_tasks(&h).await.is_empty());
}

#[tokio::test]
async fn a_slot_fires_once_the_clock_reaches_it() {
    let h = Harness::offline().await;
    let hourly = Schedule::parse("0 0 * * * *").unwrap().unwrap();
    let at = |text: &str| text.parse::<depot_model::Timestamp>().unwrap();
    assert!(
        run_due(
            &h.service,
            h.store.as_ref(),
            &hourly,
            at("2031-05-06T07:00:00Z")
        )
        .await
        .unwrap()
    );
    h.engine.run_pending().await.unwrap();
    for not_yet in ["2031-05-06T07:30:00Z", "2031-05-06T07:59:59.999Z"] {
        assert!(
            !run_due(&h.service, h.store.as_ref(), &hourly, at(not_yet))
                .await
                .unwrap(),
            "{not_yet}: the 07:00 slot already fired"
        );
    }
    assert!(
        run_due(
            &h.service,
            h.store.as_ref(),
            &hourly,
            at("2031-05-06T08:00:00Z")
        )
        .await
        .unwrap()
    );
    assert_eq!(
        h.store.last_sync_slot().await.unwrap(),
        Some(at("2031-05-06T08:00:00Z"))
    );
    assert_eq!(sync_tasks(&h).await.len(), 2);
}
