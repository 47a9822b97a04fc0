extension StatIndex {
    /// Record file names kept as `Key`s (24 bytes each) and handed out as text one at a time.
    /// As strings, a first upload's list of 100,000 new files took 6.4 MB of the agent's peak
    /// memory: a credit code's 18 bytes are past what a small string holds inline (15).
    public struct NameList: RandomAccessCollection, Sendable, Equatable {
        private(set) var keys: [Key] = []

        public init() {}

        public var startIndex: Int { 0 }
        public var endIndex: Int { keys.count }
        public subscript(position: Int) -> String { keys[position].text }

        mutating func append(_ key: Key) { keys.append(key) }

        /// Sorts the names in the order of their bytes (a credit code's packed integers compared
        /// as the bytes they hold, no text made), which for the ASCII of credit codes is the
        /// order of their strings.
        mutating func sort() {
            keys.sort { a, b in
                if case .code(let a0, let a1, let a2) = a, case .code(let b0, let b1, let b2) = b {
                    // Loaded from the bytes in the machine's order: big-endian, the first byte is
                    // the most significant, so comparing integers compares the bytes in order.
                    if a0 != b0 { return a0.bigEndian < b0.bigEndian }
                    if a1 != b1 { return a1.bigEndian < b1.bigEndian }
                    return a2.bigEndian < b2.bigEndian
                }
                return Array(a.text.utf8).lexicographicallyPrecedes(Array(b.text.utf8))
            }
        }
    }
}
