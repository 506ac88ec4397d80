//! Lexical path normalisation: no filesystem access, so results do not depend on which
//! directories happen to exist or on symlinks.

use std::path::{Component, Path, PathBuf};

/// Removes `.` components and resolves `..` against preceding normal components.
/// Leading `..` of a relative path are kept (they cannot be resolved lexically).
#[must_use]
pub fn normalize_lexically(path: &Path) -> PathBuf {
    let mut parts: Vec<Component<'_>> = Vec::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match parts.last() {
                Some(Component::Normal(_)) => {
                    parts.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => parts.push(component),
            },
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        return PathBuf::from(".");
    }
    parts.iter().collect()
}

/// Resolves `value` (as written in a file in `declared_in`) and expresses it relative
/// to `project_root` when it lies inside it, so the same checkout at another location
/// resolves to the same config (and hash). Paths outside stay absolute.
#[cfg_attr(
    not(feature = "fs"),
    allow(dead_code, reason = "used by the file loader")
)]
#[must_use]
pub fn relative_to_project(value: &str, declared_in: &Path, project_root: &Path) -> String {
    let joined = normalize_lexically(&declared_in.join(value));
    let root = normalize_lexically(project_root);
    let shown = joined
        .strip_prefix(&root)
        .map_or(joined.clone(), Path::to_path_buf);
    let shown = if shown.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        shown
    };
    // Forward slashes on every platform: the string is hashed.
    shown.to_string_lossy().replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_dots() {
        assert_eq!(
            normalize_lexically(Path::new("a/./b/../c")),
            PathBuf::from("a/c")
        );
        assert_eq!(
            normalize_lexically(Path::new("../a/..")),
            PathBuf::from("..")
        );
        assert_eq!(normalize_lexically(Path::new("/../a")), PathBuf::from("/a"));
        assert_eq!(normalize_lexically(Path::new("./")), PathBuf::from("."));
    }

    #[test]
    fn paths_are_made_project_relative() {
        let root = Path::new("/home/u/dialekt");
        let exp = root.join("experiments");
        assert_eq!(relative_to_project("../data/x", &exp, root), "data/x");
        assert_eq!(relative_to_project("/abs/y", &exp, root), "/abs/y");
        assert_eq!(relative_to_project("..", &exp, root), ".");
    }
}
