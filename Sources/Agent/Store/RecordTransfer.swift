import EnterpriseModel

/// Bulk movement of records in and out of the working copy: CSV import and export, and sample
/// records from the generator. Writes go through one `AtomicBatch`, so a large import costs one
/// file-system flush, not one per record, and a crash leaves each file old or new.
public struct RecordTransfer {
    public let store: Store
    public let region: String

    public init(store: Store, region: String) {
        self.store = store
        self.region = region
    }

    public struct ImportSummary: Sendable {
        public var written = 0
        public var unchanged = 0
        /// Rows not imported, with `file:line: reason`.
        public var refused: [String] = []
        /// What the operator should know about how the file was read (its encoding, guessed).
        public var notes: [String] = []
    }

    /// Imports a CSV file in the `RecordCSV` layout. A row that fails validation is named by its
    /// line and skipped; every other row is written. `encoding`: what the file was saved as; nil
    /// reads UTF-8, or GBK/GB18030 (Excel's "CSV" on Chinese Windows) when the file is not UTF-8
    /// but reads as that, and says so in `notes`. A byte order mark is skipped.
    public func importCSV(_ path: String, encoding: TextEncoding? = nil, progress: (Int, Int) -> Void = { _, _ in }) throws(AgentError) -> ImportSummary {
        var summary = ImportSummary()
        let raw = try FileSystem.read(path)
        let bytes: [UInt8]
        do throws(TextDecodingError) {
            let read = try TextEncoding.utf8(raw, declared: encoding)
            bytes = read.bytes
            if read.guessed { summary.notes.append("\(path) is not UTF-8; read as GBK/GB18030 (--encoding utf-8 reads it as UTF-8)") }
        } catch {
            throw .invalidRecord(file: "\(path):\(error.line)", reason: "\(error.reason) (read with --encoding \(encoding?.rawValue ?? "?"))")
        }
        let rows = Array(CSVReader(bytes: bytes))
        let files = RecordFiles(store: store, region: region)
        let batch = AtomicBatch(anchor: store.statePath)
        var seen = Set<String>()
        for (n, row) in rows.enumerated() {
            progress(n, rows.count)
            switch row {
            case .failure(let error):
                summary.refused.append("\(path):\(error.line): \(error.reason)")
            case .success(let row):
                do {
                    let (uscc, document) = try files.checked(row.document, origin: "\(path):\(row.line)")
                    guard seen.insert(uscc).inserted else {
                        summary.refused.append("\(path):\(row.line): credit code \(uscc) appears twice in the file")
                        continue
                    }
                    if let existing = try? JSONValue.parse(try FileSystem.read(store.recordFile(uscc))), existing == document {
                        summary.unchanged += 1
                        continue
                    }
                    try batch.write(store.recordFile(uscc), store.recordFileBytes(document, uscc: uscc))
                    summary.written += 1
                } catch {
                    summary.refused.append(error.description)
                }
            }
        }
        progress(rows.count, rows.count)
        do { try batch.commit() } catch {
            batch.abandon()
            throw error
        }
        return summary
    }

    /// The working copy as CSV, records in credit-code order; invalid files are skipped and named.
    public func exportCSV(write: (String) -> Void, progress: (Int, Int) -> Void = { _, _ in }) throws(AgentError) -> [String] {
        let names = try FileSystem.list(store.recordsPath).filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted()
        var problems: [String] = []
        write(RecordCSV.headerLine + "\n")
        for (n, name) in names.enumerated() {
            progress(n, names.count)
            do {
                let document = try store.readRecord(String(name.dropLast(5)))
                write(RecordCSV.row(for: document) + "\n")
            } catch {
                problems.append(error.description)
            }
        }
        progress(names.count, names.count)
        return problems
    }

    /// Writes `count` realistic sample records of this region (deterministic for a seed).
    public func generate(count: Int, seed: UInt64, progress: (Int, Int) -> Void = { _, _ in }) throws(AgentError) -> [String] {
        guard let region = Regions.region(code: region) else { throw .config("unknown region \(self.region)") }
        var generator = SampleGenerator(seed: seed)
        let batch = AtomicBatch(anchor: store.statePath)
        var codes: [String] = []
        codes.reserveCapacity(count)
        for n in 0..<count {
            progress(n, count)
            let record = generator.next(region: region)
            try batch.write(store.recordFile(record.uscc.rawValue), store.recordFileBytes(record.json, uscc: record.uscc.rawValue))
            codes.append(record.uscc.rawValue)
            // Bound the temporaries waiting for one flush.
            if batch.pendingCount >= 5_000 { try batch.commit() }
        }
        progress(count, count)
        try batch.commit()
        return codes
    }
}
