import HTTP1
import Testing
import TestSupport

/// Valid requests, bodies included, that mutations start from.
let requestCorpus: [String] = [
    "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    "GET /v1/events/evt_2025_1001/seats?status=AVAILABLE&section=A&limit=100 HTTP/1.1\r\nHost: localhost:8010\r\nAccept: application/json\r\nX-User-Id: u-1\r\ntraceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n\r\n",
    "POST /v1/reservations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 43\r\nIdempotency-Key: 7f1c\r\n\r\n{\"eventId\":\"evt_1\",\"quantity\":2,\"seats\":[]}",
    "POST /v1/reservations/r1/confirm HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n5;a=b\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 1\r\n\r\n",
    "GET http://example.com:8080/a?b=c HTTP/1.0\nConnection: keep-alive\n\n",
    "\r\nOPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    "DELETE /x HTTP/1.1\r\nHOST: x\r\ncontent-length: 0\r\n\r\nGET /y HTTP/1.1\r\nHost: x\r\n\r\n",
    "PUT /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
]

/// Chunked bodies, malformed pieces included, that mutations start from.
let chunkedCorpus: [String] = [
    "5;a=b\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 1\r\n\r\n",
    "0\r\n\r\n",
    "1\nx\n0\n\n",
    "A ; ext=\"quoted\"\r\n0123456789\r\n0\r\nA: 1\r\nB: 2\r\n\r\n",
    "1f\r\nabcdefghijklmnopqrstuvwxyz01234\r\n0\r\n\r\n",
]

/// Byte strings that steer mutations towards the parser's decisions.
let interestingInserts: [[UInt8]] = [
    "\r\n", "\n", "\r", " ", "\t", ":", "?", "/", ";", "0", "\r\n\r\n", "Host: x\r\n", "Content-Length: 5\r\n",
    "Content-Length: 99999999999999999999\r\n", "Transfer-Encoding: chunked\r\n", "Transfer-Encoding: gzip\r\n",
    "Expect: 100-continue\r\n", "Expect: x\r\n", "Connection: close\r\n", " HTTP/1.0", "HTTP/2.0", "http://",
    "FFFFFFFFFFFFFFFFF", "\u{0}", "\u{7F}",
].map { Array($0.utf8) } + [[0xFF], [0x80], [0xC3, 0xA9]]

/// Applies one to four random edits: flips, overwrites, inserts, deletions, duplications, truncation.
func mutate(_ input: [UInt8], using random: inout SeededGenerator) -> [UInt8] {
    var bytes = input
    for _ in 0..<Int.random(in: 1...4, using: &random) {
        let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &random)
        switch Int.random(in: 0..<7, using: &random) {
        case 0 where !bytes.isEmpty:
            bytes[position] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &random)
        case 1 where !bytes.isEmpty:
            bytes[position] = UInt8.random(in: 0...255, using: &random)
        case 2:
            bytes.insert(contentsOf: interestingInserts.randomElement(using: &random)!, at: position)
        case 3:
            bytes.insert(UInt8.random(in: 0...255, using: &random), at: position)
        case 4 where !bytes.isEmpty:
            let end = min(bytes.count, position + Int.random(in: 1...8, using: &random))
            bytes.removeSubrange(position..<end)
        case 5 where !bytes.isEmpty:
            let end = min(bytes.count, position + Int.random(in: 1...32, using: &random))
            let copies = Int.random(in: 1...3, using: &random)
            let piece = Array(bytes[position..<end])
            for _ in 0..<copies { bytes.insert(contentsOf: piece, at: end) }
        case 6:
            bytes.removeSubrange(position..<bytes.count)
        default:
            break
        }
    }
    return bytes
}

/// Ascending random cut points inside `count` bytes.
func randomCuts(_ count: Int, using random: inout SeededGenerator) -> [Int] {
    guard count > 0 else { return [] }
    return (0..<Int.random(in: 1...6, using: &random)).map { _ in Int.random(in: 0...count, using: &random) }.sorted()
}

/// Names the failing input; built only when an expectation fails.
func note(_ bytes: [UInt8]) -> Comment { "input \(String(decoding: bytes, as: UTF8.self).debugDescription) \(bytes)" }

let parseFailureStatuses: Set<Int> = [400, 413, 414, 417, 431, 501, 505]

/// Small limits so that mutated requests run into every limit.
let tightLimits = HTTPLimits.make(requestLineBytesMax: 48, headerBlockBytesMax: 96, headerCountMax: 3, bodyBytesMax: 24)

/// Checks what must hold of any parse of `bytes`, and returns the one-shot outcome.
@discardableResult
func checkParse(_ bytes: [UInt8], limits: HTTPLimits, random: inout SeededGenerator) -> Outcome {
    let once = parseOnce(bytes, limits: limits)
    switch once.result {
    case .failed(let error):
        #expect(parseFailureStatuses.contains(error.status), note(bytes))
    case .complete:
        guard let head = once.head else {
            Issue.record(note(bytes))
            return once
        }
        #expect(head.length > 0 && head.length <= bytes.count, note(bytes))
        var spans = [head.methodSpan, head.target, head.path, head.query]
        for field in head.headers { spans += [field.name, field.value] }
        for span in spans {
            #expect(0 <= span.start && span.start <= span.end && span.end <= head.length, note(bytes))
        }
        #expect(head.target.start <= head.path.start && head.path.end <= head.target.end, note(bytes))
        // An absent query may be any empty span (for `*` it is the default one).
        #expect(head.query.isEmpty || (head.target.start <= head.query.start && head.query.end <= head.target.end), note(bytes))
        #expect(head.headers.count <= limits.headerCountMax, note(bytes))
        if case .contentLength(let length) = head.framing {
            #expect(length >= 0 && length <= limits.bodyBytesMax, note(bytes))
        }
        // The head depends on its own bytes only, not on what follows it.
        #expect(parseOnce(Array(bytes[0..<head.length]), limits: limits) == once, note(bytes))
    case .incomplete:
        break
    }
    #expect(parseGrowing(bytes, cuts: randomCuts(bytes.count, using: &random), limits: limits) == once, note(bytes))
    return once
}

/// Checks what must hold of any decode of `bytes`, and returns the one-shot result.
@discardableResult
func checkDecode(_ bytes: [UInt8], limits: HTTPLimits, random: inout SeededGenerator) -> Decoded {
    let once = decodeChunked(bytes, limits: limits)
    #expect(once.consumed <= bytes.count, note(bytes))
    #expect(once.body.count <= limits.bodyBytesMax, note(bytes))
    if once.status == nil { #expect(once.body.count <= once.consumed, note(bytes)) }
    if let status = once.status { #expect(parseFailureStatuses.contains(status), note(bytes)) }
    if case .incomplete(let consumed) = once.result { #expect(consumed == bytes.count, note(bytes)) }
    #expect(decodeChunked(bytes, cuts: randomCuts(bytes.count, using: &random), limits: limits) == once, note(bytes))
    return once
}

@Test(arguments: [UInt64(1), 2, 3, 4])
func requestParser_survivesMutatedRequests(seed: UInt64) {
    var random = SeededGenerator(seed: seed)
    let corpus = requestCorpus.map { Array($0.utf8) }
    var outcomes: [String: Int] = [:]
    for round in 0..<2500 {
        let limits = round % 2 == 0 ? HTTPLimits() : tightLimits
        let bytes = mutate(corpus.randomElement(using: &random)!, using: &random)
        let once = checkParse(bytes, limits: limits, random: &random)
        if round % 50 == 0 {
            #expect(parseGrowing(bytes, cuts: Array(0...bytes.count), limits: limits) == once, "byte at a time: \(bytes)")
        }
        switch once.result {
        case .complete:
            outcomes["complete", default: 0] += 1
            // Feed what follows the head as a chunked body when the head says so.
            if once.head?.framing == .chunked, let length = once.head?.length {
                checkDecode(Array(bytes[length...]), limits: limits, random: &random)
            }
        case .incomplete: outcomes["incomplete", default: 0] += 1
        case .failed(let error): outcomes["\(error.status)", default: 0] += 1
        }
    }
    // The mutations must reach both sides of the parser, or the test proves little.
    #expect(outcomes["complete", default: 0] > 100)
    #expect(outcomes["400", default: 0] > 100)
    #expect(outcomes["incomplete", default: 0] > 10)
}

@Test(arguments: [UInt64(11), 12, 13, 14])
func chunkedDecoder_survivesMutatedBodies(seed: UInt64) {
    var random = SeededGenerator(seed: seed)
    let corpus = chunkedCorpus.map { Array($0.utf8) }
    var completed = 0
    var failed = 0
    for round in 0..<2500 {
        let limits = round % 2 == 0 ? HTTPLimits() : tightLimits
        let bytes = mutate(corpus.randomElement(using: &random)!, using: &random)
        let once = checkDecode(bytes, limits: limits, random: &random)
        if once.isComplete { completed += 1 }
        if once.status != nil { failed += 1 }
        if round % 50 == 0 {
            #expect(decodeChunked(bytes, cuts: Array(0...bytes.count), limits: limits) == once, "byte at a time: \(bytes)")
        }
    }
    #expect(completed > 100)
    #expect(failed > 100)
}

@Test(arguments: [UInt64(21), 22])
func requestParser_survivesRandomBytes(seed: UInt64) {
    // Not mutated from valid requests: mostly bytes that matter to the parser, in any order.
    var random = SeededGenerator(seed: seed)
    let alphabet = Array("GET /?:HTP1.0\r\n\t ;chunked-Content-Length".utf8) + [0, 0x7F, 0xFF]
    for _ in 0..<2000 {
        let count = Int.random(in: 0...80, using: &random)
        let bytes = (0..<count).map { _ in alphabet.randomElement(using: &random)! }
        checkParse(bytes, limits: tightLimits, random: &random)
        checkDecode(bytes, limits: tightLimits, random: &random)
    }
}
