//! `--sweep key=v1,v2,...` (repeatable): the grid of overrides a sweep runs, one element
//! per combination, the first key varying slowest (as nested loops written in order).

/// A `--sweep` that does not describe a grid.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SweepError {
    #[error("--sweep `{0}`: expected KEY=VALUE,VALUE,...")]
    Malformed(String),
    #[error("--sweep `{0}`: a value is empty")]
    EmptyValue(String),
    #[error("--sweep: `{0}` is swept twice")]
    Repeated(String),
}

/// The overrides (`key=value`) of every element of the grid; one element without any
/// when nothing is swept.
///
/// # Errors
/// A malformed sweep, an empty value, a key swept twice.
pub fn grid(sweeps: &[String]) -> Result<Vec<Vec<String>>, SweepError> {
    let mut elements: Vec<Vec<String>> = vec![Vec::new()];
    let mut keys: Vec<&str> = Vec::new();
    for sweep in sweeps {
        let (key, values) = sweep
            .split_once('=')
            .filter(|(key, values)| !key.trim().is_empty() && !values.is_empty())
            .ok_or_else(|| SweepError::Malformed(sweep.clone()))?;
        let key = key.trim();
        if keys.contains(&key) {
            return Err(SweepError::Repeated(key.to_owned()));
        }
        keys.push(key);
        let values: Vec<&str> = values.split(',').map(str::trim).collect();
        if values.iter().any(|v| v.is_empty()) {
            return Err(SweepError::EmptyValue(sweep.clone()));
        }
        elements = elements
            .into_iter()
            .flat_map(|element| {
                values.iter().map(move |value| {
                    let mut next = element.clone();
                    next.push(format!("{key}={value}"));
                    next
                })
            })
            .collect();
    }
    Ok(elements)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn a_grid_varies_the_first_key_slowest() {
        let sweeps = ["lr=1,2".to_owned(), "seed=7,8,9".to_owned()];
        let elements = grid(&sweeps).unwrap();
        assert_eq!(elements.len(), 6);
        assert_eq!(elements[0], ["lr=1", "seed=7"]);
        assert_eq!(elements[2], ["lr=1", "seed=9"]);
        assert_eq!(elements[3], ["lr=2", "seed=7"]);
        assert_eq!(grid(&[]).unwrap(), [Vec::<String>::new()]);
    }

    #[test]
    fn malformed_sweeps_are_named() {
        let one = |s: &str| grid(&[s.to_owned()]).unwrap_err();
        assert_eq!(one("lr"), SweepError::Malformed("lr".into()));
        assert_eq!(one("lr="), SweepError::Malformed("lr=".into()));
        assert_eq!(one("lr=1,,2"), SweepError::EmptyValue("lr=1,,2".into()));
        let twice = grid(&["lr=1".to_owned(), "lr=2".to_owned()]).unwrap_err();
        assert_eq!(twice, SweepError::Repeated("lr".into()));
    }

    proptest! {
        /// The grid has the product of the value counts as its size, every element sets
        /// every key once, and no two elements are equal.
        #[test]
        fn the_grid_is_the_full_product(counts in proptest::collection::vec(1usize..4, 0..4)) {
            let sweeps: Vec<String> = counts
                .iter()
                .enumerate()
                .map(|(k, &n)| format!("k{k}={}", (0..n).map(|v| v.to_string()).collect::<Vec<_>>().join(",")))
                .collect();
            let elements = grid(&sweeps).unwrap();
            prop_assert_eq!(elements.len(), counts.iter().product::<usize>());
            for element in &elements {
                prop_assert_eq!(element.len(), counts.len());
            }
            let distinct: std::collections::BTreeSet<_> = elements.iter().collect();
            prop_assert_eq!(distinct.len(), elements.len());
        }
    }
}
