//! Records the facts about this build that enter every run's environment lock: the
//! compiler, the target and the exact dependency lock file; and how optimised it is,
//! which `trainer --version`, `trainer submit` and the benchmarks report.

use std::process::Command;

use sha2::{Digest, Sha256};

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let version = Command::new(&rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map_or_else(|| "unknown".to_owned(), |v| v.trim().to_owned());
    println!("cargo:rustc-env=DIALEKT_RUSTC_VERSION={version}");
    println!(
        "cargo:rustc-env=DIALEKT_TARGET={}",
        std::env::var("TARGET").unwrap_or_default()
    );

    let lock = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock");
    let digest = std::fs::read(&lock)
        .map(|bytes| hex(&Sha256::digest(&bytes)))
        .unwrap_or_default();
    println!("cargo:rustc-env=DIALEKT_CARGO_LOCK_SHA256={digest}");
    println!("cargo:rerun-if-changed={}", lock.display());
    println!("cargo:rerun-if-env-changed=RUSTC");

    println!(
        "cargo:rustc-env=DIALEKT_LIBTORCH_VERSION={}",
        libtorch_version()
    );
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    println!("cargo:rerun-if-env-changed=LIBTORCH_USE_PYTORCH");

    println!("cargo:rustc-env=DIALEKT_FEATURES={}", features().join(","));
    for (ours, cargos) in [
        ("DIALEKT_OPT_LEVEL", "OPT_LEVEL"),
        ("DIALEKT_PROFILE", "PROFILE"),
    ] {
        let value = std::env::var(cargos).unwrap_or_else(|_| "unknown".to_owned());
        println!("cargo:rustc-env={ours}={value}");
    }

    #[cfg(feature = "distributed")]
    compile_gang_shim();
}

/// The crate features this trainer is built with (`default` among them when the defaults
/// are on), sorted: `trainer reproduce` builds an older trainer with the same ones, since
/// a run on the `cuda` backend, say, needs a trainer built with `cuda`. Cargo names each
/// in a `CARGO_FEATURE_<NAME>` variable, upper-cased with `-` as `_` (none of ours has
/// either).
fn features() -> Vec<String> {
    let mut features: Vec<String> = std::env::vars()
        .filter_map(|(name, _)| {
            name.strip_prefix("CARGO_FEATURE_")
                .map(|feature| feature.to_lowercase())
        })
        .collect();
    features.sort();
    features
}

/// Compiles `csrc/gang.cpp` (the c10d shim of `trainer::distributed`) against the libtorch
/// torch-sys links, whose directory torch-sys passes on as `DEP_TCH_LIBTORCH_LIB`.
/// libtorch's c10d headers include gloo's, which libtorch does not ship: they come from
/// `$GLOO_INCLUDE_DIR`, else the system (Debian/Ubuntu: `libgloo-dev`).
#[cfg(feature = "distributed")]
fn compile_gang_shim() {
    use std::path::PathBuf;

    println!("cargo:rerun-if-changed=csrc/gang.cpp");
    println!("cargo:rerun-if-env-changed=GLOO_INCLUDE_DIR");
    let lib = PathBuf::from(
        std::env::var("DEP_TCH_LIBTORCH_LIB").expect("torch-sys names libtorch's lib directory"),
    );
    let include = lib
        .parent()
        .map_or_else(|| lib.clone(), |root| root.join("include"));
    let gloo = std::env::var_os("GLOO_INCLUDE_DIR")
        .map_or_else(|| PathBuf::from("/usr/include"), PathBuf::from);
    assert!(
        gloo.join("gloo/config.h").is_file(),
        "the `distributed` feature needs gloo's C++ headers, which libtorch does not ship: \
         install them (Debian/Ubuntu: apt-get install libgloo-dev) or set GLOO_INCLUDE_DIR \
         (looked in {})",
        gloo.display()
    );
    let mut build = cc::Build::new();
    build
        .cpp(true)
        .pic(true)
        .std("c++17")
        .warnings(false)
        // libtorch 2.9 is built with the C++11 string ABI on every platform it ships for.
        .define("_GLIBCXX_USE_CXX11_ABI", "1")
        .define("USE_C10D_GLOO", None)
        .include(&include)
        .include(include.join("torch/csrc/api/include"))
        .include(&gloo);
    #[cfg(feature = "nccl")]
    let cuda = cuda_includes(&lib);
    #[cfg(feature = "nccl")]
    for dir in &cuda {
        build.include(dir);
    }
    #[cfg(feature = "nccl")]
    build
        .define("USE_C10D_NCCL", None)
        .define("DIALEKT_NCCL", None);
    build.file("csrc/gang.cpp").compile("dialekt_gang");
    // After the shim on the link line, so its references to c10d resolve.
    println!("cargo:rustc-link-search=native={}", lib.display());
    #[cfg(feature = "nccl")]
    {
        println!("cargo:rustc-link-lib=dylib=torch_cuda");
        println!("cargo:rustc-link-lib=dylib=c10_cuda");
        link_cudart(&cuda);
    }
    println!("cargo:rustc-link-lib=dylib=torch_cpu");
    println!("cargo:rustc-link-lib=dylib=c10");
}

/// The CUDA header directories c10d's NCCL headers need (the CUDA runtime, `crt/`,
/// CCCL's `nv/target`, `nccl.h`): `$CUDA_INCLUDE_DIRS` (':'-separated), else a CUDA
/// toolkit (`$CUDA_HOME`, default `/usr/local/cuda`) and the pip wheels beside a pip
/// torch (`site-packages/nvidia/*/include`).
#[cfg(feature = "nccl")]
fn cuda_includes(torch_lib: &std::path::Path) -> Vec<std::path::PathBuf> {
    use std::path::PathBuf;

    println!("cargo:rerun-if-env-changed=CUDA_INCLUDE_DIRS");
    println!("cargo:rerun-if-env-changed=CUDA_HOME");
    let mut dirs: Vec<PathBuf> = match std::env::var_os("CUDA_INCLUDE_DIRS") {
        Some(list) => std::env::split_paths(&list).collect(),
        None => {
            let toolkit = std::env::var_os("CUDA_HOME")
                .map_or_else(|| PathBuf::from("/usr/local/cuda"), PathBuf::from)
                .join("include");
            // site-packages/torch/lib → site-packages/nvidia/<package>/include
            let wheels = torch_lib
                .parent()
                .and_then(std::path::Path::parent)
                .map(|site| site.join("nvidia"));
            let mut wheel_dirs: Vec<PathBuf> = wheels
                .and_then(|nvidia| std::fs::read_dir(nvidia).ok())
                .into_iter()
                .flatten()
                .filter_map(Result::ok)
                .map(|entry| entry.path().join("include"))
                .filter(|dir| dir.is_dir())
                .collect();
            wheel_dirs.sort();
            std::iter::once(toolkit).chain(wheel_dirs).collect()
        }
    };
    dirs.retain(|dir| dir.is_dir());
    for needed in [
        "cuda_runtime_api.h",
        "crt/host_config.h",
        "nv/target",
        "nccl.h",
    ] {
        assert!(
            dirs.iter().any(|dir| dir.join(needed).exists()),
            "the `nccl` feature needs CUDA's {needed}, found in none of {dirs:?}: install a CUDA \
             toolkit (CUDA_HOME) or, beside a pip torch, `pip install nvidia-cuda-nvcc-cu12 \
             nvidia-cuda-cccl-cu12` (headers of torch's CUDA version), or set CUDA_INCLUDE_DIRS"
        );
    }
    dirs
}

/// The libtorch version torch-sys links against, found the way torch-sys finds it:
/// `$LIBTORCH/build-version`, or the Python torch when `LIBTORCH_USE_PYTORCH` is set.
fn libtorch_version() -> String {
    if let Some(dir) = std::env::var_os("LIBTORCH")
        && let Ok(text) = std::fs::read_to_string(std::path::Path::new(&dir).join("build-version"))
    {
        return text.trim().to_owned();
    }
    if std::env::var_os("LIBTORCH_USE_PYTORCH").is_some() {
        let python =
            std::env::var("PYTHON_SYS_EXECUTABLE").unwrap_or_else(|_| "python3".to_owned());
        let output = Command::new(python)
            .args(["-c", "import torch; print(torch.__version__)"])
            .output();
        if let Ok(output) = output
            && output.status.success()
        {
            return String::from_utf8_lossy(&output.stdout).trim().to_owned();
        }
    }
    "unknown".to_owned()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Links the CUDA runtime, which c10's inline CUDA helpers in the shim call directly: the
/// toolkit's `libcudart.so`, or the pip wheel's `libcudart.so.12` (no unversioned name),
/// found beside the include directories; its directory goes into the binary's run path,
/// since a pip torch's `lib/` (on `LD_LIBRARY_PATH`) does not hold it.
#[cfg(feature = "nccl")]
fn link_cudart(include_dirs: &[std::path::PathBuf]) {
    let found = include_dirs
        .iter()
        .filter_map(|include| include.parent())
        .flat_map(|root| [root.join("lib64"), root.join("lib")])
        .find_map(|dir| {
            ["libcudart.so", "libcudart.so.12", "libcudart.so.13"]
                .into_iter()
                .find(|name| dir.join(name).exists())
                .map(|name| (dir, name))
        });
    let Some((dir, name)) = found else {
        panic!(
            "the `nccl` feature needs the CUDA runtime library (libcudart.so) beside one of \
             {include_dirs:?}"
        );
    };
    println!("cargo:rustc-link-search=native={}", dir.display());
    println!("cargo:rustc-link-lib=dylib:+verbatim={name}");
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.display());
}
