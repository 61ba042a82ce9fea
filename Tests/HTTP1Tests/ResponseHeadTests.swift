import Bytes
import HTTP1
import Testing

func written(_ write: (ByteBuffer) -> Void) -> String {
    let buffer = ByteBuffer(capacity: 8)
    write(buffer)
    return String(decoding: buffer.readable, as: UTF8.self)
}

@Test(arguments: [
    (200, "HTTP/1.1 200 OK\r\n"), (100, "HTTP/1.1 100 Continue\r\n"), (413, "HTTP/1.1 413 Content Too Large\r\n"),
    (431, "HTTP/1.1 431 Request Header Fields Too Large\r\n"), (505, "HTTP/1.1 505 HTTP Version Not Supported\r\n"),
    (299, "HTTP/1.1 299 Unknown\r\n"),
])
func responseHead_writesStatusLine(status: Int, line: String) {
    #expect(written { ResponseHead.writeStatusLine(status, into: $0) } == line)
}

@Test func responseHead_hasAReasonForEveryParseFailure() {
    for status in [400, 413, 414, 417, 431, 501, 505] {
        #expect(ResponseHead.reason(status).description != "Unknown", "status \(status)")
    }
}

@Test func responseHead_writesHeaders() {
    let text = written { buffer in
        ResponseHead.writeHeader("content-type", "application/json", into: buffer)
        ResponseHead.writeHeader("x-trace", String("abc"), into: buffer)
        ResponseHead.writeHeader("content-length", decimal: 1_048_576, into: buffer)
        ResponseHead.writeHeader("content-length", decimal: 0, into: buffer)
    }
    #expect(text == "content-type: application/json\r\nx-trace: abc\r\ncontent-length: 1048576\r\ncontent-length: 0\r\n")
}

@Test func dateCache_formatsTheIMFFixdateLine() {
    var cache = DateCache()
    cache.update(wallSeconds: 784_111_777)
    // RFC 9110 §5.6.7 example.
    #expect(String(decoding: cache.line, as: UTF8.self) == "date: Sun, 06 Nov 1994 08:49:37 GMT\r\n")
    cache.update(wallSeconds: 0)
    #expect(String(decoding: cache.line, as: UTF8.self) == "date: Thu, 01 Jan 1970 00:00:00 GMT\r\n")
}

@Test func dateCache_keepsTheLineWithinTheSameSecond() {
    var cache = DateCache()
    cache.update(wallSeconds: 1_700_000_000)
    let first = cache.line
    cache.update(wallSeconds: 1_700_000_000)
    #expect(cache.line == first)
    cache.update(wallSeconds: 1_700_000_001)
    #expect(cache.line != first)
    #expect(cache.line.count == first.count)
}
