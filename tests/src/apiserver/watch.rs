//! `?watch=true`: a chunked stream of `{"type": ..., "object": ...}` lines, as
//! kube's reflector and `kubectl get --watch` read it.
//!
//! Without a `resourceVersion` (or with `0`) the stream starts with an ADDED event
//! per existing object; with one, it replays the history after it, or sends a 410
//! Expired ERROR event when the history no longer reaches back that far (the client
//! then lists again). `sendInitialEvents=true` ends the initial ADDED events with a
//! BOOKMARK annotated `k8s.io/initial-events-end`. `allowWatchBookmarks` adds
//! periodic BOOKMARKs carrying the version the watch has caught up to.

use super::render::{self, Representation};
use super::resources::ResourceType;
use super::selector::{FieldSelector, LabelSelector};
use super::status::Status;
use super::store::{Change, EventType, Store};
use axum::body::{Body, Bytes};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Where a watch starts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Start {
    /// ADDED events for what exists now, then changes; with the initial-events-end
    /// bookmark when `sendInitialEvents=true`.
    Current { end_bookmark: bool },
    /// Changes after this version.
    After(u64),
}

/// What a watch request asked for.
#[derive(Debug)]
pub struct WatchRequest {
    pub resource: &'static ResourceType,
    pub namespace: Option<String>,
    pub labels: LabelSelector,
    pub fields: FieldSelector,
    pub start: Start,
    pub bookmarks: bool,
    pub bookmark_interval: Duration,
    pub timeout: Option<Duration>,
    pub representation: Representation,
}

impl WatchRequest {
    /// Reads `resourceVersion` and `sendInitialEvents`.
    pub fn start(
        resource_version: Option<&str>,
        send_initial_events: bool,
    ) -> Result<Start, Status> {
        match resource_version.filter(|v| !v.is_empty() && *v != "0") {
            _ if send_initial_events => Ok(Start::Current { end_bookmark: true }),
            None => Ok(Start::Current {
                end_bookmark: false,
            }),
            Some(v) => v
                .parse()
                .map(Start::After)
                .map_err(|_| Status::bad_request(format!("invalid resource version: {v:?}"))),
        }
    }

    fn matches(&self, obj: &Value) -> bool {
        self.namespace
            .as_deref()
            .is_none_or(|ns| obj["metadata"]["namespace"] == ns)
            && self.labels.matches(obj)
            && self.fields.matches(obj)
    }

    /// The event this watch sees for a change: a change that moves an object out of
    /// the selection is a DELETED, one that moves it in an ADDED.
    fn event_for(&self, change: &Change) -> Option<(EventType, Arc<Value>)> {
        let now = self.matches(&change.object);
        let before = change.previous.as_ref().is_some_and(|p| self.matches(p));
        let event = match (change.event, before, now) {
            (EventType::Added, _, true) => EventType::Added,
            (EventType::Modified, true, true) => EventType::Modified,
            (EventType::Modified, false, true) => EventType::Added,
            (EventType::Modified, true, false) => EventType::Deleted,
            (EventType::Deleted, _, true) => EventType::Deleted,
            _ => return None,
        };
        Some((event, change.object.clone()))
    }

    fn line(&self, event: &str, object: Value) -> Bytes {
        let mut line = json!({"type": event, "object": object}).to_string();
        line.push('\n');
        Bytes::from(line)
    }

    fn bookmark(&self, version: u64, initial_events_end: bool) -> Bytes {
        let mut metadata = json!({"resourceVersion": version.to_string()});
        if initial_events_end {
            metadata["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        let object = json!({
            "kind": self.resource.kind,
            "apiVersion": self.resource.api_version(),
            "metadata": metadata,
        });
        self.line("BOOKMARK", object)
    }
}

/// Starts the watch; the body ends at `timeoutSeconds`, when the client goes away,
/// or when the server stops.
pub fn stream(store: Arc<Store>, request: WatchRequest) -> Body {
    let (tx, rx) = mpsc::channel::<Bytes>(256);
    tokio::spawn(run(store, request, tx));
    let chunks = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|chunk| (Ok::<_, std::convert::Infallible>(chunk), rx))
    });
    Body::from_stream(chunks)
}

async fn run(store: Arc<Store>, request: WatchRequest, tx: mpsc::Sender<Bytes>) {
    let res = request.resource;
    let rep = request.representation;
    let namespace = request.namespace.as_deref();
    let (mut cursor, mut changed) = match request.start {
        Start::Current { end_bookmark } => {
            let (items, version, changed) = store.snapshot(res, namespace, &|o| request.matches(o));
            for obj in items {
                let line = request.line("ADDED", render::object(res, &obj, rep));
                if tx.send(line).await.is_err() {
                    return;
                }
            }
            if end_bookmark && tx.send(request.bookmark(version, true)).await.is_err() {
                return;
            }
            (version, changed)
        }
        Start::After(version) => (version, store.subscribe()),
    };
    let deadline = request.timeout.and_then(|t| Instant::now().checked_add(t));
    let period = request.bookmark_interval.max(Duration::from_millis(10));
    let mut bookmarks = tokio::time::interval_at(Instant::now() + period, period);
    loop {
        changed.borrow_and_update();
        match store.changes_since(res, cursor) {
            Err(oldest) => {
                let status =
                    Status::expired(format!("too old resource version: {cursor} ({oldest})"));
                let _ = tx.send(request.line("ERROR", status.to_json())).await;
                return;
            }
            Ok((changes, now)) => {
                for (event, obj) in changes.iter().filter_map(|c| request.event_for(c)) {
                    let line = request.line(event.as_str(), render::object(res, &obj, rep));
                    if tx.send(line).await.is_err() {
                        return;
                    }
                }
                cursor = now;
            }
        }
        tokio::select! {
            woke = changed.changed() => if woke.is_err() { return },
            _ = bookmarks.tick(), if request.bookmarks => {
                if tx.send(request.bookmark(cursor, false)).await.is_err() {
                    return;
                }
            }
            _ = sleep_until(deadline) => return,
            _ = tx.closed() => return,
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
