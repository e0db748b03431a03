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
///   [`Csrf::allowed_origins`], or, when none are configured, the server's own origin. An origin
///   is a scheme, a host and a port, compared exactly (a default port may be left out): a page
///   served over `http` is not the `https` site, nor `foo://` anything. The server's own scheme
///   is the connection's (`https` behind a proxy that says so in `Forwarded` or
///   `X-Forwarded-Proto`, headers a cross-site page cannot make a browser send). A request with
///   neither header is refused.
/// - **Double submit** (optional, [`Csrf::double_submit`]): the `X-CSRF-Token` header must hold
///   the token of the credential the cookie carries: a digest of the session's id, or of the
///   access token's `jti`, which only its holder knows. So a made-up pair of cookie and header,
///   or another user's token, is refused. The login endpoints (session login, and token login
///   and refresh with cookies) set the named cookie to that token, readable by the page's
///   scripts (not `HttpOnly`), `SameSite=Lax`, `Path=/`, `Secure` unless
///   [`Csrf::dangerous_insecure_cookie`]; logout clears it. A cookie credential of a custom
///   backend, which names no id, must carry a header equal to the cookie.
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
    /// The rules of `cfg`: the app's, or the defaults.
    pub(crate) fn of(cfg: &AuthConfig) -> &Csrf {
        static DEFAULT: std::sync::OnceLock<Csrf> = std::sync::OnceLock::new();
        cfg.extension::<Csrf>()
            .unwrap_or_else(|| DEFAULT.get_or_init(Csrf::new))
    }

    /// Same-origin checks against the request's own host; no double-submit token.
    pub fn new() -> Self {
        Csrf::default()
    }

    /// The origins (`scheme://host[:port]`) allowed to send state-changing requests with cookie
    /// credentials, instead of the request's own host.
    pub fn allowed_origins<I: IntoIterator<Item = S>, S: AsRef<str>>(mut self, origins: I) -> Self {
        self.allowed_origins = origins
            .into_iter()
            .filter_map(|o| origin_of(o.as_ref().trim_end_matches('/')))
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

    /// Checks a state-changing request authenticated from a cookie; `binding` is what the
    /// credential's double-submit token is made from (the session id, the token's `jti`), if it
    /// names one. `Err` says why it fails.
    pub(crate) fn check(
        &self,
        req: &HttpRequest,
        binding: Option<&str>,
    ) -> Result<(), &'static str> {
        self.check_origin(req)?;
        if self.off {
            return Ok(());
        }
        if let Some(cookie) = &self.double_submit {
            let expected = match binding {
                Some(b) => Some(token_for(b)),
                None => req.cookie(cookie).map(|c| c.value().to_owned()),
            };
            let sent = req.headers().get(CSRF_HEADER).map(|v| v.as_bytes());
            let ok = match (expected, sent) {
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
            let info = req.connection_info();
            let own = format!("{}://{}", info.scheme(), info.host());
            origin_of(&own).is_some_and(|own| own == origin)
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

/// The double-submit token of a credential whose secret id is `binding` (a session's id, an
/// access token's `jti`): unforgeable without it, different for every session and token.
pub(crate) fn token_for(binding: &str) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(b"auth-actix csrf token\0")
        .chain_update(binding.as_bytes())
        .finalize();
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

/// Sets the double-submit cookie of the credential `binding` names on `res`, when the
/// configuration asks for one (at login, and at a refresh with cookies).
pub(crate) fn issue_cookie(cfg: &AuthConfig, res: &mut HttpResponse, binding: &str) {
    let csrf = Csrf::of(cfg);
    if let Some(name) = &csrf.double_submit {
        add(res, &csrf.cookie(name, token_for(binding)));
    }
}

/// Clears the double-submit cookie on `res` (at logout).
pub(crate) fn clear_cookie(cfg: &AuthConfig, res: &mut HttpResponse) {
    let csrf = Csrf::of(cfg);
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

/// `scheme://host[:port]` of an origin or URL, lowercased, without the scheme's default port;
/// `None` for `null` or junk.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    if scheme.is_empty() || authority.is_empty() || authority.contains('@') {
        return None;
    }
    let authority = match (scheme, authority.rsplit_once(':')) {
        ("http", Some((host, "80"))) | ("https", Some((host, "443"))) => host,
        _ => authority,
    };
    Some(format!("{scheme}://{authority}").to_ascii_lowercase())
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
        assert_eq!(
            origin_of("https://a.example:443").as_deref(),
            Some("https://a.example")
        );
        assert_eq!(
            origin_of("http://a.example:8080").as_deref(),
            Some("http://a.example:8080")
        );
        // The scheme is part of the origin: these are three different ones.
        let origins = ["http://a.example", "https://a.example", "foo://a.example"];
        let read: std::collections::HashSet<_> =
            origins.iter().filter_map(|o| origin_of(o)).collect();
        assert_eq!(read.len(), 3);
    }

    #[test]
    fn tokens_are_bound_to_their_credential() {
        assert_eq!(token_for("sid-1"), token_for("sid-1"));
        assert_ne!(token_for("sid-1"), token_for("sid-2"));
        assert_eq!(token_for("sid-1").len(), 22);
    }
}
