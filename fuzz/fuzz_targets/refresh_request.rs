//! Refresh requests (`POST /auth/refresh`) through the real actix app: the refresh token from the
//! JSON body, else the `X-Refresh-Token` header, then the rotation.
//!
//! Input: one flags byte, then a body template and a header template separated by a 0xFF byte.
//! In both, `{R}` becomes a refresh token issued for this input and `{A}` an access token, so
//! that the fuzzer explores around valid tokens. Flags: bit 0 sends the body as JSON (else
//! without a content type), bit 1 sends the header.
//!
//! Properties: never a panic and never a 5xx; a 200 exactly when the token the endpoint should
//! take (the body's `refresh_token` read by serde_json when it is a non-empty string, else the
//! header's value) is the issued refresh token, byte for byte; the new pair then verifies under
//! the reference rules; every refusal is the library's error JSON with a fixed text (nothing of
//! the token comes back).

#![no_main]

mod endpoints;

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use endpoints::{verifies_as, Harness};
use libfuzzer_sys::fuzz_target;
use serde::Deserialize;

thread_local! {
    // Never dropped: actix's own thread-locals may be gone by the time this one would be.
    static APP: &'static Harness = Box::leak(Box::new(Harness::new()));
}

#[derive(Deserialize)]
struct RefreshBody {
    refresh_token: Option<String>,
}

fn fill(template: &[u8], refresh: &str, access: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(template.len() + refresh.len());
    let mut rest = template;
    while !rest.is_empty() {
        if let Some(tail) = rest.strip_prefix(b"{R}") {
            out.extend_from_slice(refresh.as_bytes());
            rest = tail;
        } else if let Some(tail) = rest.strip_prefix(b"{A}") {
            out.extend_from_slice(access.as_bytes());
            rest = tail;
        } else {
            out.push(rest[0]);
            rest = &rest[1..];
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let (body_t, header_t) = match rest.iter().position(|b| *b == 0xFF) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &[][..]),
    };
    let (json, send_header) = (flags & 1 == 1, flags & 2 == 2);
    APP.with(|app| {
        let pair = app
            .jwt
            .issue_pair(&endpoints::alice())
            .expect("the harness issues tokens");
        let (refresh, access) = (pair.refresh.token, pair.access.token);
        let body = fill(body_t, &refresh, &access);
        let header = fill(header_t, &refresh, &access);
        let mut req = TestRequest::post()
            .uri("/auth/refresh")
            .set_payload(body.clone());
        if json {
            req = req.insert_header(("content-type", "application/json"));
        }
        let header_value = actix_web::http::header::HeaderValue::from_bytes(&header).ok();
        if let (true, Some(v)) = (send_header, &header_value) {
            req = req.insert_header(("x-refresh-token", v.clone()));
        }
        let a = app.send(req);

        // The token the endpoint should take.
        let from_body = json
            .then(|| serde_json::from_slice::<RefreshBody>(&body).ok())
            .flatten()
            .and_then(|b| b.refresh_token)
            .filter(|t| !t.is_empty());
        let from_header = header_value
            .filter(|_| send_header)
            .and_then(|v| v.to_str().ok().map(str::to_owned));
        let presented = from_body.or(from_header);
        let right = presented.as_deref() == Some(refresh.as_str());

        assert!(!a.status.is_server_error(), "{} for a refresh", a.status);
        if a.status == StatusCode::OK {
            assert!(
                right,
                "refreshed with {presented:?}, not the issued refresh token"
            );
            let tokens: serde_json::Value =
                serde_json::from_slice(&a.body).expect("the tokens JSON");
            verifies_as(tokens["access_token"].as_str().expect("access"), "access");
            verifies_as(
                tokens["refresh_token"].as_str().expect("refresh"),
                "refresh",
            );
        } else {
            assert!(
                !right,
                "the issued refresh token refused with {}: {}",
                a.status,
                String::from_utf8_lossy(&a.body)
            );
            endpoints::assert_fixed_refusal(&a);
        }
    });
});
