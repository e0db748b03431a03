//! The API-key backend.
//!
//! Keys are kept only as SHA-256 digests: a plain key given to [`ApiKeys::key`] is hashed when
//! the configuration is built, and [`ApiKeys::hashed_key`] takes the digest alone, so the plain
//! key need not be in the server's memory or configuration at all.
//!
//! A presented key is hashed and looked up by its digest; no comparison ever reads a stored key.
//! The lookup's timing depends only on the SHA-256 digest of the guess, and a digest tells
//! nothing about the key it came from, so the lookup is constant-time with respect to every
//! stored key (the hash-then-compare argument).

use std::collections::HashMap;
use std::fmt;

use foldhash::fast::RandomState;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::backends::doc::{BackendDoc, CredentialDoc};
use crate::backends::Outcome;
use crate::error::{ConfigError, Reason};
use crate::identity::context::AuthContext;
use crate::identity::permissions::{validate_name, RoleMap};
use crate::request::{CredentialSource, Found, RequestParts};

/// The shortest key accepted, in bytes.
pub const MIN_KEY_LEN: usize = 8;

enum Secret {
    Plain(Zeroizing<String>),
    Hashed(String),
}

/// One API key and what it grants.
pub struct ApiKey {
    secret: Secret,
    user_id: Option<String>,
    name: Option<String>,
    roles: Vec<String>,
    permissions: Vec<String>,
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKey")
            .field("secret", &"<redacted>")
            .field("user_id", &self.user_id)
            .field("name", &self.name)
            .field("roles", &self.roles)
            .field("permissions", &self.permissions)
            .finish()
    }
}

impl ApiKey {
    /// A key given in plain text (hashed when the configuration is built).
    pub fn new(key: impl Into<String>) -> Self {
        Self::with_secret(Secret::Plain(Zeroizing::new(key.into())))
    }

    /// A key given as the hex SHA-256 digest of the plain key (`sha256sum` output).
    pub fn hashed(sha256_hex: impl Into<String>) -> Self {
        Self::with_secret(Secret::Hashed(sha256_hex.into()))
    }

    fn with_secret(secret: Secret) -> Self {
        ApiKey {
            secret,
            user_id: None,
            name: None,
            roles: Vec::new(),
            permissions: Vec::new(),
        }
    }

    /// Grants these permissions (wildcards allowed).
    pub fn permissions<I: IntoIterator<Item = S>, S: Into<String>>(mut self, perms: I) -> Self {
        self.permissions.extend(perms.into_iter().map(Into::into));
        self
    }

    /// Gives these roles (mapped to permissions by the configuration's `RoleMap`).
    pub fn roles<I: IntoIterator<Item = S>, S: Into<String>>(mut self, roles: I) -> Self {
        self.roles.extend(roles.into_iter().map(Into::into));
        self
    }

    /// The identity requests with this key get (default `api_key:<name>` or `api_key:<n>`).
    pub fn user_id(mut self, id: impl Into<String>) -> Self {
        self.user_id = Some(id.into());
        self
    }

    /// A label for logs (never the key itself).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
}

/// The API-key backend's configuration: the keys and where they are read from.
///
/// ```
/// use auth_core::{ApiKeys, ApiKey};
/// let keys = ApiKeys::new()
///     .key("sk-reader-0123", ["articles.read"])
///     .with_key(ApiKey::new("sk-service-4567").user_id("billing").roles(["service"]))
///     .header("X-API-Key");
/// assert!(keys.build(None).is_ok());
/// ```
pub struct ApiKeys {
    keys: Vec<ApiKey>,
    source: Result<CredentialSource, ConfigError>,
}

impl fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeys")
            .field("keys", &self.keys)
            .field("source", &self.source)
            .finish()
    }
}

impl Default for ApiKeys {
    fn default() -> Self {
        Self::new()
    }
}

impl ApiKeys {
    /// No keys yet; read from the `X-API-Key` header.
    pub fn new() -> Self {
        ApiKeys {
            keys: Vec::new(),
            source: CredentialSource::header("x-api-key"),
        }
    }

    /// Adds a plain key with its permissions.
    pub fn key<I: IntoIterator<Item = S>, S: Into<String>>(
        self,
        key: impl Into<String>,
        permissions: I,
    ) -> Self {
        self.with_key(ApiKey::new(key).permissions(permissions))
    }

    /// Adds a key given as its hex SHA-256 digest, with its permissions.
    pub fn hashed_key<I: IntoIterator<Item = S>, S: Into<String>>(
        self,
        sha256_hex: impl Into<String>,
        permissions: I,
    ) -> Self {
        self.with_key(ApiKey::hashed(sha256_hex).permissions(permissions))
    }

    /// Adds a fully described key.
    pub fn with_key(mut self, key: ApiKey) -> Self {
        self.keys.push(key);
        self
    }

    /// Reads the key from this header (default `X-API-Key`).
    pub fn header(mut self, name: &str) -> Self {
        self.source = CredentialSource::header(name);
        self
    }

    /// Reads the key from a header with a scheme, e.g. `Authorization: ApiKey <key>`.
    pub fn header_with_prefix(mut self, name: &str, prefix: &str) -> Self {
        self.source = CredentialSource::header_with_prefix(name, prefix);
        self
    }

    /// The hex SHA-256 digest of a plain key, for [`ApiKeys::hashed_key`].
    pub fn hash_key(plain: &str) -> String {
        let d = Sha256::digest(plain.as_bytes());
        d.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Validates the keys and builds the backend (roles mapped through `roles`).
    pub fn build(self, roles: Option<&RoleMap>) -> Result<ApiKeyBackend, ConfigError> {
        let source = self.source?;
        let mut by_digest =
            HashMap::with_capacity_and_hasher(self.keys.len(), RandomState::default());
        for (i, key) in self.keys.into_iter().enumerate() {
            let index = i + 1;
            let digest = match &key.secret {
                Secret::Plain(k) => {
                    if k.len() < MIN_KEY_LEN {
                        return Err(ConfigError::WeakApiKey {
                            index,
                            len: k.len(),
                            min: MIN_KEY_LEN,
                        });
                    }
                    let mut out = [0u8; 32];
                    out.copy_from_slice(&Sha256::digest(k.as_bytes()));
                    out
                }
                Secret::Hashed(hex) => {
                    parse_hex32(hex).ok_or(ConfigError::InvalidKeyHash { index })?
                }
            };
            for p in &key.permissions {
                validate_name("permission", p)?;
            }
            for r in &key.roles {
                validate_name("role", r)?;
            }
            let user_id = key.user_id.clone().unwrap_or_else(|| {
                format!(
                    "api_key:{}",
                    key.name.clone().unwrap_or_else(|| index.to_string())
                )
            });
            let mut ctx = AuthContext::builder(user_id)
                .roles(&key.roles)
                .permissions(&key.permissions)
                .backend("api_key");
            if let Some(name) = &key.name {
                ctx = ctx.name(name.as_str());
            }
            let ctx = ctx.build_with_roles(roles);
            if by_digest.insert(digest, ctx).is_some() {
                return Err(ConfigError::DuplicateApiKey { index });
            }
        }
        Ok(ApiKeyBackend { source, by_digest })
    }
}

fn parse_hex32(hex: &str) -> Option<[u8; 32]> {
    let hex = hex.trim().as_bytes();
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in hex.chunks_exact(2).enumerate() {
        let hi = (pair[0] as char).to_digit(16)?;
        let lo = (pair[1] as char).to_digit(16)?;
        out[i] = (hi * 16 + lo) as u8;
    }
    Some(out)
}

/// The built API-key backend: digests mapped to ready-made contexts.
pub struct ApiKeyBackend {
    source: CredentialSource,
    /// Keyed by SHA-256 digests, which no client can steer: a fast hash is enough.
    by_digest: HashMap<[u8; 32], AuthContext, RandomState>,
}

impl fmt::Debug for ApiKeyBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeyBackend")
            .field("source", &self.source)
            .field("keys", &self.by_digest.len())
            .finish()
    }
}

impl ApiKeyBackend {
    /// Where the key is read, for documentation.
    pub fn describe(&self) -> BackendDoc {
        BackendDoc::new(
            CredentialDoc::of(&self.source, None),
            "API keys issued to clients.",
        )
    }

    /// Looks a presented key up by its digest; `None` if it is not known.
    pub fn lookup(&self, presented: &str) -> Option<&AuthContext> {
        self.lookup_bytes(presented.as_bytes())
    }

    /// [`ApiKeyBackend::lookup`] for a key as the request carried it: bytes that are not text
    /// match no stored key (each was registered as text), so they need no check of their own.
    fn lookup_bytes(&self, presented: &[u8]) -> Option<&AuthContext> {
        let digest: [u8; 32] = Sha256::digest(presented).into();
        self.by_digest.get(&digest)
    }

    /// Records the name the backend is registered under in its contexts.
    pub(crate) fn set_name(&mut self, name: &std::sync::Arc<str>) {
        for ctx in self.by_digest.values_mut() {
            *ctx = ctx.clone().with_backend(name);
        }
    }

    /// Where keys are read.
    pub fn source(&self) -> &CredentialSource {
        &self.source
    }

    /// Authenticates `req` by its key.
    pub fn authenticate(&self, req: &dyn RequestParts) -> Outcome {
        match self.source.find(req) {
            Found::Nothing => Outcome::NoCredentials,
            Found::Malformed => Outcome::Rejected(Reason::InvalidApiKey),
            Found::Repeated => Outcome::Rejected(Reason::RepeatedHeader),
            Found::Value(key) => match self.lookup_bytes(key) {
                Some(ctx) => Outcome::Authenticated(ctx.clone()),
                None => Outcome::Rejected(Reason::InvalidApiKey),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::SimpleRequest;

    fn backend() -> ApiKeyBackend {
        ApiKeys::new()
            .key("sk-reader-0001", ["articles.read"])
            .hashed_key(ApiKeys::hash_key("sk-hashed-0002"), ["articles.*"])
            .with_key(
                ApiKey::new("sk-service-003")
                    .user_id("billing")
                    .roles(["service"])
                    .name("billing"),
            )
            .build(Some(&RoleMap::new().grant("service", ["invoices.*"])))
            .unwrap()
    }

    fn outcome(b: &ApiKeyBackend, header: Option<&str>) -> Result<AuthContext, Option<Reason>> {
        let mut req = SimpleRequest::new("GET", "/");
        if let Some(h) = header {
            req = req.header("X-API-Key", h);
        }
        match b.authenticate(&req) {
            Outcome::Authenticated(c) => Ok(c),
            Outcome::Rejected(r) => Err(Some(r)),
            Outcome::NoCredentials => Err(None),
            Outcome::Unavailable(u) => panic!("unexpected {u}"),
        }
    }

    #[test]
    fn api_key_table() {
        let b = backend();
        let ok = outcome(&b, Some("sk-reader-0001")).unwrap();
        assert!(ok.has_permission("articles.read") && !ok.has_permission("articles.write"));
        assert_eq!(ok.user_id(), "api_key:1");
        let hashed = outcome(&b, Some("sk-hashed-0002")).unwrap();
        assert!(
            hashed.has_permission("articles.write"),
            "hashed key with wildcard"
        );
        let svc = outcome(&b, Some("sk-service-003")).unwrap();
        assert_eq!(svc.user_id(), "billing");
        assert!(
            svc.has_permission("invoices.pay"),
            "role granted permission"
        );
        assert_eq!(
            outcome(&b, Some("sk-reader-0002")).unwrap_err(),
            Some(Reason::InvalidApiKey),
            "wrong key"
        );
        assert_eq!(
            outcome(&b, Some("")).unwrap_err(),
            Some(Reason::InvalidApiKey),
            "empty key"
        );
        assert_eq!(
            outcome(&b, Some(&ApiKeys::hash_key("sk-hashed-0002"))).unwrap_err(),
            Some(Reason::InvalidApiKey),
            "the digest itself is not a key"
        );
        assert_eq!(
            outcome(&b, None).unwrap_err(),
            None,
            "no header passes to the next backend"
        );
    }

    #[test]
    fn config_errors() {
        let short = ApiKeys::new().key("", ["a"]).build(None).unwrap_err();
        assert!(
            matches!(short, ConfigError::WeakApiKey { len: 0, .. }),
            "{short}"
        );
        let bad_hash = ApiKeys::new()
            .hashed_key("abc", ["a"])
            .build(None)
            .unwrap_err();
        assert!(matches!(bad_hash, ConfigError::InvalidKeyHash { index: 1 }));
        let dup = ApiKeys::new()
            .key("sk-same-key", ["a"])
            .hashed_key(ApiKeys::hash_key("sk-same-key"), ["b"])
            .build(None)
            .unwrap_err();
        assert!(matches!(dup, ConfigError::DuplicateApiKey { index: 2 }));
        let bad_perm = ApiKeys::new()
            .key("sk-ok-key-1", ["a..b"])
            .build(None)
            .unwrap_err();
        assert!(bad_perm.to_string().contains("a..b"));
        // The bound is the minimum length itself: a key of exactly that length is accepted.
        let exact = "k".repeat(MIN_KEY_LEN);
        assert!(ApiKeys::new().key(&exact, ["a"]).build(None).is_ok());
        let one_less = ApiKeys::new()
            .key(&exact[1..], ["a"])
            .build(None)
            .unwrap_err();
        assert!(
            matches!(one_less, ConfigError::WeakApiKey { len, min, .. } if len == MIN_KEY_LEN - 1 && min == MIN_KEY_LEN),
            "{one_less}"
        );
    }

    #[test]
    fn keys_never_show_in_debug() {
        let keys = ApiKeys::new().with_key(
            ApiKey::new("sk-secret-value")
                .name("billing")
                .permissions(["invoices.read"]),
        );
        let shown = format!("{keys:?}");
        assert!(!shown.contains("sk-secret-value"), "{shown}");
        // What a log of the configuration is for: which keys there are and what they grant.
        for part in ["<redacted>", "billing", "invoices.read"] {
            assert!(shown.contains(part), "{part} missing from {shown}");
        }
        let b = keys.build(None).unwrap();
        let shown = format!("{b:?}");
        assert!(!shown.contains("sk-secret-value"), "{shown}");
        assert!(shown.contains("keys: 1"), "{shown}");
    }

    #[test]
    fn a_custom_header_replaces_x_api_key() {
        let b = ApiKeys::new()
            .key("sk-reader-0001", ["a"])
            .header("X-Service-Key")
            .build(None)
            .unwrap();
        let req = SimpleRequest::new("GET", "/").header("X-Service-Key", "sk-reader-0001");
        assert!(matches!(b.authenticate(&req), Outcome::Authenticated(_)));
        let req = SimpleRequest::new("GET", "/").header("X-API-Key", "sk-reader-0001");
        assert!(matches!(b.authenticate(&req), Outcome::NoCredentials));
    }

    #[test]
    fn a_key_that_is_not_text_is_refused() {
        let b = backend();
        let req = SimpleRequest::new("GET", "/").header("X-API-Key", b"sk-reader-000\xff");
        assert!(matches!(
            b.authenticate(&req),
            Outcome::Rejected(Reason::InvalidApiKey)
        ));
    }

    /// The contexts are stamped with the name the backend is registered under once, when it is
    /// registered, so that the chain hands out the stored context instead of copying it to
    /// rename it on every request.
    #[test]
    fn registering_stamps_the_stored_contexts_with_the_name() {
        let mut b = backend();
        b.set_name(&"partner_keys".into());
        let ctx = b.lookup("sk-reader-0001").unwrap();
        assert_eq!(ctx.backend(), "partner_keys");
    }

    #[test]
    fn authorization_prefix() {
        let b = ApiKeys::new()
            .key("sk-reader-0001", ["a"])
            .header_with_prefix("Authorization", "ApiKey")
            .build(None)
            .unwrap();
        let req = SimpleRequest::new("GET", "/").header("Authorization", "apikey sk-reader-0001");
        assert!(matches!(b.authenticate(&req), Outcome::Authenticated(_)));
        let req = SimpleRequest::new("GET", "/").header("Authorization", "Bearer sk-reader-0001");
        assert!(matches!(b.authenticate(&req), Outcome::NoCredentials));
    }
}
