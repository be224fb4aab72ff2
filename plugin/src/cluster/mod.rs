//! What the plugin reads from the cluster that more than one command needs, decoded
//! once: the autoscaler's ConfigMap (`status` and `explain`).

pub mod autoscaler_configmap;
