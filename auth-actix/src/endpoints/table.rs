//! The endpoints of [`AuthEndpoints`](super::AuthEndpoints), in one table: [`scope`] mounts
//! them from it, and the OpenAPI document (feature `openapi`) lists and secures its operations
//! from it. An endpoint added or renamed here is both served and documented.
//!
//! [`scope`]: super::AuthEndpoints::scope

/// The HTTP method of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
    /// Only the OpenAPI document reads it: `DELETE /session` is mounted with the login's path.
    #[cfg_attr(not(feature = "openapi"), allow(dead_code))]
    Delete,
}

/// What a request to an endpoint must be authenticated with.
#[cfg_attr(not(feature = "openapi"), allow(dead_code))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Needs {
    /// Nothing: the endpoint checks what it is sent (a password, a refresh token).
    Nothing,
    /// The configuration's default backends.
    Defaults,
    /// The login session.
    Session,
}

/// One endpoint: where it is, under the scope's path, and what it needs. (Without the
/// `openapi` feature only the method and the path are read.)
#[derive(Debug)]
#[cfg_attr(not(feature = "openapi"), allow(dead_code))]
pub(crate) struct Endpoint {
    pub(crate) method: Method,
    pub(crate) path: &'static str,
    /// The OpenAPI operation id.
    pub(crate) id: &'static str,
    /// The OpenAPI summary.
    pub(crate) summary: &'static str,
    pub(crate) needs: Needs,
}

const fn endpoint(
    method: Method,
    path: &'static str,
    id: &'static str,
    summary: &'static str,
    needs: Needs,
) -> Endpoint {
    Endpoint {
        method,
        path,
        id,
        summary,
        needs,
    }
}

pub(crate) const TOKEN: Endpoint = endpoint(
    Method::Post,
    "/token",
    "auth_token",
    "Log in: a token pair for a username and password",
    Needs::Nothing,
);
pub(crate) const REFRESH: Endpoint = endpoint(
    Method::Post,
    "/refresh",
    "auth_refresh",
    "Rotate a refresh token (body, X-Refresh-Token header or cookie); its reuse revokes the family",
    Needs::Nothing,
);
pub(crate) const LOGOUT: Endpoint = endpoint(
    Method::Post,
    "/logout",
    "auth_logout",
    "End what the request is authenticated with: this server's access token and, when given, \
     the refresh token's family; or the session",
    Needs::Defaults,
);
pub(crate) const LOGOUT_ALL: Endpoint = endpoint(
    Method::Post,
    "/logout-all",
    "auth_logout_all",
    "Revoke every token (and session) of the user issued until now",
    Needs::Defaults,
);
pub(crate) const ME: Endpoint = endpoint(
    Method::Get,
    "/me",
    "auth_me",
    "The identity of the request",
    Needs::Defaults,
);
pub(crate) const SESSION_LOGIN: Endpoint = endpoint(
    Method::Post,
    "/session",
    "auth_session_login",
    "Browser login: a new session (the id is renewed) holding the user; sets the CSRF cookie",
    Needs::Nothing,
);
/// Mounted with [`SESSION_LOGIN`] (the same path); read by the OpenAPI document.
#[cfg_attr(not(feature = "openapi"), allow(dead_code))]
pub(crate) const SESSION_LOGOUT: Endpoint = endpoint(
    Method::Delete,
    "/session",
    "auth_session_logout",
    "Log the session out: purged, and its id refused until its deadline",
    Needs::Session,
);
pub(crate) const SESSION_LOGOUT_ALL: Endpoint = endpoint(
    Method::Post,
    "/session/logout-all",
    "auth_session_logout_all",
    "End every session and token of the user",
    Needs::Session,
);

/// Every endpoint, in the order the document lists them.
#[cfg(feature = "openapi")]
pub(crate) const ALL: [&Endpoint; 8] = [
    &TOKEN,
    &REFRESH,
    &LOGOUT,
    &LOGOUT_ALL,
    &ME,
    &SESSION_LOGIN,
    &SESSION_LOGOUT,
    &SESSION_LOGOUT_ALL,
];
