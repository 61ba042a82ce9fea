import Foundation
import Glibc
import HTTPServer
import TestSupport
import Testing

/// Hostile and broken clients over real sockets: limits, deadlines, chunked bodies, many idle peers.
@Suite struct HardeningTests {
    private func expectErrorAndClose(_ request: [UInt8], status: Int, code: String, server: TestServer) throws {
        let client = try TestClient(port: server.port)
        try client.send(request)
        let response = try client.readResponse()
        #expect(response.status == status, "expected \(status) \(code)")
        #expect(response.bodyText.contains(#""code":"\#(code)""#))
        #expect(response.header("connection") == "close")
        #expect(client.isClosedByPeer())
    }

    @Test func requestLine_atTheLimitIsServed_oneByteOverIs414() throws {
        let server = try TestServer()
        // "GET " + target + " HTTP/1.1" = 8192 bytes exactly.
        let target = "/items/" + String(repeating: "a", count: 8192 - 4 - 9 - 7)
        let client = try TestClient(port: server.port)
        try client.send("GET \(target) HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try client.readResponse().status == 200)
        try expectErrorAndClose(Array("GET \(target)a HTTP/1.1\r\nHost: t\r\n\r\n".utf8), status: 414, code: "URI_TOO_LONG", server: server)
    }

    @Test func headerBlock_atTheLimitIsServed_oneByteOverIs431() throws {
        let server = try TestServer()
        // Header block = "Host: t\r\n" (9 bytes) + "X: <filler>\r\n" = 16384 bytes exactly.
        let filler = String(repeating: "v", count: 16384 - 9 - 5)
        let client = try TestClient(port: server.port)
        try client.send("GET /health HTTP/1.1\r\nHost: t\r\nX: \(filler)\r\n\r\n")
        #expect(try client.readResponse().status == 200)
        try expectErrorAndClose(Array("GET /health HTTP/1.1\r\nHost: t\r\nX: \(filler)v\r\n\r\n".utf8), status: 431, code: "HEADER_FIELDS_TOO_LARGE", server: server)
    }

    @Test func headerCount_atTheLimitIsServed_oneMoreIs431() throws {
        let server = try TestServer()
        let ninetyNine = (0..<99).map { "X-\($0): v\r\n" }.joined()
        let client = try TestClient(port: server.port)
        try client.send("GET /health HTTP/1.1\r\nHost: t\r\n\(ninetyNine)\r\n")
        #expect(try client.readResponse().status == 200)
        try expectErrorAndClose(Array("GET /health HTTP/1.1\r\nHost: t\r\n\(ninetyNine)X-last: v\r\n\r\n".utf8), status: 431, code: "HEADER_FIELDS_TOO_LARGE", server: server)
    }

    @Test func body_atTheLimitIsServed_oneByteOverIs413BeforeItIsSent() throws {
        let server = try TestServer { $0.limits.bodyBytesMax = 64 * 1024 }
        let body = [UInt8](repeating: 0x61, count: 64 * 1024)
        let client = try TestClient(port: server.port)
        try client.send(Array("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body)
        let echoed = try client.readResponse()
        #expect(echoed.status == 200)
        #expect(echoed.body == body)
        // Refused from the declared length alone: no body byte is sent.
        try expectErrorAndClose(Array("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.count + 1)\r\n\r\n".utf8), status: 413, code: "PAYLOAD_TOO_LARGE", server: server)
    }

    @Test func routeBodyLimit_letsOneRouteTakeMore_andRefusesInItsOwnWords() throws {
        let server = try TestServer { $0.limits.bodyBytesMax = 64 * 1024 }
        let body = [UInt8](repeating: 0x61, count: 100 * 1024)
        let client = try TestClient(port: server.port)
        try client.send(Array("POST /large HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body)
        let taken = try client.readResponse()
        #expect(taken.status == 200 && taken.bodyText == "102400 bytes")
        // The same body is still too large for every other route.
        try expectErrorAndClose(Array("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.count)\r\n\r\n".utf8),
                                status: 413, code: "PAYLOAD_TOO_LARGE", server: server)
        // Over the route's own limit: its refusal, from the declared length, then close.
        let refused = try TestClient(port: server.port)
        try refused.send("POST /large HTTP/1.1\r\nHost: t\r\nContent-Length: \(128 * 1024 + 1)\r\n\r\n")
        let answer = try refused.readResponse()
        #expect(answer.status == 429 && answer.bodyText == "too large for 131072")
        #expect(refused.isClosedByPeer())
        // A chunked body over the server's limit on an ordinary route is read, refused, and the
        // connection stays usable (its framing is intact).
        let chunked = try TestClient(port: server.port)
        let chunk = String(repeating: "b", count: 40 * 1024)
        let hex = String(chunk.utf8.count, radix: 16)
        try chunked.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n\(hex)\r\n\(chunk)\r\n\(hex)\r\n\(chunk)\r\n0\r\n\r\n")
        #expect(try chunked.readResponse().status == 413)
        try chunked.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try chunked.readResponse().status == 200)
    }

    @Test(arguments: [
        "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "GET /health HTTP/1.1\r\n\r\n",
        "GET /health HTTP/1.1\r\nHost: t\r\n folded\r\n\r\n",
        "GET /health HTTP/1.1\r\nHost : t\r\n\r\n",
    ])
    func malformedFraming_isBadRequestAndCloses(request: String) throws {
        let server = try TestServer()
        try expectErrorAndClose(Array(request.utf8), status: 400, code: "BAD_REQUEST", server: server)
    }

    @Test func chunkedBody_splitAtEveryBoundary_isDecoded() throws {
        let server = try TestServer(threads: 1)
        let wire = Array("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nTrailer: x\r\n\r\n".utf8)
        let client = try TestClient(port: server.port)
        for split in stride(from: 1, to: wire.count, by: 7) {
            try client.send(Array(wire[0..<split]))
            usleep(500)
            try client.send(Array(wire[split...]))
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.bodyText == "hello world")
        }
    }

    @Test func expectContinue_getsInterimResponseThenTheAnswer() throws {
        let server = try TestServer()
        let client = try TestClient(port: server.port)
        try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
        #expect(try client.readResponse().status == 100)
        try client.send("ok")
        #expect(try client.readResponse().bodyText == "ok")
    }

    @Test func slowloris_isClosedByTheHeadDeadline_whileOthersAreServed() throws {
        let server = try TestServer(threads: 1) { $0.headTimeoutMilliseconds = 400 }
        let slow = try TestClient(port: server.port)
        try slow.send("GET /health HTTP/1.1\r\nHo")
        let fast = try TestClient(port: server.port)
        let started = Date()
        var served = 0
        while Date().timeIntervalSince(started) < 0.8 {
            try fast.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try fast.readResponse().status == 200)
            served += 1
        }
        #expect(served >= 20, "the other client on the same loop kept being served")
        let timeout = try slow.readResponse()
        #expect(timeout.status == 408)
        #expect(timeout.bodyText.contains(#""code":"REQUEST_TIMEOUT""#))
        #expect(slow.isClosedByPeer())
    }

    @Test func idleKeepAlive_isClosedAfterTheIdleTimeout() throws {
        let server = try TestServer { $0.idleTimeoutMilliseconds = 300 }
        let client = try TestClient(port: server.port)
        try client.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try client.readResponse().status == 200)
        #expect(client.isClosedByPeer())
    }

    @Test func nineHundredIdleConnections_andTheServerStillAnswers() throws {
        let server = try TestServer()
        let idle = try (0..<900).map { _ in try TestClient(port: server.port) }
        for client in idle.prefix(50) { try client.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n") }
        for client in idle.prefix(50) { #expect(try client.readResponse().status == 200) }
        let fresh = try TestClient(port: server.port)
        try fresh.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try fresh.readResponse().status == 200)
        #expect(server.group.connectionCount >= 901)
    }

    @Test func connectionCap_pausesTheListenerAndResumesWhenOneCloses() throws {
        let server = try TestServer(threads: 1, connectionsMax: 4)
        var clients = try (0..<4).map { _ in try TestClient(port: server.port) }
        for client in clients { try client.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n") }
        for client in clients { #expect(try client.readResponse().status == 200) }
        // The fifth waits in the backlog: connected by the kernel, not accepted.
        let waiting = try TestClient(port: server.port, timeoutSeconds: 1)
        try waiting.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(throws: (any Error).self) { try waiting.readResponse() }
        clients.removeFirst()
        // Once one closes, the listener resumes and the waiting client is served.
        #expect(try waiting.readResponse().status == 200)
    }

    @Test func slowReader_hasItsUnsentOutputBounded() throws {
        let server = try TestServer(threads: 1) { $0.pendingOutputBytesMax = 64 * 1024 }
        let client = try TestClient(port: server.port)
        // Pipeline 200 requests whose answers are 32 KiB each (6.4 MB, more than the socket buffers
        // hold) and read none of them yet: the server must stop reading this client, not buffer it all.
        let body = String(repeating: "b", count: 32 * 1024)
        let request = "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        let fd = client.fd
        let wire = Array(request.utf8)
        let sender = Thread {
            for _ in 0..<200 {
                var offset = 0
                while offset < wire.count {
                    let sent = wire.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, wire.count - offset, Int32(MSG_NOSIGNAL)) }
                    if sent <= 0 { return }
                    offset += sent
                }
            }
        }
        sender.start()
        usleep(300_000)
        // Another client on the same loop is still served while the first one's output is stuck.
        let other = try TestClient(port: server.port)
        try other.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try other.readResponse().status == 200)
        // Reading everything eventually returns every answer in order.
        for _ in 0..<200 { #expect(try client.readResponse().body.count == 32 * 1024) }
    }
}
