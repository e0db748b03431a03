//! A person in a real browser: headless Chromium (Debian's `chromium` and `chromium-driver`,
//! which `.ci/run` installs), driven over WebDriver, uses the showcase's page at `/`: logs in,
//! sees who it is, creates an article, logs out. The session cookie is out of the page's reach
//! (`HttpOnly`), and a form on another site (`localhost`, while the app is on `127.0.0.1`) that
//! posts to the app by itself is refused: the browser does not send the `SameSite=Lax` cookie.
//! The same form served from another port of `127.0.0.1` (same site, another origin: the
//! browser does send the cookie) is refused by the CSRF check. Screenshots of each step go to
//! `target/tmp/browser/`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A child process stopped when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16, what: &str) {
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{what} did not start listening on port {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn showcase(port: u16) -> Running {
    let child = Command::new(env!("CARGO_BIN_EXE_showcase"))
        .env_clear()
        .env("AUTH_BIND", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let running = Running(child);
    wait_for_port(port, "the showcase");
    running
}

fn chromedriver(port: u16) -> Running {
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "chromedriver could not be started ({e}): this test needs Debian's chromium and \
                 chromium-driver (`apt-get install chromium chromium-driver`, as .ci/run does)"
            )
        });
    let running = Running(child);
    wait_for_port(port, "chromedriver");
    running
}

/// Another site: every request gets a page whose form posts to the app by itself.
async fn cross_site_page(port: u16, target: String) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let page = format!(
        "<!doctype html><html><body><h1>You won a prize</h1>\
         <form id=f method=POST action=\"{target}\"><input name=title value=forged></form>\
         <script>document.getElementById('f').submit()</script></body></html>"
    );
    let answer = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
        page.len()
    );
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf).await;
                let _ = stream.write_all(answer.as_bytes()).await;
            });
        }
    });
}

async fn browser(driver_port: u16, profile: &Path) -> Client {
    let caps = serde_json::json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=900,1200",
                format!("--user-data-dir={}", profile.display()),
            ],
        },
    });
    let serde_json::Value::Object(caps) = caps else {
        unreachable!()
    };
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .expect("a WebDriver session with headless Chromium")
}

/// Waits until the element `id` shows text containing `want`; returns the text.
async fn wait_text(client: &Client, id: &str, want: &str) -> String {
    let start = Instant::now();
    loop {
        let text = client
            .find(Locator::Id(id))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if text.contains(want) {
            return text;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "#{id} never showed {want:?}; it shows {text:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn screenshot(client: &Client, dir: &Path, name: &str) {
    let png = client.screenshot().await.unwrap();
    std::fs::write(dir.join(name), png).unwrap();
}

/// Opens the page at `url`, which posts a form to the app by itself; the app's answer.
async fn forged_post(client: &Client, url: &str) -> String {
    client.goto(url).await.unwrap();
    let start = Instant::now();
    while !client
        .current_url()
        .await
        .unwrap()
        .as_str()
        .ends_with("/articles")
    {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the form at {url} was not sent"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    client
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn click(client: &Client, id: &str) {
    client
        .find(Locator::Id(id))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_logs_in_creates_an_article_and_logs_out_in_a_real_browser() {
    let out: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser");
    std::fs::create_dir_all(&out).unwrap();
    let profile = out.join("profile");
    let _ = std::fs::remove_dir_all(&profile);

    let (app_port, driver_port, other_port) = (free_port(), free_port(), free_port());
    let _app = showcase(app_port);
    let _driver = chromedriver(driver_port);
    let app = format!("http://127.0.0.1:{app_port}");
    cross_site_page(other_port, format!("{app}/articles")).await;
    let client = browser(driver_port, &profile).await;

    client.goto(&format!("{app}/")).await.unwrap();
    screenshot(&client, &out, "01-page.png").await;
    let form = client.find(Locator::Id("login")).await.unwrap();
    form.find(Locator::Id("username"))
        .await
        .unwrap()
        .send_keys("alice")
        .await
        .unwrap();
    form.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys("alice-demo-password")
        .await
        .unwrap();
    click(&client, "login-button").await;
    wait_text(&client, "status", "logged in as alice").await;

    click(&client, "whoami-button").await;
    let who = wait_text(&client, "whoami", "200 OK").await;
    assert!(who.contains(r#""backend":"session""#), "{who}");
    assert!(who.contains(r#""user_id":"1""#), "{who}");
    screenshot(&client, &out, "02-logged-in.png").await;

    click(&client, "article-button").await;
    let article = wait_text(&client, "article", "201 Created").await;
    assert!(article.contains(r#""author":"1""#), "{article}");
    screenshot(&client, &out, "03-article-created.png").await;

    let cookies = client
        .execute("return document.cookie", vec![])
        .await
        .unwrap();
    let cookies = cookies.as_str().unwrap();
    assert!(cookies.contains("csrf_token="), "{cookies}");
    assert!(
        !cookies.contains("session="),
        "the page's scripts can read the session cookie: {cookies}"
    );

    // Another site's page posts a form to the app by itself: no cookie goes with it.
    let answer = forged_post(&client, &format!("http://localhost:{other_port}/")).await;
    screenshot(&client, &out, "04-cross-site-post.png").await;
    assert!(
        answer.contains(r#""error":"unauthorized""#),
        "the forged post was not refused as unauthenticated: {answer}"
    );
    // The same page on another port of the app's host: same site, so the cookie goes with it,
    // and the origin check refuses it.
    let answer = forged_post(&client, &format!("http://127.0.0.1:{other_port}/")).await;
    screenshot(&client, &out, "05-same-site-cross-origin-post.png").await;
    assert!(
        answer.contains(r#""error":"forbidden""#) && answer.contains("cross-origin"),
        "the forged post was not refused by the CSRF check: {answer}"
    );

    // Still logged in; then log out.
    client.goto(&format!("{app}/")).await.unwrap();
    click(&client, "whoami-button").await;
    wait_text(&client, "whoami", "200 OK").await;
    click(&client, "logout-button").await;
    wait_text(&client, "status", "204 No Content").await;
    click(&client, "whoami-button").await;
    let who = wait_text(&client, "whoami", "401").await;
    assert!(who.contains("unauthorized"), "{who}");
    screenshot(&client, &out, "06-logged-out.png").await;

    // The API's documentation page renders the OpenAPI document, guards included.
    client.goto(&format!("{app}/docs")).await.unwrap();
    let create = wait_text(&client, "create_article", "Guard:").await;
    assert!(
        create.contains(r#"Guard: has_permission("articles.write")"#),
        "{create}"
    );
    assert!(
        create.contains("Accepts: bearerAuth or apiKeyAuth or sessionCookie"),
        "{create}"
    );
    screenshot(&client, &out, "07-docs.png").await;

    client.close().await.unwrap();
}
