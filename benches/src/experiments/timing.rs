//! Timing for the experiments: interleaved rounds, medians, spreads.
//!
//! Every experiment times its contenders in *rounds*: in each round every contender runs
//! once, the order rotating from round to round, so that drift on a shared, noisy machine
//! (frequency, other builds) spreads over all contenders alike. Results are medians; the
//! interquartile range relative to the median is reported as the noise.

use anyhow::{Result, bail};
use std::time::{Duration, Instant};

/// One thing being timed: a closure that does the work once and returns a checksum.
pub struct Contender<'a> {
    /// Row label.
    pub name: String,
    /// Does the work once; returns the checksum (0 where there is none).
    pub call: Box<dyn FnMut() -> Result<i64> + 'a>,
}

impl<'a> Contender<'a> {
    /// A contender called `name` that runs `call`.
    pub fn new(name: impl Into<String>, call: impl FnMut() -> Result<i64> + 'a) -> Self {
        Contender {
            name: name.into(),
            call: Box::new(call),
        }
    }
}

/// Whether every contender must return the same checksum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// All contenders compute the same thing: their checksums must agree, every call.
    Equal,
    /// The contenders do different things (compile vs instantiate): no check.
    None,
}

/// Runs every contender `warmup` times untimed, then `rounds` interleaved timed rounds
/// (the first contender of round r is r mod n). Returns the times in milliseconds,
/// per contender, and the common checksum (with [`Check::Equal`]).
pub fn interleaved(
    contenders: &mut [Contender<'_>],
    warmup: usize,
    rounds: usize,
    check: Check,
) -> Result<(Vec<Vec<f64>>, Option<i64>)> {
    let n = contenders.len();
    let mut expected = None;
    let mut verify = |name: &str, sum: i64| -> Result<()> {
        if check == Check::Equal {
            let want = *expected.get_or_insert(sum);
            if sum != want {
                bail!("{name} returned checksum {sum}, the others {want}");
            }
        }
        Ok(())
    };
    for _ in 0..warmup {
        for c in contenders.iter_mut() {
            let sum = (c.call)()?;
            verify(&c.name, sum)?;
        }
    }
    let mut times = vec![Vec::with_capacity(rounds); n];
    for round in 0..rounds {
        for i in 0..n {
            let k = (round + i) % n;
            let c = &mut contenders[k];
            let start = Instant::now();
            let sum = (c.call)()?;
            let elapsed = start.elapsed();
            times[k].push(ms(elapsed));
            verify(&c.name, std::hint::black_box(sum))?;
        }
    }
    Ok((times, expected))
}

/// `d` in milliseconds.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The q-quantile (linear interpolation) of `xs`; NaN for an empty slice.
pub fn quantile(xs: &[f64], q: f64) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let mut sorted = xs.to_vec();
    sorted.sort_by(f64::total_cmp);
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// The median of `xs`.
pub fn median(xs: &[f64]) -> f64 {
    quantile(xs, 0.5)
}

/// Interquartile range relative to the median.
pub fn noise(xs: &[f64]) -> f64 {
    (quantile(xs, 0.75) - quantile(xs, 0.25)) / median(xs)
}

/// Samples of one contender gathered at several code placements (see
/// [`crate::place`]): one vector per placement.
#[derive(Clone, Debug, Default)]
pub struct Placed {
    /// Milliseconds, per placement.
    pub per_placement: Vec<Vec<f64>>,
}

impl Placed {
    /// Every sample, all placements pooled.
    pub fn all(&self) -> Vec<f64> {
        self.per_placement.concat()
    }
    /// Median over all placements pooled.
    pub fn median(&self) -> f64 {
        median(&self.all())
    }
    /// Interquartile range relative to the median, all placements pooled.
    pub fn noise(&self) -> f64 {
        noise(&self.all())
    }
    /// The slowest placement's median over the fastest's, minus one: how much code
    /// placement alone moved this contender.
    pub fn placement_effect(&self) -> f64 {
        let medians: Vec<f64> = self.per_placement.iter().map(|t| median(t)).collect();
        let max = medians.iter().copied().fold(f64::MIN, f64::max);
        let min = medians.iter().copied().fold(f64::MAX, f64::min);
        max / min - 1.0
    }
}

/// The median over rounds of `a`'s time divided by `b`'s time *in the same round* (all
/// placements): the two ran back to back, so load that slows both alike cancels out.
/// Needs samples from the same [`interleaved`] runs (equal lengths per placement).
pub fn paired_ratio(a: &Placed, b: &Placed) -> f64 {
    let ratios: Vec<f64> = a
        .per_placement
        .iter()
        .zip(&b.per_placement)
        .flat_map(|(x, y)| x.iter().zip(y).map(|(x, y)| x / y))
        .collect();
    median(&ratios)
}

/// Times the contenders that `build(placement)` returns at every placement in
/// `0..placements` (interleaved rounds within a placement; see [`interleaved`]) and pools
/// the samples per contender. Every placement must give the same checksum.
pub fn across_placements<'a>(
    placements: usize,
    warmup: usize,
    rounds: usize,
    mut build: impl FnMut(usize) -> Result<Vec<Contender<'a>>>,
) -> Result<(Vec<String>, Vec<Placed>, Option<i64>)> {
    let mut names = Vec::new();
    let mut placed: Vec<Placed> = Vec::new();
    let mut checksum = None;
    for placement in 0..placements {
        let mut contenders = build(placement)?;
        if placed.is_empty() {
            names = contenders.iter().map(|c| c.name.clone()).collect();
            placed = vec![Placed::default(); contenders.len()];
        }
        let (times, sum) = interleaved(&mut contenders, warmup, rounds, Check::Equal)?;
        if let Some(sum) = sum
            && *checksum.get_or_insert(sum) != sum
        {
            bail!("the checksum changed with the code placement");
        }
        for (p, t) in placed.iter_mut().zip(times) {
            p.per_placement.push(t);
        }
    }
    Ok((names, placed, checksum))
}
