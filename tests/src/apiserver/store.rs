//! The objects the server holds, one global `resourceVersion` counter, and a bounded
//! history of changes that watches replay from (as etcd's watch cache does; a watch
//! from a version older than the history gets `410 Expired`).
//!
//! Every write takes one lock, so a read-modify-write (a PATCH) cannot lose a
//! concurrent update, and the version order is the history order.

use super::clock;
use super::resources::{self, ResourceType};
use super::status::Status;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, VecDeque};
use std::hash::{BuildHasher, RandomState};
use std::ops::Bound;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::watch;

/// group, plural, namespace (empty when cluster-scoped), name: the order of a list.
type Key = (&'static str, &'static str, String, String);

/// The `type` of a watch event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One committed write. `previous` lets a filtered watch turn a change that moves an
/// object out of (or into) its selection into DELETED (or ADDED), as the real one does.
#[derive(Debug, Clone)]
pub struct Change {
    pub version: u64,
    pub resource: &'static ResourceType,
    pub event: EventType,
    pub object: Arc<Value>,
    pub previous: Option<Arc<Value>>,
}

/// How a write came in.
#[derive(Debug, Clone, Copy, Default)]
pub struct WriteOptions {
    /// `?dryRun=All`: everything but the commit.
    pub dry_run: bool,
    /// A request from a client rather than seeding from a test: the namespace must
    /// exist, a custom resource's status is dropped on create, server-owned metadata
    /// is overwritten.
    pub from_client: bool,
    /// The object is a dry run's result that admission has judged: keep the `uid`
    /// and `creationTimestamp` it was given, so webhooks saw what is stored.
    pub keep_identity: bool,
}

/// One page of a list.
#[derive(Debug)]
pub struct ListPage {
    pub items: Vec<Arc<Value>>,
    pub resource_version: u64,
    pub continue_token: Option<String>,
    pub remaining: Option<usize>,
}

/// The server's objects. Shared by the HTTP handlers and the test that started the
/// server, which seeds and inspects objects through the public methods.
#[derive(Debug)]
pub struct Store {
    state: Mutex<State>,
    random: RandomState,
}

#[derive(Debug)]
struct State {
    version: u64,
    objects: BTreeMap<Key, Arc<Value>>,
    history: VecDeque<Change>,
    history_limit: usize,
    /// Changes at or below this version have been dropped from `history`.
    compacted: u64,
    counter: u64,
    changed: watch::Sender<u64>,
}

fn key(res: &'static ResourceType, namespace: &str, name: &str) -> Key {
    let namespace = if res.namespaced { namespace } else { "" };
    (
        res.group,
        res.plural,
        namespace.to_string(),
        name.to_string(),
    )
}

fn namespace_resource() -> &'static ResourceType {
    resources::by_kind("v1", "Namespace").expect("Namespace is served")
}

fn meta_str<'a>(obj: &'a Value, field: &str) -> Option<&'a str> {
    obj["metadata"][field].as_str()
}

/// A lowercase RFC 1123 subdomain, the rule for most object names.
fn valid_name(name: &str) -> bool {
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    name.len() <= 253
        && name.starts_with(ok_char)
        && name.ends_with(ok_char)
        && name.chars().all(|c| ok_char(c) || c == '-' || c == '.')
}

/// Everything but metadata and status: what `metadata.generation` counts changes of.
fn generation_relevant(obj: &Value) -> Value {
    let mut rest = obj.clone();
    if let Some(map) = rest.as_object_mut() {
        for field in ["metadata", "status", "kind", "apiVersion"] {
            map.remove(field);
        }
    }
    rest
}

/// Checks and fills `apiVersion` and `kind` of a body meant for `res`.
fn check_type(res: &ResourceType, obj: &mut Value) -> Result<(), Status> {
    let Some(map) = obj.as_object_mut() else {
        return Err(Status::bad_request("the body must be a JSON object"));
    };
    let api_version = res.api_version();
    match map.get("apiVersion").and_then(Value::as_str) {
        Some(v) if v != api_version => {
            return Err(Status::bad_request(format!(
                "the API version in the data ({v}) does not match the expected API version ({api_version})"
            )));
        }
        _ => map.insert("apiVersion".into(), api_version.into()),
    };
    match map.get("kind").and_then(Value::as_str) {
        Some(k) if k != res.kind => {
            return Err(Status::bad_request(format!(
                "the kind in the data ({k}) does not match the expected kind ({})",
                res.kind
            )));
        }
        _ => map.insert("kind".into(), res.kind.into()),
    };
    match map.get("metadata") {
        None | Some(Value::Null) => {
            map.insert("metadata".into(), Value::Object(Map::new()));
        }
        Some(Value::Object(_)) => {}
        Some(_) => return Err(Status::bad_request("metadata must be an object")),
    }
    Ok(())
}

impl Store {
    pub(super) fn new(history_limit: usize) -> Self {
        let state = State {
            version: 1,
            objects: BTreeMap::new(),
            history: VecDeque::new(),
            history_limit: history_limit.max(1),
            compacted: 1,
            counter: 0,
            changed: watch::Sender::new(1),
        };
        let store = Store {
            state: Mutex::new(state),
            random: RandomState::new(),
        };
        for ns in ["default", "kube-system", "kube-public"] {
            let _ = store
                .create(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}));
        }
        store
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking test thread must not take the server down with it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn random(&self, counter: u64) -> u64 {
        self.random.hash_one(counter)
    }

    // ---- seeding and inspection from tests -----------------------------------------

    /// Creates or replaces `obj` (found by apiVersion, kind, namespace and name), with
    /// its status as given: how tests set up and change the cluster while watches
    /// observe it. A namespaced object without a namespace goes to `default`; missing
    /// namespaces are created.
    pub fn apply(&self, obj: Value) -> Result<Value, Status> {
        let res = Self::resource_of(&obj)?;
        let namespace = meta_str(&obj, "namespace").unwrap_or("default").to_string();
        let name = meta_str(&obj, "name").unwrap_or_default().to_string();
        let mut state = self.lock();
        if state.objects.contains_key(&key(res, &namespace, &name)) {
            let mut obj = obj;
            if let Some(meta) = obj["metadata"].as_object_mut() {
                meta.remove("resourceVersion");
            }
            let opts = WriteOptions::default();
            let (obj, _) = state.update(res, &namespace, &name, opts, |_| Ok(obj))?;
            Ok(obj.as_ref().clone())
        } else {
            let obj = self.create_locked(
                &mut state,
                res,
                Some(&namespace),
                obj,
                WriteOptions::default(),
            )?;
            Ok(obj.as_ref().clone())
        }
    }

    /// Creates `obj`; `409 AlreadyExists` if it exists.
    pub fn create(&self, obj: Value) -> Result<Value, Status> {
        let res = Self::resource_of(&obj)?;
        let namespace = meta_str(&obj, "namespace").unwrap_or("default").to_string();
        let mut state = self.lock();
        self.create_locked(
            &mut state,
            res,
            Some(&namespace),
            obj,
            WriteOptions::default(),
        )
        .map(|o| o.as_ref().clone())
    }

    /// The stored object, if any (`namespace` is ignored for cluster-scoped kinds).
    pub fn get(&self, api_version: &str, kind: &str, namespace: &str, name: &str) -> Option<Value> {
        let res = resources::by_kind(api_version, kind)?;
        self.get_at(res, namespace, name)
            .map(|o| o.as_ref().clone())
    }

    /// All objects of a kind, in one namespace or all.
    pub fn list(&self, api_version: &str, kind: &str, namespace: Option<&str>) -> Vec<Value> {
        let Some(res) = resources::by_kind(api_version, kind) else {
            return Vec::new();
        };
        self.list_at(res, namespace, &|_| true, None, None)
            .map(|page| page.items.iter().map(|o| o.as_ref().clone()).collect())
            .unwrap_or_default()
    }

    /// Changes a stored object in place (e.g. sets its status); `404` if missing.
    pub fn modify(
        &self,
        api_version: &str,
        kind: &str,
        namespace: &str,
        name: &str,
        f: impl FnOnce(&mut Value),
    ) -> Result<Value, Status> {
        let res = Self::resource_of(&json!({"apiVersion": api_version, "kind": kind}))?;
        let opts = WriteOptions::default();
        let (obj, _) = self.update_at(res, namespace, name, opts, |current| {
            let mut obj = current.ok_or_else(|| Status::not_found(res, name))?.clone();
            f(&mut obj);
            Ok(obj)
        })?;
        Ok(obj.as_ref().clone())
    }

    /// Deletes a stored object; `404` if missing.
    pub fn delete(
        &self,
        api_version: &str,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Result<Value, Status> {
        let res = Self::resource_of(&json!({"apiVersion": api_version, "kind": kind}))?;
        self.delete_at(res, namespace, name, WriteOptions::default(), &Value::Null)
            .map(|o| o.as_ref().clone())
    }

    /// The latest `resourceVersion` handed out.
    pub fn resource_version(&self) -> u64 {
        self.lock().version
    }

    fn resource_of(obj: &Value) -> Result<&'static ResourceType, Status> {
        let api_version = obj["apiVersion"].as_str().unwrap_or_default();
        let kind = obj["kind"].as_str().unwrap_or_default();
        resources::by_kind(api_version, kind).ok_or_else(|| {
            Status::bad_request(format!(
                "no kind \"{kind}\" is registered for version \"{api_version}\" in the test API server"
            ))
        })
    }

    // ---- what the HTTP handlers use ------------------------------------------------

    pub(super) fn get_at(
        &self,
        res: &'static ResourceType,
        namespace: &str,
        name: &str,
    ) -> Option<Arc<Value>> {
        self.lock().objects.get(&key(res, namespace, name)).cloned()
    }

    pub(super) fn create_at(
        &self,
        res: &'static ResourceType,
        namespace: Option<&str>,
        obj: Value,
        opts: WriteOptions,
    ) -> Result<Arc<Value>, Status> {
        let mut state = self.lock();
        self.create_locked(&mut state, res, namespace, obj, opts)
    }

    /// Read-modify-write of one object under the lock: `f` sees the stored object
    /// (or `None`) and returns the desired one. Creates when there was none (only
    /// server-side apply asks for that). Returns the result and whether it was created.
    pub(super) fn update_at(
        &self,
        res: &'static ResourceType,
        namespace: &str,
        name: &str,
        opts: WriteOptions,
        f: impl FnOnce(Option<&Value>) -> Result<Value, Status>,
    ) -> Result<(Arc<Value>, bool), Status> {
        let mut state = self.lock();
        if state.objects.contains_key(&key(res, namespace, name)) {
            return state.update(res, namespace, name, opts, f);
        }
        let obj = f(None)?;
        self.create_locked(&mut state, res, Some(namespace), obj, opts)
            .map(|o| (o, true))
    }

    /// Deletes one object, honouring `preconditions` (uid, resourceVersion) of the
    /// request's DeleteOptions. Deleting a namespace deletes what is in it.
    pub(super) fn delete_at(
        &self,
        res: &'static ResourceType,
        namespace: &str,
        name: &str,
        opts: WriteOptions,
        preconditions: &Value,
    ) -> Result<Arc<Value>, Status> {
        let mut state = self.lock();
        let k = key(res, namespace, name);
        let current = state
            .objects
            .get(&k)
            .cloned()
            .ok_or_else(|| Status::not_found(res, name))?;
        for field in ["uid", "resourceVersion"] {
            if let Some(expected) = preconditions[field].as_str()
                && meta_str(&current, field) != Some(expected)
            {
                return Err(Status::conflict(res, name));
            }
        }
        if opts.dry_run {
            return Ok(current);
        }
        if res.kind == "Namespace" {
            let contained: Vec<Key> = state
                .objects
                .keys()
                .filter(|(_, _, ns, _)| ns == name)
                .cloned()
                .collect();
            for k in contained {
                if let Some(obj) = state.objects.get(&k).cloned()
                    && let Ok(r) = Self::resource_of(&obj)
                {
                    state.commit(r, k, EventType::Deleted, obj.as_ref().clone(), Some(obj));
                }
            }
        }
        Ok(state.commit(
            res,
            k,
            EventType::Deleted,
            current.as_ref().clone(),
            Some(current),
        ))
    }

    /// One page of the objects of `res` (in `namespace`, or all) that `filter` keeps,
    /// after the `continue` token's position. Pages after the first read the current
    /// state, not a snapshot, but report the first page's version.
    pub(super) fn list_at(
        &self,
        res: &'static ResourceType,
        namespace: Option<&str>,
        filter: &dyn Fn(&Value) -> bool,
        limit: Option<usize>,
        continue_token: Option<&str>,
    ) -> Result<ListPage, Status> {
        self.lock()
            .list(res, namespace, filter, limit, continue_token)
    }

    /// The matching objects now, the version they are at, and a receiver that wakes
    /// on every later commit: the start of a watch.
    pub(super) fn snapshot(
        &self,
        res: &'static ResourceType,
        namespace: Option<&str>,
        filter: &dyn Fn(&Value) -> bool,
    ) -> (Vec<Arc<Value>>, u64, watch::Receiver<u64>) {
        let state = self.lock();
        let items = state
            .list(res, namespace, filter, None, None)
            .map(|p| p.items)
            .unwrap_or_default();
        (items, state.version, state.changed.subscribe())
    }

    pub(super) fn subscribe(&self) -> watch::Receiver<u64> {
        self.lock().changed.subscribe()
    }

    /// The changes to `res` after version `since` and the version they bring a watch
    /// up to; `Err(oldest)` when the history no longer reaches back to `since`.
    pub(super) fn changes_since(
        &self,
        res: &'static ResourceType,
        since: u64,
    ) -> Result<(Vec<Change>, u64), u64> {
        let state = self.lock();
        if since < state.compacted {
            return Err(state.compacted);
        }
        let start = state.history.partition_point(|c| c.version <= since);
        let changes = state
            .history
            .range(start..)
            .filter(|c| std::ptr::eq(c.resource, res))
            .cloned()
            .collect();
        Ok((changes, state.version.max(since)))
    }

    fn create_locked(
        &self,
        state: &mut State,
        res: &'static ResourceType,
        namespace: Option<&str>,
        mut obj: Value,
        opts: WriteOptions,
    ) -> Result<Arc<Value>, Status> {
        check_type(res, &mut obj)?;
        state.counter += 1;
        let random = self.random(state.counter);
        let meta = obj["metadata"]
            .as_object_mut()
            .expect("checked by check_type");
        if opts.from_client && meta.get("resourceVersion").is_some_and(|v| !v.is_null()) {
            return Err(Status::bad_request(
                "resourceVersion should not be set on objects to be created",
            ));
        }
        meta.remove("resourceVersion");
        if meta
            .get("name")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
            && let Some(prefix) = meta.get("generateName").and_then(Value::as_str)
        {
            const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
            let suffix: String = (0..5)
                .map(|i| ALPHABET[((random >> (i * 8)) % ALPHABET.len() as u64) as usize] as char)
                .collect();
            meta.insert("name".into(), format!("{prefix}{suffix}").into());
        }
        let name = meta
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if name.is_empty() {
            return Err(Status::invalid(
                res,
                "",
                "metadata.name: Required value: name or generateName is required",
            ));
        }
        // core/v1 Events are validated only as path segments by the real API server, so
        // it stores the operator's `Operator.2086033784` (upper case) as it is.
        let event_name = res.group.is_empty()
            && res.kind == "Event"
            && !name.contains('/')
            && name != "."
            && name != "..";
        if !valid_name(&name) && !event_name {
            return Err(Status::invalid(
                res,
                &name,
                format!(
                    "metadata.name: Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
                ),
            ));
        }
        let namespace = if res.namespaced {
            let body_ns = meta.get("namespace").and_then(Value::as_str);
            let ns = match (namespace, body_ns) {
                (Some(url), Some(body)) if opts.from_client && url != body => {
                    return Err(Status::bad_request(
                        "the namespace of the provided object does not match the namespace sent on the request",
                    ));
                }
                (Some(url), _) if opts.from_client => url,
                (_, Some(body)) => body,
                (Some(url), None) => url,
                (None, None) => "default",
            }
            .to_string();
            meta.insert("namespace".into(), ns.clone().into());
            ns
        } else {
            meta.remove("namespace");
            String::new()
        };
        let keep = opts.keep_identity;
        if (opts.from_client && !keep) || !meta.get("uid").is_some_and(Value::is_string) {
            let uid = format!(
                "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
                random >> 32,
                (random >> 16) & 0xffff,
                random & 0xfff,
                state.counter & 0xfff,
                self.random(!state.counter) & 0xffff_ffff_ffff
            );
            meta.insert("uid".into(), uid.into());
        }
        if (opts.from_client && !keep)
            || !meta.get("creationTimestamp").is_some_and(Value::is_string)
        {
            meta.insert(
                "creationTimestamp".into(),
                clock::timestamp(clock::now()).into(),
            );
        }
        if res.custom || obj.get("spec").is_some() {
            obj["metadata"]["generation"] = 1.into();
        }
        if opts.from_client && res.status && res.custom {
            obj.as_object_mut().map(|o| o.remove("status"));
        }
        if res.kind == "Namespace" && obj["status"]["phase"].is_null() {
            obj["status"] = json!({"phase": "Active"});
        }
        if res.namespaced {
            let ns_key = key(namespace_resource(), "", &namespace);
            if !state.objects.contains_key(&ns_key) {
                if opts.from_client {
                    return Err(Status::not_found(namespace_resource(), &namespace));
                }
                let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}});
                self.create_locked(state, namespace_resource(), None, ns, opts)?;
            }
        }
        let k = key(res, &namespace, &name);
        if state.objects.contains_key(&k) {
            return Err(Status::already_exists(res, &name));
        }
        if opts.dry_run {
            return Ok(Arc::new(obj));
        }
        Ok(state.commit(res, k, EventType::Added, obj, None))
    }
}

impl State {
    /// One page of the objects of `res` (in `namespace`, or all) that `filter` keeps,
    /// after the `continue` token's position. Pages after the first read the current
    /// state, not a snapshot, but report the first page's version.
    fn list(
        &self,
        res: &'static ResourceType,
        namespace: Option<&str>,
        filter: &dyn Fn(&Value) -> bool,
        limit: Option<usize>,
        continue_token: Option<&str>,
    ) -> Result<ListPage, Status> {
        let namespace = namespace.filter(|_| res.namespaced);
        let (version, start) = match continue_token {
            Some(token) => {
                let invalid = || Status::bad_request("continue key is not valid");
                let mut parts = token.splitn(3, '/');
                let version = parts
                    .next()
                    .and_then(|v| v.parse::<u64>().ok())
                    .ok_or_else(invalid)?;
                let (ns, name) = (
                    parts.next().ok_or_else(invalid)?,
                    parts.next().ok_or_else(invalid)?,
                );
                let k = (res.group, res.plural, ns.to_string(), name.to_string());
                (version, Bound::Excluded(k))
            }
            None => (
                self.version,
                Bound::Included(key(res, namespace.unwrap_or(""), "")),
            ),
        };
        let mut matching = self
            .objects
            .range((start, Bound::Unbounded))
            .take_while(|((g, p, ns, _), _)| {
                *g == res.group && *p == res.plural && namespace.is_none_or(|n| n == ns)
            })
            .filter(|(_, obj)| filter(obj));
        let limit = limit.filter(|l| *l > 0).unwrap_or(usize::MAX);
        let mut items = Vec::new();
        let mut last = None;
        for (k, obj) in matching.by_ref().take(limit) {
            items.push(obj.clone());
            last = Some(k);
        }
        let remaining = matching.count();
        let continue_token = match last {
            Some((_, _, ns, name)) if remaining > 0 => Some(format!("{version}/{ns}/{name}")),
            _ => None,
        };
        Ok(ListPage {
            items,
            resource_version: version,
            continue_token,
            remaining: (remaining > 0).then_some(remaining),
        })
    }

    fn update(
        &mut self,
        res: &'static ResourceType,
        namespace: &str,
        name: &str,
        opts: WriteOptions,
        f: impl FnOnce(Option<&Value>) -> Result<Value, Status>,
    ) -> Result<(Arc<Value>, bool), Status> {
        let k = key(res, namespace, name);
        let old = self
            .objects
            .get(&k)
            .cloned()
            .ok_or_else(|| Status::not_found(res, name))?;
        let mut new = f(Some(&old))?;
        check_type(res, &mut new)?;
        let meta = new["metadata"]
            .as_object_mut()
            .expect("checked by check_type");
        for field in ["name", "namespace"] {
            match (
                meta.get(field).and_then(Value::as_str),
                meta_str(&old, field),
            ) {
                (Some(given), Some(stored)) if given != stored => {
                    return Err(Status::bad_request(format!(
                        "the {field} of the object ({given}) does not match the {field} on the URL ({stored})"
                    )));
                }
                _ => {}
            }
        }
        if let Some(given) = meta.get("resourceVersion").and_then(Value::as_str)
            && !given.is_empty()
            && Some(given) != meta_str(&old, "resourceVersion")
        {
            return Err(Status::conflict(res, name));
        }
        for field in [
            "name",
            "namespace",
            "uid",
            "creationTimestamp",
            "generation",
            "resourceVersion",
        ] {
            match old["metadata"].get(field) {
                Some(v) => meta.insert(field.into(), v.clone()),
                None => meta.remove(field),
            };
        }
        if new == *old {
            return Ok((old, false));
        }
        if let Some(generation) = old["metadata"]["generation"].as_i64()
            && generation_relevant(&new) != generation_relevant(&old)
        {
            new["metadata"]["generation"] = (generation + 1).into();
        }
        if opts.dry_run {
            return Ok((Arc::new(new), false));
        }
        Ok((
            self.commit(res, k, EventType::Modified, new, Some(old)),
            false,
        ))
    }

    /// Stamps the next version on `obj`, stores (or removes) it and records the change.
    fn commit(
        &mut self,
        res: &'static ResourceType,
        k: Key,
        event: EventType,
        mut obj: Value,
        previous: Option<Arc<Value>>,
    ) -> Arc<Value> {
        self.version += 1;
        obj["metadata"]["resourceVersion"] = self.version.to_string().into();
        let obj = Arc::new(obj);
        if event == EventType::Deleted {
            self.objects.remove(&k);
        } else {
            self.objects.insert(k, obj.clone());
        }
        self.history.push_back(Change {
            version: self.version,
            resource: res,
            event,
            object: obj.clone(),
            previous,
        });
        while self.history.len() > self.history_limit {
            if let Some(dropped) = self.history.pop_front() {
                self.compacted = dropped.version;
            }
        }
        self.changed.send_replace(self.version);
        obj
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fd(name: &str, ns: &str) -> Value {
        json!({"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
               "metadata": {"name": name, "namespace": ns, "labels": {"app": name}},
               "spec": {"job": {"parallelism": 1}}})
    }

    #[test]
    fn versions_uids_and_generations() {
        let store = Store::new(100);
        let a = store.create(fd("a", "team")).unwrap();
        assert_eq!(a["metadata"]["generation"], 1);
        assert!(a["metadata"]["uid"].as_str().unwrap().len() == 36);
        assert!(
            store.get("v1", "Namespace", "", "team").is_some(),
            "namespace made"
        );
        let v1: u64 = a["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let b = store
            .modify(
                "flink.apache.org/v1beta1",
                "FlinkDeployment",
                "team",
                "a",
                |o| {
                    o["status"] = json!({"lifecycleState": "STABLE"});
                },
            )
            .unwrap();
        assert_eq!(
            b["metadata"]["generation"], 1,
            "status change keeps generation"
        );
        let c = store
            .modify(
                "flink.apache.org/v1beta1",
                "FlinkDeployment",
                "team",
                "a",
                |o| {
                    o["spec"]["job"]["parallelism"] = 2.into();
                },
            )
            .unwrap();
        assert_eq!(c["metadata"]["generation"], 2);
        let v3: u64 = c["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(v3, v1 + 2);
        assert_eq!(c["metadata"]["uid"], a["metadata"]["uid"]);
        assert_eq!(store.create(fd("a", "team")).unwrap_err().code, 409);
    }

    #[test]
    fn pages_cover_everything_once() {
        let store = Store::new(100);
        for (name, ns) in [("a", "x"), ("b", "x"), ("c", "y"), ("d", "y"), ("e", "z")] {
            store.create(fd(name, ns)).unwrap();
        }
        let res = resources::by_kind("flink.apache.org/v1beta1", "FlinkDeployment").unwrap();
        let mut names = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = store
                .list_at(res, None, &|_| true, Some(2), token.as_deref())
                .unwrap();
            names.extend(
                page.items
                    .iter()
                    .map(|o| o["metadata"]["name"].as_str().unwrap().to_string()),
            );
            match page.continue_token {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        assert_eq!(names, ["a", "b", "c", "d", "e"]);
        let in_y = store
            .list_at(res, Some("y"), &|_| true, None, None)
            .unwrap();
        assert_eq!(in_y.items.len(), 2);
        assert!(
            store
                .list_at(res, None, &|_| true, Some(1), Some("garbage"))
                .is_err()
        );
    }

    #[test]
    fn history_is_bounded() {
        let store = Store::new(3);
        let res = resources::by_kind("flink.apache.org/v1beta1", "FlinkDeployment").unwrap();
        let start = store.resource_version();
        for name in ["a", "b", "c", "d", "e"] {
            store.create(fd(name, "default")).unwrap();
        }
        assert!(store.changes_since(res, start).is_err());
        let (changes, now) = store
            .changes_since(res, store.resource_version() - 2)
            .unwrap();
        assert_eq!(changes.len(), 2);
        assert_eq!(now, store.resource_version());
    }

    #[test]
    fn deleting_a_namespace_deletes_its_objects() {
        let store = Store::new(100);
        store.create(fd("a", "gone")).unwrap();
        store.delete("v1", "Namespace", "", "gone").unwrap();
        assert!(
            store
                .list("flink.apache.org/v1beta1", "FlinkDeployment", None)
                .is_empty()
        );
    }
}
