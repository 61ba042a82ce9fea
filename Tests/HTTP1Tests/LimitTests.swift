import HTTP1
import Testing

/// `GET /aaa… HTTP/1.1` of exactly `length` bytes (line end excluded).
func requestLine(length: Int) -> String {
    precondition(length >= 14)
    return "GET /" + repeated("a", length - 14) + " HTTP/1.1"
}

/// Header lines (Host first) whose bytes, line ends included, add up to exactly `length`.
func headerBlock(length: Int, lineEnd: String = "\r\n") -> String {
    let host = "Host: x" + lineEnd
    let fixed = host.utf8.count + "X: ".utf8.count + lineEnd.utf8.count
    precondition(length >= fixed)
    return host + "X: " + repeated("v", length - fixed) + lineEnd
}

/// Host and then `count - 1` more distinct fields.
func headerLines(count: Int) -> String {
    "Host: x\r\n" + (1..<max(count, 1)).map { "X-\($0): \($0)\r\n" }.joined()
}

// MARK: - Request line → 414

@Test func requestParser_requestLineAtTheLimitIsAccepted() {
    let parsed = Parsed(requestLine(length: 8192) + "\r\nHost: x\r\n\r\n")
    #expect(parsed.result == .complete)
    #expect(parsed.head.target.count == 8192 - 13)
    #expect(Parsed(requestLine(length: 8192) + "\nHost: x\n\n").result == .complete)
}

@Test func requestParser_requestLineOneByteOverIs414() {
    #expect(Parsed(requestLine(length: 8193) + "\r\nHost: x\r\n\r\n").status == 414)
    #expect(Parsed(requestLine(length: 8193) + "\nHost: x\n\n").status == 414)
    #expect(Parsed(requestLine(length: 8193) + "\r\n").status == 414)
}

@Test func requestParser_requestLineOverTheLimitIs414BeforeItsLineFeed() {
    // A client that sends 8193 bytes and waits must hear 414 now, not 408 later.
    #expect(Parsed(requestLine(length: 8192)).result == .incomplete)
    #expect(Parsed(requestLine(length: 8192) + "\r").result == .incomplete)
    #expect(Parsed(requestLine(length: 8193)).status == 414)
    #expect(Parsed(requestLine(length: 8192) + "\r\r").status == 414)
    #expect(Parsed("GET /" + repeated("a", 20_000)).status == 414)
}

@Test func requestParser_requestLineLimitHoldsForEveryPrefix() {
    // With a small limit, walk every length around it and every prefix of each request.
    let limit = 24
    let limits = HTTPLimits.make(requestLineBytesMax: limit)
    for length in 14...(limit + 4) {
        let line = requestLine(length: length)
        let full = Parsed(line + "\r\nHost: x\r\n\r\n", limits: limits)
        #expect(full.result == (length <= limit ? .complete : .failed(HTTPParseError(.uriTooLong, "request line longer than \(limit) bytes"))))
        for prefix in 1...line.utf8.count {
            let partial = Parsed(bytes: Array(line.utf8.prefix(prefix)), limits: limits)
            #expect(partial.status == (prefix > limit ? 414 : nil), "line \(length) prefix \(prefix)")
        }
        let withCarriageReturn = Parsed(line + "\r", limits: limits)
        #expect(withCarriageReturn.status == (length > limit ? 414 : nil), "line \(length) and CR")
    }
}

@Test func requestParser_leadingEmptyLinesDoNotCountTowardsTheRequestLine() {
    #expect(Parsed("\r\n\r\n" + requestLine(length: 8192) + "\r\nHost: x\r\n\r\n").result == .complete)
    #expect(Parsed("\r\n\r\n" + requestLine(length: 8192)).result == .incomplete)
}

// MARK: - Header block → 431

@Test func requestParser_headerBlockAtTheLimitIsAccepted() {
    let parsed = Parsed("GET / HTTP/1.1\r\n" + headerBlock(length: 16384) + "\r\n")
    #expect(parsed.result == .complete)
    #expect(parsed.head.headers.count == 2)
    #expect(parsed.head.headers[1].value.count == 16384 - 14)
    #expect(Parsed("GET / HTTP/1.1\n" + headerBlock(length: 16384, lineEnd: "\n") + "\n").result == .complete)
}

@Test func requestParser_headerBlockOneByteOverIs431() {
    #expect(Parsed("GET / HTTP/1.1\r\n" + headerBlock(length: 16385) + "\r\n").status == 431)
    #expect(Parsed("GET / HTTP/1.1\n" + headerBlock(length: 16385, lineEnd: "\n") + "\n").status == 431)
    // The last line has its LF but the blank line has not arrived.
    #expect(Parsed("GET / HTTP/1.1\r\n" + headerBlock(length: 16384)).result == .incomplete)
    #expect(Parsed("GET / HTTP/1.1\r\n" + headerBlock(length: 16385)).status == 431)
}

@Test func requestParser_headerBlockOverTheLimitIs431BeforeItsLineFeed() {
    let start = "GET / HTTP/1.1\r\nHost: x\r\nX: "
    let used = "Host: x\r\nX: ".utf8.count
    // Bytes so far plus the one LF still needed fit exactly.
    #expect(Parsed(start + repeated("v", 16383 - used)).result == .incomplete)
    #expect(Parsed(start + repeated("v", 16382 - used) + "\r").result == .incomplete)
    // One more byte and the line can no longer end within the limit.
    #expect(Parsed(start + repeated("v", 16384 - used)).status == 431)
    #expect(Parsed(start + repeated("v", 16383 - used) + "\r").status == 431)
    #expect(Parsed(start + repeated("v", 16385 - used)).status == 431)
    #expect(Parsed(start + repeated("v", 40_000)).status == 431)
}

@Test func requestParser_blankLineAfterAFullHeaderBlockIsNotCounted() {
    let head = "GET / HTTP/1.1\r\n" + headerBlock(length: 16384)
    #expect(Parsed(head + "\r").result == .incomplete)
    #expect(Parsed(head + "\r\n").result == .complete)
    #expect(Parsed(head + "\n").result == .complete)
}

@Test func requestParser_headerBlockLimitHoldsForEveryPrefix() {
    let limit = 40
    let limits = HTTPLimits.make(headerBlockBytesMax: limit)
    for length in 20...(limit + 4) {
        for lineEnd in ["\r\n", "\n"] {
            let block = headerBlock(length: length, lineEnd: lineEnd)
            let requestLine = "GET / HTTP/1.1" + lineEnd
            let request = requestLine + block + lineEnd
            let full = Parsed(request, limits: limits)
            #expect(full.status == (length <= limit ? nil : 431), "block \(length)")
            #expect(full.isComplete == (length <= limit))
            let bytes = Array(request.utf8)
            for prefix in requestLine.utf8.count..<bytes.count {
                let partial = Parsed(bytes: Array(bytes.prefix(prefix)), limits: limits)
                // The least the block can still become: what arrived, plus an LF unless the
                // arrived bytes end a line or could be the start of the blank line.
                let arrived = prefix - requestLine.utf8.count
                let atLineStart = bytes[prefix - 1] == 0x0A || (bytes[prefix - 1] == 0x0D && bytes[prefix - 2] == 0x0A)
                let least = min(arrived, length) + (atLineStart ? 0 : 1)
                #expect(partial.status == (least > limit ? 431 : nil), "block \(length) prefix \(prefix)")
            }
        }
    }
}

@Test func requestParser_requestLineAndHeaderBlockHaveSeparateBudgets() {
    let parsed = Parsed(requestLine(length: 8192) + "\r\n" + headerBlock(length: 16384) + "\r\n")
    #expect(parsed.result == .complete)
    #expect(parsed.head.length == 8192 + 2 + 16384 + 2)
}

// MARK: - Header count → 431

@Test func requestParser_headerCountAtTheLimitIsAccepted() {
    let parsed = Parsed("GET / HTTP/1.1\r\n" + headerLines(count: 100) + "\r\n")
    #expect(parsed.result == .complete)
    #expect(parsed.head.headers.count == 100)
    #expect(parsed.headers[99] == ["X-99", "99"])
}

@Test func requestParser_headerCountOneOverIs431() {
    #expect(Parsed("GET / HTTP/1.1\r\n" + headerLines(count: 101) + "\r\n").status == 431)
    // Refused as soon as the 101st line is complete.
    #expect(Parsed("GET / HTTP/1.1\r\n" + headerLines(count: 101)).status == 431)
    #expect(Parsed("GET / HTTP/1.1\r\n" + headerLines(count: 100) + "X-100: 1").result == .incomplete)
}

@Test func requestParser_headerCountIsConfigurable() {
    let limits = HTTPLimits.make(headerCountMax: 3)
    #expect(Parsed("GET / HTTP/1.1\r\n" + headerLines(count: 3) + "\r\n", limits: limits).result == .complete)
    #expect(Parsed("GET / HTTP/1.1\r\n" + headerLines(count: 4) + "\r\n", limits: limits).status == 431)
}

// MARK: - Body → 413

@Test func requestParser_contentLengthAtTheBodyLimitIsAcceptedAndOneOverIs413() {
    #expect(Parsed("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n").head.framing == .contentLength(1_048_576))
    #expect(Parsed("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n").status == 413)
}

@Test func httpLimits_defaultsMatchTheContract() {
    let limits = HTTPLimits()
    #expect(limits.requestLineBytesMax == 8192)
    #expect(limits.headerBlockBytesMax == 16384)
    #expect(limits.headerCountMax == 100)
    #expect(limits.bodyBytesMax == 1_048_576)
}
