//! The showcase's start-up banner prints live credentials only in the development mode.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What the showcase prints at start with these variables (it is stopped once the banner is out).
fn banner(vars: &[(&str, &str)]) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_showcase"))
        .env_clear()
        .env("AUTH_BIND", "127.0.0.1:0")
        .env("RUST_LOG", "off")
        .envs(vars.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        let _ = stdout.read_to_string(&mut out);
        out
    });
    // The banner is printed before the server binds; give it time, then stop the server.
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(3) {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    reader.join().unwrap()
}

#[test]
fn production_like_configuration_prints_no_credentials() {
    let out = banner(&[(
        "AUTH_JWT_SECRET",
        "a-production-like-secret-of-40-bytes-0123",
    )]);
    assert!(out.contains("no token or key is printed"), "{out}");
    assert!(
        out.contains("curl -i http://"),
        "it still shows how to try it: {out}"
    );
    assert!(!out.contains("Bearer ey"), "a token was printed: {out}");
    assert!(!out.contains("sk-demo"), "the demo key was printed: {out}");
}

#[test]
fn development_mode_prints_demo_credentials_and_says_so() {
    let out = banner(&[]);
    assert!(out.contains("development mode"), "{out}");
    assert!(out.contains("Bearer ey"), "{out}");
    assert!(out.contains("X-API-Key: sk-demo-"), "{out}");
}
