//! The JWT backend's side of identity providers: which key source a token belongs to (by its
//! `iss`, before any signature check), verification with that source's keys only, the claim
//! mapping, and the one refetch an unknown `kid` may cause.

use std::borrow::Cow;

use jsonwebtoken::Algorithm;
use serde::Deserialize;
use serde_json::Value;

use super::keyset::Refetch;
use super::Provider;
use crate::backends::jwt::backend::JwtBackend;
use crate::backends::jwt::verify::{
    check_signature, numeric_date, Audience, Header, Parts, Registered, MAX_HEADER,
};
use crate::error::Reason;
use crate::identity::context::{AuthContext, TokenInfo};

/// Whether a provider's token is an access token. RFC 9068 marks one with `typ: at+jwt`, which
/// `require_at_jwt` demands; without that mark, an OpenID ID token is told apart by what only ID
/// tokens carry: `nonce`, `at_hash`, `c_hash`, or Keycloak's `typ: "ID"` claim. An ID token
/// whose `aud` is this API's would otherwise pass for an access token.
fn check_access_token(
    require_at_jwt: bool,
    typ: Option<&str>,
    claims: &Value,
) -> Result<(), Reason> {
    let typ = typ.map(|t| {
        let t = t.to_ascii_lowercase();
        t.strip_prefix("application/")
            .map(str::to_owned)
            .unwrap_or(t)
    });
    if typ.as_deref() == Some("at+jwt") {
        return Ok(());
    }
    if require_at_jwt {
        return Err(Reason::Other(
            "not an access token: the provider's access tokens must have `typ: at+jwt` (RFC 9068)"
                .into(),
        ));
    }
    let id_token = ["nonce", "at_hash", "c_hash"]
        .iter()
        .any(|c| claims.get(c).is_some())
        || claims.get("typ").and_then(Value::as_str) == Some("ID");
    if id_token {
        return Err(Reason::Other(
            "an OpenID ID token is not an access token".into(),
        ));
    }
    Ok(())
}

impl JwtBackend {
    /// The identity provider whose tokens state this token's `iss`, or `None` for the static
    /// keys. A token no source claims is refused here, before any key is looked at or fetched.
    pub(in crate::backends::jwt) fn provider_for(
        &self,
        parts: &Parts<'_>,
    ) -> Result<Option<&Provider>, Reason> {
        let providers = &self.s.providers;
        if providers.is_empty() {
            return Ok(None);
        }
        #[derive(Deserialize)]
        struct Iss<'a> {
            #[serde(default, borrow)]
            iss: Option<Cow<'a, str>>,
        }
        let raw = parts.claims_json()?;
        let Iss { iss } = serde_json::from_str(&raw)
            .map_err(|_| Reason::Malformed("claims are not a valid JSON object"))?;
        let has_static = !self.s.keys.is_empty() || self.s.ring.is_some();
        if let Some(iss) = iss.as_deref() {
            if let Some(p) = providers.iter().find(|p| p.issuer.as_deref() == Some(iss)) {
                return Ok(Some(p));
            }
            if has_static && self.s.issuer.as_deref() == Some(iss) {
                return Ok(None);
            }
            // A provider's issuer but for a trailing slash: issuers are compared exactly
            // (the refresher's log names both when discovery states the other one).
            let near = |i: &str| i.trim_end_matches('/') == iss.trim_end_matches('/');
            if providers
                .iter()
                .any(|p| p.issuer.as_deref().is_some_and(near))
            {
                return Err(Reason::WrongIssuer);
            }
        }
        // The source that requires no issuer, if there is one (at most one: checked at build).
        if has_static && self.s.issuer.is_none() {
            return Ok(None);
        }
        match providers.iter().find(|p| p.issuer.is_none()) {
            Some(p) => Ok(Some(p)),
            None if iss.is_none() => Err(Reason::MissingClaim("iss")),
            None => Err(Reason::WrongIssuer),
        }
    }

    /// Verifies a token of provider `p` with `p`'s keys, and maps its claims.
    ///
    /// Only the registered claims (`exp`, `nbf`, `iat`, `iss`, `aud`, `jti`) and the claims
    /// `p`'s mapping names are read: nothing else of the token reaches the identity, whatever
    /// its name or shape (a `token_type`, a `fam`, an `is_superuser` are ignored). The context
    /// is marked as a provider's, which this server's token lifecycle refuses.
    pub(in crate::backends::jwt) fn verify_with_provider(
        &self,
        p: &Provider,
        parts: &Parts<'_>,
        header: &Header<'_>,
    ) -> Result<AuthContext, Reason> {
        use Algorithm::*;
        let alg = header.alg;
        // Never a shared secret for a provider's token: its keys are public.
        if matches!(alg, HS256 | HS384 | HS512) {
            return Err(Reason::AlgorithmNotAllowed);
        }
        let keys = p.keys.current().ok_or(Reason::KeysUnavailable)?;
        match header.kid.as_deref() {
            Some(kid) => {
                let key = keys
                    .iter()
                    .find(|k| k.kid.as_deref() == Some(kid))
                    .ok_or(Reason::UnknownKey)?;
                if !key.algorithms.contains(&alg) {
                    return Err(Reason::AlgorithmNotAllowed);
                }
                check_signature(std::iter::once(key), parts, alg)?;
            }
            None => {
                let mut fitting = keys
                    .iter()
                    .filter(|k| k.algorithms.contains(&alg))
                    .peekable();
                if fitting.peek().is_none() {
                    return Err(Reason::UnknownKey);
                }
                check_signature(fitting, parts, alg)?;
            }
        }
        let raw = parts.claims_json()?;
        let claims: Value = serde_json::from_str(&raw)
            .ok()
            .filter(Value::is_object)
            .ok_or(Reason::Malformed("claims are not a valid JSON object"))?;
        let time = |name: &'static str| -> Result<Option<u64>, Reason> {
            match claims.get(name) {
                None => Ok(None),
                Some(v) => numeric_date(v).map_err(|_| {
                    Reason::InvalidClaim(
                        format!("the claim `{name}` is not a NumericDate (a JSON number)").into(),
                    )
                }),
            }
        };
        let text = |name: &'static str| -> Result<Option<&str>, Reason> {
            match claims.get(name) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s)),
                Some(_) => Err(Reason::InvalidClaim(
                    format!("the claim `{name}` is not a string").into(),
                )),
            }
        };
        let aud = match claims.get("aud") {
            None => None,
            Some(v) => Some(Audience::deserialize(v).map_err(|_| {
                Reason::InvalidClaim(
                    "the claim `aud` is not a string or an array of strings".into(),
                )
            })?),
        };
        let (exp, iat) = (time("exp")?, time("iat")?);
        let registered = Registered {
            exp,
            nbf: time("nbf")?,
            iat,
            iss: text("iss")?,
            aud: aud.as_ref(),
        };
        self.check_registered(registered, p.issuer.as_deref())?;
        check_access_token(p.require_at_jwt, header.typ.as_deref(), &claims)?;
        let mapped = p.mapping.apply(&claims)?;
        let name = match claims.get("username") {
            Some(Value::String(n)) => Some(n.as_str()),
            _ => claims.get("preferred_username").and_then(Value::as_str),
        };
        let info = TokenInfo {
            jti: text("jti")?.map(Box::from),
            exp,
            iat,
            // A provider's `iat_ms` is not this library's: the end of the `iat` second.
            issued_at_ms: iat.map(|s| s.saturating_mul(1000).saturating_add(999)),
            token_type: None,
            family: None,
            from_provider: true,
        };
        let grants = self
            .s
            .grants
            .get(&mapped.roles, &mapped.permissions, self.s.roles.as_ref());
        let mut ctx = AuthContext::builder(mapped.user_id.as_str())
            .grants(grants)
            .staff(mapped.staff)
            .superuser(mapped.superuser)
            .backend(self.s.name.clone())
            .token(info);
        if let Some(name) = name {
            ctx = ctx.name(name);
        }
        Ok(ctx.raw_claims(raw).build())
    }

    /// After `verify` refused `token` for an unknown key (or keys not loaded yet): asks its
    /// provider for one fetch (at most one per cooldown) and verifies again once it is done.
    /// `None` when the token is not a provider's or no fetch was made.
    pub(in crate::backends::jwt) async fn verify_after_refetch(
        &self,
        token: &str,
    ) -> Option<Result<AuthContext, Reason>> {
        let parts = Parts::split(token).ok()?;
        let mut buf = [0u8; MAX_HEADER];
        let header = parts.header(&mut buf).ok()?;
        let p = self.provider_for(&parts).ok()??;
        let kid = header.kid.as_deref();
        if p.keys.refetch(kid).await == Refetch::Refused {
            return None;
        }
        let again = self.verify(token);
        if let (Err(Reason::UnknownKey), Some(kid)) = (&again, kid) {
            p.keys.remember_unknown(kid);
        }
        Some(again)
    }
}
