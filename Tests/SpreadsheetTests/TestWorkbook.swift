import Foundation
import ZIPFoundation

/// A workbook put together part by part, the way another program might have written it:
/// sheets of hand-written `<sheetData>`, shared strings or none, prefixed namespaces or not.
enum TestWorkbook {
    struct Sheet {
        var name: String
        var rows: String
        var hidden = false
    }

    static func make(_ sheets: [Sheet], sharedStrings: [String]? = nil, date1904: Bool = false, prefix: String = "") throws -> Data {
        let p = prefix.isEmpty ? "" : prefix + ":"
        let ns = prefix.isEmpty ? "xmlns" : "xmlns:" + prefix
        var parts: [(String, String)] = [
            ("_rels/.rels", #"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#),
        ]
        let sheetList = sheets.enumerated().map { index, sheet in
            #"<\#(p)sheet name="\#(sheet.name)" sheetId="\#(index + 1)" \#(sheet.hidden ? #"state="hidden" "# : "")r:id="rId\#(index + 1)"/>"#
        }.joined()
        parts.append(("xl/workbook.xml", #"<?xml version="1.0"?><\#(p)workbook \#(ns)="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\#(date1904 ? #"<\#(p)workbookPr date1904="1"/>"# : "")<\#(p)sheets>\#(sheetList)</\#(p)sheets></\#(p)workbook>"#))
        var relationships = sheets.indices.map { index in
            #"<Relationship Id="rId\#(index + 1)" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/sheet\#(index + 1).xml"/>"#
        }
        if let sharedStrings {
            relationships.append(#"<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>"#)
            let items = sharedStrings.map { "<\(p)si>\($0)</\(p)si>" }.joined()
            parts.append(("xl/sharedStrings.xml", #"<?xml version="1.0"?><\#(p)sst \#(ns)="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\#(items)</\#(p)sst>"#))
        }
        parts.append(("xl/_rels/workbook.xml.rels", #"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\#(relationships.joined())</Relationships>"#))
        for (index, sheet) in sheets.enumerated() {
            parts.append(("xl/worksheets/sheet\(index + 1).xml", #"<?xml version="1.0"?><\#(p)worksheet \#(ns)="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><\#(p)sheetData>\#(sheet.rows)</\#(p)sheetData></\#(p)worksheet>"#))
        }
        return try zip(parts.map { ($0.0, Data($0.1.utf8)) })
    }

    static func zip(_ parts: [(String, Data)]) throws -> Data {
        let archive = try Archive(data: Data(), accessMode: .create, pathEncoding: nil)
        for (path, content) in parts {
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(content.count), compressionMethod: .deflate) { position, size in
                content.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        return archive.data ?? Data()
    }

    /// The text of one part of a workbook's bytes.
    static func part(_ path: String, of bytes: Data) throws -> String {
        let archive = try Archive(data: bytes, accessMode: .read, pathEncoding: nil)
        guard let entry = archive[path] else { return "" }
        var data = Data()
        _ = try archive.extract(entry) { data.append($0) }
        return String(decoding: data, as: UTF8.self)
    }
}
