//! Guard expressions ([`Policy`]) and their evaluation into a [`Decision`].

mod admit;

pub use admit::Admitted;

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;

use crate::identity::context::AuthContext;
use crate::request::RequestParts;

/// A boxed, non-`Send` future, as returned by asynchronous custom guards.
pub type LocalBoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// A synchronous custom guard: sees the identity and the request.
pub type SyncGuardFn = fn(&AuthContext, &dyn RequestParts) -> bool;

/// An asynchronous custom guard.
pub type AsyncGuardFn =
    for<'a> fn(&'a AuthContext, &'a dyn RequestParts) -> LocalBoxFuture<'a, bool>;

/// A custom predicate in a policy (object-level or attribute checks).
///
/// It runs only for authenticated requests; an anonymous request fails it with 401.
#[derive(Clone, Copy)]
pub struct CustomGuard {
    name: &'static str,
    kind: CustomKind,
}

#[derive(Clone, Copy)]
enum CustomKind {
    Sync(SyncGuardFn),
    Async(AsyncGuardFn),
}

impl CustomGuard {
    /// A synchronous custom guard named `name` (the name appears in 403 responses).
    pub const fn new(name: &'static str, f: SyncGuardFn) -> Self {
        CustomGuard {
            name,
            kind: CustomKind::Sync(f),
        }
    }

    /// An asynchronous custom guard named `name`.
    pub const fn new_async(name: &'static str, f: AsyncGuardFn) -> Self {
        CustomGuard {
            name,
            kind: CustomKind::Async(f),
        }
    }

    /// The guard's name.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

/// As the guard is written: `custom(name)` or `custom_async(name)` (the text of a 403's detail).
impl fmt::Display for CustomGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            CustomKind::Sync(_) => write!(f, "custom({})", self.name),
            CustomKind::Async(_) => write!(f, "custom_async({})", self.name),
        }
    }
}

impl fmt::Debug for CustomGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A nested policy: borrowed from a `static` (what the macros generate) or owned.
#[derive(Clone, Debug)]
pub enum PolicyRef {
    /// A policy in static memory.
    Static(&'static Policy),
    /// An owned policy.
    Owned(Box<Policy>),
}

impl Deref for PolicyRef {
    type Target = Policy;
    fn deref(&self) -> &Policy {
        match self {
            PolicyRef::Static(p) => p,
            PolicyRef::Owned(p) => p,
        }
    }
}

/// A list of names in a policy, static or owned.
pub type Names = Cow<'static, [Cow<'static, str>]>;

/// A guard expression: who may call a route.
///
/// Built at compile time by `#[guard(..)]`, or at run time with the constructors:
///
/// ```
/// use auth_core::adapter::Decision;
/// use auth_core::extend::SimpleRequest;
/// use auth_core::{AuthContext, Policy};
/// let p = Policy::any([
///     Policy::is_staff(),
///     Policy::has_role("analyst"),
///     Policy::all([Policy::has_permission("reports.view"), Policy::not(Policy::has_role("suspended"))]),
/// ]);
/// let ctx = AuthContext::builder("1").permissions(["reports.*"]).build();
/// let req = SimpleRequest::new("GET", "/reports");
/// # futures_executor_block_on(async {
/// assert!(matches!(p.decide(Some(&ctx), &req).await, Decision::Allow));
/// assert!(matches!(p.decide(None, &req).await, Decision::Unauthenticated));
/// # });
/// # fn futures_executor_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub enum Policy {
    /// Anyone, authenticated or not.
    AllowAny,
    /// Any authenticated identity.
    Authenticated,
    /// Holds this permission.
    HasPermission(Cow<'static, str>),
    /// Holds all these permissions.
    HasPermissions(Names),
    /// Holds at least one of these permissions.
    HasAnyPermission(Names),
    /// Has this role.
    HasRole(Cow<'static, str>),
    /// Has at least one of these roles.
    HasAnyRole(Names),
    /// Is staff.
    IsStaff,
    /// Is a superuser.
    IsSuperuser,
    /// The account is active.
    IsActive,
    /// Every sub-policy passes.
    All(Cow<'static, [Policy]>),
    /// At least one sub-policy passes.
    Any(Cow<'static, [Policy]>),
    /// The sub-policy fails (for an authenticated identity).
    Not(PolicyRef),
    /// A custom predicate.
    Custom(CustomGuard),
}

/// The outcome of evaluating a policy.
#[derive(Debug, Clone, Copy)]
pub enum Decision<'p> {
    /// Let the request through.
    Allow,
    /// No identity, and the policy needs one: 401.
    Unauthenticated,
    /// The identity is refused: 403. Holds the guard that failed.
    Forbidden(&'p Policy),
}

/// Three-valued result of evaluation.
#[derive(Debug, Clone, Copy)]
enum Eval<'p> {
    Pass,
    /// This part refused the identity (only an identity is refused: an anonymous request
    /// gets `NoIdentity`).
    Deny(&'p Policy),
    /// The policy needs an identity and the request has none.
    NoIdentity,
    /// An asynchronous custom guard was reached: evaluate with [`Policy::eval_async`].
    Pending,
}

fn names<I, S>(items: I) -> Names
where
    I: IntoIterator<Item = S>,
    S: Into<Cow<'static, str>>,
{
    Cow::Owned(items.into_iter().map(Into::into).collect())
}

impl Policy {
    /// `allow_any`.
    pub const fn allow_any() -> Self {
        Policy::AllowAny
    }
    /// `authenticated`.
    pub const fn authenticated() -> Self {
        Policy::Authenticated
    }
    /// `has_permission(p)`.
    pub fn has_permission(p: impl Into<Cow<'static, str>>) -> Self {
        Policy::HasPermission(p.into())
    }
    /// `has_permissions(p, ...)`: all of them.
    pub fn has_permissions<I: IntoIterator<Item = S>, S: Into<Cow<'static, str>>>(ps: I) -> Self {
        Policy::HasPermissions(names(ps))
    }
    /// `has_any_permission(p, ...)`.
    pub fn has_any_permission<I: IntoIterator<Item = S>, S: Into<Cow<'static, str>>>(
        ps: I,
    ) -> Self {
        Policy::HasAnyPermission(names(ps))
    }
    /// `has_role(r)`.
    pub fn has_role(r: impl Into<Cow<'static, str>>) -> Self {
        Policy::HasRole(r.into())
    }
    /// `has_any_role(r, ...)`.
    pub fn has_any_role<I: IntoIterator<Item = S>, S: Into<Cow<'static, str>>>(rs: I) -> Self {
        Policy::HasAnyRole(names(rs))
    }
    /// `is_staff`.
    pub const fn is_staff() -> Self {
        Policy::IsStaff
    }
    /// `is_superuser`.
    pub const fn is_superuser() -> Self {
        Policy::IsSuperuser
    }
    /// `is_active`.
    pub const fn is_active() -> Self {
        Policy::IsActive
    }
    /// `all(...)`.
    pub fn all(ps: impl IntoIterator<Item = Policy>) -> Self {
        Policy::All(Cow::Owned(ps.into_iter().collect()))
    }
    /// `any(...)`.
    pub fn any(ps: impl IntoIterator<Item = Policy>) -> Self {
        Policy::Any(Cow::Owned(ps.into_iter().collect()))
    }
    /// `not(...)`.
    #[allow(clippy::should_implement_trait)]
    pub fn not(p: Policy) -> Self {
        Policy::Not(PolicyRef::Owned(Box::new(p)))
    }
    /// `custom(f)`.
    pub const fn custom(g: CustomGuard) -> Self {
        Policy::Custom(g)
    }

    /// Whether the policy lets anonymous requests through without looking at anything.
    pub fn is_allow_any(&self) -> bool {
        matches!(self, Policy::AllowAny)
    }

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
        })
    }

    /// Whether the policy holds an asynchronous custom guard (`custom_async`).
    pub fn has_async_guard(&self) -> bool {
        match self {
            Policy::All(ps) | Policy::Any(ps) => ps.iter().any(Policy::has_async_guard),
            Policy::Not(p) => p.has_async_guard(),
            Policy::Custom(g) => matches!(g.kind, CustomKind::Async(_)),
            _ => false,
        }
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
                let mut pending = false;
                for p in ps.iter() {
                    match p.eval(Some(ctx), req) {
                        Eval::Pass => return Eval::Pass,
                        Eval::Pending => pending = true,
                        _ => {}
                    }
                }
                if pending {
                    return Eval::Pending;
                }
                false
            }
            Policy::Not(p) => match p.eval(Some(ctx), req) {
                Eval::Pass => false,
                Eval::Pending => return Eval::Pending,
                _ => true,
            },
            Policy::Custom(g) => match g.kind {
                CustomKind::Sync(f) => f(ctx, req),
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
                    for p in ps.iter() {
                        if let Eval::Pass = p.eval_async(Some(ctx), req).await {
                            return Eval::Pass;
                        }
                    }
                    Eval::Deny(self)
                }
                Policy::Not(p) => match p.eval_async(Some(ctx), req).await {
                    Eval::Pass => Eval::Deny(self),
                    _ => Eval::Pass,
                },
                Policy::Custom(CustomGuard {
                    kind: CustomKind::Async(f),
                    ..
                }) => {
                    if f(ctx, req).await {
                        Eval::Pass
                    } else {
                        Eval::Deny(self)
                    }
                }
                other => other.eval(Some(ctx), req),
            }
        })
    }
}

fn write_list(f: &mut fmt::Formatter<'_>, name: &str, items: &[Cow<'static, str>]) -> fmt::Result {
    write!(f, "{name}(")?;
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{s:?}")?;
    }
    f.write_str(")")
}

fn write_policies(f: &mut fmt::Formatter<'_>, name: &str, items: &[Policy]) -> fmt::Result {
    write!(f, "{name}(")?;
    for (i, p) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{p}")?;
    }
    f.write_str(")")
}

/// Renders the policy in the `#[guard(..)]` grammar: `any(is_staff, has_role("analyst"))`.
impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Policy::AllowAny => f.write_str("allow_any"),
            Policy::Authenticated => f.write_str("authenticated"),
            Policy::HasPermission(p) => write!(f, "has_permission({p:?})"),
            Policy::HasPermissions(ps) => write_list(f, "has_permissions", ps),
            Policy::HasAnyPermission(ps) => write_list(f, "has_any_permission", ps),
            Policy::HasRole(r) => write!(f, "has_role({r:?})"),
            Policy::HasAnyRole(rs) => write_list(f, "has_any_role", rs),
            Policy::IsStaff => f.write_str("is_staff"),
            Policy::IsSuperuser => f.write_str("is_superuser"),
            Policy::IsActive => f.write_str("is_active"),
            Policy::All(ps) => write_policies(f, "all", ps),
            Policy::Any(ps) => write_policies(f, "any", ps),
            Policy::Not(p) => write!(f, "not({})", &**p),
            Policy::Custom(g) => write!(f, "{g}"),
        }
    }
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Policy({self})")
    }
}

#[cfg(test)]
mod tests;
