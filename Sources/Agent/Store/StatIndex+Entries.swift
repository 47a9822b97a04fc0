extension StatIndex {
    /// The entries by record file name (without `.json`), as a dictionary would hold them, plus
    /// what the scan and the file format need: entries looked at in place by `Key` (no copy of a
    /// 136-byte entry per file), and what changed since the file was read or written.
    ///
    /// For example, the scan's check of one file against its cached stat:
    ///
    ///     let unchanged = index.entries.withEntry(key) { cached in cached?.pointee.size == stat.size }
    public struct Entries: Sendable, Equatable, Sequence {
        /// Written only through `set` (or the subscripts), which notes what changed.
        private var storage = Storage()

        public static func == (a: Entries, b: Entries) -> Bool { a.storage == b.storage }

        // MARK: - By name

        public subscript(_ name: String) -> Entry? {
            get { storage[Key(name)] }
            set { set(Key(name), newValue) }
        }

        public subscript(_ name: String, default fallback: Entry) -> Entry {
            get { storage[Key(name)] ?? fallback }
            set { set(Key(name), newValue) }
        }

        public var count: Int { storage.count }
        public var isEmpty: Bool { storage.count == 0 }
        public var values: some Sequence<Entry> { storage.values }
        public var keys: [String] { storage.map(\.key.text) }

        public func makeIterator() -> some IteratorProtocol<(key: String, value: Entry)> {
            storage.lazy.map { (key: $0.key.text, value: $0.value) }.makeIterator()
        }

        // MARK: - By key, in place (the scan)

        subscript(_ key: Key) -> Entry? { storage[key] }

        /// Sets (or with nil removes) the entry of `key`, noted for the next save unless unchanged.
        mutating func set(_ key: Key, _ entry: Entry?) {
            if storage[key] == entry { return }
            storage.set(key, entry, noting: true)
        }

        /// Looks at the entry of `key` where it is, without copying it; nil when there is none.
        func withEntry<R>(_ key: Key, _ body: (UnsafePointer<Entry>?) -> R) -> R { storage.withEntry(key, body) }

        /// How many entries `isIncluded` holds for, looked at in place.
        func count(where isIncluded: (UnsafePointer<Entry>) -> Bool) -> Int { storage.count(where: isIncluded) }

        /// Calls `body` with each entry for which `isIncluded` holds, both looking at it in place.
        func forEach<E: Error>(where isIncluded: (UnsafePointer<Entry>) -> Bool,
                               _ body: (Key, UnsafePointer<Entry>) throws(E) -> Void) throws(E) {
            try storage.forEach(where: isIncluded, body)
        }

        /// Every entry with its key (a copy each: for the rare walks, such as finding deleted files).
        var keyed: some Sequence<(key: Key, value: Entry)> { storage.lazy.map { $0 } }

        mutating func reserveCapacity(_ n: Int) { storage.reserveCapacity(n) }

        // MARK: - The file format

        /// For parsing the file: not a change.
        mutating func load(_ key: Key, _ entry: Entry?) { storage.set(key, entry, noting: false) }

        /// How many entries were set since the file was read or written.
        var changedCount: Int { storage.changedCount }

        /// The names removed since the file was read or written (see `Storage.removedSinceSave`).
        var removedSinceSave: [Key] { storage.removedSinceSave }

        /// Calls `body` with each entry set since the file was read or written, in place.
        func forEachChanged<E: Error>(_ body: (Key, UnsafePointer<Entry>) throws(E) -> Void) throws(E) {
            try storage.forEachChanged(body)
        }

        /// What is in memory is now what the file says.
        mutating func markSaved() { storage.markSaved() }
    }
}
