//! The IAM conditions that keep interviews inside the pipeline, read from `infra/template.yaml`:
//! service roles trust only their service acting for this account (`aws:SourceAccount`) and
//! for this account's resources (`aws:SourceArn`); Transcribe jobs may write only to the
//! pipeline's bucket; every `s3:ListBucket` names prefixes; the bucket denies plain HTTP and
//! denies reads to every principal but the roles that the template itself grants reads to.
//! Each test gathers every problem and fails with the whole list.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use serde_json::{json, Value};

#[path = "common/cfn_yaml.rs"]
mod cfn_yaml;

fn template() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/template.yaml");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    cfn_yaml::parse(&text).expect("infra/template.yaml parses")
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

/// Every (role id, statement) of the roles' inline policies; `Fn::If` policies count both ways.
fn role_statements(template: &Value) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    for (id, resource) in template["Resources"].as_object().unwrap() {
        if resource["Type"] != "AWS::IAM::Role" {
            continue;
        }
        for policy in as_list(&resource["Properties"]["Policies"]) {
            let documents: Vec<&Value> = match policy.get("Fn::If") {
                Some(branches) => as_list(branches).into_iter().skip(1).collect(),
                None => vec![policy],
            };
            for document in documents {
                for statement in as_list(&document["PolicyDocument"]["Statement"]) {
                    out.push((id.clone(), statement));
                }
            }
        }
    }
    out
}

fn assert_no_problems(what: &str, problems: Vec<String>) {
    assert!(problems.is_empty(), "{what}:\n  - {}", problems.join("\n  - "));
}

#[test]
fn service_roles_trust_their_service_only_for_this_accounts_resources() {
    let template = template();
    let mut problems = Vec::new();
    let mut checked = BTreeSet::new();
    for (id, role) in template["Resources"].as_object().unwrap() {
        if role["Type"] != "AWS::IAM::Role" {
            continue;
        }
        for statement in as_list(&role["Properties"]["AssumeRolePolicyDocument"]["Statement"]) {
            let Some(service) = statement["Principal"]["Service"].as_str() else {
                problems.push(format!(
                    "{id} trusts a principal that is not one service: {}",
                    statement["Principal"]
                ));
                continue;
            };
            // Lambda is the only service that assumes roles without acting for a resource of
            // ours, so only the others can name one.
            if service == "lambda.amazonaws.com" {
                continue;
            }
            let prefix = service.trim_end_matches(".amazonaws.com");
            checked.insert(prefix.to_string());
            let condition = &statement["Condition"];
            if condition["StringEquals"]["aws:SourceAccount"] != json!({"Ref": "AWS::AccountId"}) {
                problems.push(format!(
                    "{id} ({service}) lacks StringEquals aws:SourceAccount = AWS::AccountId"
                ));
            }
            let arn = condition["ArnLike"]["aws:SourceArn"]["Fn::Sub"]
                .as_str()
                .unwrap_or_default();
            let ours = format!("arn:${{AWS::Partition}}:{prefix}:${{AWS::Region}}:${{AWS::AccountId}}:");
            if !arn.starts_with(&ours) {
                problems.push(format!(
                    "{id} ({service}) lacks ArnLike aws:SourceArn = !Sub \"{ours}…\"; has {}",
                    condition["ArnLike"]
                ));
            }
        }
    }
    assert_eq!(
        checked,
        BTreeSet::from(["pipes".to_string(), "states".to_string(), "transcribe".to_string()]),
        "the status events pipe's role, the Step Functions role and Transcribe's data-access role are checked"
    );
    assert_no_problems("service role trust policies", problems);
}

#[test]
fn transcription_jobs_may_write_only_to_the_pipelines_bucket() {
    let template = template();
    let mut problems = Vec::new();
    let mut grants = 0;
    for (id, statement) in role_statements(&template) {
        let starts = actions(statement)
            .iter()
            .any(|a| *a == "transcribe:StartTranscriptionJob" || *a == "transcribe:*" || *a == "*");
        if !starts {
            continue;
        }
        grants += 1;
        let bucket = &statement["Condition"]["StringEquals"]["transcribe:OutputBucketName"];
        if statement["Effect"] != "Allow" || *bucket != json!({"Ref": "UploadsBucket"}) {
            problems.push(format!(
                "{id} grants {:?} without StringEquals transcribe:OutputBucketName = !Ref UploadsBucket (has {})",
                actions(statement),
                statement["Condition"]
            ));
        }
    }
    assert_eq!(grants, 1, "one statement lets the transcribe function start jobs");
    assert_no_problems("StartTranscriptionJob", problems);
}

#[test]
fn every_list_bucket_grant_names_the_prefixes_it_may_list() {
    let template = template();
    let mut problems = Vec::new();
    let mut grants = 0;
    for (id, statement) in role_statements(&template) {
        if !actions(statement)
            .iter()
            .any(|a| a.starts_with("s3:List") || *a == "s3:*")
        {
            continue;
        }
        grants += 1;
        let condition = &statement["Condition"];
        let prefixes = condition["StringLikeIfExists"]["s3:prefix"].clone();
        let prefixes = if prefixes.is_null() {
            condition["StringLike"]["s3:prefix"].clone()
        } else {
            prefixes
        };
        let listed: Vec<&str> = as_list(&prefixes).into_iter().filter_map(Value::as_str).collect();
        let ok = !listed.is_empty()
            && listed.iter().all(|p| {
                ["results/", "uploads/", "reports/"]
                    .iter()
                    .any(|root| p.starts_with(root))
            });
        if !ok {
            problems.push(format!(
                "{id} grants {:?} without an s3:prefix condition under results/, uploads/ or reports/ (has {condition})",
                actions(statement)
            ));
        }
    }
    assert!(
        grants >= 4,
        "ingest, transcribe, extract and analyze list the bucket ({grants} grants)"
    );
    assert_no_problems("s3:ListBucket", problems);
}

#[test]
fn the_bucket_is_private_tls_only_and_readable_only_by_the_roles_granted_reads() {
    let template = template();
    let resources = template["Resources"].as_object().unwrap();
    let mut problems = Vec::new();

    let block = &resources["UploadsBucket"]["Properties"]["PublicAccessBlockConfiguration"];
    for flag in [
        "BlockPublicAcls",
        "BlockPublicPolicy",
        "IgnorePublicAcls",
        "RestrictPublicBuckets",
    ] {
        if block[flag] != true {
            problems.push(format!(
                "UploadsBucket's PublicAccessBlockConfiguration.{flag} is not true"
            ));
        }
    }

    let policy = resources
        .values()
        .find(|r| r["Type"] == "AWS::S3::BucketPolicy" && r["Properties"]["Bucket"] == json!({"Ref": "UploadsBucket"}))
        .expect("a bucket policy on UploadsBucket");
    let statements = as_list(&policy["Properties"]["PolicyDocument"]["Statement"]);
    let tls = statements.iter().any(|s| {
        s["Effect"] == "Deny" && s["Principal"] == "*" && s["Condition"]["Bool"]["aws:SecureTransport"] == "false"
    });
    if !tls {
        problems.push("the bucket policy does not deny requests without TLS".into());
    }

    // The roles the template grants s3:GetObject on the bucket: each must be exempt from the
    // deny (or the pipeline breaks), and nobody else may be (or the deny means nothing).
    let readers: BTreeSet<String> = role_statements(&template)
        .into_iter()
        .filter(|(_, s)| s["Effect"] == "Allow" && actions(s).contains(&"s3:GetObject"))
        .map(|(id, _)| id)
        .collect();
    let deny = statements
        .iter()
        .find(|s| s["Effect"] == "Deny" && s["Principal"] == "*" && actions(s).contains(&"s3:GetObject"));
    match deny {
        None => problems.push("the bucket policy does not deny s3:GetObject to other principals".into()),
        Some(deny) => {
            if deny["Resource"] != json!({"Fn::Sub": "${UploadsBucket.Arn}/*"}) {
                problems.push(format!(
                    "the read deny covers {} instead of every object",
                    deny["Resource"]
                ));
            }
            let branches = as_list(&deny["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]["Fn::If"]);
            if branches.len() != 3 || branches[0] != "HasReaderRole" {
                problems.push(format!(
                    "the read deny's exemptions are not !If [HasReaderRole, …]: {}",
                    deny["Condition"]
                ));
            }
            for (n, branch) in branches.iter().skip(1).enumerate() {
                let mut exempt = BTreeSet::new();
                let mut extra = Vec::new();
                for principal in as_list(branch) {
                    match principal["Fn::GetAtt"]
                        .as_array()
                        .map(|a| (a[0].as_str(), a[1].as_str()))
                    {
                        Some((Some(role), Some("Arn"))) => {
                            exempt.insert(role.to_string());
                        }
                        _ => extra.push(principal.clone()),
                    }
                }
                if exempt != readers {
                    problems.push(format!(
                        "read deny branch {n} exempts {exempt:?}; the roles granted reads are {readers:?}"
                    ));
                }
                let expected_extra = if n == 0 {
                    vec![json!({"Ref": "ReaderRoleArn"})]
                } else {
                    vec![]
                };
                if extra != expected_extra {
                    problems.push(format!(
                        "read deny branch {n} also exempts {extra:?}; expected {expected_extra:?}"
                    ));
                }
            }
        }
    }
    assert!(
        readers.contains("TranscribeDataAccessRole") && readers.len() >= 4,
        "{readers:?}"
    );
    assert_no_problems("the bucket's policy", problems);
}
