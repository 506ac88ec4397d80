//! Plotly figure specifications (plain JSON) for every chart of the viewer.
//!
//! Built natively-testable: a figure is data, and what it shows (which traces, which
//! numbers, which labels) is asserted without a browser.

use dialekt_core::report::{EvalReport, GroupDelta, Series, ema};
use serde_json::{Value, json};

use crate::route::{ChartOptions, XAxis};

/// One chart of curves: a title and which series keys it shows.
#[derive(Debug, Clone, Copy)]
pub struct CurveChart {
    pub id: &'static str,
    pub title: &'static str,
    pub y_title: &'static str,
    pub keys: fn(&str) -> bool,
}

/// The curves of a run, in display order.
pub const CURVE_CHARTS: [CurveChart; 6] = [
    CurveChart {
        id: "loss",
        title: "CTC loss",
        y_title: "bits / utterance",
        keys: |k| matches!(k, "train/ctc_loss" | "valid/ctc_loss"),
    },
    CurveChart {
        id: "dev-error",
        title: "Dev error rate",
        y_title: "%",
        keys: |k| matches!(k, "valid/wer" | "valid/uer"),
    },
    CurveChart {
        id: "dev-dialect",
        title: "Dev WER by dialect",
        y_title: "%",
        keys: |k| k.starts_with("valid/wer/dialect="),
    },
    CurveChart {
        id: "lr",
        title: "Learning rate",
        y_title: "lr",
        keys: |k| k == "train/lr",
    },
    CurveChart {
        id: "grad-norm",
        title: "Gradient norm",
        y_title: "‖g‖₂",
        keys: |k| k == "train/grad_norm",
    },
    CurveChart {
        id: "throughput",
        title: "Throughput",
        y_title: "audio s / s",
        keys: |k| k == "train/audio_secs_per_s",
    },
];

/// A categorical palette that reads on light and dark backgrounds (Okabe–Ito).
pub const PALETTE: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#999999",
];

/// A run's colour by its position in a view.
#[must_use]
pub fn colour(index: usize) -> &'static str {
    PALETTE[index % PALETTE.len()]
}

/// Text for Plotly, which interprets a few HTML tags in labels: entities make every
/// user string (run names, dialect labels) show literally and never become markup.
#[must_use]
pub fn plotly_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // Plotly decodes numeric entities and &lt; &gt; &amp;, but not &quot;.
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A series to draw: its legend name, its colour and its points.
#[derive(Debug, Clone, Copy)]
pub struct Curve<'a> {
    pub name: &'a str,
    pub colour: &'a str,
    pub series: &'a Series,
    /// Dashed (dev lines next to train lines of the same run).
    pub dashed: bool,
}

/// The figure of `curves` under `options`: with smoothing, the raw line stays faint
/// behind the smoothed one (as TensorBoard), both toggled by one legend entry.
#[must_use]
pub fn curve_figure(
    chart: &CurveChart,
    curves: &[Curve<'_>],
    options: &ChartOptions,
    dark: bool,
) -> Value {
    let mut traces = Vec::new();
    for (i, curve) in curves.iter().enumerate() {
        let x: Vec<f64> = match options.x {
            #[allow(clippy::cast_precision_loss)] // steps are far below 2^52
            XAxis::Step => curve.series.step.iter().map(|&s| s as f64).collect(),
            XAxis::Wall => curve.series.elapsed_s.clone(),
        };
        let name = plotly_text(curve.name);
        let dash = if curve.dashed { "dot" } else { "solid" };
        let smooth = options.smoothing > 0.0 && curve.series.len() > 1;
        if smooth {
            traces.push(json!({
                "type": "scatter", "mode": "lines", "x": x, "y": curve.series.value,
                "name": name, "legendgroup": format!("g{i}"), "showlegend": false,
                "hoverinfo": "skip", "opacity": 0.25,
                "line": {"color": curve.colour, "width": 1, "dash": dash},
            }));
        }
        let y = if smooth {
            ema(&curve.series.value, options.smoothing)
        } else {
            curve.series.value.clone()
        };
        traces.push(json!({
            "type": "scatter", "mode": if curve.series.len() == 1 { "markers" } else { "lines" },
            "x": x, "y": y, "name": name, "legendgroup": format!("g{i}"),
            "line": {"color": curve.colour, "width": 2, "dash": dash},
            "marker": {"color": curve.colour},
        }));
    }
    let x_title = match options.x {
        XAxis::Step => "step",
        XAxis::Wall => "wall time since start (s)",
    };
    let mut layout = base_layout(chart.title, dark);
    // Zoom is kept across redraws, but a range in steps means nothing in seconds.
    layout["uirevision"] = json!(format!("{:?}-{}", options.x, options.log_y));
    layout["xaxis"] = json!({"title": {"text": x_title}, "zeroline": false});
    layout["yaxis"] = json!({
        "title": {"text": chart.y_title},
        "type": if options.log_y { "log" } else { "linear" },
        "zeroline": false,
    });
    json!({"data": traces, "layout": layout})
}

/// Common layout: compact margins, theme colours, and a `uirevision` so that a redraw
/// (new data while training) keeps the person's zoom and legend toggles.
fn base_layout(title: &str, dark: bool) -> Value {
    let (paper, ink, grid) = if dark {
        ("#1e1e1e", "#e6e6e6", "#3a3a3a")
    } else {
        ("#ffffff", "#1a1a1a", "#e5e5e5")
    };
    json!({
        "title": {"text": plotly_text(title), "x": 0.02, "font": {"size": 15}},
        "paper_bgcolor": paper, "plot_bgcolor": paper,
        "font": {"color": ink, "family": "system-ui, sans-serif", "size": 12},
        "colorway": PALETTE,
        "margin": {"l": 60, "r": 20, "t": 40, "b": 50},
        "legend": {"orientation": "h", "y": -0.25},
        "hovermode": "x unified",
        "uirevision": "keep",
        "xaxis": {"gridcolor": grid},
        "yaxis": {"gridcolor": grid},
    })
}

/// Which rate a group chart shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateKind {
    Wer,
    Cer,
}

/// Bars of WER or CER per label of `category` (`dialect`, `age_group`, `gender`), with
/// bootstrap whiskers and utterance counts, one bar group per evaluation.
#[must_use]
pub fn group_figure(
    title: &str,
    category: &str,
    evaluations: &[(&str, &str, &EvalReport)],
    kind: RateKind,
    dark: bool,
) -> Value {
    let traces: Vec<Value> = evaluations
        .iter()
        .map(|(name, colour, evaluation)| {
            let groups: Vec<_> = evaluation
                .groups
                .iter()
                .filter(|g| g.category == category)
                .collect();
            let rate = |g: &&dialekt_core::report::GroupScore| match kind {
                RateKind::Wer => g.wer,
                RateKind::Cer => g.cer,
            };
            let y: Vec<f64> = groups.iter().map(|g| rate(g).estimate).collect();
            let whiskers = error_bars(groups.iter().map(|g| (rate(g).estimate, rate(g).low, rate(g).high)));
            json!({
                "type": "bar",
                "name": plotly_text(name),
                "x": groups.iter().map(|g| plotly_text(&g.label)).collect::<Vec<_>>(),
                "y": y,
                "error_y": whiskers,
                "text": groups.iter().map(|g| format!("n={}", g.utterances)).collect::<Vec<_>>(),
                "textposition": "outside",
                // Counts above the tallest bars stay visible.
                "cliponaxis": false,
                "marker": {"color": colour},
                "customdata": groups.iter().map(|g| g.speakers).collect::<Vec<_>>(),
                "hovertemplate": "%{x}: %{y:.2f} % (%{text}, %{customdata} speakers)<extra></extra>",
            })
        })
        .collect();
    let mut layout = base_layout(title, dark);
    layout["barmode"] = json!("group");
    layout["hovermode"] = json!("closest");
    layout["yaxis"] = json!({"title": {"text": match kind { RateKind::Wer => "WER (%)", RateKind::Cer => "CER (%)" }}, "rangemode": "tozero"});
    json!({"data": traces, "layout": layout})
}

/// Plotly's asymmetric `error_y` for `(estimate, low, high)` intervals; a missing bound
/// (no interval) draws no whisker on that side.
fn error_bars(intervals: impl Iterator<Item = (f64, Option<f64>, Option<f64>)>) -> Value {
    let (plus, minus): (Vec<f64>, Vec<f64>) = intervals
        .map(|(estimate, low, high)| {
            (
                high.map_or(0.0, |h| (h - estimate).max(0.0)),
                low.map_or(0.0, |l| (estimate - l).max(0.0)),
            )
        })
        .unzip();
    json!({"type": "data", "symmetric": false, "array": plus, "arrayminus": minus, "visible": true})
}

/// Δ WER (`b − a`) per dialect with the paired interval; significant bars are solid.
#[must_use]
pub fn delta_figure(title: &str, deltas: &[GroupDelta], dark: bool) -> Value {
    let colours: Vec<&str> = deltas
        .iter()
        .map(|d| match (d.significant(), d.delta < 0.0) {
            (true, true) => "#009E73",
            (true, false) => "#D55E00",
            (false, _) => "#999999",
        })
        .collect();
    let trace = json!({
        "type": "bar",
        "x": deltas.iter().map(|d| plotly_text(&d.label)).collect::<Vec<_>>(),
        "y": deltas.iter().map(|d| d.delta).collect::<Vec<_>>(),
        "error_y": error_bars(deltas.iter().map(|d| (d.delta, d.low, d.high))),
        "marker": {"color": colours},
        "name": "Δ WER",
    });
    let mut layout = base_layout(title, dark);
    layout["hovermode"] = json!("closest");
    layout["showlegend"] = json!(false);
    layout["yaxis"] = json!({"title": {"text": "Δ WER (percentage points)"}, "zeroline": true});
    json!({"data": [trace], "layout": layout})
}

#[cfg(test)]
mod tests {
    use dialekt_core::report::{GroupScore, Rate};

    use super::*;

    fn series() -> Series {
        let mut s = Series::new("train/ctc_loss");
        for step in 1..=4u32 {
            s.push(u64::from(step), f64::from(step) * 2.0, f64::from(10 - step));
        }
        s
    }

    #[test]
    fn smoothing_keeps_a_faint_raw_line_under_the_legend_entry() {
        let s = series();
        let curves = [Curve {
            name: "run <a>",
            colour: "#000",
            series: &s,
            dashed: false,
        }];
        let options = ChartOptions {
            smoothing: 0.6,
            ..ChartOptions::default()
        };
        let figure = curve_figure(&CURVE_CHARTS[0], &curves, &options, false);
        let data = figure["data"].as_array().expect("traces");
        assert_eq!(data.len(), 2);
        assert_eq!(data[0]["showlegend"], json!(false));
        assert_eq!(data[1]["name"], json!("run &lt;a&gt;"));
        assert_eq!(data[0]["y"], json!([9.0, 8.0, 7.0, 6.0]));
        assert_eq!(
            data[1]["y"][0],
            json!(9.0),
            "debiased: the first point is the raw one"
        );
        assert_eq!(figure["layout"]["yaxis"]["type"], json!("linear"));
    }

    #[test]
    fn wall_time_and_log_axis() {
        let s = series();
        let curves = [Curve {
            name: "r",
            colour: "#000",
            series: &s,
            dashed: true,
        }];
        let options = ChartOptions {
            x: XAxis::Wall,
            smoothing: 0.0,
            log_y: true,
        };
        let figure = curve_figure(&CURVE_CHARTS[0], &curves, &options, true);
        assert_eq!(figure["data"].as_array().map(Vec::len), Some(1));
        assert_eq!(figure["data"][0]["x"], json!([2.0, 4.0, 6.0, 8.0]));
        assert_eq!(figure["layout"]["yaxis"]["type"], json!("log"));
        assert_eq!(figure["layout"]["paper_bgcolor"], json!("#1e1e1e"));
    }

    #[test]
    fn group_bars_carry_intervals_and_counts() {
        let rate = |estimate, low, high| Rate {
            estimate,
            low: Some(low),
            high: Some(high),
        };
        let evaluation = EvalReport {
            split: "test".into(),
            decoder: "greedy".into(),
            versus_greedy: None,
            versus_start: None,
            checkpoint_step: 10,
            fairseq2_wer: 0.0,
            fairseq2_uer: 0.0,
            ctc_loss: 0.0,
            groups: vec![
                GroupScore {
                    category: "overall".into(),
                    label: "all".into(),
                    utterances: 9,
                    speakers: 3,
                    wer: rate(20.0, 15.0, 25.0),
                    cer: rate(8.0, 6.0, 9.0),
                },
                GroupScore {
                    category: "dialect".into(),
                    label: "Fynsk".into(),
                    utterances: 4,
                    speakers: 2,
                    wer: rate(30.0, 20.0, 35.0),
                    cer: rate(9.0, 7.0, 12.0),
                },
            ],
            worst: Vec::new(),
        };
        let figure = group_figure(
            "WER",
            "dialect",
            &[("run", "#000", &evaluation)],
            RateKind::Wer,
            false,
        );
        let bar = &figure["data"][0];
        assert_eq!(bar["x"], json!(["Fynsk"]));
        assert_eq!(bar["y"], json!([30.0]));
        assert_eq!(bar["error_y"]["array"], json!([5.0]));
        assert_eq!(bar["error_y"]["arrayminus"], json!([10.0]));
        assert_eq!(bar["text"], json!(["n=4"]));
    }

    #[test]
    fn deltas_are_coloured_by_significance() {
        let delta = |label: &str, delta, low, high| GroupDelta {
            category: "dialect".into(),
            label: label.into(),
            utterances: 5,
            a_wer: 10.0,
            b_wer: 10.0 + delta,
            delta,
            low: Some(low),
            high: Some(high),
            p_value: Some(0.5),
        };
        let figure = delta_figure(
            "Δ",
            &[delta("a", -2.0, -3.0, -1.0), delta("b", 1.0, -1.0, 2.0)],
            false,
        );
        assert_eq!(
            figure["data"][0]["marker"]["color"],
            json!(["#009E73", "#999999"])
        );
    }
}
