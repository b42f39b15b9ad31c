//! The monitoring report in a real browser (Debian's Chromium, headless,
//! JavaScript off, opened from a file: it must stand alone offline): the
//! verdict banner, one row per column with its test and verdict, a chart per
//! tested column, new categories and problems shown, and nothing fetched.

#![allow(clippy::unwrap_used)]

use fantoccini::Locator;
use mlship_monitor::drift::{column_drift, data_drift, DriftOptions};
use mlship_monitor::profile::{categorical_profile, numeric_profile, ColumnProfile};
use mlship_monitor::report::{DataInfo, ModelInfo, MonitorReport};
use mlship_testkit::Chromedriver;

fn numbers(name: &str, values: impl Iterator<Item = f64>) -> ColumnProfile {
    let values: Vec<f64> = values.collect();
    numeric_profile(name, values.len(), values, usize::MAX)
}

fn levels(name: &str, counts: &[(&str, u64)]) -> ColumnProfile {
    let n = counts.iter().map(|(_, n)| *n as usize).sum();
    categorical_profile(name, n, 0, counts.iter().map(|(l, n)| ((*l).to_string(), *n)).collect(), usize::MAX)
}

fn report() -> MonitorReport {
    let reference = vec![
        numbers("age", (0..500).map(|i| f64::from(i % 60) + 18.0)),
        levels("region", &[("north", 250), ("south", 250)]),
        numbers("income", (0..500).map(|i| f64::from(i) * 10.0)),
    ];
    let current = vec![
        numbers("age", (0..300).map(|i| f64::from(i % 60) + 40.0)),
        levels("region", &[("north", 100), ("<script>mars</script>", 200)]),
        numbers("income", (0..300).map(|i| f64::from(i) * 10.0 + 3000.0)),
    ];
    let options = DriftOptions::default();
    let data_drift = data_drift(500, &reference, &current, &options).unwrap();
    let prediction = column_drift(
        200,
        &numbers("prediction_label", (0..200).map(f64::from)),
        &numbers("prediction_label", (0..300).map(|i| f64::from(i) + 50.0)),
        &options,
    )
    .unwrap();
    MonitorReport {
        created_at: "2026-12-01T05:00:00Z".into(),
        model: ModelInfo {
            name: "insurance".into(),
            version: "3".into(),
            digest: "ab".repeat(32),
            task: "regression".into(),
        },
        reference: DataInfo {
            source: "the model's profile: training split".into(),
            number_of_rows: 500,
            since: None,
            until: None,
        },
        current: DataInfo { source: "week-48.csv".into(), number_of_rows: 300, since: None, until: None },
        data_drift,
        prediction_drift: Some(prediction),
        target_drift: None,
        performance: None,
        extra_columns: vec!["note".into()],
        notices: vec!["a notice the reader should see".into()],
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_report_reads_offline_in_headless_chromium() {
    let report = report();
    assert!(report.data_drift.dataset_drift);
    let html = report.to_html().unwrap();
    for fetched in ["src=\"http", "href=\"http", "<script", "<link", "@import", "url("] {
        assert!(!html.contains(fetched), "the report must not fetch anything: {fetched}");
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.html");
    std::fs::write(&path, &html).unwrap();

    let driver = Chromedriver::start().await;
    let client = driver.browser(false, 1400).await;
    client.goto(&format!("file://{}", path.display())).await.unwrap();
    let banner = client.find(Locator::Id("dataset-drift")).await.unwrap().text().await.unwrap();
    assert!(banner.starts_with("Dataset drift detected"), "{banner}");
    assert!(banner.contains("3 of 3 columns drifted"), "{banner}");
    let rows = client.find_all(Locator::Css("#columns tbody tr")).await.unwrap();
    assert_eq!(rows.len(), 3);
    let region = client.find(Locator::Css("#columns tr[data-column='region']")).await.unwrap();
    let text = region.text().await.unwrap();
    assert!(text.contains("chi-square p_value") && text.contains("Detected"), "{text}");
    // The new level is shown as text, never run as markup.
    assert!(text.contains("<script>mars</script>"), "{text}");
    let charts = client.find_all(Locator::Css("#columns svg")).await.unwrap();
    assert_eq!(charts.len(), 3, "one chart per tested column");
    let bars = client.find_all(Locator::Css("#columns tr[data-column='age'] rect.cur")).await.unwrap();
    assert_eq!(bars.len(), 20, "twenty bins of current data for a numeric column");
    let prediction = client.find(Locator::Css("#prediction tbody tr")).await.unwrap().text().await.unwrap();
    assert!(prediction.contains("prediction_label"), "{prediction}");
    let page = client.find(Locator::Css("main")).await.unwrap().text().await.unwrap();
    assert!(page.contains("a notice the reader should see") && page.contains("note"), "{page}");
    client.close().await.unwrap();
}
