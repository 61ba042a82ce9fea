import Bytes
import Testing

@Suite struct ByteBufferTests {
    @Test func write_thenConsume_rewindsWhenEmpty() {
        let buffer = ByteBuffer(capacity: 8)
        buffer.write("hello")
        #expect(buffer.readableCount == 5)
        buffer.consume(2)
        #expect(Array(buffer.readable) == Array("llo".utf8))
        buffer.consume(3)
        #expect(buffer.isEmpty)
        #expect(buffer.readerIndex == 0 && buffer.writerIndex == 0)
    }

    @Test func reserve_slidesUnreadBytesBeforeGrowing() {
        let buffer = ByteBuffer(capacity: 8)
        buffer.write("abcdefgh")
        buffer.consume(6)
        buffer.reserve(6)
        #expect(buffer.capacity == 8)
        #expect(Array(buffer.readable) == Array("gh".utf8))
        buffer.reserve(100)
        #expect(buffer.capacity >= 102)
        #expect(Array(buffer.readable) == Array("gh".utf8))
    }

    @Test(arguments: [0, 7, 10, 99, 100, 12345, Int(Int32.max), Int.max])
    func writeDecimal_matchesStringFormatting(value: Int) {
        let buffer = ByteBuffer(capacity: 4)
        buffer.writeDecimal(value)
        #expect(String(decoding: buffer.readable, as: UTF8.self) == String(value))
    }

    @Test func shrinkIfEmpty_releasesAGrownBuffer() {
        let buffer = ByteBuffer(capacity: 16)
        buffer.write([UInt8](repeating: 1, count: 1000))
        buffer.consume(1000)
        buffer.shrinkIfEmpty(to: 16)
        #expect(buffer.capacity == 16)
    }
}
