//! Listing tasks: every filter field, system tasks, paging and totals.

use depot_metadata::{PageRequest, TaskFilter, TaskTarget};
use depot_model::{Message, Task, TaskStatus};

use crate::backends::{Store, conformance};
use crate::fixtures::{at, listed, task};

conformance! {
    list_filters => sqlite_list_filters, postgres_list_filters;
    list_paging => sqlite_list_paging, postgres_list_paging;
}

/// Four tasks that differ in every filtered field; `c` is a system task.
struct Sample {
    a: Task,
    b: Task,
    c: Task,
    d: Task,
}

fn sample() -> Sample {
    let mut a = task("sync", 0);
    a.task_type = "sync".into();
    a.created_by = "alice".into();
    a.description = Message::new("com.x.sync", "Sync the depot");
    a.resource_id = Some("depot-1".to_owned());
    a.resource_type = Some("Depot".to_owned());
    a.service = Some("com.vmware.esx.settings.depots.offline".to_owned());
    a.operation = Some("create".to_owned());
    (a.status, a.start_time, a.update_time, a.end_time) = (
        TaskStatus::Succeeded,
        Some(at(100)),
        at(500),
        Some(at(1_000)),
    );

    let mut b = task("apply", 1_000);
    b.task_type = "apply".into();
    b.created_by = "bob".into();
    b.description = Message::new("com.x.apply", "Apply");
    b.resource_id = Some("lib-1".to_owned());
    b.resource_type = Some("Library".to_owned());
    b.service = Some("com.vmware.content.library".to_owned());
    b.operation = Some("sync".to_owned());
    (b.status, b.start_time, b.update_time) = (TaskStatus::Running, Some(at(1_200)), at(1_500));

    let mut c = task("sync", 2_000);
    c.task_type = "sync".into();
    c.created_by = "system".into();
    c.system = true;
    c.description = Message::new("com.x.prune", "Prune");

    let mut d = task("upload", 3_000);
    d.task_type = "upload".into();
    d.created_by = "alice".into();
    d.resource_id = Some("depot-2".to_owned());
    d.resource_type = Some("Depot".to_owned());
    (d.status, d.start_time, d.update_time, d.end_time) = (
        TaskStatus::Failed,
        Some(at(3_100)),
        at(3_500),
        Some(at(4_000)),
    );
    Sample { a, b, c, d }
}

/// A filter: the default one (system tasks hidden) changed by `change`.
fn with(change: impl FnOnce(&mut TaskFilter)) -> TaskFilter {
    let mut filter = TaskFilter::default();
    change(&mut filter);
    filter
}

/// The resource `id` of type `resource_type`.
fn target(resource_type: &str, id: &str) -> TaskTarget {
    TaskTarget {
        resource_type: resource_type.to_owned(),
        resource_id: id.to_owned(),
    }
}

/// The same, with system tasks included.
fn with_system(change: impl FnOnce(&mut TaskFilter)) -> TaskFilter {
    with(|f| {
        f.include_system = true;
        change(f);
    })
}

async fn list_filters(store: Store) {
    let Sample { a, b, c, d } = sample();
    for t in [&a, &b, &c, &d] {
        store.insert_task(t).await.unwrap();
    }
    let (sync, apply, prune, upload) = (a.id, b.id, c.id, d.id);
    let cases = [
        (with(|_| ()), vec![upload, apply, sync]),
        (with_system(|_| ()), vec![upload, prune, apply, sync]),
        (with(|f| f.ids = vec![sync, prune]), vec![sync]),
        (
            with_system(|f| f.ids = vec![sync, prune]),
            vec![prune, sync],
        ),
        (
            with(|f| f.statuses = vec![TaskStatus::Succeeded, TaskStatus::Failed]),
            vec![upload, sync],
        ),
        (with(|f| f.names = vec!["sync".into()]), vec![sync]),
        (
            with_system(|f| f.names = vec!["sync".into()]),
            vec![prune, sync],
        ),
        (with(|f| f.task_type = Some("apply".into())), vec![apply]),
        (
            with(|f| f.created_by = vec!["alice".into()]),
            vec![upload, sync],
        ),
        (
            with(|f| f.created_by = vec!["alice".into(), "bob".into()]),
            vec![upload, apply, sync],
        ),
        (with(|f| f.description = Some("Apply".into())), vec![apply]),
        (
            with(|f| f.description = Some("com.x.sync".into())),
            vec![sync],
        ),
        (with(|f| f.description = Some("Sync".into())), vec![]),
        (
            with(|f| f.resource_id = Some("depot-2".into())),
            vec![upload],
        ),
        (
            with(|f| f.resource_type = Some("Depot".into())),
            vec![upload, sync],
        ),
        // Targets match on type and id together; several targets are alternatives.
        (
            with(|f| f.targets = vec![target("Depot", "depot-2")]),
            vec![upload],
        ),
        (
            with(|f| f.targets = vec![target("Library", "depot-2")]),
            vec![],
        ),
        (
            with(|f| f.targets = vec![target("Depot", "depot-1"), target("Library", "lib-1")]),
            vec![apply, sync],
        ),
        (
            with(|f| {
                f.targets = vec![target("Depot", "depot-1"), target("Depot", "depot-2")];
                f.created_by = vec!["alice".into()];
            }),
            vec![upload, sync],
        ),
        (
            with(|f| f.services = vec!["com.vmware.content.library".into(), "x".into()]),
            vec![apply],
        ),
        (with(|f| f.operations = vec!["create".into()]), vec![sync]),
        // Time bounds are strict; tasks without the time never match.
        (
            with(|f| f.start_time_gt = Some(at(100))),
            vec![upload, apply],
        ),
        (with(|f| f.start_time_lt = Some(at(1_200))), vec![sync]),
        (with(|f| f.update_time_gt = Some(at(1_500))), vec![upload]),
        (
            with_system(|f| f.update_time_gt = Some(at(1_500))),
            vec![upload, prune],
        ),
        (with(|f| f.update_time_lt = Some(at(1_500))), vec![sync]),
        (with(|f| f.end_time_gt = Some(at(1_000))), vec![upload]),
        (with(|f| f.end_time_lt = Some(at(4_000))), vec![sync]),
        (
            with(|f| {
                f.created_by = vec!["alice".into()];
                f.statuses = vec![TaskStatus::Failed];
            }),
            vec![upload],
        ),
    ];
    for (filter, expected) in cases {
        let total = expected.len() as u64;
        assert_eq!(
            listed(&*store, &filter).await,
            (expected, total),
            "{filter:?}"
        );
    }
}

async fn list_paging(store: Store) {
    let mut tasks: Vec<Task> = (0..25).map(|i| task("job", i * 1_000)).collect();
    // Same create time: ordered by id, descending.
    tasks.extend((0..3).map(|_| task("job", 99_000)));
    let mut hidden = task("job", 50_000);
    hidden.system = true;
    for t in tasks.iter().chain([&hidden]) {
        store.insert_task(t).await.unwrap();
    }
    tasks.sort_by_key(|t| std::cmp::Reverse((t.create_time, t.id)));

    let filter = TaskFilter::default();
    let mut seen = Vec::new();
    for (number, len) in [(1, 10), (2, 10), (3, 8), (4, 0)] {
        let page = store
            .list_tasks(&filter, PageRequest { number, size: 10 })
            .await
            .unwrap();
        assert_eq!((page.items.len(), page.total), (len, 28), "page {number}");
        seen.extend(page.items);
    }
    assert_eq!(seen, tasks);

    // Page 0 reads as page 1; size 0 as 1.
    let page = store
        .list_tasks(&filter, PageRequest { number: 0, size: 0 })
        .await
        .unwrap();
    assert_eq!((page.items, page.total), (vec![tasks[0].clone()], 28));
    let filter = TaskFilter {
        include_system: true,
        ..filter
    };
    let page = store
        .list_tasks(&filter, PageRequest { number: 2, size: 5 })
        .await
        .unwrap();
    assert_eq!(page.total, 29);
}
