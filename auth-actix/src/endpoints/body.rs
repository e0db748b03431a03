//! What the endpoints read from a request body, and how they refuse one they cannot read: in
//! the library's error shape, saying what to send, never with serde's wording (which may quote
//! the body, a password included).

use actix_web::error::UrlencodedError;
use actix_web::{web, HttpRequest};
use auth_core::AuthError;
use serde::Deserialize;

/// The body of a login (`/token`, `/session`).
#[derive(Deserialize)]
pub(super) struct Login {
    pub username: String,
    pub password: String,
}

/// The body of `/refresh` and `/logout`.
#[derive(Deserialize, Default)]
pub(super) struct RefreshBody {
    pub refresh_token: Option<String>,
}

impl RefreshBody {
    /// A body that may be absent (`/logout`): empty is no refresh token; anything else must be
    /// the JSON, or the request is a 400 (a logout that cannot read its refresh token must not
    /// answer 204 and leave it alive).
    pub(super) fn optional(body: &[u8]) -> Result<RefreshBody, AuthError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(RefreshBody::default());
        }
        serde_json::from_slice(body).map_err(|_| {
            AuthError::BadRequest(
                r#"expected no body, or a JSON body like {"refresh_token": "..."}"#.into(),
            )
        })
    }
}

/// What a login body holds, as refusals say it.
const LOGIN: &str = r#"a JSON body like {"username": "...", "password": "..."}"#;

/// The JSON settings of a login route: a body that is not the JSON it takes is 400 (415
/// without a JSON content type, 413 when too large), saying what is expected.
pub(super) fn login_json() -> web::JsonConfig {
    web::JsonConfig::default().error_handler(|err, _| crate::response::body_error(&err, LOGIN))
}

/// The same for the refresh and logout routes.
pub(super) fn refresh_json() -> web::JsonConfig {
    web::JsonConfig::default().error_handler(|err, _| {
        crate::response::body_error(&err, r#"a JSON body like {"refresh_token": "..."}"#)
    })
}

/// A session login body that is neither the JSON nor the form it takes (actix-web tries the
/// form last): 415 for another content type, 413 when too large, else 400, with fixed texts.
pub(super) fn bad_form(err: UrlencodedError, _req: &HttpRequest) -> actix_web::Error {
    use actix_web::http::StatusCode;
    const FIELDS: &str = r#"{"username": "...", "password": "..."}"#;
    match err {
        UrlencodedError::Overflow { limit, .. } => crate::response::too_large(limit),
        UrlencodedError::ContentType => crate::response::refusal(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            &format!("send {FIELDS} as application/json or application/x-www-form-urlencoded"),
        ),
        _ => crate::response::refusal(
            StatusCode::BAD_REQUEST,
            "bad_request",
            &format!("expected a JSON body like {FIELDS}, or the same fields as a form"),
        ),
    }
}
