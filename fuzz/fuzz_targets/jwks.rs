//! JWKS documents as an identity provider (or anyone on its path) could serve them.
//!
//! Properties: never a panic; the document is refused only when it is not an object with a
//! `keys` array; every entry becomes a key or is counted as skipped; no key is ever symmetric
//! (an HMAC secret from a remote set would let its publisher, or a value it states, sign
//! tokens); an entry marked for encryption (`use` other than `sig`) or of type `oct` never
//! becomes a key; every key is bound to at least one algorithm.

#![no_main]

use auth_core::__fuzz::parse_jwks;
use jsonwebtoken::Algorithm::{HS256, HS384, HS512};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok((keys, skipped)) = parse_jwks(data) else {
        return;
    };
    let doc: serde_json::Value = serde_json::from_slice(data).expect("parsed once already");
    let entries = doc["keys"].as_array().expect("a keys array");
    assert_eq!(
        keys.len() + skipped,
        entries.len(),
        "every entry is a key or skipped"
    );
    let never = entries
        .iter()
        .filter(|e| e["kty"] == "oct" || e.get("use").is_some_and(|u| u != "sig"))
        .count();
    assert!(
        keys.len() <= entries.len() - never,
        "an oct or encryption entry became a key"
    );
    for key in &keys {
        assert!(!key.algorithms().is_empty(), "a key without an algorithm");
        for alg in key.algorithms() {
            assert!(
                ![HS256, HS384, HS512].contains(alg),
                "a symmetric key from a JWKS"
            );
        }
    }
});
