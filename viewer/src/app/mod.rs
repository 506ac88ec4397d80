//! The browser app: routing, data loading and the three pages.

mod chart;
mod compare;
mod delta;
mod js;
mod run;
mod runs;

use std::rc::Rc;

use dialekt_core::report::{Index, SCHEMA_VERSION};
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;
use yew::prelude::*;

use crate::route::Route;

/// How often a live (served) report checks for new data.
const POLL_MS: u32 = 5_000;

/// Mounts the app on `<main id="app">`.
#[wasm_bindgen(start)]
pub fn start() {
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("app"));
    if let Some(root) = root {
        yew::Renderer::<App>::with_root(root).render();
    }
}

/// Something fetched.
#[derive(Debug, PartialEq)]
pub enum Load<T> {
    Loading,
    Failed(String),
    Ready(Rc<T>),
}

// Not derived: that would require `T: Clone`, but only the `Rc` is cloned.
impl<T> Clone for Load<T> {
    fn clone(&self) -> Self {
        match self {
            Self::Loading => Self::Loading,
            Self::Failed(message) => Self::Failed(message.clone()),
            Self::Ready(value) => Self::Ready(Rc::clone(value)),
        }
    }
}

/// Fetches `url` whenever it (or `generation`) changes.
#[hook]
pub fn use_fetch<T: DeserializeOwned + PartialEq + 'static>(
    url: Option<String>,
    generation: u64,
) -> Load<T> {
    let state = use_state(|| Load::Loading);
    {
        let state = state.clone();
        use_effect_with((url, generation), move |(url, _)| {
            if let Some(url) = url.clone() {
                wasm_bindgen_futures::spawn_local(async move {
                    state.set(match js::fetch_json::<T>(&url).await {
                        Ok(value) => Load::Ready(Rc::new(value)),
                        Err(message) => Load::Failed(message),
                    });
                });
            }
        });
    }
    (*state).clone()
}

#[function_component(App)]
pub fn app() -> Html {
    let route = use_state(|| Route::parse(&js::hash()));
    {
        let route = route.clone();
        use_effect_with((), move |()| {
            let listener = Closure::<dyn Fn()>::new(move || route.set(Route::parse(&js::hash())));
            let window = web_sys::window();
            if let Some(window) = &window {
                let _ = window.add_event_listener_with_callback(
                    "hashchange",
                    listener.as_ref().unchecked_ref(),
                );
            }
            move || {
                if let Some(window) = window {
                    let _ = window.remove_event_listener_with_callback(
                        "hashchange",
                        listener.as_ref().unchecked_ref(),
                    );
                }
            }
        });
    }
    // Bumped when a live report's data changed: every page refetches.
    let generation = use_state(|| 0u64);
    let index = use_fetch::<Index>(Some("data/index.json".to_owned()), *generation);
    {
        let generation = generation.clone();
        let live = matches!(&index, Load::Ready(i) if i.live);
        let current = match &index {
            Load::Ready(i) => i.generation.clone(),
            _ => String::new(),
        };
        use_effect_with((live, current), move |(live, current)| {
            let timer = live.then(|| {
                let current = current.clone();
                set_interval(move || {
                    let (generation, current) = (generation.clone(), current.clone());
                    wasm_bindgen_futures::spawn_local(async move {
                        if let Ok(index) = js::fetch_json::<Index>("data/index.json").await
                            && index.generation != current
                        {
                            generation.set(*generation + 1);
                        }
                    });
                })
            });
            move || {
                if let (Some((id, _closure)), Some(window)) = (timer, web_sys::window()) {
                    window.clear_interval_with_handle(id);
                }
            }
        });
    }
    let page = match &index {
        Load::Loading => {
            html! { <p class="status" aria-busy="true">{ "Loading the run index…" }</p> }
        }
        Load::Failed(message) => html! {
            <div class="error" role="alert">
                <h2>{ "This report could not be loaded" }</h2>
                <p>{ message.clone() }</p>
                <p>{ "Build it with " }<code>{ "trainer report build runs --out report" }</code>{ " and serve the folder (" }<code>{ "trainer report serve runs" }</code>{ ")." }</p>
            </div>
        },
        Load::Ready(index) if index.schema_version != SCHEMA_VERSION => html! {
            <p class="error" role="alert">{ format!(
                "This report has data schema version {}, but this viewer reads version {SCHEMA_VERSION}: rebuild the report with the same trainer.",
                index.schema_version
            ) }</p>
        },
        Load::Ready(index) => match &*route {
            Route::Runs(table) => {
                html! { <runs::RunsPage index={Rc::clone(index)} options={table.clone()} /> }
            }
            Route::Run { id, chart } => match resolve(index, id) {
                Ok(id) => html! { <run::RunPage {id} chart={*chart} generation={*generation} /> },
                Err(message) => html! { <p class="error" role="alert">{ message }</p> },
            },
            Route::Compare { ids, chart } => {
                match ids
                    .iter()
                    .map(|id| resolve(index, id))
                    .collect::<Result<Vec<_>, _>>()
                {
                    Ok(ids) => {
                        html! { <compare::ComparePage index={Rc::clone(index)} {ids} chart={*chart} generation={*generation} /> }
                    }
                    Err(message) => html! { <p class="error" role="alert">{ message }</p> },
                }
            }
        },
    };
    html! {
        <>
            <header class="top">
                <a class="brand" href="#/">{ "dialekt" }</a>
                <span class="subtitle">{ "runs report" }</span>
                if let Load::Ready(index) = &index {
                    <span class="generated">{ format!("{} runs · built {}{}", index.runs.len(), index.generated_at, if index.live { " · live" } else { "" }) }</span>
                }
            </header>
            <main>{ page }</main>
        </>
    }
}

/// The full run id of a prefix in the URL, or a message naming what went wrong.
fn resolve(index: &Index, prefix: &str) -> Result<String, String> {
    let matches: Vec<String> = index
        .runs
        .iter()
        .map(|r| r.id.to_string())
        .filter(|id| id.starts_with(prefix))
        .collect();
    match matches.as_slice() {
        [id] => Ok(id.clone()),
        [] => Err(format!(
            "No run in this report has an id starting with {prefix}."
        )),
        _ => Err(format!(
            "{} runs have ids starting with {prefix}: use a longer prefix.",
            matches.len()
        )),
    }
}

/// `setInterval` with a Rust closure; the closure lives as long as the handle is kept.
fn set_interval(tick: impl Fn() + 'static) -> (i32, Closure<dyn Fn()>) {
    let closure = Closure::<dyn Fn()>::new(tick);
    let id = web_sys::window()
        .and_then(|w| {
            w.set_interval_with_callback_and_timeout_and_arguments_0(
                closure.as_ref().unchecked_ref(),
                POLL_MS as i32,
            )
            .ok()
        })
        .unwrap_or(0);
    (id, closure)
}

/// The first 12 hex digits of a run id, as the CLI shows them.
pub fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}
