//! A small Kubernetes-compatible API server for tests and benchmarks.
//!
//! No real kube-apiserver can run on the machines this project is built on, so the
//! plugin and the webhook's cluster view are tested against this one: HTTPS with a
//! throwaway CA, the discovery documents kubectl and kube read, get / list (label
//! and field selectors, `limit` / `continue` pages) / watch (from a
//! `resourceVersion`, with bookmarks) / create / update / patch / delete for the kinds
//! this project looks at, objects seeded from YAML, and a kubeconfig for it. Its
//! fidelity is checked with the real `kubectl` in `tests/apiserver_kubectl.rs`.
//!
//! ```no_run
//! use flink_autoscale_e2e::apiserver::TestApiServer;
//! let server = TestApiServer::builder()
//!     .namespace("flink")
//!     .yaml_file("fixtures/examples/flink-operator-basic.yaml")?
//!     .forbid("no-vpa", "list", "verticalpodautoscalers")
//!     .unreachable_context("down")
//!     .without_kind("HorizontalPodAutoscaler")
//!     .start()?;
//! let out = server.kubectl().args(["get", "flinkdeployments"]).output()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The server runs on its own thread and runtime, so sync and async tests use it
//! alike; dropping it stops it and removes its kubeconfig.
//!
//! Admission webhooks are called as kube-apiserver calls them (see [`admission`])
//! once `MutatingWebhookConfiguration` / `ValidatingWebhookConfiguration` objects
//! are stored; [`Builder::service`] says where their Services are reached.
//!
//! Known differences from a real server: no built-in admission plugins, no schema validation,
//! finalizers and owner references are ignored (deletes are immediate), server-side
//! apply is a merge patch without field ownership, strategic merge patch knows
//! the merge keys of the common list fields only, continue pages read the current
//! state rather than a snapshot, and any dotted path is accepted in a field selector.

pub mod admission;
mod clock;
mod discovery;
mod http;
mod patch;
mod render;
mod resources;
mod selector;
mod status;
mod store;
mod tls;
mod watch;

pub use status::Status;
pub use store::Store;

use http::{App, Rule, User};
use serde_json::{Value, json};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Why the server could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("reading {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Yaml { path: PathBuf, message: String },
    #[error("seeding {what}: {source}")]
    Seed { what: String, source: Status },
    #[error("generating the test CA: {0}")]
    Certificate(#[from] rcgen::Error),
    #[error("TLS configuration: {0}")]
    Tls(#[from] rustls::Error),
    #[error("starting the test API server: {0}")]
    Io(#[from] std::io::Error),
}

/// Parses multi-document YAML (or JSON) into objects; `kind: List` documents are
/// flattened into their items, empty documents skipped.
pub fn parse_yaml(text: &str) -> Result<Vec<Value>, String> {
    // Seed files are trusted and may be large (a benchmark's thousands of objects):
    // no parsing budget.
    let options = serde_saphyr::options! { budget: None };
    let documents: Vec<Value> =
        serde_saphyr::from_multiple_with_options(text, options).map_err(|e| e.to_string())?;
    let mut objects = Vec::new();
    for doc in documents {
        match doc {
            Value::Null => {}
            Value::Object(ref o) if o.get("kind").and_then(Value::as_str) == Some("List") => {
                objects.extend(
                    o.get("items")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default(),
                );
            }
            Value::Object(_) => objects.push(doc),
            other => return Err(format!("a document is not an object: {other}")),
        }
    }
    Ok(objects)
}

/// Reads and parses a YAML file of objects.
pub fn load_yaml(path: impl AsRef<Path>) -> Result<Vec<Value>, Error> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_yaml(&text).map_err(|message| Error::Yaml {
        path: path.to_path_buf(),
        message,
    })
}

#[derive(Debug, Clone)]
struct ContextSpec {
    name: String,
    namespace: String,
    user: String,
    unreachable: bool,
}

/// Configures a [`TestApiServer`].
#[derive(Debug)]
pub struct Builder {
    namespace: String,
    contexts: Vec<ContextSpec>,
    users: Vec<User>,
    objects: Vec<Value>,
    history_limit: usize,
    bookmark_interval: Duration,
    without_kinds: Vec<String>,
    services: std::collections::HashMap<String, SocketAddr>,
}

const MAIN_CONTEXT: &str = "test-apiserver";
const ADMIN: &str = "admin";

fn random_token(label: &str) -> String {
    use std::hash::{BuildHasher, RandomState};
    format!("{label}-{:016x}", RandomState::new().hash_one(label))
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            namespace: "default".into(),
            contexts: Vec::new(),
            users: vec![User {
                name: ADMIN.into(),
                token: random_token(ADMIN),
                forbidden: Vec::new(),
            }],
            objects: Vec::new(),
            history_limit: 10_000,
            bookmark_interval: Duration::from_secs(2),
            without_kinds: Vec::new(),
            services: Default::default(),
        }
    }
}

impl Builder {
    /// The namespace of the kubeconfig's current context (default `default`).
    pub fn namespace(mut self, namespace: &str) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// An object present from the start (a namespaced one without a namespace goes
    /// to `default`; namespaces are created as needed).
    pub fn object(mut self, obj: Value) -> Self {
        self.objects.push(obj);
        self
    }

    pub fn objects(mut self, objects: impl IntoIterator<Item = Value>) -> Self {
        self.objects.extend(objects);
        self
    }

    /// The objects of a (multi-document) YAML file.
    pub fn yaml_file(self, path: impl AsRef<Path>) -> Result<Self, Error> {
        Ok(self.objects(load_yaml(path)?))
    }

    /// The objects of a YAML file, those without a namespace put into `namespace`.
    pub fn yaml_file_in(self, path: impl AsRef<Path>, namespace: &str) -> Result<Self, Error> {
        let objects = load_yaml(path)?.into_iter().map(|mut obj| {
            if obj["metadata"]["namespace"].is_null() && obj["metadata"].is_object() {
                obj["metadata"]["namespace"] = namespace.into();
            }
            obj
        });
        Ok(self.objects(objects))
    }

    /// Another kubeconfig context for the same server and user, with its own
    /// default namespace.
    pub fn context(mut self, name: &str, namespace: &str) -> Self {
        self.contexts.push(ContextSpec {
            name: name.into(),
            namespace: namespace.into(),
            user: ADMIN.into(),
            unreachable: false,
        });
        self
    }

    /// A kubeconfig context pointing at a port nobody listens on, for "cluster
    /// unreachable" tests.
    pub fn unreachable_context(mut self, name: &str) -> Self {
        self.contexts.push(ContextSpec {
            name: name.into(),
            namespace: "default".into(),
            user: ADMIN.into(),
            unreachable: true,
        });
        self
    }

    /// Makes `context` (created with its own user if new) get `403 Forbidden` for
    /// `verb` on `resource` (a plural; `*` for any verb or resource), with the
    /// message RBAC gives. E.g. `.forbid("no-vpa", "list", "verticalpodautoscalers")`.
    pub fn forbid(mut self, context: &str, verb: &str, resource: &str) -> Self {
        if !self.users.iter().any(|u| u.name == context) {
            self.users.push(User {
                name: context.into(),
                token: random_token(context),
                forbidden: Vec::new(),
            });
            self.contexts.push(ContextSpec {
                name: context.into(),
                namespace: self.namespace.clone(),
                user: context.into(),
                unreachable: false,
            });
        }
        if let Some(user) = self.users.iter_mut().find(|u| u.name == context) {
            user.forbidden.push(Rule {
                verb: verb.into(),
                resource: resource.into(),
            });
        }
        self
    }

    /// Serves as if `kind`'s API were not installed (no VPA CRD, say): it is absent
    /// from discovery (legacy, aggregated and OpenAPI), a group left without kinds
    /// disappears, and every request for it answers `404 NotFound` ("the server could
    /// not find the requested resource"), as a real server does for an unknown
    /// resource. E.g. `.without_kind("VerticalPodAutoscaler")`. Objects of the kind
    /// may still be seeded and read through [`TestApiServer::store`]; clients never
    /// see them.
    pub fn without_kind(mut self, kind: &str) -> Self {
        self.without_kinds.push(kind.into());
        self
    }

    /// Where the Service `service` (`NAMESPACE/NAME:PORT`, as a webhook
    /// configuration's `clientConfig.service` names it) is reached: the admission
    /// chain connects there, still verifying the certificate for
    /// `NAME.NAMESPACE.svc` against the `caBundle`. An unmapped Service has "no
    /// endpoints", as one whose pods are all down.
    pub fn service(mut self, service: &str, addr: SocketAddr) -> Self {
        self.services.insert(service.into(), addr);
        self
    }

    /// How many changes watches can replay (default 10,000); older versions get
    /// `410 Expired`.
    pub fn history_limit(mut self, changes: usize) -> Self {
        self.history_limit = changes;
        self
    }

    /// How often watches that allow bookmarks get one (default 2 s; a real server
    /// sends one about every minute).
    pub fn bookmark_interval(mut self, interval: Duration) -> Self {
        self.bookmark_interval = interval;
        self
    }

    /// Seeds the store, writes the kubeconfig and starts serving.
    pub fn start(self) -> Result<TestApiServer, Error> {
        let store = Arc::new(Store::new(self.history_limit));
        for obj in self.objects {
            let what = format!("{} {}", obj["kind"], obj["metadata"]["name"]);
            store
                .apply(obj)
                .map_err(|source| Error::Seed { what, source })?;
        }
        let tls = tls::generate()?;
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let dir = std::env::temp_dir().join(format!(
            "flink-test-apiserver-{}-{}",
            std::process::id(),
            addr.port()
        ));
        std::fs::create_dir_all(&dir)?;
        let kubeconfig = dir.join("kubeconfig");
        let admin_token = self.users[0].token.clone();
        std::fs::write(
            &kubeconfig,
            kubeconfig_yaml(
                addr,
                &tls.ca_pem,
                &self.namespace,
                &self.contexts,
                &self.users,
            ),
        )?;

        let requests = Arc::new(std::sync::Mutex::new(Vec::new()));
        let admission = Arc::new(admission::Admission::new(self.services));
        let app = App {
            admission: admission.clone(),
            store: store.clone(),
            users: Arc::new(self.users),
            server_address: addr.to_string(),
            bookmark_interval: self.bookmark_interval,
            served: Arc::new(resources::Served::without(self.without_kinds)),
            requests: requests.clone(),
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("test-apiserver")
            .enable_all()
            .build()?;
        let handle = axum_server::Handle::new();
        let server = {
            let _entered = runtime.enter();
            let config = axum_server::tls_rustls::RustlsConfig::from_config(tls.config);
            axum_server::from_tcp_rustls(listener, config)
        };
        let server = match server {
            Ok(server) => server.handle(handle.clone()),
            Err(e) => {
                // Dropping a runtime inside an async test would panic.
                runtime.shutdown_background();
                return Err(e.into());
            }
        };
        let thread = std::thread::Builder::new()
            .name("test-apiserver".into())
            .spawn(move || {
                let served = runtime.block_on(server.serve(http::router(app).into_make_service()));
                if let Err(e) = served {
                    tracing::error!("test API server stopped: {e}");
                }
            })?;
        Ok(TestApiServer {
            store,
            addr,
            dir,
            kubeconfig,
            ca_pem: tls.ca_pem,
            token: admin_token,
            handle,
            thread: Some(thread),
            requests,
            admission,
        })
    }
}

/// The kubeconfig: the current context `test-apiserver` with a bearer token and the
/// chosen namespace, plus the extra contexts asked for.
fn kubeconfig_yaml(
    addr: SocketAddr,
    ca_pem: &str,
    namespace: &str,
    contexts: &[ContextSpec],
    users: &[User],
) -> String {
    use base64::Engine;
    let ca_data = base64::engine::general_purpose::STANDARD.encode(ca_pem.as_bytes());
    let main = ContextSpec {
        name: MAIN_CONTEXT.into(),
        namespace: namespace.into(),
        user: ADMIN.into(),
        unreachable: false,
    };
    let mut clusters = vec![json!({"name": MAIN_CONTEXT, "cluster": {
        "server": format!("https://{addr}"), "certificate-authority-data": ca_data}})];
    let mut context_entries = Vec::new();
    for context in std::iter::once(&main).chain(contexts) {
        let cluster = if context.unreachable {
            // A port that was free a moment ago: nothing listens there.
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map_or(1, |a| a.port());
            clusters.push(json!({"name": context.name, "cluster": {
                "server": format!("https://127.0.0.1:{port}"), "certificate-authority-data": ca_data}}));
            context.name.as_str()
        } else {
            MAIN_CONTEXT
        };
        context_entries.push(json!({"name": context.name, "context": {
            "cluster": cluster, "user": context.user, "namespace": context.namespace}}));
    }
    let users: Vec<Value> = users
        .iter()
        .map(|u| json!({"name": u.name, "user": {"token": u.token}}))
        .collect();
    let config = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": clusters,
        "users": users,
        "contexts": context_entries,
        "current-context": MAIN_CONTEXT,
    });
    serde_saphyr::to_string(&config).unwrap_or_else(|_| config.to_string())
}

/// A running test API server. Stops when dropped.
#[derive(Debug)]
pub struct TestApiServer {
    store: Arc<Store>,
    addr: SocketAddr,
    dir: PathBuf,
    kubeconfig: PathBuf,
    ca_pem: String,
    token: String,
    handle: axum_server::Handle<SocketAddr>,
    thread: Option<JoinHandle<()>>,
    requests: Arc<std::sync::Mutex<Vec<String>>>,
    admission: Arc<admission::Admission>,
}

impl TestApiServer {
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// The objects, to seed, change and inspect while the server runs.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The kubeconfig file written for this server.
    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }

    /// Every request served so far, as `METHOD /path?query`, in arrival order: to
    /// check how a client talks to the API (e.g. one list call per kind).
    pub fn requests(&self) -> Vec<String> {
        self.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Forgets the requests served so far.
    pub fn clear_requests(&self) {
        self.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Every webhook call the admission chain made so far, as
    /// `WEBHOOK OPERATION KIND NAMESPACE/NAME`: to check what reached a webhook.
    pub fn webhook_calls(&self) -> Vec<String> {
        self.admission.calls()
    }

    /// Maps the Service `service` (`NAMESPACE/NAME:PORT`) to `addr` while the server
    /// runs, as [`Builder::service`] does at start; `None` removes the mapping (the
    /// Service has no endpoints, as when every webhook pod is down).
    pub fn map_service(&self, service: &str, addr: Option<SocketAddr>) {
        self.admission.map_service(service, addr);
    }

    /// Forgets the webhook calls made so far.
    pub fn clear_webhook_calls(&self) {
        self.admission.clear_calls();
    }

    /// `https://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The CA certificate clients must trust.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The bearer token of the kubeconfig's main user.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// `kubectl` (from `PATH`) with `KUBECONFIG` set to this server's and its own
    /// discovery cache directory.
    pub fn kubectl(&self) -> Command {
        let mut command = Command::new("kubectl");
        command
            .env("KUBECONFIG", &self.kubeconfig)
            .env("KUBECACHEDIR", self.dir.join("cache"));
        command
    }
}

impl Drop for TestApiServer {
    fn drop(&mut self) {
        self.handle.shutdown();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
