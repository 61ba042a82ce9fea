/// The dynamic table of RFC 7541 §2.3.2 and §4: newest entry first, evicted oldest first so that
/// its size (octets of name and value plus 32 per entry) stays within its maximum.
struct HPACKDynamicTable: Sendable {
    struct Entry: Sendable {
        var field: HeaderField
        /// The name's octets as sent (the String's UTF-8 may differ after U+FFFD replacement).
        var nameOctets: Int
        /// RFC 7541 §4.1: the name's and value's octets as sent, plus 32.
        var size: Int
    }

    /// Entries oldest first from `start`; slots before `start` are evicted and dropped in batches.
    private var storage: [Entry] = []
    private var start = 0
    /// Sum of the entries' sizes.
    private(set) var size = 0
    /// The maximum size the encoder chose with its last size update (or the initial one).
    private(set) var maxSize: Int

    init(maxSize: Int) {
        self.maxSize = maxSize
    }

    var count: Int { storage.count - start }

    /// The entry at 1-based dynamic `index` (1 is the newest), or nil past the end.
    func entry(at index: Int) -> Entry? {
        guard index >= 1, index <= count else { return nil }
        return storage[storage.count - index]
    }

    /// RFC 7541 §4.4: adds an entry after evicting what it needs; an entry larger than the whole
    /// table empties it and is not added.
    mutating func insert(_ field: HeaderField, nameOctets: Int, valueOctets: Int) {
        let entrySize = nameOctets + valueOctets + 32
        evict(toFit: maxSize - entrySize)
        if entrySize <= maxSize {
            storage.append(Entry(field: field, nameOctets: nameOctets, size: entrySize))
            size += entrySize
        }
    }

    /// RFC 7541 §4.3: a new maximum evicts entries until the table fits it.
    mutating func setMaxSize(_ newMaxSize: Int) {
        maxSize = newMaxSize
        evict(toFit: newMaxSize)
    }

    /// Evicts oldest entries until the size is at most `limit`; a negative limit empties the table.
    private mutating func evict(toFit limit: Int) {
        while size > limit, start < storage.count {
            size -= storage[start].size
            start += 1
        }
        // Drop evicted slots once they are half the storage, so memory stays proportional to the
        // live entries while eviction remains O(1) amortised.
        if start > 16, start * 2 > storage.count {
            storage.removeFirst(start)
            start = 0
        }
    }

    /// 1-based dynamic index of the newest entry with this name and value, and of the newest with
    /// this name, for the encoder. A linear scan: the table holds a few dozen entries.
    func find(_ field: HeaderField) -> (exact: Int?, name: Int?) {
        var nameIndex: Int?
        var index = 1
        var position = storage.count - 1
        while position >= start {
            let entry = storage[position].field
            if entry.name == field.name {
                if entry.value == field.value { return (index, nameIndex ?? index) }
                if nameIndex == nil { nameIndex = index }
            }
            index += 1
            position -= 1
        }
        return (nil, nameIndex)
    }
}
