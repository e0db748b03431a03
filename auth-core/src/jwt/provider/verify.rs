//! The JWT backend's side of identity providers: which key source a token belongs to (by its
//! `iss`, before any signature check), verification with that source's keys only, the claim
//! mapping, and the one refetch an unknown `kid` may cause.

use std::borrow::Cow;

use jsonwebtoken::Algorithm;
use serde::Deserialize;

use super::keyset::Refetch;
use super::Provider;
use crate::context::AuthContext;
use crate::error::Reason;
use crate::jwt::backend::{JwtBackend, TokenKind};
use crate::jwt::verify::{check_signature, Claims, Identity, Parts, MAX_HEADER};

impl JwtBackend {
    /// The identity provider whose tokens state this token's `iss`, or `None` for the static
    /// keys. A token no source claims is refused here, before any key is looked at or fetched.
    pub(in crate::jwt) fn provider_for(
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
        let has_static = !self.s.keys.is_empty();
        if let Some(iss) = iss.as_deref() {
            if let Some(p) = providers.iter().find(|p| p.issuer.as_deref() == Some(iss)) {
                return Ok(Some(p));
            }
            if has_static && self.s.issuer.as_deref() == Some(iss) {
                return Ok(None);
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
    pub(in crate::jwt) fn verify_with_provider(
        &self,
        p: &Provider,
        parts: &Parts<'_>,
        alg: Algorithm,
        kid: Option<&str>,
        kind: TokenKind,
    ) -> Result<AuthContext, Reason> {
        use Algorithm::*;
        // Never a shared secret for a provider's token: its keys are public.
        if matches!(alg, HS256 | HS384 | HS512) {
            return Err(Reason::AlgorithmNotAllowed);
        }
        let keys = p.keys.current().ok_or(Reason::KeysUnavailable)?;
        match kid {
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
        let c: Claims<'_> = serde_json::from_str(&raw)
            .map_err(|_| Reason::Malformed("claims are not a valid JSON object"))?;
        self.check_claims(&c, kind, p.issuer.as_deref())?;
        let value: serde_json::Value = serde_json::from_str(&raw)
            .map_err(|_| Reason::Malformed("claims are not a valid JSON object"))?;
        let mapped = p.mapping.apply(&value)?;
        let name = c
            .username
            .as_deref()
            .or_else(|| value.get("preferred_username").and_then(|v| v.as_str()));
        let identity = Identity {
            user_id: &mapped.user_id,
            roles: &mapped.roles,
            permissions: &mapped.permissions,
            name,
        };
        self.context(&c, identity, &raw)
    }

    /// After `verify` refused `token` for an unknown key (or keys not loaded yet): asks its
    /// provider for one fetch (at most one per cooldown) and verifies again once it is done.
    /// `None` when the token is not a provider's or no fetch was made.
    pub(in crate::jwt) async fn verify_after_refetch(
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
