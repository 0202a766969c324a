"""The root of streammesh's exception tree.

Every error streammesh raises on purpose derives from :class:`MeshError`; each package
has its own base, and leaves carry structured attributes and build their own message
(what failed, the names in quotes, and what to do next)::

    MeshError
    ├── ConfigError                  configuration or URL that cannot be used
    ├── MissingDependency            an optional extra is not installed
    ├── LogError                     streammesh.log (see streammesh.log.errors)
    │   ├── InvalidTopicName, InvalidTopicConfig, TopicNotFound, TopicAlreadyExists
    │   ├── InvalidRecord, RecordTooLarge, InvalidPartition
    │   ├── ConsumerStateError, OffsetOutOfRange
    │   ├── DeliveryFailed, LogTimeout
    │   └── LogUnavailable       (LogCorrupt: a damaged or empty file, LogDiskFull,
    │                            KafkaSecurityRefused: credentials or TLS refused)
    ├── SchemaError                  streammesh.schemas, streammesh.serde
    │   ├── InvalidSchema, UnresolvedReference, InvalidEvent, UndecodablePayload
    │   └── WireFormatError, UnregisteredSchema
    ├── RegistryError                streammesh.registry (see streammesh.registry.errors)
    │   ├── SubjectNotFound, VersionNotFound, SchemaNotFound, ...SoftDeleted
    │   ├── IncompatibleSchema, InvalidSchemaSubmission, InvalidVersion
    │   └── OperationNotPermitted, ReferenceExists, ...
    ├── StoreError                   streammesh.store: InvalidStoreUrl, StoreUnavailable
    │                                (StoreCorrupt, StoreDiskFull)
    ├── IdentityError                streammesh.identity: TokenNotFound, InvalidTokenRequest
    ├── ProductError                 streammesh.products: DescriptorInvalid, LifecycleError, ...
    ├── CatalogError                 streammesh.catalog: ProductNotInCatalog, InvalidSearch
    ├── AuditError                   streammesh.audit: InvalidAuditEntry, InvalidAuditQuery,
    │                                MalformedMeshEvent
    ├── ControlError                 streammesh.control: ProductNotFound, PlanRefused,
    │                                NotAcceptingConsumers, InvalidProductSource, ConcurrentChange
    ├── DataPlaneError               streammesh.dataplane: InvalidEvent (also a SchemaError's
    │                                InvalidEvent), InvalidKey, UnreadableEvent, ClientClosed
    ├── SdkError                     streammesh.sdk: RemoteError (MeshUnreachable,
    │                                AuthenticationFailed, RemotePermissionDenied, ...)
    ├── GovernanceError              streammesh.governance (alias PolicyViolation): PolicyInvalid,
    │                                PolicyLoosened, CustomRuleUnavailable, Proposal...
    ├── AccessError                  streammesh.access: AccessDenied, NotAllowedToDecide,
    │                                AccessRefused, AccessRequestExists, ...
    ├── PrivacyError                 streammesh.privacy: UndecryptableField, NoPlaceholder,
    │                                KmsError (MasterKeyMissing), TokenNotGranted, ...
    ├── NotifyError                  streammesh.notify: InvalidSubscription, SubscriptionNotFound,
    │                                DeliveryNotFound, InboxItemNotFound, InvalidIncident,
    │                                DeliveryAttemptFailed
    ├── ObserveError                 streammesh.observe: InvalidOffsets, InvalidGroup
    └── StreamsError                 streammesh.streams (see each subpackage's errors module)
        ├── SqlError                 .sql: SqlSyntaxError, UnsupportedSql, InvalidSqlProperty
        ├── ExpressionError          .evaluation: ExpressionTypeError (IncompatibleTypes,
        │                            InvalidCast), UnknownColumn, AmbiguousColumn, NullOperand
        ├── FunctionError            .functions: UnknownFunction, WrongArguments,
        │                            InvalidFunction, PluginLoadFailed, AggregateNotForTables,
        │                            FunctionFailed
        ├── FormatError              .formats: UnsupportedFormat, SerializationFailed,
        │                            DeserializationFailed, UnmappableSchema
        ├── PlanError                .plan: UnknownSource (.products: UnknownProduct),
        │                            SourceExists, KeyNotProjected, DuplicateKey, InvalidQuery;
        │                            .products: ProductNotQueryable
        ├── OutputProductInvalid     .products: a query's output cannot be that product
        ├── GrantMissing             .products: an application's missing read or write grant
        ├── TestingError             .testing: MalformedTestFile
        └── StateError               .state: InvalidStoreName, ChangelogMismatch, StoreMismatch,
                                     StoreClosed, InvalidStoreInput, RestoreTimeout,
                                     StateUnavailable

The CLI maps these to one-line messages and exit codes; the server maps them to HTTP
statuses. Nothing else catches them wholesale.
"""

from __future__ import annotations


class MeshError(Exception):
    """Base of every error streammesh raises deliberately."""

    exit_code: int = 1
    """The CLI's exit code for this class of error."""


class ConfigError(MeshError):
    """A configuration value, URL or option cannot be used as given."""

    exit_code = 2


class MissingDependency(MeshError):
    """An optional extra that a feature needs is not installed (exit 2: the setup, like a
    configuration, is to be changed; the README documents only 0, 1 and 2)."""

    exit_code = 2

    def __init__(self, feature: str, extra: str) -> None:
        self.feature = feature
        self.extra = extra
        super().__init__(
            f"{feature} needs the optional extra '{extra}': run `pip install 'streammesh[{extra}]'`"
        )
