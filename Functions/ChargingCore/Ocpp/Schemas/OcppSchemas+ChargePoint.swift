/// The schemas of the ten actions a charge point sends (OCPP 1.6 §4 and §6), request and confirmation.
extension OcppSchemas {
    /// IdTagInfo (§7.30), in Authorize, StartTransaction and StopTransaction confirmations.
    static let idTagInfo = OcppSchema.object(
        .optional("expiryDate", .dateTime),
        .optional("parentIdTag", .ciString20),
        .required("status", .oneOf("Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx"))
    )

    /// SampledValue (§7.45); `value` is a string even for numbers.
    static let sampledValue = OcppSchema.object(
        .required("value", .string()),
        .optional(
            "context",
            .oneOf(
                "Interruption.Begin", "Interruption.End", "Sample.Clock", "Sample.Periodic", "Transaction.Begin",
                "Transaction.End", "Trigger", "Other")),
        .optional("format", .oneOf("Raw", "SignedData")),
        .optional(
            "measurand",
            .oneOf(
                "Energy.Active.Export.Register", "Energy.Active.Import.Register", "Energy.Reactive.Export.Register",
                "Energy.Reactive.Import.Register", "Energy.Active.Export.Interval", "Energy.Active.Import.Interval",
                "Energy.Reactive.Export.Interval", "Energy.Reactive.Import.Interval", "Power.Active.Export",
                "Power.Active.Import", "Power.Offered", "Power.Reactive.Export", "Power.Reactive.Import",
                "Power.Factor", "Current.Import", "Current.Export", "Current.Offered", "Voltage", "Frequency",
                "Temperature", "SoC", "RPM")),
        .optional("phase", .oneOf("L1", "L2", "L3", "N", "L1-N", "L2-N", "L3-N", "L1-L2", "L2-L3", "L3-L1")),
        .optional("location", .oneOf("Cable", "EV", "Inlet", "Outlet", "Body")),
        .optional(
            "unit",
            .oneOf(
                "Wh", "kWh", "varh", "kvarh", "W", "kW", "VA", "kVA", "var", "kvar", "A", "V", "K", "Celcius",
                "Celsius", "Fahrenheit", "Percent", "Hertz"))
    )

    /// MeterValue (§7.31) with at least one sampled value, as MeterValues.req requires.
    static let meterValue = OcppSchema.object(
        .required("timestamp", .dateTime),
        .required("sampledValue", .array(of: sampledValue, minItems: 1))
    )

    /// StopTransaction.req's `transactionData`: meter values without the minimum counts.
    static let transactionData = OcppSchema.object(
        .required("timestamp", .dateTime),
        .required("sampledValue", .array(of: sampledValue))
    )

    /// `{}`: the confirmation of the notifications, and Heartbeat's request.
    static let empty = OcppSchema.object()

    static let authorize = OcppActionSchemas(
        request: .object(.required("idTag", .ciString20)),
        confirmation: .object(.required("idTagInfo", idTagInfo))
    )

    static let bootNotification = OcppActionSchemas(
        request: .object(
            .required("chargePointVendor", .ciString20),
            .required("chargePointModel", .ciString20),
            .optional("chargePointSerialNumber", .string(maxLength: 25)),
            .optional("chargeBoxSerialNumber", .string(maxLength: 25)),
            .optional("firmwareVersion", .string(maxLength: 50)),
            .optional("iccid", .ciString20),
            .optional("imsi", .ciString20),
            .optional("meterType", .string(maxLength: 25)),
            .optional("meterSerialNumber", .string(maxLength: 25))
        ),
        confirmation: .object(
            .required("status", .oneOf("Accepted", "Pending", "Rejected")),
            .required("currentTime", .dateTime),
            .required("interval", .integer())
        )
    )

    static let dataTransfer = OcppActionSchemas(
        request: .object(
            .required("vendorId", .string(maxLength: 255)),
            .optional("messageId", .string(maxLength: 50)),
            .optional("data", .string())
        ),
        confirmation: .object(
            .required("status", .oneOf("Accepted", "Rejected", "UnknownMessageId", "UnknownVendorId")),
            .optional("data", .string())
        )
    )

    static let diagnosticsStatusNotification = OcppActionSchemas(
        request: .object(.required("status", .oneOf("Idle", "Uploaded", "UploadFailed", "Uploading"))),
        confirmation: empty
    )

    static let firmwareStatusNotification = OcppActionSchemas(
        request: .object(
            .required(
                "status",
                .oneOf(
                    "Downloaded", "DownloadFailed", "Downloading", "Idle", "InstallationFailed", "Installing",
                    "Installed"))
        ),
        confirmation: empty
    )

    static let heartbeat = OcppActionSchemas(
        request: empty,
        confirmation: .object(.required("currentTime", .dateTime))
    )

    static let meterValues = OcppActionSchemas(
        request: .object(
            .required("connectorId", .integer(minimum: 0)),
            .optional("transactionId", .integer()),
            .required("meterValue", .array(of: meterValue, minItems: 1))
        ),
        confirmation: empty
    )

    static let startTransaction = OcppActionSchemas(
        request: .object(
            .required("connectorId", .integer(minimum: 1)),
            .required("idTag", .ciString20),
            .required("meterStart", .integer()),
            .optional("reservationId", .integer()),
            .required("timestamp", .dateTime)
        ),
        confirmation: .object(
            .required("idTagInfo", idTagInfo),
            .required("transactionId", .integer())
        )
    )

    static let statusNotification = OcppActionSchemas(
        request: .object(
            .required("connectorId", .integer(minimum: 0)),
            .required(
                "errorCode",
                .oneOf(
                    "ConnectorLockFailure", "EVCommunicationError", "GroundFailure", "HighTemperature",
                    "InternalError", "LocalListConflict", "NoError", "OtherError", "OverCurrentFailure",
                    "PowerMeterFailure", "PowerSwitchFailure", "ReaderFailure", "ResetFailure", "UnderVoltage",
                    "OverVoltage", "WeakSignal")),
            .optional("info", .string(maxLength: 50)),
            .required(
                "status",
                .oneOf(
                    "Available", "Preparing", "Charging", "SuspendedEVSE", "SuspendedEV", "Finishing", "Reserved",
                    "Unavailable", "Faulted")),
            .optional("timestamp", .dateTime),
            .optional("vendorId", .string(maxLength: 255)),
            .optional("vendorErrorCode", .string(maxLength: 50))
        ),
        confirmation: empty
    )

    static let stopTransaction = OcppActionSchemas(
        request: .object(
            .optional("idTag", .ciString20),
            .required("meterStop", .integer()),
            .required("timestamp", .dateTime),
            .required("transactionId", .integer()),
            .optional(
                "reason",
                .oneOf(
                    "EmergencyStop", "EVDisconnected", "HardReset", "Local", "Other", "PowerLoss", "Reboot", "Remote",
                    "SoftReset", "UnlockCommand", "DeAuthorized")),
            .optional("transactionData", .array(of: transactionData))
        ),
        confirmation: .object(.optional("idTagInfo", idTagInfo))
    )
}
