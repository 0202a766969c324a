"""``StreamsService``: stream applications over the mesh's data products.

Built once by :class:`~streammesh.runtime.MeshRuntime` (``runtime.streams``) on the control
plane, the registry and the grant checks. :meth:`StreamsService.prepare` turns a script into a
:class:`PreparedApplication` without changing anything: it parses the statements, plans them
with the data products of the mesh in ``FROM``, derives each output product (descriptor and
Avro schema, classifications propagated), plans those through the control plane (governance
runs: what policy refuses is refused) and checks the grants of the application's service
account. :meth:`StreamsService.publish` then applies the output products and records the
lineage (the application consumes its inputs and produces its outputs).

Example:
    >>> prepared = runtime.streams.prepare(sql, "trending-app", "trending-sa")  # doctest: +SKIP
    >>> [item.reference for item in prepared.outputs]  # doctest: +SKIP
    ['analytics.trending_stocks.v1']
    >>> runtime.streams.publish(prepared, actor="alice")  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from streammesh.access import AccessControl, AccessDenied
from streammesh.bounded_yaml import YamlRefused, load_yaml
from streammesh.control import (
    ApplicationRole,
    ApplyResult,
    ControlPlane,
    Plan,
    PlanRefused,
    TeamRecord,
)
from streammesh.governance import PolicyRegistry, mesh_fields_to_encrypt
from streammesh.identity import AccountStore
from streammesh.log import EventLog
from streammesh.privacy import FieldProtection, KeyStore, encrypted_fields
from streammesh.products import parse_descriptor
from streammesh.registry import SchemaRegistry
from streammesh.serde import RegistryResolver
from streammesh.streams.apps import (
    ApplicationError,
    AppLifecycle,
    AppStatus,
    AppStore,
    Desired,
    Placement,
    StreamApp,
    check_application_name,
)
from streammesh.streams.functions.registry import FunctionRegistry
from streammesh.streams.plan import PlanNode, Source, children
from streammesh.streams.planner import PersistentQuery, Script, plan_statements
from streammesh.streams.products.catalog import InputProduct, ProductCatalog
from streammesh.streams.products.classification import column_labels
from streammesh.streams.products.decryption import InputDecryption, input_decryptions
from streammesh.streams.products.errors import GrantRevoked, OutputProductInvalid
from streammesh.streams.products.grants import check_grants
from streammesh.streams.products.output import OutputProduct, derive_output
from streammesh.streams.runner import QueryProgress
from streammesh.streams.sql import parse_statements
from streammesh.streams.sql.statements import CreateAsSelect, SourceProperties, Statement

__all__ = ["PreparedApplication", "StreamsService"]


@dataclass(frozen=True, slots=True)
class PreparedApplication:
    """A stream application planned against the mesh, checked, and ready to start.

    Attributes:
        name: The application's name (its consumer group, its node in the lineage graph).
        principal: The service account it runs as (``None``: the mesh's operator).
        text: The script.
        script: The planned script; a query publishing a product writes the product's topic.
        inputs: The data products the queries read.
        outputs: The data products the queries publish.
        plan: The control plane's plan of the output products (``None`` without any).
        clear: Per input product version, whether classified fields are read in clear (a
            grant with classified fields, or the operator); else over their placeholders.
        protections: Per output product topic, what encrypts the fields governance asks to
            encrypt into record headers (absent: none is).
        decryption: Per input product topic, how its encrypted fields are read: decrypted
            where ``clear`` says so, else masked (absent: read as they are on the log).
    """

    name: str
    principal: str | None
    text: str
    script: Script
    inputs: tuple[InputProduct, ...]
    outputs: tuple[OutputProduct, ...]
    plan: Plan | None
    clear: Mapping[str, bool]
    protections: Mapping[str, FieldProtection] = dataclasses.field(default_factory=dict)
    decryption: Mapping[str, InputDecryption] = dataclasses.field(default_factory=dict)

    @property
    def queries(self) -> tuple[PersistentQuery, ...]:
        """The persistent queries, in order."""
        return self.script.queries


class StreamsService:
    """Stream applications over data products (see the module)."""

    def __init__(
        self,
        plane: ControlPlane,
        registry: SchemaRegistry,
        grants: AccessControl,
        *,
        functions: FunctionRegistry | None = None,
        keys: KeyStore | None = None,
        policies: PolicyRegistry | None = None,
        log: EventLog | None = None,
    ) -> None:
        """Args:
        plane: The control plane: products, teams and their applications.
        registry: Where the products' schemas are.
        grants: The grant checks (who may read and write what).
        functions: The functions the expressions call (default: built-ins and plugins).
        keys: The data keys that encrypt an output product's classified fields.
        policies: The governance policies that say which fields are encrypted; ``None``
            encrypts every classified field (the baseline).
        log: The event log the applications run on: their lag, and the offsets and topics
            a reset drops (needed by the application lifecycle: ``deploy`` ... ``delete``).
        """
        self._plane = plane
        self._registry = registry
        self._grants = grants
        self._functions = functions
        self._keys = keys
        self._policies = policies
        self._log = log
        self._lifecycle: AppLifecycle | None = None

    def prepare(
        self,
        sql_text: str,
        application: str,
        principal: str | None,
        *,
        descriptor: str | None = None,
        descriptor_origin: str = "descriptor",
    ) -> PreparedApplication:
        """Parse, plan and check a script; nothing is changed.

        Args:
            sql_text: The statements.
            application: The application's name.
            principal: The service account it runs as; ``None`` is the mesh's operator
                (in-process), whose grants are not checked.
            descriptor: The YAML of a descriptor file given with the SQL, describing the
                product one query publishes (its ``key``, ``schema`` and ``upstreams`` come
                from the query).
            descriptor_origin: Where ``descriptor`` came from, for messages.

        Raises:
            SqlSyntaxError: invalid SQL (line, column, caret).
            PlanError: a statement that cannot be planned; ``UnknownProduct`` names the
                nearest product.
            ExpressionError: an expression that does not type.
            OutputProductInvalid: a query's output cannot be the product it names.
            DescriptorInvalid: the descriptor file, or the derived descriptor, is invalid.
            PlanRefused: the control plane (governance included) refuses an output product.
            GrantMissing: the service account lacks a grant it needs.
        """
        statements = parse_statements(sql_text)
        catalog = ProductCatalog(self._plane, self._registry)
        script = plan_statements(
            statements, text=sql_text, registry=self._functions, products=catalog
        )
        template = _template(descriptor, descriptor_origin) if descriptor is not None else None
        published = _published(statements, template)
        labels_of = {item.written: item.labels for item in catalog.resolved}
        outputs: list[OutputProduct] = []
        for query in script.queries:
            target = published.get(query.plan.name)
            if target is None or any(o.sink.name == query.plan.name for o in outputs):
                continue  # an INSERT INTO the product's sink writes the product too
            product, properties, document = target
            inputs = [
                found
                for name in _source_names(query)
                if (found := catalog.product(name)) is not None
            ]
            output = derive_output(
                query.id,
                query.plan,
                properties,
                product=product,
                application=application,
                inputs=inputs,
                labels=column_labels(query.plan, labels_of),
                team=self._team(principal, product),
                template=document,
            )
            outputs.append(output)
        if template is not None and not any(
            output.descriptor.name == template.get("name") for output in outputs
        ):
            raise OutputProductInvalid(
                "(none)",
                str(template.get("name")),
                f"{descriptor_origin} describes it, but no CREATE ... AS SELECT publishes it;"
                f" add WITH (product='{template.get('name')}')",
            )
        if outputs:
            # Plan again with each published sink writing its product's topic and formats, so
            # a later statement reading that sink reads the product's topic too.
            script = plan_statements(
                _writing_products(statements, outputs),
                text=sql_text,
                registry=self._functions,
                products=catalog,
            )
            script = _with_product_schemas(script, outputs)
        inputs_all = catalog.resolved
        clear: Mapping[str, bool] = {item.reference: True for item in inputs_all}
        if principal is not None:
            clear = check_grants(
                self._grants,
                application=application,
                principal=principal,
                inputs=[item.reference for item in inputs_all],
                outputs=[(output.reference, output.descriptor.team) for output in outputs],
            )
        # Governance last: an application without its grants learns nothing more.
        plan = self._plane.plan([output.source for output in outputs]) if outputs else None
        if plan is not None and plan.errors:
            raise PlanRefused(plan.errors)
        protections = {output.sink.topic: self._protection(output) for output in outputs}
        protected = {topic: found for topic, found in protections.items() if found is not None}
        decryption = input_decryptions(
            [item.record for item in inputs_all],
            clear,
            keys=self._keys,
            policies=self._policies,
            principal=principal or application,
            outputs=protected,
        )
        return PreparedApplication(
            application,
            principal,
            sql_text,
            script,
            inputs_all,
            tuple(outputs),
            plan,
            clear,
            protected,
            decryption,
        )

    def check_still_granted(self, prepared: PreparedApplication) -> None:
        """Check, while ``prepared`` runs, that its service account still has the grants it
        started with: a read grant on every input (with classified fields where it reads them
        in clear) and the right to write every output. The operator (no principal) is not
        checked. A running application calls this at each heartbeat and stops on the error.

        Raises:
            GrantRevoked: the first grant gone (inputs first), or a read grant that no longer
                includes classified fields the application reads in clear.
        """
        principal = prepared.principal
        if principal is None:
            return
        for item in prepared.inputs:
            grant = self._grants.read_grant(principal, item.reference)
            if grant is None:
                raise GrantRevoked(prepared.name, principal, item.reference)
            if prepared.clear.get(item.reference) and not grant.classified:
                raise GrantRevoked(prepared.name, principal, item.reference, classified=True)
        for output in prepared.outputs:
            try:
                self._grants.check_write(principal, output.reference, output.descriptor.team)
            except AccessDenied:
                raise GrantRevoked(prepared.name, principal, output.reference, write=True) from None

    def _protection(self, output: OutputProduct) -> FieldProtection | None:
        """What encrypts ``output``'s classified fields as the data plane's producer does,
        or ``None`` when governance asks to encrypt none of them.

        Raises:
            OutputProductInvalid: fields must be encrypted and there is no key store.
        """
        descriptor = output.descriptor
        encrypted = (
            mesh_fields_to_encrypt(self._policies, descriptor)
            if self._policies is not None
            else encrypted_fields(descriptor.classifications)
        )
        if not encrypted:
            return None
        if self._keys is None:  # never write a field governance protects in clear
            raise OutputProductInvalid(
                output.sink.name,
                descriptor.name,
                f"field(s) {', '.join(sorted(encrypted))} must be encrypted and this mesh has"
                " no data key store to encrypt them with",
            )
        return FieldProtection(
            self._keys, output.reference, descriptor.classifications, encrypted=encrypted
        )

    def prepare_file(
        self, path: str | Path, application: str, principal: str | None
    ) -> PreparedApplication:
        """:meth:`prepare` of a ``.sql`` file, with the descriptor file next to it
        (``trending.sql`` and ``trending.yaml``) when there is one."""
        sql_path = Path(path)
        yaml_path = sql_path.with_suffix(".yaml")
        descriptor = yaml_path.read_text(encoding="utf-8") if yaml_path.is_file() else None
        return self.prepare(
            sql_path.read_text(encoding="utf-8"),
            application,
            principal,
            descriptor=descriptor,
            descriptor_origin=str(yaml_path),
        )

    def publish(self, prepared: PreparedApplication, *, actor: str) -> ApplyResult | None:
        """Apply the output products (their schemas registered) and record the lineage: the
        application consumes each input product and produces each output product.

        Raises:
            PlanRefused: the mesh changed since :meth:`prepare` and now refuses a product.
            NotAcceptingConsumers: an input product was deprecated meanwhile.
        """
        result = None
        if prepared.outputs:
            result = self._plane.apply([output.source for output in prepared.outputs], actor=actor)
        principal = prepared.principal or actor
        for item in prepared.inputs:
            self._plane.register_application(
                item.reference,
                prepared.name,
                role=ApplicationRole.CONSUMER,
                principal=principal,
                group=prepared.name,
            )
        for output in prepared.outputs:
            self._plane.register_application(
                output.reference, prepared.name, role=ApplicationRole.PRODUCER, principal=principal
            )
        return result

    # -- the application lifecycle ------------------------------------------------------------

    def deploy(
        self,
        name: str,
        sql: str,
        *,
        principal: str | None,
        placement: Placement | str,
        actor: str,
        descriptor: str | None = None,
    ) -> StreamApp:
        """Record the stream application ``name`` running ``sql``, to run (``desired``
        running); deployed again, its script, principal and placement are replaced.

        The script is prepared first (:meth:`prepare`): one that does not parse, plan, pass
        governance or have its grants records nothing. Its output products are applied
        when it starts (:meth:`publish`), by whatever runs it.

        Args:
            name: The application's name (lowercase letters, digits, dashes).
            sql: The statements.
            principal: The service account it runs as (``None``: the mesh's operator).
            placement: ``server`` (hosted by ``streammesh up``) or ``process`` (its own
                ``streams run``).
            actor: Who deploys it (audited).
            descriptor: A descriptor file's YAML for the product a query publishes.

        Raises:
            InvalidApplicationName: ``name`` cannot name an application.
            StreamsError: what :meth:`prepare` raises (SQL, plan, governance, grants).
        """
        check_application_name(name)
        prepared = self.prepare(sql, name, principal, descriptor=descriptor)
        return self.record(prepared, placement=placement, actor=actor, descriptor=descriptor)

    def record(
        self,
        prepared: PreparedApplication,
        *,
        placement: Placement | str,
        actor: str,
        descriptor: str | None = None,
    ) -> StreamApp:
        """Record an application already prepared (:meth:`deploy` without preparing again).

        Raises:
            InvalidApplicationName: its name cannot name an application.
        """
        return self._apps.deploy(
            prepared.name,
            prepared.text,
            prepared.queries,
            descriptor=descriptor,
            principal=prepared.principal,
            placement=Placement(placement),
            actor=actor,
            resolver=RegistryResolver(self._registry),
        )

    def applications(self) -> list[AppStatus]:
        """Every recorded application with its live instances, counters and lag, by name."""
        return self._apps.applications()

    def status(self, name: str) -> AppStatus:
        """The application ``name``: its record, live instances (a heartbeat within three of
        their intervals), per query the counters summed over them and the lag per input
        partition (committed offsets of its group against the end offsets).

        Raises:
            UnknownApplication: there is none (the nearest name is suggested).
        """
        return self._apps.status(name)

    def stop(self, name: str, *, actor: str) -> StreamApp:
        """Ask ``name`` to stop: its processes finish and commit their batch and exit.

        Raises:
            UnknownApplication: there is none.
        """
        return self._apps.set_desired(name, Desired.STOPPED, actor=actor)

    def start(self, name: str, *, actor: str) -> StreamApp:
        """Ask a stopped ``name`` to run again (the server starts those it hosts; a
        ``process`` application runs when ``streams run`` starts it).

        Raises:
            UnknownApplication: there is none.
        """
        return self._apps.set_desired(name, Desired.RUNNING, actor=actor)

    def reset(self, name: str, *, actor: str) -> StreamApp:
        """Make ``name`` start over from the beginning of its inputs: its groups' committed
        offsets go back to the beginning, its changelog and repartition topics are deleted
        and its epoch is bumped (a process wipes local state of an older epoch when it
        starts). Its outputs and dead-letter topics are kept.

        Raises:
            UnknownApplication: there is none.
            ApplicationRunning: an instance is alive; stop it first.
        """
        return self._apps.reset(name, actor=actor)

    def delete(self, name: str, *, actor: str) -> StreamApp:
        """Remove ``name``: its record, and (as :meth:`reset`) its committed offsets and
        internal topics; its output products and dead-letter topics are kept. The record
        it had.

        Raises:
            UnknownApplication: there is none.
            ApplicationRunning: an instance is alive; stop it first.
        """
        return self._apps.delete(name, actor=actor)

    def heartbeat(
        self,
        name: str,
        instance: str,
        progress: Sequence[QueryProgress],
        error: str | None = None,
        *,
        host: str,
        pid: int,
        interval_s: float,
    ) -> StreamApp:
        """Record that process ``instance`` runs ``name`` with this progress (call it every
        ``interval_s`` seconds); the application's record, whose ``desired`` says whether
        to go on.

        Raises:
            UnknownApplication: ``name`` was deleted.
        """
        return self._apps.heartbeat(
            name, instance, progress, error, host=host, pid=pid, interval_s=interval_s
        )

    def leave(self, name: str, instance: str) -> None:
        """Forget process ``instance`` of ``name``: it exited (so it no longer counts as
        alive)."""
        self._apps.leave(name, instance)

    def desired(self, name: str) -> Desired:
        """Whether ``name`` should be running.

        Raises:
            UnknownApplication: there is none.
        """
        return self._apps.app(name).desired

    def application(self, name: str) -> StreamApp:
        """The record of ``name``.

        Raises:
            UnknownApplication: there is none.
        """
        return self._apps.app(name)

    @property
    def _apps(self) -> AppLifecycle:
        if self._lifecycle is None:
            if self._log is None:
                raise ApplicationError(
                    "this StreamsService was built without the event log; open the mesh with"
                    " MeshRuntime.open to manage stream applications"
                )
            self._lifecycle = AppLifecycle(AppStore(self._plane.store), self._log)
        return self._lifecycle

    def _team(self, principal: str | None, product: str) -> TeamRecord | None:
        """The owning team of a product published without a descriptor file: the service
        account's team, else the only team of the product's domain."""
        teams = self._plane.teams()
        if principal is not None:
            account = AccountStore(self._plane.store).find(principal)
            if account is not None and account.team is not None:
                return next((team for team in teams if team.name == account.team), None)
        domain = product.split(".", 1)[0]
        mine = [team for team in teams if team.domain == domain]
        return mine[0] if len(mine) == 1 else None


def _template(text: str, origin: str) -> dict[str, Any]:
    try:
        document = load_yaml(text)
    except (yaml.YAMLError, YamlRefused):
        parse_descriptor(text, source=origin)  # raises DescriptorInvalid with the position
        raise
    if not isinstance(document, dict):
        parse_descriptor(text, source=origin)
        raise OutputProductInvalid("(none)", origin, "the descriptor file is not a mapping")
    return document


def _published(
    statements: Sequence[Statement], template: Mapping[str, Any] | None
) -> dict[str, tuple[str, SourceProperties, Mapping[str, Any] | None]]:
    """Per sink name, the product its query publishes, the statement's properties and the
    descriptor file's document when it describes that product."""
    creates = [s for s in statements if isinstance(s, CreateAsSelect)]
    named = template.get("name") if template is not None else None
    found: dict[str, tuple[str, SourceProperties, Mapping[str, Any] | None]] = {}
    for statement in creates:
        product = statement.properties.product
        if product is None and named is not None and len(creates) == 1:
            product = str(named)
        if product is not None:
            document = template if product == named else None
            found[statement.name] = (product, statement.properties, document)
    return found


def _writing_products(
    statements: Sequence[Statement], outputs: Sequence[OutputProduct]
) -> list[Statement]:
    sinks = {output.sink.name: output.sink for output in outputs}
    rewritten: list[Statement] = []
    for statement in statements:
        sink = sinks.get(statement.name) if isinstance(statement, CreateAsSelect) else None
        if isinstance(statement, CreateAsSelect) and sink is not None:
            properties = dataclasses.replace(
                statement.properties,
                kafka_topic=sink.topic,
                key_format=sink.formats.key_format.value,
                value_format=sink.formats.value_format.value,
                format=None,
                partitions=sink.partitions,
            )
            statement = dataclasses.replace(statement, properties=properties)
        rewritten.append(statement)
    return rewritten


def _with_product_schemas(script: Script, outputs: Sequence[OutputProduct]) -> Script:
    """``script`` with each query writing a product (its CREATE ... AS SELECT or an INSERT
    INTO its sink) writing values in the product's registered schema, key columns included,
    as the data plane writes the product's events."""
    schemas = {output.sink.topic: output.sink.formats.value_schema for output in outputs}
    queries = []
    for query in script.queries:
        schema = schemas.get(query.plan.topic)
        if schema is not None:
            formats = dataclasses.replace(query.plan.formats, value_schema=schema)
            query = dataclasses.replace(
                query, plan=dataclasses.replace(query.plan, formats=formats)
            )
        queries.append(query)
    return dataclasses.replace(script, queries=tuple(queries))


def _source_names(query: PersistentQuery) -> list[str]:
    """The sources a query reads, left to right."""

    def walk(node: PlanNode) -> list[str]:
        if isinstance(node, Source):
            return [node.name]
        return [name for child in children(node) for name in walk(child)]

    return list(dict.fromkeys(walk(query.plan)))
