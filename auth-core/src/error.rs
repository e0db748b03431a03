//! Error types: [`ConfigError`] for a configuration that cannot work (found when it is built),
//! [`Reason`] and [`AuthError`] for a request that is refused.

use std::borrow::Cow;
use std::fmt;

/// A configuration that cannot work, found when it is built.
///
/// Every variant says what to change; none carries a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// An HMAC secret is shorter than the minimum.
    #[error("the HMAC secret for {alg:?} is {len} bytes long; use at least {min} random bytes (e.g. `openssl rand -base64 48`)")]
    WeakSecret {
        /// The algorithm the secret was given for.
        alg: jsonwebtoken::Algorithm,
        /// The secret's length in bytes.
        len: usize,
        /// The minimum length.
        min: usize,
    },
    /// A key could not be parsed.
    #[error("the {what} key could not be read: {source}; give a PEM-encoded {what} key")]
    InvalidKey {
        /// What kind of key was expected.
        what: &'static str,
        /// The parser's error.
        #[source]
        source: jsonwebtoken::errors::Error,
    },
    /// An algorithm was bound to a key of another family.
    #[error("algorithm {alg:?} cannot be used with a {family} key; bind each key only to algorithms of its own family")]
    AlgorithmKeyMismatch {
        /// The algorithm.
        alg: jsonwebtoken::Algorithm,
        /// The key's family.
        family: &'static str,
    },
    /// The JWT configuration has no verification key.
    #[error("the JWT configuration has no verification key; add one with JwtConfig::hs256(secret) or JwtConfig::key(..)")]
    NoJwtKey,
    /// Two keys share one `kid`.
    #[error("two JWT keys share the kid {0:?}; each kid must name one key")]
    DuplicateKid(String),
    /// Some keys have a `kid` and others do not.
    #[error("some JWT keys have a kid and others do not; give every key a kid, or none")]
    MixedKid,
    /// A permission or role string is malformed.
    #[error("{what} {value:?} is malformed: {why}")]
    InvalidName {
        /// "permission" or "role".
        what: &'static str,
        /// The offending value.
        value: String,
        /// Why it is malformed.
        why: &'static str,
    },
    /// An API key is empty or too short.
    #[error("API key #{index} is {len} bytes long; API keys must be at least {min} bytes")]
    WeakApiKey {
        /// Position of the key in the order it was added (from 1).
        index: usize,
        /// Its length.
        len: usize,
        /// The minimum.
        min: usize,
    },
    /// A hashed API key is not 64 hex digits.
    #[error("hashed API key #{index} is not a SHA-256 digest in hex (64 hex digits)")]
    InvalidKeyHash {
        /// Position of the key in the order it was added (from 1).
        index: usize,
    },
    /// Two API keys are equal.
    #[error("API key #{index} is given twice")]
    DuplicateApiKey {
        /// Position of the second occurrence (from 1).
        index: usize,
    },
    /// A header name is not a valid HTTP header name.
    #[error("{0:?} is not a valid HTTP header name")]
    InvalidHeaderName(String),
    /// No backend was registered.
    #[error("no authentication backend is registered; add .jwt(..), .api_keys(..) or .backend(name, ..)")]
    NoBackends,
    /// Two backends were registered under one name.
    #[error("a backend named {0:?} is registered twice")]
    DuplicateBackend(String),
    /// A default backend names no registered backend.
    #[error("default backend {name:?} is not registered (registered: {registered})")]
    UnknownBackend {
        /// The name given.
        name: String,
        /// The registered names, comma-separated.
        registered: String,
    },
    /// Another configuration problem.
    #[error("{0}")]
    Invalid(Cow<'static, str>),
}

/// Why a request's credentials were refused (or why none were accepted).
///
/// The `Display` text is safe to send to a client: it never contains the credential.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// No backend found credentials of its kind.
    MissingCredentials,
    /// The request carries credentials only for backends the route does not try (an API key
    /// sent to a JWT-only route); the text names both ("this route does not accept api_key
    /// credentials; it accepts jwt").
    NotAccepted(Cow<'static, str>),
    /// The token's `exp` is in the past.
    Expired,
    /// The token's `nbf` is in the future.
    NotYetValid,
    /// The token's `iat` is in the future.
    IssuedInFuture,
    /// The signature does not verify.
    InvalidSignature,
    /// The audience does not match.
    WrongAudience,
    /// The issuer does not match.
    WrongIssuer,
    /// The token cannot be parsed; the text says which part.
    Malformed(&'static str),
    /// A claim the configuration requires is missing.
    MissingClaim(&'static str),
    /// No configured key matches the token's `kid`.
    UnknownKey,
    /// The token's algorithm is not allowed for the key (or is `none`).
    AlgorithmNotAllowed,
    /// The token uses a `crit` header extension this library does not understand.
    UnsupportedCritical,
    /// The token was revoked (logout, rotation, logout-everywhere).
    Revoked,
    /// A refresh token was presented as an access token, or the other way round.
    WrongTokenType,
    /// The API key is not known.
    InvalidApiKey,
    /// A credential header appears more than once: the request is ambiguous and refused,
    /// whatever the other backends find.
    RepeatedHeader,
    /// The keys of the token's identity provider are not loaded yet (the provider has not
    /// answered since start-up). The JWT backend reports it as unavailable (503), not as a
    /// refusal.
    KeysUnavailable,
    /// A claim the identity provider's mapping reads has another shape than it takes: the text
    /// names the claim and what it takes ("the claim \`roles\` is not an array of strings"). One
    /// text, so that every `Reason` (and every request's result) stays four words wide.
    InvalidClaim(Cow<'static, str>),
    /// A custom backend's reason.
    Other(Cow<'static, str>),
}

impl Reason {
    /// How specific the reason is; the chain reports the most specific one.
    pub(crate) fn rank(&self) -> u8 {
        match self {
            Reason::MissingCredentials => 0,
            Reason::NotAccepted(_) | Reason::Malformed(_) => 1,
            _ => 2,
        }
    }

    /// A short stable code for logs and metrics (`"expired"`, `"invalid_signature"`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            Reason::MissingCredentials => "missing_credentials",
            Reason::NotAccepted(_) => "credentials_not_accepted",
            Reason::Expired => "expired",
            Reason::NotYetValid => "not_yet_valid",
            Reason::IssuedInFuture => "issued_in_future",
            Reason::InvalidSignature => "invalid_signature",
            Reason::WrongAudience => "wrong_audience",
            Reason::WrongIssuer => "wrong_issuer",
            Reason::Malformed(_) => "malformed",
            Reason::MissingClaim(_) => "missing_claim",
            Reason::UnknownKey => "unknown_key",
            Reason::AlgorithmNotAllowed => "algorithm_not_allowed",
            Reason::UnsupportedCritical => "unsupported_critical_header",
            Reason::Revoked => "revoked",
            Reason::WrongTokenType => "wrong_token_type",
            Reason::InvalidApiKey => "invalid_api_key",
            Reason::RepeatedHeader => "repeated_header",
            Reason::KeysUnavailable => "keys_unavailable",
            Reason::InvalidClaim(_) => "invalid_claim",
            Reason::Other(_) => "rejected",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::MissingCredentials => f.write_str("no credentials were provided"),
            Reason::NotAccepted(text) => f.write_str(text),
            Reason::Expired => f.write_str("token expired"),
            Reason::NotYetValid => f.write_str("token not yet valid"),
            Reason::IssuedInFuture => f.write_str("token issued in the future"),
            Reason::InvalidSignature => f.write_str("invalid signature"),
            Reason::WrongAudience => f.write_str("wrong audience"),
            Reason::WrongIssuer => f.write_str("wrong issuer"),
            Reason::Malformed(what) => write!(f, "malformed token: {what}"),
            Reason::MissingClaim(c) => write!(f, "token lacks the required claim `{c}`"),
            Reason::UnknownKey => f.write_str("unknown signing key"),
            Reason::AlgorithmNotAllowed => f.write_str("algorithm not allowed"),
            Reason::UnsupportedCritical => f.write_str("unsupported critical header"),
            Reason::Revoked => f.write_str("token revoked"),
            Reason::WrongTokenType => f.write_str("wrong token type"),
            Reason::InvalidApiKey => f.write_str("invalid API key"),
            Reason::RepeatedHeader => f.write_str("a credential header appears more than once"),
            Reason::KeysUnavailable => {
                f.write_str("the identity provider's keys are not loaded yet")
            }
            Reason::InvalidClaim(text) => f.write_str(text),
            Reason::Other(r) => f.write_str(r),
        }
    }
}

/// Why a request was not let through.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// Not authenticated: answer 401.
    #[error("not authenticated: {0}")]
    Unauthenticated(Reason),
    /// Authenticated but refused by a guard: answer 403. Holds the failed guard's description.
    #[error("forbidden: {0} failed")]
    Forbidden(Cow<'static, str>),
    /// A store (revocation, user loader) could not be reached: answer 503.
    #[error("authentication store unavailable: {0}")]
    Unavailable(Cow<'static, str>),
    /// The configuration cannot decide the request (a route names a backend it does not have,
    /// no configuration is registered, an endpoint needs a JWT backend, ...): answer 500. Holds
    /// what to fix, for the log (never sent to the client).
    #[error("authentication is misconfigured: {0}")]
    Misconfigured(Cow<'static, str>),
    /// Too many failed logins from this client or for this username: answer 429 with
    /// `Retry-After` (the seconds it holds).
    #[error("too many failed logins; retry in {0} s")]
    TooManyAttempts(u64),
    /// What the route acts on does not exist: answer 404. A custom guard says so (a note that
    /// is not there cannot be owned); the text is sent to the client.
    #[error("not found: {0}")]
    NotFound(Cow<'static, str>),
    /// The request cannot be done as sent (a body that cannot be read, a credential that
    /// cannot be logged out): answer 400, saying what to send instead.
    #[error("bad request: {0}")]
    BadRequest(Cow<'static, str>),
}

/// A token could not be issued.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum IssueError {
    /// No configured key can sign.
    #[error("no JWT key can sign: configure an HMAC secret or add a private key with JwtKey::with_private_pem")]
    NoSigningKey,
    /// An extra claim uses a name the library sets itself.
    #[error("the claim {0:?} is set by the library and cannot be given as an extra claim")]
    ReservedClaim(String),
    /// The system's random source failed.
    #[error("the system random source failed: {0}")]
    Random(String),
    /// Signing failed.
    #[error("the token could not be signed: {0}")]
    Encoding(String),
}

/// A store could not answer (unreachable, timed out, full). Requests then fail closed with 503.
#[derive(Debug, Clone, thiserror::Error)]
#[error("revocation store {store} unavailable: {message}")]
pub struct StoreError {
    /// Which store.
    pub store: &'static str,
    /// What went wrong (never contains a token).
    pub message: String,
}

/// A store that cannot answer makes the request fail closed: 503.
impl From<StoreError> for AuthError {
    fn from(e: StoreError) -> Self {
        AuthError::Unavailable(e.to_string().into())
    }
}

impl StoreError {
    /// A new error.
    pub fn new(store: &'static str, message: impl Into<String>) -> Self {
        StoreError {
            store,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod size {
    use super::*;

    /// Every request's result carries a `Reason`: four words (a `Cow` and the tag). A wider
    /// variant (five words) made the HS256 and API-key paths about 100 instructions a request
    /// dearer (`bench/instructions.sh`).
    #[test]
    fn a_reason_is_four_words_wide() {
        assert_eq!(
            std::mem::size_of::<Reason>(),
            4 * std::mem::size_of::<usize>()
        );
    }
}
