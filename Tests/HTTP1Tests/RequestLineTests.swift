import HTTP1
import Testing

@Test func requestParser_parsesSimpleGet() {
    let request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    let parsed = Parsed(request)
    #expect(parsed.result == .complete)
    #expect(parsed.head.method == .get)
    #expect(parsed.method == "GET")
    #expect(parsed.target == "/")
    #expect(parsed.path == "/")
    #expect(parsed.query == "")
    #expect(parsed.head.minorVersion == 1)
    #expect(parsed.headers == [["Host", "x"]])
    #expect(parsed.head.framing == .none)
    #expect(parsed.head.keepAlive)
    #expect(!parsed.head.expectsContinue)
    #expect(parsed.head.length == request.utf8.count)
}

@Test func requestParser_lengthStopsAtTheBlankLine() {
    let parsed = Parsed("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET")
    #expect(parsed.result == .complete)
    #expect(parsed.head.length == parsed.bytes.count - "abcGET".utf8.count)
    #expect(parsed.text(ByteSpan(start: parsed.head.length, end: parsed.head.length + 3)) == "abc")
}

@Test func requestParser_incompleteUntilTheBlankLine() {
    #expect(Parsed("").result == .incomplete)
    #expect(Parsed("GET / HTTP/1.1").result == .incomplete)
    #expect(Parsed("GET / HTTP/1.1\r\n").result == .incomplete)
    #expect(Parsed("GET / HTTP/1.1\r\nHost: x\r\n").result == .incomplete)
    #expect(Parsed("GET / HTTP/1.1\r\nHost: x\r\n\r").result == .incomplete)
}

@Test(arguments: [
    ("GET", HTTPMethod.get), ("HEAD", .head), ("POST", .post), ("PUT", .put), ("DELETE", .delete),
    ("PATCH", .patch), ("OPTIONS", .options), ("TRACE", .trace), ("CONNECT", .connect),
])
func requestParser_recognisesStandardMethods(name: String, method: HTTPMethod) {
    let parsed = Parsed("\(name) / HTTP/1.1\r\nHost: x\r\n\r\n")
    #expect(parsed.result == .complete)
    #expect(parsed.head.method == method)
    #expect(parsed.method == name)
    #expect(method.description == name)
}

@Test(arguments: ["get", "Get", "PROPFIND", "GETX", "GE", "M-SEARCH", "!#$%&'*+-.^_`|~"])
func requestParser_unknownOrMiscasedMethodIsOther(name: String) {
    // RFC 9110 §9.1: method names are case-sensitive; unknown ones parse and routes answer 405.
    let parsed = Parsed("\(name) / HTTP/1.1\r\nHost: x\r\n\r\n")
    #expect(parsed.result == .complete)
    #expect(parsed.head.method == .other)
    #expect(parsed.method == name)
}

@Test(arguments: [
    ("/", "/", ""),
    ("/a/b", "/a/b", ""),
    ("/a/b?", "/a/b", ""),
    ("/a/b?x=1&y=2", "/a/b", "x=1&y=2"),
    ("/a?b?c", "/a", "b?c"),
    ("/%7Euser/a%20b?q=%20", "/%7Euser/a%20b", "q=%20"),
    ("/?", "/", ""),
])
func requestParser_splitsOriginFormPathAndQuery(target: String, path: String, query: String) {
    let parsed = Parsed("GET \(target) HTTP/1.1\r\nHost: x\r\n\r\n")
    #expect(parsed.result == .complete)
    #expect(parsed.target == target)
    #expect(parsed.path == path)
    #expect(parsed.query == query)
}

@Test(arguments: [
    ("http://example.com/a/b?x=1", "/a/b", "x=1"),
    ("http://example.com:8080/a", "/a", ""),
    ("https://user@example.com/", "/", ""),
    ("http://example.com", "", ""),
    ("http://example.com?x", "", "x"),
])
func requestParser_splitsAbsoluteFormPathAndQuery(target: String, path: String, query: String) {
    let parsed = Parsed("GET \(target) HTTP/1.1\r\nHost: example.com\r\n\r\n")
    #expect(parsed.result == .complete)
    #expect(parsed.target == target)
    #expect(parsed.path == path)
    #expect(parsed.query == query)
}

@Test func requestParser_acceptsAsteriskForm() {
    let parsed = Parsed("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n")
    #expect(parsed.result == .complete)
    #expect(parsed.head.method == .options)
    #expect(parsed.target == "*")
    #expect(parsed.path == "*")
    #expect(parsed.query == "")
}

@Test(arguments: [
    "GET  / HTTP/1.1\r\n",           // two spaces
    "GET / HTTP/1.1 \r\n",           // trailing space
    " GET / HTTP/1.1\r\n",           // leading space
    "GET\t/ HTTP/1.1\r\n",           // tab separator
    "GET /\tx HTTP/1.1\r\n",         // tab in target
    "GET / x HTTP/1.1\r\n",          // space in target
    "GET /\u{7F} HTTP/1.1\r\n",      // DEL in target
    "GET / \r\n",                    // no version
    "GET /\r\n",                     // HTTP/0.9 style
    "GET\r\n",
    "/ HTTP/1.1\r\n",
    "G(T / HTTP/1.1\r\n",            // non-token method
    "GET example.com HTTP/1.1\r\n",  // no scheme, not origin-form
    "GET ://x/ HTTP/1.1\r\n",        // empty scheme
    "GET / HTTP/1.1\r\r\n",          // bare CR before the CRLF
    "GET /\ra HTTP/1.1\r\n",         // bare CR in the target
])
func requestParser_rejectsMalformedRequestLine(line: String) {
    let parsed = Parsed(line + "Host: x\r\n\r\n")
    #expect(parsed.status == 400)
}

@Test(arguments: ["HTTP/1.1x", "HTTP/11", "http/1.1", "HTTP/1.", "HTTP/1", "HTTP 1.1", "HTTP/a.b", "HTTP/1,1", "HTTX/1.1", "HTTP/1.1.1", "1.1"])
func requestParser_garbageVersionIs400(version: String) {
    #expect(Parsed("GET / \(version)\r\nHost: x\r\n\r\n").status == 400)
}

@Test(arguments: ["HTTP/2.0", "HTTP/3.0", "HTTP/0.9", "HTTP/9.9"])
func requestParser_unsupportedVersionIs505(version: String) {
    let parsed = Parsed("GET / \(version)\r\nHost: x\r\n\r\n")
    #expect(parsed.status == 505)
}

@Test func requestParser_readsMinorVersion() {
    #expect(Parsed("GET / HTTP/1.0\r\n\r\n").head.minorVersion == 0)
    #expect(Parsed("GET / HTTP/1.1\r\nHost: x\r\n\r\n").head.minorVersion == 1)
}

@Test func requestParser_acceptsBareLineFeeds() {
    // RFC 9112 §2.2: a recipient MAY recognise a single LF as a line terminator.
    let parsed = Parsed("GET /a?b HTTP/1.1\nHost: x\nAccept: */*\n\n")
    #expect(parsed.result == .complete)
    #expect(parsed.path == "/a")
    #expect(parsed.query == "b")
    #expect(parsed.headers == [["Host", "x"], ["Accept", "*/*"]])
    #expect(parsed.head.length == parsed.bytes.count)
}

@Test func requestParser_acceptsMixedLineEnds() {
    let parsed = Parsed("GET / HTTP/1.1\nHost: x\r\nA: b\n\r\n")
    #expect(parsed.result == .complete)
    #expect(parsed.headers == [["Host", "x"], ["A", "b"]])
    #expect(parsed.head.length == parsed.bytes.count)
}

@Test func requestParser_skipsLeadingEmptyLines() {
    // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request line.
    let request = "\r\n\r\n\nGET /x HTTP/1.1\r\nHost: x\r\n\r\n"
    let parsed = Parsed(request)
    #expect(parsed.result == .complete)
    #expect(parsed.path == "/x")
    #expect(parsed.method == "GET")
    // Spans and the length count from the start of the buffer, so the caller consumes the lines too.
    #expect(parsed.head.methodSpan.start == 5)
    #expect(parsed.head.length == request.utf8.count)
}

@Test func requestParser_onlyEmptyLinesAreIncompleteAndNoPartialHead() {
    var parser = RequestParser()
    var head = RequestHead()
    let bytes = Array("\r\n\r\n".utf8)
    let result = bytes.withUnsafeBytes { parser.parse($0, into: &head) }
    #expect(result == .incomplete)
    #expect(!parser.hasPartialHead)
}

@Test func requestParser_hasPartialHeadOnceARequestLineStarts() {
    var parser = RequestParser()
    var head = RequestHead()
    let bytes = Array("\r\nG".utf8)
    let result = bytes.withUnsafeBytes { parser.parse($0, into: &head) }
    #expect(result == .incomplete)
    #expect(parser.hasPartialHead)
    parser.reset()
    #expect(!parser.hasPartialHead)
}

@Test func requestParser_tooManyLeadingEmptyLinesIs400() {
    let limits = HTTPLimits.make(requestLineBytesMax: 16)
    #expect(Parsed(String(repeating: "\r\n", count: 8) + "GET / HTTP/1.1\r\nHost: x\r\n\r\n", limits: limits).result == .complete)
    #expect(Parsed(String(repeating: "\r\n", count: 9) + "GET / HTTP/1.1\r\nHost: x\r\n\r\n", limits: limits).status == 400)
}

@Test func requestParser_acceptsNonASCIIBytesInTarget() {
    // Bytes above 0x7F are not valid in a URI, but they are not framing either; routing decides.
    var bytes = Array("GET /".utf8)
    bytes += [0xC3, 0xA9]
    bytes += Array(" HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
    let parsed = Parsed(bytes: bytes)
    #expect(parsed.result == .complete)
    #expect(parsed.head.path == ByteSpan(start: 4, end: 7))
}

@Test func requestParser_rejectsControlCharactersInTarget() {
    for byte: UInt8 in [0x00, 0x01, 0x09, 0x0B, 0x0C, 0x1F, 0x7F] {
        var bytes = Array("GET /a".utf8)
        bytes.append(byte)
        bytes += Array("b HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        #expect(Parsed(bytes: bytes).status == 400, "byte \(byte)")
    }
}
