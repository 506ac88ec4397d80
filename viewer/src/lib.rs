//! dialekt's report viewer: a Yew single-page app over the bundle `trainer report build`
//! writes (schema: [`dialekt_core::report`]).
//!
//! Everything that decides *what* is shown is plain Rust, tested natively:
//! [`route`] (the URL names the view), [`table`] (the runs table), [`figures`]
//! (Plotly specs). The browser part, [`app`], only fetches, renders and wires events.

pub mod figures;
pub mod route;
pub mod table;

#[cfg(target_arch = "wasm32")]
pub mod app;
