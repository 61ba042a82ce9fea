import Dispatch
import EventLoop
import Foundation
import TestSupport
import HTTP1
import HTTPServer
import Testing

/// Starts the HTTP server in-process on a free loopback port with test routes.
final class TestServer {
    let group: EventLoopGroup
    var port: Int { group.port }

    init(threads: Int = 2, configure: (inout HTTPServerConfiguration) -> Void = { _ in }, connectionsMax: Int = 10_000) throws {
        var routes = RouterBuilder()
        routes.add(.get, "/health") { _ in .respond(HTTPResponse(status: 200, body: Array(#"{"status":"UP"}"#.utf8))) }
        routes.add(.get, "/items/{itemId}") { context in
            .respond(HTTPResponse(status: 200, contentType: .text, body: Array("item \(context.parameter(0) ?? "?")".utf8)))
        }
        routes.add(.post, "/echo") { context in
            .respond(HTTPResponse(status: 200, contentType: .text, body: Array(context.body)))
        }
        // Takes bodies up to 128 KiB, and refuses larger ones in its own words.
        let large = BodyPolicy(bytesMax: 128 * 1024) { limit in
            HTTPResponse(status: 429, contentType: .text, body: Array("too large for \(limit)".utf8))
        }
        routes.add(.post, "/large", body: large) { context in
            .respond(HTTPResponse(status: 200, contentType: .text, body: Array("\(context.body.count) bytes".utf8)))
        }
        // Answered later from another thread, after `delayMs` milliseconds.
        routes.add(.get, "/deferred") { context in
            guard let promise = context.deferResponse() else { return .respond(HTTPResponse(status: 503, body: [])) }
            let delay = Int(context.query("delayMs") ?? "50") ?? 50
            let tag = context.query("tag") ?? ""
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(delay)) {
                promise.complete(HTTPResponse(status: 200, contentType: .text, body: Array("deferred \(tag) from another thread".utf8)))
            }
            return .deferred
        }
        var configuration = HTTPServerConfiguration()
        configure(&configuration)
        let server = HTTPServer(router: try routes.build(), configuration: configuration, loopCount: threads)
        var loopConfiguration = EventLoopConfiguration()
        loopConfiguration.host = "127.0.0.1"
        loopConfiguration.port = 0
        loopConfiguration.threadCount = threads
        loopConfiguration.connectionsMax = connectionsMax
        group = try EventLoopGroup(configuration: loopConfiguration, service: server)
        try group.start()
    }

    deinit { group.shutdown(graceSeconds: 1) }
}

@Suite struct LiveServerTests {
    @Test func keepAlive_servesManyRequestsOnOneConnection() throws {
        let server = try TestServer()
        let client = try TestClient(port: server.port)
        for _ in 0..<20 {
            try client.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.bodyText == #"{"status":"UP"}"#)
            #expect(response.header("content-type") == "application/json")
            #expect(response.header("date")?.hasSuffix(" GMT") == true)
            #expect(response.header("connection") == nil)
        }
    }

    @Test func pipelining_answersInRequestOrderEvenWhenOneIsDeferred() throws {
        let server = try TestServer()
        let client = try TestClient(port: server.port)
        try client.send(
            "GET /items/1 HTTP/1.1\r\nHost: t\r\n\r\n" +
            "GET /deferred?delayMs=100&tag=a HTTP/1.1\r\nHost: t\r\n\r\n" +
            "GET /items/2 HTTP/1.1\r\nHost: t\r\n\r\n" +
            "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello" +
            "GET /deferred?delayMs=1&tag=b HTTP/1.1\r\nHost: t\r\n\r\n")
        let bodies = try (0..<5).map { _ in try client.readResponse().bodyText }
        #expect(bodies == ["item 1", "deferred a from another thread", "item 2", "hello", "deferred b from another thread"])
    }

    @Test func deferredCompletion_fromAnotherThreadIsWrittenOnTheConnection() throws {
        let server = try TestServer(threads: 1)
        let clients = try (0..<8).map { _ in try TestClient(port: server.port) }
        for (index, client) in clients.enumerated() { try client.send("GET /deferred?delayMs=\(20 * (8 - index))&tag=\(index) HTTP/1.1\r\nHost: t\r\n\r\n") }
        for (index, client) in clients.enumerated() {
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.bodyText == "deferred \(index) from another thread")
        }
    }

    @Test func unknownPath_isNotFoundInTheErrorEnvelope() throws {
        let server = try TestServer()
        let client = try TestClient(port: server.port)
        try client.send("GET /nope?x=1 HTTP/1.1\r\nHost: t\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 404)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        let error = try #require(json["error"] as? [String: Any])
        #expect(error["code"] as? String == "NOT_FOUND")
        #expect(error["path"] as? String == "/nope")
        #expect((error["traceId"] as? String)?.count == 32)
        #expect((error["timestamp"] as? String)?.hasSuffix("Z") == true)
        #expect(error["message"] is String)
        // A 404 keeps the connection open.
        try client.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try client.readResponse().status == 200)
    }

    @Test func wrongMethod_isMethodNotAllowedWithAllow() throws {
        let server = try TestServer()
        let client = try TestClient(port: server.port)
        try client.send("DELETE /health HTTP/1.1\r\nHost: t\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 405)
        #expect(response.header("allow") == "GET, HEAD")
        #expect(response.bodyText.contains(#""code":"METHOD_NOT_ALLOWED""#))
    }

    @Test func traceparent_isEchoedInTheErrorBody() throws {
        let server = try TestServer()
        let client = try TestClient(port: server.port)
        try client.send("GET /nope HTTP/1.1\r\nHost: t\r\ntraceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n\r\n")
        #expect(try client.readResponse().bodyText.contains(#""traceId":"4bf92f3577b34da6a3ce929d0e0e4736""#))
    }

    @Test func connectionClose_isHonouredAfterTheResponse() throws {
        let server = try TestServer()
        let client = try TestClient(port: server.port)
        try client.send("GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.header("connection") == "close")
        #expect(client.isClosedByPeer())
    }

    @Test func http10_closesUnlessKeepAliveIsAsked() throws {
        let server = try TestServer()
        let plain = try TestClient(port: server.port)
        try plain.send("GET /health HTTP/1.0\r\n\r\n")
        #expect(try plain.readResponse().status == 200)
        #expect(plain.isClosedByPeer())
        let kept = try TestClient(port: server.port)
        try kept.send("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(try kept.readResponse().header("connection") == "keep-alive")
        try kept.send("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(try kept.readResponse().status == 200)
    }

    @Test func head_answersWithoutABody() throws {
        let server = try TestServer()
        let client = try TestClient(port: server.port)
        try client.send("HEAD /health HTTP/1.1\r\nHost: t\r\n\r\nGET /health HTTP/1.1\r\nHost: t\r\n\r\n")
        let head = try client.readResponse(forHead: true)
        #expect(head.status == 200)
        #expect(head.header("content-length") == "15")
        #expect(head.body.isEmpty)
        #expect(try client.readResponse().bodyText == #"{"status":"UP"}"#)
    }

    @Test func garbage_isBadRequestThenClosedAndTheServerLives() throws {
        let server = try TestServer()
        let client = try TestClient(port: server.port)
        try client.send([0x00, 0xFF, 0x13, 0x37] + Array("\r\n\r\n".utf8))
        let response = try client.readResponse()
        #expect(response.status == 400)
        #expect(response.bodyText.contains(#""code":"BAD_REQUEST""#))
        #expect(client.isClosedByPeer())
        let next = try TestClient(port: server.port)
        try next.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try next.readResponse().status == 200)
    }

    @Test func percentEncodedParameter_isDecoded() throws {
        let server = try TestServer()
        let client = try TestClient(port: server.port)
        try client.send("GET /items/a%20b HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try client.readResponse().bodyText == "item a b")
    }
}
