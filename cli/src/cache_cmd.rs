//! The code cache on the command line: `--cache-dir` / `--no-cache` for commands that
//! compile, `stagec cache ls | stats | clear`, and the `--timings` report.

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use stagec::{CacheConfig, CacheOutcome, Config, Module, cache_entries, clear_cache};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Where compiled modules are cached.
#[derive(Args, Clone, Debug, Default)]
pub struct CacheArgs {
    /// The cache directory (default: $XDG_CACHE_HOME/stagec or ~/.cache/stagec).
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Neither read nor write the disk cache.
    #[arg(long, conflicts_with = "cache_dir")]
    no_cache: bool,
    /// Size limit of the cache directory (K, M, G suffixes are powers of 1024; default
    /// 1G): beyond it, the least recently used entries are removed after each write.
    #[arg(long, value_name = "BYTES", conflicts_with = "no_cache")]
    cache_max: Option<String>,
}

impl CacheArgs {
    /// The cache configuration these flags ask for.
    pub fn cache(&self) -> Result<Option<CacheConfig>> {
        if self.no_cache {
            return Ok(None);
        }
        let Some(mut cache) = self
            .cache_dir
            .clone()
            .or_else(CacheConfig::default_dir)
            .map(CacheConfig::new)
        else {
            return Ok(None);
        };
        if let Some(max) = &self.cache_max {
            cache.max_bytes = crate::limits::parse_bytes("--cache-max", max)?;
        }
        Ok(Some(cache))
    }

    /// `config` with the cache set.
    pub fn config(&self, config: Config) -> Result<Config> {
        Ok(config.with_cache(self.cache()?))
    }

    /// The same flags with the disk cache off.
    pub fn without(mut self) -> CacheArgs {
        self.no_cache = true;
        self.cache_dir = None;
        self
    }

    fn dir(&self) -> Result<PathBuf> {
        match self.cache()? {
            Some(c) => Ok(c.dir),
            None if self.no_cache => bail!("--no-cache: there is no cache to show"),
            None => bail!("no cache directory: set --cache-dir, XDG_CACHE_HOME or HOME"),
        }
    }
}

/// `stagec cache` subcommands.
#[derive(Subcommand, Clone, Debug)]
pub enum CacheCommand {
    /// List the entries, least recently used first: key, size, age.
    Ls {
        #[command(flatten)]
        cache: CacheArgs,
    },
    /// Show the number of entries, their total size and the directory.
    Stats {
        #[command(flatten)]
        cache: CacheArgs,
    },
    /// Remove every entry.
    Clear {
        #[command(flatten)]
        cache: CacheArgs,
    },
}

pub fn cache_command(command: &CacheCommand) -> Result<()> {
    match command {
        CacheCommand::Ls { cache } => {
            let dir = cache.dir()?;
            let entries = cache_entries(&dir).with_context(|| dir.display().to_string())?;
            let now = SystemTime::now();
            for e in &entries {
                let age = now.duration_since(e.used).unwrap_or_default();
                println!(
                    "{}  {:>10}  {} ago",
                    e.key,
                    human_bytes(e.size),
                    human_age(age)
                );
            }
            println!("{} entries in {}", entries.len(), dir.display());
        }
        CacheCommand::Stats { cache } => {
            let dir = cache.dir()?;
            let entries = cache_entries(&dir).with_context(|| dir.display().to_string())?;
            let total: u64 = entries.iter().map(|e| e.size).sum();
            let limit = cache.cache()?.map_or(0, |c| c.max_bytes);
            println!("directory: {}", dir.display());
            println!("entries:   {}", entries.len());
            println!(
                "size:      {} (limit {})",
                human_bytes(total),
                human_bytes(limit)
            );
            if let (Some(old), Some(new)) = (entries.first(), entries.last()) {
                let now = SystemTime::now();
                let age = |t| human_age(now.duration_since(t).unwrap_or_default());
                println!(
                    "used:      least recently {} ago, most recently {} ago",
                    age(old.used),
                    age(new.used)
                );
            }
        }
        CacheCommand::Clear { cache } => {
            let dir = cache.dir()?;
            let n = clear_cache(&dir).with_context(|| dir.display().to_string())?;
            println!("removed {n} entries from {}", dir.display());
        }
    }
    Ok(())
}

fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GiB", n as f64 / (1u64 << 30) as f64),
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

fn human_age(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        s if s >= 86_400 => format!("{}d", s / 86_400),
        s if s >= 3_600 => format!("{}h", s / 3_600),
        s if s >= 60 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// The `--timings` report, on stderr: where the time went, phase by phase.
pub fn print_timings(file: &Path, module: &Module, instantiate: Duration, execute: Duration) {
    let t = module.timings();
    let cache = match t.cache {
        CacheOutcome::Uncacheable => "not cacheable (a live object is bound): compiled",
        CacheOutcome::Miss => "miss: compiled",
        CacheOutcome::MemoryHit => "hit (memory)",
        CacheOutcome::DiskHit => "hit (disk)",
        CacheOutcome::Artifact => "precompiled artifact",
    };
    let ms = |d: Duration| format!("{:>10.3} ms", d.as_secs_f64() * 1e3);
    eprintln!("timings for {}:", file.display());
    eprintln!("  cache                  {cache}");
    if t.state_restored {
        eprintln!("  compile-time state     restored from the artifact's snapshot");
    }
    eprintln!("  parse/validate       {}", ms(t.parse));
    eprintln!(
        "  translate            {}   (cpu, all threads)",
        ms(t.translate)
    );
    eprintln!(
        "  cranelift compile    {}   (cpu, all threads)",
        ms(t.codegen)
    );
    eprintln!("  cache load           {}", ms(t.cache_load));
    eprintln!("  compile total        {}   (wall)", ms(t.total));
    eprintln!("  instantiate          {}", ms(instantiate));
    eprintln!("  execute              {}", ms(execute));
}
