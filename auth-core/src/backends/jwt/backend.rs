//! [`JwtBackend`]: finds a request's token, verifies it (or finds it in the verified-token
//! cache), and asks the revocation store about it.

use std::fmt;
use std::sync::Arc;

use super::cache::TokenCache;
use super::keys::JwtKey;
use crate::backends::doc::{BackendDoc, CredentialDoc};
use crate::backends::{Origin, Outcome};
use crate::error::Reason;
use crate::identity::context::{AuthContext, GrantsCache};
use crate::identity::permissions::RoleMap;
use crate::request::{CredentialSource, Found, RequestParts};
use crate::revocation::{RevocationStore, TokenRef};

/// What a built backend knows; see [`super::JwtConfig`] for each setting.
pub(crate) struct Settings {
    pub keys: Vec<JwtKey>,
    /// The keys this server issues with and rotates, if it has a ring.
    pub ring: Option<super::ring::KeyRing>,
    /// Whether keys are chosen by `kid` (every key has one) rather than by `alg`.
    pub kid_mode: bool,
    pub sources: Vec<CredentialSource>,
    pub issuer: Option<String>,
    pub audiences: Vec<String>,
    pub leeway: u64,
    pub require_exp: bool,
    pub access_ttl: u64,
    pub refresh_ttl: u64,
    pub permissions_in_tokens: bool,
    /// Seconds after a refresh token's first use during which it may be presented again.
    pub refresh_retry: u64,
    /// Seconds a refresh family lives after its login, however often it is refreshed.
    pub refresh_absolute: u64,
    /// Where a refresh loads the user to check it, if the application gave a way.
    pub users: Option<Arc<dyn crate::backends::session::DynUsers>>,
    pub roles: Option<RoleMap>,
    pub revocation: Option<Arc<dyn RevocationStore>>,
    /// The name the backend is registered under (recorded in contexts).
    pub name: Arc<str>,
    /// Shared with the identity providers' refreshers, which empty it when a key set changes.
    pub cache: Option<Arc<TokenCache>>,
    /// Remote key sources, each bound to its issuer.
    #[cfg(feature = "oidc")]
    pub providers: Vec<super::provider::Provider>,
    /// Roles and permissions of verified tokens, each distinct set built once.
    pub grants: GrantsCache,
}

/// Why a credential that is empty, or not text, is refused.
const NOT_TEXT: &str = "empty or non-UTF-8 credential";

use crate::identity::context::TokenKind;

/// The built JWT backend: verifies tokens, checks revocation, issues tokens.
pub struct JwtBackend {
    pub(crate) s: Settings,
}

impl fmt::Debug for JwtBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtBackend")
            .field("keys", &self.s.keys)
            .field("sources", &self.s.sources)
            .field("issuer", &self.s.issuer)
            .field("audiences", &self.s.audiences)
            .field("leeway", &self.s.leeway)
            .field("require_exp", &self.s.require_exp)
            .field("revocation", &self.s.revocation.as_ref().map(|r| r.name()))
            .finish_non_exhaustive()
    }
}

impl JwtBackend {
    /// The key ring this backend issues with, if it has one (its JWKS is what to publish).
    pub fn key_ring(&self) -> Option<&super::ring::KeyRing> {
        self.s.ring.as_ref()
    }

    /// The issuer this backend's own tokens state, if configured.
    pub fn issuer(&self) -> Option<&str> {
        self.s.issuer.as_deref()
    }

    /// The revocation store, if any.
    pub fn revocation(&self) -> Option<&Arc<dyn RevocationStore>> {
        self.s.revocation.as_ref()
    }

    /// Lifetime of issued access tokens, in seconds.
    pub fn access_ttl(&self) -> u64 {
        self.s.access_ttl
    }

    /// Lifetime of issued refresh tokens, in seconds.
    pub fn refresh_ttl(&self) -> u64 {
        self.s.refresh_ttl
    }

    /// Where tokens are read, and the identity providers found by discovery, as documentation
    /// shows them.
    pub fn describe(&self) -> BackendDoc {
        #[allow(unused_mut)] // extended with the identity providers under `oidc`
        let mut credentials: Vec<_> = self
            .s
            .sources
            .iter()
            .map(|s| CredentialDoc::of(s, Some("JWT")))
            .collect();
        #[cfg(feature = "oidc")]
        credentials.extend(
            self.s
                .providers
                .iter()
                .filter_map(|p| p.discovery.clone())
                .map(CredentialDoc::OpenIdConnect),
        );
        BackendDoc {
            credentials,
            description: Some("JSON Web Tokens (access tokens of this API).".into()),
        }
    }

    pub(crate) fn set_name(&mut self, name: &Arc<str>) {
        self.s.name = name.clone();
    }

    /// Verifies an access token (signature and claims, not revocation) into a context,
    /// answering from the verified-token cache when the same token was verified before.
    pub fn verify(&self, token: &str) -> Result<AuthContext, Reason> {
        self.verify_presented(token.as_bytes())
    }

    /// [`JwtBackend::verify`] for a token as a request carried it: checked as text only when
    /// it is verified, not when the cache answers for it.
    fn verify_presented(&self, token: &[u8]) -> Result<AuthContext, Reason> {
        let verify = || match std::str::from_utf8(token) {
            Ok(token) => self.verify_kind(token, TokenKind::Access),
            Err(_) => Err(Reason::Malformed(NOT_TEXT)),
        };
        match &self.s.cache {
            Some(cache) => {
                cache.get_or_verify(token, crate::util::time::now(), self.s.leeway, verify)
            }
            None => verify(),
        }
    }

    /// Asks the revocation store about a verified context.
    ///
    /// `Err` holds the outcome to report: [`Reason::Revoked`] or the store's failure.
    pub async fn check_revocation(&self, ctx: &AuthContext) -> Result<(), Outcome> {
        let Some(store) = &self.s.revocation else {
            return Ok(());
        };
        let token = ctx.token();
        let t = TokenRef {
            jti: token.and_then(|t| t.jti.as_deref()),
            user_id: ctx.user_id(),
            issued_at_ms: token.and_then(|t| t.issued_at_ms),
            family: token.and_then(|t| t.family.as_deref()),
        };
        match store.is_revoked(t).await {
            Ok(false) => Ok(()),
            Ok(true) => Err(Outcome::Rejected(Reason::Revoked)),
            Err(e) => Err(Outcome::Unavailable(e.to_string())),
        }
    }

    /// Authenticates a request: finds the token, verifies it, checks revocation.
    pub async fn authenticate(&self, req: &(dyn RequestParts + Sync)) -> Outcome {
        match self.find(req) {
            None => Outcome::NoCredentials,
            Some((found, _)) => self.authenticate_found(found).await,
        }
    }

    /// The first source that finds something in `req`, and where it is: a cookie needs the
    /// adapter's CSRF check before the request may change state.
    pub(crate) fn find<'r>(
        &self,
        req: &'r (dyn RequestParts + Sync),
    ) -> Option<(Found<'r>, Origin)> {
        self.s
            .sources
            .iter()
            .find_map(|source| match source.find(req) {
                Found::Nothing => None,
                found => Some((
                    found,
                    match source {
                        CredentialSource::Cookie(_) => Origin::Cookie,
                        CredentialSource::Header { .. } => Origin::Header,
                    },
                )),
            })
    }

    /// Verifies what a credential source found and asks the revocation store about it.
    pub(crate) async fn authenticate_found(&self, found: Found<'_>) -> Outcome {
        let token = match found {
            Found::Value(token) => token,
            Found::Repeated => return Outcome::Rejected(Reason::RepeatedHeader),
            Found::Nothing | Found::Malformed => {
                return Outcome::Rejected(Reason::Malformed(NOT_TEXT))
            }
        };
        let verified = match self.verify_presented(token) {
            #[cfg(feature = "oidc")]
            Err(r @ (Reason::UnknownKey | Reason::KeysUnavailable))
                if !self.s.providers.is_empty() =>
            {
                // A provider may have rotated its keys, or not answered yet: one fetch (at most
                // one per cooldown, shared by every request asking meanwhile) and a second look;
                // without a fetch, the first answer stands (no second verification). Boxed: the
                // fetch's future is large (1.4 KB, most of this one), and held inline it would be
                // allocated and moved on every request of every backend chain that can reach it.
                // (A key was looked for, so the token parsed as text.)
                match std::str::from_utf8(token) {
                    Ok(token) => Box::pin(self.verify_after_refetch(token))
                        .await
                        .unwrap_or(Err(r)),
                    Err(_) => Err(r),
                }
            }
            other => other,
        };
        let ctx = match verified {
            Ok(ctx) => ctx,
            Err(Reason::KeysUnavailable) => {
                return Outcome::Unavailable(Reason::KeysUnavailable.to_string())
            }
            Err(reason) => return Outcome::Rejected(reason),
        };
        match self.check_revocation(&ctx).await {
            Ok(()) => Outcome::Authenticated(ctx),
            Err(outcome) => outcome,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::backends::jwt::{JwtConfig, TokenOptions};
    use crate::identity::context::AuthContext;

    fn token(jwt: &super::JwtBackend, user: &str) -> String {
        let ctx = AuthContext::builder(user).build();
        jwt.issue_for_context(&ctx, TokenOptions::access())
            .unwrap()
            .token
    }

    #[test]
    fn the_cache_keeps_verified_tokens_up_to_its_capacity() {
        const SECRET: &[u8] = b"a-test-secret-that-is-long-enough-for-hs256";
        let jwt = JwtConfig::hs256(SECRET).build(None, None).unwrap();
        let cache = jwt.s.cache.as_ref().unwrap();
        let t = token(&jwt, "1");
        assert!(jwt.verify("not.a.token").is_err());
        assert_eq!(cache.len(), 0, "a refused token never enters");
        jwt.verify(&t).unwrap();
        jwt.verify(&t).unwrap();
        assert_eq!(cache.len(), 1, "verified once, remembered once");

        let small = JwtConfig::hs256(SECRET)
            .cache_capacity(16)
            .build(None, None)
            .unwrap();
        for i in 0..200 {
            small.verify(&token(&small, &i.to_string())).unwrap();
        }
        let len = small.s.cache.as_ref().unwrap().len();
        assert!(len <= 16, "capacity respected: {len}");

        let off = JwtConfig::hs256(SECRET)
            .no_cache()
            .build(None, None)
            .unwrap();
        assert!(off.s.cache.is_none());
        assert!(off.verify(&t).is_ok());
    }
}
