//! Guard expressions ([`Policy`]) and their evaluation into a [`Decision`].

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;

use crate::context::AuthContext;
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

impl fmt::Debug for CustomGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "custom({})", self.name)
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
/// use auth_core::{AuthContext, Policy, Decision, SimpleRequest};
/// let p = Policy::any([
///     Policy::is_staff(),
///     Policy::has_role("analyst"),
///     Policy::all([Policy::has_permission("reports.view"), Policy::not(Policy::has_role("suspended"))]),
/// ]);
/// let ctx = AuthContext::builder("1").permissions(["reports.*"]).build();
/// let req = SimpleRequest::new("GET", "/reports");
/// assert!(matches!(p.decide(Some(&ctx), &req), Decision::Allow));
/// assert!(matches!(p.decide(None, &req), Decision::Unauthenticated));
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
    Deny(&'p Policy),
    NoIdentity,
    /// An asynchronous custom guard was reached: evaluate with [`Policy::decide_async`].
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

    /// Evaluates the policy synchronously.
    ///
    /// Returns `None` when the policy holds an asynchronous custom guard: use
    /// [`Policy::decide_async`] then (it is also correct for every other policy).
    #[inline]
    pub fn try_decide<'p>(
        &'p self,
        ctx: Option<&AuthContext>,
        req: &dyn RequestParts,
    ) -> Option<Decision<'p>> {
        to_decision(self.eval(ctx, req), ctx)
    }

    /// [`Policy::try_decide`] for a policy in static memory, such as the guards the attribute
    /// macros build. A context remembers (by address) one such policy it passed, so the next
    /// request with the same context (the verified-token cache hands out the same one for the
    /// same token) is allowed after one comparison.
    ///
    /// Sound because a context never changes once built, a policy without custom guards
    /// depends on nothing but the context, and a `'static` policy's address is never reused by
    /// another policy. Only allows are remembered, and never for a policy with a custom guard
    /// (which may look at the request).
    #[inline]
    pub fn try_decide_static(
        &'static self,
        ctx: Option<&AuthContext>,
        req: &dyn RequestParts,
    ) -> Option<Decision<'static>> {
        let Some(c) = ctx else {
            return self.try_decide(ctx, req);
        };
        let addr = self as *const Policy as usize;
        if c.passed(addr) {
            return Some(Decision::Allow);
        }
        let decision = self.try_decide(ctx, req);
        if matches!(decision, Some(Decision::Allow)) && !self.has_custom() {
            c.remember_pass(addr);
        }
        decision
    }

    /// Whether a custom guard appears anywhere in the policy.
    fn has_custom(&self) -> bool {
        match self {
            Policy::Custom(_) => true,
            Policy::All(ps) | Policy::Any(ps) => ps.iter().any(Policy::has_custom),
            Policy::Not(p) => p.has_custom(),
            Policy::AllowAny
            | Policy::Authenticated
            | Policy::HasPermission(_)
            | Policy::HasPermissions(_)
            | Policy::HasAnyPermission(_)
            | Policy::HasRole(_)
            | Policy::HasAnyRole(_)
            | Policy::IsStaff
            | Policy::IsSuperuser
            | Policy::IsActive => false,
        }
    }

    /// Evaluates the policy; panics never. For a policy with asynchronous custom guards this
    /// treats them as failed: use [`Policy::decide_async`] for those.
    pub fn decide<'p>(&'p self, ctx: Option<&AuthContext>, req: &dyn RequestParts) -> Decision<'p> {
        match self.try_decide(ctx, req) {
            Some(d) => d,
            None => match ctx {
                None => Decision::Unauthenticated,
                Some(_) => Decision::Forbidden(self),
            },
        }
    }

    /// Evaluates the policy, awaiting asynchronous custom guards.
    pub async fn decide_async<'p>(
        &'p self,
        ctx: Option<&AuthContext>,
        req: &dyn RequestParts,
    ) -> Decision<'p> {
        if let Some(d) = self.try_decide(ctx, req) {
            return d;
        }
        let eval = self.eval_async(ctx, req).await;
        to_decision(eval, ctx).unwrap_or(Decision::Unauthenticated)
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

fn to_decision<'p>(e: Eval<'p>, ctx: Option<&AuthContext>) -> Option<Decision<'p>> {
    Some(match e {
        Eval::Pass => Decision::Allow,
        Eval::NoIdentity => Decision::Unauthenticated,
        Eval::Deny(_) if ctx.is_none() => Decision::Unauthenticated,
        Eval::Deny(p) => Decision::Forbidden(p),
        Eval::Pending => return None,
    })
}

/// `Guard` is the name the attribute macros and `AuthConfig::default_guard` use for [`Policy`].
pub type Guard = Policy;

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
            Policy::Custom(g) => write!(f, "custom({})", g.name),
        }
    }
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Policy({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SimpleRequest;

    fn staff() -> AuthContext {
        AuthContext::builder("1")
            .staff(true)
            .roles(["editor"])
            .permissions(["articles.*"])
            .build()
    }
    fn plain() -> AuthContext {
        AuthContext::builder("2")
            .roles(["viewer"])
            .permissions(["articles.read"])
            .build()
    }
    fn root() -> AuthContext {
        AuthContext::builder("0").superuser(true).build()
    }
    fn inactive() -> AuthContext {
        AuthContext::builder("3").active(false).build()
    }
    fn owner_is_user_1(ctx: &AuthContext, req: &dyn RequestParts) -> bool {
        req.path() == "/articles/1" && ctx.user_id() == "1"
    }

    #[derive(Debug, PartialEq)]
    enum D {
        Allow,
        E401,
        E403(String),
    }

    fn run(p: &Policy, ctx: Option<&AuthContext>) -> D {
        let req = SimpleRequest::new("GET", "/articles/1");
        match p.decide(ctx, &req) {
            Decision::Allow => D::Allow,
            Decision::Unauthenticated => D::E401,
            Decision::Forbidden(g) => D::E403(g.to_string()),
        }
    }

    static READ: Policy = Policy::HasPermission(Cow::Borrowed("articles.read"));
    static WRITE: Policy = Policy::HasPermission(Cow::Borrowed("articles.write"));
    static OWNER: Policy = Policy::Custom(CustomGuard::new("owner", owner_is_user_1));

    fn run_static(p: &'static Policy, ctx: &AuthContext, path: &str) -> D {
        match p.try_decide_static(Some(ctx), &SimpleRequest::new("GET", path)) {
            Some(Decision::Allow) => D::Allow,
            Some(Decision::Unauthenticated) => D::E401,
            Some(Decision::Forbidden(g)) => D::E403(g.to_string()),
            None => panic!("no asynchronous guard here"),
        }
    }

    #[test]
    fn static_policies_remembered_per_context_and_address() {
        let u = plain();
        let s = staff();
        let denied = |g: &str| D::E403(g.to_owned());
        // Remembered after the first allow, and the answer does not change.
        assert_eq!(run_static(&READ, &u, "/"), D::Allow);
        assert_eq!(run_static(&READ, &u, "/"), D::Allow);
        // Another policy is still evaluated for the context that remembers READ.
        let write = denied("has_permission(\"articles.write\")");
        assert_eq!(run_static(&WRITE, &u, "/"), write);
        assert_eq!(run_static(&WRITE, &u, "/"), write);
        // A context without the permission is refused, whatever another context remembers.
        let none = AuthContext::builder("9").build();
        let read = denied("has_permission(\"articles.read\")");
        assert_eq!(run_static(&READ, &none, "/"), read);
        // A clone carries a true memo: same grants, same answer.
        assert_eq!(run_static(&READ, &u.clone(), "/"), D::Allow);
        // A custom guard looks at the request: never remembered.
        assert_eq!(run_static(&OWNER, &s, "/articles/1"), D::Allow);
        assert_eq!(
            run_static(&OWNER, &s, "/articles/2"),
            denied("custom(owner)")
        );
        assert_eq!(run_static(&OWNER, &s, "/articles/1"), D::Allow);
        // Anonymous: no context to remember in.
        let anon = READ.try_decide_static(None, &SimpleRequest::new("GET", "/"));
        assert!(matches!(anon, Some(Decision::Unauthenticated)));
    }

    #[test]
    fn guard_table() {
        let s = staff();
        let u = plain();
        let r = root();
        let i = inactive();
        let f403 = |s: &str| D::E403(s.to_owned());
        let rows: Vec<(&str, Policy, Option<&AuthContext>, D)> = vec![
            ("allow_any anonymous", Policy::allow_any(), None, D::Allow),
            ("allow_any user", Policy::allow_any(), Some(&u), D::Allow),
            (
                "authenticated anonymous",
                Policy::authenticated(),
                None,
                D::E401,
            ),
            (
                "authenticated user",
                Policy::authenticated(),
                Some(&u),
                D::Allow,
            ),
            (
                "perm granted",
                Policy::has_permission("articles.read"),
                Some(&u),
                D::Allow,
            ),
            (
                "perm denied",
                Policy::has_permission("articles.write"),
                Some(&u),
                f403("has_permission(\"articles.write\")"),
            ),
            (
                "perm wildcard",
                Policy::has_permission("articles.write"),
                Some(&s),
                D::Allow,
            ),
            (
                "perm superuser",
                Policy::has_permission("anything.x"),
                Some(&r),
                D::Allow,
            ),
            (
                "perm anonymous",
                Policy::has_permission("articles.read"),
                None,
                D::E401,
            ),
            (
                "perms all ok",
                Policy::has_permissions(["articles.read", "articles.write"]),
                Some(&s),
                D::Allow,
            ),
            (
                "perms all one missing",
                Policy::has_permissions(["articles.read", "articles.write"]),
                Some(&u),
                f403("has_permissions(\"articles.read\", \"articles.write\")"),
            ),
            (
                "any perm ok",
                Policy::has_any_permission(["x.y", "articles.read"]),
                Some(&u),
                D::Allow,
            ),
            (
                "any perm none",
                Policy::has_any_permission(["x.y", "z.w"]),
                Some(&u),
                f403("has_any_permission(\"x.y\", \"z.w\")"),
            ),
            ("role ok", Policy::has_role("editor"), Some(&s), D::Allow),
            (
                "role denied",
                Policy::has_role("editor"),
                Some(&u),
                f403("has_role(\"editor\")"),
            ),
            (
                "role superuser is not a role",
                Policy::has_role("editor"),
                Some(&r),
                f403("has_role(\"editor\")"),
            ),
            (
                "any role ok",
                Policy::has_any_role(["x", "viewer"]),
                Some(&u),
                D::Allow,
            ),
            (
                "any role none",
                Policy::has_any_role(["x", "y"]),
                Some(&u),
                f403("has_any_role(\"x\", \"y\")"),
            ),
            ("staff ok", Policy::is_staff(), Some(&s), D::Allow),
            (
                "staff denied",
                Policy::is_staff(),
                Some(&u),
                f403("is_staff"),
            ),
            ("superuser ok", Policy::is_superuser(), Some(&r), D::Allow),
            (
                "superuser denied",
                Policy::is_superuser(),
                Some(&s),
                f403("is_superuser"),
            ),
            ("active ok", Policy::is_active(), Some(&u), D::Allow),
            (
                "active denied",
                Policy::is_active(),
                Some(&i),
                f403("is_active"),
            ),
            (
                "all ok",
                Policy::all([Policy::is_staff(), Policy::has_role("editor")]),
                Some(&s),
                D::Allow,
            ),
            (
                "all names first failure",
                Policy::all([
                    Policy::authenticated(),
                    Policy::is_staff(),
                    Policy::has_role("x"),
                ]),
                Some(&u),
                f403("is_staff"),
            ),
            ("all empty passes", Policy::all([]), Some(&u), D::Allow),
            (
                "any ok",
                Policy::any([Policy::is_staff(), Policy::has_role("viewer")]),
                Some(&u),
                D::Allow,
            ),
            (
                "any fails as a whole",
                Policy::any([Policy::is_staff(), Policy::has_role("x")]),
                Some(&u),
                f403("any(is_staff, has_role(\"x\"))"),
            ),
            ("any empty fails", Policy::any([]), Some(&u), f403("any()")),
            (
                "any with allow_any anonymous",
                Policy::any([Policy::is_staff(), Policy::allow_any()]),
                None,
                D::Allow,
            ),
            (
                "not ok",
                Policy::not(Policy::has_role("suspended")),
                Some(&u),
                D::Allow,
            ),
            (
                "not denied",
                Policy::not(Policy::has_role("viewer")),
                Some(&u),
                f403("not(has_role(\"viewer\"))"),
            ),
            (
                "not anonymous is 401",
                Policy::not(Policy::has_role("suspended")),
                None,
                D::E401,
            ),
            (
                "nested design example",
                Policy::any([
                    Policy::is_staff(),
                    Policy::has_role("analyst"),
                    Policy::all([
                        Policy::has_permission("articles.read"),
                        Policy::not(Policy::has_role("suspended")),
                    ]),
                ]),
                Some(&u),
                D::Allow,
            ),
            (
                "custom ok",
                Policy::custom(CustomGuard::new("owner", owner_is_user_1)),
                Some(&s),
                D::Allow,
            ),
            (
                "custom denied",
                Policy::custom(CustomGuard::new("owner", owner_is_user_1)),
                Some(&u),
                f403("custom(owner)"),
            ),
            (
                "custom anonymous",
                Policy::custom(CustomGuard::new("owner", owner_is_user_1)),
                None,
                D::E401,
            ),
        ];
        for (name, policy, ctx, expected) in rows {
            assert_eq!(run(&policy, ctx), expected, "case: {name}");
        }
    }

    fn slow_owner<'a>(
        ctx: &'a AuthContext,
        _req: &'a dyn RequestParts,
    ) -> LocalBoxFuture<'a, bool> {
        Box::pin(async move { ctx.user_id() == "1" })
    }

    #[tokio::test]
    async fn async_custom_guard() {
        let p = Policy::all([
            Policy::authenticated(),
            Policy::custom(CustomGuard::new_async("slow_owner", slow_owner)),
        ]);
        let req = SimpleRequest::new("GET", "/");
        assert!(p.try_decide(Some(&staff()), &req).is_none());
        assert!(matches!(
            p.decide_async(Some(&staff()), &req).await,
            Decision::Allow
        ));
        match p.decide_async(Some(&plain()), &req).await {
            Decision::Forbidden(g) => assert_eq!(g.to_string(), "custom(slow_owner)"),
            other => panic!("expected 403, got {other:?}"),
        }
        assert!(matches!(
            p.decide_async(None, &req).await,
            Decision::Unauthenticated
        ));
    }

    static STATIC_POLICY: Policy = Policy::Any(Cow::Borrowed(&[
        Policy::IsStaff,
        Policy::HasPermission(Cow::Borrowed("articles.read")),
        Policy::Not(PolicyRef::Static(&Policy::IsActive)),
    ]));

    #[test]
    fn static_policies_are_const_constructible() {
        assert!(matches!(run(&STATIC_POLICY, Some(&plain())), D::Allow));
        assert_eq!(
            STATIC_POLICY.to_string(),
            "any(is_staff, has_permission(\"articles.read\"), not(is_active))"
        );
    }
}
