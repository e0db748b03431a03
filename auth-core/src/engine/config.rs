//! [`AuthConfig`]: the configuration every adapter shares (backends, defaults, roles,
//! revocation store). `auth-actix` registers it with `App::app_data`; `auth-tonic` wraps it in a
//! tower layer. One value serves both, so a token logged out over HTTP is refused over gRPC.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::backends::api_key::ApiKeys;
use crate::backends::jwt::{JwtBackend, JwtConfig};
use crate::backends::session::Sessions;
use crate::backends::Backend;
use crate::engine::chain::Backends;
use crate::error::ConfigError;
use crate::identity::permissions::RoleMap;
use crate::policy::Policy;
use crate::revocation::{InMemoryRevocation, RevocationStore};

struct Inner {
    backends: Backends,
    default_backends: Box<[Box<str>]>,
    default_guard: Policy,
    roles: RoleMap,
    revocation: Arc<dyn RevocationStore>,
    realm: Arc<str>,
    extensions: Extensions,
}

/// Values an adapter crate keeps with the configuration, one per type.
type Extensions = HashMap<TypeId, Box<dyn Any + Send + Sync>>;

/// The application-wide authentication configuration.
///
/// Cloning is a reference-count increment: build it once and hand clones to each adapter
/// (`App::app_data` in actix-web, `AuthLayer::new` in tonic).
///
/// ```
/// use auth_core::{ApiKeys, AuthConfig, JwtConfig, Policy, RoleMap};
///
/// let auth = AuthConfig::builder()
///     .jwt(JwtConfig::hs256("an example secret that is 32+ bytes long").issuer("my-app"))
///     .api_keys(ApiKeys::new().key("sk-reader-0001", ["articles.read"]))
///     .default_backends(["jwt", "api_key"])
///     .default_guard(Policy::authenticated())
///     .roles(RoleMap::new().grant("editor", ["articles.*"]))
///     .build()
///     .unwrap();
/// assert!(auth.default_backends().iter().map(|b| &**b).eq(["jwt", "api_key"]));
/// ```
#[derive(Clone)]
pub struct AuthConfig {
    inner: Arc<Inner>,
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthConfig")
            .field("backends", &self.inner.backends)
            .field("default_backends", &self.inner.default_backends)
            .field("default_guard", &self.inner.default_guard)
            .field("roles", &self.inner.roles)
            .field("revocation", &self.inner.revocation.name())
            .finish_non_exhaustive()
    }
}

impl AuthConfig {
    /// Starts a configuration.
    pub fn builder() -> AuthConfigBuilder {
        AuthConfigBuilder::default()
    }

    /// The registered backends.
    pub fn backends(&self) -> &Backends {
        &self.inner.backends
    }

    /// The backends used where a route or method names none, in order.
    pub fn default_backends(&self) -> &[Box<str>] {
        &self.inner.default_backends
    }

    /// The guard used where a route or method names none.
    pub fn default_guard(&self) -> &Policy {
        &self.inner.default_guard
    }

    /// The role map.
    pub fn roles(&self) -> &RoleMap {
        &self.inner.roles
    }

    /// The realm named in HTTP `WWW-Authenticate` challenges (default `api`).
    pub fn realm(&self) -> &Arc<str> {
        &self.inner.realm
    }

    /// The JWT backend registered as `"jwt"` (or the first JWT backend), to issue tokens.
    pub fn jwt(&self) -> Option<&Arc<JwtBackend>> {
        self.inner
            .backends
            .jwt("jwt")
            .or_else(|| self.inner.backends.first_jwt())
    }

    /// The value of type `T` an adapter stored with [`AuthConfigBuilder::extension`].
    #[doc(hidden)]
    pub fn extension<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.inner
            .extensions
            .get(&TypeId::of::<T>())
            .and_then(|v| v.downcast_ref::<T>())
    }
}

/// Registers a custom backend once the builder knows the registration order.
type AddBackend = Box<dyn FnOnce(&mut Backends, &str) -> Result<(), ConfigError> + Send>;

/// Builds an [`AuthConfig`]; every mistake is reported by [`AuthConfigBuilder::build`].
#[derive(Default)]
pub struct AuthConfigBuilder {
    jwt: Vec<(String, JwtConfig)>,
    api_keys: Vec<(String, ApiKeys)>,
    custom: Vec<(String, AddBackend)>,
    sessions: Option<Sessions>,
    order: Vec<String>,
    default_backends: Option<Vec<String>>,
    default_guard: Option<Policy>,
    roles: Option<RoleMap>,
    revocation: Option<Arc<dyn RevocationStore>>,
    realm: Option<String>,
    extensions: Extensions,
}

impl fmt::Debug for AuthConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthConfigBuilder")
            .field("backends", &self.order)
            .finish_non_exhaustive()
    }
}

impl AuthConfigBuilder {
    /// Registers the JWT backend under the name `jwt`.
    pub fn jwt(self, config: JwtConfig) -> Self {
        self.jwt_named("jwt", config)
    }

    /// Registers a JWT backend under another name (several issuers, say).
    pub fn jwt_named(mut self, name: &str, config: JwtConfig) -> Self {
        self.order.push(name.to_owned());
        self.jwt.push((name.to_owned(), config));
        self
    }

    /// Registers the API-key backend under the name `api_key`.
    pub fn api_keys(self, keys: ApiKeys) -> Self {
        self.api_keys_named("api_key", keys)
    }

    /// Registers an API-key backend under another name.
    pub fn api_keys_named(mut self, name: &str, keys: ApiKeys) -> Self {
        self.order.push(name.to_owned());
        self.api_keys.push((name.to_owned(), keys));
        self
    }

    /// Registers the session backend under the name `session`: browser logins kept by the
    /// framework's session middleware (see [`crate::backends::session`]).
    pub fn sessions(mut self, sessions: Sessions) -> Self {
        self.order.push("session".to_owned());
        self.sessions = Some(sessions);
        self
    }

    /// Registers a custom backend under `name`.
    pub fn backend<B: Backend>(mut self, name: &str, backend: B) -> Self {
        self.order.push(name.to_owned());
        self.custom.push((
            name.to_owned(),
            Box::new(move |b: &mut Backends, n: &str| b.add_custom(n, backend)),
        ));
        self
    }

    /// The backends used where a route or method names none, in order (default: every
    /// registered backend, in registration order).
    pub fn default_backends<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        names: I,
    ) -> Self {
        self.default_backends = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// The guard used where a route or method names none (default: `authenticated`).
    pub fn default_guard(mut self, guard: Policy) -> Self {
        self.default_guard = Some(guard);
        self
    }

    /// Roles and the permissions they grant.
    pub fn roles(mut self, roles: RoleMap) -> Self {
        self.roles = Some(roles);
        self
    }

    /// The revocation store (default: [`InMemoryRevocation`]).
    pub fn revocation<S: RevocationStore>(self, store: S) -> Self {
        self.revocation_arc(Arc::new(store))
    }

    /// The revocation store, already shared.
    pub fn revocation_arc(mut self, store: Arc<dyn RevocationStore>) -> Self {
        self.revocation = Some(store);
        self
    }

    /// The realm in HTTP `WWW-Authenticate` challenges (default `api`).
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = Some(realm.into());
        self
    }

    /// Keeps a value of type `T` with the configuration, for an adapter crate (`auth-actix`
    /// keeps its user loaders and error handler here). A second value of the same type replaces
    /// the first.
    #[doc(hidden)]
    pub fn extension<T: Any + Send + Sync>(mut self, value: T) -> Self {
        self.extensions.insert(TypeId::of::<T>(), Box::new(value));
        self
    }

    /// Validates everything and builds the configuration.
    pub fn build(self) -> Result<AuthConfig, ConfigError> {
        let roles = self.roles.unwrap_or_default();
        roles.validate()?;
        let revocation: Arc<dyn RevocationStore> = self
            .revocation
            .unwrap_or_else(|| Arc::new(InMemoryRevocation::new()));
        let mut jwt: HashMap<String, JwtConfig> = self.jwt.into_iter().collect();
        let mut keys: HashMap<String, ApiKeys> = self.api_keys.into_iter().collect();
        let mut custom: HashMap<String, _> = self.custom.into_iter().collect();
        let mut sessions = self.sessions;
        let mut backends = Backends::new();
        for name in &self.order {
            if backends.contains(name) {
                return Err(ConfigError::DuplicateBackend(name.clone()));
            }
            if let Some(cfg) = jwt.remove(name) {
                backends.add_jwt(name, cfg.build(Some(&roles), Some(revocation.clone()))?)?;
            } else if let Some(k) = keys.remove(name) {
                backends.add_api_keys(name, k.build(Some(&roles))?)?;
            } else if let Some(s) = (name == "session").then(|| sessions.take()).flatten() {
                backends.add_sessions(name, s.build(&roles, revocation.clone())?)?;
            } else if let Some(add) = custom.remove(name) {
                add(&mut backends, name)?;
            } else {
                return Err(ConfigError::DuplicateBackend(name.clone()));
            }
        }
        if backends.is_empty() {
            return Err(ConfigError::NoBackends);
        }
        let default_backends = match self.default_backends {
            Some(names) => backends.check_names("default_backends", names)?,
            None => backends.names().map(Into::into).collect(),
        };
        Ok(AuthConfig {
            inner: Arc::new(Inner {
                backends,
                default_backends,
                default_guard: self.default_guard.unwrap_or(Policy::Authenticated),
                roles,
                revocation,
                realm: self.realm.unwrap_or_else(|| "api".to_owned()).into(),
                extensions: self.extensions,
            }),
        })
    }
}
