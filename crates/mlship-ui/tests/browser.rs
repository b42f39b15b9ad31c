//! The UI in headless Chromium, clicking as a user would: experiments → runs,
//! sort by a metric header, filter, tick two runs and compare, open a run
//! (plots load, schema shown), and the registry with its alias history. With
//! JavaScript off, since the UI is plain HTML and forms.

// Tests and benches fail by panicking with the value; clippy.toml's test
// allowances do not reach their helper functions.
#![allow(clippy::unwrap_used)]

mod common;

use fantoccini::{Client, Locator};
use mlship_testkit::Chromedriver;
use std::time::Duration;

/// The cells of one column. A click that loads a new page can leave the old
/// page's table found and then gone (a stale element), or no table yet while
/// the new page loads: read again until the new page answers whole. No column
/// this test reads is empty, so an empty read is a page still loading; after
/// five seconds the last read is returned for the assertion to show.
async fn column(client: &Client, table: &str, index: usize) -> Vec<String> {
    let mut last = Vec::new();
    for _ in 0..50 {
        let mut values = Vec::new();
        let cells = client.find_all(Locator::Css(&format!("#{table} tr td:nth-child({index})"))).await;
        if let Ok(cells) = cells {
            let mut stale = false;
            for cell in cells {
                match cell.text().await {
                    Ok(text) => values.push(text),
                    Err(_) => stale = true,
                }
            }
            if !stale && !values.is_empty() {
                return values;
            }
            if !stale {
                last = values;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    last
}

/// The position (1-based) of the header whose link sorts by `key`.
async fn header_index(client: &Client, key: &str) -> usize {
    let headers = client.find_all(Locator::Css("#runs tr th")).await.unwrap();
    for (i, header) in headers.iter().enumerate() {
        if header.text().await.unwrap().starts_with(key) {
            return i + 1;
        }
    }
    panic!("no header {key}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ui_works_in_headless_chromium_without_javascript() {
    let ui = common::start(None).await;
    let driver = Chromedriver::start().await;
    let client = driver.browser(false, 1400).await;

    client.goto(&format!("{}/", ui.base)).await.unwrap();
    client.find(Locator::LinkText("insurance-charges")).await.unwrap().click().await.unwrap();
    client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Id("runs")).await.unwrap();
    assert_eq!(column(&client, "runs", 3).await, ["lasso-123", "ridge-123", "lr-123"], "newest first");

    // Sort by a metric: best first, then reversed on the second click.
    client.find(Locator::Css("a[data-sort='metrics.holdout_r2']")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Id("runs")).await.unwrap();
    assert_eq!(column(&client, "runs", 3).await, ["lr-123", "lasso-123", "ridge-123"]);
    let r2 = header_index(&client, "holdout_r2").await;
    assert_eq!(column(&client, "runs", r2).await, ["0.8556", "0.8550", "0.7394"]);
    client.find(Locator::Css("a[data-sort='metrics.holdout_r2']")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Id("runs")).await.unwrap();
    assert_eq!(column(&client, "runs", 3).await, ["ridge-123", "lasso-123", "lr-123"]);
    // And by a param (they differ between runs, so they are columns).
    client.find(Locator::Css("a[data-sort='params.model']")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Id("runs")).await.unwrap();
    assert_eq!(column(&client, "runs", 3).await, ["lasso-123", "lr-123", "ridge-123"]);

    // Filter, keeping the sort; a mistake is shown next to the box.
    let filter = client.find(Locator::Id("filter")).await.unwrap();
    filter.send_keys("metrics.cv_mae < 3500").await.unwrap();
    client.find(Locator::Css("#filter-form button")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Id("runs")).await.unwrap();
    assert_eq!(column(&client, "runs", 3).await, ["lasso-123", "lr-123"]);
    let filter = client.find(Locator::Id("filter")).await.unwrap();
    filter.clear().await.unwrap();
    filter.send_keys("metrics.cv_mae << 1").await.unwrap();
    client.find(Locator::Css("#filter-form button")).await.unwrap().click().await.unwrap();
    let error = client.wait().for_element(Locator::Id("error")).await.unwrap().text().await.unwrap();
    assert!(error.contains("invalid filter") && error.contains("at character"), "{error}");

    // Tick two runs and compare: the differing rows are highlighted.
    client.goto(&format!("{}/experiments/1", ui.base)).await.unwrap();
    let boxes = client.find_all(Locator::Css("#runs input[type=checkbox]")).await.unwrap();
    boxes[0].click().await.unwrap();
    boxes[2].click().await.unwrap();
    client.find(Locator::Id("compare")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Id("comparison")).await.unwrap();
    let mut differing = Vec::new();
    for row in client.find_all(Locator::Css("#comparison tr.diff td:first-child")).await.unwrap() {
        differing.push(row.text().await.unwrap());
    }
    assert_eq!(differing, ["params.model", "metrics.cv_mae", "metrics.holdout_r2"]);

    // A run's page: the per-fold chart inline, the plots load, the schema is listed.
    client.find(Locator::Css("#comparison th a")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Id("summary")).await.unwrap();
    assert_eq!(client.find(Locator::Id("status")).await.unwrap().text().await.unwrap(), "FINISHED");
    assert_eq!(client.find_all(Locator::Css("#folds svg rect[x]")).await.unwrap().len(), 3);
    let plot = client.find(Locator::Css(".plots img")).await.unwrap();
    // chromedriver answers a number, which fantoccini reports as "not a W3C string".
    let loaded = match plot.prop("naturalWidth").await {
        Ok(text) => text.and_then(|w| w.parse::<f64>().ok()).unwrap_or(0.0),
        Err(fantoccini::error::CmdError::NotW3C(value)) => value.as_f64().unwrap_or(0.0),
        Err(other) => panic!("{other}"),
    };
    assert!(loaded > 0.0, "the residuals plot did not load");
    let schema = column(&client, "schema", 1).await;
    assert_eq!(schema, ["age", "sex", "bmi", "children", "smoker", "region"]);
    let screenshot = client.screenshot().await.unwrap();
    std::fs::write(std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ui-run.png"), screenshot).unwrap();

    // The registry: versions with aliases, and every alias move.
    client.find(Locator::LinkText("Models")).await.unwrap().click().await.unwrap();
    client.find(Locator::LinkText("Insurance")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Id("versions")).await.unwrap();
    assert_eq!(column(&client, "versions", 1).await, ["2", "1"]);
    assert_eq!(column(&client, "versions", 2).await, ["production", ""]);
    assert_eq!(column(&client, "history", 3).await, ["1", "(none)"]);
    assert_eq!(column(&client, "history", 4).await, ["2", "1"]);
    client.close().await.unwrap();
}
