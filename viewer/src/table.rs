//! The runs table: filtering and sorting [`RunSummary`] rows.

use std::cmp::Ordering;

use dialekt_core::lineage::AttemptStatus;
use dialekt_core::report::RunSummary;

use crate::route::{SortKey, TableOptions};

/// The rows to show, filtered and sorted as `options` says. Missing values (no dev WER
/// yet) sort last in either direction: a table sorted by WER starts with real numbers.
#[must_use]
pub fn rows<'a>(runs: &'a [RunSummary], options: &TableOptions) -> Vec<&'a RunSummary> {
    let needle = options.filter.trim().to_lowercase();
    let mut rows: Vec<&RunSummary> = runs
        .iter()
        .filter(|run| needle.is_empty() || haystack(run).contains(&needle))
        .collect();
    rows.sort_by(|a, b| {
        let order = compare(a, b, options.sort, options.descending);
        order.then_with(|| a.id.cmp(&b.id))
    });
    rows
}

/// The text a filter matches: id, experiment, status, commit and the scheduler job
/// (`job 12345_2 sweep 12345`, so that `sweep 12345` shows a whole sweep), lowercased.
fn haystack(run: &RunSummary) -> String {
    let job = run.job.as_deref().map_or_else(String::new, |job| {
        format!("job {job} sweep {}", sweep_of(job))
    });
    format!(
        "{} {} {} {} {job}",
        run.id,
        run.experiment,
        status_name(run.status),
        run.commit.as_deref().unwrap_or_default()
    )
    .to_lowercase()
}

/// The job a sweep element belongs to: Slurm `12345_2` and LSF `12345[3]` → `12345`.
#[must_use]
pub fn sweep_of(job: &str) -> &str {
    job.split(['_', '[']).next().unwrap_or(job)
}

#[must_use]
pub fn status_name(status: Option<AttemptStatus>) -> &'static str {
    match status {
        Some(AttemptStatus::Running) => "running",
        Some(AttemptStatus::Completed) => "completed",
        Some(AttemptStatus::Failed) => "failed",
        Some(AttemptStatus::Interrupted) => "interrupted",
        None => "recorded",
    }
}

/// The best dev WER of a run, if it has been validated.
#[must_use]
pub fn best_wer(run: &RunSummary) -> Option<f64> {
    run.best.get("wer").map(|b| b.value)
}

fn compare(a: &RunSummary, b: &RunSummary, key: SortKey, descending: bool) -> Ordering {
    let directed = |o: Ordering| if descending { o.reverse() } else { o };
    let numbers = |x: Option<f64>, y: Option<f64>| match (x, y) {
        (Some(x), Some(y)) => directed(x.total_cmp(&y)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    match key {
        SortKey::Id => directed(a.id.cmp(&b.id)),
        SortKey::Experiment => directed(a.experiment.cmp(&b.experiment)),
        SortKey::Status => directed(status_name(a.status).cmp(status_name(b.status))),
        SortKey::Steps => directed(a.step.cmp(&b.step)),
        SortKey::BestWer => numbers(best_wer(a), best_wer(b)),
        SortKey::TestWer => numbers(
            a.evaluation.as_ref().map(|e| e.wer),
            b.evaluation.as_ref().map(|e| e.wer),
        ),
        SortKey::Started => directed(a.started_at.cmp(&b.started_at)),
        SortKey::Commit => directed(a.commit.cmp(&b.commit)),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use dialekt_core::ContentHash;
    use dialekt_core::lineage::RunId;
    use dialekt_core::report::Best;

    use super::*;

    fn run(n: u8, name: &str, wer: Option<f64>) -> RunSummary {
        RunSummary {
            id: RunId(ContentHash([n; 32])),
            experiment: name.into(),
            status: Some(AttemptStatus::Completed),
            step: u64::from(n) * 10,
            max_steps: 100,
            best: wer
                .map(|value| BTreeMap::from([("wer".to_owned(), Best { value, step: 5 })]))
                .unwrap_or_default(),
            evaluation: None,
            started_at: Some(format!("2026-11-0{n}T00:00:00Z")),
            commit: Some("abc".into()),
            dirty: false,
            parent: None,
            verdict: None,
            job: None,
        }
    }

    #[test]
    fn sorts_by_wer_with_missing_values_last_both_ways() {
        let runs = [
            run(1, "a", Some(30.0)),
            run(2, "b", None),
            run(3, "c", Some(20.0)),
        ];
        let mut options = TableOptions {
            sort: SortKey::BestWer,
            descending: false,
            filter: String::new(),
        };
        let names = |rows: Vec<&RunSummary>| {
            rows.iter()
                .map(|r| r.experiment.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(rows(&runs, &options)), ["c", "a", "b"]);
        options.descending = true;
        assert_eq!(names(rows(&runs, &options)), ["a", "c", "b"]);
    }

    #[test]
    fn filters_on_name_id_and_status_case_insensitively() {
        let runs = [run(1, "Danish-LR", None), run(2, "english", None)];
        let filter = |text: &str| {
            rows(
                &runs,
                &TableOptions {
                    filter: text.into(),
                    ..TableOptions::default()
                },
            )
            .len()
        };
        assert_eq!(filter("danish"), 1);
        assert_eq!(filter("0202"), 1, "id prefix");
        assert_eq!(filter("completed"), 2);
        assert_eq!(filter("nothing"), 0);
    }

    #[test]
    fn a_sweep_filters_as_one_group() {
        let mut runs = [run(1, "lr", None), run(2, "lr", None), run(3, "lr", None)];
        runs[0].job = Some("41_0".into());
        runs[1].job = Some("41_1".into());
        runs[2].job = Some("7[1]".into());
        let shown = |text: &str| {
            rows(
                &runs,
                &TableOptions {
                    filter: text.into(),
                    ..TableOptions::default()
                },
            )
            .len()
        };
        assert_eq!(shown("sweep 41"), 2);
        assert_eq!(shown("sweep 7"), 1);
        assert_eq!(shown("job 41_1"), 1);
        assert_eq!(sweep_of("12345"), "12345");
    }

    #[test]
    fn default_order_is_newest_first() {
        let runs = [
            run(1, "old", None),
            run(3, "new", None),
            run(2, "mid", None),
        ];
        let order: Vec<&str> = rows(&runs, &TableOptions::default())
            .iter()
            .map(|r| r.experiment.as_str())
            .collect();
        assert_eq!(order, ["new", "mid", "old"]);
    }
}
