//! Per-method rules: which guard each method of the served services answers to, checked when
//! the layer is built.

use std::collections::{BTreeSet, HashMap};

use auth_core::adapter::{Admitted, Route, Rule as CoreRule};
use auth_core::extend::RequestParts;
use auth_core::{AuthConfig, ConfigError, Policy};
use prost::Message;
use prost_types::FileDescriptorSet;

use crate::request::GrpcRequest;

/// What a method asks of a call.
#[derive(Debug, Clone)]
pub(crate) enum Rule {
    /// The guard decides (`allow_any` for public methods: anyone, with the identity when the
    /// credentials are good).
    Guard(Policy),
    /// Credentials are optional, but checked when present: absent is anonymous, bad is
    /// `UNAUTHENTICATED`.
    Optional,
}

/// A layer that cannot work, found when it is built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A rule names a method that no declared service has.
    #[error("{method:?} names no method of the declared services{hint}")]
    UnknownMethod {
        /// The path as given.
        method: String,
        /// A suggestion, or the known methods.
        hint: String,
    },
    /// Rules were given, but no service's methods were declared to check them against.
    #[error("rules name methods, but no service was declared to check them against: add .file_descriptor_set(..) (the bytes tonic-prost-build writes with file_descriptor_set_path) or .methods([..])")]
    NoServices,
    /// A method path is not of the form `/package.Service/Method`.
    #[error("{0:?} is not a gRPC method path; write it as \"/package.Service/Method\"")]
    InvalidPath(String),
    /// A method was given two rules.
    #[error("{0:?} has two rules; give each method one")]
    DuplicateRule(String),
    /// A guard holds an asynchronous custom guard, which a tonic server cannot await.
    #[error("the guard of {0:?} holds a custom_async guard, which gRPC methods cannot use (tonic's futures move between threads); use a synchronous custom guard")]
    AsyncGuard(String),
    /// The file descriptor set could not be decoded.
    #[error("the file descriptor set could not be decoded: {0}")]
    Descriptor(#[from] prost::DecodeError),
    /// The backends named for the layer are not registered.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// The rules of one layer.
#[derive(Debug)]
pub(crate) struct Rules {
    config: AuthConfig,
    backends: Box<[Box<str>]>,
    default: Rule,
    methods: HashMap<Box<str>, Rule>,
}

impl Rules {
    /// Every method under the configuration's defaults.
    pub(crate) fn defaults(config: AuthConfig) -> Self {
        Rules {
            backends: config.default_backends().into(),
            default: Rule::Guard(config.default_guard().clone()),
            methods: HashMap::new(),
            config,
        }
    }

    /// Decides a call by its method's rule (auth-core authenticates, applies the guard, logs).
    pub(crate) async fn admit(&self, req: GrpcRequest<'_>) -> Admitted {
        let path = req.path();
        let rule = match self.methods.get(path).unwrap_or(&self.default) {
            Rule::Guard(policy) => CoreRule::Guard(policy),
            Rule::Optional => CoreRule::Optional,
        };
        let route = Route {
            name: path,
            backends: Some(&*self.backends),
            rule,
        };
        self.config.admit_send(&route, &req).await
    }
}

/// Builds an [`AuthLayer`](crate::AuthLayer): the method table, the service-wide default, and
/// the services whose methods the table is checked against.
#[derive(Debug)]
pub struct AuthLayerBuilder {
    config: AuthConfig,
    backends: Option<Vec<String>>,
    default_guard: Option<Policy>,
    rules: Vec<(String, Rule)>,
    known: BTreeSet<String>,
    errors: Vec<BuildError>,
}

impl AuthLayerBuilder {
    pub(crate) fn new(config: AuthConfig) -> Self {
        AuthLayerBuilder {
            config,
            backends: None,
            default_guard: None,
            rules: Vec::new(),
            known: BTreeSet::new(),
            errors: Vec::new(),
        }
    }

    /// Declares the services served, from an encoded `FileDescriptorSet` (what
    /// `tonic_prost_build::configure().file_descriptor_set_path(..)` writes, and
    /// tonic-reflection reads): every method of every service in it becomes known.
    pub fn file_descriptor_set(mut self, bytes: &[u8]) -> Self {
        match FileDescriptorSet::decode(bytes) {
            Ok(set) => {
                for file in &set.file {
                    for service in &file.service {
                        let name = match file.package() {
                            "" => service.name().to_owned(),
                            package => format!("{package}.{}", service.name()),
                        };
                        for m in &service.method {
                            self.known.insert(format!("/{name}/{}", m.name()));
                        }
                    }
                }
            }
            Err(e) => self.errors.push(e.into()),
        }
        self
    }

    /// Declares methods by path (`/package.Service/Method`), for services without a descriptor.
    pub fn methods<I: IntoIterator<Item = S>, S: Into<String>>(mut self, paths: I) -> Self {
        self.known.extend(paths.into_iter().map(Into::into));
        self
    }

    /// The backends calls are authenticated with, in order (default: the configuration's
    /// default backends).
    pub fn backends<I: IntoIterator<Item = S>, S: Into<String>>(mut self, names: I) -> Self {
        self.backends = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// The guard of every method without a rule (default: the configuration's default guard,
    /// itself `authenticated` unless set): secure by default, a method is public only when
    /// marked so.
    pub fn default_guard(mut self, guard: Policy) -> Self {
        self.default_guard = Some(guard);
        self
    }

    /// The guard of one method: `.method("/shop.v1.Orders/Cancel", guard!(has_permission("orders.cancel")))`.
    pub fn method(mut self, path: &str, guard: Policy) -> Self {
        self.rules.push((path.to_owned(), Rule::Guard(guard)));
        self
    }

    /// A public method: anyone may call it; the identity is there when good credentials are.
    pub fn public(self, path: &str) -> Self {
        self.method(path, Policy::AllowAny)
    }

    /// A method where authentication is optional but checked: no credentials is an anonymous
    /// call, bad credentials are refused with `UNAUTHENTICATED`.
    pub fn optional(mut self, path: &str) -> Self {
        self.rules.push((path.to_owned(), Rule::Optional));
        self
    }

    /// Checks everything and builds the layer.
    pub fn build(self) -> Result<crate::AuthLayer, BuildError> {
        if let Some(e) = self.errors.into_iter().next() {
            return Err(e);
        }
        if !self.rules.is_empty() && self.known.is_empty() {
            return Err(BuildError::NoServices);
        }
        let mut methods = HashMap::new();
        for (path, rule) in self.rules {
            check_path(&path)?;
            if !self.known.contains(&path) {
                return Err(BuildError::UnknownMethod {
                    hint: hint(&path, &self.known),
                    method: path,
                });
            }
            if matches!(&rule, Rule::Guard(p) if p.has_async_guard()) {
                return Err(BuildError::AsyncGuard(path));
            }
            if methods
                .insert(path.clone().into_boxed_str(), rule)
                .is_some()
            {
                return Err(BuildError::DuplicateRule(path));
            }
        }
        let default = self
            .default_guard
            .unwrap_or_else(|| self.config.default_guard().clone());
        if default.has_async_guard() {
            return Err(BuildError::AsyncGuard("<default guard>".into()));
        }
        let backends = match self.backends {
            None => self.config.default_backends().into(),
            Some(names) => self
                .config
                .backends()
                .check_names("the layer's backends", names)?,
        };
        Ok(crate::AuthLayer::from_rules(Rules {
            config: self.config,
            backends,
            default: Rule::Guard(default),
            methods,
        }))
    }
}

fn check_path(path: &str) -> Result<(), BuildError> {
    let ok = path
        .strip_prefix('/')
        .and_then(|p| p.split_once('/'))
        .is_some_and(|(service, method)| {
            !service.is_empty() && !method.is_empty() && !method.contains('/')
        });
    if ok {
        Ok(())
    } else {
        Err(BuildError::InvalidPath(path.to_owned()))
    }
}

/// The declared methods of the same service, else every declared method.
fn hint(path: &str, known: &BTreeSet<String>) -> String {
    let service = path.rsplit_once('/').map_or(path, |(s, _)| s);
    let same: Vec<&str> = known
        .iter()
        .filter(|k| k.rsplit_once('/').is_some_and(|(s, _)| s == service))
        .map(String::as_str)
        .collect();
    let list = if same.is_empty() {
        known.iter().map(String::as_str).collect()
    } else {
        same
    };
    format!("; the declared methods are {}", list.join(", "))
}
