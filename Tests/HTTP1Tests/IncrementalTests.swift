import HTTP1
import Testing

/// Requests that complete, fail, or stay incomplete, to feed in pieces.
let incrementalCorpus: [String] = [
    "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    "POST /v1/reservations?dryRun=1 HTTP/1.1\r\nHost: api.example\r\nContent-Type: application/json\r\nContent-Length: 15\r\nX-User-Id: u1\r\nIdempotency-Key: k-1\r\n\r\n{\"quantity\": 2}",
    "PUT http://example.com:8080/a/b?c=d HTTP/1.1\r\nhost: example.com\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n",
    "\r\n\r\nGET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    "OPTIONS * HTTP/1.1\nHost: x\nAccept:\t*/*  \n\n",
    "DELETE /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
    "GET / HTTP/2.0\r\nHost: x\r\n\r\n",
    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
    "POST / HTTP/1.1\r\nHost: x\r\nExpect: tea\r\n\r\n",
    "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: x\r\n",
    "GET / HTTP/1.1\r\r\nHost: x\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: x\r\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: x\r\n\r\r\n",
]

@Test(arguments: incrementalCorpus)
func requestParser_splitAtEveryBoundaryMatchesOneShot(request: String) {
    let bytes = Array(request.utf8)
    let expected = parseOnce(bytes)
    for cut in 0...bytes.count {
        #expect(parseGrowing(bytes, cuts: [cut]) == expected, "cut at \(cut)")
    }
}

@Test(arguments: incrementalCorpus)
func requestParser_byteAtATimeMatchesOneShot(request: String) {
    let bytes = Array(request.utf8)
    #expect(parseGrowing(bytes, cuts: Array(0...bytes.count)) == parseOnce(bytes))
}

@Test(arguments: incrementalCorpus)
func requestParser_splitAtEveryPairOfBoundariesMatchesOneShot(request: String) {
    let bytes = Array(request.utf8)
    let expected = parseOnce(bytes)
    for first in 0...bytes.count {
        for second in first...bytes.count {
            #expect(parseGrowing(bytes, cuts: [first, second]) == expected, "cuts at \(first), \(second)")
        }
    }
}

@Test func requestParser_splitRequestGivesTheSameTextAsOneShot() {
    let request = "PATCH /a/b?c=d HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n"
    let bytes = Array(request.utf8)
    for cut in 1..<bytes.count {
        var parser = RequestParser()
        var head = RequestHead()
        let first = bytes.withUnsafeBytes { parser.parse(UnsafeRawBufferPointer(rebasing: $0[0..<cut]), into: &head) }
        #expect(first == .incomplete)
        let second = bytes.withUnsafeBytes { parser.parse($0, into: &head) }
        #expect(second == .complete)
        #expect(head.method == .patch)
        #expect(head.path == ByteSpan(start: 6, end: 10))
        #expect(head.query == ByteSpan(start: 11, end: 14))
        #expect(head.framing == .contentLength(2))
        #expect(head.length == bytes.count)
    }
}

@Test func requestParser_sameBufferAgainWithoutNewBytesStaysIncomplete() {
    var parser = RequestParser()
    var head = RequestHead()
    let bytes = Array("GET / HTTP/1.1\r\nHo".utf8)
    for _ in 0..<3 {
        #expect(bytes.withUnsafeBytes { parser.parse($0, into: &head) } == .incomplete)
    }
}

// MARK: - Pipelining

/// Parses every request in `bytes` one after another, as a connection does: after each head,
/// consume it and its Content-Length body, then reset. Returns the heads' text views.
func parsePipeline(_ bytes: [UInt8], limits: HTTPLimits = HTTPLimits()) -> (requests: [Parsed], rest: RequestParser.Result) {
    var parser = RequestParser(limits: limits)
    var head = RequestHead()
    var offset = 0
    var requests: [Parsed] = []
    while true {
        let window = Array(bytes[offset...])
        let result = window.withUnsafeBytes { parser.parse($0, into: &head) }
        guard result == .complete else { return (requests, result) }
        let parsed = Parsed(bytes: window, limits: limits)
        #expect(HeadSnapshot(parsed.head) == HeadSnapshot(head))
        requests.append(parsed)
        var body = 0
        if case .contentLength(let length) = head.framing { body = length }
        offset += head.length + body
        parser.reset()
    }
}

@Test func requestParser_parsesPipelinedRequestsOneAfterAnother() {
    let wire = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
        + "POST /b?q HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
        + "DELETE /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    let (requests, rest) = parsePipeline(Array(wire.utf8))
    #expect(rest == .incomplete)
    #expect(requests.map(\.method) == ["GET", "POST", "DELETE"])
    #expect(requests.map(\.path) == ["/a", "/b", "/c"])
    #expect(requests[1].query == "q")
    #expect(requests[1].text(ByteSpan(start: requests[1].head.length, end: requests[1].head.length + 5)) == "hello")
    #expect(requests.map(\.head.keepAlive) == [true, true, false])
}

@Test func requestParser_parsesTwoPipelinedRequestsInOneBuffer() {
    let wire = "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: y\r\n\r\n"
    let (requests, rest) = parsePipeline(Array(wire.utf8))
    #expect(rest == .incomplete)
    #expect(requests.map(\.path) == ["/1", "/2"])
    #expect(requests.map { $0.headers } == [[["Host", "x"]], [["Host", "y"]]])
}

@Test func requestParser_pipelineStopsAtAPartialRequest() {
    let wire = "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHo"
    let (requests, rest) = parsePipeline(Array(wire.utf8))
    #expect(requests.map(\.path) == ["/1"])
    #expect(rest == .incomplete)
}

@Test func requestParser_pipelineStopsAtABadRequest() {
    let wire = "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/9.9\r\nHost: x\r\n\r\nGET /3 HTTP/1.1\r\nHost: x\r\n\r\n"
    let (requests, rest) = parsePipeline(Array(wire.utf8))
    #expect(requests.map(\.path) == ["/1"])
    #expect(rest == .failed(HTTPParseError(.versionNotSupported, "only HTTP/1.0 and HTTP/1.1 are served here")))
}

@Test func requestParser_pipelineWithBlankLinesBetweenRequests() {
    let wire = "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n"
    let (requests, _) = parsePipeline(Array(wire.utf8))
    #expect(requests.map(\.path) == ["/1", "/2"])
}

@Test func requestParser_pipelineAfterAChunkedBody() {
    // The head is consumed, the decoder takes the body, and the parser starts after what it used.
    let wire = "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n"
    let bytes = Array(wire.utf8)
    let first = Parsed(bytes: bytes)
    #expect(first.head.framing == .chunked)
    let decoded = decodeChunked(Array(bytes[first.head.length...]))
    #expect(decoded.isComplete)
    #expect(decoded.text == "abc")
    let second = Parsed(bytes: Array(bytes[(first.head.length + decoded.consumed)...]))
    #expect(second.result == .complete)
    #expect(second.path == "/next")
    #expect(second.head.length == second.bytes.count)
}

@Test func requestParser_resetReusesTheHeadForTheNextRequest() {
    var parser = RequestParser()
    var head = RequestHead()
    let first = Array("POST /a HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1\r\nConnection: close\r\nX: y\r\n\r\n".utf8)
    #expect(first.withUnsafeBytes { parser.parse($0, into: &head) } == .complete)
    parser.reset()
    let second = Array("GET /b HTTP/1.0\r\n\r\n".utf8)
    #expect(second.withUnsafeBytes { parser.parse($0, into: &head) } == .complete)
    #expect(HeadSnapshot(head) == parseOnce(second).head)
    #expect(head.headers.isEmpty)
    #expect(!head.expectsContinue)
    #expect(head.framing == .none)
}
