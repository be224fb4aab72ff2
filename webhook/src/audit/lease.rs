//! Leader election with a `coordination.k8s.io/v1` Lease, so that of several webhook
//! replicas one writes the policy reports. client-go's rules, simplified: the holder
//! renews every [`RENEW_EVERY`]; another replica takes the Lease over only after it has
//! seen the same holder and renew time unchanged for the lease duration on its own
//! clock (no clock comparison across machines); every write carries the
//! resourceVersion it read, so of two replicas racing for it one wins.

use kube::api::{Api, ApiResource, DynamicObject, PostParams};
use serde_json::{Value, json};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub const LEASE_NAME: &str = "flink-autoscale-guard-audit";
pub const LEASE_DURATION: Duration = Duration::from_secs(15);
pub const RENEW_EVERY: Duration = Duration::from_secs(2);

/// The Lease's API resource.
pub fn lease_resource() -> ApiResource {
    ApiResource {
        group: "coordination.k8s.io".into(),
        version: "v1".into(),
        api_version: "coordination.k8s.io/v1".into(),
        kind: "Lease".into(),
        plural: "leases".into(),
    }
}

/// A `metav1.MicroTime` (RFC 3339 with microseconds) for now.
pub fn micro_time_now() -> String {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let t = time::OffsetDateTime::from_unix_timestamp(since.as_secs() as i64)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        since.subsec_micros()
    )
}

/// One replica's view of the election.
pub struct Elector {
    api: Api<DynamicObject>,
    identity: String,
    /// The other holder's (identity, renewTime) as last seen, and since when.
    observed: Option<(String, String, Instant)>,
    /// Until when this replica may act as leader (its last renewal + the duration).
    leading_until: Option<Instant>,
}

impl Elector {
    pub fn new(client: kube::Client, namespace: &str, identity: String) -> Self {
        Elector {
            api: Api::namespaced_with(client, namespace, &lease_resource()),
            identity,
            observed: None,
            leading_until: None,
        }
    }

    pub fn identity(&self) -> &str {
        &self.identity
    }

    /// Whether this replica leads now (renewed within the lease duration).
    pub fn leading(&self) -> bool {
        self.leading_until.is_some_and(|t| Instant::now() < t)
    }

    /// One round: create, renew or take over the Lease when this replica may.
    /// Returns whether it leads afterwards.
    pub async fn round(&mut self) -> Result<bool, kube::Error> {
        let now = micro_time_now();
        let duration = LEASE_DURATION.as_secs() as i64;
        let Some(current) = self.api.get_opt(LEASE_NAME).await? else {
            let lease: DynamicObject = serde_json::from_value(json!({
                "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": {"name": LEASE_NAME},
                "spec": {"holderIdentity": self.identity, "leaseDurationSeconds": duration,
                         "acquireTime": now, "renewTime": now, "leaseTransitions": 0}
            }))
            .map_err(kube::Error::SerdeError)?;
            return self.write(self.api.create(&PostParams::default(), &lease).await);
        };
        let spec = current.data.get("spec").cloned().unwrap_or(Value::Null);
        let holder = spec
            .get("holderIdentity")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let renewed = spec
            .get("renewTime")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let mut next = current.clone();
        let mut spec = spec;
        if holder == self.identity {
            spec["renewTime"] = json!(now);
        } else {
            let unchanged_since = match &self.observed {
                Some((h, r, at)) if *h == holder && *r == renewed => *at,
                _ => {
                    self.observed = Some((holder.clone(), renewed, Instant::now()));
                    Instant::now()
                }
            };
            if !holder.is_empty() && unchanged_since.elapsed() < LEASE_DURATION {
                self.leading_until = None;
                return Ok(false);
            }
            let transitions = spec
                .get("leaseTransitions")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            spec = json!({"holderIdentity": self.identity, "leaseDurationSeconds": duration,
                          "acquireTime": now, "renewTime": now,
                          "leaseTransitions": transitions + 1});
            tracing::info!(previous = %holder, identity = %self.identity, "taking over the audit Lease");
        }
        next.data["spec"] = spec;
        let result = self
            .api
            .replace(LEASE_NAME, &PostParams::default(), &next)
            .await;
        self.write(result)
    }

    fn write(&mut self, result: Result<DynamicObject, kube::Error>) -> Result<bool, kube::Error> {
        match result {
            Ok(_) => {
                self.leading_until = Some(Instant::now() + LEASE_DURATION - RENEW_EVERY);
                Ok(true)
            }
            // Another replica wrote first: it leads.
            Err(kube::Error::Api(s)) if s.code == 409 => {
                self.leading_until = None;
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }
}
