//! A small YAML writer for manifests built as `serde_json::Value`: block maps
//! and lists, strings always double-quoted (JSON escapes are valid YAML), so
//! no value can change type or meaning on the way (`"no"`, `"1.0"`, `"on"`).
//! Key order is kept as built (serde_json's `preserve_order`-free maps sort
//! keys, which is also what we want: a deterministic file).

use serde_json::Value;

fn scalar(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => Value::String(s.clone()).to_string(),
        Value::Array(a) if a.is_empty() => "[]".to_string(),
        Value::Object(o) if o.is_empty() => "{}".to_string(),
        _ => unreachable!("collections are written as blocks"),
    }
}

fn key(text: &str) -> String {
    let plain = !text.is_empty()
        && text.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
        && !matches!(text, "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null");
    if plain {
        text.to_string()
    } else {
        Value::String(text.to_string()).to_string()
    }
}

fn is_block(value: &Value) -> bool {
    matches!(value, Value::Array(a) if !a.is_empty()) || matches!(value, Value::Object(o) if !o.is_empty())
}

fn write(out: &mut String, value: &Value, indent: usize) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                if is_block(v) {
                    out.push_str(&format!("{pad}{}:\n", key(k)));
                    let child_indent = if v.is_array() { indent } else { indent + 2 };
                    write(out, v, child_indent);
                } else {
                    out.push_str(&format!("{pad}{}: {}\n", key(k), scalar(v)));
                }
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for item in items {
                if is_block(item) {
                    // The first line of the item goes after "- ", the rest indented under it.
                    let mut nested = String::new();
                    write(&mut nested, item, indent + 2);
                    let body = &nested[indent + 2..];
                    out.push_str(&format!("{pad}- {body}"));
                } else {
                    out.push_str(&format!("{pad}- {}\n", scalar(item)));
                }
            }
        }
        other => out.push_str(&format!("{pad}{}\n", scalar(other))),
    }
}

/// One YAML document.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    write(&mut out, value, 0);
    out
}

/// Several documents separated by `---`.
pub fn to_yaml_documents(values: &[Value]) -> String {
    values.iter().map(to_yaml).collect::<Vec<_>>().join("---\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_maps_lists_and_quoting() {
        let value = json!({"a": {"b": [1, {"c": "no", "d": [true]}], "e": []}, "on": "x"});
        let expected = "a:\n  b:\n  - 1\n  - c: \"no\"\n    d:\n    - true\n  e: []\n\"on\": \"x\"\n";
        assert_eq!(to_yaml(&value), expected);
    }
}
