//! Why a state machine definition could not be loaded. Every message names the state and the
//! field, so a person can fix the ASL file without reading the runner.

/// A load or validation error for a state machine definition.
#[derive(Debug, thiserror::Error)]
pub enum AslError {
    /// A `${Name}` placeholder has no value in the substitutions.
    #[error("definition placeholder `${{{0}}}` has no substitution")]
    UnresolvedPlaceholder(String),
    /// A `${` not followed by a placeholder name and `}`.
    #[error("definition has a malformed `${{` placeholder at byte {0} (expected `${{Name}}`)")]
    MalformedPlaceholder(usize),
    /// The text is not JSON, or not shaped like a definition at all.
    #[error("the definition could not be read: {0}")]
    Parse(#[source] serde_json::Error),
    /// A top-level field is missing or wrong.
    #[error("definition: field `{field}`: {message}")]
    Definition {
        /// The top-level field.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// A state's field is missing or wrong.
    #[error("state `{state}`: field `{field}`: {message}")]
    InvalidField {
        /// The state.
        state: String,
        /// The field (e.g. `Retry[0].BackoffRate`).
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// A state type the local runner cannot execute (e.g. `Map`, `Parallel`).
    #[error("state `{state}`: type `{type_name}` is not supported by the local runner")]
    UnsupportedType {
        /// The state.
        state: String,
        /// Its `Type`.
        type_name: String,
    },
    /// A field the local runner does not implement, or one that does not belong to the state's type.
    #[error("state `{state}`: field `{field}` is not supported in a `{type_name}` state by the local runner")]
    UnsupportedField {
        /// The state.
        state: String,
        /// The field.
        field: String,
        /// The state's `Type`.
        type_name: String,
    },
    /// An intrinsic function the local runner does not implement.
    #[error("state `{state}`: field `{field}`: intrinsic function `{function}` is not supported by the local runner")]
    UnsupportedIntrinsic {
        /// The state.
        state: String,
        /// Where the call is (e.g. `Parameters.id.$`).
        field: String,
        /// The function's name.
        function: String,
    },
    /// A transition (`Next`, `Default`, a Choice rule's or a Catcher's `Next`) names no state.
    #[error("state `{state}`: field `{field}` points to missing state `{target}`")]
    MissingState {
        /// The state holding the transition.
        state: String,
        /// The field (e.g. `Catch[0].Next`).
        field: String,
        /// The name that does not exist.
        target: String,
    },
    /// `StartAt` names no state.
    #[error("definition: field `StartAt` points to missing state `{0}`")]
    MissingStartAt(String),
}
