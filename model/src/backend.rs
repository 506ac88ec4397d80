//! Choosing where tensors live. Burn 0.22 has no backend type parameter: the [`Device`] picks
//! the backend, so the model code is the same for all of them. The backends are the config's
//! [`BackendName`]s:
//!
//! - `tch` (default): libtorch 2.9 via burn-tch, the user's choice; CPU here, CUDA on GPUs.
//!   Deprecated upstream and gone after burn 0.22, so every use of it sits in this file.
//! - `flex`: burn's pure-Rust CPU backend, for machines without libtorch; exact GELU backward.
//! - `cuda`: CubeCL's CUDA backend, the path beyond burn 0.22 (opt-in feature).

use burn::tensor::Device;
pub use dialekt_core::config::{BackendName, DeviceSpec};

use super::ModelError;

/// Which device of a backend, once `backend.device` is resolved on this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accelerator {
    Cpu,
    Cuda(usize),
}

impl Accelerator {
    /// What `spec` means for `backend` here: `auto` is a CUDA GPU when the machine has an
    /// NVIDIA driver and the backend can use one, else the CPU. A rank of a gang
    /// (`local_rank`) takes its own GPU for `auto` and a bare `cuda`: `cuda:LOCAL_RANK`,
    /// torchrun's convention, so the ranks of a node do not all crowd onto GPU 0; `cuda:N`
    /// still pins one.
    #[must_use]
    pub fn choose(
        spec: DeviceSpec,
        backend: BackendName,
        has_nvidia: bool,
        local_rank: Option<usize>,
    ) -> Self {
        let own_gpu = Self::Cuda(local_rank.unwrap_or(0));
        match spec {
            DeviceSpec::Auto if has_nvidia && backend != BackendName::Flex => own_gpu,
            DeviceSpec::Auto | DeviceSpec::Cpu => Self::Cpu,
            DeviceSpec::Cuda => own_gpu,
            DeviceSpec::CudaIndex(i) => Self::Cuda(i),
        }
    }
}

/// The backend built into this binary that should be used when none is asked for.
#[must_use]
pub fn default_compiled() -> BackendName {
    if cfg!(feature = "tch") {
        BackendName::Tch
    } else if cfg!(feature = "flex") {
        BackendName::Flex
    } else {
        BackendName::Cuda
    }
}

/// Backends compiled into this binary.
#[must_use]
pub fn compiled() -> Vec<BackendName> {
    BackendName::ALL
        .into_iter()
        .filter(|b| is_compiled(*b))
        .collect()
}

/// Whether `backend`'s feature is on in this build.
#[must_use]
pub fn is_compiled(backend: BackendName) -> bool {
    match backend {
        BackendName::Tch => cfg!(feature = "tch"),
        BackendName::Flex => cfg!(feature = "flex"),
        BackendName::Cuda => cfg!(feature = "cuda"),
    }
}

/// The inference device (no autodiff) of `backend`; call `.autodiff()` on it to train.
///
/// # Errors
/// [`ModelError::BackendNotCompiled`] when the feature is off, or
/// [`ModelError::UnusableDevice`] when the backend has no such accelerator (flex is CPU
/// only, cuda is GPU only).
pub fn device(backend: BackendName, accelerator: Accelerator) -> Result<Device, ModelError> {
    match (backend, accelerator) {
        #[cfg(feature = "tch")]
        #[allow(deprecated)]
        // burn-tch is deprecated upstream; it is the user's choice here
        (BackendName::Tch, Accelerator::Cpu) => Ok(Device::libtorch()),
        #[cfg(feature = "tch")]
        #[allow(deprecated)]
        (BackendName::Tch, Accelerator::Cuda(i)) => Ok(Device::libtorch_cuda(i)),
        #[cfg(feature = "flex")]
        (BackendName::Flex, Accelerator::Cpu) => Ok(Device::flex()),
        #[cfg(feature = "cuda")]
        (BackendName::Cuda, Accelerator::Cuda(i)) => Ok(Device::cuda(i)),
        (backend, Accelerator::Cpu) if is_compiled(backend) => Err(ModelError::UnusableDevice(
            format!("{backend} on cpu (it needs a GPU)"),
        )),
        (backend, Accelerator::Cuda(_)) if is_compiled(backend) => Err(ModelError::UnusableDevice(
            format!("{backend} on cuda (it is CPU only)"),
        )),
        (backend, _) => Err(ModelError::BackendNotCompiled(backend.to_string())),
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
    fn each_rank_of_a_gang_takes_its_own_gpu_unless_one_is_pinned() {
        let resolve = |spec: &str, nvidia: bool, local_rank: Option<usize>| {
            Accelerator::choose(spec.parse().unwrap(), BackendName::Tch, nvidia, local_rank)
        };
        assert_eq!(resolve("auto", true, None), Accelerator::Cuda(0));
        assert_eq!(resolve("auto", true, Some(3)), Accelerator::Cuda(3));
        assert_eq!(resolve("cuda", false, Some(1)), Accelerator::Cuda(1));
        assert_eq!(resolve("cuda:2", true, Some(1)), Accelerator::Cuda(2));
        assert_eq!(resolve("auto", false, Some(1)), Accelerator::Cpu);
        assert_eq!(resolve("cpu", true, Some(1)), Accelerator::Cpu);
        assert_eq!(
            Accelerator::choose(DeviceSpec::Auto, BackendName::Flex, true, Some(1)),
            Accelerator::Cpu
        );
        assert!("tpu".parse::<DeviceSpec>().is_err());
    }

    #[test]
    fn parses_names() {
        assert_eq!("flex".parse::<BackendName>().unwrap(), BackendName::Flex);
        assert_eq!("libtorch".parse::<BackendName>().unwrap(), BackendName::Tch);
        assert_eq!(
            "cuda:1".parse::<DeviceSpec>().unwrap(),
            DeviceSpec::CudaIndex(1)
        );
        assert!("metal".parse::<BackendName>().is_err());
        assert!("cuda:x".parse::<DeviceSpec>().is_err());
    }

    #[test]
    fn every_compiled_cpu_backend_gives_a_device() {
        for backend in compiled() {
            if backend != BackendName::Cuda {
                device(backend, Accelerator::Cpu).unwrap();
            }
        }
    }
}
