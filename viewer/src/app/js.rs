//! The few browser calls the app needs: fetch JSON, draw with Plotly, read the page.

use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    /// `Plotly.react`: draws or updates a chart in place (plotly.js is loaded by a
    /// classic `<script>` in index.html). Fails when plotly.js is missing.
    #[wasm_bindgen(catch, js_namespace = Plotly, js_name = react)]
    fn plotly_react(
        element: &web_sys::HtmlElement,
        data: &JsValue,
        layout: &JsValue,
        config: &JsValue,
    ) -> Result<js_sys::Promise, JsValue>;
}

/// GETs `url` and parses it as `T`; the error names the URL.
pub async fn fetch_json<T: DeserializeOwned>(url: &str) -> Result<T, String> {
    let window = web_sys::window().ok_or("no window")?;
    let response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|e| format!("{url}: {}", describe(&e)))?;
    let response: web_sys::Response = response
        .dyn_into()
        .map_err(|_| format!("{url}: not a response"))?;
    if !response.ok() {
        return Err(format!("{url}: HTTP {}", response.status()));
    }
    let text = JsFuture::from(response.text().map_err(|e| describe(&e))?)
        .await
        .map_err(|e| format!("{url}: {}", describe(&e)))?;
    let text = text.as_string().unwrap_or_default();
    serde_json::from_str(&text).map_err(|e| format!("{url}: {e}"))
}

/// Draws `figure` (`{"data": …, "layout": …}`) into `element`.
pub async fn draw(
    element: &web_sys::HtmlElement,
    figure: &serde_json::Value,
) -> Result<(), String> {
    let parse = |value: &serde_json::Value| {
        js_sys::JSON::parse(&value.to_string()).map_err(|e| describe(&e))
    };
    let config = serde_json::json!({"responsive": true, "displaylogo": false});
    let promise = plotly_react(
        element,
        &parse(&figure["data"])?,
        &parse(&figure["layout"])?,
        &parse(&config)?,
    )
    .map_err(|e| format!("plotly.js: {}", describe(&e)))?;
    JsFuture::from(promise).await.map_err(|e| describe(&e))?;
    Ok(())
}

/// Calls `handler` with the x range a person zoomed to (`None`: zoomed back out).
pub fn on_zoom(element: &web_sys::HtmlElement, handler: impl Fn(Option<(f64, f64)>) + 'static) {
    let closure = Closure::<dyn Fn(JsValue)>::new(move |event: JsValue| {
        let get = |key: &str| js_sys::Reflect::get(&event, &JsValue::from_str(key)).ok();
        let number = |key: &str| get(key).and_then(|v| v.as_f64());
        if let (Some(low), Some(high)) = (number("xaxis.range[0]"), number("xaxis.range[1]")) {
            handler(Some((low, high)));
        } else if get("xaxis.autorange").is_some_and(|v| v.is_truthy()) {
            handler(None);
        }
    });
    let on = js_sys::Reflect::get(element, &JsValue::from_str("on"))
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    if let Some(on) = on {
        let _ = on.call2(
            element,
            &JsValue::from_str("plotly_relayout"),
            closure.as_ref(),
        );
    }
    // The chart element owns the listener for the page's lifetime.
    closure.forget();
}

/// Whether the system asks for a dark theme.
pub fn prefers_dark() -> bool {
    web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .is_some_and(|m| m.matches())
}

/// The URL fragment.
pub fn hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// Navigates to a fragment (a history entry, so Back works).
pub fn set_hash(fragment: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_hash(fragment);
    }
}

/// Changes the fragment without a history entry (typing in a filter is one view).
pub fn replace_hash(fragment: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().replace(fragment);
    }
}

/// Records on `<body>` that charts were drawn, and when the first was: the browser test
/// and the benchmark wait on `data-charts` and read `data-first-chart-ms`.
pub fn mark_chart_drawn() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Some(body) = window.document().and_then(|d| d.body()) else {
        return;
    };
    let data = body.dataset();
    let drawn = data
        .get("charts")
        .and_then(|c| c.parse::<u32>().ok())
        .unwrap_or(0)
        + 1;
    let _ = data.set("charts", &drawn.to_string());
    if data.get("firstChartMs").is_none() {
        let now = window.performance().map_or(0.0, |p| p.now());
        let _ = data.set("firstChartMs", &format!("{now:.1}"));
    }
}

fn describe(error: &JsValue) -> String {
    error
        .as_string()
        .or_else(|| {
            js_sys::Reflect::get(error, &JsValue::from_str("message"))
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_else(|| format!("{error:?}"))
}
