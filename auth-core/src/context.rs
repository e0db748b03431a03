//! [`AuthContext`]: what a successful authentication yields.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use arrayvec::ArrayString;
use serde::de::DeserializeOwned;

use crate::permissions::{PermissionSet, RoleMap};
use crate::user::AuthUser;

/// Facts about the token that authenticated a request (JWT backends only), borrowed from its
/// [`AuthContext`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenInfo<'a> {
    /// The token id (`jti`), if any.
    pub jti: Option<&'a str>,
    /// Expiry (`exp`), seconds since the Unix epoch.
    pub exp: Option<u64>,
    /// Issue time (`iat`), seconds since the Unix epoch.
    pub iat: Option<u64>,
    /// `token_type` (`"access"`, `"refresh"`), if present.
    pub token_type: Option<&'a str>,
    /// The refresh-token family (`fam`), if present.
    pub family: Option<&'a str>,
}

/// Roles and effective permissions: shared by every context with the same grants (the JWT
/// backend builds each distinct set once), so a context costs a reference count, not a set.
#[derive(Clone, Default)]
pub(crate) struct Grants {
    roles: Box<[Box<str>]>,
    permissions: PermissionSet,
}

impl Grants {
    /// Roles and permissions, plus those `map` grants to the roles.
    pub(crate) fn new<R: AsRef<str>, P: AsRef<str>>(
        roles: &[R],
        permissions: &[P],
        map: Option<&RoleMap>,
    ) -> Grants {
        let mut g = Grants {
            roles: roles.iter().map(|r| r.as_ref().into()).collect(),
            permissions: PermissionSet::new(),
        };
        for p in permissions {
            g.permissions.insert(p.as_ref());
        }
        g.add_role_grants(map);
        g
    }

    fn add_role_grants(&mut self, map: Option<&RoleMap>) {
        if let Some(map) = map {
            for role in self.roles.iter() {
                for p in map.permissions_of(role) {
                    self.permissions.insert(p);
                }
            }
        }
    }
}

/// Builds each distinct [`Grants`] once and shares it: tokens of the same user (or of users
/// with the same roles and permissions) share one permission set. Bounded: past `MAX` distinct
/// sets, new ones are built per context and not kept.
#[derive(Default)]
pub(crate) struct GrantsCache {
    sets: std::sync::RwLock<HashMap<Box<[u8]>, Arc<Grants>, foldhash::fast::RandomState>>,
}

impl GrantsCache {
    const MAX: usize = 4096;

    pub(crate) fn get<R: AsRef<str>, P: AsRef<str>>(
        &self,
        roles: &[R],
        permissions: &[P],
        map: Option<&RoleMap>,
    ) -> Arc<Grants> {
        // Length-prefixed, so that no two different lists encode alike; on the stack when short.
        let items = || {
            let roles = roles.iter().map(|r| (0u8, r.as_ref()));
            roles.chain(permissions.iter().map(|p| (1u8, p.as_ref())))
        };
        let len: usize = items().map(|(_, s)| 5 + s.len()).sum();
        let mut stack = [0u8; 256];
        let mut heap = Vec::new();
        let key: &[u8] = {
            let put = |buf: &mut dyn FnMut(&[u8])| {
                for (kind, item) in items() {
                    buf(&[kind]);
                    buf(&u32::try_from(item.len()).unwrap_or(u32::MAX).to_le_bytes());
                    buf(item.as_bytes());
                }
            };
            if len <= stack.len() {
                let mut at = 0;
                put(&mut |b: &[u8]| {
                    stack[at..at + b.len()].copy_from_slice(b);
                    at += b.len();
                });
                &stack[..len]
            } else {
                heap.reserve_exact(len);
                put(&mut |b: &[u8]| heap.extend_from_slice(b));
                &heap
            }
        };
        if let Some(g) = self.sets.read().ok().and_then(|m| m.get(key).cloned()) {
            return g;
        }
        let g = Arc::new(Grants::new(roles, permissions, map));
        if let Ok(mut sets) = self.sets.write() {
            if sets.len() < Self::MAX {
                sets.insert(key.into(), g.clone());
            }
        }
        g
    }
}

/// A backend's name: static, or shared by reference counting (never copied per request).
#[derive(Clone)]
enum Name {
    Static(&'static str),
    Shared(Arc<str>),
}

impl Name {
    fn as_str(&self) -> &str {
        match self {
            Name::Static(s) => s,
            Name::Shared(s) => s,
        }
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// Where a string of a context lies in its text; `start == u32::MAX` means absent.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    start: u32,
    len: u32,
}

impl Span {
    const NONE: Span = Span {
        start: u32::MAX,
        len: 0,
    };

    #[inline]
    fn get(self, text: &Text) -> Option<&str> {
        if self.start == u32::MAX {
            return None;
        }
        let start = self.start as usize;
        // Spans lie on character boundaries of the text: slicing checks two bytes.
        text.as_str().get(start..start + self.len as usize)
    }

    /// Where `part` lies in `whole`, when it is a slice of it.
    fn within(whole: &str, part: &str) -> Option<Span> {
        let start = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
        if start + part.len() > whole.len() {
            return None;
        }
        Some(Span {
            start: u32::try_from(start).ok().filter(|s| *s != u32::MAX)?,
            len: u32::try_from(part.len()).ok()?,
        })
    }
}

/// One string of a context while it is assembled: absent, a slice of the text already there,
/// or a copy to append to it.
pub(crate) enum Part {
    Absent,
    At(Span),
    Copy(Box<str>),
}

impl Part {
    /// `s` as a part of a context whose text is `text`: a span when `s` is a slice of `text`
    /// (claims strings without escapes), else a copy.
    pub(crate) fn of(text: &str, s: Option<&str>) -> Part {
        match s {
            None => Part::Absent,
            Some(s) => Span::within(text, s).map_or_else(|| Part::Copy(s.into()), Part::At),
        }
    }

    fn owned(s: Option<Box<str>>) -> Part {
        s.map_or(Part::Absent, Part::Copy)
    }

    /// Appends a copy to `text` and returns where the part lies. A text past 4 GiB cannot be
    /// addressed; a part that would lie there is dropped.
    fn place(self, text: &mut String) -> Span {
        match self {
            Part::Absent => Span::NONE,
            Part::At(span) => span,
            Part::Copy(s) => {
                let start = text.len();
                match (u32::try_from(start), u32::try_from(s.len())) {
                    (Ok(start), Ok(len))
                        if start != u32::MAX && start.checked_add(len).is_some() =>
                    {
                        text.push_str(&s);
                        Span { start, len }
                    }
                    _ => Span::NONE,
                }
            }
        }
    }
}

const STAFF: u8 = 1;
const SUPERUSER: u8 = 2;
const ACTIVE: u8 = 4;
const TOKEN: u8 = 8;
const EXP: u8 = 16;
const IAT: u8 = 32;

/// Texts up to this many bytes live inside the context (most tokens' claims do). With the
/// inline string's length, the text takes 176 bytes, as large as it can be for a cache slot of
/// 336 bytes beside the context's other fields.
const INLINE: usize = 168;

/// A context's text: inline when short, so that a context is one allocation (and the cache can
/// keep contexts in place, with none). Both forms are `str`s, read without a UTF-8 check.
#[derive(Clone)]
enum Text {
    Inline(ArrayString<INLINE>),
    Heap(Box<str>),
}

impl Text {
    fn new(s: String) -> Text {
        match ArrayString::from(&s).ok() {
            Some(inline) => Text::Inline(inline),
            None => Text::Heap(s.into_boxed_str()),
        }
    }

    #[inline]
    fn as_str(&self) -> &str {
        match self {
            Text::Inline(s) => s,
            Text::Heap(s) => s,
        }
    }
}

/// A context's data: one text (the raw claims for a token, then any string that is not a slice
/// of them) and where each string lies in it.
///
/// In declaration order (`repr(C)`): what a request reads of a context it already holds (the
/// backend's name, the flags, the grants, the guard it passed) comes first, so that with the
/// reference count it fills the allocation's first cache line; the text, read by handlers,
/// comes last.
#[repr(C)]
#[derive(Clone)]
struct Inner {
    backend: Name,
    grants: Arc<Grants>,
    passed: Passed,
    flags: u8,
    exp: u64,
    iat: u64,
    user_id: Span,
    name: Span,
    claims: Span,
    jti: Span,
    family: Span,
    token_type: Span,
    text: Text,
}

/// The address of a `'static` policy a context is known to pass, or 0 (see
/// [`crate::Policy::try_decide_static`]). Written once, from 0. A clone keeps it: every policy's
/// answer depends on what is cloned with it, never on the backend's name (the one field a
/// clone may then change).
#[derive(Default)]
struct Passed(AtomicUsize);

impl Clone for Passed {
    fn clone(&self) -> Self {
        Passed(AtomicUsize::new(self.0.load(Ordering::Relaxed)))
    }
}

impl Inner {
    /// A context whose strings are `parts` (claims, user id, name, jti, family, token type):
    /// each a span of `text` already, or appended to it.
    fn assemble(
        mut text: String,
        parts: [Part; 6],
        (exp, iat): (Option<u64>, Option<u64>),
        flags: u8,
        backend: Name,
        grants: Arc<Grants>,
    ) -> Inner {
        let [claims, user_id, name, jti, family, token_type] = parts.map(|p| p.place(&mut text));
        Inner {
            passed: Passed::default(),
            text: Text::new(text),
            user_id,
            name,
            claims,
            jti,
            family,
            token_type,
            exp: exp.unwrap_or(0),
            iat: iat.unwrap_or(0),
            backend,
            grants,
            flags: flags
                | if exp.is_some() { EXP } else { 0 }
                | if iat.is_some() { IAT } else { 0 },
        }
    }

    #[inline]
    fn flag(&self, f: u8) -> bool {
        self.flags & f != 0
    }
}

/// The identity of an authenticated request: who, through which backend, with which roles and
/// effective permissions (own plus those granted by roles), and the raw token claims.
///
/// Cloning is a reference-count increment: extractors share one context per request.
///
/// ```
/// use auth_core::AuthContext;
/// let ctx = AuthContext::builder("42").roles(["editor"]).permissions(["articles.*"]).build();
/// assert_eq!(ctx.user_id(), "42");
/// assert!(ctx.has_permission("articles.write"));
/// assert!(ctx.has_role("editor"));
/// ```
#[derive(Clone)]
pub struct AuthContext {
    inner: Arc<Inner>,
}

impl AuthContext {
    /// Starts a context for `user_id`.
    pub fn builder(user_id: impl Into<Box<str>>) -> AuthContextBuilder {
        AuthContextBuilder {
            user_id: user_id.into(),
            name: None,
            claims: None,
            token: None,
            backend: Name::Static(""),
            grants: Arc::default(),
            flags: ACTIVE,
        }
    }

    /// Builds the context of an [`AuthUser`], with roles mapped to permissions by `roles`.
    pub fn from_user<U: AuthUser + ?Sized>(user: &U, roles: Option<&RoleMap>) -> AuthContext {
        let mut b = AuthContext::builder(user.auth_id().into_owned())
            .roles(user.auth_roles())
            .permissions(user.auth_permissions())
            .staff(user.is_staff())
            .superuser(user.is_superuser())
            .active(user.is_active());
        if let Some(name) = user.auth_name() {
            b = b.name(name.into_owned());
        }
        b.build_with_roles(roles)
    }

    /// The user's identity (the token's `sub`, the API key's user id, ...).
    pub fn user_id(&self) -> &str {
        self.inner.user_id.get(&self.inner.text).unwrap_or_default()
    }

    /// The display name, if known.
    pub fn name(&self) -> Option<&str> {
        self.inner.name.get(&self.inner.text)
    }

    /// The name of the backend that authenticated the request (`"jwt"`, `"api_key"`, a custom name).
    pub fn backend(&self) -> &str {
        self.inner.backend.as_str()
    }

    /// The roles.
    pub fn roles(&self) -> impl ExactSizeIterator<Item = &str> {
        self.inner.grants.roles.iter().map(|r| &**r)
    }

    /// The effective permissions (own plus those granted by roles).
    pub fn permissions(&self) -> &PermissionSet {
        &self.inner.grants.permissions
    }

    /// Whether the identity has `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.inner.grants.roles.iter().any(|r| &**r == role)
    }

    /// Whether the identity holds `permission` (wildcards honoured; superusers hold every permission).
    #[inline]
    pub fn has_permission(&self, permission: &str) -> bool {
        self.inner.flag(SUPERUSER) || self.inner.grants.permissions.contains(permission)
    }

    /// Whether this context is known to pass the `'static` policy at address `policy` (see
    /// [`crate::Policy::try_decide_static`]).
    #[inline]
    pub(crate) fn passed(&self, policy: usize) -> bool {
        self.inner.passed.0.load(Ordering::Relaxed) == policy
    }

    /// Records that this context passes the `'static` policy at address `policy`, unless it
    /// already remembers another.
    pub(crate) fn remember_pass(&self, policy: usize) {
        let _ =
            self.inner
                .passed
                .0
                .compare_exchange(0, policy, Ordering::Relaxed, Ordering::Relaxed);
    }

    /// Whether the identity is staff.
    pub fn is_staff(&self) -> bool {
        self.inner.flag(STAFF)
    }

    /// Whether the identity is a superuser.
    pub fn is_superuser(&self) -> bool {
        self.inner.flag(SUPERUSER)
    }

    /// Whether the account is active.
    pub fn is_active(&self) -> bool {
        self.inner.flag(ACTIVE)
    }

    /// The raw JSON claims of the token, for JWT-authenticated requests.
    pub fn raw_claims(&self) -> Option<&str> {
        self.inner.claims.get(&self.inner.text)
    }

    /// Deserializes the token's claims into `T` (for custom claims).
    ///
    /// Returns `None` when the request was not authenticated by a token, and the JSON error when
    /// the claims do not fit `T`.
    pub fn claims<T: DeserializeOwned>(&self) -> Option<Result<T, serde_json::Error>> {
        self.raw_claims().map(serde_json::from_str)
    }

    /// Facts about the token, for JWT-authenticated requests.
    pub fn token(&self) -> Option<TokenInfo<'_>> {
        let i = &*self.inner;
        i.flag(TOKEN).then(|| TokenInfo {
            jti: i.jti.get(&i.text),
            exp: i.flag(EXP).then_some(i.exp),
            iat: i.flag(IAT).then_some(i.iat),
            token_type: i.token_type.get(&i.text),
            family: i.family.get(&i.text),
        })
    }

    /// Returns this context with its backend name set to `name` (a reference count when it
    /// is not already that name; nothing when it is).
    pub(crate) fn with_backend(mut self, name: &Arc<str>) -> Self {
        let same = match &self.inner.backend {
            Name::Shared(n) => Arc::ptr_eq(n, name) || **n == **name,
            Name::Static(s) => *s == &**name,
        };
        if !same {
            Arc::make_mut(&mut self.inner).backend = Name::Shared(name.clone());
        }
        self
    }
}

/// A context as the token cache keeps it: its data in place, with no allocation of its own
/// when the text is inline. [`CachedContext::to_context`] makes a context of it.
#[derive(Clone)]
pub(crate) struct CachedContext(Inner);

impl CachedContext {
    pub(crate) fn new(ctx: &AuthContext) -> CachedContext {
        CachedContext((*ctx.inner).clone())
    }

    /// A context with this data: one allocation and a copy.
    #[inline]
    pub(crate) fn to_context(&self) -> AuthContext {
        AuthContext {
            inner: Arc::new(self.0.clone()),
        }
    }
}

impl fmt::Debug for AuthContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("AuthContext")
            .field("user_id", &self.user_id())
            .field("name", &self.name())
            .field("backend", &i.backend)
            .field("roles", &i.grants.roles)
            .field("permissions", &i.grants.permissions)
            .field("is_staff", &self.is_staff())
            .field("is_superuser", &self.is_superuser())
            .field("is_active", &self.is_active())
            .field("token", &self.token())
            .finish_non_exhaustive()
    }
}

/// What the JWT backend knows of a verified token, turned into a context in one step: the
/// strings are spans of the claims text where they can be (no copies), so that a cached token
/// costs the context and its text.
pub(crate) struct JwtIdentity {
    pub claims: String,
    pub user_id: Part,
    pub name: Part,
    pub jti: Part,
    pub family: Part,
    pub token_type: Part,
    pub exp: Option<u64>,
    pub iat: Option<u64>,
    pub backend: Arc<str>,
    pub grants: Arc<Grants>,
    pub is_staff: bool,
    pub is_superuser: bool,
    pub is_active: bool,
}

impl From<JwtIdentity> for AuthContext {
    fn from(j: JwtIdentity) -> AuthContext {
        let claims = Span::within(&j.claims, &j.claims).map_or(Part::Absent, Part::At);
        let parts = [claims, j.user_id, j.name, j.jti, j.family, j.token_type];
        AuthContext {
            inner: Arc::new(Inner::assemble(
                j.claims,
                parts,
                (j.exp, j.iat),
                flags(j.is_staff, j.is_superuser, j.is_active) | TOKEN,
                Name::Shared(j.backend),
                j.grants,
            )),
        }
    }
}

fn flags(staff: bool, superuser: bool, active: bool) -> u8 {
    (if staff { STAFF } else { 0 })
        | (if superuser { SUPERUSER } else { 0 })
        | (if active { ACTIVE } else { 0 })
}

/// The token facts a builder was given, owned until the context is built.
#[derive(Default)]
struct OwnedToken {
    jti: Option<Box<str>>,
    exp: Option<u64>,
    iat: Option<u64>,
    token_type: Option<Box<str>>,
    family: Option<Box<str>>,
}

/// Builds an [`AuthContext`]; custom backends use it to describe who they authenticated.
pub struct AuthContextBuilder {
    user_id: Box<str>,
    name: Option<Box<str>>,
    claims: Option<Box<str>>,
    token: Option<OwnedToken>,
    backend: Name,
    grants: Arc<Grants>,
    flags: u8,
}

impl fmt::Debug for AuthContextBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthContextBuilder")
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

impl AuthContextBuilder {
    /// Sets the display name.
    pub fn name(mut self, name: impl Into<Box<str>>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the roles.
    pub fn roles<I: IntoIterator<Item = S>, S: AsRef<str>>(mut self, roles: I) -> Self {
        Arc::make_mut(&mut self.grants).roles =
            roles.into_iter().map(|r| r.as_ref().into()).collect();
        self
    }

    /// Adds permissions (wildcards allowed).
    pub fn permissions<I: IntoIterator<Item = S>, S: AsRef<str>>(mut self, perms: I) -> Self {
        let grants = Arc::make_mut(&mut self.grants);
        for p in perms {
            grants.permissions.insert(p.as_ref());
        }
        self
    }

    /// Uses a permission set built elsewhere.
    pub fn permission_set(mut self, set: PermissionSet) -> Self {
        Arc::make_mut(&mut self.grants).permissions = set;
        self
    }

    fn set(mut self, flag: u8, yes: bool) -> Self {
        if yes {
            self.flags |= flag;
        } else {
            self.flags &= !flag;
        }
        self
    }

    /// Sets the staff flag.
    pub fn staff(self, yes: bool) -> Self {
        self.set(STAFF, yes)
    }

    /// Sets the superuser flag.
    pub fn superuser(self, yes: bool) -> Self {
        self.set(SUPERUSER, yes)
    }

    /// Sets the active flag (default `true`).
    pub fn active(self, yes: bool) -> Self {
        self.set(ACTIVE, yes)
    }

    /// Records the backend name (the chain sets it too).
    pub fn backend(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.backend = match name.into() {
            Cow::Borrowed(s) => Name::Static(s),
            Cow::Owned(s) => Name::Shared(s.into()),
        };
        self
    }

    /// Uses roles and permissions built (and shared) elsewhere.
    #[cfg(test)]
    pub(crate) fn grants(mut self, grants: Arc<Grants>) -> Self {
        self.grants = grants;
        self
    }

    /// Keeps the raw JSON claims.
    pub fn raw_claims(mut self, json: impl Into<Box<str>>) -> Self {
        self.claims = Some(json.into());
        self
    }

    /// Records facts about the token (the strings are copied).
    pub fn token(mut self, info: TokenInfo<'_>) -> Self {
        self.token = Some(OwnedToken {
            jti: info.jti.map(Into::into),
            exp: info.exp,
            iat: info.iat,
            token_type: info.token_type.map(Into::into),
            family: info.family.map(Into::into),
        });
        self
    }

    /// Builds the context.
    pub fn build(self) -> AuthContext {
        let mut flags = self.flags;
        let t = self.token.map_or_else(OwnedToken::default, |t| {
            flags |= TOKEN;
            t
        });
        let parts = [
            Part::owned(self.claims),
            Part::Copy(self.user_id),
            Part::owned(self.name),
            Part::owned(t.jti),
            Part::owned(t.family),
            Part::owned(t.token_type),
        ];
        AuthContext {
            inner: Arc::new(Inner::assemble(
                String::new(),
                parts,
                (t.exp, t.iat),
                flags,
                self.backend,
                self.grants,
            )),
        }
    }

    /// Builds the context, adding the permissions `map` grants to its roles.
    pub fn build_with_roles(mut self, map: Option<&RoleMap>) -> AuthContext {
        if map.is_some() {
            Arc::make_mut(&mut self.grants).add_role_grants(map);
        }
        self.build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_are_built_once_per_distinct_set() {
        let cache = GrantsCache::default();
        let a = cache.get(&["editor"], &["articles.*"], None);
        let b = cache.get(&["editor"], &["articles.*"], None);
        assert!(Arc::ptr_eq(&a, &b));
        // Same characters, other split: another set.
        let c = cache.get(&["editora"], &["rticles.*"], None);
        let d = cache.get::<&str, &str>(&[], &["editor", "articles.*"], None);
        assert!(!Arc::ptr_eq(&a, &c) && !Arc::ptr_eq(&a, &d) && !Arc::ptr_eq(&c, &d));
        let ctx = AuthContext::builder("1").grants(a).build();
        assert!(ctx.has_permission("articles.write") && ctx.has_role("editor"));
        assert!(!ctx.has_role("editora"));
        // Role grants from the map are part of the set.
        let map = RoleMap::new().grant("editor", ["reports.view"]);
        let e = GrantsCache::default().get(&["editor"], &[] as &[&str], Some(&map));
        let ctx = AuthContext::builder("1").grants(e).build();
        assert!(ctx.has_permission("reports.view"));
    }
}
