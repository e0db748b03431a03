//! The guide: how to use auth-actix, one chapter a subject, each with examples that compile.
//!
//! 1. [Getting started](getting_started): the dependency lines, a first app, app-wide
//!    defaults.
//! 2. [Macros and guards](macros): `#[auth]`, `#[guard]`, `#[derive(AuthUser)]`, the guard
//!    grammar, what a refusal answers.
//! 3. [Extractors and user loading](extractors): `AuthContext`, `Auth<U>`, `Claims<T>`.
//! 4. [API keys and custom backends](backends).
//! 5. [Tokens](tokens): issuing, refresh with rotation, logout, your own login handler.
//! 6. [Revocation stores](revocation): in memory, Redis, SQL; several instances.
//! 7. [Browser sessions and CSRF](sessions).
//! 8. [Identity providers](identity_providers): OpenID discovery, remote JWKS, claim mapping.
//! 9. [Issuing with your own keys](own_keys): a key ring that rotates, a published JWKS.
//! 10. gRPC: the chapter is in `auth_tonic::guide` (the `auth-tonic` crate).
//! 11. [OpenAPI](openapi): documenting every route's backends, guard and refusals.
//! 12. [Testing your app](testing): the test helpers.
//! 13. [Configuration reference](configuration): every builder option with its default.
//! 14. [Security](security): what is checked, what fails closed; `SECURITY.md` has the threat
//!     model.
//!
//! The chapters are Markdown files beside this module. Their examples are compiled and run as
//! doc tests by the workspace's `examples` crate, where every feature and both adapters are in
//! reach (`cargo test -p examples --doc`).

macro_rules! chapters {
    ($($(#[$cfg:meta])* $name:ident => $file:literal,)*) => {
        $(
            $(#[$cfg])*
            #[cfg_attr(not(doctest), doc = include_str!($file))]
            pub mod $name {}
        )*
    };
}

chapters! {
    getting_started => "getting_started.md",
    macros => "macros.md",
    extractors => "extractors.md",
    backends => "backends.md",
    tokens => "tokens.md",
    revocation => "revocation.md",
    sessions => "sessions.md",
    identity_providers => "identity_providers.md",
    own_keys => "own_keys.md",
    openapi => "openapi.md",
    testing => "testing.md",
    configuration => "configuration.md",
    security => "security.md",
}
