//! Reading an experiment file and the fragments it includes, and resolving them.

use std::path::{Path, PathBuf};

use yaml_serde::{Mapping, Value};

use super::paths::{normalize_lexically, relative_to_project};
use super::{Experiment, Override, RawLayer, SourceFile, merge_values};
use crate::ContentHash;
use crate::error::{Error, Origin};

/// Keys whose values are filesystem paths, made project-relative during resolution.
const PATH_KEYS: [&[&str]; 5] = [
    &["output"],
    &["model", "path"],
    &["tokenizer", "path"],
    &["dataset", "path"],
    &[
        "dataset",
        "mixture_parquet_storage_config",
        "dataset_summary_path",
    ],
];

/// A resolved experiment and what it was made of.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub experiment: Experiment,
    /// Every file read, fragments before the files that include them.
    pub sources: Vec<SourceFile>,
    /// The `--set` overrides, as given.
    pub overrides: Vec<String>,
}

/// Reads `path` and its includes, merges them with `overrides` and resolves the result.
///
/// Relative paths inside a file are relative to that file's directory; in the result
/// they are relative to `project_root` (so moving the checkout keeps the hash).
/// Relative paths in overrides are relative to `project_root`.
///
/// # Errors
/// Any [`Error`] naming the file (and line/column) or override at fault, including
/// [`Error::InvalidConfig`] listing every semantic problem.
pub fn resolve_file(
    path: &Path,
    overrides: &[Override],
    project_root: &Path,
) -> Result<Resolved, Error> {
    // Absolute, lexically normalised paths: relative ones would resolve against the
    // current directory and make the result depend on where the command ran.
    let absolute =
        |p: &Path| normalize_lexically(&std::path::absolute(p).unwrap_or_else(|_| p.to_owned()));
    let (file, root) = (absolute(path), absolute(project_root));
    let project_root = root.as_path();
    let mut reader = LayerReader {
        project_root,
        stack: Vec::new(),
        layers: Vec::new(),
        sources: Vec::new(),
    };
    reader.read(&file, None)?;
    let shown = shown_path(&file);
    let mut merged = Value::Mapping(Mapping::new());
    for layer in reader.layers {
        merge_values(&mut merged, layer.value);
    }
    for item in overrides {
        let mut layer = item.to_layer()?;
        normalize_paths(&mut layer.value, project_root, project_root);
        merge_values(&mut merged, layer.value);
    }
    let mut experiment: Experiment =
        yaml_serde::from_value(merged).map_err(|e| Error::InvalidValue {
            origin: Origin::WholeFile(shown.clone()),
            key: None,
            message: e.to_string(),
        })?;
    experiment.include = reader.sources[..reader.sources.len() - 1]
        .iter()
        .map(|s| s.path.clone())
        .collect();
    if experiment.name.is_none() {
        experiment.name = path.file_stem().map(|s| s.to_string_lossy().into_owned());
    }
    let problems = experiment.problems();
    if !problems.is_empty() {
        return Err(Error::InvalidConfig {
            path: shown,
            problems,
        });
    }
    Ok(Resolved {
        experiment,
        sources: reader.sources,
        overrides: overrides.iter().map(|o| o.text.clone()).collect(),
    })
}

struct LayerReader<'a> {
    project_root: &'a Path,
    /// Files being read, outermost first: a file seen twice here is an include cycle.
    stack: Vec<PathBuf>,
    layers: Vec<RawLayer>,
    sources: Vec<SourceFile>,
}

impl LayerReader<'_> {
    fn read(&mut self, path: &Path, included_from: Option<&Origin>) -> Result<(), Error> {
        // Read by absolute path, but name files in messages as the user would.
        let shown = shown_path(path);
        if self.stack.iter().any(|p| p == path) {
            let origin = included_from
                .cloned()
                .unwrap_or(Origin::WholeFile(shown.clone()));
            return Err(Error::IncludeCycle {
                origin,
                path: shown,
            });
        }
        let text = fs_err::read_to_string(path).map_err(|source| Error::Io {
            path: shown.clone(),
            source,
        })?;
        let mut layer = RawLayer::parse(&shown, &text)?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let includes = take_includes(&mut layer.value, &shown)?;
        normalize_paths(&mut layer.value, dir, self.project_root);

        self.stack.push(path.to_owned());
        for include in includes {
            let origin = Origin::WholeFile(shown.clone());
            self.read(&normalize_lexically(&dir.join(include)), Some(&origin))?;
        }
        self.stack.pop();

        self.sources.push(SourceFile {
            path: relative_to_project(&path.to_string_lossy(), Path::new(""), self.project_root),
            sha256: ContentHash::of_bytes(text.as_bytes()),
        });
        self.layers.push(layer);
        Ok(())
    }
}

/// `path` relative to the current directory when it lies below it, else as is.
fn shown_path(path: &Path) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| {
            path.strip_prefix(normalize_lexically(&cwd))
                .ok()
                .map(Path::to_path_buf)
        })
        .unwrap_or_else(|| path.to_owned())
}

/// Removes `include` from a layer (it names files, it is not config) and returns it.
fn take_includes(value: &mut Value, path: &Path) -> Result<Vec<String>, Error> {
    let Some(map) = value.as_mapping_mut() else {
        return Ok(Vec::new());
    };
    match map.remove("include") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Sequence(items)) => items
            .into_iter()
            .map(|item| match item {
                Value::String(s) => Ok(s),
                _ => Err(Error::InvalidValue {
                    origin: Origin::WholeFile(path.to_owned()),
                    key: Some("include".to_owned()),
                    message: "each include must be a file path".to_owned(),
                }),
            })
            .collect(),
        Some(_) => Err(Error::InvalidValue {
            origin: Origin::WholeFile(path.to_owned()),
            key: Some("include".to_owned()),
            message: "must be a list of file paths".to_owned(),
        }),
    }
}

fn normalize_paths(value: &mut Value, declared_in: &Path, project_root: &Path) {
    for keys in PATH_KEYS {
        if let Some(Value::String(text)) = lookup_mut(value, keys) {
            *text = relative_to_project(text, declared_in, project_root);
        }
    }
}

fn lookup_mut<'v>(value: &'v mut Value, keys: &[&str]) -> Option<&'v mut Value> {
    keys.iter()
        .try_fold(value, |node, key| node.as_mapping_mut()?.get_mut(*key))
}
