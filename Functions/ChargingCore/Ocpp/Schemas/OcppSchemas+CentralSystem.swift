/// The schemas of the Central System's calls evcsm sends (OCPP 1.6 §5), request and the charger's confirmation.
extension OcppSchemas {
    /// `{status}` with the given values: the confirmation of most CSMS calls.
    static func statusConfirmation(_ values: String...) -> OcppSchema {
        .object(.required("status", .oneOf(values)))
    }

    /// ChargingSchedule (§7.13).
    static let chargingSchedule = OcppSchema.object(
        .optional("duration", .integer()),
        .optional("startSchedule", .dateTime),
        .required("chargingRateUnit", .oneOf("A", "W")),
        .required(
            "chargingSchedulePeriod",
            .array(
                of: .object(
                    .required("startPeriod", .integer()),
                    .required("limit", .number(multipleOf: 0.1)),
                    .optional("numberPhases", .integer())
                ))),
        .optional("minChargingRate", .number(multipleOf: 0.1))
    )

    /// ChargingProfile (§7.8), as RemoteStartTransaction.req may carry it.
    static let chargingProfile = OcppSchema.object(
        .required("chargingProfileId", .integer()),
        .optional("transactionId", .integer()),
        .required("stackLevel", .integer(minimum: 0)),
        .required("chargingProfilePurpose", .oneOf("ChargePointMaxProfile", "TxDefaultProfile", "TxProfile")),
        .required("chargingProfileKind", .oneOf("Absolute", "Recurring", "Relative")),
        .optional("recurrencyKind", .oneOf("Daily", "Weekly")),
        .optional("validFrom", .dateTime),
        .optional("validTo", .dateTime),
        .required("chargingSchedule", chargingSchedule)
    )

    static let remoteStartTransaction = OcppActionSchemas(
        request: .object(
            .optional("connectorId", .integer(minimum: 1)),
            .required("idTag", .ciString20),
            .optional("chargingProfile", chargingProfile)
        ),
        confirmation: statusConfirmation("Accepted", "Rejected")
    )

    static let remoteStopTransaction = OcppActionSchemas(
        request: .object(.required("transactionId", .integer())),
        confirmation: statusConfirmation("Accepted", "Rejected")
    )

    static let reset = OcppActionSchemas(
        request: .object(.required("type", .oneOf("Hard", "Soft"))),
        confirmation: statusConfirmation("Accepted", "Rejected")
    )

    static let triggerMessage = OcppActionSchemas(
        request: .object(
            .required(
                "requestedMessage",
                .oneOf(
                    "BootNotification", "DiagnosticsStatusNotification", "FirmwareStatusNotification", "Heartbeat",
                    "MeterValues", "StatusNotification")),
            .optional("connectorId", .integer(minimum: 1))
        ),
        confirmation: statusConfirmation("Accepted", "Rejected", "NotImplemented")
    )

    static let changeConfiguration = OcppActionSchemas(
        request: .object(
            .required("key", .string(maxLength: 50)),
            .required("value", .string(maxLength: 500))
        ),
        confirmation: statusConfirmation("Accepted", "Rejected", "RebootRequired", "NotSupported")
    )

    static let getConfiguration = OcppActionSchemas(
        request: .object(.optional("key", .array(of: .string(maxLength: 50)))),
        confirmation: .object(
            .optional(
                "configurationKey",
                .array(
                    of: .object(
                        .required("key", .string(maxLength: 50)),
                        .required("readonly", .boolean),
                        .optional("value", .string(maxLength: 500))
                    ))),
            .optional("unknownKey", .array(of: .string(maxLength: 50)))
        )
    )

    static let unlockConnector = OcppActionSchemas(
        request: .object(.required("connectorId", .integer(minimum: 1))),
        confirmation: statusConfirmation("Unlocked", "UnlockFailed", "NotSupported")
    )
}
