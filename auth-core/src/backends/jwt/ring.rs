//! [`KeyRing`]: the keys this server issues its own tokens with, rotated while it runs.
//!
//! Each key has a `kid` and a state:
//!
//! - **next**: published and accepted, not signing yet, so that services verifying this one's
//!   tokens fetch it before it is used;
//! - **current**: signs (exactly one);
//! - **retired**: accepted (and published) until the last token it signed has expired, then
//!   dropped.
//!
//! The ring is swapped whole ([`KeyRing::replace`]), without a lock on the request path
//! (`arc-swap`); the verified-token cache is emptied when a key leaves it, so a token whose key
//! is gone is never answered from the cache. The public parts of its asymmetric keys are the
//! JWKS this server publishes ([`KeyRing::jwks`]); symmetric keys are never published.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use arc_swap::ArcSwap;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use serde_json::Value;

use super::cache::TokenCache;
use super::keys::{Family, JwtKey};
use crate::error::ConfigError;

/// Where a key of a [`KeyRing`] is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// Published and accepted, not signing yet.
    Next,
    /// Signs new tokens.
    Current,
    /// Accepted and published until `until` (seconds since the epoch): the expiry of the last
    /// token it signed. Dropped afterwards.
    Retired {
        /// When its last token expires.
        until: u64,
    },
}

/// A private key of a [`KeyRing`], with its `kid`, the algorithm it signs with and its public
/// JWK (none for a symmetric key).
pub struct SigningKey {
    key: JwtKey,
    kid: Box<str>,
    alg: Algorithm,
    jwk: Option<Value>,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("published", &self.jwk.is_some())
            .finish_non_exhaustive()
    }
}

fn invalid(kid: &str, why: impl fmt::Display) -> ConfigError {
    ConfigError::Invalid(format!("the signing key {kid:?}: {why}").into())
}

impl SigningKey {
    /// A private key in PEM (PKCS#8, or PKCS#1 for RSA): RSA signs RS256, EC P-256 ES256,
    /// P-384 ES384, Ed25519 EdDSA.
    pub fn from_pem(kid: &str, pem: &[u8]) -> Result<SigningKey, ConfigError> {
        // Deriving the public half goes through jsonwebtoken's crypto provider.
        crate::util::crypto::ensure_provider();
        let candidates = [
            (Family::Rsa, Algorithm::RS256),
            (Family::Ec, Algorithm::ES256),
            (Family::Ec, Algorithm::ES384),
            (Family::Ed, Algorithm::EdDSA),
        ];
        for (family, alg) in candidates {
            let encoding = match family {
                Family::Rsa => EncodingKey::from_rsa_pem(pem),
                Family::Ec => EncodingKey::from_ec_pem(pem),
                _ => EncodingKey::from_ed_pem(pem),
            };
            let Ok(encoding) = encoding else { continue };
            // The public half, derived from the private key: what verifies, and what is published.
            let Ok(jwk) = Jwk::from_encoding_key(&encoding, alg) else {
                continue;
            };
            let decoding = DecodingKey::from_jwk(&jwk).map_err(|e| invalid(kid, e))?;
            let mut public = serde_json::to_value(&jwk).map_err(|e| invalid(kid, e))?;
            public["kid"] = kid.into();
            public["use"] = "sig".into();
            let key = JwtKey::signing(family, alg, decoding, encoding).kid(kid);
            return Ok(SigningKey {
                key,
                kid: kid.into(),
                alg,
                jwk: Some(public),
            });
        }
        Err(invalid(
            kid,
            "not a PEM private key of RSA, EC P-256/P-384 or Ed25519",
        ))
    }

    /// An HS256 secret (at least 32 bytes). It signs and verifies, and is never published.
    pub fn hs256(kid: &str, secret: &[u8]) -> Result<SigningKey, ConfigError> {
        Ok(SigningKey {
            key: JwtKey::hs256(secret)?.kid(kid),
            kid: kid.into(),
            alg: Algorithm::HS256,
            jwk: None,
        })
    }

    /// Its `kid`.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm it signs with.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// Its public JWK, as published (`None` for a symmetric key).
    pub fn public_jwk(&self) -> Option<&Value> {
        self.jwk.as_ref()
    }
}

/// One ring: the keys and their states.
struct Keys {
    keys: Vec<(Arc<SigningKey>, KeyState)>,
    current: usize,
}

impl Keys {
    fn new(keys: Vec<(SigningKey, KeyState)>) -> Result<Keys, ConfigError> {
        let currents: Vec<usize> = keys
            .iter()
            .enumerate()
            .filter(|(_, (_, s))| *s == KeyState::Current)
            .map(|(i, _)| i)
            .collect();
        let [current] = currents[..] else {
            return Err(ConfigError::Invalid(
                format!(
                    "a key ring needs exactly one current key; this one has {}",
                    currents.len()
                )
                .into(),
            ));
        };
        for (i, (k, _)) in keys.iter().enumerate() {
            if keys[..i].iter().any(|(o, _)| o.kid == k.kid) {
                return Err(ConfigError::DuplicateKid(k.kid.to_string()));
            }
        }
        Ok(Keys {
            keys: keys.into_iter().map(|(k, s)| (Arc::new(k), s)).collect(),
            current,
        })
    }

    fn live(&self, now: u64) -> impl Iterator<Item = &(Arc<SigningKey>, KeyState)> {
        self.keys.iter().filter(move |(_, s)| match s {
            KeyState::Retired { until } => *until >= now,
            _ => true,
        })
    }
}

/// The keys this server issues with: each *next* (published and accepted, not signing yet),
/// *current* (signs; exactly one) or *retired* (accepted until its last token expires). Swapped
/// whole without a lock on the request path; the verified-token cache is emptied when a key
/// leaves. Cheap to clone: clones share one ring, so the handle kept by a reloader replaces the
/// keys the backend uses.
///
/// ```
/// use auth_core::jwt::{JwtConfig, KeyRing, KeyState, SigningKey};
///
/// let pem = std::fs::read("tests/keys/ec256_private.pem").unwrap();
/// let ring = KeyRing::new(vec![(SigningKey::from_pem("2026-12", &pem).unwrap(), KeyState::Current)]).unwrap();
/// let jwt = JwtConfig::new().issuer("https://auth.example.com").key_ring(ring.clone());
/// assert_eq!(ring.jwks()["keys"][0]["kid"], "2026-12");
/// # let _ = jwt;
/// ```
#[derive(Clone)]
pub struct KeyRing {
    keys: Arc<ArcSwap<Keys>>,
    /// The verified-token caches of the backends using the ring, emptied when a key leaves
    /// (a lock taken at build and at a replacement, never on the request path).
    caches: Arc<Mutex<Vec<Weak<TokenCache>>>>,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys = self.keys.load();
        let states: Vec<(&str, KeyState)> = keys.keys.iter().map(|(k, s)| (k.kid(), *s)).collect();
        f.debug_struct("KeyRing").field("keys", &states).finish()
    }
}

impl KeyRing {
    /// A ring of `keys`, exactly one of them [`KeyState::Current`], each `kid` once.
    pub fn new(keys: Vec<(SigningKey, KeyState)>) -> Result<KeyRing, ConfigError> {
        Ok(KeyRing {
            keys: Arc::new(ArcSwap::from_pointee(Keys::new(keys)?)),
            caches: Arc::new(Mutex::new(Vec::new())),
        })
    }

    /// Replaces the keys while the server runs (the same rules as [`KeyRing::new`]; on an error
    /// the ring keeps its keys). Tokens of a key that left are refused from now on, cached ones
    /// included.
    pub fn replace(&self, keys: Vec<(SigningKey, KeyState)>) -> Result<(), ConfigError> {
        // Compared with the keys stored here, not a later load: another replacement may land
        // in between.
        let new = Arc::new(Keys::new(keys)?);
        let old = self.keys.swap(new.clone());
        let left = old
            .keys
            .iter()
            .any(|(k, _)| new.keys.iter().all(|(n, _)| n.kid != k.kid));
        if left {
            let caches = self.caches.lock().unwrap_or_else(PoisonError::into_inner);
            for cache in caches.iter().filter_map(Weak::upgrade) {
                cache.clear();
            }
        }
        Ok(())
    }

    /// The `kid`s and states of the keys, as they are now.
    pub fn states(&self) -> Vec<(String, KeyState)> {
        let keys = self.keys.load();
        keys.keys
            .iter()
            .map(|(k, s)| (k.kid.to_string(), *s))
            .collect()
    }

    /// The key that signs now.
    pub fn current(&self) -> Arc<SigningKey> {
        let keys = self.keys.load();
        keys.keys[keys.current].0.clone()
    }

    /// The key named `kid` that may verify now (not a retired key past its `until`).
    pub(crate) fn verifying(&self, kid: &str) -> Option<Arc<SigningKey>> {
        let keys = self.keys.load();
        let found = keys
            .live(crate::util::time::now())
            .find(|(k, _)| &*k.kid == kid)
            .map(|(k, _)| k.clone());
        found
    }

    /// The algorithms the published keys sign with (`EdDSA` for Ed25519), each once.
    pub fn algorithms(&self) -> Vec<Algorithm> {
        let keys = self.keys.load();
        let mut algs: Vec<Algorithm> = Vec::new();
        for (k, _) in keys.live(crate::util::time::now()) {
            if k.jwk.is_some() && !algs.contains(&k.alg) {
                algs.push(k.alg);
            }
        }
        algs
    }

    /// The JWKS document of the ring: the public JWK of every asymmetric key that verifies now
    /// (next, current, retired until its last token expires). No private or symmetric material.
    pub fn jwks(&self) -> Value {
        let keys = self.keys.load();
        let published: Vec<Value> = keys
            .live(crate::util::time::now())
            .filter_map(|(k, _)| k.jwk.clone())
            .collect();
        serde_json::json!({ "keys": published })
    }

    /// Ties the ring to a backend's verified-token cache (at build; a ring may serve several).
    pub(crate) fn attach(&self, cache: Option<&Arc<TokenCache>>) {
        if let Some(cache) = cache {
            let mut caches = self.caches.lock().unwrap_or_else(PoisonError::into_inner);
            caches.retain(|c| c.strong_count() > 0);
            caches.push(Arc::downgrade(cache));
        }
    }
}

impl SigningKey {
    /// The key as the verifier uses it.
    pub(crate) fn jwt_key(&self) -> &JwtKey {
        &self.key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pem(name: &str) -> Vec<u8> {
        std::fs::read(format!("{}/tests/keys/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    /// The members a public JWK of each key type may have: no private part (`d`, `p`, `q`,
    /// `dp`, `dq`, `qi`, `oth`) and no symmetric `k`.
    fn assert_public(jwk: &Value) {
        let allowed: &[&str] = match jwk["kty"].as_str().unwrap() {
            "RSA" => &["kty", "n", "e", "kid", "use", "alg"],
            "EC" => &["kty", "crv", "x", "y", "kid", "use", "alg"],
            "OKP" => &["kty", "crv", "x", "kid", "use", "alg"],
            other => panic!("published a {other} key: {jwk}"),
        };
        for (member, _) in jwk.as_object().unwrap() {
            assert!(allowed.contains(&member.as_str()), "{member} in {jwk}");
        }
    }

    #[test]
    fn keys_of_each_type_sign_with_their_algorithm_and_publish_only_their_public_part() {
        crate::util::crypto::ensure_provider();
        for (file, alg, kty) in [
            ("rsa_private.pem", Algorithm::RS256, "RSA"),
            ("ec256_private.pem", Algorithm::ES256, "EC"),
            ("ed_private.pem", Algorithm::EdDSA, "OKP"),
        ] {
            let key = SigningKey::from_pem("k", &pem(file)).unwrap();
            assert_eq!(key.algorithm(), alg, "{file}");
            let jwk = key.public_jwk().unwrap();
            assert_eq!(jwk["kty"], kty);
            assert_eq!(jwk["kid"], "k");
            assert_public(jwk);
        }
        assert!(SigningKey::from_pem("k", &pem("rsa_public.pem")).is_err());
        assert!(SigningKey::from_pem("k", b"not a key").is_err());
        let secret = SigningKey::hs256("h", b"a secret of at least thirty-two bytes!!").unwrap();
        assert!(
            secret.public_jwk().is_none(),
            "a symmetric key is never published"
        );
    }

    #[test]
    fn a_ring_has_one_current_key_and_publishes_what_verifies() {
        crate::util::crypto::ensure_provider();
        let key = |kid: &str, file: &str| SigningKey::from_pem(kid, &pem(file)).unwrap();
        assert!(KeyRing::new(vec![(key("a", "ec256_private.pem"), KeyState::Next)]).is_err());
        assert!(KeyRing::new(vec![
            (key("a", "ec256_private.pem"), KeyState::Current),
            (key("a", "ed_private.pem"), KeyState::Next),
        ])
        .is_err());
        let now = crate::util::time::now();
        let secret = SigningKey::hs256("h", b"a secret of at least thirty-two bytes!!").unwrap();
        let ring = KeyRing::new(vec![
            (
                key("old", "rsa_private.pem"),
                KeyState::Retired { until: now - 1 },
            ),
            (
                key("retired", "rsa2_private.pem"),
                KeyState::Retired { until: now + 60 },
            ),
            (key("cur", "ec256_private.pem"), KeyState::Current),
            (key("next", "ed_private.pem"), KeyState::Next),
            (secret, KeyState::Next),
        ])
        .unwrap();
        assert_eq!(ring.current().kid(), "cur");
        let jwks = ring.jwks();
        let kids: Vec<&str> = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap())
            .collect();
        assert_eq!(kids, ["retired", "cur", "next"], "{jwks}");
        for jwk in jwks["keys"].as_array().unwrap() {
            assert_public(jwk);
        }
        assert!(ring.verifying("old").is_none(), "past its last token");
        assert!(ring.verifying("retired").is_some() && ring.verifying("h").is_some());
        // A replacement that breaks the rules keeps the keys.
        assert!(ring.replace(vec![]).is_err());
        assert_eq!(ring.current().kid(), "cur");
        ring.replace(vec![(key("next", "ed_private.pem"), KeyState::Current)])
            .unwrap();
        assert_eq!(ring.current().kid(), "next");
        assert!(
            ring.verifying("cur").is_none(),
            "a key that left verifies nothing"
        );
    }
}
