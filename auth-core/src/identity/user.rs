//! The user protocol: what the library needs to know about an application's user type.

use std::borrow::Cow;

/// An application user that can be authenticated and authorized.
///
/// Usually derived: `#[derive(AuthUser)]` finds the fields by name (`id`, `username`/`email`/`name`,
/// `roles`, `permissions`, `is_staff`, `is_superuser`, `is_active`) or by `#[auth(..)]` markers.
///
/// ```
/// use std::borrow::Cow;
/// use auth_core::AuthUser;
///
/// struct User { id: u64, roles: Vec<String> }
///
/// impl AuthUser for User {
///     fn auth_id(&self) -> Cow<'_, str> { self.id.to_string().into() }
///     fn auth_roles(&self) -> Vec<Cow<'_, str>> { self.roles.iter().map(|r| r.as_str().into()).collect() }
/// }
///
/// let u = User { id: 7, roles: vec!["editor".into()] };
/// assert!(u.has_role("editor"));
/// assert_eq!(u.auth_id(), "7");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not implement `AuthUser`",
    label = "this type is used as an authenticated user",
    note = "derive it: `#[derive(AuthUser)]` on the struct (it needs an `id` field or one marked `#[auth(id)]`)"
)]
pub trait AuthUser {
    /// The user's identity: the string form of its primary key (the token's `sub`).
    fn auth_id(&self) -> Cow<'_, str>;

    /// A display name (username, e-mail), if the user has one.
    fn auth_name(&self) -> Option<Cow<'_, str>> {
        None
    }

    /// The user's roles.
    fn auth_roles(&self) -> Vec<Cow<'_, str>> {
        Vec::new()
    }

    /// The user's own permissions (roles may grant more through a `RoleMap`).
    fn auth_permissions(&self) -> Vec<Cow<'_, str>> {
        Vec::new()
    }

    /// Whether the user is staff.
    fn is_staff(&self) -> bool {
        false
    }

    /// Whether the user is a superuser (passes every permission check).
    fn is_superuser(&self) -> bool {
        false
    }

    /// Whether the account is active.
    fn is_active(&self) -> bool {
        true
    }

    /// The stored password hash, if the user has one. Sessions keep a digest of it (the auth
    /// hash) so that changing the password ends every session; it is never sent anywhere.
    fn auth_password_hash(&self) -> Option<Cow<'_, str>> {
        None
    }

    /// Whether the user holds `permission` itself (wildcards honoured; superusers hold all).
    ///
    /// This looks at the user's own grants only; roles are mapped to permissions by the
    /// configuration's `RoleMap` when an [`AuthContext`](crate::identity::context::AuthContext) is built.
    fn has_permission(&self, permission: &str) -> bool {
        self.is_superuser()
            || crate::identity::permissions::PermissionSet::from_iter(self.auth_permissions())
                .contains(permission)
    }

    /// Whether the user has `role`.
    fn has_role(&self, role: &str) -> bool {
        self.auth_roles().iter().any(|r| r == role)
    }
}

/// A user could not be loaded (the database is down, ...): the request is answered 503.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the user could not be loaded: {0}")]
pub struct UserLoadError(String);

impl UserLoadError {
    /// A new error; the message goes to the log, not to the client.
    pub fn new(message: impl Into<String>) -> Self {
        UserLoadError(message.into())
    }
}
