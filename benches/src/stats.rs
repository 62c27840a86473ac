//! Statistics of timing samples, for every benchmark of the crate: quantiles with linear
//! interpolation, medians, the interquartile range relative to the median ("noise"), how
//! much code placement moved a contender, paired ratios and geometric means.
//!
//! The free functions take any slice and answer `None` for an empty one. [`Samples`] and
//! [`Placed`] cannot be empty (their constructors return [`NoSamples`] instead), so their
//! statistics are plain numbers: no NaN from an empty run, no panic.

use serde::Serialize;

/// The error of building [`Samples`] or [`Placed`] from nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoSamples;

impl std::fmt::Display for NoSamples {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("no samples: at least one timed round is needed")
    }
}

impl std::error::Error for NoSamples {}

/// The q-quantile of `values` (linear interpolation between the two nearest ranks; `q`
/// clamped to 0..=1), or `None` if there are no values.
pub fn quantile(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    Some(sorted_quantile(&sorted, q))
}

/// The median of `values`: the middle value of an odd count, the mean of the two middle
/// values of an even count; `None` if there are no values.
pub fn median(values: &[f64]) -> Option<f64> {
    quantile(values, 0.5)
}

/// The geometric mean of `values`, or `None` if there are none.
pub fn geomean(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values
        .into_iter()
        .fold((0.0, 0usize), |(s, n), x| (s + x.ln(), n + 1));
    (n > 0).then(|| (sum / n as f64).exp())
}

/// The q-quantile of non-empty, sorted `sorted`.
fn sorted_quantile(sorted: &[f64], q: f64) -> f64 {
    debug_assert!(!sorted.is_empty());
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// A non-empty list of samples (milliseconds per call, or ratios), in the order they were
/// taken. Serialized as a plain JSON array.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Samples(Vec<f64>);

impl Samples {
    /// `values` as samples, or [`NoSamples`] if it is empty.
    pub fn new(values: Vec<f64>) -> Result<Samples, NoSamples> {
        if values.is_empty() {
            Err(NoSamples)
        } else {
            Ok(Samples(values))
        }
    }

    /// The samples, in the order taken.
    pub fn values(&self) -> &[f64] {
        &self.0
    }

    /// How many samples there are (at least one).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false: samples are never empty (for clippy's `len_without_is_empty`).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The q-quantile (see [`quantile`]).
    pub fn quantile(&self, q: f64) -> f64 {
        let mut sorted = self.0.clone();
        sorted.sort_by(f64::total_cmp);
        sorted_quantile(&sorted, q)
    }

    /// The median (see [`median`]).
    pub fn median(&self) -> f64 {
        self.quantile(0.5)
    }

    /// The fastest (smallest) sample.
    pub fn min(&self) -> f64 {
        self.0.iter().copied().fold(f64::INFINITY, f64::min)
    }

    /// The interquartile range relative to the median: how noisy the samples are.
    pub fn noise(&self) -> f64 {
        (self.quantile(0.75) - self.quantile(0.25)) / self.median()
    }

    /// The ratios `self[i] / other[i]` of samples taken in the same round (as far as the
    /// shorter list goes): load that slowed both alike in a round cancels out.
    pub fn paired_ratios(&self, other: &Samples) -> Samples {
        // Both lists are non-empty, so their pairs are too.
        Samples(self.0.iter().zip(&other.0).map(|(a, b)| a / b).collect())
    }

    /// Every sample of `lists`, pooled in order; `None` if `lists` is empty.
    pub fn pooled<'a>(lists: impl IntoIterator<Item = &'a Samples>) -> Option<Samples> {
        let values: Vec<f64> = lists
            .into_iter()
            .flat_map(|s| s.values())
            .copied()
            .collect();
        Samples::new(values).ok()
    }
}

/// The samples of one contender gathered at several code placements (see
/// [`crate::place`]): one non-empty list per placement, at least one placement.
#[derive(Clone, Debug, PartialEq)]
pub struct Placed {
    per_placement: Vec<Samples>,
    all: Samples,
}

impl Placed {
    /// The samples of each placement, in placement order; [`NoSamples`] if there are none.
    pub fn new(per_placement: Vec<Samples>) -> Result<Placed, NoSamples> {
        let all = Samples::pooled(&per_placement).ok_or(NoSamples)?;
        Ok(Placed { per_placement, all })
    }

    /// The samples of each placement.
    pub fn per_placement(&self) -> &[Samples] {
        &self.per_placement
    }

    /// Every sample, all placements pooled.
    pub fn all(&self) -> &Samples {
        &self.all
    }

    /// The median over all placements pooled.
    pub fn median(&self) -> f64 {
        self.all.median()
    }

    /// The interquartile range relative to the median, all placements pooled.
    pub fn noise(&self) -> f64 {
        self.all.noise()
    }

    /// The slowest placement's median over the fastest's, minus one: how much code
    /// placement alone moved this contender.
    pub fn placement_effect(&self) -> f64 {
        let medians = self.per_placement.iter().map(Samples::median);
        let (min, max) = medians.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), m| {
            (lo.min(m), hi.max(m))
        });
        max / min - 1.0
    }

    /// The median over rounds of `self`'s time divided by `other`'s time *in the same
    /// round* (all placements): the two ran back to back, so load that slows both alike
    /// cancels out. Meant for samples of the same interleaved rounds.
    pub fn paired_ratio(&self, other: &Placed) -> f64 {
        let ratios: Vec<f64> = self
            .per_placement
            .iter()
            .zip(&other.per_placement)
            .flat_map(|(a, b)| a.paired_ratios(b).0)
            .collect();
        // Both have at least one non-empty placement: at least one ratio.
        Samples(ratios).median()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples(values: &[f64]) -> Samples {
        Samples::new(values.to_vec()).unwrap()
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        // Even: the mean of the two middle values, not the upper one.
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[7.0]), Some(7.0));
        assert_eq!(samples(&[10.0, 30.0]).median(), 20.0);
    }

    #[test]
    fn quantile_edges_and_interpolation() {
        let xs = [4.0, 1.0, 3.0, 2.0];
        assert_eq!(quantile(&xs, 0.0), Some(1.0));
        assert_eq!(quantile(&xs, 1.0), Some(4.0));
        assert_eq!(quantile(&xs, 0.25), Some(1.75));
        assert_eq!(quantile(&xs, 0.75), Some(3.25));
        // Outside 0..=1: the extremes, never an index out of bounds.
        assert_eq!(quantile(&xs, -1.0), Some(1.0));
        assert_eq!(quantile(&xs, 2.0), Some(4.0));
        assert_eq!(quantile(&[5.0], 0.9), Some(5.0));
    }

    #[test]
    fn empty_input_is_none_or_an_error_never_nan() {
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(median(&[]), None);
        assert_eq!(geomean([]), None);
        assert_eq!(Samples::new(Vec::new()), Err(NoSamples));
        assert_eq!(Samples::pooled([]), None);
        assert_eq!(Placed::new(Vec::new()), Err(NoSamples));
    }

    #[test]
    fn geomean_of_ratios() {
        assert_eq!(geomean([4.0]), Some(4.0));
        let g = geomean([2.0, 8.0]).unwrap();
        assert!((g - 4.0).abs() < 1e-12, "{g}");
    }

    #[test]
    fn noise_and_min() {
        let s = samples(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        // Quartiles 2 and 4 around the median 3.
        assert_eq!(s.noise(), 2.0 / 3.0);
        assert_eq!(s.min(), 1.0);
        assert_eq!(s.len(), 5);
    }

    #[test]
    fn placements_pool_and_compare() {
        let placed = Placed::new(vec![samples(&[1.0, 1.0, 1.0]), samples(&[2.0])]).unwrap();
        assert_eq!(placed.all().values(), [1.0, 1.0, 1.0, 2.0]);
        assert_eq!(placed.median(), 1.0);
        // The slower placement's median is twice the faster's.
        assert_eq!(placed.placement_effect(), 1.0);
    }

    #[test]
    fn paired_ratio_pairs_rounds() {
        // Load doubles both in round 2: the per-round ratio stays 0.5, which the medians
        // of the two alone would not show.
        let a = Placed::new(vec![samples(&[1.0, 2.0, 1.0]), samples(&[3.0])]).unwrap();
        let b = Placed::new(vec![samples(&[2.0, 4.0, 2.0]), samples(&[6.0])]).unwrap();
        assert_eq!(a.paired_ratio(&b), 0.5);
        assert_eq!(b.paired_ratio(&a), 2.0);
    }
}
