//! What the examples' binaries and tests share: the showcase's gRPC service and the notes
//! service.

pub mod grpc;
pub mod notes;

/// The README's and the guide's examples, compiled and run as doc tests here, where every
/// feature, both adapters and the showcase's gRPC service are in reach. (`auth_actix::guide`
/// and `auth_tonic::guide` show the chapters; they are tested here.)
#[cfg(doctest)]
pub mod doctests {
    macro_rules! doctests {
        ($($name:ident => $file:literal,)*) => {
            $(
                #[doc = include_str!($file)]
                pub struct $name;
            )*
        };
    }

    doctests! {
        Readme => "../../README.md",
        GettingStarted => "../../auth-actix/src/guide/getting_started.md",
        Macros => "../../auth-actix/src/guide/macros.md",
        Extractors => "../../auth-actix/src/guide/extractors.md",
        Backends => "../../auth-actix/src/guide/backends.md",
        Tokens => "../../auth-actix/src/guide/tokens.md",
        Revocation => "../../auth-actix/src/guide/revocation.md",
        Sessions => "../../auth-actix/src/guide/sessions.md",
        IdentityProviders => "../../auth-actix/src/guide/identity_providers.md",
        OwnKeys => "../../auth-actix/src/guide/own_keys.md",
        OpenApi => "../../auth-actix/src/guide/openapi.md",
        Testing => "../../auth-actix/src/guide/testing.md",
        Configuration => "../../auth-actix/src/guide/configuration.md",
        Security => "../../auth-actix/src/guide/security.md",
        Grpc => "../../auth-tonic/src/guide.md",
    }
}

#[cfg(test)]
mod tests {
    /// Every chapter of the guide is shown by its crate and doc-tested here: a chapter added to
    /// one list and not the other would go untested or unseen.
    #[test]
    fn every_guide_chapter_is_shown_and_tested() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
        // This file above its tests (the texts searched for below are in the tests too).
        let tested = include_str!("lib.rs").split("#[cfg(test)]").next().unwrap();
        let shown = include_str!("../../auth-actix/src/guide/mod.rs");
        let dir = format!("{root}/auth-actix/src/guide");
        let mut chapters = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if let Some(stem) = name.strip_suffix(".md") {
                chapters += 1;
                assert!(
                    shown.contains(&format!("\"{name}\"")),
                    "{name} is not in guide/mod.rs"
                );
                assert!(
                    tested.contains(&format!("auth-actix/src/guide/{stem}.md\"")),
                    "{name} is not doc-tested in examples/src/lib.rs"
                );
            }
        }
        assert_eq!(chapters, 13);
        assert!(tested.contains("auth-tonic/src/guide.md\""));
    }
}
