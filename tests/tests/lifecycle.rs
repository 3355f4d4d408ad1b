//! The ends of an interview's life on the embedded backend: deletion racing a step that is
//! still working (issue 9.5), recordings with no speech and transcripts with no words
//! (issue 9.4), and a sweep whose reads follow the live items only, however many have ended
//! (issue 7).

use integration_tests::faults::{sample_vtt, Backend, BlobOp, Env, Fault, Gate, ProviderCall, ProviderOp, Rule};
use integration_tests::invariants::Report;
use interview::domain::Status;

const KEY: &str = "uploads/acme/interview.vtt";

async fn assert_clean(env: &Env) {
    let mut report = Report::new();
    env.check(&mut report).await;
    assert!(report.is_clean(), "invariant violations: {:#?}", report.violations);
    assert!(report.checked > 0);
}

#[tokio::test]
async fn a_step_that_outlives_its_deleted_upload_leaves_no_results() {
    let env = Env::new(Backend::Embedded, |_| {}).await;
    let gate = Gate::new();
    env.analyzer
        .script
        .add(Rule::new(Fault::Hold(gate.clone()), |c: &ProviderCall| {
            c.op == ProviderOp::Extract
        }));
    let (id, event) = env.upload(KEY, &sample_vtt()).await;
    env.ingest(&event).await.unwrap();
    gate.reached(1).await;
    env.remove(KEY).await.unwrap();
    env.wait_idle().await;
    assert_eq!(env.item(&id).await.unwrap().status, Status::Deleted);
    assert!(env.results(&id).await.is_empty(), "the removal deleted the transcript");

    // The stopped execution's extract was abandoned, not killed (as a Lambda is not killed by
    // StopExecution): it finishes its work, writes its document, and is refused by the item.
    gate.open();
    assert!(env.settle().await);
    let late_put = env
        .blobs
        .log()
        .into_iter()
        .find(|c| c.op == BlobOp::Put && c.ok && c.key.ends_with("/r1/evidence.json"));
    assert!(late_put.is_some(), "the late extract did write its document");
    assert_eq!(
        env.results(&id).await,
        Vec::<String>::new(),
        "and removed it again once the item refused it"
    );
    assert_eq!(env.item(&id).await.unwrap().status, Status::Deleted);
    assert_clean(&env).await;
}
