//! omniASR asset names (`omniASR_CTC_300M`, ...) resolved like fairseq2's asset cards.
//!
//! The table is omnilingual-asr 0.2.0's `cards/models/rc_models_v{1,2}.yaml` (CTC models) and
//! `cards/tokenizers`. A file is looked for in our cache (`$DIALEKT_MODEL_CACHE`, else
//! `$XDG_CACHE_HOME/dialekt/models`, else `~/.cache/dialekt/models`) and in fairseq2's
//! (`~/.cache/fairseq2/assets/*/`), so a model omnilingual-asr already downloaded is
//! reused; otherwise it is downloaded into ours ([`super::download`]).
//!
//! The cards publish neither sizes nor checksums, so none can be pinned here. What
//! guards the bytes instead: a download is kept only when exactly `Content-Length`
//! bytes arrived, the loader checks every tensor's name and shape against the arch, and
//! each run records the file's SHA-256 in `origin.json` (so `reproduce` notices a
//! different file under the same name).

use std::path::{Path, PathBuf};

use super::{AssetError, download};

/// A released CTC model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asset {
    pub name: &'static str,
    /// fairseq2 arch name (a [`dialekt_model::ArchConfig::preset`]).
    pub arch: &'static str,
    pub url: &'static str,
    pub tokenizer_url: &'static str,
}

const TOKENIZER_V1: &str = "https://dl.fbaipublicfiles.com/mms/omniASR_tokenizer.model";
const TOKENIZER_V2: &str = "https://dl.fbaipublicfiles.com/mms/omniASR_tokenizer_written_v2.model";

macro_rules! asset {
    ($name:literal, $arch:literal, $file:literal, $tok:expr) => {
        Asset {
            name: $name,
            arch: $arch,
            url: concat!("https://dl.fbaipublicfiles.com/mms/", $file),
            tokenizer_url: $tok,
        }
    };
}

/// Every omniASR CTC checkpoint omnilingual-asr 0.2.0 knows.
pub const ASSETS: [Asset; 8] = [
    asset!(
        "omniASR_CTC_300M",
        "300m",
        "omniASR-CTC-300M.pt",
        TOKENIZER_V1
    ),
    asset!("omniASR_CTC_1B", "1b", "omniASR-CTC-1B.pt", TOKENIZER_V1),
    asset!("omniASR_CTC_3B", "3b", "omniASR-CTC-3B.pt", TOKENIZER_V1),
    asset!("omniASR_CTC_7B", "7b", "omniASR-CTC-7B.pt", TOKENIZER_V1),
    asset!(
        "omniASR_CTC_300M_v2",
        "300m_v2",
        "omniASR-CTC-300M-v2.pt",
        TOKENIZER_V2
    ),
    asset!(
        "omniASR_CTC_1B_v2",
        "1b_v2",
        "omniASR-CTC-1B-v2.pt",
        TOKENIZER_V2
    ),
    asset!(
        "omniASR_CTC_3B_v2",
        "3b_v2",
        "omniASR-CTC-3B-v2.pt",
        TOKENIZER_V2
    ),
    asset!(
        "omniASR_CTC_7B_v2",
        "7b_v2",
        "omniASR-CTC-7B-v2.pt",
        TOKENIZER_V2
    ),
];

/// omnilingual-asr 0.2.0's tokenizer cards (`cards/tokenizers`).
pub const TOKENIZERS: [AssetFile; 3] = [
    AssetFile {
        name: "omniASR_tokenizer",
        url: TOKENIZER_V1,
    },
    AssetFile {
        name: "omniASR_tokenizer_v1",
        url: TOKENIZER_V1,
    },
    AssetFile {
        name: "omniASR_tokenizer_written_v2",
        url: TOKENIZER_V2,
    },
];

impl Asset {
    pub fn by_name(name: &str) -> Option<Self> {
        ASSETS.iter().copied().find(|a| a.name == name)
    }

    /// The checkpoint file of this asset.
    #[must_use]
    pub fn checkpoint(&self) -> AssetFile {
        AssetFile {
            name: self.name,
            url: self.url,
        }
    }

    /// The tokenizer the asset's card names.
    #[must_use]
    pub fn tokenizer(&self) -> AssetFile {
        TOKENIZERS
            .iter()
            .copied()
            .find(|t| t.url == self.tokenizer_url)
            .unwrap_or(AssetFile {
                name: self.name,
                url: self.tokenizer_url,
            })
    }

    /// Where we keep (and look for) downloaded assets.
    pub fn cache_dir() -> PathBuf {
        if let Some(dir) = std::env::var_os("DIALEKT_MODEL_CACHE") {
            return PathBuf::from(dir);
        }
        crate::cache::dialekt_cache().join("models")
    }
}

/// One file an asset card points at: a checkpoint or a tokenizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssetFile {
    /// The card's name (`omniASR_CTC_300M`, `omniASR_tokenizer`).
    pub name: &'static str,
    pub url: &'static str,
}

impl AssetFile {
    /// The tokenizer card called `name`.
    #[must_use]
    pub fn tokenizer(name: &str) -> Option<Self> {
        TOKENIZERS.iter().copied().find(|t| t.name == name)
    }

    /// The file name (the URL's last segment).
    #[must_use]
    pub fn file_name(&self) -> &'static str {
        download::file_name(self.url)
    }

    /// Where a download puts it.
    #[must_use]
    pub fn cache_path(&self) -> PathBuf {
        Asset::cache_dir().join(self.file_name())
    }

    /// The file on disk, if our cache or fairseq2's holds it.
    #[must_use]
    pub fn find_local(&self) -> Option<PathBuf> {
        let ours = self.cache_path();
        if ours.is_file() {
            return Some(ours);
        }
        let fairseq2 = crate::cache::home().join(".cache/fairseq2/assets");
        fs_err::read_dir(&fairseq2)
            .ok()?
            .filter_map(Result::ok)
            .map(|entry| entry.path().join(self.file_name()))
            .find(|p| p.is_file())
    }

    /// The local file, or an error telling how to get it.
    ///
    /// # Errors
    /// [`AssetError::NotCached`] naming the URL and the expected path.
    pub fn resolve(&self) -> Result<PathBuf, AssetError> {
        self.find_local().ok_or_else(|| AssetError::NotCached {
            name: self.name.to_owned(),
            url: download::source_url(self.url),
            path: self.cache_path(),
        })
    }

    /// The local file, downloaded first if no cache holds it.
    ///
    /// # Errors
    /// [`AssetError::Download`] naming what failed, the URL and where to put the
    /// file by hand (offline machines).
    pub fn fetch(&self) -> Result<PathBuf, AssetError> {
        if let Some(path) = self.find_local() {
            return Ok(path);
        }
        let path = self.cache_path();
        download::download(self.url, &path, self.file_name()).map_err(|cause| {
            AssetError::Download {
                name: self.name.to_owned(),
                url: download::source_url(self.url),
                path: path.clone(),
                cause,
            }
        })?;
        Ok(path)
    }
}

/// A checkpoint path as given, or an asset name resolved to its cached (or just
/// downloaded) file; with the asset when it was one (its arch is then known without
/// inference).
///
/// # Errors
/// [`AssetError::Download`] for a known asset neither on disk nor downloadable;
/// [`AssetError::UnknownModel`] for a path that does not exist and is no asset name.
pub fn resolve_model(model: &str) -> Result<(PathBuf, Option<Asset>), AssetError> {
    let path = Path::new(model);
    if path.exists() {
        return Ok((path.to_owned(), None));
    }
    match Asset::by_name(model) {
        Some(asset) => Ok((asset.checkpoint().fetch()?, Some(asset))),
        None => Err(AssetError::UnknownModel {
            model: model.to_owned(),
            known: ASSETS.iter().map(|a| a.name).collect::<Vec<_>>().join(", "),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_has_a_known_arch() {
        for asset in ASSETS {
            dialekt_model::ArchConfig::preset(asset.arch).unwrap();
            assert!(asset.checkpoint().file_name().ends_with(".pt"));
            assert!(TOKENIZERS.contains(&asset.tokenizer()), "{}", asset.name);
        }
        assert_eq!(
            Asset::by_name("omniASR_CTC_300M").unwrap().url,
            "https://dl.fbaipublicfiles.com/mms/omniASR-CTC-300M.pt"
        );
    }

    #[test]
    fn unknown_model_lists_the_assets() {
        let err = resolve_model("/nonexistent/omniASR_CTC_9M")
            .unwrap_err()
            .to_string();
        assert!(err.contains("omniASR_CTC_300M"), "{err}");
    }
}
