//! What login endpoints need besides a backend: password hashing and attempt throttling.

pub mod password;
pub mod throttle;
