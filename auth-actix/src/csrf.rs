//! CSRF defence for credentials a browser sends by itself (cookies): a state-changing request
//! (`POST`, `PUT`, `PATCH`, `DELETE`) authenticated from a cookie must be same-origin, and carry
//! the double-submit token when one is configured. Header credentials (`Authorization`, API
//! keys) are not affected: a cross-site page cannot make a browser send them.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse};
use auth_core::AuthConfig;
use subtle::ConstantTimeEq;

/// The CSRF rules of an [`AuthConfig`](crate::AuthConfig), set with
/// [`ActixConfig::csrf`](crate::ActixConfig::csrf); on by default.
///
/// - **Same origin.** The request's `Origin` (else the origin of its `Referer`) must be one of
///   [`Csrf::allowed_origins`], or, when none are configured, name the host the request was sent
///   to (its `Host`). A request with neither header is refused.
/// - **Double submit** (optional, [`Csrf::double_submit`]): the `X-CSRF-Token` header must equal
///   the value of the named cookie, compared in constant time. The login endpoints (session
///   login, and token login with cookies) set that cookie to a fresh random value, readable by
///   the page's scripts (not `HttpOnly`), `SameSite=Lax`, `Path=/`, `Secure` unless
///   [`Csrf::dangerous_insecure_cookie`]; logout clears it.
///
/// The session login endpoint itself is held to the same-origin rule (a cross-site page must not
/// log a browser into another account).
///
/// ```
/// use auth_actix::prelude::*;
/// use auth_actix::Csrf;
///
/// let auth = AuthConfig::builder()
///     .jwt(JwtConfig::hs256("an example secret that is 32+ bytes long").cookie("access_token"))
///     .csrf(Csrf::new().allowed_origins(["https://app.example.com"]).double_submit("csrf_token"))
///     .build()
///     .unwrap();
/// # let _ = auth;
/// ```
#[derive(Debug, Clone, Default)]
pub struct Csrf {
    allowed_origins: Vec<String>,
    double_submit: Option<String>,
    insecure_cookie: bool,
    off: bool,
}

/// The header that carries the double-submit token.
pub const CSRF_HEADER: &str = "x-csrf-token";

impl Csrf {
    /// Same-origin checks against the request's own host; no double-submit token.
    pub fn new() -> Self {
        Csrf::default()
    }

    /// The origins (`scheme://host[:port]`) allowed to send state-changing requests with cookie
    /// credentials, instead of the request's own host.
    pub fn allowed_origins<I: IntoIterator<Item = S>, S: AsRef<str>>(mut self, origins: I) -> Self {
        self.allowed_origins = origins
            .into_iter()
            .map(|o| o.as_ref().trim_end_matches('/').to_ascii_lowercase())
            .collect();
        self
    }

    /// Also requires the `X-CSRF-Token` header to equal the cookie `cookie` (e.g. `csrf_token`,
    /// which the app sets readable by its own scripts).
    pub fn double_submit(mut self, cookie: &str) -> Self {
        self.double_submit = Some(cookie.to_owned());
        self
    }

    /// Sends the double-submit cookie over plain HTTP too: only for a development server on
    /// loopback.
    pub fn dangerous_insecure_cookie(mut self) -> Self {
        self.insecure_cookie = true;
        self
    }

    /// No CSRF check at all: only for apps whose cookie credentials never reach a browser.
    pub fn dangerous_off(mut self) -> Self {
        self.off = true;
        self
    }

    /// Checks a state-changing request authenticated from a cookie; `Err` says why it fails.
    pub(crate) fn check(&self, req: &HttpRequest) -> Result<(), &'static str> {
        self.check_origin(req)?;
        if self.off {
            return Ok(());
        }
        if let Some(cookie) = &self.double_submit {
            let expected = req.cookie(cookie);
            let sent = req.headers().get(CSRF_HEADER).map(|v| v.as_bytes());
            let ok = match (expected.as_ref().map(|c| c.value()), sent) {
                (Some(e), Some(s)) if !e.is_empty() => bool::from(e.as_bytes().ct_eq(s)),
                _ => false,
            };
            if !ok {
                return Err("a same-origin request (CSRF check: X-CSRF-Token does not match)");
            }
        }
        Ok(())
    }

    /// The same-origin half of [`Csrf::check`] (for the login endpoint, which has no cookie
    /// token to compare yet).
    pub(crate) fn check_origin(&self, req: &HttpRequest) -> Result<(), &'static str> {
        if self.off {
            return Ok(());
        }
        let headers = req.headers();
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let origin = match (text("origin"), text("referer")) {
            (Some(o), _) => origin_of(o),
            (None, Some(r)) => origin_of(r),
            (None, None) => None,
        };
        let Some(origin) = origin else {
            return Err("a same-origin request (CSRF check: no Origin or Referer)");
        };
        let same = if self.allowed_origins.is_empty() {
            let host = text("host").unwrap_or_default();
            authority(&origin).eq_ignore_ascii_case(host)
        } else {
            self.allowed_origins.contains(&origin)
        };
        if !same {
            return Err("a same-origin request (CSRF check: cross-origin)");
        }
        Ok(())
    }

    fn cookie(&self, name: &str, value: String) -> Cookie<'static> {
        Cookie::build(name.to_owned(), value)
            .http_only(false)
            .secure(!self.insecure_cookie)
            .same_site(SameSite::Lax)
            .path("/")
            .finish()
    }
}

/// Sets a fresh double-submit cookie on `res`, when the configuration asks for one (at login).
pub(crate) fn issue_cookie(cfg: &AuthConfig, res: &mut HttpResponse) {
    let csrf = crate::config::csrf(cfg);
    let Some(name) = &csrf.double_submit else {
        return;
    };
    let token = match auth_core::jwt::random_id() {
        Ok(token) => token,
        Err(e) => {
            // The login still succeeds; state-changing requests are refused until the next one.
            tracing::error!(error = %e, "no CSRF token could be made");
            return;
        }
    };
    add(res, &csrf.cookie(name, token));
}

/// Clears the double-submit cookie on `res` (at logout).
pub(crate) fn clear_cookie(cfg: &AuthConfig, res: &mut HttpResponse) {
    let csrf = crate::config::csrf(cfg);
    if let Some(name) = &csrf.double_submit {
        let mut cookie = csrf.cookie(name, String::new());
        cookie.make_removal();
        add(res, &cookie);
    }
}

fn add(res: &mut HttpResponse, cookie: &Cookie<'_>) {
    if let Err(e) = res.add_cookie(cookie) {
        tracing::error!(error = %e, "the CSRF cookie could not be set");
    }
}

/// Whether `req`'s method changes state (the requests the check applies to).
pub(crate) fn changes_state(req: &HttpRequest) -> bool {
    matches!(
        *req.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    )
}

/// `scheme://authority` of an origin or URL, lowercased; `None` for `null` or junk.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    if scheme.is_empty() || authority.is_empty() {
        return None;
    }
    Some(format!("{scheme}://{authority}").to_ascii_lowercase())
}

/// The `host[:port]` of `scheme://host[:port]`, without the scheme's default port.
fn authority(origin: &str) -> &str {
    let (scheme, authority) = origin.split_once("://").unwrap_or(("", origin));
    match (scheme, authority.rsplit_once(':')) {
        ("http", Some((host, "80"))) | ("https", Some((host, "443"))) => host,
        _ => authority,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_read_from_urls() {
        assert_eq!(
            origin_of("https://App.example.com/a/b?c").as_deref(),
            Some("https://app.example.com")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8080").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(origin_of("null"), None);
        assert_eq!(origin_of("https://"), None);
        assert_eq!(authority("https://a.example:443"), "a.example");
        assert_eq!(authority("http://a.example:8080"), "a.example:8080");
    }
}
