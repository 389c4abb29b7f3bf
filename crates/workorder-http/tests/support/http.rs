//! Calling the application in process, and reading its answer.

use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use serde_json::{Value, json};
use workorder_http::app;

use super::World;

/// An answer: status, headers, and the body as JSON (`null` when it is not).
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: actix_web::http::header::HeaderMap,
    pub(crate) body: Value,
}

impl Answer {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// Asserts the contract's error body, whole: its fields, and that status and trace id
    /// agree with the answer's.
    pub(crate) fn assert_error(&self, status: u16, code: &str, origin: Option<(&str, &str)>) {
        assert_eq!(self.status.as_u16(), status, "{}", self.body);
        assert_eq!(self.body["code"], code, "{}", self.body);
        assert_eq!(self.body["status"], status);
        assert_eq!(self.body["traceId"].as_str(), self.header("x-trace-id"));
        assert!(self.body["message"].as_str().is_some_and(|m| !m.is_empty()));
        match origin {
            Some((context, module)) => {
                assert_eq!(self.body["origin"], json!({ "boundedContext": context, "module": module }))
            }
            None => assert!(self.body.get("origin").is_none(), "{}", self.body),
        }
        let keys: Vec<&str> = self.body.as_object().unwrap().keys().map(String::as_str).collect();
        for key in keys {
            assert!(["code", "message", "status", "traceId", "origin", "details"].contains(&key), "{key}");
        }
        assert_eq!(self.header("content-type"), Some("application/json"));
        assert_eq!(self.header("cache-control"), Some("no-store"));
    }

    pub(crate) fn detail_fields(&self) -> Vec<&str> {
        self.body["details"]
            .as_array()
            .map_or_else(Vec::new, |d| d.iter().map(|e| e["field"].as_str().unwrap()).collect())
    }
}

pub(crate) async fn call(world: &World, req: TestRequest) -> Answer {
    let service = test::init_service(app(world.state.clone())).await;
    let (status, headers, bytes) = match test::try_call_service(&service, req.to_request()).await {
        Ok(response) => {
            let (status, headers) = (response.status(), response.headers().clone());
            (status, headers, test::read_body(response).await)
        }
        // An error that leaves the application is rendered by actix's dispatcher, like this.
        Err(error) => {
            let response = error.error_response();
            let (status, headers) = (response.status(), response.headers().clone());
            (status, headers, actix_web::body::to_bytes(response.into_body()).await.unwrap())
        }
    };
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    assert!(headers.contains_key("x-trace-id"), "every answer carries a trace id");
    assert_eq!(headers.get("x-content-type-options").unwrap(), "nosniff");
    assert!(!headers.contains_key("server"));
    Answer { status, headers, body }
}
