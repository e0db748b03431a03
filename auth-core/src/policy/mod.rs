//! Guard expressions ([`Policy`]) and their evaluation into a [`Decision`].

mod admit;
mod eval;

pub use admit::Admitted;

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;

use crate::error::AuthError;
use crate::identity::context::AuthContext;
use crate::request::RequestParts;

/// A boxed, non-`Send` future, as returned by asynchronous custom guards.
pub type LocalBoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// A synchronous custom guard: sees the identity and the request. `Ok(false)` refuses (403);
/// `Err` answers with the error (see [`GuardOutcome`]).
pub type SyncGuardFn = fn(&AuthContext, &dyn RequestParts) -> Result<bool, AuthError>;

/// An asynchronous custom guard.
pub type AsyncGuardFn = for<'a> fn(
    &'a AuthContext,
    &'a dyn RequestParts,
) -> LocalBoxFuture<'a, Result<bool, AuthError>>;

/// What a custom guard function may return: `bool` (`false` refuses with 403), or
/// `Result<bool, AuthError>` to answer otherwise: `Err(AuthError::NotFound(..))` when the object
/// the route acts on does not exist (404), `Err(AuthError::Unavailable(..))` when the database
/// that holds it cannot answer (503, fail closed; the text goes to the log only).
///
/// In `any(..)`, another branch that passes still lets the request through; in `all(..)` and
/// `not(..)` the error is the answer.
pub trait GuardOutcome {
    /// The guard's answer.
    fn into_outcome(self) -> Result<bool, AuthError>;
}

impl GuardOutcome for bool {
    #[inline]
    fn into_outcome(self) -> Result<bool, AuthError> {
        Ok(self)
    }
}

impl GuardOutcome for Result<bool, AuthError> {
    #[inline]
    fn into_outcome(self) -> Result<bool, AuthError> {
        self
    }
}

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
#[derive(Debug, Clone)]
pub enum Decision<'p> {
    /// Let the request through.
    Allow,
    /// No identity, and the policy needs one: 401.
    Unauthenticated,
    /// The identity is refused: 403. Holds the guard that failed.
    Forbidden(&'p Policy),
    /// A custom guard answered with an error of its own ([`GuardOutcome`]): a missing object
    /// (404), a database that cannot answer (503).
    Failed(AuthError),
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

    /// Whether the policy holds an asynchronous custom guard (`custom_async`).
    pub fn has_async_guard(&self) -> bool {
        match self {
            Policy::All(ps) | Policy::Any(ps) => ps.iter().any(Policy::has_async_guard),
            Policy::Not(p) => p.has_async_guard(),
            Policy::Custom(g) => matches!(g.kind, CustomKind::Async(_)),
            _ => false,
        }
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
