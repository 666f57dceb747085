//! The benchmark's report: pass rates by set and category, and unwanted bookings.

use std::collections::BTreeMap;
use std::fmt;

use super::play::Outcome;

/// Pass rates of a run of the benchmark.
#[derive(Debug, Clone)]
pub struct Report {
    /// (set, category) → (passed, played, unwanted bookings).
    by_category: BTreeMap<(String, String), (usize, usize, usize)>,
    /// (set, language) → (passed, played).
    by_language: BTreeMap<(String, String), (usize, usize)>,
    /// set → (passed, played, unwanted bookings).
    by_set: BTreeMap<String, (usize, usize, usize)>,
}

impl Report {
    /// The report of `outcomes`.
    pub fn new(outcomes: &[Outcome]) -> Report {
        let mut report = Report {
            by_category: BTreeMap::new(),
            by_language: BTreeMap::new(),
            by_set: BTreeMap::new(),
        };
        for o in outcomes {
            let passed = usize::from(o.passed());
            let c = report
                .by_category
                .entry((o.set.clone(), o.category.clone()))
                .or_default();
            *c = (c.0 + passed, c.1 + 1, c.2 + o.unwanted);
            let l = report
                .by_language
                .entry((o.set.clone(), o.lang.clone()))
                .or_default();
            *l = (l.0 + passed, l.1 + 1);
            let s = report.by_set.entry(o.set.clone()).or_default();
            *s = (s.0 + passed, s.1 + 1, s.2 + o.unwanted);
        }
        report
    }

    /// The pass rate of `set`, from 0 to 1 (0 when it is empty).
    pub fn pass_rate(&self, set: &str) -> f64 {
        self.by_set
            .get(set)
            .map_or(0.0, |&(passed, played, _)| ratio(passed, played))
    }

    /// Unwanted bookings in `category`, over every set.
    pub fn unwanted_in(&self, category: &str) -> usize {
        self.by_category
            .iter()
            .filter(|((_, c), _)| c == category)
            .map(|(_, counts)| counts.2)
            .sum()
    }

    /// Unwanted bookings over every set.
    pub fn unwanted(&self) -> usize {
        self.by_set.values().map(|s| s.2).sum()
    }
}

fn ratio(passed: usize, played: usize) -> f64 {
    if played == 0 {
        0.0
    } else {
        passed as f64 / played as f64
    }
}

fn rate(f: &mut fmt::Formatter<'_>, label: &str, (passed, played): (usize, usize)) -> fmt::Result {
    writeln!(
        f,
        "  {label:<26} {passed:>3}/{played:<3} {:>5.1}%",
        100.0 * ratio(passed, played)
    )
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (set, &(passed, played, unwanted)) in &self.by_set {
            writeln!(
                f,
                "{set}: {passed}/{played} passed ({:.1}%), unwanted bookings: {unwanted}",
                100.0 * ratio(passed, played)
            )?;
            for ((s, category), &(passed, played, unwanted)) in &self.by_category {
                if s == set {
                    let label = if unwanted > 0 {
                        format!("{category} ({unwanted} unwanted)")
                    } else {
                        category.clone()
                    };
                    rate(f, &label, (passed, played))?;
                }
            }
            for ((s, lang), &counts) in &self.by_language {
                if s == set {
                    rate(f, &format!("lang {lang}"), counts)?;
                }
            }
        }
        writeln!(f, "unwanted bookings: {}", self.unwanted())
    }
}
