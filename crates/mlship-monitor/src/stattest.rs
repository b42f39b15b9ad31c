//! Drift tests between a reference and a current sample of one column.
//!
//! PLACEHOLDER with the final API: approximate statistics, replaced by the
//! Evidently-parity implementation (h/stattest).

#![allow(missing_docs, clippy::cast_precision_loss)]

use std::collections::BTreeMap;
use thiserror::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatTest {
    Ks,
    ChiSquare,
    ZTest,
    Wasserstein,
    JensenShannon,
    Psi,
}

#[derive(Debug, Error)]
pub enum StatTestError {
    #[error("unknown stattest \"{0}\" (known: ks, chisquare, z, wasserstein, jensenshannon, psi)")]
    Unknown(String),
    #[error("{0}")]
    Invalid(String),
}

const ALL: [StatTest; 6] =
    [StatTest::Ks, StatTest::ChiSquare, StatTest::ZTest, StatTest::Wasserstein, StatTest::JensenShannon, StatTest::Psi];

impl StatTest {
    pub fn name(self) -> &'static str {
        match self {
            StatTest::Ks => "ks",
            StatTest::ChiSquare => "chisquare",
            StatTest::ZTest => "z",
            StatTest::Wasserstein => "wasserstein",
            StatTest::JensenShannon => "jensenshannon",
            StatTest::Psi => "psi",
        }
    }
    pub fn from_name(name: &str) -> Result<Self, StatTestError> {
        ALL.into_iter().find(|t| t.name() == name).ok_or_else(|| StatTestError::Unknown(name.to_string()))
    }
    pub fn default_threshold(self) -> f64 {
        if self.is_p_value() {
            0.05
        } else {
            0.1
        }
    }
    pub fn is_p_value(self) -> bool {
        matches!(self, StatTest::Ks | StatTest::ChiSquare | StatTest::ZTest)
    }
    pub fn display_name(self) -> &'static str {
        match self {
            StatTest::Ks => "K-S p_value",
            StatTest::ChiSquare => "chi-square p_value",
            StatTest::ZTest => "Z-test p_value",
            StatTest::Wasserstein => "Wasserstein distance (normed)",
            StatTest::JensenShannon => "Jensen-Shannon distance",
            StatTest::Psi => "PSI",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Numeric,
    Categorical,
}

pub enum Sample<'a> {
    Numeric(&'a [f64]),
    Categorical(&'a [(String, u64)]),
}

#[derive(Debug, Clone, PartialEq)]
pub struct TestResult {
    pub test: StatTest,
    pub statistic: f64,
    pub p_value: Option<f64>,
    pub score: f64,
    pub threshold: f64,
    pub drift: bool,
}

fn counts(sample: &Sample<'_>) -> BTreeMap<String, f64> {
    let mut map = BTreeMap::new();
    match sample {
        Sample::Numeric(values) => {
            for v in *values {
                *map.entry(v.to_string()).or_insert(0.0) += 1.0;
            }
        }
        Sample::Categorical(pairs) => {
            for (k, n) in *pairs {
                *map.entry(k.clone()).or_insert(0.0) += *n as f64;
            }
        }
    }
    map
}

fn n_unique(reference: &Sample<'_>, current: &Sample<'_>) -> usize {
    let mut all = counts(reference);
    all.extend(counts(current));
    all.len()
}

pub fn default_test(kind: ColumnKind, reference_rows: usize, reference: &Sample<'_>, current: &Sample<'_>) -> StatTest {
    let n_values = n_unique(reference, current);
    let categorical = kind == ColumnKind::Categorical || n_values <= 5;
    if reference_rows <= 1000 {
        if categorical {
            return if n_values > 2 { StatTest::ChiSquare } else { StatTest::ZTest };
        }
        return StatTest::Ks;
    }
    if categorical {
        StatTest::JensenShannon
    } else {
        StatTest::Wasserstein
    }
}

fn numeric<'a>(sample: &Sample<'a>) -> Result<&'a [f64], StatTestError> {
    match sample {
        Sample::Numeric(v) if !v.is_empty() => Ok(v),
        Sample::Numeric(_) => Err(StatTestError::Invalid("no values".into())),
        Sample::Categorical(_) => Err(StatTestError::Invalid("needs numbers".into())),
    }
}

fn proportions(reference: &Sample<'_>, current: &Sample<'_>) -> (Vec<f64>, Vec<f64>) {
    let r = counts(reference);
    let c = counts(current);
    let keys: std::collections::BTreeSet<&String> = r.keys().chain(c.keys()).collect();
    let rt: f64 = r.values().sum();
    let ct: f64 = c.values().sum();
    keys.into_iter()
        .map(|k| (r.get(k).copied().unwrap_or(0.0) / rt.max(1.0), c.get(k).copied().unwrap_or(0.0) / ct.max(1.0)))
        .unzip()
}

fn binned(kind: ColumnKind, reference: &Sample<'_>, current: &Sample<'_>) -> Result<(Vec<f64>, Vec<f64>), StatTestError> {
    if kind == ColumnKind::Categorical {
        return Ok(proportions(reference, current));
    }
    let (r, c) = (numeric(reference)?, numeric(current)?);
    let lo = r.iter().chain(c).copied().fold(f64::INFINITY, f64::min);
    let hi = r.iter().chain(c).copied().fold(f64::NEG_INFINITY, f64::max);
    let bins = 30;
    let width = if hi > lo { (hi - lo) / bins as f64 } else { 1.0 };
    let hist = |v: &[f64]| {
        let mut h = vec![0.0; bins];
        for x in v {
            let i = (((x - lo) / width) as usize).min(bins - 1);
            h[i] += 1.0;
        }
        h.iter().map(|n| (n / v.len() as f64).max(0.0001)).collect::<Vec<_>>()
    };
    Ok((hist(r), hist(c)))
}

pub fn psi(kind: ColumnKind, reference: &Sample<'_>, current: &Sample<'_>) -> Result<f64, StatTestError> {
    let (r, c) = binned(kind, reference, current)?;
    Ok(r.iter().zip(&c).map(|(r, c)| (r.max(0.0001) - c.max(0.0001)) * (r.max(0.0001) / c.max(0.0001)).ln()).sum())
}

pub fn run(
    test: StatTest,
    threshold: Option<f64>,
    kind: ColumnKind,
    reference: &Sample<'_>,
    current: &Sample<'_>,
) -> Result<TestResult, StatTestError> {
    let threshold = threshold.unwrap_or(test.default_threshold());
    let (statistic, p_value) = match test {
        StatTest::Ks => {
            let (mut r, mut c) = (numeric(reference)?.to_vec(), numeric(current)?.to_vec());
            r.sort_by(f64::total_cmp);
            c.sort_by(f64::total_cmp);
            let (mut i, mut j, mut d) = (0, 0, 0.0f64);
            while i < r.len() && j < c.len() {
                let x = r[i].min(c[j]);
                while i < r.len() && r[i] <= x {
                    i += 1;
                }
                while j < c.len() && c[j] <= x {
                    j += 1;
                }
                d = d.max((i as f64 / r.len() as f64 - j as f64 / c.len() as f64).abs());
            }
            let en = (r.len() * c.len()) as f64 / (r.len() + c.len()) as f64;
            let lambda = en.sqrt() * d;
            let p: f64 = (1..100).map(|k| 2.0 * (-1f64).powi(k - 1) * (-2.0 * f64::from(k * k) * lambda * lambda).exp()).sum();
            (d, Some(p.clamp(0.0, 1.0)))
        }
        StatTest::ChiSquare | StatTest::ZTest => {
            let (r, c) = proportions(reference, current);
            let n: f64 = counts(current).values().sum();
            let stat: f64 = r.iter().zip(&c).filter(|(r, _)| **r > 0.0).map(|(r, c)| n * (c - r).powi(2) / r).sum();
            let k = (r.len().max(2) - 1) as f64;
            let z = ((stat / k).cbrt() - (1.0 - 2.0 / (9.0 * k))) / (2.0 / (9.0 * k)).sqrt();
            (stat, Some(0.5 * erfc(z / std::f64::consts::SQRT_2)))
        }
        StatTest::Wasserstein => {
            let (r, c) = (numeric(reference)?, numeric(current)?);
            let mean = r.iter().sum::<f64>() / r.len() as f64;
            let std = (r.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / r.len() as f64).sqrt();
            let (mut rs, mut cs) = (r.to_vec(), c.to_vec());
            rs.sort_by(f64::total_cmp);
            cs.sort_by(f64::total_cmp);
            let steps = 2000;
            let q = |v: &[f64], p: f64| v[((p * v.len() as f64) as usize).min(v.len() - 1)];
            let w = (0..steps).map(|i| (q(&rs, (i as f64 + 0.5) / steps as f64) - q(&cs, (i as f64 + 0.5) / steps as f64)).abs()).sum::<f64>() / steps as f64;
            (w / std.max(f64::EPSILON), None)
        }
        StatTest::JensenShannon => {
            let (r, c) = binned(kind, reference, current)?;
            let kl = |a: &[f64], b: &[f64]| a.iter().zip(b).filter(|(a, _)| **a > 0.0).map(|(a, b)| a * (a / b).ln()).sum::<f64>();
            let m: Vec<f64> = r.iter().zip(&c).map(|(a, b)| (a + b) / 2.0).collect();
            (((kl(&r, &m) + kl(&c, &m)) / 2.0).max(0.0).sqrt(), None)
        }
        StatTest::Psi => (psi(kind, reference, current)?, None),
    };
    let score = p_value.unwrap_or(statistic);
    let drift = if test.is_p_value() { score < threshold } else { score >= threshold };
    Ok(TestResult { test, statistic, p_value, score, threshold, drift })
}

fn erfc(x: f64) -> f64 {
    let t = 1.0 / (1.0 + 0.5 * x.abs());
    let y = t * (-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628288 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))).exp();
    if x >= 0.0 {
        y
    } else {
        2.0 - y
    }
}
