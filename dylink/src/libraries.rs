//! Where the dynamic linker finds libraries by name: in-memory libraries the host adds,
//! then the directories of a `NEEDED` library's `RUNPATH` (`$ORIGIN` is the directory of
//! the library that needs it), then the search path.

use crate::error::LoadError;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A library found by name: its bytes, and the file they came from.
#[derive(Clone, Debug)]
pub(crate) struct FoundLibrary {
    pub(crate) bytes: Vec<u8>,
    pub(crate) path: Option<PathBuf>,
}

/// The libraries a dynamic linker can load, by name.
#[derive(Clone, Debug, Default)]
pub struct LibraryPath {
    dirs: Vec<PathBuf>,
    in_memory: HashMap<String, Vec<u8>>,
}

impl LibraryPath {
    /// An empty path.
    pub fn new() -> LibraryPath {
        LibraryPath::default()
    }

    /// Appends directory `dir` to the search path.
    pub fn dir(&mut self, dir: impl Into<PathBuf>) -> &mut Self {
        self.dirs.push(dir.into());
        self
    }

    /// Adds the library `bytes` under `name` (found before any directory).
    pub fn library(&mut self, name: &str, bytes: Vec<u8>) -> &mut Self {
        self.in_memory.insert(name.to_string(), bytes);
        self
    }

    /// The directories searched, in order.
    pub fn dirs(&self) -> &[PathBuf] {
        &self.dirs
    }

    /// Finds library `name`, searching `runpath` (with `$ORIGIN` replaced by `origin`)
    /// before the search path. A name with a `/` is a path, not searched for.
    pub(crate) fn find(
        &self,
        name: &str,
        runpath: &[String],
        origin: Option<&Path>,
    ) -> Result<Option<FoundLibrary>, LoadError> {
        if let Some(bytes) = self.in_memory.get(name) {
            return Ok(Some(FoundLibrary {
                bytes: bytes.clone(),
                path: None,
            }));
        }
        if name.contains('/') {
            return read(Path::new(name));
        }
        let expanded = runpath.iter().filter_map(|entry| match origin {
            Some(origin) => Some(PathBuf::from(
                entry.replace("$ORIGIN", &origin.display().to_string()),
            )),
            None if entry.contains("$ORIGIN") => None,
            None => Some(PathBuf::from(entry)),
        });
        for dir in expanded.chain(self.dirs.iter().cloned()) {
            if let Some(found) = read(&dir.join(name))? {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }
}

fn read(path: &Path) -> Result<Option<FoundLibrary>, LoadError> {
    if !path.is_file() {
        return Ok(None);
    }
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(Some(FoundLibrary {
        bytes,
        path: Some(path.to_path_buf()),
    }))
}
