import Foundation
import ZIPFoundation

/// An xlsx workbook opened for reading: its sheets by name, and the rows of one of them.
///
/// A workbook is a zip archive of XML parts (ECMA-376, "Office Open XML"): `_rels/.rels` names
/// the workbook part, whose relationships name each sheet's part and the shared strings. Those
/// are followed rather than assumed, so workbooks from Excel, WPS and LibreOffice all open. A
/// part larger than `partLimit` uncompressed is refused before it is inflated, so a zip bomb
/// costs nothing.
struct Workbook {
    struct Sheet {
        let name: String
        let part: String
        let hidden: Bool
    }

    /// 256 MiB: a sheet of a million rows of records is well under it.
    static let partLimit: UInt64 = 256 << 20

    let sheets: [Sheet]
    let date1904: Bool
    private let archive: Archive
    private let sharedStrings: [String]

    /// Opens the bytes of an xlsx file; `file` names it in errors.
    init(bytes: Data, file: String) throws(SpreadsheetError) {
        do {
            archive = try Archive(data: bytes, accessMode: .read, pathEncoding: nil)
        } catch {
            throw .notAWorkbook(file: file, reason: "no zip archive: \(error)")
        }
        let packageRelationships = RelationshipsHandler()
        if let data = try Self.part("_rels/.rels", of: archive) {
            try XMLPartReader.read(data, part: "_rels/.rels", into: packageRelationships)
        }
        let workbookPart = packageRelationships.target(ofType: "officeDocument").map { Self.resolve($0, from: "") } ?? "xl/workbook.xml"
        guard let workbookData = try Self.part(workbookPart, of: archive) else {
            throw .notAWorkbook(file: file, reason: "the archive has no \(workbookPart)")
        }
        let workbook = WorkbookHandler()
        try XMLPartReader.read(workbookData, part: workbookPart, into: workbook)
        let folder = workbookPart.split(separator: "/").dropLast().joined(separator: "/")
        let relationshipsPart = (folder.isEmpty ? "" : folder + "/") + "_rels/" + (workbookPart.split(separator: "/").last.map(String.init) ?? "") + ".rels"
        let relationships = RelationshipsHandler()
        if let data = try Self.part(relationshipsPart, of: archive) {
            try XMLPartReader.read(data, part: relationshipsPart, into: relationships)
        }
        var sheets: [Sheet] = []
        for sheet in workbook.sheets {
            guard let target = relationships.relationships.first(where: { $0.id == sheet.relationship })?.target else {
                throw .badPart(part: relationshipsPart, reason: "sheet \(sheet.name) has no part (relationship \(sheet.relationship))")
            }
            sheets.append(Sheet(name: sheet.name, part: Self.resolve(target, from: folder), hidden: sheet.hidden))
        }
        guard !sheets.isEmpty else { throw .notAWorkbook(file: file, reason: "\(workbookPart) lists no sheet") }
        self.sheets = sheets
        date1904 = workbook.date1904
        let stringsPart = relationships.target(ofType: "sharedStrings").map { Self.resolve($0, from: folder) } ?? "xl/sharedStrings.xml"
        if let data = try Self.part(stringsPart, of: archive) {
            let strings = SharedStringsHandler()
            try XMLPartReader.read(data, part: stringsPart, into: strings)
            sharedStrings = strings.strings
        } else {
            sharedStrings = []
        }
    }

    /// The sheet `selector` names: a sheet's name, else its number from 1; nil for the first
    /// sheet that is not hidden.
    func sheet(_ selector: String?) throws(SpreadsheetError) -> Sheet {
        guard let selector else { return sheets.first { !$0.hidden } ?? sheets[0] }
        if let named = sheets.first(where: { $0.name == selector }) { return named }
        if let number = Int(selector), sheets.indices.contains(number - 1) { return sheets[number - 1] }
        throw .noSuchSheet(selector, sheets: sheets.map(\.name))
    }

    /// The non-empty rows of a sheet, in order.
    func rows(of sheet: Sheet) throws(SpreadsheetError) -> [SheetRow] {
        guard let data = try Self.part(sheet.part, of: archive) else {
            throw .badPart(part: sheet.part, reason: "sheet \(sheet.name)'s part is not in the archive")
        }
        let handler = SheetHandler(sharedStrings: sharedStrings)
        try XMLPartReader.read(data, part: sheet.part, into: handler)
        return handler.rows
    }

    /// A part's bytes, nil when the archive has none of that name; refused past `partLimit`,
    /// whatever the archive claims its size to be.
    private static func part(_ path: String, of archive: Archive) throws(SpreadsheetError) -> Data? {
        guard let entry = archive[path] else { return nil }
        guard entry.uncompressedSize <= partLimit else {
            throw .badPart(part: path, reason: "\(entry.uncompressedSize) bytes uncompressed, more than the \(partLimit >> 20) MiB a part may have")
        }
        var data = Data()
        do {
            _ = try archive.extract(entry) { chunk in
                data.append(chunk)
                if UInt64(data.count) > partLimit { throw PartTooLarge() }
            }
        } catch is PartTooLarge {
            throw .badPart(part: path, reason: "more than the \(partLimit >> 20) MiB a part may have")
        } catch {
            throw .badPart(part: path, reason: "cannot be unpacked: \(error)")
        }
        return data
    }

    private struct PartTooLarge: Error {}

    /// A relationship's target as a path in the archive: relative to the folder of the part
    /// that names it, or from the root when it starts with `/`; `..` steps up.
    static func resolve(_ target: String, from folder: String) -> String {
        var parts = target.hasPrefix("/") ? [] : folder.split(separator: "/").map(String.init)
        for component in target.split(separator: "/") {
            switch component {
            case ".": continue
            case "..": _ = parts.popLast()
            default: parts.append(String(component))
            }
        }
        return parts.joined(separator: "/")
    }
}
