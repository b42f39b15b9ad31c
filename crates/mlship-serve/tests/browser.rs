//! The form in a real browser: Debian's Chromium, headless, driven through
//! chromedriver with fantoccini. Opens `/`, fills every field, submits and
//! reads "Expected Bill will be 23624"; then the same with JavaScript disabled.
//! `.ci/run` installs `chromium` and `chromium-driver`; set CHROMEDRIVER to use
//! another driver binary.

use fantoccini::{Client, ClientBuilder, Locator};
use mlship_serve::{Application, ServeConfig};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn start_driver() -> (Driver, u16) {
    let binary = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".to_string());
    let port = free_port();
    let child = Command::new(&binary)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start {binary} ({e}): install Debian's chromium and chromium-driver (.ci/run does)")
        });
    // Owned by the guard from here on, so every path below kills and reaps it.
    let driver = Driver(child);
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return (driver, port);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not start listening on port {port}");
}

async fn browser(driver_port: u16, javascript: bool) -> Client {
    let mut capabilities = serde_json::Map::new();
    let mut args =
        vec!["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=420,900"];
    if !javascript {
        args.push("--blink-settings=scriptEnabled=false");
    }
    capabilities.insert("goog:chromeOptions".to_string(), serde_json::json!({ "args": args }));
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .expect("a headless Chromium session")
}

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
    let golden = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../mlship-artifact/tests/golden/insurance_v1.mlship");
    let config = ServeConfig { port: 0, label: Some("Bill".to_string()), ..ServeConfig::default() };
    let app = Application::build(&golden, config).await.unwrap();
    let base = format!("http://{}/", app.local_addr());
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    let (_driver, driver_port) = start_driver().await;

    let client = browser(driver_port, true).await;
    let text = fill_and_submit(&client, &base).await;
    assert_eq!(text, "Expected Bill will be 23624");
    // The submitted values are still in the form.
    let bmi = client.find(Locator::Id("f-bmi")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(bmi.as_deref(), Some("27.9"));
    let screenshot = client.screenshot().await.unwrap();
    std::fs::write(PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("form.png"), screenshot).unwrap();
    client.close().await.unwrap();

    let no_script = browser(driver_port, false).await;
    assert_eq!(fill_and_submit(&no_script, &base).await, "Expected Bill will be 23624", "works without JavaScript");
    no_script.close().await.unwrap();
}
