//! The dashboard: one page and its assets, compiled into the binary (no CDN, no build step),
//! served by the same router on `serve` and on the `api` Lambda. The page only calls the JSON
//! API; this module only serves bytes and says, in the page itself, how the caller signs in, so
//! a page opened without a token shows how to get in without first failing a request.

use crate::auth::{self, Auth};
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

const INDEX_HTML: &str = include_str!("dashboard/index.html");
const APP_CSS: &str = include_str!("dashboard/app.css");
const ICON_SVG: &str = include_str!("dashboard/icon.svg");

/// The page's script modules (`app.js` imports the rest), by file name.
const SCRIPTS: [(&str, &str); 7] = [
    ("app.js", include_str!("dashboard/app.js")),
    ("api.js", include_str!("dashboard/api.js")),
    ("dom.js", include_str!("dashboard/dom.js")),
    ("list.js", include_str!("dashboard/list.js")),
    ("detail.js", include_str!("dashboard/detail.js")),
    ("upload.js", include_str!("dashboard/upload.js")),
    ("report.js", include_str!("dashboard/report.js")),
];

/// Where the page reads how its caller signs in (`<meta name="interviews-auth">`).
const AUTH_MARKER: &str = "{{auth}}";

/// The page may run only its own script and style and talk only to its own origin; on AWS it
/// also PUTs uploads straight to S3's presigned URLs.
const CSP_LOCAL: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
    connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const CSP_AWS: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
    connect-src 'self' https://*.amazonaws.com; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// How the page finds its caller, written into the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PageAuth {
    /// `serve`, and the request carries the right token (cookie or `?token=`).
    LocalSignedIn,
    /// `serve`, without the right token: the page explains how to open it.
    LocalSignedOut,
    /// AWS: the page sends a token kept in sessionStorage as Bearer.
    Jwt,
}

impl PageAuth {
    fn as_str(self) -> &'static str {
        match self {
            PageAuth::LocalSignedIn => "local",
            PageAuth::LocalSignedOut => "local-signed-out",
            PageAuth::Jwt => "jwt",
        }
    }
}

fn query_token(query: &str) -> Option<&str> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| *name == "token")
        .map(|(_, value)| value)
}

fn headers_for(content_type: &'static str, csp: &'static str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    // Assets change with the binary; revalidating is cheap and never shows a stale page.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers
}

fn csp(auth: &Auth) -> &'static str {
    match auth {
        Auth::Local(_) => CSP_LOCAL,
        Auth::ApiGatewayJwt => CSP_AWS,
    }
}

/// `GET /`. On `serve`, a right `?token=` is moved into an HttpOnly, SameSite=Strict cookie, so
/// the page's own requests carry it and scripts cannot read it.
pub(crate) async fn index(State(state): State<AppState>, RawQuery(query): RawQuery, parts: Parts) -> Response {
    let mut headers = headers_for("text/html; charset=utf-8", csp(&state.auth));
    let page_auth = match &state.auth {
        Auth::ApiGatewayJwt => PageAuth::Jwt,
        Auth::Local(token) => {
            let presented = query.as_deref().and_then(query_token).filter(|p| token.matches(p));
            if let Some(presented) = presented {
                let cookie = format!("{}={presented}; HttpOnly; SameSite=Strict; Path=/", auth::TOKEN_COOKIE);
                if let Ok(value) = HeaderValue::from_str(&cookie) {
                    headers.insert(header::SET_COOKIE, value);
                }
                PageAuth::LocalSignedIn
            } else if auth::cookie_token(&parts).is_some_and(|c| token.matches(c)) {
                PageAuth::LocalSignedIn
            } else {
                PageAuth::LocalSignedOut
            }
        }
    };
    (headers, Html(INDEX_HTML.replace(AUTH_MARKER, page_auth.as_str()))).into_response()
}

/// `GET /assets/{name}`: the page's script, style and icon.
pub(crate) async fn asset(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    let script = SCRIPTS.iter().find(|(file, _)| *file == name).map(|(_, body)| *body);
    let (body, content_type) = match (name.as_str(), script) {
        (_, Some(script)) => (script, "text/javascript; charset=utf-8"),
        ("app.css", _) => (APP_CSS, "text/css; charset=utf-8"),
        ("icon.svg", _) => (ICON_SVG, "image/svg+xml"),
        _ => return crate::problem::Problem::new(StatusCode::NOT_FOUND, "no such asset").into_response(),
    };
    (headers_for(content_type, csp(&state.auth)), body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_has_a_place_for_the_sign_in_mode_and_no_inline_script() {
        assert_eq!(INDEX_HTML.matches(AUTH_MARKER).count(), 1);
        assert!(!INDEX_HTML.contains("<script>") && !INDEX_HTML.contains(" onclick="));
        assert!(!INDEX_HTML.contains("style=\""), "inline styles are refused by the CSP");
        for (file, script) in SCRIPTS {
            assert!(
                !script.contains("innerHTML"),
                "{file}: content is set as text, never parsed as HTML"
            );
        }
    }

    #[test]
    fn the_token_is_read_from_its_own_parameter_only() {
        assert_eq!(query_token("a=1&token=abc"), Some("abc"));
        assert_eq!(query_token("xtoken=abc"), None);
        assert_eq!(query_token(""), None);
    }
}
