//! Choosing where tensors live. Burn 0.22 has no backend type parameter: the [`Device`] picks
//! the backend, so the model code is the same for all of them.
//!
//! - `tch` (default): libtorch 2.9 via burn-tch, the user's choice; CPU here, CUDA on GPUs.
//!   Deprecated upstream and gone after burn 0.22, so every use of it sits in this file.
//! - `flex`: burn's pure-Rust CPU backend, for machines without libtorch; exact GELU backward.
//! - `cuda`: CubeCL's CUDA backend, the path beyond burn 0.22 (opt-in feature).

use std::fmt;
use std::str::FromStr;

use burn::tensor::Device;

use super::ModelError;

/// A compute backend, as `--backend` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Tch,
    Flex,
    Cuda,
}

/// Which device of the backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accelerator {
    Cpu,
    Cuda(usize),
}

impl FromStr for Backend {
    type Err = ModelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "tch" | "libtorch" => Ok(Self::Tch),
            "flex" => Ok(Self::Flex),
            "cuda" => Ok(Self::Cuda),
            other => Err(ModelError::UnknownBackend(other.to_owned())),
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Tch => "tch",
            Self::Flex => "flex",
            Self::Cuda => "cuda",
        })
    }
}

impl FromStr for Accelerator {
    type Err = ModelError;

    /// `cpu`, `cuda` (index 0) or `cuda:N`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "cpu" => Ok(Self::Cpu),
            "cuda" => Ok(Self::Cuda(0)),
            _ => s
                .strip_prefix("cuda:")
                .and_then(|i| i.parse().ok())
                .map(Self::Cuda)
                .ok_or_else(|| ModelError::UnknownBackend(format!("device {s}"))),
        }
    }
}

impl Backend {
    /// The backend built into this binary that should be used when none is asked for.
    pub fn default_compiled() -> Self {
        if cfg!(feature = "tch") {
            Self::Tch
        } else if cfg!(feature = "flex") {
            Self::Flex
        } else {
            Self::Cuda
        }
    }

    /// Backends compiled into this binary.
    pub fn compiled() -> Vec<Self> {
        [Self::Tch, Self::Flex, Self::Cuda]
            .into_iter()
            .filter(|b| b.is_compiled())
            .collect()
    }

    pub fn is_compiled(self) -> bool {
        match self {
            Self::Tch => cfg!(feature = "tch"),
            Self::Flex => cfg!(feature = "flex"),
            Self::Cuda => cfg!(feature = "cuda"),
        }
    }

    /// The inference device (no autodiff); call `.autodiff()` on it to train.
    ///
    /// # Errors
    /// [`ModelError::BackendNotCompiled`] when the feature is off, or the backend has no such
    /// accelerator (flex is CPU only, cuda is GPU only).
    pub fn device(self, accelerator: Accelerator) -> Result<Device, ModelError> {
        match (self, accelerator) {
            #[cfg(feature = "tch")]
            #[allow(deprecated)]
            // burn-tch is deprecated upstream; it is the user's choice here
            (Self::Tch, Accelerator::Cpu) => Ok(Device::libtorch()),
            #[cfg(feature = "tch")]
            #[allow(deprecated)]
            (Self::Tch, Accelerator::Cuda(i)) => Ok(Device::libtorch_cuda(i)),
            #[cfg(feature = "flex")]
            (Self::Flex, Accelerator::Cpu) => Ok(Device::flex()),
            #[cfg(feature = "cuda")]
            (Self::Cuda, Accelerator::Cuda(i)) => Ok(Device::cuda(i)),
            (backend, Accelerator::Cpu) if backend.is_compiled() => Err(
                ModelError::UnknownBackend(format!("{backend} on cpu (it needs a GPU)")),
            ),
            (backend, Accelerator::Cuda(_)) if backend.is_compiled() => Err(
                ModelError::UnknownBackend(format!("{backend} on cuda (it is CPU only)")),
            ),
            (backend, _) => Err(ModelError::BackendNotCompiled(backend.to_string())),
        }
    }
}

/// Whether this machine has an NVIDIA driver (its control device), which is what `auto`
/// devices and the default process group of a gang go by.
#[must_use]
pub fn nvidia_driver_present() -> bool {
    std::path::Path::new("/dev/nvidiactl").exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names() {
        assert_eq!("flex".parse::<Backend>().unwrap(), Backend::Flex);
        assert_eq!(
            "cuda:1".parse::<Accelerator>().unwrap(),
            Accelerator::Cuda(1)
        );
        assert!("metal".parse::<Backend>().is_err());
        assert!("cuda:x".parse::<Accelerator>().is_err());
    }

    #[test]
    fn every_compiled_cpu_backend_gives_a_device() {
        for backend in Backend::compiled() {
            if backend != Backend::Cuda {
                backend.device(Accelerator::Cpu).unwrap();
            }
        }
    }
}
