//! `#[derive(AuthUser)]`: parse the struct, check the field roles, generate the impl.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Field, Fields, Type};

use crate::ctxt::Ctxt;
use crate::names::suggest;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Role {
    Id,
    Name,
    Roles,
    Permissions,
    Staff,
    Superuser,
    Active,
    PasswordHash,
}

const MARKERS: &[&str] = &[
    "id",
    "name",
    "roles",
    "permissions",
    "staff",
    "superuser",
    "active",
    "password_hash",
];

impl Role {
    fn from_marker(s: &str) -> Option<Role> {
        Some(match s {
            "id" => Role::Id,
            "name" => Role::Name,
            "roles" => Role::Roles,
            "permissions" => Role::Permissions,
            "staff" => Role::Staff,
            "superuser" => Role::Superuser,
            "active" => Role::Active,
            "password_hash" => Role::PasswordHash,
            _ => return None,
        })
    }

    fn marker(self) -> &'static str {
        MARKERS[self as usize]
    }

    /// Field names that take this role when no field is marked.
    fn by_name(self) -> &'static [&'static str] {
        match self {
            Role::Id => &["id"],
            Role::Name => &["username", "email", "name"],
            Role::Roles => &["roles"],
            Role::Permissions => &["permissions"],
            Role::Staff => &["is_staff"],
            Role::Superuser => &["is_superuser"],
            Role::Active => &["is_active"],
            Role::PasswordHash => &["password_hash"],
        }
    }
}

const ROLES: [Role; 8] = [
    Role::Id,
    Role::Name,
    Role::Roles,
    Role::Permissions,
    Role::Staff,
    Role::Superuser,
    Role::Active,
    Role::PasswordHash,
];

/// `krate` is the adapter crate the user depends on (`::auth_actix`, `::auth_tonic`): the
/// generated code names only its `__private` module.
pub(crate) fn expand(input: TokenStream, krate: TokenStream) -> TokenStream {
    let ast: DeriveInput = match syn::parse2(input) {
        Ok(a) => a,
        Err(e) => return e.into_compile_error(),
    };
    let p = quote!(#krate::__private);
    match expand_struct(&ast, &p) {
        Ok(t) => t,
        Err(e) => {
            // Emit a fallback impl too, so one mistake does not cascade into "AuthUser is not
            // implemented" errors wherever the type is used.
            let err = e.into_compile_error();
            let name = &ast.ident;
            let (ig, tg, wc) = ast.generics.split_for_impl();
            quote! {
                #err
                impl #ig #p::AuthUser for #name #tg #wc {
                    fn auth_id(&self) -> ::std::borrow::Cow<'_, str> { ::std::unimplemented!() }
                }
            }
        }
    }
}

fn marker_of(field: &Field, cx: &mut Ctxt) -> Option<Role> {
    let mut found = None;
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("auth")) {
        let parsed =
            attr.parse_args_with(|input: syn::parse::ParseStream<'_>| input.parse::<syn::Ident>());
        match parsed {
            Ok(id) => match Role::from_marker(&id.to_string()) {
                Some(role) if found.is_some() => {
                    cx.error_spanned_by(
                        &id,
                        format!(
                            "a field takes one role; `{}` is a second one",
                            role.marker()
                        ),
                    );
                }
                Some(role) => found = Some(role),
                None => {
                    let mut msg = format!("unknown marker `{id}`");
                    match suggest(&id.to_string(), MARKERS) {
                        Some(s) => msg.push_str(&format!("\n  help: did you mean `{s}`?")),
                        None => msg
                            .push_str(&format!("\n  note: the markers are {}", MARKERS.join(", "))),
                    }
                    cx.error_spanned_by(&id, msg);
                }
            },
            Err(_) => cx.error_spanned_by(
                attr,
                format!(
                    "expected #[auth(<marker>)] with one of: {}",
                    MARKERS.join(", ")
                ),
            ),
        }
    }
    found
}

/// The last path segment of a type (`Vec` in `std::vec::Vec<String>`).
fn last_segment(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

fn is_collection(ty: &Type) -> bool {
    match ty {
        Type::Slice(_) | Type::Array(_) => true,
        Type::Reference(r) => is_collection(&r.elem),
        Type::Path(_) => matches!(
            last_segment(ty).as_deref(),
            Some(
                "Vec"
                    | "HashSet"
                    | "BTreeSet"
                    | "IndexSet"
                    | "SmallVec"
                    | "VecDeque"
                    | "Box"
                    | "Arc"
                    | "Rc"
            )
        ),
        _ => false,
    }
}

fn is_flag(ty: &Type) -> bool {
    match last_segment(ty).as_deref() {
        Some("bool") => true,
        Some("Option") => {
            let Type::Path(p) = ty else { return false };
            let Some(seg) = p.path.segments.last() else {
                return false;
            };
            let syn::PathArguments::AngleBracketed(a) = &seg.arguments else {
                return false;
            };
            matches!(a.args.first(), Some(syn::GenericArgument::Type(t)) if last_segment(t).as_deref() == Some("bool"))
        }
        _ => false,
    }
}

fn expand_struct(ast: &DeriveInput, p: &TokenStream) -> syn::Result<TokenStream> {
    let fields = match &ast.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(f) => &f.named,
            other => {
                return Err(syn::Error::new_spanned(
                    other,
                    "#[derive(AuthUser)] needs a struct with named fields",
                ))
            }
        },
        Data::Enum(e) => {
            return Err(syn::Error::new_spanned(
                e.enum_token,
                "#[derive(AuthUser)] works on structs, not enums: implement `AuthUser` by hand for an enum",
            ))
        }
        Data::Union(u) => {
            return Err(syn::Error::new_spanned(
                u.union_token,
                "#[derive(AuthUser)] works on structs, not unions",
            ))
        }
    };
    let mut cx = Ctxt::default();
    let mut chosen: [Option<&Field>; 8] = [None; 8];
    let mut marked = [false; 8];
    for field in fields {
        if let Some(role) = marker_of(field, &mut cx) {
            let slot = role as usize;
            if marked[slot] {
                cx.error_spanned_by(
                    &field.ident,
                    format!(
                        "duplicate #[auth({})]: only one field may be marked so",
                        role.marker()
                    ),
                );
            } else {
                marked[slot] = true;
                chosen[slot] = Some(field);
            }
        }
    }
    for role in ROLES {
        if chosen[role as usize].is_some() {
            continue;
        }
        let taken: Vec<*const Field> = chosen
            .iter()
            .flatten()
            .map(|f| *f as *const Field)
            .collect();
        'names: for want in role.by_name() {
            for field in fields {
                if field.ident.as_ref().is_some_and(|i| i == want)
                    && !taken.contains(&(field as *const Field))
                {
                    chosen[role as usize] = Some(field);
                    break 'names;
                }
            }
        }
    }
    if chosen[Role::Id as usize].is_none() {
        cx.error_spanned_by(
            &ast.ident,
            "AuthUser needs an identity: add a field named `id` or mark one with #[auth(id)]",
        );
    }
    for role in [Role::Roles, Role::Permissions] {
        if let Some(f) = chosen[role as usize] {
            if !is_collection(&f.ty) {
                cx.error_spanned_by(
                    &f.ty,
                    format!(
                        "the {} field must be a collection of strings, e.g. Vec<String> or HashSet<String> (or of enums with AsRef<str> or Display)",
                        role.marker()
                    ),
                );
            }
        }
    }
    for role in [Role::Staff, Role::Superuser, Role::Active] {
        if let Some(f) = chosen[role as usize] {
            if !is_flag(&f.ty) {
                cx.error_spanned_by(
                    &f.ty,
                    format!(
                        "the {} field must be a `bool` (or `Option<bool>`)",
                        role.marker()
                    ),
                );
            }
        }
    }
    cx.check()?;

    let cow = quote!(::std::borrow::Cow);
    let access = |role: Role| chosen[role as usize].map(|f| (f.ident.as_ref(), f.ty.span()));
    let mut methods = Vec::new();
    if let Some((Some(id), span)) = access(Role::Id) {
        methods.push(quote_spanned! {span=>
            fn auth_id(&self) -> #cow<'_, str> {
                #[allow(unused_imports)]
                use #p::{ViaAsRef as _, ViaDisplay as _};
                (&&&#p::Wrap(&self.#id)).__auth_str()
            }
        });
    }
    if let Some((Some(f), span)) = access(Role::Name) {
        methods.push(quote_spanned! {span=>
            fn auth_name(&self) -> ::core::option::Option<#cow<'_, str>> {
                #p::AsName::__auth_name(&self.#f)
            }
        });
    }
    if let Some((Some(f), span)) = access(Role::PasswordHash) {
        methods.push(quote_spanned! {span=>
            fn auth_password_hash(&self) -> ::core::option::Option<#cow<'_, str>> {
                #p::AsName::__auth_name(&self.#f)
            }
        });
    }
    for (role, method) in [
        (Role::Roles, quote!(auth_roles)),
        (Role::Permissions, quote!(auth_permissions)),
    ] {
        if let Some((Some(f), span)) = access(role) {
            methods.push(quote_spanned! {span=>
                fn #method(&self) -> ::std::vec::Vec<#cow<'_, str>> {
                    #[allow(unused_imports)]
                    use #p::{ViaAsRef as _, ViaDisplay as _};
                    self.#f.iter().map(|__auth_v| (&&&#p::Wrap(__auth_v)).__auth_str()).collect()
                }
            });
        }
    }
    for (role, method, default) in [
        (Role::Staff, quote!(is_staff), false),
        (Role::Superuser, quote!(is_superuser), false),
        (Role::Active, quote!(is_active), true),
    ] {
        if let Some((Some(f), span)) = access(role) {
            methods.push(quote_spanned! {span=>
                fn #method(&self) -> bool {
                    #p::AsFlag::__auth_flag(&self.#f, #default)
                }
            });
        }
    }
    let name = &ast.ident;
    let (ig, tg, wc) = ast.generics.split_for_impl();
    Ok(quote! {
        impl #ig #p::AuthUser for #name #tg #wc {
            #(#methods)*
        }
    })
}
