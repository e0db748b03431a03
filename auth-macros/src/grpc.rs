//! `guard!(..)` for gRPC method tables: the `#[guard]` grammar as an expression that evaluates to
//! an `auth_tonic::Policy`. Custom guards must be synchronous there: a tonic server's futures
//! move between threads, and an asynchronous guard would need the request across an await.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ctxt::Ctxt;
use crate::guard::{self, GuardExpr, Target};

pub(crate) fn expand(args: TokenStream) -> TokenStream {
    let mut cx = Ctxt::default();
    let mut guards = guard::parse_args(args, &mut cx);
    for g in &guards {
        reject_async(g, &mut cx);
    }
    if let Err(e) = cx.check() {
        // An expression of the right type after the error, so that no second error follows.
        let e = e.into_compile_error();
        return quote!({ #e; ::auth_tonic::__private::Policy::AllowAny });
    }
    let g = match guards.len() {
        1 => guards.remove(0),
        _ => GuardExpr::All(guards),
    };
    let mut customs = Vec::new();
    let policy = guard::to_policy(&g, &Target::Grpc, &mut customs);
    quote!({
        #(#customs)*
        const __AUTH_POLICY: &::auth_tonic::__private::Policy = &#policy;
        ::auth_tonic::__private::Policy::clone(__AUTH_POLICY)
    })
}

fn reject_async(g: &GuardExpr, cx: &mut Ctxt) {
    match g {
        GuardExpr::Custom {
            path,
            is_async: true,
        } => cx.error_spanned_by(
            path,
            "`custom_async` is not available for gRPC methods: a tonic server moves futures between \
             threads; use a synchronous `custom(..)` guard, or check in the method itself",
        ),
        GuardExpr::All(v) | GuardExpr::Any(v) => v.iter().for_each(|g| reject_async(g, cx)),
        GuardExpr::Not(g) => reject_async(g, cx),
        _ => {}
    }
}
