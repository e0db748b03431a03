//! Login bodies of the token and session endpoints (`POST /auth/token`, JSON; `POST
//! /auth/session`, JSON or form), through the real actix app: extractors, their error handler,
//! the same-origin rule, the verifier, the answer.
//!
//! Input: one flags byte, then the body. Flags: bit 0 the endpoint (token, session); bits 1-2 the
//! content type (JSON, form, none, text/plain); bit 3 leaves out the session login's `Origin`.
//!
//! Properties: never a panic and never a 5xx; a 200 only when the body, read by the reference
//! parser (serde_json, or serde_urlencoded for a form), holds alice's exact user name and
//! password, and then the answer is hers (a token that verifies under the reference rules with
//! her `sub`, or a session cookie and her identity); those credentials in a well-formed body are
//! always let in; every refusal is the library's error JSON with a fixed text (nothing of the
//! body, the password above all, comes back).

#![no_main]

mod endpoints;

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use endpoints::{Harness, HOST, ORIGIN, PASSWORD};
use libfuzzer_sys::fuzz_target;
use serde::Deserialize;

thread_local! {
    // Never dropped: actix's own thread-locals may be gone by the time this one would be.
    static APP: &'static Harness = Box::leak(Box::new(Harness::new()));
}

#[derive(Deserialize)]
struct Login {
    username: String,
    password: String,
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, body)) = data.split_first() else {
        return;
    };
    let session = flags & 1 == 1;
    let content_type = match (flags >> 1) & 3 {
        0 => Some("application/json"),
        1 => Some("application/x-www-form-urlencoded"),
        2 => None,
        _ => Some("text/plain"),
    };
    let with_origin = flags & 8 == 0;
    let path = if session {
        "/auth/session"
    } else {
        "/auth/token"
    };
    let mut req = TestRequest::post()
        .uri(path)
        .insert_header(("host", HOST))
        .set_payload(body.to_vec());
    if let Some(ct) = content_type {
        req = req.insert_header(("content-type", ct));
    }
    if session && with_origin {
        req = req.insert_header(("origin", ORIGIN));
    }
    let a = APP.with(|app| app.send(req));

    // What the body says, read as the endpoint should read it.
    let reference: Option<Login> = match content_type {
        Some("application/json") => serde_json::from_slice(body).ok(),
        Some("application/x-www-form-urlencoded") if session => {
            serde_urlencoded::from_bytes(body).ok()
        }
        _ => None,
    };
    let right = reference
        .as_ref()
        .is_some_and(|l| l.username == "alice" && l.password == PASSWORD);

    assert!(!a.status.is_server_error(), "{} for a login body", a.status);
    if a.status == StatusCode::OK {
        assert!(right, "logged in without alice's exact credentials");
        if session {
            let identity: serde_json::Value =
                serde_json::from_slice(&a.body).expect("the identity JSON");
            assert_eq!(identity["user_id"], "1");
            assert!(
                a.set_cookies.iter().any(|c| c.starts_with("id=")),
                "no session cookie: {:?}",
                a.set_cookies
            );
        } else {
            let tokens: serde_json::Value =
                serde_json::from_slice(&a.body).expect("the tokens JSON");
            endpoints::verifies_as(
                tokens["access_token"].as_str().expect("an access token"),
                "access",
            );
        }
    } else {
        let well_formed = content_type == Some("application/json") && (!session || with_origin);
        assert!(
            !(right && well_formed),
            "alice's credentials in a well-formed body refused with {}: {}",
            a.status,
            String::from_utf8_lossy(&a.body)
        );
        endpoints::assert_fixed_refusal(&a);
    }
});
