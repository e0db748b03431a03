use std::collections::HashSet;
use std::fmt;

use auth_actix::prelude::*;

#[derive(Clone, Copy)]
enum Role {
    Admin,
    Editor,
}

impl AsRef<str> for Role {
    fn as_ref(&self) -> &str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
        }
    }
}

enum Perm {
    Read,
}

impl fmt::Display for Perm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Perm::Read => "articles.read",
        })
    }
}

/// Fields found by name; roles as enums with AsRef<str>, permissions as enums with Display.
#[derive(AuthUser)]
struct ByName {
    id: u64,
    email: Option<String>,
    roles: Vec<Role>,
    permissions: Vec<Perm>,
    is_staff: bool,
    is_active: Option<bool>,
}

/// Fields marked, with other names and collections.
#[derive(AuthUser)]
struct Marked<'a> {
    #[auth(id)]
    uuid: &'a str,
    #[auth(name)]
    login: String,
    #[auth(roles)]
    groups: HashSet<String>,
    #[auth(permissions)]
    grants: &'a [&'a str],
    #[auth(superuser)]
    root: bool,
}

/// Only an identity.
#[derive(AuthUser)]
struct Minimal {
    id: String,
}

fn main() {
    let u = ByName {
        id: 7,
        email: Some("a@example.com".into()),
        roles: vec![Role::Admin, Role::Editor],
        permissions: vec![Perm::Read],
        is_staff: true,
        is_active: None,
    };
    assert_eq!(u.auth_id(), "7");
    assert_eq!(u.auth_name().as_deref(), Some("a@example.com"));
    assert!(u.has_role("editor"));
    assert!(u.has_permission("articles.read"));
    assert!(u.is_active());
    let grants = ["reports.*"];
    let m = Marked { uuid: "u-1", login: "bob".into(), groups: HashSet::from(["x".to_owned()]), grants: &grants, root: true };
    assert!(m.has_permission("anything"));
    assert_eq!(m.auth_name().as_deref(), Some("bob"));
    let n = Minimal { id: "x".into() };
    assert!(!n.is_staff() && n.is_active());
}
