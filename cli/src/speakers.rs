//! `interviews speakers`: name an interview's speakers and say who interviews, then wait for
//! the new run that redoes extract and analyze with them (embedded backend).

use crate::render;
use anyhow::{bail, Context, Result};
use interview_core::domain::{ArtifactName, Interview, InterviewId};
use interview_embedded::local::LocalOrchestrator;
use interview_handlers::speakers::assign_speakers;
use interview_handlers::Pipeline;
use interview_transcript::{display_name, SpeakerAssignment, SpeakerAssignments, SpeakerRole, Transcript};
use std::fmt::Write;

/// Reads `LABEL=VALUE`: VALUE is a role (`interviewer`, `participant`), a name (`Rosa
/// Delgado`), or a name with its role in brackets (`Rosa Delgado (participant)`).
pub fn parse_assignment(arg: &str) -> Result<(String, SpeakerAssignment)> {
    let Some((label, value)) = arg.split_once('=') else {
        bail!("`{arg}`: write LABEL=NAME, LABEL=interviewer, LABEL=participant or LABEL=\"NAME (ROLE)\"");
    };
    let (label, value) = (label.trim(), value.trim());
    if label.is_empty() || value.is_empty() {
        bail!("`{arg}`: both the speaker label and what it is are needed, e.g. spk_0=\"Rosa Delgado\"");
    }
    if let Ok(role) = value.parse::<SpeakerRole>() {
        return Ok((
            label.to_string(),
            SpeakerAssignment {
                name: None,
                role: Some(role),
            },
        ));
    }
    let with_role = value
        .strip_suffix(')')
        .and_then(|v| v.rsplit_once('('))
        .and_then(|(name, role)| Some((name.trim(), role.parse::<SpeakerRole>().ok()?)));
    let (name, role) = match with_role {
        Some((name, role)) if !name.is_empty() => (name, Some(role)),
        _ => (value, None),
    };
    Ok((
        label.to_string(),
        SpeakerAssignment {
            name: Some(name.to_string()),
            role,
        },
    ))
}

/// Assigns `args` (merged over the item's current assignments unless `replace`), waits for the
/// new run on the embedded backend and prints where it ended; with no `args`, lists the
/// speakers.
pub async fn speakers(
    pipeline: &Pipeline,
    local: Option<&LocalOrchestrator>,
    id: &InterviewId,
    args: &[String],
    replace: bool,
) -> Result<()> {
    let Some(item) = pipeline.store.get(id).await? else {
        bail!("no interview {id}; `interviews list` shows the ones there are");
    };
    if args.is_empty() {
        let transcript = load_transcript(pipeline, &item).await?;
        print!("{}", list(&item, &transcript));
        return Ok(());
    }
    let mut assignments: SpeakerAssignments = if replace {
        Default::default()
    } else {
        item.speakers.clone()
    };
    for arg in args {
        let (label, assignment) = parse_assignment(arg)?;
        assignments.insert(label, assignment);
    }
    let started = match assign_speakers(pipeline, id, assignments).await? {
        Ok(started) => started,
        Err(why) => bail!("speakers not assigned: {why}"),
    };
    eprintln!(
        "{id}: speakers recorded; run {} redoes {} and analyze (the transcript is reused)",
        started.run_id, started.resumes_at
    );
    match local {
        Some(local) => {
            local.wait_idle().await;
            let item = pipeline.store.get(id).await?.context("the interview disappeared")?;
            print!(
                "{}",
                render::summary(std::slice::from_ref(&item), std::time::Duration::ZERO)
            );
        }
        None => println!("follow it with `interviews status {id}`"),
    }
    Ok(())
}

async fn load_transcript(pipeline: &Pipeline, item: &Interview) -> Result<Transcript> {
    if item.artifacts.transcript.is_none() {
        bail!(
            "interview {} has no transcript yet (it is {} at {}), so it has no speakers to name",
            item.id,
            item.status,
            item.step
        );
    }
    Ok(interview_handlers::load_artifact(pipeline, item, ArtifactName::Transcript).await?)
}

/// One line per speaker of the transcript: its label, the name and role it has, and whether
/// the role is the analyzer's guess.
pub fn list(item: &Interview, transcript: &Transcript) -> String {
    let mut out = String::new();
    let named = transcript.with_speakers(&item.speakers);
    for label in transcript.speakers() {
        let shown = display_name(label, &item.speakers);
        let role = match named.roles.get(shown) {
            Some(role) => role.to_string(),
            None if item.interviewer_guess.iter().any(|g| g == label) => {
                format!(
                    "interviewer (the analyzer's guess; `interviews speakers {} {label}=participant` corrects it)",
                    item.id
                )
            }
            None => "-".to_string(),
        };
        let name = if shown == label { "-" } else { shown };
        let _ = writeln!(out, "{label:<16} {name:<24} {role}");
    }
    out
}

/// The speaker lines of `interviews status`: what a person assigned, and the analyzer's guess.
pub fn status_lines(item: &Interview) -> String {
    let mut out = String::new();
    let mut first = true;
    let mut line = |text: String| {
        let label = if std::mem::take(&mut first) { "speakers" } else { "" };
        let _ = writeln!(out, "{label:<11} {text}");
    };
    for (label, a) in &item.speakers {
        let role = a.role.map(|r| format!(" ({r})")).unwrap_or_default();
        match &a.name {
            Some(name) => line(format!("{label} = {name}{role}")),
            None => line(format!("{label}{role}")),
        }
    }
    for label in &item.interviewer_guess {
        line(format!(
            "{label}: interviewer, the analyzer's guess (`interviews speakers {} {label}=participant` corrects it)",
            item.id
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_roles_names_or_both() {
        let (label, a) = parse_assignment("spk_1=interviewer").unwrap();
        assert_eq!(
            (label.as_str(), a.name, a.role),
            ("spk_1", None, Some(SpeakerRole::Interviewer))
        );
        let (_, a) = parse_assignment("spk_0=Rosa Delgado").unwrap();
        assert_eq!((a.name.as_deref(), a.role), (Some("Rosa Delgado"), None));
        let (_, a) = parse_assignment("spk_0=Rosa Delgado (Participant)").unwrap();
        assert_eq!(
            (a.name.as_deref(), a.role),
            (Some("Rosa Delgado"), Some(SpeakerRole::Participant))
        );
        // Brackets that are not a role stay part of the name.
        let (_, a) = parse_assignment("spk_0=Rosa (owner)").unwrap();
        assert_eq!((a.name.as_deref(), a.role), (Some("Rosa (owner)"), None));
        assert!(parse_assignment("spk_0").is_err());
        assert!(parse_assignment("=Rosa").is_err());
        assert!(parse_assignment("spk_0=").is_err());
    }
}
