//! [`Protect<S>`]: the extractor that `#[auth]`/`#[guard]` put first in a handler's arguments.
//! It can be written by hand too (see `examples/without_macros.rs`).

use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use auth_core::adapter::Rule;
use auth_core::Policy;

use crate::decide::{self, BackendList};
use crate::future::{now_or_later, ExtractFuture};
use crate::gate::Gate;
use crate::response::AuthFailure;

/// What a protected route requires: its backends and its guard, as constants.
///
/// `None` takes the configuration's default.
///
/// ```
/// use auth_actix::{Protect, RouteSpec, Policy};
/// use std::borrow::Cow;
///
/// struct WriteArticles;
/// impl RouteSpec for WriteArticles {
///     const ROUTE: &'static str = "create_article";
///     const BACKENDS: Option<&'static [&'static str]> = Some(&["jwt", "api_key"]);
///     const POLICY: Option<&'static Policy> = Some(&Policy::HasPermission(Cow::Borrowed("articles.write")));
/// }
///
/// async fn create_article(_auth: Protect<WriteArticles>) -> &'static str { "created" }
/// ```
pub trait RouteSpec: 'static {
    /// The route's name in logs (the handler's name).
    const ROUTE: &'static str;
    /// The backends to try, in order (`None`: the configuration's defaults).
    const BACKENDS: Option<&'static [&'static str]>;
    /// The guard (`None`: the configuration's default guard).
    const POLICY: Option<&'static Policy>;
}

/// Proof that the route's guard passed. Extracted first, before any other argument (and before
/// any body is read: while the decision waits on a store, the body stays closed).
pub struct Protect<S: RouteSpec> {
    ctx: Option<auth_core::AuthContext>,
    _spec: PhantomData<S>,
}

impl<S: RouteSpec> std::fmt::Debug for Protect<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Protect")
            .field("route", &S::ROUTE)
            .field("ctx", &self.ctx)
            .finish()
    }
}

impl<S: RouteSpec> FromRequest for Protect<S> {
    type Error = AuthFailure;
    type Future = ExtractFuture<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let list = BackendList::from_route(S::BACKENDS);
        let owned = req.clone();
        let admitted = async move {
            decide::admit(
                &owned,
                S::ROUTE,
                &list,
                S::POLICY.map_or(Rule::Default, Rule::Guard),
            )
            .await
        };
        let protect = |ctx| Protect {
            ctx,
            _spec: PhantomData,
        };
        match now_or_later(admitted) {
            // Decided at once: no other extractor has started, so no body has been read.
            Ok(r) => ExtractFuture::ready(r.map(protect)),
            // Waiting on a store or an asynchronous guard: the body and the other extractors
            // are held back meanwhile.
            Err(waiting) => {
                let gate = Gate::close(req, payload);
                ExtractFuture::waiting(async move {
                    let r = waiting.await;
                    gate.open(r.is_ok());
                    r.map(protect)
                })
            }
        }
    }
}
