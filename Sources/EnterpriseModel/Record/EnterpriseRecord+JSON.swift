extension EnterpriseRecord {
    /// The record document: `extra` with every set field written over it.
    public var json: JSONValue {
        var members = extra
        members["uscc"] = .string(uscc.rawValue)
        members["name"] = .string(name)
        members["region"] = .string(region)
        if let county { members["county"] = .string(county) }
        if let industry { members["industry"] = .string(industry) }
        if let sizeClass { members["sizeClass"] = .string(sizeClass.rawValue) }
        if let employees { members["employees"] = .int(employees) }
        if let revenueYuan { members["revenueYuan"] = .int(revenueYuan) }
        if let taxYuan { members["taxYuan"] = .int(taxYuan) }
        if let rdExpenseYuan { members["rdExpenseYuan"] = .int(rdExpenseYuan) }
        if let aboveDesignatedSize { members["aboveDesignatedSize"] = aboveDesignatedSize.json }
        if let srdi { members["srdi"] = srdi.json }
        if let littleGiant { members["littleGiant"] = littleGiant.json }
        if supportMeasuresWereWritten || !supportMeasures.isEmpty {
            members["supportMeasures"] = .array(supportMeasures.map(\.json))
        }
        if let contact { members["contact"] = contact.json }
        if statusWasWritten || status != .active { members["status"] = .string(status.rawValue) }
        if let updatedAt { members["updatedAt"] = .string(updatedAt) }
        return .object(members)
    }
}
