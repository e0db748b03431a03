//! The life of a token after issuing: refresh rotation with reuse detection, logout, logout
//! everywhere.

use super::backend::{JwtBackend, TokenKind};
use super::issue::{TokenOptions, TokenPair};
use crate::context::AuthContext;
use crate::error::{AuthError, IssueError, Reason};
use crate::revocation::{RevocationStore, TokenRef};

/// How long a refresh may still be under way after its token was marked used (its store call
/// has a timeout of its own, 500 ms by default): a second presentation sooner is concurrent,
/// and treated as reuse.
pub const IN_FLIGHT_MS: u64 = 1_000;

fn issue_failed(e: IssueError) -> AuthError {
    AuthError::Misconfigured(e.to_string().into())
}

impl JwtBackend {
    fn store(&self) -> Result<&dyn RevocationStore, AuthError> {
        self.revocation()
            .map(|s| &**s)
            .ok_or(AuthError::Misconfigured(
                "token lifecycle needs a revocation store".into(),
            ))
    }

    /// How long a revocation must be kept so that it outlives every token it can concern.
    fn retention(&self) -> u64 {
        self.access_ttl().max(self.refresh_ttl()) + self.s.leeway
    }

    /// Exchanges a refresh token for a new access + refresh pair in the same family.
    ///
    /// The presented token is consumed (its `jti` revoked). Presenting a token that was already
    /// consumed is reuse, the sign of a stolen token: its whole family (every refresh token
    /// descended from the same login, and their access tokens) is revoked at once and the
    /// answer is [`Reason::Revoked`].
    ///
    /// A refresh marks its token spent before it issues the new pair, so that
    /// presenting it again is reuse. A refresh that failed after its token was marked used (the
    /// store timed out, but its write landed, and the client got 503) left the token used but
    /// not final: the client's retry, at least [`IN_FLIGHT_MS`] and at most
    /// [`super::JwtConfig::refresh_retry_secs`] (10 s) later, gets a new pair and nothing is
    /// revoked. A second presentation within [`IN_FLIGHT_MS`] (a concurrent refresh) is
    /// reuse: of concurrent refreshes with one token, at most one succeeds.
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenPair, AuthError> {
        let store = self.store()?;
        let ctx = self
            .verify_kind(refresh_token, TokenKind::Refresh)
            .map_err(AuthError::Unauthenticated)?;
        let info = ctx
            .token()
            .ok_or(AuthError::Unauthenticated(Reason::MissingClaim("jti")))?;
        let (Some(jti), Some(family)) = (info.jti.as_deref(), info.family.as_deref()) else {
            return Err(AuthError::Unauthenticated(Reason::MissingClaim("fam")));
        };
        let family_until = crate::time::now() + self.retention();
        let t = TokenRef {
            jti: None,
            user_id: ctx.user_id(),
            issued_at_ms: info.issued_at_ms,
            family: Some(family),
        };
        if store.is_revoked(t).await.map_err(AuthError::from)? {
            return Err(AuthError::Unauthenticated(Reason::Revoked));
        }
        let exp = info.exp.unwrap_or(family_until);
        let user = ctx.user_id();
        match store
            .consume(jti, user, exp)
            .await
            .map_err(AuthError::from)?
        {
            None => {}
            Some(used_ms) if used_ms != 0 && self.is_retry(used_ms) => {
                tracing::info!(
                    user,
                    "refresh retried after a failed answer: answered again"
                );
            }
            Some(_) => {
                tracing::warn!(
                    user,
                    "refresh token reuse detected: the token family is revoked"
                );
                store
                    .revoke_family(family, user, family_until)
                    .await
                    .map_err(AuthError::from)?;
                return Err(AuthError::Unauthenticated(Reason::Revoked));
            }
        }
        // From now on this token is spent for good. If this write fails the client gets 503,
        // and its retry finds the token used, not spent. Marked before the new pair is issued:
        // a store that folds this revocation into a "logged out before now" stamp (the
        // in-memory store, for a user with too many entries) must not cover the new pair.
        store
            .revoke_token(jti, user, exp)
            .await
            .map_err(AuthError::from)?;
        Ok(TokenPair {
            access: self
                .issue_for_context(&ctx, TokenOptions::access().family(family))
                .map_err(issue_failed)?,
            refresh: self
                .issue_for_context(&ctx, TokenOptions::refresh().family(family))
                .map_err(issue_failed)?,
        })
    }

    /// Whether a refresh token first used at `used_ms` (and never answered) is being retried:
    /// the first attempt is over, and the retry window is not.
    fn is_retry(&self, used_ms: u64) -> bool {
        let since = crate::time::now_ms().saturating_sub(used_ms);
        since >= IN_FLIGHT_MS && since < self.s.refresh_retry.saturating_mul(1000)
    }

    /// Logs out: revokes the access token of `access` (if it has a `jti`) and, when given, the
    /// refresh token's family.
    ///
    /// All or nothing: the refresh token is verified, and must belong to the same user, before
    /// anything is revoked; a refresh token that is invalid or another user's refuses the whole
    /// logout with 401.
    pub async fn logout(
        &self,
        access: Option<&AuthContext>,
        refresh_token: Option<&str>,
    ) -> Result<(), AuthError> {
        let store = self.store()?;
        let refresh = match refresh_token {
            None => None,
            Some(token) => {
                let r = self
                    .verify_kind(token, TokenKind::Refresh)
                    .map_err(AuthError::Unauthenticated)?;
                if access.is_some_and(|a| a.user_id() != r.user_id()) {
                    return Err(AuthError::Unauthenticated(Reason::Other(
                        "the refresh token belongs to another user".into(),
                    )));
                }
                Some(r)
            }
        };
        if let Some(ctx) = access {
            if let Some(t) = ctx.token() {
                if let Some(jti) = t.jti.as_deref() {
                    let exp = t
                        .exp
                        .unwrap_or_else(|| crate::time::now() + self.retention());
                    store
                        .revoke_token(jti, ctx.user_id(), exp + self.s.leeway)
                        .await
                        .map_err(AuthError::from)?;
                }
            }
        }
        if let Some(r) = &refresh {
            if let Some(fam) = r.token().and_then(|t| t.family.as_deref()) {
                let until = crate::time::now() + self.retention();
                store
                    .revoke_family(fam, r.user_id(), until)
                    .await
                    .map_err(AuthError::from)?;
            }
        }
        Ok(())
    }

    /// Logs `user_id` out everywhere: every token issued before now is refused from now on,
    /// and a token issued a millisecond later (a new login) is not.
    ///
    /// Tokens are compared by their issue time in milliseconds ([`crate::TokenInfo::issued_at_ms`]):
    /// tokens of this library carry it; a token from elsewhere, with a whole-second `iat` only,
    /// counts as issued at the end of its second, so one issued in the same second as the
    /// logout is refused.
    pub async fn logout_all(&self, user_id: &str) -> Result<(), AuthError> {
        let store = self.store()?;
        let now_ms = crate::time::now_ms();
        let keep_until = now_ms / 1000 + 1 + self.retention();
        store
            .revoke_user_before(user_id, now_ms + 1, keep_until)
            .await
            .map_err(AuthError::from)
    }
}
