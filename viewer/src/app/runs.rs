//! The runs table: every run of the store, sortable, filterable, selectable for comparing.

use std::rc::Rc;

use dialekt_core::report::Index;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::delta::delta_text;
use super::{js, short};
use crate::route::{ChartOptions, Route, SortKey, TableOptions};
use crate::table::{best_wer, rows, status_name};

#[derive(Properties, PartialEq)]
pub struct RunsProps {
    pub index: Rc<Index>,
    pub options: TableOptions,
}

const COLUMNS: [(SortKey, &str); 8] = [
    (SortKey::Id, "Run"),
    (SortKey::Experiment, "Experiment"),
    (SortKey::Status, "Status"),
    (SortKey::Steps, "Steps"),
    (SortKey::BestWer, "Best dev WER"),
    (SortKey::TestWer, "Eval WER / CER"),
    (SortKey::Started, "Started"),
    (SortKey::Commit, "Commit"),
];

#[function_component(RunsPage)]
pub fn runs_page(props: &RunsProps) -> Html {
    let selected = use_state(Vec::<String>::new);
    let options = props.options.clone();
    if props.index.runs.is_empty() {
        return html! {
            <section class="empty">
                <h1>{ "No runs yet" }</h1>
                <p>{ "This store has no runs. Start one with " }<code>{ "trainer run experiments/demo.yaml" }</code>{ ", then rebuild the report (a served report refreshes by itself)." }</p>
            </section>
        };
    }
    let shown = rows(&props.index.runs, &options);
    let on_filter = {
        let options = options.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let route = Route::Runs(TableOptions {
                filter: input.value(),
                ..options.clone()
            });
            js::replace_hash(&route.to_string());
        })
    };
    let header = COLUMNS.iter().map(|(key, title)| {
        let active = options.sort == *key;
        let sort = if active { if options.descending { "descending" } else { "ascending" } } else { "none" };
        let next = Route::Runs(TableOptions {
            sort: *key,
            descending: if active { !options.descending } else { true },
            filter: options.filter.clone(),
        });
        let onclick = Callback::from(move |_| js::set_hash(&next.to_string()));
        html! {
            <th scope="col" aria-sort={sort}>
                <button class="sort" {onclick}>{ *title }{ if active { if options.descending { " ▼" } else { " ▲" } } else { "" } }</button>
            </th>
        }
    });
    let body = shown.iter().map(|run| {
        let id = run.id.to_string();
        let checked = selected.contains(&id);
        let toggle = {
            let (selected, id) = (selected.clone(), id.clone());
            Callback::from(move |_| {
                let mut now = (*selected).clone();
                if let Some(at) = now.iter().position(|s| *s == id) {
                    now.remove(at);
                } else {
                    now.push(id.clone());
                }
                selected.set(now);
            })
        };
        let link = Route::Run { id: short(&id).to_owned(), chart: ChartOptions::default() }.to_string();
        html! {
            <tr key={id.clone()} class={classes!(checked.then_some("selected"))}>
                <td class="nowrap">
                    <input type="checkbox" checked={checked} onchange={toggle} aria-label={format!("Select run {} for comparison", short(&id))} />
                    <a class="run-id" href={link}><code>{ short(&id) }</code></a>
                    if let Some(parent) = run.parent {
                        <span class="parent">{ "from " }<a href={Route::Run { id: short(&parent.to_string()).to_owned(), chart: ChartOptions::default() }.to_string()}><code>{ short(&parent.to_string()).to_owned() }</code></a></span>
                    }
                </td>
                <td class="experiment"><bdi>{ run.experiment.clone() }</bdi>
                    if let Some(job) = &run.job {
                        <span class="job" title="scheduler job (trainer submit); filter `sweep N` for the whole sweep">{ format!("job {job}") }</span>
                    }
                </td>
                <td><span class={classes!("status", status_name(run.status))}>{ status_name(run.status) }</span>
                    if let Some(verdict) = &run.verdict { <span class="verdict" title="latest reproduction">{ super::run::verdict_text(verdict) }</span> }
                </td>
                <td class="num">{ format!("{} / {}", run.step, run.max_steps) }</td>
                <td class="num">{ best_wer(run).map_or_else(|| "—".to_owned(), |w| format!("{w:.2} %")) }</td>
                <td class="num">{ run.evaluation.as_ref().map_or_else(|| "—".to_owned(), |e| format!("{:.2} / {:.2} % ({})", e.wer, e.cer, e.split)) }
                    if let Some(start) = run.evaluation.as_ref().and_then(|e| e.versus_start.as_ref()) {
                        <span class={classes!("versus-start", start.overall.significant().then_some("significant"))} title={format!("overall WER against the run's starting weights (zero-shot, step 0), both decoded {}; 95 % paired bootstrap over speakers", start.decoder)}>
                            { start_text(&start.overall) }
                        </span>
                    }
                </td>
                <td>{ run.started_at.clone().unwrap_or_default() }</td>
                <td><code>{ run.commit.as_deref().map_or("—", |c| &c[..c.len().min(10)]) }</code>{ if run.dirty { " (dirty)" } else { "" } }</td>
            </tr>
        }
    });
    // A sweep filtered in (`sweep N`) is selected whole for comparison in one click.
    let select_shown = {
        let selected = selected.clone();
        let ids: Vec<String> = shown.iter().map(|run| run.id.to_string()).collect();
        Callback::from(move |_| {
            let mut now = (*selected).clone();
            now.extend(
                ids.iter()
                    .filter(|id| !now.contains(id))
                    .cloned()
                    .collect::<Vec<_>>(),
            );
            selected.set(now);
        })
    };
    let compare = {
        let selected = selected.clone();
        Callback::from(move |_| {
            let ids = selected.iter().map(|id| short(id).to_owned()).collect();
            js::set_hash(
                &Route::Compare {
                    ids,
                    chart: ChartOptions::default(),
                }
                .to_string(),
            );
        })
    };
    html! {
        <section>
            <div class="toolbar">
                <h1>{ "Runs" }</h1>
                <label>{ "Filter " }<input type="search" value={options.filter.clone()} oninput={on_filter} placeholder="name, id, status, commit, sweep" /></label>
                <button onclick={select_shown} disabled={shown.is_empty()}>{ "Select shown" }</button>
                <button class="primary" onclick={compare} disabled={selected.len() < 2}>
                    { format!("Compare selected ({})", selected.len()) }
                </button>
            </div>
            <p class="count">{ format!("{} of {} runs", shown.len(), props.index.runs.len()) }</p>
            <div class="table-wrap">
                <table id="runs-table">
                    <thead><tr>{ for header }</tr></thead>
                    <tbody>{ for body }</tbody>
                </table>
            </div>
        </section>
    }
}

/// `zero-shot 78.31 % → Δ −54.20 [−60.10, −48.00], significant`: what fine-tuning bought.
fn start_text(overall: &dialekt_core::report::GroupDelta) -> String {
    let verdict = if overall.significant() {
        "significant"
    } else {
        "not significant"
    };
    format!(
        "zero-shot {:.2} % → Δ {}, {verdict}",
        overall.a_wer,
        delta_text(overall)
    )
}
