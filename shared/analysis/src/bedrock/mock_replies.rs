//! What a mocked Converse API answers in the Bedrock tests: the model calling a tool.

use aws_sdk_bedrockruntime::operation::converse::ConverseOutput;
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ConversationRole, ConverseOutput as Reply, Message, StopReason, TokenUsage, ToolUseBlock,
};
use serde_json::Value;

/// A reply that calls `tool` with `input`, billed `input_tokens` and `output_tokens`.
pub(super) fn tool_reply(tool: &str, input: Value, input_tokens: i32, output_tokens: i32) -> ConverseOutput {
    let call = ToolUseBlock::builder()
        .tool_use_id("tooluse-1")
        .name(tool)
        .input(super::json_to_document(&input))
        .build()
        .unwrap();
    ConverseOutput::builder()
        .output(Reply::Message(
            Message::builder()
                .role(ConversationRole::Assistant)
                .content(ContentBlock::ToolUse(call))
                .build()
                .unwrap(),
        ))
        .stop_reason(StopReason::ToolUse)
        .usage(
            TokenUsage::builder()
                .input_tokens(input_tokens)
                .output_tokens(output_tokens)
                .total_tokens(input_tokens + output_tokens)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap()
}
