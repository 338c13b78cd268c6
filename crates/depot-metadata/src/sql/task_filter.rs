//! Listing tasks: the `WHERE` clause built from a [`TaskFilter`], with bound
//! parameters only.

use depot_model::Timestamp;
use sqlx::QueryBuilder;

use super::{BindValues, bind, push_and_in, task_columns, to_millis};
use crate::{PageRequest, TaskFilter};

/// Appends the page of tasks matching `filter`, newest first.
pub(crate) fn push_list<DB: BindValues>(
    qb: &mut QueryBuilder<DB>,
    filter: &TaskFilter,
    page: PageRequest,
) {
    qb.push(concat!("SELECT ", task_columns!(), " FROM tasks"));
    push_where(qb, filter);
    qb.push(" ORDER BY create_time DESC, id DESC LIMIT ");
    bind(qb, i64::from(page.size.max(1)));
    qb.push(" OFFSET ");
    bind(qb, i64::try_from(page.offset()).unwrap_or(i64::MAX));
}

/// Appends the count of tasks matching `filter`.
pub(crate) fn push_count<DB: BindValues>(qb: &mut QueryBuilder<DB>, filter: &TaskFilter) {
    qb.push("SELECT COUNT(*) FROM tasks");
    push_where(qb, filter);
}

/// Appends ` WHERE …` for `filter`; empty lists and `None` add no constraint.
fn push_where<DB: BindValues>(qb: &mut QueryBuilder<DB>, f: &TaskFilter) {
    qb.push(" WHERE TRUE");
    if !f.include_system {
        qb.push(" AND NOT is_system");
    }
    push_and_in(qb, "id", f.ids.iter().map(ToString::to_string));
    push_and_in(qb, "status", f.statuses.iter().map(|s| s.as_str()));
    push_and_in(qb, "name", f.names.iter().map(String::as_str));
    push_and_in(qb, "created_by", f.created_by.iter().map(String::as_str));
    push_and_in(qb, "service", f.services.iter().map(String::as_str));
    push_and_in(qb, "operation", f.operations.iter().map(String::as_str));
    push_eq(qb, "task_type", f.task_type.as_deref());
    push_eq(qb, "resource_id", f.resource_id.as_deref());
    push_eq(qb, "resource_type", f.resource_type.as_deref());
    push_targets(qb, &f.targets);
    if let Some(description) = &f.description {
        qb.push(" AND (description_default = ");
        bind(qb, description.as_str());
        qb.push(" OR description_id = ");
        bind(qb, description.as_str());
        qb.push(")");
    }
    push_cmp(qb, "start_time", ">", f.start_time_gt);
    push_cmp(qb, "start_time", "<", f.start_time_lt);
    push_cmp(qb, "update_time", ">", f.update_time_gt);
    push_cmp(qb, "update_time", "<", f.update_time_lt);
    push_cmp(qb, "end_time", ">", f.end_time_gt);
    push_cmp(qb, "end_time", "<", f.end_time_lt);
}

/// Appends ` AND ((resource_type = … AND resource_id = …) OR …)`; nothing for no
/// targets.
fn push_targets<DB: BindValues>(qb: &mut QueryBuilder<DB>, targets: &[crate::TaskTarget]) {
    if targets.is_empty() {
        return;
    }
    qb.push(" AND (");
    for (i, t) in targets.iter().enumerate() {
        if i > 0 {
            qb.push(" OR ");
        }
        qb.push("(resource_type = ");
        bind(qb, t.resource_type.as_str());
        qb.push(" AND resource_id = ");
        bind(qb, t.resource_id.as_str());
        qb.push(")");
    }
    qb.push(")");
}

fn push_eq<DB: BindValues>(qb: &mut QueryBuilder<DB>, column: &'static str, value: Option<&str>) {
    if let Some(value) = value {
        qb.push(" AND ").push(column).push(" = ");
        bind(qb, value);
    }
}

fn push_cmp<DB: BindValues>(
    qb: &mut QueryBuilder<DB>,
    column: &'static str,
    op: &'static str,
    value: Option<Timestamp>,
) {
    if let Some(value) = value {
        qb.push(" AND ").push(column).push(" ").push(op).push(" ");
        bind(qb, to_millis(value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_filter_only_hides_system_tasks() {
        let mut qb = QueryBuilder::<sqlx::Sqlite>::default();
        push_count(&mut qb, &TaskFilter::default());
        assert_eq!(
            qb.sql().as_str(),
            "SELECT COUNT(*) FROM tasks WHERE TRUE AND NOT is_system"
        );
    }

    #[test]
    fn values_are_bound_never_inlined() {
        let filter = TaskFilter {
            names: vec!["x'; DROP TABLE tasks; --".to_owned()],
            description: Some("d".to_owned()),
            include_system: true,
            ..TaskFilter::default()
        };
        let mut qb = QueryBuilder::<sqlx::Postgres>::default();
        push_count(&mut qb, &filter);
        assert_eq!(
            qb.sql().as_str(),
            "SELECT COUNT(*) FROM tasks WHERE TRUE AND name IN ($1) \
             AND (description_default = $2 OR description_id = $3)"
        );
    }
}
