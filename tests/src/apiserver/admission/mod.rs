//! The admission chain of the test API server, built as kube-apiserver's
//! `MutatingAdmissionWebhook` and `ValidatingAdmissionWebhook` plugins behave, so
//! that `kubectl apply` against this server meets the project's webhook exactly as
//! it would in a cluster.
//!
//! Per write (create, update, patch, server-side apply, delete):
//! 1. the `MutatingWebhookConfiguration`s in the store, by name, each webhook in
//!    order, are matched ([`matching`], then [`conditions`]) and called with the
//!    object as mutated so far; a `JSONPatch` answer is applied; a webhook with
//!    `reinvocationPolicy: IfNeeded` is called once more when a later webhook
//!    changed the object after it;
//! 2. the `ValidatingWebhookConfiguration`s are matched and called (concurrently,
//!    as kube-apiserver does) with the final object;
//! 3. a refusal ends the request with the webhook's `Status` (403 by default,
//!    message `admission webhook "NAME" denied the request: MESSAGE`); a call that
//!    fails (refused connection, timeout, bad TLS, a response that is not a valid
//!    review) ends it with `500 InternalError` under `failurePolicy: Fail` and is
//!    skipped under `Ignore`; a dry-run request to a webhook whose `sideEffects` is
//!    not `None`/`NoneOnDryRun` is refused with 400; warnings of every called webhook
//!    go into `Warning` headers ([`warnings`]).
//!
//! Requests for the webhook configuration kinds themselves never go through
//! webhooks, as in kube-apiserver.

pub mod call;
pub mod conditions;
pub mod matching;
pub mod warnings;

use super::resources::ResourceType;
use super::status::Status;
use super::store::Store;
use base64::Engine;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
pub use warnings::Warnings;

/// The operation a request is admitted as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Create,
    Update,
    Delete,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "CREATE",
            Operation::Update => "UPDATE",
            Operation::Delete => "DELETE",
        }
    }
}

/// What kube-apiserver's `admission.Attributes` hold for one request.
#[derive(Debug, Clone)]
pub struct Attributes {
    pub res: &'static ResourceType,
    pub subresource: String,
    pub operation: Operation,
    pub namespace: String,
    pub name: String,
    /// Null on DELETE.
    pub object: Value,
    /// Null on CREATE.
    pub old_object: Value,
    pub dry_run: bool,
    /// `CreateOptions`, `UpdateOptions`, `PatchOptions` or `DeleteOptions`.
    pub options: Value,
    pub username: String,
}

/// The admission set-up of one server: where the Services named by webhook
/// configurations are reached.
#[derive(Debug, Default)]
pub struct Admission {
    /// `NAMESPACE/NAME:PORT` of a Service to a local address; changed while the
    /// server runs (a webhook started after it, a webhook gone).
    services: std::sync::RwLock<HashMap<String, SocketAddr>>,
    uids: AtomicU64,
    random: RandomState,
    /// Every webhook call made, as `NAME OPERATION KIND NAMESPACE/NAME`, for tests
    /// that check what reached a webhook and what did not.
    pub calls: std::sync::Mutex<Vec<String>>,
}

/// One webhook of one configuration.
#[derive(Debug, Clone)]
struct Hook {
    name: String,
    webhook: Value,
}

impl Hook {
    fn fails_closed(&self) -> bool {
        self.webhook["failurePolicy"].as_str() != Some("Ignore")
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(
            self.webhook["timeoutSeconds"]
                .as_u64()
                .unwrap_or(10)
                .clamp(1, 30),
        )
    }

    fn reinvoke_if_needed(&self) -> bool {
        self.webhook["reinvocationPolicy"].as_str() == Some("IfNeeded")
    }
}

/// A call that did not give an answer the chain can use.
enum Failure {
    /// Subject to the failure policy: `failed calling webhook "NAME": REASON`.
    Calling(String),
    /// Ends the request whatever the policy.
    Final(Status),
}

const ADMISSIONREGISTRATION: &str = "admissionregistration.k8s.io";

fn resource_json(res: &ResourceType) -> Value {
    json!({"group": res.group, "version": res.version, "resource": res.plural})
}

impl Admission {
    pub fn new(services: HashMap<String, SocketAddr>) -> Self {
        Admission {
            services: std::sync::RwLock::new(services),
            ..Default::default()
        }
    }

    /// Maps (or with `None` unmaps) a Service to a local address.
    pub fn map_service(&self, service: &str, addr: Option<SocketAddr>) {
        let mut services = self.services.write().unwrap_or_else(|e| e.into_inner());
        match addr {
            Some(addr) => services.insert(service.to_string(), addr),
            None => services.remove(service),
        };
    }

    /// Whether the store holds any webhook configuration: without one, writes take
    /// the plain path.
    pub fn active(store: &Store) -> bool {
        [
            "MutatingWebhookConfiguration",
            "ValidatingWebhookConfiguration",
        ]
        .iter()
        .any(|kind| {
            !store
                .list("admissionregistration.k8s.io/v1", kind, None)
                .is_empty()
        })
    }

    fn hooks(store: &Store, kind: &str) -> Vec<Hook> {
        let mut out = Vec::new();
        for configuration in store.list("admissionregistration.k8s.io/v1", kind, None) {
            for webhook in configuration["webhooks"].as_array().into_iter().flatten() {
                out.push(Hook {
                    name: webhook["name"].as_str().unwrap_or("").to_string(),
                    webhook: webhook.clone(),
                });
            }
        }
        out
    }

    fn uid(&self) -> String {
        let n = self.uids.fetch_add(1, Ordering::Relaxed);
        let r = self.random.hash_one(n);
        let s = self.random.hash_one(!n);
        format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            r >> 32,
            (r >> 16) & 0xffff,
            r & 0xfff,
            s & 0xfff,
            (s >> 16) & 0xffff_ffff_ffff
        )
    }

    /// The AdmissionRequest kube-apiserver sends (without `uid`, which each call
    /// gets afresh).
    fn request(attrs: &Attributes) -> Value {
        let res = attrs.res;
        let kind = if attrs.subresource == "scale" {
            json!({"group": "autoscaling", "version": "v1", "kind": "Scale"})
        } else {
            json!({"group": res.group, "version": res.version, "kind": res.kind})
        };
        let mut request = json!({
            "kind": kind,
            "resource": resource_json(res),
            "requestKind": kind,
            "requestResource": resource_json(res),
            "operation": attrs.operation.as_str(),
            "userInfo": {"username": attrs.username, "groups": ["system:masters", "system:authenticated"]},
            "object": attrs.object,
            "oldObject": attrs.old_object,
            "dryRun": attrs.dry_run,
            "options": attrs.options,
        });
        let fields = [
            ("subResource", &attrs.subresource),
            ("requestSubResource", &attrs.subresource),
            ("name", &attrs.name),
            ("namespace", &attrs.namespace),
        ];
        for (field, value) in fields {
            if !value.is_empty() {
                request[field] = value.as_str().into();
            }
        }
        request
    }

    /// `ShouldCallHook` and the match conditions: `Ok(true)` to call.
    fn should_call(&self, store: &Store, hook: &Hook, attrs: &Attributes) -> Result<bool, Status> {
        let res = attrs.res;
        let shape = matching::RequestShape {
            operation: attrs.operation.as_str(),
            group: res.group,
            version: res.version,
            resource: res.plural,
            subresource: &attrs.subresource,
            namespaced: res.namespaced,
        };
        if !matching::rules_match(&hook.webhook, &shape) {
            return Ok(false);
        }
        let namespace_selector = &hook.webhook["namespaceSelector"];
        let namespace_ok = if res.namespaced {
            let ns = store.get("v1", "Namespace", "", &attrs.namespace);
            matching::selector_matches(
                namespace_selector,
                &matching::namespace_labels(ns.as_ref(), &attrs.namespace),
            )
        } else if res.kind == "Namespace" {
            let own = if attrs.object.is_null() {
                &attrs.old_object
            } else {
                &attrs.object
            };
            matching::selector_matches(
                namespace_selector,
                &matching::namespace_labels(Some(own), &attrs.name),
            )
        } else {
            true
        };
        if !namespace_ok
            || !matching::object_selector_matches(
                &hook.webhook["objectSelector"],
                &attrs.object,
                &attrs.old_object,
            )
        {
            return Ok(false);
        }
        // `request` as kube-apiserver's CreateAdmissionRequest makes it: the objects
        // are their own variables.
        let mut request = Self::request(attrs);
        if let Some(map) = request.as_object_mut() {
            map.remove("object");
            map.remove("oldObject");
        }
        let bindings = conditions::Bindings {
            object: &attrs.object,
            old_object: &attrs.old_object,
            request: &request,
        };
        match conditions::evaluate(&hook.webhook["matchConditions"], &bindings) {
            conditions::Outcome::Call => Ok(true),
            conditions::Outcome::Skip => Ok(false),
            conditions::Outcome::Error(_) if !hook.fails_closed() => Ok(false),
            // As kube-apiserver: Forbidden with the evaluation error, the webhook unnamed.
            conditions::Outcome::Error(e) => Err(Status::forbidden_because(res, &attrs.name, &e)),
        }
    }

    /// Calls one webhook; `Ok(response)` is a verified `AdmissionResponse`.
    async fn call(
        &self,
        hook: &Hook,
        attrs: &Attributes,
        warnings: &Warnings,
    ) -> Result<Value, Failure> {
        let side_effects = hook.webhook["sideEffects"].as_str().unwrap_or("Unknown");
        if attrs.dry_run && !matches!(side_effects, "None" | "NoneOnDryRun") {
            return Err(Failure::Final(Status::bad_request(format!(
                "admission webhook {:?} does not support dry run",
                hook.name
            ))));
        }
        self.calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(format!(
                "{} {} {} {}/{}",
                hook.name,
                attrs.operation.as_str(),
                attrs.res.kind,
                attrs.namespace,
                attrs.name
            ));
        let timeout = hook.timeout();
        let services = self
            .services
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let endpoint = call::endpoint(&hook.webhook["clientConfig"], timeout, &services)
            .map_err(Failure::Calling)?;
        let uid = self.uid();
        let mut request = Self::request(attrs);
        request["uid"] = uid.clone().into();
        let review = json!({"kind": "AdmissionReview", "apiVersion": "admission.k8s.io/v1", "request": request});
        let answer = call::post(
            &endpoint,
            &hook.webhook["clientConfig"]["caBundle"],
            &review,
            timeout,
        )
        .await
        .map_err(|e| {
            Failure::Calling(match e {
                call::CallError::Transport(m) | call::CallError::Response(m) => {
                    format!("failed to call webhook: {m}")
                }
            })
        })?;
        let invalid =
            |m: String| Failure::Calling(format!("received invalid webhook response: {m}"));
        if answer["apiVersion"] != "admission.k8s.io/v1" || answer["kind"] != "AdmissionReview" {
            return Err(invalid(format!(
                "expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got {}, Kind={}",
                answer["apiVersion"].as_str().unwrap_or(""),
                answer["kind"].as_str().unwrap_or("")
            )));
        }
        let response = &answer["response"];
        if !response.is_object() {
            return Err(invalid("webhook response was absent".into()));
        }
        let got = response["uid"].as_str().unwrap_or("");
        if got != uid {
            return Err(invalid(format!(
                "expected response.uid={uid:?}, got {got:?}"
            )));
        }
        if !response["patch"].is_null() {
            match response["patchType"].as_str() {
                Some("JSONPatch") => {}
                None => {
                    return Err(invalid(
                        "webhook returned response.patch but not response.patchType".into(),
                    ));
                }
                Some(other) => {
                    return Err(invalid(format!(
                        "webhook returned invalid response.patchType of {other:?}"
                    )));
                }
            }
        }
        for w in response["warnings"].as_array().into_iter().flatten() {
            if let Some(text) = w.as_str() {
                warnings.add(text);
            }
        }
        if response["allowed"] != true {
            return Err(Failure::Final(Status::webhook_denied(
                &hook.name,
                &response["status"],
            )));
        }
        Ok(response.clone())
    }

    /// A failure turned into the request's end, or `None` when the policy ignores it.
    fn decide(hook: &Hook, failure: Failure) -> Option<Status> {
        match failure {
            Failure::Final(status) => Some(status),
            Failure::Calling(reason) if hook.fails_closed() => Some(Status::internal_error(
                format!("failed calling webhook {:?}: {reason}", hook.name),
            )),
            Failure::Calling(reason) => {
                tracing::warn!(webhook = %hook.name, %reason, "failed calling webhook, failing open");
                None
            }
        }
    }

    /// Applies a mutating webhook's patch to `attrs.object`; true when it changed it.
    fn apply_patch(hook: &Hook, response: &Value, attrs: &mut Attributes) -> Result<bool, Status> {
        let Some(encoded) = response["patch"].as_str() else {
            return Ok(false);
        };
        if attrs.operation == Operation::Delete {
            return Ok(false);
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|e| {
                Status::internal_error(format!("webhook {:?}: patch is not base64: {e}", hook.name))
            })?;
        let patch: json_patch::Patch = serde_json::from_slice(&bytes)
            .map_err(|e| Status::internal_error(format!("webhook {:?}: {e}", hook.name)))?;
        let mut patched = attrs.object.clone();
        json_patch::patch(&mut patched, &patch)
            .map_err(|e| Status::internal_error(format!("webhook {:?}: {e}", hook.name)))?;
        let changed = patched != attrs.object;
        attrs.object = patched;
        Ok(changed)
    }

    /// The mutating phase: returns the object as the webhooks left it.
    pub async fn mutate(
        &self,
        store: &Store,
        mut attrs: Attributes,
        warnings: &Warnings,
    ) -> Result<Value, Status> {
        if attrs.res.group == ADMISSIONREGISTRATION {
            return Ok(attrs.object);
        }
        let hooks = Self::hooks(store, "MutatingWebhookConfiguration");
        // The object each IfNeeded webhook saw last.
        let mut seen: Vec<(usize, Value)> = Vec::new();
        let mut changed_any = false;
        for (i, hook) in hooks.iter().enumerate() {
            if !self.should_call(store, hook, &attrs)? {
                continue;
            }
            match self.call(hook, &attrs, warnings).await {
                Ok(response) => changed_any |= Self::apply_patch(hook, &response, &mut attrs)?,
                Err(failure) => {
                    if let Some(status) = Self::decide(hook, failure) {
                        return Err(status);
                    }
                }
            }
            if hook.reinvoke_if_needed() {
                seen.push((i, attrs.object.clone()));
            }
        }
        if changed_any {
            for (i, object) in seen {
                let hook = &hooks[i];
                if object == attrs.object || !self.should_call(store, hook, &attrs)? {
                    continue;
                }
                match self.call(hook, &attrs, warnings).await {
                    Ok(response) => {
                        Self::apply_patch(hook, &response, &mut attrs)?;
                    }
                    Err(failure) => {
                        if let Some(status) = Self::decide(hook, failure) {
                            return Err(status);
                        }
                    }
                }
            }
        }
        Ok(attrs.object)
    }

    /// The validating phase: every matching webhook, concurrently; the first
    /// refusal in configuration order ends the request.
    pub async fn validate(
        &self,
        store: &Store,
        attrs: &Attributes,
        warnings: &Warnings,
    ) -> Result<(), Status> {
        if attrs.res.group == ADMISSIONREGISTRATION {
            return Ok(());
        }
        let mut called = Vec::new();
        for hook in Self::hooks(store, "ValidatingWebhookConfiguration") {
            if self.should_call(store, &hook, attrs)? {
                called.push(hook);
            }
        }
        let results = futures_util::future::join_all(called.iter().map(|hook| {
            let own = Warnings::default();
            async move {
                let result = self.call(hook, attrs, &own).await;
                (result, own)
            }
        }))
        .await;
        let mut first = None;
        for (hook, (result, own)) in called.iter().zip(results) {
            for w in own.texts() {
                warnings.add(&w);
            }
            if let Err(failure) = result
                && let Some(status) = Self::decide(hook, failure)
                && first.is_none()
            {
                first = Some(status);
            }
        }
        first.map_or(Ok(()), Err)
    }

    /// The webhook calls made so far.
    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Forgets the calls made so far.
    pub fn clear_calls(&self) {
        self.calls.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

/// The options object of a request, from its query.
pub fn options(kind: &str, query: &HashMap<String, String>, dry_run: bool) -> Value {
    let mut options = json!({"kind": kind, "apiVersion": "meta.k8s.io/v1"});
    for field in ["fieldManager", "fieldValidation"] {
        if let Some(v) = query.get(field).filter(|v| !v.is_empty()) {
            options[field] = v.as_str().into();
        }
    }
    if kind == "PatchOptions" && query.get("force").is_some_and(|v| v == "true") {
        options["force"] = true.into();
    }
    if dry_run {
        options["dryRun"] = json!(["All"]);
    }
    options
}

/// Shared between the HTTP handlers.
pub type Shared = Arc<Admission>;
