import ChargingWire

/// A schema violation found while walking a payload; the path is collected innermost-first while the walk
/// unwinds, so a valid payload costs no path bookkeeping at all.
struct OcppSchemaViolation: Sendable {
    enum Step: Sendable {
        case member(String)
        case index(Int)
    }

    let code: OcppErrorCode
    let message: String
    /// Innermost step first.
    var reversedPath: [Step] = []

    func at(_ step: Step) -> OcppSchemaViolation {
        var copy = self
        copy.reversedPath.append(step)
        return copy
    }

    /// `meterValue[0].sampledValue[1].value` (`payload` for the payload itself).
    var path: String {
        var text = ""
        for step in reversedPath.reversed() {
            switch step {
            case .member(let name): text += text.isEmpty ? name : "." + name
            case .index(let index): text += "[\(index)]"
            }
        }
        return text.isEmpty ? "payload" : text
    }

    var callError: OcppCallError { OcppCallError(code, "\(path): \(message)") }
}

extension OcppSchema {
    /// The first violation of `value` against this schema, nil when it conforms. Members are checked in
    /// declaration order, then unknown members in sorted order, so the answer is deterministic.
    func violation(of value: OcppJSON) -> OcppSchemaViolation? {
        switch kind {
        case .string(let maxLength, let allowed):
            guard case .string(let text) = value else { return mismatch("a string", value) }
            if let allowed, !allowed.contains(text) {
                let list = allowed.sorted().joined(separator: ", ")
                return OcppSchemaViolation(
                    code: .propertyConstraintViolation, message: "\"\(text)\" is not one of \(list)")
            }
            if let maxLength, text.utf8.count > maxLength, text.unicodeScalars.count > maxLength {
                return OcppSchemaViolation(
                    code: .propertyConstraintViolation,
                    message: "\(text.unicodeScalars.count) characters, at most \(maxLength) allowed")
            }
            return nil
        case .dateTime:
            guard case .string(let text) = value else { return mismatch("a date-time string", value) }
            guard OcppSchemas.parseDateTime(text) != nil else {
                return OcppSchemaViolation(
                    code: .propertyConstraintViolation, message: "\"\(text)\" is not an RFC 3339 date-time")
            }
            return nil
        case .integer(let minimum):
            guard case .integer(let number) = value else { return mismatch("an integer", value) }
            if let minimum, number < minimum {
                return OcppSchemaViolation(
                    code: .propertyConstraintViolation, message: "\(number) is below the minimum \(minimum)")
            }
            return nil
        case .number(let multipleOf):
            guard let number = value.doubleValue else { return mismatch("a number", value) }
            if let multipleOf {
                let quotient = number / multipleOf
                guard abs(quotient - quotient.rounded()) <= 1e-9 * max(1, abs(quotient)) else {
                    return OcppSchemaViolation(
                        code: .propertyConstraintViolation, message: "\(number) is not a multiple of \(multipleOf)")
                }
            }
            return nil
        case .boolean:
            guard case .bool = value else { return mismatch("a boolean", value) }
            return nil
        case .object(let schema):
            guard case .object(let members) = value else { return mismatch("an object", value) }
            return schema.violation(of: members)
        case .array(let items, let minItems):
            guard case .array(let elements) = value else { return mismatch("an array", value) }
            if elements.count < minItems {
                return OcppSchemaViolation(
                    code: .occurenceConstraintViolation,
                    message: "\(elements.count) items, at least \(minItems) required")
            }
            for (index, element) in elements.enumerated() {
                if let violation = items.violation(of: element) { return violation.at(.index(index)) }
            }
            return nil
        }
    }

    private func mismatch(_ expected: String, _ value: OcppJSON) -> OcppSchemaViolation {
        let got = value.typeName == "number" ? "a decimal number" : value.typeName
        return OcppSchemaViolation(code: .typeConstraintViolation, message: "expected \(expected), got \(got)")
    }
}

extension OcppObjectSchema {
    func violation(of object: [String: OcppJSON]) -> OcppSchemaViolation? {
        for member in members {
            guard let value = object[member.name] else {
                guard member.isRequired else { continue }
                return OcppSchemaViolation(code: .occurenceConstraintViolation, message: "required member missing")
                    .at(.member(member.name))
            }
            if let violation = member.schema.violation(of: value) { return violation.at(.member(member.name)) }
        }
        guard object.keys.contains(where: { byName[$0] == nil }) else { return nil }
        let unknown = object.keys.filter { byName[$0] == nil }.min() ?? ""
        return OcppSchemaViolation(code: .occurenceConstraintViolation, message: "unknown member (not allowed)")
            .at(.member(unknown))
    }
}
