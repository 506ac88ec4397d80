//! Two or more runs: overlaid curves, what differs in config and data, and per-dialect
//! WER deltas against the first run with the paired-bootstrap test.

use std::rc::Rc;

use dialekt_core::diff::RunDiff;
use dialekt_core::report::{GroupDelta, Index, PairReport, RunReport, pair_file};
use yew::prelude::*;

use super::chart::Chart;
use super::delta::delta_view;
use super::run::{ChartControls, curve_name, short_name};
use super::{Load, js, short, use_fetch};
use crate::figures::{CURVE_CHARTS, Curve, RateKind, colour, curve_figure, group_figure};
use crate::route::{ChartOptions, Route};

#[derive(Properties, PartialEq)]
pub struct CompareProps {
    pub index: Rc<Index>,
    /// Full run ids; the first is the baseline.
    pub ids: Vec<String>,
    pub chart: ChartOptions,
    pub generation: u64,
}

#[function_component(ComparePage)]
pub fn compare_page(props: &CompareProps) -> Html {
    let reports = use_state(|| Load::<Vec<Rc<RunReport>>>::Loading);
    {
        let reports = reports.clone();
        use_effect_with((props.ids.clone(), props.generation), move |(ids, _)| {
            let ids = ids.clone();
            wasm_bindgen_futures::spawn_local(async move {
                // All at once: the browser fetches in parallel while wasm parses.
                let urls: Vec<String> = ids
                    .iter()
                    .map(|id| format!("data/runs/{id}.json"))
                    .collect();
                let fetched = futures::future::join_all(
                    urls.iter().map(|url| js::fetch_json::<RunReport>(url)),
                )
                .await;
                match fetched.into_iter().collect::<Result<Vec<_>, _>>() {
                    Ok(loaded) => reports.set(Load::Ready(Rc::new(
                        loaded.into_iter().map(Rc::new).collect(),
                    ))),
                    Err(message) => reports.set(Load::Failed(message)),
                }
            });
        });
    }
    let reports = match &*reports {
        Load::Loading => {
            return html! { <p class="status" aria-busy="true">{ "Loading the runs…" }</p> };
        }
        Load::Failed(message) => {
            return html! { <p class="error" role="alert">{ message.clone() }</p> };
        }
        Load::Ready(reports) => Rc::clone(reports),
    };
    let dark = js::prefers_dark();
    let ids: Vec<String> = props.ids.iter().map(|id| short(id).to_owned()).collect();
    let to_route = Callback::from(move |chart: ChartOptions| {
        Route::Compare {
            ids: ids.clone(),
            chart,
        }
        .to_string()
    });
    let names: Vec<String> = reports.iter().map(|r| short_name(r)).collect();
    let charts = CURVE_CHARTS.iter().filter(|c| c.id != "dev-dialect").filter_map(|chart| {
        let mut labels = Vec::new();
        let mut picked = Vec::new();
        for (i, report) in reports.iter().enumerate() {
            for series in report.series.iter().filter(|s| (chart.keys)(&s.key)) {
                labels.push(format!("{} · {}", names[i], curve_name(&series.key)));
                picked.push((i, series));
            }
        }
        if picked.is_empty() {
            return None;
        }
        let curves: Vec<Curve<'_>> = picked
            .iter()
            .zip(&labels)
            .map(|((i, series), name)| Curve { name, colour: colour(*i), series, dashed: series.key.starts_with("valid/") && chart.id == "loss" })
            .collect();
        let figure = Rc::new(curve_figure(chart, &curves, &props.chart, dark));
        Some(html! { <Chart key={chart.id} {figure} label={chart.title} class={format!("chart curve chart-{}", chart.id)} /> })
    });
    let baseline = &reports[0];
    html! {
        <article class="compare">
            <h1>{ format!("Comparing {} runs", reports.len()) }</h1>
            <ul class="legend-runs">
                { for names.iter().enumerate().map(|(i, name)| html! {
                    <li><span class="swatch" style={format!("background:{}", colour(i))}></span>{ name.clone() }{ if i == 0 { " (baseline)" } else { "" } }</li>
                }) }
            </ul>
            <ChartControls chart={props.chart} {to_route} />
            <section class="curves" aria-label="Overlaid training curves">{ for charts }</section>
            { for reports.iter().enumerate().skip(1).map(|(i, other)| html! {
                <Differences index={Rc::clone(&props.index)} baseline={Rc::clone(baseline)} other={Rc::clone(other)} baseline_name={names[0].clone()} other_name={names[i].clone()} generation={props.generation} />
            }) }
            <EvaluationsSideBySide reports={Rc::clone(&reports)} names={names.clone()} />
        </article>
    }
}

#[derive(Properties, PartialEq)]
pub struct DifferencesProps {
    pub index: Rc<Index>,
    pub baseline: Rc<RunReport>,
    pub other: Rc<RunReport>,
    pub baseline_name: String,
    pub other_name: String,
    pub generation: u64,
}

/// What differs between the baseline and one other run, and its WER deltas.
#[function_component(Differences)]
pub fn differences(props: &DifferencesProps) -> Html {
    let (a, b) = (&props.baseline, &props.other);
    let paired = props.index.pairs.iter().any(|(x, y)| {
        (*x, *y) == (a.summary.id, b.summary.id) || (*x, *y) == (b.summary.id, a.summary.id)
    });
    let pair = use_fetch::<PairReport>(
        paired.then(|| format!("data/{}", pair_file(&a.summary.id, &b.summary.id))),
        props.generation,
    );
    let diff = match (&a.manifest, &b.manifest) {
        (Some(am), Some(bm)) => Some(RunDiff::between(
            (&a.record, &a.config, am),
            (&b.record, &b.config, bm),
        )),
        _ => None,
    };
    let title = format!("{} against {}", props.other_name, props.baseline_name);
    let change_rows = |changes: &[dialekt_core::diff::Change]| -> Html {
        changes.iter().map(|c| html! {
            <tr><th scope="row"><code>{ c.key.clone() }</code></th><td>{ c.a.clone().unwrap_or_else(|| "—".into()) }</td><td>{ c.b.clone().unwrap_or_else(|| "—".into()) }</td></tr>
        }).collect()
    };
    html! {
        <section class="differences">
            <h2>{ title.clone() }</h2>
            if let Some(diff) = &diff {
                <h3>{ "Config differences" }</h3>
                // The seed is a config key too: `diff.config` already lists it.
                if diff.config.is_empty() {
                    <p>{ "Same resolved config." }</p>
                } else {
                    <table class="config-diff">
                        <thead><tr><th scope="col">{ "Key" }</th><th scope="col">{ props.baseline_name.clone() }</th><th scope="col">{ props.other_name.clone() }</th></tr></thead>
                        <tbody>{ change_rows(&diff.config) }</tbody>
                    </table>
                }
                <h3>{ "Data" }</h3>
                if diff.data.is_empty() {
                    <p>{ "Same data manifest." }</p>
                } else {
                    <ul class="data-diff">
                        { for diff.data.by_directory().iter().map(|(dir, change)| html! {
                            <li><code>{ dir.clone() }</code>{ format!(": {} added, {} removed, {} changed", change.added, change.removed, change.changed) }</li>
                        }) }
                    </ul>
                }
                <h3>{ "Code and environment" }</h3>
                if diff.code.is_empty() && diff.environment.is_empty() {
                    <p>{ "Same code and environment." }</p>
                } else {
                    <table class="code-diff"><tbody>{ change_rows(&diff.code) }{ change_rows(&diff.environment) }</tbody></table>
                }
            } else {
                <p>{ "A data manifest is missing: only curves can be compared." }</p>
            }
            <h3>{ "WER by dialect: paired test" }</h3>
            { match (paired, pair) {
                (false, _) => html! { <p>{ "These runs have no evaluation of the same utterances." }</p> },
                (true, Load::Loading) => html! { <p aria-busy="true">{ "Loading…" }</p> },
                (true, Load::Failed(message)) => html! { <p class="error" role="alert">{ message }</p> },
                (true, Load::Ready(pair)) => deltas_html(&pair, &a.summary.id.to_string(), &title),
            } }
        </section>
    }
}

/// The deltas as a chart and a table, oriented as `other − baseline`.
fn deltas_html(pair: &PairReport, baseline: &str, title: &str) -> Html {
    let flipped = pair.a.to_string() != baseline;
    let deltas: Vec<GroupDelta> = pair
        .groups
        .iter()
        .map(|d| if flipped { flip(d) } else { d.clone() })
        .collect();
    let caption = format!(
        "{} utterances of the {} split decoded by both; 95 % paired bootstrap over speakers. Negative: the second run is better.",
        pair.utterances, pair.split
    );
    delta_view(&deltas, title, &caption)
}

/// The same comparison seen from the other run.
fn flip(d: &GroupDelta) -> GroupDelta {
    GroupDelta {
        a_wer: d.b_wer,
        b_wer: d.a_wer,
        delta: -d.delta,
        low: d.high.map(|h| -h),
        high: d.low.map(|l| -l),
        ..d.clone()
    }
}

#[derive(Properties, PartialEq)]
pub struct SideBySideProps {
    pub reports: Rc<Vec<Rc<RunReport>>>,
    pub names: Vec<String>,
}

/// WER by dialect of every run's newest evaluation of a common split, as grouped bars.
#[function_component(EvaluationsSideBySide)]
pub fn evaluations_side_by_side(props: &SideBySideProps) -> Html {
    let split = props.reports[0]
        .evaluations
        .iter()
        .map(|e| e.split.clone())
        .max_by_key(|s| s == "test");
    let Some(split) = split else {
        return Html::default();
    };
    let picked: Vec<(&str, &str, &dialekt_core::report::EvalReport)> = props
        .reports
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let newest = r
                .evaluations
                .iter()
                .filter(|e| e.split == split)
                .max_by_key(|e| e.checkpoint_step)?;
            Some((props.names[i].as_str(), colour(i), newest))
        })
        .collect();
    if picked.len() < 2 {
        return Html::default();
    }
    let figure = Rc::new(group_figure(
        &format!("WER by dialect ({split})"),
        "dialect",
        &picked,
        RateKind::Wer,
        js::prefers_dark(),
    ));
    html! { <section class="side-by-side"><h2>{ "Evaluations side by side" }</h2><Chart {figure} label="WER by dialect of each run" class="chart bars chart-compare-dialect" /></section> }
}
