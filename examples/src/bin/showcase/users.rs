//! The demo users, alice and bob, kept in memory with Argon2id password hashes: they log in
//! through the token and session endpoints, and sessions load them back on every request.

use std::sync::Arc;

use auth_actix::endpoints::CredentialsVerifier;
use auth_actix::password::{hash_password, verify_user_password_async};
use auth_actix::prelude::*;
use auth_actix::session::SessionUsers;
use serde::{Deserialize, Serialize};

/// A demo user: `sub` is the id, as in tokens minted elsewhere.
#[derive(AuthUser, Clone, Serialize, Deserialize)]
pub struct User {
    #[serde(rename = "sub")]
    pub id: String,
    pub username: String,
    pub roles: Vec<String>,
    #[serde(default)]
    pub permissions: Vec<String>,
    pub is_staff: bool,
    pub is_superuser: bool,
    /// Argon2id; a session ends when it changes. Never serialized.
    #[serde(skip)]
    pub password_hash: String,
}

/// The demo users' store: in memory, shared by the endpoints and the session backend.
#[derive(Clone)]
pub struct DemoUsers(Arc<Vec<User>>);

impl DemoUsers {
    /// alice (editor, staff) and bob (viewer), whose passwords are `<name>-demo-password`;
    /// nobody when `enabled` is false.
    pub fn new(enabled: bool) -> Result<DemoUsers, String> {
        let mut users = Vec::new();
        let demo = [
            ("1", "alice", "editor", true),
            ("2", "bob", "viewer", false),
        ];
        for (id, name, role, staff) in demo.into_iter().filter(|_| enabled) {
            users.push(User {
                id: id.into(),
                username: name.into(),
                roles: vec![role.into()],
                permissions: vec![],
                is_staff: staff,
                is_superuser: false,
                password_hash: hash_password(&format!("{name}-demo-password"))
                    .map_err(|e| e.to_string())?,
            });
        }
        Ok(DemoUsers(Arc::new(users)))
    }

    /// The users.
    pub fn all(&self) -> &[User] {
        &self.0
    }
}

impl CredentialsVerifier for DemoUsers {
    type User = User;
    async fn verify(&self, username: &str, password: &str) -> Result<Option<User>, UserLoadError> {
        let found = self.0.iter().find(|u| u.username == username);
        // The same Argon2 work whether the user exists or not, off the worker threads.
        let hash = found.map(|u| u.password_hash.clone());
        let ok = verify_user_password_async(hash, password.to_owned()).await;
        Ok(found.filter(|_| ok).cloned())
    }
}

impl SessionUsers for DemoUsers {
    type User = User;
    async fn load(&self, user_id: &str) -> Result<Option<User>, UserLoadError> {
        Ok(self.0.iter().find(|u| u.id == user_id).cloned())
    }
}
