import HTTP1
import Testing

// MARK: - Field syntax

@Test func requestParser_keepsHeaderNamesAsSentAndTrimsValues() {
    let parsed = Parsed("GET / HTTP/1.1\r\nHost:x\r\nX-A:   spaced out  \r\nX-B:\t\ttabbed\t \r\nX-Empty:\r\nX-Blank:   \r\n\r\n")
    #expect(parsed.result == .complete)
    #expect(parsed.headers == [["Host", "x"], ["X-A", "spaced out"], ["X-B", "tabbed"], ["X-Empty", ""], ["X-Blank", ""]])
}

@Test func requestParser_keepsHeaderOrderAndDuplicates() {
    let parsed = Parsed("GET / HTTP/1.1\r\nHost: x\r\nAccept: a\r\naccept: b\r\nAccept: c\r\n\r\n")
    #expect(parsed.headers == [["Host", "x"], ["Accept", "a"], ["accept", "b"], ["Accept", "c"]])
}

@Test func requestParser_keepsColonsAndObsTextInValues() {
    var bytes = Array("GET / HTTP/1.1\r\nHost: x:8080\r\nX-Url: http://a/b?c=d:e\r\nX-Latin: caf".utf8)
    bytes += [0xC3, 0xA9]
    bytes += Array("\r\n\r\n".utf8)
    let parsed = Parsed(bytes: bytes)
    #expect(parsed.result == .complete)
    #expect(parsed.headers[0] == ["Host", "x:8080"])
    #expect(parsed.headers[1] == ["X-Url", "http://a/b?c=d:e"])
    #expect(parsed.headers[2] == ["X-Latin", "café"])
}

@Test func requestParser_rejectsObsoleteLineFolding() {
    // RFC 9112 §5.2: a server MUST reject obs-fold (or replace it), here with 400.
    #expect(Parsed("GET / HTTP/1.1\r\nHost: x\r\nX-A: one\r\n two\r\n\r\n").status == 400)
    #expect(Parsed("GET / HTTP/1.1\r\nHost: x\r\nX-A: one\r\n\ttwo\r\n\r\n").status == 400)
    // Whitespace before the first field is the same shape (RFC 9112 §2.2).
    #expect(Parsed("GET / HTTP/1.1\r\n Host: x\r\n\r\n").status == 400)
}

@Test(arguments: ["Host : x", "Host\t: x", "X-A :b"])
func requestParser_rejectsWhitespaceBeforeColon(line: String) {
    // RFC 9112 §5.1: a server MUST reject whitespace between field name and colon with 400.
    let request = line.hasPrefix("Host") ? "GET / HTTP/1.1\r\n\(line)\r\n\r\n" : "GET / HTTP/1.1\r\nHost: x\r\n\(line)\r\n\r\n"
    #expect(Parsed(request).status == 400)
}

@Test(arguments: [": empty-name", "NoColon", "X(A): b", "X\"A\": b", "X A: b", "X/A: b", "X[A]: b", "X{A}: b", "X@A: b"])
func requestParser_rejectsMalformedFieldNames(line: String) {
    #expect(Parsed("GET / HTTP/1.1\r\nHost: x\r\n\(line)\r\n\r\n").status == 400)
}

@Test func requestParser_rejectsControlCharactersInValues() {
    for byte: UInt8 in [0x00, 0x01, 0x08, 0x0B, 0x0C, 0x0D, 0x1B, 0x1F, 0x7F] {
        var bytes = Array("GET / HTTP/1.1\r\nHost: x\r\nX-A: a".utf8)
        bytes.append(byte)
        bytes += Array("b\r\n\r\n".utf8)
        #expect(Parsed(bytes: bytes).status == 400, "byte \(byte)")
    }
}

@Test func requestParser_acceptsTabInsideValues() {
    let parsed = Parsed("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\tb\r\n\r\n")
    #expect(parsed.headers[1] == ["X-A", "a\tb"])
}

@Test func requestParser_rejectsBareCarriageReturnInHead() {
    #expect(Parsed("GET / HTTP/1.1\r\nHost: x\rX-A: b\r\n\r\n").status == 400)
    #expect(Parsed("GET / HTTP/1.1\r\nHost: x\r\r\n\r\n").status == 400)
    #expect(Parsed("GET / HTTP/1.1\r\nHost: x\r\n\r\r\n").status == 400)
}

// MARK: - Host (RFC 9112 §3.2)

@Test func requestParser_requiresHostInHTTP11() {
    #expect(Parsed("GET / HTTP/1.1\r\n\r\n").status == 400)
    #expect(Parsed("GET / HTTP/1.1\r\nX-Host: x\r\n\r\n").status == 400)
    #expect(Parsed("GET http://x/ HTTP/1.1\r\n\r\n").status == 400)
}

@Test(arguments: ["Host", "HOST", "host", "hOsT"])
func requestParser_findsHostInAnyCase(name: String) {
    #expect(Parsed("GET / HTTP/1.1\r\n\(name): x\r\n\r\n").result == .complete)
}

@Test func requestParser_acceptsEmptyHost() {
    // RFC 9112 §3.2: Host may be empty when the target has no authority.
    #expect(Parsed("GET / HTTP/1.1\r\nHost:\r\n\r\n").result == .complete)
}

@Test func requestParser_rejectsDuplicateHostInHTTP11() {
    #expect(Parsed("GET / HTTP/1.1\r\nHost: x\r\nHost: x\r\n\r\n").status == 400)
    #expect(Parsed("GET / HTTP/1.1\r\nHost: x\r\nhost: y\r\n\r\n").status == 400)
}

@Test func requestParser_hostIsOptionalInHTTP10() {
    #expect(Parsed("GET / HTTP/1.0\r\n\r\n").result == .complete)
    #expect(Parsed("GET / HTTP/1.0\r\nHost: x\r\n\r\n").result == .complete)
}

@Test func requestParser_rejectsDuplicateHostInHTTP10() {
    // RFC 9112 §3.2: 400 for "any request message that contains more than one Host header field line".
    #expect(Parsed("GET / HTTP/1.0\r\nHost: x\r\nHost: y\r\n\r\n").status == 400)
}

// MARK: - Connection (RFC 9112 §9.3)

@Test(arguments: [
    ("GET / HTTP/1.1\r\nHost: x\r\n\r\n", true),
    ("GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n", true),
    ("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", false),
    ("GET / HTTP/1.1\r\nHost: x\r\nCONNECTION: CLOSE\r\n\r\n", false),
    ("GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, close\r\n\r\n", false),
    ("GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, close\r\n\r\n", false),
    ("GET / HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nConnection: close\r\n\r\n", false),
    ("GET / HTTP/1.1\r\nHost: x\r\nConnection: closed\r\n\r\n", true),
    ("GET / HTTP/1.1\r\nHost: x\r\nX-Connection: close\r\n\r\n", true),
    ("GET / HTTP/1.0\r\n\r\n", false),
    ("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true),
    ("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true),
    ("GET / HTTP/1.0\r\nConnection: foo ,\t keep-alive\r\n\r\n", true),
    ("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false),
    ("GET / HTTP/1.0\r\nConnection: keep-alive-ish\r\n\r\n", false),
])
func requestParser_decidesKeepAlive(request: String, keepAlive: Bool) {
    let parsed = Parsed(request)
    #expect(parsed.result == .complete)
    #expect(parsed.head.keepAlive == keepAlive)
}

// MARK: - Content-Length (RFC 9112 §6.3, RFC 9110 §8.6)

@Test(arguments: [
    ("Content-Length: 0", 0), ("Content-Length: 5", 5), ("content-length: 12", 12),
    ("CONTENT-LENGTH: 7", 7), ("Content-Length:   42  ", 42), ("Content-Length: 007", 7),
    ("Content-Length: 1048576", 1_048_576),
])
func requestParser_readsContentLength(line: String, length: Int) {
    let parsed = Parsed("POST / HTTP/1.1\r\nHost: x\r\n\(line)\r\n\r\n")
    #expect(parsed.result == .complete)
    #expect(parsed.head.framing == .contentLength(length))
}

@Test(arguments: ["", "abc", "-1", "+1", "1.0", "1e3", "0x10", "1 2", "1,1", "5,", " ,5", "١٢"])
func requestParser_rejectsInvalidContentLength(value: String) {
    #expect(Parsed("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \(value)\r\n\r\n").status == 400)
}

@Test func requestParser_noLengthMeansEmptyBody() {
    #expect(Parsed("POST / HTTP/1.1\r\nHost: x\r\n\r\n").head.framing == .none)
}

@Test func requestParser_acceptsEqualDuplicateContentLengths() {
    let parsed = Parsed("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\ncontent-length: 005\r\n\r\n")
    #expect(parsed.result == .complete)
    #expect(parsed.head.framing == .contentLength(5))
}

@Test func requestParser_rejectsDifferentDuplicateContentLengths() {
    #expect(Parsed("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n").status == 400)
    #expect(Parsed("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 5\r\n\r\n").status == 400)
    #expect(Parsed("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n").status == 400)
}

@Test func requestParser_contentLengthOverTheBodyLimitIs413() {
    #expect(Parsed("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n").result == .complete)
    #expect(Parsed("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n").status == 413)
    #expect(Parsed("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999999999\r\n\r\n").status == 413)
}

@Test(arguments: ["1000000000000000000", "9223372036854775807", "9223372036854775808", "99999999999999999999999999999999"])
func requestParser_contentLengthTooLargeForAnIntIs413(value: String) {
    // RFC 9110 §8.6: a valid length can be any number of digits; past 18 it is certainly over the limit.
    #expect(Parsed("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \(value)\r\n\r\n").status == 413)
}

@Test func requestParser_hugeContentLengthWithTransferEncodingIsStill400() {
    #expect(Parsed("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\nTransfer-Encoding: chunked\r\n\r\n").status == 400)
}

@Test func requestParser_bodyLimitIsConfigurable() {
    let limits = HTTPLimits.make(bodyBytesMax: 10)
    #expect(Parsed("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n", limits: limits).result == .complete)
    #expect(Parsed("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n", limits: limits).status == 413)
}

// MARK: - Transfer-Encoding (RFC 9112 §6.1)

@Test(arguments: ["chunked", "Chunked", "CHUNKED", "cHuNkEd", "  chunked  "])
func requestParser_acceptsChunkedInAnyCase(value: String) {
    let parsed = Parsed("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: \(value)\r\n\r\n")
    #expect(parsed.result == .complete)
    #expect(parsed.head.framing == .chunked)
}

@Test func requestParser_findsTransferEncodingInAnyCase() {
    #expect(Parsed("POST / HTTP/1.1\r\nHost: x\r\nTRANSFER-ENCODING: chunked\r\n\r\n").head.framing == .chunked)
    #expect(Parsed("POST / HTTP/1.1\r\nHost: x\r\ntransfer-encoding: chunked\r\n\r\n").head.framing == .chunked)
}

@Test(arguments: ["gzip", "gzip, chunked", "deflate", "identity", "chunked;x=1", "chunkedx"])
func requestParser_unknownTransferCodingIs501(value: String) {
    #expect(Parsed("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: \(value)\r\n\r\n").status == 501)
}

@Test func requestParser_rejectsRepeatedTransferEncoding() {
    #expect(Parsed("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n").status == 400)
}

@Test func requestParser_rejectsBothContentLengthAndTransferEncoding() {
    // RFC 9112 §6.1: both together are a request smuggling vector; refuse and close.
    #expect(Parsed("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n").status == 400)
    #expect(Parsed("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n").status == 400)
    #expect(Parsed("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n").status == 400)
}

@Test func requestParser_rejectsTransferEncodingInHTTP10() {
    // RFC 9112 §6.1: HTTP/1.0 framing with Transfer-Encoding is faulty.
    #expect(Parsed("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n").status == 400)
}

// MARK: - Expect (RFC 9110 §10.1.1)

@Test(arguments: ["100-continue", "100-Continue", "100-CONTINUE", " 100-continue "])
func requestParser_flagsExpectContinue(value: String) {
    let parsed = Parsed("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: \(value)\r\n\r\n")
    #expect(parsed.result == .complete)
    #expect(parsed.head.expectsContinue)
}

@Test func requestParser_noExpectMeansNoContinue() {
    #expect(!Parsed("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n").head.expectsContinue)
}

@Test(arguments: ["200-ok", "100-continue, foo", "continue", "", "100-continuex"])
func requestParser_otherExpectationIs417(value: String) {
    #expect(Parsed("POST / HTTP/1.1\r\nHost: x\r\nExpect: \(value)\r\n\r\n").status == 417)
}

// MARK: - Errors

@Test func httpParseError_mapsEveryKindToItsStatus() {
    let expected: [(HTTPParseError.Kind, Int)] = [
        (.badRequest, 400), (.uriTooLong, 414), (.headerFieldsTooLarge, 431), (.payloadTooLarge, 413),
        (.notImplemented, 501), (.versionNotSupported, 505), (.expectationFailed, 417),
    ]
    for (kind, status) in expected {
        #expect(HTTPParseError(kind, "why").status == status)
        #expect(ResponseHead.reason(status).description != "Unknown")
    }
}
