//! Who the speakers are: the names and roles a person gives a transcript's speaker labels
//! (`spk_0` → Rosa Delgado, `spk_1` → the interviewer), checked against the transcript and
//! applied to it before evidence is extracted, so names and roles reach every result while the
//! transcript itself is never recomputed.

use crate::model::Transcript;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Longest name a person may give a speaker, in characters.
pub const MAX_SPEAKER_NAME_CHARS: usize = 80;
/// Most speakers one assignment may name (transcripts have a handful; this bounds the item).
pub const MAX_ASSIGNED_SPEAKERS: usize = 64;

/// The part a speaker plays in the interview. The interviewer's words are questions and
/// prompts, never evidence; a participant's are what the interview is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpeakerRole {
    /// Asks the questions.
    Interviewer,
    /// Is interviewed: a customer, a user, a participant.
    Participant,
}

impl SpeakerRole {
    /// The lowercase name used in items, API bodies and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            SpeakerRole::Interviewer => "interviewer",
            SpeakerRole::Participant => "participant",
        }
    }
}

impl std::fmt::Display for SpeakerRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for SpeakerRole {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_lowercase().as_str() {
            "interviewer" => Ok(SpeakerRole::Interviewer),
            "participant" => Ok(SpeakerRole::Participant),
            _ => Err("a role is `interviewer` or `participant`".into()),
        }
    }
}

/// What a person said about one speaker label: a name, a role, or both.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpeakerAssignment {
    /// The name the speaker's words are attributed to in evidence, themes and personas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Interviewer or participant; overrides what the source or the analyzer decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<SpeakerRole>,
}

/// Assignments by the speaker label as it appears in the transcript (`spk_0`, `Rosa`).
pub type SpeakerAssignments = BTreeMap<String, SpeakerAssignment>;

/// Why a set of assignments does not fit a transcript.
///
/// Labels and names are interview content: these messages are for the person who sent the
/// assignments (CLI output, an API response to a caller who may see the interview) and must
/// never be logged or stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NamingError {
    /// A label the transcript does not have.
    #[error("no speaker `{label}` in the transcript; its speakers are {}", .known.join(", "))]
    UnknownLabel {
        /// The label asked for.
        label: String,
        /// The transcript's labels, in order of first appearance.
        known: Vec<String>,
    },
    /// An assignment that says nothing.
    #[error("speaker `{0}`: give a name, a role (interviewer or participant), or both")]
    Empty(String),
    /// A name that is blank, too long, padded or holds control characters.
    #[error("speaker `{0}`: a name is 1 to 80 characters, without control characters or surrounding spaces")]
    BadName(String),
    /// Two speakers would end up with one name, merging their words.
    #[error("speakers `{first}` and `{second}` would both be called `{name}`; give each speaker its own name")]
    DuplicateName {
        /// One label.
        first: String,
        /// The other.
        second: String,
        /// The shared name.
        name: String,
    },
    /// More assignments than any transcript has speakers.
    #[error("at most {MAX_ASSIGNED_SPEAKERS} speakers can be assigned at once")]
    TooMany,
}

/// Checks `assignments` against `transcript`: every label is one of its speakers, every
/// assignment says something, names are sane, and no two speakers end up with one name.
pub fn check_assignments(transcript: &Transcript, assignments: &SpeakerAssignments) -> Result<(), NamingError> {
    if assignments.len() > MAX_ASSIGNED_SPEAKERS {
        return Err(NamingError::TooMany);
    }
    let known = transcript.speakers();
    for (label, assignment) in assignments {
        if !known.contains(&label.as_str()) {
            return Err(NamingError::UnknownLabel {
                label: label.clone(),
                known: known.iter().map(|s| s.to_string()).collect(),
            });
        }
        if assignment.name.is_none() && assignment.role.is_none() {
            return Err(NamingError::Empty(label.clone()));
        }
        if let Some(name) = &assignment.name {
            let chars = name.chars().count();
            if chars == 0 || chars > MAX_SPEAKER_NAME_CHARS || name.trim() != name || name.chars().any(char::is_control)
            {
                return Err(NamingError::BadName(label.clone()));
            }
        }
    }
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for label in known {
        let shown = display_name(label, assignments);
        if let Some(first) = seen.insert(shown, label) {
            return Err(NamingError::DuplicateName {
                first: first.to_string(),
                second: label.to_string(),
                name: shown.to_string(),
            });
        }
    }
    Ok(())
}

/// The name a label's words are attributed to under `assignments`.
pub fn display_name<'a>(label: &'a str, assignments: &'a SpeakerAssignments) -> &'a str {
    assignments.get(label).and_then(|a| a.name.as_deref()).unwrap_or(label)
}

impl Transcript {
    /// The transcript as the analyzers should read it: each assigned name replaces its label
    /// in the segments, and assigned roles join (and override) the roles the source declared.
    /// Labels without an assignment keep the name the source gave them. Expects assignments
    /// that passed [`check_assignments`]; labels not in the transcript are ignored.
    pub fn with_speakers(&self, assignments: &SpeakerAssignments) -> Transcript {
        let mut named = self.clone();
        if assignments.is_empty() {
            return named;
        }
        for segment in &mut named.segments {
            if let Some(name) = assignments.get(&segment.speaker).and_then(|a| a.name.as_ref()) {
                segment.speaker.clone_from(name);
            }
        }
        let mut roles = BTreeMap::new();
        for (label, role) in &self.roles {
            roles.insert(display_name(label, assignments).to_string(), *role);
        }
        for (label, assignment) in assignments {
            if let Some(role) = assignment.role {
                roles.insert(display_name(label, assignments).to_string(), role);
            }
        }
        named.roles = roles;
        named
    }

    /// The speakers declared to play `role` (by the source or a person).
    pub fn declared(&self, role: SpeakerRole) -> BTreeSet<&str> {
        self.roles
            .iter()
            .filter(|(_, r)| **r == role)
            .map(|(s, _)| s.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Segment, TranscriptFormat};

    fn transcript(speakers: &[&str]) -> Transcript {
        let segments = speakers
            .iter()
            .enumerate()
            .map(|(i, s)| Segment {
                speaker: s.to_string(),
                start: i as f64,
                end: i as f64 + 1.0,
                text: format!("words number {i}"),
                confidence: None,
            })
            .collect();
        Transcript::new(TranscriptFormat::Speech, segments)
    }

    fn assign(pairs: &[(&str, Option<&str>, Option<SpeakerRole>)]) -> SpeakerAssignments {
        pairs
            .iter()
            .map(|(label, name, role)| {
                (
                    label.to_string(),
                    SpeakerAssignment {
                        name: name.map(str::to_string),
                        role: *role,
                    },
                )
            })
            .collect()
    }

    #[test]
    fn names_replace_labels_and_roles_follow_the_names() {
        let t = transcript(&["spk_0", "spk_1", "spk_0", "spk_2"]);
        let a = assign(&[
            ("spk_0", Some("Rosa Delgado"), Some(SpeakerRole::Participant)),
            ("spk_1", None, Some(SpeakerRole::Interviewer)),
        ]);
        check_assignments(&t, &a).unwrap();
        let named = t.with_speakers(&a);
        assert_eq!(named.speakers(), ["Rosa Delgado", "spk_1", "spk_2"]);
        assert_eq!(named.declared(SpeakerRole::Interviewer), BTreeSet::from(["spk_1"]));
        assert_eq!(
            named.declared(SpeakerRole::Participant),
            BTreeSet::from(["Rosa Delgado"])
        );
        assert_eq!(named.segments[1].text, t.segments[1].text);
    }

    #[test]
    fn a_source_role_follows_a_rename_and_a_person_overrides_it() {
        let mut t = transcript(&["Agent", "Customer"]);
        t.roles.insert("Agent".into(), SpeakerRole::Interviewer);
        t.roles.insert("Customer".into(), SpeakerRole::Participant);
        let a = assign(&[
            ("Agent", Some("Sam"), None),
            ("Customer", None, Some(SpeakerRole::Interviewer)),
        ]);
        let named = t.with_speakers(&a);
        assert_eq!(named.roles.get("Sam"), Some(&SpeakerRole::Interviewer));
        assert_eq!(named.roles.get("Customer"), Some(&SpeakerRole::Interviewer));
        assert!(!named.roles.contains_key("Agent"));
    }

    #[test]
    fn unknown_labels_are_refused_with_the_known_ones() {
        let t = transcript(&["spk_0", "spk_1"]);
        let err = check_assignments(&t, &assign(&[("spk_7", Some("Ana"), None)])).unwrap_err();
        assert_eq!(
            err,
            NamingError::UnknownLabel {
                label: "spk_7".into(),
                known: vec!["spk_0".into(), "spk_1".into()]
            }
        );
        assert!(err.to_string().contains("spk_0, spk_1"), "{err}");
    }

    #[test]
    fn empty_bad_and_colliding_names_are_refused() {
        let t = transcript(&["spk_0", "spk_1"]);
        assert_eq!(
            check_assignments(&t, &assign(&[("spk_0", None, None)])),
            Err(NamingError::Empty("spk_0".into()))
        );
        for bad in ["", " Ana", "Ana\u{1b}[2J", &"x".repeat(81)] {
            assert_eq!(
                check_assignments(&t, &assign(&[("spk_0", Some(bad), None)])),
                Err(NamingError::BadName("spk_0".into())),
                "{bad:?}"
            );
        }
        assert!(matches!(
            check_assignments(
                &t,
                &assign(&[("spk_0", Some("Ana"), None), ("spk_1", Some("Ana"), None)])
            ),
            Err(NamingError::DuplicateName { .. })
        ));
        // Renaming onto another speaker's untouched label would merge them too.
        assert!(matches!(
            check_assignments(&t, &assign(&[("spk_0", Some("spk_1"), None)])),
            Err(NamingError::DuplicateName { .. })
        ));
        // Swapping two names is fine.
        check_assignments(
            &t,
            &assign(&[("spk_0", Some("spk_1"), None), ("spk_1", Some("spk_0"), None)]),
        )
        .unwrap();
    }

    #[test]
    fn roles_parse_case_insensitively_and_assignments_refuse_unknown_fields() {
        assert_eq!("Interviewer".parse::<SpeakerRole>(), Ok(SpeakerRole::Interviewer));
        assert!("host".parse::<SpeakerRole>().is_err());
        let parsed: SpeakerAssignment = serde_json::from_str(r#"{"name":"Rosa","role":"participant"}"#).unwrap();
        assert_eq!(parsed.role, Some(SpeakerRole::Participant));
        assert!(serde_json::from_str::<SpeakerAssignment>(r#"{"nom":"Rosa"}"#).is_err());
    }
}
