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

pub use config::{GangConfig, GangError};
#[cfg(feature = "distributed")]
pub use gang::Gang;
