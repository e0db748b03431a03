//! The life of a token after issuing: refresh rotation with reuse detection, logout, logout
//! everywhere.

use super::backend::{JwtBackend, TokenKind};
use super::issue::{TokenOptions, TokenPair};
use crate::context::AuthContext;
use crate::error::{AuthError, IssueError, Reason};
use crate::revocation::{RevocationStore, TokenRef};

fn unavailable(e: crate::StoreError) -> AuthError {
    AuthError::Unavailable(e.to_string().into())
}

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
    /// descended from the same login) is revoked and the answer is [`Reason::Revoked`].
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
            issued_at: info.iat,
            family: Some(family),
        };
        if store.is_revoked(t).await.map_err(unavailable)? {
            return Err(AuthError::Unauthenticated(Reason::Revoked));
        }
        let exp = info.exp.unwrap_or(family_until);
        if !store.consume(jti, exp).await.map_err(unavailable)? {
            tracing::warn!(
                user = ctx.user_id(),
                "refresh token reuse detected: the token family is revoked"
            );
            store
                .revoke_family(family, family_until)
                .await
                .map_err(unavailable)?;
            return Err(AuthError::Unauthenticated(Reason::Revoked));
        }
        Ok(TokenPair {
            access: self
                .issue_for_context(&ctx, TokenOptions::access())
                .map_err(issue_failed)?,
            refresh: self
                .issue_for_context(&ctx, TokenOptions::refresh().family(family))
                .map_err(issue_failed)?,
        })
    }

    /// Logs out: revokes the access token of `access` (if it has a `jti`) and, when given, the
    /// refresh token and its family. A refresh token of another user is refused.
    pub async fn logout(
        &self,
        access: Option<&AuthContext>,
        refresh_token: Option<&str>,
    ) -> Result<(), AuthError> {
        let store = self.store()?;
        if let Some(ctx) = access {
            if let Some(info) = ctx.token() {
                if let Some(jti) = info.jti.as_deref() {
                    let exp = info
                        .exp
                        .unwrap_or_else(|| crate::time::now() + self.retention());
                    store
                        .revoke_token(jti, exp + self.s.leeway)
                        .await
                        .map_err(unavailable)?;
                }
            }
        }
        if let Some(token) = refresh_token {
            let r = self
                .verify_kind(token, TokenKind::Refresh)
                .map_err(AuthError::Unauthenticated)?;
            if access.is_some_and(|a| a.user_id() != r.user_id()) {
                return Err(AuthError::Forbidden(
                    "the refresh token belongs to another user".into(),
                ));
            }
            if let Some(fam) = r.token().and_then(|i| i.family.as_deref()) {
                let until = crate::time::now() + self.retention();
                store.revoke_family(fam, until).await.map_err(unavailable)?;
            }
        }
        Ok(())
    }

    /// Logs `user_id` out everywhere: every token issued before now (and in this second) is
    /// refused from now on.
    pub async fn logout_all(&self, user_id: &str) -> Result<(), AuthError> {
        let store = self.store()?;
        let now = crate::time::now();
        store
            .revoke_user_before(user_id, now + 1, now + 1 + self.retention())
            .await
            .map_err(unavailable)
    }
}
