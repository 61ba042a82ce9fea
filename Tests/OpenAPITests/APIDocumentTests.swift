import Foundation
import HTTPServer
import JSON
import Testing

@testable import OpenAPI

/// The document is made from the router's routes and the descriptions given beside them; a route
/// without one, or one without a route, is reported.
@Suite struct APIDocumentTests {
    private static let ok: HTTPHandler = { _ in .respond(HTTPResponse(status: 200, body: [])) }

    private static func describe(_ id: String) -> OperationDescription {
        OperationDescription(operationID: id, summary: id, tags: ["T"],
                             responses: [("200", Response.body("fine", Schema.object(["a": Schema.string()])))])
    }

    private static func document(_ build: (inout RouterBuilder) -> Void) throws -> (APIDocument, JSONValue) {
        var router = RouterBuilder()
        build(&router)
        let document = APIDocument(router: try router.build(), info: DocumentInfo(title: "t", version: "1", summary: "s", details: "d"),
                                   components: DocsRoutes.components)
        return (document, try JSON.parse(document.bytes))
    }

    @Test func describedRoutes_becomeOperations_groupedByPath() throws {
        let (document, json) = try Self.document { router in
            router.add(.get, "/v1/things/{id}", Self.ok)
            router.describe(.get, "/v1/things/{id}", Self.describe("getThing"))
            router.add(.post, "/v1/things/{id}", Self.ok)
            router.describe(.post, "/v1/things/{id}", Self.describe("changeThing"))
            router.add(.post, "/rpc/Method", Self.ok)
            router.describe(.post, "/rpc/Method", UndescribedRoute("RPC"))
        }
        #expect(document.problems.isEmpty)
        #expect(document.operationCount == 2)
        #expect(json["openapi"] == "3.1.0")
        #expect(json["paths"]?["/v1/things/{id}"]?["get"]?["operationId"] == "getThing")
        #expect(json["paths"]?["/v1/things/{id}"]?["post"]?["operationId"] == "changeThing")
        #expect(json["paths"]?["/rpc/Method"] == nil, "a route left out on purpose is not in the document")
        #expect(json["components"]?["schemas"]?["Error"] != nil)
    }

    @Test func routeWithoutDescription_isReported() throws {
        let (document, json) = try Self.document { router in
            router.add(.get, "/a", Self.ok)
            router.describe(.get, "/a", Self.describe("a"))
            router.add(.post, "/a", Self.ok)
        }
        #expect(document.problems == ["POST /a has no description"])
        #expect(json["paths"]?["/a"]?["post"] == nil)
    }

    @Test func descriptionWithoutRoute_andDescriptionGivenTwice_areReported() throws {
        let (document, _) = try Self.document { router in
            router.add(.get, "/a", Self.ok)
            router.describe(.get, "/a", Self.describe("a"))
            router.describe(.get, "/a", Self.describe("again"))
            router.describe(.get, "/b", Self.describe("b"))
            router.describe(.put, "/a", Self.describe("put"))
        }
        #expect(document.problems == [
            "GET /a is described twice", "GET /b is described but no such route exists", "PUT /a is described but no such route exists",
        ])
    }

    @Test func entityTag_isStrong_andFollowsTheBytes() throws {
        let (first, _) = try Self.document { router in
            router.add(.get, "/a", Self.ok)
            router.describe(.get, "/a", Self.describe("a"))
        }
        let (same, _) = try Self.document { router in
            router.add(.get, "/a", Self.ok)
            router.describe(.get, "/a", Self.describe("a"))
        }
        let (other, _) = try Self.document { router in
            router.add(.get, "/a", Self.ok)
            router.describe(.get, "/a", Self.describe("b"))
        }
        #expect(first.entityTag.hasPrefix("\"") && first.entityTag.hasSuffix("\"") && first.entityTag.count == 34)
        #expect(first.entityTag == same.entityTag)
        #expect(first.entityTag != other.entityTag)
    }

    @Test func responsesOfOneStatus_merge() {
        var operation = Self.describe("x")
        operation.add("409", Response.body("first", Schema.string()))
        operation.add("409", Response.body("second", Schema.integer(), headers: ["Retry-After": Response.headerRef("RetryAfter")]))
        let merged = operation.responses.first { $0.status == "409" }?.response
        #expect(merged?["description"] == "first; second")
        #expect(merged?["content"]?["application/json"]?["schema"]?["anyOf"]?.arrayValue?.count == 2)
        #expect(merged?["headers"]?["Retry-After"] != nil)
    }
}

/// `Accept`, `If-None-Match` and the Swagger UI page's assets URL.
@Suite struct DocsRoutesTests {
    @Test func accept_admitsJSONThroughWildcards_andRefusesQZero() {
        #expect(Negotiation.accepts("application/json", type: "application", subtype: "json"))
        #expect(Negotiation.accepts("*/*", type: "application", subtype: "json"))
        #expect(Negotiation.accepts("text/html, application/*;q=0.5", type: "application", subtype: "json"))
        #expect(Negotiation.accepts("", type: "application", subtype: "json"))
        #expect(!Negotiation.accepts("text/html", type: "application", subtype: "json"))
        #expect(!Negotiation.accepts("application/json;q=0, */*", type: "application", subtype: "json"))
        #expect(!Negotiation.accepts("application/yaml", type: "application", subtype: "json"))
    }

    @Test func ifNoneMatch_comparesWeakly_andStarMatches() {
        let tag = "\"abc\""
        #expect(Negotiation.matches("\"abc\"", entityTag: tag))
        #expect(Negotiation.matches("\"x\", W/\"abc\"", entityTag: tag))
        #expect(Negotiation.matches("*", entityTag: tag))
        #expect(!Negotiation.matches("\"abcd\"", entityTag: tag))
        #expect(!Negotiation.matches("abc", entityTag: tag))
    }

    @Test func assetsURL_acceptsHTTPURLsAndLocalPaths_only() {
        for good in ["https://unpkg.com/swagger-ui-dist@5", "http://127.0.0.1:8080", "http://cdn.example/ui/", "/static/swagger-ui"] {
            #expect(DocsRoutes.isValidAssetsURL(good), "\(good)")
        }
        for bad in ["", "unpkg.com/x", "ftp://host/x", "javascript:alert(1)", "https://", "//evil.example/x", "https://a/\"><script>",
                    "https://a/x y", "https://a/'x", "https://user@host/x", String(repeating: "a", count: 3000)] {
            #expect(!DocsRoutes.isValidAssetsURL(bad), "\(bad)")
        }
    }

    @Test func page_loadsSwaggerUIFromTheAssetsURL_andPointsAtTheDocument() {
        let page = String(decoding: DocsRoutes.page(assetsURL: "http://127.0.0.1:9/ui/"), as: UTF8.self)
        #expect(page.contains(#"<link rel="stylesheet" href="http://127.0.0.1:9/ui/swagger-ui.css">"#))
        #expect(page.contains(#"<script src="http://127.0.0.1:9/ui/swagger-ui-bundle.js"></script>"#))
        #expect(page.contains(#"url: "/v3/api-docs""#))
        let escaped = String(decoding: DocsRoutes.page(assetsURL: "/a&b"), as: UTF8.self)
        #expect(escaped.contains("/a&amp;b/swagger-ui.css"))
    }
}
