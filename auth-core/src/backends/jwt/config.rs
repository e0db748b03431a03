//! [`JwtConfig`]: what the JWT backend verifies and issues, validated when it is built.

use std::fmt;
use std::sync::Arc;

use super::backend::{JwtBackend, Settings};
use super::cache::TokenCache;
use super::keys::JwtKey;
use crate::error::ConfigError;
use crate::identity::permissions::RoleMap;
use crate::request::CredentialSource;
use crate::revocation::RevocationStore;

/// Configuration of the JWT backend, built into a [`JwtBackend`].
///
/// Secure defaults: `exp` required, zero leeway, `Authorization: Bearer`, tokens of type
/// `access` only, audience checked whenever a token has one.
///
/// ```
/// use auth_core::jwt::JwtConfig;
/// let jwt = JwtConfig::hs256(b"an example secret that is 32+ bytes long")
///     .issuer("my-app")
///     .audience("my-api")
///     .leeway_secs(30)
///     .cookie("access_token")
///     .build(None, None)
///     .unwrap();
/// ```
pub struct JwtConfig {
    keys: Vec<Result<JwtKey, ConfigError>>,
    header: Result<Option<CredentialSource>, ConfigError>,
    cookie: Result<Option<CredentialSource>, ConfigError>,
    pub(crate) issuer: Option<String>,
    pub(crate) audiences: Vec<String>,
    pub(crate) leeway: u64,
    pub(crate) require_exp: bool,
    pub(crate) access_ttl: u64,
    pub(crate) refresh_ttl: u64,
    pub(crate) permissions_in_tokens: bool,
    pub(crate) refresh_retry: u64,
    pub(crate) refresh_absolute: u64,
    users: Option<std::sync::Arc<dyn crate::backends::session::DynUsers>>,
    ring: Option<super::ring::KeyRing>,
    pub(crate) cache_capacity: usize,
    pub(crate) cache_ttl: u64,
    #[cfg(feature = "oidc")]
    providers: Vec<super::provider::IdentityProvider>,
}

impl fmt::Debug for JwtConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtConfig")
            .field("keys", &self.keys)
            .field("issuer", &self.issuer)
            .field("audiences", &self.audiences)
            .field("leeway", &self.leeway)
            .field("require_exp", &self.require_exp)
            .field("access_ttl", &self.access_ttl)
            .field("refresh_ttl", &self.refresh_ttl)
            .field("refresh_absolute", &self.refresh_absolute)
            .field("users", &self.users.is_some())
            .field("ring", &self.ring)
            .finish_non_exhaustive()
    }
}

impl Default for JwtConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl JwtConfig {
    /// A configuration with no key yet (add keys with [`JwtConfig::key`]).
    pub fn new() -> Self {
        JwtConfig {
            keys: Vec::new(),
            header: Ok(Some(CredentialSource::bearer())),
            cookie: Ok(None),
            issuer: None,
            audiences: Vec::new(),
            leeway: 0,
            require_exp: true,
            access_ttl: 15 * 60,
            refresh_ttl: 7 * 24 * 3600,
            permissions_in_tokens: false,
            refresh_retry: 10,
            refresh_absolute: 30 * 24 * 3600,
            users: None,
            ring: None,
            cache_capacity: 10_000,
            cache_ttl: 300,
            #[cfg(feature = "oidc")]
            providers: Vec::new(),
        }
    }

    /// HS256 with `secret` (at least 32 bytes; a shorter one fails when the configuration is built).
    pub fn hs256(secret: impl AsRef<[u8]>) -> Self {
        Self::new().try_key(JwtKey::hs256(secret.as_ref()))
    }

    /// HS384 with `secret`.
    pub fn hs384(secret: impl AsRef<[u8]>) -> Self {
        Self::new().try_key(JwtKey::hs384(secret.as_ref()))
    }

    /// HS512 with `secret`.
    pub fn hs512(secret: impl AsRef<[u8]>) -> Self {
        Self::new().try_key(JwtKey::hs512(secret.as_ref()))
    }

    /// Adds a key.
    pub fn key(mut self, key: JwtKey) -> Self {
        self.keys.push(Ok(key));
        self
    }

    /// Adds a key whose construction may have failed; the error is reported by `build`.
    pub fn try_key(mut self, key: Result<JwtKey, ConfigError>) -> Self {
        self.keys.push(key);
        self
    }

    /// Adds an identity provider's keys (feature `oidc`): its tokens are verified with the keys
    /// it publishes, fetched in the background and rotated without a restart.
    ///
    /// Each key source verifies only the tokens of its issuer: this configuration's static keys
    /// those stating [`JwtConfig::issuer`], each provider those stating its own. At most one
    /// source may go without an issuer: it verifies the tokens whose `iss` no other source
    /// claims. A provider without an issuer takes this configuration's when it has no static key.
    #[cfg(feature = "oidc")]
    pub fn identity_provider(mut self, provider: super::provider::IdentityProvider) -> Self {
        self.providers.push(provider);
        self
    }

    /// Adds an OpenID provider by its issuer URL (discovery; feature `oidc`). See
    /// [`IdentityProvider::oidc`](super::IdentityProvider::oidc).
    #[cfg(feature = "oidc")]
    pub fn oidc(self, issuer: &str) -> Self {
        self.identity_provider(super::provider::IdentityProvider::oidc(issuer))
    }

    /// Adds a JWKS URL as a key source (feature `oidc`). See
    /// [`IdentityProvider::jwks`](super::IdentityProvider::jwks).
    #[cfg(feature = "oidc")]
    pub fn jwks(self, url: &str) -> Self {
        self.identity_provider(super::provider::IdentityProvider::jwks(url))
    }

    /// Requires (and issues) this `iss` (default: none, and `iss` is not checked).
    pub fn issuer(mut self, iss: impl Into<String>) -> Self {
        self.issuer = Some(iss.into());
        self
    }

    /// Accepts tokens for this audience (call again for several); the first one is issued.
    /// Default: none, and a token that names an audience is refused.
    pub fn audience(mut self, aud: impl Into<String>) -> Self {
        self.audiences.push(aud.into());
        self
    }

    /// Clock-skew allowance for `exp` and `nbf`, in seconds (default 0).
    pub fn leeway_secs(mut self, secs: u64) -> Self {
        self.leeway = secs;
        self
    }

    /// Reads the token from this header, without a scheme prefix (default:
    /// `Authorization: Bearer`).
    pub fn header(mut self, name: &str) -> Self {
        self.header = CredentialSource::header(name).map(Some);
        self
    }

    /// Reads the token from this header after this scheme prefix (matched case-insensitively).
    pub fn header_with_prefix(mut self, name: &str, prefix: &str) -> Self {
        self.header = CredentialSource::header_with_prefix(name, prefix).map(Some);
        self
    }

    /// Also reads the token from this cookie, after the header (default: no cookie).
    pub fn cookie(mut self, name: &str) -> Self {
        self.cookie = CredentialSource::cookie(name).map(Some);
        self
    }

    /// Reads the token from this cookie only.
    pub fn cookie_only(mut self, name: &str) -> Self {
        self.header = Ok(None);
        self.cookie(name)
    }

    /// Lifetime of issued access tokens, in seconds (default 900).
    pub fn access_ttl_secs(mut self, secs: u64) -> Self {
        self.access_ttl = secs;
        self
    }

    /// Lifetime of issued refresh tokens, in seconds (default 7 days).
    pub fn refresh_ttl_secs(mut self, secs: u64) -> Self {
        self.refresh_ttl = secs;
        self
    }

    /// How long after a failed refresh its token may be presented again (default 10 seconds; 0
    /// turns retries off).
    ///
    /// A refresh answered 503 may still have marked its token used (the store timed out, but
    /// its write landed). Such a token, used but never answered, can be retried within this
    /// window (and no sooner than a second after the first attempt): the retry gets a new pair
    /// in the same family and nothing is revoked. A token whose refresh was answered is spent:
    /// presenting it again is reuse and revokes its family, within the window too.
    pub fn refresh_retry_secs(mut self, secs: u64) -> Self {
        self.refresh_retry = secs;
        self
    }

    /// How long a login's refresh family lives, however often it is refreshed (default 30
    /// days). Past it, a refresh answers 401 and the user logs in again; refresh tokens never
    /// expire later than it.
    pub fn refresh_absolute_secs(mut self, secs: u64) -> Self {
        self.refresh_absolute = secs;
        self
    }

    /// Checks the user on every refresh, loaded fresh through `users` (the application's user
    /// table, as [`crate::backends::session::Sessions`] loads it): a user that no longer exists, is
    /// inactive, or whose password hash changed since login ends the family with 401, and
    /// the new pair carries the user's roles and flags as they are now. Without it a refresh
    /// re-issues what the refresh token says, until `logout_all` or the absolute lifetime.
    pub fn users<U: crate::backends::session::SessionUsers>(mut self, users: U) -> Self {
        self.users = Some(std::sync::Arc::new(users));
        self
    }

    /// Issues with the current key of `ring` (its `kid` in every token's header) instead of the
    /// first static key that can sign, and verifies this server's tokens with every key of the
    /// ring too (by `kid`), beside the static keys. Keep a clone of the ring to rotate its keys
    /// while the server runs ([`KeyRing::replace`](super::KeyRing::replace)); publish its JWKS
    /// (`auth_actix::endpoints::well_known`) so that other services verify these tokens. Give
    /// the configuration an issuer ([`JwtConfig::issuer`]): other services tell this one's
    /// tokens by it.
    pub fn key_ring(mut self, ring: super::ring::KeyRing) -> Self {
        self.ring = Some(ring);
        self
    }

    /// Puts the user's permissions into issued access tokens (default: no, as Django-Bolt).
    pub fn permissions_in_tokens(mut self, yes: bool) -> Self {
        self.permissions_in_tokens = yes;
        self
    }

    /// Capacity of the verified-token cache, per JWT backend (default 10,000 tokens; 0 turns it
    /// off).
    ///
    /// A token verified once is not verified again until it expires. Why that is safe:
    /// - a hit means these exact bytes (header, claims and signature) were verified before:
    ///   the cache is keyed by the SHA-256 digest of the whole token, so letting one token ride
    ///   on another's verification would take a SHA-256 collision; in front of it, each thread
    ///   keeps the last token it met, compared whole and in constant time;
    /// - only tokens that passed every check enter; an entry lives until `min(exp + leeway,
    ///   now + cache_ttl_secs)` and an expired token is never answered from the cache;
    /// - revocation is not cached: the store is asked on every request, hit or miss;
    /// - when the cache is full, the oldest entries are evicted first;
    /// - an identity provider's changed key set empties the cache (and retires every thread's
    ///   last token); removing a static key means building a new backend, which starts with an
    ///   empty cache.
    ///
    /// Memory: an entry holds the digest and the token's context (its claims JSON, user id and
    /// token facts; roles and permissions are shared between tokens with the same grants):
    /// about 600 bytes for a token of 140 bytes of claims; each thread also keeps one token.
    pub fn cache_capacity(mut self, tokens: usize) -> Self {
        self.cache_capacity = tokens;
        self
    }

    /// Longest time a verified token is remembered, in seconds (default 300).
    pub fn cache_ttl_secs(mut self, secs: u64) -> Self {
        self.cache_ttl = secs;
        self
    }

    /// Turns the verified-token cache off: every request verifies its token's signature.
    pub fn no_cache(self) -> Self {
        self.cache_capacity(0)
    }

    /// Accepts tokens without `exp`. Such tokens live until revoked: prefer short-lived ones.
    pub fn dangerous_optional_exp(mut self) -> Self {
        self.require_exp = false;
        self
    }

    /// Validates the configuration and builds the backend.
    ///
    /// `roles` maps token roles to permissions; `revocation` is consulted for every token.
    pub fn build(
        self,
        roles: Option<&RoleMap>,
        revocation: Option<Arc<dyn RevocationStore>>,
    ) -> Result<JwtBackend, ConfigError> {
        crate::util::crypto::ensure_provider();
        let mut keys = Vec::with_capacity(self.keys.len());
        for k in self.keys {
            keys.push(k?);
        }
        #[cfg(feature = "oidc")]
        let no_provider = self.providers.is_empty();
        #[cfg(not(feature = "oidc"))]
        let no_provider = true;
        if keys.is_empty() && no_provider && self.ring.is_none() {
            return Err(ConfigError::NoJwtKey);
        }
        let with_kid = keys.iter().filter(|k| k.kid.is_some()).count();
        if with_kid != 0 && with_kid != keys.len() {
            return Err(ConfigError::MixedKid);
        }
        for (i, k) in keys.iter().enumerate() {
            if let Some(kid) = &k.kid {
                if keys[..i].iter().any(|o| o.kid.as_ref() == Some(kid)) {
                    return Err(ConfigError::DuplicateKid(kid.to_string()));
                }
            }
        }
        let mut sources = Vec::with_capacity(2);
        if let Some(h) = self.header? {
            sources.push(h);
        }
        if let Some(c) = self.cookie? {
            sources.push(c);
        }
        if sources.is_empty() {
            return Err(ConfigError::Invalid(
                "the JWT backend has no token source".into(),
            ));
        }
        let cache = TokenCache::new(self.cache_capacity, self.cache_ttl).map(Arc::new);
        #[cfg(feature = "oidc")]
        let providers = {
            let has_static = !keys.is_empty() || self.ring.is_some();
            let mut issuers: Vec<Option<String>> = Vec::new();
            if has_static {
                issuers.push(self.issuer.clone());
            }
            let mut started = Vec::with_capacity(self.providers.len());
            for mut p in self.providers {
                if p.issuer.is_none() && !has_static {
                    p.issuer = self.issuer.clone();
                }
                if issuers.contains(&p.issuer) {
                    return Err(ConfigError::Invalid(
                        match &p.issuer {
                            Some(iss) => format!("two JWT key sources for the issuer {iss:?}: each issuer has one source"),
                            None => "two JWT key sources without an issuer: give the identity provider its issuer (IdentityProvider::issuer) or the static keys theirs (JwtConfig::issuer)".into(),
                        }
                        .into(),
                    ));
                }
                issuers.push(p.issuer.clone());
                started.push(p.start(cache.clone())?);
            }
            started
        };
        if let Some(ring) = &self.ring {
            ring.attach(cache.as_ref());
        }
        Ok(JwtBackend {
            s: Settings {
                keys,
                ring: self.ring,
                kid_mode: with_kid != 0,
                sources,
                issuer: self.issuer,
                audiences: self.audiences,
                leeway: self.leeway,
                require_exp: self.require_exp,
                access_ttl: self.access_ttl,
                refresh_ttl: self.refresh_ttl,
                permissions_in_tokens: self.permissions_in_tokens,
                refresh_retry: self.refresh_retry,
                refresh_absolute: self.refresh_absolute,
                users: self.users,
                roles: roles.cloned(),
                revocation,
                name: "jwt".into(),
                cache,
                #[cfg(feature = "oidc")]
                providers,
                grants: Default::default(),
            },
        })
    }
}
