//! The operations of [`AuthEndpoints`](crate::endpoints::AuthEndpoints), added to a document by
//! [`AuthAddon::endpoints`](super::AuthAddon::endpoints).

use serde_json::{json, Value};
use utoipa::openapi::path::PathItem;
use utoipa::openapi::OpenApi;

use super::document::from_json;

fn error(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AuthError"}}},
    })
}

fn throttled() -> Value {
    json!({
        "description": "Too many failed logins for this username from this address, or from this address: every attempt is refused until the window closes, the right password included.",
        "headers": {"Retry-After": {"description": "Seconds until a login may be tried again.", "schema": {"type": "integer"}}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AuthError"}}},
    })
}

fn login_body(form: bool) -> Value {
    let schema = json!({
        "type": "object",
        "required": ["username", "password"],
        "properties": {"username": {"type": "string"}, "password": {"type": "string", "format": "password"}},
    });
    let mut content = json!({"application/json": {"schema": schema}});
    if form {
        content["application/x-www-form-urlencoded"] = json!({"schema": schema});
    }
    json!({"required": true, "content": content})
}

fn tokens() -> Value {
    json!({
        "description": "A new token pair (also set as cookies when the endpoints deliver cookies).",
        "content": {"application/json": {"schema": {
            "type": "object",
            "required": ["access_token", "refresh_token", "token_type", "expires_in"],
            "properties": {
                "access_token": {"type": "string"},
                "refresh_token": {"type": "string"},
                "token_type": {"type": "string", "enum": ["bearer"]},
                "expires_in": {"type": "integer", "description": "Seconds until the access token expires."},
            },
        }}},
    })
}

fn identity(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {
            "type": "object",
            "required": ["user_id", "backend", "roles", "permissions", "is_staff", "is_superuser"],
            "properties": {
                "user_id": {"type": "string"},
                "name": {"type": ["string", "null"]},
                "backend": {"type": "string"},
                "roles": {"type": "array", "items": {"type": "string"}},
                "permissions": {"type": "array", "items": {"type": "string"}},
                "is_staff": {"type": "boolean"},
                "is_superuser": {"type": "boolean"},
            },
        }}},
    })
}

fn operation(id: &str, summary: &str, body: Option<Value>, responses: Value) -> Value {
    let mut op = json!({
        "tags": ["auth"],
        "operationId": id,
        "summary": summary,
        "responses": responses,
    });
    if let Some(body) = body {
        op["requestBody"] = body;
    }
    op
}

/// Adds the endpoints mounted at `prefix`; an operation the document already has is kept.
pub(super) fn add(openapi: &mut OpenApi, prefix: &str) {
    let refresh_body = json!({"required": false, "content": {"application/json": {"schema": {
        "type": "object", "properties": {"refresh_token": {"type": "string"}},
    }}}});
    let paths = [
        (
            "/token",
            json!({"post": operation("auth_token", "Log in: a token pair for a username and password", Some(login_body(false)), json!({
                "200": tokens(), "400": error("The body is not the expected JSON."), "401": error("Invalid username or password, or an inactive account."), "413": error("The body is too large."), "415": error("The body is not sent as application/json."), "429": throttled(), "503": error("The user store could not answer."),
            }))}),
        ),
        (
            "/refresh",
            json!({"post": operation("auth_refresh", "Rotate a refresh token (body, X-Refresh-Token header or cookie); its reuse revokes the family", Some(refresh_body.clone()), json!({
                "200": tokens(), "400": error("The body is not the expected JSON."), "401": error("The refresh token is missing, invalid, expired, already used, an identity provider's, or its login is too old or its user gone."), "413": error("The body is too large."), "415": error("The body is not sent as application/json."), "503": error("The revocation or user store could not answer."),
            }))}),
        ),
        (
            "/logout",
            json!({"post": operation("auth_logout", "End what the request is authenticated with: this server's access token and, when given, the refresh token's family; or the session", Some(refresh_body), json!({
                "204": {"description": "Logged out."}, "400": error("The body is not the expected JSON, or the credential cannot be logged out here (an API key, an identity provider's token)."), "401": error("Not authenticated, or the refresh token is invalid or another user's."), "403": error("A session cookie without the CSRF token (CSRF check)."), "503": error("The revocation store could not answer."),
            }))}),
        ),
        (
            "/logout-all",
            json!({"post": operation("auth_logout_all", "Revoke every token (and session) of the user issued until now", None, json!({
                "204": {"description": "Logged out everywhere."}, "400": error("The credential names no user of this server (an API key, an identity provider's token)."), "401": error("Not authenticated."), "403": error("A session cookie without the CSRF token (CSRF check)."), "503": error("The revocation store could not answer."),
            }))}),
        ),
        (
            "/me",
            json!({"get": operation("auth_me", "The identity of the request", None, json!({
                "200": identity("Who the request is authenticated as."), "401": error("Not authenticated."), "503": error("A store the decision needs could not answer."),
            }))}),
        ),
        (
            "/session",
            json!({
                "post": operation("auth_session_login", "Browser login: a new session (the id is renewed) holding the user; sets the CSRF cookie", Some(login_body(true)), json!({
                    "200": identity("Logged in; the session cookie is set."), "400": error("The body is neither the expected JSON nor the form."), "401": error("Invalid username or password, or an inactive account."), "403": error("A cross-origin login (CSRF check)."), "404": {"description": "The app has no session backend."}, "413": error("The body is too large."), "415": error("The body is neither JSON nor a form."), "429": throttled(), "503": error("The user or session store could not answer."),
                })),
                "delete": operation("auth_session_logout", "Log the session out: purged, and its id refused until its deadline", None, json!({
                    "204": {"description": "Logged out; the session and CSRF cookies are cleared."}, "401": error("No session, or one that ended."), "403": error("Without the CSRF token, or cross-origin (CSRF check)."), "404": {"description": "The app has no session backend."}, "503": error("The revocation or session store could not answer."),
                })),
            }),
        ),
        (
            "/session/logout-all",
            json!({"post": operation("auth_session_logout_all", "End every session and token of the user", None, json!({
                "204": {"description": "Logged out everywhere."}, "401": error("No session, or one that ended."), "403": error("Without the CSRF token, or cross-origin (CSRF check)."), "404": {"description": "The app has no session backend."}, "503": error("The revocation or session store could not answer."),
            }))}),
        ),
    ];
    for (path, item) in paths {
        let item: PathItem = from_json(item);
        openapi
            .paths
            .paths
            .entry(format!("{prefix}{path}"))
            .or_default()
            .merge_operations(item);
    }
}
