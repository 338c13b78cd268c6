//! Content libraries over `/api` REST and JSON-RPC: local-library create, list, get,
//! find, update, delete, force-delete and publish, and the generic library service.

use axum::http::{Method, StatusCode};
use depot_model::{Library, LibraryAuth, LibraryKind, Role, SubscriptionSettings, UpdateSession};
use serde_json::{Value, json};

use crate::support::{ADMIN, ADMIN_PASSWORD, Reply, TestApp};

pub const READER: &str = "reader@vsphere.local";
pub const READER_PASSWORD: &str = "Reader!23-test";

/// An app and an administrator's session.
pub async fn app() -> (TestApp, String) {
    let t = TestApp::new().await;
    let s = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    (t, s)
}

/// A REST call with the session `s` and optional extra headers.
pub async fn call(
    t: &TestApp,
    s: &str,
    method: Method,
    uri: &str,
    body: Option<Value>,
    extra: &[(&str, &str)],
) -> Reply {
    let mut headers = vec![("vmware-api-session-id", s)];
    headers.extend_from_slice(extra);
    let body = body.map(|b| b.to_string());
    t.send(method, uri, &headers, body.as_deref()).await
}

/// Creates a local library from `spec`: its id.
pub async fn create(t: &TestApp, s: &str, spec: Value) -> String {
    let r = call(
        t,
        s,
        Method::POST,
        "/api/content/local-library",
        Some(spec),
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body.as_str().unwrap().to_owned()
}

/// The `error_type` of a failed call, after checking its status.
pub fn failed(r: &Reply, status: StatusCode) -> String {
    assert_eq!(r.status, status, "{}", r.text);
    r.body["error_type"].as_str().unwrap_or_default().to_owned()
}

/// Stores a subscribed library directly (creating them is the next issue).
pub async fn subscribed(t: &TestApp, name: &str) -> String {
    let mut lib = Library::new(name, LibraryKind::Subscribed, depot_model::now());
    lib.subscription = Some(SubscriptionSettings {
        url: "https://publisher.example/cls/vcsp/lib/x/lib.json".into(),
        authentication: LibraryAuth::None,
        user_name: None,
        password: None,
        automatic_sync_enabled: false,
        on_demand: true,
        ssl_thumbprint: None,
        ssl_certificate: None,
    });
    t.app
        .library
        .store()
        .insert_library(&lib, None)
        .await
        .unwrap();
    lib.id.to_string()
}

fn published(name: &str) -> Value {
    json!({"name": name, "description": "published depot content", "type": "LOCAL",
           "storage_backings": [{"type": "OTHER", "storage_uri": "depotd:blobs"}],
           "publish_info": {"published": true, "authentication_method": "BASIC",
                            "user_name": "vcsp", "password": "S3cret!"}})
}

#[tokio::test]
async fn a_published_local_library_is_created_read_listed_updated_and_deleted() {
    let (t, s) = app().await;
    let id = create(&t, &s, published("lib-a")).await;
    let one = format!("/api/content/local-library/{id}");
    let r = call(&t, &s, Method::GET, &one, None, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let lib = &r.body;
    assert_eq!(lib["id"], id.as_str());
    assert_eq!(lib["name"], "lib-a");
    assert_eq!(lib["type"], "LOCAL");
    assert_eq!(lib["version"], "1");
    assert_eq!(lib["storage_backings"][0]["storage_uri"], "depotd:blobs");
    let publish = &lib["publish_info"];
    assert_eq!(publish["published"], true);
    assert_eq!(publish["authentication_method"], "BASIC");
    assert_eq!(publish["user_name"], "vcsp");
    let url = publish["publish_url"].as_str().unwrap();
    assert!(
        url.ends_with(&format!("/cls/vcsp/lib/{id}/lib.json")),
        "{url}"
    );
    assert!(publish.get("password").is_none(), "{lib}");
    assert!(!r.text.contains("S3cret"), "{}", r.text);

    for list in ["/api/content/local-library", "/api/content/library"] {
        let r = call(&t, &s, Method::GET, list, None, &[]).await;
        assert_eq!(r.body, json!([id]), "{list}");
    }
    let generic = format!("/api/content/library/{id}");
    let r = call(&t, &s, Method::GET, &generic, None, &[]).await;
    assert_eq!(r.body["name"], "lib-a");

    let r = call(
        &t,
        &s,
        Method::PATCH,
        &one,
        Some(json!({"description": "d2"})),
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = call(&t, &s, Method::GET, &one, None, &[]).await;
    assert_eq!(r.body["description"], "d2");
    assert_eq!(r.body["name"], "lib-a", "unset fields stay");
    assert_eq!(r.body["version"], "2");
    assert_eq!(r.body["publish_info"]["published"], true);

    let body = json!({"name": "lib-b", "version": "2"});
    let r = call(&t, &s, Method::PATCH, &generic, Some(body), &[]).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = call(&t, &s, Method::GET, &generic, None, &[]).await;
    assert_eq!(
        (r.body["name"].as_str(), r.body["version"].as_str()),
        (Some("lib-b"), Some("3"))
    );

    let r = call(&t, &s, Method::DELETE, &one, None, &[]).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = call(&t, &s, Method::GET, &one, None, &[]).await;
    assert_eq!(failed(&r, StatusCode::NOT_FOUND), "NOT_FOUND");
}

#[tokio::test]
async fn a_stale_version_is_a_concurrent_change() {
    let (t, s) = app().await;
    let id = create(&t, &s, json!({"name": "v"})).await;
    let one = format!("/api/content/local-library/{id}");
    let ok = call(
        &t,
        &s,
        Method::PATCH,
        &one,
        Some(json!({"description": "x", "version": "1"})),
        &[],
    )
    .await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT, "{}", ok.text);
    let r = call(
        &t,
        &s,
        Method::PATCH,
        &one,
        Some(json!({"description": "y", "version": "1"})),
        &[],
    )
    .await;
    assert_eq!(failed(&r, StatusCode::CONFLICT), "CONCURRENT_CHANGE");
    let r = call(&t, &s, Method::GET, &one, None, &[]).await;
    assert_eq!(r.body["description"], "x", "nothing half-stored");
}

#[tokio::test]
async fn names_must_be_given_short_and_unique() {
    let (t, s) = app().await;
    let path = "/api/content/local-library";
    for bad in [
        json!({}),
        json!({"name": ""}),
        json!({"name": "  "}),
        json!({"name": "x".repeat(256)}),
    ] {
        let r = call(&t, &s, Method::POST, path, Some(bad.clone()), &[]).await;
        assert_eq!(
            failed(&r, StatusCode::BAD_REQUEST),
            "INVALID_ARGUMENT",
            "{bad}"
        );
    }
    create(&t, &s, json!({"name": "y".repeat(255)})).await;
    let id = create(&t, &s, json!({"name": "taken"})).await;
    let r = call(
        &t,
        &s,
        Method::POST,
        path,
        Some(json!({"name": "taken"})),
        &[],
    )
    .await;
    assert_eq!(failed(&r, StatusCode::BAD_REQUEST), "ALREADY_EXISTS");
    let other = create(&t, &s, json!({"name": "other"})).await;
    let r = call(
        &t,
        &s,
        Method::PATCH,
        &format!("{path}/{other}"),
        Some(json!({"name": "taken"})),
        &[],
    )
    .await;
    assert_eq!(failed(&r, StatusCode::BAD_REQUEST), "ALREADY_EXISTS");
    let r = call(
        &t,
        &s,
        Method::PATCH,
        &format!("{path}/{id}"),
        Some(json!({"name": ""})),
        &[],
    )
    .await;
    assert_eq!(failed(&r, StatusCode::BAD_REQUEST), "INVALID_ARGUMENT");
    let r = call(&t, &s, Method::GET, path, None, &[]).await;
    assert_eq!(r.body.as_array().unwrap().len(), 3, "{}", r.text);
}

#[tokio::test]
async fn storage_backings_must_name_the_depot_store() {
    let (t, s) = app().await;
    let path = "/api/content/local-library";
    let id = create(&t, &s, json!({"name": "ds", "storage_backings": [{"type": "DATASTORE", "datastore_id": "datastore-depot"}]})).await;
    let r = call(&t, &s, Method::GET, &format!("{path}/{id}"), None, &[]).await;
    assert_eq!(
        r.body["storage_backings"],
        json!([{"type": "DATASTORE", "datastore_id": "datastore-depot"}])
    );
    for bad in [
        json!([{"type": "OTHER", "storage_uri": "nfs://filer/libs"}]),
        json!([{"type": "OTHER"}]),
        json!([{"type": "DATASTORE", "datastore_id": "datastore-12"}]),
        json!([{"type": "OTHER", "storage_uri": "depotd:a"}, {"type": "OTHER", "storage_uri": "depotd:b"}]),
    ] {
        let body = json!({"name": "bad", "storage_backings": bad});
        let r = call(&t, &s, Method::POST, path, Some(body), &[]).await;
        assert_eq!(
            failed(&r, StatusCode::BAD_REQUEST),
            "INVALID_ARGUMENT",
            "{bad}"
        );
        assert!(
            r.text.contains("depotd:") && r.text.contains("datastore-depot"),
            "{}",
            r.text
        );
    }
    let r = call(
        &t,
        &s,
        Method::PATCH,
        &format!("{path}/{id}"),
        Some(json!({"storage_backings": [{"type": "OTHER", "storage_uri": "depotd:blobs"}]})),
        &[],
    )
    .await;
    assert_eq!(failed(&r, StatusCode::BAD_REQUEST), "INVALID_ARGUMENT");
    let r = call(&t, &s, Method::GET, path, None, &[]).await;
    assert_eq!(r.body, json!([id]));
}

#[tokio::test]
async fn publish_passwords_are_for_vcsp_and_change_only_with_the_current_one() {
    let (t, s) = app().await;
    let path = "/api/content/local-library";
    let mut spec = published("p");
    spec["publish_info"]["user_name"] = json!("admin");
    let r = call(&t, &s, Method::POST, path, Some(spec), &[]).await;
    assert_eq!(failed(&r, StatusCode::BAD_REQUEST), "INVALID_ARGUMENT");
    assert!(r.text.contains("vcsp"), "{}", r.text);
    let basic_without_password =
        json!({"name": "p", "publish_info": {"published": true, "authentication_method": "BASIC"}});
    let r = call(
        &t,
        &s,
        Method::POST,
        path,
        Some(basic_without_password),
        &[],
    )
    .await;
    assert_eq!(failed(&r, StatusCode::BAD_REQUEST), "INVALID_ARGUMENT");

    let id = create(&t, &s, published("p")).await;
    let one = format!("{path}/{id}");
    let change = |current: Option<&str>| {
        let mut p = json!({"password": "N3w-secret"});
        if let Some(c) = current {
            p["current_password"] = json!(c);
        }
        json!({"publish_info": p})
    };
    let r = call(&t, &s, Method::PATCH, &one, Some(change(None)), &[]).await;
    assert_eq!(failed(&r, StatusCode::BAD_REQUEST), "INVALID_ARGUMENT");
    assert!(r.text.contains("current_password"), "{}", r.text);
    let r = call(
        &t,
        &s,
        Method::PATCH,
        &one,
        Some(change(Some("wrong"))),
        &[],
    )
    .await;
    assert_eq!(failed(&r, StatusCode::BAD_REQUEST), "INVALID_ARGUMENT");
    let r = call(&t, &s, Method::GET, &one, None, &[]).await;
    assert_eq!(r.body["version"], "1", "refused changes store nothing");
    let r = call(
        &t,
        &s,
        Method::PATCH,
        &one,
        Some(change(Some("S3cret!"))),
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let stored = t.app.library.library(id.parse().unwrap()).await.unwrap();
    let sealed = stored.publish.unwrap().password.unwrap();
    let open = t
        .app
        .library
        .open(depot_library::PUBLISH_PASSWORD_FIELD, &sealed)
        .unwrap();
    assert_eq!(open.expose(), "N3w-secret");
    assert!(!sealed.sealed().contains("N3w-secret"));

    let r = call(
        &t,
        &s,
        Method::PATCH,
        &one,
        Some(json!({"publish_info": {"published": false}})),
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = call(&t, &s, Method::GET, &one, None, &[]).await;
    assert_eq!(r.body["publish_info"]["published"], false);
    assert!(
        r.body["publish_info"].get("publish_url").is_none(),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn client_tokens_make_create_idempotent() {
    let (t, s) = app().await;
    let path = "/api/content/local-library";
    let token = [("Client-Token", "3f1e2d4c-0000-4000-8000-000000000001")];
    let first = call(
        &t,
        &s,
        Method::POST,
        path,
        Some(json!({"name": "tok"})),
        &token,
    )
    .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let again = call(
        &t,
        &s,
        Method::POST,
        path,
        Some(json!({"name": "tok"})),
        &token,
    )
    .await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
    assert_eq!(first.body, again.body);
    let other = [("Client-Token", "3f1e2d4c-0000-4000-8000-000000000002")];
    let r = call(
        &t,
        &s,
        Method::POST,
        path,
        Some(json!({"name": "tok"})),
        &other,
    )
    .await;
    assert_eq!(failed(&r, StatusCode::BAD_REQUEST), "ALREADY_EXISTS");
    let r = call(&t, &s, Method::GET, path, None, &[]).await;
    assert_eq!(r.body.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn find_by_name_type_and_backing() {
    let (t, s) = app().await;
    let first = create(&t, &s, json!({"name": "a", "storage_backings": [{"type": "OTHER", "storage_uri": "depotd:blobs"}]})).await;
    let second = create(&t, &s, json!({"name": "b"})).await;
    let sub = subscribed(&t, "sub").await;
    let find = |spec: Value| {
        let (t, s) = (&t, &s);
        async move {
            let r = call(
                t,
                s,
                Method::POST,
                "/api/content/library?action=find",
                Some(spec),
                &[],
            )
            .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            r.body
        }
    };
    assert_eq!(find(json!({"name": "b"})).await, json!([second]));
    assert_eq!(find(json!({"type": "LOCAL"})).await, json!([first, second]));
    assert_eq!(find(json!({"type": "SUBSCRIBED"})).await, json!([sub]));
    assert_eq!(
        find(json!({"storage_backing": {"type": "OTHER"}})).await,
        json!([first])
    );
    assert_eq!(find(json!({"name": "none"})).await, json!([]));
    let r = call(&t, &s, Method::GET, "/api/content/local-library", None, &[]).await;
    assert_eq!(r.body, json!([first, second]));
}

#[tokio::test]
async fn local_operations_refuse_subscribed_and_unknown_libraries() {
    let (t, s) = app().await;
    let sub = subscribed(&t, "sub").await;
    let one = format!("/api/content/local-library/{sub}");
    let r = call(&t, &s, Method::GET, &one, None, &[]).await;
    assert_eq!(failed(&r, StatusCode::BAD_REQUEST), "INVALID_ELEMENT_TYPE");
    let r = call(
        &t,
        &s,
        Method::PATCH,
        &one,
        Some(json!({"description": "x"})),
        &[],
    )
    .await;
    assert_eq!(failed(&r, StatusCode::BAD_REQUEST), "INVALID_ELEMENT_TYPE");
    let r = call(&t, &s, Method::DELETE, &one, None, &[]).await;
    assert_eq!(failed(&r, StatusCode::BAD_REQUEST), "INVALID_ELEMENT_TYPE");
    let r = call(
        &t,
        &s,
        Method::POST,
        &format!("{one}?action=publish"),
        Some(json!({})),
        &[],
    )
    .await;
    assert_eq!(failed(&r, StatusCode::BAD_REQUEST), "INVALID_ELEMENT_TYPE");
    let r = call(
        &t,
        &s,
        Method::GET,
        &format!("/api/content/library/{sub}"),
        None,
        &[],
    )
    .await;
    assert_eq!(r.body["type"], "SUBSCRIBED", "{}", r.text);
    assert_eq!(r.body["subscription_info"]["on_demand"], true);

    for id in ["9b2c4d1e-0000-4000-8000-00000000abcd", "not-a-uuid"] {
        for (method, uri) in [
            (Method::GET, format!("/api/content/local-library/{id}")),
            (Method::GET, format!("/api/content/library/{id}")),
            (Method::DELETE, format!("/api/content/library/{id}")),
            (
                Method::POST,
                format!("/api/content/library/{id}?action=force-delete"),
            ),
        ] {
            let r = call(&t, &s, method, &uri, None, &[]).await;
            assert_eq!(failed(&r, StatusCode::NOT_FOUND), "NOT_FOUND", "{uri}");
        }
        let r = call(
            &t,
            &s,
            Method::PATCH,
            &format!("/api/content/library/{id}"),
            Some(json!({"name": "n"})),
            &[],
        )
        .await;
        assert_eq!(failed(&r, StatusCode::NOT_FOUND), "NOT_FOUND");
    }
    let r = call(
        &t,
        &s,
        Method::DELETE,
        &format!("/api/content/library/{sub}"),
        None,
        &[],
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::NO_CONTENT,
        "the generic delete takes any library"
    );
}

#[tokio::test]
async fn an_open_update_session_blocks_delete_but_not_force_delete() {
    let (t, s) = app().await;
    let lib = create(&t, &s, json!({"name": "busy"})).await;
    let r = call(
        &t,
        &s,
        Method::POST,
        "/api/content/library/item",
        Some(json!({"library_id": lib, "name": "i"})),
        &[],
    )
    .await;
    let item = r.body.as_str().unwrap().parse().unwrap();
    let now = depot_model::now();
    let session = UpdateSession::new(item, ADMIN, now, now + chrono::Duration::minutes(5));
    t.app
        .library
        .store()
        .insert_update_session(&session, None)
        .await
        .unwrap();
    let one = format!("/api/content/local-library/{lib}");
    let r = call(&t, &s, Method::DELETE, &one, None, &[]).await;
    assert_eq!(
        failed(&r, StatusCode::BAD_REQUEST),
        "NOT_ALLOWED_IN_CURRENT_STATE"
    );
    let r = call(&t, &s, Method::GET, &one, None, &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = call(
        &t,
        &s,
        Method::POST,
        &format!("{one}?action=force-delete"),
        None,
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = call(&t, &s, Method::GET, &one, None, &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn publish_needs_a_published_library_and_known_subscriptions() {
    let (t, s) = app().await;
    let id = create(&t, &s, published("pub")).await;
    let uri = format!("/api/content/local-library/{id}?action=publish");
    let r = call(&t, &s, Method::POST, &uri, Some(json!({})), &[]).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let body = json!({"subscriptions": [{"subscription": "5a5a5a5a-0000-4000-8000-000000000000"}]});
    let r = call(&t, &s, Method::POST, &uri, Some(body), &[]).await;
    assert_eq!(failed(&r, StatusCode::NOT_FOUND), "NOT_FOUND");
    let quiet = create(&t, &s, json!({"name": "quiet"})).await;
    let uri = format!("/api/content/local-library/{quiet}?action=publish");
    let r = call(&t, &s, Method::POST, &uri, Some(json!({})), &[]).await;
    assert_eq!(
        failed(&r, StatusCode::BAD_REQUEST),
        "NOT_ALLOWED_IN_CURRENT_STATE"
    );
}

#[tokio::test]
async fn a_read_only_user_reads_but_does_not_change() {
    let (t, s) = app().await;
    let id = create(&t, &s, json!({"name": "ro"})).await;
    t.add_user(READER, Role::ReadOnly, READER_PASSWORD).await;
    let r = t.vsphere_session(READER, READER_PASSWORD).await;
    let one = format!("/api/content/local-library/{id}");
    assert_eq!(
        call(&t, &r, Method::GET, "/api/content/library", None, &[])
            .await
            .body,
        json!([id])
    );
    assert_eq!(
        call(&t, &r, Method::GET, &one, None, &[]).await.status,
        StatusCode::OK
    );
    for (method, uri, body) in [
        (
            Method::POST,
            "/api/content/local-library".to_owned(),
            Some(json!({"name": "no"})),
        ),
        (Method::PATCH, one.clone(), Some(json!({"name": "no"}))),
        (Method::DELETE, one.clone(), None),
        (Method::POST, format!("{one}?action=force-delete"), None),
    ] {
        let reply = call(&t, &r, method, &uri, body, &[]).await;
        assert_eq!(
            failed(&reply, StatusCode::FORBIDDEN),
            "UNAUTHORIZED",
            "{uri}"
        );
    }
    let r = call(&t, &s, Method::GET, &one, None, &[]).await;
    assert_eq!(
        (r.body["name"].as_str(), r.body["version"].as_str()),
        (Some("ro"), Some("1"))
    );
}

/// A JSON-RPC call with session `s`: the reply's `result`.
pub async fn rpc(t: &TestApp, s: &str, service: &str, operation: &str, input: Value) -> Value {
    let body = json!({
        "jsonrpc": "2.0", "method": "invoke", "id": "1",
        "params": {"serviceId": service, "operationId": operation,
                   "input": {"STRUCTURE": {"operation-input": input}},
                   "ctx": {"appCtx": {"opId": "test"}, "securityCtx": {
                       "schemeId": "com.vmware.vapi.std.security.session_id", "sessionId": s}}}
    });
    let r = t
        .send(Method::POST, "/api", &[], Some(&body.to_string()))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["result"].clone()
}

/// The error type of a failed JSON-RPC result.
pub fn rpc_error(result: &Value) -> String {
    let e = result["error"]["ERROR"]
        .as_object()
        .unwrap_or_else(|| panic!("no error in {result}"));
    e.keys().next().unwrap().clone()
}

#[tokio::test]
async fn local_libraries_over_json_rpc_as_the_sdk_sends_them() {
    let (t, s) = app().await;
    let model = json!({"STRUCTURE": {"com.vmware.content.library_model": {
        "name": {"OPTIONAL": "rpc-lib"}, "type": {"OPTIONAL": "LOCAL"},
        "description": {"OPTIONAL": null}, "id": {"OPTIONAL": null},
        "storage_backings": {"OPTIONAL": [{"STRUCTURE": {"com.vmware.content.library.storage_backing": {
            "type": {"OPTIONAL": "DATASTORE"}, "datastore_id": {"OPTIONAL": "datastore-depot"},
            "storage_uri": {"OPTIONAL": null}}}}]},
        "publish_info": {"OPTIONAL": {"STRUCTURE": {"com.vmware.content.library.publish_info": {
            "published": {"OPTIONAL": true}, "authentication_method": {"OPTIONAL": "BASIC"},
            "user_name": {"OPTIONAL": "vcsp"}, "password": {"OPTIONAL": {"SECRET": "S3cret!"}},
            "current_password": {"OPTIONAL": null}, "publish_url": {"OPTIONAL": null},
            "persist_json_enabled": {"OPTIONAL": null}}}}}}}});
    let input = json!({"client_token": {"OPTIONAL": "rpc-token-1"}, "create_spec": model});
    let svc = "com.vmware.content.local_library";
    let first = rpc(&t, &s, svc, "create", input.clone()).await;
    let id = first["output"]
        .as_str()
        .unwrap_or_else(|| panic!("{first}"))
        .to_owned();
    let again = rpc(&t, &s, svc, "create", input).await;
    assert_eq!(
        again["output"],
        id.as_str(),
        "the same client token, the same library"
    );

    let got = rpc(&t, &s, svc, "get", json!({"library_id": id})).await;
    let lib = &got["output"]["STRUCTURE"]["com.vmware.content.library_model"];
    assert_eq!(lib["name"]["OPTIONAL"], "rpc-lib", "{got}");
    assert!(!got.to_string().contains("S3cret"));
    let listed = rpc(&t, &s, svc, "list", json!({})).await;
    assert_eq!(listed["output"], json!([id]));

    let sub = subscribed(&t, "sub").await;
    let wrong = rpc(&t, &s, svc, "get", json!({"library_id": sub})).await;
    assert_eq!(
        rpc_error(&wrong),
        "com.vmware.vapi.std.errors.invalid_element_type"
    );
    let update = json!({"library_id": id, "update_spec": {"STRUCTURE": {"com.vmware.content.library_model": {
        "description": {"OPTIONAL": "over rpc"}, "version": {"OPTIONAL": "7"}}}}});
    let stale = rpc(&t, &s, "com.vmware.content.library", "update", update).await;
    assert_eq!(
        rpc_error(&stale),
        "com.vmware.vapi.std.errors.concurrent_change"
    );
    let gone = rpc(&t, &s, svc, "delete", json!({"library_id": id})).await;
    assert!(gone.get("error").is_none(), "{gone}");
    let missing = rpc(
        &t,
        &s,
        "com.vmware.content.library",
        "get",
        json!({"library_id": id}),
    )
    .await;
    assert_eq!(rpc_error(&missing), "com.vmware.vapi.std.errors.not_found");
}
