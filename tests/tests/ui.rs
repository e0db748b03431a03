//! Compile-time behaviour of the macros: what compiles, and the errors (with their spans) for
//! each mistake. The `.stderr` files are pinned to the toolchain in `rust-toolchain.toml`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("ui/pass/*.rs");
    t.compile_fail("ui/fail/*.rs");
}
