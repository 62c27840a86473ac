//! The on-disk cache of compiled modules (DESIGN.md §5): one file per key, written to a
//! temporary file and renamed into place, evicted least-recently-used (by modification
//! time, refreshed on every hit) once the directory outgrows its size limit.

use stagec_environ::code::CodeImage;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

/// Where the disk cache lives and how large it may grow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheConfig {
    /// The cache directory (created when first written).
    pub dir: PathBuf,
    /// Total size of the entries above which the least recently used are evicted.
    pub max_bytes: u64,
}

/// The default size limit: 1 GiB.
pub const DEFAULT_CACHE_MAX_BYTES: u64 = 1 << 30;

/// File name suffix of cache entries.
const SUFFIX: &str = ".stagec";

impl CacheConfig {
    /// A cache in `dir` with the default size limit.
    pub fn new(dir: impl Into<PathBuf>) -> CacheConfig {
        CacheConfig {
            dir: dir.into(),
            max_bytes: DEFAULT_CACHE_MAX_BYTES,
        }
    }

    /// The default directory: `$XDG_CACHE_HOME/stagec`, else `$HOME/.cache/stagec`.
    pub fn default_dir() -> Option<PathBuf> {
        let nonempty = |v: std::ffi::OsString| (!v.is_empty()).then(|| PathBuf::from(v));
        std::env::var_os("XDG_CACHE_HOME")
            .and_then(nonempty)
            .or_else(|| {
                std::env::var_os("HOME")
                    .and_then(nonempty)
                    .map(|h| h.join(".cache"))
            })
            .map(|d| d.join("stagec"))
    }
}

/// One entry of a cache directory.
#[derive(Clone, Debug)]
pub struct CacheEntry {
    /// The key, in hex.
    pub key: String,
    /// The entry's file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// Last written or hit.
    pub used: SystemTime,
}

/// The entries of the cache in `dir`, least recently used first (an absent directory has
/// none).
pub fn cache_entries(dir: &Path) -> std::io::Result<Vec<CacheEntry>> {
    let reader = match std::fs::read_dir(dir) {
        Ok(r) => r,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut entries = Vec::new();
    for item in reader {
        let item = item?;
        let name = item.file_name().to_string_lossy().into_owned();
        let Some(key) = name.strip_suffix(SUFFIX) else {
            continue;
        };
        if key.len() != 64 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        // An entry removed meanwhile (another process evicting) is simply not listed.
        let Ok(meta) = item.metadata() else { continue };
        entries.push(CacheEntry {
            key: key.to_string(),
            path: item.path(),
            size: meta.len(),
            used: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
        });
    }
    entries.sort_by(|a, b| a.used.cmp(&b.used).then_with(|| a.key.cmp(&b.key)));
    Ok(entries)
}

/// Removes every entry (and stray temporary file) of the cache in `dir`; returns how
/// many entries were removed.
pub fn clear_cache(dir: &Path) -> std::io::Result<usize> {
    let entries = cache_entries(dir)?;
    for e in &entries {
        remove_quietly(&e.path);
    }
    if let Ok(reader) = std::fs::read_dir(dir) {
        for item in reader.flatten() {
            if item.file_name().to_string_lossy().starts_with(".tmp-") {
                remove_quietly(&item.path());
            }
        }
    }
    Ok(entries.len())
}

fn remove_quietly(path: &Path) {
    let _ = std::fs::remove_file(path);
}

pub(crate) fn hex(key: &[u8; 32]) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

/// An open disk cache.
#[derive(Debug)]
pub(crate) struct DiskCache {
    config: CacheConfig,
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl DiskCache {
    pub(crate) fn new(config: CacheConfig) -> DiskCache {
        DiskCache { config }
    }

    fn path(&self, key: &[u8; 32]) -> PathBuf {
        self.config.dir.join(format!("{}{SUFFIX}", hex(key)))
    }

    /// The entry for `key`, mapped read-only, if there is one; marks it used.
    pub(crate) fn get(&self, key: &[u8; 32]) -> Option<MappedFile> {
        let path = self.path(key);
        let file = std::fs::File::open(&path).ok()?;
        let _ = file.set_modified(SystemTime::now());
        // Entries are never written in place (writers rename a new file over them), so
        // the mapped file's contents do not change while it is mapped.
        MappedFile::new(file).ok()
    }

    /// Stores `bytes` as the entry for `key` (atomically: a temporary file renamed into
    /// place), then evicts least-recently-used entries beyond the size limit.
    pub(crate) fn put(&self, key: &[u8; 32], bytes: &[u8]) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.config.dir)?;
        let temp = self.config.dir.join(format!(
            ".tmp-{}-{}-{}",
            std::process::id(),
            TEMP_COUNTER.fetch_add(1, Ordering::Relaxed),
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos())
        ));
        let written =
            std::fs::write(&temp, bytes).and_then(|()| std::fs::rename(&temp, self.path(key)));
        if written.is_err() {
            remove_quietly(&temp);
        }
        written?;
        self.evict()
    }

    /// Removes the entry for `key` (a corrupt or stale one).
    pub(crate) fn remove(&self, key: &[u8; 32]) {
        remove_quietly(&self.path(key));
    }

    fn evict(&self) -> std::io::Result<()> {
        let entries = cache_entries(&self.config.dir)?;
        let mut total: u64 = entries.iter().map(|e| e.size).sum();
        for e in &entries {
            if total <= self.config.max_bytes {
                break;
            }
            remove_quietly(&e.path);
            total -= e.size;
        }
        Ok(())
    }

    pub(crate) fn path_of(&self, key: &[u8; 32]) -> PathBuf {
        self.path(key)
    }
}

/// A serialized module's file, mapped read-only: the image the loader maps the code of in
/// place ([`CodeImage::file`]).
pub(crate) struct MappedFile {
    map: memmap2::Mmap,
    file: std::fs::File,
}

impl MappedFile {
    /// Maps `file` read-only, its pages read ahead (the checksum reads all of them).
    pub(crate) fn new(file: std::fs::File) -> std::io::Result<MappedFile> {
        // SAFETY: a read-only mapping; its bytes are checked (checksum, then every field)
        // before use. Files of serialized modules are never written in place (writers
        // rename new files over them); a file changed while mapped anyway can at worst fail
        // those checks or change code that the checks passed, which the cache guards
        // against no more than against any other local write to its directory.
        let map = unsafe { memmap2::MmapOptions::new().populate().map(&file) }?;
        Ok(MappedFile { map, file })
    }
}

impl CodeImage for MappedFile {
    fn bytes(&self) -> &[u8] {
        &self.map
    }

    fn file(&self) -> Option<&std::fs::File> {
        Some(&self.file)
    }
}
