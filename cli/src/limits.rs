//! `stagec run` limits and capabilities: `--timeout`, `--fuel`, `--max-memory`,
//! `--max-stack`, `--no-compile`.
//!
//! The values are taken as strings and parsed here, so that a bad value is the usual
//! one-line `error: FILE: ...` with exit status 1 rather than a usage error.

use anyhow::{Result, anyhow, bail};
use clap::Args;
use stagec::{Config, Store};
use std::time::Duration;

/// Limits on what the run may use, and the compile capability.
#[derive(Args, Clone, Debug, Default)]
pub struct LimitArgs {
    /// Stop any call (the start function, the invoked function) still running after
    /// DURATION (e.g. 500ms, 2s, 1.5m; a bare number is seconds) with the trap "interrupt".
    #[arg(long, value_name = "DURATION")]
    timeout: Option<String>,
    /// Give the run N units of fuel, one per executed operator; running out traps with
    /// "all fuel consumed".
    #[arg(long, value_name = "N")]
    fuel: Option<String>,
    /// Let no linear memory grow beyond BYTES (K, M, G suffixes are powers of 1024):
    /// memory.grow past it returns -1, and a memory whose minimum exceeds it is an error.
    #[arg(long, value_name = "BYTES")]
    max_memory: Option<String>,
    /// Native stack wasm code may use before "call stack exhausted" (K, M, G suffixes).
    #[arg(long, value_name = "BYTES")]
    max_stack: Option<String>,
    /// Deny compilation from bytes: only precompiled artifacts may be loaded.
    #[arg(long)]
    no_compile: bool,
}

impl LimitArgs {
    /// The engine configuration: `config` with these limits applied.
    pub fn config(&self, config: Config) -> Result<Config> {
        let mut config = config
            .with_interruptible(self.timeout.is_some())
            .with_consume_fuel(self.fuel.is_some())
            .deny_compilation(self.no_compile);
        if let Some(bytes) = &self.max_memory {
            config = config.with_max_memory_bytes(parse_bytes("--max-memory", bytes)?);
        }
        if let Some(bytes) = &self.max_stack {
            let bytes = parse_bytes("--max-stack", bytes)?;
            let bytes = usize::try_from(bytes)
                .map_err(|_| anyhow!("invalid --max-stack `{bytes}`: too large"))?;
            config = config.with_max_wasm_stack(bytes);
        }
        Ok(config)
    }

    /// The wasm stack `--max-stack` asks for, if it parses (to size the thread that runs
    /// wasm code before the flags are checked).
    pub fn max_stack(&self) -> Option<u64> {
        let bytes = self.max_stack.as_deref()?;
        parse_bytes("--max-stack", bytes).ok()
    }

    /// Applies the per-store limits (deadline, fuel) to `store`.
    pub fn apply(&self, store: &mut Store) -> Result<()> {
        if let Some(timeout) = &self.timeout {
            store.set_deadline(parse_duration(timeout)?)?;
        }
        if let Some(fuel) = &self.fuel {
            let fuel = fuel
                .parse::<u64>()
                .map_err(|_| anyhow!("invalid --fuel `{fuel}`: expected a whole number"))?;
            store.set_fuel(fuel)?;
        }
        Ok(())
    }
}

/// A duration: a number with an optional unit `ns`, `us`, `ms`, `s`, `m` or `h`
/// (seconds without one).
fn parse_duration(text: &str) -> Result<Duration> {
    let invalid = || anyhow!("invalid --timeout `{text}`: expected a duration such as 500ms or 2s");
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number.parse().map_err(|_| invalid())?;
    let seconds = match unit {
        "ns" => value / 1e9,
        "us" => value / 1e6,
        "ms" => value / 1e3,
        "" | "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return Err(invalid()),
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| invalid())
}

/// A byte count: a whole number with an optional suffix `K`, `M` or `G` (powers of 1024;
/// also `KB`/`KiB` and lower case).
pub fn parse_bytes(flag: &str, text: &str) -> Result<u64> {
    let invalid = || anyhow!("invalid {flag} `{text}`: expected bytes such as 65536, 64K or 2M");
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let value: u64 = number.parse().map_err(|_| invalid())?;
    let shift = match suffix.to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => return Err(invalid()),
    };
    match value.checked_mul(1 << shift) {
        Some(bytes) => Ok(bytes),
        None => bail!("invalid {flag} `{text}`: too large"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2s").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_duration("2").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_duration("1.5m").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("10us").unwrap(), Duration::from_micros(10));
        for bad in ["", "ms", "5 s", "-1s", "1x", "1e999"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn byte_counts() {
        assert_eq!(parse_bytes("f", "65536").unwrap(), 65536);
        assert_eq!(parse_bytes("f", "64K").unwrap(), 64 << 10);
        assert_eq!(parse_bytes("f", "2m").unwrap(), 2 << 20);
        assert_eq!(parse_bytes("f", "1GiB").unwrap(), 1 << 30);
        for bad in ["", "K", "1.5M", "-1", "1T", "99999999999999999999"] {
            assert!(parse_bytes("f", bad).is_err(), "{bad}");
        }
        assert!(parse_bytes("f", "17179869184G").is_err());
    }
}
