//! The deployable pieces agree with each other: `interview_handlers::Function::ALL`, the crates under
//! `functions/`, the SAM template `infra/template.yaml` and the state machine
//! `infra/statemachine.asl.json`, and the environment variables `shared/core/src/config.rs` reads.
//! Each test gathers every problem it finds and fails with the whole list, each entry saying
//! what is missing where.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use interview_handlers::Function;
use serde_json::Value;

const TEMPLATE: &str = "infra/template.yaml";
const ASL: &str = "infra/statemachine.asl.json";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the workspace root")
        .to_path_buf()
}

fn template() -> Value {
    let path = repo_root().join(TEMPLATE);
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    cfn_yaml::parse(&text).unwrap_or_else(|e| panic!("{TEMPLATE} does not parse: {e}"))
}

fn asl_text() -> String {
    let path = repo_root().join(ASL);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn resources(template: &Value) -> &serde_json::Map<String, Value> {
    template["Resources"]
        .as_object()
        .unwrap_or_else(|| panic!("{TEMPLATE} has no Resources mapping"))
}

fn resources_of_type<'a>(template: &'a Value, ty: &str) -> Vec<(&'a String, &'a Value)> {
    resources(template).iter().filter(|(_, r)| r["Type"] == ty).collect()
}

fn the_state_machine(template: &Value) -> (&String, &Value) {
    let machines = resources_of_type(template, "AWS::Serverless::StateMachine");
    assert_eq!(
        machines.len(),
        1,
        "{TEMPLATE} must define exactly one AWS::Serverless::StateMachine, found {:?}",
        machines.iter().map(|(id, _)| id).collect::<Vec<_>>()
    );
    machines[0]
}

/// A function property, from the resource or else from `Globals.Function`.
fn function_property<'a>(template: &'a Value, resource: &'a Value, name: &str) -> Option<&'a Value> {
    resource["Properties"]
        .get(name)
        .or_else(|| template["Globals"]["Function"].get(name))
}

/// `${Name}` placeholders of a definition (`${!Literal}` escapes excluded).
fn placeholders(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        rest = &rest[start + 2..];
        let Some(end) = rest.find('}') else { break };
        let name = &rest[..end];
        if !name.starts_with('!') {
            found.insert(name.to_string());
        }
        rest = &rest[end + 1..];
    }
    found
}

/// `Fn::GetAtt` target as (resource, attribute), in either the string or the list form.
fn get_att(value: &Value) -> Option<(String, String)> {
    match value.get("Fn::GetAtt")? {
        Value::String(s) => {
            let (r, a) = s.split_once('.')?;
            Some((r.to_string(), a.to_string()))
        }
        Value::Array(parts) if parts.len() == 2 => {
            Some((parts[0].as_str()?.to_string(), parts[1].as_str()?.to_string()))
        }
        _ => None,
    }
}

fn assert_no_problems(what: &str, problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "{what}: {} problem(s):\n  - {}",
        problems.len(),
        problems.join("\n  - ")
    );
}

fn spec_for_variable(variable: &str) -> Option<Function> {
    Function::ALL.into_iter().find(|f| f.asl_variable() == Some(variable))
}

#[test]
fn asl_placeholders_are_substituted_with_the_arns_of_the_functions_that_declare_them() {
    let template = template();
    let (machine_id, machine) = the_state_machine(&template);
    let props = &machine["Properties"];
    let mut problems = Vec::new();

    let definition_uri = props["DefinitionUri"].as_str().unwrap_or_default();
    if definition_uri != "statemachine.asl.json" {
        problems.push(format!(
            "{machine_id}.DefinitionUri is {:?}; expected \"statemachine.asl.json\" (the file beside the template)",
            props["DefinitionUri"]
        ));
    }
    let asl = asl_text();
    if let Err(e) = serde_json::from_str::<Value>(&asl) {
        problems.push(format!("{ASL} is not valid JSON: {e}"));
    }

    let used = placeholders(&asl);
    let substitutions = props["DefinitionSubstitutions"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    if substitutions.is_empty() {
        problems.push(format!("{machine_id} has no DefinitionSubstitutions"));
    }

    for variable in &used {
        let Some(spec) = spec_for_variable(variable) else {
            problems.push(format!(
                "{ASL} uses ${{{variable}}}, but no entry of interview_handlers::Function::ALL has asl_variable {variable:?}"
            ));
            continue;
        };
        match substitutions.get(variable) {
            None => problems.push(format!(
                "{ASL} uses ${{{variable}}}, but {machine_id}.DefinitionSubstitutions has no key {variable}"
            )),
            Some(value) => match get_att(value) {
                Some((resource, attribute)) if resource == spec.resource() && attribute == "Arn" => {}
                _ => problems.push(format!(
                    "{machine_id}.DefinitionSubstitutions.{variable} is {value}; expected !GetAtt {}.Arn",
                    spec.resource()
                )),
            },
        }
        match resources(&template).get(spec.resource()) {
            Some(r) if r["Type"] == "AWS::Serverless::Function" => {}
            _ => problems.push(format!(
                "${{{variable}}} names {}, which is not an AWS::Serverless::Function in {TEMPLATE}",
                spec.resource()
            )),
        }
    }
    for key in substitutions.keys() {
        if !used.contains(key) {
            problems.push(format!(
                "{machine_id}.DefinitionSubstitutions.{key} is not used by {ASL} (stale substitution)"
            ));
        }
    }
    for spec in Function::ALL.into_iter() {
        if let Some(variable) = spec.asl_variable() {
            if !used.contains(variable) {
                problems.push(format!(
                    "Function::ALL says {} is called by the state machine as ${{{variable}}}, but {ASL} never uses it",
                    spec.name()
                ));
            }
        }
    }
    assert_no_problems("ASL placeholders vs DefinitionSubstitutions vs Function::ALL", problems);
}

#[test]
fn the_state_machine_role_may_invoke_exactly_the_functions_it_calls() {
    let template = template();
    let (machine_id, machine) = the_state_machine(&template);
    let expected: BTreeSet<String> = Function::ALL
        .into_iter()
        .filter(|f| f.asl_variable().is_some())
        .map(|f| f.resource().to_string())
        .collect();

    let role_id = get_att(&machine["Properties"]["Role"])
        .map(|(r, _)| r)
        .unwrap_or_else(|| panic!("{machine_id}.Role must be !GetAtt <an AWS::IAM::Role in {TEMPLATE}>.Arn"));
    let role = &resources(&template)[&role_id];
    let mut granted = BTreeSet::new();
    let mut problems = Vec::new();
    for policy in role["Properties"]["Policies"].as_array().into_iter().flatten() {
        for statement in policy["PolicyDocument"]["Statement"].as_array().into_iter().flatten() {
            let actions: Vec<&str> = match &statement["Action"] {
                Value::String(a) => vec![a.as_str()],
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                _ => vec![],
            };
            if !actions.iter().any(|a| a.starts_with("lambda:")) {
                continue;
            }
            let targets: Vec<&Value> = match &statement["Resource"] {
                Value::Array(r) => r.iter().collect(),
                other => vec![other],
            };
            for target in targets {
                match get_att(target) {
                    Some((resource, attribute)) if attribute == "Arn" => {
                        granted.insert(resource);
                    }
                    _ => problems.push(format!(
                        "{role_id} grants {actions:?} on {target}, which is not !GetAtt <function>.Arn"
                    )),
                }
            }
        }
    }
    for missing in expected.difference(&granted) {
        problems.push(format!("{role_id} does not allow lambda:InvokeFunction on {missing}"));
    }
    for extra in granted.difference(&expected) {
        problems.push(format!(
            "{role_id} allows invoking {extra}, which the state machine does not call"
        ));
    }
    assert_no_problems("state machine role", problems);
}

/// `[package] name` of a Cargo.toml, read without a TOML parser.
fn package_name(manifest: &str) -> Option<String> {
    let mut in_package = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package {
            if let Some(value) = line.strip_prefix("name") {
                let value = value.trim_start().strip_prefix('=')?.trim();
                return Some(value.trim_matches('"').to_string());
            }
        }
    }
    None
}

#[test]
fn every_listed_function_has_a_crate_and_a_sam_function_built_from_it() {
    let template = template();
    let root = repo_root();
    let workspace = fs::read_to_string(root.join("Cargo.toml")).expect("read the workspace Cargo.toml");
    let mut problems = Vec::new();

    for spec in Function::ALL.into_iter() {
        let manifest_path = root.join("functions").join(spec.name()).join("Cargo.toml");
        match fs::read_to_string(&manifest_path) {
            Err(_) => problems.push(format!(
                "{}: functions/{}/Cargo.toml is missing",
                spec.name(),
                spec.name()
            )),
            Ok(manifest) => match package_name(&manifest) {
                Some(name) if name == spec.name() => {}
                other => problems.push(format!(
                    "functions/{}/Cargo.toml: package name is {other:?}; the binary SAM builds is {:?}",
                    spec.name(),
                    spec.name()
                )),
            },
        }
        if !workspace.contains(&format!("\"functions/{}\"", spec.name())) {
            problems.push(format!(
                "the workspace Cargo.toml does not list \"functions/{}\" as a member (cargo lambda build --bin {} runs at the workspace root)",
                spec.name(), spec.name()
            ));
        }

        let Some(resource) = resources(&template).get(spec.resource()) else {
            problems.push(format!(
                "{TEMPLATE} has no resource {} (for function {})",
                spec.resource(),
                spec.name()
            ));
            continue;
        };
        if resource["Type"] != "AWS::Serverless::Function" {
            problems.push(format!(
                "{}: Type is {}; expected AWS::Serverless::Function",
                spec.resource(),
                resource["Type"]
            ));
        }
        let metadata = &resource["Metadata"];
        if metadata["BuildMethod"] != "rust-cargolambda" {
            problems.push(format!(
                "{}: Metadata.BuildMethod is {}; expected rust-cargolambda",
                spec.resource(),
                metadata["BuildMethod"]
            ));
        }
        if metadata["BuildProperties"]["Binary"] != spec.name() {
            problems.push(format!(
                "{}: Metadata.BuildProperties.Binary is {}; expected {:?} (the crate functions/{})",
                spec.resource(),
                metadata["BuildProperties"]["Binary"],
                spec.name(),
                spec.name()
            ));
        }
        match function_property(&template, resource, "CodeUri").and_then(Value::as_str) {
            None => problems.push(format!("{}: no CodeUri (directly or in Globals)", spec.resource())),
            Some(code_uri) => {
                let dir = root.join("infra").join(code_uri);
                let is_root = dir.canonicalize().ok() == root.canonicalize().ok();
                if !is_root {
                    problems.push(format!(
                        "{}: CodeUri {code_uri:?} (relative to infra/) is not the workspace root",
                        spec.resource()
                    ));
                }
            }
        }
    }
    assert_no_problems("Function::ALL vs crates vs SAM functions", problems);
}

#[test]
fn every_function_crate_and_sam_function_is_listed() {
    let template = template();
    let listed_names: BTreeSet<&str> = Function::ALL.into_iter().map(|f| f.name()).collect();
    let listed_resources: BTreeSet<&str> = Function::ALL.into_iter().map(|f| f.resource()).collect();
    let mut problems = Vec::new();

    let functions_dir = repo_root().join("functions");
    let entries = fs::read_dir(&functions_dir).unwrap_or_else(|e| panic!("cannot list functions/: {e}"));
    for entry in entries {
        let entry = entry.expect("read functions/ entry");
        if !entry.path().is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        if !listed_names.contains(name.as_str()) {
            problems.push(format!("functions/{name} is not in interview_handlers::Function::ALL"));
        }
    }
    for (id, _) in resources_of_type(&template, "AWS::Serverless::Function") {
        if !listed_resources.contains(id.as_str()) {
            problems.push(format!(
                "{TEMPLATE} defines AWS::Serverless::Function {id}, which is not in interview_handlers::Function::ALL"
            ));
        }
    }
    let mut seen = HashMap::new();
    for spec in Function::ALL.into_iter() {
        for key in [spec.name(), spec.resource()] {
            if let Some(previous) = seen.insert(key, spec.name()) {
                problems.push(format!(
                    "FUNCTIONS lists {key:?} twice ({previous} and {})",
                    spec.name()
                ));
            }
        }
    }
    assert_no_problems("functions/ and template vs Function::ALL", problems);
}

#[test]
fn the_table_has_the_sparse_sweeper_index() {
    let template = template();
    let tables = resources_of_type(&template, "AWS::DynamoDB::Table");
    assert_eq!(
        tables.len(),
        1,
        "{TEMPLATE} must define exactly one AWS::DynamoDB::Table, found {:?}",
        tables.iter().map(|(id, _)| id).collect::<Vec<_>>()
    );
    let (table_id, table) = tables[0];
    let props = &table["Properties"];
    let mut problems = Vec::new();

    let key_schema = |schema: &Value| -> BTreeMap<String, String> {
        schema
            .as_array()
            .into_iter()
            .flatten()
            .map(|k| {
                (
                    k["KeyType"].as_str().unwrap_or_default().to_string(),
                    k["AttributeName"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    };
    let attributes: BTreeMap<String, String> = props["AttributeDefinitions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            (
                a["AttributeName"].as_str().unwrap_or_default().to_string(),
                a["AttributeType"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();

    let table_keys = key_schema(&props["KeySchema"]);
    if table_keys != BTreeMap::from([("HASH".to_string(), "id".to_string())]) {
        problems.push(format!(
            "{table_id}: KeySchema is {table_keys:?}; expected only HASH id"
        ));
    }
    for name in ["id", "live_shard", "updated_at"] {
        if attributes.get(name).map(String::as_str) != Some("S") {
            problems.push(format!(
                "{table_id}: AttributeDefinitions has {name} as {:?}; expected S",
                attributes.get(name)
            ));
        }
    }
    let indexes = props["GlobalSecondaryIndexes"].as_array().cloned().unwrap_or_default();
    match indexes.iter().find(|i| i["IndexName"] == "live-by-updated") {
        None => problems.push(format!(
            "{table_id}: no GlobalSecondaryIndex named live-by-updated (found {:?})",
            indexes.iter().map(|i| i["IndexName"].clone()).collect::<Vec<_>>()
        )),
        Some(index) => {
            let keys = key_schema(&index["KeySchema"]);
            let expected = BTreeMap::from([
                ("HASH".to_string(), "live_shard".to_string()),
                ("RANGE".to_string(), "updated_at".to_string()),
            ]);
            if keys != expected {
                problems.push(format!(
                    "{table_id}: index live-by-updated has keys {keys:?}; expected HASH live_shard, RANGE updated_at"
                ));
            }
        }
    }
    assert_no_problems("DynamoDB table", problems);
}

#[test]
fn every_function_runs_on_arm64_provided_al2023_with_its_environment() {
    let template = template();
    let mut problems = Vec::new();
    let common = [
        "INTERVIEWS_BACKEND",
        "TABLE_NAME",
        "BUCKET_NAME",
        "TRANSCRIBER",
        "ANALYZER",
        "RUST_LOG",
    ];

    for spec in Function::ALL.into_iter() {
        let Some(resource) = resources(&template).get(spec.resource()) else {
            problems.push(format!("{TEMPLATE} has no resource {}", spec.resource()));
            continue;
        };
        let architectures = function_property(&template, resource, "Architectures");
        if architectures != Some(&serde_json::json!(["arm64"])) {
            problems.push(format!(
                "{}: Architectures is {architectures:?} (resource or Globals); expected [arm64]",
                spec.resource()
            ));
        }
        let runtime = function_property(&template, resource, "Runtime");
        if runtime.and_then(Value::as_str) != Some("provided.al2023") {
            problems.push(format!(
                "{}: Runtime is {runtime:?} (resource or Globals); expected provided.al2023",
                spec.resource()
            ));
        }
        let handler = function_property(&template, resource, "Handler");
        if handler.and_then(Value::as_str) != Some("bootstrap") {
            problems.push(format!(
                "{}: Handler is {handler:?}; expected bootstrap",
                spec.resource()
            ));
        }

        let mut variables = BTreeSet::new();
        for source in [&template["Globals"]["Function"], &resource["Properties"]] {
            if let Some(vars) = source["Environment"]["Variables"].as_object() {
                variables.extend(vars.keys().cloned());
            }
        }
        let mut wanted: Vec<&str> = common.to_vec();
        if matches!(spec.name(), "ingest" | "sweeper" | "api") {
            wanted.push("STATE_MACHINE_ARN");
        }
        if spec.name() == "transcribe" {
            wanted.push("TRANSCRIBE_DATA_ACCESS_ROLE_ARN");
        }
        for name in wanted {
            if !variables.contains(name) {
                problems.push(format!("{}: environment variable {name} is not set", spec.resource()));
            }
        }
    }
    assert_no_problems("function runtime settings", problems);
}

/// Every `Environment.Variables` name the template sets (Globals and each function), with where.
fn template_variables(template: &Value) -> BTreeMap<String, Vec<String>> {
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let globals = template["Globals"]["Function"]["Environment"]["Variables"].as_object();
    for name in globals.into_iter().flat_map(|v| v.keys()) {
        found.entry(name.clone()).or_default().push("Globals".into());
    }
    for (id, resource) in resources_of_type(template, "AWS::Serverless::Function") {
        let vars = resource["Properties"]["Environment"]["Variables"].as_object();
        for name in vars.into_iter().flat_map(|v| v.keys()) {
            found.entry(name.clone()).or_default().push(id.clone());
        }
    }
    found
}

#[test]
fn every_variable_the_template_sets_is_one_the_settings_read() {
    let template = template();
    let mut config =
        fs::read_to_string(repo_root().join("shared/core/src/config.rs")).expect("shared/core/src/config.rs");
    // The webhook function reads its two variables outside `Settings`: it needs no store.
    for path in ["shared/core/src/webhook.rs", "shared/webhook/src/secret.rs"] {
        config.push_str(&fs::read_to_string(repo_root().join(path)).expect(path));
    }
    // Read outside `Settings`: the log filter.
    let elsewhere = ["RUST_LOG"];
    let mut problems = Vec::new();
    for (name, places) in template_variables(&template) {
        if !elsewhere.contains(&name.as_str()) && !config.contains(&format!("\"{name}\"")) {
            problems.push(format!(
                "{} set {name}, which neither the settings (config.rs) nor the webhook function read (a typo, or a setting that was removed?)",
                places.join(", ")
            ));
        }
    }
    assert_no_problems("template variables vs config.rs", problems);
}

/// The statements of an `AWS::IAM::Role`'s inline policies.
fn role_statements(role: &Value) -> Vec<&Value> {
    role["Properties"]["Policies"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|p| p["PolicyDocument"]["Statement"].as_array().into_iter().flatten())
        .collect()
}

fn as_list(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().collect(),
        Value::Null => vec![],
        other => vec![other],
    }
}

fn actions(statement: &Value) -> Vec<&str> {
    as_list(&statement["Action"])
        .into_iter()
        .filter_map(Value::as_str)
        .collect()
}

#[test]
fn transcribes_data_access_role_is_for_transcribe_only_and_passed_by_the_transcribe_function_only() {
    let template = template();
    let resources = resources(&template);
    let mut problems = Vec::new();
    let function = &resources["TranscribeFunction"];
    let variable = &function["Properties"]["Environment"]["Variables"]["TRANSCRIBE_DATA_ACCESS_ROLE_ARN"];
    let Some((role_id, "Arn")) = get_att(variable).as_ref().map(|(r, a)| (r.clone(), a.as_str())) else {
        panic!("TranscribeFunction's TRANSCRIBE_DATA_ACCESS_ROLE_ARN must be !GetAtt <an AWS::IAM::Role>.Arn, is {variable}");
    };
    let role = &resources[&role_id];
    if role["Type"] != "AWS::IAM::Role" {
        panic!("{role_id} (TRANSCRIBE_DATA_ACCESS_ROLE_ARN) is not an AWS::IAM::Role");
    }

    // Trust: Amazon Transcribe, on behalf of this account only.
    let trust = as_list(&role["Properties"]["AssumeRolePolicyDocument"]["Statement"]);
    let trusted_as_expected = trust.len() == 1
        && trust[0]["Effect"] == "Allow"
        && trust[0]["Principal"] == serde_json::json!({"Service": "transcribe.amazonaws.com"})
        && actions(trust[0]) == ["sts:AssumeRole"]
        && trust[0]["Condition"]["StringEquals"]["aws:SourceAccount"] == serde_json::json!({"Ref": "AWS::AccountId"});
    if !trusted_as_expected {
        problems.push(format!(
            "{role_id} must trust only transcribe.amazonaws.com (sts:AssumeRole) with aws:SourceAccount = \
             AWS::AccountId; its trust policy is {trust:?}"
        ));
    }

    // Permissions: read the recordings, write the job's output; nothing else.
    let mut granted = BTreeSet::new();
    for statement in role_statements(role) {
        for action in actions(statement) {
            for resource in as_list(&statement["Resource"]) {
                granted.insert((action.to_string(), resource.to_string()));
            }
        }
    }
    let expected: BTreeSet<(String, String)> = [
        ("s3:GetObject", r#"{"Fn::Sub":"${UploadsBucket.Arn}/uploads/*"}"#),
        ("s3:PutObject", r#"{"Fn::Sub":"${UploadsBucket.Arn}/results/*"}"#),
    ]
    .into_iter()
    .map(|(a, r)| (a.to_string(), r.to_string()))
    .collect();
    if granted != expected {
        problems.push(format!("{role_id} grants {granted:?}; expected exactly {expected:?}"));
    }

    // iam:PassRole: only the transcribe function's role, only on this role, only to Transcribe.
    let transcribe_role = get_att(&function["Properties"]["Role"]).map(|(r, _)| r);
    let mut passes = 0;
    for (id, resource) in resources_of_type(&template, "AWS::IAM::Role") {
        for statement in role_statements(resource) {
            if !actions(statement)
                .iter()
                .any(|a| a.starts_with("iam:PassRole") || *a == "iam:*" || *a == "*")
            {
                continue;
            }
            let targets = as_list(&statement["Resource"]);
            let exact = targets.len() == 1
                && get_att(targets[0]) == Some((role_id.clone(), "Arn".into()))
                && statement["Condition"]["StringEquals"]["iam:PassedToService"] == "transcribe.amazonaws.com";
            if Some(id) != transcribe_role.as_ref() {
                problems.push(format!(
                    "{id} grants {:?}; only TranscribeFunction's role may pass a role",
                    actions(statement)
                ));
            } else if !exact {
                problems.push(format!(
                    "{id} grants iam:PassRole on {targets:?}; expected exactly !GetAtt {role_id}.Arn with \
                     StringEquals iam:PassedToService = transcribe.amazonaws.com"
                ));
            } else {
                passes += 1;
            }
        }
    }
    if passes != 1 {
        problems.push(format!(
            "TranscribeFunction's role ({transcribe_role:?}) must have one iam:PassRole statement for {role_id}, has {passes}"
        ));
    }
    assert_no_problems("Transcribe's data-access role", problems);
}

#[test]
fn the_api_is_behind_a_throttled_logged_jwt_authorizer_and_its_role_is_least_privilege() {
    let template = template();
    let resources = resources(&template);
    let mut problems = Vec::new();
    let api = &resources["HttpApi"]["Properties"];
    if api["Auth"]["DefaultAuthorizer"] != "Jwt" || api["Auth"]["Authorizers"]["Jwt"]["JwtConfiguration"].is_null() {
        problems.push(format!("HttpApi must default to a JWT authorizer: {}", api["Auth"]));
    }
    if get_att(&api["AccessLogSettings"]["DestinationArn"]).is_none() {
        problems.push("HttpApi has no access log destination".into());
    }
    for limit in ["ThrottlingRateLimit", "ThrottlingBurstLimit"] {
        if api["DefaultRouteSettings"][limit].is_null() {
            problems.push(format!("HttpApi.DefaultRouteSettings has no {limit}"));
        }
    }
    let events = resources["ApiFunction"]["Properties"]["Events"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for (name, event) in &events {
        let public = event["Properties"]["Auth"]["Authorizer"] == "NONE";
        let path = event["Properties"]["Path"].as_str().unwrap_or_default();
        if public && !matches!(path, "/" | "/assets/{name}" | "/v1/openapi.json") {
            problems.push(format!("ApiFunction event {name} makes {path} public"));
        }
    }

    let role_id = get_att(&resources["ApiFunction"]["Properties"]["Role"])
        .map(|(r, _)| r)
        .unwrap_or_default();
    let mut granted = BTreeSet::new();
    for statement in role_statements(&resources[&role_id]) {
        for action in actions(statement) {
            for resource in as_list(&statement["Resource"]) {
                granted.insert((action.to_string(), resource.to_string()));
            }
        }
    }
    let sub = |path: &str| format!(r#"{{"Fn::Sub":"{path}"}}"#);
    let table = r#"{"Fn::GetAtt":["InterviewsTable","Arn"]}"#.to_string();
    let bucket = r#"{"Fn::GetAtt":["UploadsBucket","Arn"]}"#.to_string();
    let expected: BTreeSet<(String, String)> = [
        (
            "logs:CreateLogStream",
            r#"{"Fn::GetAtt":["ApiLogGroup","Arn"]}"#.to_string(),
        ),
        (
            "logs:PutLogEvents",
            r#"{"Fn::GetAtt":["ApiLogGroup","Arn"]}"#.to_string(),
        ),
        ("xray:PutTraceSegments", "\"*\"".to_string()),
        ("xray:PutTelemetryRecords", "\"*\"".to_string()),
        ("dynamodb:Query", sub("${InterviewsTable.Arn}/index/by-project")),
        ("dynamodb:Query", sub("${InterviewsTable.Arn}/index/live-by-updated")),
        ("dynamodb:GetItem", table.clone()),
        ("dynamodb:PutItem", table.clone()),
        ("dynamodb:UpdateItem", table),
        ("s3:ListBucket", bucket),
        ("s3:GetObject", sub("${UploadsBucket.Arn}/results/*")),
        ("s3:GetObject", sub("${UploadsBucket.Arn}/uploads/*")),
        // GET /v1/projects/{project}/report.
        ("s3:GetObject", sub("${UploadsBucket.Arn}/reports/*")),
        ("s3:PutObject", sub("${UploadsBucket.Arn}/uploads/*")),
        ("s3:DeleteObject", sub("${UploadsBucket.Arn}/uploads/*")),
        (
            "states:StartExecution",
            r#"{"Ref":"InterviewStateMachine"}"#.to_string(),
        ),
    ]
    .into_iter()
    .map(|(a, r)| (a.to_string(), r))
    .collect();
    for extra in granted.difference(&expected) {
        problems.push(format!(
            "{role_id} grants {extra:?}, which the api function does not need"
        ));
    }
    for missing in expected.difference(&granted) {
        problems.push(format!("{role_id} lacks {missing:?}"));
    }

    let indexes = resources["InterviewsTable"]["Properties"]["GlobalSecondaryIndexes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    match indexes.iter().find(|i| i["IndexName"] == "by-project") {
        None => problems.push("the table has no by-project index for the API's listings".into()),
        Some(index) => {
            let projected: Vec<&str> = index["Projection"]["NonKeyAttributes"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            if projected != interview_aws::dynamodb::PROJECT_INDEX_ATTRIBUTES {
                problems.push(format!(
                    "by-project projects {projected:?}; the store reads {:?}",
                    interview_aws::dynamodb::PROJECT_INDEX_ATTRIBUTES
                ));
            }
        }
    }
    assert_no_problems("HTTP API", problems);
}

#[test]
fn the_yaml_loader_keeps_cloudformation_short_forms() {
    let value = cfn_yaml::parse(
        "A: !Ref B\nC: !GetAtt D.Arn\nE: !Sub \"x-${F}\"\nG: !If [H, !Ref I, !Ref AWS::NoValue]\nJ: 'quoted'\nK: 3\n",
    )
    .expect("parse");
    assert_eq!(value["A"], serde_json::json!({"Ref": "B"}));
    assert_eq!(value["C"], serde_json::json!({"Fn::GetAtt": ["D", "Arn"]}));
    assert_eq!(value["E"], serde_json::json!({"Fn::Sub": "x-${F}"}));
    assert_eq!(
        value["G"],
        serde_json::json!({"Fn::If": ["H", {"Ref": "I"}, {"Ref": "AWS::NoValue"}]})
    );
    assert_eq!(value["J"], "quoted");
    assert_eq!(value["K"], 3);
    assert!(
        cfn_yaml::parse("A: 1\nA: 2\n").is_err(),
        "duplicate keys must be refused"
    );
}

/// A YAML loader that keeps CloudFormation's short-form tags (`!Ref`, `!GetAtt`, `!Sub`, ...) by
/// rewriting them to their long JSON form, as CloudFormation reads them.
#[path = "common/cfn_yaml.rs"]
mod cfn_yaml;
