//! Credential extraction through the backend chain (JWT from `Authorization: Bearer` or the
//! `access_token` cookie, then the API key from `X-API-Key`), with arbitrary headers: prefixes,
//! whitespace, case, repeated headers, non-UTF-8 bytes.
//!
//! Input: lines `name:value` (bytes). Properties: never a panic; a repeated `Authorization` or
//! `X-API-Key` refuses the request (repeated header) unless an earlier backend authenticated from
//! another source; an API-key identity only for a request whose one `X-API-Key` value, trimmed,
//! is the key; a JWT identity never from a repeated `Authorization` header.

#![no_main]

use std::sync::OnceLock;

use auth_core::adapter::Backends;
use auth_core::extend::SimpleRequest;
use auth_core::jwt::JwtConfig;
use auth_core::{ApiKeys, AuthError, Reason};
use libfuzzer_sys::fuzz_target;

const SECRET: &[u8] = b"fuzzing-secret-that-is-long-enough-0123456";
const KEY: &str = "sk-fuzz-reader-0001";

fn backends() -> &'static Backends {
    static B: OnceLock<Backends> = OnceLock::new();
    B.get_or_init(|| {
        let mut b = Backends::new();
        let jwt = JwtConfig::hs256(SECRET)
            .cookie("access_token")
            .build(None, None)
            .expect("builds");
        b.add_jwt("jwt", jwt).expect("registers");
        let keys = ApiKeys::new()
            .key(KEY, ["articles.read"])
            .build(None)
            .expect("builds");
        b.add_api_keys("api_key", keys).expect("registers");
        b
    })
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static R: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    R.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
    })
}

fuzz_target!(|data: &[u8]| {
    let mut req = SimpleRequest::new("GET", "/articles");
    let mut headers: Vec<(String, Vec<u8>)> = Vec::new();
    for line in data.split(|b| *b == b'\n').take(16) {
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let name = String::from_utf8_lossy(&line[..colon])
            .trim()
            .to_ascii_lowercase();
        if name.is_empty() {
            continue;
        }
        let value = line[colon + 1..].to_vec();
        req = req.header(&name, &value);
        headers.push((name, value));
    }
    let count = |n: &str| headers.iter().filter(|(h, _)| h == n).count();
    let result = runtime().block_on(backends().authenticate(&["jwt", "api_key"], &req));
    match &result {
        Ok(ctx) if ctx.backend() == "api_key" => {
            assert_eq!(count("x-api-key"), 1, "an API key from a repeated header");
            let (_, v) = headers.iter().find(|(h, _)| h == "x-api-key").expect("one");
            assert_eq!(v.trim_ascii(), KEY.as_bytes(), "another key accepted");
        }
        Ok(ctx) => {
            assert_eq!(ctx.backend(), "jwt");
            assert!(
                count("authorization") <= 1,
                "a token from a repeated header"
            );
        }
        Err(AuthError::Unauthenticated(Reason::RepeatedHeader)) => {}
        Err(_) => {}
    }
    if count("authorization") > 1 {
        assert!(
            matches!(
                result,
                Err(AuthError::Unauthenticated(Reason::RepeatedHeader))
            ),
            "a repeated Authorization header was not refused: {result:?}"
        );
    }
});
