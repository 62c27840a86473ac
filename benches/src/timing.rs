//! Timing in interleaved rounds, for every benchmark of the crate.
//!
//! Contenders are timed in *rounds*: in each round every contender runs once, the order
//! rotating from round to round (the first contender of round r is r mod n), so that
//! drift on a shared, noisy machine (frequency, other builds) spreads over all contenders
//! alike. Before the rounds, each contender makes its warm-up calls. Every call's checksum
//! is checked as [`Check`] says, warm-up calls included, so a wrong result stops the run
//! before (or as soon as) it is timed. Statistics of the samples are in [`crate::stats`].

use crate::stats::{NoSamples, Placed, Samples};
use anyhow::{Context, Result, bail};
use std::time::{Duration, Instant};

/// `d` in milliseconds.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// How a contender's work is timed.
enum Work<'a> {
    /// `batch` calls are timed together; the sample is their mean.
    Timed {
        call: Box<dyn FnMut() -> Result<i64> + 'a>,
        batch: usize,
    },
    /// The call measures itself (a child process, say) and returns its time.
    SelfTimed(Box<dyn FnMut() -> Result<Duration> + 'a>),
}

/// One thing being timed: a closure that does the work once and returns a checksum.
pub struct Contender<'a> {
    /// Row label; also names the contender in errors.
    pub name: String,
    work: Work<'a>,
}

impl<'a> Contender<'a> {
    /// A contender called `name` that runs `call`, which returns its checksum (0 where
    /// there is none).
    pub fn new(name: impl Into<String>, call: impl FnMut() -> Result<i64> + 'a) -> Self {
        Self::batched(name, 1, call)
    }

    /// A contender whose sample is the mean time of `batch` calls of `call`, timed
    /// together (for work of microseconds). The checksum is the last call's.
    pub fn batched(
        name: impl Into<String>,
        batch: usize,
        call: impl FnMut() -> Result<i64> + 'a,
    ) -> Self {
        Contender {
            name: name.into(),
            work: Work::Timed {
                call: Box::new(call),
                batch: batch.max(1),
            },
        }
    }

    /// A contender that times itself: `call` returns how long the work took. It has no
    /// checksum, so [`Check`] does not apply to it.
    pub fn self_timed(
        name: impl Into<String>,
        call: impl FnMut() -> Result<Duration> + 'a,
    ) -> Self {
        Contender {
            name: name.into(),
            work: Work::SelfTimed(Box::new(call)),
        }
    }

    /// Does the work once: its time in ms and its checksum (none if self-timed).
    fn run(&mut self) -> Result<(f64, Option<i64>)> {
        let name = &self.name;
        match &mut self.work {
            Work::Timed { call, batch } => {
                let mut sum = 0;
                let start = Instant::now();
                for _ in 0..*batch {
                    sum = call().with_context(|| name.clone())?;
                }
                let elapsed = start.elapsed();
                Ok((ms(elapsed) / *batch as f64, Some(std::hint::black_box(sum))))
            }
            Work::SelfTimed(call) => Ok((ms(call().with_context(|| name.clone())?), None)),
        }
    }
}

/// What the contenders' checksums must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// All contenders compute the same thing: their checksums must agree, every call.
    Equal,
    /// Every call of every contender must return this checksum.
    Expect(i64),
    /// The contenders do different things (compile vs instantiate): no check.
    None,
}

/// The samples of [`interleaved`] rounds.
#[derive(Clone, Debug)]
pub struct Timed {
    /// Milliseconds per call, per contender (in the order given), one sample per round.
    pub samples: Vec<Samples>,
    /// The common checksum, with [`Check::Equal`] or [`Check::Expect`].
    pub checksum: Option<i64>,
}

/// Runs every contender `warmup` times untimed, then `rounds` interleaved timed rounds;
/// every call's checksum is checked as `check` says. Fails with [`NoSamples`] if `rounds`
/// is 0.
pub fn interleaved(
    contenders: &mut [Contender<'_>],
    warmup: usize,
    rounds: usize,
    check: Check,
) -> Result<Timed> {
    interleaved_with_progress(contenders, warmup, rounds, check, |_| {})
}

/// [`interleaved`], calling `progress(round)` (0-based) before each timed round.
pub fn interleaved_with_progress(
    contenders: &mut [Contender<'_>],
    warmup: usize,
    rounds: usize,
    check: Check,
    mut progress: impl FnMut(usize),
) -> Result<Timed> {
    if rounds == 0 {
        return Err(NoSamples.into());
    }
    let mut expected = match check {
        Check::Expect(sum) => Some(sum),
        Check::Equal | Check::None => None,
    };
    let mut verify = |name: &str, sum: Option<i64>, when: &dyn Fn() -> String| -> Result<()> {
        let Some(sum) = sum.filter(|_| check != Check::None) else {
            return Ok(());
        };
        let want = *expected.get_or_insert(sum);
        if sum != want {
            let whose = match check {
                Check::Expect(_) => "expected",
                _ => "the others returned",
            };
            bail!("{name} returned checksum {sum} {}, {whose} {want}", when());
        }
        Ok(())
    };
    for call in 0..warmup {
        for c in contenders.iter_mut() {
            let (_, sum) = c.run()?;
            verify(&c.name, sum, &|| format!("in warm-up call {}", call + 1))?;
        }
    }
    let n = contenders.len();
    let mut times = vec![Vec::with_capacity(rounds); n];
    for round in 0..rounds {
        progress(round);
        for i in 0..n {
            let k = (round + i) % n;
            let c = &mut contenders[k];
            let (t, sum) = c.run()?;
            times[k].push(t);
            verify(&c.name, sum, &|| format!("in round {}", round + 1))?;
        }
    }
    let samples = times
        .into_iter()
        .map(Samples::new)
        .collect::<Result<Vec<_>, _>>()?;
    let checksum = expected.filter(|_| check != Check::None);
    Ok(Timed { samples, checksum })
}

/// The pooled samples of [`across_placements`].
#[derive(Clone, Debug)]
pub struct PlacedTimes {
    /// The contenders' names, from the first placement.
    pub names: Vec<String>,
    /// Per contender, its samples at every placement.
    pub placed: Vec<Placed>,
    /// The checksum, the same at every placement (unless the check is [`Check::None`]).
    pub checksum: Option<i64>,
}

/// Times the contenders that `build(placement)` returns at every placement in
/// `0..placements`, in interleaved rounds within a placement checked as the returned
/// [`Check`] says (see [`interleaved`]), and pools the samples per contender. Every
/// placement must give the same checksum and the same number of contenders.
pub fn across_placements<'a>(
    placements: usize,
    warmup: usize,
    rounds: usize,
    mut build: impl FnMut(usize) -> Result<(Vec<Contender<'a>>, Check)>,
) -> Result<PlacedTimes> {
    let mut names = Vec::new();
    let mut per_contender: Vec<Vec<Samples>> = Vec::new();
    let mut checksum = None;
    for placement in 0..placements {
        let (mut contenders, check) = build(placement)?;
        if placement == 0 {
            names = contenders.iter().map(|c| c.name.clone()).collect();
            per_contender = vec![Vec::new(); contenders.len()];
        } else if contenders.len() != names.len() {
            bail!("placement {placement} built another number of contenders");
        }
        let timed = interleaved(&mut contenders, warmup, rounds, check)?;
        if let Some(sum) = timed.checksum
            && *checksum.get_or_insert(sum) != sum
        {
            bail!("the checksum changed with the code placement");
        }
        for (all, samples) in per_contender.iter_mut().zip(timed.samples) {
            all.push(samples);
        }
    }
    let placed = per_contender
        .into_iter()
        .map(Placed::new)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(PlacedTimes {
        names,
        placed,
        checksum,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[test]
    fn interleaving_rotates_and_checks() {
        let order = RefCell::new(Vec::new());
        let mut contenders = vec![
            Contender::new("a", || {
                order.borrow_mut().push('a');
                Ok(7)
            }),
            Contender::new("b", || {
                order.borrow_mut().push('b');
                Ok(7)
            }),
        ];
        let timed = interleaved(&mut contenders, 1, 3, Check::Equal).unwrap();
        drop(contenders);
        assert_eq!(timed.checksum, Some(7));
        let counts: Vec<usize> = timed.samples.iter().map(Samples::len).collect();
        assert_eq!(counts, [3, 3]);
        // One warm-up call each in order, then rounds starting with a, b, a.
        assert_eq!(order.into_inner(), ['a', 'b', 'a', 'b', 'b', 'a', 'a', 'b']);

        let mut differing = vec![Contender::new("x", || Ok(1)), Contender::new("y", || Ok(2))];
        assert!(interleaved(&mut differing, 0, 1, Check::Equal).is_err());
        let unchecked = interleaved(&mut differing, 0, 1, Check::None).unwrap();
        assert_eq!(unchecked.checksum, None);
    }

    #[test]
    fn an_expected_checksum_is_checked_from_the_first_warm_up_call() {
        let calls = RefCell::new(0);
        let mut wrong = vec![Contender::new("w", || {
            *calls.borrow_mut() += 1;
            Ok(5)
        })];
        let err = interleaved(&mut wrong, 2, 3, Check::Expect(6)).unwrap_err();
        drop(wrong);
        assert!(err.to_string().contains("in warm-up call 1"), "{err}");
        assert_eq!(calls.into_inner(), 1, "nothing runs after the wrong result");
        let mut right = vec![Contender::new("r", || Ok(6))];
        let timed = interleaved(&mut right, 0, 2, Check::Expect(6)).unwrap();
        assert_eq!(timed.checksum, Some(6));
    }

    #[test]
    fn no_rounds_is_an_error_not_an_empty_sample() {
        let mut one = vec![Contender::new("a", || Ok(0))];
        let err = interleaved(&mut one, 1, 0, Check::None).unwrap_err();
        assert!(err.downcast_ref::<NoSamples>().is_some(), "{err}");
    }

    #[test]
    fn batches_and_self_timed_contenders() {
        let calls = RefCell::new(0);
        let mut contenders = vec![
            Contender::batched("batch", 4, || {
                *calls.borrow_mut() += 1;
                Ok(0)
            }),
            Contender::self_timed("child", || Ok(Duration::from_millis(250))),
        ];
        let progress = RefCell::new(Vec::new());
        let timed = interleaved_with_progress(&mut contenders, 1, 2, Check::Equal, |r| {
            progress.borrow_mut().push(r)
        })
        .unwrap();
        drop(contenders);
        assert_eq!(
            calls.into_inner(),
            4 * 3,
            "a warm-up batch and two timed ones"
        );
        assert_eq!(timed.samples[1].values(), [250.0, 250.0]);
        assert_eq!(progress.into_inner(), [0, 1]);
        // The self-timed contender has no checksum to compare.
        assert_eq!(timed.checksum, Some(0));
    }

    #[test]
    fn placements_pool_and_must_agree() {
        let timed = across_placements(3, 0, 2, |p| {
            let contenders = vec![
                Contender::new("a", || Ok(1)),
                Contender::new(format!("b{p}"), || Ok(1)),
            ];
            Ok((contenders, Check::Equal))
        })
        .unwrap();
        assert_eq!(timed.names, ["a", "b0"]);
        assert_eq!(timed.checksum, Some(1));
        assert_eq!(timed.placed[1].per_placement().len(), 3);
        assert_eq!(timed.placed[1].all().len(), 6);

        let changing = across_placements(2, 0, 1, |p| {
            let sum = p as i64;
            Ok((vec![Contender::new("a", move || Ok(sum))], Check::Equal))
        });
        let err = changing.unwrap_err().to_string();
        assert!(err.contains("changed with the code placement"), "{err}");
    }
}
