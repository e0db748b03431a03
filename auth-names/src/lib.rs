//! The one rule for the names a configuration and the macros accept: permissions, roles and
//! backend names. A crate of its own, depending on nothing, so that `auth-macros` applies the
//! same rule at compile time as `auth-core` at run time. Applications use it through
//! `auth-actix`, whose [guide](https://docs.rs/auth-actix/latest/auth_actix/guide/) describes the
//! names in its chapter on macros and guards.
//!
//! ```
//! assert_eq!(auth_names::invalid_name("articles.*", true), None);
//! assert!(auth_names::invalid_name("articles..write", true).is_some());
//! ```

#![no_std]
#![deny(missing_docs)]

/// Why `value` is not a valid name, if it is not. Names are dotted segments, each non-empty
/// and made of ASCII letters, digits, `_`, `-` and `:`. With `wildcards` (permissions), the
/// last segment may be `*`, and `*` alone grants everything.
pub fn invalid_name(value: &str, wildcards: bool) -> Option<&'static str> {
    if value.is_empty() {
        return Some("it is empty");
    }
    if wildcards && value == "*" {
        return None;
    }
    let mut segments = value.split('.').peekable();
    while let Some(seg) = segments.next() {
        if seg.is_empty() {
            return Some("it has an empty segment (check for a leading, trailing or doubled `.`)");
        }
        if seg == "*" {
            if !wildcards {
                return Some("only permissions can be wildcards");
            }
            if segments.peek().is_some() {
                return Some("a wildcard `*` may only be the last segment");
            }
            continue;
        }
        if !seg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b':'))
        {
            return Some("segments may hold only ASCII letters, digits, `_`, `-` and `:`");
        }
    }
    None
}
