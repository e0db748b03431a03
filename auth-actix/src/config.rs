//! [`AuthConfig`]: the application-wide configuration, registered with `App::app_data`.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse};
use auth_core::jwt::JwtBackend;
use auth_core::{
    ApiKeys, AuthError, Backend, Backends, ConfigError, InMemoryRevocation, JwtConfig, Policy,
    RevocationStore, RoleMap,
};

use crate::loader::{ErasedLoader, UserLoader};
use crate::response::ErrorHandler;

pub(crate) struct Inner {
    pub(crate) backends: Backends,
    pub(crate) default_backends: Box<[Box<str>]>,
    pub(crate) default_guard: Policy,
    pub(crate) roles: RoleMap,
    pub(crate) revocation: Arc<dyn RevocationStore>,
    pub(crate) loaders: HashMap<TypeId, Box<dyn Any + Send + Sync>>,
    pub(crate) error_handler: Option<ErrorHandler>,
    pub(crate) realm: Arc<str>,
}

/// The application-wide authentication configuration.
///
/// Register it with `App::new().app_data(config.clone())`; cloning is a reference-count
/// increment.
///
/// ```
/// use auth_actix::prelude::*;
///
/// let auth = AuthConfig::builder()
///     .jwt(JwtConfig::hs256("an example secret that is 32+ bytes long").issuer("my-app"))
///     .api_keys(ApiKeys::new().key("sk-reader-0001", ["articles.read"]))
///     .default_backends(["jwt", "api_key"])
///     .default_guard(Guard::authenticated())
///     .roles(RoleMap::new().grant("editor", ["articles.*"]))
///     .build()
///     .unwrap();
/// assert_eq!(auth.default_backends().collect::<Vec<_>>(), ["jwt", "api_key"]);
/// ```
#[derive(Clone)]
pub struct AuthConfig {
    pub(crate) inner: Arc<Inner>,
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

    /// The backends used by routes without `#[auth]`.
    pub fn default_backends(&self) -> impl Iterator<Item = &str> {
        self.inner.default_backends.iter().map(|b| &**b)
    }

    /// The guard used by routes without `#[guard]`.
    pub fn default_guard(&self) -> &Policy {
        &self.inner.default_guard
    }

    /// The role map.
    pub fn roles(&self) -> &RoleMap {
        &self.inner.roles
    }

    /// The revocation store.
    pub fn revocation(&self) -> &Arc<dyn RevocationStore> {
        &self.inner.revocation
    }

    /// The JWT backend registered as `"jwt"` (or the first JWT backend), to issue tokens.
    pub fn jwt(&self) -> Option<&Arc<JwtBackend>> {
        self.inner
            .backends
            .jwt("jwt")
            .or_else(|| self.inner.backends.first_jwt())
    }

    pub(crate) fn loader<U: 'static>(&self) -> Option<&Arc<dyn ErasedLoader<U>>> {
        self.inner
            .loaders
            .get(&TypeId::of::<U>())
            .and_then(|l| l.downcast_ref::<Arc<dyn ErasedLoader<U>>>())
    }
}

/// Registers a custom backend once the builder knows the registration order.
type AddBackend = Box<dyn FnOnce(&mut Backends, &str) -> Result<(), ConfigError>>;

/// Builds an [`AuthConfig`]; every mistake is reported by [`AuthConfigBuilder::build`].
#[derive(Default)]
pub struct AuthConfigBuilder {
    jwt: Vec<(String, JwtConfig)>,
    api_keys: Vec<(String, ApiKeys)>,
    custom: Vec<(String, AddBackend)>,
    order: Vec<String>,
    default_backends: Option<Vec<String>>,
    default_guard: Option<Policy>,
    roles: Option<RoleMap>,
    revocation: Option<Arc<dyn RevocationStore>>,
    loaders: HashMap<TypeId, Box<dyn Any + Send + Sync>>,
    error_handler: Option<ErrorHandler>,
    realm: Option<String>,
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

    /// Registers a custom backend under `name`.
    pub fn backend<B: Backend>(mut self, name: &str, backend: B) -> Self {
        self.order.push(name.to_owned());
        self.custom.push((
            name.to_owned(),
            Box::new(move |b: &mut Backends, n: &str| b.add_custom(n, backend)),
        ));
        self
    }

    /// The backends routes without `#[auth]` use, in order (default: every registered backend,
    /// in registration order).
    pub fn default_backends<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        names: I,
    ) -> Self {
        self.default_backends = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// The guard routes without `#[guard]` use (default: `authenticated`).
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

    /// Loads `U` for [`Auth<U>`](crate::Auth).
    pub fn user_loader<U: 'static, L: UserLoader<U>>(mut self, loader: L) -> Self {
        let erased: Arc<dyn ErasedLoader<U>> = Arc::new(loader);
        self.loaders.insert(TypeId::of::<U>(), Box::new(erased));
        self
    }

    /// Replaces the library's JSON error responses.
    pub fn error_handler<F>(mut self, handler: F) -> Self
    where
        F: Fn(&AuthError, &HttpRequest) -> HttpResponse + Send + Sync + 'static,
    {
        self.error_handler = Some(Arc::new(handler));
        self
    }

    /// The realm in `WWW-Authenticate` challenges (default `api`).
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = Some(realm.into());
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
        let mut backends = Backends::new();
        for name in &self.order {
            if backends.contains(name) {
                return Err(ConfigError::DuplicateBackend(name.clone()));
            }
            if let Some(cfg) = jwt.remove(name) {
                backends.add_jwt(name, cfg.build(Some(&roles), Some(revocation.clone()))?)?;
            } else if let Some(k) = keys.remove(name) {
                backends.add_api_keys(name, k.build(Some(&roles))?)?;
            } else if let Some(add) = custom.remove(name) {
                add(&mut backends, name)?;
            } else {
                return Err(ConfigError::DuplicateBackend(name.clone()));
            }
        }
        if backends.is_empty() {
            return Err(ConfigError::NoBackends);
        }
        let default_backends: Box<[Box<str>]> = match self.default_backends {
            Some(names) => {
                if names.is_empty() {
                    return Err(ConfigError::Invalid(
                        "default_backends is empty; name at least one registered backend".into(),
                    ));
                }
                for n in &names {
                    if !backends.contains(n) {
                        return Err(ConfigError::UnknownBackend {
                            name: n.clone(),
                            registered: backends.names().collect::<Vec<_>>().join(", "),
                        });
                    }
                }
                names.into_iter().map(|n| n.into_boxed_str()).collect()
            }
            None => backends.names().map(Into::into).collect(),
        };
        Ok(AuthConfig {
            inner: Arc::new(Inner {
                backends,
                default_backends,
                default_guard: self.default_guard.unwrap_or(Policy::Authenticated),
                roles,
                revocation,
                loaders: self.loaders,
                error_handler: self.error_handler,
                realm: self.realm.unwrap_or_else(|| "api".to_owned()).into(),
            }),
        })
    }
}
