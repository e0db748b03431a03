//! `RequestParts` for actix-web requests.

use std::any::Any;

use actix_web::http::header::{HeaderName, HeaderValue, AUTHORIZATION, COOKIE};
use actix_web::HttpRequest;
use auth_core::{HeaderOnce, RequestParts};

/// An actix-web request seen through auth-core's framework-neutral [`RequestParts`].
#[derive(Debug, Clone, Copy)]
pub struct ActixRequest<'a>(pub &'a HttpRequest);

impl RequestParts for ActixRequest<'_> {
    #[inline]
    fn header(&self, name: &str) -> Option<&[u8]> {
        let headers = self.0.headers();
        // Well-known names are looked up directly; other names are compared without building a
        // `HeaderName` (which would allocate for non-standard names).
        let value = match name {
            "authorization" => headers.get(AUTHORIZATION),
            "cookie" => headers.get(COOKIE),
            _ => headers
                .iter()
                .find(|(n, _): &(&HeaderName, _)| n.as_str() == name)
                .map(|(_, v)| v),
        };
        value.map(|v| v.as_bytes())
    }

    fn header_once(&self, name: &str) -> HeaderOnce<'_> {
        // As `header`: no `HeaderName` is parsed from `name` on the request path.
        let headers = self.0.headers();
        match name {
            "authorization" => {
                HeaderOnce::of(headers.get_all(AUTHORIZATION).map(HeaderValue::as_bytes))
            }
            "cookie" => HeaderOnce::of(headers.get_all(COOKIE).map(HeaderValue::as_bytes)),
            _ => HeaderOnce::of(
                headers
                    .iter()
                    .filter(|(n, _)| n.as_str() == name)
                    .map(|(_, v)| v.as_bytes()),
            ),
        }
    }

    fn method(&self) -> &str {
        self.0.method().as_str()
    }

    fn path(&self) -> &str {
        self.0.path()
    }

    fn as_any(&self) -> Option<&dyn Any> {
        Some(self.0)
    }
}
