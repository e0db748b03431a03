//! Authentication backends and the chain that tries them in order.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use crate::api_key::ApiKeyBackend;
use crate::context::AuthContext;
use crate::error::{AuthError, ConfigError, Reason};
use crate::jwt::JwtBackend;
use crate::policy::LocalBoxFuture;
use crate::request::RequestParts;

/// What one backend made of a request.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// No credentials of this backend's kind: the chain tries the next backend.
    NoCredentials,
    /// Authenticated.
    Authenticated(AuthContext),
    /// Credentials of this kind were present but refused.
    Rejected(Reason),
    /// A store the backend depends on could not answer: fail closed (503).
    Unavailable(String),
}

/// A custom authentication backend.
///
/// Register it under a name with `AuthConfig::builder().backend("partner", MyBackend)`; routes
/// name it in `#[auth(partner)]` and `ctx.backend()` reports that name.
///
/// ```
/// use auth_core::{AuthContext, Backend, Outcome, Reason, RequestParts};
///
/// struct PartnerBackend;
///
/// impl Backend for PartnerBackend {
///     async fn authenticate(&self, req: &dyn RequestParts) -> Outcome {
///         match req.header("x-partner-id") {
///             None => Outcome::NoCredentials,
///             Some(b"acme") => Outcome::Authenticated(AuthContext::builder("partner:acme").build()),
///             Some(_) => Outcome::Rejected(Reason::Other("unknown partner".into())),
///         }
///     }
/// }
/// ```
pub trait Backend: Send + Sync + 'static {
    /// Authenticates `req`.
    fn authenticate<'a>(&'a self, req: &'a dyn RequestParts) -> impl Future<Output = Outcome> + 'a;
}

/// Object-safe form of [`Backend`].
trait DynBackend: Send + Sync {
    fn authenticate_dyn<'a>(&'a self, req: &'a dyn RequestParts) -> LocalBoxFuture<'a, Outcome>;
}

impl<B: Backend> DynBackend for B {
    fn authenticate_dyn<'a>(&'a self, req: &'a dyn RequestParts) -> LocalBoxFuture<'a, Outcome> {
        Box::pin(self.authenticate(req))
    }
}

/// A registered backend: built-ins are dispatched statically (no allocation per request).
#[derive(Clone)]
enum Registered {
    Jwt(Arc<JwtBackend>),
    ApiKey(Arc<ApiKeyBackend>),
    Custom(Arc<dyn DynBackend>),
}

impl Registered {
    /// The outcome if it can be had without waiting (`None`: await [`Registered::authenticate`]).
    fn authenticate_now(&self, req: &dyn RequestParts) -> Option<Outcome> {
        match self {
            Registered::Jwt(b) => b.authenticate_now(req),
            Registered::ApiKey(b) => Some(b.authenticate(req)),
            Registered::Custom(_) => None,
        }
    }

    async fn authenticate(&self, req: &dyn RequestParts) -> Outcome {
        match self {
            Registered::Jwt(b) => b.authenticate(req).await,
            Registered::ApiKey(b) => b.authenticate(req),
            Registered::Custom(b) => b.authenticate_dyn(req).await,
        }
    }
}

/// The named backends of a configuration, tried in the order a route names them.
#[derive(Clone, Default)]
pub struct Backends {
    entries: Vec<Entry>,
}

/// A registered backend and its name. Names are shared with the contexts the chain stamps (a
/// reference count, no copy); a short name is also kept inline, so that finding a backend by
/// name reads nothing but this entry.
#[derive(Clone)]
struct Entry {
    name: Arc<str>,
    /// The name's first `HEAD` bytes, zero-padded.
    head: [u8; HEAD],
    backend: Registered,
}

const HEAD: usize = 16;

impl Entry {
    fn new(name: Arc<str>, backend: Registered) -> Entry {
        let mut head = [0; HEAD];
        let n = name.len().min(HEAD);
        head[..n].copy_from_slice(&name.as_bytes()[..n]);
        Entry {
            name,
            head,
            backend,
        }
    }

    /// Whether this is the backend named `name` (the length is part of the fat pointer, so only
    /// a name longer than `HEAD` bytes is read out of line).
    #[inline]
    fn is(&self, name: &str) -> bool {
        self.name.len() == name.len()
            && match self.head.get(..name.len()) {
                Some(head) => head == name.as_bytes(),
                None => *self.name == *name,
            }
    }
}

impl fmt::Debug for Backends {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.entries.iter().map(|e| &e.name))
            .finish()
    }
}

impl Backends {
    /// No backends.
    pub fn new() -> Self {
        Self::default()
    }

    fn push(&mut self, name: Arc<str>, b: Registered) -> Result<(), ConfigError> {
        if name.is_empty() {
            return Err(ConfigError::Invalid(
                "a backend name cannot be empty".into(),
            ));
        }
        if self.contains(&name) {
            return Err(ConfigError::DuplicateBackend(name.to_string()));
        }
        self.entries.push(Entry::new(name, b));
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
        // Its contexts are built once: stamp them now, not on every request.
        let name: Arc<str> = name.into();
        b.set_name(&name);
        self.push(name, Registered::ApiKey(Arc::new(b)))
    }

    /// Registers a custom backend under `name`.
    pub fn add_custom<B: Backend>(&mut self, name: &str, b: B) -> Result<(), ConfigError> {
        self.push(name.into(), Registered::Custom(Arc::new(b)))
    }

    /// Whether a backend is registered under `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.entries.iter().any(|e| e.is(name))
    }

    /// The registered names, in registration order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| &*e.name)
    }

    /// Whether nothing is registered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The JWT backend registered under `name`, if that is what it is.
    pub fn jwt(&self, name: &str) -> Option<&Arc<JwtBackend>> {
        self.entries.iter().find_map(|e| match &e.backend {
            Registered::Jwt(j) if e.is(name) => Some(j),
            _ => None,
        })
    }

    /// The first registered JWT backend.
    pub fn first_jwt(&self) -> Option<&Arc<JwtBackend>> {
        self.entries.iter().find_map(|e| match &e.backend {
            Registered::Jwt(j) => Some(j),
            _ => None,
        })
    }

    fn get(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.is(name))
    }

    /// Runs [`Backends::authenticate`] without waiting, when every step it needs can answer at
    /// once (built-in backends, an in-memory or locally mirrored revocation store). `None` means
    /// an asynchronous step is needed: call [`Backends::authenticate`]. Nothing with side effects
    /// has run in that case (custom backends are not called here).
    pub fn try_authenticate_now<S: AsRef<str>>(
        &self,
        order: &[S],
        req: &dyn RequestParts,
    ) -> Option<Result<AuthContext, AuthError>> {
        let mut chain = Chain::default();
        for name in order {
            let name = name.as_ref();
            let Some(entry) = self.get(name) else {
                return Some(Err(AuthError::Misconfigured(name.to_owned().into())));
            };
            if let Some(ctx) = chain.record(entry.backend.authenticate_now(req)?) {
                return Some(Ok(ctx.with_backend(&entry.name)));
            }
        }
        Some(Err(chain.finish()))
    }

    /// Tries the backends named in `order`; the first to authenticate wins.
    ///
    /// - A backend that finds no credentials of its kind passes to the next.
    /// - If none authenticates, the most specific rejection is reported (a bad signature beats
    ///   "no credentials"); with no credentials at all, [`Reason::MissingCredentials`].
    /// - A store failure makes the result [`AuthError::Unavailable`] unless a later backend
    ///   authenticates on its own.
    /// - A name that is not registered is [`AuthError::Misconfigured`]: never an allow.
    pub async fn authenticate<S: AsRef<str>>(
        &self,
        order: &[S],
        req: &dyn RequestParts,
    ) -> Result<AuthContext, AuthError> {
        let mut chain = Chain::default();
        for name in order {
            let name = name.as_ref();
            let Some(entry) = self.get(name) else {
                return Err(AuthError::Misconfigured(name.to_owned().into()));
            };
            if let Some(ctx) = chain.record(entry.backend.authenticate(req).await) {
                return Ok(ctx.with_backend(&entry.name));
            }
        }
        Err(chain.finish())
    }
}

/// What the chain has seen so far.
struct Chain {
    best: Reason,
    unavailable: Option<String>,
}

impl Default for Chain {
    fn default() -> Self {
        Chain {
            best: Reason::MissingCredentials,
            unavailable: None,
        }
    }
}

impl Chain {
    /// Records one backend's outcome; returns the context when it authenticated.
    fn record(&mut self, outcome: Outcome) -> Option<AuthContext> {
        match outcome {
            Outcome::NoCredentials => None,
            Outcome::Authenticated(ctx) => Some(ctx),
            Outcome::Rejected(r) => {
                if r.rank() > self.best.rank() {
                    self.best = r;
                }
                None
            }
            Outcome::Unavailable(why) => {
                self.unavailable = Some(why);
                None
            }
        }
    }

    fn finish(self) -> AuthError {
        match self.unavailable {
            Some(why) => AuthError::Unavailable(why.into()),
            None => AuthError::Unauthenticated(self.best),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Nobody;

    impl Backend for Nobody {
        async fn authenticate(&self, _: &dyn RequestParts) -> Outcome {
            Outcome::NoCredentials
        }
    }

    #[test]
    fn names_short_and_long_are_told_apart() {
        let sixteen = "abcdefghijklmnop";
        let seventeen = "abcdefghijklmnopq";
        let long = "a-backend-name-well-past-the-inline-copy";
        let mut b = Backends::new();
        for name in ["jwt", sixteen, seventeen, long] {
            b.add_custom(name, Nobody).unwrap();
        }
        for name in ["jwt", sixteen, seventeen, long] {
            assert!(b.contains(name), "{name}");
        }
        let near = [
            "",
            "j",
            "jw",
            "jwt\0",
            "jwtx",
            "JWT",
            "abcdefghijklmno",
            "abcdefghijklmnoX",
            "abcdefghijklmnopX",
            "abcdefghijklmnopqr",
            "a-backend-name-well-past-the-inline-copX",
        ];
        for name in near {
            assert!(!b.contains(name), "{name:?}");
        }
        assert!(matches!(
            b.add_custom(seventeen, Nobody),
            Err(ConfigError::DuplicateBackend(_))
        ));
    }
}
