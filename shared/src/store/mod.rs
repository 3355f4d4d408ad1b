//! Item stores: DynamoDB and SQLite, with one contract suite for both.
