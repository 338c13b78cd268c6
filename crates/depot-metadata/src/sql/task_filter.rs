//! Listing tasks: the `WHERE` clause built from a [`TaskFilter`], with bound
//! parameters only.

use depot_model::Timestamp;

use super::{Statement, task_columns, to_millis};
use crate::{PageRequest, TaskFilter};

/// Appends the page of tasks matching `filter`, newest first.
pub(crate) fn push_list(qb: &mut Statement, filter: &TaskFilter, page: PageRequest) {
    qb.push(concat!("SELECT ", task_columns!(), " FROM tasks"));
    push_where(qb, filter);
    qb.push(" ORDER BY create_time DESC, id DESC LIMIT ");
    qb.push_bind(i64::from(page.size.max(1)));
    qb.push(" OFFSET ");
    qb.push_bind(i64::try_from(page.offset()).unwrap_or(i64::MAX));
}

/// Appends the count of tasks matching `filter`.
pub(crate) fn push_count(qb: &mut Statement, filter: &TaskFilter) {
    qb.push("SELECT COUNT(*) FROM tasks");
    push_where(qb, filter);
}

/// Appends ` WHERE …` for `filter`; empty lists and `None` add no constraint.
fn push_where(qb: &mut Statement, f: &TaskFilter) {
    qb.push(" WHERE TRUE");
    if !f.include_system {
        qb.push(" AND NOT is_system");
    }
    qb.push_and_in("id", f.ids.iter().map(ToString::to_string));
    qb.push_and_in("status", f.statuses.iter().map(|s| s.as_str()));
    qb.push_and_in("name", f.names.iter().map(String::as_str));
    qb.push_and_in("created_by", f.created_by.iter().map(String::as_str));
    qb.push_and_in("service", f.services.iter().map(String::as_str));
    qb.push_and_in("operation", f.operations.iter().map(String::as_str));
    push_eq(qb, "task_type", f.task_type.as_deref());
    push_eq(qb, "resource_id", f.resource_id.as_deref());
    push_eq(qb, "resource_type", f.resource_type.as_deref());
    push_targets(qb, &f.targets);
    if let Some(description) = &f.description {
        qb.push(" AND (description_default = ");
        qb.push_bind(description.as_str());
        qb.push(" OR description_id = ");
        qb.push_bind(description.as_str());
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
fn push_targets(qb: &mut Statement, targets: &[crate::TaskTarget]) {
    if targets.is_empty() {
        return;
    }
    qb.push(" AND (");
    for (i, t) in targets.iter().enumerate() {
        if i > 0 {
            qb.push(" OR ");
        }
        qb.push("(resource_type = ");
        qb.push_bind(t.resource_type.as_str());
        qb.push(" AND resource_id = ");
        qb.push_bind(t.resource_id.as_str());
        qb.push(")");
    }
    qb.push(")");
}

fn push_eq(qb: &mut Statement, column: &'static str, value: Option<&str>) {
    if let Some(value) = value {
        qb.push(" AND ").push(column).push(" = ");
        qb.push_bind(value);
    }
}

fn push_cmp(qb: &mut Statement, column: &'static str, op: &'static str, value: Option<Timestamp>) {
    if let Some(value) = value {
        qb.push(" AND ").push(column).push(" ").push(op).push(" ");
        qb.push_bind(to_millis(value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_filter_only_hides_system_tasks() {
        let mut qb = Statement::default();
        push_count(&mut qb, &TaskFilter::default());
        assert_eq!(
            qb.sql(),
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
        let mut qb = Statement::default();
        push_count(&mut qb, &filter);
        assert_eq!(
            qb.sql(),
            "SELECT COUNT(*) FROM tasks WHERE TRUE AND name IN (?) \
             AND (description_default = ? OR description_id = ?)"
        );
    }
}
