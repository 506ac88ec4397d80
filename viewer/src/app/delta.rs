//! WER deltas between two evaluations of the same utterances, as a chart and a table: two
//! runs compared, or one checkpoint decoded with an LM against greedy decoding.

use std::rc::Rc;

use dialekt_core::report::GroupDelta;
use yew::prelude::*;

use super::chart::Chart;
use super::js;
use crate::figures::delta_figure;

/// WER deltas (`b − a`) per dialect as a chart and a table, under `caption`; shared by the
/// comparison of two runs and an evaluation's decoder against greedy.
pub fn delta_view(deltas: &[GroupDelta], title: &str, caption: &str) -> Html {
    let figure = Rc::new(delta_figure(
        &format!("Δ WER, {title}"),
        deltas,
        js::prefers_dark(),
    ));
    html! {
        <>
            <p>{ caption.to_owned() }</p>
            <Chart {figure} label="WER deltas by dialect" class="chart bars chart-deltas" />
            <table class="delta-table">
                <thead><tr><th scope="col">{ "Dialect" }</th><th scope="col">{ "Utterances" }</th><th scope="col">{ "Baseline WER" }</th><th scope="col">{ "WER" }</th><th scope="col">{ "Δ [95 % CI]" }</th><th scope="col">{ "p" }</th><th scope="col">{ "Significant" }</th></tr></thead>
                <tbody>
                    { for deltas.iter().map(|d| html! {
                        <tr class={classes!(d.significant().then_some("significant"))}>
                            <td class="label">{ d.label.clone() }</td><td class="num">{ d.utterances }</td>
                            <td class="num">{ format!("{:.2} %", d.a_wer) }</td><td class="num">{ format!("{:.2} %", d.b_wer) }</td>
                            <td class="num">{ delta_text(d) }</td>
                            <td class="num">{ d.p_value.map_or_else(|| "—".to_owned(), |p| format!("{p:.3}")) }</td>
                            <td>{ if d.significant() { "yes" } else { "no" } }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
        </>
    }
}

/// `−14.42 [−24.90, −4.18]`: a WER delta with its interval, where there is one.
pub fn delta_text(d: &GroupDelta) -> String {
    match (d.low, d.high) {
        (Some(l), Some(h)) => format!("{:+.2} [{l:+.2}, {h:+.2}]", d.delta),
        _ => format!("{:+.2}", d.delta),
    }
}
