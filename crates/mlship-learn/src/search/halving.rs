//! The schedule of scikit-learn's `HalvingRandomSearchCV` with its defaults
//! (`factor=3`, `resource="n_samples"`, `min_resources="smallest"`,
//! `max_resources="auto"`, `n_candidates="exhaust"`, no aggressive
//! elimination): round `r` scores the surviving candidates on
//! `min_resources · 3^r` rows and keeps the best third (rounded up).

use crate::LearnError;

/// How many candidates start, and how many rows each round gives them.
#[derive(Debug, Clone, PartialEq)]
pub struct HalvingSchedule {
    /// `factor`: each round keeps 1/factor of the candidates on factor× the rows.
    pub factor: usize,
    /// The rows of the first round: 2 × folds (× classes for a classifier).
    pub min_resources: usize,
    /// Every training row.
    pub max_resources: usize,
    /// Candidates drawn for the first round (`max_resources // min_resources`).
    pub n_candidates: usize,
    /// How many rounds the rows allow.
    pub n_possible_rounds: usize,
}

/// `1 + floor(log_factor(value))` in whole numbers (scikit-learn computes it in floats).
fn rounds_for(value: usize, factor: usize) -> usize {
    let (mut rounds, mut power) = (1, factor);
    while power <= value {
        rounds += 1;
        power = power.saturating_mul(factor);
    }
    rounds
}

impl HalvingSchedule {
    /// The schedule for `n_samples` training rows cut into `n_folds` folds;
    /// `n_classes` is 0 for regression. Too few rows for two rounds is an error.
    pub fn new(n_samples: usize, n_folds: usize, n_classes: usize) -> Result<Self, LearnError> {
        let factor = 3;
        let min_resources = 2 * n_folds * n_classes.max(1);
        if n_samples < min_resources * factor {
            return Err(LearnError::TooFewRows(format!(
                "--search halving needs at least {} training rows (2 × {n_folds} folds{} × factor {factor}, so that a \
                 second round has more rows than the first); this training split has {n_samples}: use --search random",
                min_resources * factor,
                if n_classes > 1 { format!(" × {n_classes} classes") } else { String::new() },
            )));
        }
        let n_candidates = n_samples / min_resources;
        Ok(HalvingSchedule {
            factor,
            min_resources,
            max_resources: n_samples,
            n_candidates,
            n_possible_rounds: rounds_for(n_candidates, factor),
        })
    }

    /// The rounds run for `n_drawn` candidates: as many as needed to leave
    /// one, as many as the rows allow.
    pub fn n_rounds(&self, n_drawn: usize) -> usize {
        rounds_for(n_drawn.max(1), self.factor).min(self.n_possible_rounds)
    }

    /// The rows of round `round`.
    pub fn resources(&self, round: usize) -> usize {
        let power = self.factor.checked_pow(round as u32).unwrap_or(usize::MAX);
        self.min_resources.saturating_mul(power).min(self.max_resources)
    }

    /// How many of `n` candidates go on to the next round.
    pub fn keep(&self, n: usize) -> usize {
        n.div_ceil(self.factor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insurance_with_ten_folds_runs_scikit_learns_schedule() {
        // HalvingRandomSearchCV(cv=10) on 936 rows: min_resources_ 20, 46 candidates,
        // n_resources_ [20, 60, 180, 540], n_candidates_ [46, 16, 6, 2].
        let schedule = HalvingSchedule::new(936, 10, 0).unwrap();
        assert_eq!((schedule.min_resources, schedule.n_candidates), (20, 46));
        assert_eq!(schedule.n_rounds(46), 4);
        assert_eq!((0..4).map(|r| schedule.resources(r)).collect::<Vec<_>>(), vec![20, 60, 180, 540]);
        let mut alive = 46;
        let mut kept = vec![alive];
        for _ in 1..4 {
            alive = schedule.keep(alive);
            kept.push(alive);
        }
        assert_eq!(kept, vec![46, 16, 6, 2]);
    }

    #[test]
    fn too_few_rows_for_two_rounds_is_an_error_naming_the_need() {
        let error = HalvingSchedule::new(100, 10, 3).unwrap_err().to_string();
        assert!(error.contains("at least 180 training rows") && error.contains("has 100"), "{error}");
        assert!(HalvingSchedule::new(180, 10, 3).is_ok());
    }
}
