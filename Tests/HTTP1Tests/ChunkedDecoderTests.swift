import HTTP1
import Testing

let severalChunks = "5;name=value\r\nhello\r\n7 ; a ; b=\"q r\"\r\n, world\r\nA\r\n0123456789\r\n"
    + "0;last\r\nX-Checksum: abc\r\nx-other:\t1 \r\n\r\n"

/// `count` bytes of chunk data cycling through the alphabet.
func chunkData(_ count: Int) -> String {
    let alphabet = Array("abcdefghijklmnopqrstuvwxyz")
    return String((0..<count).map { alphabet[$0 % alphabet.count] })
}

/// A chunked body with the given chunk sizes (hex sizes), the last chunk and a blank line.
func chunkedBody(sizes: [Int], trailers: String = "") -> String {
    sizes.map { String($0, radix: 16) + "\r\n" + chunkData($0) + "\r\n" }.joined() + "0\r\n" + trailers + "\r\n"
}

// MARK: - Well-formed bodies

@Test func chunkedDecoder_decodesSeveralChunksWithExtensionsAndTrailers() {
    let decoded = decodeChunked(severalChunks)
    #expect(decoded.result == .complete(consumed: severalChunks.utf8.count))
    #expect(decoded.text == "hello, world0123456789")
}

@Test func chunkedDecoder_zeroSizeLastChunkIsAnEmptyBody() {
    #expect(decodeChunked("0\r\n\r\n") == Decoded(result: .complete(consumed: 5), body: []))
    #expect(decodeChunked("000\r\n\r\n").result == .complete(consumed: 7))
    #expect(decodeChunked("0;ext=1\r\n\r\n").isComplete)
}

@Test func chunkedDecoder_acceptsUppercaseAndLowercaseHex() {
    #expect(decodeChunked(chunkedBody(sizes: [0xaB])).body.count == 0xAB)
    #expect(decodeChunked("1f\r\n" + chunkData(31) + "\r\n1F\r\n" + chunkData(31) + "\r\n0\r\n\r\n").body.count == 62)
}

@Test func chunkedDecoder_stopsAtTheEndOfTheBody() {
    // What follows the body is the next request; it is left for the parser.
    let body = "3\r\nabc\r\n0\r\n\r\n"
    let decoded = decodeChunked(body + "GET / HTTP/1.1\r\n")
    #expect(decoded.result == .complete(consumed: body.utf8.count))
    #expect(decoded.text == "abc")
}

@Test func chunkedDecoder_acceptsBareLineFeeds() {
    let decoded = decodeChunked("3\nabc\n2;x\nde\n0\nT: 1\n\n")
    #expect(decoded.isComplete)
    #expect(decoded.text == "abcde")
}

@Test func chunkedDecoder_keepsBinaryData() {
    var bytes = Array("4\r\n".utf8)
    bytes += [0x00, 0x0D, 0x0A, 0xFF]
    bytes += Array("\r\n0\r\n\r\n".utf8)
    let decoded = decodeChunked(bytes)
    #expect(decoded.isComplete)
    #expect(decoded.body == [0x00, 0x0D, 0x0A, 0xFF])
}

@Test func chunkedDecoder_reportsEverythingConsumedWhenIncomplete() {
    #expect(decodeChunked("5\r\nhe") == Decoded(result: .incomplete(consumed: 5), body: Array("he".utf8)))
    #expect(decodeChunked("5;ext") == Decoded(result: .incomplete(consumed: 5), body: []))
    #expect(decodeChunked("") == Decoded(result: .incomplete(consumed: 0), body: []))
}

@Test func chunkedDecoder_afterCompletionConsumesNothingMore() {
    var decoder = ChunkedDecoder(limits: HTTPLimits())
    var body: [UInt8] = []
    let first = Array("1\r\na\r\n0\r\n\r\n".utf8)
    #expect(first.withUnsafeBytes { decoder.decode($0, into: &body) } == .complete(consumed: first.count))
    let next = Array("GET".utf8)
    #expect(next.withUnsafeBytes { decoder.decode($0, into: &body) } == .complete(consumed: 0))
    #expect(body == Array("a".utf8))
}

// MARK: - Split input

@Test(arguments: [severalChunks, "0\r\n\r\n", "3\nabc\n2;x\nde\n0\nT: 1\n\n", chunkedBody(sizes: [1, 16, 3], trailers: "A: b\r\n")])
func chunkedDecoder_splitAtEveryBoundaryGivesTheSameBody(body: String) {
    let bytes = Array(body.utf8)
    let expected = decodeChunked(bytes)
    #expect(expected.isComplete)
    for cut in 0...bytes.count {
        #expect(decodeChunked(bytes, cuts: [cut]) == expected, "cut at \(cut)")
    }
    for first in 0...bytes.count {
        for second in first...bytes.count {
            #expect(decodeChunked(bytes, cuts: [first, second]) == expected, "cuts at \(first), \(second)")
        }
    }
    #expect(decodeChunked(bytes, cuts: Array(0...bytes.count)) == expected)
}

@Test(arguments: ["3\r\nabcd\r\n0\r\n\r\n", "3\r\nabc\r\r\n0\r\n\r\n", "3\r\r\nabc\r\n0\r\n\r\n", "0\r\nA: b\r\r\n\r\n", "G\r\n", "1 0\r\nx\r\n0\r\n\r\n", "0\r\nX : y\r\n\r\n", "3\r\nabc\r\n0\r\nT: \u{1}\r\n\r\n"])
func chunkedDecoder_splitAtEveryBoundaryFailsTheSameWay(body: String) {
    let bytes = Array(body.utf8)
    let expected = decodeChunked(bytes)
    #expect(expected.status == 400)
    for cut in 0...bytes.count {
        #expect(decodeChunked(bytes, cuts: [cut]) == expected, "cut at \(cut)")
    }
    #expect(decodeChunked(bytes, cuts: Array(0...bytes.count)) == expected)
}

// MARK: - Malformed bodies → 400

@Test(arguments: [
    "G\r\n", "-1\r\n", "0x5\r\n", "\r\n", " 5\r\n", ";x\r\n", "5g\r\n", "+5\r\n", "5.0\r\n", "\u{7F}\r\n",
])
func chunkedDecoder_rejectsBadChunkSize(line: String) {
    #expect(decodeChunked(line + "hello\r\n0\r\n\r\n").status == 400)
}

@Test(arguments: ["1 0", "1\t0", "1  0", "a 1", "1 a"])
func chunkedDecoder_rejectsDigitsAfterWhitespaceInChunkSize(size: String) {
    // RFC 9112 §7.1: whitespace may only come before an extension; "1 0" is not sixteen.
    #expect(decodeChunked(size + "\r\n" + chunkData(16) + "\r\n0\r\n\r\n").status == 400)
    #expect(decodeChunked(size + "\r\n" + chunkData(1) + "\r\n0\r\n\r\n").status == 400)
}

@Test(arguments: ["1 ;x", "1\t;x", "1 \t ;a=b", "1; a = b"])
func chunkedDecoder_acceptsWhitespaceBeforeExtensions(size: String) {
    let decoded = decodeChunked(size + "\r\n" + chunkData(1) + "\r\n0\r\n\r\n")
    #expect(decoded.isComplete)
    #expect(decoded.text == "a")
}

@Test(arguments: ["3\r\nabcd\r\n0\r\n\r\n", "3\r\nabc0\r\n\r\n", "3\r\nabc\r\r\n0\r\n\r\n", "3\r\nabc\rX0\r\n\r\n", "3\r\nabc\n\n0\r\n\r\n"])
func chunkedDecoder_rejectsDataNotFollowedByLineEnd(body: String) {
    #expect(decodeChunked(body).status == 400)
}

@Test func chunkedDecoder_rejectsBareCarriageReturns() {
    #expect(decodeChunked("3\rabc\r\n0\r\n\r\n").status == 400)
    #expect(decodeChunked("3;x\ry\r\nabc\r\n0\r\n\r\n").status == 400)
    #expect(decodeChunked("0\r\nA: b\rc\r\n\r\n").status == 400)
    #expect(decodeChunked("0\r\n\rX").status == 400)
}

@Test func chunkedDecoder_rejectsControlCharactersInExtensions() {
    for byte: UInt8 in [0x00, 0x01, 0x0B, 0x1F, 0x7F] {
        var bytes = Array("1;a=".utf8)
        bytes.append(byte)
        bytes += Array("\r\nx\r\n0\r\n\r\n".utf8)
        #expect(decodeChunked(bytes).status == 400, "byte \(byte)")
    }
    #expect(decodeChunked("1;a=\tb\r\nx\r\n0\r\n\r\n").isComplete)
}

@Test(arguments: ["NoColon\r\n", ": v\r\n", "X : v\r\n", " folded: v\r\n", "X(y): v\r\n", "X: a\u{1}b\r\n", "X: a\u{7F}\r\n"])
func chunkedDecoder_rejectsMalformedTrailers(trailer: String) {
    #expect(decodeChunked("0\r\n" + trailer + "\r\n").status == 400)
}

@Test func chunkedDecoder_acceptsTrailersWithEmptyValuesAndObsText() {
    var bytes = Array("0\r\nX-Empty:\r\nX-Latin: caf".utf8)
    bytes += [0xC3, 0xA9]
    bytes += Array("\r\n\r\n".utf8)
    #expect(decodeChunked(bytes).isComplete)
}

@Test func chunkedDecoder_chunkSizeOverflowIs400() {
    // With no body limit to stop it first, a size past 15 hex digits is refused as malformed.
    let unlimited = HTTPLimits.make(bodyBytesMax: .max)
    #expect(decodeChunked("FFFFFFFFFFFFFFF\r\nabc", limits: unlimited).result == .incomplete(consumed: 20))
    #expect(decodeChunked("1000000000000000\r\n", limits: unlimited).status == 400)
    #expect(decodeChunked("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF\r\n", limits: unlimited).status == 400)
}

@Test func chunkedDecoder_hugeChunkSizeIs413UnderTheDefaultLimit() {
    #expect(decodeChunked("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF\r\n").status == 413)
}

// MARK: - Limits

@Test func chunkedDecoder_bodyAtTheLimitIsAccepted() {
    let decoded = decodeChunked(chunkedBody(sizes: [0x100000]))
    #expect(decoded.isComplete)
    #expect(decoded.body.count == 1_048_576)
    let split = decodeChunked(chunkedBody(sizes: [0x80000, 0x7FFFF, 1]))
    #expect(split.isComplete)
    #expect(split.body.count == 1_048_576)
}

@Test func chunkedDecoder_bodyOneByteOverIs413() {
    #expect(decodeChunked(chunkedBody(sizes: [0x100001])).status == 413)
    #expect(decodeChunked(chunkedBody(sizes: [0x80000, 0x80000, 1])).status == 413)
    // Refused at the size line, before the data arrives.
    let sizeLineOnly = decodeChunked(String(0x80000, radix: 16) + "\r\n" + chunkData(0x80000) + "\r\n80001\r\n")
    #expect(sizeLineOnly.status == 413)
    #expect(sizeLineOnly.body.count == 0x80000)
}

@Test func chunkedDecoder_bodyLimitIsConfigurable() {
    let limits = HTTPLimits.make(bodyBytesMax: 10)
    #expect(decodeChunked(chunkedBody(sizes: [4, 6]), limits: limits).body.count == 10)
    #expect(decodeChunked(chunkedBody(sizes: [4, 7]), limits: limits).status == 413)
    #expect(decodeChunked(chunkedBody(sizes: [11]), limits: limits).status == 413)
}

@Test func chunkedDecoder_sizeLineAtItsLimitIsAccepted() {
    // The size line, extensions and line end included, may be 4096 bytes.
    let extensionBytes = ChunkedDecoder.sizeLineBytesMax - 4
    #expect(decodeChunked("1;" + repeated("e", extensionBytes) + "\r\nx\r\n0\r\n\r\n").isComplete)
    #expect(decodeChunked("1;" + repeated("e", extensionBytes + 1) + "\nx\r\n0\r\n\r\n").isComplete)
}

@Test func chunkedDecoder_sizeLineOneByteOverIs400() {
    let extensionBytes = ChunkedDecoder.sizeLineBytesMax - 4
    #expect(decodeChunked("1;" + repeated("e", extensionBytes + 1) + "\r\nx\r\n0\r\n\r\n").status == 400)
    #expect(decodeChunked("1;" + repeated("e", extensionBytes + 2) + "\nx\r\n0\r\n\r\n").status == 400)
    #expect(decodeChunked("0;" + repeated("e", 10_000)).status == 400)
}

/// A trailer section (lines with their ends, blank line excluded) of exactly `length` bytes.
func trailerSection(length: Int, lineEnd: String = "\r\n") -> String {
    let fixed = "X: ".utf8.count + lineEnd.utf8.count
    return "X: " + repeated("t", length - fixed) + lineEnd
}

@Test func chunkedDecoder_trailerSectionAtTheLimitIsAccepted() {
    #expect(decodeChunked("0\r\n" + trailerSection(length: 16384) + "\r\n").isComplete)
    #expect(decodeChunked("0\n" + trailerSection(length: 16384, lineEnd: "\n") + "\n").isComplete)
}

@Test func chunkedDecoder_trailerSectionOneByteOverIs431() {
    #expect(decodeChunked("0\r\n" + trailerSection(length: 16385) + "\r\n").status == 431)
    #expect(decodeChunked("0\n" + trailerSection(length: 16385, lineEnd: "\n") + "\n").status == 431)
    #expect(decodeChunked("0\r\n" + trailerSection(length: 16385) + "\n").status == 431)
    #expect(decodeChunked("0\r\n" + repeated("T", 40_000)).status == 431)
}

@Test func chunkedDecoder_trailerCountAtTheLimitIsAcceptedAndOneOverIs431() {
    let hundred = (1...100).map { "T-\($0): \($0)\r\n" }.joined()
    #expect(decodeChunked("0\r\n" + hundred + "\r\n").isComplete)
    #expect(decodeChunked("0\r\n" + hundred + "T-101: x\r\n\r\n").status == 431)
    let limits = HTTPLimits.make(headerCountMax: 2)
    #expect(decodeChunked("0\r\nA: 1\r\nB: 2\r\n\r\n", limits: limits).isComplete)
    #expect(decodeChunked("0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits: limits).status == 431)
}
