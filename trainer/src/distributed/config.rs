//! Where a process stands in its gang, read from the launcher's environment.

use std::time::Duration;

/// The launcher-set variables, as `torch.distributed`'s `env://` reads them.
pub const RANK: &str = "RANK";
pub const WORLD_SIZE: &str = "WORLD_SIZE";
pub const LOCAL_RANK: &str = "LOCAL_RANK";
pub const MASTER_ADDR: &str = "MASTER_ADDR";
pub const MASTER_PORT: &str = "MASTER_PORT";

/// How long a rank waits for the others (to join, or in a collective) before it gives
/// up with an error: a rank that died must not leave the rest hanging. PyTorch's
/// default is 30 minutes; `DIALEKT_GANG_TIMEOUT_S` overrides it.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);
pub const TIMEOUT_VAR: &str = "DIALEKT_GANG_TIMEOUT_S";

/// Picks the process group: `gloo` or `nccl`. By default NCCL where the trainer is built
/// with it (feature `nccl`) and the machine has an NVIDIA driver, else Gloo.
pub const BACKEND_VAR: &str = "DIALEKT_GANG_BACKEND";

/// The c10d process group a gang reduces over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GangBackend {
    /// CPU tensors over TCP: any machine.
    Gloo,
    /// The rank's GPU (`LOCAL_RANK`), over NVLink/InfiniBand where there are.
    Nccl,
}

impl GangBackend {
    const ALL: [Self; 2] = [Self::Gloo, Self::Nccl];

    /// The shim's code for it (`kGloo`, `kNccl` in `csrc/gang.cpp`).
    #[must_use]
    pub fn code(self) -> i32 {
        match self {
            Self::Gloo => 0,
            Self::Nccl => 1,
        }
    }

    /// Its name, as [`BACKEND_VAR`] takes it and `dist check` reports it.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Gloo => "gloo",
            Self::Nccl => "nccl",
        }
    }

    fn default_here() -> Self {
        if cfg!(feature = "nccl") && dialekt_model::backend::nvidia_driver_present() {
            Self::Nccl
        } else {
            Self::Gloo
        }
    }
}

/// One process's place in a gang.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GangConfig {
    pub rank: usize,
    pub world_size: usize,
    /// The rank among the processes of this node (picks the GPU).
    pub local_rank: usize,
    pub master_addr: String,
    pub master_port: u16,
    pub timeout: Duration,
    pub backend: GangBackend,
}

/// A launcher environment that does not describe a gang.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GangError {
    #[error("environment variable {name}={value:?} is not {expected}")]
    InvalidVariable {
        name: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("{WORLD_SIZE} is {world_size}, so {name} must be set too (as torchrun sets it)")]
    MissingVariable {
        name: &'static str,
        world_size: usize,
    },
    #[error("{RANK} {rank} is not below {WORLD_SIZE} {world_size}")]
    RankOutOfRange { rank: usize, world_size: usize },
    #[error("joining the gang as rank {rank} of {world_size} at {address}: {message}")]
    Join {
        rank: usize,
        world_size: usize,
        address: String,
        message: String,
    },
    #[error("{operation} failed on rank {rank}: {message}")]
    Collective {
        operation: &'static str,
        rank: usize,
        message: String,
    },
    #[error(
        "this trainer was built without the `distributed` feature (data-parallel training needs it: cargo build --features distributed)"
    )]
    NotBuilt,
}

impl GangConfig {
    /// The gang this process belongs to according to `env` (a lookup, e.g. of
    /// `std::env::var`): `None` for a single process (`WORLD_SIZE` unset or 1).
    ///
    /// # Errors
    /// A variable that is missing or malformed, named with its value.
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, GangError> {
        let Some(world_size) = parse(&env, WORLD_SIZE, "a positive integer")? else {
            return Ok(None);
        };
        if world_size == 0 {
            return Err(GangError::InvalidVariable {
                name: WORLD_SIZE,
                value: "0".into(),
                expected: "a positive integer",
            });
        }
        if world_size == 1 {
            return Ok(None);
        }
        let required =
            |name: &'static str| env(name).ok_or(GangError::MissingVariable { name, world_size });
        let rank: usize =
            parse(&env, RANK, "a rank (0, 1, ...)")?.ok_or(GangError::MissingVariable {
                name: RANK,
                world_size,
            })?;
        if rank >= world_size {
            return Err(GangError::RankOutOfRange { rank, world_size });
        }
        let master_port = required(MASTER_PORT)?;
        let master_port = master_port
            .parse::<u16>()
            .map_err(|_| GangError::InvalidVariable {
                name: MASTER_PORT,
                value: master_port,
                expected: "a TCP port",
            })?;
        let timeout = parse::<u64>(&env, TIMEOUT_VAR, "a number of seconds")?
            .map_or(DEFAULT_TIMEOUT, Duration::from_secs);
        let backend = match env(BACKEND_VAR) {
            None => GangBackend::default_here(),
            Some(name) => GangBackend::ALL
                .into_iter()
                .find(|backend| backend.name() == name.trim())
                .ok_or(GangError::InvalidVariable {
                    name: BACKEND_VAR,
                    value: name,
                    expected: "gloo or nccl",
                })?,
        };
        Ok(Some(Self {
            rank,
            world_size,
            local_rank: parse(&env, LOCAL_RANK, "a rank (0, 1, ...)")?.unwrap_or(rank),
            master_addr: required(MASTER_ADDR)?,
            master_port,
            timeout,
            backend,
        }))
    }

    /// [`GangConfig::from_env`] of this process's environment.
    ///
    /// # Errors
    /// As [`GangConfig::from_env`].
    pub fn from_process_env() -> Result<Option<Self>, GangError> {
        Self::from_env(|name| std::env::var(name).ok())
    }

    /// The rendezvous address, `host:port`.
    #[must_use]
    pub fn address(&self) -> String {
        format!("{}:{}", self.master_addr, self.master_port)
    }
}

fn parse<T: std::str::FromStr>(
    env: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    expected: &'static str,
) -> Result<Option<T>, GangError> {
    env(name)
        .map(|value| {
            value
                .trim()
                .parse()
                .map_err(|_| GangError::InvalidVariable {
                    name,
                    value,
                    expected,
                })
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Option<GangConfig>, GangError> {
        let vars: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        GangConfig::from_env(|name| vars.get(name).cloned())
    }

    #[test]
    fn a_single_process_is_no_gang() {
        assert_eq!(config(&[]), Ok(None));
        assert_eq!(config(&[("WORLD_SIZE", "1"), ("RANK", "0")]), Ok(None));
    }

    #[test]
    fn torchrun_variables_describe_a_gang() {
        let gang = config(&[
            ("WORLD_SIZE", "4"),
            ("RANK", "3"),
            ("LOCAL_RANK", "1"),
            ("MASTER_ADDR", "node07"),
            ("MASTER_PORT", "29500"),
            ("DIALEKT_GANG_TIMEOUT_S", "60"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!((gang.rank, gang.world_size, gang.local_rank), (3, 4, 1));
        assert_eq!(gang.address(), "node07:29500");
        assert_eq!(gang.timeout, Duration::from_secs(60));
        assert_eq!(gang.backend, GangBackend::Gloo, "no GPU here");
    }

    #[test]
    fn the_process_group_can_be_chosen() {
        let gang = |backend: &str| {
            config(&[
                ("WORLD_SIZE", "2"),
                ("RANK", "0"),
                ("MASTER_ADDR", "h"),
                ("MASTER_PORT", "1"),
                ("DIALEKT_GANG_BACKEND", backend),
            ])
        };
        assert_eq!(gang("nccl").unwrap().unwrap().backend, GangBackend::Nccl);
        assert_eq!(gang("gloo").unwrap().unwrap().backend, GangBackend::Gloo);
        let error = gang("mpi").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("DIALEKT_GANG_BACKEND=\"mpi\" is not gloo or nccl"),
            "{error}"
        );
    }

    #[test]
    fn missing_or_malformed_variables_are_named() {
        let base = [
            ("WORLD_SIZE", "2"),
            ("MASTER_ADDR", "h"),
            ("MASTER_PORT", "1"),
        ];
        let error = config(&base).unwrap_err();
        assert_eq!(
            error.to_string(),
            "WORLD_SIZE is 2, so RANK must be set too (as torchrun sets it)"
        );
        let error = config(&[&base[..], &[("RANK", "2")]].concat()).unwrap_err();
        assert_eq!(
            error,
            GangError::RankOutOfRange {
                rank: 2,
                world_size: 2
            }
        );
        let error = config(&[
            ("WORLD_SIZE", "2"),
            ("RANK", "0"),
            ("MASTER_ADDR", "h"),
            ("MASTER_PORT", "http"),
        ])
        .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("MASTER_PORT=\"http\" is not a TCP port"),
            "{error}"
        );
        let error = config(&[("WORLD_SIZE", "two")]).unwrap_err();
        assert!(error.to_string().contains("WORLD_SIZE=\"two\""), "{error}");
    }
}
