//! What backends and guards see of a gRPC call: its metadata (HTTP/2 headers) and method path.

use auth_core::adapter::Incoming;
use auth_core::extend::{HeaderOnce, RequestParts};
use http::HeaderMap;

/// A gRPC call seen through auth-core's [`RequestParts`]: `header` reads ASCII metadata, `path`
/// is the method (`/package.Service/Method`), `method` is `POST`, as every gRPC call is.
#[derive(Debug, Clone, Copy)]
pub struct GrpcRequest<'a> {
    headers: &'a HeaderMap,
    path: &'a str,
}

impl<'a> GrpcRequest<'a> {
    /// A view of a call's metadata and path.
    pub fn new(headers: &'a HeaderMap, path: &'a str) -> Self {
        GrpcRequest { headers, path }
    }
}

impl RequestParts for GrpcRequest<'_> {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers.get(name).map(|v| v.as_bytes())
    }

    fn header_once(&self, name: &str) -> HeaderOnce<'_> {
        HeaderOnce::of(self.headers.get_all(name).iter().map(|v| v.as_bytes()))
    }

    fn method(&self) -> &str {
        "POST"
    }

    fn path(&self) -> &str {
        self.path
    }
}

/// A call as auth-core's engine decides it: the same view for backends and guards; no session,
/// no cookie credentials to check for CSRF (a browser cannot make a gRPC call by itself), nothing
/// kept (the layer puts the identity in the call's extensions).
impl Incoming for GrpcRequest<'_> {
    fn credentials(&self) -> &(dyn RequestParts + Sync) {
        self
    }

    fn request(&self) -> &dyn RequestParts {
        self
    }
}
