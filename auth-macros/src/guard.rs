//! The guard grammar: parsed from tokens (as Rust expressions), validated with spans, and turned
//! into a constant `auth_actix::Policy`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprCall, ExprLit, ExprPath, Lit, LitStr, Token};

use crate::ctxt::Ctxt;
use crate::names::{invalid_name, suggest};

/// One guard expression.
pub(crate) enum GuardExpr {
    AllowAny,
    Authenticated,
    IsStaff,
    IsSuperuser,
    IsActive,
    HasPermission(LitStr),
    HasPermissions(Vec<LitStr>),
    HasAnyPermission(Vec<LitStr>),
    HasRole(LitStr),
    HasAnyRole(Vec<LitStr>),
    All(Vec<GuardExpr>),
    Any(Vec<GuardExpr>),
    Not(Box<GuardExpr>),
    Custom { path: syn::Path, is_async: bool },
}

const NO_ARGS: &[&str] = &[
    "allow_any",
    "authenticated",
    "is_staff",
    "is_superuser",
    "is_active",
];
const ALL_GUARDS: &[&str] = &[
    "allow_any",
    "authenticated",
    "is_staff",
    "is_superuser",
    "is_active",
    "has_permission",
    "has_permissions",
    "has_any_permission",
    "has_role",
    "has_any_role",
    "all",
    "any",
    "not",
    "custom",
    "custom_async",
];

fn guard_name(path: &syn::Path) -> Option<String> {
    path.get_ident().map(|i| i.to_string())
}

fn unknown(cx: &mut Ctxt, tokens: impl ToTokens, name: &str) {
    let mut msg = format!("unknown guard `{name}`");
    if let Some(s) = suggest(name, ALL_GUARDS) {
        msg.push_str(&format!("\n  help: did you mean `{s}`?"));
    } else {
        msg.push_str(&format!(
            "\n  note: the guards are {}",
            ALL_GUARDS.join(", ")
        ));
    }
    cx.error_spanned_by(tokens, msg);
}

/// Parses `#[guard(...)]` arguments: one or more guard expressions, combined with `all`.
pub(crate) fn parse_args(tokens: TokenStream, cx: &mut Ctxt) -> Vec<GuardExpr> {
    let parser = Punctuated::<Expr, Token![,]>::parse_terminated;
    let exprs = match syn::parse::Parser::parse2(parser, tokens.clone()) {
        Ok(e) => e,
        Err(e) => {
            cx.push(e);
            return Vec::new();
        }
    };
    if exprs.is_empty() {
        cx.push(syn::Error::new(
            Span::call_site(),
            "#[guard] needs a guard, e.g. #[guard(has_permission(\"articles.write\"))] or #[guard(allow_any)]",
        ));
    }
    exprs.iter().filter_map(|e| parse_expr(e, cx)).collect()
}

fn parse_expr(e: &Expr, cx: &mut Ctxt) -> Option<GuardExpr> {
    match e {
        Expr::Path(ExprPath { path, .. }) => {
            let name = guard_name(path);
            match name.as_deref() {
                Some("allow_any") => Some(GuardExpr::AllowAny),
                Some("authenticated") => Some(GuardExpr::Authenticated),
                Some("is_staff") => Some(GuardExpr::IsStaff),
                Some("is_superuser") => Some(GuardExpr::IsSuperuser),
                Some("is_active") => Some(GuardExpr::IsActive),
                Some(n) if ALL_GUARDS.contains(&n) => {
                    cx.error_spanned_by(
                        path,
                        format!("`{n}` needs arguments, e.g. {}", example(n)),
                    );
                    None
                }
                Some(n) => {
                    unknown(cx, path, n);
                    None
                }
                None => {
                    cx.error_spanned_by(
                        path,
                        "expected a guard name such as `is_staff` or `has_permission(\"a.b\")`",
                    );
                    None
                }
            }
        }
        Expr::Call(ExprCall { func, args, .. }) => {
            let Expr::Path(ExprPath { path, .. }) = &**func else {
                cx.error_spanned_by(func, "expected a guard name");
                return None;
            };
            let Some(name) = guard_name(path) else {
                cx.error_spanned_by(path, "expected a guard name such as `has_permission`");
                return None;
            };
            parse_call(&name, path, e, args, cx)
        }
        other => {
            cx.error_spanned_by(
                other,
                "expected a guard such as `is_staff`, `has_permission(\"articles.write\")` or `any(..)`",
            );
            None
        }
    }
}

fn example(name: &str) -> &'static str {
    match name {
        "has_permission" => "has_permission(\"articles.write\")",
        "has_permissions" => "has_permissions(\"articles.read\", \"articles.write\")",
        "has_any_permission" => "has_any_permission(\"articles.read\", \"articles.write\")",
        "has_role" => "has_role(\"editor\")",
        "has_any_role" => "has_any_role(\"editor\", \"admin\")",
        "all" => "all(is_staff, has_role(\"editor\"))",
        "any" => "any(is_staff, has_role(\"editor\"))",
        "not" => "not(has_role(\"suspended\"))",
        "custom" => "custom(my_module::owns_article)",
        "custom_async" => "custom_async(my_module::owns_article)",
        _ => "",
    }
}

fn strings(
    name: &str,
    args: &Punctuated<Expr, Token![,]>,
    permission: bool,
    cx: &mut Ctxt,
) -> Vec<LitStr> {
    let mut out = Vec::new();
    for a in args {
        match a {
            Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }) => {
                let what = if permission { "permission" } else { "role" };
                if let Some(why) = invalid_name(&s.value(), permission) {
                    cx.error_spanned_by(s, format!("invalid {what} {:?}: {why}", s.value()));
                } else {
                    out.push(s.clone());
                }
            }
            other => cx.error_spanned_by(
                other,
                format!("`{name}` takes string literals, e.g. {}", example(name)),
            ),
        }
    }
    out
}

fn parse_call(
    name: &str,
    path: &syn::Path,
    call: &Expr,
    args: &Punctuated<Expr, Token![,]>,
    cx: &mut Ctxt,
) -> Option<GuardExpr> {
    let arity = |cx: &mut Ctxt, want: &str| {
        cx.error_spanned_by(
            call,
            format!("`{name}` takes {want}, e.g. {}", example(name)),
        );
    };
    match name {
        n if NO_ARGS.contains(&n) => {
            cx.error_spanned_by(call, format!("`{n}` takes no arguments: write `{n}`"));
            None
        }
        "has_permission" | "has_role" => {
            let permission = name == "has_permission";
            if args.len() != 1 {
                arity(
                    cx,
                    if permission {
                        "exactly one permission string"
                    } else {
                        "exactly one role string"
                    },
                );
                return None;
            }
            let mut s = strings(name, args, permission, cx);
            let s = s.pop()?;
            Some(if permission {
                GuardExpr::HasPermission(s)
            } else {
                GuardExpr::HasRole(s)
            })
        }
        "has_permissions" | "has_any_permission" | "has_any_role" => {
            if args.is_empty() {
                arity(cx, "one or more strings");
                return None;
            }
            let permission = name != "has_any_role";
            let s = strings(name, args, permission, cx);
            if s.len() != args.len() {
                return None;
            }
            Some(match name {
                "has_permissions" => GuardExpr::HasPermissions(s),
                "has_any_permission" => GuardExpr::HasAnyPermission(s),
                _ => GuardExpr::HasAnyRole(s),
            })
        }
        "all" | "any" => {
            if args.is_empty() {
                arity(cx, "one or more guards");
                return None;
            }
            let inner: Vec<GuardExpr> = args.iter().filter_map(|a| parse_expr(a, cx)).collect();
            if inner.len() != args.len() {
                return None;
            }
            Some(if name == "all" {
                GuardExpr::All(inner)
            } else {
                GuardExpr::Any(inner)
            })
        }
        "not" => {
            if args.len() != 1 {
                arity(cx, "exactly one guard");
                return None;
            }
            let inner = parse_expr(&args[0], cx)?;
            Some(GuardExpr::Not(Box::new(inner)))
        }
        "custom" | "custom_async" => {
            let [Expr::Path(ExprPath { path: f, .. })] = args.iter().collect::<Vec<_>>()[..] else {
                arity(cx, "the path of a function");
                return None;
            };
            Some(GuardExpr::Custom {
                path: f.clone(),
                is_async: name == "custom_async",
            })
        }
        other => {
            unknown(cx, path, other);
            None
        }
    }
}

/// Which crate the generated policy is for: an actix-web route (custom guards become associated
/// functions of the route's spec type and see the `HttpRequest`) or a gRPC method table (custom
/// guards are plain functions of the context and the request view, named in place).
pub(crate) enum Target<'a> {
    Actix { spec: &'a syn::Ident },
    Grpc,
}

impl Target<'_> {
    fn private(&self) -> TokenStream {
        match self {
            Target::Actix { .. } => quote!(::auth_actix::__private),
            Target::Grpc => quote!(::auth_tonic::__private),
        }
    }
}

/// Generates the constant `Policy` expression. Custom guards become functions collected in
/// `customs`.
pub(crate) fn to_policy(
    g: &GuardExpr,
    target: &Target,
    customs: &mut Vec<TokenStream>,
) -> TokenStream {
    let private = target.private();
    let p = quote!(#private::Policy);
    let cow = quote!(#private::StdCow);
    let list = |v: &[LitStr]| quote!(#cow::Borrowed(&[#(#cow::Borrowed(#v)),*]));
    match g {
        GuardExpr::AllowAny => quote!(#p::AllowAny),
        GuardExpr::Authenticated => quote!(#p::Authenticated),
        GuardExpr::IsStaff => quote!(#p::IsStaff),
        GuardExpr::IsSuperuser => quote!(#p::IsSuperuser),
        GuardExpr::IsActive => quote!(#p::IsActive),
        GuardExpr::HasPermission(s) => quote!(#p::HasPermission(#cow::Borrowed(#s))),
        GuardExpr::HasRole(s) => quote!(#p::HasRole(#cow::Borrowed(#s))),
        GuardExpr::HasPermissions(v) => {
            let l = list(v);
            quote!(#p::HasPermissions(#l))
        }
        GuardExpr::HasAnyPermission(v) => {
            let l = list(v);
            quote!(#p::HasAnyPermission(#l))
        }
        GuardExpr::HasAnyRole(v) => {
            let l = list(v);
            quote!(#p::HasAnyRole(#l))
        }
        GuardExpr::All(v) | GuardExpr::Any(v) => {
            let inner: Vec<_> = v.iter().map(|g| to_policy(g, target, customs)).collect();
            let variant = if matches!(g, GuardExpr::All(_)) {
                quote!(All)
            } else {
                quote!(Any)
            };
            quote!(#p::#variant(#cow::Borrowed(&[#(#inner),*])))
        }
        GuardExpr::Not(inner) => {
            let inner = to_policy(inner, target, customs);
            quote!(#p::Not(#private::PolicyRef::Static(&#inner)))
        }
        GuardExpr::Custom { path, is_async } => custom(path, *is_async, target, customs),
    }
}

fn custom(
    path: &syn::Path,
    is_async: bool,
    target: &Target,
    customs: &mut Vec<TokenStream>,
) -> TokenStream {
    let f = format_ident!("__auth_custom_{}", customs.len());
    let name = path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::");
    let span = path.span();
    let private = target.private();
    let spec = match target {
        Target::Grpc => {
            // Checked by `grpc::expand` (a gRPC guard cannot be awaited); synchronous here.
            customs.push(quote_spanned! {span=>
                fn #f(
                    ctx: &#private::AuthContext,
                    req: &dyn #private::RequestParts,
                ) -> ::core::result::Result<bool, #private::AuthError> {
                    #private::GuardOutcome::into_outcome(#path(ctx, req))
                }
            });
            return quote!(#private::Policy::Custom(#private::CustomGuard::new(#name, #f)));
        }
        Target::Actix { spec } => spec,
    };
    if is_async {
        customs.push(quote_spanned! {span=>
            fn #f<'__auth_a>(
                ctx: &'__auth_a #private::CoreContext,
                req: &'__auth_a dyn #private::RequestParts,
            ) -> #private::LocalBoxFuture<'__auth_a, ::core::result::Result<bool, #private::AuthError>> {
                #private::call_custom_async(ctx, req, #path)
            }
        });
        quote!(#private::Policy::Custom(#private::CustomGuard::new_async(#name, #spec::#f)))
    } else {
        customs.push(quote_spanned! {span=>
            fn #f(
                ctx: &#private::CoreContext,
                req: &dyn #private::RequestParts,
            ) -> ::core::result::Result<bool, #private::AuthError> {
                #private::call_custom(ctx, req, #path)
            }
        });
        quote!(#private::Policy::Custom(#private::CustomGuard::new(#name, #spec::#f)))
    }
}
