//! `RequestParts` for actix-web requests: [`ActixRequest`] for guards (custom guards reach the
//! `HttpRequest` through it), and a `Sync` view of the headers for backends.

use std::any::Any;

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, COOKIE};
use actix_web::http::Method;
use actix_web::HttpRequest;
use auth_core::extend::{HeaderOnce, RequestParts};

/// An actix-web request seen through auth-core's framework-neutral [`RequestParts`].
#[derive(Debug, Clone, Copy)]
pub struct ActixRequest<'a>(pub &'a HttpRequest);

/// What backends see of an actix-web request: headers, method, path. Unlike the
/// `HttpRequest` (reference-counted, one thread), it is `Sync`, as
/// [`Backend`](auth_core::Backend)s require so that one backend also serves tonic.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ActixHeaders<'a> {
    headers: &'a HeaderMap,
    method: &'a Method,
    path: &'a str,
}

impl<'a> ActixHeaders<'a> {
    pub(crate) fn of(req: &'a HttpRequest) -> Self {
        ActixHeaders {
            headers: req.headers(),
            method: req.method(),
            path: req.path(),
        }
    }
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h [u8]> {
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

fn header_once<'h>(headers: &'h HeaderMap, name: &str) -> HeaderOnce<'h> {
    // As `header`: no `HeaderName` is parsed from `name` on the request path.
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

impl RequestParts for ActixHeaders<'_> {
    fn header(&self, name: &str) -> Option<&[u8]> {
        header(self.headers, name)
    }

    fn header_once(&self, name: &str) -> HeaderOnce<'_> {
        header_once(self.headers, name)
    }

    fn method(&self) -> &str {
        self.method.as_str()
    }

    fn path(&self) -> &str {
        self.path
    }
}

impl RequestParts for ActixRequest<'_> {
    fn header(&self, name: &str) -> Option<&[u8]> {
        header(self.0.headers(), name)
    }

    fn header_once(&self, name: &str) -> HeaderOnce<'_> {
        header_once(self.0.headers(), name)
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
