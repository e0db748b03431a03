//! [`CookieSettings`]: how the token endpoints deliver tokens as cookies.

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};

/// Cookie delivery of the tokens.
#[derive(Debug, Clone)]
pub struct CookieSettings {
    pub(super) access: String,
    pub(super) refresh: String,
    secure: bool,
    same_site: SameSite,
    path: String,
}

impl Default for CookieSettings {
    fn default() -> Self {
        CookieSettings {
            access: "access_token".into(),
            refresh: "refresh_token".into(),
            secure: true,
            same_site: SameSite::Strict,
            path: "/".into(),
        }
    }
}

impl CookieSettings {
    /// `access_token` and `refresh_token`, `HttpOnly`, `Secure`, `SameSite=Strict`, path `/`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cookie names (default `access_token`, `refresh_token`).
    pub fn names(mut self, access: impl Into<String>, refresh: impl Into<String>) -> Self {
        self.access = access.into();
        self.refresh = refresh.into();
        self
    }

    /// Sends cookies over plain HTTP too. For local development only.
    pub fn dangerous_insecure(mut self) -> Self {
        self.secure = false;
        self
    }

    /// The `SameSite` attribute (default `Strict`).
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = same_site;
        self
    }

    /// The cookie path (default `/`).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    pub(super) fn cookie(&self, name: &str, value: String, max_age: u64) -> Cookie<'static> {
        Cookie::build(name.to_owned(), value)
            .http_only(true)
            .secure(self.secure)
            .same_site(self.same_site)
            .path(self.path.clone())
            .max_age(CookieDuration::seconds(
                i64::try_from(max_age).unwrap_or(i64::MAX),
            ))
            .finish()
    }

    pub(super) fn removal(&self, name: &str) -> Cookie<'static> {
        let mut c = self.cookie(name, String::new(), 0);
        c.make_removal();
        c
    }
}
