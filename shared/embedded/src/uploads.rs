//! Local uploads (filled in with the API).
