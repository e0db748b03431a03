//! A framework-neutral view of a request, and where credentials are taken from.

pub mod session;

use std::any::Any;
use std::fmt;

use crate::error::ConfigError;

/// What backends and guards may read of a request. `auth-actix` implements it for `HttpRequest`.
pub trait RequestParts {
    /// The first value of the header `name` (given in lowercase), as bytes.
    fn header(&self, name: &str) -> Option<&[u8]>;
    /// The header `name` (given in lowercase), told apart by how often it appears: credentials
    /// are read through this, because a credential header that appears more than once makes
    /// the request ambiguous, and it is refused.
    fn header_once(&self, name: &str) -> HeaderOnce<'_>;
    /// The request method (`"GET"`, ...).
    fn method(&self) -> &str;
    /// The request path.
    fn path(&self) -> &str;
    /// The framework's own request object, for custom guards that need more than this trait
    /// offers (`auth-actix` gives an `actix_web::HttpRequest`).
    fn as_any(&self) -> Option<&dyn Any> {
        None
    }

    /// The login session the framework's session middleware holds for this request, if the
    /// adapter read one (auth-actix does, with actix-session, for routes that name the
    /// `session` backend).
    fn session(&self) -> Option<&session::SessionView> {
        None
    }

    /// The value of cookie `name`, read from the `Cookie` header without allocating.
    fn cookie(&self, name: &str) -> Option<&str> {
        find_cookie(self.header("cookie")?, name)
    }
}

/// A header as [`RequestParts::header_once`] finds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderOnce<'a> {
    /// Not in the request.
    Absent,
    /// Exactly once, with this value.
    Once(&'a [u8]),
    /// More than once (whatever the values).
    Repeated,
}

impl<'a> HeaderOnce<'a> {
    /// What `values`, a header's values in order, make of it.
    pub fn of(mut values: impl Iterator<Item = &'a [u8]>) -> Self {
        match (values.next(), values.next()) {
            (None, _) => HeaderOnce::Absent,
            (Some(v), None) => HeaderOnce::Once(v),
            (Some(_), Some(_)) => HeaderOnce::Repeated,
        }
    }
}

/// Finds cookie `name` in a `Cookie` header value (`a=1; b=2`). Quotes around a value are removed.
pub fn find_cookie<'a>(header: &'a [u8], name: &str) -> Option<&'a str> {
    let header = std::str::from_utf8(header).ok()?;
    header.split(';').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        if k.trim() != name {
            return None;
        }
        let v = v.trim();
        Some(
            v.strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v),
        )
    })
}

/// Where a backend finds its credential.
#[derive(Clone, PartialEq, Eq)]
pub enum CredentialSource {
    /// A header, with an optional scheme prefix (`Authorization: Bearer <token>`). The prefix is
    /// matched case-insensitively and must be followed by one or more spaces.
    Header {
        /// Header name, lowercase.
        name: Box<str>,
        /// Scheme prefix, if any (`Bearer`).
        prefix: Option<Box<str>>,
    },
    /// A cookie.
    Cookie(Box<str>),
}

impl fmt::Debug for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialSource::Header {
                name,
                prefix: Some(p),
            } => write!(f, "header {name}: {p} ..."),
            CredentialSource::Header { name, prefix: None } => write!(f, "header {name}"),
            CredentialSource::Cookie(c) => write!(f, "cookie {c}"),
        }
    }
}

/// What a credential source found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Found<'a> {
    /// Nothing of this kind (the backend passes).
    Nothing,
    /// A value, as the request carried it: the backend that reads it checks that it is text (a
    /// JWT backend only when it verifies the token, not for each request presenting a token it
    /// verified before).
    Value(&'a [u8]),
    /// Something is there but unusable: empty after the scheme.
    Malformed,
    /// The header appears more than once: which one counts is ambiguous.
    Repeated,
}

impl CredentialSource {
    /// `Authorization: Bearer <token>`.
    pub fn bearer() -> Self {
        CredentialSource::Header {
            name: "authorization".into(),
            prefix: Some("Bearer".into()),
        }
    }

    /// A header (no prefix). The name is checked and lowercased.
    pub fn header(name: &str) -> Result<Self, ConfigError> {
        Ok(CredentialSource::Header {
            name: header_name(name)?,
            prefix: None,
        })
    }

    /// A header with a scheme prefix (`Authorization: ApiKey <key>`).
    pub fn header_with_prefix(name: &str, prefix: &str) -> Result<Self, ConfigError> {
        if prefix.is_empty()
            || prefix
                .bytes()
                .any(|b| b.is_ascii_whitespace() || !b.is_ascii_graphic())
        {
            return Err(ConfigError::Invalid(
                format!("header prefix {prefix:?} must be one non-empty word").into(),
            ));
        }
        Ok(CredentialSource::Header {
            name: header_name(name)?,
            prefix: Some(prefix.into()),
        })
    }

    /// A cookie.
    pub fn cookie(name: &str) -> Result<Self, ConfigError> {
        if name.is_empty()
            || name
                .bytes()
                .any(|b| !b.is_ascii_graphic() || b"()<>@,;:\\\"/[]?={}".contains(&b))
        {
            return Err(ConfigError::Invalid(
                format!("{name:?} is not a valid cookie name").into(),
            ));
        }
        Ok(CredentialSource::Cookie(name.into()))
    }

    /// Whether `req` carries something where this source reads (a value, malformed or not).
    pub(crate) fn finds_something<R: RequestParts + ?Sized>(&self, req: &R) -> bool {
        !matches!(self.find(req), Found::Nothing)
    }

    /// Reads the credential from `req`.
    pub(crate) fn find<'a, R: RequestParts + ?Sized>(&self, req: &'a R) -> Found<'a> {
        let value = match self {
            CredentialSource::Header { name, prefix } => {
                let raw = match req.header_once(name) {
                    HeaderOnce::Absent => return Found::Nothing,
                    // A proxy in front may read another copy than this one: refuse, whatever
                    // the copies hold (RFC 9110 makes `Authorization` a singleton field).
                    HeaderOnce::Repeated => return Found::Repeated,
                    HeaderOnce::Once(raw) => raw,
                };
                // ASCII whitespace only: optional whitespace around a field value is SP or HTAB
                // (RFC 9110, 5.6.3), and a parsed value holds no CR or LF.
                let value = raw.trim_ascii();
                match prefix {
                    None => value,
                    Some(p) => {
                        let Some((scheme, rest)) = value.split_at_checked(p.len()) else {
                            return Found::Nothing;
                        };
                        if !scheme.eq_ignore_ascii_case(p.as_bytes()) {
                            return Found::Nothing;
                        }
                        match rest.first() {
                            None => return Found::Malformed,
                            // e.g. "Bearerx": another scheme, not ours.
                            Some(b) if *b != b' ' => return Found::Nothing,
                            Some(_) => rest.trim_ascii_start(),
                        }
                    }
                }
            }
            CredentialSource::Cookie(name) => match req.cookie(name) {
                None => return Found::Nothing,
                Some(v) => v.as_bytes(),
            },
        };
        if value.is_empty() {
            Found::Malformed
        } else {
            Found::Value(value)
        }
    }
}

fn header_name(name: &str) -> Result<Box<str>, ConfigError> {
    const TCHAR: &[u8] = b"!#$%&'*+-.^_`|~";
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || TCHAR.contains(&b))
    {
        return Err(ConfigError::InvalidHeaderName(name.to_owned()));
    }
    Ok(name.to_ascii_lowercase().into())
}

/// A plain in-memory request, for tests and for frameworks without a request type of their own.
///
/// ```
/// use auth_core::extend::{RequestParts, SimpleRequest};
/// let req = SimpleRequest::new("GET", "/").header("Cookie", "a=1; token=abc");
/// assert_eq!(req.cookie("token"), Some("abc"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct SimpleRequest {
    method: String,
    path: String,
    headers: Vec<(String, Vec<u8>)>,
}

impl SimpleRequest {
    /// A request with no headers.
    pub fn new(method: &str, path: &str) -> Self {
        SimpleRequest {
            method: method.to_owned(),
            path: path.to_owned(),
            headers: Vec::new(),
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl AsRef<[u8]>) -> Self {
        self.headers
            .push((name.to_ascii_lowercase(), value.as_ref().to_vec()));
        self
    }
}

impl RequestParts for SimpleRequest {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }
    fn header_once(&self, name: &str) -> HeaderOnce<'_> {
        HeaderOnce::of(
            self.headers
                .iter()
                .filter(|(n, _)| n == name)
                .map(|(_, v)| v.as_slice()),
        )
    }
    fn method(&self) -> &str {
        &self.method
    }
    fn path(&self) -> &str {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_extraction_table() {
        let src = CredentialSource::bearer();
        let rows: &[(&str, Option<&str>, Found<'_>)] = &[
            ("no header", None, Found::Nothing),
            ("bearer", Some("Bearer abc"), Found::Value(b"abc")),
            ("lowercase scheme", Some("bearer abc"), Found::Value(b"abc")),
            ("upper scheme", Some("BEARER abc"), Found::Value(b"abc")),
            (
                "extra spaces",
                Some("Bearer    abc  "),
                Found::Value(b"abc"),
            ),
            ("other scheme", Some("Basic abc"), Found::Nothing),
            ("scheme glued", Some("Bearerabc"), Found::Nothing),
            ("scheme only", Some("Bearer"), Found::Malformed),
            ("scheme and spaces", Some("Bearer   "), Found::Malformed),
            ("short", Some("Be"), Found::Nothing),
            ("empty", Some(""), Found::Nothing),
        ];
        for (name, header, expected) in rows {
            let mut req = SimpleRequest::new("GET", "/");
            if let Some(h) = header {
                req = req.header("Authorization", h);
            }
            assert_eq!(&src.find(&req), expected, "case: {name}");
        }
        // Bytes that are not UTF-8: another scheme's business, or a malformed token of ours.
        let req = SimpleRequest::new("GET", "/").header("Authorization", [0xff, 0xfe]);
        assert_eq!(src.find(&req), Found::Nothing);
        // After our scheme they are the credential, which its backend refuses (JWT: as malformed).
        let req = SimpleRequest::new("GET", "/").header("Authorization", b"Bearer \xffa ");
        assert_eq!(src.find(&req), Found::Value(b"\xffa"));
        // Twice, even with one valid copy: ambiguous.
        let req = SimpleRequest::new("GET", "/")
            .header("Authorization", "Bearer abc")
            .header("Authorization", "Bearer xyz");
        assert_eq!(src.find(&req), Found::Repeated);
    }

    #[test]
    fn cookie_parsing() {
        assert_eq!(find_cookie(b"a=1; tok=xyz; b=2", "tok"), Some("xyz"));
        assert_eq!(find_cookie(b"a=1;tok=\"xyz\"", "tok"), Some("xyz"));
        assert_eq!(find_cookie(b"atok=1", "tok"), None);
        assert_eq!(find_cookie(b"", "tok"), None);
        assert_eq!(find_cookie(&[0xff], "tok"), None);
    }

    #[test]
    fn sources_are_validated() {
        assert!(CredentialSource::header("X-Api-Key").is_ok());
        assert!(CredentialSource::header("X Api").is_err());
        assert!(CredentialSource::header("").is_err());
        assert!(CredentialSource::header_with_prefix("Authorization", "Api Key").is_err());
        assert!(CredentialSource::cookie("a;b").is_err());
    }
}
