//! The view a URL names. Everything a person adjusts (the page, the runs being compared,
//! the x axis, smoothing, log scale, the table's sort and filter) lives in the URL
//! fragment, so a link reproduces the view exactly and the back button works.

use std::fmt;

/// The horizontal axis of curves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum XAxis {
    #[default]
    Step,
    /// Seconds since the run started.
    Wall,
}

/// How a curve chart looks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChartOptions {
    pub x: XAxis,
    /// EMA weight in `[0, 0.99]` (TensorBoard's slider; its default is 0.6).
    pub smoothing: f64,
    pub log_y: bool,
}

impl Default for ChartOptions {
    fn default() -> Self {
        Self {
            x: XAxis::Step,
            smoothing: 0.6,
            log_y: false,
        }
    }
}

/// A column of the runs table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    Id,
    Experiment,
    Status,
    Steps,
    BestWer,
    TestWer,
    #[default]
    Started,
    Commit,
}

impl SortKey {
    pub const ALL: [Self; 8] = [
        Self::Id,
        Self::Experiment,
        Self::Status,
        Self::Steps,
        Self::BestWer,
        Self::TestWer,
        Self::Started,
        Self::Commit,
    ];

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::Experiment => "experiment",
            Self::Status => "status",
            Self::Steps => "steps",
            Self::BestWer => "dev-wer",
            Self::TestWer => "test-wer",
            Self::Started => "started",
            Self::Commit => "commit",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// The runs table's order and filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableOptions {
    pub sort: SortKey,
    pub descending: bool,
    pub filter: String,
}

impl Default for TableOptions {
    fn default() -> Self {
        Self {
            sort: SortKey::Started,
            descending: true,
            filter: String::new(),
        }
    }
}

/// One page of the viewer.
#[derive(Debug, Clone, PartialEq)]
pub enum Route {
    Runs(TableOptions),
    /// One run: curves, lineage and evaluations.
    Run {
        id: String,
        chart: ChartOptions,
    },
    /// Two or more runs side by side.
    Compare {
        ids: Vec<String>,
        chart: ChartOptions,
    },
}

impl Default for Route {
    fn default() -> Self {
        Self::Runs(TableOptions::default())
    }
}

impl Route {
    /// Parses a URL fragment (`#/run/<id>?x=wall&smooth=0.8&log=1`). Anything unknown
    /// falls back to defaults: a hand-edited link still opens something sensible.
    #[must_use]
    pub fn parse(fragment: &str) -> Self {
        let fragment = fragment.trim_start_matches('#');
        let (path, query) = fragment.split_once('?').unwrap_or((fragment, ""));
        let params: Vec<(String, String)> = query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| (decode(k), decode(v)))
            .collect();
        let param = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let chart = ChartOptions {
            x: match param("x") {
                Some("wall") => XAxis::Wall,
                _ => XAxis::Step,
            },
            smoothing: param("smooth")
                .and_then(|s| s.parse::<f64>().ok())
                .filter(|s| s.is_finite())
                .map_or(ChartOptions::default().smoothing, |s| s.clamp(0.0, 0.99)),
            log_y: param("log") == Some("1"),
        };
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        match segments.as_slice() {
            ["run", id] if is_id_prefix(id) => Self::Run {
                id: (*id).to_owned(),
                chart,
            },
            ["compare", ids] => {
                let ids: Vec<String> = ids
                    .split(',')
                    .filter(|id| is_id_prefix(id))
                    .map(str::to_owned)
                    .collect();
                if ids.len() >= 2 {
                    Self::Compare { ids, chart }
                } else {
                    Self::default()
                }
            }
            _ => Self::Runs(TableOptions {
                sort: param("sort").and_then(SortKey::parse).unwrap_or_default(),
                descending: param("desc") != Some("0"),
                filter: param("q").unwrap_or_default().to_owned(),
            }),
        }
    }
}

/// Run ids are lowercase hex; anything else in a URL is ignored.
fn is_id_prefix(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

impl fmt::Display for Route {
    /// The fragment, starting with `#`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let chart_query = |chart: &ChartOptions| {
            let mut query = Vec::new();
            if chart.x == XAxis::Wall {
                query.push("x=wall".to_owned());
            }
            if (chart.smoothing - ChartOptions::default().smoothing).abs() > 1e-9 {
                query.push(format!("smooth={}", chart.smoothing));
            }
            if chart.log_y {
                query.push("log=1".to_owned());
            }
            query
        };
        let (path, query) = match self {
            Self::Runs(table) => {
                let mut query = Vec::new();
                if table.sort != SortKey::default() {
                    query.push(format!("sort={}", table.sort.name()));
                }
                if !table.descending {
                    query.push("desc=0".to_owned());
                }
                if !table.filter.is_empty() {
                    query.push(format!("q={}", encode(&table.filter)));
                }
                ("/".to_owned(), query)
            }
            Self::Run { id, chart } => (format!("/run/{id}"), chart_query(chart)),
            Self::Compare { ids, chart } => {
                (format!("/compare/{}", ids.join(",")), chart_query(chart))
            }
        };
        if query.is_empty() {
            write!(f, "#{path}")
        } else {
            write!(f, "#{path}?{}", query.join("&"))
        }
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
#[must_use]
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Inverse of [`encode`]; `+` is a space (form encoding) and broken escapes stay as typed.
#[must_use]
pub fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn run_views_round_trip() {
        let route = Route::Run {
            id: "ab12".into(),
            chart: ChartOptions {
                x: XAxis::Wall,
                smoothing: 0.9,
                log_y: true,
            },
        };
        assert_eq!(route.to_string(), "#/run/ab12?x=wall&smooth=0.9&log=1");
        assert_eq!(Route::parse(&route.to_string()), route);
    }

    #[test]
    fn bad_links_fall_back_to_something_sensible() {
        assert_eq!(Route::parse(""), Route::default());
        assert_eq!(Route::parse("#/run/<script>"), Route::default());
        assert_eq!(
            Route::parse("#/compare/ab12"),
            Route::default(),
            "one run is no comparison"
        );
        let Route::Run { chart, .. } = Route::parse("#/run/ab?smooth=NaN&x=sideways") else {
            panic!("a run view");
        };
        assert_eq!(chart, ChartOptions::default());
        let Route::Run { chart, .. } = Route::parse("#/run/ab?smooth=7") else {
            panic!("a run view");
        };
        assert!((chart.smoothing - 0.99).abs() < 1e-12);
    }

    #[test]
    fn compare_keeps_the_run_order() {
        let route = Route::parse("#/compare/ff,00,ab?log=1");
        let Route::Compare { ids, chart } = &route else {
            panic!("a compare view");
        };
        assert_eq!(ids, &["ff", "00", "ab"]);
        assert!(chart.log_y);
        assert_eq!(route.to_string(), "#/compare/ff,00,ab?log=1");
    }

    proptest! {
        #[test]
        fn table_options_round_trip(filter in "\\PC{0,20}", sort in 0usize..8, descending: bool) {
            let route = Route::Runs(TableOptions { sort: SortKey::ALL[sort], descending, filter });
            prop_assert_eq!(Route::parse(&route.to_string()), route);
        }

        #[test]
        fn decode_inverts_encode(text in "\\PC{0,40}") {
            prop_assert_eq!(decode(&encode(&text)), text);
        }
    }
}
