//! jsonwebtoken's signature verifiers, built once per key, algorithm and thread.
//!
//! `jsonwebtoken::crypto::verify` builds a verifier for every token: for HMAC that means deriving
//! the inner and outer key states (two hash blocks) and a heap allocation, every time. The same
//! verifier types, from the provider of this crate's crypto feature, are built here once and
//! kept per thread (they are not `Send`). An entry lives as long as its key: each [`KeyId`] owns
//! an `Arc` whose weak half the entry holds, and entries whose key is gone are dropped on the
//! thread's next miss, so a rotated-out key does not linger. At most [`MAX`] entries a thread.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use jsonwebtoken::crypto::JwtVerifier;
use jsonwebtoken::{Algorithm, DecodingKey};

/// Most verifiers kept by one thread.
const MAX: usize = 32;

/// A key's identity for the verifier cache. Clones share it (they hold the same key).
#[derive(Debug, Clone)]
pub(crate) struct KeyId {
    id: u64,
    live: Arc<()>,
}

impl KeyId {
    pub(crate) fn new() -> KeyId {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        KeyId {
            id: NEXT.fetch_add(1, Ordering::Relaxed),
            live: Arc::new(()),
        }
    }
}

struct Entry {
    id: u64,
    alg: Algorithm,
    live: Weak<()>,
    verifier: Box<dyn JwtVerifier>,
}

thread_local! {
    static VERIFIERS: RefCell<Vec<Entry>> = const { RefCell::new(Vec::new()) };
}

fn build(alg: Algorithm, key: &DecodingKey) -> jsonwebtoken::errors::Result<Box<dyn JwtVerifier>> {
    #[cfg(feature = "aws-lc-rs")]
    let provider = &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER;
    #[cfg(not(feature = "aws-lc-rs"))]
    let provider = &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER;
    (provider.verifier_factory)(&alg, key)
}

/// Whether `signature` (decoded) signs `message` under `key` with `alg`. `Err`: the key does
/// not fit the algorithm (a configuration the builder refuses, so not expected here).
pub(crate) fn verify(
    id: &KeyId,
    key: &DecodingKey,
    alg: Algorithm,
    message: &[u8],
    signature: &Vec<u8>,
) -> jsonwebtoken::errors::Result<bool> {
    // Without the thread's cache (it is being torn down, or in use: nothing here calls back,
    // but a request path never panics), the verifier is built for this one token.
    let uncached = || Ok(build(alg, key)?.verify(message, signature).is_ok());
    let answer = VERIFIERS.try_with(|cell| {
        let Ok(mut cached) = cell.try_borrow_mut() else {
            return uncached();
        };
        let i = match cached.iter().position(|e| e.id == id.id && e.alg == alg) {
            Some(i) => i,
            None => {
                cached.retain(|e| e.live.strong_count() > 0);
                if cached.len() >= MAX {
                    cached.remove(0);
                }
                cached.push(Entry {
                    id: id.id,
                    alg,
                    live: Arc::downgrade(&id.live),
                    verifier: build(alg, key)?,
                });
                cached.len() - 1
            }
        };
        Ok(cached[i].verifier.verify(message, signature).is_ok())
    });
    answer.unwrap_or_else(|_| uncached())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use jsonwebtoken::EncodingKey;

    const SECRET: &[u8] = b"a-test-secret-that-is-long-enough-for-hs256";

    fn signed(message: &[u8], secret: &[u8]) -> Vec<u8> {
        crate::crypto::ensure_provider();
        let b64 = jsonwebtoken::crypto::sign(
            message,
            &EncodingKey::from_secret(secret),
            Algorithm::HS256,
        )
        .unwrap();
        URL_SAFE_NO_PAD.decode(b64).unwrap()
    }

    fn entries() -> Vec<u64> {
        VERIFIERS.with(|c| c.borrow().iter().map(|e| e.id).collect())
    }

    #[test]
    fn verifies_like_jsonwebtoken_and_forgets_dropped_keys() {
        let key = DecodingKey::from_secret(SECRET);
        let id = KeyId::new();
        let sig = signed(b"header.claims", SECRET);
        for _ in 0..2 {
            assert!(verify(&id, &key, Algorithm::HS256, b"header.claims", &sig).unwrap());
            assert!(!verify(&id, &key, Algorithm::HS256, b"header.claimz", &sig).unwrap());
        }
        let other = signed(
            b"header.claims",
            b"another-secret-that-is-long-enough-for-hs256",
        );
        assert!(!verify(&id, &key, Algorithm::HS256, b"header.claims", &other).unwrap());
        assert_eq!(
            entries(),
            vec![id.id],
            "one verifier for the key, built once"
        );

        // The key goes away (a backend rebuilt without it): its verifier goes on the next miss.
        let gone = id.id;
        drop(id);
        let id2 = KeyId::new();
        assert!(verify(&id2, &key, Algorithm::HS256, b"header.claims", &sig).unwrap());
        assert_eq!(entries(), vec![id2.id]);
        assert!(!entries().contains(&gone));
    }

    #[test]
    fn bounded_per_thread() {
        let key = DecodingKey::from_secret(SECRET);
        let sig = signed(b"m", SECRET);
        let ids: Vec<KeyId> = (0..MAX + 5).map(|_| KeyId::new()).collect();
        for id in &ids {
            assert!(verify(id, &key, Algorithm::HS256, b"m", &sig).unwrap());
        }
        assert_eq!(entries().len(), MAX);
    }
}
