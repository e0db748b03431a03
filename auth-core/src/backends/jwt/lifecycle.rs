//! The life of a token after issuing: refresh rotation with reuse detection, logout, logout
//! everywhere.

use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::backend::JwtBackend;
use super::issue::{Renewal, TokenOptions, TokenPair};
use crate::backends::session::DynUsers;
use crate::error::{AuthError, IssueError, Reason};
use crate::identity::context::AuthContext;
use crate::identity::context::TokenKind;
use crate::revocation::{RevocationStore, Rotate, Rotation, TokenRef};
use crate::util::random::random_id;

/// How long a refresh may still be under way after its token was marked used (its store call
/// has a timeout of its own, 500 ms by default): a second presentation sooner is concurrent,
/// and treated as reuse.
pub const IN_FLIGHT_MS: u64 = 1_000;

/// What a refresh token says of its family's login, beyond the claims every token has.
#[derive(Deserialize, Default)]
struct Login<'a> {
    /// When the login was (seconds).
    #[serde(default)]
    auth_time: Option<u64>,
    /// The binding to the password hash at login (see `issue::binding`).
    #[serde(default, borrow)]
    ah: Option<&'a str>,
}

impl<'a> Login<'a> {
    /// Read from a verified refresh token's claims. A claim of another type counts as absent:
    /// the token is this server's own, signed, so that can only be a token of an older version.
    fn of(ctx: &'a AuthContext) -> Login<'a> {
        ctx.raw_claims()
            .and_then(|raw| serde_json::from_str(raw).ok())
            .unwrap_or_default()
    }
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
    /// The store keeps one record per family: its current refresh token. A refresh presents
    /// the current one and makes the new one current ([`RevocationStore::rotate`]), so what is
    /// kept never grows with refreshes. Presenting any other token of the family is reuse, the
    /// sign of a stolen token: the whole family (every refresh token descended from the same
    /// login, and their access tokens) is revoked at once, in the same store step, and the
    /// answer is [`Reason::Revoked`].
    ///
    /// A refresh whose answer was lost (the store timed out after its rotation landed, and the
    /// client got 503) can be retried with the same token at least [`IN_FLIGHT_MS`] and at most
    /// [`super::JwtConfig::refresh_retry_secs`] (10 s) later: the retry gets a new pair and
    /// nothing is revoked. A second presentation within [`IN_FLIGHT_MS`] (a concurrent
    /// refresh) is reuse, and so is a presentation of a token whose refresh was answered.
    ///
    /// A family lives [`super::JwtConfig::refresh_absolute_secs`] after its login (30 days),
    /// however often it is refreshed. With [`super::JwtConfig::users`], the user is loaded and
    /// checked too: gone, inactive, or with another password than at login ends the family.
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
        let user = ctx.user_id();
        let login = Login::of(&ctx);
        // Tokens issued before `auth_time` existed count from their own issue time.
        let auth_time = login.auth_time.or(info.iat).unwrap_or(0);
        if crate::util::time::now() >= auth_time.saturating_add(self.s.refresh_absolute) {
            return Err(AuthError::Unauthenticated(Reason::Other(
                "the login is too old to be refreshed: log in again".into(),
            )));
        }
        let family_until = crate::util::time::now() + self.retention();
        let t = TokenRef {
            jti: None,
            user_id: user,
            issued_at_ms: info.issued_at_ms,
            family: Some(family),
        };
        if store.is_revoked(t).await.map_err(AuthError::from)? {
            return Err(AuthError::Unauthenticated(Reason::Revoked));
        }
        let fresh = match &self.s.users {
            Some(users) => Some(
                self.check_user(&**users, &ctx, family, login.ah, family_until)
                    .await?,
            ),
            None => None,
        };
        let next = random_id().map_err(issue_failed)?;
        let rotation = store
            .rotate(Rotate {
                family,
                user_id: user,
                presented: jti,
                next: &next,
                now_ms: crate::util::time::now_ms(),
                retry_from_ms: IN_FLIGHT_MS,
                retry_until_ms: self.s.refresh_retry.saturating_mul(1000),
                until: family_until,
            })
            .await
            .map_err(AuthError::from)?;
        match rotation {
            Rotation::Rotated => {}
            Rotation::Retried => {
                tracing::info!(
                    user,
                    "refresh retried after a failed answer: answered again"
                );
            }
            Rotation::Reused => {
                tracing::warn!(
                    user,
                    "refresh token reuse detected: the token family is revoked"
                );
                return Err(AuthError::Unauthenticated(Reason::Revoked));
            }
        }
        // From here on the presented token is spent for good: if this write fails the client
        // gets 503, and its retry finds the token rotated, not spent.
        store.settle(family, &next).await.map_err(AuthError::from)?;
        let who = fresh.as_ref().unwrap_or(&ctx);
        let renewal = Renewal {
            jti: next,
            auth_time,
            binding: login.ah.map(str::to_owned),
        };
        Ok(TokenPair {
            access: self
                .issue_for_context(who, TokenOptions::access().family(family))
                .map_err(issue_failed)?,
            refresh: self
                .issue_for_context(who, TokenOptions::refresh().family(family).renewal(renewal))
                .map_err(issue_failed)?,
        })
    }

    /// The user of a refresh, loaded now: still there, active, with the password of the login
    /// (the token's binding). Otherwise the family is revoked and the refresh refused.
    async fn check_user(
        &self,
        users: &dyn DynUsers,
        ctx: &AuthContext,
        family: &str,
        binding: Option<&str>,
        family_until: u64,
    ) -> Result<AuthContext, AuthError> {
        let loaded = users
            .load_dyn(ctx.user_id(), self.s.roles.as_ref())
            .await
            .map_err(|e| AuthError::Unavailable(e.to_string().into()))?;
        let why = match loaded {
            None => "the user no longer exists: log in again",
            Some(u) if !u.active => "the account is inactive",
            Some(u) => {
                let now = super::issue::binding(family, &u.hash);
                let same = match (now.as_deref(), binding) {
                    (None, None) => true,
                    (Some(a), Some(b)) => bool::from(a.as_bytes().ct_eq(b.as_bytes())),
                    _ => false,
                };
                if same {
                    return Ok(u.ctx);
                }
                "the password changed since login: log in again"
            }
        };
        self.store()?
            .revoke_family(family, ctx.user_id(), family_until)
            .await
            .map_err(AuthError::from)?;
        tracing::info!(
            user = ctx.user_id(),
            reason = why,
            "refresh refused: family ended"
        );
        Err(AuthError::Unauthenticated(Reason::Other(why.into())))
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
                        .unwrap_or_else(|| crate::util::time::now() + self.retention());
                    store
                        .revoke_token(jti, ctx.user_id(), exp + self.s.leeway)
                        .await
                        .map_err(AuthError::from)?;
                }
            }
        }
        if let Some(r) = &refresh {
            if let Some(fam) = r.token().and_then(|t| t.family.as_deref()) {
                let until = crate::util::time::now() + self.retention();
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
    /// Tokens are compared by their issue time in milliseconds ([`crate::identity::context::TokenInfo::issued_at_ms`]):
    /// tokens of this library carry it; a token from elsewhere, with a whole-second `iat` only,
    /// counts as issued at the end of its second, so one issued in the same second as the
    /// logout is refused.
    pub async fn logout_all(&self, user_id: &str) -> Result<(), AuthError> {
        let store = self.store()?;
        let now_ms = crate::util::time::now_ms();
        let keep_until = now_ms / 1000 + 1 + self.retention();
        store
            .revoke_user_before(user_id, now_ms + 1, keep_until)
            .await
            .map_err(AuthError::from)
    }
}
