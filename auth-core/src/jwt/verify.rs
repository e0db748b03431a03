//! Token verification: the header and the claims are each decoded and parsed once.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::Algorithm;
use serde::de::{self, IgnoredAny};
use serde::Deserialize;

use super::keys::JwtKey;
use crate::backend::Outcome;
use crate::context::{AuthContext, JwtIdentity, Part};
use crate::error::Reason;
use crate::permissions::RoleMap;
use crate::request::{CredentialSource, Found, RequestParts};
use crate::revocation::{RevocationStore, StoreFuture, TokenRef};

/// An empty token, or one that is not UTF-8 (found empty, or refused before it is parsed).
const NOT_UTF8: Reason = Reason::Malformed("empty or non-UTF-8 credential");

pub(crate) struct Settings {
    pub keys: Vec<JwtKey>,
    pub kid_mode: bool,
    pub sources: Vec<CredentialSource>,
    pub issuer: Option<String>,
    pub audiences: Vec<String>,
    pub leeway: u64,
    pub require_exp: bool,
    pub access_ttl: u64,
    pub refresh_ttl: u64,
    pub permissions_in_tokens: bool,
    pub roles: Option<RoleMap>,
    pub revocation: Option<Arc<dyn RevocationStore>>,
    /// The name the backend is registered under (recorded in contexts).
    pub name: Arc<str>,
    pub cache: Option<super::cache::TokenCache>,
    /// Roles and permissions of verified tokens, each distinct set built once.
    pub grants: crate::context::GrantsCache,
}

/// Which kind of token a verification expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// An access token: `token_type` absent (tokens minted elsewhere) or `"access"`.
    Access,
    /// A refresh token: `token_type` must be `"refresh"`.
    Refresh,
}

/// The built JWT backend: verifies tokens, checks revocation, issues tokens.
pub struct JwtBackend {
    pub(crate) s: Settings,
}

impl fmt::Debug for JwtBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtBackend")
            .field("keys", &self.s.keys)
            .field("sources", &self.s.sources)
            .field("issuer", &self.s.issuer)
            .field("audiences", &self.s.audiences)
            .field("leeway", &self.s.leeway)
            .field("require_exp", &self.s.require_exp)
            .field("revocation", &self.s.revocation.as_ref().map(|r| r.name()))
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct RawHeader<'a> {
    #[serde(borrow)]
    alg: Cow<'a, str>,
    #[serde(default, borrow)]
    kid: Option<Cow<'a, str>>,
    #[serde(default)]
    crit: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct Claims<'a> {
    #[serde(default, borrow)]
    sub: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "numeric_date")]
    exp: Option<u64>,
    #[serde(default, deserialize_with = "numeric_date")]
    nbf: Option<u64>,
    #[serde(default, deserialize_with = "numeric_date")]
    iat: Option<u64>,
    #[serde(default, borrow)]
    iss: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    aud: Option<Audience<'a>>,
    #[serde(default, borrow)]
    jti: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    token_type: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    fam: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    username: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    roles: Vec<Cow<'a, str>>,
    #[serde(default, borrow)]
    permissions: Vec<Cow<'a, str>>,
    #[serde(default)]
    is_staff: bool,
    #[serde(default)]
    is_superuser: bool,
    #[serde(default)]
    is_active: Option<bool>,
}

/// A time claim: a JSON number (integer or not); anything else (a string, `null`) is malformed.
fn numeric_date<'de, D: de::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    struct V;
    impl de::Visitor<'_> for V {
        type Value = Option<u64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a NumericDate (a JSON number)")
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.max(0) as u64))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            if v.is_finite() {
                Ok(Some(if v <= 0.0 { 0 } else { v.floor() as u64 }))
            } else {
                Err(E::custom("non-finite time"))
            }
        }
    }
    d.deserialize_any(V)
}

enum Audience<'a> {
    One(Cow<'a, str>),
    Many(Vec<Cow<'a, str>>),
}

impl<'de: 'a, 'a> Deserialize<'de> for Audience<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> de::Visitor<'de> for V<'a> {
            type Value = Audience<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an array of strings")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Audience::One(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Audience::One(Cow::Owned(v.to_owned())))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                #[derive(Deserialize)]
                struct S<'a>(#[serde(borrow)] Cow<'a, str>);
                let mut out = Vec::new();
                while let Some(S(s)) = seq.next_element()? {
                    out.push(s);
                }
                Ok(Audience::Many(out))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

impl Audience<'_> {
    fn matches(&self, allowed: &[String]) -> bool {
        match self {
            Audience::One(a) => allowed.iter().any(|x| x == a),
            Audience::Many(v) => v.iter().any(|a| allowed.iter().any(|x| x == a)),
        }
    }
}

const MAX_HEADER: usize = 1024;

impl JwtBackend {
    pub(crate) fn new(s: Settings) -> Self {
        JwtBackend { s }
    }

    /// The revocation store, if any.
    pub fn revocation(&self) -> Option<&Arc<dyn RevocationStore>> {
        self.s.revocation.as_ref()
    }

    /// Lifetime of issued access tokens, in seconds.
    pub fn access_ttl(&self) -> u64 {
        self.s.access_ttl
    }

    /// Lifetime of issued refresh tokens, in seconds.
    pub fn refresh_ttl(&self) -> u64 {
        self.s.refresh_ttl
    }

    /// Where tokens are read from, in order.
    pub fn sources(&self) -> &[CredentialSource] {
        &self.s.sources
    }

    /// The keys that may verify a token with this `alg` and `kid`.
    fn candidate_keys<'k>(
        &'k self,
        alg: Algorithm,
        kid: Option<&'k str>,
    ) -> Result<impl Iterator<Item = &'k JwtKey> + 'k, Reason> {
        let kid = if self.s.kid_mode {
            let kid = kid.ok_or(Reason::UnknownKey)?;
            let key = self
                .s
                .keys
                .iter()
                .find(|k| k.kid.as_deref() == Some(kid))
                .ok_or(Reason::UnknownKey)?;
            if !key.algorithms.contains(&alg) {
                return Err(Reason::AlgorithmNotAllowed);
            }
            Some(kid)
        } else {
            if !self.s.keys.iter().any(|k| k.algorithms.contains(&alg)) {
                return Err(Reason::AlgorithmNotAllowed);
            }
            None
        };
        Ok(self.s.keys.iter().filter(move |k| {
            k.algorithms.contains(&alg) && (kid.is_none() || k.kid.as_deref() == kid)
        }))
    }

    /// Verifies an access token (signature and claims, not revocation) into a context,
    /// answering from the verified-token cache when the same token was verified before.
    #[inline]
    pub fn verify(&self, token: &str) -> Result<AuthContext, Reason> {
        self.verify_bytes(token.as_bytes())
    }

    /// [`JwtBackend::verify`] of a token as the request carried it. The cache compares and
    /// digests bytes, so a token it has seen is answered without a UTF-8 check; a token it
    /// has not seen is checked before it is parsed.
    #[inline]
    fn verify_bytes(&self, token: &[u8]) -> Result<AuthContext, Reason> {
        let Some(cache) = &self.s.cache else {
            let token = std::str::from_utf8(token).map_err(|_| NOT_UTF8)?;
            return self.verify_kind(token, TokenKind::Access);
        };
        let now = crate::time::now();
        let miss = match cache.lookup(token, now) {
            Ok(ctx) => return Ok(ctx),
            Err(miss) => miss,
        };
        let token = std::str::from_utf8(token).map_err(|_| NOT_UTF8)?;
        let ctx = self.verify_kind(token, TokenKind::Access)?;
        let exp = ctx
            .token()
            .and_then(|t| t.exp)
            .map(|e| e.saturating_add(self.s.leeway));
        cache.store(miss, &ctx, exp, now);
        Ok(ctx)
    }

    /// Number of tokens in the verified-token cache.
    pub fn cached_tokens(&self) -> usize {
        self.s.cache.as_ref().map_or(0, |c| c.len())
    }

    pub(crate) fn set_name(&mut self, name: &Arc<str>) {
        self.s.name = name.clone();
    }

    /// Verifies a token of the given kind (signature and claims, not revocation).
    pub fn verify_kind(&self, token: &str, kind: TokenKind) -> Result<AuthContext, Reason> {
        let mut parts = token.split('.');
        let (Some(h64), Some(c64), Some(sig), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Reason::Malformed("expected three dot-separated parts"));
        };
        if h64.len() > MAX_HEADER * 4 / 3 + 4 {
            return Err(Reason::Malformed("header too large"));
        }
        let mut hbuf = [0u8; MAX_HEADER];
        let hlen = URL_SAFE_NO_PAD
            .decode_slice(h64, &mut hbuf)
            .map_err(|_| Reason::Malformed("header is not base64url"))?;
        let header: RawHeader<'_> = serde_json::from_slice(&hbuf[..hlen])
            .map_err(|_| Reason::Malformed("header is not a JSON object with an alg"))?;
        if header.crit.is_some() {
            return Err(Reason::UnsupportedCritical);
        }
        let alg = Algorithm::from_str(&header.alg).map_err(|_| Reason::AlgorithmNotAllowed)?;
        let message = &token.as_bytes()[..h64.len() + 1 + c64.len()];
        // Several keys may share an algorithm (rotation without kid): any one may verify.
        let mut verified = Err(Reason::InvalidSignature);
        let mut signature = None;
        for key in self.candidate_keys(alg, header.kid.as_deref())? {
            let signature = match &signature {
                Some(s) => s,
                None => signature.insert(
                    URL_SAFE_NO_PAD
                        .decode(sig)
                        .map_err(|_| Reason::Malformed("signature is not base64url"))?,
                ),
            };
            if let Ok(true) =
                super::verifiers::verify(&key.verifiers, &key.decoding, alg, message, signature)
            {
                verified = Ok(());
                break;
            }
        }
        verified?;

        // Exactly sized (unpadded base64url: 3 bytes per 4 symbols), so that the claims text the
        // cache keeps is not reallocated to shrink it.
        let mut payload = vec![0; c64.len() / 4 * 3 + (c64.len() % 4).saturating_sub(1)];
        let n = URL_SAFE_NO_PAD
            .decode_slice(c64, &mut payload)
            .map_err(|_| Reason::Malformed("claims are not base64url"))?;
        payload.truncate(n);
        // Validated as UTF-8 once here; serde_json then reads a `str` without checking again.
        let raw = String::from_utf8(payload)
            .map_err(|_| Reason::Malformed("claims are not a valid JSON object"))?;
        let identity = {
            let c: Claims<'_> = serde_json::from_str(&raw)
                .map_err(|_| Reason::Malformed("claims are not a valid JSON object"))?;
            self.check_claims(&c, kind)?;
            let sub = c.sub.as_deref().ok_or(Reason::MissingClaim("sub"))?;
            let part = |s: Option<&str>| Part::of(&raw, s);
            JwtIdentity {
                claims: String::new(),
                user_id: part(Some(sub)),
                name: part(c.username.as_deref()),
                jti: part(c.jti.as_deref()),
                family: part(c.fam.as_deref()),
                token_type: part(c.token_type.as_deref()),
                exp: c.exp,
                iat: c.iat,
                backend: self.s.name.clone(),
                grants: self
                    .s
                    .grants
                    .get(&c.roles, &c.permissions, self.s.roles.as_ref()),
                is_staff: c.is_staff,
                is_superuser: c.is_superuser,
                is_active: c.is_active.unwrap_or(true),
            }
        };
        Ok(JwtIdentity {
            claims: raw,
            ..identity
        }
        .into())
    }

    fn check_claims(&self, c: &Claims<'_>, kind: TokenKind) -> Result<(), Reason> {
        let now = crate::time::now();
        let leeway = self.s.leeway;
        match c.exp {
            Some(exp) if exp.saturating_add(leeway) <= now => return Err(Reason::Expired),
            None if self.s.require_exp => return Err(Reason::MissingClaim("exp")),
            _ => {}
        }
        if let Some(nbf) = c.nbf {
            if nbf > now.saturating_add(leeway) {
                return Err(Reason::NotYetValid);
            }
        }
        if let Some(iss) = &self.s.issuer {
            match &c.iss {
                None => return Err(Reason::MissingClaim("iss")),
                Some(t) if t != iss => return Err(Reason::WrongIssuer),
                _ => {}
            }
        }
        match (&c.aud, self.s.audiences.is_empty()) {
            (None, false) => return Err(Reason::MissingClaim("aud")),
            (Some(_), true) => return Err(Reason::WrongAudience),
            (Some(a), false) if !a.matches(&self.s.audiences) => return Err(Reason::WrongAudience),
            _ => {}
        }
        let ok = matches!(
            (kind, c.token_type.as_deref()),
            (TokenKind::Access, None | Some("access")) | (TokenKind::Refresh, Some("refresh"))
        );
        if !ok {
            return Err(Reason::WrongTokenType);
        }
        if kind == TokenKind::Refresh && (c.jti.is_none() || c.fam.is_none()) {
            return Err(Reason::MissingClaim(if c.jti.is_none() {
                "jti"
            } else {
                "fam"
            }));
        }
        Ok(())
    }

    /// Asks the revocation store about a verified context.
    ///
    /// `Err` holds the outcome to report: [`Reason::Revoked`] or the store's failure.
    pub async fn check_revocation(&self, ctx: &AuthContext) -> Result<(), Outcome> {
        let Some(store) = self.store_to_ask() else {
            return Ok(());
        };
        match store.is_revoked(Self::revocation_ref(ctx)).await {
            Ok(false) => Ok(()),
            Ok(true) => Err(Outcome::Rejected(Reason::Revoked)),
            Err(e) => Err(Outcome::Unavailable(e.to_string())),
        }
    }

    /// Finds and verifies the token: `Err` is the final outcome, `Ok` still needs the
    /// revocation check.
    fn find_and_verify(&self, req: &dyn RequestParts) -> Result<AuthContext, Outcome> {
        for source in &self.s.sources {
            match source.find_bytes(req) {
                Found::Nothing => continue,
                Found::Malformed => return Err(Outcome::Rejected(NOT_UTF8)),
                Found::Value(token) => return self.verify_bytes(token).map_err(Outcome::Rejected),
            }
        }
        Err(Outcome::NoCredentials)
    }

    /// The revocation store, unless there is none or it holds nothing (then no token is revoked).
    fn store_to_ask(&self) -> Option<&dyn RevocationStore> {
        self.s
            .revocation
            .as_deref()
            .filter(|store| !store.holds_nothing())
    }

    fn revocation_ref(ctx: &AuthContext) -> TokenRef<'_> {
        let info = ctx.token();
        TokenRef {
            jti: info.and_then(|i| i.jti),
            user_id: ctx.user_id(),
            issued_at: info.and_then(|i| i.iat),
            family: info.and_then(|i| i.family),
        }
    }

    fn revocation_outcome(ctx: AuthContext, answer: Result<bool, crate::StoreError>) -> Outcome {
        match answer {
            Ok(false) => Outcome::Authenticated(ctx),
            Ok(true) => Outcome::Rejected(Reason::Revoked),
            Err(e) => Outcome::Unavailable(e.to_string()),
        }
    }

    /// Authenticates a request: finds the token, verifies it, checks revocation.
    pub async fn authenticate(&self, req: &dyn RequestParts) -> Outcome {
        let ctx = match self.find_and_verify(req) {
            Ok(ctx) => ctx,
            Err(outcome) => return outcome,
        };
        let Some(store) = self.store_to_ask() else {
            return Outcome::Authenticated(ctx);
        };
        let answer = store.is_revoked(Self::revocation_ref(&ctx)).await;
        Self::revocation_outcome(ctx, answer)
    }

    /// [`JwtBackend::authenticate`] without waiting; `None` when the store must be awaited.
    pub fn authenticate_now(&self, req: &dyn RequestParts) -> Option<Outcome> {
        let ctx = match self.find_and_verify(req) {
            Ok(ctx) => ctx,
            Err(outcome) => return Some(outcome),
        };
        let Some(store) = self.store_to_ask() else {
            return Some(Outcome::Authenticated(ctx));
        };
        let answer = match store.is_revoked(Self::revocation_ref(&ctx)) {
            StoreFuture::Ready(Some(answer)) => answer,
            _ => return None,
        };
        Some(Self::revocation_outcome(ctx, answer))
    }
}
