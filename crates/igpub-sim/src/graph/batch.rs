//! `POST /` with `batch=[…]`: up to 50 sub-requests in one round trip, with `name`,
//! `depends_on`, JSONPath references and `omit_response_on_success` (shared/graph-api.md §9.1).

use super::faulted::{Delivery, run_faulted};
use super::request::{GraphCall, Verb, merge_form, split_version};
use super::{Answer, Endpoint, route};
use crate::error::MetaError;
use crate::state::SimState;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// Most sub-requests in one batch (shared/graph-api.md §9.1).
pub const MAX_BATCH: usize = 50;

/// One sub-request as the caller wrote it.
#[derive(Debug, Clone, Default)]
struct Part {
    method: String,
    relative_url: String,
    body: String,
    name: Option<String>,
    depends_on: Option<String>,
    omit_response_on_success: Option<bool>,
}

fn parse_part(value: &Value) -> Result<Part, MetaError> {
    let object = value
        .as_object()
        .ok_or_else(|| MetaError::invalid_parameter("Each batch request must be a JSON object"))?;
    let text = |name: &str| object.get(name).and_then(Value::as_str).map(str::to_owned);
    let relative_url =
        text("relative_url").ok_or_else(|| MetaError::missing_parameter("relative_url"))?;
    let omit = match object.get("omit_response_on_success") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(flag)) => Some(*flag),
        Some(Value::String(flag)) => Some(flag == "true"),
        Some(_) => {
            return Err(MetaError::invalid_parameter(
                "omit_response_on_success must be a boolean",
            ));
        }
    };
    Ok(Part {
        method: text("method").unwrap_or_else(|| "GET".to_owned()),
        relative_url,
        body: text("body").unwrap_or_default(),
        name: text("name"),
        depends_on: text("depends_on"),
        omit_response_on_success: omit,
    })
}

/// Runs a batch. The outer answer is 200 even when parts fail.
pub async fn run(state: &SimState, call: &GraphCall) -> Answer {
    let parts = match read_parts(call) {
        Ok(parts) => parts,
        Err(error) => return Answer::plain(Err(error), None),
    };
    let include_headers = call.param("include_headers") != Some("false");
    let referenced: Vec<String> = parts
        .iter()
        .flat_map(|part| {
            let mut names = references(&part.relative_url);
            names.extend(references(&part.body));
            names.extend(part.depends_on.clone());
            names
        })
        .collect();
    let mut results: HashMap<String, Option<Value>> = HashMap::new();
    let mut responses = Vec::with_capacity(parts.len());
    let mut app = None;
    let mut igs = Vec::new();
    for part in &parts {
        let outcome = run_part(state, call, part, &results).await;
        let (response, body) = match outcome {
            Some((answer, response, body)) => {
                app = app.or(answer.app);
                igs.extend(answer.igs);
                (response, body)
            }
            None => (Value::Null, None),
        };
        let succeeded = body.is_some();
        if let Some(name) = &part.name {
            results.insert(name.clone(), body);
        }
        let omitted = succeeded
            && part.omit_response_on_success.unwrap_or_else(|| {
                part.name
                    .as_ref()
                    .is_some_and(|name| referenced.contains(name))
            });
        responses.push(if omitted { Value::Null } else { response });
        if !include_headers
            && let Some(object) = responses.last_mut().and_then(Value::as_object_mut)
        {
            object.remove("headers");
        }
    }
    igs.sort_unstable();
    igs.dedup();
    Answer {
        result: Ok(Value::Array(responses)),
        app,
        igs,
    }
}

fn read_parts(call: &GraphCall) -> Result<Vec<Part>, MetaError> {
    let text = call.param("batch").unwrap_or_default();
    let Ok(Value::Array(items)) = serde_json::from_str::<Value>(text) else {
        return Err(MetaError::invalid_parameter(
            "The parameter batch must be a JSON array",
        ));
    };
    if items.len() > MAX_BATCH {
        return Err(MetaError::invalid_parameter(format!(
            "Too many requests in batch message. Maximum batch size is {MAX_BATCH}"
        )));
    }
    items.iter().map(parse_part).collect()
}

/// Runs one part. `None` when it is not run (failed dependency) or got no answer (timed out):
/// its element is then `null`. Otherwise the answer, its `{code, headers, body}` and, when it
/// succeeded, its parsed body for later references.
async fn run_part(
    state: &SimState,
    outer: &GraphCall,
    part: &Part,
    results: &HashMap<String, Option<Value>>,
) -> Option<(Answer, Value, Option<Value>)> {
    if let Some(dependency) = &part.depends_on
        && !matches!(results.get(dependency), Some(Some(_)))
    {
        return None;
    }
    let relative_url = substitute(&part.relative_url, results)?;
    let body = substitute(&part.body, results)?;
    let call = match part_call(outer, part, &relative_url, &body) {
        Ok(call) => call,
        Err(error) => {
            let answer = Answer::plain(Err(error), None);
            let response = sub_response(state, &answer, outer.version);
            return Some((answer, response, None));
        }
    };
    let routed = route(state, &call);
    // A multi-get may sit inside a batch (graph-api.md §9.1's own example); a batch may not.
    if routed.endpoint == Endpoint::Batch {
        let answer = Answer::plain(
            Err(MetaError::invalid_parameter(
                "Batch requests cannot be nested",
            )),
            None,
        );
        let response = sub_response(state, &answer, call.version);
        return Some((answer, response, None));
    }
    match run_faulted(state, &call, &routed, Duration::ZERO).await {
        Delivery::Nothing { .. } => None,
        Delivery::Answer(answer) => {
            let response = sub_response(state, &answer, call.version);
            let body = answer.result.as_ref().ok().cloned();
            Some((answer, response, body))
        }
    }
}

/// A sub-request as a Graph call: its own version, path, query, form body and token.
fn part_call(
    outer: &GraphCall,
    part: &Part,
    relative_url: &str,
    body: &str,
) -> Result<GraphCall, MetaError> {
    let verb = Verb::parse(&part.method).ok_or_else(|| {
        MetaError::invalid_parameter(format!("Unsupported method {}", part.method))
    })?;
    let (path, query) = relative_url.split_once('?').unwrap_or((relative_url, ""));
    // An unversioned relative_url is answered by the batch's own version.
    let (version, path) = split_version(path, outer.version)?;
    let mut params = BTreeMap::new();
    merge_form(&mut params, query.as_bytes());
    merge_form(&mut params, body.as_bytes());
    let own_token = params.get("access_token").cloned();
    if own_token.is_none()
        && let Some(proof) = outer.params.get("appsecret_proof")
    {
        // A part that runs on the batch's token runs on its proof too (§5.4, §9.1); a part
        // with its own token must prove that token itself.
        params
            .entry("appsecret_proof".to_owned())
            .or_insert_with(|| proof.clone());
    }
    let token = own_token.or_else(|| outer.token.clone());
    Ok(GraphCall {
        verb,
        version,
        path,
        params,
        token,
    })
}

/// `{code, headers, body}` with the body as a JSON string (shared/graph-api.md §9.1).
fn sub_response(state: &SimState, answer: &Answer, version: u32) -> Value {
    let (code, body) = match &answer.result {
        Ok(body) => (200, body.clone()),
        Err(error) => (error.http_status, error.to_json(&state.next_trace_id())),
    };
    let mut headers = vec![
        json!({"name": "Content-Type", "value": "text/javascript; charset=UTF-8"}),
        json!({"name": "facebook-api-version", "value": format!("v{version}.0")}),
    ];
    if let Err(error) = &answer.result
        && error.code == 190
    {
        let value = crate::auth::tokens::www_authenticate(&error.message);
        headers.push(json!({"name": "WWW-Authenticate", "value": value}));
    }
    json!({"code": code, "headers": Value::Array(headers), "body": body.to_string()})
}

/// The names a text refers to through `{result=name:…}`.
fn references(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{result=") {
        let after = &rest[start + "{result=".len()..];
        let Some(end) = after.find('}') else {
            break;
        };
        if let Some((name, _)) = after[..end].split_once(':') {
            names.push(name.to_owned());
        }
        rest = &after[end..];
    }
    names
}

/// Replaces every `{result=name:$.path}` with the values the path selects, comma-joined.
/// `None` when a referenced request failed or did not run.
fn substitute(text: &str, results: &HashMap<String, Option<Value>>) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{result=") {
        out.push_str(&rest[..start]);
        let after = &rest[start + "{result=".len()..];
        let end = after.find('}')?;
        let (name, path) = after[..end].split_once(':')?;
        let source = results.get(name)?.as_ref()?;
        let values = json_path(source, path);
        out.push_str(&values.join(","));
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// The small JSONPath Graph batches use: `$.id`, `$.data.*.id`, `$.data[0].id`.
fn json_path(root: &Value, path: &str) -> Vec<String> {
    let mut current = vec![root];
    let steps = path.trim().trim_start_matches('$');
    for step in steps.split('.').filter(|step| !step.is_empty()) {
        let (key, index) = match step.split_once('[') {
            Some((key, rest)) => (key, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (step, None),
        };
        let mut next = Vec::new();
        for value in current {
            let selected: Vec<&Value> = match key {
                "*" => match value {
                    Value::Array(items) => items.iter().collect(),
                    Value::Object(map) => map.values().collect(),
                    _ => Vec::new(),
                },
                "" => vec![value],
                key => value.get(key).into_iter().collect(),
            };
            for item in selected {
                match index {
                    Some(index) => next.extend(item.get(index)),
                    None => next.push(item),
                }
            }
        }
        current = next;
    }
    current
        .into_iter()
        .filter_map(|value| match value {
            Value::String(text) => Some(text.clone()),
            Value::Number(number) => Some(number.to_string()),
            Value::Bool(flag) => Some(flag.to_string()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_path_selects_ids_from_a_list() {
        let body = json!({"data": [{"id": "1"}, {"id": "2"}], "id": "9"});
        assert_eq!(json_path(&body, "$.id"), vec!["9"]);
        assert_eq!(json_path(&body, "$.data.*.id"), vec!["1", "2"]);
        assert_eq!(json_path(&body, "$.data[1].id"), vec!["2"]);
    }

    #[test]
    fn references_are_replaced_by_their_values() {
        let results = HashMap::from([("c".to_owned(), Some(json!({"id": "42"})))]);
        let replaced = substitute("creation_id={result=c:$.id}", &results);
        assert_eq!(replaced.as_deref(), Some("creation_id=42"));
        let failed = HashMap::from([("c".to_owned(), None)]);
        assert_eq!(substitute("creation_id={result=c:$.id}", &failed), None);
    }

    #[test]
    fn references_name_the_requests_they_use() {
        assert_eq!(
            references("?ids={result=get:$.data.*.id}&x={result=b:$.id}"),
            vec!["get", "b"]
        );
    }
}
