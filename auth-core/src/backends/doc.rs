//! What a backend tells documentation (the OpenAPI security schemes) about itself.

use crate::request::CredentialSource;

/// Where a backend reads credentials, for documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialDoc {
    /// `Authorization: Bearer <credential>`, with the credential's format (`JWT`) if known.
    Bearer {
        /// The format (`JWT`).
        format: Option<String>,
    },
    /// A header (lowercase name).
    Header(String),
    /// A cookie.
    Cookie(String),
    /// The login session (its cookie is the session middleware's).
    Session,
    /// Tokens of an OpenID provider, by the URL of its discovery document.
    OpenIdConnect(String),
    /// Something else: documented by the backend's name and description.
    Other,
}

impl CredentialDoc {
    /// `source` as documentation shows it; `format` is the credential's (`JWT`) for a bearer.
    pub fn of(source: &CredentialSource, format: Option<&str>) -> CredentialDoc {
        match source {
            CredentialSource::Header {
                name,
                prefix: Some(p),
            } if &**name == "authorization" && p.eq_ignore_ascii_case("bearer") => {
                CredentialDoc::Bearer {
                    format: format.map(str::to_owned),
                }
            }
            CredentialSource::Header { name, .. } => CredentialDoc::Header(name.to_string()),
            CredentialSource::Cookie(c) => CredentialDoc::Cookie(c.to_string()),
        }
    }

    /// A one-word name of the kind (`bearer`, `header`, `cookie`, `session`, `oidc`, `other`).
    pub fn kind(&self) -> &'static str {
        match self {
            CredentialDoc::Bearer { .. } => "bearer",
            CredentialDoc::Header(_) => "header",
            CredentialDoc::Cookie(_) => "cookie",
            CredentialDoc::Session => "session",
            CredentialDoc::OpenIdConnect(_) => "oidc",
            CredentialDoc::Other => "other",
        }
    }
}

/// A backend as documentation describes it: where it reads credentials, in order, and what it
/// is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackendDoc {
    /// Where credentials are read, in the order they are tried (empty: [`CredentialDoc::Other`]).
    pub credentials: Vec<CredentialDoc>,
    /// A sentence for readers of the API's documentation.
    pub description: Option<String>,
}

impl BackendDoc {
    /// A backend reading `credential`, described by `description`.
    pub fn new(credential: CredentialDoc, description: impl Into<String>) -> Self {
        BackendDoc {
            credentials: vec![credential],
            description: Some(description.into()),
        }
    }
}
