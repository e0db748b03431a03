//! How refusals become responses: 401 with `WWW-Authenticate` (RFC 6750), 400, 403, 429, 503,
//! 500.

use std::fmt;
use std::sync::Arc;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use auth_core::{AuthError, Reason};
use serde::Serialize;

/// An application-supplied replacement for the library's error responses.
pub type ErrorHandler = Arc<dyn Fn(&AuthError, &HttpRequest) -> HttpResponse + Send + Sync>;

/// The error every extractor and the middleware return when a request is refused.
///
/// It renders as JSON `{"error": "...", "detail": "..."}` with 400/401/403/429/503/500, or through the
/// configuration's error handler when one is set.
///
/// It is one pointer wide (the details are boxed, on the refusal path only), so that the futures
/// and results that carry it through actix-web on every request stay small.
#[derive(Clone)]
pub struct AuthFailure(Box<Failure>);

#[derive(Clone)]
struct Failure {
    error: AuthError,
    realm: Arc<str>,
    handler: Option<(ErrorHandler, HttpRequest)>,
}

impl AuthFailure {
    /// The underlying error.
    pub fn error(&self) -> &AuthError {
        &self.0.error
    }

    pub(crate) fn new(
        error: AuthError,
        realm: Arc<str>,
        handler: Option<(ErrorHandler, HttpRequest)>,
    ) -> Self {
        AuthFailure(Box::new(Failure {
            error,
            realm,
            handler,
        }))
    }

    pub(crate) fn bare(error: AuthError) -> Self {
        AuthFailure::new(error, Arc::from("api"), None)
    }
}

impl fmt::Debug for AuthFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthFailure")
            .field("error", &self.0.error)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for AuthFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.error, f)
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: &'a str,
    detail: &'a str,
}

/// Quotes a value for an `auth-param` (RFC 7235 quoted-string).
fn quoted(out: &mut String, v: &str) {
    out.push('"');
    for c in v.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        if c.is_ascii() && !c.is_ascii_control() {
            out.push(c);
        }
    }
    out.push('"');
}

fn challenge(realm: &str, error: Option<(&str, &str)>) -> Option<HeaderValue> {
    let mut v = String::from("Bearer realm=");
    quoted(&mut v, realm);
    if let Some((code, description)) = error {
        v.push_str(", error=");
        quoted(&mut v, code);
        v.push_str(", error_description=");
        quoted(&mut v, description);
    }
    HeaderValue::from_str(&v).ok()
}

impl ResponseError for AuthFailure {
    fn status_code(&self) -> StatusCode {
        match &self.0.error {
            AuthError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            AuthError::Forbidden(_) => StatusCode::FORBIDDEN,
            AuthError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AuthError::TooManyAttempts(_) => StatusCode::TOO_MANY_REQUESTS,
            AuthError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AuthError::NotFound(_) => StatusCode::NOT_FOUND,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Some((handler, req)) = &self.0.handler {
            return handler(&self.0.error, req);
        }
        let mut res = HttpResponse::build(self.status_code());
        let detail: String;
        let (error, detail) = match &self.0.error {
            AuthError::Unauthenticated(reason) => {
                detail = reason.to_string();
                // RFC 6750 §3.1: no error code when the request had no credentials at all, and
                // `invalid_request` for a request that is malformed rather than its token.
                let code = match reason {
                    Reason::MissingCredentials | Reason::NotAccepted(_) => None,
                    Reason::RepeatedHeader => Some("invalid_request"),
                    _ => Some("invalid_token"),
                };
                if let Some(h) = challenge(&self.0.realm, code.map(|c| (c, detail.as_str()))) {
                    res.insert_header((header::WWW_AUTHENTICATE, h));
                }
                ("unauthorized", detail.as_str())
            }
            AuthError::Forbidden(guard) => {
                detail = format!("guard {guard} failed");
                if let Some(h) = challenge(&self.0.realm, Some(("insufficient_scope", &detail))) {
                    res.insert_header((header::WWW_AUTHENTICATE, h));
                }
                ("forbidden", detail.as_str())
            }
            AuthError::Unavailable(_) => {
                res.insert_header((header::RETRY_AFTER, "1"));
                (
                    "service_unavailable",
                    "the authentication store is unavailable; retry shortly",
                )
            }
            AuthError::TooManyAttempts(secs) => {
                res.insert_header((header::RETRY_AFTER, secs.to_string()));
                detail = self.0.error.to_string();
                ("too_many_requests", detail.as_str())
            }
            AuthError::BadRequest(why) => ("bad_request", why.as_ref()),
            AuthError::NotFound(what) => ("not_found", what.as_ref()),
            _ => (
                "internal_error",
                "authentication is misconfigured on the server: its log says what to fix (an \
                 ERROR line through `tracing`: install a subscriber to see it)",
            ),
        };
        res.json(Body { error, detail })
    }
}

/// A `JsonConfig` whose errors answer in the library's error shape: a body that is not the JSON
/// the handler takes is `400`, one without a JSON content type `415`, one over the limit `413`,
/// each `{"error": "...", "detail": "..."}` like every other refusal. serde's wording, which may
/// quote the body (a password, say), goes neither to the client nor to the log.
///
/// ```
/// use actix_web::{web, App};
///
/// let app = App::new().app_data(auth_actix::json_config(web::JsonConfig::default().limit(64 * 1024)));
/// # let _ = app;
/// ```
pub fn json_config(config: actix_web::web::JsonConfig) -> actix_web::web::JsonConfig {
    config.error_handler(|err, _| body_error(&err, "the JSON body this route takes"))
}

/// The response error for a JSON body `err` refused; `expected` says what to send.
pub(crate) fn body_error(
    err: &actix_web::error::JsonPayloadError,
    expected: &str,
) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as E;
    match err {
        E::Overflow { limit } | E::OverflowKnownLength { limit, .. } => too_large(*limit),
        E::ContentType => refusal(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            &format!("send {expected} with Content-Type: application/json"),
        ),
        _ => refusal(
            StatusCode::BAD_REQUEST,
            "bad_request",
            &format!("expected {expected}"),
        ),
    }
}

/// 413: a body over `limit` bytes.
pub(crate) fn too_large(limit: usize) -> actix_web::Error {
    refusal(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        &format!("the body is larger than {limit} bytes"),
    )
}

/// A refusal of a request's body, in the library's error shape, as an actix error.
pub(crate) fn refusal(status: StatusCode, error: &str, detail: &str) -> actix_web::Error {
    let response = HttpResponse::build(status).json(Body { error, detail });
    actix_web::error::InternalError::from_response("malformed request body", response).into()
}
