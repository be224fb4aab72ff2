//! `matchConditions`: CEL expressions a webhook configuration narrows its webhook
//! with (GA in Kubernetes 1.30). kube-apiserver binds `object`, `oldObject` (null
//! on CREATE and DELETE respectively) and `request` (the AdmissionRequest without
//! the objects); a webhook is called only when every condition is true. Any false
//! condition skips it even when another one failed to evaluate; otherwise an
//! evaluation error is decided by the webhook's failure policy.

use cel::{Context, Env, Value as Cel};
use serde_json::Value;
use std::sync::{Arc, LazyLock};

static ENV: LazyLock<Arc<Env>> = LazyLock::new(|| Arc::new(Env::stdlib()));

/// What the conditions of one webhook decided.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Every condition is true (or there are none).
    Call,
    /// A condition is false.
    Skip,
    /// None is false but one could not be evaluated: the failure policy decides.
    Error(String),
}

/// The variables an expression sees.
pub struct Bindings<'a> {
    pub object: &'a Value,
    pub old_object: &'a Value,
    pub request: &'a Value,
}

fn to_cel(value: &Value, name: &str) -> Result<Cel, String> {
    cel::to_value(value).map_err(|e| format!("binding {name}: {e}"))
}

/// Evaluates one expression to a bool.
pub fn evaluate_one(expression: &str, bindings: &Bindings) -> Result<bool, String> {
    let program = ENV
        .compile(expression)
        .map_err(|e| format!("compilation failed: {e}"))?;
    let mut context = Context::with_env(ENV.clone());
    context.add_variable_from_value("object", to_cel(bindings.object, "object")?);
    context.add_variable_from_value("oldObject", to_cel(bindings.old_object, "oldObject")?);
    context.add_variable_from_value("request", to_cel(bindings.request, "request")?);
    match program.execute(&context) {
        Ok(Cel::Bool(b)) => Ok(b),
        Ok(other) => Err(format!(
            "expression must evaluate to bool, got {:?}",
            other.type_of()
        )),
        Err(e) => Err(e.to_string()),
    }
}

/// Evaluates a webhook's `matchConditions` (a list of `{name, expression}`).
pub fn evaluate(conditions: &Value, bindings: &Bindings) -> Outcome {
    let Some(conditions) = conditions.as_array() else {
        return Outcome::Call;
    };
    let mut errors = Vec::new();
    for condition in conditions {
        let name = condition["name"].as_str().unwrap_or("");
        let Some(expression) = condition["expression"].as_str() else {
            errors.push(format!("matchCondition {name:?} has no expression"));
            continue;
        };
        match evaluate_one(expression, bindings) {
            Ok(true) => {}
            Ok(false) => return Outcome::Skip,
            // The words of kube-apiserver's CEL filter.
            Err(e) => errors.push(format!("expression '{expression}' resulted in error: {e}")),
        }
    }
    // utilerrors.NewAggregate: one error as itself, several in brackets.
    match errors.len() {
        0 => Outcome::Call,
        1 => Outcome::Error(errors.remove(0)),
        _ => Outcome::Error(format!("[{}]", errors.join(", "))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bindings<'a>(object: &'a Value, request: &'a Value) -> Bindings<'a> {
        Bindings {
            object,
            old_object: &Value::Null,
            request,
        }
    }

    #[test]
    fn conditions_see_object_and_request() {
        let object =
            json!({"spec": {"scaleTargetRef": {"kind": "Deployment", "name": "a-taskmanager"}}});
        let request = json!({"operation": "CREATE", "kind": {"kind": "HorizontalPodAutoscaler"}});
        let b = bindings(&object, &request);
        let conditions = json!([
            {"name": "tm", "expression": "object.spec.scaleTargetRef.name.endsWith('-taskmanager')"},
            {"name": "op", "expression": "request.operation in ['CREATE', 'UPDATE']"},
            {"name": "old", "expression": "oldObject == null"},
        ]);
        assert_eq!(evaluate(&conditions, &b), Outcome::Call);
        let conditions =
            json!([{"name": "jm", "expression": "object.spec.scaleTargetRef.name == 'a'"}]);
        assert_eq!(evaluate(&conditions, &b), Outcome::Skip);
    }

    #[test]
    fn a_false_condition_wins_over_an_error() {
        let object = json!({"spec": {}});
        let request = json!({});
        let b = bindings(&object, &request);
        let error = json!({"name": "missing", "expression": "object.spec.targetRef.kind == 'X'"});
        match evaluate(&json!([error.clone()]), &b) {
            Outcome::Error(e) => assert!(
                e.starts_with("expression 'object.spec.targetRef.kind == 'X'' resulted in error: "),
                "{e}"
            ),
            other => panic!("{other:?}"),
        }
        let conditions = json!([error, {"name": "no", "expression": "false"}]);
        assert_eq!(evaluate(&conditions, &b), Outcome::Skip);
        assert!(matches!(
            evaluate(&json!([{"name": "n", "expression": "1"}]), &b),
            Outcome::Error(_)
        ));
        assert!(matches!(
            evaluate(&json!([{"name": "n", "expression": "object.("}]), &b),
            Outcome::Error(_)
        ));
        assert_eq!(
            evaluate(
                &json!([{"name": "h", "expression": "!has(object.spec.targetRef)"}]),
                &b
            ),
            Outcome::Call
        );
    }
}
