//! The JWT backend: configuration ([`JwtConfig`], `config.rs`), keys ([`JwtKey`], `keys.rs`),
//! the backend ([`JwtBackend`], `backend.rs`) and its verification (`verify.rs`) and
//! verified-token cache (`cache.rs`), issuing ([`TokenOptions`], [`IssuedToken`], `issue.rs`)
//! and the token lifecycle (refresh, logout: `lifecycle.rs`), the keys it issues with and
//! rotates ([`KeyRing`], `ring.rs`); with the `oidc` feature, keys
//! published by identity providers ([`IdentityProvider`], `provider/`).
//!
//! What is verified, in order: the token has three base64url parts; the header is JSON with a
//! known `alg` (never `none`) and no `crit` extension; a configured key is chosen by `kid` (when
//! keys have one) or by `alg`, and must be bound to that `alg`; the signature verifies; the
//! claims are a JSON object whose time claims (`exp`, `nbf`, `iat`) are numbers; `exp` is present
//! (unless explicitly made optional) and not past, `nbf` and `iat` not future (all with the leeway); `iss`
//! and `aud` match the configuration; `token_type`, if present, is `access`; `sub` is present;
//! and the revocation store does not know the token.

mod backend;
mod cache;
mod config;
mod issue;
mod keys;
mod lifecycle;
#[cfg(feature = "oidc")]
pub(crate) mod provider;
mod ring;
mod verify;

pub use crate::util::random::random_id;
pub use backend::JwtBackend;
pub use config::JwtConfig;
pub use issue::{IssuedToken, TokenOptions, TokenPair, RESERVED_CLAIMS};
pub use jsonwebtoken::Algorithm;
pub use keys::{JwtKey, MIN_HMAC_SECRET_LEN};
pub use lifecycle::IN_FLIGHT_MS;
#[cfg(feature = "oidc")]
pub use provider::{ClaimMapping, IdentityProvider};
pub use ring::{KeyRing, KeyState, SigningKey};
