//! Issuing tokens that the same configuration verifies.

use crate::util::random::random_id;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{EncodingKey, Header};
use serde_json::{Map, Value};

use super::backend::JwtBackend;
use super::keys::JwtKey;
use crate::error::IssueError;
use crate::identity::context::{AuthContext, TokenKind};
use crate::identity::user::AuthUser;

/// Claims the library sets itself; extra claims cannot override them.
pub const RESERVED_CLAIMS: &[&str] = &[
    "sub",
    "exp",
    "iat",
    "iat_ms",
    "nbf",
    "jti",
    "iss",
    "aud",
    "token_type",
    "fam",
    "auth_time",
    "ah",
    "username",
    "roles",
    "permissions",
    "is_staff",
    "is_superuser",
    "is_active",
];

/// What to put in an issued token beyond the user's identity.
///
/// ```
/// use auth_core::jwt::TokenOptions;
/// let opts = TokenOptions::access().expires_in_secs(60).claim("tenant", "acme").with_permissions();
/// ```
#[derive(Debug, Clone, Default)]
pub struct TokenOptions {
    refresh: bool,
    expires_in: Option<u64>,
    permissions: Option<bool>,
    family: Option<String>,
    /// What a refresh carries over (see [`Renewal`]).
    renewal: Option<Renewal>,
    extra: Map<String, Value>,
}

/// What a refresh token issued by a refresh carries over from the one presented.
#[derive(Debug, Clone)]
pub(crate) struct Renewal {
    /// The `jti` the rotation recorded as the family's current token.
    pub jti: String,
    /// When the family's login was (seconds): its absolute lifetime runs from there.
    pub auth_time: u64,
    /// The binding to the user's password hash at login, if any (see [`binding`]).
    pub binding: Option<String>,
}

impl TokenOptions {
    /// An access token with the configured lifetime.
    pub fn access() -> Self {
        Self::default()
    }

    /// A refresh token in a new family (or the given one, see [`TokenOptions::family`]).
    pub fn refresh() -> Self {
        TokenOptions {
            refresh: true,
            ..Self::default()
        }
    }

    /// Lifetime in seconds (default: the configuration's access or refresh lifetime).
    pub fn expires_in_secs(mut self, secs: u64) -> Self {
        self.expires_in = Some(secs);
        self
    }

    /// Puts the user's permissions in the token (default: the configuration's choice).
    pub fn with_permissions(mut self) -> Self {
        self.permissions = Some(true);
        self
    }

    /// The refresh family the token belongs to: a refresh token's rotation family (a new one
    /// when not given); an access token given one is revoked with it (a pair's access token
    /// shares its refresh token's family, so that reuse detection revokes both at once).
    pub fn family(mut self, family: impl Into<String>) -> Self {
        self.family = Some(family.into());
        self
    }

    /// A refresh token continuing a family (refresh rotation).
    pub(crate) fn renewal(mut self, renewal: Renewal) -> Self {
        self.renewal = Some(renewal);
        self
    }

    /// An extra claim. Reserved names ([`RESERVED_CLAIMS`]) are refused when issuing.
    pub fn claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.extra.insert(name.into(), value.into());
        self
    }
}

/// A signed token and facts about it.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedToken {
    /// The compact JWT.
    pub token: String,
    /// Its `jti`.
    pub jti: String,
    /// Its `iat`.
    pub issued_at: u64,
    /// Its `exp`.
    pub expires_at: u64,
    /// Its refresh family: always for refresh tokens, for access tokens when given one.
    pub family: Option<String>,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken")
            .field("token", &"<redacted>")
            .field("jti", &self.jti)
            .field("issued_at", &self.issued_at)
            .field("expires_at", &self.expires_at)
            .field("family", &self.family)
            .finish()
    }
}

/// An access token and a refresh token issued together.
#[derive(Debug, Clone)]
pub struct TokenPair {
    /// The access token.
    pub access: IssuedToken,
    /// The refresh token.
    pub refresh: IssuedToken,
}

/// A refresh token's `ah` claim: ties the family to the user's password hash at login, so that
/// a refresh that loads the user can tell the password changed. A digest of the family id and
/// the user's auth hash ([`crate::backends::session::auth_hash`], itself a digest of the password hash),
/// truncated to 128 bits: it differs between families and reveals nothing of the hash. `None`
/// for a user without a password hash.
pub(crate) fn binding(family: &str, auth_hash: &str) -> Option<String> {
    use sha2::{Digest, Sha256};
    if auth_hash.is_empty() {
        return None;
    }
    let digest = Sha256::new()
        .chain_update(b"auth-actix refresh binding\0")
        .chain_update(family.as_bytes())
        .chain_update(b"\0")
        .chain_update(auth_hash.as_bytes())
        .finalize();
    Some(URL_SAFE_NO_PAD.encode(&digest[..16]))
}

struct Identity<'a> {
    sub: &'a str,
    /// The user's auth hash, when issuing for a user (login).
    auth_hash: Option<String>,
    name: Option<&'a str>,
    roles: Vec<&'a str>,
    permissions: Vec<String>,
    is_staff: bool,
    is_superuser: bool,
    is_active: bool,
}

impl JwtBackend {
    /// Signs `claims`: with the key ring's current key when there is a ring, else with the first
    /// static key that can sign; the header names the key's `kid`, if it has one.
    fn sign(&self, claims: &Map<String, Value>) -> Result<String, IssueError> {
        let sign = |key: &JwtKey, encoding: &EncodingKey| {
            let mut header = Header::new(key.algorithms[0]);
            header.kid = key.kid.as_deref().map(str::to_owned);
            jsonwebtoken::encode(&header, claims, encoding)
                .map_err(|e| IssueError::Encoding(e.to_string()))
        };
        if let Some(ring) = &self.s.ring {
            let current = ring.current();
            let key = current.jwt_key();
            let encoding = key.encoding.as_ref().ok_or(IssueError::NoSigningKey)?;
            return sign(key, encoding);
        }
        let (key, encoding) = self
            .s
            .keys
            .iter()
            .find_map(|k| k.encoding.as_ref().map(|e| (k, e)))
            .ok_or(IssueError::NoSigningKey)?;
        sign(key, encoding)
    }

    /// Issues a token for `user`.
    pub fn issue<U: AuthUser + ?Sized>(
        &self,
        user: &U,
        opts: TokenOptions,
    ) -> Result<IssuedToken, IssueError> {
        let name = user.auth_name();
        let roles = user.auth_roles();
        let id = user.auth_id();
        let perms = user.auth_permissions();
        self.issue_identity(
            Identity {
                sub: &id,
                auth_hash: opts
                    .refresh
                    .then(|| crate::backends::session::auth_hash(user)),
                name: name.as_deref(),
                roles: roles.iter().map(|r| &**r).collect(),
                permissions: perms.iter().map(|p| p.to_string()).collect(),
                is_staff: user.is_staff(),
                is_superuser: user.is_superuser(),
                is_active: user.is_active(),
            },
            opts,
        )
    }

    /// Issues a token for an existing identity (refresh, test helpers). Its permissions, when
    /// included, are the effective ones.
    pub fn issue_for_context(
        &self,
        ctx: &AuthContext,
        opts: TokenOptions,
    ) -> Result<IssuedToken, IssueError> {
        self.issue_identity(
            Identity {
                sub: ctx.user_id(),
                auth_hash: None,
                name: ctx.name(),
                roles: ctx.roles().collect(),
                permissions: ctx.permissions().iter().collect(),
                is_staff: ctx.is_staff(),
                is_superuser: ctx.is_superuser(),
                is_active: ctx.is_active(),
            },
            opts,
        )
    }

    /// Issues an access token and a refresh token in a new family.
    pub fn issue_pair<U: AuthUser + ?Sized>(&self, user: &U) -> Result<TokenPair, IssueError> {
        let family = random_id()?;
        Ok(TokenPair {
            access: self.issue(user, TokenOptions::access().family(family.clone()))?,
            refresh: self.issue(user, TokenOptions::refresh().family(family))?,
        })
    }

    fn issue_identity(
        &self,
        who: Identity<'_>,
        opts: TokenOptions,
    ) -> Result<IssuedToken, IssueError> {
        if let Some(bad) = opts
            .extra
            .keys()
            .find(|k| RESERVED_CLAIMS.contains(&k.as_str()))
        {
            return Err(IssueError::ReservedClaim(bad.clone()));
        }
        let now_ms = crate::util::time::now_ms();
        let now = now_ms / 1000;
        let ttl = opts.expires_in.unwrap_or(if opts.refresh {
            self.s.refresh_ttl
        } else {
            self.s.access_ttl
        });
        let mut exp = now.saturating_add(ttl);
        let family = match (opts.refresh, opts.family) {
            (true, None) => Some(random_id()?),
            (_, family) => family,
        };
        let (jti, auth_time, binding) = match opts.renewal {
            Some(r) => (r.jti, r.auth_time, r.binding),
            None => {
                let binding = match (&family, &who.auth_hash) {
                    (Some(f), Some(h)) => binding(f, h),
                    _ => None,
                };
                (random_id()?, now, binding)
            }
        };
        if opts.refresh {
            // No refresh token outlives its family's absolute lifetime.
            exp = exp.min(auth_time.saturating_add(self.s.refresh_absolute));
        }

        let mut claims = opts.extra;
        claims.insert("sub".into(), who.sub.into());
        if let Some(n) = who.name {
            claims.insert("username".into(), n.into());
        }
        claims.insert("is_staff".into(), who.is_staff.into());
        claims.insert("is_superuser".into(), who.is_superuser.into());
        if !who.is_active {
            claims.insert("is_active".into(), false.into());
        }
        claims.insert("roles".into(), who.roles.into());
        if opts.permissions.unwrap_or(self.s.permissions_in_tokens) || opts.refresh {
            claims.insert("permissions".into(), who.permissions.into());
        }
        claims.insert("iat".into(), now.into());
        // The issue time to the millisecond, so that a logout everywhere refuses every token
        // issued before it and none issued after it, in the same second too.
        claims.insert("iat_ms".into(), now_ms.into());
        claims.insert("exp".into(), exp.into());
        claims.insert("jti".into(), jti.clone().into());
        let kind = if opts.refresh {
            TokenKind::Refresh
        } else {
            TokenKind::Access
        };
        claims.insert("token_type".into(), kind.as_claim().into());
        if let Some(f) = &family {
            claims.insert("fam".into(), f.clone().into());
        }
        if opts.refresh {
            claims.insert("auth_time".into(), auth_time.into());
            if let Some(b) = binding {
                claims.insert("ah".into(), b.into());
            }
        }
        if let Some(iss) = &self.s.issuer {
            claims.insert("iss".into(), iss.clone().into());
        }
        if let Some(aud) = self.s.audiences.first() {
            claims.insert("aud".into(), aud.clone().into());
        }

        let token = self.sign(&claims)?;
        Ok(IssuedToken {
            token,
            jti,
            issued_at: now,
            expires_at: exp,
            family,
        })
    }
}
