//! The HTTP side: authentication by bearer token, the URL layout of the Kubernetes
//! API (`/api/v1/...`, `/apis/<group>/<version>/[namespaces/<ns>/]<plural>[/<name>[/<sub>]]`),
//! and one function per verb. Every failure is a `Status` object, never a panic.

use super::admission::{self, Admission, Attributes, Operation, Warnings};
use super::discovery;
use super::patch::{self, PatchType};
use super::render::{self, Representation};
use super::resources::{self, ResourceType, Served};
use super::selector::{FieldSelector, LabelSelector};
use super::status::Status;
use super::store::{Store, WriteOptions};
use super::watch::{self, WatchRequest};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// A client identity: the bearer token in the kubeconfig, and the requests RBAC
/// would deny it.
#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    pub token: String,
    pub forbidden: Vec<Rule>,
}

/// A denied request: `verb` (`get`, `list`, `watch`, `create`, `update`, `patch`,
/// `delete`, `deletecollection` or `*`) on `resource` (a plural, or `*`).
#[derive(Debug, Clone)]
pub struct Rule {
    pub verb: String,
    pub resource: String,
}

impl User {
    fn authorize(
        &self,
        verb: &str,
        res: &ResourceType,
        namespace: Option<&str>,
    ) -> Result<(), Status> {
        let denied = self.forbidden.iter().any(|rule| {
            (rule.verb == "*" || rule.verb == verb)
                && (rule.resource == "*" || rule.resource == res.plural)
        });
        if denied {
            return Err(Status::forbidden(res, &self.name, verb, namespace));
        }
        Ok(())
    }
}

/// What the handlers share.
#[derive(Debug, Clone)]
pub struct App {
    pub store: Arc<Store>,
    pub users: Arc<Vec<User>>,
    pub server_address: String,
    pub bookmark_interval: Duration,
    pub served: Arc<Served>,
    /// Every request's method and URI (path and query), in arrival order.
    pub requests: Arc<std::sync::Mutex<Vec<String>>>,
    /// The webhook calls of writes.
    pub admission: Arc<Admission>,
}

pub fn router(app: App) -> Router {
    Router::new().fallback(handle).with_state(app)
}

async fn handle(
    State(app): State<App>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    app.requests
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(format!("{method} {uri}"));
    let warnings = Warnings::default();
    let mut response = serve(&app, &method, &uri, &headers, body, &warnings)
        .await
        .unwrap_or_else(IntoResponse::into_response);
    // Webhook warnings go with success and failure alike, as kube-apiserver's
    // warning recorder writes them before the body.
    for value in warnings.headers() {
        response.headers_mut().append(header::WARNING, value);
    }
    tracing::debug!(%method, %uri, status = response.status().as_u16(), "test apiserver");
    response
}

fn json_response(code: StatusCode, body: String, content_type: &'static str) -> Response {
    let mut response = (code, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn ok(value: &Value) -> Response {
    json_response(StatusCode::OK, value.to_string(), "application/json")
}

/// Which object or collection a URL names.
struct Target {
    res: &'static ResourceType,
    namespace: Option<String>,
    name: Option<String>,
    subresource: Option<String>,
}

enum Route {
    Document(Value),
    Resource(Target),
}

fn route(served: &Served, path: &str) -> Result<Route, Status> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let no_route = || Status::no_route(path);
    let (group, version, rest) = match segments.as_slice() {
        ["apis", group] => {
            return discovery::group(served, group)
                .map(Route::Document)
                .ok_or_else(no_route);
        }
        ["api", version, rest @ ..] => ("", *version, rest),
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return Err(no_route()),
    };
    if rest.is_empty() {
        return discovery::resource_list(served, group, version)
            .map(Route::Document)
            .ok_or_else(no_route);
    }
    let (namespace, rest) = match rest {
        ["namespaces", ns, plural, ..]
            if served
                .by_plural(group, version, plural)
                .is_some_and(|r| r.namespaced) =>
        {
            (Some(ns.to_string()), &rest[2..])
        }
        _ => (None, rest),
    };
    let res = served
        .by_plural(group, version, rest[0])
        .ok_or_else(no_route)?;
    let (name, subresource) = match &rest[1..] {
        [] => (None, None),
        [name] => (Some(name.to_string()), None),
        [name, sub] => (Some(name.to_string()), Some(sub.to_string())),
        _ => return Err(no_route()),
    };
    let sub_ok = match subresource.as_deref() {
        None => true,
        Some("status") => res.status,
        Some("scale") => res.scale.is_some(),
        Some(_) => false,
    };
    // A namespaced kind's objects are only reachable inside a namespace; its
    // collection also across all namespaces.
    let scope_ok = res.namespaced == namespace.is_some() || (res.namespaced && name.is_none());
    if !sub_ok || !scope_ok || name.as_deref() == Some("") {
        return Err(no_route());
    }
    Ok(Route::Resource(Target {
        res,
        namespace,
        name,
        subresource,
    }))
}

fn authenticate<'a>(app: &'a App, headers: &HeaderMap) -> Result<&'a User, Status> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(Status::unauthorized)?;
    app.users
        .iter()
        .find(|u| u.token == token.trim())
        .ok_or_else(Status::unauthorized)
}

async fn serve(
    app: &App,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Bytes,
    warnings: &Warnings,
) -> Result<Response, Status> {
    let path = uri.path();
    if matches!(path, "/version" | "/healthz" | "/livez" | "/readyz") {
        return Ok(match path {
            "/version" => ok(&discovery::version()),
            _ => (StatusCode::OK, "ok").into_response(),
        });
    }
    let user = authenticate(app, headers)?;
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let aggregated = |core: bool| {
        json_response(
            StatusCode::OK,
            discovery::aggregated(&app.served, core).to_string(),
            discovery::AGGREGATED_CONTENT_TYPE,
        )
    };
    match path.trim_end_matches('/') {
        "/api" if discovery::wants_aggregated(accept) => return Ok(aggregated(true)),
        "/apis" if discovery::wants_aggregated(accept) => return Ok(aggregated(false)),
        "/api" => return Ok(ok(&discovery::core_versions(&app.server_address))),
        "/apis" => return Ok(ok(&discovery::group_list(&app.served))),
        "/openapi/v3" => return Ok(ok(&discovery::openapi_root(&app.served))),
        p if p.starts_with("/openapi/v3/") => {
            return discovery::openapi_group_version(&app.served, &p["/openapi/v3/".len()..])
                .map(|doc| ok(&doc))
                .ok_or_else(|| Status::no_route(path));
        }
        _ => {}
    }
    let target = match route(&app.served, path)? {
        Route::Document(doc) => return Ok(ok(&doc)),
        Route::Resource(target) => target,
    };
    let query: HashMap<String, String> =
        form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let request = Request {
        app,
        target,
        rep: render::negotiate(accept, query.get("includeObject").map(String::as_str)),
        opts: WriteOptions {
            dry_run: query.get("dryRun").is_some_and(|v| v == "All"),
            from_client: true,
            keep_identity: false,
        },
        query,
        headers,
        body,
        user,
        warnings,
    };
    let watching = request.flag("watch");
    let verb = match (method, request.target.name.is_some()) {
        (&Method::GET, _) if watching => "watch",
        (&Method::GET, false) => "list",
        (&Method::GET, true) => "get",
        (&Method::POST, false) => "create",
        (&Method::PUT, true) => "update",
        (&Method::PATCH, true) => "patch",
        (&Method::DELETE, true) => "delete",
        (&Method::DELETE, false) => "deletecollection",
        _ => return Err(Status::method_not_allowed()),
    };
    user.authorize(
        verb,
        request.target.res,
        request.target.namespace.as_deref(),
    )?;
    match verb {
        "watch" => request.watch(),
        "list" => request.list(),
        "get" => request.get(),
        "create" => request.create().await,
        "update" => request.update().await,
        "patch" => request.patch().await,
        "delete" => request.delete().await,
        _ => request.delete_collection().await,
    }
}

struct Request<'a> {
    app: &'a App,
    target: Target,
    rep: Representation,
    opts: WriteOptions,
    query: HashMap<String, String>,
    headers: &'a HeaderMap,
    body: Bytes,
    user: &'a User,
    warnings: &'a Warnings,
}

/// Reads a JSON or YAML body (YAML for `application/yaml` and server-side apply).
fn parse_body(body: &[u8], yaml: bool) -> Result<Value, Status> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Status::bad_request("the request body is empty"));
    }
    let json = serde_json::from_slice::<Value>(body);
    match json {
        Ok(value) => Ok(value),
        Err(_) if yaml => {
            let text = std::str::from_utf8(body).map_err(|e| Status::bad_request(e.to_string()))?;
            serde_saphyr::from_str::<Value>(text)
                .map_err(|e| Status::bad_request(format!("error decoding YAML: {e}")))
        }
        Err(e) => Err(Status::bad_request(format!(
            "couldn't get version/kind; json parse error: {e}"
        ))),
    }
}

/// Sets the value at a JSON pointer, making the objects on the way.
fn set_pointer(obj: &mut Value, pointer: &str, value: Value) {
    let mut slot = obj;
    for token in pointer.split('/').skip(1) {
        if !slot.is_object() {
            *slot = json!({});
        }
        slot = &mut slot[token];
    }
    *slot = value;
}

impl Request<'_> {
    fn flag(&self, name: &str) -> bool {
        self.query
            .get(name)
            .is_some_and(|v| v == "true" || v == "1")
    }

    fn param(&self, name: &str) -> Option<&str> {
        self.query
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    fn res(&self) -> &'static ResourceType {
        self.target.res
    }

    fn namespace(&self) -> &str {
        self.target.namespace.as_deref().unwrap_or("")
    }

    fn name(&self) -> &str {
        self.target.name.as_deref().unwrap_or("")
    }

    fn store(&self) -> &Store {
        &self.app.store
    }

    fn selectors(&self) -> Result<(LabelSelector, FieldSelector), Status> {
        let labels = LabelSelector::parse(self.param("labelSelector").unwrap_or(""))
            .map_err(Status::bad_request)?;
        let fields = FieldSelector::parse(self.param("fieldSelector").unwrap_or(""))
            .map_err(Status::bad_request)?;
        Ok((labels, fields))
    }

    fn body_json(&self) -> Result<Value, Status> {
        let content_type = self
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/json");
        if content_type.contains("protobuf") || content_type.contains("cbor") {
            return Err(Status::unsupported_media_type(
                content_type,
                "application/json, application/yaml",
            ));
        }
        parse_body(&self.body, content_type.contains("yaml"))
    }

    fn respond(&self, code: StatusCode, obj: &Value) -> Result<Response, Status> {
        let body = render::object(self.res(), obj, self.rep).to_string();
        Ok(json_response(code, body, "application/json"))
    }

    fn list(&self) -> Result<Response, Status> {
        let (labels, fields) = self.selectors()?;
        let limit = match self.param("limit") {
            Some(l) => Some(
                l.parse::<usize>()
                    .map_err(|_| Status::bad_request(format!("invalid limit: {l:?}")))?,
            ),
            None => None,
        };
        let page = self.store().list_at(
            self.res(),
            self.target.namespace.as_deref(),
            &|o| labels.matches(o) && fields.matches(o),
            limit,
            self.param("continue"),
        )?;
        Ok(json_response(
            StatusCode::OK,
            render::list(self.res(), &page, self.rep),
            "application/json",
        ))
    }

    fn watch(&self) -> Result<Response, Status> {
        let (labels, mut fields) = self.selectors()?;
        if let Some(name) = &self.target.name {
            // The deprecated watch of one object by URL is a watch of its name.
            fields = FieldSelector::parse(&format!("metadata.name={name}"))
                .map_err(Status::bad_request)?;
        }
        let timeout = match self.param("timeoutSeconds") {
            Some(t) => Some(Duration::from_secs(t.parse().map_err(|_| {
                Status::bad_request(format!("invalid timeoutSeconds: {t:?}"))
            })?)),
            None => None,
        };
        let request = WatchRequest {
            resource: self.res(),
            namespace: self.target.namespace.clone(),
            labels,
            fields,
            start: WatchRequest::start(
                self.param("resourceVersion"),
                self.flag("sendInitialEvents"),
            )?,
            bookmarks: self.flag("allowWatchBookmarks"),
            bookmark_interval: self.app.bookmark_interval,
            timeout,
            representation: self.rep,
        };
        let body = watch::stream(self.app.store.clone(), request);
        let mut response = Response::new(body);
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        Ok(response)
    }

    fn get(&self) -> Result<Response, Status> {
        let obj = self
            .store()
            .get_at(self.res(), self.namespace(), self.name())
            .ok_or_else(|| Status::not_found(self.res(), self.name()))?;
        match (&self.res().scale, self.target.subresource.as_deref()) {
            (Some(paths), Some("scale")) => Ok(ok(&resources::scale_of(self.res(), paths, &obj))),
            _ => self.respond(StatusCode::OK, &obj),
        }
    }

    /// Whether writes go through the admission chain: once a webhook
    /// configuration is stored.
    fn admitting(&self) -> bool {
        Admission::active(&self.app.store)
    }

    fn attributes(
        &self,
        operation: Operation,
        name: &str,
        object: Value,
        old_object: Value,
        options_kind: &str,
    ) -> Attributes {
        Attributes {
            res: self.res(),
            subresource: self.target.subresource.clone().unwrap_or_default(),
            operation,
            namespace: if self.res().namespaced {
                self.namespace().to_string()
            } else {
                String::new()
            },
            name: name.to_string(),
            object,
            old_object,
            dry_run: self.opts.dry_run,
            options: admission::options(options_kind, &self.query, self.opts.dry_run),
            username: self.user.name.clone(),
        }
    }

    async fn create(&self) -> Result<Response, Status> {
        let mut obj = self.body_json()?;
        let namespace = self.target.namespace.as_deref();
        if !self.admitting() {
            let created = self
                .store()
                .create_at(self.res(), namespace, obj, self.opts)?;
            return self.respond(StatusCode::CREATED, &created);
        }
        let Some(map) = obj.as_object_mut() else {
            return Err(Status::bad_request("the body must be a JSON object"));
        };
        // The handler puts the URL's namespace on the object before admission.
        if let (true, Some(ns)) = (self.res().namespaced, namespace) {
            let meta = map.entry("metadata").or_insert_with(|| json!({}));
            if let Some(meta) = meta.as_object_mut() {
                meta.entry("namespace").or_insert_with(|| ns.into());
            }
        }
        let name = obj["metadata"]["name"].as_str().unwrap_or("").to_string();
        let attrs = self.attributes(Operation::Create, &name, obj, Value::Null, "CreateOptions");
        let obj = self
            .app
            .admission
            .mutate(self.store(), attrs.clone(), self.warnings)
            .await?;
        // Validating webhooks see the object as it would be stored (uid, generated
        // name, timestamps), as kube-apiserver calls them from inside the registry.
        let dry = WriteOptions {
            dry_run: true,
            ..self.opts
        };
        let prepared = match self
            .store()
            .create_at(self.res(), namespace, obj.clone(), dry)
        {
            Ok(prepared) => prepared,
            Err(exists) if exists.reason == "AlreadyExists" => {
                // kube-apiserver meets the conflict in storage, after validation.
                let mut attrs = attrs;
                attrs.object = obj;
                self.app
                    .admission
                    .validate(self.store(), &attrs, self.warnings)
                    .await?;
                return Err(exists);
            }
            Err(e) => return Err(e),
        };
        let mut attrs = attrs;
        attrs.name = prepared["metadata"]["name"]
            .as_str()
            .unwrap_or("")
            .to_string();
        attrs.object = prepared.as_ref().clone();
        self.app
            .admission
            .validate(self.store(), &attrs, self.warnings)
            .await?;
        if self.opts.dry_run {
            return self.respond(StatusCode::CREATED, &prepared);
        }
        // What the webhooks saw is what is stored, uid and timestamp included.
        let keep = WriteOptions {
            keep_identity: true,
            ..self.opts
        };
        let created = self
            .store()
            .create_at(self.res(), namespace, attrs.object, keep)?;
        self.respond(StatusCode::CREATED, &created)
    }

    /// A read-modify-write through the admission chain: `compute` makes the
    /// desired object from the stored one (or from none: server-side apply
    /// creating), the webhooks judge it, and it is committed only if the stored
    /// object did not change meanwhile (else all again, as kube-apiserver's
    /// `GuaranteedUpdate` retries). Without webhook configurations, one locked step.
    async fn admitted_write(
        &self,
        compute: &(dyn Fn(Option<&Value>) -> Result<Value, Status> + Sync),
        options_kind: &str,
    ) -> Result<(Arc<Value>, bool), Status> {
        let (res, namespace, name) = (self.res(), self.namespace(), self.name());
        if !self.admitting() {
            return self
                .store()
                .update_at(res, namespace, name, self.opts, compute);
        }
        let dry = WriteOptions {
            dry_run: true,
            ..self.opts
        };
        let scale = match (&res.scale, self.target.subresource.as_deref()) {
            (Some(paths), Some("scale")) => Some(paths),
            _ => None,
        };
        let mut attempts = 0;
        loop {
            attempts += 1;
            let mut seen: Option<Value> = None;
            let (prepared, created) =
                self.store()
                    .update_at(res, namespace, name, dry, |current| {
                        seen = current.cloned();
                        compute(current)
                    })?;
            let old = seen.clone().unwrap_or(Value::Null);
            let (operation, kind) = if created {
                (Operation::Create, "CreateOptions")
            } else {
                (Operation::Update, options_kind)
            };
            // A write to `/scale` is admitted as the Scale it is.
            let (object, old_object) = match scale {
                Some(paths) => (
                    resources::scale_of(res, paths, &prepared),
                    resources::scale_of(res, paths, &old),
                ),
                None => (prepared.as_ref().clone(), old.clone()),
            };
            let attrs = self.attributes(operation, name, object, old_object, kind);
            let mutated = self
                .app
                .admission
                .mutate(self.store(), attrs.clone(), self.warnings)
                .await?;
            let desired = match scale {
                Some(paths) => {
                    let mut obj = prepared.as_ref().clone();
                    set_pointer(
                        &mut obj,
                        paths.spec_replicas,
                        mutated["spec"]["replicas"].clone(),
                    );
                    obj
                }
                None => mutated.clone(),
            };
            let mut attrs = attrs;
            attrs.object = mutated;
            self.app
                .admission
                .validate(self.store(), &attrs, self.warnings)
                .await?;
            if self.opts.dry_run {
                return Ok((Arc::new(desired), created));
            }
            let mut raced = false;
            let committed = if created {
                self.store()
                    .create_at(res, Some(namespace), desired, self.opts)
                    .map(|o| (o, true))
                    .inspect_err(|e| raced = e.code == 409)
            } else {
                let expected = old["metadata"]["resourceVersion"].clone();
                self.store()
                    .update_at(res, namespace, name, self.opts, |current| {
                        let current = current.ok_or_else(|| Status::not_found(res, name))?;
                        if current["metadata"]["resourceVersion"] != expected {
                            raced = true;
                            return Err(Status::conflict(res, name));
                        }
                        let mut obj = desired;
                        // A webhook's patch may have left anything here.
                        let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut)
                        else {
                            return Err(Status::bad_request("metadata must be an object"));
                        };
                        meta.insert("resourceVersion".into(), expected.clone());
                        Ok(obj)
                    })
            };
            match committed {
                Err(_) if raced && attempts < 5 => continue,
                other => return other,
            }
        }
    }

    /// Puts what a write to the main resource or a subresource may change of
    /// `desired` onto `current`: the main resource keeps the stored status when the
    /// kind has a status subresource, `/status` changes only the status, `/scale`
    /// only the replicas.
    fn merge_part(&self, current: &Value, mut desired: Value) -> Result<Value, Status> {
        if !desired.is_object() {
            return Err(Status::bad_request("the body must be a JSON object"));
        }
        let res = self.res();
        match (self.target.subresource.as_deref(), &res.scale) {
            (None, _) if res.status => {
                match current.get("status") {
                    Some(status) => desired["status"] = status.clone(),
                    None => {
                        desired.as_object_mut().map(|o| o.remove("status"));
                    }
                }
                Ok(desired)
            }
            (None, _) => Ok(desired),
            (Some("status"), _) => {
                let mut new = current.clone();
                new["status"] = desired["status"].clone();
                new["metadata"]["resourceVersion"] = desired["metadata"]["resourceVersion"].clone();
                Ok(new)
            }
            (Some(_), Some(paths)) => {
                let replicas = desired["spec"]["replicas"]
                    .as_i64()
                    .ok_or_else(|| Status::bad_request("spec.replicas must be an integer"))?;
                let mut new = current.clone();
                set_pointer(&mut new, paths.spec_replicas, replicas.into());
                new["metadata"]["resourceVersion"] = desired["metadata"]["resourceVersion"].clone();
                Ok(new)
            }
            (Some(_), None) => Err(Status::no_route(self.name())),
        }
    }

    fn respond_written(&self, code: StatusCode, obj: &Value) -> Result<Response, Status> {
        match (&self.res().scale, self.target.subresource.as_deref()) {
            (Some(paths), Some("scale")) => Ok(json_response(
                code,
                resources::scale_of(self.res(), paths, obj).to_string(),
                "application/json",
            )),
            _ => self.respond(code, obj),
        }
    }

    async fn update(&self) -> Result<Response, Status> {
        let desired = self.body_json()?;
        let (res, name) = (self.res(), self.name());
        let compute = |current: Option<&Value>| {
            let current = current.ok_or_else(|| Status::not_found(res, name))?;
            self.merge_part(current, desired.clone())
        };
        let (obj, _) = self.admitted_write(&compute, "UpdateOptions").await?;
        self.respond_written(StatusCode::OK, &obj)
    }

    async fn patch(&self) -> Result<Response, Status> {
        let content_type = self
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let patch_type = PatchType::from_content_type(content_type)
            .ok_or_else(|| Status::unsupported_media_type(content_type, PatchType::ACCEPTED))?;
        let body = parse_body(&self.body, patch_type == PatchType::Apply)?;
        if patch_type == PatchType::Apply && self.param("fieldManager").is_none() {
            return Err(Status::invalid(
                self.res(),
                self.name(),
                "fieldManager: Required value: is required for apply patch",
            ));
        }
        let (res, name) = (self.res(), self.name());
        let compute = |current: Option<&Value>| {
            let Some(current) = current else {
                // Server-side apply creates what does not exist yet.
                if patch_type != PatchType::Apply || self.target.subresource.is_some() {
                    return Err(Status::not_found(res, name));
                }
                let mut obj = body.clone();
                if obj["metadata"]["name"].as_str().is_some_and(|n| n != name) {
                    return Err(Status::bad_request(
                        "the name of the object does not match the name on the URL",
                    ));
                }
                if obj.is_object() && obj["metadata"].is_object() {
                    obj["metadata"]["name"] = name.into();
                }
                return Ok(obj);
            };
            let mut target = match (&res.scale, self.target.subresource.as_deref()) {
                (Some(paths), Some("scale")) => resources::scale_of(res, paths, current),
                _ => current.clone(),
            };
            match patch_type {
                PatchType::Json => {
                    patch::json_patch(&mut target, &body).map_err(Status::bad_request)?
                }
                PatchType::Merge | PatchType::Apply => patch::merge(&mut target, &body),
                PatchType::StrategicMerge if res.custom => patch::merge(&mut target, &body),
                PatchType::StrategicMerge => patch::strategic_merge(&mut target, &body),
            }
            self.merge_part(current, target)
        };
        let (obj, created) = self.admitted_write(&compute, "PatchOptions").await?;
        self.respond_written(
            if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            },
            &obj,
        )
    }

    /// The admission of a DELETE: `oldObject` is the stored object, `object` null;
    /// mutating webhooks are called but their patches have nothing to change.
    async fn admit_delete(&self, current: &Value, options: &Value) -> Result<(), Status> {
        let mut options = if options.is_object() {
            options.clone()
        } else {
            json!({})
        };
        options["kind"] = "DeleteOptions".into();
        options["apiVersion"] = "meta.k8s.io/v1".into();
        if self.opts.dry_run {
            options["dryRun"] = json!(["All"]);
        }
        let name = current["metadata"]["name"].as_str().unwrap_or("");
        let mut attrs = self.attributes(
            Operation::Delete,
            name,
            Value::Null,
            current.clone(),
            "DeleteOptions",
        );
        attrs.options = options;
        if attrs.namespace.is_empty() && self.res().namespaced {
            attrs.namespace = current["metadata"]["namespace"]
                .as_str()
                .unwrap_or("")
                .to_string();
        }
        self.app
            .admission
            .mutate(self.store(), attrs.clone(), self.warnings)
            .await?;
        self.app
            .admission
            .validate(self.store(), &attrs, self.warnings)
            .await
    }

    async fn delete(&self) -> Result<Response, Status> {
        // DeleteOptions only matter for their preconditions; typed clients send them
        // as protobuf, which is not decoded (and then not checked).
        let protobuf = self
            .headers
            .get(header::CONTENT_TYPE)
            .is_some_and(|ct| ct.to_str().unwrap_or("").contains("protobuf"));
        let options = if protobuf || self.body.iter().all(u8::is_ascii_whitespace) {
            Value::Null
        } else {
            parse_body(&self.body, false)?
        };
        if self.admitting() {
            let current = self
                .store()
                .get_at(self.res(), self.namespace(), self.name())
                .ok_or_else(|| Status::not_found(self.res(), self.name()))?;
            self.admit_delete(&current, &options).await?;
        }
        let deleted = self.store().delete_at(
            self.res(),
            self.namespace(),
            self.name(),
            self.opts,
            &options["preconditions"],
        )?;
        Ok(ok(&deleted))
    }

    async fn delete_collection(&self) -> Result<Response, Status> {
        let (labels, fields) = self.selectors()?;
        let res = self.res();
        let page = self.store().list_at(
            res,
            self.target.namespace.as_deref(),
            &|o| labels.matches(o) && fields.matches(o),
            None,
            None,
        )?;
        if self.admitting() {
            for obj in &page.items {
                self.admit_delete(obj, &Value::Null).await?;
            }
        }
        let mut deleted = Vec::new();
        for obj in &page.items {
            let ns = obj["metadata"]["namespace"].as_str().unwrap_or("");
            let name = obj["metadata"]["name"].as_str().unwrap_or("");
            if let Ok(gone) = self
                .store()
                .delete_at(res, ns, name, self.opts, &Value::Null)
            {
                deleted.push(gone.as_ref().clone());
            }
        }
        let list = json!({
            "kind": format!("{}List", res.kind),
            "apiVersion": res.api_version(),
            "metadata": {"resourceVersion": self.store().resource_version().to_string()},
            "items": deleted,
        });
        Ok(ok(&list))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(path: &str) -> Target {
        match route(&Served::default(), path) {
            Ok(Route::Resource(t)) => t,
            Ok(Route::Document(_)) => panic!("{path} is a document"),
            Err(e) => panic!("{path}: {e}"),
        }
    }

    #[test]
    fn urls_name_resources() {
        let t = target("/apis/flink.apache.org/v1beta1/namespaces/team/flinkdeployments/a/scale");
        assert_eq!(t.res.kind, "FlinkDeployment");
        assert_eq!(t.namespace.as_deref(), Some("team"));
        assert_eq!(t.name.as_deref(), Some("a"));
        assert_eq!(t.subresource.as_deref(), Some("scale"));
        let all = target("/apis/autoscaling.k8s.io/v1/verticalpodautoscalers");
        assert!(all.namespace.is_none() && all.name.is_none());
        let ns = target("/api/v1/namespaces/team");
        assert_eq!(
            (ns.res.kind, ns.name.as_deref()),
            ("Namespace", Some("team"))
        );
        let ns_status = target("/api/v1/namespaces/team/status");
        assert_eq!(ns_status.subresource.as_deref(), Some("status"));
        let served = Served::default();
        assert!(matches!(route(&served, "/api/v1"), Ok(Route::Document(_))));
        for bad in [
            "/apis/flink.apache.org/v1beta1/flinkdeployments/a",
            "/apis/flink.apache.org/v1beta1/namespaces/x/flinkdeployments/a/nope",
            "/api/v1/namespaces/x/configmaps/a/scale",
            "/apis/nope/v1/things",
            "/",
        ] {
            assert!(route(&served, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn kinds_left_out_have_no_routes() {
        let served = Served::without(vec!["VerticalPodAutoscaler".into()]);
        for path in [
            "/apis/autoscaling.k8s.io/v1/verticalpodautoscalers",
            "/apis/autoscaling.k8s.io/v1/namespaces/team/verticalpodautoscalers/a",
            "/apis/autoscaling.k8s.io/v1",
        ] {
            match route(&served, path) {
                Err(status) => assert_eq!(status.code, 404, "{path}"),
                Ok(_) => panic!("{path} is served"),
            }
        }
        assert!(route(&served, "/apis/autoscaling/v2/horizontalpodautoscalers").is_ok());
    }

    #[test]
    fn bodies_that_are_not_json_are_bad_requests() {
        assert_eq!(parse_body(b"{not json", false).unwrap_err().code, 400);
        assert_eq!(parse_body(b"", false).unwrap_err().code, 400);
        assert_eq!(parse_body(b"a: [1", true).unwrap_err().code, 400);
        assert_eq!(parse_body(b"a: 1\n", true).unwrap()["a"], 1);
    }
}
