//! Validation of a project report against the evidence it was built from: every quote must be
//! an evidence item's quote, verbatim, with that item's speaker and time, so a reader can always
//! go from a line of the report to the moment in the recording. Evidence itself is checked
//! against its transcript by [`super::validate_evidence`], so the chain ends in the transcript.
//!
//! Errors name interviews, themes and evidence ids, never the text.

use super::project::{InterviewEvidence, Participant, ProjectQuote, ProjectReport, PROJECT_REPORT_SCHEMA_VERSION};
use super::Evidence;
use std::collections::{BTreeSet, HashMap};

/// Why a project report was refused (none of these goes away on retry: the report is wrong).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProjectValidationError {
    /// The document is from another schema version.
    #[error("project report schema_version {found} is not {PROJECT_REPORT_SCHEMA_VERSION}")]
    SchemaVersion {
        /// The version found.
        found: u32,
    },
    /// A reference to an interview that is not among the inputs.
    #[error("{owner} refers to interview {interview_id}, which is not in the project")]
    UnknownInterview {
        /// Theme, finding or group that refers.
        owner: String,
        /// The missing interview.
        interview_id: String,
    },
    /// A reference to an evidence item that the interview's evidence.json does not have.
    #[error("{owner} refers to evidence {evidence_id} of interview {interview_id}, which does not exist")]
    UnknownEvidence {
        /// Theme, finding or group that refers.
        owner: String,
        /// The interview.
        interview_id: String,
        /// The missing evidence id.
        evidence_id: String,
    },
    /// A quote whose text, speaker, time or kind is not its evidence item's (an invented or
    /// altered quote).
    #[error(
        "{owner}: the quote of evidence {evidence_id} in interview {interview_id} differs from the evidence ({field})"
    )]
    QuoteMismatch {
        /// Theme, finding or group that quotes.
        owner: String,
        /// The interview.
        interview_id: String,
        /// The evidence id.
        evidence_id: String,
        /// Which field differs: `text`, `speaker`, `start` or `kind`.
        field: &'static str,
    },
    /// A participant who is neither a listed participant nor a speaker of any evidence.
    #[error("{owner} names a speaker of interview {interview_id} who is not a participant")]
    UnknownParticipant {
        /// Theme, finding or group that names them.
        owner: String,
        /// The interview.
        interview_id: String,
    },
    /// A reference to a theme the report does not have.
    #[error("{owner} refers to theme {theme_id}, which does not exist")]
    UnknownTheme {
        /// Finding or group that refers.
        owner: String,
        /// The missing theme.
        theme_id: String,
    },
    /// Two themes share an id.
    #[error("theme id {0} is used twice")]
    DuplicateTheme(String),
}

/// Checks a project report against the interviews' evidence.
pub fn validate_project_report(
    report: &ProjectReport,
    interviews: &[InterviewEvidence],
) -> Result<(), ProjectValidationError> {
    if report.schema_version != PROJECT_REPORT_SCHEMA_VERSION {
        return Err(ProjectValidationError::SchemaVersion {
            found: report.schema_version,
        });
    }
    let index = Index::new(interviews);
    let mut theme_ids = BTreeSet::new();
    for theme in &report.themes {
        if !theme_ids.insert(theme.id.as_str()) {
            return Err(ProjectValidationError::DuplicateTheme(theme.id.clone()));
        }
        let owner = format!("theme {}", theme.id);
        index.participants(&owner, &theme.participants)?;
        index.quotes(&owner, &theme.quotes)?;
        for r in &theme.evidence {
            index.evidence(&owner, &r.interview_id, &r.evidence_id)?;
        }
    }
    let known_theme = |owner: &str, id: &str| {
        if theme_ids.contains(id) {
            Ok(())
        } else {
            Err(ProjectValidationError::UnknownTheme {
                owner: owner.to_string(),
                theme_id: id.to_string(),
            })
        }
    };
    let lists = [
        ("pain", &report.ranked.pains),
        ("need", &report.ranked.needs),
        ("request", &report.ranked.requests),
    ];
    for (label, list) in lists {
        for (i, finding) in list.iter().enumerate() {
            let owner = format!("{label} {}", i + 1);
            known_theme(&owner, &finding.theme_id)?;
            index.participants(&owner, &finding.participants)?;
            index.quotes(&owner, &finding.quotes)?;
        }
    }
    for d in &report.disagreements {
        let owner = format!("disagreement on {}", d.theme_id);
        known_theme(&owner, &d.theme_id)?;
        index.participants(&owner, &d.positive)?;
        index.participants(&owner, &d.negative)?;
        index.quotes(&owner, &d.quotes)?;
    }
    for group in &report.personas {
        let owner = format!("persona group {}", group.id);
        index.participants(&owner, &group.participants)?;
        for t in &group.theme_ids {
            known_theme(&owner, t)?;
        }
    }
    Ok(())
}

/// The inputs, looked up by interview and evidence id.
struct Index<'a> {
    evidence: HashMap<&'a str, HashMap<&'a str, &'a Evidence>>,
    participants: HashMap<&'a str, BTreeSet<&'a str>>,
}

impl<'a> Index<'a> {
    fn new(interviews: &'a [InterviewEvidence]) -> Self {
        let mut evidence: HashMap<&str, HashMap<&str, &Evidence>> = HashMap::new();
        let mut participants: HashMap<&str, BTreeSet<&str>> = HashMap::new();
        for iv in interviews {
            let items = evidence.entry(iv.interview_id.as_str()).or_default();
            let people = participants.entry(iv.interview_id.as_str()).or_default();
            for ev in &iv.evidence.items {
                items.insert(ev.id.as_str(), ev);
                people.insert(ev.speaker.as_str());
            }
            people.extend(iv.participants.iter().map(String::as_str));
        }
        Index { evidence, participants }
    }

    fn evidence(
        &self,
        owner: &str,
        interview_id: &str,
        evidence_id: &str,
    ) -> Result<&'a Evidence, ProjectValidationError> {
        let items = self
            .evidence
            .get(interview_id)
            .ok_or_else(|| ProjectValidationError::UnknownInterview {
                owner: owner.to_string(),
                interview_id: interview_id.to_string(),
            })?;
        items
            .get(evidence_id)
            .copied()
            .ok_or_else(|| ProjectValidationError::UnknownEvidence {
                owner: owner.to_string(),
                interview_id: interview_id.to_string(),
                evidence_id: evidence_id.to_string(),
            })
    }

    fn quotes(&self, owner: &str, quotes: &[ProjectQuote]) -> Result<(), ProjectValidationError> {
        for q in quotes {
            let ev = self.evidence(owner, &q.interview_id, &q.evidence_id)?;
            let field = if q.text != ev.quote {
                Some("text")
            } else if q.speaker != ev.speaker {
                Some("speaker")
            } else if q.start != ev.start {
                Some("start")
            } else if q.kind != ev.kind {
                Some("kind")
            } else {
                None
            };
            if let Some(field) = field {
                return Err(ProjectValidationError::QuoteMismatch {
                    owner: owner.to_string(),
                    interview_id: q.interview_id.clone(),
                    evidence_id: q.evidence_id.clone(),
                    field,
                });
            }
        }
        Ok(())
    }

    fn participants(&self, owner: &str, people: &[Participant]) -> Result<(), ProjectValidationError> {
        for p in people {
            let known = self.participants.get(p.interview_id.as_str()).ok_or_else(|| {
                ProjectValidationError::UnknownInterview {
                    owner: owner.to_string(),
                    interview_id: p.interview_id.clone(),
                }
            })?;
            if !known.contains(p.speaker.as_str()) {
                return Err(ProjectValidationError::UnknownParticipant {
                    owner: owner.to_string(),
                    interview_id: p.interview_id.clone(),
                });
            }
        }
        Ok(())
    }
}
