//! What `#[derive(AuthUser)]`'s generated code calls, in every adapter: a field is read as a
//! string through `AsRef<str>` when it has it and through `Display` otherwise (autoref
//! dispatch: `(&&&Wrap(&field)).__auth_str()` picks the first impl that applies), and names and
//! flags may be optional.

use std::borrow::Cow;
use std::fmt::Display;

/// Wraps a field value for [`ViaAsRef`]/[`ViaDisplay`] dispatch in `#[derive(AuthUser)]`.
#[derive(Debug)]
pub struct Wrap<'a, T: ?Sized>(pub &'a T);

/// Borrows string-like values (`String`, `&str`, enums with `AsRef<str>`).
pub trait ViaAsRef<'a> {
    /// The value as a string.
    fn __auth_str(&self) -> Cow<'a, str>;
}

impl<'a, T: AsRef<str> + ?Sized> ViaAsRef<'a> for &&Wrap<'a, T> {
    fn __auth_str(&self) -> Cow<'a, str> {
        Cow::Borrowed(self.0.as_ref())
    }
}

/// Formats other values (`i64`, `Uuid`, enums with `Display`).
pub trait ViaDisplay<'a> {
    /// The value as a string.
    fn __auth_str(&self) -> Cow<'a, str>;
}

impl<'a, T: Display + ?Sized> ViaDisplay<'a> for &Wrap<'a, T> {
    fn __auth_str(&self) -> Cow<'a, str> {
        Cow::Owned(self.0.to_string())
    }
}

/// Display-name fields: `String`, `Option<String>`, `&str`, ...
pub trait AsName {
    /// The name, if any.
    fn __auth_name(&self) -> Option<Cow<'_, str>>;
}

impl AsName for String {
    fn __auth_name(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed(self))
    }
}

impl AsName for str {
    fn __auth_name(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed(self))
    }
}

impl AsName for &str {
    fn __auth_name(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed(self))
    }
}

impl AsName for Box<str> {
    fn __auth_name(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed(self))
    }
}

impl AsName for Cow<'_, str> {
    fn __auth_name(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed(self))
    }
}

impl<T: AsName> AsName for Option<T> {
    fn __auth_name(&self) -> Option<Cow<'_, str>> {
        self.as_ref().and_then(AsName::__auth_name)
    }
}

/// Boolean flag fields: `bool` or `Option<bool>` (absent is `false`).
pub trait AsFlag {
    /// The flag.
    fn __auth_flag(&self, default: bool) -> bool;
}

impl AsFlag for bool {
    fn __auth_flag(&self, _: bool) -> bool {
        *self
    }
}

impl AsFlag for Option<bool> {
    fn __auth_flag(&self, default: bool) -> bool {
        self.unwrap_or(default)
    }
}
