//! Data-parallel training's process group: the *gang* (fairseq2's word) of processes
//! that train one model, each on its own shard of the batches, summing their gradients
//! before every optimizer step.
//!
//! burn 0.22 has no collectives for libtorch and no multi-node rendezvous, so the gang
//! is libtorch's own c10d — the engine `torch.distributed` and fairseq2 use — reached
//! through a small C++ shim (`csrc/gang.cpp`, feature `distributed`): a `TCPStore`
//! rendezvous hosted by rank 0 and a `ProcessGroupGloo` over it. Processes are launched
//! the way PyTorch's are, by the environment `torchrun`, Slurm and LSF wrappers set
//! ([`GangConfig::from_env`]).

mod config;
#[cfg(feature = "distributed")]
mod gang;
pub mod launch;
mod sync;

pub use config::{GangBackend, GangConfig, GangError};
#[cfg(feature = "distributed")]
pub use gang::Gang;
pub use sync::{BUCKET_ELEMENTS, Collective, all_reduce_gradients, writes};

/// Whether this trainer can join a gang (built with the `distributed` feature).
pub const AVAILABLE: bool = cfg!(feature = "distributed");

/// Fails before any rank is spawned when this trainer cannot form a gang.
///
/// # Errors
/// [`GangError::NotBuilt`].
pub fn ensure_available() -> Result<(), GangError> {
    if AVAILABLE {
        Ok(())
    } else {
        Err(GangError::NotBuilt)
    }
}

/// Joins the gang the launcher's environment describes; `None` for a single process.
///
/// # Errors
/// A malformed launch environment, a gang that does not form, or a trainer built
/// without the `distributed` feature asked to join one.
pub fn join_from_env() -> Result<Option<Box<dyn Collective>>, GangError> {
    let Some(config) = GangConfig::from_process_env()? else {
        return Ok(None);
    };
    join(config)
}

#[cfg(feature = "distributed")]
fn join(config: GangConfig) -> Result<Option<Box<dyn Collective>>, GangError> {
    Ok(Some(Box::new(Gang::join(config)?)))
}

#[cfg(not(feature = "distributed"))]
fn join(_config: GangConfig) -> Result<Option<Box<dyn Collective>>, GangError> {
    Err(GangError::NotBuilt)
}
