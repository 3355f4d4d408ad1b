//! The signing secret of the AWS webhook function, read from Secrets Manager once per container
//! (a secret rotated meanwhile reaches new containers; Lambda recycles them within hours).

use aws_sdk_secretsmanager::Client;
use interview_core::webhook::{WebhookConfigError, WebhookSettings, SECRET_VAR, URL_VAR};
use std::collections::HashMap;

/// The function's environment variable naming the secret (template parameter `WebhookSecretArn`).
pub const SECRET_ARN_VAR: &str = "INTERVIEWS_WEBHOOK_SECRET_ARN";

/// Why the webhook settings could not be assembled.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// A variable the function needs is unset; a deployment fix.
    #[error("{0} is not set")]
    Missing(&'static str),
    /// Secrets Manager refused or could not be reached; a retry (a new container) may help when
    /// it was throttling or a network fault, not when it is a permission or a wrong ARN.
    #[error("cannot read the webhook secret from Secrets Manager: {0}")]
    Fetch(String),
    /// The secret has no string value (a binary secret).
    #[error("the webhook secret has no string value; store the `whsec_…` text as SecretString")]
    NotText,
    /// The URL or the secret's value is malformed; fixing it is the only remedy.
    #[error(transparent)]
    Config(#[from] WebhookConfigError),
}

/// The webhook settings: the URL from `vars` and the secret named by `vars`' [`SECRET_ARN_VAR`].
pub async fn settings(client: &Client, vars: &HashMap<String, String>) -> Result<WebhookSettings, SecretError> {
    let get = |name: &'static str| {
        vars.get(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .ok_or(SecretError::Missing(name))
    };
    let url = get(URL_VAR)?;
    let arn = get(SECRET_ARN_VAR)?;
    let output = client
        .get_secret_value()
        .secret_id(arn)
        .send()
        .await
        .map_err(|e| SecretError::Fetch(aws_sdk_secretsmanager::error::DisplayErrorContext(e).to_string()))?;
    let secret = output.secret_string().ok_or(SecretError::NotText)?;
    let vars = HashMap::from([(URL_VAR.to_string(), url), (SECRET_VAR.to_string(), secret.to_string())]);
    WebhookSettings::from_vars(&vars)?.ok_or(SecretError::Missing(URL_VAR))
}

/// A Secrets Manager client from the default chain (`AWS_ENDPOINT_URL` included).
pub async fn client() -> Client {
    Client::new(&aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await)
}
