//! Browser sessions: the `session` backend turns what a framework's session middleware holds for
//! a logged-in user (a [`SessionRecord`], written at login) into an [`AuthContext`].
//!
//! The record keeps the user id, a session id of its own, a digest of the user's password hash
//! (the "auth hash") and two times. On every request the backend checks, in order:
//!
//! 1. the absolute and idle timeouts ([`Sessions::absolute_timeout`], [`Sessions::idle_timeout`]);
//! 2. the revocation store: the session id (logout) and the user's "logged out everywhere"
//!    stamp, the same store and the same facts as for tokens, so that a session logged out
//!    stays refused even when the session middleware keeps its data in the cookie itself;
//! 3. the user, loaded fresh through [`SessionUsers`]: a user that no longer exists, is
//!    inactive, or whose password hash changed since login ends the session.
//!
//! A refused session is marked [ended](SessionView::ended) so that the adapter purges it.
//!
//! The adapter (auth-actix, with actix-session) reads the record from the session and hands it
//! to the backend through [`RequestParts::session`]; the endpoints that log in and out are the
//! adapter's too. Nothing here knows a web framework.

use std::borrow::Cow;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::backends::doc::{BackendDoc, CredentialDoc};
use crate::backends::Outcome;
use crate::error::{IssueError, Reason};
use crate::identity::context::AuthContext;
use crate::identity::permissions::RoleMap;
use crate::identity::user::{AuthUser, UserLoadError};
use crate::request::session::{SessionRecord, SessionView};
use crate::request::RequestParts;
use crate::revocation::{RevocationStore, TokenRef};

/// Default idle timeout: a session unused this long ends (OWASP's upper range for low-risk apps).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// Default absolute timeout: a session ends this long after login, however busy.
pub const DEFAULT_ABSOLUTE_TIMEOUT: Duration = Duration::from_secs(8 * 60 * 60);

/// Marks `view` ended and refuses the request with `reason`.
fn end(view: &SessionView, reason: &'static str) -> Outcome {
    view.mark_ended();
    Outcome::Rejected(Reason::Other(Cow::Borrowed(reason)))
}

/// Loads the users that sessions and refresh tokens belong to (the application's user table):
/// given to [`Sessions::new`], and to `JwtConfig::users` so that a refresh checks the user too.
///
/// ```
/// use auth_core::session::SessionUsers;
/// use auth_core::{AuthUser, UserLoadError};
/// use std::borrow::Cow;
///
/// #[derive(Clone)]
/// struct User { id: u64, password_hash: String }
/// impl AuthUser for User {
///     fn auth_id(&self) -> Cow<'_, str> { self.id.to_string().into() }
///     fn auth_password_hash(&self) -> Option<Cow<'_, str>> { Some(self.password_hash.as_str().into()) }
/// }
///
/// struct Users(Vec<User>);
/// impl SessionUsers for Users {
///     type User = User;
///     async fn load(&self, user_id: &str) -> Result<Option<User>, UserLoadError> {
///         Ok(self.0.iter().find(|u| u.id.to_string() == user_id).cloned())
///     }
/// }
/// ```
pub trait SessionUsers: Send + Sync + 'static {
    /// The user type.
    type User: AuthUser + Send;

    /// The user with id `user_id`; `Ok(None)` when it no longer exists (the session ends),
    /// `Err` when the user store cannot answer (503).
    fn load(
        &self,
        user_id: &str,
    ) -> impl Future<Output = Result<Option<Self::User>, UserLoadError>> + Send;
}

use crate::util::BoxFuture;

/// A user as the session backend and the refresh check need it: its context and its auth hash.
pub(crate) struct Loaded {
    pub ctx: AuthContext,
    pub hash: String,
    pub active: bool,
}

/// Object-safe [`SessionUsers`], turning the user into what the backend needs.
pub(crate) trait DynUsers: Send + Sync {
    fn load_dyn<'a>(
        &'a self,
        user_id: &'a str,
        roles: Option<&'a RoleMap>,
    ) -> BoxFuture<'a, Result<Option<Loaded>, UserLoadError>>;
}

impl<U: SessionUsers> DynUsers for U {
    fn load_dyn<'a>(
        &'a self,
        user_id: &'a str,
        roles: Option<&'a RoleMap>,
    ) -> BoxFuture<'a, Result<Option<Loaded>, UserLoadError>> {
        Box::pin(async move {
            Ok(self.load(user_id).await?.map(|user| Loaded {
                ctx: AuthContext::from_user(&user, roles),
                hash: auth_hash(&user),
                active: user.is_active(),
            }))
        })
    }
}

/// The auth hash of `user`: SHA-256 over a fixed label and the user's password hash, hex; empty
/// for a user without a password hash. Neither the password nor its hash can be read back from
/// it, and a new password (a new salt) changes it.
pub fn auth_hash<U: AuthUser + ?Sized>(user: &U) -> String {
    match user.auth_password_hash() {
        None => String::new(),
        Some(h) => {
            let digest = Sha256::new()
                .chain_update(b"auth-actix session auth hash\0")
                .chain_update(h.as_bytes())
                .finalize();
            digest.iter().map(|b| format!("{b:02x}")).collect()
        }
    }
}

/// The session backend's settings, given to `AuthConfig::builder().sessions(..)`.
pub struct Sessions {
    users: Arc<dyn DynUsers>,
    idle: Duration,
    absolute: Duration,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("idle", &self.idle)
            .field("absolute", &self.absolute)
            .finish_non_exhaustive()
    }
}

impl Sessions {
    /// Sessions of the users `users` loads, with the default timeouts
    /// ([`DEFAULT_IDLE_TIMEOUT`], [`DEFAULT_ABSOLUTE_TIMEOUT`]).
    pub fn new<U: SessionUsers>(users: U) -> Self {
        Sessions {
            users: Arc::new(users),
            idle: DEFAULT_IDLE_TIMEOUT,
            absolute: DEFAULT_ABSOLUTE_TIMEOUT,
        }
    }

    /// A session unused for this long ends (default 30 minutes).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle = timeout;
        self
    }

    /// A session ends this long after login, however busy (default 8 hours).
    pub fn absolute_timeout(mut self, timeout: Duration) -> Self {
        self.absolute = timeout;
        self
    }

    pub(crate) fn build(
        self,
        roles: &RoleMap,
        store: Arc<dyn RevocationStore>,
    ) -> Result<SessionBackend, crate::error::ConfigError> {
        if self.idle.is_zero() || self.absolute.is_zero() {
            return Err(crate::error::ConfigError::Invalid(
                "session timeouts must be longer than zero".into(),
            ));
        }
        Ok(SessionBackend {
            users: self.users,
            roles: roles.clone(),
            store,
            idle_ms: u64::try_from(self.idle.as_millis()).unwrap_or(u64::MAX),
            absolute_ms: u64::try_from(self.absolute.as_millis()).unwrap_or(u64::MAX),
        })
    }
}

/// The `session` backend (see the [module](self) documentation).
pub struct SessionBackend {
    users: Arc<dyn DynUsers>,
    roles: RoleMap,
    store: Arc<dyn RevocationStore>,
    idle_ms: u64,
    absolute_ms: u64,
}

impl std::fmt::Debug for SessionBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionBackend")
            .field("idle_ms", &self.idle_ms)
            .field("absolute_ms", &self.absolute_ms)
            .finish_non_exhaustive()
    }
}

impl SessionBackend {
    /// The session, for documentation (the login endpoint is the adapter's and may be mounted
    /// anywhere, so it is not named).
    pub fn describe(&self) -> BackendDoc {
        BackendDoc::new(
            CredentialDoc::Session,
            "A browser session, started by logging in with a username and password.",
        )
    }

    /// A new record for `user`, logged in now: a fresh session id, the user's auth hash.
    pub fn start<U: AuthUser + ?Sized>(&self, user: &U) -> Result<SessionRecord, IssueError> {
        Ok(SessionRecord {
            sid: crate::util::random::random_id()?,
            uid: user.auth_id().into_owned(),
            hash: auth_hash(user),
            login_ms: crate::util::time::now_ms(),
            seen_ms: crate::util::time::now_ms(),
        })
    }

    /// When the session of `record` ends at the latest (seconds since the epoch).
    pub fn deadline(&self, record: &SessionRecord) -> u64 {
        record.login_ms.saturating_add(self.absolute_ms) / 1000 + 1
    }

    /// Logs the session of `record` out: its id is refused until its deadline, whatever copy of
    /// the session a client kept.
    pub async fn end(&self, record: &SessionRecord) -> Result<(), crate::error::AuthError> {
        self.store
            .revoke_token(&record.sid, &record.uid, self.deadline(record))
            .await
            .map_err(crate::error::AuthError::from)
    }

    /// Ends every session of `user_id` that started before now (logout everywhere). The store
    /// keeps one "not before" stamp per user, so tokens issued before now are refused too while
    /// the stamp is kept (for the longest a session can last; the JWT backend's
    /// `logout_all` keeps it for the longest a token can).
    pub async fn end_all(&self, user_id: &str) -> Result<(), crate::error::AuthError> {
        let now_ms = crate::util::time::now_ms();
        let keep_until = now_ms.saturating_add(self.absolute_ms) / 1000 + 1;
        self.store
            .revoke_user_before(user_id, now_ms + 1, keep_until)
            .await
            .map_err(crate::error::AuthError::from)
    }

    /// Authenticates the session in `req`, if it holds one.
    pub async fn authenticate(&self, req: &(dyn RequestParts + Sync)) -> Outcome {
        let Some(view) = req.session() else {
            return Outcome::NoCredentials;
        };
        let r = view.record();
        let now_ms = crate::util::time::now_ms();
        if now_ms >= r.login_ms.saturating_add(self.absolute_ms) {
            return end(view, "the session expired: log in again");
        }
        if now_ms >= r.seen_ms.saturating_add(self.idle_ms) {
            return end(
                view,
                "the session expired after a period of inactivity: log in again",
            );
        }
        let token = TokenRef {
            jti: Some(&r.sid),
            user_id: &r.uid,
            issued_at_ms: Some(r.login_ms),
            family: None,
        };
        match self.store.is_revoked(token).await {
            Ok(false) => {}
            Ok(true) => return end(view, "the session was logged out"),
            Err(e) => return Outcome::Unavailable(e.to_string()),
        }
        let user = match self.users.load_dyn(&r.uid, Some(&self.roles)).await {
            Ok(Some(user)) => user,
            Ok(None) => return end(view, "the session's user no longer exists"),
            Err(e) => return Outcome::Unavailable(e.to_string()),
        };
        if !bool::from(user.hash.as_bytes().ct_eq(r.hash.as_bytes())) {
            return end(view, "the session ended: the password changed");
        }
        if !user.active {
            return end(view, "the account is inactive");
        }
        Outcome::Authenticated(user.ctx)
    }
}

#[cfg(test)]
mod tests;
