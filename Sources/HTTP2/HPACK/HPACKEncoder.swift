/// Encodes header lists into header blocks (RFC 7541).
///
/// A field whose name and value match a table entry is sent as its index; any other is a literal
/// with its name indexed when some entry has that name. With `indexing` off (what a server needs:
/// responses repeat little) literals are "without indexing" and the dynamic table stays empty;
/// with it on they are "with incremental indexing", as in RFC 7541 Appendix C.
public struct HPACKEncoder: Sendable {
    /// When string literals are Huffman-coded (RFC 7541 §5.2).
    public enum HuffmanPolicy: Sendable {
        case never
        case always
        /// Only when it makes the string shorter.
        case whenShorter
    }

    public let huffman: HuffmanPolicy
    public let indexing: Bool
    /// Without indexing a field always encodes to the same octets: the last few fields and their
    /// octets are kept, and found by comparing strings (strings sharing storage compare in one
    /// step, as the constant fields of a server's responses do) instead of hashing them.
    private var recent: [(field: HeaderField, octets: [UInt8])] = []
    private var recentNext = 0
    private static let recentCapacity = 8
    private var table: HPACKDynamicTable
    /// Sizes to announce at the start of the next block (RFC 7541 §4.2): the smallest the table
    /// went to since the last block, then the final one, when they differ.
    private var pendingSizeUpdates: [Int] = []

    /// An encoder whose table maximum starts at `maxTableSize` without announcing it (the peer's
    /// decoder starts at the same value, 4,096 unless the peer's SETTINGS said otherwise).
    public init(maxTableSize: Int = 4_096, huffman: HuffmanPolicy = .whenShorter, indexing: Bool = false) {
        precondition(maxTableSize >= 0)
        self.huffman = huffman
        self.indexing = indexing
        table = HPACKDynamicTable(maxSize: maxTableSize)
    }

    public var tableSize: Int { table.size }
    public var tableMaxSize: Int { table.maxSize }
    public var tableEntryCount: Int { table.count }
    public func tableEntry(at index: Int) -> HeaderField? { table.entry(at: index)?.field }

    /// Changes the table's maximum, evicting as needed; the next block starts by announcing it.
    public mutating func setMaxTableSize(_ newSize: Int) {
        precondition(newSize >= 0)
        let smallest = min(pendingSizeUpdates.first ?? newSize, newSize)
        pendingSizeUpdates = smallest < newSize ? [smallest, newSize] : [newSize]
        table.setMaxSize(newSize)
    }

    /// Appends the header block for `fields` to `output`.
    public mutating func encode(_ fields: [HeaderField], into output: inout [UInt8]) {
        for size in pendingSizeUpdates { HPACKInteger.encode(size, prefixBits: 5, flags: 0x20, into: &output) }
        pendingSizeUpdates.removeAll()
        for field in fields { encode(field, into: &output) }
    }

    private mutating func encode(_ field: HeaderField, into output: inout [UInt8]) {
        guard !indexing else { return encodeField(field, into: &output) }
        for index in recent.indices where recent[index].field == field {
            output.append(contentsOf: recent[index].octets)
            return
        }
        let start = output.count
        encodeField(field, into: &output)
        let entry = (field: field, octets: Array(output[start...]))
        if recent.count < Self.recentCapacity {
            recent.append(entry)
        } else {
            recent[recentNext] = entry
            recentNext = (recentNext + 1) % Self.recentCapacity
        }
    }

    private mutating func encodeField(_ field: HeaderField, into output: inout [UInt8]) {
        let staticExact = HPACKStaticTable.indexOfField[field]
        if let index = staticExact {
            HPACKInteger.encode(index, prefixBits: 7, flags: 0x80, into: &output)
            return
        }
        let dynamic = indexing ? table.find(field) : (exact: nil, name: nil)
        if let index = dynamic.exact {
            HPACKInteger.encode(HPACKStaticTable.count + index, prefixBits: 7, flags: 0x80, into: &output)
            return
        }
        let nameIndex = HPACKStaticTable.indexOfName[field.name] ?? dynamic.name.map { HPACKStaticTable.count + $0 } ?? 0
        if indexing {
            HPACKInteger.encode(nameIndex, prefixBits: 6, flags: 0x40, into: &output)
        } else {
            HPACKInteger.encode(nameIndex, prefixBits: 4, flags: 0x00, into: &output)
        }
        if nameIndex == 0 { writeString(field.name, into: &output) }
        writeString(field.value, into: &output)
        if indexing {
            table.insert(field, nameOctets: field.name.utf8.count, valueOctets: field.value.utf8.count)
        }
    }

    private func writeString(_ string: String, into output: inout [UInt8]) {
        let octets = string.utf8
        // The Huffman length, when Huffman coding is used.
        let huffmanCount: Int?
        switch huffman {
        case .never: huffmanCount = nil
        case .always: huffmanCount = HPACKHuffman.encodedCount(octets)
        case .whenShorter:
            let count = HPACKHuffman.encodedCount(octets)
            huffmanCount = count < octets.count ? count : nil
        }
        if let huffmanCount {
            HPACKInteger.encode(huffmanCount, prefixBits: 7, flags: 0x80, into: &output)
            HPACKHuffman.encode(octets, into: &output)
        } else {
            HPACKInteger.encode(octets.count, prefixBits: 7, flags: 0x00, into: &output)
            output.append(contentsOf: octets)
        }
    }
}
