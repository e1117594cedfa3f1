//! A canonical JSON text: object keys sorted, no whitespace. Two deliveries of the same
//! change give the same text however Meta escaped or ordered them.

use serde_json::Value;

/// Appends the canonical text of `value` to `out`.
pub(super) fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            // Sorted here rather than relying on serde_json's map order, which a feature
            // elsewhere in the build (`preserve_order`) could change.
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(text: &str) -> String {
        let value: Value = serde_json::from_str(text).expect("valid JSON");
        let mut out = String::new();
        write_canonical(&value, &mut out);
        out
    }

    #[test]
    fn key_order_whitespace_and_escaping_do_not_change_the_text() {
        assert_eq!(
            canonical(r#"{ "b": [1, {"y": 2, "x": "\u00e9"}], "a": null }"#),
            canonical(r#"{"a":null,"b":[1,{"x":"é","y":2}]}"#)
        );
        assert_eq!(canonical(r#"{"b":1,"a":"q\""}"#), r#"{"a":"q\"","b":1}"#);
    }
}
