//! The report viewer end to end in real headless Chromium: a fixture store of three runs
//! (one named with markup, a dialect label and a transcript with script tags, quotes and
//! right-to-left text) is built into a report, served by `trainer report serve`'s server,
//! and driven by `viewer/e2e/check.mjs` (playwright-core with Debian's Chromium). The
//! numbers the pages show are compared with the report's data; screenshots are kept
//! under `target/artifacts/viewer/`.
//!
//! Needs `./dev viewer` (run by `./dev test`), node and Chromium. Set
//! `DIALEKT_SKIP_BROWSER_TESTS=1` to skip it knowingly; it never skips silently.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::report_fixture::{
    FixtureSpec, HOSTILE_DIALECT, HOSTILE_NAME, HOSTILE_TEXT, write_store,
};
use dialekt_core::report::{RunReport, Series};
use dialekt_trainer::report::serve::ReportServer;
use dialekt_trainer::report::{build, default_viewer_dist};
use serde_json::Value;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn artifacts() -> PathBuf {
    // CARGO_TARGET_TMPDIR is <target>/tmp.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("../artifacts/viewer");
    fs_err::create_dir_all(&dir).unwrap();
    dir
}

fn browser_available() -> bool {
    if std::env::var_os("DIALEKT_SKIP_BROWSER_TESTS").is_some() {
        eprintln!("SKIPPED: DIALEKT_SKIP_BROWSER_TESTS is set");
        return false;
    }
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).is_file(),
        "the viewer's browser test needs Chromium at {chromium} (apt-get install chromium), or DIALEKT_SKIP_BROWSER_TESTS=1"
    );
    assert!(
        default_viewer_dist().join("viewer_bg.wasm").is_file(),
        "the viewer is not built: run `./dev viewer` (./dev test does)"
    );
    true
}

/// The report's own numbers for a series.
fn series<'a>(report: &'a RunReport, key: &str) -> &'a Series {
    report.series.iter().find(|s| s.key == key).unwrap()
}

fn floats(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

fn close(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= 1e-9 * y.abs().max(1.0))
}

#[test]
fn report_pages_show_the_runs_numbers_and_render_hostile_text_inert() {
    if !browser_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("runs");
    let spec = FixtureSpec {
        runs: 3,
        steps: 600,
        validate_every: 50,
        utterances: 120,
        hostile: true,
    };
    let ids = write_store(&store, &spec).unwrap();
    let out = dir.path().join("report");
    let index = build(&store, &default_viewer_dist(), &out, false).unwrap();
    assert_eq!(index.runs.len(), 3);
    assert_eq!(
        index.pairs.len(),
        3,
        "every two runs share the test utterances"
    );
    let server = ReportServer::start(&store, &default_viewer_dist(), &out, 0).unwrap();
    let shots = artifacts();
    let hostile_id = ids[0].to_string();
    let mut args = vec![
        server.url.clone(),
        shots.display().to_string(),
        hostile_id.clone(),
    ];
    args.extend(ids[1..].iter().map(ToString::to_string));
    let run = Command::new("node")
        .arg(workspace().join("viewer/e2e/check.mjs"))
        .args(&args)
        .current_dir(workspace().join("viewer"))
        .output()
        .expect("node (nodejs) runs the browser script");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "browser check failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let seen: Value = serde_json::from_str(stdout.trim()).unwrap();
    let report: RunReport = serde_json::from_slice(
        &fs_err::read(out.join(format!("data/runs/{hostile_id}.json"))).unwrap(),
    )
    .unwrap();

    // Runs table: three rows; the hostile name is shown as text, with the best dev WER.
    let rows = seen["runs"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    let hostile_row = rows
        .iter()
        .find(|r| r[0].as_str().unwrap().contains(&hostile_id[..12]))
        .unwrap();
    assert_eq!(hostile_row[1], Value::from(HOSTILE_NAME));
    let best = report.summary.best["wer"].value;
    assert_eq!(hostile_row[4], Value::from(format!("{best:.2} %")));

    assert_eq!(seen["filtered"]["rows"], serde_json::json!(["danish-lr2"]));
    assert_eq!(seen["filtered"]["hash"], "#/?q=lr2");
    assert_eq!(seen["filtered"]["historyGrowth"], 0);

    // Curves: the train loss trace holds exactly the report's overview points (log y from the URL).
    let loss = &seen["run"]["loss"];
    assert_eq!(loss["yaxisType"], "log");
    let train = series(&report, "train/ctc_loss");
    let raw = loss["traces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["showlegend"] == false)
        .unwrap();
    assert!(
        close(&floats(&raw["y"]), &train.value),
        "raw train loss differs from the report"
    );
    assert_eq!(loss["legend"], serde_json::json!(["train", "dev"]));
    assert!(
        seen["run"]["title"]
            .as_str()
            .unwrap()
            .contains(HOSTILE_NAME)
    );

    // Dialect bars: every label's WER and interval as computed, the hostile label literal.
    let evaluation = &report.evaluations[0];
    let dialects: Vec<_> = evaluation
        .groups
        .iter()
        .filter(|g| g.category == "dialect")
        .collect();
    let bars = &seen["run"]["dialectWer"]["traces"][0];
    let estimates: Vec<f64> = dialects.iter().map(|g| g.wer.estimate).collect();
    assert!(close(&floats(&bars["y"]), &estimates));
    let plus: Vec<f64> = dialects
        .iter()
        .map(|g| g.wer.high.unwrap() - g.wer.estimate)
        .collect();
    assert!(close(&floats(&bars["error_plus"]), &plus));
    assert_eq!(dialects.len(), 10);
    let ticks: Vec<&str> = seen["run"]["dialectWer"]["xticks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(
        ticks.contains(&HOSTILE_DIALECT),
        "label shown literally: {ticks:?}"
    );
    assert!(ticks.contains(&"Sønderjysk"));

    // Worst utterances: aligned, the hostile transcript as text.
    let alignments = seen["run"]["alignments"].as_array().unwrap();
    assert_eq!(alignments.len(), evaluation.worst.len());
    assert!(seen["run"]["substitutions"].as_u64().unwrap() > 0);
    let hostile_words = HOSTILE_TEXT
        .split_whitespace()
        .any(|w| alignments.iter().any(|a| a.as_str().unwrap().contains(w)));
    assert!(hostile_words || evaluation.worst.iter().all(|u| u.source != "utt-00000"));
    assert!(
        seen["run"]["reproductions"]
            .as_str()
            .unwrap()
            .contains("bit-identical")
    );

    // Zoom re-buckets from the full series: every point in [100, 140] is there.
    let zoomed = seen["zoomed"]["traces"].as_array().unwrap();
    let zoomed_train = zoomed
        .iter()
        .find(|t| t["name"] == "train" && t["showlegend"] == false)
        .unwrap();
    assert_eq!(
        floats(&zoomed_train["x"]),
        (100..=140).map(f64::from).collect::<Vec<_>>()
    );
    let wall = seen["zoomedWall"]["traces"].as_array().unwrap();
    let wall_train = wall
        .iter()
        .find(|t| t["name"] == "train" && t["showlegend"] == false)
        .unwrap();
    let expected: Vec<f64> = (100..=140).map(|s| f64::from(s) * 0.35).collect();
    assert!(
        close(&floats(&wall_train["x"]), &expected),
        "{}",
        wall_train["x"]
    );
    assert!(
        seen["smoothedHash"]
            .as_str()
            .unwrap()
            .contains("smooth=0.9")
    );

    // Compare: 3 runs × (train, dev) loss curves, the config keys that differ, deltas.
    let compare = &seen["compare"];
    assert_eq!(compare["loss"]["legend"].as_array().unwrap().len(), 6);
    let keys: Vec<&str> = compare["configKeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert!(
        keys.contains(&"optimizer.config.lr") && keys.contains(&"seed"),
        "{keys:?}"
    );
    let deltas = compare["deltaRows"].as_array().unwrap();
    assert_eq!(deltas.len(), 2, "one table per run against the baseline");
    assert_eq!(
        deltas[0].as_array().unwrap().len(),
        11,
        "overall + 10 dialects"
    );
    assert_eq!(compare["sideBySide"]["traces"].as_array().unwrap().len(), 3);

    assert_eq!(
        seen["pwned"],
        Value::Null,
        "hostile strings must never execute"
    );
    assert!(
        seen["problems"].as_array().unwrap().is_empty(),
        "{}",
        seen["problems"]
    );
    let first_chart_ms = seen["firstChartMs"].as_f64().unwrap();
    eprintln!(
        "first chart drawn {first_chart_ms:.0} ms after navigation; screenshots in {}",
        shots.display()
    );
    drop(server);
}
