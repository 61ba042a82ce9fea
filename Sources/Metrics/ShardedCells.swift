import Synchronization

/// Atomic 64-bit cells, one block per shard, each block on cache lines of its own.
///
/// Each event-loop thread writes only its own shard, so increments never contend and
/// never bounce a cache line between cores; a scrape on another thread sums the shards.
/// Relaxed atomics are enough: each cell is independent and a scrape needs no ordering
/// with respect to other memory, only values that are not torn.
final class ShardedCells: @unchecked Sendable {
    // @unchecked: `cells` is written only by init and deinit, which no other thread can
    // overlap; between them every cell is touched solely through Atomic operations.

    let shardCount: Int
    let cellsPerShard: Int
    /// Cells from one shard's block to the next: `cellsPerShard` rounded up to whole 64-byte lines.
    private let shardStride: Int
    private let cells: UnsafeMutablePointer<Atomic<UInt64>>

    private static let cacheLineBytes = 64

    init(shardCount: Int, cellsPerShard: Int, initialValue: UInt64 = 0) {
        precondition(shardCount > 0 && cellsPerShard > 0)
        self.shardCount = shardCount
        self.cellsPerShard = cellsPerShard
        let cellsPerLine = ShardedCells.cacheLineBytes / MemoryLayout<Atomic<UInt64>>.stride
        shardStride = (cellsPerShard + cellsPerLine - 1) / cellsPerLine * cellsPerLine
        let total = shardCount * shardStride
        cells = UnsafeMutableRawPointer
            .allocate(byteCount: total * MemoryLayout<Atomic<UInt64>>.stride, alignment: ShardedCells.cacheLineBytes)
            .bindMemory(to: Atomic<UInt64>.self, capacity: total)
        for index in 0..<total {
            (cells + index).initialize(to: Atomic(initialValue))
        }
    }

    deinit {
        cells.deinitialize(count: shardCount * shardStride)
        UnsafeMutableRawPointer(cells).deallocate()
    }

    @inline(__always)
    private func address(shard: Int, cell: Int) -> UnsafeMutablePointer<Atomic<UInt64>> {
        // A bad shard index would write outside the allocation, so check even in release builds.
        precondition(shard >= 0 && shard < shardCount, "shard index out of range")
        return cells + (shard * shardStride + cell)
    }

    /// Adds to one cell, wrapping on overflow as Prometheus counters are expected to.
    @inline(__always)
    func add(shard: Int, cell: Int, _ amount: UInt64) {
        address(shard: shard, cell: cell).pointee.wrappingAdd(amount, ordering: .relaxed)
    }

    @inline(__always)
    func store(shard: Int, cell: Int, _ value: UInt64) {
        address(shard: shard, cell: cell).pointee.store(value, ordering: .relaxed)
    }

    func load(shard: Int, cell: Int) -> UInt64 {
        address(shard: shard, cell: cell).pointee.load(ordering: .relaxed)
    }

    /// Replaces a cell's value with `transform(value)` atomically; used for Double arithmetic.
    ///
    /// The loop only retries when another thread wrote the same cell in between, which
    /// does not happen when each shard has a single writer.
    @inline(__always)
    func update(shard: Int, cell: Int, _ transform: (UInt64) -> UInt64) {
        let target = address(shard: shard, cell: cell)
        var current = target.pointee.load(ordering: .relaxed)
        while true {
            let (exchanged, original) = target.pointee.compareExchange(
                expected: current, desired: transform(current), ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }

    /// The wrapping sum of one cell across all shards.
    func sum(cell: Int) -> UInt64 {
        var total: UInt64 = 0
        for shard in 0..<shardCount {
            total &+= load(shard: shard, cell: cell)
        }
        return total
    }

    /// The sum of one cell across all shards, reading each cell as a Double's bits.
    func sumOfDoubles(cell: Int) -> Double {
        var total = 0.0
        for shard in 0..<shardCount {
            total += Double(bitPattern: load(shard: shard, cell: cell))
        }
        return total
    }
}
