/// A relationships part (`_rels/.rels`, `xl/_rels/workbook.xml.rels`): which part each id
/// and type points at.
final class RelationshipsHandler: XMLPartHandler {
    struct Relationship {
        let id: String
        let type: String
        let target: String
    }

    private(set) var relationships: [Relationship] = []

    func start(_ name: String, attributes: [String: String]) {
        guard name == "Relationship", let id = attributes["Id"], let target = attributes["Target"] else { return }
        relationships.append(Relationship(id: id, type: attributes["Type"] ?? "", target: target))
    }

    func end(_ name: String) {}
    func text(_ text: String) {}

    /// The first target whose type ends with `/kind` (`officeDocument`, `sharedStrings`).
    func target(ofType kind: String) -> String? {
        relationships.first { $0.type.hasSuffix("/" + kind) }?.target
    }
}
