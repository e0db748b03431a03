//! The OpenAPI security schemes of the configured backends, and their names.

use auth_core::extend::CredentialDoc;
use auth_core::AuthConfig;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, Http, HttpAuthScheme, OpenIdConnect, SecurityScheme,
};

/// One security scheme of a backend.
pub(super) struct Scheme {
    /// Its name in `components.securitySchemes` and in `security` requirements.
    pub name: String,
    pub scheme: SecurityScheme,
}

/// The schemes of backend `backend`, in the order it reads credentials; `session_cookie` names
/// the session middleware's cookie.
pub(super) fn of_backend(cfg: &AuthConfig, backend: &str, session_cookie: &str) -> Vec<Scheme> {
    let Some(doc) = cfg.backends().describe(backend) else {
        return Vec::new();
    };
    // "Backend `jwt`: <where>. <what the backend says of itself>"
    let describe = |place: &str| match &doc.description {
        Some(d) => format!("Backend `{backend}`: {place}. {d}"),
        None => format!("Backend `{backend}`: {place}."),
    };
    let mut out = Vec::new();
    for (i, credential) in doc.credentials.iter().enumerate() {
        let scheme = match credential {
            CredentialDoc::Bearer { format } => {
                let mut http = Http::new(HttpAuthScheme::Bearer);
                http.bearer_format.clone_from(format);
                http.description = Some(describe("`Authorization: Bearer <token>`"));
                SecurityScheme::Http(http)
            }
            CredentialDoc::Header(header) => {
                let text = describe(&format!("the `{header}` header"));
                SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                    header.clone(),
                    text,
                )))
            }
            CredentialDoc::Cookie(cookie) => {
                let text = describe(&format!(
                    "the `{cookie}` cookie; a state-changing request must be same-origin (CSRF)"
                ));
                SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                    cookie.clone(),
                    text,
                )))
            }
            CredentialDoc::Session => {
                let text = describe(
                    "the session cookie; a state-changing request must be same-origin and carry \
                     `X-CSRF-Token` when the app asks for it",
                );
                SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                    session_cookie.to_owned(),
                    text,
                )))
            }
            CredentialDoc::OpenIdConnect(url) => {
                let mut oidc = OpenIdConnect::new(url.clone());
                oidc.description = Some(describe(
                    "tokens of this OpenID provider, as `Authorization: Bearer <token>`",
                ));
                SecurityScheme::OpenIdConnect(oidc)
            }
            // A custom backend that does not say where it reads: a header named after it.
            _ => SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                backend.to_owned(),
                describe("a custom backend (it does not say where it reads credentials: implement `Backend::describe`)"),
            ))),
        };
        out.push(Scheme {
            name: scheme_name(backend, credential, i),
            scheme,
        });
    }
    out
}

/// `bearerAuth` for the `jwt` backend's bearer header, `apiKeyAuth` for `api_key`,
/// `sessionCookie` for `session`; otherwise the backend's name, followed by the kind of the
/// credential after the first (`jwt_cookie`, `jwt_oidc`).
fn scheme_name(backend: &str, credential: &CredentialDoc, index: usize) -> String {
    match (backend, credential) {
        ("jwt", CredentialDoc::Bearer { .. }) => "bearerAuth".into(),
        ("api_key", CredentialDoc::Header(_)) => "apiKeyAuth".into(),
        ("session", CredentialDoc::Session) => "sessionCookie".into(),
        (name, _) if index == 0 => name.into(),
        (name, c) => format!("{name}_{}", c.kind()),
    }
}
