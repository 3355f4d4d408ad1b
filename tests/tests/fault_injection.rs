//! Fault injection (issue 7.4).

use integration_tests::faults::{sample_vtt, Backend, Env, Fault, Rule, StoreCall, StoreOp};
use interview::domain::Status;

const KEY: &str = "uploads/acme/bakery scheduling.vtt";

/// A short but valid first version of the upload at [`KEY`].
const SHORT: &[u8] = b"WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Interviewer>Is scheduling hard?\n\n\
00:00:04.000 --> 00:00:08.000\n<v Maria>It takes forever every week.\n";

/// The write with which ingest claims a new run of an existing item.
fn is_claim(c: &StoreCall) -> bool {
    c.op == StoreOp::Replace
        && c.expected
            .as_ref()
            .zip(c.item.as_ref())
            .is_some_and(|(e, i)| e.run_id != i.run_id)
}

#[tokio::test]
async fn a_throttled_claim_goes_back_to_sqs_instead_of_spinning() {
    let env = Env::new(Backend::Embedded, |_| {}).await;
    env.drop_file(KEY, SHORT).await;
    env.store.script.add(Rule::new(Fault::Throttle, is_claim).times(3));
    let (id, event) = env.upload(KEY, &sample_vtt()).await;
    assert_eq!(
        env.ingest(&event).await,
        Ok(4),
        "each throttled claim is one failed delivery; SQS redelivery is the backoff"
    );
    env.wait_idle().await;
    let item = env.item(&id).await.unwrap();
    assert_eq!((item.status, item.run_id.number()), (Status::Ready, 2));
}
