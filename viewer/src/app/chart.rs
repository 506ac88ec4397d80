//! A Plotly chart as a Yew component.

use std::rc::Rc;

use yew::prelude::*;

use super::js;

#[derive(Properties, PartialEq)]
pub struct ChartProps {
    /// `{"data": …, "layout": …}`; redrawn when it changes.
    pub figure: Rc<serde_json::Value>,
    /// Zoom events of the x axis (for re-bucketing long curves).
    #[prop_or_default]
    pub on_zoom: Option<Callback<Option<(f64, f64)>>>,
    #[prop_or(AttrValue::Static("chart"))]
    pub class: AttrValue,
    /// The chart's accessible name.
    pub label: AttrValue,
}

#[function_component(Chart)]
pub fn chart(props: &ChartProps) -> Html {
    let node = use_node_ref();
    let error = use_state(|| None::<String>);
    {
        let (node, error) = (node.clone(), error.clone());
        use_effect_with(Rc::clone(&props.figure), move |figure| {
            let figure = Rc::clone(figure);
            if let Some(element) = node.cast::<web_sys::HtmlElement>() {
                wasm_bindgen_futures::spawn_local(async move {
                    match js::draw(&element, &figure).await {
                        Ok(()) => js::mark_chart_drawn(),
                        Err(message) => error.set(Some(message)),
                    }
                });
            }
        });
    }
    {
        let node = node.clone();
        let on_zoom = props.on_zoom.clone();
        use_effect_with((), move |()| {
            if let (Some(on_zoom), Some(element)) = (on_zoom, node.cast::<web_sys::HtmlElement>()) {
                // Plotly attaches `.on` at the first draw; wait for it.
                wasm_bindgen_futures::spawn_local(async move {
                    for _ in 0..100 {
                        if js_sys::Reflect::has(&element, &"on".into()).unwrap_or(false) {
                            js::on_zoom(&element, move |range| on_zoom.emit(range));
                            return;
                        }
                        sleep_ms(100).await;
                    }
                });
            }
        });
    }
    html! {
        <figure class={props.class.clone()} aria-label={props.label.clone()}>
            <div ref={node} class="plot"></div>
            if let Some(message) = &*error {
                <p class="error" role="alert">{ format!("This chart could not be drawn: {message}") }</p>
            }
        </figure>
    }
}

async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
