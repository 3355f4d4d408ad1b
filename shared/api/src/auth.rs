//! Who is calling and which projects they may see, checked by every handler at the data read.
//!
//! - On AWS the HTTP API's JWT authorizer has already verified the token; the claims arrive in
//!   the request context lambda_http puts in the request's extensions. The Cognito groups
//!   claim grants projects: `project-<name>` one project, `admin` every project.
//! - On `interviews serve` one token, printed at start, grants everything (the machine's
//!   owner); it comes as `Authorization: Bearer …` or as the cookie the page sets from `?token=`.

use crate::problem::Problem;
use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use lambda_http::request::RequestContext;
use std::collections::BTreeSet;
use subtle::ConstantTimeEq;

/// The group that sees every project.
pub const ADMIN_GROUP: &str = "admin";
/// The prefix of a group granting one project.
pub const PROJECT_GROUP_PREFIX: &str = "project-";
/// The claim API Gateway passes Cognito's groups in.
pub const GROUPS_CLAIM: &str = "cognito:groups";
/// The cookie `serve` keeps its token in.
pub const TOKEN_COOKIE: &str = "interviews_token";

/// The projects a caller may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Every project (the `admin` group, or the local token).
    All,
    /// Only these.
    Projects(BTreeSet<String>),
}

impl Access {
    /// Whether the caller may see `project`.
    pub fn can_see(&self, project: &str) -> bool {
        match self {
            Access::All => true,
            Access::Projects(projects) => projects.contains(project),
        }
    }

    /// The access that group names grant.
    pub fn from_groups<'a>(groups: impl IntoIterator<Item = &'a str>) -> Self {
        let mut projects = BTreeSet::new();
        for group in groups {
            if group == ADMIN_GROUP {
                return Access::All;
            }
            if let Some(project) = group.strip_prefix(PROJECT_GROUP_PREFIX) {
                if !project.is_empty() {
                    projects.insert(project.to_string());
                }
            }
        }
        Access::Projects(projects)
    }
}

/// Reads the groups claim as API Gateway passes it: a JWT array becomes one string, `[a b]`
/// (or `["a","b"]` from other issuers); a single group may arrive bare.
pub fn groups_of(claim: &str) -> Vec<&str> {
    claim
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split([' ', ','])
        .map(|g| g.trim().trim_matches('"'))
        .filter(|g| !g.is_empty())
        .collect()
}

/// The local token of `interviews serve`.
#[derive(Clone)]
pub struct LocalToken(String);

impl LocalToken {
    /// A token (at least 16 characters, so it cannot be guessed in any useful time).
    pub fn new(token: impl Into<String>) -> Result<Self, String> {
        let token = token.into();
        if token.len() < 16 || !token.bytes().all(|b| b.is_ascii_graphic() && b != b';' && b != b',') {
            return Err("the token must be at least 16 printable characters without `;` or `,`".into());
        }
        Ok(Self(token))
    }

    /// The token, to print once at start.
    pub fn reveal(&self) -> &str {
        &self.0
    }

    /// Compares in constant time, so the answer's timing says nothing about the token.
    pub fn matches(&self, presented: &str) -> bool {
        self.0.as_bytes().ct_eq(presented.as_bytes()).into()
    }
}

impl std::fmt::Debug for LocalToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LocalToken(…)")
    }
}

/// How the router learns who is calling.
#[derive(Debug, Clone)]
pub enum Auth {
    /// Behind API Gateway's JWT authorizer (the `api` Lambda).
    ApiGatewayJwt,
    /// One bearer token (`interviews serve`).
    Local(LocalToken),
}

/// The caller, as every handler receives it.
#[derive(Debug, Clone)]
pub struct Caller(pub Access);

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The token cookie, if the request carries one.
pub fn cookie_token(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == TOKEN_COOKIE)
        .map(|(_, value)| value)
}

fn jwt_access(parts: &Parts) -> Option<Access> {
    let Some(RequestContext::ApiGatewayV2(context)) = parts.extensions.get::<RequestContext>() else {
        return None;
    };
    let claims = &context.authorizer.as_ref()?.jwt.as_ref()?.claims;
    let groups = claims.get(GROUPS_CLAIM).map(String::as_str).unwrap_or_default();
    Some(Access::from_groups(groups_of(groups)))
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match &state.auth {
            Auth::ApiGatewayJwt => jwt_access(parts)
                .map(Caller)
                .ok_or_else(|| Problem::unauthorized("sign in: the request carries no verified token")),
            Auth::Local(token) => {
                let presented = bearer(parts).or_else(|| cookie_token(parts));
                match presented {
                    Some(p) if token.matches(p) => Ok(Caller(Access::All)),
                    Some(_) => Err(Problem::unauthorized(
                        "the token is wrong; use the one `interviews serve` printed (or INTERVIEWS_TOKEN)",
                    )),
                    None => Err(Problem::unauthorized(
                        "send the token `interviews serve` printed as `Authorization: Bearer <token>`",
                    )),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_grant_projects_and_admin_grants_all() {
        let access = Access::from_groups(groups_of("[project-acme project-beta staff]"));
        assert!(access.can_see("acme") && access.can_see("beta"));
        assert!(!access.can_see("gamma") && !access.can_see("staff"));
        assert_eq!(Access::from_groups(groups_of("[\"project-x\",\"admin\"]")), Access::All);
        assert_eq!(
            Access::from_groups(groups_of("project-solo")),
            Access::from_groups(["project-solo"])
        );
        assert_eq!(Access::from_groups(groups_of("")), Access::Projects(BTreeSet::new()));
        assert!(!Access::from_groups(groups_of("[project-]")).can_see(""));
    }

    #[test]
    fn tokens_are_long_and_compared_whole() {
        assert!(LocalToken::new("short").is_err());
        let token = LocalToken::new("0123456789abcdef0123").unwrap();
        assert!(token.matches("0123456789abcdef0123"));
        assert!(!token.matches("0123456789abcdef012"));
        assert!(!token.matches(""));
        assert!(!format!("{token:?}").contains("0123"));
    }
}
