extension StatIndex {
    /// A dictionary from names to entries that keeps the entries in one array and only a slot
    /// number in the hash table: a hash table sized for 100,000 entries has room for 262,144,
    /// and holding the entries themselves in it cost 40 MB more.
    struct Storage: Sendable, Equatable, Sequence {
        private var slots: [Key: Int32] = [:]
        private var entries: ContiguousArray<Entry> = []
        private var free: [Int32] = []
        /// A bit per slot set since the file was read or written, and the names removed: what a
        /// save appends (a bit set, not a set of names: an upload sets every entry).
        private var changedSlots: [UInt64] = []
        private var removed: [Key] = []

        var count: Int { slots.count }

        subscript(_ key: Key) -> Entry? { slots[key].map { entries[Int($0)] } }

        /// Looks at the entry of `key` where it is, without copying it (an entry is 136 bytes
        /// with two optional strings; copying each one out was a tenth of a no-change scan).
        func withEntry<R>(_ key: Key, _ body: (UnsafePointer<Entry>?) -> R) -> R {
            guard let slot = slots[key] else { return body(nil) }
            return entries.withUnsafeBufferPointer { body($0.baseAddress.map { $0 + Int(slot) }) }
        }

        /// Calls `body` with the name, slot and place of every entry, looked at where it is.
        private func forEachSlot<E: Error>(_ body: (Key, Int, UnsafePointer<Entry>) throws(E) -> Void) throws(E) {
            try entries.withUnsafeBufferPointer { (buffer) throws(E) in
                guard let base = buffer.baseAddress else { return }
                for (key, slot) in slots { try body(key, Int(slot), base + Int(slot)) }
            }
        }

        /// How many entries `isIncluded` holds for, looked at in place.
        func count(where isIncluded: (UnsafePointer<Entry>) -> Bool) -> Int {
            var count = 0
            forEachSlot { _, _, entry in if isIncluded(entry) { count += 1 } }
            return count
        }

        /// Calls `body` with each entry for which `isIncluded` holds, both looking at it in place.
        func forEach<E: Error>(where isIncluded: (UnsafePointer<Entry>) -> Bool,
                               _ body: (Key, UnsafePointer<Entry>) throws(E) -> Void) throws(E) {
            try forEachSlot { (key, _, entry) throws(E) in if isIncluded(entry) { try body(key, entry) } }
        }

        mutating func set(_ key: Key, _ entry: Entry?, noting: Bool) {
            let slot: Int32
            if let entry {
                if let known = slots[key] {
                    slot = known
                    entries[Int(slot)] = entry
                } else if let reused = free.popLast() {
                    slot = reused
                    entries[Int(slot)] = entry
                    slots[key] = slot
                } else {
                    slot = Int32(entries.count)
                    slots[key] = slot
                    entries.append(entry)
                }
                if noting {
                    let word = Int(slot) >> 6
                    if word >= changedSlots.count { changedSlots.append(contentsOf: repeatElement(0, count: word - changedSlots.count + 1)) }
                    changedSlots[word] |= 1 << UInt64(slot & 63)
                }
            } else if let freed = slots.removeValue(forKey: key) {
                entries[Int(freed)] = Entry()
                free.append(freed)
                let word = Int(freed) >> 6
                if word < changedSlots.count { changedSlots[word] &= ~(1 << UInt64(freed & 63)) }
                if noting { removed.append(key) }
            }
        }

        /// How many entries were set since the file was read or written.
        var changedCount: Int { changedSlots.reduce(0) { $0 + $1.nonzeroBitCount } }

        /// Calls `body` with each entry set since the file was read or written, in place.
        func forEachChanged<E: Error>(_ body: (Key, UnsafePointer<Entry>) throws(E) -> Void) throws(E) {
            guard changedSlots.contains(where: { $0 != 0 }) else { return }
            try forEachSlot { (key, slot, entry) throws(E) in
                if slot >> 6 < changedSlots.count && changedSlots[slot >> 6] & (1 << UInt64(slot & 63)) != 0 { try body(key, entry) }
            }
        }

        /// The names removed since the file was read or written. A name removed and set again
        /// since is written as set: a crash in the middle of the append then cannot keep the
        /// removal and lose the entry.
        var removedSinceSave: [Key] { removed.filter { slots[$0] == nil } }

        mutating func markSaved() {
            changedSlots = []
            removed = []
        }

        mutating func reserveCapacity(_ n: Int) {
            slots.reserveCapacity(n)
            entries.reserveCapacity(n)
        }

        var values: some Sequence<Entry> { slots.values.lazy.map { entries[Int($0)] } }

        func makeIterator() -> some IteratorProtocol<(key: Key, value: Entry)> {
            slots.lazy.map { (key: $0.key, value: entries[Int($0.value)]) }.makeIterator()
        }

        static func == (a: Storage, b: Storage) -> Bool {
            a.count == b.count && a.allSatisfy { b[$0.key] == $0.value }
        }
    }
}
