//! Headless Chromium for the browser tests: Debian's `chromium` driven through
//! `chromedriver` with fantoccini. `.ci/run` installs `chromium` and
//! `chromium-driver`; set CHROMEDRIVER to use another driver binary.

use fantoccini::{Client, ClientBuilder};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running chromedriver, killed and reaped when dropped.
pub struct Chromedriver {
    child: Child,
    port: u16,
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A TCP port free on loopback at the time of asking.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Chromedriver {
    /// Starts chromedriver on a free port and waits until it answers; panics if it cannot.
    pub async fn start() -> Chromedriver {
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
        let driver = Chromedriver { child, port };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return driver;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not start listening on port {port}");
    }

    /// A new headless browser session, `width` pixels wide, with or without JavaScript.
    pub async fn browser(&self, javascript: bool, width: u32) -> Client {
        let mut capabilities = serde_json::Map::new();
        let window = format!("--window-size={width},900");
        let mut args = vec!["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", &window];
        if !javascript {
            args.push("--blink-settings=scriptEnabled=false");
        }
        capabilities.insert("goog:chromeOptions".to_string(), serde_json::json!({ "args": args }));
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a headless Chromium session")
    }
}
