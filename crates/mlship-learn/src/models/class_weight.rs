//! scikit-learn's `class_weight="balanced"` (`compute_class_weight`): each
//! class present in the target weighs `n / (k · count)`, `k` the number of
//! classes present, so that every class carries the same total weight. The
//! classifiers that take it (`lr`, `rbfsvm`, `rf`, `et`) turn the per-class
//! weights into per-row sample weights (`lr`, forests) or per-class C (`rbfsvm`).

use crate::params::{DefaultValue, ParamKind, ParamSpec, ParamValue, Params, ParamsExt};
use crate::LearnError;

/// `class_weight` for `lr` and `rbfsvm`: None or "balanced".
pub(crate) const CLASS_WEIGHT: ParamSpec = ParamSpec {
    name: "class_weight",
    kinds: &[ParamKind::Null, ParamKind::Choice(&["balanced"])],
    default: DefaultValue::Null,
    help: "None (every row weighs 1) or \"balanced\" (each class weighs n / (classes · its count))",
};

/// `class_weight` for the forest classifiers.
pub(crate) const FOREST_CLASS_WEIGHT: ParamSpec = ParamSpec {
    name: "class_weight",
    kinds: &[ParamKind::Null, ParamKind::Choice(&["balanced", "balanced_subsample"])],
    default: DefaultValue::Null,
    help: "None, \"balanced\" (weights from the whole target) or \"balanced_subsample\" (recomputed on each \
           tree's bootstrap sample)",
};

/// The preset a model's `class_weight` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClassWeight {
    /// Every row weighs 1.
    Uniform,
    /// `n / (k · count)` from the whole training target.
    Balanced,
    /// A forest's: balanced on each bootstrap sample.
    BalancedSubsample,
}

impl ClassWeight {
    /// The resolved parameter; a model table without `class_weight` (a
    /// regressor) reads as uniform.
    pub(crate) fn from_params(params: &Params) -> Result<Self, LearnError> {
        if !params.contains_key("class_weight") {
            return Ok(ClassWeight::Uniform);
        }
        match params.value("class_weight")? {
            ParamValue::Null => Ok(ClassWeight::Uniform),
            ParamValue::Str(word) if word == "balanced" => Ok(ClassWeight::Balanced),
            ParamValue::Str(word) if word == "balanced_subsample" => Ok(ClassWeight::BalancedSubsample),
            other => Err(LearnError::InvalidOption(format!(
                "parameter \"class_weight\": {other} is not None, \"balanced\" or \"balanced_subsample\""
            ))),
        }
    }
}

/// The balanced weight of each class code below `n_classes`, from rows
/// counted `counts[i]` times (`None`: once each): `total / (k · count)` with
/// `k` the classes counted at least once; a class not counted weighs 0 (as
/// scikit-learn's `compute_sample_weight(indices=…)` zeroes missing classes).
pub(crate) fn balanced(codes: &[usize], counts: Option<&[f64]>, n_classes: usize) -> Vec<f64> {
    let mut per_class = vec![0.0; n_classes];
    for (row, &code) in codes.iter().enumerate() {
        if let Some(total) = per_class.get_mut(code) {
            *total += counts.map_or(1.0, |c| c.get(row).copied().unwrap_or(0.0));
        }
    }
    let present = per_class.iter().filter(|&&count| count > 0.0).count() as f64;
    // The counts are whole numbers, so their sum is exact in any order.
    let total: f64 = per_class.iter().sum();
    per_class.iter().map(|&count| if count > 0.0 { total / (present * count) } else { 0.0 }).collect()
}

/// Each row's weight under the balanced weights of the whole target.
pub(crate) fn balanced_rows(codes: &[usize], n_classes: usize) -> Vec<f64> {
    let weights = balanced(codes, None, n_classes);
    codes.iter().map(|&code| weights.get(code).copied().unwrap_or(0.0)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balanced_weights_are_n_over_classes_times_count() {
        // 6 rows: class 0 four times, class 2 twice, class 1 absent.
        let codes = [0, 0, 2, 0, 2, 0];
        assert_eq!(balanced(&codes, None, 3), vec![6.0 / 8.0, 0.0, 6.0 / 4.0]);
        assert_eq!(balanced_rows(&codes, 3), vec![0.75, 0.75, 1.5, 0.75, 1.5, 0.75]);
        // Counted rows (a bootstrap): class 0 drawn 3 times, class 2 once.
        let counts = [2.0, 0.0, 1.0, 1.0, 0.0, 0.0];
        assert_eq!(balanced(&codes, Some(&counts), 3), vec![4.0 / 6.0, 0.0, 4.0 / 2.0]);
        // Every class weighs the same in total.
        let rows = balanced_rows(&codes, 3);
        let total = |class| codes.iter().zip(&rows).filter(|(&c, _)| c == class).map(|(_, w)| w).sum::<f64>();
        assert_eq!(total(0), total(2));
    }
}
