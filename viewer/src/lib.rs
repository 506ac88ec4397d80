//! The report viewer. Its Yew application lands with the viewer issue; until then
//! this crate only proves that the run-store types it will read compile for wasm.

pub use dialekt_core::lineage::RunRecord;
