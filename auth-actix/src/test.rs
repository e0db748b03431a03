//! Test helpers: mint tokens and attach credentials to `actix_web::test` requests.
//!
//! ```
//! use actix_web::test::TestRequest;
//! use auth_actix::prelude::*;
//! use auth_actix::test::{token_for_context, TestRequestExt};
//!
//! let auth = AuthConfig::builder()
//!     .jwt(JwtConfig::hs256("an example secret that is 32+ bytes long"))
//!     .build()
//!     .unwrap();
//! let ctx = auth_actix::AuthContext::builder("42").permissions(["articles.write"]).build();
//! let token = token_for_context(&auth, &ctx).unwrap();
//! let req = TestRequest::post().uri("/articles").app_data(auth.clone()).bearer(&token);
//! ```
//!
//! To attach an identity without minting a token, register [`TestIdentities`] in the test's
//! configuration under the name the routes use and send [`TestRequestExt::identity`].

use actix_web::test::TestRequest;
use auth_core::jwt::TokenOptions;
use auth_core::{AuthUser, IssueError};

use auth_core::AuthConfig;

/// The double-submit CSRF token of a credential, as the logins set it in the CSRF cookie: for an
/// access token carried in a cookie, of its `jti`; for a session, of its id. Send it in the
/// `X-CSRF-Token` header of a state-changing request (see [`Csrf`](crate::Csrf)).
///
/// ```
/// use auth_actix::prelude::*;
///
/// let auth = AuthConfig::builder()
///     .jwt(JwtConfig::hs256("an example secret that is 32+ bytes long").cookie("access_token"))
///     .build()
///     .unwrap();
/// let token = auth_actix::test::token_for_context(&auth, &auth_actix::AuthContext::builder("7").build()).unwrap();
/// let jti = auth.jwt().unwrap().verify(&token).unwrap().token().unwrap().jti.clone().unwrap();
/// let header = ("X-CSRF-Token", auth_actix::test::csrf_token(&jti));
/// # let _ = header;
/// ```
pub fn csrf_token(jti_or_session_id: &str) -> String {
    crate::csrf::token_for(jti_or_session_id)
}

/// Mints the access token `POST /auth/token` would issue for `user`: the same claims, so a
/// test passes only where production does. In particular the user's own permissions are in it
/// only with `JwtConfig::permissions_in_tokens(true)`; without it, permissions come from the
/// user's roles (`RoleMap`) or a `UserLoader`, as in production.
pub fn token_for<U: AuthUser + ?Sized>(
    config: &AuthConfig,
    user: &U,
) -> Result<String, IssueError> {
    let jwt = config.jwt().ok_or(IssueError::NoSigningKey)?;
    Ok(jwt.issue(user, TokenOptions::access())?.token)
}

/// Mints an access token for an identity, **its effective permissions included whatever the
/// configuration says** (unlike the endpoints and [`token_for`]): for a test of a guard against
/// an identity built by hand.
pub fn token_for_context(
    config: &AuthConfig,
    ctx: &auth_core::AuthContext,
) -> Result<String, IssueError> {
    let jwt = config.jwt().ok_or(IssueError::NoSigningKey)?;
    Ok(jwt
        .issue_for_context(ctx, TokenOptions::access().with_permissions())?
        .token)
}

/// The header [`TestIdentities`] reads and [`TestRequestExt::identity`] sends.
pub const IDENTITY_HEADER: &str = "x-test-identity";

/// A backend for tests that authenticates a request as one of the identities it holds, named
/// by its user id in the [`IDENTITY_HEADER`] ([`TestRequestExt::identity`]): a guard can be
/// tested against an identity built by hand, with no token minted. Register it under the name
/// the routes use, in the test's configuration only:
///
/// ```
/// use actix_web::{get, test, App};
/// use auth_actix::prelude::*;
/// use auth_actix::test::{TestIdentities, TestRequestExt};
///
/// #[get("/notes")]
/// #[auth(jwt)]
/// #[guard(has_permission("notes.write"))]
/// async fn notes() -> &'static str { "ok" }
///
/// # actix_rt::System::new().block_on(async {
/// let writer = auth_actix::AuthContext::builder("42").permissions(["notes.write"]).build();
/// let auth = AuthConfig::builder()
///     .backend("jwt", TestIdentities::new().with(writer))    // stands in for the JWT backend
///     .build()
///     .unwrap();
/// let app = test::init_service(App::new().app_data(auth).service(notes)).await;
/// let ok = test::TestRequest::get().uri("/notes").identity("42").to_request();
/// assert_eq!(test::call_service(&app, ok).await.status(), 200);
/// let stranger = test::TestRequest::get().uri("/notes").identity("7").to_request();
/// assert_eq!(test::call_service(&app, stranger).await.status(), 401);
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct TestIdentities {
    by_id: std::collections::HashMap<String, auth_core::AuthContext>,
}

/// [`TestIdentities::new`], with its warning.
impl Default for TestIdentities {
    fn default() -> Self {
        Self::new()
    }
}

impl TestIdentities {
    /// Holds no identity. Logs a warning: a configuration holding it lets anyone who sends the
    /// header be any of its identities, which only a test may want.
    pub fn new() -> Self {
        tracing::warn!(
            "TestIdentities authenticates whoever sends {IDENTITY_HEADER}: register it in tests only"
        );
        TestIdentities {
            by_id: std::collections::HashMap::new(),
        }
    }

    /// Adds an identity, found by its user id.
    pub fn with(mut self, ctx: impl Into<auth_core::AuthContext>) -> Self {
        let ctx = ctx.into();
        self.by_id.insert(ctx.user_id().to_owned(), ctx);
        self
    }
}

impl auth_core::extend::Backend for TestIdentities {
    async fn authenticate(
        &self,
        req: &(dyn auth_core::RequestParts + Sync),
    ) -> auth_core::extend::Outcome {
        use auth_core::extend::Outcome;
        let Some(id) = req.header(IDENTITY_HEADER) else {
            return Outcome::NoCredentials;
        };
        match std::str::from_utf8(id)
            .ok()
            .and_then(|id| self.by_id.get(id))
        {
            Some(ctx) => Outcome::Authenticated(ctx.clone()),
            None => Outcome::Rejected(auth_core::Reason::Other("no such test identity".into())),
        }
    }
}

/// Attaches credentials to a [`TestRequest`].
pub trait TestRequestExt {
    /// `Authorization: Bearer <token>`.
    fn bearer(self, token: &str) -> Self;
    /// `X-API-Key: <key>` (the default header; see [`TestRequestExt::api_key_for`]).
    fn api_key(self, key: &str) -> Self;
    /// `key` in the header (and with the prefix) the configuration's API-key backend reads
    /// (`ApiKeys::header`), as a client of the app must send it.
    fn api_key_for(self, config: &AuthConfig, key: &str) -> Self;
    /// The identity with this user id, for a configuration with [`TestIdentities`].
    fn identity(self, user_id: &str) -> Self;
}

impl TestRequestExt for TestRequest {
    fn bearer(self, token: &str) -> Self {
        self.insert_header(("Authorization", format!("Bearer {token}")))
    }

    fn api_key(self, key: &str) -> Self {
        self.insert_header(("X-API-Key", key.to_owned()))
    }

    fn identity(self, user_id: &str) -> Self {
        self.insert_header((IDENTITY_HEADER, user_id.to_owned()))
    }

    fn api_key_for(self, config: &AuthConfig, key: &str) -> Self {
        use auth_core::extend::CredentialSource;
        match config.backends().api_keys().map(|(_, b)| b.source()) {
            Some(CredentialSource::Header { name, prefix }) => {
                let value = match prefix {
                    Some(p) => format!("{p} {key}"),
                    None => key.to_owned(),
                };
                self.insert_header((&**name, value))
            }
            Some(CredentialSource::Cookie(name)) => self.cookie(actix_web::cookie::Cookie::new(
                name.to_string(),
                key.to_owned(),
            )),
            None => self.api_key(key),
        }
    }
}
