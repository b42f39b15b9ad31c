//! The form in a real browser: Debian's Chromium, headless, driven through
//! chromedriver with fantoccini. Opens `/`, fills every field, submits and
//! reads "Expected Bill will be 23624"; then the same with JavaScript disabled.
//! `.ci/run` installs `chromium` and `chromium-driver`; set CHROMEDRIVER to use
//! another driver binary.

// Tests and benches fail by panicking with the value; clippy.toml's test
// allowances do not reach their helper functions.
#![allow(clippy::unwrap_used)]

use fantoccini::{Client, Locator};
use mlship_serve::{Application, ServeConfig};
use mlship_testkit::Chromedriver;
use std::path::PathBuf;
use std::time::Duration;

async fn fill_and_submit(client: &Client, base: &str) -> String {
    client.goto(base).await.unwrap();
    for (field, value) in [("age", "19"), ("bmi", "27.9"), ("children", "0")] {
        client.find(Locator::Id(&format!("f-{field}"))).await.unwrap().send_keys(value).await.unwrap();
    }
    for (field, value) in [("sex", "female"), ("smoker", "yes"), ("region", "southwest")] {
        let select = client.find(Locator::Id(&format!("f-{field}"))).await.unwrap();
        select.select_by_value(value).await.unwrap();
    }
    client.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
    let result = client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Id("result")).await.unwrap();
    result.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_form_works_in_headless_chromium() {
    let golden = mlship_testkit::golden_artifact();
    let config = ServeConfig { port: 0, label: Some("Bill".to_string()), ..ServeConfig::default() };
    let app = Application::build(&golden, config).await.unwrap();
    let base = format!("http://{}/", app.local_addr());
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    let driver = Chromedriver::start().await;

    let client = driver.browser(true, 420).await;
    let text = fill_and_submit(&client, &base).await;
    assert_eq!(text, "Expected Bill will be 23624");
    // The submitted values are still in the form.
    let bmi = client.find(Locator::Id("f-bmi")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(bmi.as_deref(), Some("27.9"));
    let screenshot = client.screenshot().await.unwrap();
    std::fs::write(PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("form.png"), screenshot).unwrap();
    client.close().await.unwrap();

    let no_script = driver.browser(false, 420).await;
    assert_eq!(fill_and_submit(&no_script, &base).await, "Expected Bill will be 23624", "works without JavaScript");
    no_script.close().await.unwrap();
}
