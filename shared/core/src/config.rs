//! Configuration read from the environment, with errors that say which variable to set.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

/// Which adapters a process uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// No cloud: SQLite + files under a data dir + the in-process ASL runner.
    Embedded {
        /// Where the item table, the bucket folder and caches live.
        data_dir: PathBuf,
    },
    /// DynamoDB, S3 and Step Functions (endpoint from `AWS_ENDPOINT_URL` when set, e.g. moto).
    Aws {
        /// The interview table.
        table: String,
        /// The uploads/results bucket.
        bucket: String,
        /// The state machine executions are started on (ingest and operators need it).
        state_machine_arn: Option<String>,
    },
}

/// Which speech engine transcribes recordings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TranscriberChoice {
    /// No speech engine: transcripts work, recordings end in a clear error saying what to install.
    None,
    /// Amazon Transcribe (cloud).
    AmazonTranscribe,
    /// Offline Whisper through CTranslate2 (embedded default when built with the `whisper` feature).
    Whisper,
}

/// Which analyzer extracts evidence and analyses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnalyzerChoice {
    /// The deterministic local analyzer.
    Local,
    /// Amazon Bedrock Converse.
    Bedrock,
}

/// Everything a handler needs to know that is not an adapter.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Adapters.
    pub backend: Backend,
    /// Speech engine.
    pub transcriber: TranscriberChoice,
    /// Analyzer.
    pub analyzer: AnalyzerChoice,
    /// Largest upload accepted (bytes); Amazon Transcribe's own limit is 2 GB.
    pub max_upload_bytes: u64,
    /// Largest transcript file read into memory (bytes).
    pub max_transcript_bytes: u64,
    /// Seconds between transcription polls.
    pub transcribe_poll_interval: Duration,
    /// Total time a transcription may take before the step fails with a timeout
    /// (`TRANSCRIBE_MAX_WAIT_SECONDS`), counted from the step's start: time a job waits in Amazon
    /// Transcribe's queue counts too, since the execution's own timeout would end it anyway.
    pub transcribe_max_wait: Duration,
    /// Heartbeat age after which a live item is stale, for every step but transcribe. Every step
    /// writes at least every two minutes while it works (checks, progress, part by part), so the
    /// default 9 minutes plus the 5-minute sweep ends a stuck interview within 15 minutes, with
    /// a minute to spare for the sweep itself and the sparse index catching up.
    pub stale_after: Duration,
    /// The same while transcribing (each check and progress write refreshes it; keep it well
    /// above the poll interval and the first wait).
    pub stale_after_transcribe: Duration,
    /// Model id for the Bedrock analyzer (`BEDROCK_MODEL_ID`, default Claude 3.5 Haiku). It must
    /// support tool use with a forced tool choice (Anthropic Claude 3+ or Amazon Nova).
    pub bedrock_model_id: String,
    /// Region of the Bedrock endpoint (`BEDROCK_REGION`); `None` uses the process's own region
    /// (`AWS_REGION`), so a model enabled in another region can be used without moving the stack.
    pub bedrock_region: Option<String>,
    /// Transcript tokens per extract request (`BEDROCK_CHUNK_TOKENS`, default 12,000; tokens are
    /// estimated as characters / 4). Longer transcripts are split into several requests.
    pub bedrock_chunk_tokens: usize,
    /// Segments repeated at the start of the next chunk (`BEDROCK_CHUNK_OVERLAP_SEGMENTS`,
    /// default 3), so a remark that straddles a chunk boundary is seen whole once.
    pub bedrock_chunk_overlap_segments: usize,
    /// Most tokens the model may generate per request (`BEDROCK_MAX_OUTPUT_TOKENS`, default 4,096).
    pub bedrock_max_output_tokens: u32,
    /// US dollars per 1,000 input tokens (`BEDROCK_PRICE_INPUT_PER_1K`), for the cost estimate
    /// recorded on documents and items. Default 0.0008: Claude 3.5 Haiku on demand in us-east-1
    /// ($0.80 per million). Set it when you change the model.
    pub bedrock_price_input_per_1k: f64,
    /// US dollars per 1,000 output tokens (`BEDROCK_PRICE_OUTPUT_PER_1K`). Default 0.004: Claude
    /// 3.5 Haiku on demand in us-east-1 ($4 per million).
    pub bedrock_price_output_per_1k: f64,
    /// Embedded backend only: whether claimed runs execute in-process (`run`, the default) or
    /// wait for a person to invoke each task by hand (`manual`, for `cargo lambda invoke`).
    pub local_executions: LocalExecutions,
    /// Embedded backend only: how many executions run at once.
    pub local_concurrency: usize,
    /// Embedded backend only: how long a process's claim on a running execution lasts without
    /// being renewed (`INTERVIEWS_LEASE_SECONDS`, default 30). A process that dies (even by
    /// `kill -9`) stops renewing; after this long another process on the same data dir resumes
    /// its executions. Renewed every third of it.
    pub local_lease: Duration,
    /// Shortest recording accepted, in seconds (`MIN_MEDIA_SECONDS`; Amazon Transcribe needs 0.5).
    pub min_media_seconds: f64,
    /// Longest recording accepted, in seconds (`MAX_MEDIA_SECONDS`; Amazon Transcribe takes 4 h).
    pub max_media_seconds: f64,
    /// Amazon Transcribe's language (`TRANSCRIBE_LANGUAGE`, e.g. `en-US`); `None` lets it identify the language.
    pub transcribe_language: Option<String>,
    /// Most speakers Amazon Transcribe tells apart (`TRANSCRIBE_MAX_SPEAKERS`, 2–30).
    pub transcribe_max_speakers: u32,
    /// An IAM role Amazon Transcribe assumes to read queued recordings and write their output
    /// (`TRANSCRIBE_DATA_ACCESS_ROLE_ARN`; the stack sets it). When set, jobs past the account's
    /// concurrent-job quota wait in Transcribe's own queue (deferred execution); when unset, such a
    /// job is refused with `LimitExceededException`, a transient error the state machine retries.
    pub transcribe_data_access_role_arn: Option<String>,
    /// The offline Whisper model: `base`, `tiny.en`, or a directory holding a CTranslate2 model (`WHISPER_MODEL`).
    pub whisper_model: String,
    /// Where `scripts/setup-whisper.sh` installs models (`WHISPER_MODELS_DIR`, default `<data dir>/models`).
    pub whisper_models_dir: PathBuf,
    /// Whisper's language (`WHISPER_LANGUAGE`, e.g. `en`); `None` detects it (multilingual models only).
    pub whisper_language: Option<String>,
    /// CPU threads Whisper uses (`WHISPER_THREADS`; 0 = one per core).
    pub whisper_threads: usize,
}

/// What the embedded orchestrator does with a started execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalExecutions {
    /// Run it in-process now.
    Run,
    /// Record it only; the tasks are invoked by hand.
    Manual,
}

/// A configuration problem, naming the variable and what to put in it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A required variable is not set.
    #[error("{name} is not set: {hint}")]
    Missing {
        /// The variable.
        name: &'static str,
        /// What it should hold.
        hint: &'static str,
    },
    /// A variable has a value we cannot use.
    #[error("{name}={value:?} is not valid: {hint}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// What it should hold.
        hint: &'static str,
    },
}

/// The default data dir of the embedded backend, relative to the working directory.
pub const DEFAULT_DATA_DIR: &str = ".data";

/// How often the stack's schedule runs the sweeper (`rate(5 minutes)` in `infra/template.yaml`;
/// the CLI's local sweep uses the same).
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(300);

/// The default heartbeat age after which a live item is stale (`STALE_AFTER_SECONDS`,
/// `STALE_AFTER_TRANSCRIBE_SECONDS`): with [`SWEEP_INTERVAL`], a stuck interview shows `error`
/// at most 14 minutes after its last write.
pub const DEFAULT_STALE_AFTER: Duration = Duration::from_secs(540);

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(&std::env::vars().collect())
    }

    /// Reads settings from a map of variables (the environment, or a test's map).
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let get = |name: &str| vars.get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let backend = match get("INTERVIEWS_BACKEND").as_deref().unwrap_or("embedded") {
            "embedded" => Backend::Embedded {
                data_dir: PathBuf::from(get("INTERVIEWS_DATA_DIR").unwrap_or_else(|| DEFAULT_DATA_DIR.into())),
            },
            "aws" => Backend::Aws {
                table: get("TABLE_NAME").ok_or(ConfigError::Missing {
                    name: "TABLE_NAME",
                    hint: "the DynamoDB interview table's name (the stack output `TableName`)",
                })?,
                bucket: get("BUCKET_NAME").ok_or(ConfigError::Missing {
                    name: "BUCKET_NAME",
                    hint: "the uploads bucket's name (the stack output `BucketName`)",
                })?,
                state_machine_arn: get("STATE_MACHINE_ARN"),
            },
            other => {
                return Err(ConfigError::Invalid {
                    name: "INTERVIEWS_BACKEND",
                    value: other.into(),
                    hint: "use `embedded` (local data dir, no cloud) or `aws`",
                })
            }
        };
        let is_aws = matches!(backend, Backend::Aws { .. });
        let transcriber = match get("TRANSCRIBER").as_deref() {
            None if is_aws => TranscriberChoice::AmazonTranscribe,
            None => default_embedded_transcriber(),
            Some("amazon-transcribe") => TranscriberChoice::AmazonTranscribe,
            Some("whisper") => TranscriberChoice::Whisper,
            Some("none") => TranscriberChoice::None,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "TRANSCRIBER",
                    value: other.into(),
                    hint: "use `amazon-transcribe`, `whisper` or `none`",
                })
            }
        };
        let analyzer = match get("ANALYZER").as_deref() {
            None | Some("local") => AnalyzerChoice::Local,
            Some("bedrock") => AnalyzerChoice::Bedrock,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "ANALYZER",
                    value: other.into(),
                    hint: "use `local` or `bedrock`",
                })
            }
        };
        let number = |name: &'static str, default: u64, hint: &'static str| -> Result<u64, ConfigError> {
            match get(name) {
                None => Ok(default),
                Some(v) => v.parse().map_err(|_| ConfigError::Invalid { name, value: v, hint }),
            }
        };
        let price = |name: &'static str, default: f64| -> Result<f64, ConfigError> {
            let hint = "US dollars per 1,000 tokens, a number such as 0.0008";
            match get(name) {
                None => Ok(default),
                Some(v) => match v.parse::<f64>() {
                    Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
                    _ => Err(ConfigError::Invalid { name, value: v, hint }),
                },
            }
        };
        let seconds_f64 = |name: &'static str, default: f64| -> Result<f64, ConfigError> {
            match get(name) {
                None => Ok(default),
                Some(v) => v
                    .parse::<f64>()
                    .ok()
                    .filter(|s| s.is_finite() && *s >= 0.0)
                    .ok_or(ConfigError::Invalid {
                        name,
                        value: v,
                        hint: "a number of seconds, e.g. 0.5 or 14400",
                    }),
            }
        };
        let secs = |name: &'static str, default: u64| -> Result<Duration, ConfigError> {
            number(name, default, "a whole number of seconds").map(Duration::from_secs)
        };
        Ok(Self {
            backend,
            transcriber,
            analyzer,
            max_upload_bytes: number("MAX_UPLOAD_BYTES", 2_000_000_000, "a whole number of bytes")?,
            max_transcript_bytes: number("MAX_TRANSCRIPT_BYTES", 50_000_000, "a whole number of bytes")?,
            transcribe_poll_interval: secs("TRANSCRIBE_POLL_SECONDS", 30)?,
            transcribe_max_wait: secs("TRANSCRIBE_MAX_WAIT_SECONDS", 6 * 3600)?,
            stale_after: secs("STALE_AFTER_SECONDS", DEFAULT_STALE_AFTER.as_secs())?,
            stale_after_transcribe: secs("STALE_AFTER_TRANSCRIBE_SECONDS", DEFAULT_STALE_AFTER.as_secs())?,
            bedrock_model_id: get("BEDROCK_MODEL_ID")
                .unwrap_or_else(|| "anthropic.claude-3-5-haiku-20241022-v1:0".into()),
            bedrock_region: get("BEDROCK_REGION"),
            bedrock_chunk_tokens: number("BEDROCK_CHUNK_TOKENS", 12_000, "a whole number of tokens, e.g. 12000")?
                .max(500) as usize,
            bedrock_chunk_overlap_segments: number("BEDROCK_CHUNK_OVERLAP_SEGMENTS", 3, "a whole number of segments")?
                as usize,
            bedrock_max_output_tokens: number("BEDROCK_MAX_OUTPUT_TOKENS", 4096, "a whole number of tokens")?
                .clamp(256, 64_000) as u32,
            bedrock_price_input_per_1k: price("BEDROCK_PRICE_INPUT_PER_1K", 0.0008)?,
            bedrock_price_output_per_1k: price("BEDROCK_PRICE_OUTPUT_PER_1K", 0.004)?,
            local_executions: match get("INTERVIEWS_LOCAL_EXECUTIONS").as_deref() {
                None | Some("run") => LocalExecutions::Run,
                Some("manual") => LocalExecutions::Manual,
                Some(other) => {
                    return Err(ConfigError::Invalid {
                        name: "INTERVIEWS_LOCAL_EXECUTIONS",
                        value: other.into(),
                        hint: "use `run` (execute in-process) or `manual` (invoke each task yourself)",
                    })
                }
            },
            local_concurrency: number("INTERVIEWS_LOCAL_CONCURRENCY", 4, "a whole number of executions")?.max(1)
                as usize,
            local_lease: Duration::from_secs(
                number("INTERVIEWS_LEASE_SECONDS", 30, "a whole number of seconds (at least 1)")?.max(1),
            ),
            min_media_seconds: seconds_f64("MIN_MEDIA_SECONDS", 0.5)?,
            max_media_seconds: seconds_f64("MAX_MEDIA_SECONDS", 4.0 * 3600.0)?,
            transcribe_language: match get("TRANSCRIBE_LANGUAGE") {
                None => Some("en-US".to_string()),
                Some(v) if v.eq_ignore_ascii_case("auto") => None,
                Some(v) => Some(v),
            },
            transcribe_max_speakers: match number(
                "TRANSCRIBE_MAX_SPEAKERS",
                4,
                "a whole number of speakers from 2 to 30",
            )? {
                n @ 2..=30 => n as u32,
                n => {
                    return Err(ConfigError::Invalid {
                        name: "TRANSCRIBE_MAX_SPEAKERS",
                        value: n.to_string(),
                        hint: "a whole number of speakers from 2 to 30 (Amazon Transcribe's range)",
                    })
                }
            },
            transcribe_data_access_role_arn: match get("TRANSCRIBE_DATA_ACCESS_ROLE_ARN") {
                None => None,
                Some(arn) if is_role_arn(&arn) => Some(arn),
                Some(other) => {
                    return Err(ConfigError::Invalid {
                        name: "TRANSCRIBE_DATA_ACCESS_ROLE_ARN",
                        value: other,
                        hint: "the ARN of an IAM role Amazon Transcribe may assume, \
                               arn:aws:iam::<account>:role/<name> (the stack sets it), or unset",
                    })
                }
            },
            whisper_model: get("WHISPER_MODEL").unwrap_or_else(|| "base".into()),
            whisper_models_dir: get("WHISPER_MODELS_DIR").map(PathBuf::from).unwrap_or_else(|| {
                PathBuf::from(get("INTERVIEWS_DATA_DIR").unwrap_or_else(|| DEFAULT_DATA_DIR.into())).join("models")
            }),
            whisper_language: get("WHISPER_LANGUAGE").filter(|v| !v.eq_ignore_ascii_case("auto")),
            whisper_threads: number("WHISPER_THREADS", 0, "a whole number of threads (0 = one per core)")? as usize,
        })
    }

    /// Embedded settings rooted at `data_dir`, with every other value at its default.
    pub fn embedded(data_dir: impl Into<PathBuf>) -> Self {
        let mut vars = HashMap::new();
        vars.insert(
            "INTERVIEWS_DATA_DIR".to_string(),
            data_dir.into().to_string_lossy().into_owned(),
        );
        Self::from_vars(&vars).expect("defaults are valid")
    }

    /// Refuses an AWS configuration without `STATE_MACHINE_ARN`, for processes that start
    /// executions (ingest, the operator's retry): better a clear error at start-up than every
    /// upload failing later.
    pub fn require_state_machine(&self) -> Result<(), ConfigError> {
        match &self.backend {
            Backend::Aws {
                state_machine_arn: None,
                ..
            } => Err(ConfigError::Missing {
                name: "STATE_MACHINE_ARN",
                hint: "the state machine executions are started on (the stack output `StateMachineArn`)",
            }),
            _ => Ok(()),
        }
    }

    /// How long a live item at `step` may go without a write before the sweeper ends it.
    pub fn stale_threshold(&self, step: crate::domain::Step) -> Duration {
        match step {
            crate::domain::Step::Transcribe => self.stale_after_transcribe,
            _ => self.stale_after,
        }
    }
}

/// Whether `arn` has the shape of an IAM role ARN: `arn:<partition>:iam::<12 digits>:role/<path and name>`.
fn is_role_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    matches!(
        parts.as_slice(),
        ["arn", partition, "iam", "", account, resource]
            if partition.starts_with("aws")
                && account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit())
                && resource.strip_prefix("role/").is_some_and(|name| !name.is_empty())
    )
}

fn default_embedded_transcriber() -> TranscriberChoice {
    if cfg!(feature = "whisper") {
        TranscriberChoice::Whisper
    } else {
        TranscriberChoice::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn embedded_is_the_default_and_needs_nothing() {
        let s = Settings::from_vars(&HashMap::new()).unwrap();
        assert_eq!(
            s.backend,
            Backend::Embedded {
                data_dir: PathBuf::from(".data")
            }
        );
        assert_eq!(s.analyzer, AnalyzerChoice::Local);
        assert_eq!(s.max_upload_bytes, 2_000_000_000);
    }

    #[test]
    fn aws_needs_table_and_bucket_and_says_so() {
        let err = Settings::from_vars(&vars(&[("INTERVIEWS_BACKEND", "aws")])).unwrap_err();
        assert!(err.to_string().starts_with("TABLE_NAME is not set"), "{err}");
        let err = Settings::from_vars(&vars(&[("INTERVIEWS_BACKEND", "aws"), ("TABLE_NAME", "t")])).unwrap_err();
        assert!(err.to_string().starts_with("BUCKET_NAME is not set"), "{err}");
        let ok = Settings::from_vars(&vars(&[
            ("INTERVIEWS_BACKEND", "aws"),
            ("TABLE_NAME", "t"),
            ("BUCKET_NAME", "b"),
        ]))
        .unwrap();
        assert_eq!(ok.transcriber, TranscriberChoice::AmazonTranscribe);
        assert!(ok
            .require_state_machine()
            .unwrap_err()
            .to_string()
            .starts_with("STATE_MACHINE_ARN is not set"));
        assert!(Settings::from_vars(&HashMap::new())
            .unwrap()
            .require_state_machine()
            .is_ok());
    }

    #[test]
    fn speech_settings_have_defaults_and_are_validated() {
        let s = Settings::from_vars(&HashMap::new()).unwrap();
        assert_eq!((s.min_media_seconds, s.max_media_seconds), (0.5, 14_400.0));
        assert_eq!(s.transcribe_language.as_deref(), Some("en-US"));
        assert_eq!(s.transcribe_max_speakers, 4);
        assert_eq!(s.whisper_model, "base");
        assert_eq!(s.whisper_models_dir, PathBuf::from(".data/models"));
        assert_eq!(s.whisper_language, None);
        let s = Settings::from_vars(&vars(&[
            ("INTERVIEWS_DATA_DIR", "/srv/interviews"),
            ("TRANSCRIBE_LANGUAGE", "auto"),
            ("TRANSCRIBE_MAX_SPEAKERS", "3"),
            ("WHISPER_LANGUAGE", "de"),
            ("MIN_MEDIA_SECONDS", "2.5"),
        ]))
        .unwrap();
        assert_eq!(s.whisper_models_dir, PathBuf::from("/srv/interviews/models"));
        assert_eq!(s.transcribe_language, None);
        assert_eq!(s.transcribe_max_speakers, 3);
        assert_eq!(s.whisper_language.as_deref(), Some("de"));
        assert_eq!(s.min_media_seconds, 2.5);
        let err = Settings::from_vars(&vars(&[("TRANSCRIBE_MAX_SPEAKERS", "40")])).unwrap_err();
        assert!(err.to_string().starts_with("TRANSCRIBE_MAX_SPEAKERS=\"40\""), "{err}");
        assert!(Settings::from_vars(&vars(&[("MAX_MEDIA_SECONDS", "-1")])).is_err());
    }

    #[test]
    fn the_transcribe_data_access_role_is_optional_and_must_be_a_role_arn() {
        let s = Settings::from_vars(&HashMap::new()).unwrap();
        assert_eq!(s.transcribe_data_access_role_arn, None);
        let s = Settings::from_vars(&vars(&[("TRANSCRIBE_DATA_ACCESS_ROLE_ARN", "  ")])).unwrap();
        assert_eq!(s.transcribe_data_access_role_arn, None);
        for arn in [
            "arn:aws:iam::123456789012:role/stack-TranscribeDataAccessRole-AB12",
            "arn:aws-us-gov:iam::123456789012:role/service/transcribe-access",
        ] {
            let s = Settings::from_vars(&vars(&[("TRANSCRIBE_DATA_ACCESS_ROLE_ARN", arn)])).unwrap();
            assert_eq!(s.transcribe_data_access_role_arn.as_deref(), Some(arn));
        }
        for bad in [
            "transcribe-access",
            "arn:aws:iam::123456789012:user/alice",
            "arn:aws:iam::1234:role/x",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:s3:::bucket",
        ] {
            let err = Settings::from_vars(&vars(&[("TRANSCRIBE_DATA_ACCESS_ROLE_ARN", bad)])).unwrap_err();
            assert!(
                err.to_string()
                    .starts_with(&format!("TRANSCRIBE_DATA_ACCESS_ROLE_ARN={bad:?} is not valid")),
                "{err}"
            );
        }
    }

    #[test]
    fn bad_values_name_the_variable() {
        let err = Settings::from_vars(&vars(&[("MAX_UPLOAD_BYTES", "lots")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "MAX_UPLOAD_BYTES=\"lots\" is not valid: a whole number of bytes"
        );
        assert!(Settings::from_vars(&vars(&[("INTERVIEWS_BACKEND", "cloud")])).is_err());
        assert!(Settings::from_vars(&vars(&[("ANALYZER", "gpt")])).is_err());
        let err = Settings::from_vars(&vars(&[("BEDROCK_PRICE_INPUT_PER_1K", "-1")])).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("BEDROCK_PRICE_INPUT_PER_1K=\"-1\" is not valid"),
            "{err}"
        );
    }

    #[test]
    fn bedrock_settings_have_documented_defaults_and_can_be_set() {
        let s = Settings::from_vars(&HashMap::new()).unwrap();
        assert_eq!(s.bedrock_region, None);
        assert_eq!((s.bedrock_chunk_tokens, s.bedrock_chunk_overlap_segments), (12_000, 3));
        assert_eq!(s.bedrock_max_output_tokens, 4096);
        assert_eq!(
            (s.bedrock_price_input_per_1k, s.bedrock_price_output_per_1k),
            (0.0008, 0.004)
        );
        let s = Settings::from_vars(&vars(&[
            ("ANALYZER", "bedrock"),
            ("BEDROCK_REGION", "eu-west-1"),
            ("BEDROCK_CHUNK_TOKENS", "4000"),
            ("BEDROCK_PRICE_OUTPUT_PER_1K", "0.015"),
        ]))
        .unwrap();
        assert_eq!(s.analyzer, AnalyzerChoice::Bedrock);
        assert_eq!(s.bedrock_region.as_deref(), Some("eu-west-1"));
        assert_eq!((s.bedrock_chunk_tokens, s.bedrock_price_output_per_1k), (4000, 0.015));
    }
}
