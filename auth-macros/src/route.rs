//! `#[auth(..)]` and `#[guard(..)]` on handlers. Whichever expands first also takes the other's
//! attributes from the function, so the two may come in any order, above or below the actix
//! route attribute.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, ExprLit, ExprPath, Lit, Meta, Token};

use crate::ctxt::Ctxt;
use crate::guard::{self, GuardExpr};
use crate::item::MaybeItemFn;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Auth,
    Guard,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Auth => "auth",
            Kind::Guard => "guard",
        }
    }
}

/// actix-web extracts at most 16 arguments; the guard takes one of them.
const MAX_USER_ARGS: usize = 15;

#[derive(Default)]
struct Route {
    backends: Option<Vec<syn::Ident>>,
    auth_attr_seen: bool,
    guards: Vec<GuardExpr>,
}

fn parse_backends(tokens: TokenStream, route: &mut Route, cx: &mut Ctxt, at: Option<&Attribute>) {
    if route.auth_attr_seen {
        let msg = "duplicate #[auth]: name every backend in one #[auth(..)]";
        match at {
            Some(attr) => cx.error_spanned_by(attr, msg),
            None => cx.push(syn::Error::new(Span::call_site(), msg)),
        }
        return;
    }
    route.auth_attr_seen = true;
    let parser = Punctuated::<Expr, Token![,]>::parse_terminated;
    let exprs = match syn::parse::Parser::parse2(parser, tokens) {
        Ok(e) => e,
        Err(e) => return cx.push(e),
    };
    if exprs.is_empty() {
        // `#[auth]`: the configuration's default backends.
        return;
    }
    let mut names: Vec<syn::Ident> = Vec::new();
    for e in &exprs {
        match e {
            Expr::Path(ExprPath { path, .. }) if path.get_ident().is_some() => {
                let Some(id) = path.get_ident() else { continue };
                if names.iter().any(|n| n == id) {
                    cx.error_spanned_by(id, format!("backend `{id}` is named twice"));
                } else {
                    names.push(id.clone());
                }
            }
            Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }) => cx.error_spanned_by(
                s,
                format!(
                    "backend names are identifiers: write `{}`, not a string",
                    s.value()
                ),
            ),
            other => {
                cx.error_spanned_by(other, "expected backend names, e.g. #[auth(jwt, api_key)]")
            }
        }
    }
    route.backends = Some(names);
}

fn our_kind(attr: &Attribute) -> Option<Kind> {
    let path = attr.path();
    let last = path.segments.last()?.ident.to_string();
    let ours = path.segments.len() == 1
        || (path.segments.len() == 2 && path.segments[0].ident == "auth_actix");
    match last.as_str() {
        "auth" if ours => Some(Kind::Auth),
        "guard" if ours => Some(Kind::Guard),
        _ => None,
    }
}

fn attr_tokens(attr: &Attribute) -> TokenStream {
    match &attr.meta {
        Meta::List(l) => l.tokens.clone(),
        _ => TokenStream::new(),
    }
}

pub(crate) fn expand(kind: Kind, args: TokenStream, input: TokenStream) -> TokenStream {
    let item: MaybeItemFn = match syn::parse2(input.clone()) {
        Ok(item) => item,
        Err(_) => {
            let e = syn::Error::new(
                first_span(&input),
                format!(
                    "#[{}] applies to async fn request handlers only",
                    kind.name()
                ),
            );
            let err = e.into_compile_error();
            return quote!(#err #input);
        }
    };
    match expand_fn(kind, args, item) {
        Ok(tokens) => tokens,
        Err(e) => {
            let err = e.into_compile_error();
            quote!(#err #input)
        }
    }
}

fn first_span(tokens: &TokenStream) -> Span {
    tokens
        .clone()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |t| t.span())
}

fn expand_fn(kind: Kind, args: TokenStream, mut item: MaybeItemFn) -> syn::Result<TokenStream> {
    let mut cx = Ctxt::default();
    let mut route = Route::default();
    match kind {
        Kind::Auth => parse_backends(args, &mut route, &mut cx, None),
        Kind::Guard => route.guards.extend(guard::parse_args(args, &mut cx)),
    }
    let mut kept = Vec::with_capacity(item.attrs.len());
    for attr in std::mem::take(&mut item.attrs) {
        match our_kind(&attr) {
            Some(Kind::Auth) => {
                parse_backends(attr_tokens(&attr), &mut route, &mut cx, Some(&attr))
            }
            Some(Kind::Guard) => route
                .guards
                .extend(guard::parse_args(attr_tokens(&attr), &mut cx)),
            None => kept.push(attr),
        }
    }
    item.attrs = kept;

    if item.sig.asyncness.is_none() {
        cx.error_spanned_by(
            item.sig.fn_token,
            format!("#[{}] handlers must be `async fn`", kind.name()),
        );
    }
    if let Some(recv) = item.sig.receiver() {
        cx.error_spanned_by(recv, "request handlers cannot take `self`");
    }
    if item.sig.inputs.len() > MAX_USER_ARGS {
        cx.error_spanned_by(
            &item.sig.inputs,
            format!(
                "too many arguments: actix-web extracts at most 16 and #[auth]/#[guard] use one, so a protected handler takes at most {MAX_USER_ARGS}; group some into a tuple or a struct"
            ),
        );
    }
    if !item.body.to_string().starts_with('{') {
        cx.error_spanned_by(&item.sig, "expected a function body");
    }
    cx.check()?;

    let name = &item.sig.ident;
    let spec = format_ident!("__auth_spec_{}", name);
    let vis = &item.vis;
    let route_name = name.to_string();
    let backends = match &route.backends {
        Some(names) => {
            let names = names.iter().map(|n| n.to_string());
            quote!(::core::option::Option::Some(&[#(#names),*]))
        }
        None => quote!(::core::option::Option::None),
    };
    let mut customs = Vec::new();
    let policy = match route.guards.len() {
        0 => quote!(::core::option::Option::None),
        1 => {
            let p = guard::to_policy(
                &route.guards[0],
                &guard::Target::Actix { spec: &spec },
                &mut customs,
            );
            quote!(::core::option::Option::Some(&#p))
        }
        _ => {
            let all = GuardExpr::All(std::mem::take(&mut route.guards));
            let p = guard::to_policy(&all, &guard::Target::Actix { spec: &spec }, &mut customs);
            quote!(::core::option::Option::Some(&#p))
        }
    };
    let guard_arg: syn::FnArg =
        syn::parse_quote!(__auth_guard: ::auth_actix::__private::Protect<#spec>);
    item.sig.inputs.insert(0, guard_arg);
    let MaybeItemFn {
        attrs,
        vis: fn_vis,
        sig,
        body,
    } = &item;
    Ok(quote! {
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #vis struct #spec;

        impl #spec {
            #(#customs)*
        }

        impl ::auth_actix::__private::RouteSpec for #spec {
            const ROUTE: &'static str = #route_name;
            const BACKENDS: ::core::option::Option<&'static [&'static str]> = #backends;
            const POLICY: ::core::option::Option<&'static ::auth_actix::__private::Policy> = #policy;
        }

        ::auth_actix::__openapi_route!(#spec);

        #(#attrs)*
        #fn_vis #sig #body
    })
}
