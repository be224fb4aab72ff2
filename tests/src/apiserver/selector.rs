//! `labelSelector` and `fieldSelector` query parameters: parsed once per request,
//! then matched against each object of a list or watch.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
enum Op {
    Equals(String),
    NotEquals(String),
    In(Vec<String>),
    NotIn(Vec<String>),
    Exists,
    DoesNotExist,
}

/// A parsed label selector: every requirement must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelSelector(Vec<(String, Op)>);

fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
}

fn valid_value(value: &str) -> bool {
    value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// Splits at commas outside parentheses: `a in (x,y),b` is two requirements.
fn split_top_level(s: &str) -> Vec<&str> {
    let (mut parts, mut depth, mut start) = (Vec::new(), 0i32, 0);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

fn parse_requirement(req: &str) -> Option<(String, Op)> {
    let req = req.trim();
    if let Some(key) = req.strip_prefix('!') {
        let key = key.trim();
        return valid_key(key).then(|| (key.to_string(), Op::DoesNotExist));
    }
    if let Some(open) = req.find('(') {
        let values = req[open + 1..].strip_suffix(')')?;
        let values: Vec<String> = values.split(',').map(|v| v.trim().to_string()).collect();
        if !values.iter().all(|v| valid_value(v)) {
            return None;
        }
        let head = req[..open].trim_end();
        let (key, op) = if let Some(key) = head.strip_suffix("notin") {
            (key, Op::NotIn(values))
        } else {
            (head.strip_suffix("in")?, Op::In(values))
        };
        // `keyin (x)` is not `key in (x)`.
        if !key.ends_with(char::is_whitespace) {
            return None;
        }
        let key = key.trim();
        return valid_key(key).then(|| (key.to_string(), op));
    }
    let (key, op) = if let Some((k, v)) = req.split_once("!=") {
        (k, Op::NotEquals(v.trim().to_string()))
    } else if let Some((k, v)) = req.split_once("==") {
        (k, Op::Equals(v.trim().to_string()))
    } else if let Some((k, v)) = req.split_once('=') {
        (k, Op::Equals(v.trim().to_string()))
    } else {
        (req, Op::Exists)
    };
    let key = key.trim();
    let value_ok = match &op {
        Op::Equals(v) | Op::NotEquals(v) => valid_value(v),
        _ => true,
    };
    (valid_key(key) && value_ok).then(|| (key.to_string(), op))
}

impl LabelSelector {
    /// Parses `a=b,c!=d,e in (x,y),f notin (z),g,!h`; an empty string selects all.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.trim().is_empty() {
            return Ok(Self::default());
        }
        split_top_level(s)
            .into_iter()
            .map(|req| {
                parse_requirement(req).ok_or_else(|| {
                    format!("unable to parse requirement: found '{}', expected: key, !, =, ==, !=, in, notin", req.trim())
                })
            })
            .collect::<Result<_, _>>()
            .map(LabelSelector)
    }

    /// Matches `metadata.labels` of `obj`.
    pub fn matches(&self, obj: &Value) -> bool {
        let labels = &obj["metadata"]["labels"];
        self.0.iter().all(|(key, op)| {
            let value = labels.get(key).and_then(Value::as_str);
            match op {
                Op::Equals(v) => value == Some(v),
                Op::NotEquals(v) => value != Some(v),
                Op::In(vs) => value.is_some_and(|x| vs.iter().any(|v| v == x)),
                Op::NotIn(vs) => value.is_none_or(|x| vs.iter().all(|v| v != x)),
                Op::Exists => value.is_some(),
                Op::DoesNotExist => value.is_none(),
            }
        })
    }
}

/// A parsed field selector: `path=value`, `path==value`, `path!=value`, comma-joined.
/// Any dotted path is accepted (the real server allows only a few per kind);
/// a missing field reads as the empty string.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldSelector(Vec<(Vec<String>, bool, String)>);

impl FieldSelector {
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.trim().is_empty() {
            return Ok(Self::default());
        }
        s.split(',')
            .map(|term| {
                let (path, equal, value) = if let Some((p, v)) = term.split_once("!=") {
                    (p, false, v)
                } else if let Some((p, v)) = term.split_once("==") {
                    (p, true, v)
                } else if let Some((p, v)) = term.split_once('=') {
                    (p, true, v)
                } else {
                    return Err(format!(
                        "invalid selector: '{term}'; can't understand '{term}'"
                    ));
                };
                let path: Vec<String> = path.trim().split('.').map(String::from).collect();
                if path.iter().any(String::is_empty) {
                    return Err(format!("invalid field path in selector: '{term}'"));
                }
                Ok((path, equal, value.trim().to_string()))
            })
            .collect::<Result<_, _>>()
            .map(FieldSelector)
    }

    pub fn matches(&self, obj: &Value) -> bool {
        self.0.iter().all(|(path, equal, expected)| {
            let field = path.iter().fold(obj, |v, k| &v[k.as_str()]);
            let actual = match field {
                Value::Null => String::new(),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (actual == *expected) == *equal
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labelled(labels: Value) -> Value {
        json!({"metadata": {"name": "n", "namespace": "ns", "labels": labels}})
    }

    #[test]
    fn label_operators_match_like_kubernetes() {
        let obj = labelled(json!({"app": "x", "tier": "web"}));
        for (selector, expected) in [
            ("app=x", true),
            ("app==x", true),
            ("app!=x", false),
            ("missing!=x", true),
            ("app in (x, y)", true),
            ("app notin (x,y)", false),
            ("missing notin (x)", true),
            ("tier", true),
            ("!tier", false),
            ("!missing", true),
            ("app=x,tier in (web),!gone", true),
            ("", true),
        ] {
            let s = LabelSelector::parse(selector).unwrap();
            assert_eq!(s.matches(&obj), expected, "{selector}");
        }
    }

    #[test]
    fn bad_label_selectors_are_errors() {
        for bad in [
            "app in x",
            "a b=c",
            "app=(x",
            "keyin (x)",
            "=x",
            "app in (x",
        ] {
            assert!(LabelSelector::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn field_selectors_read_dotted_paths() {
        let obj = labelled(json!({}));
        let s = FieldSelector::parse("metadata.name=n,metadata.namespace!=other").unwrap();
        assert!(s.matches(&obj));
        assert!(
            !FieldSelector::parse("metadata.name==m")
                .unwrap()
                .matches(&obj)
        );
        assert!(
            FieldSelector::parse("spec.nodeName=")
                .unwrap()
                .matches(&obj)
        );
        assert!(FieldSelector::parse("metadata.name").is_err());
    }
}
