import EnterpriseModel
import Foundation
import Spreadsheet

/// Bulk movement of records in and out of the working copy: CSV and xlsx import and export, and sample
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

    /// One row of an import file: where it is (`list.csv:7`, `企业名录!row 7`) and its document,
    /// or why it has none.
    enum ImportRow {
        case record(origin: String, document: JSONValue)
        case refused(String)
    }

    /// Imports a CSV file or an xlsx workbook (told apart by their bytes, a workbook being a zip
    /// archive) in the `RecordCSV` layout, headers by field name or Chinese title. A row that
    /// fails validation is named by its line (`list.csv:7`) or sheet and row (`企业名录!row 7`)
    /// and skipped; every other row is written.
    ///
    /// `encoding`, for CSV: what the file was saved as; nil reads UTF-8, or GBK/GB18030 (Excel's
    /// "CSV" on Chinese Windows) when the file is not UTF-8 but reads as that, and says so in
    /// `notes`. A byte order mark is skipped. `sheet`, for a workbook: the sheet's name or
    /// number (default: the first); see `RecordWorkbook` for how cells are read.
    public func importFile(_ path: String, encoding: TextEncoding? = nil, sheet: String? = nil,
                           progress: (Int, Int) -> Void = { _, _ in }) throws(AgentError) -> ImportSummary {
        var summary = ImportSummary()
        let raw = try FileSystem.read(path)
        let rows: [ImportRow]
        if RecordWorkbook.looksLikeWorkbook(raw) {
            if let encoding { throw .usage("--encoding \(encoding.rawValue) is for CSV files; \(path) is an xlsx workbook") }
            let read: RecordWorkbook.Sheet
            do throws(SpreadsheetError) {
                read = try RecordWorkbook.read(Data(raw), file: path, sheet: sheet)
            } catch {
                throw .spreadsheet(file: path, error)
            }
            rows = read.rows.map { row in
                switch row {
                case .success(let row): .record(origin: "\(read.name)!row \(row.row)", document: row.document)
                case .failure(let error): .refused(error.description)
                }
            }
        } else {
            if let sheet { throw .usage("--sheet \(sheet) is for xlsx workbooks; \(path) is not one (read as CSV)") }
            let bytes: [UInt8]
            do throws(TextDecodingError) {
                let read = try TextEncoding.utf8(raw, declared: encoding)
                bytes = read.bytes
                if read.guessed { summary.notes.append("\(path) is not UTF-8; read as GBK/GB18030 (--encoding utf-8 reads it as UTF-8)") }
            } catch {
                throw .invalidRecord(file: "\(path):\(error.line)", reason: "\(error.reason) (read with --encoding \(encoding?.rawValue ?? "?"))")
            }
            rows = CSVReader(bytes: bytes).map { row in
                switch row {
                case .success(let row): .record(origin: "\(path):\(row.line)", document: row.document)
                case .failure(let error): .refused("\(path):\(error.line): \(error.reason)")
                }
            }
        }
        try write(rows, into: &summary, progress: progress)
        return summary
    }

    /// Validates and writes the rows of an import in one batch; a refused row is listed.
    private func write(_ rows: [ImportRow], into summary: inout ImportSummary, progress: (Int, Int) -> Void) throws(AgentError) {
        let files = RecordFiles(store: store, region: region)
        let batch = AtomicBatch(anchor: store.statePath)
        var seen = Set<String>()
        for (n, row) in rows.enumerated() {
            progress(n, rows.count)
            switch row {
            case .refused(let reason):
                summary.refused.append(reason)
            case .record(let origin, let document):
                do {
                    let (uscc, document) = try files.checked(document, origin: origin)
                    guard seen.insert(uscc).inserted else {
                        summary.refused.append("\(origin): credit code \(uscc) appears twice in the file")
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
    }

    /// The working copy as CSV, records in credit-code order; invalid files are skipped and named.
    public func exportCSV(write: (String) -> Void, progress: (Int, Int) -> Void = { _, _ in }) throws(AgentError) -> [String] {
        write(RecordCSV.headerLine + "\n")
        return try eachRecord(progress: progress) { write(RecordCSV.row(for: $0) + "\n") }
    }

    /// The working copy as an xlsx workbook (`RecordWorkbook`), records in credit-code order,
    /// and the invalid files skipped.
    public func exportWorkbook(progress: (Int, Int) -> Void = { _, _ in }) throws(AgentError) -> (workbook: Data, problems: [String]) {
        var writer = RecordWorkbook.recordWriter()
        let problems = try eachRecord(progress: progress) { writer.append(RecordCSV.cells(for: $0)) }
        do throws(SpreadsheetError) {
            return (try writer.data(), problems)
        } catch {
            throw .spreadsheet(file: "export", error)
        }
    }

    /// Every record of the working copy in credit-code order; returns the files that could not
    /// be read, named.
    private func eachRecord(progress: (Int, Int) -> Void, _ body: (JSONValue) -> Void) throws(AgentError) -> [String] {
        let names = try FileSystem.list(store.recordsPath).filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted()
        var problems: [String] = []
        for (n, name) in names.enumerated() {
            progress(n, names.count)
            do {
                body(try store.readRecord(String(name.dropLast(5))))
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
