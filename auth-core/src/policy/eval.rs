//! How a [`Policy`] is evaluated for an identity and a request: synchronously where it can be,
//! awaiting only asynchronous custom guards.

use super::{CustomGuard, CustomKind, Decision, LocalBoxFuture, Policy};
use crate::error::AuthError;
use crate::identity::context::AuthContext;
use crate::request::RequestParts;

/// Three-valued result of evaluation.
#[derive(Debug, Clone)]
pub(super) enum Eval<'p> {
    Pass,
    /// This part refused the identity (only an identity is refused: an anonymous request
    /// gets `NoIdentity`).
    Deny(&'p Policy),
    /// The policy needs an identity and the request has none.
    NoIdentity,
    /// An asynchronous custom guard was reached: evaluate with [`Policy::eval_async`].
    Pending,
    /// A custom guard answered with an error (404, 503).
    Failed(AuthError),
}

impl Policy {
    /// Evaluates the policy for an identity (`None`: anonymous) and a request.
    ///
    /// Asynchronous custom guards are awaited; a policy without them is decided the first time
    /// the future is polled.
    pub async fn decide<'p>(
        &'p self,
        ctx: Option<&AuthContext>,
        req: &dyn RequestParts,
    ) -> Decision<'p> {
        match self.decide_now(ctx, req) {
            Some(decision) => decision,
            None => self.decide_pending(ctx, req).await,
        }
    }

    /// [`Policy::decide`] for a policy whose synchronous evaluation reached an asynchronous
    /// custom guard: the asynchronous evaluation alone.
    pub(crate) async fn decide_pending<'p>(
        &'p self,
        ctx: Option<&AuthContext>,
        req: &dyn RequestParts,
    ) -> Decision<'p> {
        match self.eval_async(ctx, req).await {
            Eval::Pass => Decision::Allow,
            Eval::Deny(p) => Decision::Forbidden(p),
            Eval::NoIdentity | Eval::Pending => Decision::Unauthenticated,
            Eval::Failed(e) => Decision::Failed(e),
        }
    }

    /// Evaluates the policy without awaiting: `None` when an asynchronous custom guard would
    /// have to run (an adapter that cannot await them refuses the request then).
    pub fn decide_now<'p>(
        &'p self,
        ctx: Option<&AuthContext>,
        req: &dyn RequestParts,
    ) -> Option<Decision<'p>> {
        Some(match self.eval(ctx, req) {
            Eval::Pending => return None,
            Eval::Pass => Decision::Allow,
            Eval::Deny(p) => Decision::Forbidden(p),
            Eval::NoIdentity => Decision::Unauthenticated,
            Eval::Failed(e) => Decision::Failed(e),
        })
    }

    fn eval<'p>(&'p self, ctx: Option<&AuthContext>, req: &dyn RequestParts) -> Eval<'p> {
        let Some(ctx) = ctx else {
            return self.eval_anonymous();
        };
        let ok = match self {
            Policy::AllowAny | Policy::Authenticated => true,
            Policy::HasPermission(p) => ctx.has_permission(p),
            Policy::HasPermissions(ps) => ps.iter().all(|p| ctx.has_permission(p)),
            Policy::HasAnyPermission(ps) => ps.iter().any(|p| ctx.has_permission(p)),
            Policy::HasRole(r) => ctx.has_role(r),
            Policy::HasAnyRole(rs) => rs.iter().any(|r| ctx.has_role(r)),
            Policy::IsStaff => ctx.is_staff(),
            Policy::IsSuperuser => ctx.is_superuser(),
            Policy::IsActive => ctx.is_active(),
            Policy::All(ps) => {
                for p in ps.iter() {
                    match p.eval(Some(ctx), req) {
                        Eval::Pass => {}
                        other => return other,
                    }
                }
                true
            }
            Policy::Any(ps) => {
                let (mut pending, mut failed) = (false, None);
                for p in ps.iter() {
                    match p.eval(Some(ctx), req) {
                        Eval::Pass => return Eval::Pass,
                        Eval::Pending => pending = true,
                        Eval::Failed(e) => failed = failed.or(Some(e)),
                        _ => {}
                    }
                }
                if pending {
                    return Eval::Pending;
                }
                if let Some(e) = failed {
                    return Eval::Failed(e);
                }
                false
            }
            Policy::Not(p) => match p.eval(Some(ctx), req) {
                Eval::Pass => false,
                e @ (Eval::Pending | Eval::Failed(_)) => return e,
                _ => true,
            },
            Policy::Custom(g) => match g.kind {
                CustomKind::Sync(f) => match f(ctx, req) {
                    Ok(ok) => ok,
                    Err(e) => return Eval::Failed(e),
                },
                CustomKind::Async(_) => return Eval::Pending,
            },
        };
        if ok {
            Eval::Pass
        } else {
            Eval::Deny(self)
        }
    }

    /// Anonymous requests: only `allow_any` passes; `any` passes if one branch does.
    fn eval_anonymous(&self) -> Eval<'_> {
        match self {
            Policy::AllowAny => Eval::Pass,
            Policy::All(ps) => {
                for p in ps.iter() {
                    match p.eval_anonymous() {
                        Eval::Pass => {}
                        other => return other,
                    }
                }
                Eval::Pass
            }
            Policy::Any(ps) => {
                if ps.iter().any(|p| matches!(p.eval_anonymous(), Eval::Pass)) {
                    Eval::Pass
                } else {
                    Eval::NoIdentity
                }
            }
            _ => Eval::NoIdentity,
        }
    }

    fn eval_async<'p: 'a, 'a>(
        &'p self,
        ctx: Option<&'a AuthContext>,
        req: &'a dyn RequestParts,
    ) -> LocalBoxFuture<'a, Eval<'p>> {
        Box::pin(async move {
            let Some(ctx) = ctx else {
                return self.eval_anonymous();
            };
            match self {
                Policy::All(ps) => {
                    for p in ps.iter() {
                        match p.eval_async(Some(ctx), req).await {
                            Eval::Pass => {}
                            other => return other,
                        }
                    }
                    Eval::Pass
                }
                Policy::Any(ps) => {
                    let mut failed = None;
                    for p in ps.iter() {
                        match p.eval_async(Some(ctx), req).await {
                            Eval::Pass => return Eval::Pass,
                            Eval::Failed(e) => failed = failed.or(Some(e)),
                            _ => {}
                        }
                    }
                    failed.map_or(Eval::Deny(self), Eval::Failed)
                }
                Policy::Not(p) => match p.eval_async(Some(ctx), req).await {
                    Eval::Pass => Eval::Deny(self),
                    e @ Eval::Failed(_) => e,
                    _ => Eval::Pass,
                },
                Policy::Custom(CustomGuard {
                    kind: CustomKind::Async(f),
                    ..
                }) => match f(ctx, req).await {
                    Ok(true) => Eval::Pass,
                    Ok(false) => Eval::Deny(self),
                    Err(e) => Eval::Failed(e),
                },
                other => other.eval(Some(ctx), req),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::CustomGuard;
    use crate::request::SimpleRequest;

    fn missing(_: &AuthContext, _: &dyn RequestParts) -> Result<bool, AuthError> {
        Err(AuthError::NotFound("no such note".into()))
    }

    fn missing_later<'a>(
        _: &'a AuthContext,
        _: &'a dyn RequestParts,
    ) -> LocalBoxFuture<'a, Result<bool, AuthError>> {
        Box::pin(async { Err(AuthError::Unavailable("the notes database".into())) })
    }

    /// What `policy` answers an identity with `staff` set, as a short text.
    fn answer(policy: &Policy, staff: bool) -> String {
        let ctx = AuthContext::builder("7").staff(staff).build();
        let req = SimpleRequest::new("GET", "/notes/1");
        let decision = futures_executor(policy.decide(Some(&ctx), &req));
        match decision {
            Decision::Allow => "allow".into(),
            Decision::Unauthenticated => "401".into(),
            Decision::Forbidden(p) => format!("403 {p}"),
            Decision::Failed(e) => format!("failed {e}"),
        }
    }

    fn futures_executor<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn a_guard_error_is_the_answer_unless_another_branch_of_any_passes() {
        for (kind, guard) in [
            ("sync", CustomGuard::new("missing", missing)),
            ("async", CustomGuard::new_async("missing", missing_later)),
        ] {
            let failed = if kind == "sync" {
                "failed not found: no such note"
            } else {
                "failed authentication store unavailable: the notes database"
            };
            let custom = || Policy::custom(guard);
            assert_eq!(answer(&custom(), false), failed, "{kind}");
            let any = Policy::any([Policy::is_staff(), custom()]);
            assert_eq!(answer(&any, true), "allow", "{kind}: staff passes first");
            assert_eq!(answer(&any, false), failed, "{kind}");
            let all = Policy::all([Policy::authenticated(), custom()]);
            assert_eq!(answer(&all, true), failed, "{kind}");
            let not = Policy::not(custom());
            assert_eq!(answer(&not, true), failed, "{kind}: never an allow");
        }
    }
}
