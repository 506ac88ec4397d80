//! How this trainer binary was compiled. A training step in an unoptimised build is
//! markedly slower (the 300m step: 11.8 s against 9.0 s), because burn's generic
//! kernels and our training loop are instantiated, and so optimised or not, in our own
//! crates: long jobs and timings should come from the optimised (`--release`) build.

/// rustc's optimisation level for this crate (`0`–`3`, `s`, `z`), as Cargo passed it to
/// the build script.
pub const OPT_LEVEL: &str = env!("DIALEKT_OPT_LEVEL");

/// Cargo's profile family: `debug` for the dev and test profiles, `release` for
/// `release` and the profiles that inherit from it.
pub const PROFILE: &str = env!("DIALEKT_PROFILE");

/// Whether the trainer itself was compiled with optimisations.
#[must_use]
pub fn is_optimised() -> bool {
    OPT_LEVEL != "0"
}

/// A line for people: e.g. `release profile, opt-level 3`.
#[must_use]
pub fn describe() -> String {
    format!("{PROFILE} profile, opt-level {OPT_LEVEL}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_build_is_described_as_cargo_compiled_it() {
        // The dev and test profiles keep debug assertions at opt-level 0; release neither.
        assert_eq!(
            PROFILE == "release",
            !cfg!(debug_assertions),
            "{}",
            describe()
        );
        assert_eq!(is_optimised(), PROFILE == "release", "{}", describe());
        assert!(describe().starts_with(PROFILE), "{}", describe());
    }
}
