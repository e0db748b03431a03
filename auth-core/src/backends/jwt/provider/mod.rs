//! Identity providers: tokens minted by Keycloak, Auth0, Entra ID, Okta or any OpenID provider,
//! verified with the keys the provider publishes (feature `oidc`).
//!
//! An [`IdentityProvider`] names where the keys are (OpenID discovery from the issuer, or a JWKS
//! URL), the issuer its tokens must state, and how their claims map to an identity
//! ([`ClaimMapping`]). Added to a [`JwtConfig`](crate::backends::jwt::JwtConfig), it becomes one of the
//! backend's key sources: a token is matched to a source by its `iss` before any signature
//! check, and verified only with that source's keys.
//!
//! Files: `jwk.rs` (a JWKS into keys), `fetch.rs` (HTTP), `keyset.rs` (the swapped key set and
//! its refresher), `mapping.rs` (claims into an identity), `verify.rs` (the backend's side).

mod fetch;
pub(crate) mod jwk;
mod keyset;
mod mapping;
mod verify;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use mapping::ClaimMapping;

use self::fetch::Location;
use self::keyset::{RemoteKeys, Timing};
use crate::backends::jwt::cache::TokenCache;
use crate::error::ConfigError;

/// A remote key source: an OpenID provider (discovery) or a JWKS URL, with the issuer its tokens
/// state and how their claims map to an identity.
///
/// Defaults: keys refreshed every 10 minutes (or sooner, at the `max-age` the JWKS is served
/// with, taken between 1 minute and 1 day), an unknown `kid` fetches again at most every 30 seconds, one
/// fetch (discovery and JWKS) must finish within 5 seconds, documents of at most 256 KiB.
///
/// ```
/// use auth_core::jwt::{IdentityProvider, JwtConfig};
/// let jwt = JwtConfig::new()
///     .identity_provider(IdentityProvider::keycloak("https://sso.example.com/realms/acme", Some("orders-api")))
///     .audience("orders-api");
/// ```
pub struct IdentityProvider {
    pub(crate) issuer: Option<String>,
    location: Result<Location, ConfigError>,
    pub(crate) mapping: ClaimMapping,
    require_at_jwt: bool,
    timing: Timing,
    client: Option<reqwest::Client>,
}

impl fmt::Debug for IdentityProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityProvider")
            .field("issuer", &self.issuer)
            .field("location", &self.location)
            .field("mapping", &self.mapping)
            .field("require_at_jwt", &self.require_at_jwt)
            .field("timing", &self.timing)
            .finish_non_exhaustive()
    }
}

impl IdentityProvider {
    fn with(issuer: Option<String>, location: Result<Location, ConfigError>) -> Self {
        IdentityProvider {
            issuer,
            location,
            mapping: ClaimMapping::default(),
            require_at_jwt: false,
            timing: Timing {
                refresh: Duration::from_secs(600),
                cooldown: Duration::from_secs(30),
                deadline: Duration::from_secs(5),
                max_bytes: 256 * 1024,
            },
            client: None,
        }
    }

    /// An OpenID provider: its keys are found through `{issuer}/.well-known/openid-configuration`
    /// (whose `issuer` must equal this one), and its tokens must state this `iss`.
    pub fn oidc(issuer: &str) -> Self {
        let location = fetch::discovery_url(issuer).map(|url| Location::Discovery {
            issuer: issuer.to_owned(),
            url,
        });
        Self::with(Some(issuer.to_owned()), location)
    }

    /// A JWKS URL. Its tokens must state the issuer set with [`IdentityProvider::issuer`]; without
    /// one, this source verifies the tokens whose `iss` no other source claims.
    pub fn jwks(url: &str) -> Self {
        let location = fetch::check_url("the JWKS URL", url).map(Location::Jwks);
        Self::with(None, location)
    }

    /// The `iss` this source's tokens must state.
    pub fn issuer(mut self, issuer: &str) -> Self {
        self.issuer = Some(issuer.to_owned());
        self
    }

    /// Keycloak: roles from `realm_access.roles` (and `resource_access.<client>.roles` when a
    /// client is given), scopes from `scope`, user id `sub`. `issuer` is the realm's URL
    /// (`https://host/realms/<realm>`).
    pub fn keycloak(issuer: &str, client: Option<&str>) -> Self {
        let mut mapping = ClaimMapping::default()
            .roles_claims(["realm_access.roles"])
            .permissions_claims([]);
        if let Some(client) = client {
            mapping = mapping.roles_at(["resource_access", client, "roles"]);
        }
        Self::oidc(issuer).claims(mapping)
    }

    /// Auth0: roles from the namespaced claim `roles_claim` (added by an Auth0 Action, e.g.
    /// `https://example.com/roles`), permissions from `permissions` (RBAC) and `scope`.
    pub fn auth0(issuer: &str, roles_claim: &str) -> Self {
        let mapping = ClaimMapping::default()
            .roles_claims([])
            .roles_at([roles_claim]);
        Self::oidc(issuer).claims(mapping)
    }

    /// Microsoft Entra ID: app roles from `roles`, delegated scopes from `scp`, user id `oid`
    /// (stable across applications, unlike `sub`). `issuer`:
    /// `https://login.microsoftonline.com/<tenant>/v2.0`.
    pub fn entra(issuer: &str) -> Self {
        let mapping = ClaimMapping::default()
            .user_id_claim("oid")
            .roles_claims(["roles"])
            .permissions_claims([]);
        Self::oidc(issuer).claims(mapping)
    }

    /// Okta: roles from `groups`, scopes from `scp`, user id `sub`. `issuer`: the authorization
    /// server (`https://<org>.okta.com/oauth2/default`).
    pub fn okta(issuer: &str) -> Self {
        let mapping = ClaimMapping::default()
            .roles_claims(["groups"])
            .permissions_claims([]);
        Self::oidc(issuer).claims(mapping)
    }

    /// How claims map to the identity (replacing the preset's).
    pub fn claims(mut self, mapping: ClaimMapping) -> Self {
        self.mapping = mapping;
        self
    }

    /// Changes the mapping in place (`|m| m.roles_claims(["groups"])`).
    pub fn map_claims(mut self, f: impl FnOnce(ClaimMapping) -> ClaimMapping) -> Self {
        self.mapping = f(self.mapping);
        self
    }

    /// Requires the provider's tokens to be marked as access tokens (`typ: at+jwt`, RFC 9068
    /// section 4), refusing any other (default: no). Turn it on for providers that mark their
    /// access tokens (panva's oidc-provider, Auth0 with the RFC 9068 profile, Curity); Keycloak,
    /// Entra ID and Okta do not, so none of the presets does. Without it, ID tokens are still
    /// refused where they can be told apart (`nonce`, `at_hash`, `c_hash`, Keycloak's
    /// `typ: "ID"`).
    pub fn require_access_token_type(mut self, yes: bool) -> Self {
        self.require_at_jwt = yes;
        self
    }

    /// How often the keys are fetched again when the JWKS states no `max-age` (default 10 min).
    pub fn refresh_interval(mut self, every: Duration) -> Self {
        self.timing.refresh = every;
        self
    }

    /// The least time between two fetches asked for by requests (an unknown `kid`, or no key
    /// loaded yet), and how long an unknown `kid` is refused without asking (default 30 s).
    pub fn unknown_kid_cooldown(mut self, cooldown: Duration) -> Self {
        self.timing.cooldown = cooldown;
        self
    }

    /// The deadline of one whole fetch, discovery and JWKS together (default 5 s).
    pub fn fetch_timeout(mut self, deadline: Duration) -> Self {
        self.timing.deadline = deadline;
        self
    }

    /// The largest discovery or JWKS document accepted (default 256 KiB).
    pub fn max_document_bytes(mut self, bytes: usize) -> Self {
        self.timing.max_bytes = bytes;
        self
    }

    /// The HTTP client to fetch with (a custom CA, a proxy). The default follows no redirect.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.client = Some(client);
        self
    }

    /// Validates the source and starts its refresher.
    pub(crate) fn start(self, cache: Option<Arc<TokenCache>>) -> Result<Provider, ConfigError> {
        let location = self.location?;
        if self.timing.deadline.is_zero() || self.timing.refresh.is_zero() {
            return Err(ConfigError::Invalid(
                "an identity provider's refresh interval and fetch timeout must be more than 0"
                    .into(),
            ));
        }
        let client = match self.client {
            Some(c) => c,
            None => reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(self.timing.deadline)
                .build()
                .map_err(|e| {
                    ConfigError::Invalid(format!("could not build the HTTP client: {e}").into())
                })?,
        };
        let discovery = match &location {
            Location::Discovery { url, .. } => Some(url.to_string()),
            Location::Jwks(_) => None,
        };
        let label = match (&self.issuer, &location) {
            (Some(iss), _) => iss.clone(),
            (None, Location::Jwks(url)) => url.to_string(),
            (None, Location::Discovery { issuer, .. }) => issuer.clone(),
        };
        let keys = RemoteKeys::start(label, client, location, self.timing, cache).map_err(|e| {
            ConfigError::Invalid(format!("could not start the JWKS refresher thread: {e}").into())
        })?;
        Ok(Provider {
            issuer: self.issuer,
            discovery,
            mapping: self.mapping,
            require_at_jwt: self.require_at_jwt,
            keys,
        })
    }
}

/// A started identity provider, one of a JWT backend's key sources.
#[derive(Debug)]
pub(crate) struct Provider {
    pub issuer: Option<String>,
    /// The discovery document's URL, for a provider found by discovery (documentation).
    pub discovery: Option<String>,
    pub mapping: ClaimMapping,
    /// Whether its tokens must have `typ: at+jwt`.
    pub require_at_jwt: bool,
    pub keys: RemoteKeys,
}
