//! [`Backends`]: the named backends of a configuration, tried in the order a route names them.

use std::fmt;
use std::sync::Arc;

use crate::backends::api_key::ApiKeyBackend;
use crate::backends::jwt::JwtBackend;
use crate::backends::session::SessionBackend;
use crate::backends::{Backend, BackendDoc, CredentialDoc, Origin, Outcome};
use crate::error::{AuthError, ConfigError, Reason};
use crate::identity::context::AuthContext;
use crate::request::RequestParts;

use crate::util::BoxFuture;

/// Object-safe form of [`Backend`], for custom backends.
trait DynBackend: Send + Sync {
    fn authenticate_dyn<'a>(&'a self, req: &'a (dyn RequestParts + Sync))
        -> BoxFuture<'a, Outcome>;
    fn describe_dyn(&self) -> BackendDoc;
}

impl<B: Backend> DynBackend for B {
    fn authenticate_dyn<'a>(
        &'a self,
        req: &'a (dyn RequestParts + Sync),
    ) -> BoxFuture<'a, Outcome> {
        Box::pin(self.authenticate(req))
    }

    fn describe_dyn(&self) -> BackendDoc {
        self.describe()
    }
}

/// A registered backend. The built-in ones are called directly; a custom one through a box.
#[derive(Clone)]
enum Registered {
    Jwt(Arc<JwtBackend>),
    ApiKey(Arc<ApiKeyBackend>),
    Session(Arc<SessionBackend>),
    Custom(Arc<dyn DynBackend>),
}

impl Registered {
    /// What the backend makes of `req`, and where it found the credential.
    async fn authenticate(&self, req: &(dyn RequestParts + Sync)) -> (Outcome, Origin) {
        match self {
            Registered::Jwt(b) => match b.find(req) {
                None => (Outcome::NoCredentials, Origin::Header),
                Some((found, origin)) => (b.authenticate_found(found).await, origin),
            },
            Registered::ApiKey(b) => (b.authenticate(req), Origin::Header),
            Registered::Session(b) => (b.authenticate(req).await, Origin::Session),
            Registered::Custom(b) => (b.authenticate_dyn(req).await, Origin::Header),
        }
    }
}

/// The named backends of a configuration, tried in the order a route names them.
#[derive(Clone, Default)]
pub struct Backends {
    /// Each name is shared with the contexts the backend yields (a reference count, no copy).
    entries: Vec<(Arc<str>, Registered)>,
}

impl fmt::Debug for Backends {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

impl Backends {
    /// No backends.
    pub fn new() -> Self {
        Self::default()
    }

    fn push(&mut self, name: Arc<str>, b: Registered) -> Result<(), ConfigError> {
        crate::identity::permissions::validate_name("backend", &name)?;
        if self.contains(&name) {
            return Err(ConfigError::DuplicateBackend(name.to_string()));
        }
        self.entries.push((name, b));
        Ok(())
    }

    /// Registers a JWT backend under `name`.
    pub fn add_jwt(&mut self, name: &str, mut b: JwtBackend) -> Result<(), ConfigError> {
        let name: Arc<str> = name.into();
        b.set_name(&name);
        self.push(name, Registered::Jwt(Arc::new(b)))
    }

    /// Registers an API-key backend under `name`.
    pub fn add_api_keys(&mut self, name: &str, mut b: ApiKeyBackend) -> Result<(), ConfigError> {
        let name: Arc<str> = name.into();
        b.set_name(&name);
        self.push(name, Registered::ApiKey(Arc::new(b)))
    }

    /// Registers the session backend under `name`.
    pub fn add_sessions(&mut self, name: &str, b: SessionBackend) -> Result<(), ConfigError> {
        if self.sessions().is_some() {
            return Err(ConfigError::Invalid(
                "only one session backend can be registered".into(),
            ));
        }
        self.push(name.into(), Registered::Session(Arc::new(b)))
    }

    /// Registers a custom backend under `name`.
    pub fn add_custom<B: Backend>(&mut self, name: &str, b: B) -> Result<(), ConfigError> {
        self.push(name.into(), Registered::Custom(Arc::new(b)))
    }

    /// Whether a backend is registered under `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// `names` (a list of backends to try, `what` in messages) checked: not empty, every name
    /// registered.
    pub fn check_names(
        &self,
        what: &str,
        names: Vec<String>,
    ) -> Result<Box<[Box<str>]>, ConfigError> {
        if names.is_empty() {
            return Err(ConfigError::Invalid(
                format!("{what} is empty; name at least one registered backend").into(),
            ));
        }
        if let Some(n) = names.iter().find(|n| !self.contains(n)) {
            return Err(ConfigError::UnknownBackend {
                name: n.clone(),
                registered: self.names().collect::<Vec<_>>().join(", "),
            });
        }
        Ok(names.into_iter().map(String::into_boxed_str).collect())
    }

    /// The registered names, in registration order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(n, _)| &**n)
    }

    /// Whether nothing is registered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The JWT backend registered under `name`, if that is what it is.
    pub fn jwt(&self, name: &str) -> Option<&Arc<JwtBackend>> {
        match self.get(name)? {
            (_, Registered::Jwt(j)) => Some(j),
            _ => None,
        }
    }

    /// What the backend registered under `name` reads, for documentation (OpenAPI).
    pub fn describe(&self, name: &str) -> Option<BackendDoc> {
        let mut doc = match self.get(name)? {
            (_, Registered::Jwt(j)) => j.describe(),
            (_, Registered::ApiKey(k)) => k.describe(),
            (_, Registered::Session(s)) => s.describe(),
            (_, Registered::Custom(b)) => b.describe_dyn(),
        };
        if doc.credentials.is_empty() {
            doc.credentials.push(CredentialDoc::Other);
        }
        Some(doc)
    }

    /// The first API-key backend and its name, if one is registered.
    pub fn api_keys(&self) -> Option<(&str, &crate::backends::api_key::ApiKeyBackend)> {
        self.entries.iter().find_map(|(n, b)| match b {
            Registered::ApiKey(k) => Some((&**n, &**k)),
            _ => None,
        })
    }

    /// The session backend and its name, if one is registered.
    pub fn sessions(&self) -> Option<(&str, &Arc<SessionBackend>)> {
        self.entries.iter().find_map(|(n, b)| match b {
            Registered::Session(s) => Some((&**n, s)),
            _ => None,
        })
    }

    /// The first registered JWT backend.
    pub fn first_jwt(&self) -> Option<&Arc<JwtBackend>> {
        self.entries.iter().find_map(|(_, b)| match b {
            Registered::Jwt(j) => Some(j),
            _ => None,
        })
    }

    fn get(&self, name: &str) -> Option<&(Arc<str>, Registered)> {
        self.entries.iter().find(|(n, _)| **n == *name)
    }

    /// Tries the backends named in `order`; the first to authenticate wins.
    ///
    /// - A backend that finds no credentials of its kind passes to the next.
    /// - If none authenticates, the most specific rejection is reported (a bad signature beats
    ///   "no credentials"); with no credentials at all, [`Reason::MissingCredentials`].
    /// - A store failure makes the result [`AuthError::Unavailable`] unless a later backend
    ///   authenticates on its own.
    /// - A name that is not registered is [`AuthError::Misconfigured`]: never an allow.
    /// - A credential header that appears more than once refuses the request at once
    ///   ([`Reason::RepeatedHeader`]), whatever the backends after it would find.
    ///
    /// With the built-in backends and a store that answers from memory, the future is ready
    /// the first time it is polled. It is `Send` (the request view is `Sync`), so that adapters
    /// on multi-threaded servers (tonic) can await it.
    pub async fn authenticate<S: AsRef<str>>(
        &self,
        order: &[S],
        req: &(dyn RequestParts + Sync),
    ) -> Result<AuthContext, AuthError> {
        self.authenticate_traced(order, req)
            .await
            .map(|(ctx, _)| ctx)
    }

    /// [`Backends::authenticate`], with where the winning credential came from.
    pub(crate) async fn authenticate_traced<S: AsRef<str>>(
        &self,
        order: &[S],
        req: &(dyn RequestParts + Sync),
    ) -> Result<(AuthContext, Origin), AuthError> {
        let mut best = Reason::MissingCredentials;
        let mut unavailable = None;
        for name in order {
            let name = name.as_ref();
            let Some((name, backend)) = self.get(name) else {
                let registered: Vec<&str> = self.names().collect();
                return Err(AuthError::Misconfigured(
                    format!(
                        "the route names the backend {name:?}, which is not registered in the \
                         AuthConfig (registered: {}); register it or fix the route's #[auth(..)]",
                        registered.join(", ")
                    )
                    .into(),
                ));
            };
            let (outcome, origin) = backend.authenticate(req).await;
            match outcome {
                Outcome::NoCredentials => {}
                Outcome::Authenticated(ctx) => return Ok((ctx.with_backend(name), origin)),
                // Another backend must not authenticate a request whose credentials are
                // ambiguous: a proxy in front may have read the other copy.
                Outcome::Rejected(Reason::RepeatedHeader) => {
                    return Err(AuthError::Unauthenticated(Reason::RepeatedHeader))
                }
                Outcome::Rejected(r) => {
                    if r.rank() > best.rank() {
                        best = r;
                    }
                }
                Outcome::Unavailable(why) => unavailable = Some(why),
            }
        }
        Err(match unavailable {
            Some(why) => AuthError::Unavailable(why.into()),
            None if best == Reason::MissingCredentials => {
                AuthError::Unauthenticated(self.not_accepted(order, req).unwrap_or(best))
            }
            None => AuthError::Unauthenticated(best),
        })
    }

    /// For a request no backend of `order` found credentials in: whether it carries those of a
    /// registered backend the route does not try, so that the 401 says so instead of "no
    /// credentials were provided". Only the built-in JWT and API-key backends are asked (a
    /// custom backend cannot be asked without authenticating); only refused requests pay.
    fn not_accepted<S: AsRef<str>>(
        &self,
        order: &[S],
        req: &(dyn RequestParts + Sync),
    ) -> Option<Reason> {
        let tried = |name: &str| order.iter().any(|n| n.as_ref() == name);
        let (other, _) = self.entries.iter().find(|(name, backend)| {
            !tried(name)
                && match backend {
                    Registered::Jwt(b) => b.find(req).is_some(),
                    Registered::ApiKey(b) => b.source().finds_something(req),
                    Registered::Session(_) | Registered::Custom(_) => false,
                }
        })?;
        let accepted: Vec<&str> = order.iter().map(AsRef::as_ref).collect();
        Some(Reason::NotAccepted(
            format!(
                "this route does not accept {other} credentials; it accepts {}",
                accepted.join(", ")
            )
            .into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Nobody;

    impl Backend for Nobody {
        async fn authenticate(&self, _: &(dyn RequestParts + Sync)) -> Outcome {
            Outcome::NoCredentials
        }
    }

    #[test]
    fn authentication_can_be_awaited_on_a_multi_threaded_server() {
        fn send<T: Send>(_: T) {}
        let backends = Backends::new();
        let req = crate::request::SimpleRequest::new("GET", "/");
        send(backends.authenticate(&["jwt", "api_key"], &req));
    }

    #[test]
    fn names_are_found_exactly_and_checked() {
        let long = "a-backend-name-well-past-sixteen-bytes";
        let mut b = Backends::new();
        for name in ["jwt", "abcdefghijklmnopq", long] {
            b.add_custom(name, Nobody).unwrap();
        }
        for name in ["jwt", "abcdefghijklmnopq", long] {
            assert!(b.contains(name), "{name}");
        }
        for name in [
            "",
            "j",
            "jwt\0",
            "jwtx",
            "JWT",
            "abcdefghijklmnop",
            "a-backend-name",
        ] {
            assert!(!b.contains(name), "{name:?}");
        }
        assert!(matches!(
            b.add_custom("jwt", Nobody),
            Err(ConfigError::DuplicateBackend(_))
        ));
        for bad in ["", "two words", "jwt.*"] {
            assert!(
                matches!(
                    b.add_custom(bad, Nobody),
                    Err(ConfigError::InvalidName { .. })
                ),
                "{bad:?}"
            );
        }
    }
}
