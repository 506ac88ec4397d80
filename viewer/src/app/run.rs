//! One run: curves, lineage, evaluations.

use std::collections::BTreeMap;
use std::rc::Rc;

use dialekt_core::lineage::Verdict;
use dialekt_core::report::{
    Edit, EvalReport, FullSeries, OVERVIEW_BUCKETS, RunReport, Series, downsample,
    steps_within_elapsed,
};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::chart::Chart;
use super::delta::delta_view;
use super::{Load, js, short, use_fetch};
use crate::figures::{
    CURVE_CHARTS, Curve, CurveChart, RateKind, colour, curve_figure, group_figure,
};
use crate::route::{ChartOptions, Route, XAxis};

#[derive(Properties, PartialEq)]
pub struct RunProps {
    pub id: String,
    pub chart: ChartOptions,
    pub generation: u64,
}

#[function_component(RunPage)]
pub fn run_page(props: &RunProps) -> Html {
    let report = use_fetch::<RunReport>(
        Some(format!("data/runs/{}.json", props.id)),
        props.generation,
    );
    match report {
        Load::Loading => html! { <p class="status" aria-busy="true">{ "Loading the run…" }</p> },
        Load::Failed(message) => html! { <p class="error" role="alert">{ message }</p> },
        Load::Ready(report) => {
            let to_route = {
                let id = short(&props.id).to_owned();
                move |chart: ChartOptions| Route::Run {
                    id: id.clone(),
                    chart,
                }
            };
            html! {
                <article class="run">
                    <h1><bdi class="experiment">{ report.summary.experiment.clone() }</bdi>{ " " }
                        <code class="run-id">{ short(&props.id) }</code></h1>
                    <ChartControls chart={props.chart} to_route={Callback::from(move |c: ChartOptions| to_route(c).to_string())} />
                    <Curves report={Rc::clone(&report)} chart={props.chart} generation={props.generation} />
                    <Lineage report={Rc::clone(&report)} />
                    { for (0..report.evaluations.len()).map(|index| html! { <Evaluation report={Rc::clone(&report)} {index} /> }) }
                </article>
            }
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    pub chart: ChartOptions,
    /// The URL fragment of a changed view.
    pub to_route: Callback<ChartOptions, String>,
}

/// x axis, smoothing and log scale, all kept in the URL.
#[function_component(ChartControls)]
pub fn chart_controls(props: &ControlsProps) -> Html {
    let chart = props.chart;
    let go = |change: ChartOptions, to_route: &Callback<ChartOptions, String>| {
        js::set_hash(&to_route.emit(change))
    };
    let on_x = {
        let to_route = props.to_route.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let x = if input.value() == "wall" {
                XAxis::Wall
            } else {
                XAxis::Step
            };
            go(ChartOptions { x, ..chart }, &to_route);
        })
    };
    let on_smooth = {
        let to_route = props.to_route.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let smoothing = input.value().parse().unwrap_or(chart.smoothing);
            go(ChartOptions { smoothing, ..chart }, &to_route);
        })
    };
    let on_log = {
        let to_route = props.to_route.clone();
        Callback::from(move |_: Event| {
            go(
                ChartOptions {
                    log_y: !chart.log_y,
                    ..chart
                },
                &to_route,
            )
        })
    };
    html! {
        <form class="controls" onsubmit={Callback::from(|e: SubmitEvent| e.prevent_default())}>
            <label>{ "x axis " }
                <select onchange={on_x}>
                    <option value="step" selected={chart.x == XAxis::Step}>{ "step" }</option>
                    <option value="wall" selected={chart.x == XAxis::Wall}>{ "wall time" }</option>
                </select>
            </label>
            <label>{ "smoothing " }
                <input type="range" min="0" max="0.99" step="0.01" value={chart.smoothing.to_string()} onchange={on_smooth} aria-valuetext={format!("{:.2}", chart.smoothing)} />
                <output>{ format!("{:.2}", chart.smoothing) }</output>
            </label>
            <label><input type="checkbox" checked={chart.log_y} onchange={on_log} />{ " log y" }</label>
            <span class="hint">{ "Drag to zoom (long runs are re-sampled for the zoomed range), double-click to reset, click a legend entry to hide it." }</span>
        </form>
    }
}

#[derive(Properties, PartialEq)]
pub struct CurvesProps {
    pub report: Rc<RunReport>,
    pub chart: ChartOptions,
    pub generation: u64,
}

/// The run's charts. Overview series come with the report; zooming into a long run
/// fetches the full series once and re-buckets the visible step range.
#[function_component(Curves)]
pub fn curves(props: &CurvesProps) -> Html {
    let zoom = use_state(BTreeMap::<&'static str, (f64, f64)>::new);
    // Zoom ranges are in the units of the x axis: another axis starts unzoomed.
    {
        let zoom = zoom.clone();
        use_effect_with(props.chart.x, move |_| zoom.set(BTreeMap::new()));
    }
    let needs_full = !zoom.is_empty();
    let full = use_fetch::<FullSeries>(
        needs_full.then(|| format!("data/series/{}.json", props.report.summary.id)),
        props.generation,
    );
    let full = match full {
        Load::Ready(full) if needs_full => Some(full),
        _ => None,
    };
    let dark = js::prefers_dark();
    let charts = CURVE_CHARTS.iter().filter_map(|chart| {
        let range = zoom.get(chart.id).copied();
        let series: Vec<Series> =
            visible_series(&props.report, full.as_deref(), chart, range, props.chart.x);
        if series.is_empty() {
            return None;
        }
        let curves: Vec<Curve<'_>> = series
            .iter()
            .enumerate()
            .map(|(i, s)| Curve {
                name: curve_name(&s.key),
                colour: colour(i),
                series: s,
                dashed: false,
            })
            .collect();
        let figure = Rc::new(curve_figure(chart, &curves, &props.chart, dark));
        let on_zoom = {
            let zoom = zoom.clone();
            Callback::from(move |range: Option<(f64, f64)>| {
                let mut now = (*zoom).clone();
                match range {
                    Some(range) => now.insert(chart.id, range),
                    None => now.remove(chart.id),
                };
                zoom.set(now);
            })
        };
        Some(html! { <Chart key={chart.id} {figure} on_zoom={Some(on_zoom)} label={chart.title} class={format!("chart curve chart-{}", chart.id)} /> })
    });
    html! { <section class="curves" aria-label="Training curves">{ for charts }</section> }
}

/// The series of one chart: overviews, or the zoomed range (in `x` units) re-bucketed
/// from full data.
fn visible_series(
    report: &RunReport,
    full: Option<&FullSeries>,
    chart: &CurveChart,
    range: Option<(f64, f64)>,
    x: XAxis,
) -> Vec<Series> {
    let source = match (full, range) {
        (Some(full), Some(_)) => &full.series,
        _ => &report.series,
    };
    source
        .iter()
        .filter(|s| (chart.keys)(&s.key))
        .map(|s| match (full, range) {
            (Some(_), Some(range)) => {
                let steps = match x {
                    XAxis::Step => Some(range),
                    XAxis::Wall => steps_within_elapsed(s, range),
                };
                // A series with no point in the zoomed span stays (empty), so that every
                // series keeps its colour and legend entry.
                steps.map_or_else(
                    || Series::new(s.key.clone()),
                    |steps| downsample(s, Some(steps), OVERVIEW_BUCKETS),
                )
            }
            _ => s.clone(),
        })
        .collect()
}

/// `train/ctc_loss` → `train`, `valid/wer/dialect=Fynsk` → `Fynsk`, `valid/uer` → `dev uer`.
pub fn curve_name(key: &str) -> &str {
    if let Some(dialect) = key.strip_prefix("valid/wer/dialect=") {
        return dialect;
    }
    match key {
        "train/ctc_loss" => "train",
        "valid/ctc_loss" => "dev",
        "valid/wer" => "dev WER",
        "valid/uer" => "dev UER",
        other => other,
    }
}

/// A reproduction verdict in a few words.
pub fn verdict_text(verdict: &Verdict) -> String {
    match verdict {
        Verdict::BitIdentical => "reproduced (bit-identical)".to_owned(),
        Verdict::WithinTolerance {
            relative_tolerance,
            max_relative_difference,
        } => format!(
            "reproduced within tolerance ({max_relative_difference:.1e} ≤ {relative_tolerance:.1e})"
        ),
        Verdict::Diverged { step, phase, .. } => format!("diverged at step {step} ({phase})"),
    }
}

#[derive(Properties, PartialEq)]
pub struct LineageProps {
    pub report: Rc<RunReport>,
}

/// Where a run came from: config, data, code, environment, parent, reproductions.
#[function_component(Lineage)]
pub fn lineage(props: &LineageProps) -> Html {
    let report = &props.report;
    let record = &report.record;
    let attempt = record.latest_attempt();
    let row =
        |name: &str, value: Html| html! { <><dt>{ name.to_owned() }</dt><dd>{ value }</dd></> };
    let text = |value: String| html! { { value } };
    let code = |value: String| html! { <code>{ value }</code> };
    let splits = report.data_counts.iter().map(|(split, dialects)| {
        let counts: Vec<String> = dialects
            .iter()
            .map(|(d, n)| {
                if d == "all" {
                    format!("{n}")
                } else {
                    format!("{d} {n}")
                }
            })
            .collect();
        html! { <li>{ format!("{split}: {} utterances", counts.join(", ")) }</li> }
    });
    html! {
        <section class="lineage" aria-labelledby="lineage-title">
            <h2 id="lineage-title">{ "Lineage" }</h2>
            <dl>
                { row("Run id", code(record.run_id.to_string())) }
                { row("Status", text(attempt.map_or_else(|| "recorded".to_owned(), |a| format!("{:?} (attempt {})", a.status, a.number).to_lowercase()))) }
                { row("Steps", text(format!("{} of {}", report.summary.step, report.summary.max_steps))) }
                { row("Config", code(record.config_sha256.to_string())) }
                { row("Overrides", text(if record.overrides.is_empty() { "none".to_owned() } else { record.overrides.join(" ") })) }
                { row("Data root", code(record.data_root.to_string())) }
                { row("Code", html! { <><code>{ record.code.commit.clone().unwrap_or_else(|| "not a git checkout".to_owned()) }</code>{ if record.code.dirty { " + uncommitted changes (patch recorded)" } else { " (clean)" } }</> }) }
                { row("Seed", text(record.seed.to_string())) }
                { row("Parent", text(record.parent_run.map_or_else(|| "none (trained from its recorded origin)".to_owned(), |p| p.to_string()))) }
                if let Some(attempt) = attempt {
                    { row("Environment", text(format!("{} · {} {} · {} · {} threads{} · {}", attempt.environment.rustc, attempt.environment.backend, attempt.environment.backend_version, attempt.environment.gpu_model.clone().unwrap_or_else(|| attempt.environment.cpu_model.clone()), attempt.environment.threads,
                        if attempt.environment.world_size > 1 { format!(" × {} ranks", attempt.environment.world_size) } else { String::new() }, attempt.environment.os))) }
                }
            </dl>
            if !report.data_counts.is_empty() {
                <h3>{ "Data" }</h3>
                <ul class="splits">{ for splits }</ul>
            }
            <h3>{ "Reproductions" }</h3>
            if record.reproductions.is_empty() {
                <p>{ "Not reproduced yet (" }<code>{ format!("trainer reproduce {}", short(&record.run_id.to_string())) }</code>{ ")." }</p>
            } else {
                <ul class="reproductions">
                    { for record.reproductions.iter().map(|r| html! {
                        <li>{ format!("{}: {} — {} lines compared{}{}{}", r.at, verdict_text(&r.verdict), r.lines_compared,
                            r.from_checkpoint.map_or(String::new(), |s| format!(", from the checkpoint of step {s}")),
                            r.steps.map_or(String::new(), |s| format!(", up to step {s}")),
                            r.rebuilt_code.as_deref().map_or(String::new(), |c| format!(", by the trainer rebuilt at commit {}", short(c)))) }</li>
                    }) }
                </ul>
            }
            <details>
                <summary>{ "Resolved config" }</summary>
                <pre class="config">{ serde_json::to_string_pretty(&report.config).unwrap_or_default() }</pre>
            </details>
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct EvaluationProps {
    pub report: Rc<RunReport>,
    /// Which of the run's evaluations (one checkpoint may be decoded several ways).
    pub index: usize,
}

/// One evaluation: rates by dialect, age group and gender with intervals, the worst
/// utterances aligned, and for an LM (or other non-greedy) decoder the paired test against
/// greedy decoding of the same checkpoint.
#[function_component(Evaluation)]
pub fn evaluation(props: &EvaluationProps) -> Html {
    let Some(evaluation) = props.report.evaluations.get(props.index) else {
        return Html::default();
    };
    let dark = js::prefers_dark();
    let name = short_name(&props.report);
    let one = [(name.as_str(), colour(0), evaluation)];
    let overall = evaluation.groups.iter().find(|g| g.category == "overall");
    let charts = [
        ("dialect", RateKind::Wer, "WER by dialect"),
        ("dialect", RateKind::Cer, "CER by dialect"),
        ("age_group", RateKind::Wer, "WER by age group"),
        ("gender", RateKind::Wer, "WER by gender"),
    ];
    let id = format!("eval-{}", props.index);
    html! {
        <section class="evaluation" aria-labelledby={id.clone()}>
            <h2 id={id}>{ format!("Evaluation: {} split, checkpoint step {}, decoded {}", evaluation.split, evaluation.checkpoint_step, evaluation.decoder) }</h2>
            <p class="headline">
                { format!("fairseq2 WER {:.2} % · UER {:.2} % · CTC loss {:.2} bits/utterance", evaluation.fairseq2_wer, evaluation.fairseq2_uer, evaluation.ctc_loss) }
                if let Some(overall) = overall {
                    <br />{ format!("CoRal-normalised WER {} · CER {} over {} utterances, {} speakers", rate_text(&overall.wer), rate_text(&overall.cer), overall.utterances, overall.speakers) }
                }
            </p>
            <div class="grid">
                { for charts.iter().filter(|(category, _, _)| evaluation.groups.iter().any(|g| g.category == *category)).map(|(category, kind, title)| {
                    let figure = Rc::new(group_figure(title, category, &one, *kind, dark));
                    html! { <Chart {figure} label={*title} class={format!("chart bars chart-{category}-{}", if *kind == RateKind::Wer { "wer" } else { "cer" })} /> }
                }) }
            </div>
            <GroupTable evaluation={evaluation.clone()} />
            if let Some(deltas) = &evaluation.versus_start {
                <h3>{ "Against the starting model (zero-shot): paired test" }</h3>
                { delta_view(deltas, &format!("step {} − zero-shot", evaluation.checkpoint_step), &format!("The weights the run started from (step 0, zero-shot: baseline) and checkpoint step {}, both decoded {}; 95 % paired bootstrap over speakers. Negative: training made it better.", evaluation.checkpoint_step, evaluation.decoder)) }
            }
            if let Some(deltas) = &evaluation.versus_greedy {
                <h3>{ "Against greedy decoding: paired test" }</h3>
                { delta_view(deltas, &format!("{} − greedy", evaluation.decoder), &format!("The same checkpoint decoded greedily (baseline) and {}; 95 % paired bootstrap over speakers. Negative: the decoder is better.", evaluation.decoder)) }
            }
            <WorstUtterances evaluation={evaluation.clone()} />
        </section>
    }
}

/// A run as people see it in legends: the short id and the experiment name.
pub fn short_name(report: &RunReport) -> String {
    format!(
        "{} {}",
        short(&report.summary.id.to_string()),
        report.summary.experiment
    )
}

pub fn rate_text(rate: &dialekt_core::report::Rate) -> String {
    match (rate.low, rate.high) {
        (Some(low), Some(high)) => format!("{:.2} % [{low:.2}, {high:.2}]", rate.estimate),
        _ => format!("{:.2} %", rate.estimate),
    }
}

#[derive(Properties, PartialEq)]
pub struct EvalProps {
    pub evaluation: EvalReport,
}

/// The numbers behind the bars, for reading and copying.
#[function_component(GroupTable)]
pub fn group_table(props: &EvalProps) -> Html {
    html! {
        <details class="groups">
            <summary>{ "Table of every group" }</summary>
            <table class="group-table">
                <thead><tr><th scope="col">{ "Group" }</th><th scope="col">{ "Label" }</th><th scope="col">{ "Utterances" }</th><th scope="col">{ "Speakers" }</th><th scope="col">{ "WER [95 % CI]" }</th><th scope="col">{ "CER [95 % CI]" }</th></tr></thead>
                <tbody>
                    { for props.evaluation.groups.iter().map(|g| html! {
                        <tr><td>{ g.category.clone() }</td><td class="label">{ g.label.clone() }</td><td class="num">{ g.utterances }</td><td class="num">{ g.speakers }</td><td class="num">{ rate_text(&g.wer) }</td><td class="num">{ rate_text(&g.cer) }</td></tr>
                    }) }
                </tbody>
            </table>
        </details>
    }
}

/// The worst utterances, reference against hypothesis, errors coloured by kind.
#[function_component(WorstUtterances)]
pub fn worst_utterances(props: &EvalProps) -> Html {
    if props.evaluation.worst.is_empty() {
        return html! { <p>{ "No utterance has a word error." }</p> };
    }
    html! {
        <details class="worst" open=true>
            <summary>{ format!("The {} utterances with the most word errors", props.evaluation.worst.len()) }</summary>
            <p class="legend"><span class="sub">{ "substitution" }</span>{ " " }<span class="del">{ "deletion" }</span>{ " " }<span class="ins">{ "insertion" }</span></p>
            <ol class="utterances">
                { for props.evaluation.worst.iter().map(|u| html! {
                    <li>
                        <div class="meta"><code>{ u.source.clone() }</code>{ format!(" · {} · {} errors / {} words", u.dialect, u.word_errors, u.reference_words) }</div>
                        <div class="alignment" dir="auto">{ for u.edits.iter().map(edit_html) }</div>
                    </li>
                }) }
            </ol>
        </details>
    }
}

fn edit_html(edit: &Edit) -> Html {
    match edit {
        Edit::Equal { word } => html! { <span class="eq">{ word.clone() }{ " " }</span> },
        Edit::Substitute {
            reference,
            hypothesis,
        } => html! {
            <span class="sub" title="substitution"><s>{ reference.clone() }</s>{ "→" }{ hypothesis.clone() }{ " " }</span>
        },
        Edit::Delete { reference } => {
            html! { <span class="del" title="deletion"><s>{ reference.clone() }</s>{ " " }</span> }
        }
        Edit::Insert { hypothesis } => {
            html! { <span class="ins" title="insertion">{ "+" }{ hypothesis.clone() }{ " " }</span> }
        }
    }
}
