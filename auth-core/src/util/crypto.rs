//! Selection of jsonwebtoken's crypto provider.
//!
//! jsonwebtoken 11 needs exactly one provider; when a build enables both of our crypto features
//! (e.g. `--all-features`), aws-lc-rs is installed explicitly so nothing is left to a run-time
//! panic.

#[cfg(not(any(feature = "aws-lc-rs", feature = "rust-crypto")))]
compile_error!(
    "auth-core needs a crypto backend: enable the `aws-lc-rs` (default) or `rust-crypto` feature"
);

/// Makes sure a provider is installed. Cheap after the first call.
pub(crate) fn ensure_provider() {
    #[cfg(all(feature = "aws-lc-rs", feature = "rust-crypto"))]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            // Err means a provider is installed already, which is all we need.
            let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
        });
    }
}
