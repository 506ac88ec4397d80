//! `trainer report build` rebuilds only what changed: the runs whose files changed, and
//! the pairs they are in.

use std::collections::BTreeMap;

use dialekt_core::lineage::RunId;
use dialekt_core::report::Index;
use dialekt_core::store::RunStore;
use dialekt_trainer::report::write_data;

use crate::report_fixture::{FixtureSpec, write_store};

#[test]
fn a_rebuild_redoes_only_the_runs_that_changed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, out) = (dir.path().join("runs"), dir.path().join("report"));
    let spec = FixtureSpec {
        runs: 2,
        steps: 40,
        validate_every: 10,
        utterances: 20,
        hostile: false,
    };
    let ids = write_store(&store, &spec).expect("fixture");
    let first = write_data(&store, &out, false).expect("first build");
    assert_eq!((first.runs.len(), first.pairs.len()), (2, 1));
    // Mark both runs' files: a rebuild must not rewrite what did not change.
    let report = |id: &RunId| out.join(format!("data/runs/{id}.json"));
    for id in &ids {
        fs_err::write(report(id), "unchanged").expect("mark");
    }
    let second = write_data(&store, &out, false).expect("second build");
    assert_eq!(second.runs, first.runs);
    assert_eq!(second.pairs, first.pairs);
    for id in &ids {
        assert_eq!(
            fs_err::read_to_string(report(id)).expect("read"),
            "unchanged"
        );
    }
    // One more step logged in run 1: only its files are rebuilt, and its summary moves.
    let run = RunStore::new(&store).dir(ids[1]);
    run.append_metrics(
        41,
        "train",
        BTreeMap::from([("ctc_loss".to_owned(), 1.0)]),
        BTreeMap::new(),
    )
    .expect("append");
    let third = write_data(&store, &out, false).expect("third build");
    assert_eq!(
        fs_err::read_to_string(report(&ids[0])).expect("read"),
        "unchanged"
    );
    assert_ne!(
        fs_err::read_to_string(report(&ids[1])).expect("read"),
        "unchanged"
    );
    let step = |index: &Index| index.runs.iter().find(|r| r.id == ids[1]).map(|r| r.step);
    assert_eq!(step(&third), Some(41));
    assert_eq!(third.pairs, first.pairs);
}
