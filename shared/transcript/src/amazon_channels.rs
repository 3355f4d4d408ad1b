//! Amazon Transcribe output with channel identification (`results.channel_labels`): a two-track
//! call recording where each channel is one person. Each channel's words carry the channel's
//! label (`ch_0`, `ch_1`), so the grouping in the parent module gives one speaker per channel.

use serde::Deserialize;

use super::{read_items, Item, Kind, ParseError, RawItem};

/// `results.channel_labels`.
#[derive(Deserialize)]
pub(super) struct RawChannelLabels {
    #[serde(default)]
    channels: Option<Vec<RawChannel>>,
}

/// `results.channel_labels.channels[]`.
#[derive(Deserialize)]
struct RawChannel {
    #[serde(default)]
    channel_label: Option<String>,
    #[serde(default)]
    items: Option<Vec<RawItem>>,
}

/// The words of every channel, labelled with their channel and merged in time order (a
/// punctuation mark stays right after the word it follows); `None` when there are no channels
/// with items.
pub(super) fn items(labels: Option<&RawChannelLabels>) -> Result<Option<Vec<Item<'_>>>, ParseError> {
    let channels = labels.and_then(|l| l.channels.as_deref()).unwrap_or_default();
    let mut keyed: Vec<(f64, Item<'_>)> = Vec::new();
    for (index, channel) in channels.iter().enumerate() {
        let at = format!("results.channel_labels.channels[{index}]");
        let raw = channel.items.as_deref().unwrap_or_default();
        let label = match channel.channel_label.as_deref() {
            Some(label) if !label.trim().is_empty() => label,
            _ if raw.is_empty() => continue,
            _ => return Err(super::fail(format!("{at}.channel_label is missing"))),
        };
        let mut last_start = 0.0;
        for mut item in read_items(raw, &format!("{at}.items"))? {
            if let Kind::Word { start, .. } = item.kind {
                last_start = start;
            }
            item.label = item.label.or(Some(label));
            keyed.push((last_start, item));
        }
    }
    if keyed.is_empty() {
        return Ok(None);
    }
    // Stable: within one channel and one start, file order (word, then its punctuation) stays.
    keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(Some(keyed.into_iter().map(|(_, item)| item).collect()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::parse;

    #[test]
    fn each_channel_is_one_speaker_in_time_order() {
        let word = |start: &str, end: &str, content: &str| {
            json!({"type": "pronunciation", "start_time": start, "end_time": end,
                   "alternatives": [{"confidence": "0.9", "content": content}]})
        };
        let punct = |content: &str| json!({"type": "punctuation", "alternatives": [{"content": content}]});
        let doc = json!({"jobName": "call", "results": {
            "transcripts": [{"transcript": "…"}],
            "channel_labels": {"number_of_channels": 2, "channels": [
                {"channel_label": "ch_0", "items": [
                    word("0.1", "0.5", "Thanks"), word("0.5", "0.9", "for"), word("0.9", "1.2", "calling"), punct("."),
                    word("3.0", "3.4", "Sure"), punct("!")
                ]},
                {"channel_label": "ch_1", "items": [
                    word("1.5", "1.9", "Hi"), punct(","), word("2.0", "2.6", "thanks"), punct(".")
                ]}
            ]},
            "items": []
        }});
        let t = parse(&doc.to_string()).unwrap();
        let rows: Vec<(&str, f64, f64, &str)> = t
            .segments
            .iter()
            .map(|s| (s.speaker.as_str(), s.start, s.end, s.text.as_str()))
            .collect();
        assert_eq!(
            rows,
            vec![
                ("ch_0", 0.1, 1.2, "Thanks for calling."),
                ("ch_1", 1.5, 2.6, "Hi, thanks."),
                ("ch_0", 3.0, 3.4, "Sure!"),
            ]
        );
        assert!(t.notes.is_empty());
    }

    #[test]
    fn a_channel_without_a_label_is_an_error_naming_it() {
        let doc = json!({"results": {"items": [], "channel_labels": {"channels": [
            {"items": [{"type": "pronunciation", "start_time": "0", "end_time": "1", "alternatives": [{"content": "x"}]}]}
        ]}}});
        assert_eq!(
            parse(&doc.to_string()).unwrap_err().to_string(),
            "Amazon Transcribe JSON: results.channel_labels.channels[0].channel_label is missing"
        );
    }
}
