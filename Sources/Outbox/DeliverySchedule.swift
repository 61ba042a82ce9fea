import Reservations

/// Which outbox events the webhook relay may attempt, and when (API.md, "Outbox events"): per
/// subject one event at a time in sequence order — a later event of a subject waits until the
/// earlier one is delivered or dead — while other subjects proceed; a failed event waits for its
/// retry time without holding up other subjects. Pure state, no threads or clocks: the relay calls
/// it under its lock with the monotonic time.
struct DeliverySchedule {
    /// One event waiting for delivery, with what the relay needs to send it again.
    struct Item {
        let record: OutboxRecord
        /// The bytes every attempt sends (the stored envelope).
        let envelope: [UInt8]
        /// Failed attempts so far.
        var attempts = 0
    }

    /// The events of one subject not yet finished, oldest first.
    private struct SubjectQueue {
        var items = FIFO<Item>()
        /// An attempt of the head is running.
        var inFlight = false
        /// The head may not be attempted before this (monotonic ms); 0 = at once.
        var notBeforeMs: Int64 = 0
        var isEmpty: Bool { items.isEmpty }
        var first: Item { items.first! }

        /// Inserts in sequence order (appending is the usual case: events arrive in order), never
        /// ahead of an attempt in flight: that stays the head until it finishes.
        mutating func insert(_ item: Item) {
            items.insert(item, keepingFirst: inFlight) { $0.record.sequence > item.record.sequence }
        }
    }

    /// Most events held at once; the relay loads more only when there is room.
    let capacity: Int
    private var queues: [String: SubjectQueue] = [:]
    /// Subjects whose head may be attempted now, first come first served.
    private var ready = FIFO<String>()
    /// Subjects waiting for a retry time, earliest first.
    private var delayed = RetryHeap()
    /// Sequences held, so that a reload or a revived event is never held twice.
    private var held: Set<Int64> = []

    init(capacity: Int) {
        precondition(capacity > 0, "capacity must be positive")
        self.capacity = capacity
    }

    /// Events held (waiting, delayed or in flight).
    var count: Int { held.count }

    /// Room for this many more events.
    var room: Int { max(capacity - held.count, 0) }

    /// Attempts running now.
    private(set) var inFlight = 0

    /// Adds `record`; false when it is already held. Beyond `capacity` only revived events are
    /// added (the relay's loader never asks for more than `room`).
    @discardableResult
    mutating func add(_ record: OutboxRecord, envelope: [UInt8]) -> Bool {
        guard held.insert(record.sequence).inserted else { return false }
        var queue = queues[record.subject] ?? SubjectQueue()
        let wasIdle = queue.isEmpty && !queue.inFlight && queue.notBeforeMs == 0
        queue.insert(Item(record: record, envelope: envelope))
        queues[record.subject] = queue
        if wasIdle { ready.append(record.subject) }
        return true
    }

    /// The next event to attempt at `nowMs` (its subject is then busy until `finish`), or nil.
    mutating func next(nowMs: Int64) -> Item? {
        while let subject = delayed.popDue(atMs: nowMs) {
            guard var queue = queues[subject] else { continue }
            queue.notBeforeMs = 0
            queues[subject] = queue
            ready.append(subject)
        }
        while let subject = ready.popFirst() {
            guard var queue = queues[subject], !queue.isEmpty, !queue.inFlight else { continue }
            queue.inFlight = true
            queues[subject] = queue
            inFlight += 1
            return queue.first
        }
        return nil
    }

    /// When the earliest delayed subject may go again (monotonic ms), if any waits.
    var earliestRetryMs: Int64? { delayed.earliestMs }

    /// How an attempt ended, as far as ordering is concerned.
    enum Finish {
        /// Delivered, or given up on (dead): the subject's next event may go.
        case done
        /// Try this event again at `retryAtMs` (monotonic); its subject waits.
        case retry(atMs: Int64)
    }

    /// Ends the attempt of `item` (the head of its subject).
    mutating func finish(_ item: Item, _ finish: Finish) {
        let subject = item.record.subject
        guard var queue = queues[subject], queue.inFlight else { return }
        queue.inFlight = false
        inFlight -= 1
        switch finish {
        case .done:
            _ = queue.items.popFirst()
            held.remove(item.record.sequence)
            if queue.isEmpty {
                queues[subject] = nil
                return
            }
            queue.notBeforeMs = 0
            queues[subject] = queue
            ready.append(subject)
        case .retry(let atMs):
            queue.items.updateFirst { $0.attempts = item.attempts }
            queue.notBeforeMs = max(atMs, 1)
            queues[subject] = queue
            delayed.push(atMs: queue.notBeforeMs, subject: subject)
        }
    }

    /// The creation time (wall ms) of the oldest event held, if any: each subject's head is its
    /// oldest, so only heads are looked at.
    var oldestTimeMs: Int64? {
        queues.values.lazy.filter { !$0.isEmpty }.map { $0.first.record.timeMs }.min()
    }
}

/// A first-in, first-out queue on an array: popping moves a head index, and the consumed prefix is
/// dropped once it is at least half the storage, so each element is moved O(1) times on average.
struct FIFO<Element> {
    private var storage: [Element] = []
    private var head = 0

    var isEmpty: Bool { head == storage.count }
    var count: Int { storage.count - head }
    var first: Element? { isEmpty ? nil : storage[head] }

    mutating func append(_ element: Element) { storage.append(element) }

    mutating func popFirst() -> Element? {
        guard !isEmpty else { return nil }
        let element = storage[head]
        head += 1
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 64 && head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return element
    }

    mutating func updateFirst(_ change: (inout Element) -> Void) {
        guard !isEmpty else { return }
        change(&storage[head])
    }

    /// Inserts `element` before the trailing run of elements for which `goesAfter` holds (after
    /// the first element when `keepingFirst`).
    mutating func insert(_ element: Element, keepingFirst: Bool, goesAfter: (Element) -> Bool) {
        var index = storage.count
        while index > head && goesAfter(storage[index - 1]) { index -= 1 }
        if keepingFirst && index == head && !isEmpty { index = head + 1 }
        storage.insert(element, at: index)
    }
}

/// A binary min-heap of (time, subject).
struct RetryHeap {
    private var entries: [(atMs: Int64, subject: String)] = []

    var earliestMs: Int64? { entries.first?.atMs }

    mutating func push(atMs: Int64, subject: String) {
        entries.append((atMs, subject))
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].atMs < entries[parent].atMs else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest subject if its time is at or before `nowMs`.
    mutating func popDue(atMs nowMs: Int64) -> String? {
        guard let first = entries.first, first.atMs <= nowMs else { return nil }
        let last = entries.removeLast()
        if !entries.isEmpty {
            entries[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < entries.count && entries[left].atMs < entries[smallest].atMs { smallest = left }
                if right < entries.count && entries[right].atMs < entries[smallest].atMs { smallest = right }
                if smallest == parent { break }
                entries.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return first.subject
    }
}
