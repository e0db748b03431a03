//! Token verification, as jsonwebtoken's `decode` does it but with this library's rules: the
//! header and the claims are each decoded and parsed once, and a verified token becomes an
//! [`AuthContext`].

use std::borrow::Cow;
use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::Algorithm;
use serde::de::{self, IgnoredAny};
use serde::Deserialize;

use super::backend::JwtBackend;
use super::keys::{algorithm_named, JwtKey};
use crate::error::Reason;
use crate::identity::context::TokenKind;
use crate::identity::context::{AuthContext, TokenInfo};

#[derive(Deserialize)]
pub(super) struct RawHeader<'a> {
    #[serde(borrow)]
    pub alg: Cow<'a, str>,
    #[serde(default, borrow)]
    pub kid: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub typ: Option<Cow<'a, str>>,
    #[serde(default)]
    crit: Option<IgnoredAny>,
}

#[derive(Deserialize)]
pub(super) struct Claims<'a> {
    #[serde(default, borrow)]
    pub sub: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "numeric_date")]
    pub exp: Option<u64>,
    #[serde(default, deserialize_with = "numeric_date")]
    pub nbf: Option<u64>,
    #[serde(default, deserialize_with = "numeric_date")]
    pub iat: Option<u64>,
    #[serde(default, deserialize_with = "numeric_date")]
    pub iat_ms: Option<u64>,
    #[serde(default, borrow)]
    pub iss: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub aud: Option<Audience<'a>>,
    #[serde(default, borrow)]
    pub jti: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub token_type: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub fam: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub username: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub roles: Vec<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub permissions: Vec<Cow<'a, str>>,
    #[serde(default)]
    pub is_staff: bool,
    #[serde(default)]
    pub is_superuser: bool,
    #[serde(default)]
    pub is_active: Option<bool>,
}

/// A time claim: a JSON number (integer or not); anything else (a string, `null`) is malformed.
pub(super) fn numeric_date<'de, D: de::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
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
            // 2^64: a larger time would saturate to "never" (an `exp` that never expires).
            const BEYOND_U64: f64 = 18_446_744_073_709_551_616.0;
            if v.is_finite() && v < BEYOND_U64 {
                Ok(Some(if v <= 0.0 { 0 } else { v.floor() as u64 }))
            } else {
                Err(E::custom("time out of range"))
            }
        }
    }
    d.deserialize_any(V)
}

/// Who a verified token names: user id, roles, permissions, display name.
pub(super) struct Identity<'a, R, P> {
    pub user_id: &'a str,
    pub roles: &'a [R],
    pub permissions: &'a [P],
    pub name: Option<&'a str>,
}

pub(super) enum Audience<'a> {
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

/// The longest header accepted, decoded.
pub(super) const MAX_HEADER: usize = 1024;
/// The length of `MAX_HEADER` bytes in unpadded base64url: a longer header is refused before
/// it is decoded.
const MAX_HEADER_B64: usize = (MAX_HEADER * 4).div_ceil(3);

impl JwtBackend {
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

    /// Verifies a token of the given kind (signature and claims, not revocation).
    pub fn verify_kind(&self, token: &str, kind: TokenKind) -> Result<AuthContext, Reason> {
        let parts = Parts::split(token)?;
        let mut buf = [0u8; MAX_HEADER];
        let header = parts.header(&mut buf)?;
        let alg = header.alg;
        #[cfg(feature = "oidc")]
        if let Some(p) = self.provider_for(&parts)? {
            if kind == TokenKind::Refresh {
                // The token lifecycle is this server's own: a provider's token never enters it,
                // whatever its claims say.
                return Err(Reason::Other(
                    "a token of an identity provider cannot be refreshed or logged out here".into(),
                ));
            }
            return self.verify_with_provider(p, &parts, &header);
        }
        // Several keys may share an algorithm (rotation without kid): any one may verify. A
        // refresh token only with a key this server signs with: one signed elsewhere, with a
        // public key the configuration accepts, is not this server's to refresh.
        let kid = header.kid.as_deref();
        let ring_key = match (&self.s.ring, kid) {
            (Some(ring), Some(kid)) => ring.verifying(kid),
            _ => None,
        };
        match ring_key {
            // A key of the ring, by kid: bound to the one algorithm it signs with.
            Some(key) => {
                let key = key.jwt_key();
                if !key.algorithms.contains(&alg) {
                    return Err(Reason::AlgorithmNotAllowed);
                }
                check_signature(std::iter::once(key), &parts, alg)?;
            }
            None => {
                let own = kind == TokenKind::Refresh;
                let keys = self.candidate_keys(alg, kid)?;
                check_signature(keys.filter(|k| !own || k.encoding.is_some()), &parts, alg)?;
            }
        }
        let raw = parts.claims_json()?;
        let c: Claims<'_> = serde_json::from_str(&raw)
            .map_err(|_| Reason::Malformed("claims are not a valid JSON object"))?;
        self.check_claims(&c, kind, self.s.issuer.as_deref())?;
        let sub = c.sub.as_deref().ok_or(Reason::MissingClaim("sub"))?;
        let identity = Identity {
            user_id: sub,
            roles: &c.roles,
            permissions: &c.permissions,
            name: c.username.as_deref(),
        };
        self.context(&c, identity, &raw)
    }

    /// The context of a token whose claims checked, for `identity` (the claims' own, or what an
    /// identity provider's claim mapping read from them).
    pub(super) fn context<R: AsRef<str>, P: AsRef<str>>(
        &self,
        c: &Claims<'_>,
        identity: Identity<'_, R, P>,
        raw: &str,
    ) -> Result<AuthContext, Reason> {
        let grants = self
            .s
            .grants
            .get(identity.roles, identity.permissions, self.s.roles.as_ref());
        let mut ctx = AuthContext::builder(identity.user_id)
            .grants(grants)
            .staff(c.is_staff)
            .superuser(c.is_superuser)
            .active(c.is_active.unwrap_or(true))
            .backend(self.s.name.clone())
            .token(token_info(c)?);
        if let Some(name) = identity.name {
            ctx = ctx.name(name);
        }
        Ok(ctx.raw_claims(raw).build())
    }

    /// Checks the claims of a token whose signature verified; `issuer` is the `iss` its key
    /// source requires, if any.
    pub(super) fn check_claims(
        &self,
        c: &Claims<'_>,
        kind: TokenKind,
        issuer: Option<&str>,
    ) -> Result<(), Reason> {
        self.check_registered(
            Registered {
                exp: c.exp,
                nbf: c.nbf,
                iat: c.iat,
                iss: c.iss.as_deref(),
                aud: c.aud.as_ref(),
            },
            issuer,
        )?;
        let ok = match c.token_type.as_deref() {
            None => kind == TokenKind::Access,
            Some(t) => TokenKind::from_claim(t) == Some(kind),
        };
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
}

/// The registered claims every token is checked for, wherever its claims were read from.
pub(super) struct Registered<'c> {
    pub exp: Option<u64>,
    pub nbf: Option<u64>,
    pub iat: Option<u64>,
    pub iss: Option<&'c str>,
    pub aud: Option<&'c Audience<'c>>,
}

impl JwtBackend {
    /// Checks times, issuer and audience; `issuer` is the `iss` the token's key source
    /// requires, if any.
    pub(super) fn check_registered(
        &self,
        r: Registered<'_>,
        issuer: Option<&str>,
    ) -> Result<(), Reason> {
        let now = crate::util::time::now();
        let leeway = self.s.leeway;
        match r.exp {
            Some(exp) if exp.saturating_add(leeway) <= now => return Err(Reason::Expired),
            None if self.s.require_exp => return Err(Reason::MissingClaim("exp")),
            _ => {}
        }
        if let Some(nbf) = r.nbf {
            if nbf > now.saturating_add(leeway) {
                return Err(Reason::NotYetValid);
            }
        }
        // A token from the future was not issued by a clock this server trusts, and would
        // outlive a logout-everywhere stamped before its `iat`.
        if r.iat.is_some_and(|iat| iat > now.saturating_add(leeway)) {
            return Err(Reason::IssuedInFuture);
        }
        if let Some(iss) = issuer {
            match r.iss {
                None => return Err(Reason::MissingClaim("iss")),
                Some(t) if t != iss => return Err(Reason::WrongIssuer),
                _ => {}
            }
        }
        match (r.aud, self.s.audiences.is_empty()) {
            (None, false) => return Err(Reason::MissingClaim("aud")),
            (Some(_), true) => return Err(Reason::WrongAudience),
            (Some(a), false) if !a.matches(&self.s.audiences) => return Err(Reason::WrongAudience),
            _ => {}
        }
        Ok(())
    }
}

/// A token's three parts.
pub(super) struct Parts<'t> {
    pub h64: &'t str,
    pub c64: &'t str,
    pub sig: &'t str,
    /// `header.claims`, what the signature covers.
    pub message: &'t [u8],
}

/// A token's header, as far as verification reads it.
pub(super) struct Header<'b> {
    pub alg: Algorithm,
    pub kid: Option<Cow<'b, str>>,
    /// The media type of the token (`typ`), if stated: an identity provider's access token
    /// must say `at+jwt` where the provider's settings require it.
    #[cfg_attr(not(feature = "oidc"), allow(dead_code))]
    pub typ: Option<Cow<'b, str>>,
}

impl<'t> Parts<'t> {
    pub(super) fn split(token: &'t str) -> Result<Self, Reason> {
        let mut parts = token.split('.');
        let (Some(h64), Some(c64), Some(sig), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Reason::Malformed("expected three dot-separated parts"));
        };
        let message = &token.as_bytes()[..h64.len() + 1 + c64.len()];
        Ok(Parts {
            h64,
            c64,
            sig,
            message,
        })
    }

    /// The header, decoded into `buf`: a known `alg` and no `crit` extension.
    pub(super) fn header<'b>(&self, buf: &'b mut [u8; MAX_HEADER]) -> Result<Header<'b>, Reason> {
        if self.h64.len() > MAX_HEADER_B64 {
            return Err(Reason::Malformed("header too large"));
        }
        let hlen = URL_SAFE_NO_PAD
            .decode_slice(self.h64, buf)
            .map_err(|_| Reason::Malformed("header is not base64url"))?;
        let header: RawHeader<'b> = serde_json::from_slice(&buf[..hlen])
            .map_err(|_| Reason::Malformed("header is not a JSON object with an alg"))?;
        if header.crit.is_some() {
            return Err(Reason::UnsupportedCritical);
        }
        let alg = algorithm_named(&header.alg).ok_or(Reason::AlgorithmNotAllowed)?;
        Ok(Header {
            alg,
            typ: header.typ,
            kid: header.kid,
        })
    }

    /// The claims' JSON text (not yet parsed).
    pub(super) fn claims_json(&self) -> Result<String, Reason> {
        let payload = URL_SAFE_NO_PAD
            .decode(self.c64)
            .map_err(|_| Reason::Malformed("claims are not base64url"))?;
        String::from_utf8(payload)
            .map_err(|_| Reason::Malformed("claims are not a valid JSON object"))
    }
}

/// Checks the signature with the first of `keys` that verifies it.
pub(super) fn check_signature<'k>(
    keys: impl Iterator<Item = &'k JwtKey>,
    parts: &Parts<'_>,
    alg: Algorithm,
) -> Result<(), Reason> {
    for key in keys {
        match jsonwebtoken::crypto::verify(parts.sig, parts.message, &key.decoding, alg) {
            Ok(true) => return Ok(()),
            Ok(false) => {}
            Err(e) if matches!(e.kind(), ErrorKind::Base64(_)) => {
                return Err(Reason::Malformed("signature is not base64url"))
            }
            // The key does not fit the algorithm: keys are bound to their algorithms, so this
            // is not expected; it is never a pass.
            Err(_) => {}
        }
    }
    Err(Reason::InvalidSignature)
}

/// The token facts of verified claims.
pub(super) fn token_info(c: &Claims<'_>) -> Result<TokenInfo, Reason> {
    let owned = |s: &Option<Cow<'_, str>>| s.as_deref().map(Box::from);
    let issued_at_ms = match (c.iat, c.iat_ms) {
        (Some(iat), Some(ms)) if ms / 1000 == iat => Some(ms),
        (_, Some(_)) => return Err(Reason::Malformed("`iat_ms` does not match `iat`")),
        (iat, None) => iat.map(|s| s.saturating_mul(1000).saturating_add(999)),
    };
    Ok(TokenInfo {
        jti: owned(&c.jti),
        exp: c.exp,
        iat: c.iat,
        issued_at_ms,
        // `check_claims` admits no other value; one that got here would be refused, not dropped.
        token_type: match c.token_type.as_deref() {
            None => None,
            Some(t) => Some(TokenKind::from_claim(t).ok_or(Reason::WrongTokenType)?),
        },
        family: owned(&c.fam),
        from_provider: false,
    })
}
